"""Thread pools under competition (issue 18): each notebook alone and beside a CPU-heavy process.

    python benchmarks/bench_threads.py                      # every notebook: 4 runs each
    python benchmarks/bench_threads.py notebooks/05_*.ipynb # a subset
    python benchmarks/bench_threads.py --kernels            # 1 thread vs the default at the spots that used to pin one
    python benchmarks/bench_threads.py --import-rss /tmp/cpu-venv/bin/python  # torch import cost, two builds

For every notebook it runs four times (Run All, as a student would):

* alone, with the thread count ``setup()`` chooses (``default``) and with ``XAI_NUM_THREADS=1``;
* beside a competitor: another process multiplying matrices with torch's default thread pool
  (what a second notebook, or any numerical job, does), again with ``default`` and ``1``.

It prints wall times, the slow-down under competition (goal: at most 2.5x) and the kernel's peak
resident memory. Run it on an otherwise quiet machine: the competitor is the only load it accounts for.

``--import-rss PYTHON`` prints the resident memory of ``import torch`` in this interpreter and in
``PYTHON`` (e.g. a scratch environment with the CPU build of torch), and so estimates a notebook's peak
on Binder (which installs the CPU build) as: peak here - (import cost here - import cost there).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_notebooks import ROOT, RUNNER  # noqa: E402

GOAL = 2.5
COMPETITOR = """
import torch
a = torch.randn(768, 768)
while True:
    a = torch.tanh(a @ a.T / 768)
"""
IMPORT_RSS = (
    "import resource; base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss;"
    "import torch; t = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss;"
    "print(torch.__version__, base // 1024, t // 1024)"
)


def _env(threads: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"XAI_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"}}
    if threads is not None:
        env["XAI_NUM_THREADS"] = threads
    return env


def run(path: Path, out_dir: Path, timeout: int) -> tuple[bool, float, float]:
    """run_notebooks.run with a per-cell timeout: (ok, wall seconds, peak MB of the kernel's process tree)."""
    runner = RUNNER.replace("--ExecutePreprocessor.timeout=600", f"--ExecutePreprocessor.timeout={timeout}")
    proc = subprocess.run([sys.executable, "-c", runner, str(path), str(out_dir)], capture_output=True, text=True, cwd=path.parent)
    rc, wall, peak = proc.stdout.split()
    if int(rc):
        sys.stderr.write(proc.stderr[-2000:])
    return int(rc) == 0, float(wall), float(peak)


def run_with(path: Path, out_dir: Path, threads: str | None, competitor: bool, timeout: int = 300) -> tuple[bool, float, float]:
    """Run one notebook (``threads`` None: setup()'s choice), optionally beside a competing process."""
    hog = None
    if competitor:
        hog = subprocess.Popen([sys.executable, "-c", COMPETITOR], env=_env(None), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(2.0)  # let it import torch and start spinning
    saved = dict(os.environ)
    try:
        os.environ.clear()
        os.environ.update(_env(threads))
        return run(path, out_dir, timeout)
    finally:
        os.environ.clear()
        os.environ.update(saved)
        if hog is not None:
            hog.kill()
            hog.wait()


def notebooks(paths: list[Path], timeout: int = 300) -> int:
    out_dir = ROOT / "build" / "bench_threads"
    out_dir.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(ROOT))
    from xai_helpers._runtime import choose_num_threads

    n, why = choose_num_threads(_env(None))
    print(f"default = what setup() chooses here: {n} threads ({why}); competitor: torch matmul loop, torch's default pool")
    head = f"{'notebook':34s} {'alone':>7s} {'alone 1t':>8s} {'busy':>7s} {'busy 1t':>8s} {'busy/alone':>10s} {'busy 1t/alone 1t':>16s} {'peak MB':>8s}"
    print(head)
    worst, ok_all = 0.0, True
    for p in paths:
        runs = {(t, c): run_with(p, out_dir, t, c, timeout) for c in (False, True) for t in (None, "1")}
        ok_all &= all(ok for ok, _, _ in runs.values())
        wall = {k: w for k, (_, w, _) in runs.items()}
        peak = max(m for _, _, m in runs.values())
        r_def, r_one = wall[(None, True)] / wall[(None, False)], wall[("1", True)] / wall[("1", False)]
        worst = max(worst, r_def)
        flag = "" if all(ok for ok, _, _ in runs.values()) else "  FAILED"
        print(
            f"{p.name:34s} {wall[(None, False)]:7.1f} {wall[('1', False)]:8.1f} {wall[(None, True)]:7.1f} {wall[('1', True)]:8.1f}"
            f" {r_def:9.2f}x {r_one:15.2f}x {peak:8.0f}{flag}",
            flush=True,
        )
    print(f"worst slow-down with the default threads: {worst:.2f}x (goal <= {GOAL}x): {'met' if worst <= GOAL else 'NOT met'}")
    return 0 if ok_all else 1


def kernels(repeats: int = 3) -> None:
    """Time the three spots that used to force one thread, with 1 thread and with setup()'s default (min of repeats)."""
    sys.path.insert(0, str(ROOT))
    import torch

    from xai_helpers import plotting, representations
    from xai_helpers._runtime import choose_num_threads, set_num_threads
    from xai_helpers.data import load_mnist
    from xai_helpers.models import MonsterCNN

    n, why = choose_num_threads()
    X = load_mnist().X_test[:1000].flatten(1).numpy()
    y = load_mnist().y_test[:1000].numpy()
    model, image = MonsterCNN().eval(), torch.rand(3, 48, 48)
    jobs = {
        "t-SNE, 1000 x 784 (04)": lambda: representations.project(X, "tsne", 30),
        "linear probe, 1000 x 784 (04)": lambda: representations.linear_probe(X[:800], y[:800], X[800:], y[800:]),
        "explain_one, one 48x48 image (02)": lambda: plotting.explain_one(model, image),
    }
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    print(f"default: {n} threads ({why}); min of {repeats} runs, 1 thread and the default interleaved")
    print(f"{'kernel':36s} {'1 thread (s)':>12s} {f'{n} threads (s)':>13s} {'1t / default':>12s}")
    for name, job in jobs.items():
        best = {1: float("inf"), n: float("inf")}
        for _ in range(repeats):
            for t in (1, n):
                set_num_threads(t)
                t0 = time.perf_counter()
                job()
                best[t] = min(best[t], time.perf_counter() - t0)
                plt.close("all")
        print(f"{name:36s} {best[1]:12.3f} {best[n]:13.3f} {best[1] / best[n]:11.2f}x", flush=True)


def import_rss(other_python: str | None) -> None:
    """Resident memory (MB) of a bare interpreter and after ``import torch``, here and in ``other_python``."""
    for py in [sys.executable] + ([other_python] if other_python else []):
        version, base, after = subprocess.run([py, "-c", IMPORT_RSS], capture_output=True, text=True, check=True).stdout.split()
        print(f"torch {version:16s} python alone {base:>5s} MB, after import torch {after:>5s} MB (+{int(after) - int(base)} MB)  [{py}]")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*", help="default: every notebook")
    parser.add_argument("--timeout", type=int, default=300, help="per-cell timeout in seconds (a stall fails the run; issue 17)")
    parser.add_argument("--kernels", action="store_true", help="time 1 thread vs the default at the former one-thread spots")
    parser.add_argument("--import-rss", metavar="PYTHON", nargs="?", const="", default=None, help="torch import cost here and in PYTHON")
    args = parser.parse_args(argv)
    if args.kernels:
        kernels()
        return 0
    if args.import_rss is not None:
        import_rss(args.import_rss or None)
        return 0
    paths = [Path(p).resolve() for p in args.notebooks] or sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
    return notebooks(paths, args.timeout)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
