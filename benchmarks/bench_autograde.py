"""The instructor's whole nbgrader workflow on this machine, timed: autograding per student for every notebook.

Runs, in a temporary course folder with a local exchange (a folder standing in for the hub's shared
volume), every step an instructor runs on the hub:

    generate_assignment -> release_assignment -> (student) fetch_assignment -> solve -> submit
    -> collect -> autograde -> generate_feedback -> release_feedback -> (student) fetch_feedback

The "student" is the current Unix user; their solutions are the source notebooks' (so every autograded
point is earned, which makes autograding as slow as it gets: every cell runs). Prints the autograding wall
time and the score of each notebook, and the total per student; the README quotes it.

    .venv/bin/python benchmarks/bench_autograde.py [--notebooks 00 02 ...] [--jobs 2] [--keep DIR]

Each notebook is its own assignment in its own course folder, so ``--jobs 2`` grades two at a time (each kernel
uses one thread; an instructor does the same by autograding two assignments at once).

Budget (issue 16): under 3 minutes per student for all nine notebooks on 2 cores.
"""

from __future__ import annotations

import argparse
import getpass
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import homework  # noqa: E402


def grade_one(path: Path, tmp: Path) -> tuple[str, float, float, float, bool, int]:
    """The whole workflow for one notebook in its own course folder, exchange and student home."""
    course, exchange, home = tmp / path.stem / "course", tmp / path.stem / "exchange", tmp / path.stem / "student"
    exchange.mkdir(parents=True, exist_ok=True)
    home.mkdir(parents=True, exist_ok=True)
    os.chmod(exchange, 0o777)
    (name,) = homework.make_course(course, [path])
    with open(course / "nbgrader_config.py", "a") as f:
        f.write(f"c.Exchange.root = {str(exchange)!r}\nc.CourseDirectory.course_id = 'xai-course'\n")
    cfg = ["--Exchange.root=" + str(exchange), "--CourseDirectory.course_id=xai-course"]
    me = getpass.getuser()
    homework.nbgrader(course, "db", "student", "add", me)
    homework.nbgrader(course, "db", "assignment", "add", name, "--duedate=2026-12-31 23:59:00 UTC")
    homework.nbgrader(course, "generate_assignment", name, "--force")
    homework.nbgrader(course, "release_assignment", name, "--force")
    homework.nbgrader(home, "fetch_assignment", name, *cfg)
    # the student solves it: here, the instructor's source (solutions in), with the release's metadata
    shutil.copy2(course / "source" / name / f"{name}.ipynb", home / name / f"{name}.ipynb")
    homework.nbgrader(home, "submit", name, *cfg)
    homework.nbgrader(course, "collect", name, "--update")
    t0 = time.perf_counter()
    homework.nbgrader(course, "autograde", name, "--force")
    seconds = time.perf_counter() - t0
    homework.nbgrader(course, "generate_feedback", name, "--force")
    homework.nbgrader(course, "release_feedback", name)
    homework.nbgrader(home, "fetch_feedback", name, *cfg)
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course}/gradebook.db") as gb:
        sub = gb.find_submission(name, me)
        score, max_score, manual = sub.score, sub.max_score, sub.needs_manual_grade
    feedback = list((home / name / "feedback").rglob("*.html"))
    return name, seconds, score, max_score, manual, len(feedback)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebooks", nargs="*", help="notebook number prefixes (default: all)")
    parser.add_argument("--jobs", type=int, default=1,
                        help="notebooks autograded at the same time (each kernel uses one thread: 2 on a 2-core grader)")
    parser.add_argument("--keep", help="keep the course folders here instead of a temporary one")
    args = parser.parse_args(argv)
    paths = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
    if args.notebooks:
        paths = [p for p in paths if any(p.name.startswith(n) for n in args.notebooks)]
    tmp = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="xai-grading-"))
    if tmp.exists() and args.keep:
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    total = 0.0
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for name, seconds, score, max_score, manual, n_feedback in pool.map(lambda p: grade_one(p, tmp), paths):
            total += seconds
            print(f"{name:32s} autograde {seconds:6.1f} s  score {score:g}/{max_score:g}  manual grading pending: {manual}  "
                  f"feedback pages fetched: {n_feedback}", flush=True)
    wall = time.perf_counter() - start
    print(f"all notebooks, one student: autograde {total:.1f} s summed ({total / 60:.1f} min); {args.jobs} at a time; "
          f"whole workflow {wall:.0f} s wall; os.cpu_count() = {os.cpu_count()}, load {os.getloadavg()[0]:.1f}")
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
