"""Time every slider of the course: run a notebook, then move each control and time the update.

    python benchmarks/bench_sliders.py [01 02 ... | notebooks/NN_x.ipynb ...] [--skip UPDATE_NAME ...]

Each notebook runs with papermill (the course's one way of executing a notebook outside the browser, as
``benchmarks/run_notebooks.py``), with two cells added to an in-memory copy: one before the notebook's cells
that records every panel ``xai_helpers.widgets.interactive_panel`` builds, and one after them that moves every
control of every panel through a few values, in the same kernel, and reads the panel's own timings (each
update, its figure drawn). Prints each update's seconds and, per panel, the median and the maximum.

Targets (the course's standard): well under a second per update; <= 0.5 s on MNIST and monster models,
<= 1.5 s with a progress bar on the ImageNet model. ``--skip NAME`` leaves out the panel whose update
function is NAME. Timings on a loaded machine are upper bounds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

import nbformat
import papermill

ROOT = Path(__file__).resolve().parent.parent

RECORD = """\
import xai_helpers.widgets as _bench_widgets
_bench_panels, _bench_original_panel = [], _bench_widgets.interactive_panel
def _bench_recording_panel(update, **controls):
    panel = _bench_original_panel(update, **controls)
    _bench_panels.append((update.__name__, controls, panel))
    return panel
_bench_widgets.interactive_panel = _bench_recording_panel"""

MOVE = """\
import json as _bench_json
def _bench_values(control):
    if hasattr(control, "options") and not hasattr(control, "max"):
        if isinstance(control.options, dict):  # {label: value}
            return list(control.options.values())
        return [o[1] if isinstance(o, tuple) else o for o in control.options]
    if isinstance(control.value, str):  # a text box: one edit, then the original text back
        return [control.value + " really", control.value]
    lo, hi, v = control.min, control.max, control.value
    mid = (lo + hi) // 2 if isinstance(v, int) else (lo + hi) / 2
    return sorted({lo, mid, hi} - {v}) + [v]
_bench_report = []
for _name, _controls, _panel in _bench_panels:
    if _name in SKIP:
        continue
    for _key, _control in _controls.items():
        for _v in _bench_values(_control):
            _n = len(_panel.timings)
            _control.value = _v
            if len(_panel.timings) > _n:
                _bench_report.append((_name, _key, repr(_v), _panel.timings[-1]))
print("BENCH" + _bench_json.dumps(_bench_report))"""


def notebook_path(key: str) -> Path:
    """``"01"`` -> ``notebooks/01_*.ipynb``; a path is returned as it is."""
    if key.endswith(".ipynb"):
        return Path(key).resolve()
    matches = sorted((ROOT / "notebooks").glob(f"{key}_*.ipynb"))
    if not matches:
        raise SystemExit(f"no notebook notebooks/{key}_*.ipynb")
    return matches[0]


def slider_timings(
    path: Path, skip: set[str], timeout: float = 600
) -> list[tuple[str, str, str, float]]:
    """(update function, control, value, seconds) for every control moved in ``path``'s panels."""
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(RECORD))
    nb.cells.append(nbformat.v4.new_code_cell(f"SKIP = {sorted(skip)!r}\n" + MOVE))
    with tempfile.TemporaryDirectory(prefix="xai-sliders-") as tmp:
        src, out = Path(tmp) / path.name, Path(tmp) / f"out_{path.name}"
        nbformat.write(nb, src)
        done = papermill.execute_notebook(
            str(src),
            str(out),
            kernel_name="python3",
            cwd=str(path.parent),
            execution_timeout=timeout,
            progress_bar=False,
        )
    text = "".join(
        o.get("text", "") for o in done.cells[-1].outputs if o.get("output_type") == "stream"
    )
    return [tuple(r) for r in json.loads(text.split("BENCH", 1)[1])]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="*", help="keys (01) or paths; default: every lesson")
    ap.add_argument("--skip", nargs="*", default=[], help="update functions to leave out")
    args = ap.parse_args(argv)
    keys = args.notebooks or sorted(
        p.name[:2] for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")
    )
    for key in keys:
        path = notebook_path(key)
        rows = slider_timings(path, set(args.skip))
        print(f"{path.name}: {len(rows)} updates")
        by_panel: dict[str, list[float]] = {}
        for name, control, value, seconds in rows:
            print(f"    {name}: {control} = {value}: {seconds:.3f} s")
            by_panel.setdefault(name, []).append(seconds)
        for name, ts in by_panel.items():
            print(
                f"  {name}: {len(ts)} updates, median {statistics.median(ts):.3f} s, max {max(ts):.3f} s"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
