"""Figures: images, heatmaps and overlays with colour bars, in a colour-blind-safe style.

Every helper takes ``ax=None`` (a new figure is made when omitted) and returns what it drew.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from ._setup import COURSE_CMAP, COURSE_DIVERGING_CMAP
from .validation import check_number

__all__ = ["to_numpy_image", "show_image", "show_heatmap", "overlay", "show_explanation", "image_grid", "bar_chart", "signed_bars", "interval_chart", "interval_curve", "show_outline", "show_occlusion", "plot_deletion_curves", "plot_randomization", "plot_embedding", "plot_against_depth"]


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

    Examples
    --------
    >>> img, sal = torch.rand(1, 28, 28), torch.rand(28, 28)
    >>> fig = show_explanation(img, {"saliency": sal, "signed": sal - 0.5}, signed=[False, True], quantile=0.99)
    >>> [ax.get_title() for ax in fig.axes[:3]]
    ['input', 'saliency', 'signed']
    >>> fig = show_explanation(img, torch.rand(7, 7), overlay=True, titles=["Grad-CAM"])
    >>> fig.axes[0].get_title()
    'Grad-CAM'
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
    for i, (m, ax) in enumerate(zip(maps, axes if overlay else axes[1:])):
        h = to_numpy_image(m).astype(float)
        if h.ndim != 2:
            raise ValueError(f"map {i} must be 2-D, got shape {h.shape}")
        q = quantiles[i]
        scale = float(np.quantile(np.abs(h), q)) if q is not None else float(np.abs(h).max())
        scale = scale or 1.0
        kw = {"vmin": -scale, "vmax": scale} if signs[i] else ({"vmax": scale} if q is not None else {})
        cm = cmap or (COURSE_DIVERGING_CMAP if signs[i] else COURSE_CMAP)
        title = titles[i] if titles is not None else None
        if overlay:
            _draw_overlay(image, h, ax, title=title, cmap=cm, label=labels[i], **kw)
        else:
            show_heatmap(h, ax=ax, title=title, cmap=cm, label=labels[i], **kw)
        if outline is not None:
            show_outline(outline, ax=ax, color="black" if signs[i] else "white")
    return fig


def image_grid(images, titles: Sequence[str] | None = None, ncols: int = 8, cmap: str = "gray", size: float = 1.4, suptitle: str | None = None, **kwargs):
    """Show many images in a grid; returns the ``Figure``.

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
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + (0.4 if suptitle else 0)), squeeze=False)
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
    cmap = plt.get_cmap("tab10" if len(classes) > 3 else "viridis")
    colours = {c: cmap(i if len(classes) > 3 else i / max(1, len(classes) - 1)) for i, c in enumerate(classes)}
    ax.scatter(e[:, 0], e[:, 1], c=[colours[c] for c in y], s=6, alpha=0.8, linewidths=0)
    handles = [plt.Line2D([], [], marker="o", ls="", color=colours[c], label=names[c] if names else str(c)) for c in classes]
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
