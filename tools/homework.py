"""Student copies of the notebooks: solutions between nbgrader's markers become stubs.

In a code cell, everything between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` is replaced by
``# YOUR CODE HERE`` and ``raise NotImplementedError()`` — nbgrader's own convention, so an
instructor can also grade the copies with nbgrader. Check cells (the asserts after an exercise)
are kept. Outputs are cleared.

Command line: ``python tools/homework.py notebooks build/student`` (``make student``).
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import nbformat

__all__ = ["BEGIN", "END", "strip_solutions", "make_student_notebook", "build_student_copies"]

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
_BLOCK = re.compile(r"^([ \t]*)### BEGIN SOLUTION[^\n]*\n.*?^[ \t]*### END SOLUTION[^\n]*(\n|$)", re.S | re.M)


def strip_solutions(source: str) -> str:
    """Replace each marked solution in a cell's source with an indented stub.

    Examples
    --------
    >>> print(strip_solutions("def f():\\n    ### BEGIN SOLUTION\\n    return 1\\n    ### END SOLUTION\\n"))
    def f():
        # YOUR CODE HERE
        raise NotImplementedError()
    <BLANKLINE>
    """
    n_begin, n_end = source.count(BEGIN), source.count(END)
    if n_begin != n_end:
        raise ValueError(f"unbalanced solution markers: {n_begin} '{BEGIN}' vs {n_end} '{END}'")

    def stub(m: re.Match) -> str:
        indent = m.group(1)
        return "\n".join(indent + line for line in _STUB.splitlines()) + m.group(2)

    out = _BLOCK.sub(stub, source)
    if BEGIN in out or END in out:
        raise ValueError("solution markers out of order (END before BEGIN)")
    return out


def make_student_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``nb`` with solutions stubbed and outputs cleared."""
    nb = nbformat.from_dict(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = strip_solutions(cell.source)
            cell.outputs = []
            cell.execution_count = None
    return nb


def build_student_copies(src: str | Path = "notebooks", dest: str | Path = "build/student") -> list[Path]:
    """Write a student copy of every notebook in ``src`` to ``dest``; returns the paths written."""
    src, dest = Path(src), Path(dest)
    notebooks = sorted(p for p in src.glob("*.ipynb"))
    if not notebooks:
        raise FileNotFoundError(f"no notebooks (*.ipynb) in {src}")
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for p in notebooks:
        nb = nbformat.read(p, as_version=4)
        out = dest / p.name
        nbformat.write(make_student_notebook(nb), out)
        written.append(out)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Build student copies of the course notebooks (solutions removed).")
    parser.add_argument("src", nargs="?", default="notebooks")
    parser.add_argument("dest", nargs="?", default="build/student")
    args = parser.parse_args(argv)
    for p in build_student_copies(args.src, args.dest):
        print(p)


if __name__ == "__main__":
    main()
