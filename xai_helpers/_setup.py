"""Reproducibility and plot style: the one call every notebook starts with."""

from __future__ import annotations

import functools
import inspect
import math
import os
import random
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np
import torch

from .validation import check_int, check_seed

__all__ = [
    "setup",
    "get_device",
    "model_device",
    "seed_everything",
    "cgroup_cpu_limit",
    "choose_num_threads",
    "COURSE_MAX_THREADS",
    "set_num_threads",
    "training_recipe",
    "COURSE_CMAP",
    "COURSE_DIVERGING_CMAP",
]

F = TypeVar("F", bound=Callable[..., dict])

#: Sequential colour map for attributions (perceptually uniform, colour-blind safe).
COURSE_CMAP = "viridis"
#: Diverging colour map for signed attributions (blue = negative, red = positive; colour-blind safe).
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


def model_device(model: torch.nn.Module) -> torch.device:
    """The device a model's parameters live on (the CPU for a model without parameters).

    Examples
    --------
    >>> model_device(torch.nn.Linear(2, 2))
    device(type='cpu')
    """
    try:
        return next(model.parameters()).device
    except StopIteration:
        return torch.device("cpu")


def seed_everything(seed: int = 0) -> None:
    """Seed Python's, NumPy's and torch's random generators."""
    seed = check_seed(seed)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


# --------------------------------------------------------------------------- thread pools

#: Environment variable that overrides the thread count :func:`setup` chooses.
THREADS_ENV = "XAI_NUM_THREADS"
#: Environment variables read by OpenMP/BLAS libraries that are loaded *after* setup() (e.g. scikit-learn's).
_POOL_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
_torch_default_threads: int | None = None
#: The most threads :func:`setup` uses unless ``XAI_NUM_THREADS`` says otherwise. Measured with
#: ``benchmarks/bench_threads.py`` on a 2-core CPU (README, *Threads*): alone, one thread ran the nine
#: notebooks as fast as two (122 s against 151 s in all; one thread faster on 5 of 9), and beside a
#: CPU-heavy process one thread was 1.07-1.57x slower than alone, two threads 1.33-8.3x (threads that
#: wait for each other at every parallel region lose a lot when another process holds a core).
COURSE_MAX_THREADS = 1


def _read_quota(quota_file: Path, period_file: Path | None) -> tuple[int, int] | None:
    """(quota, period) in µs from cgroup v2 ``cpu.max`` (``period_file`` None) or v1; None when unlimited.

    Raises ``ValueError`` on content that is neither a number nor the kernel's "unlimited".
    """
    if period_file is None:  # v2: "max 100000" or "150000 100000"
        parts = quota_file.read_text().split()
        if len(parts) not in (1, 2):
            raise ValueError(f"{quota_file}: expected 'QUOTA [PERIOD]', got {quota_file.read_text()!r}")
        if parts[0] == "max":
            return None
        quota, period = int(parts[0]), int(parts[1]) if len(parts) == 2 else 100_000
    else:  # v1: cpu.cfs_quota_us is -1 when unlimited
        quota = int(quota_file.read_text().strip())
        if quota < 0:
            return None
        period = int(period_file.read_text().strip())
    if quota <= 0 or period <= 0:
        raise ValueError(f"{quota_file}: quota {quota} and period {period} must be positive")
    return quota, period


def _cgroup_paths(proc_self_cgroup: str) -> tuple[str, str]:
    """This process's cgroup v2 path and v1 ``cpu`` controller path, from ``/proc/self/cgroup``'s text."""
    v2, v1 = "/", "/"
    for line in proc_self_cgroup.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        hierarchy, controllers, path = parts
        if hierarchy == "0" and controllers == "":
            v2 = path or "/"
        elif "cpu" in controllers.split(","):
            v1 = path or "/"
    return v2, v1


def _walk_up(base: Path, path: str) -> list[Path]:
    """``base/path`` and each of its parents up to ``base`` (a quota set on any of them applies)."""
    here = base / path.strip("/")
    out = [here]
    while here != base and base in here.parents:
        here = here.parent
        out.append(here)
    return out


def cgroup_cpu_limit(root: str | Path = "/sys/fs/cgroup", proc_self_cgroup: str | None = None) -> int | None:
    """How many CPUs a cgroup CPU quota grants: ``floor(quota / period)``, at least 1; ``None`` if no quota.

    A pure function of the files under ``root`` (so tests can hand it fake ones). It reads cgroup v2's
    ``cpu.max`` first and, only when no v2 file exists, v1's ``cpu.cfs_quota_us`` / ``cpu.cfs_period_us``
    (under ``root``, ``root/cpu`` or ``root/cpu,cpuacct``). It looks in this process's own cgroup (from
    ``proc_self_cgroup``, the text of ``/proc/self/cgroup``; default: read it) and in every parent up to
    ``root``, and takes the smallest quota. Unlimited (``max``, ``-1``) and missing files mean no quota;
    a malformed file is ignored with a warning (the affinity mask then decides).

    Parameters
    ----------
    root : str or Path
        Where the cgroup file system is mounted.
    proc_self_cgroup : str, optional
        Text of ``/proc/self/cgroup``; ``None`` reads it (``""`` when unreadable: look at ``root`` only).

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = (d / "cpu.max").write_text("150000 100000")
    >>> cgroup_cpu_limit(d, proc_self_cgroup="0::/")
    1
    >>> _ = (d / "cpu.max").write_text("max 100000")
    >>> cgroup_cpu_limit(d, proc_self_cgroup="0::/") is None
    True
    """
    import warnings

    root = Path(root)
    if proc_self_cgroup is None:
        try:
            proc_self_cgroup = Path("/proc/self/cgroup").read_text()
        except OSError:
            proc_self_cgroup = ""
    v2_path, v1_path = _cgroup_paths(proc_self_cgroup)
    candidates: list[tuple[Path, Path | None]] = [(d / "cpu.max", None) for d in _walk_up(root, v2_path)]
    if not any(q.is_file() for q, _ in candidates):  # no cgroup v2 CPU controller: try v1
        candidates = []
        for controller in (root / "cpu,cpuacct", root / "cpu", root):
            for d in _walk_up(controller, v1_path):
                candidates.append((d / "cpu.cfs_quota_us", d / "cpu.cfs_period_us"))
    limits = []
    for quota_file, period_file in candidates:
        if not quota_file.is_file() or (period_file is not None and not period_file.is_file()):
            continue
        try:
            qp = _read_quota(quota_file, period_file)
        except (OSError, ValueError) as err:
            warnings.warn(f"ignoring an unreadable cgroup CPU quota: {err}", RuntimeWarning, stacklevel=2)
            continue
        if qp is not None:
            limits.append(max(1, math.floor(qp[0] / qp[1])))
    return min(limits) if limits else None


def _torch_default() -> int:
    """torch's own intra-op thread count, as it was before this module first changed it."""
    global _torch_default_threads
    if _torch_default_threads is None:
        _torch_default_threads = torch.get_num_threads()
    return _torch_default_threads


def choose_num_threads(
    environ: dict[str, str] | None = None, cgroup_root: str | Path = "/sys/fs/cgroup", max_threads: int | None = COURSE_MAX_THREADS
) -> tuple[int, str]:
    """The thread count the course uses, and why: the CPU this process may really use.

    ``XAI_NUM_THREADS`` (a positive integer) overrides everything. Otherwise: ``floor(quota / period)``
    of a cgroup CPU quota when one is set (containers: Binder, a Kubernetes JupyterHub), else the number
    of CPUs in the affinity mask (``taskset``); never more CPUs than the affinity mask holds, nor more
    threads than torch's own default, nor more than ``max_threads`` (default :data:`COURSE_MAX_THREADS`,
    chosen from measurements; ``None``: no such cap).

    Returns
    -------
    (int, str)
        The thread count and a short reason, e.g. ``(2, "affinity mask: 2 CPUs")``.

    Examples
    --------
    >>> choose_num_threads({"XAI_NUM_THREADS": "3"})
    (3, 'XAI_NUM_THREADS=3')
    >>> choose_num_threads({})[0]  # the course's measured default
    1
    >>> choose_num_threads({"XAI_NUM_THREADS": "two"})
    Traceback (most recent call last):
    ...
    ValueError: XAI_NUM_THREADS must be a positive integer (a thread count), got 'two'
    """
    environ = os.environ if environ is None else environ
    raw = environ.get(THREADS_ENV)
    if raw is not None and raw.strip() != "":
        try:
            n = int(raw.strip())
        except ValueError:
            n = 0
        if n < 1:
            raise ValueError(f"{THREADS_ENV} must be a positive integer (a thread count), got {raw!r}")
        return n, f"{THREADS_ENV}={n}"
    try:
        mask = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # macOS, Windows: no affinity mask
        mask = os.cpu_count() or 1
    quota = cgroup_cpu_limit(cgroup_root)
    if quota is not None and quota <= mask:
        n, why = quota, f"cgroup CPU quota: {quota} CPU{'s' if quota > 1 else ''}"
    else:  # no quota, or a quota larger than the CPUs this process may run on
        n, why = mask, f"affinity mask: {mask} CPU{'s' if mask > 1 else ''}"
        if quota is not None:
            why += f" (cgroup CPU quota: {quota})"
    default = _torch_default()
    if n > default:
        n, why = default, f"{why}, capped at torch's default {default}"
    if max_threads is not None and n > max_threads:
        n, why = max_threads, f"{why}; the course uses at most {max_threads}, measured fastest beside other work; {THREADS_ENV}=N for more"
    return max(1, n), why


def set_num_threads(n: int):
    """Size every thread pool to ``n``: torch's intra-op pool and the OpenMP/BLAS pools (threadpoolctl).

    Libraries loaded later (scikit-learn's OpenMP, SciPy's BLAS) read ``OMP_NUM_THREADS`` and friends,
    which this sets too. Returns threadpoolctl's limiter (``.restore_original_limits()`` undoes its part).

    Examples
    --------
    >>> before = torch.get_num_threads()
    >>> _ = set_num_threads(1); torch.get_num_threads()
    1
    >>> _ = set_num_threads(before)
    """
    from threadpoolctl import threadpool_limits

    n = check_int(n, "thread count", minimum=1)
    _torch_default()  # remember torch's default before changing it
    limiter = threadpool_limits(limits=n)  # first: it records the original limits (torch's libgomp among them)
    torch.set_num_threads(n)
    for var in _POOL_ENV:
        os.environ[var] = str(n)
    return limiter


def training_recipe(threads: int = 1) -> Callable[[F], F]:
    """Decorator for every recipe that trains a shipped checkpoint: the one place reproducibility is set.

    While the recipe runs: Python/NumPy/torch are seeded with the recipe's ``seed`` argument, every
    thread pool has ``threads`` threads (:func:`set_num_threads`; the reduction order of a float
    sum depends on it), and torch uses deterministic algorithms (errors, not warnings). Afterwards the
    previous thread counts, determinism setting and random states are restored. The pins are kept on
    the wrapped function as ``recipe.threads``.

    Examples
    --------
    >>> @training_recipe(threads=1)
    ... def recipe(directory=None, seed: int = 0) -> dict:
    ...     return {"threads": torch.get_num_threads(), "x": torch.rand(1).item()}
    >>> recipe()["threads"], recipe()["x"] == recipe()["x"], recipe.threads
    (1, True, 1)
    """
    threads = check_int(threads, "threads", minimum=1)

    def decorate(func: F) -> F:
        signature = inspect.signature(func)
        if "seed" not in signature.parameters:
            raise TypeError(f"recipe {func.__name__} needs a `seed` parameter")

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            torch_threads, env = torch.get_num_threads(), {var: os.environ.get(var) for var in _POOL_ENV}
            det, warn_only = torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled()
            benchmark = torch.backends.cudnn.benchmark
            py_state, np_state = random.getstate(), np.random.get_state()
            with torch.random.fork_rng(devices=[]):
                limiter = set_num_threads(threads)
                try:
                    seed_everything(bound.arguments["seed"])
                    torch.use_deterministic_algorithms(True)
                    torch.backends.cudnn.benchmark = False
                    return func(*bound.args, **bound.kwargs)
                finally:
                    limiter.restore_original_limits()
                    torch.set_num_threads(torch_threads)
                    for var, value in env.items():
                        if value is None:
                            os.environ.pop(var, None)
                        else:
                            os.environ[var] = value
                    torch.use_deterministic_algorithms(det, warn_only=warn_only)
                    torch.backends.cudnn.benchmark = benchmark
                    random.setstate(py_state)
                    np.random.set_state(np_state)

        wrapper.threads = threads  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


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
    if not any(getattr(cb, "__name__", "") == _show_leftover_figures.__name__ for cb in ip.events.callbacks["post_run_cell"]):
        ip.events.register("post_run_cell", _show_leftover_figures)


def _show_leftover_figures(_result=None) -> None:
    import sys

    plt = sys.modules.get("matplotlib.pyplot")
    if plt is None or not plt.get_fignums() or "inline" not in plt.get_backend():
        return
    from matplotlib_inline.backend_inline import show

    show(close=True)


def setup(seed: int = 0, device: str | None = None, deterministic: bool = True) -> torch.device:
    """Seed everything, make torch deterministic, size the thread pools, set the plot style, pick the device.

    Call it once at the top of a notebook. Importing :mod:`xai_helpers` does none of this.
    It prints one line: the device and the thread count it chose (see :func:`choose_num_threads`;
    ``XAI_NUM_THREADS=N`` overrides it). In a container that sees 64 cores but is granted 2 by its
    CPU quota, 64 threads would take turns on 2 cores' budget and every notebook would crawl.

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
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = False
    _plot_style()
    dev = get_device(device)
    threads, why = choose_num_threads()
    set_num_threads(threads)
    print(f"xai_helpers.setup: seed {seed}, device {dev.type}, {threads} thread{'s' if threads > 1 else ''} ({why})")
    return dev
