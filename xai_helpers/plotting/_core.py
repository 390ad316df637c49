"""The plotting core: turning tensors into images, one image, a heatmap, an overlay, a grid, simple
charts.

Every helper takes ``ax=None`` (one panel) or ``axes=None`` (several) and returns what it drew."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

import numpy as np
import torch

from .._runtime import COURSE_CMAP, COURSE_DIVERGING_CMAP

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: What a figure helper takes as an image or a map: a tensor or an array (any of the shapes
#: :func:`to_numpy_image` accepts).
ImageLike: TypeAlias = torch.Tensor | np.ndarray

__all__ = [
    "ImageLike",
    "to_numpy_image",
    "show_image",
    "show_heatmap",
    "show_outline",
    "overlay",
    "image_grid",
    "image_columns",
    "checkerboard",
    "show_file",
    "bar_chart",
    "signed_bars",
    "grouped_bars",
]


def to_numpy_image(img: ImageLike) -> np.ndarray:
    """Turn a tensor (C, H, W) / (1, C, H, W) / (H, W) or an array into (H, W) or (H, W, 3) for
    ``imshow``.

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


def _ax(ax: Axes | None) -> Axes:
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots()
    return ax


def _finish(ax: Axes, im, title: str | None, colorbar: bool, label: str | None) -> Figure:
    """No ticks, the title, the colour bar of ``im`` if asked; the figure drawn on."""
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title)
    if colorbar:
        ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label=label)
    return ax.figure


def show_image(
    img: ImageLike, ax: Axes | None = None, title: str | None = None, cmap: str = "gray", **kwargs
) -> Figure:
    """Show an image (grey or RGB) without axes ticks; returns the ``Figure``.

    Examples
    --------
    >>> ax = show_image(torch.rand(1, 28, 28), title="a digit").axes[0]
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
    return ax.figure


def show_heatmap(
    heat: ImageLike,
    ax: Axes | None = None,
    title: str | None = None,
    cmap: str | None = None,
    signed: bool = False,
    colorbar: bool = True,
    label: str = "importance",
    **kwargs,
) -> Figure:
    """Show a 2-D attribution map with a colour bar; returns the ``Figure`` (the map is
    ``ax.images[-1]`` of the Axes drawn in).

    ``signed=True`` centres a diverging map on 0 (blue negative, red positive).

    Examples
    --------
    >>> ax = show_heatmap(torch.rand(28, 28), title="saliency").axes[0]
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
    return _finish(ax, im, title, colorbar, label)


def show_outline(
    mask: ImageLike, ax: Axes | None = None, color: str = "white", linewidth: float = 1.0, **kwargs
) -> Figure:
    """Draw the outline of a boolean mask (H, W) (ink, an object) over what ``ax`` shows; returns
    the ``Figure``.

    Use it to put the input on top of its explanation: the outline follows pixel centres, so it
    lines up with an ``imshow`` of the same size.

    Examples
    --------
    >>> mask = torch.zeros(8, 8, dtype=torch.bool)
    >>> mask[2:6, 2:6] = True
    >>> ax = show_outline(mask, color="black").axes[0]
    >>> [len(c.levels) for c in ax.collections]
    [1]
    """
    ax = _ax(ax)
    m = to_numpy_image(mask)
    if m.ndim != 2 or m.dtype != bool:
        raise ValueError(
            f"mask must be a 2-D boolean array, got dtype {m.dtype} and shape {m.shape}"
        )
    if not m.any() or m.all():
        raise ValueError("mask has no outline: it is all False or all True")
    ax.contour(m.astype(float), levels=[0.5], colors=[color], linewidths=linewidth, **kwargs)
    return ax.figure


def overlay(
    img: ImageLike,
    heat: ImageLike,
    ax: Axes | None = None,
    title: str | None = None,
    alpha: float = 0.55,
    cmap: str | None = None,
    colorbar: bool = True,
    label: str = "importance",
    **kwargs,
) -> Figure:
    """Draw ``heat`` (resized to the image) semi-transparently over a greyed copy of ``img``.

    ``kwargs`` (``vmin``, ``vmax``, ...) go to the heatmap's ``imshow``. Returns the ``Figure``
    (the heatmap is ``ax.images[-1]`` of the Axes drawn in).

    Examples
    --------
    >>> ax = overlay(torch.rand(3, 32, 32), torch.rand(8, 8)).axes[0]
    >>> ax.images[-1].get_alpha()
    0.55
    """
    ax = _ax(ax)
    a = to_numpy_image(img).astype(float)
    grey = a.mean(-1) if a.ndim == 3 else a
    h = to_numpy_image(heat).astype(float)
    ax.imshow(grey, cmap="gray", alpha=0.6)
    extent = (-0.5, grey.shape[1] - 0.5, grey.shape[0] - 0.5, -0.5)
    im = ax.imshow(
        h, cmap=cmap or COURSE_CMAP, alpha=alpha, extent=extent, interpolation="bilinear", **kwargs
    )
    return _finish(ax, im, title, colorbar, label)


def _draw_overlay(img: ImageLike, heat: ImageLike, ax: Axes, **kwargs) -> Figure:
    return overlay(img, heat, ax=ax, **kwargs)


def image_grid(
    images: torch.Tensor | Sequence[ImageLike],
    titles: Sequence[str] | None = None,
    ncols: int = 8,
    cmap: str = "gray",
    size: float = 1.4,
    suptitle: str | None = None,
    axes: Axes | Sequence[Axes] | np.ndarray | None = None,
    **kwargs,
) -> Figure:
    """Show many images in a grid; returns the ``Figure``.

    ``axes``, if given, holds at least one Axes per image (any shape; drawn in order, the unused
    ones removed); otherwise a new figure of ``ceil(N / ncols)`` rows of ``ncols`` panels, ``size``
    inches each.

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
        title_room = (
            0.3 if titles is not None else 0.0
        )  # each row's titles need their own height, or they hide under the row above
        fig, axes = plt.subplots(
            nrows,
            ncols,
            figsize=(size * ncols, (size + title_room) * nrows + (0.4 if suptitle else 0)),
            squeeze=False,
        )
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


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    ax: Axes | None = None,
    title: str | None = None,
    ylabel: str | None = None,
    fmt: str = "{:.0f}",
) -> Figure:
    """A labelled bar chart with the values written on the bars; returns the ``Figure``.

    Examples
    --------
    >>> ax = bar_chart(["a", "b"], [1, 2]).axes[0]
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
    return ax.figure


def signed_bars(
    labels: Sequence[str],
    values: Sequence[float],
    ax: Axes | None = None,
    title: str | None = None,
    xlabel: str | None = None,
    positive: str = "positive",
    negative: str = "negative",
) -> Figure:
    """Horizontal bars for signed values (weights), one colour per sign, both named in a legend.

    The bars are drawn in the order given, the first at the top. Positive bars are blue (``C0``),
    negative ones orange (``C1``) in the course's colour-blind-safe style. Returns the ``Figure``.

    Examples
    --------
    >>> ax = signed_bars(["a", "b", "c"], [0.5, -1.0, 2.0], positive="→ benign",
    ... negative="→ malignant").axes[0]
    >>> [float(b.get_width()) for b in ax.patches]
    [0.5, -1.0, 2.0]
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['→ benign', '→ malignant']
    """
    from matplotlib.patches import Patch

    labels, values = list(labels), np.asarray(values, dtype=float)
    if values.ndim != 1 or len(labels) != len(values):
        raise ValueError(
            f"need one label per value, got {len(labels)} labels and values of shape {values.shape}"
        )
    if not np.isfinite(values).all():
        raise ValueError("signed_bars got non-finite values")
    ax = _ax(ax)
    y = np.arange(len(values))[::-1]
    ax.barh(y, values, color=["C0" if v >= 0 else "C1" for v in values])
    ax.set_yticks(y, labels)
    ax.axvline(0, color="black", lw=0.8)
    ax.legend(
        handles=[Patch(color="C0", label=positive), Patch(color="C1", label=negative)], loc="best"
    )
    if title:
        ax.set_title(title)
    if xlabel:
        ax.set_xlabel(xlabel)
    return ax.figure


def checkerboard(size: int, square: int = 6) -> np.ndarray:
    """A light-grey checkerboard (size, size, 3) floats, how image viewers show transparency.

    Examples
    --------
    >>> checkerboard(12).shape
    (12, 12, 3)
    """
    idx = np.arange(size) // square
    board = ((idx[:, None] + idx[None, :]) % 2).astype(np.float32)
    return np.repeat((0.8 + 0.15 * board)[..., None], 3, axis=-1)


def show_file(path: str | Path, ax: Axes | None = None, title: str | None = None) -> Figure:
    """Show an image file as a viewer does: transparency drawn as a checkerboard. Returns the
    ``Figure``.

    Examples
    --------
    >>> from xai_helpers.data.monsters import ensure_monsters
    >>> ax = show_file(next((ensure_monsters() / "test" / "pokemon").glob("*.png"))).axes[0]
    >>> ax.images[0].get_array().shape[-1]
    3
    """
    from PIL import Image

    rgba = np.asarray(Image.open(path).convert("RGBA"), dtype=np.float32) / 255.0
    a = rgba[..., 3:]
    shown = rgba[..., :3] * a + checkerboard(max(rgba.shape[:2]))[
        : rgba.shape[0], : rgba.shape[1]
    ] * (1 - a)
    return show_image(shown, ax=ax, title=title)


def grouped_bars(
    values: Mapping[str, Mapping[str, float]],
    ax: Axes | None = None,
    title: str | None = None,
    ylabel: str | None = None,
    reference: float | None = None,
    reference_label: str | None = None,
    fmt: str = "{:.2f}",
) -> Figure:
    """Bars grouped by metric, one colour per group: ``values[group][metric]``; each bar labelled
    with its value. Returns the ``Figure``.

    Examples
    --------
    >>> ax = grouped_bars({"linear": {"digit": 0.96, "control": 0.36}, "MLP": {"digit": 0.96,
    ... "control": 0.54}}, reference=0.12).axes[0]
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
        # a value that rounds to zero is labelled without a sign ("0.00", never "-0.00")
        labels = [
            fmt.format(0.0 if fmt.format(abs(row[m])) == fmt.format(0.0) else row[m])
            for m in metrics
        ]
        ax.bar_label(bars, labels=labels, fontsize=8, padding=2)
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
    return ax.figure


def image_columns(
    columns: Mapping[str, object],
    suptitle: str | None = None,
    size: float = 1.35,
    axes: Axes | Sequence[Axes] | np.ndarray | None = None,
) -> Figure:
    """Show images in labelled columns: ``columns[title]`` is a batch ``(N, 1, H, W)``, the same N
    in each; row i shows item i everywhere.

    Grey images on one fixed 0–1 scale (decoded images are compared by brightness). Returns the
    ``Figure``.

    Examples
    --------
    >>> import torch
    >>> fig = image_columns({"input": torch.rand(2, 1, 28, 28), "decoded": torch.rand(2, 1, 28,
    ... 28)})
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
        fig, axes = plt.subplots(
            nrows, ncols, figsize=(size * ncols, size * nrows + 0.9), squeeze=False
        )
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
