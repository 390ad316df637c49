"""Execute every notebook as a student would (Run All) and print its wall time and peak memory.

Budget (issue 2): each notebook ≤ 60 s and ≤ 2 GB peak on a 2-core CPU; the whole suite ≤ 5 min.

    python benchmarks/run_notebooks.py [notebooks/01_*.ipynb ...]

Each notebook runs in its own process tree; the peak is the largest resident set of that tree
(the kernel dominates), read from getrusage of the waited-for children.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNNER = r"""
import resource, subprocess, sys, time
t0 = time.perf_counter()
r = subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
                    "--ExecutePreprocessor.timeout=600", "--output-dir", sys.argv[2], sys.argv[1]],
                   capture_output=True, text=True)
wall = time.perf_counter() - t0
peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(f"{r.returncode} {wall:.2f} {peak_mb:.0f}")
if r.returncode:
    print(r.stderr[-3000:], file=sys.stderr)
"""


def run(path: Path, out_dir: Path) -> tuple[bool, float, float]:
    proc = subprocess.run([sys.executable, "-c", RUNNER, str(path), str(out_dir)], capture_output=True, text=True, cwd=path.parent)
    rc, wall, peak = proc.stdout.split()
    if int(rc):
        sys.stderr.write(proc.stderr)
    return int(rc) == 0, float(wall), float(peak)


def main(argv: list[str]) -> int:
    paths = [Path(p).resolve() for p in argv] or sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
    out_dir = ROOT / "build" / "executed"
    out_dir.mkdir(parents=True, exist_ok=True)
    rows, total, ok_all = [], 0.0, True
    print(f"{'notebook':40s} {'wall (s)':>9s} {'peak (MB)':>10s}  status")
    for p in paths:
        ok, wall, peak = run(p, out_dir)
        total += wall
        ok_all &= ok
        flag = "ok" if ok else "FAILED"
        if ok and (wall > 60 or peak > 2048):
            flag = "over budget (60 s / 2048 MB)"
        print(f"{p.name:40s} {wall:9.1f} {peak:10.0f}  {flag}", flush=True)
        rows.append({"notebook": p.name, "wall_s": round(wall, 1), "peak_mb": round(peak), "ok": ok})
    print(f"{'total':40s} {total:9.1f}  (budget 300 s)")
    (out_dir / "timings.json").write_text(json.dumps(rows, indent=1))
    return 0 if ok_all else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
