"""Helpers for *Explainable ML, the course*.

Importing the package has no side effects: call :func:`setup` at the top of a notebook.
The submodules (``data``, ``models``, ``attribution``, ``plotting``, ...) are imported on use::

    import xai_helpers
    from xai_helpers import data, models
    device = xai_helpers.setup(seed=0)
"""

from __future__ import annotations

import importlib

from ._runtime import (
    COURSE_CMAP,
    COURSE_DIVERGING_CMAP,
    get_device,
    replaced_everywhere,
    seed_everything,
    setup,
)
from ._torch import model_device

__version__ = "0.1.0"

__all__ = [
    "setup",
    "get_device",
    "model_device",
    "seed_everything",
    "replaced_everywhere",
    "COURSE_CMAP",
    "COURSE_DIVERGING_CMAP",
    "__version__",
]

_SUBMODULES = {
    "activation_maximization",
    "attribution",
    "checkpoints",
    "data",
    "evaluation",
    "generative",
    "grading",
    "local_surrogates",
    "models",
    "plotting",
    "representations",
    "attacks",
    "stats",
    "train",
    "trees",
    "validation",
    "widgets",
}


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'xai_helpers' has no attribute {name!r}")
