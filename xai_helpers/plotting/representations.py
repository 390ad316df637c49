"""Figures of representations: embeddings and scores against depth.

Every helper takes ``ax=None`` (one panel) or ``axes=None`` (several) and returns what it drew."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..validation import check_array, check_labels

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "plot_embedding",
    "plot_against_depth",
]


def plot_embedding(
    emb: np.ndarray,
    y: np.ndarray | Sequence[int],
    ax: Axes | None = None,
    title: str | None = None,
    label_name: str = "digit",
    names: Sequence[str] | None = None,
) -> Figure:
    """Scatter a 2-D embedding (N, 2) coloured by integer labels ``y``, with a legend; returns the
    ``Figure``.

    More than three groups get the colour-blind-safe qualitative palette and one marker each (two
    cues per group); up to three get viridis colours.

    Examples
    --------
    >>> ax = plot_embedding(np.random.default_rng(0).normal(size=(20, 2)), np.arange(20) % 2,
    ... title="t").axes[0]
    >>> ax.get_title()
    't'
    """
    import matplotlib.pyplot as plt

    e = check_array(emb, "emb", ndim=2, min_rows=2)
    if e.shape[1] != 2:
        raise ValueError(f"emb must be (N, 2), got {e.shape}")
    y = check_labels(y, len(e), "y")
    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 4))
    classes = np.unique(y)
    if len(classes) > 3:  # the colour-blind-safe qualitative palette of the course's style
        palette = plt.style.library["tableau-colorblind10"]["axes.prop_cycle"].by_key()["color"]
        colours = {c: palette[i % len(palette)] for i, c in enumerate(classes)}
    else:  # up to three groups: viridis, ordered and colour-blind safe
        cmap = plt.get_cmap("viridis")
        colours = {c: cmap(i / max(1, len(classes) - 1)) for i, c in enumerate(classes)}
    # more than three groups: a marker per group as well, since the palette's greys and blues are
    # close to each other
    markers = {c: "os^vDP<X>*"[i % 10] if len(classes) > 3 else "o" for i, c in enumerate(classes)}
    for c in classes:
        pts = e[y == c]
        ax.scatter(
            pts[:, 0],
            pts[:, 1],
            color=colours[c],
            marker=markers[c],
            s=9 if len(classes) > 3 else 6,
            alpha=0.8,
            linewidths=0,
        )
    handles = [
        plt.Line2D(
            [], [], marker=markers[c], ls="", color=colours[c], label=names[c] if names else str(c)
        )
        for c in classes
    ]
    ax.legend(
        handles=handles,
        title=label_name,
        fontsize=7,
        title_fontsize=8,
        loc="center left",
        bbox_to_anchor=(1.0, 0.5),
        frameon=False,
    )
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("component 1")
    ax.set_ylabel("component 2")
    if title:
        ax.set_title(title)
    return ax.figure


def plot_against_depth(
    curves: Mapping[str, Mapping[str, float]],
    ax: Axes | None = None,
    title: str | None = None,
    ylabel: str = "score",
    chance: float | None = None,
) -> Figure:
    """Plot one line per curve (``name -> {layer: value}``) against the layers in order; returns the
    ``Figure``.

    Examples
    --------
    >>> ax = plot_against_depth({"digit": {"input": 0.1, "fc2": 0.4}}, ylabel="silhouette").axes[0]
    >>> len(ax.lines)
    1
    """
    import matplotlib.pyplot as plt

    if not curves:
        raise ValueError("curves is empty: pass {name: {layer: value}}")
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 3.5))
    for i, (name, values) in enumerate(curves.items()):
        layers = list(values)
        ax.plot(range(len(layers)), list(values.values()), marker="os^Dv"[i % 5], label=name)
    ax.set_xticks(range(len(layers)), layers)
    ax.set_xlabel("layer (input → output)")
    ax.set_ylabel(ylabel)
    if chance is not None:
        ax.axhline(chance, color="grey", ls=":", lw=1, label="chance")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return ax.figure
