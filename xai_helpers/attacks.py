"""Attacking an explanation: Ghorbani, Abid & Zou, "Interpretation of Neural Networks is Fragile" (lecture §11).

The top-k attack looks for a perturbation δ with ‖δ‖∞ ≤ ε that keeps the model's label but
moves the saliency map away from the k pixels that were most salient. It climbs the gradient,
with respect to the input, of the saliency those k pixels still hold — a *second* derivative of
the network. For a ReLU network that second derivative is zero almost everywhere (the network
is piecewise linear, so its input gradient is piecewise constant), so the attack differentiates
a copy of the network whose ReLUs are replaced by softplus (:func:`softplus_copy`), as the paper
does, while the labels and saliency maps it reports are the real (ReLU) network's.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from ._setup import model_device
from .attribution import saliency
from .validation import (
    check_fraction,
    check_image_batch,
    check_nonnegative,
    check_number,
    check_positive,
    check_positive_int,
    check_target,
)

__all__ = [
    "softplus_copy",
    "differentiable_saliency",
    "topk_mask",
    "topk_intersection",
    "AttackResult",
    "topk_attack",
]


def softplus_copy(model: nn.Module, beta: float = 10.0) -> nn.Module:
    """A copy of ``model`` with every ``nn.ReLU`` replaced by ``nn.Softplus(beta)`` (same weights).

    softplus_β(z) = log(1 + e^{βz}) / β tends to ReLU as β grows, but its second derivative is
    not zero, so the saliency map of the copy can be differentiated with respect to the input.
    ReLUs called as functions (``F.relu``) inside ``forward`` are not replaced: a ``ValueError``
    is raised when the model has no ``nn.ReLU`` module at all.

    Examples
    --------
    >>> from xai_helpers.models import MnistCNN
    >>> smooth = softplus_copy(MnistCNN(), beta=10.0)
    >>> type(smooth.relu1).__name__
    'Softplus'
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    beta = check_positive(beta, "beta")
    smooth = copy.deepcopy(model).eval()
    replaced = 0
    for parent in smooth.modules():
        for name, child in parent.named_children():
            if isinstance(child, nn.ReLU):
                setattr(parent, name, nn.Softplus(beta=float(beta)))
                replaced += 1
    if replaced == 0:
        raise ValueError("model has no nn.ReLU module to replace (functional relu calls cannot be swapped)")
    for p in smooth.parameters():
        p.requires_grad_(False)
    return smooth


def differentiable_saliency(model: nn.Module, x: torch.Tensor, target: torch.Tensor, normalize: bool = True) -> torch.Tensor:
    """The saliency map max_c |∂y_k/∂x| as a differentiable function of ``x`` (``create_graph=True``).

    Parameters
    ----------
    model : nn.Module
        Usually a :func:`softplus_copy` (for a ReLU network its gradient w.r.t. ``x`` is zero).
    x : torch.Tensor
        (N, C, H, W) with ``requires_grad=True``, on the model's device.
    target : torch.Tensor
        (N,) class indices.
    normalize : bool
        Divide each map by its sum (the attack moves saliency *mass*, as in the paper).

    Returns
    -------
    torch.Tensor
        (N, H·W), still attached to the graph.

    Examples
    --------
    >>> from xai_helpers.models import MnistCNN
    >>> x = torch.rand(2, 1, 28, 28, requires_grad=True)
    >>> s = differentiable_saliency(softplus_copy(MnistCNN()), x, torch.tensor([1, 2]))
    >>> s.shape, bool(torch.allclose(s.sum(1), torch.ones(2)))
    (torch.Size([2, 784]), True)
    """
    if not x.requires_grad:
        raise ValueError("x must require grad (x.requires_grad_(True)) so the map can be differentiated")
    score = model(x).gather(1, target[:, None]).sum()
    (g,) = torch.autograd.grad(score, x, create_graph=True)
    s = g.abs().amax(1).flatten(1)
    if normalize:
        s = s / s.sum(1, keepdim=True).clamp(min=1e-12)
    return s


def topk_mask(maps: torch.Tensor, k: int) -> torch.Tensor:
    """Boolean mask (N, P) of the ``k`` largest entries of each flattened map (ties broken by torch.topk).

    Examples
    --------
    >>> topk_mask(torch.tensor([[0.1, 0.9, 0.5]]), 2).tolist()
    [[False, True, True]]
    """
    if not isinstance(maps, torch.Tensor) or maps.ndim < 2:
        raise ValueError(f"maps must be a tensor (N, ...) of attribution maps, got {getattr(maps, 'shape', type(maps))}")
    flat = maps.detach().flatten(1)
    k = check_positive_int(k, "k")
    if k > flat.shape[1]:
        raise ValueError(f"k = {k} exceeds the {flat.shape[1]} entries of each map")
    return torch.zeros_like(flat, dtype=torch.bool).scatter_(1, flat.topk(k, dim=1).indices, True)


def topk_intersection(before: torch.Tensor, after: torch.Tensor, k: int | None = None, fraction: float = 0.1) -> torch.Tensor:
    """Fraction of the ``k`` most important pixels of ``before`` that are still among the top ``k`` of ``after``.

    The paper's measure of how far an attack moved an explanation: 1 = the same top-k pixels,
    0 = none in common. Attributions are compared by magnitude (pass |IG| for signed maps).

    Parameters
    ----------
    before, after : torch.Tensor
        Maps of the same shape (N, H, W) (or (N, C, H, W), flattened per image).
    k : int, optional
        Number of pixels; default ``round(fraction × pixels)``.
    fraction : float
        Used when ``k`` is None: 0.1 gives the 10 % of pixels of the issue and the paper.

    Returns
    -------
    torch.Tensor
        (N,) in [0, 1].

    Examples
    --------
    >>> a = torch.tensor([[4.0, 3.0, 2.0, 1.0]])
    >>> topk_intersection(a, a.flip(1), k=2).tolist()
    [0.0]
    >>> topk_intersection(a, a * 2, k=2).tolist()
    [1.0]
    """
    if not isinstance(before, torch.Tensor) or not isinstance(after, torch.Tensor):
        raise TypeError("before and after must be torch tensors of attribution maps")
    if before.shape != after.shape:
        raise ValueError(f"before and after must have the same shape, got {tuple(before.shape)} and {tuple(after.shape)}")
    if k is None:
        fraction = check_fraction(fraction, "fraction")
        k = max(1, round(fraction * before[0].numel()))
    a, b = topk_mask(before, k), topk_mask(after, k)
    return (a & b).sum(1).float() / k


@dataclass
class AttackResult:
    """What :func:`topk_attack` found, one entry per image (all on the device of the attacked ``x``).

    Attributes
    ----------
    x_adv : torch.Tensor
        The perturbed images (N, C, H, W), ‖x_adv − x‖∞ ≤ ε, in ``[clip]``.
    intersection : torch.Tensor
        (N,) top-k intersection of the real network's saliency before and after.
    label_kept : torch.Tensor
        (N,) bool: the real network's predicted label is unchanged.
    history : torch.Tensor
        (steps + 1,) mean over images of the best intersection so far, after each step.
    """

    x_adv: torch.Tensor
    intersection: torch.Tensor
    label_kept: torch.Tensor
    history: torch.Tensor


def topk_attack(
    model: nn.Module,
    x: torch.Tensor,
    target: int | Sequence[int] | torch.Tensor | None = None,
    epsilon: float = 0.1,
    k: int | None = None,
    fraction: float = 0.1,
    steps: int = 40,
    step_size: float | None = None,
    beta: float = 10.0,
    clip: tuple[float, float] = (0.0, 1.0),
    progress: bool = False,
) -> AttackResult:
    """Ghorbani, Abid & Zou's top-k attack on the saliency map, iterative and bounded in L∞ by ε.

    Each step moves every pixel by ``step_size`` against the sign of the gradient of
    Σ_{i ∈ top-k of the original map} S̃(x_t)_i (S̃: the softplus copy's saliency map normalised
    to sum 1), then projects back into the ε-box around ``x`` and into ``clip``. After every
    step the *real* network is checked: an image's perturbation is kept only when its label is
    unchanged and its top-k intersection (real saliency maps) is the lowest seen so far.

    Parameters
    ----------
    model : nn.Module
        The ReLU network under attack, images (N, C, H, W) → logits.
    x : torch.Tensor
        Images to perturb.
    target : int or sequence of int, optional
        Class whose saliency map is attacked; default: the model's prediction for each image.
    epsilon : float
        L∞ budget, in the units of ``x`` (pixels in [0, 1] for MNIST).
    k, fraction : int or None, float
        Size of the top-k set (default 10 % of the pixels).
    steps : int
        Number of iterations.
    step_size : float, optional
        Per-step change of each pixel; default ``epsilon / 8``.
    beta : float
        Softplus sharpness of the differentiated copy.
    clip : (float, float)
        Valid pixel range.
    progress : bool
        Show a ``tqdm.auto`` progress bar over the steps.

    Returns
    -------
    AttackResult

    Examples
    --------
    >>> from xai_helpers.models import load_pretrained
    >>> from xai_helpers.data import load_mnist
    >>> res = topk_attack(load_pretrained("mnist_cnn"), load_mnist().X_test[:2], epsilon=0.05, steps=3)
    >>> res.x_adv.shape, bool((res.x_adv - load_mnist().X_test[:2]).abs().max() <= 0.05 + 1e-6)
    (torch.Size([2, 1, 28, 28]), True)
    """
    from tqdm.auto import tqdm

    check_image_batch(x)
    epsilon = check_nonnegative(epsilon, "epsilon")
    steps = check_positive_int(steps, "steps")
    step_size = epsilon / 8 if step_size is None else check_nonnegative(step_size, "step_size")
    lo, hi = (check_number(c, "clip") for c in clip)
    if not lo < hi:
        raise ValueError(f"clip must be (low, high) with low < high, got {clip!r}")
    model.eval()
    dev, x_dev = model_device(model), x.device
    x = x.detach().to(dev)
    with torch.no_grad():
        logits = model(x)
    predicted = logits.argmax(1)
    t = predicted if target is None else check_target(target, len(x), logits.shape[1]).to(dev)
    smooth = softplus_copy(model, beta)
    s0 = saliency(model, x, t)
    if k is None:
        k = max(1, round(check_fraction(fraction, "fraction") * s0[0].numel()))
    original_top = topk_mask(s0, k).to(dev)

    best = x.clone()
    best_inter = torch.ones(len(x), device=dev)
    history = [best_inter.mean().item()]
    x_t = x.clone()
    for _ in tqdm(range(steps), desc=f"attack ε={epsilon:g}", disable=not progress):
        x_t.requires_grad_(True)
        s = differentiable_saliency(smooth, x_t, t)
        objective = (s * original_top).sum()  # saliency mass still on the original top-k
        (g,) = torch.autograd.grad(objective, x_t)
        with torch.no_grad():
            x_t = x_t - step_size * g.sign()
            x_t = torch.maximum(torch.minimum(x_t, x + epsilon), x - epsilon).clamp(lo, hi)
            kept = model(x_t).argmax(1) == predicted
        inter = topk_intersection(s0, saliency(model, x_t, t), k=k)
        better = kept & (inter < best_inter)
        best[better] = x_t[better]
        best_inter = torch.where(better, inter, best_inter)
        history.append(best_inter.mean().item())
        x_t = x_t.detach()
    with torch.no_grad():
        label_kept = model(best).argmax(1) == predicted
    return AttackResult(best.to(x_dev), best_inter.to(x_dev), label_kept.to(x_dev), torch.tensor(history, device=x_dev))
