"""Figures of activation maximization: filters beside their top patches.

Every helper takes ``ax=None`` (one panel) or ``axes=None`` (several) and returns what it drew."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch.distributions import Chi2

from ._core import image_grid

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "show_filters_and_patches",
    "show_filter_panel",
    "show_ascent_rows",
    "show_latent_radii",
    "show_prior_sweep",
    "show_search_reads",
]


def _stretch(img: torch.Tensor) -> torch.Tensor:
    """Contrast-stretch one image to [0, 1] (a constant image becomes 0)."""
    lo, hi = img.min(), img.max()
    return (img - lo) / (hi - lo) if hi > lo else torch.zeros_like(img)


def show_filters_and_patches(
    xstar: torch.Tensor | dict,
    patches: torch.Tensor,
    channels: Sequence[int],
    ncols: int = 4,
    size: float = 1.0,
    axes: Axes | Sequence[Axes] | np.ndarray | None = None,
    dead: Sequence[int] = (),
    marks: dict[int, str] | None = None,
) -> Figure:
    """Each filter's X* (one or several versions) beside the real patches that activate it most,
    one panel per filter; returns the ``Figure``.

    Each panel is one strip: the X* versions (each contrast-stretched, so faint patterns show),
    then the patches (pixels on [0, 1], enlarged to the height of X*), separated by a grey line.
    One panel per filter keeps the figure fast to draw for a whole layer.

    Parameters
    ----------
    xstar : torch.Tensor or dict
        (F, 1, H, W): one X* per filter; or a dict name → (F, 1, H, W) to show several versions
        (e.g. ``{"post-ReLU": ..., "pre-ReLU": ...}``), in that order, named in the titles.
    patches : torch.Tensor
        (F, k, 1, ph, pw) from :func:`xai_helpers.activation_maximization.top_activating_patches`.
    channels : list of int
        The filters' indices (for the titles).
    ncols : int
        Filters per row.
    size : float
        Height of one panel in inches.
    axes : array of Axes, optional
        At least F axes to draw in, in order (default: a new figure).
    dead : list of int
        Filters to mark as dead (their title says so): their "top" patches are only the least
        negative.
    marks : dict, optional
        Filter → a word to add to its title in red (e.g. ``{4: "stuck"}``).

    Examples
    --------
    >>> fig = show_filters_and_patches(torch.rand(2, 1, 28, 28), torch.rand(2, 3, 1, 8, 8), [0, 1],
    ... ncols=2)
    >>> len(fig.axes)
    2
    >>> fig = show_filters_and_patches({"a": torch.rand(2, 1, 28, 28), "b": torch.rand(2, 1, 28,
    ... 28)}, torch.rand(2, 3, 1, 8, 8), [0, 1], ncols=2, dead=[1], marks={0: "stuck"})
    >>> fig.axes[0].get_title(), fig.axes[1].get_title()
    ('#0: a | b | top patches: stuck', '#1 (dead): a | b | top patches')
    """
    import matplotlib.pyplot as plt

    versions = dict(xstar) if isinstance(xstar, dict) else {"X*": xstar}
    if not versions:
        raise ValueError("xstar must hold at least one set of images")
    if patches.ndim != 5:
        raise ValueError(f"patches must be (F, k, 1, ph, pw), got shape {tuple(patches.shape)}")
    f, k = patches.shape[:2]
    if any(len(v) != f for v in versions.values()) or len(channels) != f:
        raise ValueError(
            f"got {[len(v) for v in versions.values()]} X*, {f} patch sets and "
            f"{len(channels)} channels; they must match"
        )
    unknown = (set(dead) | set(marks or {})) - set(channels)
    if unknown:
        raise ValueError(
            f"dead or marked filters {sorted(unknown)} are not among the channels shown"
        )
    height = next(iter(versions.values())).shape[-2]
    big = torch.nn.functional.interpolate(
        patches.reshape(f * k, *patches.shape[2:]).float().cpu(), size=(height, height)
    ).view(f, k, 1, height, height)
    gap = torch.full((height, 2), 0.5)
    nrows = -(-f // ncols)
    if axes is None:
        width = (len(versions) + k) * 1.08
        fig, axes = plt.subplots(
            nrows, ncols, figsize=(size * width * ncols, size * 1.25 * nrows), squeeze=False
        )
    axes = list(np.asarray(axes).flat)
    if len(axes) < f:
        raise ValueError(f"need at least {f} axes, got {len(axes)}")
    fig = axes[0].figure
    for ax in axes:
        ax.set_axis_off()
    names = " | ".join(versions)
    for a, c in enumerate(channels):
        parts = [_stretch(v[a, 0].detach().float().cpu()) for v in versions.values()]
        parts += [big[a, b, 0].clamp(0, 1) for b in range(k)]
        strip = torch.cat([t for p in parts for t in (p, gap)][:-1], dim=1)
        axes[a].imshow(strip.numpy(), cmap="gray", vmin=0, vmax=1)
        title = f"#{c}{' (dead)' if c in dead else ''}: {names} | top patches"
        if marks and c in marks:
            axes[a].set_title(f"{title}: {marks[c]}", fontsize=7, color="C3")
        else:
            axes[a].set_title(title, fontsize=7)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.93, wspace=0.05, hspace=0.3)
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


def show_ascent_rows(
    rows: dict[str, torch.Tensor],
    margins: dict[str, Sequence[float]],
    unclipped: Sequence[str] = (),
    title: str = "X* = argmax y_i, one change per row",
    axes: Sequence[Axes] | np.ndarray | None = None,
) -> Figure:
    """One strip per row of images (e.g. one X* per digit), tiles separated by grey gaps, each
    strip titled with its name and the images' logit margins; returns the ``Figure``.

    Parameters
    ----------
    rows : dict
        Row name → (n, 1, H, W) images (pixels shown clipped to [0, 1]).
    margins : dict
        Row name → the n margins to print in the row's title.
    unclipped : sequence of str
        Rows whose pixels leave [0, 1] (their titles say they are shown clipped).
    title : str
        The figure's title.
    axes : sequence of Axes, optional
        One axis per row (default: a new figure).

    Examples
    --------
    >>> fig = show_ascent_rows({"start": torch.rand(3, 1, 5, 5)}, {"start": [1.0, -2.0, 0.5]})
    >>> fig.axes[0].get_title()
    'start: digits 0-9, logit margins 1 -2 0'
    """
    import matplotlib.pyplot as plt

    if set(margins) != set(rows):
        raise ValueError("margins must give one list of margins per row")
    if axes is None:
        fig, axes = plt.subplots(len(rows), 1, figsize=(11, 1.45 * len(rows)), squeeze=False)
    axes = list(np.asarray(axes).flat)
    if len(axes) < len(rows):
        raise ValueError(f"need {len(rows)} axes, got {len(axes)}")
    for ax, (name, x) in zip(axes, rows.items()):
        tiles = torch.nn.functional.pad(x[:, 0].detach().cpu().clamp(0, 1), (1, 1), value=0.5)
        ax.imshow(torch.cat(list(tiles), dim=1).numpy(), cmap="gray", vmin=0, vmax=1)
        note = " (unclipped, shown clipped)" if name in unclipped else ""
        m = " ".join(str(round(float(v))) for v in margins[name])
        ax.set_title(f"{name}{note}: digits 0-9, logit margins {m}", fontsize=9)
        ax.set_axis_off()
    fig = axes[0].figure
    fig.suptitle(title)
    return fig


def show_latent_radii(
    norms: torch.Tensor,
    marks: dict[str, float],
    latent_dim: int,
    ax: Axes | None = None,
) -> Figure:
    """Where a latent search puts z: a histogram of ‖z‖ for codes drawn from N(0, I), the χ
    density of ‖z‖ in ``latent_dim`` dimensions (the *shell*), and one vertical line per search;
    returns the ``Figure``.

    Parameters
    ----------
    norms : torch.Tensor
        (n,) ‖z‖ of codes drawn from N(0, I).
    marks : dict
        Name → a radius to mark (e.g. the median ‖z*‖ of a search); at most 4, in Okabe-Ito colours.
    latent_dim : int
        The dimension of z.
    ax : Axes, optional
        The panel to draw in (default: a new figure).

    Examples
    --------
    >>> fig = show_latent_radii(torch.randn(500, 8).norm(dim=1), {"search": 1.0}, 8)
    >>> fig.axes[0].get_xlabel()
    '‖z‖'
    """
    import matplotlib.pyplot as plt

    if len(marks) > 4:
        raise ValueError(f"at most 4 marks, got {len(marks)}")
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3))
    r = np.linspace(0, float(max(norms.max(), *marks.values(), 1.0)) * 1.3, 400)
    dens = Chi2(latent_dim).log_prob(torch.tensor(r[1:] ** 2)).exp().numpy() * 2 * r[1:]
    ax.plot(r[1:], dens, "k", lw=1, label=f"χ density, {latent_dim} dimensions")
    ax.hist(
        norms.cpu().numpy(),
        bins=40,
        density=True,
        color="0.88",
        label=f"{len(norms):,} z ~ N(0, I)",
    )
    okabe_ito = ["#0072B2", "#D55E00", "#009E73", "#CC79A7"]  # colour-blind safe
    for (name, v), c, ls in zip(marks.items(), okabe_ito, ["-", "--", "-.", ":"]):
        ax.axvline(v, color=c, ls=ls, lw=2.5, label=name)
    ax.set(
        xlabel="‖z‖",
        ylabel="density",
        title=f"Where the search puts z: against the χ{latent_dim} shell",
    )
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))  # beside the χ curve
    return ax.figure


def show_prior_sweep(
    sweep: dict[float, torch.Tensor],
    reads: dict[float, Sequence[Sequence[int]]],
    lam: float,
    names: Sequence[str] = ("L", "F"),
    axes: Sequence[Axes] | np.ndarray | None = None,
) -> Figure:
    """One X* per digit (0, 1, ...) at the prior weight of ``sweep`` nearest to ``lam``, each
    titled with its digit and the digit each reader reads; returns the ``Figure``.

    Parameters
    ----------
    sweep : dict
        Prior weight λ → (n, 1, H, W) images, image d made for digit d.
    reads : dict
        λ → one list of n read labels per reader (in the order of ``names``).
    lam : float
        The λ asked for (a slider's value); the nearest one in ``sweep`` is shown.
    names : sequence of str
        One short name per reader, used in the titles.
    axes : sequence of Axes, optional
        One axis per image (default: a new figure).

    Examples
    --------
    >>> sweep = {0.0: torch.rand(3, 1, 8, 8), 0.1: torch.rand(3, 1, 8, 8)}
    >>> fig = show_prior_sweep(sweep, {0.0: [[0, 5, 2]], 0.1: [[5, 5, 5]]}, 0.09, names=["L"])
    >>> fig.axes[1].get_title(), fig._suptitle.get_text()[:9]
    ('1: L→5', 'λ = 0.100')
    """
    lam = min(sweep, key=lambda v: abs(v - lam))
    titles = [
        f"{d}: " + ", ".join(f"{n}→{r[d]}" for n, r in zip(names, reads[lam]))
        for d in range(len(sweep[lam]))
    ]
    sup = f"λ = {lam:.3f}: X* of digits 0-{len(titles) - 1} (title: digit, what each judge reads)"
    kw = dict(ncols=10, vmin=0, vmax=1, size=1.2, titles=titles, suptitle=sup, axes=axes)
    return image_grid(sweep[lam], **kw)


def show_search_reads(
    images: torch.Tensor,
    margins: Sequence[float],
    reads: Sequence[Sequence[int]],
    title: str,
    keep: torch.Tensor | None = None,
    axes: Sequence[Axes] | np.ndarray | None = None,
) -> Figure:
    """Searched images in rows of 6, each titled with its logit margin m and what one reader reads,
    as drawn and blurred; returns the ``Figure``.

    Parameters
    ----------
    images : torch.Tensor
        (n, 1, H, W) images, pixels on [0, 1].
    margins : sequence of float
        The classifier's logit margin of each image.
    reads : sequence of two sequences of int
        The reader's label of each image as drawn, then blurred.
    title : str
        The figure's title.
    keep : torch.Tensor, optional
        A boolean mask: show only these images (default: all).
    axes : sequence of Axes, optional
        One axis per image shown (default: a new figure).

    Examples
    --------
    >>> fig = show_search_reads(torch.rand(2, 1, 8, 8), [3.2, -1.0], ([6, 6], [6, 0]), "digit 6")
    >>> fig.axes[1].get_title().splitlines()
    ['m=-1', 'kNN 6, blurred 0']
    """
    if keep is not None:
        images, margins = images[keep], torch.as_tensor(margins)[keep]
        reads = [torch.as_tensor(r)[keep] for r in reads]
    a, b = reads
    titles = [f"m={q:.0f}\nkNN {int(c)}, blurred {int(e)}" for q, c, e in zip(margins, a, b)]
    kw = dict(ncols=6, size=1.8, vmin=0, vmax=1, titles=titles, suptitle=title, axes=axes)
    fig = image_grid(images, **kw)
    fig.subplots_adjust(hspace=0.5, top=0.8)  # room for the two-line titles
    return fig
