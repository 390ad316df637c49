"""Time every slider of the course: run a notebook's cells, then move each control and time the update.

Runs each notebook's code cells in this process (matplotlib without a display), printing the cells
that took more than 0.5 s, records the panels that ``xai_helpers.widgets.interactive_panel`` builds,
then moves every control through a few values and prints the seconds each update took (the
figure drawing included) — the same ``update`` functions the notebooks wire to their sliders.

    .venv/bin/python benchmarks/bench_sliders.py [01 02 ...] [--skip update_cat]

Targets: ≤ 0.5 s per update on MNIST and monster models (≤ 0.3 s in notebook 03), ≤ 1.5 s with a
progress bar on the ImageNet model. ``--skip NAME`` leaves out the panel whose update function is NAME.
"""

from __future__ import annotations

import io
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


def notebook_path(key: str) -> Path:
    """``"01"`` → ``notebooks/01_*.ipynb``; a path is returned as it is."""
    if key.endswith(".ipynb"):
        return Path(key)
    matches = sorted((ROOT / "notebooks").glob(f"{key}_*.ipynb"))
    if not matches:
        raise SystemExit(f"no notebook notebooks/{key}_*.ipynb")
    return matches[0]


def render_and_close(*_args, **_kwargs) -> None:
    """What the notebook's inline backend does on ``plt.show()``: render every open figure to PNG."""
    for num in plt.get_fignums():
        plt.figure(num).savefig(io.BytesIO(), format="png")
    plt.close("all")


def run_notebook(path: Path) -> tuple[list, dict]:
    """Execute the notebook's code cells here; return the slider panels it built and its namespace."""
    panels = []
    original = widgets.interactive_panel

    def recording_panel(update, **controls):
        panel = original(update, **controls)
        panel.controls = controls
        panel.update_name = update.__name__
        panels.append(panel)
        return panel

    widgets.interactive_panel = recording_panel
    plt.show = render_and_close
    ns: dict = {"__name__": "__bench__"}
    try:
        nb = nbformat.read(path, as_version=4)
        t_all, cpu0 = time.perf_counter(), time.process_time()
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            t0 = time.perf_counter()
            exec(compile(cell.source, str(path), "exec"), ns)
            render_and_close()
            dt = time.perf_counter() - t0
            if dt > 0.5:
                print(f"  {dt:6.2f} s  {cell.source.splitlines()[0][:80]}")
        print(f"{path.name}: all cells ran in {time.perf_counter() - t_all:.1f} s (CPU {time.process_time() - cpu0:.1f} s)")
    finally:
        widgets.interactive_panel = original
    return panels, ns


def values_to_try(control) -> list:
    if hasattr(control, "options") and not hasattr(control, "max"):
        return [o[1] if isinstance(o, tuple) else o for o in control.options]
    lo, hi, v = control.min, control.max, control.value
    return sorted({lo, v, (lo + hi) // 2 if isinstance(v, int) else (lo + hi) / 2, hi} - {v}) + [v]


def bench(panel) -> list[float]:
    """Move every control of ``panel`` through a few values; print and return the update times."""
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
    return ts


def main(argv: list[str]) -> None:
    skip = {argv[i + 1] for i, a in enumerate(argv) if a == "--skip"}
    keys = [a for i, a in enumerate(argv) if a != "--skip" and (i == 0 or argv[i - 1] != "--skip")]
    keys = keys or sorted(p.name[:2] for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    for key in keys:
        panels, _ = run_notebook(notebook_path(key))
        for panel in panels:
            if panel.update_name in skip:
                print(f"  {panel.update_name}: skipped")
                continue
            bench(panel)


if __name__ == "__main__":
    main(sys.argv[1:])
