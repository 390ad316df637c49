"""Homework with nbgrader: metadata from the course's markers, and the student release.

The notebooks in ``notebooks/`` are the instructor's *source* version. Their exercises are written
with nbgrader's own delimiters plus two header lines, and this tool turns them into nbgrader's cell
metadata:

- a code cell with a ``### BEGIN SOLUTION`` … ``### END SOLUTION`` region is a **solution cell**
  (autograded by the check cell after it);
- a code cell whose first line is ``# Check exercise N (P points)`` is an **autograded test cell**
  worth ``P`` points; reference comparisons inside it go between ``### BEGIN HIDDEN TESTS`` and
  ``### END HIDDEN TESTS`` (removed from what students get, restored when grading);
- a markdown cell whose first line is ``**Answer to exercise N** (P points, graded by hand)`` is a
  **manually graded answer**; its model answer sits between the solution delimiters;
- every other cell is **locked** (read-only), so a student cannot delete or edit a check.

Like nbgrader, any line *containing* ``BEGIN SOLUTION`` (with any number of ``#``) is a delimiter,
so what this tool recognizes is exactly what nbgrader removes. A delimiter anywhere else (in a
locked cell, nested, unbalanced) is an error that names the notebook, the cell and the line.

``tools/clean_notebooks.py`` writes this metadata into every notebook it cleans, so it is generated
from the markers, never edited by hand, and it survives the cleaner.

The **student release** is built by nbgrader itself (``nbgrader generate_assignment``: solutions and
hidden tests removed, checksums added, so the copies can be collected and autograded), one
assignment per notebook:

    .venv/bin/python tools/homework.py release build/student       # make student
    .venv/bin/python tools/homework.py check build/student         # no solution, no hidden test
    left

``build/student/`` is the tree students get (the released notebooks, the package, the environment
files); it is what goes on the ``student`` branch that the badges, the Colab cell and the hub image
point to (``tools/homework.py publish`` commits it there).
"""

from __future__ import annotations

import argparse
import copy
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

import nbformat

__all__ = [
    "BEGIN_SOLUTION",
    "END_SOLUTION",
    "BEGIN_HIDDEN",
    "END_HIDDEN",
    "MarkerError",
    "regions",
    "nbgrader_metadata",
    "total_points",
    "student_notebook",
    "build_release",
    "check_release",
    "NBGRADER_CONFIG",
    "exercises",
    "exercise_table",
    "update_readme",
]

ROOT = Path(__file__).resolve().parent.parent
BEGIN_SOLUTION, END_SOLUTION = "BEGIN SOLUTION", "END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"
CHECK_RE = re.compile(r"^#\s*Check exercise\s+(\d+)\s*\((\d+(?:\.\d+)?)\s+points?\)\s*$")
ANSWER_RE = re.compile(
    r"^\*\*Answer to exercise\s+(\d+)\*\*\s*\((\d+(?:\.\d+)?)\s+points?,\s*graded by hand\)\s*$"
)
EXERCISE_RE = re.compile(r"\*\*Exercise\s+(\d+)\.?\*\*")
# What students get besides the released notebooks (no tests: they hold reference solutions for
# grading).
STUDENT_FILES = (
    "xai_helpers",
    "binder",
    "environment.yml",
    "requirements.txt",
    "pyproject.toml",
    "LICENSE",
    "data",
)

# nbgrader configuration the course needs (written into the course folder): the notebooks' slowest
# cells take seconds on a laptop but longer on a loaded grading machine, so the per-cell timeout is
# raised from 30 s.
NBGRADER_CONFIG = """\
c = get_config()
c.CourseDirectory.root = {root!r}
c.Execute.timeout = 300          # seconds per cell (nbgrader's default, 30 s, is too short on a loaded grader)
c.Execute.allow_errors = True    # a failing cell costs its points, not the whole notebook
c.ClearSolutions.code_stub = {{"python": "# YOUR CODE HERE\\nraise NotImplementedError()"}}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
"""


class MarkerError(ValueError):
    """A misplaced, nested or unbalanced exercise marker; the message says where."""


def _where(name: str, index: int, line: int | None = None) -> str:
    return f"{name or 'notebook'}, cell {index}" + (f", line {line}" if line is not None else "")


def regions(source: str, begin: str, end: str, where: str = "cell") -> list[tuple[int, int]]:
    """The (first, last) line numbers (1-based) of each ``begin`` … ``end`` region of ``source``.

    Any line containing ``begin`` (or ``end``) is a delimiter, as in nbgrader. Nested or unbalanced
    delimiters raise :class:`MarkerError` naming ``where`` and the line.

    Examples
    --------
    >>> regions("a\\n## BEGIN SOLUTION\\nb\\n## END SOLUTION", BEGIN_SOLUTION, END_SOLUTION)
    [(2, 4)]
    >>> regions("### END SOLUTION", BEGIN_SOLUTION, END_SOLUTION, "00.ipynb, cell 3")
    Traceback (most recent call last):
    ...
    homework.MarkerError: 00.ipynb, cell 3, line 1: 'END SOLUTION' without a 'BEGIN SOLUTION' before it
    """
    found, start = [], None
    for i, line in enumerate(source.split("\n"), start=1):
        if begin in line:
            if start is not None:
                raise MarkerError(
                    f"{where}, line {i}: '{begin}' inside the region opened on line {start}"
                )
            start = i
        elif end in line:
            if start is None:
                raise MarkerError(f"{where}, line {i}: '{end}' without a '{begin}' before it")
            found.append((start, i))
            start = None
    if start is not None:
        raise MarkerError(f"{where}, line {start}: '{begin}' is never closed by '{end}'")
    return found


def _meta(
    grade_id: str, *, grade: bool, solution: bool, locked: bool, points: float | None = None
) -> dict:
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if grade:
        meta["points"] = int(points) if float(points).is_integer() else float(points)
    return meta


def nbgrader_metadata(nb: nbformat.NotebookNode, name: str = "") -> nbformat.NotebookNode:
    """A copy of ``nb`` whose cells carry nbgrader's metadata, generated from the markers.

    Raises :class:`MarkerError` (with notebook, cell and line) for a solution region outside a
    solution cell or an answer cell, hidden tests outside a check cell, unbalanced or nested
    delimiters, and two cells with the same grade id.

    Examples
    --------
    >>> nb = nbformat.v4.new_notebook()
    >>> nb.cells = [nbformat.v4.new_markdown_cell("**Exercise 1** (2 points). Add."),
    ...             nbformat.v4.new_code_cell("### BEGIN SOLUTION\\ns = 1 + 1\\n### END SOLUTION"),
    ...             nbformat.v4.new_code_cell("# Check exercise 1 (2 points)\\nassert s == 2")]
    >>> [c.metadata["nbgrader"]["grade_id"] for c in nbgrader_metadata(nb).cells]
    ['cell-000', 'ex1-solution', 'ex1-check']
    >>> total_points(nbgrader_metadata(nb))
    2
    """
    nb = copy.deepcopy(nb)
    exercise, seen = None, {}
    for k, cell in enumerate(nb.cells):
        where = _where(name, k)
        src = cell.source
        first = src.split("\n", 1)[0].strip()
        sol = regions(src, BEGIN_SOLUTION, END_SOLUTION, where)
        hidden = regions(src, BEGIN_HIDDEN, END_HIDDEN, where)
        check = CHECK_RE.match(first) if cell.cell_type == "code" else None
        answer = ANSWER_RE.match(first) if cell.cell_type == "markdown" else None
        if cell.cell_type == "markdown":
            m = EXERCISE_RE.search(src)
            if m and not answer:
                exercise = int(m.group(1))
        if hidden and not check:
            raise MarkerError(
                f"{where}, line {hidden[0][0]}: hidden tests outside a check cell "
                "(its first line must be '# Check exercise N (P points)')"
            )
        if check:
            if sol:
                raise MarkerError(
                    f"{where}, line {sol[0][0]}: a check cell must not hold a solution region"
                )
            meta = _meta(
                f"ex{check.group(1)}-check",
                grade=True,
                solution=False,
                locked=True,
                points=float(check.group(2)),
            )
        elif answer:
            if not sol:
                raise MarkerError(
                    f"{where}: an answer cell needs its model answer between '### "
                    f"{BEGIN_SOLUTION}' "
                    f"and '### {END_SOLUTION}' lines"
                )
            meta = _meta(
                f"ex{answer.group(1)}-answer",
                grade=True,
                solution=True,
                locked=False,
                points=float(answer.group(2)),
            )
        elif sol:
            if cell.cell_type != "code":
                raise MarkerError(
                    f"{where}, line {sol[0][0]}: a solution region in a markdown cell that "
                    "is not an answer "
                    "cell (first line '**Answer to exercise N** (P points, graded by hand)')"
                )
            if exercise is None:
                raise MarkerError(f"{where}: a solution cell before any '**Exercise N**' statement")
            meta = _meta(f"ex{exercise}-solution", grade=False, solution=True, locked=False)
        else:
            meta = _meta(f"cell-{k:03d}", grade=False, solution=False, locked=True)
        gid = meta["grade_id"]
        if gid in seen:
            # several solution cells may belong to one exercise: number them
            if meta["solution"] and not meta["grade"]:
                n = sum(1 for g in seen if g.startswith(gid))
                meta["grade_id"] = gid = f"{gid}-{n + 1}"
            else:
                raise MarkerError(f"{where}: grade id {gid!r} repeats cell {seen[gid]}")
        seen[gid] = k
        cell.metadata["nbgrader"] = meta
    return nb


def total_points(nb: nbformat.NotebookNode) -> float:
    """The points of a notebook whose cells carry nbgrader metadata (autograded plus graded by
    hand)."""
    return sum(
        c.metadata.get("nbgrader", {}).get("points", 0)
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("grade")
    )


def student_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """What nbgrader's own preprocessors give students: solutions and hidden tests removed, outputs
    cleared.

    Uses nbgrader's ``ClearSolutions``, ``ClearHiddenTests`` and ``ClearOutput``, so it matches
    ``nbgrader generate_assignment`` except for the checksums (use :func:`build_release` for those).
    """
    from nbgrader.preprocessors import ClearHiddenTests, ClearOutput, ClearSolutions
    from traitlets.config import Config

    cfg = Config()
    cfg.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
    cfg.ClearSolutions.text_stub = "YOUR ANSWER HERE"
    nb = nbgrader_metadata(nb)
    resources: dict = {}
    for pre in (ClearSolutions(config=cfg), ClearHiddenTests(config=cfg), ClearOutput(config=cfg)):
        nb, resources = pre.preprocess(nb, resources)
    return nb


def _notebooks(src: Path) -> list[Path]:
    paths = sorted(p for p in Path(src).glob("[0-9]*.ipynb"))
    if not paths:
        raise FileNotFoundError(f"no course notebooks (NN_*.ipynb) in {src}")
    return paths


def make_course(course: Path, notebooks: Iterable[Path]) -> list[str]:
    """An nbgrader course folder at ``course``: config plus ``source/<stem>/<stem>.ipynb`` per
    notebook."""
    course.mkdir(parents=True, exist_ok=True)
    (course / "nbgrader_config.py").write_text(NBGRADER_CONFIG.format(root=str(course.resolve())))
    names = []
    for p in notebooks:
        nb = nbformat.read(p, as_version=4)
        dest = course / "source" / p.stem
        dest.mkdir(parents=True, exist_ok=True)
        nbformat.write(nbgrader_metadata(nb, p.name), dest / p.name)
        names.append(p.stem)
    return names


def nbgrader(course: Path, *args: str, timeout: float = 1800) -> subprocess.CompletedProcess:
    """Run the ``nbgrader`` command line inside ``course`` (raises with its output if it fails)."""
    bindir = Path(
        sys.executable
    ).parent  # nbgrader calls `alembic` and the kernel from PATH: use this environment's
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}"}
    exe = bindir / "nbgrader"
    cmd = [str(exe) if exe.exists() else "nbgrader", *args]
    res = subprocess.run(cmd, cwd=course, capture_output=True, text=True, timeout=timeout, env=env)
    if res.returncode != 0:
        raise RuntimeError(
            f"{' '.join(args)} failed "
            f"({res.returncode}):\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
        )
    return res


def build_release(dest: str | Path = "build/student", src: str | Path = ROOT / "notebooks") -> Path:
    """The student tree at ``dest``: nbgrader's released notebooks (with checksums) plus the
    package.

    Each notebook is its own nbgrader assignment; ``dest/notebooks/`` holds the released copies
    (what ``nbgrader release_assignment`` hands out), ``dest/`` the files in :data:`STUDENT_FILES`.
    """
    dest = Path(dest)
    notebooks = _notebooks(Path(src))
    with tempfile.TemporaryDirectory(prefix="xai-course-") as tmp:
        course = Path(tmp) / "course"
        names = make_course(course, notebooks)
        for name in names:
            nbgrader(course, "generate_assignment", name, "--force")
        if dest.exists():
            shutil.rmtree(dest)
        (dest / "notebooks").mkdir(parents=True)
        for name in names:
            shutil.copy2(
                course / "release" / name / f"{name}.ipynb", dest / "notebooks" / f"{name}.ipynb"
            )
    index = Path(src) / "index.ipynb"
    if index.exists():
        shutil.copy2(index, dest / "notebooks" / "index.ipynb")
    for item in STUDENT_FILES:
        path = ROOT / item
        if path.is_dir():
            shutil.copytree(
                path, dest / item, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
            )
        elif path.exists():
            shutil.copy2(path, dest / item)
    (dest / "README.md").write_text(STUDENT_README)
    return dest


STUDENT_README = """\
# Explainable ML, the course: student release

The notebooks in `notebooks/` are your homework: each exercise has a cell with `# YOUR CODE HERE` (or
`YOUR ANSWER HERE` for a written answer) and a check cell after it. The checks you see test the shape and the
obvious; your instructor grades with further tests. Install with `pip install -r requirements.txt && pip
install -e .`, then open `notebooks/index.ipynb` in JupyterLab.
"""


def check_release(dest: str | Path) -> list[str]:
    """Problems in a student tree: any solution or hidden test left, or a notebook nbgrader cannot
    grade.

    Returns a list of messages (empty when the release is clean).
    """
    dest = Path(dest)
    problems = []
    for path in sorted(dest.rglob("*")):
        if not path.is_file() or path.suffix not in {
            ".ipynb",
            ".py",
            ".md",
            ".txt",
            ".yml",
            ".toml",
            ".cfg",
        }:
            continue
        text = path.read_text(errors="replace")
        for marker in (BEGIN_SOLUTION, END_SOLUTION, BEGIN_HIDDEN, END_HIDDEN):
            if marker in text and path.suffix == ".ipynb":
                problems.append(f"{path.relative_to(dest)}: contains {marker!r}")
    for path in sorted((dest / "notebooks").glob("[0-9]*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        graded = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
        if not graded:
            problems.append(f"{path.name}: no graded cell (nbgrader would score it 0/0)")
        for c in graded:
            if "checksum" not in c.metadata["nbgrader"]:
                problems.append(
                    f"{path.name}: graded cell {c.metadata['nbgrader']['grade_id']} has no checksum"
                )
    return problems


def publish(dest: str | Path, branch: str = "student") -> str:
    """Commit the student tree ``dest`` as the whole content of ``branch`` (created if missing);
    returns the commit."""
    dest = Path(dest).resolve()
    problems = check_release(dest)
    if problems:
        raise RuntimeError("refusing to publish a release with problems:\n" + "\n".join(problems))
    with tempfile.TemporaryDirectory(prefix="xai-student-") as tmp:
        wt = Path(tmp) / "wt"
        exists = (
            subprocess.run(
                ["git", "rev-parse", "--verify", "--quiet", branch], cwd=ROOT, capture_output=True
            ).returncode
            == 0
        )
        if exists:
            subprocess.run(
                ["git", "worktree", "add", str(wt), branch],
                cwd=ROOT,
                check=True,
                capture_output=True,
            )
        else:
            subprocess.run(
                ["git", "worktree", "add", "--detach", str(wt)],
                cwd=ROOT,
                check=True,
                capture_output=True,
            )
            subprocess.run(
                ["git", "checkout", "--orphan", branch], cwd=wt, check=True, capture_output=True
            )
        try:
            subprocess.run(
                ["git", "rm", "-rqf", "--ignore-unmatch", "."],
                cwd=wt,
                check=True,
                capture_output=True,
            )
            shutil.copytree(dest, wt, dirs_exist_ok=True)
            subprocess.run(["git", "add", "-A"], cwd=wt, check=True)
            subprocess.run(["git", "commit", "-qm", "Student release"], cwd=wt, check=True)
            return subprocess.run(
                ["git", "rev-parse", "HEAD"], cwd=wt, check=True, capture_output=True, text=True
            ).stdout.strip()
        finally:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(wt)], cwd=ROOT, capture_output=True
            )


def exercises(nb: nbformat.NotebookNode, name: str = "") -> list[tuple[int, str, float, bool]]:
    """``(N, first sentence of the statement, points, graded by hand?)`` for each exercise of
    ``nb``."""
    nb = nbgrader_metadata(nb, name)
    statements: dict[int, str] = {}
    points: dict[int, float] = {}
    by_hand: set[int] = set()
    for cell in nb.cells:
        meta = cell.metadata["nbgrader"]
        if cell.cell_type == "markdown" and not meta["grade"]:
            m = EXERCISE_RE.search(cell.source)
            if m:
                rest = cell.source[m.end() :]
                rest = (
                    re.sub(r"^\s*\(\d+(?:\.\d+)?\s+points?[^)]*\)\.?\s*", "", rest)
                    .strip()
                    .replace("\n", " ")
                )
                statements[int(m.group(1))] = re.split(r"(?<=[.?!:])\s", rest, maxsplit=1)[0]
        if meta["grade"]:
            n = int(meta["grade_id"][2:].split("-")[0])
            points[n] = points.get(n, 0) + meta["points"]
            if meta["solution"]:
                by_hand.add(n)
    return [
        (n, statements.get(n, ""), points.get(n, 0), n in by_hand)
        for n in sorted(set(statements) | set(points))
    ]


def exercise_table(paths: Iterable[Path]) -> str:
    """The README's table of exercises, generated from the notebooks."""
    lines = ["| notebook | exercise | points |", "|---|---|---|"]
    for p in paths:
        for n, text, pts, hand in exercises(nbformat.read(p, as_version=4), p.name):
            lines.append(
                f"| {p.name[:2]} | {n}. {text}{' *(graded by hand)*' if hand else ''} | {pts:g} |"
            )
    return "\n".join(lines)


README_BLOCK = re.compile(
    r"(<!-- BEGIN generated: exercises[^\n]*-->\n).*?(<!-- END generated: exercises -->)", re.S
)


def update_readme(readme: Path = ROOT / "README.md", src: Path = ROOT / "notebooks") -> bool:
    """Rewrite the README's generated exercise table; returns whether it changed."""
    text = readme.read_text()
    new = README_BLOCK.sub(
        lambda m: m.group(1) + exercise_table(_notebooks(src)) + "\n" + m.group(2), text
    )
    if new != text:
        readme.write_text(new)
    return new != text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="nbgrader homework: metadata from markers, the student release."
    )
    sub = parser.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("release", help="build the student tree with nbgrader generate_assignment")
    r.add_argument("dest", nargs="?", default="build/student")
    r.add_argument("--src", default=str(ROOT / "notebooks"))
    c = sub.add_parser("check", help="fail if a student tree holds a solution or hidden test")
    c.add_argument("dest", nargs="?", default="build/student")
    k = sub.add_parser(
        "course", help="write an nbgrader course folder (config with the raised timeout, source/)"
    )
    k.add_argument("dest", nargs="?", default="course")
    k.add_argument("--src", default=str(ROOT / "notebooks"))
    sub.add_parser(
        "exercise-table", help="rewrite the README's table of exercises from the notebooks"
    )
    p = sub.add_parser("publish", help="commit a checked student tree to the student branch")
    p.add_argument("dest", nargs="?", default="build/student")
    p.add_argument("--branch", default="student")
    args = parser.parse_args(argv)
    if args.cmd == "release":
        dest = build_release(args.dest, args.src)
        problems = check_release(dest)
        print(f"wrote {dest}" + ("" if not problems else "\n" + "\n".join(problems)))
        return 1 if problems else 0
    if args.cmd == "check":
        problems = check_release(args.dest)
        print(
            "\n".join(problems)
            or f"{args.dest}: no solution or hidden test; every graded cell has a checksum"
        )
        return 1 if problems else 0
    if args.cmd == "course":
        names = make_course(Path(args.dest), _notebooks(Path(args.src)))
        print(f"wrote {args.dest}/nbgrader_config.py and source/ for: {', '.join(names)}")
        return 0
    if args.cmd == "exercise-table":
        print("README.md updated" if update_readme() else "README.md already up to date")
        return 0
    print(publish(args.dest, args.branch))
    return 0


if __name__ == "__main__":
    sys.exit(main())
