"""Global explanation by *activation maximization* (lecture §12–14).

* What does a filter detect? ``X* = argmax_X Σ_i Σ_j a_ij`` — gradient **ascent** on the input,
  the network frozen (:func:`activation_maximization` with :func:`filter_objective`), and the real
  image patches that activate the filter most (:func:`top_activating_patches`).
* What does a digit look like? ``X* = argmax_X y_i + R(X)`` (:func:`class_objective`) with the
  lecture's prior ``R(X) = −Σ|X_ij|`` (:class:`L1`) and the other regularizers people use
  (:class:`L2`, :class:`TotalVariation`; lucid's transformation robustness :class:`Jitter`,
  :class:`RandomScale`, :class:`RandomRotate`, :class:`Blur`).
* Constraint from a generator: ``z* = argmax_z y_i``, ``X* = G(z*)`` (:func:`latent_search`).
* How digit-like is it? Ask an independent classifier (:func:`judge_agreement`).

Examples
--------
>>> from xai_helpers.models import MnistCNN
>>> model = MnistCNN().eval()
>>> res = activation_maximization(model, class_objective([3, 7]), steps=5, regularizers=[L1(0.01)])
>>> res.images.shape, res.history.shape
(torch.Size([2, 1, 28, 28]), torch.Size([5, 2]))
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import nn

from ._setup import model_device
from .validation import check_image_batch, check_positive_int

__all__ = [
    "Objective",
    "filter_objective",
    "class_objective",
    "L1",
    "L2",
    "TotalVariation",
    "Jitter",
    "RandomScale",
    "RandomRotate",
    "Blur",
    "AMResult",
    "activation_maximization",
    "LatentResult",
    "latent_search",
    "layer_activations",
    "receptive_field",
    "top_activating_patches",
    "judge_agreement",
    "pixel_knn_judge",
    "agreement_table",
    "show_filters_and_patches",
]


def _indices(value: object, name: str) -> list[int]:
    """An int or a sequence of ints as a list of ints."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an int or a list of ints, not a bool")
    if isinstance(value, numbers.Integral):
        return [int(value)]
    if isinstance(value, torch.Tensor):
        value = value.reshape(-1).tolist()
    if isinstance(value, Sequence) and len(value) > 0 and all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in value):
        return [int(v) for v in value]
    raise TypeError(f"{name} must be an int or a non-empty list of ints, got {value!r}")


# --------------------------------------------------------------------------- objectives


@dataclass(frozen=True)
class Objective:
    """What to maximize: a filter's summed feature map (``kind="filter"``) or a class score (``kind="class"``).

    Build it with :func:`filter_objective` or :func:`class_objective`; one image is optimized
    per entry of ``indices`` (a channel of ``layer``, or a class).
    """

    kind: str
    indices: tuple[int, ...]
    layer: str | None = None
    score: str = "logit"

    def _check(self, model: nn.Module) -> nn.Module | None:
        if self.kind == "filter":
            modules = dict(model.named_modules())
            if self.layer not in modules or self.layer == "":
                names = [n for n in modules if n]
                raise ValueError(f"the model has no layer {self.layer!r}; its layers are {', '.join(names)}")
            return modules[self.layer]
        return None

    def __call__(self, model: nn.Module, x: torch.Tensor) -> torch.Tensor:
        """The objective of each image in ``x`` (one value per image, to be maximized)."""
        idx = torch.tensor(self.indices, device=x.device)
        if self.kind == "class":
            out = model(x)
            if idx.max() >= out.shape[1]:
                raise ValueError(f"class {int(idx.max())} is out of range: the model has {out.shape[1]} classes (0..{out.shape[1] - 1})")
            if self.score == "log_prob":
                out = out.log_softmax(1)
            return out.gather(1, idx[:, None])[:, 0]
        act = layer_activations(model, self.layer, x)
        if act.ndim != 4:
            raise ValueError(f"layer {self.layer!r} outputs shape {tuple(act.shape)}; a filter objective needs a conv feature map (N, C, H, W)")
        if idx.max() >= act.shape[1]:
            raise ValueError(f"channel {int(idx.max())} is out of range: layer {self.layer!r} has {act.shape[1]} filters (0..{act.shape[1] - 1})")
        return act[torch.arange(len(x), device=x.device), idx].sum((1, 2))


def filter_objective(layer: str, channels: int | Sequence[int]) -> Objective:
    """Maximize ``Σ_i Σ_j a_ij``, the summed feature map of filter ``channel`` of ``layer``.

    Parameters
    ----------
    layer : str
        Name of a convolutional layer of the model (e.g. ``"conv2"``).
    channels : int or list of int
        The filter(s); one image is made for each.

    Examples
    --------
    >>> filter_objective("conv2", [0, 1]).indices
    (0, 1)
    """
    if not isinstance(layer, str) or not layer:
        raise TypeError(f"layer must be the name of a layer (a non-empty str), got {layer!r}")
    chans = _indices(channels, "channels")
    if min(chans) < 0:
        raise ValueError(f"channels must be non-negative, got {min(chans)}")
    return Objective("filter", tuple(chans), layer=layer)


def class_objective(classes: int | Sequence[int], score: str = "logit") -> Objective:
    """Maximize the class score ``y_i`` (the logit, or its log-probability) of each class in ``classes``.

    Examples
    --------
    >>> class_objective(range(10)).indices[-1]
    9
    """
    if isinstance(classes, range):
        classes = list(classes)
    cls = _indices(classes, "classes")
    if min(cls) < 0:
        raise ValueError(f"classes must be non-negative, got {min(cls)}")
    if score not in {"logit", "log_prob"}:
        raise ValueError(f"score must be 'logit' or 'log_prob', got {score!r}")
    return Objective("class", tuple(cls), score=score)


def layer_activations(model: nn.Module, layer: str, x: torch.Tensor) -> torch.Tensor:
    """The output of the named ``layer`` when ``model`` runs on ``x`` (a forward hook; gradients flow).

    Examples
    --------
    >>> from xai_helpers.models import MnistCNN
    >>> layer_activations(MnistCNN(), "conv2", torch.zeros(1, 1, 28, 28)).shape
    torch.Size([1, 32, 14, 14])
    """
    modules = dict(model.named_modules())
    if not isinstance(layer, str) or layer not in modules or layer == "":
        names = [n for n in modules if n]
        raise ValueError(f"the model has no layer {layer!r}; its layers are {', '.join(names)}")
    store: dict[str, torch.Tensor] = {}
    handle = modules[layer].register_forward_hook(lambda _m, _i, out: store.__setitem__("a", out))
    try:
        model(x)
    finally:
        handle.remove()
    return store["a"]


# --------------------------------------------------------------------------- regularizers


@dataclass(frozen=True)
class L1:
    """The lecture's prior ``R(X) = −λ Σ_ij |X_ij|``: few white pixels (a digit is a few strokes).

    Examples
    --------
    >>> L1(0.5).penalty(torch.ones(1, 1, 2, 2))
    tensor([2.])
    """

    weight: float

    def penalty(self, x: torch.Tensor) -> torch.Tensor:
        return self.weight * x.abs().sum((1, 2, 3))


@dataclass(frozen=True)
class L2:
    """``λ Σ_ij X_ij²``: small pixel values overall.

    Examples
    --------
    >>> L2(1.0).penalty(torch.full((1, 1, 2, 2), 0.5))
    tensor([1.])
    """

    weight: float

    def penalty(self, x: torch.Tensor) -> torch.Tensor:
        return self.weight * x.pow(2).sum((1, 2, 3))


@dataclass(frozen=True)
class TotalVariation:
    """``λ Σ |X_{i+1,j} − X_ij| + |X_{i,j+1} − X_ij|``: neighbouring pixels alike (smooth strokes).

    Examples
    --------
    >>> TotalVariation(1.0).penalty(torch.tensor([[[[0.0, 1.0], [0.0, 1.0]]]]))
    tensor([2.])
    """

    weight: float

    def penalty(self, x: torch.Tensor) -> torch.Tensor:
        dy = (x[..., 1:, :] - x[..., :-1, :]).abs().sum((1, 2, 3))
        dx = (x[..., :, 1:] - x[..., :, :-1]).abs().sum((1, 2, 3))
        return self.weight * (dx + dy)


@dataclass(frozen=True)
class Jitter:
    """lucid's jitter: shift the image by up to ``pixels`` (zero padding) before each step.

    Examples
    --------
    >>> Jitter(2).transform(torch.ones(1, 1, 8, 8), torch.Generator().manual_seed(0)).shape
    torch.Size([1, 1, 8, 8])
    """

    pixels: int = 2

    def transform(self, x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        p = self.pixels
        if p <= 0:
            return x
        dy, dx = torch.randint(0, 2 * p + 1, (2,), generator=gen).tolist()
        h, w = x.shape[-2:]
        return nn.functional.pad(x, (p, p, p, p))[..., dy : dy + h, dx : dx + w]


def _affine(x: torch.Tensor, scale: float, angle_deg: float) -> torch.Tensor:
    a = math.radians(angle_deg)
    theta = torch.tensor([[math.cos(a) / scale, -math.sin(a) / scale, 0.0], [math.sin(a) / scale, math.cos(a) / scale, 0.0]], dtype=x.dtype, device=x.device)
    grid = nn.functional.affine_grid(theta.expand(len(x), 2, 3), list(x.shape), align_corners=False)
    return nn.functional.grid_sample(x, grid, padding_mode="zeros", align_corners=False)


@dataclass(frozen=True)
class RandomScale:
    """lucid's random scaling: zoom by a factor drawn from ``[low, high]`` before each step.

    Examples
    --------
    >>> RandomScale(0.9, 1.1).transform(torch.ones(2, 1, 8, 8), torch.Generator().manual_seed(0)).shape
    torch.Size([2, 1, 8, 8])
    """

    low: float = 0.9
    high: float = 1.1

    def transform(self, x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        s = self.low + (self.high - self.low) * torch.rand((), generator=gen).item()
        return _affine(x, s, 0.0)


@dataclass(frozen=True)
class RandomRotate:
    """lucid's random rotation: rotate by up to ``±degrees`` before each step.

    Examples
    --------
    >>> RandomRotate(10).transform(torch.ones(1, 1, 8, 8), torch.Generator().manual_seed(0)).shape
    torch.Size([1, 1, 8, 8])
    """

    degrees: float = 10.0

    def transform(self, x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        angle = (2 * torch.rand((), generator=gen).item() - 1) * self.degrees
        return _affine(x, 1.0, angle)


@dataclass(frozen=True)
class Blur:
    """Gaussian blur of width ``sigma`` (pixels) before each step: the model sees no high-frequency noise.

    Examples
    --------
    >>> Blur(1.0).transform(torch.ones(1, 1, 8, 8), torch.Generator()).shape
    torch.Size([1, 1, 8, 8])
    """

    sigma: float = 0.5

    def transform(self, x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        if self.sigma <= 0:
            return x
        from torchvision.transforms.v2.functional import gaussian_blur

        k = 2 * math.ceil(2 * self.sigma) + 1
        return gaussian_blur(x, [k, k], [self.sigma, self.sigma])


def _check_regularizers(regularizers: object) -> tuple[list, list]:
    if regularizers is None:
        return [], []
    if not isinstance(regularizers, Sequence):
        raise TypeError(f"regularizers must be a list (e.g. [L1(0.05), Jitter(1)]), got {type(regularizers).__name__}")
    penalties, transforms = [], []
    for r in regularizers:
        if hasattr(r, "penalty"):
            w = r.weight
            if isinstance(w, bool) or not isinstance(w, numbers.Real) or w < 0:
                raise ValueError(f"{type(r).__name__}'s weight must be a number >= 0, got {w!r}")
            penalties.append(r)
        elif hasattr(r, "transform"):
            transforms.append(r)
        else:
            raise TypeError(f"{r!r} is not a regularizer: expected L1, L2, TotalVariation, Jitter, RandomScale, RandomRotate or Blur")
    return penalties, transforms


# --------------------------------------------------------------------------- activation maximization


class AMResult(NamedTuple):
    """What :func:`activation_maximization` returns: ``images`` (N, C, H, W) and ``history`` (steps, N), on the CPU."""

    images: torch.Tensor
    history: torch.Tensor


def activation_maximization(
    model: nn.Module,
    objective: Objective,
    steps: int = 200,
    lr: float = 0.05,
    regularizers: Sequence | None = None,
    seed: int = 0,
    shape: tuple[int, int, int] = (1, 28, 28),
    value_range: tuple[float, float] = (0.0, 1.0),
    init_scale: float = 0.1,
    optimizer: str = "adam",
    progress: bool = False,
) -> AMResult:
    """Gradient ascent on the input, the network frozen: ``X* = argmax_X objective(X) − Σ penalties``.

    One image per index of ``objective`` is optimized (all in one batch) with Adam, starting from
    faint uniform noise; after each step the pixels are clipped to ``value_range`` (the valid
    range of the model's inputs). Transformation regularizers (jitter, scale, rotation, blur)
    change the image the model sees at each step, not the image that is kept.

    Parameters
    ----------
    model : nn.Module
        The classifier, left unchanged (its parameters get no gradient).
    objective : Objective
        :func:`filter_objective` (``Σ a_ij`` of a filter) or :func:`class_objective` (``y_i``).
    steps, lr : int, float
        Number of Adam steps and their learning rate.
    regularizers : list, optional
        E.g. ``[L1(0.05), TotalVariation(0.02), Jitter(1), Blur(0.5)]``.
    seed : int
        Seed of the initial noise and of the random transformations.
    shape : tuple
        Shape (C, H, W) of one input image.
    value_range : (float, float)
        The pixels are kept in this interval.
    init_scale : float
        Initial pixels are uniform in ``[low, low + init_scale·(high − low)]``.
    optimizer : {"adam", "sgd"}
        ``"sgd"`` is plain gradient ascent ``X ← X + lr·∇``; ``"adam"`` rescales each pixel's step.
    progress : bool
        Show a ``tqdm.auto`` progress bar.

    Returns
    -------
    AMResult
        ``images`` (N, C, H, W) and ``history`` (steps, N): the (unregularized) objective of the
        image the model saw at each step. Both on the CPU.

    Examples
    --------
    >>> from xai_helpers.models import MnistCNN
    >>> res = activation_maximization(MnistCNN().eval(), filter_objective("conv2", 0), steps=20)
    >>> bool(res.history[-1, 0] > res.history[0, 0])
    True
    """
    from tqdm.auto import tqdm

    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch nn.Module, got {type(model).__name__}")
    if not isinstance(objective, Objective):
        raise TypeError(f"objective must come from filter_objective(...) or class_objective(...), got {type(objective).__name__}")
    steps = check_positive_int(steps, "steps")
    if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or lr <= 0:
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    low, high = (float(v) for v in value_range)
    if not low < high:
        raise ValueError(f"value_range must be (low, high) with low < high, got {value_range}")
    penalties, transforms = _check_regularizers(regularizers)
    objective._check(model)
    device = model_device(model)
    model.eval()
    was = [p.requires_grad for p in model.parameters()]
    for p in model.parameters():
        p.requires_grad_(False)
    gen = torch.Generator().manual_seed(seed)
    n = len(objective.indices)
    x0 = low + init_scale * (high - low) * torch.rand((n, *shape), generator=gen)
    x = x0.to(device).requires_grad_(True)
    if optimizer not in {"adam", "sgd"}:
        raise ValueError(f"optimizer must be 'adam' or 'sgd', got {optimizer!r}")
    opt = torch.optim.Adam([x], lr=lr) if optimizer == "adam" else torch.optim.SGD([x], lr=lr)
    history = torch.empty(steps, n)
    try:
        for t in tqdm(range(steps), desc="activation maximization", disable=not progress):
            seen = x
            for tr in transforms:
                seen = tr.transform(seen, gen)
            value = objective(model, seen)
            loss = -value.sum() + sum(p.penalty(x).sum() for p in penalties)
            opt.zero_grad()
            loss.backward()
            opt.step()
            with torch.no_grad():
                x.clamp_(low, high)
            history[t] = value.detach().cpu()
    finally:
        for p, w in zip(model.parameters(), was):
            p.requires_grad_(w)
    return AMResult(x.detach().cpu(), history)


# --------------------------------------------------------------------------- constraint from a generator


class LatentResult(NamedTuple):
    """What :func:`latent_search` returns: ``z`` (N, latent_dim), ``images`` = G(z) and ``history`` (steps, N), on the CPU."""

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
) -> LatentResult:
    """Search the generator's latent space: ``z* = argmax_z y_i(G(z)) − λ‖z‖²``, and return ``G(z*)``.

    Both networks are frozen; only ``z`` moves (Adam). The prior ``λ‖z‖²`` (the Gaussian's
    log-density up to a constant, for ``λ = 1/2``) keeps ``z`` where the generator was trained,
    so that ``G(z)`` stays a plausible digit.

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

    Returns
    -------
    LatentResult
        ``z`` (N, latent_dim), ``images`` = G(z*) (N, C, H, W), ``history`` (steps, N) of ``y_i``.

    Examples
    --------
    >>> from xai_helpers.generative import DCGANGenerator
    >>> from xai_helpers.models import MnistCNN
    >>> res = latent_search(DCGANGenerator().eval(), MnistCNN().eval(), [1, 2], steps=3)
    >>> res.z.shape, res.images.shape
    (torch.Size([2, 32]), torch.Size([2, 1, 28, 28]))
    """
    from tqdm.auto import tqdm

    for m, name in ((generator, "generator"), (classifier, "classifier")):
        if not isinstance(m, nn.Module):
            raise TypeError(f"{name} must be a torch nn.Module, got {type(m).__name__}")
    latent_dim = getattr(generator, "latent_dim", None)
    if not isinstance(latent_dim, int):
        raise TypeError("generator must have an int attribute latent_dim (e.g. a DCGANGenerator)")
    targets = _indices(list(target) if isinstance(target, range) else target, "target")
    steps = check_positive_int(steps, "steps")
    if isinstance(prior_weight, bool) or not isinstance(prior_weight, numbers.Real) or prior_weight < 0:
        raise ValueError(f"prior_weight must be a number >= 0, got {prior_weight!r}")
    if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or lr <= 0:
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    n = len(targets)
    if z0 is None:
        z0 = torch.randn(n, latent_dim, generator=torch.Generator().manual_seed(seed))
    elif not isinstance(z0, torch.Tensor) or tuple(z0.shape) != (n, latent_dim):
        raise ValueError(f"z0 must be a tensor of shape ({n}, {latent_dim}), got {tuple(getattr(z0, 'shape', ()))}")
    generator.eval()
    classifier.eval()
    dev_g, dev_c = model_device(generator), model_device(classifier)
    params = list(generator.parameters()) + list(classifier.parameters())
    was = [p.requires_grad for p in params]
    for p in params:
        p.requires_grad_(False)
    z = z0.detach().clone().float().to(dev_g).requires_grad_(True)
    opt = torch.optim.Adam([z], lr=lr)
    idx = torch.tensor(targets, device=dev_c)
    history = torch.empty(steps, n)
    try:
        with torch.no_grad():
            n_classes = classifier(generator(z[:1]).to(dev_c)).shape[1]
        if max(targets) >= n_classes:
            raise ValueError(f"target class {max(targets)} is out of range: the classifier has {n_classes} classes (0..{n_classes - 1})")
        for t in tqdm(range(steps), desc="latent search", disable=not progress):
            y = classifier(generator(z).to(dev_c)).gather(1, idx[:, None])[:, 0]
            loss = -y.sum() + prior_weight * z.pow(2).sum().to(dev_c)
            opt.zero_grad()
            loss.backward()
            opt.step()
            history[t] = y.detach().cpu()
        with torch.no_grad():
            images = generator(z).cpu()
    finally:
        for p, w in zip(params, was):
            p.requires_grad_(w)
    return LatentResult(z.detach().cpu(), images, history)


# --------------------------------------------------------------------------- real patches


def receptive_field(model: nn.Module, layer: str, shape: tuple[int, int, int] = (1, 28, 28)) -> tuple[int, int]:
    """Height and width of the input region one unit of ``layer`` sees (measured from the gradient's support).

    Examples
    --------
    >>> from xai_helpers.models import MnistCNN
    >>> receptive_field(MnistCNN(), "conv2")
    (8, 8)
    """
    box = _unit_box(model, layer, shape)[0]
    return box[1] - box[0], box[3] - box[2]


def _unit_box(model: nn.Module, layer: str, shape: tuple[int, int, int]) -> tuple[tuple[int, int, int, int], tuple[int, int], tuple[int, int]]:
    """Input box (r0, r1, c0, c1) of the centre unit of ``layer``, that unit's position, and the layer's grid size."""
    device = model_device(model)
    x = torch.rand((1, *shape), generator=torch.Generator().manual_seed(0)).to(device).requires_grad_(True)
    act = layer_activations(model, layer, x)
    if act.ndim != 4:
        raise ValueError(f"layer {layer!r} outputs shape {tuple(act.shape)}; patches need a conv feature map (N, C, H, W)")
    h, w = act.shape[-2:]
    i, j = h // 2, w // 2
    act[0, :, i, j].sum().backward()
    support = x.grad[0].abs().sum(0) > 0
    rows = torch.nonzero(support.any(1))[:, 0]
    cols = torch.nonzero(support.any(0))[:, 0]
    return (int(rows.min()), int(rows.max()) + 1, int(cols.min()), int(cols.max()) + 1), (i, j), (h, w)


@torch.no_grad()
def top_activating_patches(
    model: nn.Module, layer: str, X: torch.Tensor, channels: int | Sequence[int], k: int = 4, batch_size: int = 500
) -> tuple[torch.Tensor, torch.Tensor]:
    """The ``k`` real image patches that activate each filter most (one patch per image at most).

    For each channel, every unit of its feature map over every image of ``X`` is ranked; the top
    units' receptive fields are cut out of the (zero-padded) images.

    Returns
    -------
    (torch.Tensor, torch.Tensor)
        ``patches`` (len(channels), k, C, ph, pw) and the activations they reached (len(channels), k).

    Examples
    --------
    >>> from xai_helpers.models import MnistCNN
    >>> patches, acts = top_activating_patches(MnistCNN(), "conv2", torch.rand(6, 1, 28, 28), [0, 1], k=2)
    >>> patches.shape, acts.shape
    (torch.Size([2, 2, 1, 8, 8]), torch.Size([2, 2]))
    """
    check_image_batch(X, "X")
    chans = _indices(channels, "channels")
    k = check_positive_int(k, "k")
    if k > len(X):
        raise ValueError(f"k = {k} exceeds the {len(X)} images in X")
    with torch.enable_grad():
        (r0, r1, c0, c1), (i0, j0), (h, w) = _unit_box(model, layer, tuple(X.shape[1:]))
    device = model_device(model)
    model.eval()
    acts = torch.cat([layer_activations(model, layer, X[s : s + batch_size].to(device)).to(X.device) for s in range(0, len(X), batch_size)])
    if max(chans) >= acts.shape[1] or min(chans) < 0:
        raise ValueError(f"channel {max(chans)} is out of range: layer {layer!r} has {acts.shape[1]} filters (0..{acts.shape[1] - 1})")
    sy, sx = X.shape[-2] / h, X.shape[-1] / w
    ph, pw = r1 - r0, c1 - c0
    pad = max(ph, pw)
    Xp = nn.functional.pad(X, (pad, pad, pad, pad))
    patches = torch.zeros(len(chans), k, X.shape[1], ph, pw, dtype=X.dtype, device=X.device)
    values = torch.zeros(len(chans), k, dtype=acts.dtype, device=X.device)
    for a, c in enumerate(chans):
        best, where = acts[:, c].flatten(1).max(1)  # best unit of each image
        top = best.topk(k).indices
        for b, n in enumerate(top.tolist()):
            i, j = divmod(int(where[n]), w)
            top_r = r0 + round((i - i0) * sy) + pad
            top_c = c0 + round((j - j0) * sx) + pad
            patches[a, b] = Xp[n, :, top_r : top_r + ph, top_c : top_c + pw]
            values[a, b] = best[n]
    return patches, values


# --------------------------------------------------------------------------- the judge


@torch.no_grad()
def judge_agreement(judge, images: torch.Tensor, targets: int | Sequence[int]) -> tuple[float, torch.Tensor]:
    """Ask an independent classifier what each image shows: the fraction it calls the ``targets``.

    ``judge`` is a torch classifier (logits) or a fitted scikit-learn classifier of flattened
    pixels (e.g. :func:`pixel_knn_judge`).

    Returns
    -------
    (float, torch.Tensor)
        The agreement (fraction of images whose judged class is the target) and the judge's
        probability of the target for each image.

    Examples
    --------
    >>> from xai_helpers.models import MnistJudge
    >>> frac, p = judge_agreement(MnistJudge(), torch.zeros(3, 1, 28, 28), [0, 1, 2])
    >>> 0.0 <= frac <= 1.0, p.shape
    (True, torch.Size([3]))
    """
    from .models import predict_proba
    from .validation import check_target

    check_image_batch(images, "images")
    if isinstance(judge, nn.Module):
        probs = predict_proba(judge, images)
    elif hasattr(judge, "predict_proba"):  # a fitted scikit-learn classifier on flattened pixels
        probs = torch.as_tensor(judge.predict_proba(images.flatten(1).cpu().numpy()), dtype=torch.float32)
    else:
        raise TypeError(f"judge must be a torch classifier or a fitted scikit-learn classifier, got {type(judge).__name__}")
    t = check_target(list(targets) if isinstance(targets, range) else targets, len(images), probs.shape[1])
    agree = (probs.argmax(1) == t.to(probs.device)).float().mean().item()
    return agree, probs.gather(1, t[:, None].to(probs.device))[:, 0].to(images.device)


def pixel_knn_judge(X: torch.Tensor, y: torch.Tensor, k: int = 5):
    """A judge that knows only what real digits look like: k nearest neighbours in pixel space (scikit-learn).

    It calls an image digit ``i`` when its closest training digits (Euclidean distance between
    pixels) are mostly ``i`` — a judge with no convolutions and no gradients to be fooled by.

    Examples
    --------
    >>> from xai_helpers.data import load_mnist
    >>> mnist = load_mnist()
    >>> knn = pixel_knn_judge(mnist.X_train, mnist.y_train)
    >>> judge_agreement(knn, mnist.X_test[:50], mnist.y_test[:50])[0] > 0.8
    True
    """
    from sklearn.neighbors import KNeighborsClassifier

    check_image_batch(X, "X")
    k = check_positive_int(k, "k")
    if not isinstance(y, torch.Tensor) or y.shape != (len(X),):
        raise ValueError(f"y must be a tensor of {len(X)} labels, got {getattr(y, 'shape', type(y))}")
    return KNeighborsClassifier(n_neighbors=k).fit(X.flatten(1).cpu().numpy(), y.cpu().numpy())


def agreement_table(results: dict, judges: dict, targets: Sequence[int]) -> tuple[dict, str]:
    """Agreement of each judge with the targets, for each set of images; and the table as text.

    Parameters
    ----------
    results : dict
        Row name → images (N, C, H, W), all made for ``targets``.
    judges : dict
        Column name → judge (see :func:`judge_agreement`).
    targets : list of int
        The class each image was made for (length N).

    Examples
    --------
    >>> from xai_helpers.models import MnistCNN
    >>> table, text = agreement_table({"blank": torch.zeros(2, 1, 28, 28)}, {"cnn": MnistCNN()}, [0, 1])
    >>> list(table["blank"])
    ['cnn']
    """
    table = {row: {name: judge_agreement(j, imgs, targets)[0] for name, j in judges.items()} for row, imgs in results.items()}
    width = max(len(r) for r in table) + 2
    lines = ["".ljust(width) + "".join(f"{name:>14s}" for name in judges)]
    lines += [row.ljust(width) + "".join(f"{v:>14.2f}" for v in cols.values()) for row, cols in table.items()]
    return table, "\n".join(lines)


def show_filters_and_patches(xstar: torch.Tensor, patches: torch.Tensor, channels: Sequence[int], ncols: int = 4, size: float = 1.0):
    """Each filter's X* beside the real patches that activate it most; returns the ``Figure``.

    Parameters
    ----------
    xstar : torch.Tensor
        (F, 1, H, W): one X* per filter.
    patches : torch.Tensor
        (F, k, 1, ph, pw) from :func:`top_activating_patches`.
    channels : list of int
        The filters' indices (for the titles).

    Examples
    --------
    >>> fig = show_filters_and_patches(torch.rand(2, 1, 28, 28), torch.rand(2, 3, 1, 8, 8), [0, 1], ncols=2)
    >>> len(fig.axes)
    8
    """
    import matplotlib.pyplot as plt

    f, k = patches.shape[:2]
    if len(xstar) != f or len(channels) != f:
        raise ValueError(f"got {len(xstar)} X*, {f} patch sets and {len(channels)} channels; they must match")
    nrows = -(-f // ncols)
    fig, axes = plt.subplots(nrows, ncols * (k + 1), figsize=(size * ncols * (k + 1), size * 1.15 * nrows), squeeze=False)
    for ax in axes.flat:
        ax.set_axis_off()
    for a in range(f):
        r, c = divmod(a, ncols)
        ax = axes[r, c * (k + 1)]
        ax.imshow(xstar[a, 0].numpy(), cmap="gray")  # contrast stretched: faint patterns show
        ax.set_title(f"X* #{channels[a]}", fontsize=8)
        for b in range(k):
            ax = axes[r, c * (k + 1) + 1 + b]
            ax.imshow(patches[a, b, 0].numpy(), cmap="gray", vmin=0, vmax=1)
            if b == 0:
                ax.set_title("top real patches", fontsize=7, loc="left")
    fig.tight_layout(pad=0.3)
    return fig
