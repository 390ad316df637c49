"""LIME: explain a black box near one point with a linear model fitted to its answers (lecture §15).

LIME (Ribeiro et al. 2016) in the lecture's four steps — take the point, sample nearby, fit a
linear model to the black box's outputs weighted by proximity, read the weights — written out
for tables (:func:`lime_tabular_from_scratch`) and for images (:func:`segment`,
:func:`sample_masks`,
:func:`query_masked`, :func:`cosine_kernel`, :func:`fit_local_linear`), and the ``lime`` package's
explainers behind thin wrappers (:func:`lime_tabular_weights`, :func:`lime_image`) so the two can be
compared. Its figures are in :mod:`xai_helpers.plotting` (``show_segment_weights``,
``show_local_line``).

Black boxes are plain callables: ``predict_fn(X) -> outputs`` on NumPy arrays, so any model fits;
LIME works on NumPy arrays and returns arrays or small dataclasses. Everything random takes a
``seed``; the same seed gives the same numbers. The ``lime`` package is imported by absolute name
(``lime.lime_image``), so this module's own name does not shadow it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from ._torch import model_device, predict_proba
from .evaluation import region_density, region_share
from .validation import (
    check_array,
    check_black_box,
    check_image_batch,
    check_indices,
    check_int,
    check_nonnegative,
    check_number,
    check_positive,
    check_positive_int,
    check_seed,
)

__all__ = [
    "LocalLinear",
    "fit_local_linear",
    "gaussian_kernel",
    "lime_tabular_from_scratch",
    "lime_tabular_weights",
    "segment",
    "segment_along_mask",
    "outline_segments",
    "sample_masks",
    "perturb",
    "query_masked",
    "cosine_kernel",
    "lime_log_odds",
    "region_deletion",
    "region_deletions",
    "drops_per_brightness",
    "region_weight",
    "positive_share",
    "random_readout_shares",
    "background_share",
    "share_scores",
    "uniform_reader_weights",
    "BrightnessReader",
    "classifier_fn",
    "lime_image",
    "explanation_weights",
    "weights_to_map",
    "segment_share",
    "weight_share",
    "segment_density",
    "background_density_ratio",
    "background_density_scores",
]


@dataclass
class LocalLinear:
    """A linear model fitted to a black box near one point.

    Attributes
    ----------
    coef : np.ndarray
        One weight per feature (interpretable component).
    intercept : float
    r2 : float
        Weighted R² of the fit on the neighbours: how well the line mimics the black box *there*.
    samples, outputs, weights : np.ndarray
        The neighbours (in the features the line is fitted on), the black box's outputs on them,
        and their proximity weights.
    """

    coef: np.ndarray
    intercept: float
    r2: float
    samples: np.ndarray = field(repr=False)
    outputs: np.ndarray = field(repr=False)
    weights: np.ndarray = field(repr=False)

    def predict(self, Z: np.ndarray) -> np.ndarray:
        """The line's output on features ``Z`` (n, d)."""
        return np.asarray(Z, dtype=np.float64) @ self.coef + self.intercept


def fit_local_linear(
    Z: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None, alpha: float = 1.0
) -> LocalLinear:
    """Step 3 of LIME: a (ridge) linear model fitted to the black box's outputs, weighted by
    proximity.

    Parameters
    ----------
    Z : np.ndarray
        Interpretable features of the neighbours, (n, d).
    y : np.ndarray
        The black box's output on each neighbour, (n,).
    sample_weight : np.ndarray, optional
        Proximity weight of each neighbour (default: all 1).
    alpha : float
        Ridge penalty; ``1.0`` is what the ``lime`` package uses, ``0`` is ordinary least squares.

    Examples
    --------
    >>> Z = np.random.default_rng(0).normal(size=(200, 2))
    >>> fit = fit_local_linear(Z, 3 * Z[:, 0] - Z[:, 1] + 1, alpha=0.0)
    >>> np.round(fit.coef, 3).tolist(), round(fit.intercept, 3), round(fit.r2, 3)
    ([3.0, -1.0], 1.0, 1.0)
    """
    from sklearn.linear_model import Ridge

    Z = check_array(Z, "Z", ndim=2).astype(np.float64)
    y = np.asarray(y, dtype=np.float64)
    if y.shape != (Z.shape[0],):
        raise ValueError(
            f"y must have one output per neighbour, shape ({Z.shape[0]},), got {y.shape}"
        )
    if not np.isfinite(y).all():
        raise ValueError("y contains NaN or infinite values")
    w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    if w.shape != y.shape or (w < 0).any() or w.sum() <= 0:
        raise ValueError(f"sample_weight must be {len(y)} non-negative numbers, not all zero")
    alpha = check_nonnegative(alpha, "alpha")
    model = Ridge(alpha=alpha, fit_intercept=True).fit(Z, y, sample_weight=w)
    return LocalLinear(
        model.coef_.copy(),
        float(model.intercept_),
        float(model.score(Z, y, sample_weight=w)),
        Z,
        y,
        w,
    )


def gaussian_kernel(d: np.ndarray, kernel_width: float) -> np.ndarray:
    """Proximity weight exp(−d² / (2·width²)); the ``lime`` package's sqrt(exp(−d²/width²)).

    Examples
    --------
    >>> gaussian_kernel(np.array([0.0, 1.0]), 1.0).round(3).tolist()
    [1.0, 0.607]
    """
    kernel_width = check_positive(kernel_width, "kernel_width")
    return np.exp(-(np.asarray(d, dtype=np.float64) ** 2) / (2 * kernel_width**2))


def lime_tabular_from_scratch(
    predict_fn: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    kernel_width: float | None = None,
    n_samples: int = 5000,
    seed: int = 0,
    scale: np.ndarray | None = None,
    sample_std: float = 1.0,
    alpha: float = 1.0,
) -> LocalLinear:
    """LIME for a table, in the lecture's four steps.

    1. the point ``x``; 2. sample nearby: ``x + sample_std · scale · N(0, 1)``; 3. query the black
    box ``predict_fn`` and weight each neighbour by its proximity (a Gaussian of the distance
    measured in units of ``scale``, width ``kernel_width``); 4. fit a weighted linear model and read
    its weights.

    Parameters
    ----------
    predict_fn : callable
        The black box: an (n, d) array to n outputs (e.g. ``lambda X: forest.predict_proba(X)[:,
        1]``).
    x : np.ndarray
        The point to explain, (d,).
    kernel_width : float, optional
        Width of the proximity kernel, in units of ``scale``: what "nearby" means — a
        hyperparameter. Default ``0.75·sqrt(d)``, the ``lime`` package's.
    n_samples : int
        Number of neighbours (the point itself is the first).
    seed : int
        Seed of the sampling.
    scale : np.ndarray, optional
        Per-feature unit (e.g. the training data's standard deviation; default 1). The weights are
        per unit of ``scale``, so features measured in different units can be compared, as in
        ``lime``.
    sample_std : float
        Spread of the sampling, in units of ``scale`` (``lime`` uses 1).
    alpha : float
        Ridge penalty of the fit (``lime``: 1).

    Returns
    -------
    LocalLinear
        ``coef`` (one weight per feature, per unit of ``scale``), ``intercept``, ``r2``;
        ``samples`` are the neighbours in units of ``scale`` relative to ``x``.

    Examples
    --------
    >>> fit = lime_tabular_from_scratch(lambda X: 2 * X[:, 0] - X[:, 1], np.zeros(2), seed=0)
    >>> np.round(fit.coef, 2).tolist()
    [2.0, -1.0]
    """
    x = check_array(x, "x", ndim=1).astype(np.float64)
    d = x.shape[0]
    n_samples = check_int(n_samples, "n_samples", minimum=d + 2)
    kernel_width = (
        0.75 * np.sqrt(d) if kernel_width is None else check_positive(kernel_width, "kernel_width")
    )
    sample_std = check_positive(sample_std, "sample_std")
    scale = np.ones(d) if scale is None else check_array(scale, "scale", ndim=1).astype(np.float64)
    if scale.shape != (d,) or (scale <= 0).any():
        raise ValueError(
            f"scale must hold {d} positive numbers (one per feature), got shape {scale.shape}"
        )
    rng = np.random.default_rng(check_seed(seed))
    Z = rng.normal(
        0.0, sample_std, size=(n_samples, d)
    )  # step 2: sample nearby (in units of scale)
    Z[0] = 0.0  # the point itself
    y = check_black_box(predict_fn, x + Z * scale)  # step 3: ask the black box
    if y.ndim != 1:
        raise ValueError(
            "predict_fn must return one number per row (e.g. one class's probability), "
            f"got shape {y.shape}"
        )
    w = gaussian_kernel(np.linalg.norm(Z, axis=1), kernel_width)  # "nearby": proximity weights
    return fit_local_linear(Z, y, sample_weight=w, alpha=alpha)  # step 4: the line to read


def lime_tabular_weights(
    predict_fn: Callable[[np.ndarray], np.ndarray],
    X_train: np.ndarray,
    x: np.ndarray,
    target: int = 1,
    n_samples: int = 5000,
    seed: int = 0,
    kernel_width: float | None = None,
) -> tuple[np.ndarray, float]:
    """The ``lime`` package's tabular explanation of one point, as one weight per feature.

    Uses ``lime.lime_tabular.LimeTabularExplainer`` configured as :func:`lime_tabular_from_scratch`
    works: continuous features (no discretization), sampling around ``x`` with the training data's
    standard deviations, all features kept.

    ``target`` is the class whose probability is explained.

    Returns
    -------
    (np.ndarray, float)
        Weights (d,) per standard deviation of each feature, and the local fit's R².

    Examples
    --------
    >>> X = np.random.default_rng(0).normal(size=(100, 3))
    >>> f = lambda A: np.c_[1 - A[:, 0] / 10, A[:, 0] / 10]
    >>> w, r2 = lime_tabular_weights(f, X, X[0], n_samples=500)
    >>> int(np.argmax(np.abs(w)))
    0
    """
    from lime.lime_tabular import LimeTabularExplainer

    X_train = check_array(X_train, "X_train", ndim=2).astype(np.float64)
    x = check_array(x, "x", ndim=1).astype(np.float64)
    if x.shape[0] != X_train.shape[1]:
        raise ValueError(f"x has {x.shape[0]} features but X_train has {X_train.shape[1]}")
    n_samples = check_int(n_samples, "n_samples", minimum=2)
    explainer = LimeTabularExplainer(
        X_train,
        mode="classification",
        discretize_continuous=False,
        sample_around_instance=True,
        kernel_width=kernel_width,
        feature_selection="none",
        random_state=check_seed(seed),
    )
    exp = explainer.explain_instance(
        x, predict_fn, labels=(target,), num_features=X_train.shape[1], num_samples=n_samples
    )
    w = np.zeros(X_train.shape[1])
    for i, v in exp.as_map()[target]:
        w[i] = v
    return w, float(exp.score)


# --------------------------------------------------------------------------- LIME on images


def segment(
    image: np.ndarray, method: str = "slic", n_segments: int | None = None, seed: int = 0
) -> np.ndarray:
    """Step 1 on an image: cut it into superpixels (segments), labelled 0..S−1.

    * ``"slic"`` (default): ``skimage.segmentation.slic`` with ``n_segments`` (default one per
      ~1,250 pixels, so ≈ 40 on a 224×224 image and at least 8), ``compactness=10``, ``sigma=1``.
      SLIC makes compact segments of similar size, so a deleted segment is a similar-sized hole
      at any image size.
    * ``"quickshift"``: ``kernel_size = max(2, min(H, W) // 56)`` (4 at 224×224, ``lime``'s
      default), ``max_dist=200``, ``ratio=0.2``; the number of segments follows the image's content.
    * ``"grid"``: square cells, ``n_segments`` of them (rounded to a square number).

    Parameters
    ----------
    image : np.ndarray
        (H, W, 3) RGB, uint8 or float in [0, 1] (what you would show; not a normalised tensor).

    Examples
    --------
    >>> from xai_helpers.data import load_photo
    >>> seg = segment(load_photo("chelsea")[:112, :112], n_segments=10)
    >>> int(seg.min()), seg.shape
    (0, (112, 112))
    """
    from skimage.segmentation import quickshift, slic

    img = np.asarray(image)
    if img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f"image must be RGB of shape (H, W, 3), got shape {img.shape}")
    if img.dtype != np.uint8:
        img = img.astype(np.float64)
        if not np.isfinite(img).all() or img.min() < 0 or img.max() > 1:
            raise ValueError(
                "a float image must lie in [0, 1] (pass the displayable image, not the "
                "normalised input)"
            )
    h, w = img.shape[:2]
    if n_segments is None:
        n_segments = max(8, h * w // 1250)
    n_segments = check_int(n_segments, "n_segments", minimum=2)
    if method == "slic":
        seg = slic(
            img, n_segments=n_segments, compactness=10, sigma=1, start_label=0, channel_axis=-1
        )
    elif method == "quickshift":
        seg = quickshift(
            img, kernel_size=max(2, min(h, w) // 56), max_dist=200, ratio=0.2, rng=check_seed(seed)
        )
    elif method == "grid":
        k = max(1, round(np.sqrt(n_segments)))
        rows = np.minimum(np.arange(h) * k // h, k - 1)
        cols = np.minimum(np.arange(w) * k // w, k - 1)
        seg = rows[:, None] * k + cols[None, :]
    else:
        raise ValueError(f"method must be 'slic', 'quickshift' or 'grid', got {method!r}")
    _, seg = np.unique(seg, return_inverse=True)  # labels 0..S-1 without gaps
    return seg.reshape(h, w).astype(np.int64)


def segment_along_mask(
    image: np.ndarray, mask: np.ndarray, n_segments: int | None = None
) -> np.ndarray:
    """Superpixels that never straddle an object's outline: :func:`segment` (SLIC), then every
    segment cut in two along ``mask``.

    Each resulting segment is either pure object or pure background, so LIME can delete the object
    without touching the background and back.

    Parameters
    ----------
    image : np.ndarray
        (H, W, 3) RGB in [0, 1] or uint8.
    mask : np.ndarray
        (H, W) boolean, True on the object.
    n_segments : int, optional
        Passed to :func:`segment`.

    Returns
    -------
    np.ndarray
        (H, W) labels 0..S−1.

    Examples
    --------
    >>> img = np.zeros((8, 8, 3)); m = np.zeros((8, 8), bool); m[2:6, 2:6] = True
    >>> seg = segment_along_mask(img, m, n_segments=4)
    >>> all(len(set(m[seg == s].tolist())) == 1 for s in range(seg.max() + 1))
    True
    """
    m = np.asarray(mask)
    if m.dtype != bool or m.shape != np.asarray(image).shape[:2]:
        raise ValueError(
            f"mask must be boolean of the image's shape {np.asarray(image).shape[:2]}, "
            f"got dtype {m.dtype}, shape {m.shape}"
        )
    seg = segment(image, method="slic", n_segments=n_segments) * 2 + m
    _, seg = np.unique(seg, return_inverse=True)
    return seg.reshape(m.shape).astype(np.int64)


_OUTLINE_CACHE: dict[tuple, np.ndarray] = {}


def outline_segments(
    image: torch.Tensor, mask: torch.Tensor | np.ndarray, n_segments: int | None = None
) -> np.ndarray:
    """:func:`segment_along_mask` of a (3, H, W) image tensor and its (H, W) object mask, computed
    once per image: the result is kept, keyed by the image's and the mask's bytes, so that every
    explanation of one image reuses its segments (SLIC takes about 0.1 s per image).

    Examples
    --------
    >>> img = torch.zeros(3, 8, 8); m = np.zeros((8, 8), bool); m[2:6, 2:6] = True
    >>> outline_segments(img, m, 4) is outline_segments(img.clone(), m.copy(), 4)
    True
    """
    img = torch.as_tensor(image).detach().cpu()
    if img.ndim != 3:
        raise ValueError(f"image must be (C, H, W), got shape {tuple(img.shape)}")
    m = np.asarray(mask, dtype=bool)
    arr = img.permute(1, 2, 0).numpy()
    key = (arr.tobytes(), arr.shape, m.tobytes(), n_segments)
    if key not in _OUTLINE_CACHE:
        _OUTLINE_CACHE[key] = segment_along_mask(arr, m, n_segments=n_segments)
    return _OUTLINE_CACHE[key]


def sample_masks(
    n_segments: int, n_samples: int, seed: int = 0, keep: float = 0.5, scheme: str = "keep"
) -> np.ndarray:
    """Step 2 on an image: neighbours as random on/off patterns over the segments (1 = kept).

    The first row is all ones: the image itself. Two samplers:

    * ``scheme="keep"`` (default): each segment is kept independently with probability ``keep``, so
      most neighbours keep about ``keep``·S segments. This is what the ``lime`` package's
      ``LimeImageExplainer`` does (version 0.2: ``randint(0, 2)`` per segment).
    * ``scheme="count"``: as ``lime``'s text explainer, after Ribeiro, Singh & Guestrin (KDD 2016,
      §3.3, who draw the number of *kept* components uniformly): the *number* of deleted segments is
      drawn uniformly from 1..S, then which ones, uniformly. Neighbours then range from one segment
      deleted to all; ``keep`` is not used.

    Examples
    --------
    >>> m = sample_masks(5, 4, seed=0)
    >>> m.shape, m[0].tolist()
    ((4, 5), [1, 1, 1, 1, 1])
    >>> c = sample_masks(5, 2000, seed=0, scheme="count")
    >>> sorted(set((5 - c[1:].sum(1)).tolist()))  # every number of deletions from 1 to 5
    [1, 2, 3, 4, 5]
    """
    n_segments = check_int(n_segments, "n_segments", minimum=1)
    n_samples = check_int(n_samples, "n_samples", minimum=2)
    keep = check_number(keep, "keep", 0, 1, low_open=True, high_open=True)
    if scheme not in ("keep", "count"):
        raise ValueError(
            "scheme must be 'keep' (each segment kept with probability keep) or 'count' "
            f"(the number of deletions uniform), got {scheme!r}"
        )
    rng = np.random.default_rng(check_seed(seed))
    if scheme == "keep":
        masks = (rng.random((n_samples, n_segments)) < keep).astype(np.int64)
    else:
        deleted = rng.integers(1, n_segments + 1, size=n_samples)
        order = (
            rng.random((n_samples, n_segments)).argsort(1).argsort(1)
        )  # a random order of the segments, per row
        masks = (order >= deleted[:, None]).astype(
            np.int64
        )  # the first `deleted` of that order are deleted
    masks[0] = 1
    return masks


def _check_segments(segments: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    seg = np.asarray(segments)
    if not np.issubdtype(seg.dtype, np.integer):
        raise TypeError(f"segments must be an integer label image, got dtype {seg.dtype}")
    if seg.shape != tuple(shape):
        raise ValueError(f"segments must have the image's shape {tuple(shape)}, got {seg.shape}")
    if seg.min() < 0:
        raise ValueError("segment labels must be >= 0")
    return seg


def perturb(
    x: torch.Tensor,
    segments: np.ndarray,
    masks: np.ndarray,
    fill: float | Sequence[float] | str = 0.0,
) -> torch.Tensor:
    """Delete segments: where ``masks[i, s] == 0``, segment ``s`` of image ``x`` becomes ``fill``.

    Parameters
    ----------
    x : torch.Tensor
        One image in the model's input space, (1, C, H, W).
    segments : np.ndarray
        Label image (H, W) from :func:`segment`.
    masks : np.ndarray
        (n, S) of 0/1 from :func:`sample_masks`.
    fill : float, sequence of C floats, or ``"mean"``
        Value of deleted pixels in the model's input space (0 after ImageNet normalisation = the
        data set's mean colour); ``"mean"`` paints each deleted segment with its own mean colour,
        as the ``lime`` package does by default (``hide_color=None``).

    Returns
    -------
    torch.Tensor
        (n, C, H, W) on ``x``'s device.

    Examples
    --------
    >>> seg = np.array([[0, 1], [0, 1]])
    >>> perturb(torch.ones(1, 1, 2, 2), seg, np.array([[1, 0]]))[0, 0].tolist()
    [[1.0, 0.0], [1.0, 0.0]]
    >>> x = torch.tensor([[[[0.0, 1.0], [2.0, 1.0]]]])
    >>> perturb(x, seg, np.array([[0, 1]]), fill="mean")[0, 0].tolist()
    [[1.0, 1.0], [1.0, 1.0]]
    """
    check_image_batch(x, "x")
    if x.shape[0] != 1:
        raise ValueError(f"x must be one image (1, C, H, W), got a batch of {x.shape[0]}")
    seg = torch.as_tensor(_check_segments(segments, x.shape[2:]), device=x.device)
    m = np.asarray(masks)
    if m.ndim != 2 or m.shape[1] <= int(seg.max()):
        raise ValueError(
            f"masks must have shape (n, {int(seg.max()) + 1}) (one column per segment), "
            f"got {m.shape}"
        )
    keep = torch.as_tensor(m, dtype=x.dtype, device=x.device)[:, seg][:, None]  # (n, 1, H, W)
    if isinstance(fill, str):
        if fill != "mean":
            raise ValueError(f"fill must be a number, one per channel, or 'mean', got {fill!r}")
        flat, n_seg = seg.reshape(-1), int(seg.max()) + 1
        size = torch.bincount(flat, minlength=n_seg).to(x.dtype)
        sums = torch.zeros(x.shape[1], n_seg, dtype=x.dtype, device=x.device)
        sums.index_add_(1, flat, x[0].reshape(x.shape[1], -1))
        fill_t = (sums / size.clamp(min=1))[:, seg][None]  # (1, C, H, W): each segment's mean
    else:
        fill_t = torch.as_tensor(fill, dtype=x.dtype, device=x.device).reshape(1, -1, 1, 1)
    return x * keep + fill_t * (1 - keep)


@torch.no_grad()
def query_masked(
    model: nn.Module,
    x: torch.Tensor,
    segments: np.ndarray,
    masks: np.ndarray,
    fill: float | Sequence[float] | str = 0.0,
    batch_size: int = 32,
    progress: bool = True,
    output: str = "proba",
) -> np.ndarray:
    """Step 3 on an image: the black box's class probabilities on every neighbour, in batches.

    ``output="proba"`` (default) gives softmax probabilities; ``"logits"`` the raw logits, which
    keep moving where a probability saturates at 0 or 1 (the log-odds of class k against class j is
    ``logits[:, k] - logits[:, j]``).

    Returns
    -------
    np.ndarray
        (n, K) softmax probabilities or logits, on the CPU.

    Examples
    --------
    >>> model = nn.Sequential(nn.Flatten(), nn.Linear(4, 3))
    >>> p = query_masked(model, torch.ones(1, 1, 2, 2), np.array([[0, 1], [0, 1]]), sample_masks(2,
    ... 5), progress=False)
    >>> p.shape
    (5, 3)
    """
    from tqdm.auto import tqdm

    batch_size = check_int(batch_size, "batch_size", minimum=1)
    if output not in ("proba", "logits"):
        raise ValueError(f"output must be 'proba' or 'logits', got {output!r}")
    model.eval()
    dev = model_device(model)
    x = x.to(dev)
    masks = np.asarray(masks)
    out = []
    for i in tqdm(
        range(0, len(masks), batch_size), desc="querying the black box", disable=not progress
    ):
        batch = perturb(x, segments, masks[i : i + batch_size], fill)
        # channels-last images: the same outputs (to float rounding), ~30 % less CPU per conv
        batch = batch.contiguous(memory_format=torch.channels_last)
        if output == "proba":
            out.append(predict_proba(model, batch, batch_size=batch_size))
        else:
            out.append(model(batch).detach().cpu())
    return torch.cat(out).double().numpy()


def cosine_kernel(masks: np.ndarray, kernel_width: float = 0.25) -> np.ndarray:
    """Proximity of each neighbour to the image: ``lime``'s kernel on the cosine distance to
    all-ones.

    Examples
    --------
    >>> cosine_kernel(np.array([[1, 1], [1, 0]])).round(3).tolist()
    [1.0, 0.503]
    """
    m = np.asarray(masks, dtype=np.float64)
    if m.ndim != 2:
        raise ValueError(f"masks must have shape (n, S), got {m.shape}")
    norms = np.linalg.norm(m, axis=1) * np.sqrt(m.shape[1])
    cos = np.divide(m.sum(1), norms, out=np.zeros(len(m)), where=norms > 0)
    return gaussian_kernel(1.0 - cos, kernel_width)


def lime_log_odds(
    model: nn.Module,
    x: torch.Tensor,
    target: int,
    segments: np.ndarray,
    n_samples: int = 150,
    seed: int = 0,
    fill: float | Sequence[float] | str = 0.5,
    kernel_width: float = 0.25,
    alpha: float = 1.0,
    scheme: str = "keep",
) -> LocalLinear:
    """LIME on an image, explaining the **log-odds** of class ``target`` instead of its probability.

    The steps of the ``lime`` package (masks from :func:`sample_masks`, deleted segments set to
    ``fill``, :func:`cosine_kernel` proximity, ridge fit with ``alpha``), but the black box's output
    is ``logit[target] − logsumexp(other logits)`` = log(p / (1 − p)), which keeps moving where p
    saturates at 0 or 1. A weight is then the change of the log-odds when the segment is deleted,
    and the sum of the weights of a set of segments is the line's prediction of deleting them all.

    Returns
    -------
    LocalLinear
        One weight per segment (``coef``), ``r2``; ``outputs`` are the neighbours' log-odds.

    Examples
    --------
    >>> model = nn.Sequential(nn.Flatten(), nn.Linear(3 * 4 * 4, 2))
    >>> seg = segment(np.zeros((4, 4, 3)), method="grid", n_segments=4)
    >>> lime_log_odds(model, torch.rand(1, 3, 4, 4), 1, seg, n_samples=50).coef.shape
    (4,)
    """
    check_image_batch(x, "x")
    seg = _check_segments(segments, x.shape[2:])
    masks = sample_masks(int(seg.max()) + 1, n_samples, seed=seed, scheme=scheme)
    z = query_masked(
        model, x, seg, masks, fill, batch_size=len(masks), progress=False, output="logits"
    )
    return fit_local_linear(
        masks, _log_odds(z, target), sample_weight=cosine_kernel(masks, kernel_width), alpha=alpha
    )


def _log_odds(logits: np.ndarray, target: int) -> np.ndarray:
    if not 0 <= target < logits.shape[1]:
        raise ValueError(f"target must be a class in 0..{logits.shape[1] - 1}, got {target}")
    others = np.delete(logits, target, axis=1)
    top = others.max(1, keepdims=True)
    return logits[:, target] - (top[:, 0] + np.log(np.exp(others - top).sum(1)))


def region_deletion(
    model: nn.Module,
    x: torch.Tensor,
    target: int,
    region: np.ndarray,
    fill: float | Sequence[float] | str = 0.5,
) -> tuple[float, float]:
    """The ground truth LIME's weights estimate: the log-odds of ``target`` drop when a whole
    region is deleted (set to ``fill``), and when everything outside it is.

    Returns
    -------
    (float, float)
        log-odds(x) − log-odds(x with ``region`` filled), and the same with the complement filled.
        Positive: deleting it lowers the class's log-odds (the model uses it for the class).

    Examples
    --------
    >>> model = nn.Sequential(nn.Flatten(), nn.Linear(3 * 2 * 2, 2))
    >>> region = np.array([[True, False], [False, False]])
    >>> len(region_deletion(model, torch.rand(1, 3, 2, 2), 1, region))
    2
    """
    check_image_batch(x, "x")
    r = np.asarray(region)
    if r.dtype != bool or r.shape != tuple(x.shape[2:]):
        raise ValueError(f"region must be boolean of shape {tuple(x.shape[2:])}, got {r.shape}")
    masks = np.array([[1, 1], [0, 1], [1, 0]])  # segment 0 = region, 1 = the rest
    seg = (~r).astype(np.int64)
    z = query_masked(model, x, seg, masks, fill, batch_size=3, progress=False, output="logits")
    lo = _log_odds(z, target)
    return float(lo[0] - lo[1]), float(lo[0] - lo[2])


def region_deletions(
    model: nn.Module,
    X: torch.Tensor,
    target: int,
    masks: torch.Tensor | np.ndarray,
    fill: float | Sequence[float] | str = 0.5,
) -> np.ndarray:
    """:func:`region_deletion` of the background (where ``masks`` is False) for each image of ``X``.

    Returns
    -------
    np.ndarray
        (n, 2): per image, the drop of ``target``'s log-odds when the whole background is set to
        ``fill``, and when the whole object is.

    Examples
    --------
    >>> model = nn.Sequential(nn.Flatten(), nn.Linear(3 * 2 * 2, 2))
    >>> m = np.array([[[True, False], [False, False]]] * 3)
    >>> region_deletions(model, torch.rand(3, 3, 2, 2), 1, m).shape
    (3, 2)
    """
    check_image_batch(X, "X")
    m = np.asarray(masks, dtype=bool)
    if m.shape != (len(X), *X.shape[2:]):
        raise ValueError(f"masks must have shape {(len(X), *X.shape[2:])}, got {m.shape}")
    return np.array([region_deletion(model, X[[i]], target, ~m[i], fill) for i in range(len(X))])


def drops_per_brightness(
    model: nn.Module,
    X: torch.Tensor,
    target: int,
    masks: torch.Tensor | np.ndarray,
    fill: float = 0.5,
) -> np.ndarray:
    """Log-odds drops per unit of mean brightness changed, for two edits of each image.

    Edit 1 sets the whole background (where ``masks`` is False) to ``fill``; edit 2 paints the
    object (where ``masks`` is True) in the background's mean colour. Each drop of ``target``'s
    log-odds is divided by the change of the image's mean pixel value that the edit makes. A model
    that reads only the mean brightness moves the same per unit of brightness wherever the pixels
    change (a ratio of 1 between the two columns); a model that reads the background moves far
    more per unit of brightness in column 0.

    Returns
    -------
    np.ndarray
        (n, 2): per image, drop / brightness change for edit 1 and for edit 2.

    Examples
    --------
    >>> m = np.array([[[True, False], [False, False]]])
    >>> x = torch.tensor([[[[0.2, 0.8], [0.6, 0.7]]]])
    >>> drops_per_brightness(BrightnessReader(scale=10.0), x, 1, m).round(3).tolist()
    [[20.0, 20.0]]
    """
    check_image_batch(X, "X")
    m = torch.as_tensor(np.asarray(masks, dtype=bool))
    if tuple(m.shape) != (len(X), *X.shape[2:]):
        raise ValueError(f"masks must have shape {(len(X), *X.shape[2:])}, got {tuple(m.shape)}")
    X = X.detach().float().cpu()
    m = m[:, None]
    bg_mean = (X * ~m).sum((2, 3), keepdim=True) / (~m).sum((2, 3), keepdim=True).clamp(min=1)
    edited = [torch.where(m, X, torch.full_like(X, float(fill))), torch.where(m, bg_mean, X)]
    model.eval()
    dev = model_device(model)
    with torch.no_grad():
        lo = [_log_odds(model(e.to(dev)).cpu().double().numpy(), target) for e in [X, *edited]]
    db = [(e - X).mean((1, 2, 3)).double().numpy() for e in edited]
    return np.stack([(lo[0] - lo[k + 1]) / db[k] for k in range(2)], axis=1)


def region_weight(segments: np.ndarray, weights: np.ndarray, region: np.ndarray) -> float:
    """Sum of the weights of the segments inside ``region`` (segments pure, as from
    :func:`segment_along_mask`): the local line's prediction of deleting the whole region.

    A segment counts as inside when most of its pixels are.

    Examples
    --------
    >>> region_weight(np.array([[0, 1, 2]]), np.array([0.5, 1.0, -2.0]), np.array([[1, 1, 0]]) > 0)
    1.5
    """
    seg = np.asarray(segments)
    w = check_array(weights, "weights", ndim=1)
    r = np.asarray(region, dtype=bool)
    if r.shape != seg.shape or w.shape[0] <= seg.max():
        raise ValueError(
            f"region must have the segments' shape {seg.shape} and weights one number per "
            f"segment ({seg.max() + 1}); got {r.shape} and {w.shape}"
        )
    inside = np.bincount(seg.ravel(), weights=r.ravel(), minlength=len(w))
    size = np.bincount(seg.ravel(), minlength=len(w))
    return float(w[(size > 0) & (inside > size / 2)].sum())


def positive_share(segments: np.ndarray, weights: np.ndarray, region: np.ndarray) -> float:
    """Share of an explanation's supporting (positive) weight that sits on segments inside
    ``region`` (segments pure, as from :func:`segment_along_mask`); 0 when no weight is positive.

    Examples
    --------
    >>> positive_share(np.array([[0, 1, 2]]), np.array([3.0, 1.0, -2.0]), np.array([[1, 0, 0]]) > 0)
    0.75
    """
    w = np.clip(check_array(weights, "weights", ndim=1), 0, None)
    total = w.sum()
    return 0.0 if total <= 0 else region_weight(segments, w, region) / float(total)


def random_readout_shares(
    features: np.ndarray,
    masks: np.ndarray,
    segments: np.ndarray,
    region: np.ndarray,
    n_heads: int = 200,
    seed: int = 0,
    kernel_width: float = 0.25,
) -> np.ndarray:
    """The top-layer randomization null (Adebayo et al. 2018) of a LIME explanation, at no extra
    cost: the same neighbours' penultimate features read out by random linear heads.

    Each head is drawn as ``torch.nn.Linear`` initialises one output (weights and bias uniform in
    ±1/√d); LIME is fitted to its output on the neighbours and scored by :func:`positive_share` in
    ``region``. A class-specific explanation should put its weight on its object more than these.

    Parameters
    ----------
    features : np.ndarray
        (n, d) penultimate features of the neighbours (e.g. :func:`query_masked` on the network
        with its classifier removed, ``output="logits"``).
    masks : np.ndarray
        The (n, S) neighbours' masks.

    Returns
    -------
    np.ndarray
        ``n_heads`` shares.

    Examples
    --------
    >>> seg = np.array([[0, 1]]); masks = sample_masks(2, 40, seed=0)
    >>> shares = random_readout_shares(masks.astype(float), masks, seg, seg == 0, n_heads=5)
    >>> shares.shape, bool(((shares >= 0) & (shares <= 1)).all())
    ((5,), True)
    """
    F = check_array(features, "features", ndim=2).astype(np.float64)
    m = np.asarray(masks)
    if m.ndim != 2 or len(m) != len(F):
        raise ValueError(f"masks must be (n, S) with n = {len(F)} rows, got shape {m.shape}")
    n_heads = check_positive_int(n_heads, "n_heads")
    bound = 1.0 / np.sqrt(F.shape[1])
    rng = np.random.default_rng(check_seed(seed))
    W, b = rng.uniform(-bound, bound, (n_heads, F.shape[1])), rng.uniform(-bound, bound, n_heads)
    out = F @ W.T + b  # (n, n_heads)
    prox = cosine_kernel(m, kernel_width)
    # one ridge fit for all heads at once (the same fit as `fit_local_linear`, head by head)
    from sklearn.linear_model import Ridge

    coefs = Ridge(alpha=1.0).fit(m.astype(np.float64), out, sample_weight=prox).coef_
    return np.array([positive_share(segments, c, region) for c in coefs])


def classifier_fn(model: nn.Module, batch_size: int = 32) -> Callable[[np.ndarray], np.ndarray]:
    """Wrap a torch classifier as the ``lime`` package wants it: (N, H, W, C) arrays → (N, K)
    probabilities.

    The arrays are in the model's input space (already normalised); they are run in batches of
    ``batch_size`` on the model's device, and the probabilities come back as a NumPy array.

    Examples
    --------
    >>> fn = classifier_fn(nn.Sequential(nn.Flatten(), nn.Linear(12, 3)))
    >>> fn(np.zeros((5, 2, 2, 3))).shape
    (5, 3)
    """
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    dtype = (
        next(model.parameters()).dtype if any(True for _ in model.parameters()) else torch.float32
    )

    @torch.no_grad()
    def fn(images: np.ndarray) -> np.ndarray:
        model.eval()
        t = torch.as_tensor(np.asarray(images), dtype=dtype).permute(0, 3, 1, 2)
        return predict_proba(model, t, batch_size=batch_size).double().numpy()

    return fn


def lime_image(
    model: nn.Module,
    x: torch.Tensor,
    target: int | Sequence[int],
    segments: np.ndarray,
    n_samples: int = 1000,
    seed: int = 0,
    fill: float | None = 0.0,
    batch_size: int = 32,
    kernel_width: float = 0.25,
    progress: bool = True,
):
    """Explain ``model``'s decision for class(es) ``target`` on image ``x`` with the ``lime``
    package's ``LimeImageExplainer``.

    The segmentation is given (from :func:`segment` on the displayable image, since SLIC needs RGB
    in [0, 1] while the model takes a normalised tensor); deleted segments are set to ``fill`` (a
    number in the model's input space; ``None`` is ``lime``'s own default, each segment replaced by
    its mean colour, which leaves a uniform segment, e.g. a plain background, unchanged);
    the classifier runs batched (:func:`classifier_fn`). ``seed`` fixes ``lime``'s sampling of the
    neighbours (its ``random_state``) and its ``random_seed``, so the same seed gives the same
    explanation.

    Returns
    -------
    lime.lime_image.ImageExplanation
        Use :func:`explanation_weights` to get one weight per segment.

    Examples
    --------
    >>> model = nn.Sequential(nn.Flatten(), nn.Linear(3 * 4 * 4, 2))
    >>> seg = segment(np.zeros((4, 4, 3)), method="grid", n_segments=4)
    >>> exp = lime_image(model, torch.rand(1, 3, 4, 4), [1], seg, n_samples=50, progress=False)
    >>> explanation_weights(exp, 1).shape
    (4,)
    """
    from lime.lime_image import LimeImageExplainer

    check_image_batch(x, "x")
    if x.shape[0] != 1:
        raise ValueError(f"x must be one image (1, C, H, W), got a batch of {x.shape[0]}")
    seg = _check_segments(segments, x.shape[2:])
    n_samples = check_int(n_samples, "n_samples", minimum=2)
    fill = None if fill is None else check_number(fill, "fill")
    target = check_indices(target, "target")
    seed = check_seed(seed)
    image = x[0].detach().cpu().permute(1, 2, 0).double().numpy()
    if image.shape[2] != 3:
        raise ValueError(f"lime explains RGB images (3 channels), got {image.shape[2]}")
    explainer = LimeImageExplainer(kernel_width=kernel_width, random_state=seed)
    fn = classifier_fn(model, batch_size)
    if not progress:  # lime draws its own tqdm bar over the neighbours; silence it when asked
        import lime.lime_image as li

        real_tqdm = li.tqdm
        li.tqdm = lambda it, **kw: it
    try:
        return explainer.explain_instance(
            image,
            fn,
            labels=target,
            top_labels=None,
            hide_color=fill,
            num_features=int(seg.max()) + 1,
            num_samples=n_samples,
            batch_size=batch_size,
            segmentation_fn=lambda _img: seg,
            random_seed=seed,
        )
    finally:
        if not progress:
            li.tqdm = real_tqdm


def explanation_weights(explanation, target: int) -> np.ndarray:
    """One weight per segment (0..S−1) for class ``target`` from a ``lime`` image explanation.

    Examples
    --------
    >>> class E: local_exp = {3: [(1, 0.5), (0, -0.2)]}; segments = np.array([[0, 1]])
    >>> explanation_weights(E(), 3).tolist()
    [-0.2, 0.5]
    """
    if target not in explanation.local_exp:
        raise ValueError(
            f"the explanation has no class {target}; it explains {sorted(explanation.local_exp)}"
        )
    w = np.zeros(int(np.max(explanation.segments)) + 1)
    for s, v in explanation.local_exp[target]:
        w[s] = v
    return w


def weights_to_map(segments: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Paint each segment with its weight: an (H, W) map.

    Examples
    --------
    >>> weights_to_map(np.array([[0, 1]]), np.array([0.5, -1.0])).tolist()
    [[0.5, -1.0]]
    """
    seg = np.asarray(segments)
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 1 or w.shape[0] <= seg.max():
        raise ValueError(
            f"weights must hold one number per segment ({seg.max() + 1}), got shape {w.shape}"
        )
    return w[seg]


def segment_density(
    segments: np.ndarray, weights: np.ndarray, sign: str = "positive"
) -> np.ndarray:
    """A LIME explanation as a per-pixel map: each segment's weight spread evenly over its pixels,
    (H, W).

    A LIME weight belongs to a whole segment (the change of the output when the segment is deleted),
    so each pixel carries weight / |segment|: the map sums to the total weight, and
    :func:`xai_helpers.evaluation.region_share` of it equals :func:`weight_share`. Pass it to
    :func:`xai_helpers.evaluation.region_density` for weight per pixel inside a region against
    outside. ``sign="positive"`` keeps the weight that supports the class; ``"abs"`` uses |weight|.
    ``segment_density(segments, np.ones(S))`` is the null of an explanation that gives every segment
    the same weight — what random weights give on average.

    Examples
    --------
    >>> segment_density(np.array([[0, 0, 1]]), np.array([0.4, -1.0])).tolist()
    [[0.2, 0.2, 0.0]]
    """
    seg = np.asarray(segments)
    if not np.issubdtype(seg.dtype, np.integer) or seg.ndim != 2 or seg.min() < 0:
        raise ValueError(
            f"segments must be a 2-D label image of integers >= 0, got dtype {seg.dtype}, "
            f"shape {seg.shape}"
        )
    w = check_array(weights, "weights", ndim=1)
    if w.shape[0] <= seg.max():
        raise ValueError(
            f"weights must hold one number per segment ({seg.max() + 1}), got shape {w.shape}"
        )
    if sign not in ("positive", "abs"):
        raise ValueError(f"sign must be 'positive' or 'abs', got {sign!r}")
    v = np.clip(w, 0, None) if sign == "positive" else np.abs(w)
    size = np.bincount(seg.ravel(), minlength=len(w))
    return (v / np.maximum(size, 1))[seg]


def background_share(segments: np.ndarray, weights: np.ndarray, mask: np.ndarray) -> float:
    """The background's summed LIME weight over Σ|weights|, the background being where ``mask`` (the
    object) is False; in [-1, 1], 0 when every weight is 0.

    Examples
    --------
    >>> seg, mask = np.array([[0, 1, 2]]), np.array([[True, False, False]])
    >>> background_share(seg, np.array([2.0, 1.0, 3.0]), mask)
    0.6666666666666666
    """
    w = check_array(weights, "weights", ndim=1).astype(np.float64)
    region = ~np.asarray(mask, dtype=bool)
    return region_weight(segments, w, region) / max(float(np.abs(w).sum()), 1e-12)


def share_scores(
    explanations: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]],
    n_perm: int = 200,
    seed: int = 0,
) -> tuple[float, np.ndarray]:
    """Median :func:`background_share` over images, and its shuffled null.

    ``explanations`` holds one ``(segments, weights, mask)`` per image. The null shuffles each
    image's weights across its segments (``n_perm`` times) and takes the median over the images of
    each shuffle: what the share is when the weights ignore which segment is which (it keeps the
    segments' sizes, so it does not ignore how much of the image the background holds).

    Returns
    -------
    (float, np.ndarray)
        The median share, and the ``n_perm`` medians of the null.

    Examples
    --------
    >>> seg, mask = np.array([[0, 1, 2, 3]]), np.array([[True, True, False, False]])
    >>> share, null = share_scores([(seg, np.array([0.0, 0.0, 1.0, 1.0]), mask)], n_perm=50)
    >>> share, null.shape, bool(null.mean() < share)
    (1.0, (50,), True)
    """
    n_perm = check_positive_int(n_perm, "n_perm")
    rng = np.random.default_rng(check_seed(seed))
    own, null = [], []
    for seg, w, mask in explanations:
        w = np.asarray(w, dtype=np.float64)
        own.append(background_share(seg, w, mask))
        null.append([background_share(seg, rng.permutation(w), mask) for _ in range(n_perm)])
    return float(np.median(own)), np.median(np.array(null), axis=0)


def uniform_reader_weights(
    image: torch.Tensor | np.ndarray, segments: np.ndarray, fill: float = 0.5
) -> np.ndarray:
    """The LIME weights of a known-wrong model that reads every pixel alike: each segment's summed
    |pixel − fill| (mean over the channels), computed without any model call.

    A null matched in structure for a background share: such a model loses, when a segment is
    deleted, what the fill changes there, so its share is large wherever the background holds most
    of the pixels the fill changes.

    Examples
    --------
    >>> uniform_reader_weights(np.ones((3, 1, 2)), np.array([[0, 1]]), fill=0.5).tolist()
    [0.5, 0.5]
    """
    img = torch.as_tensor(image, dtype=torch.float64)
    if img.ndim != 3:
        raise ValueError(f"image must be (C, H, W), got shape {tuple(img.shape)}")
    d = (img - float(fill)).abs().mean(0).numpy()
    seg = np.asarray(segments)
    if seg.shape != d.shape:
        raise ValueError(f"segments must have the image's shape {d.shape}, got {seg.shape}")
    return np.bincount(seg.ravel(), weights=d.ravel(), minlength=int(seg.max()) + 1)


class BrightnessReader(nn.Module):
    """A known-wrong two-class model that reads only the mean brightness of its input.

    Its logits are ``(scale·(b − 0.5), scale·(0.5 − b))`` for the mean pixel value b, so a bright
    image is class 0 and a dark one class 1 (as Pokémon on black backgrounds in
    :mod:`xai_helpers.data.monsters`), and the log-odds of class 1 are ``scale·(1 − 2b)``.
    It has no notion of object or background: a null for any claim that a model "reads the
    background", since deleting a large bright region moves it most.

    Examples
    --------
    >>> BrightnessReader(scale=20.0)(torch.full((1, 3, 2, 2), 0.25)).tolist()
    [[-5.0, 5.0]]
    """

    def __init__(self, scale: float = 20.0) -> None:
        super().__init__()
        self.scale = float(scale)
        self.register_buffer("anchor", torch.zeros(()))  # so that the model has a device

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (n, 2) of images ``x`` (n, C, H, W)."""
        b = x.float().mean(dim=tuple(range(1, x.ndim))) - 0.5 + self.anchor
        return torch.stack([self.scale * b, -self.scale * b], dim=1)


def weight_share(
    segments: np.ndarray, weights: np.ndarray, region: np.ndarray, sign: str = "positive"
) -> float:
    """Share of a LIME explanation's weight that lies inside ``region`` (a boolean mask).

    Each segment's weight is spread evenly over its pixels and the share is
    :func:`xai_helpers.evaluation.region_share` of that map (the one background share), so each
    segment counts with the fraction of its pixels inside ``region``. ``sign="positive"`` counts
    only the weight that supports the class; ``"abs"`` counts |weight|. No weight at all gives 0.

    Examples
    --------
    >>> seg = np.array([[0, 0, 1, 1]])
    >>> round(weight_share(seg, np.array([0.3, 0.1]), np.array([[True, True, True, False]])), 3)
    0.875
    """
    seg = np.asarray(segments)
    region = np.asarray(region, dtype=bool)
    if region.shape != seg.shape:
        raise ValueError(f"region must have the segments' shape {seg.shape}, got {region.shape}")
    if sign not in ("positive", "abs"):
        raise ValueError(f"sign must be 'positive' or 'abs', got {sign!r}")
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 1 or w.shape[0] <= seg.max():
        raise ValueError(
            f"weights must hold one number per segment ({seg.max() + 1}), got shape {w.shape}"
        )
    size = np.bincount(seg.ravel(), minlength=len(w))
    v = np.clip(w, 0, None) if sign == "positive" else np.abs(w)
    if ((size == 0) & (v > 0)).any():
        s = int(np.flatnonzero((size == 0) & (v > 0))[0])
        raise ValueError(
            f"weights give segment {s} a weight, but no pixel of segments has label {s}"
        )
    if v.sum() <= 0:
        return 0.0
    per_pixel = (v / np.maximum(size, 1))[seg]  # the segment's weight spread over its pixels
    return float(region_share(torch.from_numpy(per_pixel)[None], torch.from_numpy(region)))


def segment_share(
    segments: np.ndarray, weights: np.ndarray, region: np.ndarray, top: int = 5, by: str = "abs"
) -> float:
    """Fraction of the ``top`` top-weighted segments' area that lies inside ``region`` (a boolean
    mask).

    ``by="abs"`` ranks segments by |weight| (whatever matters most, for or against the class);
    ``by="positive"`` by the signed weight (what supports the class most).

    Examples
    --------
    >>> seg = np.array([[0, 1], [2, 3]])
    >>> segment_share(seg, np.array([0.9, 0.1, 0.8, 0.0]), np.array([[True, False], [False,
    ... False]]), top=2)
    0.5
    """
    seg = np.asarray(segments)
    region = np.asarray(region, dtype=bool)
    if region.shape != seg.shape:
        raise ValueError(f"region must have the segments' shape {seg.shape}, got {region.shape}")
    top = check_int(top, "top", minimum=1)
    if by not in ("abs", "positive"):
        raise ValueError(f"by must be 'abs' or 'positive', got {by!r}")
    w = np.asarray(weights, dtype=np.float64)
    chosen = np.argsort(-(np.abs(w) if by == "abs" else w), kind="stable")[:top]
    area = np.isin(seg, chosen)
    return float((area & region).sum() / max(area.sum(), 1))


def background_density_ratio(
    segments: np.ndarray, weights: np.ndarray, background: np.ndarray
) -> float:
    """Where does a LIME explanation's supporting weight sit? Background density ÷ uniform.

    Each segment's positive weight is spread over its pixels (:func:`segment_density`), and
    :func:`~xai_helpers.evaluation.region_density` gives the weight per background pixel relative
    to the weight per other pixel. The same ratio for an explanation that gives every segment the
    same weight divides it, so 1 means no preference for the background, above 1 a preference.

    Parameters
    ----------
    segments : np.ndarray
        Segment index of each pixel, (H, W) integers.
    weights : np.ndarray
        One LIME weight per segment, (S,).
    background : np.ndarray
        Boolean mask of the background pixels, (H, W).

    Returns
    -------
    float
        The explanation's background density divided by the uniform explanation's; NaN when the
        explanation puts no positive weight anywhere.

    Examples
    --------
    >>> seg = np.array([[0, 0, 1, 1]])
    >>> back = np.array([[True, True, False, False]])
    >>> background_density_ratio(seg, np.array([1.0, 0.0]), back) > 1
    True
    >>> round(background_density_ratio(seg, np.array([1.0, 1.0]), back), 6)
    1.0
    """
    segments = check_array(segments, "segments", ndim=2)
    background = check_array(background, "background", ndim=2)
    if background.shape != segments.shape:
        raise ValueError(
            f"background must have the shape of segments {segments.shape}, got {background.shape}"
        )
    uniform = np.ones_like(weights)
    maps = torch.as_tensor(np.stack([segment_density(segments, w) for w in (weights, uniform)]))
    density, density_uniform = region_density(maps, torch.as_tensor(background)).tolist()
    return density / density_uniform


def background_density_scores(
    explanations: Mapping[int, tuple[np.ndarray, np.ndarray]],
    masks: Sequence[np.ndarray] | torch.Tensor,
    n_perm: int = 200,
    rng: np.random.Generator | None = None,
) -> tuple[float, np.ndarray, np.ndarray]:
    """:func:`background_density_ratio` of many explanations, with its shuffled-weights null.

    The null keeps each image's own weights but shuffles them across its segments ``n_perm``
    times: the same numbers, no relation to where they sit. Compare the median over the images
    with, e.g., the 95th percentile of the null medians.

    Parameters
    ----------
    explanations : Mapping[int, tuple[np.ndarray, np.ndarray]]
        Image index → ``(segments, weights)``, as ``lime_image`` + :func:`explanation_weights` give.
    masks : sequence of np.ndarray or torch.Tensor
        The object (foreground) mask of every image, indexed like ``explanations``; the background
        is its complement.
    n_perm : int
        Shuffles per image.
    rng : np.random.Generator, optional
        Where the shuffles come from (default: ``np.random.default_rng(0)``); pass one generator to
        several calls to continue its stream.

    Returns
    -------
    tuple[float, np.ndarray, np.ndarray]
        The median ratio over the images (NaNs ignored), the ratio of each image (in the order of
        ``explanations``), and the ``n_perm`` medians over the images of the shuffled ratios.

    Examples
    --------
    >>> seg = np.array([[0, 0, 1, 1]])
    >>> masks = [np.array([[False, False, True, True]])] * 2
    >>> med, own, null = background_density_scores(
    ...     {0: (seg, np.array([1.0, 0.0])), 1: (seg, np.array([2.0, 0.5]))}, masks, n_perm=5
    ... )
    >>> own.shape, null.shape, med > 1
    ((2,), (5,), True)
    """
    n_perm = check_positive_int(n_perm, "n_perm")
    rng = np.random.default_rng(0) if rng is None else rng
    own, perm = [], []
    for i, (seg, w) in explanations.items():
        m = masks[i]
        background = ~(m.numpy() if isinstance(m, torch.Tensor) else np.asarray(m, dtype=bool))
        own.append(background_density_ratio(seg, w, background))
        perm.append(
            [background_density_ratio(seg, rng.permutation(w), background) for _ in range(n_perm)]
        )
    own = np.array(own)
    return float(np.nanmedian(own)), own, np.nanmedian(np.array(perm), axis=0)
