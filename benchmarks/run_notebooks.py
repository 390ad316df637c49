"""Run notebooks as a student would (Run All), the one way the course executes them outside the browser: papermill.

    python benchmarks/run_notebooks.py [NOTEBOOK ...] [--seeds 0 1 2 3] [--top 3] [--save DIR] [--timeout 600]

``make benchmark`` runs every notebook once (its own SEED) and prints its wall time, the kernel's peak memory
and its slowest cells; ``make seeds`` runs every notebook with ``SEED = 0, 1, 2, 3``: papermill's ``-p SEED k``
replaces the notebook's first code cell, tagged ``parameters`` (``SEED = 0``), and every seed in the notebook
derives from SEED, so a lesson check that holds only on seed 0 fails here. A notebook without a ``parameters``
cell runs only on its own seed (``no parameters cell``), never on a seed papermill could not set.

Each run is a fresh kernel (``python3``) in the notebook's folder, inside a child process whose waited-for
children are the kernel, so ``getrusage(RUSAGE_CHILDREN)`` gives the kernel's peak resident memory. Cell times
come from nbclient's ``record_timing`` (the ``execution`` timestamps of each cell's metadata). The notebook files
are never written to; ``--save DIR`` keeps the executed copies (``NN_name.seedK.ipynb``) to compare outputs.

Budget (the course's standard): each notebook <= 30 s on one thread and <= 1.5 GB peak. Timings on a shared
machine are upper bounds: the load average is printed beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent

# Runs in a child process: papermill executes the notebook; the kernel is the child's only waited-for child.
RUNNER = r"""
import json, resource, sys, time
import papermill
src, out, seed, timeout = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
error, t0 = None, time.perf_counter()
try:
    papermill.execute_notebook(src, out, parameters={"SEED": seed}, kernel_name="python3", cwd=sys.argv[5],
                               execution_timeout=timeout, progress_bar=False)
except papermill.PapermillExecutionError as e:
    error = {"cell": e.exec_count, "ename": e.ename, "evalue": e.evalue}
wall = time.perf_counter() - t0
print(json.dumps({"wall": wall, "peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, "error": error}))
"""


def has_parameters_cell(path: Path) -> bool:
    """Whether the notebook has a code cell tagged ``parameters`` (what papermill's ``-p`` replaces)."""
    nb = nbformat.read(path, as_version=4)
    return any(
        c.cell_type == "code" and "parameters" in c.metadata.get("tags", []) for c in nb.cells
    )


def cell_times(nb: nbformat.NotebookNode) -> list[tuple[float, int, str]]:
    """(seconds, code cell number, first line) per executed code cell, from nbclient's ``record_timing`` metadata."""
    times = []
    for i, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        ex = cell.metadata.get("execution", {})
        if "iopub.execute_input" in ex and "shell.execute_reply" in ex:
            start, end = (
                datetime.fromisoformat(ex[k].replace("Z", "+00:00"))
                for k in ("iopub.execute_input", "shell.execute_reply")
            )
            times.append(
                ((end - start).total_seconds(), i, (cell.source.splitlines() or [""])[0][:70])
            )
    return times


def run(path: Path, seed: int, out: Path, timeout: float = 600) -> dict:
    """Execute ``path`` with ``SEED = seed`` into ``out``; return wall time, peak memory, error and cell times."""
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            RUNNER,
            str(path),
            str(out),
            str(seed),
            str(timeout),
            str(path.parent),
        ],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0 or not proc.stdout.strip():
        return {
            "wall": float("nan"),
            "peak_mb": float("nan"),
            "error": {"cell": None, "ename": "runner", "evalue": proc.stderr[-600:]},
            "cells": [],
        }
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["cells"] = cell_times(nbformat.read(out, as_version=4)) if out.exists() else []
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/NN_*.ipynb")
    ap.add_argument(
        "--seeds",
        nargs="+",
        type=int,
        default=[0],
        help="SEED values (papermill -p SEED k); default 0",
    )
    ap.add_argument("--top", type=int, default=3, help="print the N slowest cells of each run")
    ap.add_argument("--save", type=Path, help="keep the executed notebooks in this folder")
    ap.add_argument("--timeout", type=float, default=600, help="seconds per cell")
    args = ap.parse_args(argv)
    paths = [p.resolve() for p in args.notebooks] or sorted(
        (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")
    )
    print(
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (timings on a loaded machine are upper bounds)"
    )
    failed = 0
    with tempfile.TemporaryDirectory(prefix="xai-run-") as tmp:
        out_dir = args.save or Path(tmp)
        out_dir.mkdir(parents=True, exist_ok=True)
        total = 0.0
        for path in paths:
            seeds = args.seeds if has_parameters_cell(path) else [0]
            for seed in seeds:
                r = run(path, seed, out_dir / f"{path.stem}.seed{seed}.ipynb", args.timeout)
                total += r["wall"] if r["wall"] == r["wall"] else 0.0
                e = r["error"]
                status = (
                    "ok"
                    if e is None
                    else f"FAILED at cell [{e['cell']}]: {e['ename']}: {e['evalue'].strip().splitlines()[-1] if e['evalue'].strip() else ''}"
                )
                note = "" if seeds == args.seeds else "  (no parameters cell: its own seed only)"
                print(
                    f"{path.name:42s} SEED={seed}  {r['wall']:6.1f} s  peak {r['peak_mb']:6.0f} MB  {status}{note}"
                )
                for dt, i, first in sorted(r["cells"], reverse=True)[: args.top]:
                    print(f"      {dt:6.2f} s  code cell {i:2d}: {first}")
                failed += e is not None
        print(
            f"{len(paths)} notebooks, {total:.0f} s in all; load average now {os.getloadavg()[0]:.1f}; {failed} run(s) failed"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
