"""Time notebooks 04 and 05: every code cell, the attack over the batch, and every slider update.

Runs each notebook's code cells in this process (matplotlib without a display), printing the
cells that took more than 0.5 s, records the panels that ``interactive_panel`` builds, then moves
every control through a few values and prints the seconds each update took (figure included).
Targets (issue 5): each notebook ≤ 60 s, the attack over the 50-digit batch ≤ 20 s, slider
updates ≤ 0.5 s.

    .venv/bin/python benchmarks/bench_04_05.py [04|05 ...]
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402

import xai_helpers.widgets as widgets  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = {"04": "04_inside_the_network.ipynb", "05": "05_attacking_explanations.ipynb"}


def run_notebook(path: Path) -> tuple[list, dict]:
    panels = []
    original = widgets.interactive_panel

    def recording_panel(update, **controls):
        panel = original(update, **controls)
        panel.controls = controls
        panel.update_name = update.__name__
        panels.append(panel)
        return panel

    widgets.interactive_panel = recording_panel
    plt.show = lambda *a, **k: plt.close("all")
    ns: dict = {"__name__": "__bench__"}
    try:
        nb = nbformat.read(path, as_version=4)
        t_all = time.perf_counter()
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            t0 = time.perf_counter()
            exec(compile(cell.source, str(path), "exec"), ns)
            plt.close("all")
            dt = time.perf_counter() - t0
            if dt > 0.5:
                print(f"  {dt:6.2f} s  {cell.source.splitlines()[0][:80]}")
        print(f"{path.name}: all cells ran in {time.perf_counter() - t_all:.1f} s (CPU {time.process_time():.1f} s in this process)")
    finally:
        widgets.interactive_panel = original
    return panels, ns


def values_to_try(control) -> list:
    if hasattr(control, "options") and not hasattr(control, "max"):
        return [o[1] if isinstance(o, tuple) else o for o in control.options]
    lo, hi, v = control.min, control.max, control.value
    return sorted({lo, v, (lo + hi) // 2 if isinstance(v, int) else (lo + hi) / 2, hi} - {v}) + [v]


def bench(panel) -> None:
    start = len(panel.timings)
    for name, control in panel.controls.items():
        original = control.value
        for v in values_to_try(control):
            t0 = len(panel.timings)
            control.value = v
            if len(panel.timings) > t0:
                print(f"    {panel.update_name}: {name} = {v!r}: {panel.timings[-1]:.3f} s")
        control.value = original
    ts = panel.timings[start:]
    if ts:
        print(f"  {panel.update_name}: {len(ts)} updates, median {statistics.median(ts):.3f} s, max {max(ts):.3f} s")


def bench_attack(ns: dict) -> None:
    from xai_helpers.attacks import topk_attack

    t0 = time.perf_counter()
    r = topk_attack(ns["model"], ns["x"], epsilon=0.1, steps=10)
    print(f"  attack over the batch ({len(ns['x'])} digits, ε = 0.1, 10 steps): {time.perf_counter() - t0:.2f} s, "
          f"top-k intersection {r.intersection.mean():.2f}, label kept {r.label_kept.float().mean():.0%}")


def main(argv: list[str]) -> None:
    for key in argv or list(NOTEBOOKS):
        panels, ns = run_notebook(ROOT / "notebooks" / NOTEBOOKS[key])
        if key == "05":
            bench_attack(ns)
        for panel in panels:
            bench(panel)


if __name__ == "__main__":
    main(sys.argv[1:])
