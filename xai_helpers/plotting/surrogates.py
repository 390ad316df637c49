"""Figures of local and global surrogates: LIME segment weights, a local line, decision regions.

Every helper takes ``ax=None`` (one panel) or ``axes=None`` (several) and returns what it drew."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from .._runtime import COURSE_DIVERGING_CMAP
from ..local_surrogates import LocalLinear, weights_to_map
from ..validation import check_array, check_black_box
from ._core import ImageLike, _ax, show_image, to_numpy_image

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "show_segment_weights",
    "show_local_line",
    "show_decision_regions",
    "show_lime_rows",
    "show_fidelity_curve",
    "show_accuracy_vs_path_length",
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


def show_lime_rows(
    rows: dict[str, Sequence[tuple[ImageLike, np.ndarray, np.ndarray, str]]],
    inputs: Sequence[tuple[ImageLike, str]] | None = None,
    suptitle: str | None = None,
    size: float = 2.6,
    vmax: float | None = None,
    axes: np.ndarray | None = None,
) -> Figure:
    """A grid of LIME explanations: an optional first row of inputs, then one row per entry of
    ``rows`` (``(image, segments, weights, title)`` per panel, drawn by
    :func:`show_segment_weights`), with one colour scale per row so that its panels compare
    (``vmax``, if given, for every row: to compare figures). ``axes``, if given, is an array of
    (rows, columns) Axes to draw on.

    Examples
    --------
    >>> seg = np.array([[0, 1], [0, 1]]); img = np.zeros((2, 2, 3))
    >>> fig = show_lime_rows({"a": [(img, seg, np.array([1.0, -2.0]), "x")]}, inputs=[(img, "in")])
    >>> fig.axes[1].images[-1].get_clim()
    (-2.0, 2.0)
    """
    import matplotlib.pyplot as plt

    ncols = max(len(r) for r in rows.values())
    nrows = len(rows) + (inputs is not None)
    if axes is None:
        _, axes = plt.subplots(
            nrows, ncols, figsize=(size * ncols * 1.25, size * nrows), squeeze=False
        )
    axes = np.asarray(axes).reshape(nrows, ncols)
    fig = axes[0, 0].figure
    if inputs is not None:
        for ax, (img, title) in zip(axes[0], inputs):
            show_image(img, ax=ax, title=title)
    for row, panels in zip(axes[nrows - len(rows) :], rows.values()):
        top = vmax or max(float(np.abs(w).max()) for _, _, w, _ in panels) or 1.0
        for ax, (img, seg, w, title) in zip(row, panels):
            show_segment_weights(img, seg, w, ax=ax, title=title, vmax=top)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def show_fidelity_curve(
    curves: dict[str, dict[str, np.ndarray]],
    n_test: int,
    depths: Sequence[int],
    annotate: Sequence[int] = (1, 4, 8, 12),
    ax: Axes | None = None,
) -> Figure:
    """Fidelity against average path length O(T) for trees of growing depth, one line per curve
    (:func:`~xai_helpers.trees.fidelity_curve`'s dicts), with 95 % binomial intervals over
    ``n_test`` digits; the first curve's points at the ``annotate`` depths labelled with their
    leaves. Curves are shifted ±0.15 along x so that their intervals do not hide each other.

    Examples
    --------
    >>> c = {"fidelity": np.array([0.2, 0.5]), "apl": np.array([1.0, 2.0]), "leaves": [2, 4]}
    >>> show_fidelity_curve({"a": c, "b": c}, 100, [1, 2]).axes[0].get_ylabel()
    'fidelity to the network (held out)'
    """
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(6.5, 3.5))
    styles = (dict(fmt="o-", ms=4, zorder=3), dict(fmt="s--", ms=8, mfc="none"))
    shift = np.linspace(-0.15, 0.15, len(curves)) if len(curves) > 1 else [0.0]
    for (name, c), style, dx in zip(curves.items(), styles * len(curves), shift):
        f = np.asarray(c["fidelity"], dtype=np.float64)
        half = 1.96 * np.sqrt(f * (1 - f) / n_test)
        ax.errorbar(np.asarray(c["apl"]) + dx, f, yerr=half, capsize=3, label=name, **style)
    first = next(iter(curves.values()))
    for d, a, f, n in zip(depths, first["apl"], first["fidelity"], first["leaves"]):
        if d in annotate:
            off, ha = ((-6, 8), "right") if d == max(depths) else ((5, -14), "left")
            ax.annotate(f"depth {d}: {n} leaves", (a, f), off, textcoords="offset points", ha=ha)
    ax.set(xlim=(0, float(np.max(first["apl"])) + 3), ylim=(0, 1))
    ax.set_xlabel("average path length O(T) (questions per input; points shifted ±0.15)")
    ax.set_ylabel("fidelity to the network (held out)")
    ax.legend(loc="lower right", fontsize="small")
    ax.set_title("Trees of growing depth: agreement with the network, 95 % intervals")
    return ax.figure


def show_accuracy_vs_path_length(
    points: dict[str, tuple[np.ndarray, np.ndarray]],
    frontiers: dict[str, dict[str, np.ndarray]],
    panels: Sequence[tuple[Callable[[np.ndarray], np.ndarray], str]] = (),
    X: np.ndarray | None = None,
    y: np.ndarray | None = None,
    axes: np.ndarray | None = None,
) -> Figure:
    """Wu et al.'s figure: test accuracy against the average path length O(T) of each network's
    tree (``points``: label -> (O(T) array, accuracy array), one colour per label, cividis), beside
    the trees' frontiers (``frontiers``: label -> :func:`~xai_helpers.trees.tree_frontier`), and,
    to the left, the decision regions of the networks in ``panels`` ((predict_fn, title) pairs, on
    the points ``X``, ``y``). ``axes``, if given, holds ``len(panels) + 1`` Axes to draw on.

    Examples
    --------
    >>> f = {"apl": np.array([0.0, 1.0]), "accuracy": np.array([0.5, 0.8])}
    >>> fig = show_accuracy_vs_path_length({"net": (np.array([1.5]), np.array([0.9]))}, {"tree": f})
    >>> fig.axes[-1].get_xlabel()
    'average path length O(T)'
    """
    import matplotlib.pyplot as plt

    n = len(panels)
    if axes is None:
        _, axes = plt.subplots(
            1, n + 1, figsize=(3.8 * n + 6, 3.8), gridspec_kw={"width_ratios": [1] * n + [1.6]}
        )
    axes = np.atleast_1d(axes).ravel()
    fig = axes[0].figure
    for ax, (fn, title) in zip(axes, panels):
        show_decision_regions(fn, X, y, ax=ax, title=title)
    ax = axes[-1]
    for (name, f), style in zip(
        frontiers.items(), (("s-", "0.35"), ("^--", "#009E73"), ("d:", "C4"))
    ):
        ax.plot(f["apl"], f["accuracy"], style[0], color=style[1], label=name)
    markers = "oPXDp^v*h<>"  # eight groups or more: each its own marker, large enough to tell apart
    for j, (name, (a, acc)) in enumerate(points.items()):
        colour = plt.cm.cividis(0.9 * j / max(len(points) - 1, 1))  # no pale yellow on white
        ax.scatter(
            a,
            acc,
            s=55,
            color=colour,
            marker=markers[j % len(markers)],
            edgecolor="k",
            zorder=3,
            label=name,
        )
    ax.set_xlabel("average path length O(T)")
    ax.set_ylabel("test accuracy")
    ax.set_title("Accuracy against path length")
    ax.legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(1.01, 1))
    fig.tight_layout()
    return fig
