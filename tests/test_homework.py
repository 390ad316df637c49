"""tools/homework.py: student copies without solutions (``make student``)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("homework", ROOT / "tools" / "homework.py")
homework = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(homework)

NOTEBOOKS = sorted(ROOT.joinpath("notebooks").glob("[0-9]*.ipynb"))


def test_strip_solutions_keeps_indentation_and_code_around():
    src = "x = 1\nif True:\n    ### BEGIN SOLUTION\n    y = 2\n    ### END SOLUTION\nprint(x)\n"
    out = homework.strip_solutions(src)
    assert "y = 2" not in out and "BEGIN SOLUTION" not in out
    assert "    # YOUR CODE HERE\n    raise NotImplementedError()\nprint(x)" in out
    assert out.startswith("x = 1\n")


def test_strip_solutions_errors_on_unbalanced_markers():
    with pytest.raises(ValueError, match="unbalanced"):
        homework.strip_solutions("### BEGIN SOLUTION\nx = 1\n")
    with pytest.raises(ValueError, match="out of order"):
        homework.strip_solutions("### END SOLUTION\nx = 1\n### BEGIN SOLUTION\n")


def test_build_student_copies(tmp_path):
    src = tmp_path / "nbs"
    src.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("### BEGIN SOLUTION in prose is left alone"),
        nbformat.v4.new_code_cell("### BEGIN SOLUTION\nanswer = 42\n### END SOLUTION"),
        nbformat.v4.new_code_cell("assert answer == 42"),
    ]
    nbformat.write(nb, src / "a.ipynb")
    written = homework.build_student_copies(src, tmp_path / "student")
    out = nbformat.read(written[0], as_version=4)
    assert "answer = 42" not in out.cells[1].source and "NotImplementedError" in out.cells[1].source
    assert out.cells[2].source == "assert answer == 42"
    with pytest.raises(FileNotFoundError, match="no notebooks"):
        homework.build_student_copies(tmp_path / "empty", tmp_path / "x")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_course_notebooks_have_exercises_that_strip_cleanly(path):
    nb = nbformat.read(path, as_version=4)
    solutions = [c.source for c in nb.cells if c.cell_type == "code" and homework.BEGIN in c.source]
    assert solutions, f"{path.name} has no exercise with a marked solution"
    student = homework.make_student_notebook(nb)
    for cell in student.cells:
        if cell.cell_type == "code":
            assert homework.BEGIN not in cell.source and homework.END not in cell.source
    # no line of any solution survives in the student copy
    student_code = "\n".join(c.source for c in student.cells if c.cell_type == "code")
    for sol in solutions:
        for block in sol.split(homework.BEGIN)[1:]:
            for line in block.split(homework.END)[0].splitlines()[1:]:
                if line.strip() and len(line.strip()) > 12:
                    assert line not in student_code.splitlines(), f"solution line survives in {path.name}: {line!r}"


def _parse(source: str):
    """A code cell's syntax tree, with IPython's ``%magic`` lines as IPython runs them."""
    import ast

    from IPython.core.inputtransformer2 import TransformerManager

    return ast.parse(TransformerManager().transform_cell(source))


def _assigned_names(source: str) -> set[str]:
    import ast

    names = set()
    for node in ast.walk(_parse(source)):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
    return names


def _used_names(source: str) -> set[str]:
    import ast

    return {n.id for n in ast.walk(_parse(source)) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_student_checks_fail_on_the_stubs(path):
    """In the student copy, every exercise's check cell depends on something only the solution provides:
    a name first bound in the solution cell (NameError on the stub), or a function whose body is the
    stub (NotImplementedError when the check calls it)."""
    nb = nbformat.read(path, as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    for i, src in enumerate(code):
        if homework.BEGIN not in src:
            continue
        checks = [c for c in code[i + 1 : i + 3] if re.search(r"^\s*assert\b", c, re.M)]
        assert checks, f"{path.name}: the exercise in code cell {i} has no check cell (with assert) right after it"
        before = set().union(*(_assigned_names(c) for c in code[:i])) if i else set()
        provided = _assigned_names(src) - before
        # a function defined around a stub also counts, even if the name existed before
        student_src = homework.strip_solutions(src)
        stubbed_functions = {n for n in _assigned_names(student_src) if f"def {n}(" in student_src and "NotImplementedError" in student_src}
        needed = _used_names(checks[0]) & (provided | stubbed_functions)
        assert needed, f"{path.name}: the check after code cell {i} uses nothing the solution provides, so it cannot fail on the stub"
