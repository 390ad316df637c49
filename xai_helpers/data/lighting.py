"""A nuisance that dominates the pixels, as a speaker dominates MFCCs (notebook 05).

:func:`add_lighting` shows each digit as its writer's scan shows it (the paper lit from the left,
the top or the right, :data:`LIGHTING_SIDES`), :func:`assign_writers` draws the writers,
:func:`read_lighting` reads the lamp back from an image with a fixed rule. :func:`add_paper_texture`
prints a second, fainter nuisance on the paper (lines, not a lamp), for a nuisance a network was
never trained on.
"""

from __future__ import annotations

import numpy as np
import torch

from ..validation import check_image_batch, check_int, check_labels, check_number, check_seed

__all__ = [
    "LIGHTING_SIDES",
    "lighting_ramps",
    "assign_writers",
    "add_lighting",
    "read_lighting",
    "paper_textures",
    "add_paper_texture",
]


#: The three "writers" of :func:`add_lighting`: the side of the page the lamp was on when it was
#: scanned.
LIGHTING_SIDES = ("left", "top", "right")


def lighting_ramps(size: int = 28, amplitude: float = 0.4) -> torch.Tensor:
    """The paper's brightness on each writer's scan: a ramp from ``amplitude`` on the lamp's side to
    0.

    Returns
    -------
    torch.Tensor
        ``(3, size, size)``, one ramp per writer, in the order of :data:`LIGHTING_SIDES`.

    Examples
    --------
    >>> r = lighting_ramps(28, 0.4)
    >>> r.shape, round(float(r[0, 0, 0]), 2), round(float(r[0, 0, -1]),
    ... 2)  # writer 0: lit from the left
    (torch.Size([3, 28, 28]), 0.4, 0.0)
    """
    size = check_int(size, "size", minimum=2)
    amplitude = check_number(amplitude, "amplitude", 0.0, 1.0)
    r = torch.linspace(0.0, 1.0, size)
    across, down = r[None, :].expand(size, size), r[:, None].expand(size, size)
    return amplitude * torch.stack([1 - across, 1 - down, across])


def assign_writers(n: int, n_writers: int = 3, seed: int = 0) -> np.ndarray:
    """Give each of ``n`` digits one of ``n_writers`` writers at random (independently of the
    digit).

    Examples
    --------
    >>> assign_writers(6, seed=0).tolist() == assign_writers(6, seed=0).tolist()
    True
    """
    n = check_int(n, "n", minimum=1)
    n_writers = check_int(n_writers, "n_writers", minimum=1)
    return np.random.default_rng(check_seed(seed)).integers(0, n_writers, n)


def add_lighting(x: torch.Tensor, writer, amplitude: float = 0.4) -> torch.Tensor:
    """The digits as their writers' scans show them: ink over paper lit from one side.

    Each pixel becomes ``max(ink, paper)``, the paper's brightness being writer ``writer[i]``'s
    ramp (:func:`lighting_ramps`). A nuisance for reading digits that changes most of the pixels,
    as a speaker changes the whole MFCC spectrum.

    Parameters
    ----------
    x : torch.Tensor
        Grey digits ``(N, 1, H, W)`` in [0, 1], ink bright on a dark background.
    writer : array-like of int
        ``(N,)`` writer of each digit, 0 (lamp on the left), 1 (top) or 2 (right).
    amplitude : float
        Brightness of the paper next to the lamp, in [0, 1].

    Examples
    --------
    >>> lit = add_lighting(torch.zeros(2, 1, 28, 28), [0, 2])
    >>> round(float(lit[0, 0, 5, 0]), 2), round(float(lit[1, 0, 5, 0]), 2)
    (0.4, 0.0)
    """
    x = check_image_batch(x, channels=1)
    w = check_labels(writer, len(x), "writer", num_classes=len(LIGHTING_SIDES))
    ramps = lighting_ramps(x.shape[-1], amplitude).to(x.device, x.dtype)
    if x.shape[-2] != x.shape[-1]:
        raise ValueError(f"x must hold square images, got {tuple(x.shape[-2:])}")
    return torch.maximum(x, ramps[torch.as_tensor(w, device=x.device)][:, None])


def read_lighting(x: torch.Tensor, band: int = 4) -> np.ndarray:
    """Which side of each image is brightest? A fixed rule (nothing learned) on a border band.

    Compares the mean brightness of the left, right, top and bottom ``band`` pixels and answers
    0 (left brighter than right, by more than top over bottom), 1 (top) or 2 (right), the codes of
    :func:`add_lighting`. On the lit digits it reads the writer back (the input is its ceiling);
    on unlit digits it guesses (chance 1/3).

    Examples
    --------
    >>> read_lighting(add_lighting(torch.zeros(3, 1, 28, 28), [0, 1, 2])).tolist()
    [0, 1, 2]
    """
    x = check_image_batch(x, channels=1)
    band = check_int(band, "band", minimum=1, maximum=x.shape[-1] // 2)
    a = x[:, 0].detach().float()
    left, right = a[:, :, :band].mean((1, 2)), a[:, :, -band:].mean((1, 2))
    top, bottom = a[:, :band].mean((1, 2)), a[:, -band:].mean((1, 2))
    return torch.stack([left - right, top - bottom, right - left], 1).argmax(1).cpu().numpy()


def paper_textures(size: int = 28, strength: float = 0.3) -> torch.Tensor:
    """Three faint paper textures: lines every 4 pixels, horizontal, vertical or diagonal.

    Unlike a lamp (:func:`lighting_ramps`), a texture brightens no side of the page.

    Returns
    -------
    torch.Tensor
        ``(3, size, size)``, ``strength`` on a line and 0 between lines.

    Examples
    --------
    >>> t = paper_textures(8, 0.3)
    >>> t.shape, [round(float(v), 1) for v in t[0, :2, 0]], round(float(t[1].mean()), 3)
    (torch.Size([3, 8, 8]), [0.3, 0.0], 0.075)
    """
    size = check_int(size, "size", minimum=2)
    strength = check_number(strength, "strength", 0.0, 1.0)
    rows, cols = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    lines = torch.stack([rows % 4 == 0, cols % 4 == 0, (rows + cols) % 4 == 0])
    return strength * lines.float()


def add_paper_texture(x: torch.Tensor, writer, strength: float = 0.3) -> torch.Tensor:
    """The digits printed on textured paper: ``max(ink, paper)``, writer ``writer[i]``'s texture.

    Parameters
    ----------
    x : torch.Tensor
        Grey digits ``(N, 1, H, H)`` in [0, 1], ink bright on a dark background.
    writer : array-like of int
        ``(N,)`` texture of each digit: 0 (horizontal lines), 1 (vertical) or 2 (diagonal).
    strength : float
        Brightness of a line, in [0, 1].

    Examples
    --------
    >>> tex = add_paper_texture(torch.zeros(2, 1, 28, 28), [0, 1])
    >>> round(float(tex[0, 0, 0, 5]), 1), round(float(tex[1, 0, 0, 5]), 1)
    (0.3, 0.0)
    """
    x = check_image_batch(x, channels=1)
    w = check_labels(writer, len(x), "writer", num_classes=3)
    if x.shape[-2] != x.shape[-1]:
        raise ValueError(f"x must hold square images, got {tuple(x.shape[-2:])}")
    paper = paper_textures(x.shape[-1], strength).to(x.device, x.dtype)
    return torch.maximum(x, paper[torch.as_tensor(w, device=x.device)][:, None])
