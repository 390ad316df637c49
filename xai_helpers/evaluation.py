"""How would we know an explanation is right? Checks of attribution maps (lecture §8–9) and of
attention weights (§10).

* The **deletion curve** (Petsiuk, Das & Saenko 2018, "RISE"): remove the pixels an explanation
  calls most important first, and record the probability of the class after each step. A
  faithful explanation makes the probability fall fast, so the area under the curve (AUC) is
  small; a random ordering is the reference to beat. The **insertion curve** runs the other way:
  start from the removed image and put the most important pixels back first (a large AUC is
  faithful). Ties in a map are broken at random (seeded), never by position.
* The **model-parameter randomization test** (Adebayo et al. 2018, "Sanity Checks for Saliency
  Maps"): re-initialise the layers from the top down, one more each time, and rank-correlate the
  explanation of the randomised model with the trained model's. A map that still looks the same
  when the weights are random cannot be explaining what the model learned.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch
from torch import nn
from torchvision.transforms.functional import gaussian_blur

from ._torch import (
    model_device,
    predict_proba,
    prepare_batch,
    randomizable_layers,
    scaled_logits_copy,
    untrained_copy,
)
from .attribution import (
    class_score,
    integrated_gradients,
    reduce_channels,
    resolve_fill,
    saliency,
    smoothgrad_samples,
)
from .data.monsters import EDIT_FAMILIES, on_grey
from .stats import Estimate, accuracy_interval, paired_bootstrap
from .validation import (
    check_classes,
    check_image_batch,
    check_int,
    check_labels,
    check_layer,
    check_number,
    check_positive_int,
    check_seed,
    check_target,
)

__all__ = [
    "top_fraction_share",
    "keep_only_in_settings",
    "cross_fitted_logistic",
    "shuffled_weights_copy",
    "input_map",
    "shuffled_factor",
    "blurred_input",
    "edge_map",
    "DeletionCurve",
    "deletion_curve",
    "insertion_curve",
    "perturbed_images",
    "deletion_auc",
    "random_attribution",
    "top_k_deletion",
    "top_k_share",
    "rank_correlation",
    "total_variation",
    "neighbour_correlation",
    "region_share",
    "region_density",
    "density_by_class",
    "split_ratio",
    "paint_regions",
    "creature_sized_band",
    "brightness_reader_fit",
    "Prediction",
    "explain_prediction",
    "smoothgrad_stability",
    "randomizable_layers",
    "cascading_randomization",
    "randomization_check",
    "randomization_scores",
    "once_per_model",
    "untrained_copy",
    "scaled_logits_copy",
    "null_range",
    "judge_probabilities",
    "judge_labels",
    "judge_agreement",
    "pixel_knn_judge",
    "pixel_linear_judge",
    "pixel_mlp_judge",
    "pixel_forest_judge",
    "judge_gains",
    "gains_table",
    "ClassSpread",
    "class_spread",
    "ink_matched",
    "stroke_orientation",
    "angle_difference",
    "shuffled_match_null",
    "logit_margin",
    "nearest_distance",
    "blur_at_equal_ink",
    "within_class_distance",
    "balanced_pick",
    "agreement_table",
    "mean_rank_agreement",
    "untie",
    "ink_blobs",
    "blob_null",
    "shifted_mask",
    "shifted_copies",
    "filled_logits",
    "group_log_odds",
    "group_drop_margin",
    "GREY_LEVELS",
    "LogOdds",
    "flip_rate",
    "grey_sweep",
    "rule_agreement",
    "background_paths",
    "background_path_curve",
    "turning_level",
    "phase_means",
    "measure_monsters",
    "same_l2_noise",
    "background_activity",
    "kendall_tau",
    "kendall_tau_fast",
    "random_rank_tau",
    "rank_agreement",
    "position_scores",
    "jsd",
    "tvd",
    "uniform_weights",
    "permuted_weights",
    "adversarial_weights",
    "simple_map_nulls",
    "scaled_ellipse",
    "completeness_ratio",
    "curves_by_setting",
    "log_odds_auc",
    "auc_table",
    "randomization_runs",
]


@dataclass(frozen=True)
class DeletionCurve:
    """Probabilities of the target class as more and more pixels are removed.

    Attributes
    ----------
    fractions : torch.Tensor
        (steps + 1,) fraction of the pixels removed, from 0 to 1.
    probs : torch.Tensor
        (N, steps + 1) probability of each image's target class after each step.
    kind : {"deletion", "insertion"}
        Whether the fraction is of pixels removed (deletion: small AUC = faithful) or put back
        (insertion: large AUC = faithful).
    """

    fractions: torch.Tensor
    probs: torch.Tensor
    kind: str = "deletion"

    @property
    def auc(self) -> torch.Tensor:
        """(N,) area under each image's curve (trapezoid rule over the fraction removed)."""
        return deletion_auc(self)

    def mean(self) -> torch.Tensor:
        """(steps + 1,) the curve averaged over the images."""
        return self.probs.mean(0)


def _pixel_scores(maps: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    if not isinstance(maps, torch.Tensor):
        raise TypeError(
            "maps must be a torch.Tensor shaped (N, H, W) or (N, C, H, W), got "
            f"{type(maps).__name__}"
        )
    n, c, h, w = x.shape
    a = maps.detach().to(device=x.device, dtype=torch.float32)
    if a.shape == (n, c, h, w):
        a = a.sum(1)
    if a.shape != (n, h, w):
        raise ValueError(
            f"maps must have shape ({n}, {h}, {w}) or ({n}, {c}, {h}, {w}) like x, got "
            f"{tuple(maps.shape)}"
        )
    if not torch.isfinite(a).all():
        raise ValueError("maps contains NaN or infinite values")
    return a


def _random_tie_ranks(scores: torch.Tensor, seed: int) -> torch.Tensor:
    """(N, H·W) rank of each pixel, 0 = largest score; equal scores in a random order (seeded)."""
    n = scores.shape[0]
    flat = scores.reshape(n, -1)
    g = torch.Generator().manual_seed(check_seed(seed))
    perm = torch.argsort(torch.rand(flat.shape, generator=g, device="cpu"), dim=1).to(flat.device)
    # shuffle, then a stable sort keeps the shuffled order among equal scores
    order = perm.gather(1, torch.argsort(flat.gather(1, perm), dim=1, descending=True, stable=True))
    rank = torch.empty_like(order)
    rank.scatter_(1, order, torch.arange(flat.shape[1], device=flat.device).expand(n, -1).clone())
    return rank


def _ranked_curve(model, x, target, maps, steps, fill, normalization, batch_size, seed, kind):
    steps = check_positive_int(steps, "steps")
    batch_size = check_positive_int(batch_size, "batch_size")
    x, t, dev = prepare_batch(model, x, target)
    scores = _pixel_scores(maps, x)
    n, c, h, w = x.shape
    fills = resolve_fill(fill, x, normalization, image_ok=True)  # (N, C, 1, 1) or (N, C, H, W)
    rank = _random_tie_ranks(scores, seed)
    counts = torch.round(
        torch.linspace(0, 1, steps + 1, device=x.device) * h * w
    ).long()  # pixels removed (deletion) or put back (insertion) at each step
    probs = torch.empty(n, steps + 1, device=x.device)
    per = max(1, batch_size // (steps + 1))
    with torch.no_grad():
        for i in range(0, n, per):
            j = min(n, i + per)
            chosen = rank[i:j, None, :] < counts[None, :, None]  # (b, steps+1, H*W)
            chosen = chosen.view(j - i, steps + 1, 1, h, w)
            # deletion: the chosen pixels become the fill; insertion: only the chosen are kept
            a, b = (fills[i:j, None], x[i:j, None])
            xs = torch.where(chosen, a, b) if kind == "deletion" else torch.where(chosen, b, a)
            logits = model(xs.reshape(-1, c, h, w).to(dev)).float()
            check_classes(t, logits)
            p = logits.softmax(1).view(j - i, steps + 1, -1)
            probs[i:j] = p.gather(2, t[i:j].to(dev).view(-1, 1, 1).expand(-1, steps + 1, 1))[
                ..., 0
            ].to(x.device)
    return DeletionCurve(counts.float() / (h * w), probs, kind)


def deletion_curve(
    model: nn.Module,
    x: torch.Tensor,
    target: int | Sequence[int] | torch.Tensor,
    maps: torch.Tensor,
    steps: int = 20,
    fill: str | float | Sequence[float] | torch.Tensor = "black",
    normalization: tuple[Sequence[float], Sequence[float]] | None = None,
    batch_size: int = 256,
    seed: int = 0,
) -> DeletionCurve:
    """Remove pixels from the most to the least important and record the class probability.

    Pixels are ranked by ``maps`` (largest first). Pixels with equal values are removed in a
    random order drawn from ``seed``: ordering ties by position would sweep a band down the image
    wherever a map is flat (e.g. the many exact zeros of a map of MNIST digits), and score that
    sweep instead of the map. After removing a fraction i/``steps`` of them (all channels of a
    pixel set to ``fill``), the model's softmax probability of ``target`` is recorded.

    Parameters
    ----------
    model : nn.Module
        Images (N, C, H, W) → logits (N, K).
    x : torch.Tensor
        Float images (N, C, H, W).
    target : int or sequence of int
        The class whose probability is tracked.
    maps : torch.Tensor
        (N, H, W) importance of each pixel, or (N, C, H, W) (summed over channels). Pass
        ``attr.abs()`` to rank by magnitude, or signed values to remove positive evidence first.
    steps : int
        Number of deletion steps (the curve has ``steps + 1`` points, 0 % … 100 % removed).
    fill : str, float, per-channel values or torch.Tensor
        What a removed pixel becomes (see :func:`xai_helpers.attribution.resolve_fill`); default
        black. An image shaped like ``x`` gives each pixel its own value (Petsiuk et al.'s
        insertion starts from a blurred copy of ``x``).
    normalization : (mean, std), optional
        How ``x`` was normalised, so that named fills are in pixel units.
    batch_size : int
        Images passed through the model at once (all steps of an image together).
    seed : int
        Seed of the random order among equal map values (a CPU generator: the same everywhere).

    Returns
    -------
    DeletionCurve
        ``fractions`` (steps + 1,), ``probs`` (N, steps + 1) and ``auc`` (N,), on the device of
        ``x``.

    Examples
    --------
    >>> from xai_helpers.models import MnistCNN
    >>> x = torch.rand(2, 1, 28, 28)
    >>> curve = deletion_curve(MnistCNN(), x, 3, maps=torch.rand(2, 28, 28), steps=10)
    >>> curve.probs.shape, curve.auc.shape
    (torch.Size([2, 11]), torch.Size([2]))
    """
    return _ranked_curve(
        model, x, target, maps, steps, fill, normalization, batch_size, seed, "deletion"
    )


def insertion_curve(
    model: nn.Module,
    x: torch.Tensor,
    target: int | Sequence[int] | torch.Tensor,
    maps: torch.Tensor,
    steps: int = 20,
    fill: str | float | Sequence[float] | torch.Tensor = "black",
    normalization: tuple[Sequence[float], Sequence[float]] | None = None,
    batch_size: int = 256,
    seed: int = 0,
) -> DeletionCurve:
    """Start from an image of ``fill`` and put pixels back, most important first (Petsiuk et al.
    2018): the class probability should rise fast, so a *large* AUC is faithful.

    The mirror of :func:`deletion_curve`, with the same arguments and the same random order among
    equal map values (``seed``). The curve's first point is the model on the fill alone, its last
    on ``x``.

    Returns
    -------
    DeletionCurve
        With ``kind="insertion"``: ``fractions`` is the fraction of pixels put back.

    Examples
    --------
    >>> from xai_helpers.models import MnistCNN
    >>> x = torch.rand(2, 1, 28, 28)
    >>> curve = insertion_curve(MnistCNN(), x, 3, maps=torch.rand(2, 28, 28), steps=10)
    >>> curve.kind, curve.probs.shape
    ('insertion', torch.Size([2, 11]))
    """
    return _ranked_curve(
        model, x, target, maps, steps, fill, normalization, batch_size, seed, "insertion"
    )


def perturbed_images(
    x: torch.Tensor,
    maps: torch.Tensor,
    fractions: Sequence[float],
    fill: str | float | Sequence[float] | torch.Tensor = "black",
    kind: str = "deletion",
    normalization: tuple[Sequence[float], Sequence[float]] | None = None,
    seed: int = 0,
) -> torch.Tensor:
    """The images a deletion or insertion curve scores, at chosen fractions of the pixels.

    The same ranking (largest ``maps`` value first, ties in the random order of ``seed``) and the
    same ``fill`` as :func:`deletion_curve` and :func:`insertion_curve`, so that a figure shows what
    the model saw at a point of the curve.

    Parameters
    ----------
    x : torch.Tensor
        Float images (N, C, H, W).
    maps : torch.Tensor
        (N, H, W) or (N, C, H, W) importance of each pixel.
    fractions : sequence of float
        Fractions in [0, 1] of the pixels removed (deletion) or put back (insertion).
    fill, normalization, seed
        As in :func:`deletion_curve`.
    kind : {"deletion", "insertion"}
        Which curve's images.

    Returns
    -------
    torch.Tensor
        (N, len(fractions), C, H, W).

    Examples
    --------
    >>> x, m = torch.ones(1, 1, 2, 2), torch.tensor([[[4.0, 3.0], [2.0, 1.0]]])
    >>> perturbed_images(x, m, [0.5], kind="insertion")[0, 0, 0]
    tensor([[1., 1.],
            [0., 0.]])
    """
    if kind not in ("deletion", "insertion"):
        raise ValueError(f"kind must be 'deletion' or 'insertion', got {kind!r}")
    x = check_image_batch(x, "x")
    fr = torch.as_tensor(list(fractions), dtype=torch.float32, device=x.device)
    if fr.ndim != 1 or len(fr) == 0 or not ((fr >= 0) & (fr <= 1)).all():
        raise ValueError(
            f"fractions must be a non-empty sequence of numbers in [0, 1], got {fractions}"
        )
    n, c, h, w = x.shape
    rank = _random_tie_ranks(_pixel_scores(maps, x), seed)
    fills = resolve_fill(fill, x, normalization, image_ok=True)
    chosen = (rank[:, None, :] < torch.round(fr * h * w).long()[None, :, None]).view(n, -1, 1, h, w)
    a, b = fills[:, None], x[:, None]
    return torch.where(chosen, a, b) if kind == "deletion" else torch.where(chosen, b, a)


def deletion_auc(curve: DeletionCurve) -> torch.Tensor:
    """Area under each curve, (N,), by the trapezoid rule (deletion: smaller = more faithful;
    insertion: larger).

    Examples
    --------
    >>> deletion_auc(DeletionCurve(torch.tensor([0.0, 0.5, 1.0]), torch.tensor([[1.0, 0.0, 0.0]])))
    tensor([0.2500])
    """
    if not isinstance(curve, DeletionCurve):
        raise TypeError(
            f"curve must be a DeletionCurve (from deletion_curve), got {type(curve).__name__}"
        )
    return torch.trapezoid(curve.probs, curve.fractions, dim=1)


def shuffled_weights_copy(model: nn.Module, seed: int = 0) -> nn.Module:
    """A known-wrong network matched in weight statistics: the trained weights, each convolution
    kernel's spatial entries (per input and output channel) and each linear unit's incoming weights
    permuted at random. Every kernel and unit keeps its sum (its response to a uniform input), its
    norm and the biases; only the arrangement that training learned is destroyed. The model itself
    is not changed.

    A null for "training did X" that an untrained copy (:func:`untrained_copy`, whose weights have
    another scale) cannot give: what weights of the trained network's size and sign balance do
    without their learned arrangement.

    Examples
    --------
    >>> from xai_helpers.models import MnistCNN
    >>> net = MnistCNN()
    >>> shuf = shuffled_weights_copy(net, seed=0)
    >>> w, v = net.conv1.weight, shuf.conv1.weight
    >>> bool(torch.allclose(w.sum((2, 3)), v.sum((2, 3)), atol=1e-6)), bool(torch.equal(w, v))
    (True, False)
    """
    seed = check_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    shuf = copy.deepcopy(model).eval()
    with torch.no_grad():
        for module in shuf.modules():
            w = getattr(module, "weight", None)
            if not isinstance(module, (nn.Conv2d, nn.Linear)) or w is None:
                continue
            flat = w.reshape(w.shape[0] * (w.shape[1] if w.dim() == 4 else 1), -1)
            noise = torch.rand(flat.shape, generator=gen, device="cpu")
            order = torch.argsort(noise, dim=1).to(w.device)
            w.copy_(torch.gather(flat, 1, order).reshape(w.shape))
    return shuf


def random_attribution(x: torch.Tensor, seed: int = 0) -> torch.Tensor:
    """A random 'explanation' (N, H, W), uniform in [0, 1): the reference a real one must beat.

    Examples
    --------
    >>> random_attribution(torch.zeros(2, 1, 28, 28)).shape
    torch.Size([2, 28, 28])
    """
    check_image_batch(x)
    n, _, h, w = x.shape
    # drawn by a CPU generator, then moved: the same seed gives the same map on every device
    return torch.rand(n, h, w, generator=torch.Generator().manual_seed(check_seed(seed))).to(
        x.device
    )


def input_map(x: torch.Tensor) -> torch.Tensor:
    """The input itself as a 'map' (N, H, W): the largest |value| over the colour channels.

    A model-independent null for a map's robustness: it ignores the network entirely, so it
    cannot be faithful to it, and yet a small perturbation barely moves its brightest pixels.

    Examples
    --------
    >>> input_map(torch.tensor([[[[0.5, -2.0]], [[1.0, 0.0]]]])).tolist()
    [[[1.0, 2.0]]]
    """
    check_image_batch(x)
    return x.detach().abs().amax(1)


def shuffled_factor(maps: torch.Tensor, x: torch.Tensor, seed: int = 0) -> torch.Tensor:
    """x × the map's own factor (maps / x), shuffled over the pixels where x > 0 (N, H, W).

    A structure-matched null for "the map only recovers the input": it keeps the factor x and the
    map's own distribution of per-pixel factors (for |IG| from black, |mean gradient|) but puts
    them at random places on the ink, so whatever the map shares with x beyond the factor x is
    destroyed. Pixels where x = 0 stay 0.

    Parameters
    ----------
    maps : Tensor (N, H, W)
        The maps; x : Tensor (N, 1, H, W), one channel, values ≥ 0.

    Examples
    --------
    >>> x = torch.tensor([[[[0.0, 1.0, 2.0, 4.0]]]])
    >>> null = shuffled_factor(torch.tensor([[[0.0, 3.0, 2.0, 4.0]]]), x, seed=0)
    >>> null[0, 0, 0].item(), sorted((null[0, 0, 1:] / x[0, 0, 0, 1:]).tolist())
    (0.0, [1.0, 1.0, 3.0])
    """
    check_image_batch(x)
    if x.shape[1] != 1 or bool((x < 0).any()):
        raise ValueError(f"x must have one channel and no negative values, got {tuple(x.shape)}")
    n, _, h, w = x.shape
    if not isinstance(maps, torch.Tensor) or maps.shape != (n, h, w):
        raise ValueError(f"maps must be a tensor of shape {(n, h, w)}")
    xs = x[:, 0].reshape(n, -1)
    factor = maps.detach().reshape(n, -1) / xs.clamp_min(1e-12)
    ink = xs > 0
    gen = torch.Generator().manual_seed(check_seed(seed))
    key = torch.rand(n, h * w, generator=gen).to(x.device)
    key = key.masked_fill(~ink, 2.0)  # ink first, in random order
    shuffled_pos = torch.argsort(key, dim=1, stable=True)
    ink_pos = torch.argsort((~ink).to(torch.uint8), dim=1, stable=True)  # ink first, in order
    out = torch.zeros_like(factor).scatter(1, ink_pos, factor.gather(1, shuffled_pos))
    return (out * xs).reshape(n, h, w)


def blurred_input(x: torch.Tensor, sigma: float, kernel_size: int | None = None) -> torch.Tensor:
    """The input blurred by a Gaussian, summed over channels, as a smooth model-free map (N, H, W).

    A structure-matched null for coarse, blob-like maps (Grad-CAM, the curves of pixel flipping):
    it is as smooth as they are and knows only where the input is bright. The blur is separable,
    with reflected borders, and equals ``torchvision.transforms.functional.gaussian_blur(x,
    kernel_size, sigma)`` (without importing torchvision).

    Parameters
    ----------
    x : torch.Tensor
        Float images (N, C, H, W).
    sigma : float
        Standard deviation of the Gaussian, in pixels (> 0).
    kernel_size : int, optional
        Odd width of the kernel; default ``2 · ceil(2 σ) + 1``, at most the image size.

    Examples
    --------
    >>> x = torch.zeros(1, 1, 5, 5)
    >>> x[0, 0, 2, 2] = 1.0
    >>> m = blurred_input(x, sigma=1.0, kernel_size=3)
    >>> m.shape, round(float(m.sum()), 4), bool(m[0, 2, 2] == m.max())
    (torch.Size([1, 5, 5]), 1.0, True)
    """
    check_image_batch(x)
    sigma = check_number(sigma, "sigma", 0, None, low_open=True)
    k = 2 * math.ceil(2 * sigma) + 1 if kernel_size is None else kernel_size
    k = check_positive_int(k, "kernel_size")
    if k % 2 == 0 or k > min(x.shape[2:]):
        raise ValueError(f"kernel_size must be odd and at most the image size, got {k}")
    r = torch.arange(k, dtype=torch.float32, device=x.device) - (k - 1) / 2
    g = torch.exp(-0.5 * (r / sigma) ** 2)
    g = g / g.sum()
    n, c, h, w = x.shape
    y = x.detach().float().reshape(n * c, 1, h, w)
    y = nn.functional.pad(y, ((k - 1) // 2,) * 4, mode="reflect")
    y = nn.functional.conv2d(y, g.view(1, 1, 1, k))
    y = nn.functional.conv2d(y, g.view(1, 1, k, 1))
    return y.reshape(n, c, h, w).sum(1)


def edge_map(x: torch.Tensor) -> torch.Tensor:
    """An edge detector as a 'map' (N, H, W): the Sobel gradient magnitude of each image, the
    largest over the colour channels (edges replicated at the border).

    Like :func:`input_map`, a model-independent null: it marks the outlines of whatever the image
    shows, whatever the network does (Adebayo et al. 2018 found some saliency methods close to
    it).

    Examples
    --------
    >>> x = torch.zeros(1, 1, 4, 4)
    >>> x[..., 2:] = 1.0  # a vertical edge between columns 1 and 2
    >>> edge_map(x)[0, 1].tolist()
    [0.0, 4.0, 4.0, 0.0]
    """
    check_image_batch(x)
    n, c, h, w = x.shape
    sx = torch.tensor(
        [[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]], dtype=x.dtype, device=x.device
    )
    kernels = torch.stack([sx, sx.T])[:, None]  # (2, 1, 3, 3)
    z = nn.functional.pad(x.detach().reshape(n * c, 1, h, w), (1, 1, 1, 1), mode="replicate")
    g = nn.functional.conv2d(z, kernels)
    return g.pow(2).sum(1).sqrt().reshape(n, c, h, w).amax(1)


def top_k_deletion(
    model: nn.Module,
    x: torch.Tensor,
    target: int | Sequence[int] | torch.Tensor,
    maps: torch.Tensor,
    k: int,
    fill: str | float | Sequence[float] | torch.Tensor = "black",
    normalization: tuple[Sequence[float], Sequence[float]] | None = None,
    of: str = "probability",
) -> torch.Tensor:
    """Drop of the target probability when each map's ``k`` top pixels are removed, (N,).

    One point of the deletion curve: the ``k`` pixels with the largest ``maps`` (ties broken
    by position) are set to ``fill`` in all channels, and the result is P(target | x) minus
    P(target | x with those pixels removed). A faithful map makes it large; the reference to
    beat is the same number for a map that knows nothing about the model (random pixels, or the
    map of an untrained network).

    Parameters
    ----------
    model, x, target, maps, normalization
        As in :func:`deletion_curve`.
    k : int
        How many pixels to remove, 1 ≤ k ≤ H·W.
    fill : str, float, sequence of float or torch.Tensor
        As in :func:`deletion_curve`, or a whole replacement image of the shape of ``x`` (e.g. a
        blurred copy): removed pixels then take its values, a removal that paints no new colour.
    of : {"probability", "log-odds"}
        The drop of P(target), or of its log-odds log(P / (1 − P)), computed from the
        log-softmax (it stays informative where P saturates near 0 or 1).

    Examples
    --------
    >>> from xai_helpers.models import MnistCNN
    >>> x = torch.rand(2, 1, 28, 28)
    >>> top_k_deletion(MnistCNN(), x, 3, maps=torch.rand(2, 28, 28), k=40).shape
    torch.Size([2])
    >>> blurred = torch.nn.functional.avg_pool2d(x, 7, stride=1, padding=3)
    >>> top_k_deletion(MnistCNN(), x, 3, torch.rand(2, 28, 28), 40, fill=blurred).shape
    torch.Size([2])
    """
    k = check_positive_int(k, "k")
    if of not in ("probability", "log-odds"):
        raise ValueError(f"of must be 'probability' or 'log-odds', got {of!r}")
    x, t, dev = prepare_batch(model, x, target)
    scores = _pixel_scores(maps, x)
    n, c, h, w = x.shape
    if k > h * w:
        raise ValueError(f"k must be at most H*W = {h * w}, got {k}")
    fills = resolve_fill(fill, x, normalization, image_ok=True)  # (N, C, 1, 1) or an image
    order = torch.argsort(scores.view(n, -1), dim=1, descending=True, stable=True)[:, :k]
    removed = (
        torch.zeros(n, h * w, dtype=torch.bool, device=x.device)
        .scatter_(1, order, True)
        .view(n, 1, h, w)
    )
    with torch.no_grad():
        logits = model(torch.cat([x, torch.where(removed, fills, x)]).to(dev)).float()
        tt = torch.cat([t, t]).to(dev).view(-1, 1)
        check_classes(tt[:, 0], logits)
        if of == "log-odds":  # log P − log(1 − P), log(1 − P) from the other classes' logits
            z = logits.double()
            score = z.gather(1, tt)[:, 0] - z.scatter(1, tt, -torch.inf).logsumexp(1)
        else:
            score = logits.softmax(1).gather(1, tt)[:, 0]
        score = score.float().to(x.device)
    return score[:n] - score[n:]


def _check_maps_and_mask(maps: torch.Tensor, mask: torch.Tensor) -> None:
    """Check a batch of finite maps (N, H, W) and a boolean region (N, H, W) or (H, W) (top-k and
    region shares)."""
    if not isinstance(maps, torch.Tensor) or maps.ndim != 3:
        raise ValueError(
            "maps must be a tensor of shape (N, H, W), got "
            f"{getattr(maps, 'shape', type(maps).__name__)}"
        )
    if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool:
        raise TypeError(
            f"mask must be a boolean tensor, got {getattr(mask, 'dtype', type(mask).__name__)}"
        )
    if mask.shape not in (maps.shape, maps.shape[1:]):
        raise ValueError(
            f"mask must have shape {tuple(maps.shape)} or {tuple(maps.shape[1:])}, got "
            f"{tuple(mask.shape)}"
        )
    if not torch.isfinite(maps.detach()).all():
        raise ValueError("maps contains NaN or infinite values")


def top_k_share(maps: torch.Tensor, mask: torch.Tensor, k: int) -> torch.Tensor:
    """Fraction of each map's ``k`` highest pixels that lie inside ``mask``, (N,).

    The null to compare it with is the mask's share of the area, ``mask.float().mean((1, 2))``:
    what a random map scores on average. Ties are broken by position (row by row), so the result
    is deterministic.

    Parameters
    ----------
    maps : torch.Tensor
        (N, H, W) importance of each pixel (larger = more important).
    mask : torch.Tensor
        (N, H, W) or (H, W) boolean: the region (ink, object) to count.
    k : int
        How many of the top pixels to count, 1 ≤ k ≤ H·W.

    Examples
    --------
    >>> a = torch.tensor([[[3.0, 2.0], [1.0, 0.0]]])
    >>> m = torch.tensor([[True, False], [True, False]])
    >>> top_k_share(a, m, k=2)
    tensor([0.5000])
    """
    _check_maps_and_mask(maps, mask)
    n, h, w = maps.shape
    k = check_positive_int(k, "k")
    if k > h * w:
        raise ValueError(f"k = {k} is larger than the number of pixels ({h * w})")
    a = maps.detach()
    order = torch.argsort(a.reshape(n, -1), dim=1, descending=True, stable=True)[:, :k]
    m = mask.to(a.device).expand(n, h, w).reshape(n, -1)
    return m.gather(1, order).float().mean(1)


def top_fraction_share(one_map: torch.Tensor, mask: torch.Tensor, fraction: float = 0.1) -> float:
    """Share of one map's top ``fraction`` of pixels that lies inside ``mask``.

    :func:`top_k_share` for a single (H, W) map with k = int(H · W · fraction): the notebooks'
    "top 10 % on the cup". The null is the mask's share of the area.

    Parameters
    ----------
    one_map : torch.Tensor
        (H, W) importance of each pixel (larger = more important).
    mask : torch.Tensor
        (H, W) boolean: the region to count.
    fraction : float
        The top fraction of pixels to count, 0 < fraction ≤ 1 (at least one pixel).

    Examples
    --------
    >>> a = torch.tensor([[3.0, 2.0], [1.0, 0.0]])
    >>> top_fraction_share(a, torch.tensor([[True, False], [True, False]]), fraction=0.5)
    0.5
    """
    if one_map.dim() != 2:
        raise ValueError(f"one_map must be (H, W), got shape {tuple(one_map.shape)}")
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1], got {fraction}")
    k = max(1, int(one_map.numel() * fraction))
    return float(top_k_share(one_map[None], mask, k=k)[0])


def rank_correlation(
    a: torch.Tensor, b: torch.Tensor, mask: torch.Tensor | None = None
) -> torch.Tensor:
    """Spearman rank correlation between two batches of maps, one value per image (N,).

    Ties get their average rank (as :func:`scipy.stats.spearmanr`). A constant map has no
    ranking; its correlation is reported as 0.

    Parameters
    ----------
    a, b : torch.Tensor
        Maps (N, ...), the same shape.
    mask : torch.Tensor of bool, optional
        Shaped like ``a`` (N, ...): rank only the pixels where it is True, image by image (e.g. a
        digit's ink, so that pixels that are 0 in every map do not count as agreement). Each image
        needs at least two such pixels.

    Examples
    --------
    >>> a = torch.arange(6.0).view(1, 2, 3)
    >>> rank_correlation(a, a ** 2), rank_correlation(a, -a)
    (tensor([1.]), tensor([-1.]))
    >>> b = torch.tensor([[[0.0, 0.0, 0.0], [3.0, 5.0, 4.0]]])
    >>> rank_correlation(a, b, mask=torch.tensor([[[False] * 3, [True] * 3]]))
    tensor([0.5000])
    """
    from scipy.stats import rankdata

    for name, v in (("a", a), ("b", b)):
        if not isinstance(v, torch.Tensor):
            raise TypeError(
                f"{name} must be a torch.Tensor of maps (N, ...), got {type(v).__name__}"
            )
    if a.shape != b.shape or a.ndim < 2:
        raise ValueError(
            "a and b must be batches of maps with the same shape (N, ...), got "
            f"{tuple(a.shape)} and {tuple(b.shape)}"
        )
    if mask is not None:
        if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool or mask.shape != a.shape:
            raise ValueError(
                f"mask must be a bool tensor shaped like the maps {tuple(a.shape)}, got "
                f"{getattr(mask, 'dtype', type(mask).__name__)} {tuple(getattr(mask, 'shape', ()))}"
            )
        counts = mask.reshape(len(mask), -1).sum(1)
        if (counts < 2).any():
            raise ValueError(
                "mask must keep at least 2 pixels of every map; image "
                f"{int((counts < 2).nonzero()[0])} keeps {int(counts.min())}"
            )
        m = mask.to(a.device)
        if not (torch.isfinite(a).all() and torch.isfinite(b).all()):
            return torch.cat(
                [rank_correlation(a[i][m[i]][None], b[i][m[i]][None]) for i in range(len(a))]
            )
        # all images at once: the pixels outside the mask become +inf, so they rank after every
        # kept pixel and leave the kept pixels' (average) ranks as if ranked alone; they are then
        # left out of the correlation
        keep = m.detach().cpu().reshape(len(a), -1).double()
        inf = torch.tensor(float("inf"), dtype=torch.float64, device="cpu")
        ranks = [
            torch.from_numpy(
                rankdata(
                    torch.where(
                        keep > 0, v.detach().cpu().double().reshape(len(v), -1), inf
                    ).numpy(),
                    axis=1,
                )
            )
            for v in (a, b)
        ]
        n_kept = keep.sum(1, keepdim=True)
        ra, rb = ((r - (r * keep).sum(1, keepdim=True) / n_kept) * keep for r in ranks)
    else:
        ra = torch.from_numpy(
            rankdata(a.detach().cpu().double().reshape(len(a), -1).numpy(), axis=1)
        )
        rb = torch.from_numpy(
            rankdata(b.detach().cpu().double().reshape(len(b), -1).numpy(), axis=1)
        )
        ra, rb = ra - ra.mean(1, keepdim=True), rb - rb.mean(1, keepdim=True)
    denom = ra.norm(dim=1) * rb.norm(dim=1)
    rho = (ra * rb).sum(1) / denom.clamp(min=1e-12)
    return torch.where(denom > 0, rho, torch.zeros_like(rho)).float().to(a.device)


def total_variation(maps: torch.Tensor, normalize: bool = True) -> torch.Tensor:
    """Roughness of each map, (N,): mean |difference| between neighbouring pixels ÷ mean |value|.

    Scale-free (a map times 10 has the same figure); 0 for a constant map, about 1 or more for
    pixel noise. Smaller = smoother.

    ``normalize=False`` gives instead the plain anisotropic sum
    Σ |X_{i+1,j} − X_ij| + |X_{i,j+1} − X_ij| over every pixel (and channel) of each image, kept
    differentiable and in the input's dtype: the smoothness penalty of activation maximization.
    ``maps`` may then be (N, C, H, W).

    Examples
    --------
    >>> flat, noisy = torch.ones(1, 8, 8), torch.rand(1, 8, 8,
    ... generator=torch.Generator().manual_seed(0))
    >>> float(total_variation(flat)), float(total_variation(noisy)) > 0.3
    (0.0, True)
    >>> total_variation(torch.tensor([[[[0.0, 1.0], [0.0, 1.0]]]]), normalize=False)
    tensor([2.])
    """
    ndims = (3,) if normalize else (3, 4)
    if not isinstance(maps, torch.Tensor) or maps.ndim not in ndims:
        shapes = "(N, H, W)" if normalize else "(N, H, W) or (N, C, H, W)"
        raise ValueError(
            f"maps must be a tensor of shape {shapes}, got "
            f"{getattr(maps, 'shape', type(maps).__name__)}"
        )
    if not normalize:
        dy = (maps[..., 1:, :] - maps[..., :-1, :]).abs().flatten(1).sum(1)
        dx = (maps[..., :, 1:] - maps[..., :, :-1]).abs().flatten(1).sum(1)
        return dx + dy
    m = maps.detach().double()
    dx = (m[:, :, 1:] - m[:, :, :-1]).abs().mean(dim=(1, 2))
    dy = (m[:, 1:, :] - m[:, :-1, :]).abs().mean(dim=(1, 2))
    return ((dx + dy) / 2 / m.abs().mean(dim=(1, 2)).clamp(min=1e-12)).float()


def neighbour_correlation(maps: torch.Tensor) -> torch.Tensor:
    """Smoothness of each map, (N,): the correlation of every pixel with its right and lower
    neighbours.

    Pearson correlation between the map and the map shifted by one pixel, averaged over the two
    directions. Scale-free; about 0 for pixel noise, *also after averaging many noise maps* (unlike
    a total variation divided by the mean, which averaging noise drives towards 0); close to 1 for a
    map that varies smoothly. A constant map has no correlation; it is reported as 0.

    Examples
    --------
    >>> g = torch.Generator().manual_seed(0)
    >>> noise = torch.rand(1, 64, 64, generator=g)
    >>> ramp = torch.linspace(0, 1, 64).expand(64, 64)[None]
    >>> abs(float(neighbour_correlation(noise))) < 0.05, float(neighbour_correlation(ramp)) > 0.99
    (True, True)
    """
    if not isinstance(maps, torch.Tensor) or maps.ndim != 3:
        raise ValueError(
            "maps must be a tensor of shape (N, H, W), got "
            f"{getattr(maps, 'shape', type(maps).__name__)}"
        )
    if min(maps.shape[1:]) < 2:
        raise ValueError(f"maps must be at least 2×2 pixels, got {tuple(maps.shape[1:])}")
    m = maps.detach().double()
    if not torch.isfinite(m).all():
        raise ValueError("maps contain NaN or infinite values")
    out = []
    for a, b in ((m[:, :, 1:], m[:, :, :-1]), (m[:, 1:, :], m[:, :-1, :])):
        a = a.flatten(1) - a.flatten(1).mean(1, keepdim=True)
        b = b.flatten(1) - b.flatten(1).mean(1, keepdim=True)
        denom = a.norm(dim=1) * b.norm(dim=1)
        out.append(
            torch.where(
                denom > 0, (a * b).sum(1) / denom.clamp(min=1e-300), torch.zeros_like(denom)
            )
        )
    return ((out[0] + out[1]) / 2).float().to(maps.device)


def _region(maps: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Check a batch of maps (N, H, W) and a boolean region (N, H, W) or (H, W); return both as (N,
    H·W)."""
    _check_maps_and_mask(maps, mask)
    a = maps.detach().double()
    if (a < 0).any():
        raise ValueError(
            "maps must be non-negative (a share of mass): pass attr.abs() for signed maps"
        )
    n = a.shape[0]
    m = mask.to(a.device).expand(a.shape).reshape(n, -1)
    if not m.any(1).all() or m.all(1).any():
        raise ValueError(
            "mask must hold some pixels inside and some outside the region in every image"
        )
    return a.reshape(n, -1), m


def region_share(maps: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Share of each map's attribution mass that lies inside a region (background, object, ink),
    (N,).

    Σ_{i ∈ mask} a_i / Σ_i a_i for non-negative maps (pass ``attr.abs()`` for signed ones). The null
    is the region's share of the area, ``mask.float().mean()``: what a uniform map scores. A map
    with no mass at all has no share; it is reported as the area share.

    Examples
    --------
    >>> a = torch.tensor([[[3.0, 1.0], [0.0, 0.0]]])
    >>> m = torch.tensor([[True, False], [False, False]])
    >>> region_share(a, m)
    tensor([0.7500])
    >>> region_share(torch.ones(1, 2, 2), m)  # uniform map: the area share
    tensor([0.2500])
    """
    a, m = _region(maps, mask)
    total = a.sum(1)
    inside = (a * m).sum(1)
    area = m.double().mean(1)
    return torch.where(total > 0, inside / total.clamp(min=1e-300), area).float()


def region_density(maps: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Attribution density inside a region relative to outside it, (N,): mean a inside ÷ mean a
    outside.

    1 means the map is as dense in the region as elsewhere (the null of a uniform or random map);
    above 1, the region draws more attribution per pixel than the rest. Unlike :func:`region_share`
    it does not grow with the region's area. A map with no mass outside gives ``inf``; no mass at
    all, ``nan``.

    Examples
    --------
    >>> a = torch.tensor([[[3.0, 1.0], [1.0, 1.0]]])
    >>> m = torch.tensor([[True, False], [False, False]])
    >>> region_density(a, m)
    tensor([3.])
    >>> region_density(torch.ones(1, 2, 2), m)
    tensor([1.])
    """
    a, m = _region(maps, mask)
    inside = (a * m).sum(1) / m.sum(1)
    outside = (a * ~m).sum(1) / (~m).sum(1)
    return (inside / outside).float()


@dataclass(frozen=True)
class Prediction:
    """One image's prediction and the saliency map of the predicted class
    (:func:`explain_prediction`; drawn by :func:`xai_helpers.plotting.show_prediction`).

    Attributes
    ----------
    probs : torch.Tensor
        (K,) class probabilities.
    predicted : int
        The most probable class.
    saliency : torch.Tensor
        (H, W) saliency map of ``predicted`` (max over channels).
    background_density : float or None
        :func:`region_density` of the saliency on the background (outside the mask) relative to the
        foreground; 1 for a uniform map. ``None`` without a mask.
    """

    probs: torch.Tensor
    predicted: int
    saliency: torch.Tensor
    background_density: float | None


def explain_prediction(
    model: nn.Module, x: torch.Tensor, mask: torch.Tensor | None = None
) -> Prediction:
    """Predict one image ``x`` (C, H, W), take the saliency of the predicted class and, given the
    foreground ``mask`` (H, W), its density on the background relative to the foreground.

    Examples
    --------
    >>> from xai_helpers.models import MonsterCNN
    >>> x, mask = torch.rand(3, 48, 48), torch.zeros(48, 48, dtype=torch.bool)
    >>> mask[12:36, 12:36] = True
    >>> pred = explain_prediction(MonsterCNN(), x, mask)
    >>> pred.saliency.shape, pred.predicted == int(pred.probs.argmax())
    (torch.Size([48, 48]), True)
    >>> sal = pred.saliency
    >>> inside, outside = float(sal[mask].mean()), float(sal[~mask].mean())
    >>> abs(pred.background_density - outside / inside) < 1e-5
    True
    """
    if not isinstance(x, torch.Tensor) or x.ndim != 3:
        raise ValueError(f"x must be one image (C, H, W), got {getattr(x, 'shape', type(x))}")
    probs = predict_proba(model, x[None])[0]
    k = int(probs.argmax())
    sal = saliency(model, x[None], target=k)[0]
    density = None
    if mask is not None:
        if (
            not isinstance(mask, torch.Tensor)
            or mask.dtype != torch.bool
            or mask.shape != sal.shape
        ):
            raise ValueError(f"mask must be a boolean tensor of shape {tuple(sal.shape)}")
        density = float(region_density(sal[None], ~mask[None].to(sal.device))[0])
    return Prediction(probs, k, sal, density)


def smoothgrad_stability(
    model: nn.Module,
    x: torch.Tensor,
    target: int | Sequence[int] | torch.Tensor,
    sigma: float,
    ns: Sequence[int],
    seeds: tuple[int, int] = (0, 1),
    batch_size: int = 64,
) -> torch.Tensor:
    """How alike two SmoothGrad runs with different noise are, for each number of samples in ``ns``.

    Two independent runs of ``max(ns)`` samples are drawn once; for each n the maps made of their
    first n samples are compared by Pearson correlation, averaged over the images. Near 1 means
    the map no longer depends on the luck of the noise.

    Returns
    -------
    torch.Tensor
        (len(ns),) mean correlation between the two runs.

    Examples
    --------
    >>> from xai_helpers.models import MnistCNN
    >>> smoothgrad_stability(MnistCNN(), torch.rand(2, 1, 28, 28), 0, 0.1, [1, 4]).shape
    torch.Size([2])
    """
    ns = [check_positive_int(k, "n_samples") for k in ns]
    runs = [
        smoothgrad_samples(model, x, target, sigma, max(ns), seed=s, batch_size=batch_size)
        for s in seeds
    ]
    out = []
    for k in ns:
        a, b = (reduce_channels(r[:k].mean(0), "max").flatten(1).double() for r in runs)
        a, b = a - a.mean(1, keepdim=True), b - b.mean(1, keepdim=True)
        out.append(
            float(((a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1)).clamp(min=1e-12)).mean())
        )
    return torch.tensor(out, device=x.device)


def cascading_randomization(
    model: nn.Module, layers: Sequence[str] | None = None, seed: int = 0
) -> Iterator[tuple[str, nn.Module]]:
    """Yield ``(layer, model copy)`` with that layer and every layer above it re-initialised.

    Adebayo et al.'s *cascading* randomization: the first copy has only the top layer random,
    the last has all of ``layers`` random. The original model is not changed. Re-initialisation
    uses each layer's own ``reset_parameters()`` under ``torch.manual_seed(seed + i)``, so the same
    seed gives the same copies.

    Parameters
    ----------
    layers : sequence of str, optional
        Layer names in the order to randomise (default: :func:`randomizable_layers`, top down).

    Examples
    --------
    >>> from xai_helpers.models import MnistCNN
    >>> [name for name, _ in cascading_randomization(MnistCNN())]
    ['fc2', 'fc1', 'conv2', 'conv1']
    """
    names = list(randomizable_layers(model) if layers is None else layers)
    seed = check_seed(seed)
    for name in names:
        if not isinstance(name, str) or not hasattr(check_layer(model, name), "reset_parameters"):
            raise ValueError(
                f"layer {name!r} is not a re-initialisable layer of the model; choose from "
                f"{randomizable_layers(model)}"
            )
    rand = copy.deepcopy(model).eval()
    for i, name in enumerate(names):
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed + i)
            check_layer(rand, name).reset_parameters()
        yield name, copy.deepcopy(rand)


def once_per_model(
    explain: Callable[[nn.Module, torch.Tensor, torch.Tensor], torch.Tensor],
) -> Callable[[nn.Module, torch.Tensor, torch.Tensor], torch.Tensor]:
    """Wrap a *deterministic* ``explain(model, x, target)``: each model explains each input once.

    The wrapper keeps every model it has seen (so that no two models are confused) with its inputs
    and maps; a later call with the same model object and equal ``x`` and ``target`` returns the
    stored maps. Use it where one network's maps are needed several times (the trained model in
    every run of :func:`randomization_check`), or where two methods share one computation (signed
    maps and their absolute value). Never wrap a method that draws fresh randomness on each call.

    Examples
    --------
    >>> calls = []
    >>> def explain(m, x, t):
    ...     calls.append(1)
    ...     return x[:, 0] * 2
    >>> once = once_per_model(explain)
    >>> net, x, t = nn.Identity(), torch.ones(2, 1, 3, 3), torch.zeros(2, dtype=torch.long)
    >>> bool(torch.equal(once(net, x, t), once(net, x.clone(), t))), len(calls)
    (True, 1)
    >>> _ = once(nn.Identity(), x, t)  # another model object: explained anew
    >>> len(calls)
    2
    """
    if not callable(explain):
        raise TypeError("explain must be a function explain(model, x, target) -> maps")
    seen: list[tuple[nn.Module, torch.Tensor, torch.Tensor, torch.Tensor]] = []

    def wrapped(model: nn.Module, x: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        t = torch.as_tensor(target, device=x.device)
        for m, xs, ts, maps in seen:
            same = m is model and xs.shape == x.shape and ts.shape == t.shape
            if same and torch.equal(xs, x) and torch.equal(ts, t):
                return maps
        maps = explain(model, x, target)
        seen.append((model, x.detach().clone(), t.clone(), maps))
        return maps

    return wrapped


def randomization_check(
    model: nn.Module,
    x: torch.Tensor,
    target: int | Sequence[int] | torch.Tensor,
    explain: Callable[[nn.Module, torch.Tensor, torch.Tensor], torch.Tensor],
    layers: Sequence[str] | None = None,
    seed: int = 0,
    mask: torch.Tensor | None = None,
    masks: dict[str, torch.Tensor | None] | None = None,
    maps_out: dict[str, torch.Tensor] | None = None,
) -> dict[str, float] | dict[str, dict[str, float]]:
    """Model-parameter randomization test: how much does an explanation depend on the weights?

    ``explain(model, x, target)`` returns maps (N, H, W) (or any (N, ...) shape). They are computed
    for the trained model and for each cascading randomization (top layer first); the mean Spearman
    rank correlation with the trained model's maps is returned for each step. A method that explains
    the model should fall towards 0 as more layers are randomised. With ``mask`` (bool, shaped like
    the maps) only the pixels where it is True are ranked (see :func:`rank_correlation`): on MNIST,
    the ink, because a map that is 0 wherever the input is 0 agrees there in every network.

    ``masks`` (a dict ``{name: mask or None}``, instead of ``mask``) scores the same maps under
    several masks: each network is explained once, however many masks.

    ``maps_out`` (a dict, optional) receives the maps themselves: ``{"trained": maps, "<top
    layer>": maps, ...}``, so that they can be shown or scored again without a second computation.

    Returns
    -------
    dict
        ``{"trained": rho, "<top layer>": rho, ..., "<bottom layer>": rho}`` in randomization order;
        ``"trained"`` compares the trained model's maps with a second call on the same model (1
        for a deterministic method). With ``masks``: ``{name: that dict}``.

    Examples
    --------
    >>> from xai_helpers.attribution import saliency
    >>> from xai_helpers.models import MnistCNN
    >>> rhos = randomization_check(MnistCNN(), torch.rand(2, 1, 28, 28), 0, saliency)
    >>> list(rhos)
    ['trained', 'fc2', 'fc1', 'conv2', 'conv1']
    """
    if not callable(explain):
        raise TypeError("explain must be a function explain(model, x, target) -> maps")
    if masks is not None and (mask is not None or not isinstance(masks, dict) or not masks):
        raise ValueError("give either mask or masks, a non-empty dict {name: mask or None}")
    if maps_out is not None and not isinstance(maps_out, dict):
        raise TypeError("maps_out must be a dict (it receives {step: maps})")
    x, t, _ = prepare_batch(model, x, target)
    kept = {} if maps_out is None else maps_out
    scored = {None: mask} if masks is None else masks
    reference = explain(model, x, t)
    kept["trained"] = reference

    def score(maps: torch.Tensor) -> dict:
        return {
            k: float(rank_correlation(reference, maps, mask=m).mean()) for k, m in scored.items()
        }

    # the trained model explained a second time: 1 for a deterministic method, ≈ 0 for a map that
    # is drawn afresh on every call (a random map), never a value set by hand
    steps = {"trained": score(explain(model, x, t))}
    for name, rand in cascading_randomization(model, layers, seed):
        kept[name] = explain(rand, x, t)
        steps[name] = score(kept[name])
    by_mask = {k: {s: v[k] for s, v in steps.items()} for k in scored}
    return by_mask if masks else by_mask[None]


def randomization_scores(
    maps: dict[str, torch.Tensor],
    mask: torch.Tensor | None = None,
    masks: dict[str, torch.Tensor | None] | None = None,
) -> dict[str, float] | dict[str, dict[str, float]]:
    """Score maps kept by :func:`randomization_check` (``maps_out``), or a transform of them.

    Each step's maps are compared with ``maps["trained"]`` by the mean Spearman rank correlation,
    as in :func:`randomization_check`. Use it for a map derived from another method's maps (its
    magnitude, its positive part) without explaining every randomised network again. The
    ``"trained"`` point compares the trained maps with themselves (1), which is what a second call
    of a deterministic method gives; do not use it for a method that draws fresh randomness.

    Examples
    --------
    >>> from xai_helpers.attribution import saliency
    >>> from xai_helpers.models import MnistCNN
    >>> x, kept = torch.rand(2, 1, 28, 28), {}
    >>> rhos = randomization_check(MnistCNN(), x, 0, saliency, maps_out=kept)
    >>> again = randomization_scores(kept)
    >>> all(abs(again[k] - rhos[k]) < 1e-6 for k in rhos)
    True
    """
    if not isinstance(maps, dict) or "trained" not in maps:
        raise ValueError("maps must be a dict {'trained': maps, step: maps, ...} (see maps_out)")
    if masks is not None and (mask is not None or not isinstance(masks, dict) or not masks):
        raise ValueError("give either mask or masks, a non-empty dict {name: mask or None}")
    scored = {None: mask} if masks is None else masks
    reference = maps["trained"]
    by_mask = {
        k: {s: float(rank_correlation(reference, m, mask=msk).mean()) for s, m in maps.items()}
        for k, msk in scored.items()
    }
    return by_mask if masks else by_mask[None]


# =========================================================================== the judges
# Moved here from the old ``visualization`` module: does an image made for class i show an i?
# Ask an independent classifier (notebooks 07-08). Kept as one section at the end of the module.


@torch.no_grad()
def judge_probabilities(judge, x: torch.Tensor) -> torch.Tensor:
    """The class probabilities a judge gives each image: (N, classes), on the CPU.

    ``judge`` is a torch classifier (logits; softmax applied) or a fitted scikit-learn classifier
    of flattened pixels (e.g. :func:`pixel_knn_judge`).

    Examples
    --------
    >>> from xai_helpers.models import MnistJudge
    >>> p = judge_probabilities(MnistJudge(), torch.zeros(2, 1, 28, 28))
    >>> p.shape, bool(torch.allclose(p.sum(1), torch.ones(2)))
    (torch.Size([2, 10]), True)
    """
    check_image_batch(x, "x")
    if isinstance(judge, nn.Module):
        return predict_proba(judge, x).cpu()
    if hasattr(judge, "predict_proba"):  # a fitted scikit-learn classifier on flattened pixels
        classes = [int(c) for c in getattr(judge, "classes_", [])]
        if classes != list(
            range(len(classes))
        ):  # its probability columns follow classes_, not the class index
            raise ValueError(
                "a scikit-learn judge must be fitted on the classes 0..K-1 (its columns "
                f"are its classes_), got classes {classes[:12]}"
            )
        return torch.as_tensor(
            judge.predict_proba(x.flatten(1).cpu().numpy()), dtype=torch.float32, device="cpu"
        )  # on the CPU, like predict_proba
    raise TypeError(
        "judge must be a torch classifier or a fitted scikit-learn classifier, got "
        f"{type(judge).__name__}"
    )


def judge_labels(judge, x: torch.Tensor) -> torch.Tensor:
    """The class a judge reads in each image (its most probable class): (N,) int64, on the CPU.

    Examples
    --------
    >>> from xai_helpers.models import MnistJudge
    >>> judge_labels(MnistJudge(), torch.zeros(3, 1, 28, 28)).shape
    torch.Size([3])
    """
    return judge_probabilities(judge, x).argmax(1)


@torch.no_grad()
def judge_agreement(
    judge, x: torch.Tensor, target: int | Sequence[int]
) -> tuple[float, torch.Tensor]:
    """Ask an independent classifier what each image shows: the fraction it calls the ``target``
    class.

    ``judge`` is a torch classifier (logits) or a fitted scikit-learn classifier of flattened
    pixels (e.g. :func:`pixel_knn_judge`); ``x`` the images (N, C, H, W); ``target`` the class each
    was made for (one int or N ints).

    Returns
    -------
    (float, torch.Tensor)
        The agreement (fraction of images whose judged class is the target) and the judge's
        probability of the target for each image.

    Examples
    --------
    The shipped judge on 200 real test digits, asked "is this the digit it is labelled?":

    >>> from xai_helpers.data import load_mnist
    >>> from xai_helpers.models import load_pretrained
    >>> m = load_mnist()
    >>> frac, p = judge_agreement(load_pretrained("mnist_judge"), m.X_test[:200], m.y_test[:200])
    >>> round(frac, 3), p.shape
    (0.985, torch.Size([200]))
    """
    probs = judge_probabilities(judge, x)
    t = check_target(list(target) if isinstance(target, range) else target, len(x), probs.shape[1])
    agree = (probs.argmax(1) == t.to(probs.device)).float().mean().item()
    return agree, probs.gather(1, t[:, None].to(probs.device))[:, 0].to(x.device)


def pixel_knn_judge(x: torch.Tensor, y: torch.Tensor, k: int = 5):
    """A judge that knows only what real digits look like: k nearest neighbours in pixel space
    (scikit-learn).

    It calls an image digit ``i`` when its closest training digits (Euclidean distance between
    pixels) are mostly ``i`` — a judge with no convolutions and no gradients to be fooled by. It is
    not fool-proof: from a noise image every training digit is about equally far, so a small push
    toward one class's strokes decides its vote (notebook 07).
    ``x``: the real images (N, C, H, W); ``y``: their true labels (N,).

    Examples
    --------
    >>> from xai_helpers.data import load_mnist
    >>> mnist = load_mnist()
    >>> knn = pixel_knn_judge(mnist.X_train, mnist.y_train)
    >>> judge_agreement(knn, mnist.X_test[:50], mnist.y_test[:50])[0] > 0.8
    True
    """
    from sklearn.neighbors import KNeighborsClassifier

    check_image_batch(x, "x")
    k = check_int(k, "k", minimum=1)
    y = check_labels(y, len(x), "y")
    return KNeighborsClassifier(n_neighbors=k).fit(x.flatten(1).cpu().numpy(), y)


def pixel_linear_judge(x: torch.Tensor, y: torch.Tensor, c: float = 0.05):
    """A judge with no convolutions: multinomial logistic regression on the raw pixels
    (scikit-learn, L2-penalized with inverse strength ``c``).

    One weight per pixel and class: it reads an image as the class whose *average* stroke layout it
    overlaps most. ``x``: the real images (N, C, H, W); ``y``: their labels (N,).

    Examples
    --------
    >>> from xai_helpers.data import load_mnist
    >>> mnist = load_mnist()
    >>> lin = pixel_linear_judge(mnist.X_train[:1000], mnist.y_train[:1000])
    >>> judge_agreement(lin, mnist.X_test[:100], mnist.y_test[:100])[0] > 0.8
    True
    """
    from sklearn.linear_model import LogisticRegression

    check_image_batch(x, "x")
    y = check_labels(y, len(x), "y")
    if not c > 0:
        raise ValueError(f"c must be positive, got {c}")
    return LogisticRegression(C=c, max_iter=300).fit(x.flatten(1).cpu().numpy(), y)


def pixel_forest_judge(x: torch.Tensor, y: torch.Tensor, n_trees: int = 60, seed: int = 0):
    """A judge with no gradients at all: a random forest on the raw pixels (scikit-learn; Breiman
    2001).

    Its decisions are thresholds on single pixels, so the gradient an ascent follows on a CNN says
    nothing about it. ``x``: the real images (N, C, H, W); ``y``: their labels (N,).

    Examples
    --------
    >>> from xai_helpers.data import load_mnist
    >>> mnist = load_mnist()
    >>> forest = pixel_forest_judge(mnist.X_train[:1000], mnist.y_train[:1000], n_trees=20)
    >>> judge_agreement(forest, mnist.X_test[:100], mnist.y_test[:100])[0] > 0.8
    True
    """
    from sklearn.ensemble import RandomForestClassifier

    check_image_batch(x, "x")
    y = check_labels(y, len(x), "y")
    n_trees = check_positive_int(n_trees, "n_trees")
    forest = RandomForestClassifier(n_estimators=n_trees, random_state=check_seed(seed), n_jobs=1)
    return forest.fit(x.flatten(1).cpu().numpy(), y)


def pixel_mlp_judge(x: torch.Tensor, y: torch.Tensor, hidden: int = 32, seed: int = 0):
    """A smooth non-linear judge with no convolutions: a one-hidden-layer perceptron on the raw
    pixels (scikit-learn ``MLPClassifier``, ReLU, Adam, 20 epochs).

    Like the logistic judge it responds smoothly to every pixel, unlike it the response is not
    linear; unlike the forest and nearest-neighbour judges it has no thresholds on single pixels.
    ``x``: the real images (N, C, H, W); ``y``: their labels (N,).

    Examples
    --------
    >>> from xai_helpers.data import load_mnist
    >>> mnist = load_mnist()
    >>> mlp = pixel_mlp_judge(mnist.X_train[:1000], mnist.y_train[:1000])
    >>> judge_agreement(mlp, mnist.X_test[:100], mnist.y_test[:100])[0] > 0.8
    True
    """
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    check_image_batch(x, "x")
    y = check_labels(y, len(x), "y")
    hidden = check_positive_int(hidden, "hidden")
    mlp = MLPClassifier(hidden_layer_sizes=(hidden,), max_iter=20, random_state=check_seed(seed))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return mlp.fit(x.flatten(1).cpu().numpy(), y)


def judge_gains(
    judges: dict,
    before: torch.Tensor,
    after: torch.Tensor,
    target: Sequence[int],
    seed: int = 0,
) -> dict[str, tuple[float, float, Estimate]]:
    """For each judge: its mean probability of the target on ``before`` and on ``after`` (the same
    starts, e.g. without and with a prior), and the paired-bootstrap estimate of the change.

    Returns
    -------
    dict
        Judge name → ``(mean p before, mean p after, Estimate of the mean per-image change)``.

    Examples
    --------
    >>> from xai_helpers.models import MnistCNN
    >>> x = torch.rand(4, 1, 28, 28)
    >>> g = judge_gains({"cnn": MnistCNN().eval()}, x, x, [0, 1, 2, 3])
    >>> g["cnn"][2].value
    0.0
    """
    if before.shape != after.shape:
        raise ValueError(
            f"before and after must be the same images' two versions, got shapes "
            f"{tuple(before.shape)} and {tuple(after.shape)}"
        )
    out = {}
    for name, j in judges.items():
        pa = judge_agreement(j, before, target)[1].cpu().numpy()
        pb = judge_agreement(j, after, target)[1].cpu().numpy()
        out[name] = (float(pa.mean()), float(pb.mean()), paired_bootstrap(pa, pb, seed=seed))
    return out


def gains_table(gains: dict[str, tuple[float, float, Estimate]]) -> str:
    """One line per judge from :func:`judge_gains`: mean p(target) before → after, the change with
    its interval, and whether the interval excludes 0.

    Examples
    --------
    >>> print(gains_table({"kNN": (0.1, 0.3, Estimate(0.2, 0.1, 0.3))}))
    kNN        mean p(target) 0.100 -> 0.300, change 0.200 [0.100, 0.300]: a change
    """
    lines = []
    for name, (before, after, est) in gains.items():
        verdict = "no measurable change" if est.low <= 0 <= est.high else "a change"
        lines.append(
            f"{name:10s} mean p(target) {before:.3f} -> {after:.3f}, change {est}: {verdict}"
        )
    return "\n".join(lines)


class ClassSpread(NamedTuple):
    """How unevenly a reader spreads its labels over the classes (see :func:`class_spread`)."""

    smallest: float
    largest: float
    spread: Estimate

    def __str__(self) -> str:
        return (
            f"{self.smallest:.2f}-{self.largest:.2f} "
            f"(spread [{self.spread.low:.2f}, {self.spread.high:.2f}])"
        )


def class_spread(
    labels: torch.Tensor, n_classes: int = 10, n_boot: int = 300, seed: int = 0
) -> ClassSpread:
    """The smallest and largest class share among ``labels`` and their difference, the *spread*,
    with a 95 % percentile-bootstrap interval over resampled images (Efron 1979).

    A reader that labels a balanced set evenly has a spread near 0; a spread on a generator's
    samples says only that *this reader* reads them unevenly (on ambiguous images each reader has
    its own bias), so compare it with the reader's spread on a balanced, equally ambiguous set.

    Examples
    --------
    >>> s = class_spread(torch.tensor([0, 0, 1, 1] * 5), n_classes=2)
    >>> s.smallest, s.largest, s.spread.value
    (0.5, 0.5, 0.0)
    """
    lab = torch.as_tensor(labels, device="cpu").long().flatten()  # counting is CPU work
    if lab.numel() < 2 or (lab < 0).any() or (lab >= n_classes).any():
        raise ValueError(f"labels must be >= 2 class indices in [0, {n_classes}), got {lab[:5]}")
    n = lab.numel()
    share = torch.bincount(lab, minlength=n_classes) / n
    gen = torch.Generator().manual_seed(seed)
    boot = torch.randint(n, (n_boot, n), generator=gen, device="cpu")
    sh = torch.stack([torch.bincount(lab[b], minlength=n_classes) for b in boot]) / n
    q = torch.tensor([0.025, 0.975], device="cpu")
    lo, hi = torch.quantile(sh.max(1).values - sh.min(1).values, q)
    spread = Estimate(float(share.max() - share.min()), float(lo), float(hi))
    return ClassSpread(float(share.min()), float(share.max()), spread)


def ink_matched(reference: torch.Tensor, x: torch.Tensor, seed: int = 0) -> torch.Tensor:
    """The *ink-matched* null: each ``reference`` image cut to its brightest pixels (set to 1, the
    rest 0), as many as the matching image of ``x`` has ink (its pixel sum, rounded).

    A prior that only removes ink would make images as "digit-like" as this; what it adds beyond
    it is its shape. Ties among equally bright pixels (a saturated X* has many pixels at 1) are
    broken at random, so that the cut does not favour the image's top rows.

    Parameters
    ----------
    reference : torch.Tensor
        (N, C, H, W) images to cut (e.g. plain X*).
    x : torch.Tensor
        (N, C, H, W) images whose ink each cut image gets (e.g. X* with a prior, same starts).
    seed : int
        Seed of the random tie order.

    Examples
    --------
    >>> ref = torch.arange(4.0).view(1, 1, 2, 2) / 4
    >>> ink_matched(ref, torch.full((1, 1, 2, 2), 0.5)).flatten().tolist()
    [0.0, 0.0, 1.0, 1.0]
    """
    check_image_batch(reference, "reference")
    check_image_batch(x, "x")
    if reference.shape != x.shape:
        raise ValueError(
            f"reference and x must be the same starts' images, got shapes "
            f"{tuple(reference.shape)} and {tuple(x.shape)}"
        )
    flat = reference.flatten(1)
    g = torch.Generator().manual_seed(seed)
    n = flat.shape[1]
    perm = torch.stack([torch.randperm(n, generator=g).to(flat.device) for _ in range(len(flat))])
    order = flat.gather(1, perm).argsort(dim=1, descending=True, stable=True)  # random ties
    rank = torch.empty_like(perm).scatter_(1, perm, order.argsort(1))  # 0 = brightest pixel
    n_ink = x.flatten(1).sum(1).round()[:, None]
    return (rank < n_ink).to(reference.dtype).view_as(reference)


def stroke_orientation(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The dominant stroke orientation of each image (or group of images) and how strongly it
    dominates, from the structure tensor (Bigün & Granlund 1987).

    The pixel gradients ``(g_x, g_y)`` (central differences, both taken at the same pixel, so that
    on pixel noise ``g_x`` and ``g_y`` share no pixel and are uncorrelated) are summed into
    ``J = Σ [g_x², g_x g_y; g_x g_y, g_y²]``; the dominant gradient direction is
    ``½·atan2(2J_xy, J_xx − J_yy)`` and a stroke runs across it (+90°). Coherence
    ``√((J_xx − J_yy)² + 4J_xy²) / (J_xx + J_yy)`` is 1 for parallel strokes and near 0 for blobs
    or pixel noise with no preferred direction (it shrinks like 1/√pixels on noise).

    Parameters
    ----------
    x : torch.Tensor
        (N, 1, H, W) images, one orientation each; or (N, K, 1, H, W), one orientation for each
        group of K images (their tensors summed, e.g. a filter's K top patches).

    Returns
    -------
    (torch.Tensor, torch.Tensor)
        Angle in degrees in [0, 180) (0 = horizontal, growing clockwise on screen because image
        rows grow downwards) and coherence in [0, 1], each (N,).

    Examples
    --------
    >>> stripes = torch.zeros(1, 1, 9, 9)
    >>> stripes[..., ::3, :] = 1.0  # horizontal lines
    >>> angle, coherence = stroke_orientation(stripes)
    >>> round(angle.item()), round(coherence.item(), 2)
    (0, 1.0)
    >>> round(stroke_orientation(stripes.transpose(-1, -2))[0].item())
    90
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
    if x.ndim not in (4, 5) or x.shape[-3] != 1 or min(x.shape[-2:]) < 2:
        raise ValueError(
            f"x must be (N, 1, H, W) or (N, K, 1, H, W) grey images, got shape {tuple(x.shape)}"
        )
    if not torch.isfinite(x).all():
        raise ValueError("x contains NaN or inf")
    img = x.detach().float().cpu()
    if min(x.shape[-2:]) < 3:
        raise ValueError(f"x must be at least 3×3 pixels, got shape {tuple(x.shape)}")
    gx = (img[..., :, 2:] - img[..., :, :-2])[..., 1:-1, :]  # both at pixel (i, j), 1 ≤ i, j
    gy = (img[..., 2:, :] - img[..., :-2, :])[..., :, 1:-1]
    dims = tuple(range(1, img.ndim))
    jxx, jyy, jxy = ((a * b).sum(dims) for a, b in ((gx, gx), (gy, gy), (gx, gy)))
    grad_angle = 0.5 * torch.atan2(2 * jxy, jxx - jyy)
    coherence = torch.sqrt((jxx - jyy) ** 2 + 4 * jxy**2) / (jxx + jyy).clamp_min(1e-12)
    return (torch.rad2deg(grad_angle) + 90.0) % 180.0, coherence


def angle_difference(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """The difference between two orientations in degrees, in [0, 90] (orientations are modulo
    180°: a stroke at 170° is 20° from one at 10°).

    Examples
    --------
    >>> angle_difference(torch.tensor([170.0, 45.0]), torch.tensor([10.0, 135.0])).tolist()
    [20.0, 90.0]
    """
    a = torch.as_tensor(a, dtype=torch.float32, device="cpu")
    b = torch.as_tensor(b, dtype=torch.float32, device="cpu")
    d = (a - b).abs() % 180.0
    return torch.minimum(d, 180.0 - d)


def shuffled_match_null(
    a: torch.Tensor, b: torch.Tensor, n_shuffles: int = 1000, seed: int = 0
) -> torch.Tensor:
    """The null of "orientation ``a[k]`` matches ``b[k]``": the median angle difference when the
    pairing is shuffled (``a[k]`` against ``b[π(k)]``, π a random permutation), once per shuffle.

    The shuffled pairs have the same orientations, only mismatched: a real match must give a median
    difference below most of these (n_shuffles,) values.

    Examples
    --------
    >>> a = torch.tensor([0.0, 45.0, 90.0, 135.0])
    >>> null = shuffled_match_null(a, a, n_shuffles=200)
    >>> bool(null.median() > angle_difference(a, a).median())
    True
    """
    a = torch.as_tensor(a, dtype=torch.float32, device="cpu")
    b = torch.as_tensor(b, dtype=torch.float32, device="cpu")
    if a.ndim != 1 or a.shape != b.shape or len(a) < 2:
        raise ValueError(f"a and b must be 1-D of one length >= 2, got {a.shape} and {b.shape}")
    n_shuffles = check_positive_int(n_shuffles, "n_shuffles")
    g = torch.Generator().manual_seed(check_seed(seed))
    return torch.stack(
        [
            angle_difference(a, b[torch.randperm(len(b), generator=g, device="cpu")]).median()
            for _ in range(n_shuffles)
        ]
    )


@torch.no_grad()
def logit_margin(
    model: nn.Module, x: torch.Tensor, target: int | Sequence[int], batch_size: int = 256
) -> tuple[torch.Tensor, torch.Tensor]:
    """The target's logit and its margin (the logit minus the largest other logit), (N,) each.

    Where the softmax saturates (p = 1.000 to three decimals once the margin exceeds ~7), the
    logit and the margin still say how strongly the model prefers one image to another.

    Examples
    --------
    >>> lin = nn.Sequential(nn.Flatten(), nn.Linear(1, 3))
    >>> with torch.no_grad():
    ...     _ = lin[1].weight.copy_(torch.tensor([[1.0], [3.0], [0.0]]))
    ...     _ = lin[1].bias.zero_()
    >>> logit, margin = logit_margin(lin, torch.ones(1, 1, 1, 1), [0])
    >>> logit.tolist(), margin.tolist()
    ([1.0], [-2.0])
    """
    x, t, dev = prepare_batch(model, x, target)
    y = torch.cat(
        [model(x[i : i + batch_size].to(dev)).cpu() for i in range(0, len(x), batch_size)]
    )
    check_classes(t, y)
    if y.shape[1] < 2:
        raise ValueError(f"a margin needs at least 2 classes, the model has {y.shape[1]}")
    logit = y.gather(1, t[:, None])[:, 0]
    others = y.scatter(1, t[:, None], float("-inf"))
    return logit, logit - others.max(1).values


def nearest_distance(
    x: torch.Tensor, reference: torch.Tensor, batch_size: int = 256
) -> torch.Tensor:
    """Euclidean pixel distance from each image to its nearest image in ``reference``, (N,).

    "How close to a real digit is this picture?": small for images near one real example, large
    for tangles, whatever class they are.

    Examples
    --------
    >>> ref = torch.zeros(2, 1, 2, 2)
    >>> ref[1] = 1.0
    >>> round(nearest_distance(torch.full((1, 1, 2, 2), 0.9), ref).item(), 3)
    0.2
    """
    check_image_batch(x, "x")
    check_image_batch(reference, "reference")
    if x.shape[1:] != reference.shape[1:]:
        raise ValueError(
            f"x and reference must hold images of one shape, got {tuple(x.shape[1:])} and "
            f"{tuple(reference.shape[1:])}"
        )
    r = reference.flatten(1).float().cpu()
    out = [
        torch.cdist(x[i : i + batch_size].flatten(1).float().cpu(), r).min(1).values
        for i in range(0, len(x), batch_size)
    ]
    return torch.cat(out)


def blur_at_equal_ink(x: torch.Tensor, times: int = 3) -> torch.Tensor:
    """The images blurred ``times`` times by the 3×3 binomial kernel [1 2 1]ᵀ[1 2 1] / 16, each
    rescaled to its own ink (sum of pixels) and clipped to [0, 1]: the *blur null* of a distance
    to real images. A distance that falls when an image is blurred rewards diffuse, average-looking
    pictures rather than handwriting.

    Examples
    --------
    >>> x = torch.zeros(1, 1, 5, 5); x[0, 0, 2, 2] = 1.0
    >>> b = blur_at_equal_ink(x, times=1)
    >>> round(b.sum().item(), 3), round(b.max().item(), 3)
    (1.0, 0.25)
    """
    x = check_image_batch(x, "x")
    times = check_int(times, "times", minimum=0)
    k = torch.tensor([1.0, 2.0, 1.0], device=x.device)
    kernel = (torch.outer(k, k) / 16).expand(x.shape[1], 1, 3, 3)
    b = x.float()
    for _ in range(times):
        b = nn.functional.conv2d(b, kernel, padding=1, groups=x.shape[1])
    scale = x.flatten(1).sum(1) / b.flatten(1).sum(1).clamp_min(1e-12)
    return (b * scale[:, None, None, None]).clamp(0, 1)


def within_class_distance(x: torch.Tensor, labels: torch.Tensor) -> float:
    """Diversity of a set of images: the mean L2 distance between two different images of the same
    class, averaged over the classes that hold at least two images (each class weighs the same).
    Near-duplicates (a search that collapses onto one template) make it small.

    Examples
    --------
    >>> x = torch.zeros(4, 1, 2, 2); x[1, 0, 0, 0] = 3.0; x[3, 0, 1, 1] = 4.0
    >>> within_class_distance(x, torch.tensor([0, 0, 1, 1]))
    3.5
    >>> within_class_distance(x[[0, 0]], torch.tensor([5, 5]))
    0.0
    """
    x = check_image_batch(x, "x")
    labels = torch.as_tensor(labels).to(x.device)
    if len(labels) != len(x):
        raise ValueError(f"got {len(labels)} labels for {len(x)} images")
    flat, means = x.flatten(1).float(), []
    for c in labels.unique():
        group = flat[labels == c]
        if len(group) >= 2:
            d = torch.cdist(group, group)
            means.append(d.sum() / (len(group) * (len(group) - 1)))
    if not means:
        raise ValueError("no class holds two images")
    return round(torch.stack(means).mean().item(), 6)


def balanced_pick(
    labels: torch.Tensor, per_class: int, keep: torch.Tensor | None = None, seed: int = 0
) -> torch.Tensor:
    """Indices of ``per_class`` items of every class, drawn at random (without replacement) among
    the items where ``keep`` is True: a null with the same class mix as a balanced search. The
    indices are returned on the CPU.

    Raises ValueError when a class has fewer than ``per_class`` eligible items.

    Examples
    --------
    >>> balanced_pick(torch.tensor([0, 1, 1, 0, 1]), 1, seed=0).shape
    torch.Size([2])
    >>> labels = torch.tensor([0, 0, 1, 1])
    >>> balanced_pick(labels, 1, keep=torch.tensor([True, False, False, True])).tolist()
    [0, 3]
    """
    labels = torch.as_tensor(labels, device="cpu")
    if labels.ndim != 1 or labels.dtype.is_floating_point or labels.dtype == torch.bool:
        raise TypeError(f"labels must be a 1-D tensor of class indices, got {labels.dtype}")
    per_class = check_positive_int(per_class, "per_class")
    keep = (
        torch.ones_like(labels, dtype=torch.bool)
        if keep is None
        else torch.as_tensor(keep, device="cpu")
    )
    if keep.dtype != torch.bool or keep.shape != labels.shape:
        raise ValueError(f"keep must be a boolean tensor of shape {tuple(labels.shape)}")
    g = torch.Generator().manual_seed(check_seed(seed))
    picks = []
    for c in range(int(labels.max()) + 1 if len(labels) else 0):
        idx = ((labels == c) & keep).nonzero()[:, 0]
        if len(idx) < per_class:
            raise ValueError(f"class {c} has {len(idx)} eligible items, fewer than {per_class}")
        picks.append(
            idx[torch.randperm(len(idx), generator=g, device="cpu")[:per_class]].sort().values
        )
    return torch.cat(picks) if picks else torch.empty(0, dtype=torch.long, device=labels.device)


def agreement_table(results: dict, judges: dict, target: Sequence[int]) -> tuple[dict, str]:
    """Agreement of each judge with the targets, for each set of images; and the table as text,
    each row with its number of images ``n`` and each share with its 95 % Wilson interval.

    Parameters
    ----------
    results : dict
        Row name → images (N, C, H, W), all made for ``target``; or row name → ``(images,
        its own targets)`` for a row of another length or order (e.g. real test digits and their
        labels).
    judges : dict
        Column name → judge (see :func:`judge_agreement`).
    target : list of int
        The class each image was made for (length N).

    Examples
    --------
    >>> from xai_helpers.models import MnistCNN
    >>> table, text = agreement_table({"blank": torch.zeros(2, 1, 28, 28)}, {"cnn": MnistCNN()}, [0,
    ... 1])
    >>> list(table["blank"]), text.splitlines()[1].split()[1]
    (['cnn'], '2')
    """
    rows = {r: v if isinstance(v, tuple) else (v, target) for r, v in results.items()}
    table = {
        row: {name: judge_agreement(j, imgs, t)[0] for name, j in judges.items()}
        for row, (imgs, t) in rows.items()
    }
    width = max(len(r) for r in table) + 2

    def cell(share: float, n: int) -> str:
        hits = round(share * n)
        est = accuracy_interval(np.arange(n) < hits)
        return f"{share:.2f} [{est.low:.2f}, {est.high:.2f}]".rjust(20)

    lines = ["".ljust(width) + f"{'n':>6s}" + "".join(f"{name:>20s}" for name in judges)]
    lines += [
        row.ljust(width)
        + f"{len(rows[row][0]):>6d}"
        + "".join(cell(v, len(rows[row][0])) for v in cols.values())
        for row, cols in table.items()
    ]
    return table, "\n".join(lines)


def mean_rank_agreement(
    runs: Sequence[np.ndarray], others: Sequence[np.ndarray] | None = None
) -> float:
    """Mean Spearman rank correlation between explanations: every pair within ``runs``, or every
    run against every one of ``others``.

    How stable is a random explanation (LIME, SmoothGrad) across seeds, and do two variants agree
    as well as two seeds of one do? 1 = the same ranking every time.

    Parameters
    ----------
    runs : sequence of np.ndarray
        Explanations of one input (each a 1-D array of weights, the same length), e.g. one per seed.
    others : sequence of np.ndarray, optional
        A second set; if given, the pairs are (run, other) across the two sets.

    Returns
    -------
    float
        The mean correlation over the pairs.

    Examples
    --------
    >>> a, b = np.array([1.0, 2.0, 3.0]), np.array([3.0, 2.0, 1.0])
    >>> mean_rank_agreement([a, a, a])
    1.0
    >>> mean_rank_agreement([a], [b])
    -1.0
    """
    from scipy.stats import spearmanr  # SciPy: imported only when needed

    runs = list(runs)
    if others is not None:
        pairs = [(a, b) for a in runs for b in others]
    else:
        pairs = [(runs[i], b) for i in range(len(runs)) for b in runs[i + 1 :]]
    if not pairs:
        raise ValueError("need at least two runs (or one run and one other) to compare")
    return float(np.mean([spearmanr(a, b)[0] for a, b in pairs]))


def _check_null_maps(maps: object, name: str) -> torch.Tensor:
    if not isinstance(maps, torch.Tensor):
        raise TypeError(
            f"{name} must be a torch.Tensor of maps (N, H, W), got {type(maps).__name__}"
        )
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
    maps = _check_null_maps(maps, "maps")
    if not torch.isfinite(maps).all():
        raise ValueError("maps must be finite (no NaN or inf)")
    seed = check_int(seed, "seed", minimum=0)
    n, h, w = maps.shape
    g = torch.Generator().manual_seed(seed)
    perm = torch.argsort(torch.rand(n, h * w, generator=g, device="cpu"), dim=1).to(maps.device)
    flat = maps.reshape(n, -1).gather(
        1, perm
    )  # shuffle, then a stable sort keeps the shuffle in ties
    order = perm.gather(1, torch.argsort(flat, dim=1, stable=True))
    ranks = torch.empty(n, h * w, device=maps.device)
    ranks.scatter_(
        1, order, torch.arange(h * w, dtype=ranks.dtype, device=maps.device).expand(n, -1)
    )
    return ranks.view(n, h, w)


def ink_blobs(mask: torch.Tensor, k: int, n_draws: int, seed: int = 0) -> torch.Tensor:
    """Null maps, (n_draws, N, H, W): per draw and image, one contiguous blob of ``k`` mask pixels.

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
        raise ValueError(
            f"mask must be a bool tensor (N, H, W), got {getattr(mask, 'dtype', type(mask))}"
        )
    k, n_draws = check_positive_int(k, "k"), check_positive_int(n_draws, "n_draws")
    seed = check_int(seed, "seed", minimum=0)
    n, h, w = mask.shape
    counts = mask.reshape(n, -1).sum(1)
    if (counts < k).any():
        raise ValueError(
            f"every mask needs at least k = {k} True pixels; image "
            f"{int((counts < k).nonzero()[0])} has {int(counts.min())}"
        )
    g = torch.Generator().manual_seed(seed)
    rr, cc = torch.meshgrid(
        torch.arange(h, device="cpu"), torch.arange(w, device="cpu"), indexing="ij"
    )
    coords = torch.stack([rr.flatten(), cc.flatten()], 1).float()  # (H·W, 2)
    m = mask.cpu().reshape(n, -1)
    out = torch.zeros(n_draws, n, h * w, device="cpu")  # built on the CPU, moved at the end
    for i in range(n):
        inside = m[i].nonzero()[:, 0]
        centres = inside[torch.randint(len(inside), (n_draws,), generator=g, device="cpu")]
        d = torch.cdist(coords[centres], coords[inside])  # (n_draws, |inside|)
        d = d + 1e-3 * torch.rand(
            d.shape, generator=g, device="cpu"
        )  # ties at random (distances differ by ≥ 0.01)
        out[:, i].scatter_(1, inside[d.topk(k, dim=1, largest=False).indices], 1.0)
    return out.view(n_draws, n, h, w).to(mask.device)


#: Background grey levels of notebook 02's sweep (0 black ... 1 white), past the leaky monster
#: CNN's turning point on the shipped pair (the per-seed table's levels).
GREY_LEVELS: tuple[float, ...] = (0.0, 0.1, 0.2, 0.3, 0.35, 0.4, 0.5)


class LogOdds(nn.Module):
    """Wrap a 2-class network: one output, the log-odds z_1 - z_0 (pokemon vs digimon).

    Examples
    --------
    >>> from xai_helpers.models import MonsterCNN
    >>> LogOdds(MonsterCNN())(torch.zeros(2, 3, 48, 48)).shape
    torch.Size([2, 1])
    """

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.net(x)
        return (z[:, 1] - z[:, 0])[:, None]


def blob_null(
    model: nn.Module,
    x: torch.Tensor,
    target: int | Sequence[int] | torch.Tensor,
    mask: torch.Tensor,
    k: int,
    n_draws: int,
    seed: int = 0,
    of: str = "log-odds",
    fill: str | float | torch.Tensor = "black",
) -> torch.Tensor:
    """The deletion test's structure-matched null, (n_draws, N): the drop when a random contiguous
    blob of ``k`` mask pixels (:func:`ink_blobs`) is removed instead of a map's top ``k``.

    Each row is one draw of :func:`top_k_deletion` on one blob per image; compare a map's
    drop with the rows' mean (a random blob) or their per-image maximum (a searched blob).
    ``fill`` is the removal, as in :func:`top_k_deletion` (black paint by default, or a whole
    replacement image such as a blurred copy): judge a map and its null by the same removal.

    Examples
    --------
    >>> from xai_helpers.models import MnistCNN
    >>> x = torch.rand(2, 1, 28, 28)
    >>> blob_null(MnistCNN(), x, [3, 4], x[:, 0] > 0.5, k=10, n_draws=4).shape
    torch.Size([4, 2])
    >>> blurred = torch.nn.functional.avg_pool2d(x, 3, stride=1, padding=1)
    >>> blob_null(MnistCNN(), x, [3, 4], x[:, 0] > 0.5, k=10, n_draws=4, fill=blurred).shape
    torch.Size([4, 2])
    """
    blobs = ink_blobs(mask, k, n_draws, seed=seed)
    return torch.stack([top_k_deletion(model, x, target, b, k, fill, of=of) for b in blobs])


def shifted_mask(mask: torch.Tensor, dy: int, dx: int) -> torch.Tensor:
    """The mask (H, W) moved down by ``dy`` and right by ``dx`` pixels; what leaves the image is
    lost.

    Examples
    --------
    >>> m = torch.zeros(3, 3, dtype=torch.bool)
    >>> m[0, 0] = True
    >>> shifted_mask(m, 1, 2).nonzero().tolist()
    [[1, 2]]
    """
    if mask.ndim != 2:
        raise ValueError(f"mask must be (H, W), got shape {tuple(mask.shape)}")
    dy, dx = check_int(dy, "dy"), check_int(dx, "dx")
    out, (h, w) = torch.zeros_like(mask), mask.shape
    rows, cols = slice(max(dy, 0), h + min(dy, 0)), slice(max(dx, 0), w + min(dx, 0))
    out[rows, cols] = mask[max(-dy, 0) : h + min(-dy, 0), max(-dx, 0) : w + min(-dx, 0)]
    return out


def shifted_copies(
    mask: torch.Tensor,
    rows: tuple[int, int],
    cols: tuple[int, int],
    step: int = 20,
    min_inside: float = 0.75,
) -> tuple[torch.Tensor, torch.Tensor]:
    """A region test's null matched in shape and size: the mask moved to every place of a grid.

    The shifts run from ``rows[0]`` to ``rows[1]`` (down) and ``cols[0]`` to ``cols[1]`` (right)
    in steps of ``step`` pixels; the zero shift (the mask itself) and copies keeping less than
    ``min_inside`` of the mask's pixels in the image are left out.

    Returns
    -------
    copies : torch.Tensor of bool, (R, H, W)
    shifts : torch.Tensor of int, (R, 2), each copy's (down, right) shift in pixels

    Examples
    --------
    >>> m = torch.zeros(10, 10, dtype=torch.bool)
    >>> m[4:6, 4:6] = True
    >>> copies, shifts = shifted_copies(m, rows=(-4, 4), cols=(0, 0), step=2)
    >>> shifts.tolist()
    [[-4, 0], [-2, 0], [2, 0], [4, 0]]
    """
    step = check_positive_int(step, "step")
    min_inside = check_number(min_inside, "min_inside", 0, 1)
    grid = [
        (dy, dx)
        for dy in range(rows[0], rows[1] + 1, step)
        for dx in range(cols[0], cols[1] + 1, step)
        if dy or dx
    ]
    copies = torch.stack([shifted_mask(mask, dy, dx) for dy, dx in grid])
    keep = copies.flatten(1).sum(1) >= min_inside * mask.sum()
    return copies[keep], torch.tensor(grid, dtype=torch.long, device=mask.device)[keep]


def filled_logits(
    model: nn.Module,
    x: torch.Tensor,
    masks: torch.Tensor,
    fill: float | torch.Tensor,
    batch_size: int = 2,
) -> torch.Tensor:
    """The model's logits, (R, classes), with each region of ``masks`` (R, H, W) of the one image
    ``x`` (1, C, H, W) painted with ``fill`` (a number, (1, C, 1, 1) or an image like ``x``).

    Examples
    --------
    >>> net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 3))
    >>> masks = torch.zeros(2, 4, 4, dtype=torch.bool)
    >>> masks[1, :2] = True
    >>> filled_logits(net, torch.ones(1, 1, 4, 4), masks, 0.0).shape
    torch.Size([2, 3])
    """
    check_image_batch(x, "x")
    if len(x) != 1 or masks.ndim != 3 or masks.shape[1:] != x.shape[2:]:
        raise ValueError(
            f"need one image (1, C, H, W) and masks (R, H, W), got {tuple(x.shape)} and "
            f"{tuple(masks.shape)}"
        )
    batch_size = check_positive_int(batch_size, "batch_size")
    fill = torch.as_tensor(fill, dtype=x.dtype, device=x.device)
    dev = model_device(model)
    with torch.no_grad():
        parts = (torch.where(m[:, None].to(x.device), fill, x) for m in masks.split(batch_size))
        return torch.cat([model(p.to(dev)).to(x.device) for p in parts])


def group_log_odds(logits: torch.Tensor, classes: Sequence[int]) -> torch.Tensor:
    """log P(group) − log P(rest) of each row of ``logits`` (N, classes), in float64, where the
    group is ``classes``: the log-odds of a group of classes, exact where P saturates.

    Examples
    --------
    >>> z = torch.log(torch.tensor([[0.6, 0.3, 0.1]]))
    >>> round(group_log_odds(z, [1, 2]).item(), 4)  # log(0.4 / 0.6)
    -0.4055
    """
    z = logits.double()
    inside = torch.zeros(z.shape[1], dtype=torch.bool, device=z.device)
    inside[list(classes)] = True
    if inside.all() or not inside.any():
        raise ValueError("classes must be a non-empty proper subset of the model's classes")
    return z[:, inside].logsumexp(1) - z[:, ~inside].logsumexp(1)


def group_drop_margin(
    clean: torch.Tensor, filled: torch.Tensor, groups: torch.Tensor | Sequence[Sequence[int]]
) -> torch.Tensor:
    """How much more filling a region lowers each group's raw logit than the most damaging of its
    null copies does: one margin per group, (G,) in float64.

    A group's raw logit is log Σ exp of its classes' logits (not its log-odds, which mixes in every
    other class). The drop of a row is the clean raw logit minus the filled one; the margin is the
    drop of row 0 (the region filled) minus the largest drop of rows 1, … (each null copy filled).

    Parameters
    ----------
    clean : torch.Tensor
        The logits of the unchanged image, (1, classes).
    filled : torch.Tensor
        (1 + R, classes): row 0 with the region filled, then one row per null copy (R ≥ 1).
    groups : torch.Tensor or sequence of sequences
        (G, m) class indices, one group of m classes a row.

    Examples
    --------
    >>> clean = torch.zeros(1, 4)
    >>> filled = torch.tensor([[-3.0, 0, 0, 0], [-1.0, 0, 0, 0], [0.0, -1, 0, 0]])
    >>> group_drop_margin(clean, filled, [[0], [1]]).tolist()  # drops 3 vs 1, then 0 vs 1
    [2.0, -1.0]
    """
    groups = torch.as_tensor(groups, dtype=torch.long, device=clean.device)
    if clean.ndim != 2 or len(clean) != 1 or filled.ndim != 2 or len(filled) < 2:
        raise ValueError(
            f"need clean (1, classes) and filled (1 + R, classes) with R >= 1, got "
            f"{tuple(clean.shape)} and {tuple(filled.shape)}"
        )
    if groups.ndim != 2 or filled.shape[1] != clean.shape[1]:
        raise ValueError(f"need groups (G, m) and logits of one width, got {tuple(groups.shape)}")
    drop = clean.double()[:, groups].logsumexp(-1) - filled.double()[:, groups].logsumexp(-1)
    return drop[0] - drop[1:].amax(0)


def flip_rate(net: nn.Module, x: torch.Tensor, label: int) -> float:
    """Fraction of the images ``x`` that ``net`` does *not* assign to class ``label``
    (nan for no images)."""
    if len(x) == 0:
        return float("nan")
    return (predict_proba(net, x).argmax(1) != int(label)).float().mean().item()


def grey_sweep(
    net: nn.Module, x: torch.Tensor, masks: torch.Tensor, levels: tuple[float, ...] = GREY_LEVELS
) -> dict[str, list[float]]:
    """Paint the background each grey level; per level the mean P(pokemon), the median log-odds,
    the fraction called "pokemon", and the background density of the log-odds saliency.

    The density is :func:`~xai_helpers.evaluation.region_density` of |∂(z_pokemon − z_digimon)/∂x|
    (max over channels) on the background, mean over the images: 1 for a uniform map.
    """
    out: dict[str, list[float]] = {
        "level": [],
        "p": [],
        "log_odds": [],
        "called": [],
        "density": [],
    }
    wrapped = LogOdds(net).eval()
    for level in levels:
        xg = on_grey(x, masks, level)
        p = predict_proba(net, xg)[:, 1]
        sal = saliency(wrapped, xg, target=0)
        out["level"].append(float(level))
        out["p"].append(p.mean().item())
        out["log_odds"].append(torch.logit(p.double(), eps=1e-12).median().item())
        out["called"].append((p > 0.5).float().mean().item())
        out["density"].append(region_density(sal, ~masks).mean().item())
    return out


def background_paths(
    net: nn.Module,
    x: torch.Tensor,
    masks: torch.Tensor,
    level: float,
    n_steps: int = 20,
    start: float = 0.0,
) -> dict[str, torch.Tensor]:
    """Three answers to "how much does painting the background from ``start`` (default black) to
    ``level`` change the log-odds z_pokemon − z_digimon?", per image (the lecture's §9, gradient
    saturation).

    ``"gradient"``: the first-order prediction ∇f(x_start) · (x_level − x_start) from the gradient
    at the image with its background painted ``start``; ``"actual"``: f(x_level) − f(x_start);
    ``"ig"``: Integrated Gradients along the straight path ``start`` → ``level`` (``n_steps``
    midpoints; ``n_steps=0`` leaves it out), which adds up to the actual change up to the Riemann
    sum's error. Where the
    gradient at the start is small but the change is large, the gradient hides what the
    background does. Straight stretches of the same length elsewhere (another ``start``) are the
    null for how much of a change a first-order prediction should recover.

    Examples
    --------
    >>> class Lin(nn.Module):  # linear in the pixels: all three answers agree
    ...     def forward(self, x):
    ...         v = x.sum((1, 2, 3))
    ...         return torch.stack([-v, v], 1)
    >>> m = torch.zeros(1, 4, 4, dtype=torch.bool); m[:, 1:3, 1:3] = True
    >>> out = background_paths(Lin(), torch.ones(1, 3, 4, 4), m, 0.5)
    >>> [round(out[k].item(), 3) for k in ("gradient", "actual", "ig")]
    [36.0, 36.0, 36.0]
    """
    f = LogOdds(net).eval()
    x0 = on_grey(x, masks, start)
    xv = on_grey(x, masks, level)
    x0g = x0.clone().requires_grad_(True)
    z0 = f(x0g)[:, 0]
    (grad,) = torch.autograd.grad(z0.sum(), x0g)
    with torch.no_grad():
        actual = f(xv)[:, 0] - z0.detach()
    out = {"gradient": (grad * (xv - x0)).flatten(1).sum(1).detach(), "actual": actual}
    if n_steps:
        ig = integrated_gradients(f, xv, target=0, baseline=x0, n_steps=n_steps)
        out["ig"] = ig.flatten(1).sum(1).detach()
    return out


def background_path_curve(
    net: nn.Module,
    x: torch.Tensor,
    masks: torch.Tensor,
    levels: Sequence[float],
    start: float = 0.0,
) -> dict[str, torch.Tensor]:
    """:func:`background_paths` from the grey ``start`` (default black) to each of ``levels`` at
    once, without IG: the gradient at ``start`` is taken once. Returns ``"gradient"`` (the
    tangent's prediction) and ``"actual"`` (the change of the log-odds), each (len(levels), N).

    Examples
    --------
    >>> class Sq(nn.Module):  # f = (sum of pixels)², flat at 0
    ...     def forward(self, x):
    ...         v = x.sum((1, 2, 3)) ** 2  # log-odds 2v²
    ...         return torch.stack([-v, v], 1)
    >>> m = torch.zeros(1, 2, 2, dtype=torch.bool); m[:, 0, 0] = True
    >>> out = background_path_curve(Sq(), torch.ones(1, 3, 2, 2), m, [0.5])
    >>> [round(out[k].item(), 2) for k in ("gradient", "actual")]
    [54.0, 94.5]
    >>> out = background_path_curve(Sq(), torch.ones(1, 3, 2, 2), m, [0.5], start=1.0)
    >>> [round(out[k].item(), 2) for k in ("gradient", "actual")]
    [-216.0, -175.5]
    """
    f = LogOdds(net).eval()
    x0 = on_grey(x, masks, float(start)).clone().requires_grad_(True)
    z0 = f(x0)[:, 0]
    (grad,) = torch.autograd.grad(z0.sum(), x0)
    xv = torch.stack([on_grey(x, masks, float(v)) for v in levels])  # (L, N, 3, H, W)
    with torch.no_grad():
        actual = f(xv.flatten(0, 1))[:, 0].view(len(levels), -1) - z0.detach()
    gradient = (grad * (xv - x0.detach())).flatten(2).sum(2)
    return {"gradient": gradient, "actual": actual}


def rule_agreement(
    row: dict[str, float], model: str, n: int, n_conflict: int
) -> tuple[float, float]:
    """From a per-seed row of :func:`measure_monsters`: how often ``model`` ("leaky" or "fixed")
    agrees with the corner rule where the rule is wrong, and where it is right.

    Where the rule is wrong (``n_conflict`` of the ``n`` test images) agreeing with it is the
    row's ``rule_conflict_<model>``; where it is right the rule equals the label, so agreeing with
    it is being right there: the model's correct answers (``acc_<model>`` · n) less those on the
    conflict images ((1 − rule_conflict) · n_conflict, two classes), over n − n_conflict.

    Examples
    --------
    >>> rule_agreement({"rule_conflict_leaky": 1.0, "acc_leaky": 0.98}, "leaky", 400, 8)
    (1.0, 1.0)
    """
    if not 0 < n_conflict < n:
        raise ValueError(f"need 0 < n_conflict < n, got {n_conflict}, {n}")
    wrong = float(row[f"rule_conflict_{model}"])
    right = (row[f"acc_{model}"] * n - (1 - wrong) * n_conflict) / (n - n_conflict)
    return wrong, float(right)


def turning_level(sweep: dict[str, list[float]]) -> float:
    """The lowest level at which fewer than half of the images are called "pokemon"
    (nan if none)."""
    return next((v for v, c in zip(sweep["level"], sweep["called"]) if c < 0.5), float("nan"))


def phase_means(sal: torch.Tensor, region: torch.Tensor) -> torch.Tensor:
    """Mean of the maps ``sal`` (N, H, W) over ``region`` for each of the four pixel phases
    (row parity, column parity): a (2, 2) tensor, [i % 2, j % 2].

    Examples
    --------
    >>> s = torch.zeros(1, 4, 4); s[:, ::2, ::2] = 1
    >>> phase_means(s, torch.ones(1, 4, 4, dtype=torch.bool))
    tensor([[1., 0.],
            [0., 0.]])
    """
    if sal.shape != region.shape or region.dtype != torch.bool:
        raise ValueError(
            f"sal and region must be (N, H, W), region bool; got {sal.shape}, {region.shape}"
        )
    out = torch.zeros(2, 2, device=sal.device)
    for i in range(2):
        for j in range(2):
            r = region[:, i::2, j::2]
            out[i, j] = sal[:, i::2, j::2][r].mean() if r.any() else float("nan")
    return out


def measure_monsters(
    leaky: nn.Module, fixed: nn.Module, untrained: nn.Module, test, test_fixed
) -> dict[str, float]:
    """Every per-seed figure of notebook 02 for one (leaky, fixed, untrained) triple, as floats.

    Keys: accuracies; agreement with the corner-pixel rule on the images where the rule and the
    label disagree (``rule_conflict_*``); the background swaps; the background saliency densities
    (``density_fixed_black_pokemon``: the fixed model on the Pokémon as the leaky loader delivers
    them, on black; images whose map is all zero are left out of the means); the grey sweep; and
    ``flip_<class>_<edit>`` for every edit of :data:`~xai_helpers.data.monsters.EDIT_FAMILIES` on
    the creatures the fixed model gets right.
    """
    y, pk, dg = test.y, test.y == 1, test.y == 0
    num: dict[str, float] = {}
    pred_l, pred_f = (
        predict_proba(leaky, test.X).argmax(1),
        predict_proba(fixed, test_fixed.X).argmax(1),
    )
    num["fixed_one_class"] = float(pred_f.unique().numel() == 1)  # the fixed training stalled
    num["acc_leaky"], num["acc_fixed"] = (
        (pred_l == y).float().mean().item(),
        (pred_f == y).float().mean().item(),
    )
    rule = (test.X[:, :, 0, 0].mean(1) < 0.5).long()  # dark top-left corner -> pokemon
    conflict = rule != y
    for name, pred in (("leaky", pred_l), ("fixed", pred_f)):
        num[f"rule_conflict_{name}"] = (pred[conflict] == rule[conflict]).float().mean().item()
    called = lambda net, x: (predict_proba(net, x).argmax(1) == 1).float().mean().item()  # noqa: E731
    for name, net in (("leaky", leaky), ("fixed", fixed)):
        num[f"pokemon_on_white_{name}"] = called(net, test_fixed.X[pk])
        num[f"digimon_on_black_{name}"] = called(net, on_grey(test.X[dg], test.masks[dg], 0.0))
    for name, net, data in (
        ("leaky", leaky, test),
        ("untrained", untrained, test),
        ("fixed", fixed, test_fixed),
        ("untrained_white", untrained, test_fixed),
        ("fixed_black", fixed, test),
    ):
        sal = saliency(net, data.X, target=predict_proba(net, data.X).argmax(1))
        d = region_density(sal, ~data.masks)  # nan for an all-zero map: left out of the mean
        num[f"density_{name}_digimon"], num[f"density_{name}_pokemon"] = (
            d[dg].nanmean().item(),
            d[pk].nanmean().item(),
        )
    for name, net in (("leaky", leaky), ("untrained", untrained)):
        sweep = grey_sweep(net, test.X[pk], test.masks[pk])
        num[f"turning_{name}"] = turning_level(sweep)
        for v, d, p in zip(sweep["level"], sweep["density"], sweep["p"]):
            num[f"sweep_{name}_density_{v:.2f}"], num[f"sweep_{name}_p_{v:.2f}"] = d, p
    right = {k: (y == k) & (pred_f == k) for k in (0, 1)}
    for k, cls in ((1, "pokemon"), (0, "digimon")):
        x, m = test_fixed.X[right[k]], test_fixed.masks[right[k]]
        for edits in EDIT_FAMILIES.values():
            for e, edit in edits.items():
                num[f"flip_{cls}_{e}"] = flip_rate(fixed, edit(x, m), k)
    return num


def same_l2_noise(
    x: torch.Tensor, edited: torch.Tensor, masks: torch.Tensor, seed: int = 0
) -> torch.Tensor:
    """A null for an edit of the creatures: Gaussian noise on the creature pixels (``masks``),
    scaled per image to the same L2 distance from ``x`` as ``edited`` (clipped to [0, 1]).

    Examples
    --------
    >>> x, m = torch.full((2, 3, 4, 4), 0.5), torch.ones(2, 4, 4, dtype=torch.bool)
    >>> out = same_l2_noise(x, x * 0.9, m)
    >>> torch.allclose((out - x).flatten(1).norm(dim=1), (x * 0.1).flatten(1).norm(dim=1))
    True
    """
    if x.shape != edited.shape or masks.shape != x[:, 0].shape or masks.dtype != torch.bool:
        raise ValueError(
            f"x and edited must be (N, 3, H, W) alike, masks (N, H, W) bool; got {tuple(x.shape)},"
            f" {tuple(edited.shape)}, {tuple(masks.shape)} {masks.dtype}"
        )
    g = torch.Generator().manual_seed(int(seed))  # CPU noise, so a seed gives it on every device
    noise = torch.randn(x.shape, generator=g, device="cpu").to(x.device)
    noise = noise * masks[:, None]
    dist = (edited - x).flatten(1).norm(dim=1) / noise.flatten(1).norm(dim=1).clamp_min(1e-12)
    return (x + noise * dist[:, None, None, None]).clamp(0, 1)


def background_activity(
    net: nn.Module, x: torch.Tensor, masks: torch.Tensor, layers: Sequence[str]
) -> dict[str, float]:
    """Fraction of the units of each named layer of ``net`` that are active (> 0) at the positions
    that see only background: the layer's grid cells whose area is all background (``~masks``,
    area-downsampled to the layer's resolution, > 0.99).

    Examples
    --------
    >>> from xai_helpers.models import MonsterCNN
    >>> x, bg = torch.zeros(1, 3, 48, 48), torch.zeros(1, 48, 48, dtype=torch.bool)
    >>> out = background_activity(MonsterCNN(), x, bg, ["relu2"])
    >>> 0.0 <= out["relu2"] <= 1.0
    True
    """
    acts: dict[str, torch.Tensor] = {}
    hooks = [
        getattr(net, n).register_forward_hook(lambda m, i, o, n=n: acts.__setitem__(n, o.detach()))
        for n in layers
    ]
    try:
        with torch.no_grad():
            net(x)
    finally:
        for h in hooks:
            h.remove()
    out = {}
    for n in layers:
        a = acts[n]
        bg = (~masks)[:, None].float()
        bg = torch.nn.functional.interpolate(bg, size=a.shape[-2:], mode="area")[:, 0] > 0.99
        out[n] = (a > 0).float().permute(1, 0, 2, 3)[:, bg].mean().item()
    return out


# --------------------------------------------------------------------------- attention tests
# Model-agnostic tests of per-token weights (Jain & Wallace 2019; Wiegreffe & Pinter 2019): they
# take the weights, per-token scores and a forward function ``weights -> output``, no model.


def _check_weights(weights: torch.Tensor, mask: torch.Tensor) -> None:
    if not isinstance(weights, torch.Tensor) or weights.ndim != 2:
        raise TypeError(f"weights must be a 2-D tensor (N, L), got {type(weights).__name__}")
    if (
        not isinstance(mask, torch.Tensor)
        or mask.shape != weights.shape
        or mask.dtype != torch.bool
    ):
        raise ValueError(f"mask must be a bool tensor of shape {tuple(weights.shape)}")
    if not bool(mask.any(1).all()):
        raise ValueError("every row of mask needs at least one real token")


def kendall_tau(a: np.ndarray, b: np.ndarray) -> float:
    """Kendall's τ-b between two scores of the same tokens (ties counted as ties), by SciPy.

    Examples
    --------
    >>> kendall_tau(np.array([1, 2, 3]), np.array([10, 20, 30]))
    1.0
    """
    from scipy.stats import kendalltau

    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.shape != b.shape or a.ndim != 1 or a.size < 2:
        raise ValueError(f"need two 1-D scores of the same length ≥ 2, got {a.shape} and {b.shape}")
    tau = kendalltau(a, b).statistic
    return 0.0 if np.isnan(tau) else float(tau)


def kendall_tau_fast(a: np.ndarray, b: np.ndarray) -> float:
    """Kendall's τ-b by counting pairs (the number :func:`kendall_tau` gives, faster on short
    sentences).

    Examples
    --------
    >>> x, y = np.array([3.0, 1, 2, 2]), np.array([1.0, 0, 5, 2])
    >>> round(kendall_tau_fast(x, y), 4), round(kendall_tau(x, y), 4)
    (0.1826, 0.1826)
    """
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.shape != b.shape or a.ndim != 1 or a.size < 2:
        raise ValueError(f"need two 1-D scores of the same length ≥ 2, got {a.shape} and {b.shape}")
    sa, sb = np.sign(a[:, None] - a[None]), np.sign(b[:, None] - b[None])
    iu = np.triu_indices(a.size, 1)
    sa, sb = sa[iu], sb[iu]
    denom = np.sqrt(np.count_nonzero(sa) * np.count_nonzero(sb))
    return 0.0 if denom == 0 else float((sa * sb).sum() / denom)


def random_rank_tau(
    a: np.ndarray, b: np.ndarray, n_samples: int = 200, seed: int = 0
) -> np.ndarray:
    """The random-ranking null of :func:`kendall_tau`: τ between ``a`` and ``b`` shuffled over the
    tokens, ``n_samples`` times.

    Examples
    --------
    >>> bool(abs(random_rank_tau(np.arange(10), np.arange(10), 500).mean()) < 0.05)
    True
    """
    rng = np.random.default_rng(check_seed(seed))
    n_samples = check_positive_int(n_samples, "n_samples")
    return np.array([kendall_tau(a, rng.permutation(np.asarray(b))) for _ in range(n_samples)])


def rank_agreement(
    a: torch.Tensor | np.ndarray,
    b: torch.Tensor | np.ndarray,
    lengths: Sequence[int],
    n_null: int = 0,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """τ-b between two scores of each sentence's first ``lengths[i]`` tokens, and (``n_null`` > 0)
    the random-ranking null: τ with ``b`` shuffled over the sentence's tokens, ``n_null`` times.

    Returns
    -------
    (tau, null)
        ``tau`` ``(N,)``; ``null`` ``(n_null, N)`` (empty when ``n_null`` is 0).

    Examples
    --------
    >>> tau, null = rank_agreement(np.array([[1.0, 2, 3]]), np.array([[1.0, 2, 3]]), [3], n_null=4)
    >>> tau.tolist(), null.shape
    ([1.0], (4, 1))
    """
    a, b = (
        np.asarray(x.detach().cpu() if isinstance(x, torch.Tensor) else x, float) for x in (a, b)
    )
    if a.ndim != 2 or a.shape != b.shape or len(lengths) != a.shape[0]:
        raise ValueError(f"need two (N, L) scores and N lengths, got {a.shape}, {b.shape}")
    rng = np.random.default_rng(check_seed(seed))
    tau = np.array([kendall_tau_fast(a[i, :m], b[i, :m]) for i, m in enumerate(lengths)])
    null = np.array(
        [
            [kendall_tau_fast(a[i, :m], rng.permutation(b[i, :m])) for i, m in enumerate(lengths)]
            for _ in range(check_int(n_null, "n_null", minimum=0))
        ]
    ).reshape(n_null, len(lengths))
    return tau, null


def position_scores(mask: torch.Tensor) -> torch.Tensor:
    """The early-position null: a score that ranks each sentence's tokens by position alone, first
    highest (``1, 1/2, 1/3, …``; 0 on padding). It knows nothing about the model.

    Examples
    --------
    >>> position_scores(torch.tensor([[True, True, False]])).tolist()
    [[1.0, 0.5, 0.0]]
    """
    if not isinstance(mask, torch.Tensor) or mask.ndim != 2 or mask.dtype != torch.bool:
        raise ValueError("mask must be a 2-D bool tensor (N, L)")
    pos = torch.arange(1, mask.shape[1] + 1, device=mask.device, dtype=torch.float32)
    return (1.0 / pos).expand(mask.shape) * mask


def jsd(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """Jensen–Shannon divergence (natural log, 0 … ln 2) between the rows of two weightings ``(N,
    L)``.

    Examples
    --------
    >>> round(jsd(torch.tensor([[1.0, 0]]), torch.tensor([[0.0, 1]])).item(), 4)
    0.6931
    """
    if p.shape != q.shape or p.ndim != 2:
        raise ValueError(f"need two (N, L) weightings of one shape, got {p.shape}, {q.shape}")
    m = (p + q) / 2

    def kl(a, b):
        logs = torch.log(a.clamp(min=1e-12)) - torch.log(b.clamp(min=1e-12))
        return torch.where(a > 0, a * logs, torch.zeros_like(a)).sum(1)

    return (kl(p, m) + kl(q, m)) / 2


def tvd(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """Total variation distance (0 … 1) between the rows of two weightings ``(N, L)``: half the L1
    distance, the largest difference in the weight the two give any set of tokens.

    Examples
    --------
    >>> tvd(torch.tensor([[1.0, 0]]), torch.tensor([[0.5, 0.5]])).tolist()
    [0.5]
    """
    if p.shape != q.shape or p.ndim != 2:
        raise ValueError(f"need two (N, L) weightings of one shape, got {p.shape}, {q.shape}")
    return (p - q).abs().sum(1) / 2


def uniform_weights(mask: torch.Tensor) -> torch.Tensor:
    """Uniform weights ``1/n`` over each row's ``n`` real tokens (0 on padding): the weights of
    Wiegreffe & Pinter's uniform-attention baseline.

    Examples
    --------
    >>> uniform_weights(torch.tensor([[True, True, False]])).tolist()
    [[0.5, 0.5, 0.0]]
    """
    if not isinstance(mask, torch.Tensor) or mask.ndim != 2 or mask.dtype != torch.bool:
        raise ValueError("mask must be a 2-D bool tensor (N, L)")
    m = mask.float()
    return m / m.sum(1, keepdim=True).clamp(min=1.0)


@torch.no_grad()
def permuted_weights(
    forward: Callable[[torch.Tensor], torch.Tensor],
    weights: torch.Tensor,
    mask: torch.Tensor,
    n_samples: int = 20,
    seed: int = 0,
    return_weights: bool = False,
):
    """Jain & Wallace's permuted attention (2019, §4.2): the output ``forward(w)`` with the weights
    shuffled over each row's real tokens, ``(N, n_samples)``; ``return_weights=True`` also returns
    the shuffled weights ``(n_samples, N, L)``. Padding keeps weight 0.

    Examples
    --------
    >>> w, m = torch.tensor([[0.7, 0.3, 0.0]]), torch.tensor([[True, True, False]])
    >>> out, ws = permuted_weights(lambda a: a[:, 0], w, m, 4, return_weights=True)
    >>> sorted(set(out[0].tolist())) <= [0.30000001192092896, 0.699999988079071], ws[:, 0, 2].sum()
    (True, tensor(0.))
    """
    _check_weights(weights, mask)
    gen = torch.Generator().manual_seed(check_seed(seed))
    n_samples = check_positive_int(n_samples, "n_samples")
    out = torch.zeros(weights.shape[0], n_samples, device=weights.device)
    shuffled = []
    for k in range(n_samples):
        keys = torch.rand(weights.shape, generator=gen, device="cpu").to(weights.device)
        order = keys.masked_fill(~mask, 2.0).argsort(1)  # real tokens in random order, padding last
        perm = weights.gather(1, order)
        out[:, k] = forward(perm)
        shuffled.append(perm)
    return (out, torch.stack(shuffled)) if return_weights else out


def adversarial_weights(
    forward: Callable[[torch.Tensor], torch.Tensor],
    weights: torch.Tensor,
    mask: torch.Tensor,
    tolerance: float = 0.1,
    steps: int = 200,
    lr: float = 0.1,
    seed: int = 0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Jain & Wallace's adversarial attention (2019, §4.3), per row: weights on the real tokens as
    far as possible from ``weights`` (:func:`jsd`) whose output ``forward(w)`` (differentiable,
    ``(N,)``) stays within ``tolerance`` of ``forward(weights)``, by gradient ascent on
    ``JSD − 100·max(0, |Δ output| − tolerance)²`` from random logits. The penalty is soft, so a row
    may end just past the tolerance; such a row is then pulled back along the straight line towards
    ``weights`` (bisection on the mixing share, 30 steps), so that every returned row keeps the
    output within ``tolerance`` (on the boundary where ``forward`` is linear in the weights).

    Returns
    -------
    (w_adv, jsd)
        The adversarial weights ``(N, L)`` and their JSD from ``weights``.

    Examples
    --------
    >>> w, m = torch.tensor([[0.9, 0.1]]), torch.tensor([[True, True]])
    >>> votes = torch.tensor([[1.0, 1.0]])  # equal votes: any weights give the same output
    >>> adv, d = adversarial_weights(lambda a: (a * votes).sum(1), w, m, steps=50)
    >>> bool(d.item() > 0.2), bool(torch.allclose(adv.sum(1), torch.ones(1)))
    (True, True)
    """
    _check_weights(weights, mask)
    steps = check_int(steps, "steps", minimum=1)
    gen = torch.Generator().manual_seed(check_seed(seed))
    weights = weights.detach()
    with torch.no_grad():
        target = forward(weights)
    init = torch.randn(weights.shape, generator=gen, device="cpu").to(weights.device)
    logits = init.requires_grad_(True)
    opt = torch.optim.Adam([logits], lr=lr)

    def current():
        return torch.softmax(logits.masked_fill(~mask, -1e9), 1) * mask

    for _ in range(steps):
        a = current()
        miss = torch.relu((forward(a) - target).abs() - tolerance) ** 2
        loss = -jsd(a, weights).sum() + 100 * miss.sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        a = current()
        lo, hi = torch.zeros(len(a), device=a.device), torch.ones(len(a), device=a.device)
        for _ in range(30):  # largest share of the adversary that keeps the output in tolerance
            mid = (lo + hi) / 2
            ok = (forward(weights + mid[:, None] * (a - weights)) - target).abs() <= tolerance
            lo, hi = torch.where(ok, mid, lo), torch.where(ok, hi, mid)
        inside = (forward(a) - target).abs() <= tolerance
        share = torch.where(inside, torch.ones_like(lo), lo)
        a = weights + share[:, None] * (a - weights)
        return a, jsd(a, weights)


def cross_fitted_logistic(
    features: torch.Tensor, y: torch.Tensor, n_folds: int = 10, seed: int = 0
) -> torch.Tensor:
    """Predicted labels (0/1) of a logistic regression on ``features`` (N, F), cross-fitted: each
    image is predicted by a model fitted on the other folds (``n_folds`` drawn from ``seed``),
    features standardised on the fitting folds. The simple model fitted directly, as the null a
    network must beat (notebook 02).

    Examples
    --------
    >>> f = torch.linspace(-1, 1, 40)[:, None]
    >>> y = (f[:, 0] > 0).long()
    >>> (cross_fitted_logistic(f, y, 4) == y).float().mean().item() >= 0.9
    True
    """
    if not isinstance(features, torch.Tensor) or features.ndim != 2 or len(features) < 2:
        raise ValueError(
            f"features must be a float tensor (N, F), got {getattr(features, 'shape', features)}"
        )
    if not isinstance(y, torch.Tensor) or y.shape != features.shape[:1]:
        raise ValueError(
            f"y must be a tensor ({len(features)},) of 0/1, got {getattr(y, 'shape', y)}"
        )
    n_folds = check_int(n_folds, "n_folds", minimum=2)
    x, t = features.detach().double().cpu(), y.detach().double().cpu()
    g = torch.Generator().manual_seed(check_int(seed, "seed", minimum=0))
    fold = torch.randperm(len(x), generator=g, device="cpu") % n_folds
    out = torch.zeros(len(x), dtype=torch.long, device="cpu")
    for k in range(n_folds):
        fit = fold != k
        mu, sd = x[fit].mean(0), x[fit].std(0).clamp_min(1e-12)
        z = torch.cat([(x - mu) / sd, torch.ones(len(x), 1, dtype=x.dtype, device="cpu")], 1)
        w = torch.zeros(z.shape[1], dtype=x.dtype, device="cpu", requires_grad=True)
        opt = torch.optim.LBFGS([w], max_iter=100, line_search_fn="strong_wolfe")

        def loss(z=z, fit=fit, w=w, opt=opt):
            opt.zero_grad()
            value = nn.functional.binary_cross_entropy_with_logits(z[fit] @ w, t[fit])
            value.backward()
            return value

        opt.step(loss)
        out[~fit] = (z[~fit] @ w.detach() > 0).long()
    return out


def null_range(results: Sequence[Mapping]) -> tuple[dict, dict]:
    """The lowest and the highest of several null networks' results, entry by entry.

    Each result is a (possibly nested) mapping with numbers at its leaves, e.g. one network's
    ``{"digit": {layer: silhouette}}``; every result must hold the same keys.

    Parameters
    ----------
    results : sequence of mapping
        One mapping per null network.

    Returns
    -------
    (dict, dict)
        Two mappings shaped like each result: the minimum and the maximum at every leaf.

    Examples
    --------
    >>> low, high = null_range([{"d": {"fc2": 0.1}}, {"d": {"fc2": 0.3}}])
    >>> low, high
    ({'d': {'fc2': 0.1}}, {'d': {'fc2': 0.3}})
    """
    if len(results) == 0:
        raise ValueError("results is empty: pass one mapping per null network")
    first = results[0]
    if not isinstance(first, Mapping):
        raise TypeError(f"each result must be a mapping, got {type(first).__name__}")
    low: dict = {}
    high: dict = {}
    for key in first:
        try:
            values = [r[key] for r in results]
        except KeyError as err:
            raise ValueError(f"every result must hold the key {key!r}") from err
        if isinstance(values[0], Mapping):
            low[key], high[key] = null_range(values)
        else:
            low[key], high[key] = float(min(values)), float(max(values))
    return low, high


def density_by_class(maps: torch.Tensor, region: torch.Tensor, y: torch.Tensor) -> dict[int, float]:
    """Mean over the images of each class ``k`` in ``y`` of :func:`region_density` (``maps`` in
    ``region`` relative to outside it); 1 for a uniform map.

    Examples
    --------
    >>> maps = torch.tensor([[[3.0, 1.0]], [[1.0, 1.0]]])
    >>> density_by_class(maps, torch.tensor([[[True, False]]] * 2), torch.tensor([0, 1]))
    {0: 3.0, 1: 1.0}
    """
    d = region_density(maps, region)
    return {int(k): d[y == k].mean().item() for k in y.unique()}


def split_ratio(maps: torch.Tensor, region: torch.Tensor, part: torch.Tensor) -> torch.Tensor:
    """Per image, the mean of ``maps`` on ``region`` ∩ ``part`` ÷ its mean on ``region`` outside
    ``part`` (N,); e.g. the background's upper half against its lower half. 1: no preference.

    ``maps`` (N, H, W); ``region`` (N, H, W) boolean; ``part`` (H, W) boolean, one for all images.

    Examples
    --------
    >>> maps = torch.tensor([[[4.0, 4.0], [1.0, 2.0]]])
    >>> upper = torch.tensor([[True, True], [False, False]])
    >>> split_ratio(maps, torch.ones(1, 2, 2, dtype=torch.bool), upper)
    tensor([2.6667])
    """
    inner, outer = region & part, region & ~part
    per_px = lambda r: (maps * r).sum((1, 2)) / r.sum((1, 2))  # noqa: E731
    return per_px(inner) / per_px(outer)


def paint_regions(
    widths: Sequence[int] = (4, 8, 16), size: int = 48, device: torch.device | str = "cpu"
) -> dict[str, torch.Tensor]:
    """Regions of a ``size``×``size`` frame to paint one at a time, each (size, size) boolean on
    ``device``: the upper and lower halves, and for every width ``w`` the outer ``w``-px frame and
    its inside.

    Examples
    --------
    >>> r = paint_regions((1,), size=4)
    >>> list(r), int(r["frame 1-px"].sum()), int(r["inside 1-px"].sum())
    (['upper half', 'lower half', 'frame 1-px', 'inside 1-px'], 12, 4)
    """
    rows = torch.arange(size, device=device)
    upper = (rows < size // 2)[:, None].expand(size, size)
    out = {"upper half": upper, "lower half": ~upper}
    for w in widths:
        edge = (rows < w) | (rows >= size - w)
        frame = edge[:, None] | edge[None, :]
        out |= {f"frame {w}-px": frame, f"inside {w}-px": ~frame}
    return out


def creature_sized_band(masks: torch.Tensor, side: str = "top", seed: int = 0) -> torch.Tensor:
    """Per image, a band of background as large as the creature: the background pixels (outside
    ``masks``) taken row by row from the ``side`` (``"top"`` or ``"bottom"``) edge, ties within the
    last row broken at random (from ``seed``), as many as the image's mask holds; (N, H, W) boolean.

    An area-matched null for "paint the creature": the same number of pixels, on the background.

    Examples
    --------
    >>> masks = torch.zeros(1, 4, 4, dtype=torch.bool)
    >>> masks[0, 2:, 1:3] = True  # a creature of 4 pixels
    >>> band = creature_sized_band(masks, "top")
    >>> int(band.sum()), bool(band[0, 0].all()), bool((band & masks).any())
    (4, True, False)
    >>> int(creature_sized_band(masks, "bottom")[0, 3].sum())  # the bottom row's 2 free pixels
    2
    """
    if side not in ("top", "bottom"):
        raise ValueError(f"side must be 'top' or 'bottom', not {side!r}")
    dev = masks.device
    rows = torch.arange(masks.shape[1], dtype=torch.float32, device=dev).view(1, -1, 1)
    noise = torch.rand(masks.shape, generator=torch.Generator().manual_seed(seed)).to(dev)
    key = rows.expand(masks.shape) + noise
    key = key if side == "top" else masks.shape[1] - key
    key = torch.where(masks, float("inf"), key).flatten(1)
    rank = key.argsort(1).argsort(1)
    return (rank < masks.flatten(1).sum(1, keepdim=True)).view(masks.shape)


def brightness_reader_fit(
    shares: torch.Tensor, brightness: torch.Tensor, thresholds: torch.Tensor | None = None
) -> tuple[float, float]:
    """The known-wrong reader "class 1 where brighter than t", fitted: over ``thresholds`` (default
    0.05, 0.10, …, 0.95) the smallest mean |``shares`` − the share of images the reader calls
    class 1|, and its threshold, as ``(gap, t)``.

    ``shares`` (G,): a model's share of class-1 answers on each of G groups of images;
    ``brightness`` (G, n): the brightness the reader reads, per image of each group.

    Examples
    --------
    >>> b = torch.tensor([[0.1, 0.2], [0.8, 0.9]])
    >>> brightness_reader_fit(torch.tensor([0.0, 1.0]), b)  # a threshold fits exactly
    (0.0, 0.2)
    >>> brightness_reader_fit(torch.tensor([1.0, 0.0]), b)[0]  # the opposite rule: none fits
    0.5
    """
    if thresholds is None:
        thresholds = torch.arange(0.05, 1, 0.05, device=shares.device)
    fit = lambda t: (shares - (brightness > t).float().mean(1)).abs().mean().item()  # noqa: E731
    return min((fit(t), round(float(t), 2)) for t in thresholds)


def simple_map_nulls(saliency_map: torch.Tensor, image: object) -> dict[str, torch.Tensor]:
    """Three model-free nulls for a photo's (H, W) map: the map blurred by 3 px, the photo's
    brightness, and a centred Gaussian (σ = 0.22 of the width), each (H, W).

    A map that only follows the photo's bright parts, the middle of the frame, or its own
    speckles blurred scores like one of these; keys end in "(null)".

    Parameters
    ----------
    saliency_map : torch.Tensor
        The raw map (H, W) to blur.
    image : array or tensor
        The photo as shown, (H, W, 3) with values in [0, 1] (``imagenet_deprocess``'s output).

    Examples
    --------
    >>> nulls = simple_map_nulls(torch.rand(32, 32), np.ones((32, 32, 3)))
    >>> list(nulls), nulls["the photo itself (null)"].shape
    (['raw, blurred (null)', 'the photo itself (null)', 'centre (null)'], torch.Size([32, 32]))
    """
    if not isinstance(saliency_map, torch.Tensor) or saliency_map.ndim != 2:
        raise ValueError(
            f"saliency_map must be an (H, W) tensor, got {type(saliency_map).__name__}"
        )
    h, w = saliency_map.shape
    dev = saliency_map.device
    photo = torch.as_tensor(np.asarray(image), dtype=torch.float32, device=dev)
    if photo.shape != (h, w, 3):
        raise ValueError(f"image must be (H, W, 3) = ({h}, {w}, 3), got {tuple(photo.shape)}")
    grid = [torch.arange(n, dtype=torch.float32, device=dev) for n in (h, w)]
    rows, cols = torch.meshgrid(*grid, indexing="ij")
    width = 0.22 * w
    centre = torch.exp(-((rows - (h - 1) / 2) ** 2 + (cols - (w - 1) / 2) ** 2) / (2 * width**2))
    return {
        "raw, blurred (null)": gaussian_blur(saliency_map[None, None], [19, 19], [3.0, 3.0])[0, 0],
        "the photo itself (null)": photo.mean(-1),
        "centre (null)": centre,
    }


def scaled_ellipse(mask: torch.Tensor, scale: float) -> torch.Tensor:
    """The ellipse inscribed in a region's bounding box, scaled about its centre: (H, W) bool.

    ``scale`` 1 gives the box's ellipse (a drawn oval outline is nearly its own); 0.7 a smaller,
    1.3 a larger region, to test how a share on the region depends on where it was drawn.

    Examples
    --------
    >>> m = torch.zeros(20, 20, dtype=torch.bool); m[5:15, 5:15] = True
    >>> [int(scaled_ellipse(m, s).sum()) for s in (0.5, 1.0)]
    [16, 60]
    """
    if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool or mask.ndim != 2:
        raise ValueError("mask must be a boolean (H, W) tensor")
    if not mask.any():
        raise ValueError("mask is empty")
    scale = check_number(scale, "scale", 0, low_open=True)
    (cy, ay), (cx, ax) = [
        ((v.max() + v.min()) / 2, (v.max() - v.min()) / 2) for v in mask.nonzero().T
    ]
    h, w = mask.shape
    grid = [torch.arange(n, dtype=torch.float32, device=mask.device) for n in (h, w)]
    rows, cols = torch.meshgrid(*grid, indexing="ij")
    ay, ax = max(float(ay), 0.5), max(float(ax), 0.5)
    return ((cols - cx) / (ax * scale)) ** 2 + ((rows - cy) / (ay * scale)) ** 2 <= 1


def completeness_ratio(
    model: nn.Module, x: torch.Tensor, target: object, of: str = "probability"
) -> float:
    """Median over images of Σ gradient · (x − x') / (f(x) − f(x')), x' all black.

    Near 1: the gradient at x sees the whole change from the black image to x (f locally
    linear along the way); near 0: f is flat at x (saturated) although it changed. ``of`` is
    the explained quantity: ``"probability"`` (softmax) or ``"score"`` (the logit).

    Examples
    --------
    >>> lin = nn.Sequential(nn.Flatten(), nn.Linear(4, 2))
    >>> round(completeness_ratio(lin, torch.rand(3, 1, 2, 2), 0, of="score"), 4)
    1.0
    """
    x, t, dev = prepare_batch(model, x, target)
    x_req = x.detach().to(dev).clone().requires_grad_(True)
    f = class_score(model(x_req), t.to(dev), of)
    with torch.no_grad():
        f0 = class_score(model(torch.zeros_like(x_req)), t.to(dev), of)
    (g,) = torch.autograd.grad(f.sum(), x_req)
    return float(((g * x_req.detach()).flatten(1).sum(1) / (f.detach() - f0)).median())


def curves_by_setting(
    model: nn.Module,
    x: torch.Tensor,
    target: object,
    maps: dict[str, torch.Tensor],
    settings: Sequence[tuple[str, object]],
    steps: int = 10,
    seed: int = 0,
    keep: Callable[[str, str, object], bool] | None = None,
) -> dict[tuple, dict[str, DeletionCurve]]:
    """Deletion or insertion curves of several maps in several settings.

    Parameters
    ----------
    model, x, target
        As in :func:`deletion_curve`.
    maps : dict
        {name: maps (N, H, W)}.
    settings : sequence of (kind, fill)
        ``kind`` "deletion" or "insertion"; ``fill`` anything :func:`deletion_curve` accepts.
        A fill that is a tensor is keyed by the name ``"canvas"``.
    steps, seed
        As in :func:`deletion_curve` (ties broken at random with ``seed``).
    keep : callable, optional
        ``keep(name, kind, fill)`` → bool: which maps to score in which setting (all if omitted).

    Returns
    -------
    dict
        ``{(kind, fill name): {map name: DeletionCurve}}``.

    Examples
    --------
    >>> from xai_helpers.models import MnistCNN
    >>> x = torch.rand(2, 1, 28, 28)
    >>> c = curves_by_setting(MnistCNN(), x, 0, {"r": torch.rand(2, 28, 28)},
    ... [("deletion", "black"), ("insertion", "grey")], steps=4)
    >>> list(c), len(c["deletion", "black"]["r"].fractions)
    ([('deletion', 'black'), ('insertion', 'grey')], 5)
    """
    curve_of = {"deletion": deletion_curve, "insertion": insertion_curve}
    out: dict[tuple, dict[str, DeletionCurve]] = {}
    for kind, fill in settings:
        if kind not in curve_of:
            raise ValueError(f"kind must be 'deletion' or 'insertion', got {kind!r}")
        name = "canvas" if isinstance(fill, torch.Tensor) else fill
        out[kind, name] = {
            n: curve_of[kind](model, x, target, m, steps=steps, fill=fill, seed=seed)
            for n, m in maps.items()
            if keep is None or keep(n, kind, name)
        }
    return out


def keep_only_in_settings(
    only: Mapping[str, Sequence[tuple[str, str]]],
) -> Callable[[str, str, object], bool]:
    """A ``keep`` for :func:`curves_by_setting` that scores some maps in listed settings only.

    Parameters
    ----------
    only : mapping
        {part of a map's name: [(kind, fill name), ...]}. A map whose name contains that part is
        scored only in the listed settings (all parts it contains must allow the setting);
        every other map is scored everywhere. Fill names as :func:`curves_by_setting` keys them
        (``"black"``, ``"grey"``, ``"canvas"``).

    Returns
    -------
    callable
        ``keep(name, kind, fill name)`` → bool.

    Examples
    --------
    >>> keep = keep_only_in_settings({"LRP": [("deletion", "black")]})
    >>> keep("LRP composite", "deletion", "black"), keep("|LRP|", "insertion", "grey")
    (True, False)
    >>> keep("IG black", "insertion", "canvas")
    True
    """
    allowed = {part: {(str(k), str(f)) for k, f in settings} for part, settings in only.items()}

    def keep(name: str, kind: str, fill: object) -> bool:
        setting = (str(kind), str(fill))
        return all(setting in ok for part, ok in allowed.items() if part in name)

    return keep


def log_odds_auc(curve: DeletionCurve) -> torch.Tensor:
    """Area under a curve's log-odds log(p / (1 − p)), p clipped to [1e-6, 1 − 1e-6]: (N,).

    Log-odds do not compress differences near p = 0 or 1, where a softmax saturates.

    Examples
    --------
    >>> c = DeletionCurve(torch.linspace(0, 1, 3), torch.tensor([[0.5, 0.5, 0.5]]))
    >>> log_odds_auc(c)
    tensor([0.])
    """
    return torch.trapezoid(curve.probs.clamp(1e-6, 1 - 1e-6).logit(), curve.fractions)


def auc_table(curves: dict[tuple, dict[str, DeletionCurve]]) -> str:
    """Mean AUC of p (and of log-odds) of every map in every setting, one row a map.

    ``curves`` as :func:`curves_by_setting` returns it; "—" where a map was not scored.

    Examples
    --------
    >>> c = DeletionCurve(torch.linspace(0, 1, 3), torch.tensor([[0.5, 0.5, 0.5]]))
    >>> print(auc_table({("deletion", "black"): {"r": c}}))
    AUC of p (of log-odds)      deletion  black
    r                           0.500 ( +0.0)
    """
    if not curves:
        raise ValueError("curves is empty")
    names = list(dict.fromkeys(n for cs in curves.values() for n in cs))
    lines = [f"{'AUC of p (of log-odds)':27s} " + "".join(f"{k} {f:>6s}    " for k, f in curves)]
    for n in names:
        cells = [
            f"{float(cs[n].auc.mean()):.3f} ({float(log_odds_auc(cs[n]).mean()):+5.1f})"
            if n in cs
            else "—".center(14)
            for cs in curves.values()
        ]
        lines.append(f"{n:27s} " + "  ".join(cells))
    return "\n".join(line.rstrip() for line in lines)


def randomization_runs(
    model: nn.Module,
    x: torch.Tensor,
    target: object,
    methods: dict[str, Callable],
    seeds: Sequence[int],
    masks: dict[str, torch.Tensor | None],
    derived: dict[str, tuple[str, Callable]] | None = None,
) -> tuple[dict, dict, dict]:
    """The cascading randomization test (:func:`randomization_check`) of several methods, each
    repeated for several re-initialisations, scored under several masks.

    ``derived`` ({name: (base method, transform)}) scores a transform of another method's maps
    (its magnitude, its positive part) without explaining the networks again; its base must come
    earlier in ``methods``. Every method is scored under every mask of ``masks`` ({name: mask or
    None}), each network explained once.

    Returns
    -------
    kept : dict
        ``{(method, seed): {step: maps}}``.
    runs : dict
        ``{mask name: {method: [one {step: rho} per seed]}}``.
    means : dict
        ``{mask name: {method: {step: mean rho over the seeds}}}``.

    Examples
    --------
    >>> from xai_helpers.attribution import saliency
    >>> from xai_helpers.models import MnistCNN
    >>> x = torch.rand(2, 1, 28, 28)
    >>> kept, runs, means = randomization_runs(MnistCNN(), x, 0, {"s": saliency}, (0, 1),
    ... {"all": None}, derived={"|s|": ("s", torch.abs)})
    >>> list(means["all"]), len(runs["all"]["s"]), list(means["all"]["s"])[:2]
    (['s', '|s|'], 2, ['trained', 'fc2'])
    """
    derived = derived or {}
    kept: dict = {}
    runs: dict = {w: {} for w in masks}
    for n in [*methods, *derived]:
        for s in seeds:
            if n in derived:
                base, f = derived[n]
                kept[n, s] = {k: f(m) for k, m in kept[base, s].items()}
                r = randomization_scores(kept[n, s], masks=masks)
            else:
                kept[n, s] = {}
                r = randomization_check(
                    model, x, target, methods[n], seed=s, masks=masks, maps_out=kept[n, s]
                )
            for w in masks:
                runs[w].setdefault(n, []).append(r[w])
    means = {
        w: {n: {k: sum(r[k] for r in rs) / len(rs) for k in rs[0]} for n, rs in by.items()}
        for w, by in runs.items()
    }
    return kept, runs, means
