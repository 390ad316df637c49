"""Rankings with random tie-breaking and structure-matched null maps for deletion tests.

* :func:`untie` turns maps into rankings with ties broken at random, so that a helper which
  orders equal values by position (``top_k_deletion``, ``top_k_share``) sees no ties.
* :func:`ink_blobs` draws null "maps" with the structure of a compact explanation: for each
  draw, one contiguous blob of ``k`` pixels of the object (the ``k`` object pixels nearest to
  a random object pixel), instead of ``k`` object pixels scattered over the image.
"""

from __future__ import annotations

import torch

from .validation import check_int, check_positive_int

__all__ = ["untie", "ink_blobs"]


def _check_maps(maps: object, name: str) -> torch.Tensor:
    if not isinstance(maps, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of maps (N, H, W), got {type(maps).__name__}")
    if maps.ndim != 3:
        raise ValueError(f"{name} must be maps shaped (N, H, W), got shape {tuple(maps.shape)}")
    return maps


def untie(maps: torch.Tensor, seed: int = 0) -> torch.Tensor:
    """Ranks of each map's pixels, ties broken at random, (N, H, W) float.

    The pixel with the largest value gets rank H·W − 1, the smallest 0; pixels with equal values
    get their ranks in a random order drawn from ``seed``. Any helper that takes the top ``k``
    pixels of the result then breaks the original map's ties at random.

    Parameters
    ----------
    maps : torch.Tensor
        Maps (N, H, W), finite.
    seed : int
        Seed of the random order among equal values (a CPU generator, so the same everywhere).

    Examples
    --------
    >>> r = untie(torch.zeros(1, 2, 2), seed=0)
    >>> sorted(r.flatten().tolist())
    [0.0, 1.0, 2.0, 3.0]
    >>> untie(torch.tensor([[[1.0, 3.0], [2.0, 0.0]]])).tolist()
    [[[1.0, 3.0], [2.0, 0.0]]]
    """
    maps = _check_maps(maps, "maps")
    if not torch.isfinite(maps).all():
        raise ValueError("maps must be finite (no NaN or inf)")
    seed = check_int(seed, "seed", minimum=0)
    n, h, w = maps.shape
    g = torch.Generator().manual_seed(seed)
    perm = torch.argsort(torch.rand(n, h * w, generator=g), dim=1).to(maps.device)
    flat = maps.reshape(n, -1).gather(1, perm)  # shuffle, then a stable sort keeps the shuffle in ties
    order = perm.gather(1, torch.argsort(flat, dim=1, stable=True))
    ranks = torch.empty(n, h * w, device=maps.device)
    ranks.scatter_(1, order, torch.arange(h * w, dtype=ranks.dtype, device=maps.device).expand(n, -1))
    return ranks.view(n, h, w)


def ink_blobs(mask: torch.Tensor, k: int, n_draws: int, seed: int = 0) -> torch.Tensor:
    """Null maps: per draw and image, one contiguous blob of ``k`` pixels of ``mask``, (n_draws, N, H, W).

    Each blob is the ``k`` pixels of ``mask`` nearest (Euclidean, ties at random) to a centre drawn
    uniformly from ``mask``: a compact piece of the object, like the top pixels of a map that
    points at one part of it. Blob pixels are 1, the rest 0, so ``top_k_deletion(..., k)`` on a
    blob removes exactly the blob.

    Parameters
    ----------
    mask : torch.Tensor of bool
        The object (e.g. a digit's ink), (N, H, W); each image needs at least ``k`` True pixels.
    k : int
        Pixels per blob.
    n_draws : int
        Blobs per image.
    seed : int
        Seed of the centres and of the tie order (a CPU generator).

    Examples
    --------
    >>> mask = torch.zeros(1, 5, 5, dtype=torch.bool)
    >>> mask[0, 2, :] = True
    >>> blobs = ink_blobs(mask, k=3, n_draws=4, seed=0)
    >>> blobs.shape, int(blobs.sum()), bool((blobs.bool() <= mask).all())
    (torch.Size([4, 1, 5, 5]), 12, True)
    """
    if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool or mask.ndim != 3:
        raise ValueError(f"mask must be a bool tensor (N, H, W), got {getattr(mask, 'dtype', type(mask).__name__)}")
    k, n_draws = check_positive_int(k, "k"), check_positive_int(n_draws, "n_draws")
    seed = check_int(seed, "seed", minimum=0)
    n, h, w = mask.shape
    counts = mask.reshape(n, -1).sum(1)
    if (counts < k).any():
        raise ValueError(f"every mask needs at least k = {k} True pixels; image {int((counts < k).nonzero()[0])} has {int(counts.min())}")
    g = torch.Generator().manual_seed(seed)
    rr, cc = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    coords = torch.stack([rr.flatten(), cc.flatten()], 1).float()  # (H·W, 2)
    m = mask.cpu().reshape(n, -1)
    out = torch.zeros(n_draws, n, h * w)
    for i in range(n):
        inside = m[i].nonzero()[:, 0]
        centres = inside[torch.randint(len(inside), (n_draws,), generator=g)]
        d = torch.cdist(coords[centres], coords[inside])  # (n_draws, |inside|)
        d = d + 1e-3 * torch.rand(d.shape, generator=g)  # ties at random (distances differ by ≥ 0.01)
        out[:, i].scatter_(1, inside[d.topk(k, dim=1, largest=False).indices], 1.0)
    return out.view(n_draws, n, h, w).to(mask.device)
