"""Local explanations: which component of the input is critical? (lecture §5–9)

Every method takes a model mapping (N, C, H, W) images to (N, K) logits, a batch ``x`` and a
``target`` class (one int, or one per image). Models are put in eval mode, inputs are moved to the
model's device, work is done in chunks of at most ``batch_size`` images (and at most
``MAX_CHUNK_VALUES`` input values: 2 ImageNet images), and results come back on the device of ``x``
(every tensor a helper makes is made there). The course writes these because writing them is the
lesson; ``tests/test_attribution.py`` checks each against Captum's implementation.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from ._torch import forward_hook, model_device, prepare_batch
from .validation import (
    check_classes,
    check_fraction,
    check_image_batch,
    check_int,
    check_layer,
    check_positive,
    check_positive_int,
    check_seed,
)

__all__ = [
    "class_gradients",
    "class_score",
    "saliency",
    "occlusion",
    "occlusion_positions",
    "occlusion_pixel_map",
    "resolve_fill",
    "smoothgrad",
    "smoothgrad_samples",
    "smoothgrad_classes",
    "integrated_gradients",
    "ig_alphas",
    "grad_cam",
    "grad_cam_classes",
    "reduce_channels",
    "ig_baseline",
    "SmoothGradCache",
    "guided_backprop",
    "deeplift",
    "lrp",
    "feature_attributions",
    "path_attributions",
    "IGSweep",
    "integrated_gradients_sweep",
    "one_sided_derivatives",
]

_OF = ("score", "probability", "loss")


def class_score(logits: torch.Tensor, target: torch.Tensor, of: str = "score") -> torch.Tensor:
    """The quantity a gradient explains, one value per image.

    ``of="score"``: the logit y_k; ``"probability"``: softmax(y)_k; ``"loss"``: the cross-entropy
    e of the image labelled ``target`` (the lecture's |∂e/∂x|).

    Examples
    --------
    >>> class_score(torch.tensor([[0.0, 2.0]]), torch.tensor([1]))
    tensor([2.])
    """
    if of not in _OF:
        raise ValueError(f"of must be one of {_OF}, got {of!r}")
    if of == "score":
        return logits.gather(1, target[:, None])[:, 0]
    if of == "probability":
        return logits.softmax(1).gather(1, target[:, None])[:, 0]
    return nn.functional.cross_entropy(logits, target, reduction="none")


def reduce_channels(grad: torch.Tensor, reduce: str | None = "max") -> torch.Tensor:
    """Reduce (N, C, H, W) attributions to (N, H, W): ``"max"`` of |·| over channels (Simonyan et
    al.), ``"sum"`` of the signed values, ``"abs_sum"``, or ``None`` to keep the channels."""
    if reduce is None:
        return grad
    if reduce == "max":
        return grad.abs().amax(1)
    if reduce == "sum":
        return grad.sum(1)
    if reduce == "abs_sum":
        return grad.abs().sum(1)
    raise ValueError(f"reduce must be 'max', 'sum', 'abs_sum' or None, got {reduce!r}")


#: Most input values (images × C × H × W) sent through a model at once: 64 monsters (3×48×48), so 64
#: MNIST digits or monsters but 2 ImageNet images (3×224×224). The backward pass of
#: EfficientNet-Lite0 keeps ~90 MB of activations per image: the gradients of 32 cat images took 2.6
#: GB more memory in one chunk, 0.79 GB in chunks of 8, 0.25 GB in chunks of 2 (issue 18: Binder
#: gives a notebook ~1 GB).
MAX_CHUNK_VALUES = 64 * 3 * 48 * 48


def _chunk_size(batch_size: int, x: torch.Tensor) -> int:
    """``batch_size``, lowered so that one chunk of images like ``x[0]`` holds at most
    ``MAX_CHUNK_VALUES``."""
    return max(1, min(batch_size, MAX_CHUNK_VALUES // max(1, x[0].numel())))


def _input_gradients(model, x, t, dev, of, batch_size) -> torch.Tensor:
    grads = []
    batch_size = _chunk_size(batch_size, x)
    for i in range(0, len(x), batch_size):
        xb = x[i : i + batch_size].to(dev).detach().requires_grad_(True)
        logits = model(xb)
        check_classes(t, logits)
        score = class_score(logits, t[i : i + batch_size].to(dev), of)
        (g,) = torch.autograd.grad(score.sum(), xb)
        grads.append(g.detach().to(x.device))
    return torch.cat(grads)


def saliency(
    model: nn.Module,
    x: torch.Tensor,
    target: int | Sequence[int] | torch.Tensor,
    of: str = "score",
    reduce: str | None = "max",
    batch_size: int = 64,
) -> torch.Tensor:
    """Saliency map (显著图): |∂y_k/∂x_n| for every input component (Simonyan, Vedaldi & Zisserman
    2014).

    Parameters
    ----------
    model : nn.Module
        Images (N, C, H, W) → logits (N, K).
    x : torch.Tensor
        Float images (N, C, H, W).
    target : int or sequence of int
        The class k to explain (one for all images, or one per image).
    of : {"score", "probability", "loss"}
        Differentiate the logit y_k, the probability, or the cross-entropy loss e.
    reduce : {"max", "sum", "abs_sum", None}
        How to reduce colour channels; ``"max"`` takes the largest |gradient| per pixel.
        ``None`` returns |∂/∂x| with the channels.

    Returns
    -------
    torch.Tensor
        (N, H, W) non-negative (or (N, C, H, W) with ``reduce=None``), on the device of ``x``.

    Examples
    --------
    >>> from xai_helpers.models import MnistCNN
    >>> saliency(MnistCNN(), torch.rand(2, 1, 28, 28), target=3).shape
    torch.Size([2, 28, 28])
    """
    batch_size = check_positive_int(batch_size, "batch_size")
    x, t, dev = prepare_batch(model, x, target)
    return reduce_channels(_input_gradients(model, x, t, dev, of, batch_size).abs(), reduce)


# --------------------------------------------------------------------------- occlusion


def resolve_fill(
    fill: str | float | Sequence[float] | torch.Tensor,
    x: torch.Tensor,
    normalization=None,
    image_ok: bool = False,
) -> torch.Tensor:
    """The value a box is painted with, shaped (N, C, 1, 1).

    ``fill`` is ``"grey"`` (0.5), ``"black"`` (0.0) or ``"white"`` (1.0) in *pixel* units,
    ``"mean"`` (each image's per-channel mean), a number, or one number per channel (in the units of
    ``x``). ``normalization=(mean, std)`` says how ``x`` was normalised, so that ``"grey"`` etc.
    become the normalised values (e.g. :data:`xai_helpers.data.IMAGENET_MEAN` / ``IMAGENET_STD``).
    With ``image_ok=True`` a replacement image of ``x``'s shape (N, C, H, W) is also accepted and
    returned as it is (checked for shape and finite values).
    """
    if image_ok and isinstance(fill, torch.Tensor) and fill.ndim == 4:
        if fill.shape != x.shape:
            raise ValueError(
                f"a fill image must have the shape of x {tuple(x.shape)}, got {tuple(fill.shape)}"
            )
        if not torch.isfinite(fill).all():
            raise ValueError("fill contains NaN or infinite values")
        return fill.to(device=x.device, dtype=x.dtype)
    n, c = x.shape[:2]
    named = {"grey": 0.5, "gray": 0.5, "black": 0.0, "white": 1.0}
    if isinstance(fill, str):
        if fill == "mean":
            return x.mean(dim=(2, 3), keepdim=True)
        if fill not in named:
            raise ValueError(
                "fill must be 'grey', 'black', 'white', 'mean', a number or one number "
                f"per channel; got {fill!r}"
            )
        value = torch.full((c,), named[fill], dtype=x.dtype, device=x.device)
        if normalization is not None:
            mean, std = (torch.as_tensor(v, dtype=x.dtype, device=x.device) for v in normalization)
            if mean.numel() != c or std.numel() != c:
                raise ValueError(f"normalization must give {c} means and {c} stds")
            value = (value - mean) / std
    else:
        value = torch.as_tensor(fill, dtype=x.dtype, device=x.device).reshape(-1)
        if value.numel() == 1:
            value = value.expand(c)
        if value.numel() != c:
            raise ValueError(
                f"fill must be one number or {c} (one per channel), got {value.numel()}"
            )
        if not torch.isfinite(value).all():
            raise ValueError("fill contains NaN or infinite values")
    return value.view(1, c, 1, 1).expand(n, c, 1, 1)


def occlusion_positions(size: int, box: int, stride: int) -> list[int]:
    """Top-left coordinates of the box along one axis (the last box may stick out, as in Captum)."""
    return [i * stride for i in range(math.ceil((size - box) / stride) + 1)]


def occlusion(
    model: nn.Module,
    x: torch.Tensor,
    target: int | Sequence[int] | torch.Tensor,
    box: int = 8,
    stride: int = 4,
    fill: str | float | Sequence[float] | torch.Tensor = "grey",
    normalization: tuple[Sequence[float], Sequence[float]] | None = None,
    batch_size: int = 64,
    progress: bool = False,
) -> torch.Tensor:
    """Occlusion (Zeiler & Fergus 2014): the target class's probability for every position of a box.

    A ``box``×``box`` square painted with ``fill`` slides over the image in steps of ``stride``;
    for each position the model is run again and the probability of ``target`` recorded.
    A low value means the covered part was important.

    Parameters
    ----------
    box, stride : int
        Side of the square and step between positions, in pixels.
    fill : str, float, per-channel values or torch.Tensor
        See :func:`resolve_fill`: ``"grey"``, ``"black"``, ``"white"``, ``"mean"`` or numbers; or a
        replacement image of ``x``'s shape (N, C, H, W), e.g. a blurred copy, whose pixels under
        the box replace those of ``x``.
    normalization : (mean, std), optional
        How ``x`` was normalised, so that named fills are in pixel units.
    progress : bool
        Show a ``tqdm.auto`` progress bar over the forward passes.

    Returns
    -------
    torch.Tensor
        (N, rows, cols): the probability of ``target`` with the box at each position, on the device
        of ``x``.

    Examples
    --------
    >>> from xai_helpers.models import MnistCNN
    >>> occlusion(MnistCNN(), torch.rand(1, 1, 28, 28), target=0, box=8, stride=4).shape
    torch.Size([1, 6, 6])
    >>> x = torch.rand(1, 1, 28, 28)
    >>> occlusion(MnistCNN(), x, target=0, box=3, stride=2, fill=x.flip(-1)).shape
    torch.Size([1, 14, 14])
    """
    from tqdm.auto import tqdm

    box = check_positive_int(box, "box")
    stride = check_positive_int(stride, "stride")
    batch_size = check_positive_int(batch_size, "batch_size")
    x, t, dev = prepare_batch(model, x, target)
    n, c, h, w = x.shape
    if box > min(h, w):
        raise ValueError(f"box = {box} is larger than the image ({h}×{w})")
    fills = resolve_fill(fill, x, normalization, image_ok=True).expand(n, c, h, w)
    rows, cols = occlusion_positions(h, box, stride), occlusion_positions(w, box, stride)
    out = torch.empty(n, len(rows), len(cols), device=x.device)
    coords = [(r, c_) for r in rows for c_ in cols]
    batch_size = _chunk_size(batch_size, x)
    bar = tqdm(total=n * len(coords), desc="occlusion", disable=not progress)
    with torch.no_grad():
        for i in range(n):
            probs = []
            for j in range(0, len(coords), batch_size):
                chunk = coords[j : j + batch_size]
                xb = x[i : i + 1].repeat(len(chunk), 1, 1, 1)
                for k, (r, c_) in enumerate(chunk):
                    xb[k, :, r : r + box, c_ : c_ + box] = fills[i, :, r : r + box, c_ : c_ + box]
                logits = model(xb.to(dev))
                check_classes(t, logits)
                probs.append(logits.softmax(1)[:, int(t[i])].to(x.device))
                bar.update(len(chunk))
            out[i] = torch.cat(probs).view(len(rows), len(cols))
    bar.close()
    return out


def occlusion_pixel_map(
    prob_map: torch.Tensor, p_clean: torch.Tensor, box: int, stride: int, size: tuple[int, int]
) -> torch.Tensor:
    """Spread an occlusion map back onto pixels: each pixel gets the mean probability *drop*
    ``p_clean − p_occluded`` over all box positions that cover it (what Captum's ``Occlusion``
    returns).

    Parameters
    ----------
    prob_map : (N, rows, cols) from :func:`occlusion`
    p_clean : (N,) the probability of the target without occlusion
    size : (H, W) of the image
    """
    n = prob_map.shape[0]
    h, w = size
    total = torch.zeros(n, h, w, dtype=prob_map.dtype, device=prob_map.device)
    count = torch.zeros(1, h, w, dtype=prob_map.dtype, device=prob_map.device)
    drop = p_clean.view(n, 1, 1) - prob_map
    for a, r in enumerate(occlusion_positions(h, box, stride)):
        for b, c_ in enumerate(occlusion_positions(w, box, stride)):
            total[:, r : r + box, c_ : c_ + box] += drop[:, a, b].view(n, 1, 1)
            count[:, r : r + box, c_ : c_ + box] += 1
    return total / count.clamp(min=1)


# --------------------------------------------------------------------------- SmoothGrad


def smoothgrad(
    model: nn.Module,
    x: torch.Tensor,
    target: int | Sequence[int] | torch.Tensor,
    sigma: float = 0.15,
    n_samples: int = 25,
    of: str = "score",
    reduce: str | None = "max",
    seed: int = 0,
    batch_size: int = 64,
    progress: bool = False,
) -> torch.Tensor:
    """SmoothGrad (Smilkov et al. 2017): average the saliency maps of ``n_samples`` noisy copies of
    the input.

    Parameters
    ----------
    sigma : float
        Noise standard deviation as a fraction of each image's value range (max − min), in [0, 1].
        ``sigma=0`` gives exactly :func:`saliency`.
    n_samples : int
        Number of noisy samples per image.
    seed : int
        Seed of the noise (same seed, same map).

    Returns
    -------
    torch.Tensor
        (N, H, W): the mean of |∂y/∂x| over the noisy copies, channels reduced after averaging.

    Examples
    --------
    >>> from xai_helpers.models import MnistCNN
    >>> smoothgrad(MnistCNN(), torch.rand(2, 1, 28, 28), target=1, n_samples=4).shape
    torch.Size([2, 28, 28])
    """
    total = None
    for g in _noisy_gradient_chunks(
        model, x, target, sigma, n_samples, of, seed, batch_size, progress
    ):
        total = g.sum(0) if total is None else total + g.sum(0)
    return reduce_channels(total / n_samples, reduce)


def _noisy_gradient_chunks(
    model, x, target, sigma, n_samples, of, seed, batch_size, progress, absolute=True
):
    """Yield |∂score/∂x| (signed ∂score/∂x if not ``absolute``) of the noisy copies, in chunks
    shaped (k, N, C, H, W)."""
    from tqdm.auto import tqdm

    sigma = check_fraction(sigma, "sigma")
    n = check_positive_int(n_samples, "n_samples")
    seed = check_seed(seed)
    batch_size = check_positive_int(batch_size, "batch_size")
    x, t, dev = prepare_batch(model, x, target)
    gen = torch.Generator().manual_seed(seed)
    stdev = sigma * (x.amax(dim=(1, 2, 3)) - x.amin(dim=(1, 2, 3)))  # (N,)
    per = max(1, batch_size // len(x)) if len(x) < batch_size else 1
    with tqdm(total=n, desc="SmoothGrad", disable=not progress) as bar:
        for s in range(0, n, per):
            k = min(per, n - s)
            # drawn by a CPU generator, then moved: the same seed gives the same noise on every
            # device
            noise = torch.randn((k, *x.shape), generator=gen).to(x.device) * stdev.view(
                1, -1, 1, 1, 1
            )
            xs = (x.unsqueeze(0) + noise).reshape(-1, *x.shape[1:])
            g = _input_gradients(model, xs, t.repeat(k), dev, of, batch_size)
            g = g.abs() if absolute else g
            bar.update(k)
            yield g.view(k, *x.shape)


def smoothgrad_classes(
    model: nn.Module,
    x: torch.Tensor,
    targets: Sequence[int | tuple[int, int]],
    sigma: float = 0.15,
    n_samples: int = 25,
    reduce: str | None = "max",
    seed: int = 0,
    batch_size: int = 64,
) -> torch.Tensor:
    """SmoothGrad of one image for several classes, from the same noisy copies.

    Each noisy copy goes through the model once and is differentiated once per class, so ``k``
    classes cost one forward and ``k`` backward passes per sample instead of ``k`` of each. The
    noise is the noise of :func:`smoothgrad` with the same ``seed``, ``sigma``, ``n_samples`` and
    ``batch_size``: row ``i`` equals ``smoothgrad(model, x, targets[i], ...)``, up to float
    rounding.

    Parameters
    ----------
    x : torch.Tensor
        One image (1, C, H, W).
    targets : sequence of int or (int, int)
        The classes whose logits are explained; a pair ``(a, b)`` explains the contrast of two
        logits, z_a − z_b (what tells class a from class b).
    sigma, n_samples, reduce, seed, batch_size
        As for :func:`smoothgrad`.

    Returns
    -------
    torch.Tensor
        (len(targets), H, W) with ``reduce``, else (len(targets), C, H, W).

    Examples
    --------
    >>> from xai_helpers.models import MnistCNN
    >>> net, x = MnistCNN(), torch.rand(1, 1, 28, 28)
    >>> maps = smoothgrad_classes(net, x, [3, 7], n_samples=4)
    >>> maps.shape
    torch.Size([2, 28, 28])
    >>> torch.allclose(maps[1], smoothgrad(net, x, 7, n_samples=4)[0], atol=1e-6)
    True
    >>> smoothgrad_classes(net, x, [(3, 7)], n_samples=4).shape  # the contrast z_3 − z_7
    torch.Size([1, 28, 28])
    """
    x = check_image_batch(x)
    if len(x) != 1:
        raise ValueError(f"x must hold one image (1, C, H, W), got {len(x)}")
    if len(targets) == 0:
        raise ValueError("targets must name at least one class")
    pairs = [c if isinstance(c, tuple) else (c, None) for c in targets]
    if any(len(p) != 2 for p in pairs):
        raise ValueError(f"a contrast is a pair of classes (a, b), got {targets}")
    cls = lambda c: None if c is None else check_int(c, "target", minimum=0)  # noqa: E731
    pairs = [(cls(a), cls(b)) for a, b in pairs]
    t = torch.tensor([c for p in pairs for c in p if c is not None], device=x.device)
    sigma = check_fraction(sigma, "sigma")
    n = check_positive_int(n_samples, "n_samples")
    batch_size = check_positive_int(batch_size, "batch_size")
    model.eval()
    dev = model_device(model)
    gen = torch.Generator().manual_seed(check_seed(seed))
    stdev = sigma * (x.amax() - x.amin())
    per, chunk = batch_size, _chunk_size(batch_size, x)  # as in smoothgrad: the same noise
    total = torch.zeros(len(pairs), *x.shape[1:], dtype=x.dtype, device=x.device)
    for s in range(0, n, per):
        k = min(per, n - s)
        # drawn by a CPU generator, then moved: the same seed gives the same noise on every device
        noise = torch.randn((k, *x.shape), generator=gen).to(x.device) * stdev
        xs = (x.unsqueeze(0) + noise).reshape(-1, *x.shape[1:])
        for i in range(0, len(xs), chunk):
            xb = xs[i : i + chunk].to(dev).detach().requires_grad_(True)
            logits = model(xb)
            check_classes(t, logits)
            for j, (a, b) in enumerate(pairs):
                score = logits[:, a] - (0 if b is None else logits[:, b])
                last = j == len(pairs) - 1
                (g,) = torch.autograd.grad(score.sum(), xb, retain_graph=not last)
                total[j] += g.abs().sum(0).to(x.device)
    return reduce_channels(total / n, reduce)


def smoothgrad_samples(
    model: nn.Module,
    x: torch.Tensor,
    target: int | Sequence[int] | torch.Tensor,
    sigma: float = 0.15,
    n_samples: int = 25,
    of: str = "score",
    seed: int = 0,
    batch_size: int = 64,
    progress: bool = False,
    absolute: bool = True,
) -> torch.Tensor:
    """The |gradient| of every noisy copy SmoothGrad averages, kept apart: (n_samples, N, C, H, W).
    With ``absolute=False`` the signed gradients (Smilkov et al.'s own SmoothGrad averages these).

    ``reduce_channels(smoothgrad_samples(...)[:m].mean(0))`` is SmoothGrad with the first ``m``
    samples, so a slider over the number of samples can reuse one call. Same noise (same
    ``seed``, ``sigma``, ``n_samples``, ``batch_size``) as :func:`smoothgrad`.

    Examples
    --------
    >>> from xai_helpers.models import MnistCNN
    >>> m, x = MnistCNN(), torch.rand(1, 1, 28, 28)
    >>> s = smoothgrad_samples(m, x, target=1, n_samples=4)
    >>> s.shape
    torch.Size([4, 1, 1, 28, 28])
    >>> bool(torch.allclose(reduce_channels(s.mean(0)), smoothgrad(m, x, 1, n_samples=4),
    ... atol=1e-6))
    True
    """
    return torch.cat(
        list(
            _noisy_gradient_chunks(
                model, x, target, sigma, n_samples, of, seed, batch_size, progress, absolute
            )
        )
    )


# --------------------------------------------------------------------------- Integrated Gradients

_RULES = ("left", "right", "middle", "trapezoid")


def ig_alphas(
    n_steps: int, rule: str = "middle", device: torch.device | str | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Points α on the path and their weights for a Riemann sum over [0, 1] (Captum's ``riemann_*``
    rules), on ``device`` (default: the CPU).

    Examples
    --------
    >>> a, w = ig_alphas(4, "middle")
    >>> a.tolist(), float(w.sum())
    ([0.125, 0.375, 0.625, 0.875], 1.0)
    """
    steps = check_positive_int(n_steps, "n_steps", minimum=2 if rule == "trapezoid" else 1)
    if rule == "left":
        return torch.linspace(0, 1 - 1 / steps, steps, device=device), torch.full(
            (steps,), 1 / steps, device=device
        )
    if rule == "right":
        return torch.linspace(1 / steps, 1, steps, device=device), torch.full(
            (steps,), 1 / steps, device=device
        )
    if rule == "middle":
        return torch.linspace(
            1 / (2 * steps), 1 - 1 / (2 * steps), steps, device=device
        ), torch.full((steps,), 1 / steps, device=device)
    if rule == "trapezoid":
        w = torch.full((steps,), 1 / (steps - 1), device=device)
        w[0] = w[-1] = 1 / (2 * (steps - 1))
        return torch.linspace(0, 1, steps, device=device), w
    raise ValueError(f"rule must be one of {_RULES}, got {rule!r}")


def _baseline(baseline, x: torch.Tensor, normalization=None) -> torch.Tensor:
    if isinstance(baseline, torch.Tensor) and baseline.shape == x.shape:
        return baseline.to(device=x.device, dtype=x.dtype)
    if isinstance(baseline, torch.Tensor) and baseline.shape == x.shape[1:]:
        return baseline.to(device=x.device, dtype=x.dtype).expand_as(x)
    return resolve_fill(baseline, x, normalization).expand_as(x)


def integrated_gradients(
    model: nn.Module,
    x: torch.Tensor,
    target: int | Sequence[int] | torch.Tensor,
    baseline: str | float | torch.Tensor = "black",
    n_steps: int = 50,
    rule: str = "middle",
    of: str = "score",
    normalization: tuple[Sequence[float], Sequence[float]] | None = None,
    batch_size: int = 64,
    progress: bool = False,
    return_delta: bool = False,
) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
    """Integrated Gradients (Sundararajan et al. 2017): (x − x') · ∫₀¹ ∂f(x' + α(x − x'))/∂x dα.

    The integral is a Riemann sum over ``n_steps`` points of the straight path from the baseline
    x' to x. Completeness: the attributions add up to f(x) − f(x'); ``return_delta=True`` also
    returns how far the sum is from that (as Captum's ``return_convergence_delta``, but relative).

    Parameters
    ----------
    baseline : str, float or tensor
        ``"black"``, ``"grey"``, ``"white"``, ``"mean"``, a number (see :func:`resolve_fill`), or a
        tensor shaped like ``x`` (or like one image), e.g. a blurred copy or noise.
    n_steps : int
        Number of points of the Riemann sum.
    rule : {"left", "right", "middle", "trapezoid"}
        Where the points lie (as Captum's ``method="riemann_<rule>"``).

    return_delta : bool
        Also return the relative completeness gap.

    Returns
    -------
    attributions : torch.Tensor
        (N, C, H, W), signed, on the device of ``x``.
    gap : torch.Tensor, only with ``return_delta=True``
        (N,) relative completeness gap |Σ attributions − (f(x) − f(x'))| / |f(x) − f(x')|, on the
        device of ``x``.

    Examples
    --------
    >>> from xai_helpers.models import MnistCNN
    >>> integrated_gradients(MnistCNN(), torch.rand(1, 1, 28, 28), target=2, n_steps=8).shape
    torch.Size([1, 1, 28, 28])
    >>> attr, gap = integrated_gradients(MnistCNN(), torch.rand(1, 1, 28, 28), target=2, n_steps=8,
    ... return_delta=True)
    >>> gap.shape
    torch.Size([1])
    """
    from tqdm.auto import tqdm

    batch_size = check_positive_int(batch_size, "batch_size")
    x, t, dev = prepare_batch(model, x, target)
    base = _baseline(baseline, x, normalization)
    check_image_batch(base, "baseline")
    alphas, weights = ig_alphas(n_steps, rule, device=x.device)
    total = torch.zeros_like(x)
    for i in tqdm(range(len(x)), desc="Integrated Gradients", disable=not progress):
        path = base[i : i + 1] + alphas.view(-1, 1, 1, 1) * (x[i : i + 1] - base[i : i + 1])
        g = _input_gradients(model, path, t[i].repeat(len(alphas)), dev, of, batch_size)
        total[i] = (g * weights.view(-1, 1, 1, 1)).sum(0)
    attr = (x - base) * total
    if not return_delta:
        return attr
    with torch.no_grad():
        fx = class_score(model(x.to(dev)), t.to(dev), of).to(x.device)
        fb = class_score(model(base.to(dev)), t.to(dev), of).to(x.device)
    diff = fx - fb
    gap = (attr.sum(dim=(1, 2, 3)) - diff).abs() / diff.abs().clamp(min=1e-12)
    return attr, gap


# --------------------------------------------------------------------------- Grad-CAM


def grad_cam(
    model: nn.Module,
    x: torch.Tensor,
    target: int | Sequence[int] | torch.Tensor,
    *,
    layer: str | nn.Module,
    relu: bool = True,
    upsample: bool = True,
    batch_size: int = 64,
) -> torch.Tensor:
    """Grad-CAM (Selvaraju et al. 2017): the feature maps A of ``layer`` weighted by their mean
    gradient.

    map = ReLU(Σ_c mean_ij(∂y_k/∂A_cij) · A_c), bilinearly upsampled to the input size.

    Parameters
    ----------
    layer : str or nn.Module
        A convolutional layer (or block) of ``model``, by name (``"conv2"``) or itself
        (``model.conv2``).
    relu : bool
        Keep only positive evidence (as the paper and Captum's ``relu_attributions=True``).
    upsample : bool
        Return the map at the input's resolution instead of the layer's.

    Returns
    -------
    torch.Tensor
        (N, H, W) on the device of ``x``.

    Examples
    --------
    >>> from xai_helpers.models import MnistCNN
    >>> m = MnistCNN()
    >>> grad_cam(m, torch.rand(2, 1, 28, 28), target=0, layer="conv2").shape
    torch.Size([2, 28, 28])
    """
    check_layer(model, layer)
    batch_size = check_positive_int(batch_size, "batch_size")
    x, t, dev = prepare_batch(model, x, target)
    maps = []
    for i in range(0, len(x), batch_size):
        with forward_hook(model, layer) as rec:
            logits = model(x[i : i + batch_size].to(dev))
        check_classes(t, logits)
        score = class_score(logits, t[i : i + batch_size].to(dev), "score")
        a = rec.output
        if a.ndim != 4:
            raise ValueError(
                f"layer output must be (N, C, h, w) feature maps, got shape {tuple(a.shape)}"
            )
        (g,) = torch.autograd.grad(score.sum(), a)
        cam = (g.mean(dim=(2, 3), keepdim=True) * a).sum(1, keepdim=True)
        if relu:
            cam = cam.clamp(min=0)
        if upsample:
            cam = nn.functional.interpolate(
                cam, size=x.shape[2:], mode="bilinear", align_corners=False
            )
        maps.append(cam[:, 0].detach().to(x.device))
    return torch.cat(maps)


def grad_cam_classes(
    model: nn.Module,
    x: torch.Tensor,
    targets: Sequence[int] | torch.Tensor,
    *,
    layer: str | nn.Module,
    relu: bool = True,
    upsample: bool = True,
) -> torch.Tensor:
    """Grad-CAM of several classes of one image, from a single forward pass.

    The same maps as ``grad_cam(model, x.expand(K, ...), targets, layer=layer)``, but the image
    goes through the network once and only the gradient from each class score back to ``layer``
    is computed per class (for a photo and a large network, K times cheaper).

    Parameters
    ----------
    x : torch.Tensor
        One image (1, C, H, W).
    targets : sequence of int
        The K classes to explain.
    layer, relu, upsample
        As :func:`grad_cam`.

    Returns
    -------
    torch.Tensor
        (K, H, W) on the device of ``x``.

    Examples
    --------
    >>> from xai_helpers.models import MnistCNN
    >>> grad_cam_classes(MnistCNN(), torch.rand(1, 1, 28, 28), [0, 3], layer="conv2").shape
    torch.Size([2, 28, 28])
    """
    check_layer(model, layer)
    if not isinstance(x, torch.Tensor) or x.ndim != 4 or len(x) != 1:
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"x must be one image shaped (1, C, H, W), got {shape}")
    t = torch.as_tensor(targets, device="cpu").reshape(-1)  # class indices
    if t.numel() == 0 or torch.is_floating_point(t):
        raise ValueError(f"targets must be one or more class indices, got {targets!r}")
    x1, _, dev = prepare_batch(model, x, int(t[0]) if len(t) else 0)
    module, rec = check_layer(model, layer), {}

    def cut(_module: nn.Module, _inputs: object, output: torch.Tensor) -> torch.Tensor:
        # the graph starts at ``layer``: nothing before it is kept for a backward pass (memory)
        torch.set_grad_enabled(True)
        rec["a"] = output.detach().requires_grad_(True)
        return rec["a"]

    handle, grad_mode = module.register_forward_hook(cut), torch.is_grad_enabled()
    try:
        with torch.no_grad():
            logits = model(x1.to(dev))
    finally:
        handle.remove()
        torch.set_grad_enabled(grad_mode)
    check_classes(t.to(dev), logits.expand(len(t), -1))
    a = rec["a"]
    if a.ndim != 4:
        raise ValueError(
            f"layer output must be (N, C, h, w) feature maps, got shape {tuple(a.shape)}"
        )
    maps, td = [], t.to(dev)
    for chunk in td.split(128):  # one batched backward per 128 classes (rows of the identity)
        eye = torch.zeros(len(chunk), *logits.shape, device=dev, dtype=logits.dtype)
        # no indexing of logits: grad mode may be off
        eye[torch.arange(len(chunk), device=dev), 0, chunk] = 1
        (g,) = torch.autograd.grad(
            logits, a, grad_outputs=eye, retain_graph=True, is_grads_batched=True
        )  # (classes, 1, C, h, w)
        weights = g[:, 0].mean(dim=(2, 3))  # (classes, C): Grad-CAM's alpha_k per class
        maps.append(torch.einsum("nc,chw->nhw", weights, a[0]).unsqueeze(1).detach())
    cam = torch.cat(maps)
    if relu:
        cam = cam.clamp(min=0)
    if upsample:
        cam = nn.functional.interpolate(cam, size=x.shape[2:], mode="bilinear", align_corners=False)
    return cam[:, 0].to(x.device)


# ---------------------------------------------------------- relatives that change the backward rule


def guided_backprop(
    model: nn.Module,
    x: torch.Tensor,
    target: int | Sequence[int] | torch.Tensor,
    batch_size: int = 64,
) -> torch.Tensor:
    """Guided backpropagation (Springenberg, Dosovitskiy, Brox & Riedmiller 2015, arXiv 1412.6806).

    The gradient of the class score (the logit) with respect to the input, except that every ReLU
    passes back only the *positive* part of the gradient it receives, and only where its input was
    positive (where the ordinary ReLU gradient also passes). The model's ReLUs must be ``nn.ReLU``
    modules: a backward hook on each clamps the gradient it passes back at 0. The hooks are removed
    afterwards, also on an error.

    Parameters
    ----------
    model : nn.Module
        Images (N, C, H, W) → logits (N, K), with ``nn.ReLU`` (not in-place) non-linearities.
    x : torch.Tensor
        Float images (N, C, H, W).
    target : int or sequence of int
        The class to explain (one for all images, or one per image).

    Returns
    -------
    torch.Tensor
        (N, C, H, W), signed, on the device of ``x`` (equal to Captum's ``GuidedBackprop``).

    Examples
    --------
    >>> from xai_helpers.models import MnistCNN
    >>> guided_backprop(MnistCNN(), torch.rand(2, 1, 28, 28), target=3).shape
    torch.Size([2, 1, 28, 28])
    """
    batch_size = check_positive_int(batch_size, "batch_size")
    x, t, dev = prepare_batch(model, x, target)
    relus = [m for m in model.modules() if isinstance(m, nn.ReLU)]
    if not relus:
        raise ValueError(
            "guided_backprop needs a model whose ReLUs are nn.ReLU modules; this one has none"
        )
    if any(m.inplace for m in relus):
        raise ValueError(
            "guided_backprop cannot hook in-place ReLUs (nn.ReLU(inplace=True)); use inplace=False"
        )
    handles = [
        m.register_full_backward_hook(lambda _m, grad_in, _out: (grad_in[0].clamp(min=0),))
        for m in relus
    ]
    try:
        return _input_gradients(model, x, t, dev, "score", batch_size)
    finally:
        for h in handles:
            h.remove()


def deeplift(
    model: nn.Module,
    x: torch.Tensor,
    target: int | Sequence[int] | torch.Tensor,
    baseline: str | float | torch.Tensor = "black",
    normalization: tuple[Sequence[float], Sequence[float]] | None = None,
) -> torch.Tensor:
    """DeepLIFT (Shrikumar, Greenside & Kundaje 2017, arXiv 1704.02685), Rescale rule, as Captum
    implements it.

    Every neuron's difference from its value on a reference input (``baseline``) is passed back to
    the input differences that caused it, in proportion to them; the attributions of the class score
    (the logit) add up to f(x) − f(x'), as IG's do. Captum's notices that do not concern the result
    (inputs made to require gradients, hooks set on non-linearities, max-unpooling not
    deterministic) are silenced here; any other warning still shows.

    Parameters
    ----------
    baseline : str, float or tensor
        The reference input, as for :func:`integrated_gradients` (``"black"``, ``"grey"``, a number,
        a tensor).
    normalization : (mean, std), optional
        How ``x`` was normalised, so that named baselines are in pixel units.

    Returns
    -------
    torch.Tensor
        (N, C, H, W), signed, on the device of ``x``.

    Examples
    --------
    >>> from xai_helpers.models import MnistCNN
    >>> deeplift(MnistCNN(), torch.rand(2, 1, 28, 28), target=3).shape
    torch.Size([2, 1, 28, 28])
    """
    from captum.attr import DeepLift

    x, t, dev = prepare_batch(model, x, target)
    base = _baseline(baseline, x, normalization)
    with warnings.catch_warnings():
        for msg in (
            "Input Tensor .* did not already require gradients",
            "Setting forward, backward hooks",
            "max_unpooling2d_forward_out does not have a deterministic implementation",
        ):
            warnings.filterwarnings("ignore", message=msg)
        attr = DeepLift(model).attribute(
            x.to(dev).detach().requires_grad_(True), baselines=base.to(dev), target=t.to(dev)
        )
    return attr.detach().to(x.device)


def lrp(
    model: nn.Module,
    x: torch.Tensor,
    target: int | Sequence[int] | torch.Tensor,
    rule: str = "epsilon",
) -> torch.Tensor:
    """Layer-wise Relevance Propagation (Bach et al. 2015, PLoS ONE 10(7): e0130140), through
    Captum's ``LRP``.

    The class score (the logit) is passed back layer by layer, each neuron's relevance shared among
    its inputs in proportion to their contributions z_ij = a_i w_ij (the ε-rule, Captum's default
    for convolutions, linear and pooling layers; ReLUs pass relevance through unchanged). Relevance
    is conserved from layer to layer, except for what the biases absorb, so the map adds up to
    about the logit. ``nn.Flatten`` layers get the ε-rule, which passes relevance through a
    reshape unchanged; the rules are set on a copy, so ``model`` is not changed.

    Parameters
    ----------
    model : nn.Module
        Images (N, C, H, W) → logits (N, K), built from layers Captum's LRP supports (``Conv2d``,
        ``Linear``, ``MaxPool2d``, ``AvgPool2d``, ``nn.ReLU`` not in-place, ``Flatten``).
    x : torch.Tensor
        Float images (N, C, H, W).
    target : int or sequence of int
        The class to explain (one for all images, or one per image).
    rule : {"epsilon", "composite"}
        ``"epsilon"``: the ε-rule everywhere (on a ReLU network, gradient × input). ``"composite"``:
        the setting recommended by the LRP authors (Montavon et al. 2019, "Layer-wise relevance
        propagation: an overview"; Kohlbrenner et al. 2020): the α1β0 rule (only positive
        contributions, z⁺) on convolutions and the ε-rule with ε = 0.25 on dense layers.

    Returns
    -------
    torch.Tensor
        (N, C, H, W), signed relevance, on the device of ``x``.

    Examples
    --------
    >>> from xai_helpers.models import MnistCNN
    >>> lrp(MnistCNN(), torch.rand(2, 1, 28, 28), target=3).shape
    torch.Size([2, 1, 28, 28])
    >>> lrp(MnistCNN(), torch.rand(2, 1, 28, 28), target=3, rule="composite").shape
    torch.Size([2, 1, 28, 28])
    """
    import copy

    from captum.attr import LRP
    from captum.attr._utils.lrp_rules import Alpha1_Beta0_Rule, EpsilonRule

    if rule not in ("epsilon", "composite"):
        raise ValueError(f"rule must be 'epsilon' or 'composite', got {rule!r}")
    x, t, dev = prepare_batch(model, x, target)
    net = copy.deepcopy(model).eval()
    for m in net.modules():
        if isinstance(m, nn.Flatten):
            m.rule = EpsilonRule()  # z = a: relevance passes through unchanged
        if rule == "composite" and isinstance(m, nn.Conv2d):
            m.rule = Alpha1_Beta0_Rule()
        if rule == "composite" and isinstance(m, nn.Linear):
            m.rule = EpsilonRule(epsilon=0.25)
        if isinstance(m, nn.ReLU) and m.inplace:
            raise ValueError("lrp cannot propagate through in-place ReLUs; use inplace=False")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Input Tensor .* did not already require")
        attr = LRP(net).attribute(x.to(dev).detach().requires_grad_(True), target=t.to(dev))
    return attr.detach().to(x.device)


def _check_features(model, x, baseline) -> tuple[torch.Tensor, torch.Tensor]:
    if not isinstance(x, torch.Tensor) or x.ndim != 2 or not torch.is_floating_point(x):
        raise ValueError(
            "x must be a float tensor of feature rows (N, F), got "
            f"{getattr(x, 'shape', type(x).__name__)}"
        )
    base = torch.as_tensor(baseline, dtype=x.dtype, device=x.device)
    if base.shape not in (x.shape, x.shape[1:], (1, x.shape[1])):
        raise ValueError(
            f"baseline must have shape {tuple(x.shape[1:])} or like x, got {tuple(base.shape)}"
        )
    out = model(x[:1])
    if out.shape != (1, 1):
        raise ValueError(f"model must map (N, F) rows to (N, 1) scores, got {tuple(out.shape)}")
    return x.detach(), base.expand_as(x)


def path_attributions(
    model: nn.Module,
    x: torch.Tensor,
    baseline: torch.Tensor,
    order: Sequence[int] | None = None,
    n_steps: int = 256,
) -> torch.Tensor:
    """Path attributions of a model of feature rows: ∫ ∂f/∂x_i dx_i along a path from the baseline.

    ``order=None`` is the straight line of Integrated Gradients; an ``order`` such as ``(1, 0)``
    moves the features one at a time, feature 1 from its baseline value to x first, then feature 0
    (a path along the edges of the box). Every path gives attributions that add up to
    f(x) − f(x') (the midpoint Riemann sum of ``n_steps`` points per segment); which feature gets
    how much depends on the path where the model's features interact.

    Parameters
    ----------
    model : nn.Module
        Rows (N, F) → scores (N, 1), e.g. :class:`xai_helpers.models.SaturatingElephant`.
    x, baseline : torch.Tensor
        (N, F) rows and the baseline, (F,) or like ``x``.
    order : sequence of int, optional
        The order in which the features move (each feature once).

    Returns
    -------
    torch.Tensor
        (N, F) attributions.

    Examples
    --------
    >>> from xai_helpers.models import SaturatingElephant
    >>> x = torch.tensor([[2.5, 0.5]], dtype=torch.float64)
    >>> ears_first = path_attributions(SaturatingElephant(), x, torch.zeros(2), order=(1, 0))
    >>> [round(v, 2) for v in ears_first[0].tolist()]
    [0.8, 0.2]
    """
    x, base = _check_features(model, x, baseline)
    n_steps = check_positive_int(n_steps, "n_steps")
    f = x.shape[1]
    if order is None:
        segments = [torch.ones(f, dtype=torch.bool, device=x.device)]
    else:
        order = [int(i) for i in order]
        if sorted(order) != list(range(f)):
            raise ValueError(f"order must list each of the {f} features once, got {order}")
        segments = [torch.arange(f, device=x.device) == i for i in order]
    alphas, weights = ig_alphas(n_steps, "middle", device=x.device)
    attr, start = torch.zeros_like(x), base.clone()
    for moving in segments:
        moving = moving.to(x.device)
        end = torch.where(moving, x, start)
        path = start[:, None] + alphas.to(x.dtype).view(1, -1, 1) * (end - start)[:, None]
        path = path.reshape(-1, f).requires_grad_(True)
        (g,) = torch.autograd.grad(model(path).sum(), path)
        g = g.view(len(x), n_steps, f)
        attr += (end - start) * (g * weights.to(x.dtype).view(1, -1, 1)).sum(1)
        start = end
    return attr


def feature_attributions(
    model: nn.Module, x: torch.Tensor, baseline: torch.Tensor, n_steps: int = 256
) -> dict[str, torch.Tensor]:
    """Four answers to "how much of f(x) − f(x') is each feature's?" for a model of feature rows.

    ``"gradient × (x − x')"``: the tangent's estimate; ``"IG"``: Integrated Gradients on the
    straight path (:func:`path_attributions`); ``"DeepLIFT"``: Captum's DeepLIFT (Rescale rule)
    with the baseline as reference; ``"occlusion"``: f(x) minus f(x with that one feature set to
    its baseline value). IG and DeepLIFT add up to f(x) − f(x'); the other two need not.

    Returns
    -------
    dict
        ``{method: (N, F) attributions}``.

    Examples
    --------
    >>> from xai_helpers.models import SaturatingElephant
    >>> x = torch.tensor([[2.5, 0.5]], dtype=torch.float64)
    >>> r = feature_attributions(SaturatingElephant(), x, torch.zeros(2))
    >>> {k: [round(v, 2) for v in a[0].tolist()] for k, a in r.items()}["occlusion"]
    [0.8, 0.0]
    """
    from captum.attr import DeepLift

    x, base = _check_features(model, x, baseline)
    xg = x.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(model(xg).sum(), xg)
    with torch.no_grad():
        fx = model(x)[:, 0]
        occ = torch.stack(
            [
                fx
                - model(torch.where(torch.arange(x.shape[1], device=x.device) == i, base, x))[:, 0]
                for i in range(x.shape[1])
            ],
            1,
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Captum's notices about hooks and input gradients
        dl = DeepLift(model).attribute(x.clone().requires_grad_(True), baselines=base, target=0)
    return {
        "gradient × (x − x')": (g * (x - base)).detach(),
        "IG": path_attributions(model, x, base, None, n_steps),
        "DeepLIFT": dl.detach(),
        "occlusion": occ,
    }


@dataclass(frozen=True)
class IGSweep:
    """Integrated Gradients of a batch at several step counts, from one set of path gradients.

    Attributes
    ----------
    n_steps : tuple of int
        The step counts, each dividing the largest.
    attributions : dict
        ``{n: (N, C, H, W)}``: IG with the left Riemann rule and ``n`` steps.
    gaps : dict
        ``{n: (N,)}``: relative completeness gap |Σ attributions − (f(x) − f(x'))| / |f(x) − f(x')|.
    path_derivative : torch.Tensor
        (N, max n) d f(x' + α(x − x'))/dα at α = k / max n: where along the path the score changes.
    """

    n_steps: tuple[int, ...]
    attributions: dict
    gaps: dict
    path_derivative: torch.Tensor


def integrated_gradients_sweep(
    model: nn.Module,
    x: torch.Tensor,
    target: int | Sequence[int] | torch.Tensor,
    baseline: str | float | torch.Tensor = "black",
    n_steps: Sequence[int] = (4, 8, 16, 32, 64, 128),
    of: str = "score",
    normalization: tuple[Sequence[float], Sequence[float]] | None = None,
    batch_size: int = 64,
    progress: bool = False,
) -> IGSweep:
    """Integrated Gradients with the left Riemann rule at every step count in ``n_steps``, for the
    price of the largest.

    The points α = k / n of a left Riemann sum with n steps are among those of any multiple of n, so
    the gradients at the ``max(n_steps)`` points of the finest sum give every coarser one too: one
    pass of the model per point of the finest sum, instead of one per point of every sum. Each entry
    equals ``integrated_gradients(model, x, target, baseline, n_steps=n, rule="left")``. Memory: the
    gradients at every point are kept, ``max(n_steps)`` copies of ``x`` (77 MB for one 224×224 photo
    and 128 steps).

    Parameters
    ----------
    baseline, of, normalization, batch_size
        As for :func:`integrated_gradients`.
    n_steps : sequence of int
        The step counts; each must divide the largest.
    progress : bool
        Show a ``tqdm.auto`` progress bar over the model's passes.

    Returns
    -------
    IGSweep
        ``attributions[n]`` (N, C, H, W) and ``gaps[n]`` (N,) for every n, and the path derivative.

    Examples
    --------
    >>> from xai_helpers.models import MnistCNN
    >>> sweep = integrated_gradients_sweep(MnistCNN(), torch.rand(1, 1, 28, 28), 2, n_steps=(2, 8))
    >>> sweep.attributions[2].shape, sweep.gaps[8].shape
    (torch.Size([1, 1, 28, 28]), torch.Size([1]))
    """
    from tqdm.auto import tqdm

    steps = sorted({check_positive_int(n, "n_steps") for n in n_steps})
    top = steps[-1]
    if any(top % n for n in steps):
        raise ValueError(f"every step count must divide the largest ({top}), got {steps}")
    batch_size = check_positive_int(batch_size, "batch_size")
    x, t, dev = prepare_batch(model, x, target)
    base = _baseline(baseline, x, normalization)
    check_image_batch(base, "baseline")
    alphas = torch.arange(top, device=x.device, dtype=x.dtype) / top
    chunk = _chunk_size(batch_size, x)
    g = torch.empty(
        len(x), top, *x.shape[1:], dtype=x.dtype, device=x.device
    )  # gradients at every path point
    with tqdm(total=len(x) * top, desc="IG path gradients", disable=not progress) as bar:
        for i in range(len(x)):
            for j in range(0, top, chunk):
                path = base[i : i + 1] + alphas[j : j + chunk].view(-1, 1, 1, 1) * (
                    x[i : i + 1] - base[i : i + 1]
                )
                g[i, j : j + chunk] = _input_gradients(
                    model, path, t[i].repeat(len(path)), dev, of, batch_size
                )
                bar.update(len(path))
    with torch.no_grad():
        diff = (
            class_score(model(x.to(dev)), t.to(dev), of)
            - class_score(model(base.to(dev)), t.to(dev), of)
        ).to(x.device)
    attributions, gaps = {}, {}
    for n in steps:
        a = (x - base) * g[:, :: top // n].mean(1)
        attributions[n] = a
        gaps[n] = (a.sum(dim=(1, 2, 3)) - diff).abs() / diff.abs().clamp(min=1e-12)
    path_derivative = ((x - base).unsqueeze(1) * g).flatten(2).sum(2)
    return IGSweep(tuple(steps), attributions, gaps, path_derivative)


# ------------------------------------------------------------------------ helpers for the notebooks

_BASELINES = ("black", "white", "blurred", "noise")


def _separable_blur(x: torch.Tensor, k: int, sigma: float) -> torch.Tensor:
    """torchvision's ``gaussian_blur(x, [k, k], [sigma, sigma])`` (reflect padding, the same
    normalised kernel) as two 1-D passes: k² → 2k multiplications per pixel."""
    t = torch.linspace(-(k // 2), k // 2, k, dtype=x.dtype, device=x.device)
    w = torch.exp(-0.5 * (t / sigma) ** 2)
    w = w / w.sum()
    c = x.shape[1]
    y = torch.nn.functional.pad(x, [k // 2] * 4, mode="reflect")
    y = torch.nn.functional.conv2d(y, w.view(1, 1, 1, k).expand(c, 1, 1, k), groups=c)
    return torch.nn.functional.conv2d(y, w.view(1, 1, k, 1).expand(c, 1, k, 1), groups=c)


def ig_baseline(
    x: torch.Tensor,
    kind: str = "black",
    normalization: tuple[Sequence[float], Sequence[float]] | None = None,
    blur_sigma: float | None = None,
    seed: int = 0,
) -> torch.Tensor:
    """A baseline x' for Integrated Gradients, shaped like ``x``: the "absence" of the input.

    ``"black"`` / ``"white"``: constant images (in pixel units, see ``normalization``);
    ``"blurred"``: a Gaussian blur of ``x`` (``blur_sigma`` pixels, default 1/8 of the width),
    which keeps the colours but removes the edges; ``"noise"``: uniform pixel noise.

    Examples
    --------
    >>> x = torch.rand(2, 1, 28, 28)
    >>> [float(ig_baseline(x, k).mean()) > 0.4 for k in ("black", "white")]
    [False, True]
    >>> ig_baseline(x, "blurred").shape
    torch.Size([2, 1, 28, 28])
    """
    check_image_batch(x)
    if kind in ("black", "white"):
        return resolve_fill(kind, x, normalization).expand_as(x).clone()
    if kind == "blurred":
        s = check_positive(blur_sigma, "blur_sigma") if blur_sigma is not None else x.shape[-1] / 8
        k = 2 * math.ceil(3 * s) + 1
        k = min(k, 2 * ((min(x.shape[-2:]) - 1) // 2) + 1)
        return _separable_blur(x, k, s)
    if kind == "noise":
        # drawn by a CPU generator, then moved: the same seed gives the same noise on every device
        u = torch.rand(
            x.shape, generator=torch.Generator().manual_seed(check_seed(seed)), dtype=x.dtype
        ).to(x.device)
        if normalization is not None:
            mean, std = (
                torch.as_tensor(v, dtype=x.dtype, device=x.device).view(1, -1, 1, 1)
                for v in normalization
            )
            u = (u - mean) / std
        return u
    raise ValueError(f"kind must be one of {_BASELINES}, got {kind!r}")


class SmoothGradCache:
    """The noisy gradients of one image, kept per noise level, so a slider only computes new
    samples.

    ``cache.map(sigma, n_samples)`` returns SmoothGrad (H, W) with ``n_samples`` samples at noise
    ``sigma``; samples already drawn for that ``sigma`` are reused and only the missing ones are
    computed (with a ``tqdm.auto`` progress bar when ``progress``).

    Examples
    --------
    >>> from xai_helpers.models import MnistCNN
    >>> cache = SmoothGradCache(MnistCNN(), torch.rand(1, 1, 28, 28), target=0)
    >>> cache.map(0.1, 3).shape, cache.count(0.1)
    (torch.Size([28, 28]), 3)

    ``cache.map(sigma, n, signed=True)`` is the authors' variant from the same noisy copies: the
    signed gradients averaged, then |·| (channels by max).
    """

    def __init__(
        self,
        model: nn.Module,
        x: torch.Tensor,
        target: int,
        seed: int = 0,
        batch_size: int = 64,
        progress: bool = True,
    ):
        check_image_batch(x)
        if x.shape[0] != 1:
            raise ValueError(
                f"SmoothGradCache explains one image: x must be (1, C, H, W), got {tuple(x.shape)}"
            )
        self.model, self.x, self.target = model, x, target
        self.seed, self.batch_size, self.progress = seed, batch_size, progress
        self._samples: dict[float, torch.Tensor] = {}

    def count(self, sigma: float) -> int:
        """How many samples are cached for ``sigma``."""
        s = self._samples.get(round(float(sigma), 6))
        return 0 if s is None else len(s)

    def map(
        self, sigma: float, n_samples: int, start: int = 0, signed: bool = False
    ) -> torch.Tensor:
        """SmoothGrad of the image with ``n_samples`` samples at noise ``sigma``, channels reduced
        by max: (H, W). The mean of |∂y/∂x| (the course's default), or with ``signed=True`` the
        absolute value of the mean of the signed ∂y/∂x (Smilkov et al.'s average).

        ``start`` skips the first samples: ``map(s, 10, start=10)`` averages samples 10 … 19, a
        run with noise independent of ``map(s, 10)``'s (two runs to compare, one cache).
        """
        start = check_int(start, "start", minimum=0)
        n = start + check_positive_int(n_samples, "n_samples")
        key = round(check_fraction(sigma, "sigma"), 6)
        have = self.count(key)
        if have < n:
            new = smoothgrad_samples(
                self.model,
                self.x,
                self.target,
                key,
                n - have,
                seed=self.seed + 1000 * have,
                batch_size=self.batch_size,
                progress=self.progress,
                absolute=False,
            )[:, 0]
            self._samples[key] = new if have == 0 else torch.cat([self._samples[key], new])
        g = self._samples[key][start:n]
        mean = g.mean(0, keepdim=True).abs() if signed else g.abs().mean(0, keepdim=True)
        return reduce_channels(mean, "max")[0]


def one_sided_derivatives(
    model: nn.Module, x: torch.Tensor, target: int, eps: float = 1e-6, batch_size: int = 196
) -> tuple[torch.Tensor, torch.Tensor]:
    """Right and left difference quotients of the class score (logit) ``target`` for every pixel.

    Right: (y(x + ε e_n) − y(x)) / ε; left: (y(x) − y(x − ε e_n)) / ε, for each pixel n of
    channel 0 of one image. Where the network is differentiable both equal the gradient; where
    they differ, pixel n sits on a kink. Use a float64 model and input: with float32, ε must be
    so large that the step itself crosses kinks.

    Parameters
    ----------
    model : nn.Module
        Classifier returning logits (N, classes).
    x : torch.Tensor
        One image (1, C, H, W).
    target : int
        Class whose logit is differentiated.
    eps : float
        Step ε > 0.
    batch_size : int
        Nudged images per forward pass (memory).

    Returns
    -------
    (right, left) : tuple of torch.Tensor
        Two (H, W) tensors on ``x``'s device.

    Examples
    --------
    >>> net = nn.Sequential(nn.Flatten(), nn.ReLU(), nn.Linear(4, 2)).double()
    >>> x = torch.tensor([[[[0.0, 1.0], [2.0, -1.0]]]], dtype=torch.float64)
    >>> right, left = one_sided_derivatives(net, x, target=0)
    >>> # a ReLU kink at pixel (0, 0): the two slopes differ there only
    >>> bool(right[0, 0] != left[0, 0]), bool(torch.allclose(right[0, 1], left[0, 1]))
    (True, True)
    """
    x = check_image_batch(x)
    if len(x) != 1:
        raise ValueError(f"x must hold one image (1, C, H, W), got {len(x)}")
    target = check_int(target, "target", minimum=0)
    eps = check_positive(eps, "eps")
    batch_size = check_positive_int(batch_size, "batch_size")
    _, c, h, w = x.shape
    dev = next(model.parameters()).device
    right, left = [], []
    with torch.no_grad():
        logits = model(x.to(dev))
        if target >= logits.shape[1]:
            raise ValueError(
                f"target must be a class of the model, 0 … {logits.shape[1] - 1}, got {target}"
            )
        y0 = logits[0, target]
        for start in range(0, h * w, batch_size):
            idx = torch.arange(start, min(start + batch_size, h * w), device=x.device)
            step = torch.zeros(len(idx), c, h * w, dtype=x.dtype, device=x.device)
            step[torch.arange(len(idx), device=x.device), 0, idx] = eps
            step = step.view(len(idx), c, h, w)
            right.append((model((x + step).to(dev))[:, target] - y0) / eps)
            left.append((y0 - model((x - step).to(dev))[:, target]) / eps)
    return torch.cat(right).view(h, w).to(x.device), torch.cat(left).view(h, w).to(x.device)


def class_gradients(model: nn.Module, x: torch.Tensor, target: Sequence[int]) -> torch.Tensor:
    """The signed gradients ∂y_c/∂x of several class logits at one image, flattened: (C, numel).

    One forward pass, one backward pass per class (the graph is kept between them). Rows are in
    the order of ``target``; compare them with ``torch.corrcoef``.

    Parameters
    ----------
    model : nn.Module
        The classifier (logits out).
    x : torch.Tensor
        One image, (1, C, H, W).
    target : sequence of int
        The classes whose logits are differentiated.

    Examples
    --------
    >>> from xai_helpers.models import MnistCNN
    >>> g = class_gradients(MnistCNN().eval(), torch.rand(1, 1, 28, 28), [3, 5, 3])
    >>> g.shape, bool(torch.equal(g[0], g[2]))
    (torch.Size([3, 784]), True)
    """
    check_image_batch(x)
    if x.shape[0] != 1:
        raise ValueError(
            f"class_gradients explains one image: x must be (1, C, H, W), got {tuple(x.shape)}"
        )
    classes = [check_int(int(c), "target", minimum=0) for c in target]
    if not classes:
        raise ValueError("target must name at least one class")
    _, _, dev = prepare_batch(model, x, classes[0])
    x_req = x.detach().to(dev).clone().requires_grad_(True)
    out = model(x_req)[0]
    rows = []
    for i, c in enumerate(classes):
        (g,) = torch.autograd.grad(out[c], x_req, retain_graph=i < len(classes) - 1)
        rows.append(g.flatten())
    return torch.stack(rows).to(x.device)
