"""Figures of notebook 10 (a text classifier): word importances side by side, PCA of each layer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["plot_word_attributions", "plot_layer_pca", "plot_token_pca"]


def plot_word_attributions(
    tokens: Sequence[str],
    maps: dict[str, np.ndarray],
    title: str = "",
    ax: Axes | None = None,
    scale: str = "row",
    own_scale: Sequence[str] = (),
) -> Figure:
    """One row per method, one column per word (RdBu_r, red = for the explained class).

    Parameters
    ----------
    tokens : list of str
        The words, one column each.
    maps : dict
        Method name → one weight per word.
    title : str
        The panel's title (a default names the scaling).
    ax : matplotlib Axes, optional
        Where to draw; a new figure when omitted.
    scale : {"row", "shared"}
        ``"row"``: each row divided by its own largest |weight| (compares orders, hides
        magnitudes); ``"shared"``: every row divided by the largest |weight| of all rows (compares
        magnitudes, for methods in the same unit, such as log-odds).
    own_scale : sequence of str
        Rows in another unit (e.g. attention weights, which sum to 1): each is divided by its own
        largest |weight| whatever ``scale`` says, and its label names that maximum.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_word_attributions(["good", "film"], {"a": np.array([1., -0.5])})
    >>> len(fig.axes[0].get_yticklabels())
    1
    """
    import matplotlib.pyplot as plt

    if scale not in ("row", "shared"):
        raise ValueError(f"scale must be 'row' or 'shared', got {scale!r}")
    if ax is None:
        _, ax = plt.subplots(figsize=(max(6, 0.55 * len(tokens)), 0.45 * len(maps) + 1.2))
    unknown = set(own_scale) - set(maps)
    if unknown:
        raise ValueError(f"own_scale names rows that maps lacks: {sorted(unknown)}")
    rows = np.stack([np.asarray(v, float) for v in maps.values()])
    row_max = np.abs(rows).max(1, keepdims=True)
    row_max = np.where(row_max > 0, row_max, 1.0)
    own = np.array([name in own_scale for name in maps])
    if scale == "row":
        rows = rows / row_max
        label = "weight / max |weight| of the row"
    else:
        rows = np.where(
            own[:, None], rows / row_max, rows / (np.abs(rows[~own]).max(initial=0) or 1.0)
        )
        label = "weight / max |weight| of all rows"
        if own.any():
            label += "\n(rows marked ÷: own max)"
    names = [f"{name} (÷ {row_max[i, 0]:.2g})" if own[i] else name for i, name in enumerate(maps)]
    im = ax.imshow(rows, cmap="RdBu_r", vmin=-1, vmax=1, aspect="auto")
    ax.set_xticks(range(len(tokens)), tokens, rotation=45, ha="right")
    ax.set_yticks(range(len(maps)), names)
    ax.set_title(title or f"word importances ({label})")
    ax.figure.colorbar(im, ax=ax, label=label, fraction=0.03)
    return ax.figure


def plot_layer_pca(
    states: dict[str, np.ndarray],
    y: np.ndarray,
    class_names: Sequence[str] = ("negative", "positive"),
    axes: Sequence[Axes] | None = None,
) -> Figure:
    """PCA of each layer's token states, coloured by ``y`` (one panel per layer). Each panel has its
    own **robust** scale: its axes span the 1st–99th percentile of its points (plus a margin), so a
    few outlying states do not squash the rest; points beyond are drawn on the edge as crosses and
    counted in the title. Compare the *shape* of the clouds across panels, not their size. Returns
    the Figure.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> fig = plot_layer_pca({"a": rng.normal(size=(20, 4))}, np.arange(20) % 2)
    >>> len(fig.axes)
    1
    """
    import matplotlib.pyplot as plt
    from sklearn.decomposition import PCA

    y = np.asarray(y)
    if axes is None:
        _, axes = plt.subplots(1, len(states), figsize=(4 * len(states), 3.6), squeeze=False)
        axes = axes[0]
    for ax, layer in zip(axes, states):
        xy = PCA(2, random_state=0).fit_transform(states[layer])
        lo, hi = np.percentile(xy, [1, 99], axis=0)
        pad = 0.08 * (hi - lo)
        lo, hi = lo - pad, hi + pad
        out = ((xy < lo) | (xy > hi)).any(1)
        xy = np.clip(xy, lo, hi)
        for c, colour in zip((0, 1), ("#d55e00", "#0072b2")):
            inside, edge = (y == c) & ~out, (y == c) & out
            ax.scatter(*xy[inside].T, s=6, alpha=0.5, color=colour, label=class_names[c])
            ax.scatter(*xy[edge].T, s=14, marker="x", color=colour)
        ax.set(
            title=f"{layer}\n(own scale; {int(out.sum())} outliers on the edge, ×)",
            xlabel="PC 1",
            ylabel="PC 2",
            xlim=(lo[0], hi[0]),
            ylim=(lo[1], hi[1]),
        )
    axes[0].legend(title="lexicon valence", markerscale=3)
    return axes[0].figure


def plot_token_pca(
    points: dict[str, np.ndarray],
    colour: np.ndarray,
    label: str,
    cmap: str = "viridis",
    vlim: tuple[float, float] | None = None,
    axes: Sequence[Axes] | None = None,
) -> Figure:
    """One panel per entry of ``points`` (each ``(n, 2)``, e.g. PCA coordinates of every token),
    coloured by ``colour`` (one value per point; NaN drawn small and grey, e.g. a word without
    a lexicon rating). ``vlim`` fixes the colour range. Returns the Figure.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> fig = plot_token_pca({"a": rng.normal(size=(9, 2))}, np.r_[np.arange(8.0), np.nan], "pos")
    >>> len(fig.axes)
    2
    """
    import matplotlib.pyplot as plt

    colour = np.asarray(colour, float)
    if axes is None:
        _, axes = plt.subplots(1, len(points), figsize=(4 * len(points), 3.6), squeeze=False)
        axes = axes[0]
    known = ~np.isnan(colour)
    lo, hi = vlim if vlim is not None else (np.nanmin(colour), np.nanmax(colour))
    for ax, (name, xy) in zip(axes, points.items()):
        xy = np.asarray(xy)
        if xy.shape != (len(colour), 2):
            raise ValueError(f"points[{name!r}] must be ({len(colour)}, 2), got {xy.shape}")
        ax.scatter(*xy[~known].T, s=3, color="0.75", label="no rating")
        sc = ax.scatter(*xy[known].T, c=colour[known], s=6, cmap=cmap, vmin=lo, vmax=hi)
        ax.set(title=name, xlabel="PC 1", ylabel="PC 2")
    axes[0].figure.colorbar(sc, ax=list(axes), label=label, fraction=0.03)
    if not known.all():
        axes[0].legend(loc="upper right", markerscale=3)
    return axes[0].figure
