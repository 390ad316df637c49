"""Reproducibility and plot style: the one call every notebook starts with."""

from __future__ import annotations

import os
import random

import numpy as np
import torch

__all__ = ["setup", "get_device", "model_device", "COURSE_CMAP", "COURSE_DIVERGING_CMAP"]

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
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


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
    """Seed everything, make torch deterministic, set the course's plot style, pick the device.

    Call it once at the top of a notebook. Importing :mod:`xai_helpers` does none of this.

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
    >>> dev = xai_helpers.setup(seed=0, device="cpu")
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
    return get_device(device)
