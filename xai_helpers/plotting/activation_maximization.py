"""Figures of activation maximization: filters beside their top patches.

Every helper takes ``ax=None`` (one panel) or ``axes=None`` (several) and returns what it drew."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "show_filters_and_patches",
    "show_filter_panel",
]


def show_filters_and_patches(
    xstar: torch.Tensor | dict,
    patches: torch.Tensor,
    channels: Sequence[int],
    ncols: int = 4,
    size: float = 1.0,
    axes: Axes | Sequence[Axes] | np.ndarray | None = None,
    dead: Sequence[int] = (),
) -> Figure:
    """Each filter's X* (one or several versions) beside the real patches that activate it most;
    returns the ``Figure``.

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
        A grid of ``ceil(F / ncols)`` rows and ``ncols · (versions + k)`` columns to draw in
        (default: a new figure).
    dead : list of int
        Filters to mark as dead (their title says so): their "top" patches are only the least
        negative.

    Examples
    --------
    >>> fig = show_filters_and_patches(torch.rand(2, 1, 28, 28), torch.rand(2, 3, 1, 8, 8), [0, 1],
    ... ncols=2)
    >>> len(fig.axes)
    8
    >>> fig = show_filters_and_patches({"a": torch.rand(2, 1, 28, 28), "b": torch.rand(2, 1, 28,
    ... 28)}, torch.rand(2, 3, 1, 8, 8), [0, 1], ncols=2, dead=[1])
    >>> len(fig.axes), fig.axes[5].get_title(), fig.axes[6].get_title()
    (10, 'a #1 (dead)', 'b #1')
    """
    import matplotlib.pyplot as plt

    versions = dict(xstar) if isinstance(xstar, dict) else {"X*": xstar}
    if not versions:
        raise ValueError("xstar must hold at least one set of images")
    f, k = patches.shape[:2]
    if any(len(v) != f for v in versions.values()) or len(channels) != f:
        raise ValueError(
            f"got {[len(v) for v in versions.values()]} X*, {f} patch sets and "
            f"{len(channels)} channels; they must match"
        )
    unknown = set(dead) - set(channels)
    if unknown:
        raise ValueError(f"dead filters {sorted(unknown)} are not among the channels shown")
    v = len(versions)
    group = v + k
    nrows = -(-f // ncols)
    if axes is None:
        fig, axes = plt.subplots(
            nrows, ncols * group, figsize=(size * ncols * group, size * 1.2 * nrows), squeeze=False
        )
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


def show_filter_panel(
    xstar: dict[str, torch.Tensor],
    patches: torch.Tensor,
    title: str = "",
    axes: Sequence[Axes] | np.ndarray | None = None,
) -> Figure:
    """One filter in one row: its X* (one panel per version, pixels on [0, 1]) and its real top
    patches; returns the ``Figure``.

    Parameters
    ----------
    xstar : dict
        Version name → one X* (1, H, W), e.g. ``{"X* after ReLU": ..., "X* before ReLU": ...}``.
    patches : torch.Tensor
        (k, 1, ph, pw): the filter's top-activating real patches.
    title : str
        The figure's title (e.g. the measured orientations).
    axes : sequence of Axes, optional
        ``len(xstar) + k`` axes to draw in (default: a new figure).

    Examples
    --------
    >>> fig = show_filter_panel({"X*": torch.rand(1, 28, 28)}, torch.rand(4, 1, 8, 8), "filter 3")
    >>> len(fig.axes), fig.axes[1].get_title()
    (5, 'real patch 1')
    """
    import matplotlib.pyplot as plt

    if patches.ndim != 4:
        raise ValueError(f"patches must be (k, 1, ph, pw), got shape {tuple(patches.shape)}")
    n = len(xstar) + len(patches)
    if axes is None:
        fig, axes = plt.subplots(1, n, figsize=(1.5 * n, 2.1), squeeze=False)
        axes = axes[0]
    axes = list(np.asarray(axes).flat)
    if len(axes) < n:
        raise ValueError(f"need {n} axes, got {len(axes)}")
    panels = [*xstar.items(), *((f"real patch {b + 1}", p) for b, p in enumerate(patches))]
    for ax, (name, img) in zip(axes, panels):
        ax.imshow(img[0].detach().cpu().numpy(), cmap="gray", vmin=0, vmax=1)
        ax.set_title(name, fontsize=8)
        ax.set_axis_off()
    fig = axes[0].figure
    fig.suptitle(title, y=1.02)
    return fig
