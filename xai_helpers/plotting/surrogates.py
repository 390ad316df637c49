"""Figures of local and global surrogates: LIME segment weights, a local line, decision regions.

Every helper takes ``ax=None`` (one panel) or ``axes=None`` (several) and returns what it drew."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from .._runtime import COURSE_DIVERGING_CMAP
from ..local_surrogates import LocalLinear, weights_to_map
from ..validation import check_array, check_black_box
from ._core import ImageLike, _ax, to_numpy_image

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "show_segment_weights",
    "show_local_line",
    "show_decision_regions",
]


def show_segment_weights(
    image: ImageLike,
    segments: np.ndarray,
    weights: np.ndarray,
    ax: Axes | None = None,
    title: str | None = None,
    alpha: float = 0.6,
    colorbar: bool = True,
    vmax: float | None = None,
) -> Figure:
    """The lecture's picture: each segment painted with its LIME weight (red supports, blue
    opposes).

    The image is drawn in light grey under the weights, with the segments' boundaries in yellow
    (images of 100 px or more; on smaller ones the boundaries would hide the image).

    The weights are drawn in a diverging map centred on 0, from ``-vmax`` to ``vmax`` (default: the
    largest |weight| of this map; pass one shared ``vmax`` to compare several maps), with a colour
    bar. Returns the ``Figure``.

    Examples
    --------
    >>> ax = show_segment_weights(np.zeros((2, 2, 3)), np.array([[0, 1], [0, 1]]), np.array([1.0,
    ... -1.0]), title="w").axes[0]
    >>> ax.images[-1].get_clim()
    (-1.0, 1.0)
    >>> ax = show_segment_weights(np.zeros((2, 2, 3)), np.array([[0, 1], [0, 1]]), np.array([1.0,
    ... -1.0]), vmax=4.0).axes[0]
    >>> ax.images[-1].get_clim()
    (-4.0, 4.0)
    """
    from skimage.segmentation import mark_boundaries

    ax = _ax(ax)
    img = to_numpy_image(image).astype(np.float64)
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=-1)
    heat = weights_to_map(segments, weights)
    if vmax is not None and not (np.isfinite(vmax) and vmax > 0):
        raise ValueError(f"vmax must be a positive finite number, got {vmax}")
    m = float(vmax) if vmax is not None else (float(np.abs(heat).max()) or 1.0)
    grey = 0.4 + 0.6 * np.repeat(
        np.clip(img, 0, 1).mean(-1, keepdims=True), 3, axis=-1
    )  # light grey: colours are the weights'
    if min(grey.shape[:2]) >= 100:  # boundaries would hide a small image
        grey = mark_boundaries(grey, np.asarray(segments), color=(1, 1, 0))
    ax.imshow(grey)
    im = ax.imshow(heat, cmap=COURSE_DIVERGING_CMAP, vmin=-m, vmax=m, alpha=alpha)
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title)
    if colorbar:
        ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label="LIME weight")
    return ax.figure


def show_local_line(
    predict_fn: Callable[[np.ndarray], np.ndarray],
    x0: float,
    fit: LocalLinear,
    span: float = 4.0,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    """The lecture's 1-D picture: the black-box curve, the point, its neighbours (shade = proximity
    weight) and the local line.

    ``fit`` is a :class:`xai_helpers.local_surrogates.LocalLinear` fitted on offsets
    ``samples = x − x0`` (one column). Returns the ``Figure``.

    Examples
    --------
    >>> from xai_helpers.local_surrogates import lime_tabular_from_scratch
    >>> f = lambda X: np.sin(X[:, 0])
    >>> fit = lime_tabular_from_scratch(f, np.array([1.0]), kernel_width=0.5, n_samples=200)
    >>> show_local_line(f, 1.0, fit).axes[0].lines[1].get_linestyle()
    '--'
    """
    ax = _ax(ax)
    grid = np.linspace(x0 - span, x0 + span, 400)
    ax.plot(grid, check_black_box(predict_fn, grid[:, None]), color="C0", lw=2, label="black box")
    dz = fit.samples[:, 0]
    order = np.argsort(fit.weights)
    pts = ax.scatter(
        x0 + dz[order],
        fit.outputs[order],
        c=fit.weights[order],
        cmap="viridis",
        vmin=0,
        vmax=1,
        s=8,
        zorder=2,
    )
    slope = float(fit.coef[0])
    ax.plot(
        grid,
        fit.intercept + slope * (grid - x0),
        color="C1",
        lw=2,
        ls="--",
        label=f"local line (slope {slope:.2f})",
    )
    ax.plot(
        [x0],
        [fit.intercept],
        "o",
        color="C1",
        ms=9,
        mec="k",
        zorder=3,
        label="the point to explain",
    )
    ax.set_xlim(x0 - span, x0 + span)
    ax.set_xlabel("input x")
    ax.set_ylabel("output f(x)")
    ax.legend(loc="lower left", fontsize="small")
    ax.figure.colorbar(pts, ax=ax, fraction=0.046, pad=0.04, label="proximity weight")
    if title:
        ax.set_title(title)
    return ax.figure


def show_decision_regions(
    predict_fn: Callable[[np.ndarray], np.ndarray],
    X: np.ndarray,
    y: np.ndarray | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    lim: float = 2.0,
) -> Figure:
    """Shade the plane by a 2-feature classifier's predicted class, with the points on top.

    ``predict_fn`` maps (n, 2) to class labels. Returns the ``Figure``.

    Examples
    --------
    >>> from xai_helpers.data import make_parabola
    >>> X, y = make_parabola(50, seed=0)
    >>> show_decision_regions(lambda A: (A[:, 1] > 0).astype(int), X, y).axes[0].get_xlabel()
    'x₁'
    """
    ax = _ax(ax)
    g = np.linspace(-lim, lim, 200)
    gx, gy = np.meshgrid(g, g)
    z = np.asarray(predict_fn(np.c_[gx.ravel(), gy.ravel()].astype(np.float32))).reshape(gx.shape)
    ax.contourf(gx, gy, z, levels=[-0.5, 0.5, 1.5], colors=["#cfe2f3", "#fce5cd"])
    X = check_array(X, "X", ndim=2).astype(np.float64)
    if y is not None:
        y = np.asarray(y)
        for k, (c, m) in enumerate([("C0", "o"), ("C1", "^")]):
            ax.scatter(X[y == k, 0], X[y == k, 1], s=8, c=c, marker=m, label=f"class {k}")
        ax.legend(loc="lower right", fontsize="small")
    ax.set_xlabel("x₁")
    ax.set_ylabel("x₂")
    ax.set_aspect("equal")
    if title:
        ax.set_title(title)
    return ax.figure
