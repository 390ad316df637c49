"""Measure each lesson notebook's main path against the course's density budget.

The *main path* is every cell from the first numbered section (``## 1 ·``) up to the ``## Summary``
heading; header, setup, summary, exercises and the optional appendix are not counted.

Usage: ``python tools/notebook_budget.py [notebooks/NN_x.ipynb ...]`` prints one row per
notebook and exits 1 if one is over budget. Exercise words exclude nbgrader solution blocks.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent

MAX_CODE_CELLS = 20
MAX_CODE_LINES = 160
MAX_WORDS = 1250
MAX_CELL_LINES = 12
MAX_EXERCISE_WORDS = 650
MAX_APPENDIX_CELLS = 20
APPENDIX = ("## For the expert", "## Appendix")
SOLUTION = re.compile(r"### BEGIN SOLUTION.*?### END SOLUTION", re.S)


@dataclass
class Budget:
    """What a notebook's main path holds."""

    name: str
    code_cells: int
    code_lines: int
    words: int
    longest_cell: int
    exercise_words: int
    appendix_cells: int

    @property
    def minutes(self) -> int:
        """Reading-and-running estimate: 2 min per code cell plus 100 words a minute.

        Calibrated on expert readers' estimates of a student's time (main paths of 24 code cells
        and ~1,400 words took them 60-75 minutes to plan for).
        """
        return int(-(-(2.0 * self.code_cells + self.words / 100) // 1))

    def problems(self) -> list[str]:
        """Each way the notebook exceeds the budget, in words."""
        out = []
        if self.code_cells > MAX_CODE_CELLS:
            out.append(f"{self.code_cells} code cells > {MAX_CODE_CELLS}")
        if self.code_lines > MAX_CODE_LINES:
            out.append(f"{self.code_lines} code lines > {MAX_CODE_LINES}")
        if self.words > MAX_WORDS:
            out.append(f"{self.words} words > {MAX_WORDS}")
        if self.longest_cell > MAX_CELL_LINES:
            out.append(f"a code cell of {self.longest_cell} lines > {MAX_CELL_LINES}")
        if self.exercise_words > MAX_EXERCISE_WORDS:
            out.append(f"exercises of {self.exercise_words} words > {MAX_EXERCISE_WORDS}")
        if self.appendix_cells > MAX_APPENDIX_CELLS:
            out.append(f"appendix of {self.appendix_cells} cells > {MAX_APPENDIX_CELLS}")
        return out


def measure(path: Path) -> Budget:
    """Measure one notebook's main path (see the module docstring)."""
    nb = nbformat.read(path, as_version=4)
    cells = nb.cells
    heads = [(i, c.source) for i, c in enumerate(cells) if c.cell_type == "markdown"]
    start = next((i for i, s in heads if re.match(r"## 1\b", s)), None)
    end = next((i for i, s in heads if s.startswith("## Summary")), None)
    if start is None or end is None or end <= start:
        raise ValueError(f"{path.name}: needs a '## 1 ·' section before '## Summary'")
    appendix = next((i for i, s in heads if s.startswith(APPENDIX)), len(cells))
    exercises = next((i for i, s in heads if s.startswith("## Exercises")), None)
    if exercises is None:
        raise ValueError(f"{path.name}: needs an '## Exercises' section")
    main = cells[start:end]
    code = [c for c in main if c.cell_type == "code"]
    words = sum(len(c.source.split()) for c in main if c.cell_type == "markdown")
    lines = sum(len(c.source.splitlines()) for c in code)
    longest = max((len(c.source.splitlines()) for c in code), default=0)
    ex_words = sum(
        len(SOLUTION.sub("", c.source).split())
        for c in cells[exercises:appendix]
        if c.cell_type == "markdown"
    )
    return Budget(path.name, len(code), lines, words, longest, ex_words, len(cells) - appendix)


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    bad = 0
    print(f"{'notebook':34s} code lines words longest ex_words appendix minutes  problems")
    for p in paths:
        try:
            b = measure(p)
        except ValueError as err:
            bad += 1
            print(f"{p.name:34s} {err}")
            continue
        probs = b.problems()
        bad += bool(probs)
        print(
            f"{b.name:34s} {b.code_cells:4d} {b.code_lines:5d} {b.words:5d} {b.longest_cell:7d}"
            f" {b.exercise_words:8d} {b.appendix_cells:8d} {b.minutes:7d}  "
            + ("; ".join(probs) or "ok")
        )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
