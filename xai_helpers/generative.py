"""A small DCGAN for the course's MNIST digits: the generator G(z) of lecture §14.

The generator maps a low-dimensional Gaussian ``z`` to a 28×28 digit in [0, 1]; the
discriminator tells real digits from generated ones. Only the generator ships
(``xai_helpers/checkpoints/mnist_gan.pt``); ``python -m xai_helpers.train mnist_gan`` retrains it.

Examples
--------
>>> G = DCGANGenerator()
>>> G(torch.zeros(2, G.latent_dim)).shape
torch.Size([2, 1, 28, 28])
"""

from __future__ import annotations

import copy
import time
from collections import OrderedDict
from pathlib import Path

import torch
from torch import nn

from ._setup import model_device, training_recipe
from .validation import check_positive_int

__all__ = ["DCGANGenerator", "DCGANDiscriminator", "sample_latent", "generate", "train_gan", "train_mnist_gan"]


class DCGANGenerator(nn.Module):
    """DCGAN generator: ``z`` (N, latent_dim) → linear → 7×7 → 14×14 → 28×28 image in [0, 1].

    Parameters
    ----------
    latent_dim : int
        Size of the Gaussian code ``z``.
    width : int
        Channels of the 7×7 feature map (halved at 14×14).

    Examples
    --------
    >>> G = DCGANGenerator(latent_dim=8, width=16)
    >>> x = G(torch.randn(3, 8))
    >>> x.shape, bool(x.min() >= 0) and bool(x.max() <= 1)
    (torch.Size([3, 1, 28, 28]), True)
    """

    def __init__(self, latent_dim: int = 32, width: int = 32):
        super().__init__()
        self.latent_dim = check_positive_int(latent_dim, "latent_dim")
        self.width = check_positive_int(width, "width")
        w = self.width
        self.project = nn.Sequential(nn.Linear(latent_dim, w * 7 * 7, bias=False), nn.BatchNorm1d(w * 7 * 7), nn.ReLU())
        self.body = nn.Sequential(
            OrderedDict(
                up1=nn.ConvTranspose2d(w, w // 2, 4, stride=2, padding=1, bias=False),
                bn1=nn.BatchNorm2d(w // 2),
                relu1=nn.ReLU(),
                up2=nn.ConvTranspose2d(w // 2, 1, 4, stride=2, padding=1),
                out=nn.Sigmoid(),
            )
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"z must have shape (N, {self.latent_dim}), got {tuple(z.shape)}")
        h = self.project(z).view(-1, self.width, 7, 7)
        return self.body(h)


class DCGANDiscriminator(nn.Sequential):
    """DCGAN discriminator: 28×28 image → one logit (real vs generated).

    Examples
    --------
    >>> D = DCGANDiscriminator()
    >>> D(torch.zeros(2, 1, 28, 28)).shape
    torch.Size([2, 1])
    """

    def __init__(self, width: int = 32):
        w = check_positive_int(width, "width")
        super().__init__(
            OrderedDict(
                conv1=nn.Conv2d(1, w // 2, 4, stride=2, padding=1),
                act1=nn.LeakyReLU(0.2),
                conv2=nn.Conv2d(w // 2, w, 4, stride=2, padding=1),
                act2=nn.LeakyReLU(0.2),
                drop=nn.Dropout(0.3),
                flatten=nn.Flatten(),
                fc=nn.Linear(w * 7 * 7, 1),
            )
        )


def sample_latent(n: int, latent_dim: int, seed: int = 0) -> torch.Tensor:
    """``n`` standard-Gaussian codes ``z`` (on the CPU), reproducible from ``seed``.

    Examples
    --------
    >>> sample_latent(4, 32).shape
    torch.Size([4, 32])
    >>> bool(torch.equal(sample_latent(2, 8, seed=1), sample_latent(2, 8, seed=1)))
    True
    """
    n = check_positive_int(n, "n")
    latent_dim = check_positive_int(latent_dim, "latent_dim")
    return torch.randn(n, latent_dim, generator=torch.Generator().manual_seed(seed))


@torch.no_grad()
def generate(generator: nn.Module, z: torch.Tensor | int, seed: int = 0) -> torch.Tensor:
    """Images ``G(z)`` on the device of ``z`` (the CPU when ``z`` is a number of random samples from :func:`sample_latent`).

    Examples
    --------
    >>> generate(DCGANGenerator(), 5).shape
    torch.Size([5, 1, 28, 28])
    """
    if not isinstance(generator, nn.Module) or not hasattr(generator, "latent_dim"):
        raise TypeError(f"generator must be a DCGANGenerator (an nn.Module with latent_dim), got {type(generator).__name__}")
    if isinstance(z, int) and not isinstance(z, bool):
        z = sample_latent(z, generator.latent_dim, seed)
    if not isinstance(z, torch.Tensor):
        raise TypeError(f"z must be a tensor (N, latent_dim) or an int, got {type(z).__name__}")
    generator.eval()
    return generator(z.to(model_device(generator))).to(z.device)


def train_gan(
    X: torch.Tensor,
    latent_dim: int = 32,
    width: int = 32,
    epochs: int = 50,
    batch_size: int = 64,
    lr: float = 2e-4,
    ema_decay: float = 0.999,
    seed: int = 0,
    device: torch.device | str | None = None,
    progress: bool = True,
) -> tuple[DCGANGenerator, dict]:
    """Train a DCGAN on images ``X`` (N, 1, 28, 28) in [0, 1]; deterministic given ``seed``.

    Non-saturating GAN loss, Adam(β₁ = 0.5), one-sided label smoothing (real = 0.9), and an
    exponential moving average of the generator's weights, which is what is returned.

    Returns
    -------
    (DCGANGenerator, dict)
        The EMA generator in eval mode, on the CPU, and the per-epoch mean losses
        ``{"d_loss": [...], "g_loss": [...]}``.

    Examples
    --------
    >>> G, hist = train_gan(torch.rand(32, 1, 28, 28), latent_dim=4, width=8, epochs=1, batch_size=16, progress=False)
    >>> G(torch.zeros(1, 4)).shape, len(hist["d_loss"])
    (torch.Size([1, 1, 28, 28]), 1)
    """
    from tqdm.auto import tqdm

    from .validation import check_image_batch

    check_image_batch(X, "X", channels=1)
    if X.shape[-2:] != (28, 28):
        raise ValueError(f"X must hold 28x28 images, got {tuple(X.shape[-2:])}")
    epochs = check_positive_int(epochs, "epochs")
    batch_size = check_positive_int(batch_size, "batch_size")
    device = torch.device(device or "cpu")
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    G = DCGANGenerator(latent_dim, width).to(device)
    D = DCGANDiscriminator(width).to(device)
    ema = copy.deepcopy(G).eval()
    opt_g = torch.optim.Adam(G.parameters(), lr=lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=lr, betas=(0.5, 0.999))
    bce = nn.functional.binary_cross_entropy_with_logits
    hist: dict[str, list[float]] = {"d_loss": [], "g_loss": []}
    for _ in tqdm(range(epochs), desc="GAN", disable=not progress):
        G.train()
        D.train()
        perm = torch.randperm(len(X), generator=gen)
        d_tot = g_tot = 0.0
        steps = 0
        for i in range(0, len(X) - batch_size + 1, batch_size):
            real = X[perm[i : i + batch_size]].to(device)
            z = torch.randn(batch_size, latent_dim, generator=gen).to(device)
            fake = G(z)
            d_loss = bce(D(real), torch.full((batch_size, 1), 0.9, device=device)) + bce(
                D(fake.detach()), torch.zeros(batch_size, 1, device=device)
            )
            opt_d.zero_grad()
            d_loss.backward()
            opt_d.step()
            g_loss = bce(D(fake), torch.ones(batch_size, 1, device=device))
            opt_g.zero_grad()
            g_loss.backward()
            opt_g.step()
            with torch.no_grad():
                for p_ema, p in zip(ema.parameters(), G.parameters()):
                    p_ema.lerp_(p, 1.0 - ema_decay)
                for b_ema, b in zip(ema.buffers(), G.buffers()):
                    b_ema.copy_(b)
            d_tot += d_loss.item()
            g_tot += g_loss.item()
            steps += 1
        hist["d_loss"].append(d_tot / steps)
        hist["g_loss"].append(g_tot / steps)
    return ema.cpu().eval(), hist


@training_recipe(threads=1)
def train_mnist_gan(directory: str | Path | None = None, seed: int = 0, epochs: int = 150) -> dict:
    """Recipe: train the course's DCGAN on the MNIST training split and save its generator (one thread).

    Also measures its samples with the course's MNIST CNN: how confident it is on them and
    how many of the 10 digits appear (mode coverage), stored in the checkpoint's ``meta``.
    """
    from .data import load_mnist
    from .models import load_pretrained, predict_proba, save_checkpoint

    mnist = load_mnist(seed=0)
    t0 = time.perf_counter()
    G, hist = train_gan(mnist.X_train, epochs=epochs, seed=seed)
    seconds = time.perf_counter() - t0
    probs = predict_proba(load_pretrained("mnist_cnn"), generate(G, 1000, seed=123))
    counts = torch.bincount(probs.argmax(1), minlength=10)
    meta = {
        "seed": seed,
        "epochs": epochs,
        "latent_dim": G.latent_dim,
        "final_d_loss": round(hist["d_loss"][-1], 6),
        "final_g_loss": round(hist["g_loss"][-1], 6),
        "cnn_mean_confidence": round(probs.max(1).values.mean().item(), 4),
        "digit_counts": counts.tolist(),
    }  # no wall time in meta: the file must reproduce bit for bit
    path = save_checkpoint(G, "mnist_gan", kwargs={"latent_dim": G.latent_dim, "width": G.width}, meta=meta, directory=directory)
    print(f"mnist_gan: {seconds:.1f} s, CNN confidence on samples {meta['cnn_mean_confidence']:.3f}, digits {counts.tolist()} -> {path}")
    return meta
