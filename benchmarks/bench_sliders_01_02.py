"""Time every slider update of notebooks 01 and 02 (the same ``update`` functions the notebooks wire up).

Runs each notebook's code cells (matplotlib without a display), records the panels that
``interactive_panel`` builds, then moves every control through a few values and prints the
seconds each update took (figure drawing included). Target: ≤ 0.5 s per update for the MNIST and
monster panels; the cat (ImageNet) panel shows a progress bar instead.

    .venv/bin/python benchmarks/bench_sliders_01_02.py [01|02 ...] [--cat]

``--cat`` also times the cat panel of notebook 01 (ImageNet model; seconds per update, with a
progress bar in the notebook).
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
NOTEBOOKS = {"01": "01_local_explanation.ipynb", "02": "02_pokemon_vs_digimon.ipynb"}


def run_notebook(path: Path) -> list:
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
        t0 = time.perf_counter()
        for cell in nb.cells:
            if cell.cell_type == "code":
                exec(compile(cell.source, str(path), "exec"), ns)
                plt.close("all")
        print(f"{path.name}: all cells ran in {time.perf_counter() - t0:.1f} s")
    finally:
        widgets.interactive_panel = original
    return panels


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


def main(argv: list[str]) -> None:
    with_cat = "--cat" in argv
    keys = [a for a in argv if a != "--cat"] or list(NOTEBOOKS)
    for key in keys:
        for panel in run_notebook(ROOT / "notebooks" / NOTEBOOKS[key]):
            if panel.update_name == "update_cat" and not with_cat:
                print("  update_cat: skipped (pass --cat to time it)")
                continue
            bench(panel)


if __name__ == "__main__":
    main(sys.argv[1:])
