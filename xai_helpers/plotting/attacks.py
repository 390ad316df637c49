"""Figures of notebook 06: an attacked photo beside its maps.

Every helper takes ``axes=None`` (several panels) and returns the ``Figure``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch

from ..attacks import AttackResult, center_of_mass
from ._core import show_heatmap, show_image, show_outline
from .attribution import show_explanation

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["show_photo_attack"]


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
