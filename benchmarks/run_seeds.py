"""Do the lesson checks hold beyond seed 0 and with one thread? (issue 11, item 7)

Runs every notebook top to bottom (nbclient, kernel ``xai-course``) once per condition:

* ``seed=k`` for each requested k: the notebook's ``xai_helpers.setup(...)`` call is rewritten in
  memory to ``xai_helpers.setup(seed=k)`` (the file on disk is not touched);
* ``deep=k`` (``--deep``): as ``seed=k``, and also every other seed the run would otherwise take as 0:
  every literal ``seed=n``, ``random_state=n``, ``manual_seed(n)`` and ``default_rng(n)`` in code cells
  becomes n + k (so seeds that differed still differ), and the default ``seed`` of every ``xai_helpers``
  function becomes k -- except those in
  ``FIXED``: the data sets and held-out splits the shipped checkpoints were trained on, and the training
  recipes (a different split would put test items in the training set). Most helpers default to
  ``seed=0``, so ``setup(seed=k)`` alone moves few of a notebook's random draws;
* ``threads=N`` (default N = 1): seed 0, with ``XAI_NUM_THREADS``, ``OMP_NUM_THREADS`` and
  ``MKL_NUM_THREADS`` set to N in the kernel's environment.

It prints one line per (notebook, condition) -- ``ok`` or ``FAILED`` with the failing cell's index,
the line that raised and the error message -- with the wall time and the number of torch threads
the kernel ended with, then a table. Not part of ``make test``: it takes minutes (about 20 s per
run on a quiet 2-core machine).

    python benchmarks/run_seeds.py                          # all notebooks, seeds 1 2 3, threads=1
    python benchmarks/run_seeds.py notebooks/05_*.ipynb --seeds 0 1 --threads 0   # no thread run
    python benchmarks/run_seeds.py --seeds --threads 2      # only a 2-thread run
    python benchmarks/run_seeds.py --save build/seeds       # keep the executed notebooks, to compare outputs
    python benchmarks/run_seeds.py --deep --threads 0       # seeds 1 2 3, helpers' default seeds too

Exit status 0 when every run passed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

ROOT = Path(__file__).resolve().parent.parent
SETUP_CALL = re.compile(r"xai_helpers\.setup\([^)]*\)")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
THREAD_VARS = ("XAI_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
# Appended to every run so the report says how many threads torch really used.
PROBE = "import torch as _t; print('__threads__', _t.get_num_threads())"
LITERAL_SEED = re.compile(r"\b(seed=|random_state=|manual_seed\(|default_rng\()(\d+)\b")
# Seeds that stay 0 under --deep: the fixed data and splits the checkpoints were trained on, and the recipes.
FIXED = ("data.load_mnist", "data.load_tabular", "monsters.make_monsters", "monsters.split_real_folders",
         "train.train_monster_cnn", "train.fit", "train.train_gan", "train.train_mnist_gan")
# Run in the kernel right after the setup cell under --deep: sets the default seed of the helpers to {k}.
PATCH = """
import importlib as _il, inspect as _in, pkgutil as _pk
import xai_helpers as _xh

def _set_seed_default(f, k):
    f = _in.unwrap(f)
    p = _in.signature(f).parameters.get("seed")
    if p is None or p.default != 0 or isinstance(p.default, bool):
        return False
    if p.kind is p.KEYWORD_ONLY:
        f.__kwdefaults__["seed"] = k
        return True
    pos = [q.name for q in _in.signature(f).parameters.values()
           if q.kind in (q.POSITIONAL_ONLY, q.POSITIONAL_OR_KEYWORD) and q.default is not q.empty]
    d = list(f.__defaults__)
    d[len(d) - len(pos) + pos.index("seed")] = k
    f.__defaults__ = tuple(d)
    return True

_patched = []
for _m in _pk.iter_modules(_xh.__path__):
    if _m.name.startswith("_") or _m.name in ("homework", "train"):
        continue
    _mod = _il.import_module("xai_helpers." + _m.name)
    for _name, _obj in vars(_mod).items():
        if getattr(_obj, "__module__", None) != _mod.__name__ or f"{_m.name}.{_name}" in {fixed}:
            continue
        _fs = [_obj] if _in.isfunction(_obj) else [v for v in vars(_obj).values() if _in.isfunction(v)] if _in.isclass(_obj) else []
        _patched += [f"{_m.name}.{_name}" for _f in _fs if _set_seed_default(_f, {k})]
print("default seed set to {k} in", len(set(_patched)), "helpers:", ", ".join(sorted(set(_patched))))
"""


def with_seed(nb: nbformat.NotebookNode, seed: int) -> nbformat.NotebookNode:
    """Return a copy of ``nb`` whose single ``xai_helpers.setup(...)`` call reads ``setup(seed=seed)``."""
    nb = nbformat.from_dict(nb)
    hits = [c for c in nb.cells if c.cell_type == "code" and SETUP_CALL.search(c.source)]
    n_calls = sum(len(SETUP_CALL.findall(c.source)) for c in hits)
    if n_calls != 1:
        raise RuntimeError(f"expected exactly one xai_helpers.setup(...) call, found {n_calls}")
    hits[0].source = SETUP_CALL.sub(f"xai_helpers.setup(seed={seed})", hits[0].source)
    return nb


@contextlib.contextmanager
def environ(**values: str):
    """Set environment variables for the kernel about to start; restore them afterwards."""
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def failure_detail(nb: nbformat.NotebookNode, exc: BaseException) -> tuple[int | None, str, str]:
    """(index of the failing cell, the source line that raised, 'Error: message')."""
    if isinstance(exc, CellTimeoutError):  # the cell did not fail, it ran past --timeout
        idx = next((i for i, c in enumerate(nb.cells) if c.cell_type == "code" and not c.get("outputs")
                    and c.get("execution_count") is None), None)
        for i, c in enumerate(nb.cells):  # an interrupted cell may carry a KeyboardInterrupt output
            if any(o.get("output_type") == "error" for o in c.get("outputs", [])):
                idx = i
        return idx, "", "CellTimeoutError: " + str(exc).splitlines()[0]
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                tb = [ANSI.sub("", t) for t in out.get("traceback", [])]
                # IPython marks the raising line of each frame with '---->'; the first frame is the cell.
                arrows = [ln for t in tb for ln in t.splitlines() if ln.lstrip().startswith("---->")]
                line = re.sub(r"^\s*---->\s*\d*\s*", "", arrows[0]) if arrows else ""
                return i, line.strip(), f"{out.get('ename')}: {out.get('evalue')}".strip()
    return None, "", f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"


def deepen(nb: nbformat.NotebookNode, seed: int) -> nbformat.NotebookNode:
    """Shift the literal seeds of ``nb``'s code cells by ``seed`` and patch the helpers' defaults to ``seed``."""
    nb = nbformat.from_dict(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = LITERAL_SEED.sub(lambda m: f"{m.group(1)}{int(m.group(2)) + seed}", cell.source)
    at = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and SETUP_CALL.search(c.source))
    patch = nbformat.v4.new_code_cell(PATCH.replace("{fixed}", repr(set(FIXED))).replace("{k}", str(seed)))
    patch.metadata["run_seeds_inserted"] = True  # not counted in the cell indices reported
    nb.cells.insert(at + 1, patch)
    return nb


def run_one(path: Path, seed: int, threads: int | None, timeout: int, save: Path | None = None,
            deep: bool = False) -> dict:
    nb = nbformat.read(path, as_version=4)
    nb = with_seed(deepen(nb, seed) if deep else nb, seed)
    nb.cells.append(nbformat.v4.new_code_cell(PROBE))
    env = {k: str(threads) for k in THREAD_VARS} if threads else {}
    client = NotebookClient(nb, timeout=timeout, kernel_name="xai-course",
                            resources={"metadata": {"path": str(path.parent)}})
    t0 = time.perf_counter()
    err = None
    with environ(**env):
        try:
            client.execute()
        except (CellExecutionError, CellTimeoutError, DeadKernelError, RuntimeError) as e:
            err = e
    wall = time.perf_counter() - t0
    if save is not None:
        tag = ("deep" if deep else "seed") + str(seed) + (f"_threads{threads}" if threads else "")
        nbformat.write(nb, save / f"{path.stem}.{tag}.ipynb")
    n_threads = None
    for out in nb.cells[-1].get("outputs", []):
        m = re.search(r"__threads__ (\d+)", out.get("text", ""))
        if m:
            n_threads = int(m.group(1))
    row = {"ok": err is None, "wall": wall, "threads": n_threads, "timeout": isinstance(err, CellTimeoutError)}
    if err is not None:
        row["cell"], row["line"], row["error"] = failure_detail(nb, err)
        if row["cell"] is not None:  # the index in the notebook on disk
            row["cell"] -= sum(bool(c.metadata.get("run_seeds_inserted")) for c in nb.cells[: row["cell"]])
    return row


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="*", help="default: notebooks/[0-9]*.ipynb")
    ap.add_argument("--seeds", nargs="*", type=int, default=[1, 2, 3], help="seeds to run (default 1 2 3)")
    ap.add_argument("--threads", type=int, default=1,
                    help="also run seed 0 with this many threads (default 1; 0 = skip)")
    ap.add_argument("--timeout", type=int, default=120, help="per-cell timeout in seconds (default 120)")
    ap.add_argument("--deep", action="store_true",
                    help="seed=k runs also vary the notebook's literal zero seeds and the helpers' default seeds")
    ap.add_argument("--save", type=Path, help="write each executed notebook (with outputs) into this folder")
    args = ap.parse_args(argv)
    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)

    paths = [Path(p).resolve() for p in args.notebooks] or sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
    conditions = [(f"{'deep' if args.deep else 'seed'}={s}", s, None) for s in args.seeds]
    if args.threads:
        conditions.append((f"threads={args.threads}", 0, args.threads))

    table: dict[tuple[str, str], dict] = {}
    t_all = time.perf_counter()
    for p in paths:
        for label, seed, threads in conditions:
            row = run_one(p, seed, threads, args.timeout, args.save, args.deep and threads is None)
            table[p.name, label] = row
            head = f"{p.name:34s} {label:10s} {row['wall']:6.1f} s  torch threads {row['threads']}"
            if row["ok"]:
                print(f"{head}  ok", flush=True)
            else:
                what = "TIMED OUT" if row["timeout"] else "FAILED"
                print(f"{head}  {what} in cell {row['cell']}\n    line : {row['line']}\n    error: {row['error']}",
                      flush=True)

    labels = [c[0] for c in conditions]
    print(f"\n{'notebook':34s} " + " ".join(f"{lab:>10s}" for lab in labels))
    for p in paths:
        cells = []
        for lab in labels:
            r = table[p.name, lab]
            cells.append("ok" if r["ok"] else f"{'TIMEOUT' if r['timeout'] else 'FAIL'}@{r['cell']}")
        print(f"{p.name:34s} " + " ".join(f"{c:>10s}" for c in cells))
    n_fail = sum(not r["ok"] for r in table.values())
    print(f"\n{len(table) - n_fail}/{len(table)} runs passed in {time.perf_counter() - t_all:.0f} s")
    return 0 if n_fail == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
