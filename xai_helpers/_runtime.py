"""Reproducibility and plot style: :func:`setup`, the one call every notebook starts with.

A leaf module: seeding, the device, the thread pools, the plot style, the cache folder, and the
IPython hook that shows figures a cell left open. It imports torch, numpy and
:mod:`xai_helpers.validation` only.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import os
import random
import sys
import types
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import torch
from threadpoolctl import threadpool_limits

from .validation import check_int, check_seed

__all__ = [
    "setup",
    "get_device",
    "seed_everything",
    "choose_num_threads",
    "set_num_threads",
    "DEFAULT_THREADS",
    "THREADS_ENV",
    "POOL_ENV",
    "cache_dir",
    "replaced_everywhere",
    "COURSE_CMAP",
    "COURSE_DIVERGING_CMAP",
]

#: Sequential colour map for attributions (perceptually uniform, colour-blind safe).
COURSE_CMAP = "viridis"


#: Diverging colour map for signed attributions (blue = negative, red = positive; colour-blind
#: safe).
COURSE_DIVERGING_CMAP = "RdBu_r"


def get_device(prefer: str | None = None) -> torch.device:
    """Return the device the course computes on: CUDA when present, else the CPU.

    Parameters
    ----------
    prefer : str, optional
        ``"cpu"`` or ``"cuda"`` to force a device; ``None`` picks CUDA when available.
        The environment variable ``XAI_DEVICE`` overrides the automatic choice.

    Examples
    --------
    >>> get_device("cpu")
    device(type='cpu')
    """
    choice = prefer or os.environ.get("XAI_DEVICE")
    if choice is None:
        choice = "cuda" if torch.cuda.is_available() else "cpu"
    if choice not in {"cpu", "cuda"}:
        raise ValueError(f"device must be 'cpu' or 'cuda', got {choice!r}")
    if choice == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' was asked for but torch sees no CUDA device")
    return torch.device(choice)


def seed_everything(seed: int = 0) -> None:
    """Seed Python's, NumPy's and torch's random generators."""
    seed = check_seed(seed)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


#: Environment variable that overrides the thread count :func:`setup` chooses.
THREADS_ENV = "XAI_NUM_THREADS"
#: The thread count :func:`setup` uses unless ``XAI_NUM_THREADS`` says otherwise. Measured with
#: ``benchmarks/bench_threads.py`` (now in the history) on a 2-core CPU (README, *Threads*): alone,
#: one thread ran the nine notebooks as fast as two (122 s against 151 s in all; one thread faster
#: on 5 of 9), and beside a CPU-heavy process one thread was 1.07-1.57x slower than alone, two
#: threads 1.33-8.3x (threads that wait for each other at every parallel region lose a lot when
#: another process holds a core).
DEFAULT_THREADS = 1


def choose_num_threads(environ: dict[str, str] | None = None) -> tuple[int, str]:
    """The thread count the course uses, and why: ``XAI_NUM_THREADS`` if set, else
    :data:`DEFAULT_THREADS`.

    Returns
    -------
    (int, str)
        The thread count and a short reason.

    Examples
    --------
    >>> choose_num_threads({"XAI_NUM_THREADS": "3"})
    (3, 'XAI_NUM_THREADS=3')
    >>> choose_num_threads({})
    (1, 'the course default; XAI_NUM_THREADS=N for more')
    >>> choose_num_threads({"XAI_NUM_THREADS": "two"})
    Traceback (most recent call last):
    ...
    ValueError: XAI_NUM_THREADS must be a positive integer (a thread count), got 'two'
    """
    environ = os.environ if environ is None else environ
    raw = environ.get(THREADS_ENV, "").strip()
    if raw == "":
        return DEFAULT_THREADS, f"the course default; {THREADS_ENV}=N for more"
    try:
        n = int(raw)
    except ValueError:
        n = 0
    if n < 1:
        raise ValueError(
            f"{THREADS_ENV} must be a positive integer (a thread count), got "
            f"{environ[THREADS_ENV]!r}"
        )
    return n, f"{THREADS_ENV}={n}"


#: Environment variables read by OpenMP/BLAS libraries that are loaded *after* setup() (e.g.
#: scikit-learn's).
POOL_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def set_num_threads(n: int):
    """Size every thread pool to ``n``: torch's intra-op pool and the OpenMP/BLAS pools
    (threadpoolctl).

    Libraries loaded later (scikit-learn's OpenMP, SciPy's BLAS) read ``OMP_NUM_THREADS`` and
    friends, which this sets too. Returns threadpoolctl's limiter (``.restore_original_limits()``
    undoes its part).

    Examples
    --------
    >>> before = torch.get_num_threads()
    >>> _ = set_num_threads(1); torch.get_num_threads()
    1
    >>> _ = set_num_threads(before)
    """
    n = check_int(n, "thread count", minimum=1)
    limiter = threadpool_limits(
        limits=n
    )  # first: it records the original limits (torch's libgomp among them)
    torch.set_num_threads(n)
    for var in POOL_ENV:
        os.environ[var] = str(n)
    return limiter


def _plot_style() -> None:
    import matplotlib as mpl
    import matplotlib.pyplot as plt

    plt.style.use("tableau-colorblind10")
    mpl.rcParams.update(
        {
            "figure.dpi": 90,
            "figure.figsize": (6.0, 4.0),
            "image.cmap": COURSE_CMAP,
            "image.interpolation": "nearest",
            "axes.titlesize": "medium",
            "axes.grid": False,
            "font.size": 10,
        }
    )
    _show_leftover_figures_after_each_cell()


def _show_leftover_figures_after_each_cell() -> None:
    """In a Jupyter kernel, show at the end of every cell the pyplot figures it left open.

    The inline backend shows a cell's figures only while interactive mode is on; after a stray
    ``plt.ioff()`` the figures would stay open and turn up in some later cell (or never). This
    hook runs after the inline backend's own one (``post_run_cell`` follows ``post_execute``),
    so in the usual case it finds nothing left to do. Registered once; does nothing outside a
    kernel or with another backend (``%matplotlib widget`` figures are meant to stay open).
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return
    ip = get_ipython()
    if ip is None or getattr(ip, "kernel", None) is None:
        return
    if not any(
        getattr(cb, "__name__", "") == _show_leftover_figures.__name__
        for cb in ip.events.callbacks["post_run_cell"]
    ):
        ip.events.register("post_run_cell", _show_leftover_figures)


def _show_leftover_figures(_result=None) -> None:

    plt = sys.modules.get("matplotlib.pyplot")
    if plt is None or not plt.get_fignums() or "inline" not in plt.get_backend():
        return
    from matplotlib_inline.backend_inline import show

    show(close=True)


def _deterministic_algorithms() -> None:
    """``torch.use_deterministic_algorithms(True, warn_only=True)`` without its import of
    ``torch._inductor`` (about 1 s of every notebook's start), made only to set a flag that
    ``torch.compile`` reads; the course never compiles a model. The runtime switch is the same call
    the public function makes; where a torch version lacks it, the public function runs.
    """
    switch = getattr(torch._C, "_set_deterministic_algorithms", None)
    if switch is None:
        torch.use_deterministic_algorithms(True, warn_only=True)
    else:
        switch(True, warn_only=True)


def setup(seed: int = 0, device: str | None = None, deterministic: bool = True) -> torch.device:
    """Seed everything, make torch deterministic, size the thread pools, set the plot style, pick
    the device.

    Call it once at the top of a notebook. Importing :mod:`xai_helpers` does none of this.
    It prints one line: the device and the thread count it chose (see :func:`choose_num_threads`;
    ``XAI_NUM_THREADS=N`` overrides it).

    Parameters
    ----------
    seed : int
        Seed for Python's ``random``, NumPy and torch.
    device : str, optional
        ``"cpu"`` or ``"cuda"``; default: CUDA when present, else CPU.
    deterministic : bool
        Ask torch for deterministic algorithms (same numbers on every run).

    Returns
    -------
    torch.device
        The device the notebook should put its models and tensors on.

    Examples
    --------
    >>> import xai_helpers
    >>> dev = xai_helpers.setup(seed=0, device="cpu")  # doctest: +ELLIPSIS
    xai_helpers.setup: seed 0, device cpu, ... thread... (...)
    >>> dev.type
    'cpu'
    """
    seed_everything(seed)
    if deterministic:
        # cuBLAS needs this to be deterministic; harmless on the CPU.
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        _deterministic_algorithms()
        torch.backends.cudnn.benchmark = False
    _plot_style()
    dev = get_device(device)
    threads, why = choose_num_threads()
    set_num_threads(threads)
    print(
        f"xai_helpers.setup: seed {seed}, device {dev.type}, {threads} "
        f"thread{'s' if threads > 1 else ''} ({why})"
    )
    return dev


def cache_dir() -> Path:
    """The folder for data the course generates: ``$XAI_CACHE_DIR`` if set, else
    ``$XDG_CACHE_HOME/xai-course``, else ``~/.cache/xai-course``. Not created here; deleting it is
    always safe (its content is regenerated).

    Examples
    --------
    >>> import os
    >>> env = os.environ.get("XAI_CACHE_DIR")
    >>> cache_dir() == Path(env) if env else cache_dir().name == "xai-course"
    True
    """
    env = os.environ.get("XAI_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "xai-course"


@contextlib.contextmanager
def replaced_everywhere(
    original: Callable | tuple[Callable, ...],
    replacement: Callable,
    namespace: dict | None = None,
) -> Iterator[int]:
    """Within the block, every reference to the function ``original`` points to ``replacement``.

    For hidden tests that must run a student's function without a course helper: the helper is
    replaced in every loaded module, in ``namespace`` (a notebook's ``globals()``), in any dict,
    list or closure cell that holds it, in the default arguments of every function and as the
    function of every :func:`functools.partial`; a copy of the function made from its code object
    is replaced too. Everything is restored on exit. ``original`` may be a tuple of functions: all
    are replaced in one pass over the objects (one nested block per function costs one pass each).
    Yields the number of references replaced.

    Examples
    --------
    >>> import math
    >>> sq = math.sqrt
    >>> def f(x, g=math.sqrt):
    ...     return g(x)
    >>> with replaced_everywhere(math.sqrt, abs, {"sq": sq}) as n:
    ...     f(-4.0), math.sqrt(-4.0)
    (4.0, 4.0)
    >>> f(4.0)
    2.0
    >>> with replaced_everywhere((math.sqrt, math.floor), abs):
    ...     math.sqrt(-4.0), math.floor(-2.5)
    (4.0, 2.5)
    """
    originals = tuple(original) if isinstance(original, tuple) else (original,)
    if not originals or not all(map(callable, originals)) or not callable(replacement):
        raise TypeError(f"original and replacement must be callables, got {original!r}")
    codes = tuple(c for o in originals if (c := getattr(o, "__code__", None)) is not None)

    def same(v) -> bool:
        if any(v is o for o in originals):
            return True
        return isinstance(v, types.FunctionType) and any(v.__code__ is c for c in codes)

    undo: list[Callable[[], None]] = []

    def patch_dict(d: dict) -> None:
        for k, v in list(d.items()):
            if same(v):
                d[k] = replacement
                undo.append(lambda d=d, k=k, v=v: d.__setitem__(k, v))

    def patch_function(f: types.FunctionType) -> None:
        if f.__defaults__ and any(same(v) for v in f.__defaults__):
            old = f.__defaults__
            f.__defaults__ = tuple(replacement if same(v) else v for v in old)
            undo.append(lambda f=f, old=old: setattr(f, "__defaults__", old))
        for cell in f.__closure__ or ():
            try:
                v = cell.cell_contents
            except ValueError:  # an empty cell
                continue
            if same(v):
                cell.cell_contents = replacement
                undo.append(lambda c=cell, v=v: setattr(c, "cell_contents", v))

    own = {id(same), id(patch_dict), id(patch_function)}  # their cells hold `original`
    targets = originals + codes
    holders = gc.get_referrers(*targets)  # one pass over the objects: every direct holder
    holders += [namespace] if namespace is not None else []
    seen: set[int] = set(own) | {id(targets), id(originals), id(codes)}
    try:
        with warnings.catch_warnings():  # reading some objects' attributes warns (deprecations)
            warnings.simplefilter("ignore")
            _patch_all(holders, seen, same, patch_dict, patch_function, replacement, undo)
        yield len(undo)
    finally:
        for restore in reversed(undo):
            restore()


def _patch_all(holders, seen, same, patch_dict, patch_function, replacement, undo) -> None:
    """The loop of :func:`replaced_everywhere` over the objects that may hold ``original``: the
    direct holders, then the functions that own a holding tuple (defaults) or cell (closures),
    each level in one pass of :func:`gc.get_referrers`."""
    copies = [h for h in holders if isinstance(h, types.FunctionType) and same(h)]
    if copies:  # copies made from the code object: patch where they are held
        holders = holders + gc.get_referrers(*copies)
    owned: list = []  # tuples and cells whose owning functions must be patched
    for h in holders:
        if id(h) in seen:
            continue
        seen.add(id(h))
        if isinstance(h, dict):
            patch_dict(h)
        elif isinstance(h, list):
            for i, v in enumerate(h):
                if same(v):
                    h[i] = replacement
                    undo.append(lambda h=h, i=i, v=v: h.__setitem__(i, v))
        elif isinstance(h, types.FunctionType):
            patch_function(h)
        elif isinstance(h, functools.partial) and same(h.func):
            state = h.__reduce__()[2]  # (func, args, keywords, __dict__)
            h.__setstate__((replacement, *state[1:]))
            undo.append(lambda h=h, state=state: h.__setstate__(state))
        elif isinstance(h, tuple) or type(h).__name__ == "cell":
            owned.append(h)
    for _ in range(2):  # defaults tuple -> function; cell -> closure tuple -> function
        if not owned:
            break
        refs, owned = gc.get_referrers(*owned), []
        for f in refs:
            if isinstance(f, types.FunctionType) and id(f) not in seen:
                seen.add(id(f))
                patch_function(f)
            elif isinstance(f, tuple) and id(f) not in seen:
                seen.add(id(f))
                owned.append(f)
