"""Figures of readable models (notebook 00): a weight's path over refits, weight images, a small
decision tree beside its cross-validated curve, accuracy panels, proportions with intervals.

Every helper takes ``ax=None`` (one panel) or ``axes=None`` (several) and returns what it drew."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from .._runtime import COURSE_DIVERGING_CMAP
from ..stats import accuracy_interval, paired_difference
from ..validation import check_array, check_int
from ._core import ImageLike, _ax, to_numpy_image
from .evaluation import interval_chart

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from sklearn.tree import DecisionTreeClassifier

__all__ = [
    "plot_weight_path",
    "show_weight_images",
    "show_tree_depth",
    "plot_accuracy_panels",
    "plot_proportions",
]


def _axes(axes, n: int, figsize: tuple[float, float], **kwargs) -> np.ndarray:
    """``n`` axes: the ones given (checked), or a new row of ``n`` panels."""
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, n, figsize=figsize, squeeze=False, **kwargs)
    axes = np.asarray(axes, dtype=object).ravel()
    if axes.size < n:
        raise ValueError(f"need at least {n} axes, got {axes.size}")
    return axes


def plot_weight_path(
    weights: Sequence[float],
    k: int,
    ax: Axes | None = None,
    title: str | None = None,
    xlabel: str = "k partners dropped",
    ylabel: str = "weight",
) -> Figure:
    """A weight over a path of refits 0, 1, … drawn up to step ``k``, on fixed axes for all ``k``.

    The limits are set by the whole path, so a slider over ``k`` does not rescale the plot; a black
    line marks 0 (the sign is what is read). Returns the ``Figure``.

    Examples
    --------
    >>> ax = plot_weight_path([0.4, 0.2, -0.3], k=1).axes[0]
    >>> [float(v) for v in ax.lines[0].get_ydata()]
    [0.4, 0.2]
    >>> [float(v) for v in ax.get_ylim()]
    [-0.44, 0.44]
    """
    w = check_array(np.asarray(weights, dtype=float), "weights", ndim=1)
    check_int(k, "k", minimum=0, maximum=len(w) - 1)
    lim = round(1.1 * float(np.abs(w).max() or 1.0), 12)
    ax = _ax(ax)
    ax.plot(range(k + 1), w[: k + 1], "o-", color="C0", label="refits up to this step")
    ax.axhline(0, color="black", lw=0.8)
    ax.set(xlim=(-0.5, len(w) - 0.5), ylim=(-lim, lim), xlabel=xlabel, ylabel=ylabel)
    ax.set_title(title or f"step {k}: weight {w[k]:+.2f}")
    ax.legend(fontsize=8, loc="upper right")
    return ax.figure


def show_weight_images(
    weights: ImageLike,
    titles: Sequence[str] | None = None,
    axes: Axes | Sequence[Axes] | np.ndarray | None = None,
    suptitle: str | None = None,
    label: str = "weight",
    ncols: int | None = None,
) -> Figure:
    """Weight images (N, H, W) on one shared scale centred on 0 (``RdBu_r``: red positive), with
    one colour bar.

    Examples
    --------
    >>> fig = show_weight_images(np.random.randn(4, 3, 3), titles=list("abcd"), ncols=2)
    >>> len(fig.axes), fig.axes[0].images[0].get_clim()[0] == -fig.axes[0].images[0].get_clim()[1]
    (5, True)
    """
    import matplotlib.pyplot as plt

    w = np.asarray(weights.detach().cpu() if hasattr(weights, "detach") else weights, dtype=float)
    if w.ndim != 3:
        raise ValueError(f"weights must be (N, H, W), got shape {w.shape}")
    if titles is not None and len(titles) != len(w):
        raise ValueError(f"got {len(titles)} titles for {len(w)} images")
    ncols = ncols or len(w)
    nrows = -(-len(w) // ncols)
    if axes is None:
        _, axes = plt.subplots(
            nrows, ncols, figsize=(1.2 * ncols, 1.25 * nrows + 0.5), layout="constrained"
        )
    axes = _axes(axes, len(w), (0, 0))
    lim = float(np.abs(w).max()) or 1.0
    for i, ax in enumerate(axes):
        if i >= len(w):
            ax.remove()
            continue
        im = ax.imshow(w[i], cmap=COURSE_DIVERGING_CMAP, vmin=-lim, vmax=lim)
        ax.set_title(titles[i] if titles else "", fontsize=8)
        ax.axis("off")
    fig = axes[0].figure
    fig.colorbar(im, ax=list(axes[: len(w)]), shrink=0.8, label=label)
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def _draw_small_tree(tree: DecisionTreeClassifier, ax: Axes, side: int) -> list[tuple[int, int]]:
    """The tree with pixel tests only (leaves: the predicted digit); returns the tested pixels
    (row, column) in the tree's node order."""
    from sklearn.tree import plot_tree

    names = [f"row {r}, col {c}" for r in range(side) for c in range(side)]
    classes = [str(c) for c in tree.classes_]
    items = plot_tree(
        tree, feature_names=names, class_names=classes, filled=True, impurity=False,
        label="none", ax=ax, fontsize=7, precision=2,
    )  # fmt: skip
    for item in items:
        lines = item.get_text().split("\n")  # a node box; "True"/"False" on the edges stay
        if len(lines) > 1:  # a split: its pixel over its ink test; a leaf: its predicted digit
            pixel, _, ink = lines[0].partition(" <= ")
            item.set_text(f"{pixel}\nink ≤ {ink}" if ink else f"digit {lines[-1]}")
    used = [int(f) for f in tree.tree_.feature if f >= 0]
    return [divmod(f, side) for f in used]


def show_tree_depth(
    tree: DecisionTreeClassifier | None,
    leaves: Sequence[int],
    cv_mean: Sequence[float],
    cv_se: Sequence[float],
    k: int,
    image: ImageLike,
    null: float | None = None,
    axes: Axes | Sequence[Axes] | np.ndarray | None = None,
) -> Figure:
    """A digit tree beside where it looks and its cross-validated accuracy against its size.

    Left: ``tree`` (a fitted ``DecisionTreeClassifier`` on flattened square images) with its pixel
    tests, or, when ``tree`` is None, a note that it is too large to draw. Middle: ``image`` with
    each tested pixel ringed and numbered in the tree's node order (1 = the root). Right: the
    cross-validated accuracy (± 1 SE) against the number of leaves, point ``k`` ringed; ``null``
    draws a dotted line. Returns the ``Figure``.

    Examples
    --------
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> X, y = np.random.default_rng(0).random((40, 16)), np.arange(40) % 2
    >>> t = DecisionTreeClassifier(max_depth=1, random_state=0).fit(X, y)
    >>> fig = show_tree_depth(t, [2, 4], [0.6, 0.7], [0.05, 0.05], 0, X[0].reshape(4, 4), null=0.5)
    >>> len(fig.axes[1].texts)
    1
    """
    import matplotlib.pyplot as plt

    leaves, mean, se = (np.asarray(a, dtype=float) for a in (leaves, cv_mean, cv_se))
    if not len(leaves) == len(mean) == len(se):
        raise ValueError("leaves, cv_mean and cv_se need one value per tree size")
    check_int(k, "k", minimum=0, maximum=len(leaves) - 1)
    img = to_numpy_image(image)
    if axes is None:
        _, axes = plt.subplots(1, 3, figsize=(15, 4.6), width_ratios=[1.9, 0.8, 1])
    ax_tree, ax_img, ax = _axes(axes, 3, (0, 0))
    pixels = []
    if tree is not None:
        pixels = _draw_small_tree(tree, ax_tree, img.shape[0])
    else:
        ax_tree.text(0.5, 0.5, f"{int(leaves[k])} leaves: too many to draw", ha="center")
        ax_tree.axis("off")
    n = int(leaves[k])
    note = f": at most {n} digits named" if n < 10 and tree is not None else ""
    ax_tree.set_title(f"{n} leaves{note} (True = go left)")
    ax_img.imshow(img, cmap="gray")
    for i, (r, c) in enumerate(pixels[:15], start=1):
        ax_img.plot(c, r, "o", ms=7, mfc="none", mec="C1", mew=1.5)
        near = [r2 - r for r2, c2 in pixels[:15] if abs(c2 - c) <= 2 and 0 < abs(r2 - r) <= 3]
        dy = 0 if not near else (7 if min(near, key=abs) > 0 else -7)  # away from a near neighbour
        ax_img.annotate(
            str(i), (c, r), xytext=(7, dy), textcoords="offset points", fontsize=8, va="center",
            color="black", bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "C1"},
        )  # fmt: skip
    title = "pixels tested (row, column)\n1 = the first test"
    ax_img.set(xlabel="column", ylabel="row", title=title)
    ax.errorbar(leaves, mean, se, marker="o", color="C0", label="5-fold CV (± 1 SE)")
    ax.plot(leaves[k], mean[k], "o", ms=12, mfc="none", color="C3")
    if null is not None:
        ax.axhline(null, color="black", ls=":", label="null: most common class")
    ax.set(xscale="log", ylim=(0, 1.02), xlabel="leaves (log scale)", ylabel="accuracy")
    ax.xaxis.set_major_formatter("{x:g}")
    ax.xaxis.set_minor_formatter("")
    ax.set_title("Readable vs accurate")
    ax.legend(fontsize=7, loc="lower right")
    return ax.figure


def plot_accuracy_panels(
    panels: Mapping[str, tuple[Mapping[str, np.ndarray], float]],
    pairs: Mapping[str, tuple[str, str]] | None = None,
    axes: Axes | Sequence[Axes] | np.ndarray | None = None,
) -> Figure:
    """Test accuracy with 95 % intervals, one panel per data set, and paired differences.

    ``panels`` maps a title to ``(correct, null)``: ``correct`` maps each model to its boolean
    vector of correct test predictions, ``null`` is drawn dashed. ``pairs`` maps a name to two
    models ``(a, b)`` of the *last* panel, drawn as paired differences a − b in an extra panel
    (dashed: no difference). Returns the ``Figure``.

    Examples
    --------
    >>> c = {"a": np.arange(50) % 5 > 0, "b": np.arange(50) % 2 > 0}
    >>> fig = plot_accuracy_panels({"toy": (c, 0.5)}, pairs={"a − b": ("a", "b")})
    >>> len(fig.axes)
    2
    """
    import matplotlib.pyplot as plt

    if not panels:
        raise ValueError("plot_accuracy_panels needs at least one panel")
    n = len(panels) + bool(pairs)
    if axes is None:
        _, axes = plt.subplots(1, n, figsize=(5 * n, 3.4), squeeze=False)
    axes = _axes(axes, n, (0, 0))
    for ax, (title, (correct, null)) in zip(axes, panels.items()):
        intervals = {k: accuracy_interval(v) for k, v in correct.items()}
        interval_chart(intervals, ax=ax, reference=null, title=f"{title}\n(dashed: the null)")
    if pairs:
        diffs = {k: paired_difference(correct[a], correct[b]) for k, (a, b) in pairs.items()}
        interval_chart(diffs, ax=axes[-1], reference=0.0, xlabel="paired difference in accuracy")
        axes[-1].set_title(f"{title}: paired differences\n(dashed: no difference)")
    fig = axes[0].figure
    fig.suptitle("Test accuracy with 95% intervals")
    fig.tight_layout()
    return fig


def plot_proportions(
    groups: Mapping[str, Mapping[str, tuple[int, int]]],
    axes: Axes | Sequence[Axes] | np.ndarray | None = None,
    ylabel: str = "yes (%)",
    suptitle: str | None = None,
) -> Figure:
    """Bars of k/n in % with 95 % (Wilson) intervals: one panel per outer key, one bar per group.

    Examples
    --------
    >>> fig = plot_proportions({"small": {"a": (9, 15), "b": (14, 15)}})
    >>> [round(float(p.get_height()), 1) for p in fig.axes[0].patches]
    [60.0, 93.3]
    """
    import matplotlib.pyplot as plt

    if not groups:
        raise ValueError("plot_proportions needs at least one panel")
    if axes is None:
        _, axes = plt.subplots(1, len(groups), figsize=(5 * len(groups), 3.4), sharey=True)
    axes = _axes(axes, len(groups), (0, 0))
    for ax, (panel, counts) in zip(axes, groups.items()):
        est = {
            f"{g}\n({k}/{n})": accuracy_interval(np.arange(n) < k) for g, (k, n) in counts.items()
        }
        values = np.array([[e.value, e.low, e.high] for e in est.values()]) * 100
        err = np.stack([values[:, 0] - values[:, 1], values[:, 2] - values[:, 0]])
        ax.bar(list(est), values[:, 0], color="C0", yerr=err, capsize=4)
        ax.set(title=panel, ylabel=ylabel, ylim=(0, 105))
    fig = axes[0].figure
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig
