"""Attacking an explanation: Ghorbani, Abid & Zou, "Interpretation of Neural Networks is Fragile"
(AAAI 2019; lecture §11).

The paper's attacks look for a perturbation δ with ‖δ‖∞ ≤ ε that keeps the model's label but
changes the explanation: the *top-k attack* lowers the share of the map on the k features that
were most important (:func:`topk_attack`), the *centre-of-mass attack* moves the map's centre of
mass as far as it can (:func:`center_of_mass_attack`), the *targeted attack* pulls the map's
mass into a chosen region (:func:`targeted_attack`). All follow the sign of the gradient, with
respect to the input, of a function of the map — a *second* derivative of the network. For a
ReLU network that second derivative is zero almost everywhere (the network is piecewise linear,
so its input gradient is piecewise constant), so the attacks differentiate a copy of the network
whose ReLUs are replaced by softplus (:func:`softplus_copy`), as the paper does, while the labels
and maps they report are the real network's. The paper attacked simple gradients, Integrated
Gradients and DeepLIFT; here saliency, SmoothGrad and Integrated Gradients can be attacked
(``method=``). Its baseline, a random ±ε sign perturbation, is :func:`random_sign_attack`
(``steps=1``), or, with the attacks' own search budget, the best of ``steps`` random draws.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from ._torch import model_device
from .attribution import integrated_gradients, reduce_channels, saliency, smoothgrad
from .evaluation import edge_map, input_map, region_share
from .models import imagenet_classes
from .validation import (
    check_fraction,
    check_image_batch,
    check_nonnegative,
    check_number,
    check_positive,
    check_positive_int,
    check_seed,
    check_target,
)

__all__ = [
    "targeted_pgd",
    "judge_perturbation",
    "SoftplusReLU6",
    "softplus_copy",
    "differentiable_saliency",
    "curvature",
    "differentiable_smoothgrad",
    "differentiable_integrated_gradients",
    "topk_mask",
    "topk_intersection",
    "center_of_mass",
    "random_sign_perturbation",
    "explanation_map",
    "METHODS",
    "NULL_MAPS",
    "far_corner",
    "QUARTERS",
    "quarter_regions",
    "targeted_attack",
    "target_sweep",
    "ATTACK_PHOTOS",
    "photo_attack_row",
    "photo_table",
    "AttackResult",
    "AttackSettings",
    "topk_attack",
    "center_of_mass_attack",
    "random_sign_attack",
    "map_agreement",
    "topk_intersection_within",
    "shuffled_delta_null",
    "shuffled_delta_topk_null",
    "shuffled_delta_topk_null_within",
    "best_of_draws",
]

#: The explanations the attacks can target (``method=``).
METHODS = ("saliency", "smoothgrad", "integrated_gradients")

#: Model-independent "maps" the random null can be measured on (``method=`` of
#: :func:`random_sign_attack` and :func:`explanation_map`): the input itself
#: (:func:`~xai_helpers.evaluation.input_map`) and an edge detector
#: (:func:`~xai_helpers.evaluation.edge_map`). They ignore the network, so they cannot be attacked
#: through it; they show how stable a map is that explains nothing.
NULL_MAPS = ("input", "edges")


def targeted_pgd(
    model: nn.Module,
    x: torch.Tensor,
    target,
    eps: float | torch.Tensor,
    steps: int = 15,
) -> torch.Tensor:
    """Push each image towards ``target`` with projected gradient descent on the cross-entropy
    (Madry et al. 2018): ``steps`` signed-gradient steps of ε/5, each pixel kept within ε of
    ``x`` (the L∞ ball) and in [0, 1]. A *label* attack, not an explanation attack: notebook 07
    asks which other models follow the push.

    Parameters
    ----------
    model : nn.Module
        The classifier the push is computed on.
    x : torch.Tensor
        (N, C, H, W) images in [0, 1].
    target : int or sequence of int
        The class to push each image to.
    eps : float or torch.Tensor
        The budget per pixel; a tensor broadcastable to ``x`` (e.g. (N, 1, 1, 1)) gives each image
        its own.
    steps : int
        Gradient steps.

    Returns
    -------
    torch.Tensor
        The pushed images, on ``x``'s device.

    Examples
    --------
    >>> from xai_helpers.models import MnistCNN
    >>> x = torch.rand(2, 1, 28, 28)
    >>> adv = targeted_pgd(MnistCNN().eval(), x, [3, 5], eps=0.1, steps=2)
    >>> bool((adv - x).abs().max() <= 0.1 + 1e-6), adv.shape
    (True, torch.Size([2, 1, 28, 28]))
    """
    x = check_image_batch(x, "x")
    steps = check_positive_int(steps, "steps")
    dev = model_device(model)
    eps = torch.as_tensor(eps, dtype=x.dtype, device=dev)
    if (eps < 0).any():
        raise ValueError("eps must be >= 0")
    x0 = x.to(dev)
    with torch.no_grad():
        t = check_target(target, len(x), model(x0[:1]).shape[1]).to(dev)
    adv = x0.clone()
    for _ in range(steps):
        adv.requires_grad_(True)
        loss = nn.functional.cross_entropy(model(adv), t, reduction="sum")
        (g,) = torch.autograd.grad(loss, adv)
        adv = (adv.detach() - eps / 5 * g.sign()).clamp(x0 - eps, x0 + eps).clamp(0, 1)
    return adv.to(x.device)


class SoftplusReLU6(nn.Module):
    """A smooth ReLU6: softplus_β(z) − softplus_β(z − 6), which tends to min(max(z, 0), 6) as β
    grows.

    EfficientNet-Lite0 (the course's ImageNet model) uses ReLU6; :func:`softplus_copy` swaps each
    ``nn.ReLU6`` for this module, the ReLU6 analogue of the paper's softplus.

    Examples
    --------
    >>> z = torch.tensor([-3.0, 3.0, 9.0])
    >>> SoftplusReLU6(beta=50.0)(z).round(decimals=2)
    tensor([0., 3., 6.])
    """

    def __init__(self, beta: float = 10.0):
        super().__init__()
        self.beta = check_positive(beta, "beta")

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        f = nn.functional.softplus
        return f(z, beta=self.beta) - f(z - 6.0, beta=self.beta)

    def extra_repr(self) -> str:
        return f"beta={self.beta}"


def softplus_copy(model: nn.Module, beta: float = 10.0) -> nn.Module:
    """A copy of ``model`` with every ``nn.ReLU`` replaced by ``nn.Softplus(beta)`` and every
    ``nn.ReLU6`` by :class:`SoftplusReLU6` (same weights).

    softplus_β(z) = log(1 + e^{βz}) / β tends to ReLU as β grows, but its second derivative is
    not zero, so the saliency map of the copy can be differentiated with respect to the input.
    ReLUs called as functions (``F.relu``) inside ``forward`` are not replaced: a ``ValueError``
    is raised when the model has no ``nn.ReLU`` or ``nn.ReLU6`` module at all.

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
    for parent in list(smooth.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, nn.ReLU6):  # before nn.ReLU: ReLU6 is a Hardtanh, but be explicit
                setattr(parent, name, SoftplusReLU6(beta))
                replaced += 1
            elif isinstance(child, nn.ReLU):
                setattr(parent, name, nn.Softplus(beta=float(beta)))
                replaced += 1
    if replaced == 0:
        raise ValueError(
            "model has no nn.ReLU or nn.ReLU6 module to replace (functional relu calls "
            "cannot be swapped)"
        )
    for p in smooth.parameters():
        p.requires_grad_(False)
    return smooth


def differentiable_saliency(
    model: nn.Module, x: torch.Tensor, target: torch.Tensor, normalize: bool = True
) -> torch.Tensor:
    """The saliency map max_c |∂y_k/∂x| as a differentiable function of ``x``
    (``create_graph=True``).

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
        raise ValueError(
            "x must require grad (x.requires_grad_(True)) so the map can be differentiated"
        )
    score = model(x).gather(1, target[:, None]).sum()
    (g,) = torch.autograd.grad(score, x, create_graph=True)
    s = g.abs().amax(1).flatten(1)
    if normalize:
        s = s / s.sum(1, keepdim=True).clamp(min=1e-12)
    return s


def curvature(
    model: nn.Module, x: torch.Tensor, target: torch.Tensor, seed: int = 0
) -> torch.Tensor:
    """A curvature proxy of the class score y_k around each input: ‖H u‖ / (‖∇y_k‖ · ‖u‖), H the
    Hessian of y_k with respect to the input and u a random ±1 direction (one Hessian-vector
    product, double backpropagation).

    Dombrowski et al. (2019) bound how far an explanation can move by the curvature of the score's
    level sets, which grows with the softplus β of a :func:`softplus_copy`. For a ReLU network the
    Hessian is zero almost everywhere (its curvature sits on the kinks), so measure a copy.

    Parameters
    ----------
    model : nn.Module
        Usually a :func:`softplus_copy`.
    x : torch.Tensor
        (N, C, H, W) inputs.
    target : torch.Tensor
        (N,) class indices.
    seed : int
        Seed of the random direction u (a CPU generator, the same on every device).

    Returns
    -------
    torch.Tensor
        (N,) the proxy per input, on the CPU.

    Examples
    --------
    >>> from xai_helpers.models import MnistCNN
    >>> x, t = torch.rand(3, 1, 28, 28), torch.tensor([0, 1, 2])
    >>> k = curvature(softplus_copy(MnistCNN(), 10.0), x, t)
    >>> k.shape, bool((k >= 0).all())
    (torch.Size([3]), True)
    """
    check_image_batch(x)
    seed = check_seed(seed)
    dev = model_device(model)
    gen = torch.Generator().manual_seed(seed)
    u = torch.randint(0, 2, x.shape, generator=gen, device="cpu") * 2 - 1  # same u on any device
    u = u.to(device=dev, dtype=x.dtype)
    z = x.detach().to(dev).requires_grad_(True)
    score = model(z).gather(1, target.to(dev)[:, None]).sum()
    (g,) = torch.autograd.grad(score, z, create_graph=True)
    (hu,) = torch.autograd.grad((g * u).sum(), z)
    norm = lambda v: v.flatten(1).norm(dim=1)  # noqa: E731
    return (norm(hu) / (norm(g.detach()).clamp(min=1e-12) * norm(u))).cpu()


def _normalized(maps: torch.Tensor, normalize: bool) -> torch.Tensor:
    s = maps.flatten(1)
    return s / s.sum(1, keepdim=True).clamp(min=1e-12) if normalize else s


def differentiable_smoothgrad(
    model: nn.Module,
    x: torch.Tensor,
    target: torch.Tensor,
    sigma: float = 0.15,
    n_samples: int = 10,
    generator: torch.Generator | None = None,
    normalize: bool = True,
) -> torch.Tensor:
    """SmoothGrad (Smilkov et al. 2017) as a differentiable function of ``x``: the mean of |∂y_k/∂x|
    over ``n_samples`` noisy copies (noise σ × each image's value range, as
    :func:`xai_helpers.attribution.smoothgrad`), then the largest over colour channels.

    The noise is drawn from ``generator`` (a CPU ``torch.Generator``; fresh global draws when None)
    and kept fixed while differentiating: the map is differentiated for one draw of the noise.
    All ``n_samples × N`` copies go through the model at once (meant for small images).

    Returns
    -------
    torch.Tensor
        (N, H·W), attached to the graph (normalised to sum 1 per image with ``normalize``).

    Examples
    --------
    >>> from xai_helpers.models import MnistCNN
    >>> x = torch.rand(2, 1, 28, 28, requires_grad=True)
    >>> s = differentiable_smoothgrad(softplus_copy(MnistCNN()), x, torch.tensor([1, 2]),
    ... n_samples=4)
    >>> s.shape, s.requires_grad
    (torch.Size([2, 784]), True)
    """
    if not x.requires_grad:
        raise ValueError(
            "x must require grad (x.requires_grad_(True)) so the map can be differentiated"
        )
    sigma = check_fraction(sigma, "sigma")
    n_samples = check_positive_int(n_samples, "n_samples")
    stdev = sigma * (x.amax(dim=(1, 2, 3)) - x.amin(dim=(1, 2, 3))).detach()
    noise = torch.randn((n_samples, *x.shape), generator=generator, dtype=x.dtype).to(
        x.device
    ) * stdev.view(1, -1, 1, 1, 1)
    xs = (x.unsqueeze(0) + noise).reshape(-1, *x.shape[1:])
    score = model(xs).gather(1, target.repeat(n_samples)[:, None]).sum()
    (g,) = torch.autograd.grad(score, xs, create_graph=True)
    return _normalized(g.abs().view(n_samples, *x.shape).mean(0).amax(1), normalize)


def differentiable_integrated_gradients(
    model: nn.Module,
    x: torch.Tensor,
    target: torch.Tensor,
    n_steps: int = 16,
    baseline: torch.Tensor | None = None,
    normalize: bool = True,
) -> torch.Tensor:
    """Integrated Gradients (Sundararajan et al. 2017) as a differentiable function of ``x``:
    |(x − x') · mean_j ∂y_k/∂x(x' + α_j (x − x'))| summed over colour channels, with ``n_steps``
    midpoints α_j = (j + ½)/n_steps and the black baseline x' = 0 unless ``baseline`` is given.

    The attribution map the paper attacked: it differentiates through every point of the path.
    All ``n_steps × N`` path points go through the model at once (meant for small images).

    Returns
    -------
    torch.Tensor
        (N, H·W), attached to the graph (normalised to sum 1 per image with ``normalize``).

    Examples
    --------
    >>> from xai_helpers.models import MnistCNN
    >>> x = torch.rand(2, 1, 28, 28, requires_grad=True)
    >>> s = differentiable_integrated_gradients(softplus_copy(MnistCNN()), x, torch.tensor([1, 2]),
    ... n_steps=4)
    >>> s.shape, bool(torch.allclose(s.sum(1), torch.ones(2)))
    (torch.Size([2, 784]), True)
    """
    if not x.requires_grad:
        raise ValueError(
            "x must require grad (x.requires_grad_(True)) so the map can be differentiated"
        )
    n_steps = check_positive_int(n_steps, "n_steps")
    base = (
        torch.zeros_like(x)
        if baseline is None
        else baseline.to(device=x.device, dtype=x.dtype).expand_as(x)
    )
    alphas = (torch.arange(n_steps, device=x.device, dtype=x.dtype) + 0.5) / n_steps
    path = (base.unsqueeze(0) + alphas.view(-1, 1, 1, 1, 1) * (x - base).unsqueeze(0)).reshape(
        -1, *x.shape[1:]
    )
    score = model(path).gather(1, target.repeat(n_steps)[:, None]).sum()
    (g,) = torch.autograd.grad(score, path, create_graph=True)
    return _normalized(((x - base) * g.view(n_steps, *x.shape).mean(0)).abs().sum(1), normalize)


def topk_mask(maps: torch.Tensor, k: int, *, seed: int = 0) -> torch.Tensor:
    """Boolean mask (N, P) of the ``k`` largest entries of each flattened map (ties: at random).

    Entries of equal value at the k-th place (a saturated input, a flat background) are ranked
    by a random permutation of each map's positions drawn from ``seed``, not by their position
    (``torch.topk`` alone prefers some positions, e.g. the top rows of an image). The same
    ``seed`` gives the same permutation, so a map compared with itself keeps all its top k.

    Examples
    --------
    >>> topk_mask(torch.tensor([[0.1, 0.9, 0.5]]), 2).tolist()
    [[False, True, True]]
    >>> ties = torch.ones(200, 4)  # four equal entries: each wins a place about equally often
    >>> counts = topk_mask(ties, 1).float().sum(0)
    >>> bool(counts.min() >= 30)
    True
    """
    if not isinstance(maps, torch.Tensor) or maps.ndim < 2:
        raise ValueError(
            "maps must be a tensor (N, ...) of attribution maps, got "
            f"{getattr(maps, 'shape', type(maps))}"
        )
    flat = maps.detach().flatten(1)
    k = check_positive_int(k, "k")
    if k > flat.shape[1]:
        raise ValueError(f"k = {k} exceeds the {flat.shape[1]} entries of each map")
    gen = torch.Generator(device="cpu").manual_seed(int(seed))
    perm = torch.rand(flat.shape, generator=gen, device="cpu").argsort(1).to(flat.device)
    top = perm.gather(1, flat.gather(1, perm).topk(k, dim=1).indices)
    return torch.zeros_like(flat, dtype=torch.bool).scatter_(1, top, True)


def topk_intersection(
    before: torch.Tensor, after: torch.Tensor, k: int | None = None, fraction: float = 0.1
) -> torch.Tensor:
    """Fraction of the ``k`` most important pixels of ``before`` that are still among the top ``k``
    of ``after``.

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
        raise ValueError(
            f"before and after must have the same shape, got {tuple(before.shape)} and "
            f"{tuple(after.shape)}"
        )
    if k is None:
        fraction = check_fraction(fraction, "fraction")
        k = max(1, round(fraction * before[0].numel()))
    a, b = topk_mask(before, k), topk_mask(after, k)
    return (a & b).sum(1).float() / k


def center_of_mass(maps: torch.Tensor) -> torch.Tensor:
    """Centre of mass (row, column), in pixels, of each non-negative map (N, H, W): Σ_ij m_ij · (i,
    j) / Σ_ij m_ij.

    The paper's second measure: how far an attack moved an explanation is
    ‖center_of_mass(after) − center_of_mass(before)‖ (the "centre-of-mass dislocation"). A map
    with no mass has no centre: its rows are ``nan``.

    Examples
    --------
    >>> m = torch.zeros(1, 4, 5)
    >>> m[0, 1, 3] = 2.0
    >>> center_of_mass(m).tolist()
    [[1.0, 3.0]]
    >>> center_of_mass(torch.ones(1, 3, 3)).tolist()
    [[1.0, 1.0]]
    """
    if not isinstance(maps, torch.Tensor) or maps.ndim != 3:
        raise ValueError(
            "maps must be a tensor (N, H, W) of non-negative maps, got "
            f"{getattr(maps, 'shape', type(maps))}"
        )
    if bool((maps < 0).any()):
        raise ValueError("maps must be non-negative (pass |attribution| for signed maps)")
    _, h, w = maps.shape
    total = maps.sum((1, 2))
    rows = torch.arange(h, dtype=maps.dtype, device=maps.device)
    cols = torch.arange(w, dtype=maps.dtype, device=maps.device)
    r = (maps.sum(2) * rows).sum(1) / total
    c = (maps.sum(1) * cols).sum(1) / total
    return torch.stack([r, c], 1)


def random_sign_perturbation(
    x: torch.Tensor, epsilon: float, clip: tuple[float, float] = (0.0, 1.0), seed: int = 0
) -> torch.Tensor:
    """Ghorbani et al.'s baseline: every input value moved by +ε or −ε at random, then clipped to
    ``clip``.

    The null of an attack with the same L∞ budget: what a perturbation of the same size does without
    aiming. The signs come from a CPU generator seeded with ``seed`` (the same on every device).

    Examples
    --------
    >>> x = torch.full((1, 1, 2, 3), 0.5)
    >>> z = random_sign_perturbation(x, 0.1, seed=0)
    >>> bool(((z - x).abs() - 0.1).abs().max() < 1e-6)
    True
    >>> random_sign_perturbation(torch.zeros(1, 1, 2, 2), 0.1).min().item()  # clipped at 0
    0.0
    """
    check_image_batch(x)
    epsilon = check_nonnegative(epsilon, "epsilon")
    seed = check_seed(seed)
    lo, hi = _check_clip(clip)
    signs = (
        torch.randint(0, 2, x.shape, generator=torch.Generator().manual_seed(seed)).to(
            device=x.device, dtype=x.dtype
        )
        * 2
        - 1
    )
    return (x.detach() + epsilon * signs).clamp(lo, hi)


def _check_clip(clip) -> tuple[float, float]:
    lo, hi = (check_number(c, "clip") for c in clip)
    if not lo < hi:
        raise ValueError(f"clip must be (low, high) with low < high, got {clip!r}")
    return lo, hi


def explanation_map(
    model: nn.Module,
    x: torch.Tensor,
    target: int | Sequence[int] | torch.Tensor,
    method: str = "saliency",
    sigma: float = 0.15,
    n_samples: int = 10,
    n_steps: int = 16,
    seed: int = 0,
) -> torch.Tensor:
    """The (N, H, W) map an attack is judged on, computed on the real network by
    :mod:`xai_helpers.attribution`.

    ``"saliency"``: max_c |∂y_k/∂x|; ``"smoothgrad"``: :func:`~xai_helpers.attribution.smoothgrad`
    (``sigma``, ``n_samples``, noise ``seed``); ``"integrated_gradients"``: |IG| from the black
    baseline with ``n_steps``, summed over channels; ``"input"`` and ``"edges"``
    (:data:`NULL_MAPS`): the model-independent nulls, which ignore ``model`` and ``target``.

    Examples
    --------
    >>> from xai_helpers.models import MnistCNN
    >>> explanation_map(MnistCNN(), torch.rand(2, 1, 28, 28), 3, "integrated_gradients",
    ... n_steps=4).shape
    torch.Size([2, 28, 28])
    """
    if method not in METHODS + NULL_MAPS:
        raise ValueError(f"method must be one of {METHODS + NULL_MAPS}, got {method!r}")
    if method == "input":
        return input_map(x)
    if method == "edges":
        return edge_map(x)
    if method == "saliency":
        return saliency(model, x, target)
    if method == "smoothgrad":
        return smoothgrad(model, x, target, sigma=sigma, n_samples=n_samples, seed=seed)
    return reduce_channels(
        integrated_gradients(model, x, target, baseline="black", n_steps=n_steps), "abs_sum"
    )


@dataclass
class AttackResult:
    """What an attack (or its random null) found, one entry per image (all on the device of the
    attacked ``x``).

    Attributes
    ----------
    x_adv : torch.Tensor
        The perturbed images (N, C, H, W), ‖x_adv − x‖∞ ≤ ε, in ``[clip]``.
    intersection : torch.Tensor
        (N,) top-k intersection of the real network's maps before and after.
    label_kept : torch.Tensor
        (N,) bool: the real network's predicted label is unchanged.
    history : torch.Tensor
        (steps + 1,) mean over images of the best value so far of the attack's criterion (the
        intersection for the top-k attack, the shift for the centre-of-mass attack), after each
        step.
    shift : torch.Tensor
        (N,) distance in pixels between the centres of mass of the maps before and after.
    before, after : torch.Tensor
        (N, H, W) the real network's maps of ``x`` and of ``x_adv``.
    region_share : torch.Tensor or None
        (N,) share of the map after that lies in the target region (objective ``"target"``;
        None otherwise).
    region_share_before : torch.Tensor or None
        (N,) the same share of the map before.
    """

    x_adv: torch.Tensor
    intersection: torch.Tensor
    label_kept: torch.Tensor
    history: torch.Tensor
    shift: torch.Tensor
    before: torch.Tensor
    after: torch.Tensor
    region_share: torch.Tensor | None = None
    region_share_before: torch.Tensor | None = None

    def select(self, index: int) -> AttackResult:
        """The result for image ``index`` alone (a batch of one; ``history`` is shared).

        Examples
        --------
        >>> r = AttackResult(*(torch.arange(3.0),) * 5, torch.zeros(3, 2, 2), torch.ones(3, 2, 2))
        >>> r.select(1).intersection
        tensor([1.])
        """
        pick = lambda v: None if v is None else v[index : index + 1]  # noqa: E731
        return AttackResult(
            pick(self.x_adv),
            pick(self.intersection),
            pick(self.label_kept),
            self.history,
            pick(self.shift),
            pick(self.before),
            pick(self.after),
            pick(self.region_share),
            pick(self.region_share_before),
        )


@dataclass(frozen=True)
class AttackSettings:
    """The settings of one attack (or of its random null): everything but the model, the images and
    the target.

    Attributes
    ----------
    epsilon : float
        L∞ budget, in the units of ``x``.
    steps : int
        Number of iterations (of random draws, for the null).
    step_size : float, optional
        Per-step change of each pixel; default ``epsilon / 8``.
    clip : (float, float)
        Valid pixel range.
    objective : {"topk", "center", "target"}
        What the attack pushes: the top-k intersection down, the centre of mass away, or the
        map's share in ``region`` up.
    method : {"saliency", "smoothgrad", "integrated_gradients"}
        The explanation attacked and judged (see :func:`explanation_map`); ``sigma`` and
        ``n_samples`` for SmoothGrad, ``n_steps`` for IG.
    beta : float
        Softplus sharpness of the differentiated copy.
    k, fraction : int or None, float
        Size of the top-k set for the reported intersection (default 10 % of the pixels).
    sigma, n_samples, n_steps : float, int, int
        SmoothGrad's noise level and sample count, IG's path points (the judge's map).
    seed : int
        Seed of the judge's SmoothGrad noise; the attacker draws fresh noise from ``seed + 1``.
    attack_n_samples : int, optional
        Noisy copies in the attacker's differentiated SmoothGrad (default ``n_samples``); the judge,
        the real network's SmoothGrad, always uses ``n_samples``. A cheaper attacker may be judged
        on a better-converged map.
    region : torch.Tensor, optional
        Boolean (H, W) or (N, H, W): the target region of objective ``"target"``.
    explain_beta : float, optional
        Dombrowski et al.'s defence: explain (and judge) with the softplus_β copy of the network
        instead of the network itself; the attacker differentiates the softplus_``beta`` copy
        (:func:`topk_attack` defaults ``beta`` to ``explain_beta``, that same copy). Labels are
        still the real network's.
    """

    epsilon: float
    steps: int
    step_size: float | None
    clip: tuple[float, float]
    objective: str
    method: str
    beta: float
    k: int | None
    fraction: float
    sigma: float
    n_samples: int
    n_steps: int
    seed: int
    attack_n_samples: int | None = None
    region: torch.Tensor | None = None
    explain_beta: float | None = None


def _check_region(region: object, n: int, h: int, w: int) -> torch.Tensor:
    if not isinstance(region, torch.Tensor) or region.dtype != torch.bool:
        raise TypeError(
            "region must be a boolean tensor (H, W) or (N, H, W) for objective 'target'"
        )
    if tuple(region.shape) not in ((h, w), (n, h, w)):
        raise ValueError(
            f"region must have shape ({h}, {w}) or ({n}, {h}, {w}), got {tuple(region.shape)}"
        )
    region = region.expand(n, h, w)
    if not region.flatten(1).any(1).all() or region.flatten(1).all(1).any():
        raise ValueError("region must hold some pixels inside and some outside in every image")
    return region


def _search(
    model: nn.Module,
    x: torch.Tensor,
    target: int | Sequence[int] | torch.Tensor | None,
    settings: AttackSettings,
    aim: bool,
    progress: bool = False,
    desc: str = "",
) -> AttackResult:
    """The loop shared by the attacks (``aim=True``: signed gradient steps through the softplus
    copy) and their random null (``aim=False``: fresh random ±ε perturbations).

    The step rule (notebook 06, section 2): x_{t+1} = Π(x_t − α·sign(∇ loss(x_t))), Π the projection
    into the ε-box around ``x`` and into ``clip``; the iterates go on whatever the real network
    says. After every step the real network judges the iterate, and each image returns the iterate
    with the best criterion among those that keep its label (``x`` itself if none does)."""
    from tqdm.auto import tqdm

    check_image_batch(x)
    objective, method, k, fraction = (
        settings.objective,
        settings.method,
        settings.k,
        settings.fraction,
    )
    sigma, n_samples, n_steps = settings.sigma, settings.n_samples, settings.n_steps
    epsilon = check_nonnegative(settings.epsilon, "epsilon")
    steps = check_positive_int(settings.steps, "steps")
    step_size = (
        epsilon / 8
        if settings.step_size is None
        else check_nonnegative(settings.step_size, "step_size")
    )
    lo, hi = _check_clip(settings.clip)
    seed = check_seed(settings.seed)
    allowed = METHODS if aim else METHODS + NULL_MAPS
    if method not in allowed:
        raise ValueError(f"method must be one of {allowed}, got {method!r}")
    if objective not in ("topk", "center", "target"):
        raise ValueError(f"objective must be 'topk', 'center' or 'target', got {objective!r}")
    n_samples = check_positive_int(n_samples, "n_samples")
    attack_n_samples = (
        n_samples
        if settings.attack_n_samples is None
        else check_positive_int(settings.attack_n_samples, "attack_n_samples")
    )
    model.eval()
    dev, x_dev = model_device(model), x.device
    x = x.detach().to(dev)
    with torch.no_grad():
        logits = model(x)
    predicted = logits.argmax(1)
    t = predicted if target is None else check_target(target, len(x), logits.shape[1]).to(dev)
    explainer = (
        model
        if settings.explain_beta is None
        else softplus_copy(model, check_positive(settings.explain_beta, "explain_beta"))
    )

    def real_map(z):
        return explanation_map(explainer, z, t, method, sigma, n_samples, n_steps, seed).to(dev)

    fused = method == "saliency" and explainer is model

    def judge(z):  # the real map of z and the real network's label, one forward pass if it can
        if not fused:
            with torch.no_grad():
                label = model(z).argmax(1)
            return real_map(z), label
        z = z.detach().requires_grad_(True)
        out = model(z)
        (g,) = torch.autograd.grad(out.gather(1, t[:, None]).sum(), z)
        return reduce_channels(g, "max"), out.detach().argmax(1)  # saliency's own reduction

    s0 = real_map(x)
    region = _check_region(settings.region, *s0.shape).to(dev) if objective == "target" else None
    if k is None:
        k = max(1, round(check_fraction(fraction, "fraction") * s0[0].numel()))
    c0 = center_of_mass(s0)

    def criterion(m):  # lower is better for the attacker
        if objective == "topk":
            return topk_intersection(s0, m, k=k)
        if objective == "target":
            return -region_share(m, region).to(dev)
        return -(center_of_mass(m) - c0).norm(dim=1)

    if aim:
        smooth = (
            explainer
            if explainer is not model and settings.beta == settings.explain_beta
            else softplus_copy(model, settings.beta)
        )
        top0 = topk_mask(s0, k).to(dev)
        gen = torch.Generator().manual_seed(
            seed + 1
        )  # the attacker's SmoothGrad noise, not the judge's

        def smooth_map(z):
            if method == "saliency":
                return differentiable_saliency(smooth, z, t)
            if method == "smoothgrad":
                return differentiable_smoothgrad(smooth, z, t, sigma, attack_n_samples, gen)
            return differentiable_integrated_gradients(smooth, z, t, n_steps)

        h, w = s0.shape[1:]
    best, best_c, best_map = x.clone(), criterion(s0), s0.clone()
    history = [best_c.abs().mean().item()]
    x_t = x.clone()
    for step in tqdm(range(steps), desc=desc, disable=not progress):
        if aim:
            x_t.requires_grad_(True)
            m = smooth_map(x_t)
            if objective == "topk":
                loss = (m * top0).sum()  # map mass still on the original top-k
            elif objective == "target":
                loss = -(m * region.flatten(1)).sum()  # map mass pulled into the region
            else:
                loss = -((center_of_mass(m.view(-1, h, w)) - c0) ** 2).sum()
            (g,) = torch.autograd.grad(loss, x_t)
            with torch.no_grad():
                x_t = x_t - step_size * g.sign()
                x_t = torch.maximum(torch.minimum(x_t, x + epsilon), x - epsilon).clamp(lo, hi)
        else:
            x_t = random_sign_perturbation(x, epsilon, (lo, hi), seed=seed * 1000 + step)
        judged, label = judge(x_t)
        kept = label == predicted
        c = criterion(judged)
        better = kept & (c < best_c)
        best[better] = x_t[better]
        best_map[better] = judged[better]  # kept, not recomputed at the end
        best_c = torch.where(better, c, best_c)
        history.append(best_c.abs().mean().item())
        x_t = x_t.detach()
    with torch.no_grad():
        label_kept = model(best).argmax(1) == predicted
    s1 = best_map
    inter = topk_intersection(s0, s1, k=k)
    shift = (center_of_mass(s1) - c0).norm(dim=1)
    share = None if region is None else region_share(s1, region).to(x_dev)
    share0 = None if region is None else region_share(s0, region).to(x_dev)
    return AttackResult(
        *(
            v.to(x_dev)
            for v in (best, inter, label_kept, torch.tensor(history, device=dev), shift, s0, s1)
        ),
        region_share=share,
        region_share_before=share0,
    )


def topk_attack(
    model: nn.Module,
    x: torch.Tensor,
    target: int | Sequence[int] | torch.Tensor | None = None,
    epsilon: float = 0.1,
    k: int | None = None,
    fraction: float = 0.1,
    steps: int = 40,
    step_size: float | None = None,
    beta: float | None = None,
    clip: tuple[float, float] = (0.0, 1.0),
    method: str = "saliency",
    sigma: float = 0.15,
    n_samples: int = 10,
    n_steps: int = 16,
    seed: int = 0,
    progress: bool = False,
    attack_n_samples: int | None = None,
    explain_beta: float | None = None,
) -> AttackResult:
    """Ghorbani, Abid & Zou's top-k attack, iterative and bounded in L∞ by ε.

    Each step moves every pixel by ``step_size`` against the sign of the gradient of
    Σ_{i ∈ top-k of the original map} S̃(x_t)_i (S̃: the softplus copy's map normalised to sum 1),
    then projects back into the ε-box around ``x`` and into ``clip``; the iterates go on from each
    step whatever the real network says. After every step the *real* network judges the iterate,
    and each image returns the iterate with the lowest top-k intersection (real maps) among those
    that keep its label (``x`` itself if none does).

    Parameters
    ----------
    model : nn.Module
        The network under attack, images (N, C, H, W) → logits; its ReLU/ReLU6 modules are swapped
        for softplus in the differentiated copy.
    x : torch.Tensor
        Images to perturb, in the units of ``clip`` (pixels in [0, 1]: wrap a normalising model
        first).
    target : int or sequence of int, optional
        Class whose map is attacked; default: the model's prediction for each image.
    epsilon, k, fraction, steps, step_size, clip, method, sigma, n_samples, n_steps, seed,
    attack_n_samples, explain_beta
        The attack's settings, each described in :class:`AttackSettings`.
    beta : float, optional
        Softplus sharpness of the attacker's differentiated copy; default 10, or ``explain_beta``
        when that is given (the attacker differentiates the map it attacks). Any other value
        attacks the softplus_explain_beta map through another copy.
    progress : bool
        Show a ``tqdm.auto`` progress bar over the steps.

    Returns
    -------
    AttackResult

    Examples
    --------
    >>> from xai_helpers.models import load_pretrained
    >>> from xai_helpers.data import load_mnist
    >>> res = topk_attack(load_pretrained("mnist_cnn"), load_mnist().X_test[:2], epsilon=0.05,
    ... steps=3)
    >>> res.x_adv.shape, bool((res.x_adv - load_mnist().X_test[:2]).abs().max() <= 0.05 + 1e-6)
    (torch.Size([2, 1, 28, 28]), True)
    """
    if beta is None:  # the attacker's copy: the explainer itself when it is a copy
        beta = 10.0 if explain_beta is None else explain_beta
    settings = AttackSettings(
        epsilon,
        steps,
        step_size,
        clip,
        "topk",
        method,
        beta,
        k,
        fraction,
        sigma,
        n_samples,
        n_steps,
        seed,
        attack_n_samples,
        explain_beta=explain_beta,
    )
    return _search(
        model, x, target, settings, aim=True, progress=progress, desc=f"top-k attack ε={epsilon:g}"
    )


def center_of_mass_attack(
    model: nn.Module,
    x: torch.Tensor,
    target: int | Sequence[int] | torch.Tensor | None = None,
    epsilon: float = 0.1,
    steps: int = 10,
    step_size: float | None = None,
    beta: float = 10.0,
    clip: tuple[float, float] = (0.0, 1.0),
    method: str = "saliency",
    sigma: float = 0.15,
    n_samples: int = 10,
    n_steps: int = 16,
    seed: int = 0,
    k: int | None = None,
    fraction: float = 0.1,
    progress: bool = False,
    attack_n_samples: int | None = None,
) -> AttackResult:
    """Ghorbani, Abid & Zou's centre-of-mass attack: move the map's centre of mass as far as it
    goes.

    Each step follows the sign of the gradient of ‖C(S̃(x_t)) − C₀‖² (C: :func:`center_of_mass`
    of the softplus copy's map; C₀: that of the real network's map of ``x``), then projects into
    the ε-box and ``clip``; the iterates go on whatever happens. Each image returns the iterate
    whose real map's centre moved furthest among those that keep its label. ``result.shift`` is
    the distance moved (pixels).

    Parameters
    ----------
    model : nn.Module
        The network under attack, images (N, C, H, W) → logits; its ReLU/ReLU6 modules are swapped
        for softplus in the differentiated copy.
    x : torch.Tensor
        Images to perturb, in the units of ``clip`` (pixels in [0, 1]: wrap a normalising model
        first).
    target : int or sequence of int, optional
        Class whose map is attacked; default: the model's prediction for each image.
    epsilon, k, fraction, steps, step_size, beta, clip, method, sigma, n_samples, n_steps, seed,
    attack_n_samples
        The attack's settings, each described in :class:`AttackSettings`.
    progress : bool
        Show a ``tqdm.auto`` progress bar over the steps.

    Returns
    -------
    AttackResult

    Examples
    --------
    >>> from xai_helpers.models import load_pretrained
    >>> from xai_helpers.data import load_mnist
    >>> res = center_of_mass_attack(load_pretrained("mnist_cnn"), load_mnist().X_test[:2],
    ... epsilon=0.1, steps=3)
    >>> res.shift.shape, bool((res.shift > 0).all())
    (torch.Size([2]), True)
    """
    settings = AttackSettings(
        epsilon,
        steps,
        step_size,
        clip,
        "center",
        method,
        beta,
        k,
        fraction,
        sigma,
        n_samples,
        n_steps,
        seed,
        attack_n_samples,
    )
    return _search(
        model,
        x,
        target,
        settings,
        aim=True,
        progress=progress,
        desc=f"centre-of-mass attack ε={epsilon:g}",
    )


def random_sign_attack(
    model: nn.Module,
    x: torch.Tensor,
    target: int | Sequence[int] | torch.Tensor | None = None,
    epsilon: float = 0.1,
    steps: int = 1,
    objective: str = "topk",
    clip: tuple[float, float] = (0.0, 1.0),
    method: str = "saliency",
    sigma: float = 0.15,
    n_samples: int = 10,
    n_steps: int = 16,
    seed: int = 0,
    k: int | None = None,
    fraction: float = 0.1,
    region: torch.Tensor | None = None,
    explain_beta: float | None = None,
) -> AttackResult:
    """The null of the attacks: random ±ε sign perturbations (:func:`random_sign_perturbation`), no
    aim.

    ``steps=1`` is the paper's baseline (one random draw per image). With ``steps=n`` each image
    keeps, of ``n`` independent draws, the one that moved its map most by ``objective`` (``"topk"``:
    lowest intersection; ``"center"``: largest shift; ``"target"``: largest share in ``region``)
    among those that keep the label: the attacks' own search and selection, without the gradient.
    Draw ``j`` uses seed ``1000 · seed + j``. Besides the explanations of :data:`METHODS`,
    ``method`` may be one of the model-independent :data:`NULL_MAPS` (the input, an edge map).
    ``explain_beta``: judge the maps of the softplus_β copy (see :class:`AttackSettings`).

    Examples
    --------
    >>> from xai_helpers.models import load_pretrained
    >>> from xai_helpers.data import load_mnist
    >>> x = load_mnist().X_test[:3]
    >>> res = random_sign_attack(load_pretrained("mnist_cnn"), x, epsilon=0.1, steps=2)
    >>> bool((res.x_adv - x).abs().max() <= 0.1 + 1e-6), res.intersection.shape
    (True, torch.Size([3]))
    """
    if objective not in ("topk", "center", "target"):
        raise ValueError(f"objective must be 'topk', 'center' or 'target', got {objective!r}")
    settings = AttackSettings(
        epsilon,
        steps,
        None,
        clip,
        objective,
        method,
        10.0,
        k,
        fraction,
        sigma,
        n_samples,
        n_steps,
        seed,
        region=region,
        explain_beta=explain_beta,
    )
    return _search(model, x, target, settings, aim=False, desc="random")


def far_corner(maps: torch.Tensor) -> torch.Tensor:
    """The target region of :func:`targeted_attack` chosen without looking at the attack: the
    quarter of the image (a block of half its height and half its width) in the corner farthest
    from each map's centre of mass, (N, H, W) boolean.

    Examples
    --------
    >>> m = torch.zeros(1, 4, 4)
    >>> m[0, 0, 0] = 1.0  # all mass in the top-left pixel
    >>> far_corner(m)[0].int().tolist()
    [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 1, 1], [0, 0, 1, 1]]
    """
    c = center_of_mass(maps)
    n, h, w = maps.shape
    region = torch.zeros(n, h, w, dtype=torch.bool, device=maps.device)
    for i, (r, col) in enumerate(c.tolist()):
        top = 0 if r >= (h - 1) / 2 else h - h // 2
        left = 0 if col >= (w - 1) / 2 else w - w // 2
        region[i, top : top + h // 2, left : left + w // 2] = True
    return region


#: Names of the four quarters of :func:`quarter_regions`, in its order.
QUARTERS = ("top-left", "top-right", "bottom-left", "bottom-right")


def quarter_regions(h: int, w: int, device: torch.device | str | None = None) -> torch.Tensor:
    """The four quarters of an H × W image (blocks of half its height and half its width, in the
    order of :data:`QUARTERS`) as a boolean (4, H, W) tensor: every quarter as a target region of
    :func:`targeted_attack`, so that no one region is chosen for being easy.

    Examples
    --------
    >>> quarter_regions(4, 4, device="cpu")[1].int().tolist()
    [[0, 0, 1, 1], [0, 0, 1, 1], [0, 0, 0, 0], [0, 0, 0, 0]]
    """
    h, w = check_positive_int(h, "h"), check_positive_int(w, "w")
    if h < 2 or w < 2:
        raise ValueError(f"an image of at least 2 × 2 pixels has quarters, got {h} × {w}")
    regions = torch.zeros(4, h, w, dtype=torch.bool, device=device)
    for q, (top, left) in enumerate(
        ((0, 0), (0, w - w // 2), (h - h // 2, 0), (h - h // 2, w - w // 2))
    ):
        regions[q, top : top + h // 2, left : left + w // 2] = True
    return regions


def targeted_attack(
    model: nn.Module,
    x: torch.Tensor,
    region: torch.Tensor,
    target: int | Sequence[int] | torch.Tensor | None = None,
    epsilon: float = 0.1,
    steps: int = 10,
    step_size: float | None = None,
    beta: float = 10.0,
    clip: tuple[float, float] = (0.0, 1.0),
    method: str = "saliency",
    sigma: float = 0.15,
    n_samples: int = 10,
    n_steps: int = 16,
    seed: int = 0,
    progress: bool = False,
) -> AttackResult:
    """Ghorbani, Abid & Zou's targeted attack: pull the map's mass into a chosen ``region``.

    Each step follows the sign of the gradient of the softplus copy's map mass inside ``region``
    (the map normalised to sum 1), upwards, then projects into the ε-box and ``clip``; the iterates
    go on whatever happens. Each image returns the iterate with the largest share of the real map
    in the region among those that keep its label. ``result.region_share`` is that share after
    the attack; its null is :func:`random_sign_attack` with ``objective="target"`` and the same
    region.

    Parameters
    ----------
    region : torch.Tensor
        Boolean (H, W) or (N, H, W), e.g. :func:`far_corner` of the maps before.
    target, epsilon, steps, step_size, beta, clip, method, sigma, n_samples, n_steps, seed
        As for :func:`topk_attack` (see :class:`AttackSettings`).

    Returns
    -------
    AttackResult

    Examples
    --------
    >>> from xai_helpers.models import load_pretrained
    >>> from xai_helpers.data import load_mnist
    >>> x = load_mnist().X_test[:2]
    >>> region = torch.zeros(28, 28, dtype=torch.bool)
    >>> region[:, :14] = True  # the left half
    >>> res = targeted_attack(load_pretrained("mnist_cnn"), x, region, epsilon=0.1, steps=3)
    >>> res.region_share.shape
    torch.Size([2])
    """
    settings = AttackSettings(
        epsilon,
        steps,
        step_size,
        clip,
        "target",
        method,
        beta,
        None,
        0.1,
        sigma,
        n_samples,
        n_steps,
        seed,
        region=region,
    )
    return _search(
        model,
        x,
        target,
        settings,
        aim=True,
        progress=progress,
        desc=f"targeted attack ε={epsilon:g}",
    )


def target_sweep(
    model: nn.Module,
    image: torch.Tensor,
    regions: torch.Tensor,
    epsilon: float = 2 / 255,
    steps: int = 4,
    step_size: float | None = None,
    beta: float = 10.0,
    null_draws: int = 8,
    seed: int = 0,
) -> tuple[AttackResult, AttackResult]:
    """The targeted attack on one image into each of several regions, batched, beside its null.

    The image is repeated once per region; each copy is attacked into its own region
    (:func:`targeted_attack`) and gets its own null, the best of ``null_draws`` random ±ε draws
    chosen for the largest share in that region (:func:`random_sign_attack`).

    Parameters
    ----------
    model : nn.Module
        The network, images → logits (pixels in [0, 1] for photos).
    image : torch.Tensor
        One image (1, C, H, W).
    regions : torch.Tensor
        Boolean (R, H, W), e.g. :func:`quarter_regions`.
    epsilon, steps, step_size, beta, null_draws, seed
        The attack's budget, steps, step size (default ε/8), softplus β, the null's draws and seed.

    Returns
    -------
    (AttackResult, AttackResult)
        The attack and its null, one entry per region: ``region_share_before``, ``region_share``
        (after), ``x_adv`` (the attacked copies); :meth:`AttackResult.select` picks one region.

    Examples
    --------
    >>> from xai_helpers.models import load_pretrained
    >>> from xai_helpers.data import load_mnist
    >>> attack, null = target_sweep(load_pretrained("mnist_cnn"), load_mnist().X_test[:1],
    ... quarter_regions(28, 28, device="cpu"), epsilon=0.1, steps=2, null_draws=2)
    >>> attack.region_share.shape, bool((attack.region_share_before.sum() - 1).abs() < 1e-4)
    (torch.Size([4]), True)
    """
    check_image_batch(image)
    if len(image) != 1:
        raise ValueError(f"image must be one image (1, C, H, W), got {tuple(image.shape)}")
    if not isinstance(regions, torch.Tensor) or regions.dim() != 3:
        raise TypeError("regions must be a boolean tensor (R, H, W)")
    batch = image.expand(len(regions), *image.shape[1:])
    a = targeted_attack(
        model,
        batch,
        regions,
        epsilon=epsilon,
        steps=steps,
        step_size=step_size,
        beta=beta,
        seed=seed,
    )
    n = random_sign_attack(
        model,
        batch,
        epsilon=epsilon,
        steps=null_draws,
        objective="target",
        region=regions,
        seed=seed,
    )
    return a, n


def judge_perturbation(
    model: nn.Module, x: torch.Tensor, x_adv: torch.Tensor, region: torch.Tensor
) -> AttackResult:
    """A given perturbation judged like an attack: the saliency maps of ``x`` and ``x_adv`` for the
    class predicted on ``x``, whether it is kept, and the share of each map in ``region`` (e.g. a
    stored attack, :func:`xai_helpers.checkpoints.load_attack_delta`).

    Examples
    --------
    >>> from xai_helpers.models import load_pretrained
    >>> from xai_helpers.data import load_mnist
    >>> x = load_mnist().X_test[:2]
    >>> r = judge_perturbation(load_pretrained("mnist_cnn"), x, x, quarter_regions(28, 28)[0])
    >>> bool((r.region_share == r.region_share_before).all()), r.intersection.tolist()
    (True, [1.0, 1.0])
    """
    check_image_batch(x)
    check_image_batch(x_adv)
    if x.shape != x_adv.shape:
        raise ValueError(
            f"x_adv must have the shape of x {tuple(x.shape)}, got {tuple(x_adv.shape)}"
        )
    dev = model_device(model)
    x, x_adv = x.detach().to(dev), x_adv.detach().to(dev)
    with torch.no_grad():
        k, k_adv = model(x).argmax(1), model(x_adv).argmax(1)
    s0, s1 = explanation_map(model, x, k).to(dev), explanation_map(model, x_adv, k).to(dev)
    region = _check_region(region, *s0.shape).to(dev)
    shift = (center_of_mass(s1) - center_of_mass(s0)).norm(dim=1)
    inter = topk_intersection(s0, s1, k=max(1, round(0.1 * s0[0].numel())))
    none = torch.zeros(1, device=dev)
    return AttackResult(
        x_adv,
        inter,
        k == k_adv,
        none,
        shift,
        s0,
        s1,
        region_share(s1, region),
        region_share(s0, region),
    )


#: Notebook 06's photos (``xai_helpers.data.load_photo`` names) and, fixed before attacking, the
#: ImageNet classes that name what each shows (empty: ImageNet has no class for it).
ATTACK_PHOTOS: dict[str, tuple[str, ...]] = {
    "coffee": ("espresso", "cup", "coffee mug"),
    "chelsea": ("tabby", "tiger cat", "Egyptian cat"),
    "rocket": ("missile", "projectile", "space shuttle"),
    "astronaut": (),  # ImageNet has no class for a person
    "motorcycle": ("moped", "motor scooter", "crash helmet"),
    "camera": ("tripod", "reflex camera", "Polaroid camera"),
    "clock": ("wall clock", "analog clock"),
    "page": (),  # a printed page: no ImageNet class names it
    "rocket crop": ("missile", "projectile", "space shuttle"),  # crops: data.PHOTO_CROPS
    "chelsea face": ("tabby", "tiger cat", "Egyptian cat"),
    "camera crop": ("tripod", "reflex camera", "Polaroid camera"),
}


def photo_attack_row(
    model: nn.Module,
    image: torch.Tensor,
    correct: Sequence[str] = (),
    epsilon: float = 2 / 255,
    steps: int = 4,
    step_size: float = 0.5 / 255,
    null_draws: int = 8,
    seed: int = 0,
    attacks: Sequence[str] = ("center", "target"),
) -> dict:
    """One photo's row of notebook 06's table: the centre-of-mass and the targeted attack on the
    saliency map, each beside its random null (the best of ``null_draws`` ±ε draws).

    The targeted attack's region is :func:`far_corner` of the map before. A photo passes the
    centre-of-mass test when the centre moves at least a tenth of the image side and twice as far
    as under its null (and some random draw kept the label); it passes the targeted test when the
    attack puts at least 0.1 more of the map's mass in the region than its null does.

    Parameters
    ----------
    model : nn.Module
        ImageNet model taking pixels in [0, 1] (``imagenet_model(pixels=True)``).
    image : torch.Tensor
        (1, 3, H, W), pixels in [0, 1].
    correct : sequence of str
        The class names counted as a correct prediction.
    epsilon, steps, step_size, null_draws, seed
        The attacks' L∞ budget, steps, step size, the null's number of draws, the noise seed.
    attacks : sequence of {"center", "target"}
        Which attacks to run (the notebook runs the targeted one live).

    Returns
    -------
    dict
        JSON-ready: ``prediction``, ``p``, ``log_odds``, ``correct``, ``max_change_255`` and, per
        attack, the measured value, its null and ``passes_*`` (``None`` where there is no null).

    Examples
    --------
    >>> from xai_helpers.models import MnistCNN
    >>> x = torch.rand(1, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    >>> row = photo_attack_row(MnistCNN(), x, steps=1, null_draws=1, attacks=("target",))
    >>> sorted(k for k in row if k.startswith("passes"))
    ['passes_target']
    """
    check_image_batch(image)
    if len(image) != 1:
        raise ValueError(f"image must be one photo (1, 3, H, W), got {tuple(image.shape)}")
    unknown = set(attacks) - {"center", "target"}
    if unknown or not attacks:
        raise ValueError(f"attacks must be some of ('center', 'target'), got {tuple(attacks)}")
    with torch.no_grad():
        probs = model(image.to(model_device(model))).softmax(1)[0].double().cpu()
    k = int(probs.argmax())
    names = imagenet_classes() if len(probs) == 1000 else [str(i) for i in range(len(probs))]
    p = float(probs[k])
    row = {
        "size": int(image.shape[-1]),
        "epsilon_255": round(epsilon * 255, 4),
        "prediction": names[k],
        "p": round(p, 4),
        "log_odds": round(float(torch.log(probs[k]) - torch.log1p(-probs[k])), 3),
        "correct": names[k] in correct,
    }
    kw = dict(epsilon=epsilon, steps=steps, step_size=step_size, seed=seed)
    change, kept = 0.0, True
    side = min(image.shape[-2:])
    if "center" in attacks:
        a = center_of_mass_attack(model, image, **kw)
        null = random_sign_attack(
            model, image, epsilon=epsilon, steps=null_draws, objective="center", seed=seed
        )
        has_null = not bool((null.x_adv == image.to(null.x_adv.device)).all())
        shift, shift_null = a.shift.item(), null.shift.item()
        row["center_shift"] = round(shift, 3)
        row["center_shift_null"] = round(shift_null, 3) if has_null else None
        row["passes_center"] = bool(has_null and shift >= 0.1 * side and shift >= 2 * shift_null)
        change = max(change, (a.x_adv - image.to(a.x_adv.device)).abs().max().item())
        kept = kept and bool(a.label_kept.all())
        before = a.before
    else:
        before = explanation_map(model, image, k)
    region = far_corner(before.to(image.device))
    if "target" in attacks:
        t = targeted_attack(model, image, region, **kw)
        null = random_sign_attack(
            model,
            image,
            epsilon=epsilon,
            steps=null_draws,
            objective="target",
            region=region,
            seed=seed,
        )
        has_null = not bool((null.x_adv == image.to(null.x_adv.device)).all())
        share0 = region_share(before, region.to(before.device)).item()
        share, share_null = t.region_share.item(), null.region_share.item()
        row["target_share_before"] = round(share0, 4)
        row["target_share"] = round(share, 4)
        row["target_share_null"] = round(share_null, 4) if has_null else None
        row["passes_target"] = bool(has_null and share - share_null >= 0.1)
        change = max(change, (t.x_adv - image.to(t.x_adv.device)).abs().max().item())
        kept = kept and bool(t.label_kept.all())
    row["max_change_255"] = round(change * 255, 4)
    row["label_kept"] = kept
    return row


def photo_table(rows: dict[str, dict]) -> str:
    """Notebook 06's photo table as text: one line per photo (rows of :func:`photo_attack_row`),
    the prediction, whether it is right, its probability and log-odds, then each attack's value
    beside its null and the verdict ("—": no random draw kept the label, so there is no null).

    Examples
    --------
    >>> row = {"prediction": "tabby", "correct": True, "p": 0.9, "log_odds": 2.2,
    ... "center_shift": 15.0, "center_shift_null": 4.0, "passes_center": True,
    ... "target_share_before": 0.2, "target_share": 0.5, "target_share_null": None,
    ... "passes_target": False}
    >>> print(photo_table({"cat": row}).splitlines()[-1].strip())
    cat         tabby  yes  0.900   2.2  15.0 px vs  4.0  pass   0.20 → 0.50 vs    —  fail
    """
    if not isinstance(rows, dict) or not rows:
        raise ValueError("rows must be a non-empty dict {photo: row of photo_attack_row}")
    lines = [
        f"{'photo':>10}  {'prediction':>12}  right  p  log-odds  centre shift vs null  "
        "  share in region: before → attack vs null"
    ]
    for name, r in rows.items():
        null_c = r["center_shift_null"]
        null_t = r["target_share_null"]
        lines.append(
            f"{name:>10}  {r['prediction'][:12]:>12}  {'yes' if r['correct'] else 'no':>3}  "
            f"{r['p']:.3f} {r['log_odds']:5.1f}  {r['center_shift']:4.1f} px vs "
            f"{'—' if null_c is None else f'{null_c:4.1f}':>4}  "
            f"{'pass' if r['passes_center'] else 'fail'}   {r['target_share_before']:.2f} → "
            f"{r['target_share']:.2f} vs {'—' if null_t is None else f'{null_t:.2f}':>4}  "
            f"{'pass' if r['passes_target'] else 'fail'}"
        )
    return "\n".join(lines)


def map_agreement(
    reference: torch.Tensor, maps: dict[str, torch.Tensor], k: int | None = None
) -> dict[str, dict[str, float]]:
    """How closely each map agrees with a reference map of the same inputs, per input, averaged:
    the share of the reference's top-``k`` pixels it shares (:func:`topk_intersection`), and the
    Pearson and Spearman (Pearson on ranks) correlations over all pixels.

    Parameters
    ----------
    reference : torch.Tensor
        Maps (N, H, W).
    maps : dict of str to torch.Tensor
        Maps of the same shape, by name.
    k : int, optional
        Size of the top set (default 10 % of the pixels).

    Returns
    -------
    dict
        {name: {"shared": …, "pearson": …, "spearman": …}}.

    Examples
    --------
    >>> ref = torch.rand(3, 8, 8)
    >>> agree = map_agreement(ref, {"itself": ref, "noise": torch.rand(3, 8, 8)})
    >>> agree["itself"] == {"shared": 1.0, "pearson": 1.0, "spearman": 1.0}
    True
    """

    def corr(u: torch.Tensor, v: torch.Tensor) -> float:
        u, v = u - u.mean(1, keepdim=True), v - v.mean(1, keepdim=True)
        r = (u * v).sum(1) / (u.norm(dim=1) * v.norm(dim=1))
        return round(r.mean().item(), 6)

    rank = lambda m: m.flatten(1).argsort(1).argsort(1).double()  # noqa: E731
    ref = reference.detach().cpu()
    out = {}
    for name, m in maps.items():
        m = m.detach().cpu().reshape(ref.shape)
        out[name] = {
            "shared": round(topk_intersection(ref, m, k=k).mean().item(), 6),
            "pearson": corr(ref.flatten(1).double(), m.flatten(1).double()),
            "spearman": corr(rank(ref), rank(m)),
        }
    return out


def topk_intersection_within(
    before: torch.Tensor, after: torch.Tensor, region: torch.Tensor, k: int, seed: int = 0
) -> torch.Tensor:
    """:func:`topk_intersection` of two maps ranked only inside ``region`` (e.g. a digit's own
    pixels), ties broken at random (seeded).

    Parameters
    ----------
    before, after : torch.Tensor
        Non-negative maps (N, H, W).
    region : torch.Tensor
        Boolean (N, H, W), at least ``k`` pixels per map.
    k : int
        Size of the top set inside the region.
    seed : int
        Seed of the tie-breaking noise (1e-9 · uniform, added to both maps alike).

    Returns
    -------
    torch.Tensor
        (N,) on the CPU.

    Examples
    --------
    >>> m = torch.rand(2, 6, 6)
    >>> topk_intersection_within(m, m, torch.ones(2, 6, 6, dtype=torch.bool), k=4).tolist()
    [1.0, 1.0]
    """
    region = region.cpu()
    if int(region.flatten(1).sum(1).min()) < k:
        raise ValueError(f"region must hold at least k = {k} pixels in every map")
    gen = torch.Generator().manual_seed(seed)  # on the CPU, like the maps it ranks
    tie = 1e-9 * torch.rand(region.shape, generator=gen, device="cpu")
    low = torch.tensor(-1.0, device="cpu")
    inside = lambda m: torch.where(region, m.detach().cpu() + tie, low)  # noqa: E731
    return topk_intersection(inside(before), inside(after), k=k)


def shuffled_delta_null(
    model: nn.Module,
    x: torch.Tensor,
    delta: torch.Tensor,
    target: torch.Tensor,
    n: int = 10,
    seed: int = 0,
) -> torch.Tensor:
    """A null matched in structure for an attack's δ: each image gets *another* image's δ (its
    stripes and budget, no aim at this image), ``n`` times (image i gets δ of image i + o, o drawn
    without replacement), and keeps the largest shift of its saliency map's centre of mass among
    those that keep its label (0 if none does).

    Parameters
    ----------
    model : nn.Module
        The real network.
    x, delta : torch.Tensor
        Images (N, C, H, W) in [0, 1] and the attack's perturbations of them.
    target : torch.Tensor
        (N,) the class whose map is measured (the prediction on ``x``).
    n, seed : int
        Number of shuffled δ per image (at most N − 1) and the seed of the offsets.

    Returns
    -------
    torch.Tensor
        (N,) shifts in pixels, on the CPU.

    Examples
    --------
    >>> from xai_helpers.models import load_pretrained
    >>> from xai_helpers.data import load_mnist
    >>> net, x = load_pretrained("mnist_cnn"), load_mnist().X_test[:4]
    >>> d = random_sign_perturbation(x, 0.1) - x
    >>> shuffled_delta_null(net, x, d, net(x).argmax(1), n=3).shape
    torch.Size([4])
    """
    n = check_positive_int(n, "n")
    x, delta, target = x.detach().cpu(), delta.detach().cpu(), target.cpu()
    if n > len(x) - 1:
        raise ValueError(f"n must be at most N − 1 = {len(x) - 1}, got {n}")
    dev = model_device(model)
    c0 = center_of_mass(saliency(model, x, target).cpu())
    gen = torch.Generator().manual_seed(seed)
    offsets = torch.randperm(len(x) - 1, generator=gen, device="cpu")[:n] + 1
    best = torch.zeros(len(x), device="cpu")
    for o in offsets.tolist():  # δ of the image o places further on in the batch
        z = (x + delta.roll(o, 0)).clamp(0, 1)
        moved = (center_of_mass(saliency(model, z, target).cpu()) - c0).norm(dim=1)
        with torch.no_grad():
            kept = model(z.to(dev)).argmax(1).cpu() == target
        best = torch.where(kept & (moved > best), moved, best)
    return best


def shuffled_delta_topk_null(
    model: nn.Module,
    x: torch.Tensor,
    delta: torch.Tensor,
    target: torch.Tensor,
    n: int = 10,
    seed: int = 0,
    k: int = 78,
) -> torch.Tensor:
    """The top-k attack's null matched in structure: each image gets *another* image's δ (its
    stripes and budget, no aim at this image), ``n`` times as in :func:`shuffled_delta_null`, and
    keeps the *smallest* top-``k`` intersection of its saliency map among those that keep its
    label (1 if none does): the best of ``n`` tries, as the attack keeps its best iterate.

    Parameters
    ----------
    model : nn.Module
        The real network.
    x, delta : torch.Tensor
        Images (N, C, H, W) in [0, 1] and the attack's perturbations of them.
    target : torch.Tensor
        (N,) the class whose map is measured (the prediction on ``x``).
    n, seed : int
        Number of shuffled δ per image (at most N − 1) and the seed of the offsets.
    k : int
        Number of top pixels compared (78 = 10 % of a 28 × 28 digit).

    Returns
    -------
    torch.Tensor
        (N,) intersections in [0, 1], on the CPU.

    Examples
    --------
    >>> from xai_helpers.models import load_pretrained
    >>> from xai_helpers.data import load_mnist
    >>> net, x = load_pretrained("mnist_cnn"), load_mnist().X_test[:4]
    >>> d = random_sign_perturbation(x, 0.1) - x
    >>> kept = shuffled_delta_topk_null(net, x, d, net(x).argmax(1), n=3)
    >>> kept.shape, bool(((kept >= 0) & (kept <= 1)).all())
    (torch.Size([4]), True)
    """
    k = check_positive_int(k, "k")
    return _smallest_shuffled_overlap(
        model,
        x,
        delta,
        target,
        n,
        seed,
        lambda before, after: topk_intersection(before, after, k=k),
    )


def _smallest_shuffled_overlap(model, x, delta, target, n, seed, overlap) -> torch.Tensor:
    """The loop both top-k nulls share: ``overlap(before, after)`` of each image's saliency with
    another image's δ added, ``n`` offsets, smallest among the label-keeping ones (1 if none)."""
    n = check_positive_int(n, "n")
    x, delta, target = x.detach().cpu(), delta.detach().cpu(), target.cpu()
    if n > len(x) - 1:
        raise ValueError(f"n must be at most N − 1 = {len(x) - 1}, got {n}")
    dev = model_device(model)
    before = saliency(model, x, target).cpu()
    gen = torch.Generator().manual_seed(seed)
    offsets = torch.randperm(len(x) - 1, generator=gen, device="cpu")[:n] + 1
    best = torch.ones(len(x), device="cpu")
    for o in offsets.tolist():  # δ of the image o places further on in the batch
        z = (x + delta.roll(o, 0)).clamp(0, 1)
        left = overlap(before, saliency(model, z, target).cpu())
        with torch.no_grad():
            kept = model(z.to(dev)).argmax(1).cpu() == target
        best = torch.where(kept & (left < best), left, best)
    return best


def shuffled_delta_topk_null_within(
    model: nn.Module,
    x: torch.Tensor,
    delta: torch.Tensor,
    target: torch.Tensor,
    region: torch.Tensor,
    k: int,
    n: int = 10,
    seed: int = 0,
) -> torch.Tensor:
    """:func:`shuffled_delta_topk_null` judged inside ``region`` only: each image gets another
    image's δ, ``n`` times, and keeps the smallest :func:`topk_intersection_within` (top ``k`` of
    the region, ties broken with ``seed``) among those that keep its label (1 if none does).

    The matched null of a judge that ranks, e.g., only a digit's own pixels: searched on the same
    judge as the attack's result is measured on.

    Parameters
    ----------
    model : nn.Module
        The real network.
    x, delta : torch.Tensor
        Images (N, C, H, W) in [0, 1] and the attack's perturbations of them.
    target : torch.Tensor
        (N,) the class whose map is measured (the prediction on ``x``).
    region : torch.Tensor
        Boolean (N, H, W), at least ``k`` pixels per image.
    k : int
        Size of the top set inside the region.
    n, seed : int
        Number of shuffled δ per image (at most N − 1); seed of the offsets and of the ties.

    Returns
    -------
    torch.Tensor
        (N,) intersections in [0, 1], on the CPU.

    Examples
    --------
    >>> from xai_helpers.models import load_pretrained
    >>> from xai_helpers.data import load_mnist
    >>> net, x = load_pretrained("mnist_cnn"), load_mnist().X_test[:4]
    >>> d = random_sign_perturbation(x, 0.1) - x
    >>> kept = shuffled_delta_topk_null_within(net, x, d, net(x).argmax(1), x[:, 0] > 0, k=15, n=3)
    >>> kept.shape, bool(((kept >= 0) & (kept <= 1)).all())
    (torch.Size([4]), True)
    """
    return _smallest_shuffled_overlap(
        model,
        x,
        delta,
        target,
        n,
        seed,
        lambda before, after: topk_intersection_within(before, after, region, k, seed),
    )


def best_of_draws(
    model: nn.Module,
    x: torch.Tensor,
    epsilon: float,
    region: torch.Tensor,
    n: int = 8,
    seed: int = 0,
) -> torch.Tensor:
    """The targeted attack's null on one image: of ``n`` random ±ε draws
    (:func:`random_sign_perturbation`, seeds ``1000 · seed + j``) that keep the label, the one
    with the largest share of the saliency map in ``region``, *whether or not* that share beats
    the clean image's (the first draw if none keeps the label).

    Parameters
    ----------
    model : nn.Module
        The real network, pixels in [0, 1].
    x : torch.Tensor
        One image (1, C, H, W).
    epsilon : float
        The L∞ budget.
    region : torch.Tensor
        Boolean (H, W) or (1, H, W).
    n, seed : int
        Number of draws and their seed.

    Returns
    -------
    torch.Tensor
        The chosen draw (1, C, H, W), on ``x``'s device.

    Examples
    --------
    >>> from xai_helpers.models import load_pretrained
    >>> from xai_helpers.data import load_mnist
    >>> x, corner = load_mnist().X_test[:1], torch.zeros(28, 28, dtype=torch.bool)
    >>> corner[:14, :14] = True
    >>> z = best_of_draws(load_pretrained("mnist_cnn"), x, 0.1, corner, n=3)
    >>> bool((z - x).abs().max() <= 0.1 + 1e-6)
    True
    """
    n = check_positive_int(n, "n")
    if len(x) != 1:
        raise ValueError(f"x must hold one image (1, C, H, W), got {len(x)}")
    dev = model_device(model)
    draws = torch.cat(
        [random_sign_perturbation(x, epsilon, seed=1000 * seed + j) for j in range(n)]
    )
    with torch.no_grad():
        label = model(x.to(dev)).argmax(1)
        kept = (model(draws.to(dev)).argmax(1) == label).cpu()
    maps = explanation_map(model, draws.to(dev), label.expand(n)).cpu()
    share = region_share(maps, region.reshape(maps.shape[-2:]).cpu()).cpu()
    j = torch.where(kept, share, torch.tensor(-1.0, device="cpu")).argmax().item()
    return draws[j : j + 1].to(x.device)
