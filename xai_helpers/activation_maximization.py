"""Global explanation by *activation maximization* (lecture §12–13).

* What does a filter detect? ``X* = argmax_X Σ_i Σ_j a_ij`` — gradient **ascent** on the input,
  the network frozen (:func:`activation_maximization` with :func:`filter_objective`), and the real
  image patches that activate the filter most (:func:`top_activating_patches`).
* What does a digit look like? ``X* = argmax_X y_i + R(X)`` (:func:`class_objective`) with the
  lecture's prior ``R(X) = −Σ|X_ij|`` (:class:`L1`) and the other regularizers people use
  (:class:`L2`, :class:`TotalVariation`; lucid's transformation robustness :class:`Jitter`,
  :class:`RandomScale`, :class:`RandomRotate`, :class:`Blur`).

The constraint from a generator (``latent_search``) is in :mod:`xai_helpers.generative`; the judges
of "is it digit-like?" are in :mod:`xai_helpers.evaluation`; the figure of filters beside their
patches is :func:`xai_helpers.plotting.show_filters_and_patches`.

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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import nn

from ._torch import forward_hook, model_device, predict_proba
from .evaluation import (
    angle_difference,
    judge_agreement,
    logit_margin,
    stroke_orientation,
    total_variation,
)
from .validation import (
    check_image_batch,
    check_indices,
    check_int,
    check_layer,
    check_nonnegative,
    check_positive,
    check_seed,
)

__all__ = [
    "Objective",
    "filter_objective",
    "class_objective",
    "layer_activations",
    "L1",
    "L2",
    "TotalVariation",
    "Jitter",
    "RandomScale",
    "RandomRotate",
    "Blur",
    "AMResult",
    "activation_maximization",
    "filter_scores",
    "receptive_field",
    "top_activating_patches",
    "l1_sweep",
    "orientation_gap",
    "choose_prior",
    "ascent_summary",
    "only_moved",
    "oriented",
    "matched",
    "oriented_share",
    "orientation_table",
]


@dataclass(frozen=True)
class Objective:
    """What to maximize: a filter's summed feature map (``kind="filter"``) or a class score
    (``kind="class"``).

    Build it with :func:`filter_objective` or :func:`class_objective`; one image is optimized
    per entry of ``indices`` (a channel of ``layer``, or a class).
    """

    kind: str
    indices: tuple[int, ...]
    layer: str | None = None
    score: str = "logit"

    def _check(self, model: nn.Module) -> nn.Module | None:
        return check_layer(model, self.layer) if self.kind == "filter" else None

    def __call__(self, model: nn.Module, x: torch.Tensor) -> torch.Tensor:
        """The objective of each image in ``x`` (one value per image, to be maximized)."""
        idx = torch.tensor(self.indices, device=x.device)
        if self.kind == "class":
            out = model(x)
            if idx.max() >= out.shape[1]:
                raise ValueError(
                    f"class {int(idx.max())} is out of range: the model has {out.shape[1]} "
                    f"classes (0..{out.shape[1] - 1})"
                )
            if self.score == "log_prob":
                out = out.log_softmax(1)
            return out.gather(1, idx[:, None])[:, 0]
        act = layer_activations(model, x, self.layer)
        if act.ndim != 4:
            raise ValueError(
                f"layer {self.layer!r} outputs shape {tuple(act.shape)}; a filter "
                "objective needs a conv feature map (N, C, H, W)"
            )
        if idx.max() >= act.shape[1]:
            raise ValueError(
                f"channel {int(idx.max())} is out of range: layer {self.layer!r} has "
                f"{act.shape[1]} filters (0..{act.shape[1] - 1})"
            )
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
    chans = check_indices(channels, "channels")
    return Objective("filter", tuple(chans), layer=layer)


def class_objective(classes: int | Sequence[int], score: str = "logit") -> Objective:
    """Maximize the class score ``y_i`` (the logit, or its log-probability) of each class in
    ``classes``.

    Examples
    --------
    >>> class_objective(range(10)).indices[-1]
    9
    """
    cls = check_indices(classes, "classes")
    if score not in {"logit", "log_prob"}:
        raise ValueError(f"score must be 'logit' or 'log_prob', got {score!r}")
    return Objective("class", tuple(cls), score=score)


def layer_activations(model: nn.Module, x: torch.Tensor, layer: str | nn.Module) -> torch.Tensor:
    """The output of ``layer`` (a name or the submodule) when ``model`` runs on ``x`` (gradients
    flow). A plain ``nn.Sequential`` runs only up to a layer named among its children.

    Examples
    --------
    >>> from xai_helpers.models import MnistCNN
    >>> layer_activations(MnistCNN(), torch.zeros(1, 1, 28, 28), "conv2").shape
    torch.Size([1, 32, 14, 14])
    """
    if isinstance(layer, str) and type(model).forward is nn.Sequential.forward:
        names = [name for name, _ in model.named_children()]
        if layer in names:  # a plain Sequential: stop at the layer, skip the layers after it
            for name, module in model.named_children():
                x = module(x)
                if name == layer:
                    return x
    with forward_hook(model, layer) as record:
        model(x)
    return record.output


@torch.no_grad()
def filter_scores(
    model: nn.Module,
    x: torch.Tensor,
    layer: str | nn.Module,
    reduce: str = "sum",
    batch_size: int = 500,
) -> torch.Tensor:
    """Each filter's response to each image: ``Σ_i Σ_j a_ij`` (``reduce="sum"``) or its strongest
    unit (``"max"``).

    The lecture's objective for filter *k* is the sum of its feature map ``a_ij``; its strongest
    unit is what the top-activating patches show. Computed in batches, without gradients.

    Parameters
    ----------
    model : nn.Module
        The network (left in eval mode).
    x : torch.Tensor
        Images (N, C, H, W).
    layer : str or nn.Module
        A layer whose output is a feature map (N, F, h, w), e.g. ``"conv2"`` (before the ReLU) or
        ``"relu2"`` (after it).
    reduce : {"sum", "max"}
        Sum over the map's positions, or the largest value.
    batch_size : int
        Images per forward pass.

    Returns
    -------
    torch.Tensor
        (N, F) on the CPU.

    Examples
    --------
    >>> from xai_helpers.models import MnistCNN
    >>> model = MnistCNN().eval()
    >>> x = torch.rand(3, 1, 28, 28)
    >>> s = filter_scores(model, x, "relu2")
    >>> s.shape, bool((s >= 0).all())
    (torch.Size([3, 32]), True)
    >>> bool(torch.allclose(s, layer_activations(model, x, "relu2").sum((2, 3)), atol=1e-4))
    True
    """
    check_image_batch(x, "x")
    if reduce not in {"sum", "max"}:
        raise ValueError(f"reduce must be 'sum' or 'max', got {reduce!r}")
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    device = model_device(model)
    model.eval()
    out = []
    for s in range(0, len(x), batch_size):
        act = layer_activations(model, x[s : s + batch_size].to(device), layer)
        if act.ndim != 4:
            raise ValueError(
                f"layer {layer!r} outputs shape {tuple(act.shape)}; filter scores need a "
                "feature map (N, F, h, w)"
            )
        out.append((act.sum((2, 3)) if reduce == "sum" else act.amax((2, 3))).cpu())
    return torch.cat(out)


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
        return self.weight * total_variation(x, normalize=False)  # the one copy, in evaluation


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
    theta = torch.tensor(
        [
            [math.cos(a) / scale, -math.sin(a) / scale, 0.0],
            [math.sin(a) / scale, math.cos(a) / scale, 0.0],
        ],
        dtype=x.dtype,
        device=x.device,
    )
    grid = nn.functional.affine_grid(theta.expand(len(x), 2, 3), list(x.shape), align_corners=False)
    return nn.functional.grid_sample(x, grid, padding_mode="zeros", align_corners=False)


@dataclass(frozen=True)
class RandomScale:
    """lucid's random scaling: zoom by a factor drawn from ``[low, high]`` before each step.

    Examples
    --------
    >>> RandomScale(0.9, 1.1).transform(torch.ones(2, 1, 8, 8),
    ... torch.Generator().manual_seed(0)).shape
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
    """Gaussian blur of width ``sigma`` (pixels) before each step: the model sees no high-frequency
    noise.

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
        raise TypeError(
            "regularizers must be a list (e.g. [L1(0.05), Jitter(1)]), got "
            f"{type(regularizers).__name__}"
        )
    penalties, transforms = [], []
    for r in regularizers:
        if hasattr(r, "penalty"):
            check_nonnegative(r.weight, f"{type(r).__name__}'s weight")
            penalties.append(r)
        elif hasattr(r, "transform"):
            transforms.append(r)
        else:
            raise TypeError(
                f"{r!r} is not a regularizer: expected L1, L2, TotalVariation, Jitter, "
                "RandomScale, RandomRotate or Blur"
            )
    return penalties, transforms


# -------------------------------------------------------------------------- activation maximization


class _SGDStep:
    """``torch.optim.SGD``'s update (no momentum), ``x ← x − lr·∇``, bit for bit, without
    ``torch.optim``: creating an optimizer imports ``torch._dynamo`` (about 1.3 s of CPU, once)."""

    def __init__(self, lr: float):
        self.lr = lr

    def __call__(self, x: torch.Tensor) -> None:
        x.add_(x.grad, alpha=-self.lr)


class _AdamStep:
    """``torch.optim.Adam``'s update with its defaults (betas 0.9, 0.999, eps 1e-8), the
    single-tensor path it takes on the CPU, bit for bit (tests/test_activation_maximization.py),
    without importing ``torch._dynamo`` as ``torch.optim`` does."""

    def __init__(self, x: torch.Tensor, lr: float, betas=(0.9, 0.999), eps: float = 1e-8):
        self.lr, (self.beta1, self.beta2), self.eps, self.t = lr, betas, eps, 0
        self.m = torch.zeros_like(x, memory_format=torch.preserve_format)
        self.v = torch.zeros_like(x, memory_format=torch.preserve_format)

    def __call__(self, x: torch.Tensor) -> None:
        self.t += 1
        g = x.grad
        self.m.lerp_(g, 1 - self.beta1)
        self.v.mul_(self.beta2).addcmul_(g, g, value=1 - self.beta2)
        step = float(self.t)
        step_size = self.lr / (1 - self.beta1**step)
        denom = (self.v.sqrt() / (1 - self.beta2**step) ** 0.5).add_(self.eps)
        x.addcdiv_(self.m, denom, value=-step_size)


class AMResult(NamedTuple):
    """What :func:`activation_maximization` returns: ``images`` (N, C, H, W) and ``history`` (steps,
    N), on the CPU."""

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
    clip: bool = True,
    init: torch.Tensor | None = None,
    budget: float | torch.Tensor | None = None,
    budget_norm: str = "l2",
) -> AMResult:
    """Gradient ascent on the input, the network frozen: ``X* = argmax_X objective(X) − Σ
    penalties``.

    One image per index of ``objective`` is optimized (all in one batch) with Adam, starting from
    faint uniform noise; after each step the pixels are clipped to ``value_range`` (the valid
    range of the model's inputs). Each of these choices is a constraint on X*: ``optimizer="sgd"``,
    ``clip=False`` and ``init_scale=1`` (uniform noise in ``value_range``) give the unconstrained
    ascent of the lecture, ``X ← X + lr·∇``. Transformation regularizers (jitter, scale, rotation,
    blur) change the image the model sees at each step, not the image that is kept.

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
    clip : bool
        Clip the pixels to ``value_range`` after each step (``False``: the pixels may leave it).
    init : torch.Tensor, optional
        The starting images (one per index of ``objective``, shape (N, *shape)) instead of the
        seeded noise; the seed still drives the random transformations.
    budget : float or torch.Tensor (N,), optional
        An energy budget per image: after each step (and clipping) every image whose norm exceeds
        its budget is scaled down onto it, so the search compares images of equal energy. With
        ``value_range`` starting at 0, scaling down keeps the pixels in range.
    budget_norm : {"l1", "l2"}
        The norm of the budget: ``"l1"``, the total ink ``Σ|X_ij|``, or ``"l2"``, ``‖X‖₂``.

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
    >>> free = activation_maximization(MnistCNN().eval(), class_objective(3), steps=5, lr=1.0,
    ... optimizer="sgd", init_scale=1.0, clip=False)
    >>> free.images.shape
    torch.Size([1, 1, 28, 28])
    >>> held = activation_maximization(MnistCNN().eval(), class_objective([3, 7]), steps=5,
    ... budget=torch.tensor([2.0, 3.0]))
    >>> held.images.flatten(1).norm(dim=1).round(decimals=3).tolist()
    [2.0, 3.0]
    """
    from tqdm.auto import tqdm

    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch nn.Module, got {type(model).__name__}")
    if not isinstance(objective, Objective):
        raise TypeError(
            "objective must come from filter_objective(...) or class_objective(...), got "
            f"{type(objective).__name__}"
        )
    steps = check_int(steps, "steps", minimum=1)
    lr = check_positive(lr, "lr")
    if not isinstance(clip, bool):
        raise TypeError(f"clip must be True or False, got {clip!r}")
    seed = check_seed(seed)
    low, high = (float(v) for v in value_range)
    if not low < high:
        raise ValueError(f"value_range must be (low, high) with low < high, got {value_range}")
    penalties, transforms = _check_regularizers(regularizers)
    objective._check(model)
    if budget_norm not in {"l1", "l2"}:
        raise ValueError(f"budget_norm must be 'l1' or 'l2', got {budget_norm!r}")
    if budget is not None:
        budget = torch.as_tensor(budget, dtype=torch.float32).flatten()
        if budget.numel() not in (1, len(objective.indices)) or not bool((budget > 0).all()):
            raise ValueError(
                f"budget must be one positive number or one per image "
                f"({len(objective.indices)}), got {budget.numel()} values"
            )
    device = model_device(model)
    model.eval()
    was = [p.requires_grad for p in model.parameters()]
    for p in model.parameters():
        p.requires_grad_(False)
    gen = torch.Generator().manual_seed(seed)
    n = len(objective.indices)
    x0 = low + init_scale * (high - low) * torch.rand((n, *shape), generator=gen)
    if init is not None:
        check_image_batch(init, "init")
        if tuple(init.shape) != (n, *shape):
            raise ValueError(f"init must have shape {(n, *shape)}, got {tuple(init.shape)}")
        x0 = init.detach().float().cpu().clone()
    x = x0.to(device).requires_grad_(True)
    if optimizer not in {"adam", "sgd"}:
        raise ValueError(f"optimizer must be 'adam' or 'sgd', got {optimizer!r}")
    step = _AdamStep(x, lr) if optimizer == "adam" else _SGDStep(lr)
    history = torch.empty(steps, n)
    if budget is not None:
        budget = budget.to(device).expand(n).view(n, *[1] * len(shape))
    try:
        for t in tqdm(range(steps), desc="activation maximization", disable=not progress):
            seen = x
            for tr in transforms:
                seen = tr.transform(seen, gen)
            value = objective(model, seen)
            loss = -value.sum() + sum(p.penalty(x).sum() for p in penalties)
            x.grad = None
            loss.backward()
            with torch.no_grad():
                step(x)
                if clip:
                    x.clamp_(low, high)
                if budget is not None:
                    size = x.abs().sum(list(range(1, x.dim()))) if budget_norm == "l1" else None
                    size = x.flatten(1).norm(dim=1) if size is None else size
                    x.mul_((budget / size.clamp_min(1e-12).view_as(budget)).clamp(max=1))
            history[t] = value.detach().cpu()
    finally:
        for p, w in zip(model.parameters(), was):
            p.requires_grad_(w)
    return AMResult(x.detach().cpu(), history)


# --------------------------------------------------------------------------- real patches


def receptive_field(
    model: nn.Module, layer: str, shape: tuple[int, int, int] = (1, 28, 28)
) -> tuple[int, int]:
    """Height and width of the input region one unit of ``layer`` sees (measured from the gradient's
    support).

    Examples
    --------
    >>> from xai_helpers.models import MnistCNN
    >>> receptive_field(MnistCNN(), "conv2")
    (8, 8)
    """
    box = _unit_box(model, layer, shape)[0]
    return box[1] - box[0], box[3] - box[2]


def _unit_box(
    model: nn.Module, layer: str, shape: tuple[int, int, int]
) -> tuple[tuple[int, int, int, int], tuple[int, int], tuple[int, int]]:
    """Input box (r0, r1, c0, c1) of the centre unit of ``layer``, that unit's position, and the
    layer's grid size."""
    device = model_device(model)
    x = (
        torch.rand((1, *shape), generator=torch.Generator().manual_seed(0))
        .to(device)
        .requires_grad_(True)
    )
    act = layer_activations(model, x, layer)
    if act.ndim != 4:
        raise ValueError(
            f"layer {layer!r} outputs shape {tuple(act.shape)}; patches need a conv "
            "feature map (N, C, H, W)"
        )
    h, w = act.shape[-2:]
    i, j = h // 2, w // 2
    act[0, :, i, j].sum().backward()
    support = x.grad[0].abs().sum(0) > 0
    rows = torch.nonzero(support.any(1))[:, 0]
    cols = torch.nonzero(support.any(0))[:, 0]
    return (
        (int(rows.min()), int(rows.max()) + 1, int(cols.min()), int(cols.max()) + 1),
        (i, j),
        (h, w),
    )


@torch.no_grad()
def top_activating_patches(
    model: nn.Module,
    x: torch.Tensor,
    layer: str,
    channels: int | Sequence[int],
    k: int = 4,
    batch_size: int = 500,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The ``k`` real image patches that activate each filter most (one patch per image at most).

    For each channel, every unit of its feature map over every image of ``x`` is ranked; the top
    units' receptive fields are cut out of the (zero-padded) images.

    Returns
    -------
    (torch.Tensor, torch.Tensor)
        ``patches`` (len(channels), k, C, ph, pw) and the activations they reached (len(channels),
        k).

    Examples
    --------
    >>> from xai_helpers.models import MnistCNN
    >>> patches, acts = top_activating_patches(MnistCNN(), torch.rand(6, 1, 28, 28), "conv2", [0,
    ... 1], k=2)
    >>> patches.shape, acts.shape
    (torch.Size([2, 2, 1, 8, 8]), torch.Size([2, 2]))
    """
    check_image_batch(x, "x")
    chans = check_indices(channels, "channels")
    k = check_int(k, "k", minimum=1)
    if k > len(x):
        raise ValueError(f"k = {k} exceeds the {len(x)} images in x")
    with torch.enable_grad():
        (r0, r1, c0, c1), (i0, j0), (h, w) = _unit_box(model, layer, tuple(x.shape[1:]))
    device = model_device(model)
    model.eval()
    acts = torch.cat(
        [
            layer_activations(model, x[s : s + batch_size].to(device), layer).to(x.device)
            for s in range(0, len(x), batch_size)
        ]
    )
    if max(chans) >= acts.shape[1] or min(chans) < 0:
        raise ValueError(
            f"channel {max(chans)} is out of range: layer {layer!r} has {acts.shape[1]} "
            f"filters (0..{acts.shape[1] - 1})"
        )
    sy, sx = x.shape[-2] / h, x.shape[-1] / w
    ph, pw = r1 - r0, c1 - c0
    pad = max(ph, pw)
    xp = nn.functional.pad(x, (pad, pad, pad, pad))
    patches = torch.zeros(len(chans), k, x.shape[1], ph, pw, dtype=x.dtype, device=x.device)
    values = torch.zeros(len(chans), k, dtype=acts.dtype, device=x.device)
    for a, c in enumerate(chans):
        best, where = acts[:, c].flatten(1).max(1)  # best unit of each image
        top = best.topk(k).indices
        for b, n in enumerate(top.tolist()):
            i, j = divmod(int(where[n]), w)
            top_r = r0 + round((i - i0) * sy) + pad
            top_c = c0 + round((j - j0) * sx) + pad
            patches[a, b] = xp[n, :, top_r : top_r + ph, top_c : top_c + pw]
            values[a, b] = best[n]
    return patches, values


# --------------------------------------------------------------------------- priors, measured


@dataclass(frozen=True)
class _PerImageL1:
    """``λ_n Σ |X_ij|``, one λ per image of the batch (``weight``: the largest, for checks)."""

    weights: torch.Tensor

    @property
    def weight(self) -> float:
        return float(self.weights.max())

    def penalty(self, x: torch.Tensor) -> torch.Tensor:
        return self.weights.to(x.device) * x.abs().sum((1, 2, 3))


def l1_sweep(
    model: nn.Module,
    classes: Sequence[int],
    lams: Sequence[float],
    steps: int = 100,
    lr: float = 0.05,
    seed: int = 0,
) -> torch.Tensor:
    """X* = argmax y_i − λΣ|X| for every λ of ``lams`` and every class, from the *same* starts.

    One batch: the starts are those of ``activation_maximization(model, class_objective(classes),
    seed=seed)``, repeated for each λ, so λ = 0 gives exactly that run and every λ differs from it
    only by the prior.

    Returns
    -------
    torch.Tensor
        (len(lams), len(classes), C, H, W) on the CPU.

    Examples
    --------
    >>> from xai_helpers.models import MnistCNN
    >>> sweep = l1_sweep(MnistCNN().eval(), [3, 7], [0.0, 1.0], steps=3)
    >>> sweep.shape
    torch.Size([2, 2, 1, 28, 28])
    """
    cls = check_indices(classes, "classes")
    lam = torch.as_tensor([float(v) for v in lams], dtype=torch.float32, device="cpu")
    if lam.ndim != 1 or len(lam) == 0 or not torch.isfinite(lam).all() or (lam < 0).any():
        raise ValueError(f"lams must be a non-empty list of finite λ >= 0, got {list(lams)}")
    gen = torch.Generator().manual_seed(check_seed(seed))
    start = 0.1 * torch.rand((len(cls), 1, 28, 28), generator=gen)
    weights = lam.repeat_interleave(len(cls))
    res = activation_maximization(
        model,
        class_objective(list(cls) * len(lam)),
        steps=steps,
        lr=lr,
        seed=seed,
        regularizers=[_PerImageL1(weights)],
        init=start.repeat(len(lam), 1, 1, 1),
    )
    return res.images.view(len(lam), len(cls), *res.images.shape[1:])


def choose_prior(
    model: nn.Module,
    candidates: dict[str, Sequence],
    judges: dict,
    classes: Sequence[int],
    steps: int = 100,
    lr: float = 0.05,
    seed: int = 0,
) -> tuple[dict[str, float], str]:
    """Pick the regularizers the ``judges`` like best: run each candidate from the same starts and
    score it by the judges' mean probability of the target, averaged over the judges.

    The images and the judges used here must not be the ones that later *measure* the chosen
    setting: a choice scored by the instrument that made it looks better than it is.

    Returns
    -------
    (dict, str)
        Candidate name → its score, and the name of the best.

    Examples
    --------
    >>> from xai_helpers.models import MnistCNN
    >>> net = MnistCNN().eval()
    >>> scores, best = choose_prior(net, {"none": [], "L1": [L1(0.1)]}, {"self": net}, [1], steps=2)
    >>> sorted(scores), best in scores
    (['L1', 'none'], True)
    """
    if not candidates or not judges:
        raise ValueError("choose_prior needs at least one candidate and one judge")
    scores = {}
    for name, regs in candidates.items():
        x = activation_maximization(
            model, class_objective(classes), steps=steps, lr=lr, regularizers=regs, seed=seed
        ).images
        ps = [judge_agreement(j, x, list(classes))[1].mean().item() for j in judges.values()]
        scores[name] = sum(ps) / len(ps)
    return scores, max(scores, key=scores.get)


@torch.no_grad()
def ascent_summary(
    model: nn.Module,
    rows: dict[str, torch.Tensor],
    target: Sequence[int],
    start: torch.Tensor | None = None,
) -> tuple[dict[str, dict[str, float]], str]:
    """What each set of X* is, in numbers: the model's median probability of the target, its
    median logit and logit margin (the logit minus the largest other one), the share of pixels
    outside [0, 1] and mid-grey (0.1–0.9), and (with ``start``) the median correlation with it.

    The probability saturates (1.000 once the margin passes ~7); the logit and the margin go on
    telling the images apart.

    Returns
    -------
    (dict, str)
        Row name → {"p", "logit", "margin", "outside", "mid_grey"[, "corr_start"]}, and the table
        as text.

    Examples
    --------
    >>> from xai_helpers.models import MnistCNN
    >>> stats, text = ascent_summary(MnistCNN().eval(), {"noise": torch.rand(2, 1, 28, 28)}, [0, 1])
    >>> sorted(stats["noise"])
    ['logit', 'margin', 'mid_grey', 'outside', 'p']
    """
    out = {}
    for name, x in rows.items():
        t = torch.as_tensor(list(target), device="cpu")
        logit, margin = logit_margin(model, x, t)
        p = predict_proba(model, x).cpu().gather(1, t[:, None])[:, 0]
        row = {
            "p": p.median().item(),
            "logit": logit.median().item(),
            "margin": margin.median().item(),
            "outside": ((x < 0) | (x > 1)).float().mean().item(),
            "mid_grey": ((x > 0.1) & (x < 0.9)).float().mean().item(),
        }
        if start is not None:
            a, b = x.flatten(1), start.flatten(1).to(x.dtype)
            a, b = a - a.mean(1, keepdim=True), b - b.mean(1, keepdim=True)
            corr = (a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1)).clamp_min(1e-12)
            row["corr_start"] = corr.median().item()
        out[name] = row
    cols = list(next(iter(out.values()))) if out else []
    width = max((len(n) for n in out), default=0) + 2
    lines = ["".ljust(width) + "".join(f"{c:>11s}" for c in cols)]
    lines += [n.ljust(width) + "".join(f"{v:>11.3f}" for v in r.values()) for n, r in out.items()]
    return out, "\n".join(lines)


def orientation_gap(
    model: nn.Module,
    filters: Sequence[int],
    digits: torch.Tensor,
    seed: int = 0,
    layer: str = "conv2",
    after: str = "relu2",
    k: int = 8,
    max_start_corr: float = 0.5,
) -> dict[str, torch.Tensor]:
    """Notebook 07's test of what a filter detects, for one network: each filter's X* (Σ a_ij
    after the ReLU ``after``, 100 Adam steps, lr 0.05, start uniform in [0, 0.3] drawn with
    ``seed``), its ``k`` top real patches in ``digits`` (:func:`top_activating_patches` of
    ``layer``), and the stroke orientation of both
    (:func:`~xai_helpers.evaluation.stroke_orientation`, the patches' tensors pooled).

    A filter is *kept* when its ascent worked: X* beats the best digit by Σ a_ij and correlates
    at most ``max_start_corr`` with its start.

    Returns
    -------
    dict
        ``"images"`` (F, 1, 28, 28) X*, ``"patches"`` (F, k, 1, h, w), ``"kept"`` (F,) bool,
        ``"gap"`` (F,) |angle X* − angle patches| in degrees, ``"coh_x"`` and ``"coh_p"`` (F,)
        the coherences, all on the CPU.

    Examples
    --------
    >>> from xai_helpers.models import MnistCNN
    >>> out = orientation_gap(MnistCNN().eval(), [0, 1], torch.rand(6, 1, 28, 28), k=2)
    >>> out["gap"].shape, out["patches"].shape[:2]
    (torch.Size([2]), torch.Size([2, 2]))
    """
    ks = check_indices(filters, "filters")
    check_image_batch(digits, "digits")
    xs = activation_maximization(
        model, filter_objective(after, ks), steps=100, lr=0.05, init_scale=0.3, seed=seed
    ).images
    gen = torch.Generator().manual_seed(seed)
    start = 0.3 * torch.rand((len(ks), *xs.shape[1:]), generator=gen, device="cpu")
    top, _ = top_activating_patches(model, digits, layer, ks, k=k)
    best = filter_scores(model, digits, after).max(0).values[ks]
    corr = torch.corrcoef(torch.cat([xs.flatten(1), start.flatten(1)]))
    corr = corr[range(len(ks)), range(len(ks), 2 * len(ks))]
    kept = (filter_scores(model, xs, after)[range(len(ks)), ks] > best) & (corr <= max_start_corr)
    (angle_x, coh_x), (angle_p, coh_p) = stroke_orientation(xs), stroke_orientation(top)
    gap = angle_difference(angle_x, angle_p)
    return {"images": xs, "patches": top, "kept": kept, "gap": gap, "coh_x": coh_x, "coh_p": coh_p}


def only_moved(run: dict, start: torch.Tensor, max_unchanged: float = 0.25) -> dict:
    """A copy of one network's :func:`orientation_gap` result whose ``"kept"`` also drops the
    filters whose ascent left more than ``max_unchanged`` of the pixels where they started
    (within 0.01): such an X* is mostly its starting noise.

    Examples
    --------
    >>> run = {"kept": torch.tensor([True, True]), "images": torch.zeros(2, 1, 2, 2)}
    >>> start = torch.stack([torch.zeros(1, 2, 2), torch.ones(1, 2, 2)])
    >>> only_moved(run, start)["kept"].tolist()
    [False, True]
    """
    check_image_batch(start, "start")
    unchanged = ((run["images"] - start).abs() < 0.01).float().mean((1, 2, 3))
    return {**run, "kept": run["kept"] & (unchanged <= max_unchanged)}


def oriented(run: dict, cut: float = 0.5) -> torch.Tensor:
    """Per kept filter of one network (a dict with ``"kept"`` and ``"coh_x"``): is X* *oriented*,
    i.e. has its structure-tensor coherence at least ``cut``?

    Examples
    --------
    >>> oriented({"kept": torch.tensor([True, False]), "coh_x": torch.tensor([0.7, 0.9])}).tolist()
    [True]
    """
    return (run["coh_x"] >= cut)[run["kept"]]


def matched(run: dict, cut: float = 0.5, within: float = 15.0) -> torch.Tensor:
    """Per kept filter: is X* oriented (:func:`oriented`) *and* within ``within`` degrees of its
    top patches' angle (``"gap"``)?

    Examples
    --------
    >>> run = {"kept": torch.tensor([True, True]), "coh_x": torch.tensor([0.7, 0.9]),
    ...        "gap": torch.tensor([10.0, 40.0])}
    >>> matched(run).tolist()
    [True, False]
    """
    return ((run["coh_x"] >= cut) & (run["gap"] <= within))[run["kept"]]


def oriented_share(runs: Sequence[dict], cut: float = 0.5) -> float:
    """Share of oriented X* among the kept filters of several networks, pooled.

    Examples
    --------
    >>> runs = [{"kept": torch.tensor([True, True]), "coh_x": torch.tensor([0.7, 0.1])}]
    >>> oriented_share(runs)
    0.5
    """
    return torch.cat([oriented(r, cut) for r in runs]).float().mean().item()


def orientation_table(families: dict[str, Sequence[dict]]) -> str:
    """One row per family of networks: kept filters (all networks), the pooled shares of oriented
    and of matched X* (:func:`oriented`, :func:`matched`) and each network's median angle gap.

    Examples
    --------
    >>> run = {"kept": torch.tensor([True, True]), "coh_x": torch.tensor([0.7, 0.9]),
    ...        "gap": torch.tensor([10.0, 40.0])}
    >>> print(orientation_table({"toy": [run]}).splitlines()[1])
    toy                         2  1.00      0.50     [10]
    """
    w = max(24, *(len(name) for name in families))
    lines = [f"{'networks':{w}s} kept  oriented  matched  median gap (°) per network"]
    for name, runs in families.items():
        n = sum(int(r["kept"].sum()) for r in runs)
        ori = oriented_share(runs)
        mat = torch.cat([matched(r) for r in runs]).float().mean().item()
        med = [round(r["gap"][r["kept"]].median().item()) if r["kept"].any() else "-" for r in runs]
        lines.append(f"{name:{w}s} {n:4d}  {ori:.2f}      {mat:.2f}     {med}")
    return "\n".join(lines)
