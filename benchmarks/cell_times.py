"""The slowest cells of every notebook: wall time and the kernel's CPU time per code cell.

Picks the nbval per-cell timeout (Makefile, ``--nbval-cell-timeout``) with evidence. Each notebook runs
top to bottom in a fresh kernel (nbclient, as ``make test`` runs it); for each code cell the wall time
and the CPU seconds the kernel process spent (all its threads) are recorded. CPU time barely depends on
what else runs on the machine; wall time does, so the load average is printed beside the results.

    python benchmarks/cell_times.py [notebooks/08_*.ipynb ...] [--top 3]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import nbformat
import psutil
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent


def cell_times(path: Path, timeout: float = 600) -> list[tuple[int, float, float, str]]:
    """``(code cell number as nbval counts them, wall s, kernel CPU s, first line)`` for every code cell of ``path``."""
    nb = nbformat.read(path, as_version=4)
    code_number = {i: n for n, i in enumerate(i for i, c in enumerate(nb.cells) if c.cell_type == "code")}  # as nbval counts
    rows: list[tuple[int, float, float, str]] = []
    state: dict = {}

    def cpu() -> float:
        t = state["kernel"].cpu_times()
        return t.user + t.system

    def before(cell, cell_index, **_):
        if "kernel" not in state:
            state["kernel"] = psutil.Process(client.km.provisioner.process.pid)
        state["t0"], state["c0"] = time.perf_counter(), cpu()

    def after(cell, cell_index, **_):
        first = next((line for line in cell.source.splitlines() if line.strip() and not line.startswith("#")), "")
        rows.append((code_number[cell_index], time.perf_counter() - state["t0"], cpu() - state["c0"], first[:60]))

    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}},
        on_cell_execute=before, on_cell_executed=after,
    )
    client.execute()
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="*", type=Path)
    ap.add_argument("--top", type=int, default=3, help="cells to list per notebook")
    args = ap.parse_args(argv)
    paths = [p.resolve() for p in args.notebooks] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    print(f"load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())} ({os.cpu_count()} CPUs)")
    worst: list[tuple[float, float, str]] = []
    for path in paths:
        t0 = time.perf_counter()
        rows = cell_times(path)
        total = time.perf_counter() - t0
        rows.sort(key=lambda r: -r[1])
        print(f"{path.name}: {len(rows)} code cells, {total:.1f} s wall in all; load {os.getloadavg()[0]:.1f}")
        for n, wall, cpu, first in rows[: args.top]:
            print(f"    Cell {n:3d}: {wall:6.1f} s wall, {cpu:6.1f} s CPU   {first}")
        if rows:
            worst.append((rows[0][1], rows[0][2], f"{path.name} Cell {rows[0][0]}"))
    if not worst:
        return 0
    wall, cpu, where = max(worst)
    print(f"slowest cell: {where}, {wall:.1f} s wall, {cpu:.1f} s CPU; load average at end: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
