"""tools/add_launch_cells.py: Colab/Binder badges and a Colab-only install cell, from pyproject's
repository URL and ref."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import types
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location(
    "add_launch_cells", ROOT / "tools" / "add_launch_cells.py"
)
alc = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(alc)

REPO = alc.repository_url()
REF = alc.repository_ref()
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _lesson(tmp_path, name="07_tiny.ipynb") -> Path:
    nb = nbformat.v4.new_notebook(
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        }
    )
    nb.cells = [
        nbformat.v4.new_markdown_cell(
            "# 07 · Tiny\n*Purpose:* a test.\n\n**Learning goals.** none"
        ),
        nbformat.v4.new_markdown_cell("## Setup"),
        nbformat.v4.new_code_cell("import xai_helpers\ndevice = xai_helpers.setup(seed=0)"),
        nbformat.v4.new_markdown_cell("## Summary\n## Exercises"),
        nbformat.v4.new_code_cell("x = 1"),
    ]
    path = tmp_path / name
    nbformat.write(nb, path)
    return path


def _launch_cell(nb):
    cells = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith(alc.CELL_MARK)]
    assert len(cells) == 1
    return cells[0]


def test_repository_url_is_pyprojects():
    text = (ROOT / "pyproject.toml").read_text()
    section = text.split("[project.urls]", 1)[1].split("\n[", 1)[0]
    assert f'Repository = "{REPO}"' in section
    assert re.match(r"https://github\.com/[^/]+/[^/]+$", REPO)


def test_ref_is_pyprojects():
    text = (ROOT / "pyproject.toml").read_text()
    section = text.split("[tool.xai-course]", 1)[1].split("\n[", 1)[0]
    assert f'ref = "{REF}"' in section
    assert alc.BRANCH == REF


def test_a_new_ref_replaces_the_old_everywhere(tmp_path):
    path = _lesson(tmp_path)
    alc.process(path, REPO, ref="release-v1")
    text = path.read_text()
    assert text.count("release-v1") == 3  # Colab badge, Binder badge, the install line
    assert f"/{alc.BRANCH}/" not in text and f"@{alc.BRANCH}" not in text
    assert alc.process(path, REPO, write=False), "back to the pyproject's ref: a change"


def _run_launch_cell(source: str, ipython) -> None:
    """Run the cell the way IPython does: ``%pip`` becomes ``get_ipython().run_line_magic(...)``."""
    from IPython.core.inputtransformer2 import TransformerManager

    exec(
        compile(TransformerManager().transform_cell(source), "launch-cell", "exec"),
        {"get_ipython": lambda: ipython},
    )


class _FakeIPython:
    def __init__(self):
        self.magics = []

    def run_line_magic(self, name, line):
        self.magics.append((name, line))


def test_launch_cell_is_one_pip_install_line():
    src = alc.launch_source(REPO)
    magics = [line.strip() for line in src.splitlines() if line.strip().startswith("%")]
    assert magics == [f'%pip install --quiet "xai_helpers @ git+{REPO}@{REF}"']
    assert "clone" not in src and "chdir" not in src and "-e" not in src.split()


def test_insertion_keeps_the_course_structure(tmp_path):
    path = _lesson(tmp_path)
    assert alc.process(path, REPO)
    nb = nbformat.read(path, as_version=4)
    title = nb.cells[0]
    assert (
        title.cell_type == "markdown"
        and title.source.startswith("# 07 ·")
        and "Learning goals" in title.source
    )
    assert alc.BADGE_MARK in title.source.split("\n")[1], "badges on the title cell's second line"
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    assert code[0].startswith(alc.CELL_MARK), "the launch cell is the first code cell"
    assert "xai_helpers.setup(" in code[1], "the setup cell is the second code cell"
    assert nb.cells[1] is _launch_cell(nb), "right after the title cell"
    nbformat.validate(nb)


def test_idempotent(tmp_path):
    path = _lesson(tmp_path)
    alc.process(path, REPO)
    once = path.read_text()
    assert not alc.process(path, REPO), "a second run changes nothing"
    assert path.read_text() == once
    nb = nbformat.read(path, as_version=4)
    assert nb.cells[0].source.count(alc.BADGE_MARK) == 1
    _launch_cell(nb)


def test_a_new_url_replaces_the_old_everywhere(tmp_path):
    path = _lesson(tmp_path)
    alc.process(path, REPO)
    alc.process(path, "https://github.com/someone/elsewhere")
    text = path.read_text()
    assert REPO.removeprefix("https://github.com/") not in text
    assert text.count("someone/elsewhere") == 3  # Colab badge, Binder badge, the cell's clone URL
    _launch_cell(nbformat.read(path, as_version=4))


def test_badges_use_the_pyproject_url_and_open_this_notebook(tmp_path):
    path = _lesson(tmp_path)
    alc.process(path, REPO)
    line = nbformat.read(path, as_version=4).cells[0].source.split("\n")[1]
    targets = re.findall(r"\]\((https://[^)]+)\)", line)
    slug = REPO.removeprefix("https://github.com/")
    assert [
        t
        for t in targets
        if t.startswith(f"https://colab.research.google.com/github/{slug}/blob/")
        and t.endswith("/notebooks/07_tiny.ipynb")
    ], targets
    assert [
        t
        for t in targets
        if t.startswith(f"https://mybinder.org/v2/gh/{slug}/")
        and t.endswith("notebooks%2F07_tiny.ipynb")
    ], targets


def test_launch_cell_does_nothing_off_colab(monkeypatch):
    ipython = _FakeIPython()
    calls = []
    for name in ("run", "call", "check_call", "check_output", "Popen"):
        monkeypatch.setattr(subprocess, name, lambda *a, **k: calls.append(a))
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    _run_launch_cell(alc.launch_source(REPO), ipython)
    assert calls == [] and ipython.magics == []


def test_launch_cell_on_colab_pip_installs_from_the_repository(monkeypatch):
    ipython = _FakeIPython()
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    _run_launch_cell(alc.launch_source(REPO), ipython)
    assert ipython.magics == [("pip", f'install --quiet "xai_helpers @ git+{REPO}@{REF}"')]


def test_notebook_without_code_gets_badges_only(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Index\nSome text.")]
    alc.add_launch_cells(nb, "index.ipynb", REPO)
    assert len(nb.cells) == 1 and alc.BADGE_MARK in nb.cells[0].source.split("\n")[1]
    assert nb.cells[0].source.split("\n")[2] == ""


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_course_notebooks_launch_cells_are_current(path):
    """Every notebook has its badges (and every lesson its Colab cell) as the tool writes them now:
    a deleted or
    stale launch cell fails (run the tool after changing the URL or the ref)."""
    nb = nbformat.read(path, as_version=4)
    assert alc.BADGE_MARK in nb.cells[0].source, (
        f"{path.name}: no badges under the title: run .venv/bin/python tools/add_launch_cells.py"
    )
    if any(c.cell_type == "code" for c in nb.cells):
        assert any(
            c.cell_type == "code" and c.source.startswith(alc.CELL_MARK) for c in nb.cells
        ), f"{path.name}: no Colab launch cell: run .venv/bin/python tools/add_launch_cells.py"
    assert not alc.process(path, REPO, write=False), (
        "out of date: run .venv/bin/python tools/add_launch_cells.py"
    )


def test_a_deleted_launch_cell_fails_the_check(tmp_path):
    """The check above on a copy of a course notebook whose launch cell was deleted: it fails."""
    lesson = next(p for p in NOTEBOOKS if p.name[:2].isdigit())
    nb = nbformat.read(lesson, as_version=4)
    nb.cells = [
        c for c in nb.cells if not (c.cell_type == "code" and c.source.startswith(alc.CELL_MARK))
    ]
    copy = tmp_path / lesson.name
    nbformat.write(nb, copy)
    with pytest.raises(AssertionError, match="no Colab launch cell"):
        test_course_notebooks_launch_cells_are_current(copy)
    assert alc.process(copy, REPO, write=False), "the tool would put the cell back"


def test_readme_generated_blocks_are_current():
    readme = (ROOT / "README.md").read_text()
    for name in alc.readme_blocks(REPO):
        assert (
            f"<!-- BEGIN generated: {name} " in readme
            and f"<!-- END generated: {name} -->" in readme
        ), name
    assert not alc.update_readme(ROOT / "README.md", REPO, write=False), (
        "out of date: run .venv/bin/python tools/add_launch_cells.py"
    )


def test_readme_blocks_are_filled_at_their_indentation(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(
        "# x\n1. item\n   <!-- BEGIN generated: nbgitpuller (note) -->\n   old\n   <!-- "
        "END generated: nbgitpuller -->\nend\n"
    )
    assert alc.update_readme(readme, "https://github.com/someone/elsewhere")
    text = readme.read_text()
    assert "old" not in text and text.endswith("   <!-- END generated: nbgitpuller -->\nend\n")
    assert (
        "   "
        "https://HUB.example.edu/hub/user-redirect/git-pull?repo=https%3A%2F%2Fgithub.com%2Fsomeone%2Felsewhere&"
        in text
    )
    assert not alc.update_readme(readme, "https://github.com/someone/elsewhere")
