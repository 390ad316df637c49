"""Figures: images, heatmaps and overlays with colour bars, in a colour-blind-safe style.

Every helper takes ``ax=None`` (a new figure is made when omitted) and returns what it drew.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
import torch

from ._setup import COURSE_CMAP, COURSE_DIVERGING_CMAP
from .validation import check_number

__all__ = ["to_numpy_image", "show_image", "show_heatmap", "overlay", "show_explanation", "image_grid", "bar_chart", "signed_bars", "interval_chart", "interval_curve", "show_outline", "show_occlusion", "plot_deletion_curves", "plot_randomization", "plot_embedding", "plot_against_depth", "grouped_bars", "image_columns"]


def to_numpy_image(img) -> np.ndarray:
    """Turn a tensor (C, H, W) / (1, C, H, W) / (H, W) or an array into (H, W) or (H, W, 3) for ``imshow``.

    Examples
    --------
    >>> to_numpy_image(torch.zeros(1, 1, 28, 28)).shape
    (28, 28)
    """
    if isinstance(img, torch.Tensor):
        img = img.detach().cpu().numpy()
    a = np.asarray(img)
    if a.ndim == 4:
        if a.shape[0] != 1:
            raise ValueError(f"expected one image, got a batch of {a.shape[0]}")
        a = a[0]
    if a.ndim == 3 and a.shape[0] in (1, 3) and a.shape[-1] not in (1, 3):
        a = np.moveaxis(a, 0, -1)
    if a.ndim == 3 and a.shape[-1] == 1:
        a = a[..., 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[-1] != 3):
        raise ValueError(f"cannot show an array of shape {np.shape(img)} as an image")
    return a


def _ax(ax):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots()
    return ax


def show_image(img, ax=None, title: str | None = None, cmap: str = "gray", **kwargs):
    """Show an image (grey or RGB) without axes ticks; returns the ``Axes``.

    Examples
    --------
    >>> ax = show_image(torch.rand(1, 28, 28), title="a digit")
    >>> ax.get_title(), len(ax.images)
    ('a digit', 1)
    """
    ax = _ax(ax)
    a = to_numpy_image(img)
    ax.imshow(a, cmap=cmap if a.ndim == 2 else None, **kwargs)
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title)
    return ax


def show_heatmap(
    heat,
    ax=None,
    title: str | None = None,
    cmap: str | None = None,
    signed: bool = False,
    colorbar: bool = True,
    label: str = "importance",
    **kwargs,
):
    """Show a 2-D attribution map with a colour bar; returns the ``Axes`` (the map is ``ax.images[-1]``).

    ``signed=True`` centres a diverging map on 0 (blue negative, red positive).

    Examples
    --------
    >>> ax = show_heatmap(torch.rand(28, 28), title="saliency")
    >>> ax.images[-1].colorbar is not None
    True
    """
    ax = _ax(ax)
    h = to_numpy_image(heat)
    if h.ndim != 2:
        raise ValueError(f"a heatmap must be 2-D, got shape {h.shape}")
    if signed:
        m = float(np.abs(h).max()) or 1.0
        kwargs.setdefault("vmin", -m)
        kwargs.setdefault("vmax", m)
    im = ax.imshow(h, cmap=cmap or (COURSE_DIVERGING_CMAP if signed else COURSE_CMAP), **kwargs)
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title)
    if colorbar:
        ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label=label)
    return ax


def show_outline(mask, ax=None, color: str = "white", linewidth: float = 1.0, **kwargs):
    """Draw the outline of a boolean mask (H, W) (ink, an object) over what ``ax`` shows; returns the ``Axes``.

    Use it to put the input on top of its explanation: the outline follows pixel centres, so it lines
    up with an ``imshow`` of the same size.

    Examples
    --------
    >>> mask = torch.zeros(8, 8, dtype=torch.bool)
    >>> mask[2:6, 2:6] = True
    >>> ax = show_outline(mask, color="black")
    >>> [len(c.levels) for c in ax.collections]
    [1]
    """
    ax = _ax(ax)
    m = to_numpy_image(mask)
    if m.ndim != 2 or m.dtype != bool:
        raise ValueError(f"mask must be a 2-D boolean array, got dtype {m.dtype} and shape {m.shape}")
    if not m.any() or m.all():
        raise ValueError("mask has no outline: it is all False or all True")
    ax.contour(m.astype(float), levels=[0.5], colors=[color], linewidths=linewidth, **kwargs)
    return ax


def show_occlusion(prob_map, box: int, stride: int, size: tuple[int, int], ax=None, title: str | None = None, label: str = "P(class) with the box here", **kwargs):
    """Show an occlusion map (one value per box position) on the image's pixel grid; returns the ``Axes``.

    Each value is drawn as a ``stride``×``stride`` cell centred on its box's centre, and the axes
    span the image (``size`` = (H, W)), so an outline or the image can be drawn on top. The colour
    scale is the map's own range unless ``vmin`` / ``vmax`` are given; the border no box centre reaches is mid-grey.

    Examples
    --------
    >>> ax = show_occlusion(torch.rand(6, 6), box=8, stride=4, size=(28, 28), title="occlusion")
    >>> [float(v) for v in ax.get_xlim()]
    [-0.5, 27.5]
    """
    ax = _ax(ax)
    p = to_numpy_image(prob_map)
    if p.ndim != 2:
        raise ValueError(f"an occlusion map must be 2-D (rows, cols), got shape {p.shape}")
    h, w = size
    lo = box / 2 - 0.5 - stride / 2
    extent = (lo, lo + stride * p.shape[1], lo + stride * p.shape[0], lo)
    show_heatmap(p, ax=ax, title=title, label=label, extent=extent, **kwargs)
    ax.set_facecolor("0.5")
    ax.set_xlim(-0.5, w - 0.5)
    ax.set_ylim(h - 0.5, -0.5)
    return ax


def overlay(img, heat, ax=None, title: str | None = None, alpha: float = 0.55, cmap: str | None = None, colorbar: bool = True, label: str = "importance", **kwargs):
    """Draw ``heat`` (resized to the image) semi-transparently over a greyed copy of ``img``.

    ``kwargs`` (``vmin``, ``vmax``, ...) go to the heatmap's ``imshow``. Returns the ``Axes``
    (the heatmap is ``ax.images[-1]``).

    Examples
    --------
    >>> ax = overlay(torch.rand(3, 32, 32), torch.rand(8, 8))
    >>> ax.images[-1].get_alpha()
    0.55
    """
    ax = _ax(ax)
    a = to_numpy_image(img).astype(float)
    grey = a.mean(-1) if a.ndim == 3 else a
    h = to_numpy_image(heat).astype(float)
    ax.imshow(grey, cmap="gray", alpha=0.6)
    extent = (-0.5, grey.shape[1] - 0.5, grey.shape[0] - 0.5, -0.5)
    im = ax.imshow(h, cmap=cmap or COURSE_CMAP, alpha=alpha, extent=extent, interpolation="bilinear", **kwargs)
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title)
    if colorbar:
        ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label=label)
    return ax


def _draw_overlay(img, heat, ax, **kwargs):
    return overlay(img, heat, ax=ax, **kwargs)


def show_explanation(
    image,
    maps,
    *,
    titles: Sequence[str] | None = None,
    overlay: bool = False,
    cmap: str | None = None,
    signed: bool | Sequence[bool] = False,
    quantile: float | None | Sequence[float | None] = None,
    image_title: str | None = None,
    label: str | Sequence[str] = "importance",
    outline=None,
    axes=None,
    size: float = 3.0,
    shared_scale: bool = False,
):
    """Show an image beside its explanation maps (or the maps overlaid on it); returns the ``Figure``.

    Parameters
    ----------
    image : tensor or array
        The input, (C, H, W), (1, C, H, W), (H, W) or (H, W, 3).
    maps : tensor, array, sequence or dict
        One 2-D map, a sequence of 2-D maps, or a dict {title: map}. A map may be smaller than the
        image in overlay mode (Grad-CAM); it is stretched over it.
    titles : sequence of str, optional
        One title per map (taken from the dict's keys when ``maps`` is a dict).
    overlay : bool
        ``False``: the image in the first panel, one panel per map. ``True``: one panel per map,
        the map drawn semi-transparently over a grey copy of the image.
    cmap : str, optional
        Colour map; defaults to the course's colour-blind-safe maps (``COURSE_CMAP``, or
        ``COURSE_DIVERGING_CMAP`` for signed maps).
    signed : bool or sequence of bool
        Centre the colour scale on 0 (per map or for all).
    quantile : float in (0, 1], or one per map (``None`` for a map's full range), optional
        Scale the colour bar to this quantile of ``|map|`` instead of its maximum, so that a few
        extreme pixels do not wash out the map's variation.
    image_title, label : str
        The image panel's title; the colour bar's label (one, or one per map).
    outline : boolean mask (H, W), optional
        Drawn (with :func:`show_outline`) on every map panel, to put the input on its explanation.
    axes : sequence of Axes, optional
        Where to draw (``len(maps) + 1`` axes, or ``len(maps)`` with ``overlay=True``); a new row of
        panels, ``size`` inches each, when omitted.
    shared_scale : bool
        ``True``: one colour scale for all maps (the largest of their scales), so that a weak map
        looks weak beside a strong one; ``False`` (default): each map is scaled to its own range.

    Examples
    --------
    >>> img, sal = torch.rand(1, 28, 28), torch.rand(28, 28)
    >>> fig = show_explanation(img, {"saliency": sal, "signed": sal - 0.5}, signed=[False, True], quantile=0.99)
    >>> [ax.get_title() for ax in fig.axes[:3]]
    ['input', 'saliency', 'signed']
    >>> fig = show_explanation(img, torch.rand(7, 7), overlay=True, titles=["Grad-CAM"])
    >>> fig.axes[0].get_title()
    'Grad-CAM'
    >>> fig = show_explanation(img, [sal, 10 * sal], shared_scale=True)
    >>> [float(ax.images[-1].get_clim()[1]) == float(10 * sal.max()) for ax in fig.axes[1:3]]
    [True, True]
    """
    import matplotlib.pyplot as plt

    if isinstance(maps, dict):
        if titles is not None:
            raise ValueError("give titles either as the dict's keys or as titles=, not both")
        titles, maps = list(maps.keys()), list(maps.values())
    elif isinstance(maps, (torch.Tensor, np.ndarray)) and np.ndim(maps) == 2:
        maps = [maps]
    else:
        maps = list(maps)
    n = len(maps)
    if n == 0:
        raise ValueError("show_explanation needs at least one map")
    if titles is not None and len(titles) != n:
        raise ValueError(f"got {len(titles)} titles for {n} maps")
    signs = [bool(signed)] * n if isinstance(signed, (bool, np.bool_)) else list(signed)
    labels = [label] * n if isinstance(label, str) else list(label)
    quantiles = list(quantile) if isinstance(quantile, (list, tuple)) else [quantile] * n
    if len(signs) != n or len(labels) != n or len(quantiles) != n:
        raise ValueError(f"signed, label and quantile must be one value or one per map ({n}), got {len(signs)}, {len(labels)} and {len(quantiles)}")
    quantiles = [None if q is None else check_number(q, "quantile", 0, 1, low_open=True) for q in quantiles]
    n_panels = n if overlay else n + 1
    if axes is None:
        fig, axes = plt.subplots(1, n_panels, figsize=(size * n_panels, size), squeeze=False)
        axes = list(axes.flat)
    else:
        axes = list(np.ravel(axes))
        if len(axes) != n_panels:
            raise ValueError(f"need {n_panels} axes for {n} maps (overlay={overlay}), got {len(axes)}")
        fig = axes[0].figure
    if not overlay:
        show_image(image, ax=axes[0], title=image_title or "input")
    heats, scales = [], []
    for i, m in enumerate(maps):
        h = to_numpy_image(m).astype(float)
        if h.ndim != 2:
            raise ValueError(f"map {i} must be 2-D, got shape {h.shape}")
        q = quantiles[i]
        heats.append(h)
        scales.append((float(np.quantile(np.abs(h), q)) if q is not None else float(np.abs(h).max())) or 1.0)
    if shared_scale:
        scales = [max(scales)] * n
    for i, (h, scale, ax) in enumerate(zip(heats, scales, axes if overlay else axes[1:])):
        q = quantiles[i]
        if signs[i]:
            kw = {"vmin": -scale, "vmax": scale}
        elif shared_scale:
            kw = {"vmin": min(float(hh.min()) for hh in heats), "vmax": scale}
        else:
            kw = {"vmax": scale} if q is not None else {}
        cm = cmap or (COURSE_DIVERGING_CMAP if signs[i] else COURSE_CMAP)
        title = titles[i] if titles is not None else None
        if overlay:
            _draw_overlay(image, h, ax, title=title, cmap=cm, label=labels[i], **kw)
        else:
            show_heatmap(h, ax=ax, title=title, cmap=cm, label=labels[i], **kw)
        if outline is not None:
            show_outline(outline, ax=ax, color="black" if signs[i] else "white")
    return fig


def image_grid(images, titles: Sequence[str] | None = None, ncols: int = 8, cmap: str = "gray", size: float = 1.4, suptitle: str | None = None, axes=None, **kwargs):
    """Show many images in a grid; returns the ``Figure``.

    ``axes``, if given, holds at least one Axes per image (any shape; drawn in order, the unused ones
    removed); otherwise a new figure of ``ceil(N / ncols)`` rows of ``ncols`` panels, ``size`` inches each.

    Examples
    --------
    >>> fig = image_grid(torch.rand(10, 1, 28, 28), titles=[str(i) for i in range(10)], ncols=5)
    >>> len(fig.axes)
    10
    """
    import matplotlib.pyplot as plt

    n = len(images)
    if n == 0:
        raise ValueError("image_grid needs at least one image")
    if titles is not None and len(titles) != n:
        raise ValueError(f"got {len(titles)} titles for {n} images")
    if axes is None:
        ncols = min(ncols, n)
        nrows = -(-n // ncols)
        title_room = 0.3 if titles is not None else 0.0  # each row's titles need their own height, or they hide under the row above
        fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, (size + title_room) * nrows + (0.4 if suptitle else 0)), squeeze=False)
    else:
        axes = np.asarray(axes, dtype=object)
        if axes.size < n:
            raise ValueError(f"need at least {n} axes for {n} images, got {axes.size}")
        fig = axes.flat[0].figure
    for i, ax in enumerate(axes.flat):
        if i < n:
            show_image(images[i], ax=ax, title=titles[i] if titles else None, cmap=cmap, **kwargs)
        else:
            ax.remove()
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


# ---- evaluation and representation figures


def plot_deletion_curves(curves: dict, ax=None, title: str = "Deletion curves (lower = more faithful)"):
    """Mean deletion curve of each method (:class:`xai_helpers.evaluation.DeletionCurve`), with its mean
    AUC in the legend; returns the ``Axes``.

    Examples
    --------
    >>> from xai_helpers.evaluation import DeletionCurve
    >>> c = DeletionCurve(torch.linspace(0, 1, 3), torch.tensor([[0.9, 0.5, 0.1]]))
    >>> len(plot_deletion_curves({"saliency": c}).lines)
    1
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    for i, (name, curve) in enumerate(curves.items()):
        ax.plot(curve.fractions.cpu().numpy(), curve.mean().cpu().numpy(), color=f"C{i}", marker=".", label=f"{name} (AUC {float(curve.auc.mean()):.3f})")
    ax.set_xlabel("fraction of pixels removed (most important first)")
    ax.set_ylabel("probability of the class")
    ax.set_ylim(0, 1.02)
    ax.set_title(title)
    ax.legend()
    return ax


def plot_randomization(results: dict[str, dict[str, float]], ax=None, title: str = "Randomization sanity check"):
    """Rank correlation with the trained model's map as layers are randomised; returns the ``Axes``.

    ``results`` maps a method's name to the output of :func:`xai_helpers.evaluation.randomization_check`.

    Examples
    --------
    >>> len(plot_randomization({"saliency": {"trained": 1.0, "fc2": 0.6, "fc1": 0.2}}).lines)
    2
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    for i, (name, rhos) in enumerate(results.items()):
        ax.plot(np.arange(len(rhos)), list(rhos.values()), color=f"C{i}", marker="o", label=name)
    first = next(iter(results.values()))
    ax.set_xticks(np.arange(len(first)), ["trained"] + [f"+ {s}" for s in list(first)[1:]])
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_xlabel("layers re-initialised (cascading, from the top)")
    ax.set_ylabel("Spearman rank correlation\nwith the trained model's map")
    ax.set_ylim(-0.2, 1.05)
    ax.set_title(title)
    ax.legend()
    return ax


def plot_embedding(emb, y, ax=None, title: str | None = None, label_name: str = "digit", names: Sequence[str] | None = None):
    """Scatter a 2-D embedding (N, 2) coloured by integer labels ``y``, with a legend; returns the ``Axes``.

    More than three groups get the colour-blind-safe qualitative palette and one marker each (two cues per group);
    up to three get viridis colours.

    Examples
    --------
    >>> ax = plot_embedding(np.random.default_rng(0).normal(size=(20, 2)), np.arange(20) % 2, title="t")
    >>> ax.get_title()
    't'
    """
    import matplotlib.pyplot as plt

    from .validation import check_array, check_labels

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
    # more than three groups: a marker per group as well, since the palette's greys and blues are close to each other
    markers = {c: "os^vDP<X>*"[i % 10] if len(classes) > 3 else "o" for i, c in enumerate(classes)}
    for c in classes:
        pts = e[y == c]
        ax.scatter(pts[:, 0], pts[:, 1], color=colours[c], marker=markers[c], s=9 if len(classes) > 3 else 6, alpha=0.8, linewidths=0)
    handles = [plt.Line2D([], [], marker=markers[c], ls="", color=colours[c], label=names[c] if names else str(c)) for c in classes]
    ax.legend(handles=handles, title=label_name, fontsize=7, title_fontsize=8, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("component 1")
    ax.set_ylabel("component 2")
    if title:
        ax.set_title(title)
    return ax


def plot_against_depth(curves, ax=None, title: str | None = None, ylabel: str = "score", chance: float | None = None):
    """Plot one line per curve (``name -> {layer: value}``) against the layers in order; returns the ``Axes``.

    Examples
    --------
    >>> ax = plot_against_depth({"digit": {"input": 0.1, "fc2": 0.4}}, ylabel="silhouette")
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
    return ax


def bar_chart(labels: Sequence[str], values: Sequence[float], ax=None, title: str | None = None, ylabel: str | None = None, fmt: str = "{:.0f}"):
    """A labelled bar chart with the values written on the bars; returns the ``Axes``.

    Examples
    --------
    >>> ax = bar_chart(["a", "b"], [1, 2])
    >>> len(ax.patches)
    2
    """
    ax = _ax(ax)
    bars = ax.bar(list(labels), list(values), color=[f"C{i}" for i in range(len(labels))])
    ax.bar_label(bars, labels=[fmt.format(v) for v in values])
    if title:
        ax.set_title(title)
    if ylabel:
        ax.set_ylabel(ylabel)
    return ax


def signed_bars(labels: Sequence[str], values: Sequence[float], ax=None, title: str | None = None, xlabel: str | None = None, positive: str = "positive", negative: str = "negative"):
    """Horizontal bars for signed values (weights), one colour per sign, both named in a legend.

    The bars are drawn in the order given, the first at the top. Positive bars are blue (``C0``),
    negative ones orange (``C1``) in the course's colour-blind-safe style. Returns the ``Axes``.

    Examples
    --------
    >>> ax = signed_bars(["a", "b", "c"], [0.5, -1.0, 2.0], positive="→ benign", negative="→ malignant")
    >>> [float(b.get_width()) for b in ax.patches]
    [0.5, -1.0, 2.0]
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['→ benign', '→ malignant']
    """
    from matplotlib.patches import Patch

    labels, values = list(labels), np.asarray(values, dtype=float)
    if values.ndim != 1 or len(labels) != len(values):
        raise ValueError(f"need one label per value, got {len(labels)} labels and values of shape {values.shape}")
    if not np.isfinite(values).all():
        raise ValueError("signed_bars got non-finite values")
    ax = _ax(ax)
    y = np.arange(len(values))[::-1]
    ax.barh(y, values, color=["C0" if v >= 0 else "C1" for v in values])
    ax.set_yticks(y, labels)
    ax.axvline(0, color="black", lw=0.8)
    ax.legend(handles=[Patch(color="C0", label=positive), Patch(color="C1", label=negative)], loc="best")
    if title:
        ax.set_title(title)
    if xlabel:
        ax.set_xlabel(xlabel)
    return ax


def interval_chart(estimates: dict, ax=None, title: str | None = None, xlabel: str = "test accuracy", reference: float | None = None, reference_label: str | None = None):
    """Estimates with their confidence intervals (e.g. :func:`xai_helpers.stats.accuracy_interval`), one row each.

    ``estimates`` maps a name to ``(value, low, high)``; the first is drawn at the top, with its
    value written beside it. ``reference`` draws a dashed vertical line (a chance level, a
    majority-class baseline). Returns the ``Axes``.

    Examples
    --------
    >>> ax = interval_chart({"a": (0.9, 0.85, 0.94), "b": (0.7, 0.6, 0.8)}, reference=0.5, reference_label="chance")
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['a', 'b']
    """
    if not estimates:
        raise ValueError("interval_chart needs at least one estimate")
    rows = np.array([tuple(map(float, e)) for e in estimates.values()])
    if rows.ndim != 2 or rows.shape[1] != 3 or not (rows[:, 1] <= rows[:, 0]).all() or not (rows[:, 0] <= rows[:, 2]).all():
        raise ValueError("each estimate must be (value, low, high) with low <= value <= high")
    ax = _ax(ax)
    y = np.arange(len(rows))[::-1]
    ax.errorbar(rows[:, 0], y, xerr=[rows[:, 0] - rows[:, 1], rows[:, 2] - rows[:, 0]], fmt="o", color="C0", capsize=4)
    for yi, (v, _, hi) in zip(y, rows):
        ax.annotate(f"{v:.3f}", (hi, yi), xytext=(4, 0), textcoords="offset points", va="center", fontsize=8)
    ax.set_yticks(y, list(estimates))
    ax.set_ylim(-0.6, len(rows) - 0.4)
    if reference is not None:
        ax.axvline(reference, ls="--", color="C3", label=reference_label)
        if reference_label:
            ax.legend(loc="center left", fontsize=8)
    ax.set_xlabel(xlabel)
    if title:
        ax.set_title(title)
    return ax


def interval_curve(x: Sequence[float], estimates: Sequence, ax=None, highlight: int | None = None, label: str | None = None):
    """A curve of estimates ``(value, low, high)`` against ``x`` with error bars; ``highlight`` rings one point.

    Returns the ``Axes`` (the curve is ``ax.lines[0]``). Axis labels, scales and limits are left to the caller.

    Examples
    --------
    >>> ax = interval_curve([2, 4, 8], [(0.8, 0.7, 0.9), (0.9, 0.8, 0.95), (0.85, 0.75, 0.9)], highlight=1)
    >>> [float(v) for v in ax.lines[0].get_ydata()]
    [0.8, 0.9, 0.85]
    """
    rows = np.array([tuple(map(float, e)) for e in estimates])
    x = np.asarray(x, dtype=float)
    if rows.ndim != 2 or rows.shape[1] != 3 or len(x) != len(rows):
        raise ValueError(f"need one (value, low, high) estimate per x, got {len(x)} x and estimates of shape {rows.shape}")
    if not ((rows[:, 1] <= rows[:, 0]) & (rows[:, 0] <= rows[:, 2])).all():
        raise ValueError("each estimate must be (value, low, high) with low <= value <= high")
    if highlight is not None and not 0 <= highlight < len(x):
        raise ValueError(f"highlight must index one of the {len(x)} points, got {highlight}")
    ax = _ax(ax)
    ax.errorbar(x, rows[:, 0], yerr=[rows[:, 0] - rows[:, 1], rows[:, 2] - rows[:, 0]], fmt="o-", color="C0", capsize=3, label=label)
    if highlight is not None:
        ax.plot(x[highlight], rows[highlight, 0], "s", ms=13, mfc="none", mec="C1", mew=2.5)
    return ax


# ---- figures moved from lime/trees/activation_maximization/monsters/toys
# Same convention as above: ``ax=None`` (or ``axes=None``) in; the ``Axes`` drawn in (one panel) or the
# ``Figure`` (several panels) out.

__all__ += [
    "show_segment_weights",
    "show_local_line",
    "show_decision_regions",
    "show_filters_and_patches",
    "checkerboard",
    "show_file",
    "show_saliency_rows",
    "explain_one",
    "plot_elephant",
]


def show_segment_weights(image, segments: np.ndarray, weights: np.ndarray, ax=None, title: str | None = None, alpha: float = 0.6, colorbar: bool = True):
    """The lecture's picture: each segment painted with its LIME weight (red supports, blue opposes).

    The image is drawn in light grey under the weights, with the segments' boundaries in yellow
    (images of 100 px or more; on smaller ones the boundaries would hide the image).

    The weights are drawn in a diverging map centred on 0, with a colour bar. Returns the ``Axes``.

    Examples
    --------
    >>> ax = show_segment_weights(np.zeros((2, 2, 3)), np.array([[0, 1], [0, 1]]), np.array([1.0, -1.0]), title="w")
    >>> ax.images[-1].get_clim()
    (-1.0, 1.0)
    """
    from skimage.segmentation import mark_boundaries

    from .lime import weights_to_map

    ax = _ax(ax)
    img = to_numpy_image(image).astype(np.float64)
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=-1)
    heat = weights_to_map(segments, weights)
    m = float(np.abs(heat).max()) or 1.0
    grey = 0.4 + 0.6 * np.repeat(np.clip(img, 0, 1).mean(-1, keepdims=True), 3, axis=-1)  # light grey: colours are the weights'
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
    return ax


def show_local_line(black_box: Callable[[np.ndarray], np.ndarray], x0: float, fit, span: float = 4.0, ax=None, title: str | None = None):
    """The lecture's 1-D picture: the black-box curve, the point, its neighbours (shade = proximity weight)
    and the local line.

    ``fit`` is a :class:`xai_helpers.lime.LocalLinear` fitted on offsets ``samples = x − x0`` (one column).
    Returns the ``Axes``.

    Examples
    --------
    >>> from xai_helpers.lime import lime_tabular_from_scratch
    >>> f = lambda X: np.sin(X[:, 0])
    >>> fit = lime_tabular_from_scratch(f, np.array([1.0]), kernel_width=0.5, n_samples=200)
    >>> show_local_line(f, 1.0, fit).lines[1].get_linestyle()
    '--'
    """
    from .validation import check_black_box

    ax = _ax(ax)
    grid = np.linspace(x0 - span, x0 + span, 400)
    ax.plot(grid, check_black_box(black_box, grid[:, None]), color="C0", lw=2, label="black box")
    dz = fit.samples[:, 0]
    order = np.argsort(fit.weights)
    pts = ax.scatter(x0 + dz[order], fit.outputs[order], c=fit.weights[order], cmap="viridis", vmin=0, vmax=1, s=8, zorder=2)
    slope = float(fit.coef[0])
    ax.plot(grid, fit.intercept + slope * (grid - x0), color="C1", lw=2, ls="--", label=f"local line (slope {slope:.2f})")
    ax.plot([x0], [fit.intercept], "o", color="C1", ms=9, mec="k", zorder=3, label="the point to explain")
    ax.set_xlim(x0 - span, x0 + span)
    ax.set_xlabel("input x")
    ax.set_ylabel("output f(x)")
    ax.legend(loc="lower left", fontsize="small")
    ax.figure.colorbar(pts, ax=ax, fraction=0.046, pad=0.04, label="proximity weight")
    if title:
        ax.set_title(title)
    return ax


def show_decision_regions(predict: Callable[[np.ndarray], np.ndarray], X: np.ndarray, y: np.ndarray | None = None, ax=None, title: str | None = None, lim: float = 2.0):
    """Shade the plane by a 2-feature classifier's predicted class, with the points on top.

    ``predict`` maps (n, 2) to class labels. Returns the ``Axes``.

    Examples
    --------
    >>> from xai_helpers.data import make_parabola
    >>> X, y = make_parabola(50, seed=0)
    >>> show_decision_regions(lambda A: (A[:, 1] > 0).astype(int), X, y).get_xlabel()
    'x₁'
    """
    from .validation import check_array

    ax = _ax(ax)
    g = np.linspace(-lim, lim, 200)
    gx, gy = np.meshgrid(g, g)
    z = np.asarray(predict(np.c_[gx.ravel(), gy.ravel()].astype(np.float32))).reshape(gx.shape)
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
    return ax


def show_filters_and_patches(
    xstar: torch.Tensor | dict,
    patches: torch.Tensor,
    channels: Sequence[int],
    ncols: int = 4,
    size: float = 1.0,
    axes=None,
    dead: Sequence[int] = (),
):
    """Each filter's X* (one or several versions) beside the real patches that activate it most; returns the ``Figure``.

    Parameters
    ----------
    xstar : torch.Tensor or dict
        (F, 1, H, W): one X* per filter; or a dict name → (F, 1, H, W) to show several versions
        (e.g. ``{"post-ReLU": ..., "pre-ReLU": ...}``), each in its own column, named in the titles.
        Each X* is contrast-stretched (faint patterns show).
    patches : torch.Tensor
        (F, k, 1, ph, pw) from :func:`xai_helpers.activation_maximization.top_activating_patches`.
    channels : list of int
        The filters' indices (for the titles).
    ncols : int
        Filters per row.
    axes : array of Axes, optional
        A grid of ``ceil(F / ncols)`` rows and ``ncols · (versions + k)`` columns to draw in (default: a new figure).
    dead : list of int
        Filters to mark as dead (their title says so): their "top" patches are only the least negative.

    Examples
    --------
    >>> fig = show_filters_and_patches(torch.rand(2, 1, 28, 28), torch.rand(2, 3, 1, 8, 8), [0, 1], ncols=2)
    >>> len(fig.axes)
    8
    >>> fig = show_filters_and_patches({"a": torch.rand(2, 1, 28, 28), "b": torch.rand(2, 1, 28, 28)}, torch.rand(2, 3, 1, 8, 8), [0, 1], ncols=2, dead=[1])
    >>> len(fig.axes), fig.axes[5].get_title(), fig.axes[6].get_title()
    (10, 'a #1 (dead)', 'b #1')
    """
    import matplotlib.pyplot as plt

    versions = dict(xstar) if isinstance(xstar, dict) else {"X*": xstar}
    if not versions:
        raise ValueError("xstar must hold at least one set of images")
    f, k = patches.shape[:2]
    if any(len(v) != f for v in versions.values()) or len(channels) != f:
        raise ValueError(f"got {[len(v) for v in versions.values()]} X*, {f} patch sets and {len(channels)} channels; they must match")
    unknown = set(dead) - set(channels)
    if unknown:
        raise ValueError(f"dead filters {sorted(unknown)} are not among the channels shown")
    v = len(versions)
    group = v + k
    nrows = -(-f // ncols)
    if axes is None:
        fig, axes = plt.subplots(nrows, ncols * group, figsize=(size * ncols * group, size * 1.2 * nrows), squeeze=False)
    else:
        axes = np.asarray(axes).reshape(nrows, -1)
        if axes.shape[1] != ncols * group:
            raise ValueError(f"axes must be a grid of {nrows} x {ncols * group}, got {axes.shape}")
        fig = axes[0, 0].figure
    for ax in axes.flat:
        ax.set_axis_off()
    for a in range(f):
        r, c = divmod(a, ncols)
        mark = " (dead)" if channels[a] in dead else ""
        for b, (name, imgs) in enumerate(versions.items()):
            ax = axes[r, c * group + b]
            ax.imshow(imgs[a, 0].numpy(), cmap="gray")  # contrast stretched: faint patterns show
            label = f"{name} #{channels[a]}" if v > 1 else f"X* #{channels[a]}"
            ax.set_title(label + (mark if b == 0 else ""), fontsize=7)
        for b in range(k):
            ax = axes[r, c * group + v + b]
            ax.imshow(patches[a, b, 0].numpy(), cmap="gray", vmin=0, vmax=1)
            if b == 0:
                ax.set_title("top real patches", fontsize=7, loc="left")
    fig.tight_layout(pad=0.3)
    return fig


def checkerboard(size: int, square: int = 6) -> np.ndarray:
    """A light-grey checkerboard (size, size, 3) floats, how image viewers show transparency.

    Examples
    --------
    >>> checkerboard(12).shape
    (12, 12, 3)
    """
    idx = (np.arange(size) // square)
    board = ((idx[:, None] + idx[None, :]) % 2).astype(np.float32)
    return np.repeat((0.8 + 0.15 * board)[..., None], 3, axis=-1)


def show_file(path: str | Path, ax=None, title: str | None = None):
    """Show an image file as a viewer does: transparency drawn as a checkerboard. Returns the ``Axes``.

    Examples
    --------
    >>> from xai_helpers.monsters import ensure_monsters
    >>> ax = show_file(next((ensure_monsters() / "test" / "pokemon").glob("*.png")))
    >>> ax.images[0].get_array().shape[-1]
    3
    """
    from PIL import Image

    rgba = np.asarray(Image.open(path).convert("RGBA"), dtype=np.float32) / 255.0
    a = rgba[..., 3:]
    shown = rgba[..., :3] * a + checkerboard(max(rgba.shape[:2]))[: rgba.shape[0], : rgba.shape[1]] * (1 - a)
    return show_image(shown, ax=ax, title=title)


def show_saliency_rows(images: torch.Tensor, maps: torch.Tensor, titles=None, row_labels=("image", "saliency"), suptitle: str | None = None,
                       axes=None, outlines: torch.Tensor | None = None, quantile: float | None = 0.995):
    """Images (top row) over their saliency maps (bottom row, one shared colour bar). Returns the ``Figure``.

    Column ``i`` is image ``i`` above its map (what ``show_explanation`` draws for one image);
    ``axes``, if given, is a (2, N) grid of Axes.

    Parameters
    ----------
    images : torch.Tensor
        (N, C, H, W) images.
    maps : torch.Tensor
        (N, H, W) non-negative maps, drawn on one colour scale.
    titles : sequence of str, optional
        One title per column.
    outlines : torch.Tensor, optional
        (N, H, W) boolean masks (the object); their outline is drawn in white on each map, so that the
        input stands on its explanation.
    quantile : float in (0, 1] or None
        The colour scale ends at this quantile of all the maps' values (a few peak pixels would otherwise
        wash the maps out; the colour bar's arrow marks the clipped values); ``None``: at the maximum.

    Examples
    --------
    >>> fig = show_saliency_rows(torch.rand(3, 3, 8, 8), torch.rand(3, 8, 8))
    >>> len(fig.axes)
    7
    >>> m = torch.zeros(3, 8, 8, dtype=torch.bool); m[:, 2:6, 2:6] = True
    >>> fig = show_saliency_rows(torch.rand(3, 3, 8, 8), torch.rand(3, 8, 8), outlines=m, quantile=None)
    >>> len(fig.axes[3].collections)  # the first map (after the 3 images) carries the outline
    1
    """
    import matplotlib.pyplot as plt

    if len(images) != len(maps):
        raise ValueError(f"got {len(images)} images and {len(maps)} maps")
    if outlines is not None and (not isinstance(outlines, torch.Tensor) or outlines.dtype != torch.bool or outlines.shape != maps.shape):
        raise ValueError(f"outlines must be a boolean tensor of the maps' shape {tuple(maps.shape)}, got {getattr(outlines, 'shape', type(outlines).__name__)}")
    if quantile is not None:
        quantile = check_number(quantile, "quantile", 0.0, 1.0, low_open=True)
    n = len(images)
    if axes is None:
        fig, axes = plt.subplots(2, n, figsize=(1.5 * n + 1.0, 3.4), squeeze=False)
    else:
        axes = np.asarray(axes).reshape(2, -1)
        if axes.shape[1] != n:
            raise ValueError(f"axes must be a 2 x {n} grid, got {axes.shape}")
        fig = axes[0, 0].figure
    values = maps.detach().float().flatten()
    vmax = float(values.max() if quantile is None else values.quantile(quantile)) or 1.0
    for i in range(n):
        show_image(images[i], ax=axes[0, i], title=titles[i] if titles else None)
        im = axes[1, i].imshow(maps[i].detach().numpy(), cmap=COURSE_CMAP, vmin=0, vmax=vmax)
        if outlines is not None and outlines[i].any() and not outlines[i].all():
            show_outline(outlines[i], ax=axes[1, i], linewidth=0.8)
        axes[1, i].set_xticks([])
        axes[1, i].set_yticks([])
    axes[0, 0].set_ylabel(row_labels[0])
    axes[1, 0].set_ylabel(row_labels[1])
    fig.colorbar(im, ax=axes[1, :].tolist(), fraction=0.02, pad=0.01, label="|∂y/∂x| (max over RGB)",
                 extend="max" if vmax < float(values.max()) else "neither")
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def explain_one(model, x: torch.Tensor, mask: torch.Tensor | None = None, y: int | None = None, name: str = "model", axes=None):
    """Draw one monster, its saliency map for the predicted class, and the prediction; returns the ``Figure``.

    Used by notebook 02's widget. ``x`` is one image (3, H, W); ``mask`` its foreground (H, W); ``y``
    its true class. The prediction (and, with ``mask``, the saliency's density on the background relative to
    the creature, :func:`xai_helpers.evaluation.region_density`: 1 for a uniform map) is the figure's title.
    ``axes``: two Axes (image, map).

    Examples
    --------
    >>> from xai_helpers.models import MonsterCNN
    >>> fig = explain_one(MonsterCNN(), torch.rand(3, 48, 48))
    >>> fig.texts[0].get_text().startswith("model:")
    True
    """
    import matplotlib.pyplot as plt

    from .attribution import saliency
    from .evaluation import region_density
    from .models import predict_proba
    from .monsters import CLASSES

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(6.4, 3.4))
    p = predict_proba(model, x[None])[0]
    k = int(p.argmax())
    sal = saliency(model, x[None], target=k)[0]
    truth = f" (true: {CLASSES[y]})" if y is not None else ""
    fig = show_explanation(x, sal, titles=[f"saliency of '{CLASSES[k]}'"], image_title=f"input{truth}",
                           label="|∂y/∂x|", outline=None if mask is None else mask.numpy(), axes=axes)
    text = f"{name}: {CLASSES[k]} with probability {p[k]:.3f}{truth}"
    if mask is not None:
        text += f"\nsaliency density on the background / on the creature: {float(region_density(sal[None], ~mask[None])[0]):.2f} (uniform map: 1)"
    fig.suptitle(text, fontsize="medium")
    fig.tight_layout()
    return fig


def plot_elephant(model, trunk: float, ear: float, grad: float | None = None, ax=None, max_trunk: float = 3.0):
    """Draw p(elephant) against the trunk length, the current animal, and the gradient's tangent.

    Parameters
    ----------
    trunk, ear : float
        The animal being explained.
    grad : float, optional
        ∂p/∂trunk at that point; drawn as the tangent line.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn in; its first line is the score curve.

    Examples
    --------
    >>> from xai_helpers.models import ElephantScore
    >>> ax = plot_elephant(ElephantScore(), trunk=2.5, ear=0.5, grad=0.002)
    >>> ax.lines[0].get_xdata().max()
    np.float64(3.0)
    """
    import matplotlib.pyplot as plt

    from .models import ELEPHANT_FEATURES

    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.5))
    dev = model.weight.device  # the model's buffers' device, so that a model moved to a GPU can be drawn
    ts = torch.linspace(0, max_trunk, 200, dtype=torch.float64, device=dev)
    with torch.no_grad():
        ps = model(torch.stack([ts, torch.full_like(ts, ear)], 1))
        p = float(model(torch.tensor([[trunk, ear]], dtype=torch.float64, device=dev))[0])
    ax.plot(ts.cpu().numpy(), ps.cpu().numpy(), color="C0", label="p(elephant)")
    ax.plot([trunk], [p], "o", color="C1", label=f"this animal: p = {p:.3f}")
    if grad is not None:
        dt = 0.35
        ax.plot([trunk - dt, trunk + dt], [p - grad * dt, p + grad * dt], color="C1", lw=2, label=f"gradient ∂p/∂trunk = {grad:.4f}")
    ax.set_xlabel(ELEPHANT_FEATURES[0])
    ax.set_ylabel("p(elephant)")
    ax.set_ylim(-0.05, 1.1)
    ax.set_title(f"The elephant detector (ear size {ear:.2f} m)")
    ax.legend(loc="lower right", fontsize="small")
    return ax


# ---- figures of notebook 04 (probes and decoders)


def grouped_bars(values: Mapping[str, Mapping[str, float]], ax=None, title: str | None = None, ylabel: str | None = None,
                 reference: float | None = None, reference_label: str | None = None, fmt: str = "{:.2f}"):
    """Bars grouped by metric, one colour per group: ``values[group][metric]``; each bar labelled with its value. Returns the ``Axes``.

    Examples
    --------
    >>> ax = grouped_bars({"linear": {"digit": 0.96, "control": 0.36}, "MLP": {"digit": 0.96, "control": 0.54}}, reference=0.12)
    >>> len(ax.patches), [t.get_text() for t in ax.get_xticklabels()]
    (4, ['digit', 'control'])
    """
    import matplotlib.pyplot as plt

    if not values:
        raise ValueError("values is empty: pass {group: {metric: value}}")
    metrics = list(next(iter(values.values())))
    for group, row in values.items():
        if list(row) != metrics:
            raise ValueError(f"every group needs the metrics {metrics}; {group!r} has {list(row)}")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    width = 0.8 / len(values)
    for i, (group, row) in enumerate(values.items()):
        pos = np.arange(len(metrics)) + (i - (len(values) - 1) / 2) * width
        bars = ax.bar(pos, [row[m] for m in metrics], width, label=group)
        ax.bar_label(bars, labels=[fmt.format(row[m]) for m in metrics], fontsize=8, padding=2)
    ax.set_xticks(np.arange(len(metrics)), metrics)
    if reference is not None:
        ax.axhline(reference, color="grey", ls=":", lw=1, label=reference_label)
    top = max(max(row.values()) for row in values.values())
    ax.set_ylim(min(0.0, min(min(row.values()) for row in values.values())), top * 1.15 + 1e-9)
    if ylabel:
        ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend(fontsize=8, loc="upper right")
    return ax


def image_columns(columns: Mapping[str, object], suptitle: str | None = None, size: float = 1.35, axes=None):
    """Show images in labelled columns: ``columns[title]`` is a batch ``(N, 1, H, W)``, the same N in each; row i shows item i everywhere.

    Grey images on one fixed 0–1 scale (decoded images are compared by brightness). Returns the ``Figure``.

    Examples
    --------
    >>> import torch
    >>> fig = image_columns({"input": torch.rand(2, 1, 28, 28), "decoded": torch.rand(2, 1, 28, 28)})
    >>> len(fig.axes)
    4
    """
    import matplotlib.pyplot as plt

    if not columns:
        raise ValueError("columns is empty: pass {title: batch of images}")
    n = {len(v) for v in columns.values()}
    if len(n) != 1:
        raise ValueError(f"every column needs the same number of images, got {sorted(n)}")
    nrows, ncols = n.pop(), len(columns)
    if axes is None:
        fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + 0.9), squeeze=False)
    else:
        axes = np.asarray(axes).reshape(nrows, ncols)
        fig = axes[0, 0].figure
    for j, (title, batch) in enumerate(columns.items()):
        for i in range(nrows):
            ax = axes[i, j]
            ax.imshow(to_numpy_image(batch[i]), cmap="gray", vmin=0.0, vmax=1.0)
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_title(title, fontsize=9)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig
