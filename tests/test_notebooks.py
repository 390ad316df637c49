"""Hygiene of the course notebooks: stored clean, structured as the course's conventions say."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
LESSONS = [p for p in NOTEBOOKS if p.name != "index.ipynb"]


def _ids(paths):
    return [p.name for p in paths]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, (
                f"{path.name} cell {i} has outputs: run tools/clean_notebooks.py"
            )
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"


@pytest.mark.parametrize("path", LESSONS, ids=_ids(LESSONS))
def test_lesson_structure(path):
    nb = nbformat.read(path, as_version=4)
    assert re.match(r"\d\d_[a-z0-9_]+\.ipynb$", path.name)
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith(f"# {path.name[:2]} ·"), (
        "starts with '# NN · Title'"
    )
    assert "Learning goals" in first.source
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    assert any("xai_helpers.setup(" in c for c in code[:3]), (
        "a setup cell near the top calls xai_helpers.setup()"
    )
    assert any(re.search(r"^\s*assert\b", c, re.M) and "Lesson check" in c for c in code), (
        "no lesson-check cell"
    )
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "## Summary" in markdown and "## Exercises" in markdown
    for i, c in enumerate(code):
        # hidden tests (### BEGIN/END HIDDEN TESTS) are grading code, removed from what students
        # see: not counted
        shown = re.sub(
            r"^[^\n]*BEGIN HIDDEN TESTS.*?END HIDDEN TESTS[^\n]*$", "", c, flags=re.S | re.M
        )
        assert shown.count("\n") < 20, (
            f"{path.name}: code cell {i} has {shown.count(chr(10)) + 1} lines a student "
            "sees (at most 20)"
        )


@pytest.mark.parametrize("path", LESSONS, ids=_ids(LESSONS))
def test_every_code_cell_follows_prose(path):
    nb = nbformat.read(path, as_version=4)
    kinds = [c.cell_type for c in nb.cells]
    # at most three code cells in a row without prose in between
    run = 0
    for k in kinds:
        run = run + 1 if k == "code" else 0
        assert run <= 3, f"{path.name}: more than three code cells in a row without prose"


def test_index_lists_every_notebook():
    index = nbformat.read(ROOT / "notebooks" / "index.ipynb", as_version=4)
    text = "\n".join(c.source for c in index.cells)
    for p in LESSONS:
        assert f"({p.name})" in text, f"index.ipynb does not link {p.name}"
