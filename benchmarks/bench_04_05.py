"""Time notebooks 04 and 05: every code cell and every slider (via bench_sliders), and the attack over the batch.

Targets (issue 5): each notebook ≤ 60 s, the attack over the 50-digit batch ≤ 20 s, slider updates ≤ 0.5 s.

    .venv/bin/python benchmarks/bench_04_05.py [04|05 ...]
"""

from __future__ import annotations

import sys
import time

from bench_sliders import bench, notebook_path, run_notebook


def bench_attack(ns: dict) -> None:
    from xai_helpers.attacks import topk_attack

    t0 = time.perf_counter()
    r = topk_attack(ns["model"], ns["x"], epsilon=0.1, steps=10)
    print(f"  attack over the batch ({len(ns['x'])} digits, ε = 0.1, 10 steps): {time.perf_counter() - t0:.2f} s, "
          f"top-k intersection {r.intersection.mean():.2f}, label kept {r.label_kept.float().mean():.0%}")


def main(argv: list[str]) -> None:
    for key in argv or ["04", "05"]:
        panels, ns = run_notebook(notebook_path(key))
        if key == "05":
            bench_attack(ns)
        for panel in panels:
            bench(panel)


if __name__ == "__main__":
    main(sys.argv[1:])
