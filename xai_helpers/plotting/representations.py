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
    "DISTINCT_COLOURS",
    "plot_embedding",
    "embedding_rows",
    "BAND_COLOURS",
    "plot_against_depth",
    "plot_lighting_sweep",
    "lamp_difference_images",
]


#: Ten hues told apart under the common colour-vision deficiencies: Paul Tol's "muted" scheme
#: (nine) and black.
DISTINCT_COLOURS: tuple[str, ...] = (
    "#332288",
    "#88CCEE",
    "#44AA99",
    "#117733",
    "#999933",
    "#DDCC77",
    "#CC6677",
    "#882255",
    "#AA4499",
    "#000000",
)


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

    More than three groups get ten distinct colour-blind-safe hues (:data:`DISTINCT_COLOURS`) and
    one marker each (two cues per group); up to three get viridis colours.

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
    if len(classes) > 3:  # ten distinct colour-blind-safe hues (Paul Tol's "muted" and black)
        colours = {c: DISTINCT_COLOURS[i % len(DISTINCT_COLOURS)] for i, c in enumerate(classes)}
    else:  # up to three groups: viridis, ordered and colour-blind safe
        cmap = plt.get_cmap("viridis")
        colours = {c: cmap(i / max(1, len(classes) - 1)) for i, c in enumerate(classes)}
    # more than three groups: a marker per group as well (two cues per group)
    markers = {c: "os^vDP<X>*"[i % 10] if len(classes) > 3 else "o" for i, c in enumerate(classes)}
    for c in classes:
        pts = e[y == c]
        ax.scatter(
            pts[:, 0],
            pts[:, 1],
            color=colours[c],
            marker=markers[c],
            s=14 if len(classes) > 3 else 6,
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


def embedding_rows(
    embeddings: Mapping[str, np.ndarray],
    digit: np.ndarray | Sequence[int],
    lamp: np.ndarray | Sequence[int],
    names: Sequence[str] | None = None,
    axes: np.ndarray | None = None,
) -> Figure:
    """One row per 2-D embedding: coloured by digit (left) and by lamp (right); returns the
    ``Figure``.

    Parameters
    ----------
    embeddings : mapping of str to np.ndarray
        ``name -> (N, 2)`` embedding (e.g. ``project(rep, "pca")``), one row each.
    digit, lamp : array of int
        The two labellings, (N,) each.
    names : sequence of str, optional
        The lamps' names for the legend.
    axes : np.ndarray, optional
        A (rows, 2) array of axes; a new figure when omitted.

    Examples
    --------
    >>> e = np.random.default_rng(0).normal(size=(20, 2))
    >>> fig = embedding_rows({"a": e, "b": e}, np.arange(20) % 4, np.arange(20) % 3)
    >>> len(fig.axes), fig.axes[1].get_title()
    (4, 'a, by lamp')
    """
    import matplotlib.pyplot as plt

    if not embeddings:
        raise ValueError("embeddings is empty: pass {name: (N, 2) array}")
    if axes is None:
        _, axes = plt.subplots(
            len(embeddings), 2, figsize=(10, 3.8 * len(embeddings)), squeeze=False
        )
    axes = np.asarray(axes).reshape(len(embeddings), 2)
    for row, (name, emb) in zip(axes, embeddings.items()):
        plot_embedding(emb, digit, ax=row[0], title=f"{name}, by digit")
        plot_embedding(
            emb, lamp, ax=row[1], title=f"{name}, by lamp", label_name="lamp", names=names
        )
    fig = axes[0, 0].figure
    fig.tight_layout()
    return fig


#: Null bands: Paul Tol's green, wine and sand, hues the curves' blue-orange-grey cycle lacks.
BAND_COLOURS: tuple[str, ...] = ("#117733", "#882255", "#DDCC77")


def plot_against_depth(
    curves: Mapping[str, Mapping[str, float]],
    ax: Axes | None = None,
    title: str | None = None,
    ylabel: str = "score",
    chance: float | None = None,
    bands: Mapping[str, tuple[Mapping[str, float], Mapping[str, float]]] | None = None,
    chance_label: str = "chance",
) -> Figure:
    """Plot one line per curve (``name -> {layer: value}``) against the layers in order; returns the
    ``Figure``. A curve may cover only some of the layers (the first curve's order comes first).

    ``bands`` (``name -> (low, high)``, each ``{layer: value}``) shades a null's range: a hatched
    band over the layers it covers, or a thick bar at a single layer, in colours no curve uses
    (:data:`BAND_COLOURS`). ``chance`` draws a dotted reference line labelled ``chance_label``
    (e.g. ``"floor"`` where the reference is not chance).

    Examples
    --------
    >>> ax = plot_against_depth({"digit": {"input": 0.1, "fc2": 0.4}}, ylabel="silhouette").axes[0]
    >>> len(ax.lines)
    1
    >>> fig = plot_against_depth({"d": {"input": 0.1, "fc2": 0.4}}, bands={"null": ({"fc2": 0.0},
    ... {"fc2": 0.1})})
    >>> fig.axes[0].get_legend().get_texts()[-1].get_text()
    'null'
    >>> fig = plot_against_depth({"d": {"fc2": 0.4}}, chance=0.3, chance_label="floor")
    >>> fig.axes[0].get_legend().get_texts()[-1].get_text()
    'floor'
    """
    import matplotlib.pyplot as plt

    if not curves:
        raise ValueError("curves is empty: pass {name: {layer: value}}")
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 3.5))
    layers = list(dict.fromkeys(ly for values in curves.values() for ly in values))
    for i, (name, values) in enumerate(curves.items()):
        at = [layers.index(ly) for ly in values]  # a curve may cover only some layers
        ax.plot(at, list(values.values()), marker="os^Dv"[i % 5], label=name)
    ax.set_xticks(range(len(layers)), layers)
    ax.set_xlabel("layer (input → output)")
    ax.set_ylabel(ylabel)
    if chance is not None:
        ax.axhline(chance, color="black", ls=":", lw=1, label=chance_label)
    for k, (name, (low, high)) in enumerate((bands or {}).items()):
        shaded = [ly for ly in layers if ly in low]  # in the curves' layer order
        at, colour = [layers.index(ly) for ly in shaded], BAND_COLOURS[k % len(BAND_COLOURS)]
        lo, hi = [low[ly] for ly in shaded], [high[ly] for ly in shaded]
        if len(at) > 1:
            ax.fill_between(at, lo, hi, color=colour, alpha=0.25, hatch="//", label=name)
        else:
            ax.vlines(at, lo, hi, color=colour, lw=8, alpha=0.5, label=name)
            ax.plot(at, lo, "_", color=colour, ms=14)
            ax.plot(at, hi, "_", color=colour, ms=14)
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return ax.figure


LINE_STYLES = ("-", "--", ":", "-.")  # one per network in plot_lighting_sweep


def plot_lighting_sweep(
    sweep: Mapping[tuple[str, float], Mapping],
    amplitude: float,
    axes: Sequence[Axes] | None = None,
    chance: float = 1 / 3,
) -> Figure:
    """Three panels of :func:`xai_helpers.representations.lighting_sweep`'s table.

    Left: silhouettes by digit and by lighting against depth, at ``amplitude``, for every network.
    Middle: the input's silhouettes against the amplitude. Right: the linear lighting probe against
    the amplitude, for every network, with ``chance``. The chosen amplitude is a dashed line.

    Examples
    --------
    >>> row = {"digit": {"input": 0.0, "fc2": 0.3}, "lighting": {"input": 0.2, "fc2": 0.0},
    ...        "probe": 0.5}
    >>> fig = plot_lighting_sweep({("trained", 0.0): row, ("trained", 0.4): row}, 0.4)
    >>> len(fig.axes)
    3
    """
    import matplotlib.pyplot as plt

    if not sweep:
        raise ValueError("sweep is empty: pass lighting_sweep's table")
    nets = list(dict.fromkeys(net for net, _ in sweep))
    amps = sorted({amp for _, amp in sweep})
    amplitude = min(amps, key=lambda a: abs(a - amplitude))
    if axes is None:
        _, axes = plt.subplots(1, 3, figsize=(14, 3.6))
    left, middle, right = axes
    for k, net in enumerate(nets):
        for by, colour in [("digit", "C0"), ("lighting", "C1")]:
            values = sweep[net, amplitude][by]
            ls = LINE_STYLES[k % len(LINE_STYLES)]
            left.plot(
                list(values),
                list(values.values()),
                ls,
                color=colour,
                marker="o",
                label=f"{net}, by {by}",
            )
        right.plot(
            amps,
            [sweep[net, a]["probe"] for a in amps],
            LINE_STYLES[k % len(LINE_STYLES)],
            marker="o",
            label=f"{net} network",
        )
    for by, colour in [("digit", "C0"), ("lighting", "C1")]:
        middle.plot(
            amps,
            [sweep[nets[0], a][by]["input"] for a in amps],
            color=colour,
            marker="o",
            label=f"input, by {by}",
        )
    left.axhline(0, color="grey", ls=":", lw=1)
    right.axhline(chance, color="grey", ls=":", lw=1, label="chance")
    for ax in (middle, right):
        ax.axvline(amplitude, color="black", ls="--", lw=1)
        ax.set_xlabel("lamp amplitude")
    left.set(
        xlabel="layer (input → output)",
        ylabel="silhouette score",
        title=f"Silhouettes at amplitude {amplitude:.1f}",
    )
    middle.set(ylabel="silhouette score", title="The input: lamp or digit?")
    probe_layer = "relu3"
    right.set(ylabel="linear lighting probe, held out", title=f"Lighting read off {probe_layer}")
    for ax in axes:
        ax.legend(fontsize=7, handlelength=3.5)
    fig = left.figure
    fig.tight_layout()
    return fig


def lamp_difference_images(
    images: Mapping[str, np.ndarray],
    groups: np.ndarray | Sequence[int],
    names: Sequence[str],
    axes: np.ndarray | None = None,
    same_scale: bool = False,
) -> Figure:
    """What each group adds: the mean image of each group minus the mean of all, per image set.

    One row per entry of ``images`` (e.g. the decoded images of a layer), one column per group
    (e.g. the lamp's side), on one symmetric RdBu_r scale per row (``same_scale=True``: one scale
    for all rows, so that rows can be compared), with a colour bar: a nuisance the eye misses in
    single images shows in the difference of means.

    Examples
    --------
    >>> imgs = {"a": np.random.default_rng(0).random((12, 1, 8, 8))}
    >>> fig = lamp_difference_images(imgs, np.arange(12) % 3, ["l", "t", "r"])
    >>> len(fig.axes)  # 3 panels and a colour bar
    4
    """
    import matplotlib.pyplot as plt

    if not images:
        raise ValueError("images is empty: pass {row name: (N, 1, H, W) images}")
    g = check_labels(groups, len(next(iter(images.values()))), "groups")
    if len(names) != int(g.max()) + 1:
        raise ValueError(f"got {len(names)} names for {int(g.max()) + 1} groups")
    if axes is None:
        _, axes = plt.subplots(
            len(images),
            len(names),
            figsize=(2.0 * len(names) + 1.4, 2.0 * len(images) + 0.3),
            squeeze=False,
        )
    axes = np.asarray(axes, dtype=object).reshape(len(images), len(names))
    all_diffs = {}
    for label, imgs in images.items():
        a = check_array(np.asarray(imgs, dtype=np.float64), f"images[{label!r}]", ndim=4)[:, 0]
        all_diffs[label] = [a[g == k].mean(0) - a.mean(0) for k in range(len(names))]
    top = {label: max(float(np.abs(d).max()) for d in diffs) for label, diffs in all_diffs.items()}
    for row, (label, diffs) in enumerate(all_diffs.items()):
        scale = (max(top.values()) if same_scale else top[label]) or 1.0
        for k, d in enumerate(diffs):
            ax = axes[row, k]
            im = ax.imshow(d, cmap="RdBu_r", vmin=-scale, vmax=scale)
            ax.set_xticks([])
            ax.set_yticks([])
            if row == 0:
                ax.set_title(f"{names[k]} − all", fontsize=9)
            if k == 0:
                ax.set_ylabel(label, fontsize=9)
        ax.figure.colorbar(im, ax=list(axes[row]), shrink=0.8, label="Δ brightness")
    fig = axes[0, 0].figure
    fig.suptitle(
        "Mean image per group minus the mean of all (blue darker, red brighter)", fontsize=9
    )
    return fig
