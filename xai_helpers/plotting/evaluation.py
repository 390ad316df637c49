"""Figures of evaluation: deletion curves, the randomization check, intervals.

Every helper takes ``ax=None`` (one panel) or ``axes=None`` (several) and returns what it drew."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from ..data.monsters import LOOKALIKES
from ._core import _ax, show_file, show_image

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "plot_deletion_curves",
    "plot_deletion_vs_null",
    "show_region_test",
    "plot_randomization",
    "interval_chart",
    "interval_curve",
    "show_training_files",
    "show_half_maps",
    "plot_path_curves",
    "plot_grey_sweep",
    "plot_share_histogram",
    "show_perturbations",
    "plot_curve_panel",
    "plot_randomization_bands",
]


def plot_deletion_curves(
    curves: dict, ax: Axes | None = None, title: str = "Deletion curves (lower = more faithful)"
) -> Figure:
    """Mean deletion (or insertion) curve of each method
    (:class:`xai_helpers.evaluation.DeletionCurve`), with its mean AUC in the legend; returns the
    ``Figure``.

    Examples
    --------
    >>> import torch
    >>> from xai_helpers.evaluation import DeletionCurve
    >>> c = DeletionCurve(torch.linspace(0, 1, 3), torch.tensor([[0.9, 0.5, 0.1]]))
    >>> len(plot_deletion_curves({"saliency": c}).axes[0].lines)
    1
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    for i, (name, curve) in enumerate(curves.items()):
        ax.plot(
            curve.fractions.cpu().numpy(),
            curve.mean().cpu().numpy(),
            color=f"C{i}",
            marker=".",
            label=f"{name} (AUC {float(curve.auc.mean()):.3f})",
        )
    kinds = {getattr(c, "kind", "deletion") for c in curves.values()}
    done = "put back" if kinds == {"insertion"} else "removed"
    ax.set_xlabel(f"fraction of pixels {done} (most important first)")
    ax.set_ylabel("probability of the class")
    ax.set_ylim(0, 1.02)
    ax.set_title(title)
    ax.legend()
    return ax.figure


def plot_deletion_vs_null(
    ks: Sequence[int],
    curves: dict[str, Sequence[float]],
    null: dict[int, object],
    ax: Axes | None = None,
    ylabel: str = "mean drop of log-odds",
    title: str = "deletion: maps vs random and searched ink blobs",
    searched: bool = True,
) -> Figure:
    """Mean drop of each map at each ``k`` beside a random-blob null; returns the ``Figure``.

    ``null`` maps each k to the null's drops, (draws, N) (:func:`xai_helpers.evaluation.blob_null`):
    drawn as its mean (dashed), the 5–95 % band of its draws' means, and, with ``searched``, the
    per-image best draw (dotted, a searched null whose cost is the number of draws).

    Examples
    --------
    >>> import torch
    >>> null = {k: torch.rand(20, 5) for k in (10, 20)}
    >>> len(plot_deletion_vs_null([10, 20], {"map": [0.5, 0.9]}, null).axes[0].lines)
    3
    >>> fig = plot_deletion_vs_null([10, 20], {"map": [0.5, 0.9]}, null, searched=False)
    >>> len(fig.axes[0].lines)
    2
    """
    import torch

    ax = _ax(ax)
    ks = list(ks)
    for name, values in curves.items():
        ax.plot(ks, [float(v) for v in values], "o-", label=name)
    draws = [torch.as_tensor(null[k]).double() for k in ks]
    band = [[float(d.mean(1).quantile(q)) for d in draws] for q in (0.05, 0.95)]
    ax.plot(ks, [float(d.mean()) for d in draws], "k--", label="ink blob (null), mean")
    if searched:
        best = [float(d.amax(0).mean()) for d in draws]
        ax.plot(ks, best, "k:s", label=f"best of {len(draws[0])} draws (searched)")
    ax.fill_between(ks, *band, color="0.8", label="ink blob, 5–95 % of draws")
    ax.set(xlabel="k pixels blacked out", ylabel=ylabel, title=title)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.02, 0.5))
    ax.figure.tight_layout()
    return ax.figure


def show_region_test(
    image: object,
    region: object,
    copies: object,
    region_drop: float,
    copy_drops: object,
    overlap: object,
    *,
    name: str = "the region",
    fill: float = 0.5,
    label: str = "drop of log-odds",
    axes: Sequence[Axes] | None = None,
    logits: object | None = None,
    class_names: Sequence[str] | None = None,
) -> Figure:
    """A region test: the image with the region filled, with its most damaging copy filled, and
    every copy's drop against its overlap with the region; returns the ``Figure``.

    ``image`` is (H, W, 3) or (H, W) in [0, 1]; ``region`` (H, W) and ``copies`` (R, H, W) boolean;
    ``copy_drops`` and ``overlap`` (R,). The dashed line is the largest drop of a copy that misses
    the region (overlap 0), the null the region must beat. With ``logits`` (1 + R, classes: the
    region filled, then each copy) and ``class_names``, each image's title also names the model's
    top class there and its probability: what the model sees once the part is gone.

    Examples
    --------
    >>> import torch
    >>> img, region = torch.rand(8, 8, 3), torch.zeros(8, 8, dtype=torch.bool)
    >>> region[2:4, 2:4] = True
    >>> copies = torch.stack([region.roll(2, 0), region.roll(4, 1)])
    >>> fig = show_region_test(img, region, copies, 2.0, torch.tensor([1.0, 0.5]),
    ...                        torch.tensor([0.0, 0.0]))
    >>> len(fig.axes)
    3
    """
    import matplotlib.pyplot as plt
    import torch

    if axes is None:
        _, axes = plt.subplots(1, 3, figsize=(11, 3.4))
    img = torch.as_tensor(np.asarray(image), dtype=torch.float32)
    drops, cover = torch.as_tensor(copy_drops).double(), torch.as_tensor(overlap).double()
    copies = torch.as_tensor(copies)
    j = int(drops.argmax())
    shown = [(region, name, region_drop, 0), (copies[j], "the worst copy", drops[j], 1 + j)]
    for ax, (m, what, lo, row) in zip(axes[:2], shown):
        m = torch.as_tensor(m)
        painted = torch.where(m[..., None] if img.ndim == 3 else m, fill, img)
        title = f"{what} filled:\n{label} {float(lo):.2f}"
        if logits is not None and class_names is not None:
            p = torch.as_tensor(logits)[row].double().softmax(-1)
            title += f"\ntop class {class_names[int(p.argmax())]} (P {float(p.max()):.2f})"
        show_image(painted, ax=ax, title=title)
    ax = axes[2]
    ax.scatter(cover.numpy(), drops.numpy(), s=14, c="tab:blue", label="filled copy")
    ax.scatter([1], [float(region_drop)], s=90, marker="*", c="k", label=name)
    miss = drops[cover == 0]
    if len(miss):
        ax.axhline(float(miss.max()), color="tab:orange", ls="--", lw=1, label="largest miss")
    ax.set(xlabel=f"share of {name} covered", ylabel=label, title="the same shape, moved")
    ax.legend(fontsize=7)
    ax.figure.tight_layout()
    return ax.figure


def plot_randomization(
    results: dict[str, dict[str, float]],
    ax: Axes | None = None,
    title: str = "Randomization sanity check",
) -> Figure:
    """Rank correlation with the trained model's map as layers are randomised; returns the
    ``Figure``.

    ``results`` maps a method's name to the output of
    :func:`xai_helpers.evaluation.randomization_check`.

    Examples
    --------
    >>> len(plot_randomization({"saliency": {"trained": 1.0, "fc2": 0.6,
    ... "fc1": 0.2}}).axes[0].lines)
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
    return ax.figure


def interval_chart(
    estimates: dict,
    ax: Axes | None = None,
    title: str | None = None,
    xlabel: str = "test accuracy",
    reference: float | None = None,
    reference_label: str | None = None,
) -> Figure:
    """Estimates with their confidence intervals (e.g. :func:`xai_helpers.stats.accuracy_interval`),
    one row each.

    ``estimates`` maps a name to ``(value, low, high)``; the first is drawn at the top, with its
    value written beside it. ``reference`` draws a dashed vertical line (a chance level, a
    majority-class baseline). Returns the ``Figure``.

    Examples
    --------
    >>> ax = interval_chart({"a": (0.9, 0.85, 0.94), "b": (0.7, 0.6, 0.8)}, reference=0.5,
    ... reference_label="chance").axes[0]
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['a', 'b']
    """
    if not estimates:
        raise ValueError("interval_chart needs at least one estimate")
    rows = np.array([tuple(map(float, e)) for e in estimates.values()])
    if (
        rows.ndim != 2
        or rows.shape[1] != 3
        or not (rows[:, 1] <= rows[:, 0]).all()
        or not (rows[:, 0] <= rows[:, 2]).all()
    ):
        raise ValueError("each estimate must be (value, low, high) with low <= value <= high")
    ax = _ax(ax)
    y = np.arange(len(rows))[::-1]
    ax.errorbar(
        rows[:, 0],
        y,
        xerr=[rows[:, 0] - rows[:, 1], rows[:, 2] - rows[:, 0]],
        fmt="o",
        color="C0",
        capsize=4,
    )
    for yi, (v, _, hi) in zip(y, rows):
        ax.annotate(
            f"{v:.3f}", (hi, yi), xytext=(4, 0), textcoords="offset points", va="center", fontsize=8
        )
    ax.set_yticks(y, list(estimates))
    ax.set_ylim(-0.6, len(rows) - 0.4)
    if reference is not None:
        ax.axvline(reference, ls="--", color="C3", label=reference_label)
        if reference_label:
            ax.legend(loc="center left", fontsize=8)
    ax.set_xlabel(xlabel)
    if title:
        ax.set_title(title)
    return ax.figure


def interval_curve(
    x: Sequence[float],
    estimates: Sequence,
    ax: Axes | None = None,
    highlight: int | None = None,
    label: str | None = None,
) -> Figure:
    """A curve of estimates ``(value, low, high)`` against ``x`` with error bars; ``highlight``
    rings one point.

    Returns the ``Figure`` (the curve is ``fig.axes[0].lines[0]``). Axis labels, scales and limits
    are left to the caller.

    Examples
    --------
    >>> ax = interval_curve([2, 4, 8], [(0.8, 0.7, 0.9), (0.9, 0.8, 0.95), (0.85, 0.75, 0.9)],
    ... highlight=1).axes[0]
    >>> [float(v) for v in ax.lines[0].get_ydata()]
    [0.8, 0.9, 0.85]
    """
    rows = np.array([tuple(map(float, e)) for e in estimates])
    x = np.asarray(x, dtype=float)
    if rows.ndim != 2 or rows.shape[1] != 3 or len(x) != len(rows):
        raise ValueError(
            f"need one (value, low, high) estimate per x, got {len(x)} x and estimates of "
            f"shape {rows.shape}"
        )
    if not ((rows[:, 1] <= rows[:, 0]) & (rows[:, 0] <= rows[:, 2])).all():
        raise ValueError("each estimate must be (value, low, high) with low <= value <= high")
    if highlight is not None and not 0 <= highlight < len(x):
        raise ValueError(f"highlight must index one of the {len(x)} points, got {highlight}")
    ax = _ax(ax)
    ax.errorbar(
        x,
        rows[:, 0],
        yerr=[rows[:, 0] - rows[:, 1], rows[:, 2] - rows[:, 0]],
        fmt="o-",
        color="C0",
        capsize=3,
        label=label,
    )
    if highlight is not None:
        ax.plot(x[highlight], rows[highlight, 0], "s", ms=13, mfc="none", mec="C1", mew=2.5)
    return ax.figure


def show_training_files(
    root: str | Path, n: int = 7, n_lookalikes: int = 2, axes: np.ndarray | None = None
) -> Figure:
    """Notebook 02's first figure: ``n`` training files per class as an image viewer shows them
    (transparency as a grey checkerboard), the last ``n_lookalikes`` of each row look-alikes.

    Examples
    --------
    >>> from xai_helpers.data.monsters import make_monsters
    >>> import tempfile
    >>> root = make_monsters(tempfile.mkdtemp(), n_per_class=10)
    >>> len(show_training_files(root, n=3).axes)
    6
    """
    import matplotlib.pyplot as plt

    root = Path(root)
    lk = root / LOOKALIKES
    looks = set(lk.read_text().split()) if lk.exists() else set()
    if axes is None:
        _, axes = plt.subplots(2, n, figsize=(1.45 * n, 3.6), layout="constrained", squeeze=False)
    axes = np.asarray(axes).reshape(2, n)
    fig = axes[0, 0].figure
    for row, cls in enumerate(("pokemon", "digimon")):
        files = sorted((root / "train" / cls).iterdir())
        look = [f for f in files if f"train/{cls}/{f.name}" in looks]
        k = min(n_lookalikes, len(look))
        shown = [f for f in files if f not in look][: n - k] + look[:k]
        for ax, f in zip(axes[row], shown):
            show_file(f, ax=ax, title=f.suffix + (" look-alike" if f in look else ""))
        axes[row, 0].set_ylabel(cls)
    fig.suptitle("Training files as an image viewer shows them")
    return fig


def show_half_maps(
    maps: dict, ratios: dict, border: float = 23.5, axes: Sequence[Axes] | None = None
) -> Figure:
    """Mean saliency map of each model in ``maps`` (name -> (N, H, W)) on one colour scale, a
    dashed line between the upper and lower half, the median of ``ratios[name]`` (per-image upper
    ÷ lower) in the title. Returns the ``Figure``.

    Examples
    --------
    >>> import torch
    >>> fig = show_half_maps({"a": torch.rand(2, 8, 8)}, {"a": torch.tensor([1.0, 2.0, 3.0])}, 3.5)
    >>> fig.axes[0].get_title().splitlines()
    ['a', 'median upper ÷ lower 2.0']
    """
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, len(maps), figsize=(3.25 * len(maps), 3.2), layout="constrained")
    axes = np.atleast_1d(axes)
    fig = axes[0].figure
    top = max(s.mean(0).max().item() for s in maps.values())  # one colour scale for all
    for ax, (n, s) in zip(axes, maps.items()):
        im = ax.imshow(s.mean(0).numpy(), cmap="viridis", vmin=0, vmax=top)
        ax.set(title=f"{n}\nmedian upper ÷ lower {ratios[n].median():.1f}", xticks=[], yticks=[])
        ax.axhline(border, color="w", lw=0.8, ls="--")  # the halves' border
    fig.colorbar(im, ax=list(axes), label="mean |∂y/∂x| (one scale)", shrink=0.8)
    fig.suptitle("Mean saliency map of the Digimon (dashed: upper / lower half)")
    return fig


def plot_path_curves(
    med: dict, levels: Sequence[float], names: Sequence[str], axes: Sequence[Axes] | None = None
) -> Figure:
    """For each network in ``names``, the median actual change of the log-odds and the gradient's
    first-order prediction (``med[name, "actual"]``, ``med[name, "gradient"]``, one value per
    level) against the background level, on one log-odds scale. Returns the ``Figure``.

    Examples
    --------
    >>> med = {("a", "actual"): [1.0, 2.0], ("a", "gradient"): [0.5, 1.0]}
    >>> len(plot_path_curves(med, (0.1, 0.2), ["a"]).axes[0].lines)
    2
    """
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(
            1, len(names), figsize=(3.75 * len(names), 3.0), layout="constrained", sharey=True
        )
    axes = np.atleast_1d(axes)
    fig = axes[0].figure
    for ax, n in zip(axes, names):
        ax.plot([0, *levels], [0, *med[n, "actual"]], "-o", label="actual change")
        ax.plot([0, *levels], [0, *med[n, "gradient"]], "--s", label="tangent at black predicts")
        ax.set(xlabel="background painted black → level", title=n)
    axes[0].set_ylabel("median change of log-odds")
    axes[0].legend(fontsize=8)
    fig.suptitle("Gradient prediction and actual change, one log-odds scale")
    return fig


def plot_grey_sweep(
    levels: Sequence[float], rows: dict, axes: Sequence[Axes] | None = None
) -> Figure:
    """One panel per quantity in ``rows`` (name -> one value per level) against the background's
    grey level (0 black, 1 white); the density panel marks a uniform map's 1. Returns the
    ``Figure``.

    Examples
    --------
    >>> fig = plot_grey_sweep((0.0, 1.0), {"log-odds": [3.0, -3.0], "bg density": [0.2, 1.5]})
    >>> [ax.get_title() for ax in fig.axes]
    ['log-odds', 'bg density']
    """
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, len(rows), figsize=(3.7 * len(rows), 3.0), layout="constrained")
    axes = np.atleast_1d(axes)
    fig = axes[0].figure
    for ax, (k, row) in zip(axes, rows.items()):
        ax.plot(levels, row, "-o")
        ax.set(xlabel="background level (0 black, 1 white)", ylabel=k, title=k)
        if "density" in k:
            ax.axhline(1, color="k", ls=":", lw=0.8, label="uniform map")
            ax.legend(fontsize=7)
    fig.suptitle("Leaky model, Pokémon with the background painted each level")
    return fig


def plot_share_histogram(
    others: Sequence[float],
    named: dict[str, float],
    xlabel: str,
    ax: Axes | None = None,
    others_label: str = "the other classes",
) -> Figure:
    """A histogram of a score over many classes (grey), the named classes as coloured lines
    (Okabe–Ito, colour-blind safe); returns the ``Figure``.

    Examples
    --------
    >>> fig = plot_share_histogram([0.1, 0.5, 0.6], {"cat": 0.9}, "share on the cat")
    >>> len(fig.axes[0].lines)
    1
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 2.8), layout="constrained")
    ax.hist(np.asarray(others, dtype=float), bins=40, color="0.8", label=others_label)
    okabe_ito = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"]
    for i, (n, v) in enumerate(named.items()):
        ax.axvline(float(v), color=okabe_ito[i % len(okabe_ito)], lw=2.5, label=n)
    ax.set(xlabel=xlabel, ylabel="classes")
    ax.legend(fontsize=8)
    return ax.figure


def show_perturbations(
    images: dict[str, dict[str, tuple]],
    fractions: Sequence[float],
    suptitle: str | None = None,
    axes: np.ndarray | None = None,
) -> Figure:
    """What a deletion or insertion curve shows the model: a row per ranking, a column per
    (kind, fraction); returns the ``Figure``.

    Parameters
    ----------
    images : dict
        {ranking name: {kind: (images (F, 1, H, W) at the fractions, the class's p (F,))}}.
    fractions : sequence of float
        The fractions of the pixels deleted or inserted (F of them).
    suptitle : str, optional
        The figure's title.
    axes : array of Axes, optional
        A (rankings, kinds × fractions) grid to draw on; a new figure when omitted.

    Examples
    --------
    >>> import torch
    >>> imgs = {"random": {"deletion": (torch.rand(2, 1, 8, 8), torch.tensor([0.9, 0.5]))}}
    >>> fig = show_perturbations(imgs, [0.1, 0.2])
    >>> fig.axes[1].get_title()
    'del. 20%: p 0.50 (+0.0)'
    """
    import matplotlib.pyplot as plt

    rows = list(images)
    kinds = list(images[rows[0]])
    n_cols = len(kinds) * len(fractions)
    if axes is None:
        fig, axes = plt.subplots(
            len(rows),
            n_cols,
            figsize=(1.85 * n_cols, 1.95 * len(rows)),
            squeeze=False,
            layout="constrained",
        )
    else:
        axes = np.asarray(axes).reshape(len(rows), n_cols)
        fig = axes[0, 0].figure
    for r, name in enumerate(rows):
        for h, kind in enumerate(kinds):
            imgs, p = images[name][kind]
            log_odds = torch.as_tensor(p).clamp(1e-6, 1 - 1e-6).logit()
            for j, f in enumerate(fractions):
                ax = axes[r, len(fractions) * h + j]
                ax.imshow(torch.as_tensor(imgs[j, 0]).cpu().numpy(), cmap="gray", vmin=0, vmax=1)
                title = f"{kind[:3]}. {f:.0%}: p {float(p[j]):.2f} ({float(log_odds[j]):+.1f})"
                ax.set(xticks=[], yticks=[], title=title)
        axes[r, 0].set_ylabel(name)
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def plot_curve_panel(
    curves: dict,
    fill: str,
    names: Sequence[str],
    colours: dict[str, str],
    title: str = "",
    axes: np.ndarray | None = None,
) -> Figure:
    """Deletion and insertion curves of one fill, in p (top row) and in mean log-odds (bottom
    row); a name containing "untrained" is dashed in the colour of its trained twin; returns the
    ``Figure``.

    Parameters
    ----------
    curves : dict
        ``{(kind, fill): {name: DeletionCurve}}`` (``evaluation.curves_by_setting``).
    fill : str
        Which fill to draw (the kinds that have it, left to right).
    names : sequence of str
        The maps to draw (those missing from a setting are left out).
    colours : dict
        {substring: colour}: a map takes the colour of the first substring in its name.
    title : str
        Appended to each column's title.
    axes : array of Axes, optional
        A (2, kinds) grid to draw on; a new figure when omitted.

    Examples
    --------
    >>> import torch
    >>> from xai_helpers.evaluation import DeletionCurve
    >>> c = DeletionCurve(torch.linspace(0, 1, 3), torch.tensor([[0.9, 0.5, 0.1]]))
    >>> fig = plot_curve_panel({("deletion", "black"): {"r": c}}, "black", ["r"], {"r": "0.5"})
    >>> len(fig.axes[0].lines), len(fig.axes[1].lines)
    (1, 1)
    """
    import matplotlib.pyplot as plt

    kinds = [k for k in ("deletion", "insertion") if (k, fill) in curves]
    if not kinds:
        raise ValueError(f"no curves with the fill {fill!r}")
    if axes is None:
        fig, axes = plt.subplots(
            2,
            len(kinds),
            figsize=(6 * len(kinds), 6),
            sharex=True,
            squeeze=False,
            layout="constrained",
        )
    else:
        axes = np.asarray(axes).reshape(2, len(kinds))
        fig = axes[0, 0].figure

    def look(n: str) -> dict:
        colour = next((c for k, c in colours.items() if k in n), "0.3")
        return {"color": colour, "ls": "--" if "untrained" in n else "-"}

    for col, kind in enumerate(kinds):
        cs = {n: curves[kind, fill][n] for n in names if n in curves[kind, fill]}
        plot_deletion_curves(cs, ax=axes[0, col], title=f"{kind}, {fill} fill{title}")
        for line, (n, c) in zip(axes[0, col].lines, cs.items()):
            line.set(**look(n))
            lo = c.probs.clamp(1e-6, 1 - 1e-6).logit().mean(0)
            axes[1, col].plot(c.fractions, lo, marker=".", **look(n))
        axes[1, col].set(xlabel="fraction of pixels", ylabel="mean log-odds of the class")
        axes[0, col].get_legend().remove()
    fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside right center", fontsize=8)
    return fig


def plot_randomization_bands(
    runs: dict,
    retrained: dict,
    methods: dict[str, str],
    ylabel: str = "rank correlation with the trained model's map",
    axes: np.ndarray | None = None,
) -> Figure:
    """The randomization test of a few methods, a panel each: the mean over re-initialisations
    (line, range shaded) over all pixels and on the ink, beside the retrained networks' band
    (hatched; dashed: its middle); returns the ``Figure``.

    Parameters
    ----------
    runs : dict
        ``{"all" | "ink": {method: [one {step: rho} per re-initialisation]}}``
        (``evaluation.randomization_runs``).
    retrained : dict
        ``{"all" | "ink": {method: [rho of each retrained network]}}``.
    methods : dict
        {method: a few words for its panel's title}; up to four (a 2 × 2 grid).
    ylabel : str
        The figure's y label.
    axes : array of Axes, optional
        A 2 × 2 grid to draw on; a new figure when omitted.

    Examples
    --------
    >>> runs = {w: {"s": [{"trained": 1.0, "fc2": 0.5}, {"trained": 1.0, "fc2": 0.3}]}
    ... for w in ("all", "ink")}
    >>> fig = plot_randomization_bands(runs, {w: {"s": [0.6, 0.7]} for w in runs}, {"s": "falls"})
    >>> fig.axes[0].get_title()
    's: falls'
    """
    import matplotlib.pyplot as plt

    if not 1 <= len(methods) <= 4:
        raise ValueError(f"one to four methods, got {len(methods)}")
    first = runs["all"][next(iter(methods))][0]
    steps = ["trained", *(f"+ {s}" for s in list(first)[1:])]
    if axes is None:
        fig, axes = plt.subplots(
            2, 2, figsize=(10, 7), sharex=True, sharey=True, layout="constrained"
        )
    else:
        axes = np.asarray(axes).reshape(2, 2)
        fig = axes[0, 0].figure
    for ax, (n, point) in zip(axes.flat, methods.items()):
        for w, c, mk in [("all", "C0", "o"), ("ink", "C1", "s")]:
            per_seed = torch.tensor([list(r.values()) for r in runs[w][n]])  # (seeds, steps)
            ax.plot(per_seed.mean(0).numpy(), marker=mk, color=c, label=f"{w} pixels")
            lo_hi = per_seed.aminmax(dim=0)
            ax.fill_between(range(len(steps)), lo_hi.min, lo_hi.max, color=c, alpha=0.2)
            lo, hi = min(retrained[w][n]), max(retrained[w][n])
            ax.axhspan(lo, hi, facecolor="none", edgecolor=c, hatch="///", lw=0)
            ax.axhline((lo + hi) / 2, color=c, ls="--", label=f"retrained CNNs, {w}")
        ax.set(title=f"{n}: {point}", ylim=(-0.4, 1.05))
        ax.set_xticks(range(len(steps)), steps, rotation=40)
    for ax in axes.flat[len(methods) :]:
        ax.set_visible(False)
    fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside lower center", ncols=4)
    fig.supylabel(ylabel)
    return fig
