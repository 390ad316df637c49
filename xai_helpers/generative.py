"""The generator G(z) of lecture §14 and the constraint it puts on "what does a digit look like?".

* :func:`sample_latent`, :func:`generate`: draw codes ``z ~ N(0, I)`` and images ``G(z)`` from the
  course's small DCGAN (:class:`xai_helpers.models.DCGANGenerator`, shipped as
  ``load_pretrained("mnist_gan")``; retrained by ``python -m xai_helpers.train mnist_gan``).
* :func:`latent_search`: ``z* = argmax_z y_i(G(z))``, ``X* = G(z*)`` — activation maximization in
  the generator's latent space instead of pixel space.

Examples
--------
>>> from xai_helpers.models import DCGANGenerator
>>> G = DCGANGenerator()
>>> generate(G, 2).shape
torch.Size([2, 1, 28, 28])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import torch
from torch import nn

from ._torch import model_device
from .validation import check_indices, check_int, check_nonnegative, check_positive

__all__ = ["sample_latent", "generate", "LatentResult", "latent_search"]


def sample_latent(n_samples: int, latent_dim: int, seed: int = 0) -> torch.Tensor:
    """``n_samples`` standard-Gaussian codes ``z`` (on the CPU), reproducible from ``seed``.

    Examples
    --------
    >>> sample_latent(4, 32).shape
    torch.Size([4, 32])
    >>> bool(torch.equal(sample_latent(2, 8, seed=1), sample_latent(2, 8, seed=1)))
    True
    """
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    latent_dim = check_int(latent_dim, "latent_dim", minimum=1)
    return torch.randn(n_samples, latent_dim, generator=torch.Generator().manual_seed(seed))


@torch.no_grad()
def generate(generator: nn.Module, z: torch.Tensor | int, seed: int = 0) -> torch.Tensor:
    """Images ``G(z)`` on the device of ``z`` (the CPU when ``z`` is a number of random samples from
    :func:`sample_latent`).

    Examples
    --------
    >>> from xai_helpers.models import DCGANGenerator
    >>> generate(DCGANGenerator(), 5).shape
    torch.Size([5, 1, 28, 28])
    """
    if not isinstance(generator, nn.Module) or not hasattr(generator, "latent_dim"):
        raise TypeError(
            "generator must be a DCGANGenerator (an nn.Module with latent_dim), got "
            f"{type(generator).__name__}"
        )
    if isinstance(z, int) and not isinstance(z, bool):
        z = sample_latent(z, generator.latent_dim, seed)
    if not isinstance(z, torch.Tensor):
        raise TypeError(f"z must be a tensor (N, latent_dim) or an int, got {type(z).__name__}")
    generator.eval()
    return generator(z.to(model_device(generator))).to(z.device)


# ---------------------------------------------------------------------- constraint from a generator


class LatentResult(NamedTuple):
    """What :func:`latent_search` returns: ``z`` (N, latent_dim), ``images`` = G(z) and ``history``
    (steps, N), on the CPU."""

    z: torch.Tensor
    images: torch.Tensor
    history: torch.Tensor


def latent_search(
    generator: nn.Module,
    classifier: nn.Module,
    target: int | Sequence[int],
    steps: int = 100,
    lr: float = 0.05,
    prior_weight: float = 0.05,
    seed: int = 0,
    z0: torch.Tensor | None = None,
    progress: bool = False,
    shell: bool = False,
) -> LatentResult:
    """Search the generator's latent space: ``z* = argmax_z y_i(G(z)) − λ‖z‖²``, and return
    ``G(z*)``.

    Both networks are frozen; only ``z`` moves (Adam). The prior ``λ‖z‖²`` (the Gaussian's
    negative log-density up to a constant, for ``λ = 1/2``) pulls ``z`` toward the Gaussian's
    *mode*, 0, not toward where its samples lie: in ``d`` dimensions nearly all of them lie on the
    shell ``‖z‖ ≈ √d``, where the generator was trained. A strong prior (notebook 08: λ = 1) takes
    ``z`` far inside that shell, to radii the Gaussian almost never draws; ``shell=True`` keeps
    ``z`` on the shell instead.

    Parameters
    ----------
    generator : nn.Module
        Maps (N, latent_dim) codes to images; must have a ``latent_dim`` attribute.
    classifier : nn.Module
        Maps the generator's images to class logits ``y``.
    target : int or list of int
        The class(es) to maximize; one code per target.
    steps, lr : int, float
        Adam steps and learning rate on ``z``.
    prior_weight : float
        λ ≥ 0, the weight of the ``‖z‖²`` prior.
    seed : int
        Seed of the starting codes ``z0 ~ N(0, I)`` (ignored when ``z0`` is given).
    z0 : torch.Tensor, optional
        The starting codes (N, latent_dim).
    progress : bool
        Show a progress bar.
    shell : bool
        Keep every code on the sphere ``‖z‖ = √latent_dim``, where nearly all of the Gaussian's
        samples lie (projected after each step, the start too). Use it with ``prior_weight=0``:
        on the sphere ``λ‖z‖²`` is a constant.

    Returns
    -------
    LatentResult
        ``z`` (N, latent_dim), ``images`` = G(z*) (N, C, H, W), ``history`` (steps, N) of ``y_i``.

    Examples
    --------
    >>> from xai_helpers.models import DCGANGenerator, MnistCNN
    >>> res = latent_search(DCGANGenerator().eval(), MnistCNN().eval(), [1, 2], steps=3)
    >>> res.z.shape, res.images.shape
    (torch.Size([2, 32]), torch.Size([2, 1, 28, 28]))
    >>> res = latent_search(DCGANGenerator().eval(), MnistCNN().eval(), [1, 2], steps=3, shell=True)
    >>> [round(n, 3) for n in res.z.norm(dim=1).tolist()]
    [5.657, 5.657]
    """
    from tqdm.auto import tqdm

    for m, name in ((generator, "generator"), (classifier, "classifier")):
        if not isinstance(m, nn.Module):
            raise TypeError(f"{name} must be a torch nn.Module, got {type(m).__name__}")
    latent_dim = getattr(generator, "latent_dim", None)
    if not isinstance(latent_dim, int):
        raise TypeError("generator must have an int attribute latent_dim (e.g. a DCGANGenerator)")
    targets = check_indices(target, "target")
    steps = check_int(steps, "steps", minimum=1)
    prior_weight = check_nonnegative(prior_weight, "prior_weight")
    lr = check_positive(lr, "lr")
    n = len(targets)
    if z0 is None:
        z0 = torch.randn(n, latent_dim, generator=torch.Generator().manual_seed(seed))
    elif not isinstance(z0, torch.Tensor) or tuple(z0.shape) != (n, latent_dim):
        raise ValueError(
            f"z0 must be a tensor of shape ({n}, {latent_dim}), got "
            f"{tuple(getattr(z0, 'shape', ()))}"
        )
    generator.eval()
    classifier.eval()
    dev_g, dev_c = model_device(generator), model_device(classifier)
    params = list(generator.parameters()) + list(classifier.parameters())
    was = [p.requires_grad for p in params]
    for p in params:
        p.requires_grad_(False)
    z = z0.detach().clone().float().to(dev_g)
    radius = latent_dim**0.5
    if shell:
        z = z * radius / z.norm(dim=1, keepdim=True).clamp_min(1e-12)
    z.requires_grad_(True)
    opt = torch.optim.Adam([z], lr=lr)
    idx = torch.tensor(targets, device=dev_c)
    history = torch.empty(steps, n)
    try:
        with torch.no_grad():
            n_classes = classifier(generator(z[:1]).to(dev_c)).shape[1]
        if max(targets) >= n_classes:
            raise ValueError(
                f"target class {max(targets)} is out of range: the classifier has "
                f"{n_classes} classes (0..{n_classes - 1})"
            )
        for t in tqdm(range(steps), desc="latent search", disable=not progress):
            y = classifier(generator(z).to(dev_c)).gather(1, idx[:, None])[:, 0]
            loss = -y.sum() + prior_weight * z.pow(2).sum().to(dev_c)
            opt.zero_grad()
            loss.backward()
            opt.step()
            if shell:
                with torch.no_grad():
                    z.mul_(radius / z.norm(dim=1, keepdim=True).clamp_min(1e-12))
            history[t] = y.detach().cpu()
        with torch.no_grad():
            images = generator(z).cpu()
    finally:
        for p, w in zip(params, was):
            p.requires_grad_(w)
    return LatentResult(z.detach().cpu(), images, history)
