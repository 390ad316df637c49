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


# The density budget of tools/notebook_budget.py (main path, exercises, appendix).
# 10_text_attention is not trimmed to it yet (no open issue covers that notebook).
BUDGETED = [p for p in LESSONS if p.name[:2] != "10"]


@pytest.mark.parametrize("path", BUDGETED, ids=_ids(BUDGETED))
def test_density_budget(path):
    import sys

    sys.path.insert(0, str(ROOT / "tools"))
    from notebook_budget import measure

    budget = measure(path)
    assert not budget.problems(), f"{path.name} over the density budget: {budget.problems()}"
    header = nbformat.read(path, as_version=4).cells[0].source
    match = re.search(r"\*\*Time needed:\*\* about (\d+) minutes: (\d+) for the main path", header)
    assert match, "header states '**Time needed:** about N minutes: M for the main path ...'"
    total, main_path = int(match[1]), int(match[2])
    assert total <= 90, f"{path.name}: {total} minutes > 90"
    assert main_path >= budget.minutes, (
        f"{path.name}: header gives the main path {main_path} min; its size needs {budget.minutes}"
    )
    cells = re.search(r"for the main path \((\d+) code cells", header)
    assert cells and int(cells[1]) == budget.code_cells, (
        f"{path.name}: header's code-cell count differs from the main path's {budget.code_cells}"
    )


def test_density_budget_flags_a_long_cell_and_a_missing_summary(tmp_path):
    import sys

    sys.path.insert(0, str(ROOT / "tools"))
    from notebook_budget import measure

    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    cells = [md("# 99 · T"), md("## 1 · A"), code("x = 1\n" * 13), md("## Summary")]
    cells.append(md("## Exercises"))
    nb = nbformat.v4.new_notebook(cells=cells)
    nbformat.write(nb, tmp_path / "99_t.ipynb")
    assert measure(tmp_path / "99_t.ipynb").problems() == ["a code cell of 13 lines > 12"]
    nb.cells = cells[:3]
    nbformat.write(nb, tmp_path / "99_t.ipynb")
    with pytest.raises(ValueError, match="Summary"):
        measure(tmp_path / "99_t.ipynb")
