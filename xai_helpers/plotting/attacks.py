"""Figures of notebook 06: attacked digits and photos beside their maps, the attack against its
null over ε, and the β sweep.

Every helper takes ``axes=None`` (several panels) and returns the ``Figure``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch

from ..attacks import AttackResult, center_of_mass
from ._core import show_heatmap, show_image, show_outline
from .attribution import show_explanation

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["show_photo_attack", "plot_attack_curves", "show_digit_attack", "plot_beta_sweep"]


def show_photo_attack(
    image: torch.Tensor,
    attack: AttackResult,
    null: AttackResult,
    region: torch.Tensor | None = None,
    titles: tuple[str, str] = ("photo", "attacked"),
    epsilon_255: float = 2.0,
    block: int = 8,
    axes: np.ndarray | None = None,
    channel: int = 0,
) -> Figure:
    """An attacked photo: top row the photo, the attacked photo and δ (one colour channel, in grey
    levels, colour bar ±``epsilon_255``, its true range); bottom row the saliency maps before,
    after the attack and after the null, averaged over ``block`` × ``block`` blocks and overlaid
    on the photo on one shared colour scale, with the centre of mass before (○) and after (★) and
    the target ``region`` outlined.

    Parameters
    ----------
    image : torch.Tensor
        (1, 3, H, W), pixels in [0, 1].
    attack, null : AttackResult
        The attack and its random null on ``image``.
    region : torch.Tensor, optional
        (H, W) or (1, H, W) boolean target region, outlined in white.
    titles : (str, str)
        Titles of the photo and of the attacked photo (e.g. with the predictions).
    axes : array of 2 × 3 Axes, optional
    channel : int
        The colour channel of δ shown (0 red, 1 green, 2 blue): one channel shows δ's true size,
        which an average over RGB would shrink.

    Examples
    --------
    >>> from xai_helpers.attacks import AttackResult
    >>> x = torch.rand(1, 3, 16, 16)
    >>> r = AttackResult(x, *(torch.ones(1),) * 4, torch.rand(1, 16, 16), torch.rand(1, 16, 16))
    >>> len(show_photo_attack(x, r, r, block=4).axes) >= 6
    True
    """
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(2, 3, figsize=(11.5, 7))
    axes = np.asarray(axes)
    if axes.shape != (2, 3):
        raise ValueError(f"axes must be a 2 × 3 array of Axes, got shape {axes.shape}")
    for ax, img, title in zip(axes[0], (image, attack.x_adv), titles):
        show_image(img[0], ax=ax, title=title)
    if channel not in (0, 1, 2):
        raise ValueError(f"channel must be 0, 1 or 2 (red, green, blue), got {channel!r}")
    delta = (attack.x_adv - image.to(attack.x_adv.device))[0, channel].cpu() * 255
    show_heatmap(
        delta,
        ax=axes[0, 2],
        signed=True,
        vmin=-epsilon_255,
        vmax=epsilon_255,
        title=f"δ, {('red', 'green', 'blue')[channel]} channel",
        label="grey levels (of 255)",
    )
    pool = lambda m: torch.nn.functional.avg_pool2d(m.cpu()[None], block)[0]  # noqa: E731
    runs = (attack.before, attack.after, null.after)
    names = ("saliency before", "after the attack", "after random ±ε (null)")
    label = f"|∂y/∂x|, mean of {block}×{block} block"
    maps = {n: pool(m[0:1])[0] for n, m in zip(names, runs)}
    show_explanation(
        image[0].cpu(), maps, overlay=True, axes=axes[1], label=label, shared_scale=True
    )
    # the block maps are stretched over the photo: positions are in the photo's pixels
    start = center_of_mass(attack.before[0:1].cpu())[0]
    for j, (ax, m) in enumerate(zip(axes[1], runs)):
        if region is not None:
            show_outline(region.reshape(region.shape[-2:]).cpu(), ax=ax, linewidth=1.5)
        points = [(start, "o")]
        if j:
            points.append((center_of_mass(m[0:1].cpu())[0], "*"))
        for c, marker in points:
            ax.plot(c[1], c[0], marker, color="white", mec="black", ms=14)
    fig = axes[0, 0].figure
    fig.tight_layout()
    return fig


def plot_attack_curves(
    epsilons: Sequence[float], curves: Mapping[str, Sequence[float]], ax: Axes | None = None
) -> Figure:
    """The mean top-10 % intersection against ε, one line per attack or null.

    Parameters
    ----------
    epsilons : sequence of float
        The L∞ budgets.
    curves : dict of str to sequence of float
        {label: one intersection per ε}.
    ax : Axes, optional

    Examples
    --------
    >>> fig = plot_attack_curves([0, 0.1], {"attack": [1, 0.3], "null": [1, 0.6]})
    >>> len(fig.axes[0].lines)
    2
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.6))
    for (label, values), style in zip(curves.items(), ("o-", "s--", "^:", "d-.")):
        ax.plot(list(epsilons), list(values), style, label=label)
    ax.set(
        xlabel="ε (L∞ budget, pixels in [0, 1])",
        ylabel="top-10 % intersection (1 = unmoved)",
        ylim=(0, 1.02),
        title="Saliency of 50 digits: attack vs noise of the same size",
    )
    ax.legend(fontsize=8)
    return ax.figure


def show_digit_attack(
    image: torch.Tensor,
    attack: AttackResult,
    null: AttackResult,
    i: int,
    probs: tuple[torch.Tensor, torch.Tensor],
    epsilon: float,
    axes: Sequence[Axes] | np.ndarray | None = None,
) -> Figure:
    """One attacked digit in six panels: the digit, the attacked digit, δ (colour bar ±ε), and the
    saliency maps before, after the attack and after the null on one colour scale, the top-10 %
    set B outlined, the centre of mass before (white ○) and after (orange ★).

    Parameters
    ----------
    image : torch.Tensor
        The digit (1, H, W).
    attack, null : AttackResult
        The attack and its null on a batch that holds the digit at index ``i``.
    i : int
        The digit's index in the batch.
    probs : (torch.Tensor, torch.Tensor)
        The network's class probabilities for the digit and for the attacked digit.
    epsilon : float
        The budget (the range of δ's colour bar).
    axes : six Axes, optional

    Examples
    --------
    >>> x = torch.rand(2, 1, 8, 8)
    >>> r = AttackResult(x, *(torch.ones(2),) * 4, torch.rand(2, 8, 8), torch.rand(2, 8, 8))
    >>> p = torch.full((10,), 0.1)
    >>> len(show_digit_attack(x[0], r, r, 0, (p, p), 0.1).axes) >= 6
    True
    """
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, 6, figsize=(16, 2.8))
    axes = list(np.asarray(axes).ravel())
    if len(axes) != 6:
        raise ValueError(f"axes must hold 6 Axes, got {len(axes)}")
    xa = attack.x_adv[i].cpu()
    p0, p1 = probs
    show_image(xa, ax=axes[1], title=f"attacked: {int(p1.argmax())} ({float(p1.max()):.0%})")
    lim = epsilon or 1 / 255
    delta = (xa - image.cpu())[0]
    title = f"δ (|δ| ≤ {epsilon:.3f})"
    show_heatmap(delta, ax=axes[2], signed=True, vmin=-lim, vmax=lim, title=title, label="δ")
    maps = (attack.before[i].cpu(), attack.after[i].cpu(), null.after[i].cpu())
    titles = (
        "saliency before (B outlined)",
        f"after attack (∩ {float(attack.intersection[i]):.2f})",
        f"after best of 10 ±ε (∩ {float(null.intersection[i]):.2f})",
    )
    k = max(1, round(0.1 * maps[0].numel()))
    top = maps[0].flatten().topk(k).indices
    outline = torch.zeros(maps[0].numel(), dtype=torch.bool)
    outline[top] = True
    show_explanation(
        image.cpu(),
        dict(zip(titles, maps)),
        image_title=f"original: {int(p0.argmax())} ({float(p0.max()):.0%})",
        label="|∂y/∂x|",
        outline=outline.view_as(maps[0]),
        axes=[axes[0], *axes[3:]],
        shared_scale=True,
    )
    centre = lambda m: center_of_mass(m[None])[0].flip(0).tolist()  # noqa: E731 (x, y)
    for j, (ax, m) in enumerate(zip(axes[3:], maps)):
        ax.plot(*centre(maps[0]), "o", mfc="none", mec="white", mew=2, ms=12)
        if j:
            ax.plot(*centre(m), "*", color="orange", mec="black", ms=12)
    fig = axes[0].figure
    fig.tight_layout()
    return fig


def plot_beta_sweep(
    sweep: Mapping[float, Mapping[str, float]],
    reference: Mapping[str, float],
    axes: Sequence[Axes] | np.ndarray | None = None,
) -> Figure:
    """Three panels against the softplus β of the explaining copy: the curvature proxy, the best
    attacker's edge over its null, and the map's faithfulness to the network's own map (top-10 %
    pixels shared); the network's value as a dashed line where ``reference`` has it.

    Parameters
    ----------
    sweep : dict
        {β: {"curvature": …, "edge": …, "faithful": …}}.
    reference : dict
        The ReLU network's values, by the same keys (any may be missing).
    axes : three Axes, optional

    Examples
    --------
    >>> s = {1.0: {"curvature": 0.1, "edge": 0.1, "faithful": 0.5},
    ...      10.0: {"curvature": 0.3, "edge": 0.2, "faithful": 0.9}}
    >>> len(plot_beta_sweep(s, {"edge": 0.2}).axes)
    3
    """
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, 3, figsize=(12, 3.2))
    panels = (
        ("curvature", "‖Hu‖ / (‖∇y‖·‖u‖)", "Curvature proxy"),
        ("edge", "null − best attack (top-10 %)", "The best attacker's edge"),
        ("faithful", "top-10 % shared with the network", "Price: faithfulness"),
    )
    betas = sorted(sweep)
    for ax, (key, ylabel, title) in zip(np.asarray(axes).ravel(), panels):
        ax.plot(betas, [sweep[b][key] for b in betas], "o-", label="softplus_β map")
        if key in reference:
            ax.axhline(reference[key], ls="--", color="grey", label="ReLU network")
        ax.set(xscale="log", xlabel="β", ylabel=ylabel, title=title, ylim=(0, None))
        ax.legend(fontsize=8)
    fig = np.asarray(axes).ravel()[0].figure
    fig.tight_layout()
    return fig
