"""Using a model to explain another (lecture §15): LIME, tree surrogates, tree regularization.

* LIME (Ribeiro et al. 2016) in the lecture's four steps — take the point, sample nearby, fit a
  linear model to the black box's outputs weighted by proximity, read the weights — written out
  for tables (:func:`lime_tabular_from_scratch`) and for images (:func:`sample_masks`,
  :func:`query_masked`, :func:`cosine_kernel`, :func:`fit_local_linear`), and the ``lime``
  package's explainers behind thin wrappers (:func:`lime_image`, :func:`lime_tabular_weights`)
  so the two can be compared.
* A decision tree as the mimic (:func:`tree_surrogate`): fidelity to the black box on held-out
  data, and its complexity O(T) as the average path length (:func:`average_path_length`).
* Tree regularization (Wu et al., arXiv 1711.06178) at small scale
  (:func:`train_tree_regularized`): θ* = argmin L(θ) + λ·O(T_θ), with the non-differentiable
  O(T_θ) replaced by a small network that predicts it from the parameters θ.

Black boxes are plain callables: ``f(X) -> outputs`` on NumPy arrays, so any model fits.
Everything random takes a ``seed``; the same seed gives the same numbers.
"""

from __future__ import annotations

import copy
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from ._setup import COURSE_DIVERGING_CMAP, model_device, training_recipe
from .validation import check_image_batch, check_positive_int

__all__ = [
    "LocalLinear",
    "fit_local_linear",
    "gaussian_kernel",
    "lime_tabular_from_scratch",
    "lime_tabular_weights",
    "segment",
    "sample_masks",
    "perturb",
    "query_masked",
    "cosine_kernel",
    "classifier_fn",
    "lime_image",
    "explanation_weights",
    "weights_to_map",
    "show_segment_weights",
    "show_local_line",
    "show_decision_regions",
    "segment_share",
    "weight_share",
    "TreeSurrogate",
    "average_path_length",
    "fidelity",
    "tree_surrogate",
    "make_parabola",
    "TreeRegNet",
    "param_vector",
    "tree_complexity",
    "APLSurrogate",
    "fit_apl_surrogate",
    "train_tree_regularized",
    "fidelity_curve",
    "TREE_REG_LAMBDA",
    "ParabolaNets",
    "train_parabola_nets",
]


# --------------------------------------------------------------------------- validation


def _as_matrix(X: object, name: str = "X") -> np.ndarray:
    if isinstance(X, torch.Tensor):
        X = X.detach().cpu().numpy()
    a = np.asarray(X)
    if a.dtype == object or not np.issubdtype(a.dtype, np.number):
        raise TypeError(f"{name} must be a numeric array of shape (n_samples, n_features), got dtype {a.dtype}")
    if a.ndim != 2:
        raise ValueError(f"{name} must have shape (n_samples, n_features), got shape {a.shape}")
    if a.shape[0] == 0:
        raise ValueError(f"{name} is empty (0 rows)")
    if not np.isfinite(a).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return a.astype(np.float64)


def _as_vector(x: object, name: str = "x") -> np.ndarray:
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    a = np.asarray(x)
    if a.dtype == object or not np.issubdtype(a.dtype, np.number):
        raise TypeError(f"{name} must be a numeric 1-D array (one data point), got dtype {a.dtype}")
    if a.ndim == 0:
        a = a.reshape(1)
    if a.ndim != 1:
        raise ValueError(f"{name} must be one data point, a 1-D array of features; got shape {a.shape}")
    if not np.isfinite(a).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return a.astype(np.float64)


def _positive_float(v: object, name: str) -> float:
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        raise TypeError(f"{name} must be a positive number, got {type(v).__name__}")
    if not np.isfinite(v) or v <= 0:
        raise ValueError(f"{name} must be a positive number, got {v}")
    return float(v)


def _seed(seed: object) -> int:
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    return int(seed)


def _outputs(f: Callable, X: np.ndarray, name: str = "f") -> np.ndarray:
    if not callable(f):
        raise TypeError(f"{name} must be a callable mapping an (n, d) array to n outputs, got {type(f).__name__}")
    y = f(X)
    if isinstance(y, torch.Tensor):
        y = y.detach().cpu().numpy()
    y = np.asarray(y, dtype=np.float64)
    if y.ndim == 0 or y.shape[0] != X.shape[0]:
        raise ValueError(f"{name} must return one output per row: got shape {y.shape} for {X.shape[0]} rows")
    return y


# --------------------------------------------------------------------------- LIME: the linear fit


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


def fit_local_linear(Z: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None, alpha: float = 1.0) -> LocalLinear:
    """Step 3 of LIME: a (ridge) linear model fitted to the black box's outputs, weighted by proximity.

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

    Z = _as_matrix(Z, "Z")
    y = np.asarray(y, dtype=np.float64)
    if y.shape != (Z.shape[0],):
        raise ValueError(f"y must have one output per neighbour, shape ({Z.shape[0]},), got {y.shape}")
    if not np.isfinite(y).all():
        raise ValueError("y contains NaN or infinite values")
    w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    if w.shape != y.shape or (w < 0).any() or w.sum() <= 0:
        raise ValueError(f"sample_weight must be {len(y)} non-negative numbers, not all zero")
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or alpha < 0:
        raise ValueError(f"alpha must be a number >= 0, got {alpha!r}")
    model = Ridge(alpha=float(alpha), fit_intercept=True).fit(Z, y, sample_weight=w)
    return LocalLinear(model.coef_.copy(), float(model.intercept_), float(model.score(Z, y, sample_weight=w)), Z, y, w)


def gaussian_kernel(d: np.ndarray, kernel_width: float) -> np.ndarray:
    """Proximity weight exp(−d² / (2·width²)); the ``lime`` package's sqrt(exp(−d²/width²)).

    Examples
    --------
    >>> gaussian_kernel(np.array([0.0, 1.0]), 1.0).round(3).tolist()
    [1.0, 0.607]
    """
    kernel_width = _positive_float(kernel_width, "kernel_width")
    return np.exp(-np.asarray(d, dtype=np.float64) ** 2 / (2 * kernel_width**2))


def lime_tabular_from_scratch(
    f: Callable[[np.ndarray], np.ndarray],
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
    box ``f`` and weight each neighbour by its proximity (a Gaussian of the distance measured in
    units of ``scale``, width ``kernel_width``); 4. fit a weighted linear model and read its weights.

    Parameters
    ----------
    f : callable
        The black box: an (n, d) array to n outputs (e.g. ``lambda X: forest.predict_proba(X)[:, 1]``).
    x : np.ndarray
        The point to explain, (d,).
    kernel_width : float, optional
        Width of the proximity kernel, in units of ``scale``: what "nearby" means — a hyperparameter.
        Default ``0.75·sqrt(d)``, the ``lime`` package's.
    n_samples : int
        Number of neighbours (the point itself is the first).
    seed : int
        Seed of the sampling.
    scale : np.ndarray, optional
        Per-feature unit (e.g. the training data's standard deviation; default 1). The weights are
        per unit of ``scale``, so features measured in different units can be compared, as in ``lime``.
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
    x = _as_vector(x, "x")
    d = x.shape[0]
    n_samples = check_positive_int(n_samples, "n_samples", minimum=d + 2)
    kernel_width = 0.75 * np.sqrt(d) if kernel_width is None else _positive_float(kernel_width, "kernel_width")
    sample_std = _positive_float(sample_std, "sample_std")
    scale = np.ones(d) if scale is None else _as_vector(scale, "scale")
    if scale.shape != (d,) or (scale <= 0).any():
        raise ValueError(f"scale must hold {d} positive numbers (one per feature), got shape {scale.shape}")
    rng = np.random.default_rng(_seed(seed))
    Z = rng.normal(0.0, sample_std, size=(n_samples, d))  # step 2: sample nearby (in units of scale)
    Z[0] = 0.0  # the point itself
    y = _outputs(f, x + Z * scale)  # step 3: ask the black box
    if y.ndim != 1:
        raise ValueError(f"f must return one number per row (e.g. one class's probability), got shape {y.shape}")
    w = gaussian_kernel(np.linalg.norm(Z, axis=1), kernel_width)  # "nearby": proximity weights
    return fit_local_linear(Z, y, sample_weight=w, alpha=alpha)  # step 4: the line to read


def lime_tabular_weights(
    predict_proba: Callable[[np.ndarray], np.ndarray],
    X_train: np.ndarray,
    x: np.ndarray,
    label: int = 1,
    n_samples: int = 5000,
    seed: int = 0,
    kernel_width: float | None = None,
) -> tuple[np.ndarray, float]:
    """The ``lime`` package's tabular explanation of one point, as one weight per feature.

    Uses ``lime.lime_tabular.LimeTabularExplainer`` configured as :func:`lime_tabular_from_scratch`
    works: continuous features (no discretization), sampling around ``x`` with the training data's
    standard deviations, all features kept.

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

    X_train = _as_matrix(X_train, "X_train")
    x = _as_vector(x, "x")
    if x.shape[0] != X_train.shape[1]:
        raise ValueError(f"x has {x.shape[0]} features but X_train has {X_train.shape[1]}")
    n_samples = check_positive_int(n_samples, "n_samples", minimum=2)
    explainer = LimeTabularExplainer(
        X_train,
        mode="classification",
        discretize_continuous=False,
        sample_around_instance=True,
        kernel_width=kernel_width,
        feature_selection="none",
        random_state=_seed(seed),
    )
    exp = explainer.explain_instance(x, predict_proba, labels=(label,), num_features=X_train.shape[1], num_samples=n_samples)
    w = np.zeros(X_train.shape[1])
    for i, v in exp.as_map()[label]:
        w[i] = v
    return w, float(exp.score)


# --------------------------------------------------------------------------- LIME on images


def segment(image: np.ndarray, method: str = "slic", n_segments: int | None = None, seed: int = 0) -> np.ndarray:
    """Step 1 on an image: cut it into superpixels (segments), labelled 0..S−1.

    * ``"slic"`` (default): ``skimage.segmentation.slic`` with ``n_segments`` (default one per
      ~1,250 pixels, so ≈ 40 on a 224×224 image and at least 8), ``compactness=10``, ``sigma=1``.
      SLIC makes compact segments of similar size, so a deleted segment is a similar-sized hole
      at any image size.
    * ``"quickshift"``: ``kernel_size = max(2, min(H, W) // 56)`` (4 at 224×224, ``lime``'s default),
      ``max_dist=200``, ``ratio=0.2``; the number of segments follows the image's content.
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
            raise ValueError("a float image must lie in [0, 1] (pass the displayable image, not the normalised input)")
    h, w = img.shape[:2]
    if n_segments is None:
        n_segments = max(8, h * w // 1250)
    n_segments = check_positive_int(n_segments, "n_segments", minimum=2)
    if method == "slic":
        seg = slic(img, n_segments=n_segments, compactness=10, sigma=1, start_label=0, channel_axis=-1)
    elif method == "quickshift":
        seg = quickshift(img, kernel_size=max(2, min(h, w) // 56), max_dist=200, ratio=0.2, rng=_seed(seed))
    elif method == "grid":
        k = max(1, round(np.sqrt(n_segments)))
        rows = np.minimum(np.arange(h) * k // h, k - 1)
        cols = np.minimum(np.arange(w) * k // w, k - 1)
        seg = rows[:, None] * k + cols[None, :]
    else:
        raise ValueError(f"method must be 'slic', 'quickshift' or 'grid', got {method!r}")
    _, seg = np.unique(seg, return_inverse=True)  # labels 0..S-1 without gaps
    return seg.reshape(h, w).astype(np.int64)


def sample_masks(n_segments: int, num_samples: int, seed: int = 0, keep: float = 0.5) -> np.ndarray:
    """Step 2 on an image: neighbours as random on/off patterns over the segments (1 = kept).

    The first row is all ones: the image itself. Each segment is kept with probability ``keep``.

    Examples
    --------
    >>> m = sample_masks(5, 4, seed=0)
    >>> m.shape, m[0].tolist()
    ((4, 5), [1, 1, 1, 1, 1])
    """
    n_segments = check_positive_int(n_segments, "n_segments")
    num_samples = check_positive_int(num_samples, "num_samples", minimum=2)
    if isinstance(keep, bool) or not isinstance(keep, numbers.Real) or not 0 < keep < 1:
        raise ValueError(f"keep must be a probability strictly between 0 and 1, got {keep!r}")
    rng = np.random.default_rng(_seed(seed))
    masks = (rng.random((num_samples, n_segments)) < keep).astype(np.int64)
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


def perturb(x: torch.Tensor, segments: np.ndarray, masks: np.ndarray, fill: float | Sequence[float] = 0.0) -> torch.Tensor:
    """Delete segments: where ``masks[i, s] == 0``, segment ``s`` of image ``x`` becomes ``fill``.

    Parameters
    ----------
    x : torch.Tensor
        One image in the model's input space, (1, C, H, W).
    segments : np.ndarray
        Label image (H, W) from :func:`segment`.
    masks : np.ndarray
        (n, S) of 0/1 from :func:`sample_masks`.
    fill : float or sequence of C floats
        Value of deleted pixels in the model's input space (0 after ImageNet normalisation = the
        data set's mean colour).

    Returns
    -------
    torch.Tensor
        (n, C, H, W) on ``x``'s device.

    Examples
    --------
    >>> seg = np.array([[0, 1], [0, 1]])
    >>> perturb(torch.ones(1, 1, 2, 2), seg, np.array([[1, 0]]))[0, 0].tolist()
    [[1.0, 0.0], [1.0, 0.0]]
    """
    check_image_batch(x, "x")
    if x.shape[0] != 1:
        raise ValueError(f"x must be one image (1, C, H, W), got a batch of {x.shape[0]}")
    seg = torch.as_tensor(_check_segments(segments, x.shape[2:]), device=x.device)
    m = np.asarray(masks)
    if m.ndim != 2 or m.shape[1] <= int(seg.max()):
        raise ValueError(f"masks must have shape (n, {int(seg.max()) + 1}) (one column per segment), got {m.shape}")
    keep = torch.as_tensor(m, dtype=x.dtype, device=x.device)[:, seg][:, None]  # (n, 1, H, W)
    fill_t = torch.as_tensor(fill, dtype=x.dtype, device=x.device).reshape(1, -1, 1, 1)
    return x * keep + fill_t * (1 - keep)


@torch.no_grad()
def query_masked(
    model: nn.Module,
    x: torch.Tensor,
    segments: np.ndarray,
    masks: np.ndarray,
    fill: float | Sequence[float] = 0.0,
    batch_size: int = 32,
    progress: bool = True,
) -> np.ndarray:
    """Step 3 on an image: the black box's class probabilities on every neighbour, in batches.

    Returns
    -------
    np.ndarray
        (n, K) softmax probabilities, on the CPU.

    Examples
    --------
    >>> model = nn.Sequential(nn.Flatten(), nn.Linear(4, 3))
    >>> p = query_masked(model, torch.ones(1, 1, 2, 2), np.array([[0, 1], [0, 1]]), sample_masks(2, 5), progress=False)
    >>> p.shape
    (5, 3)
    """
    from tqdm.auto import tqdm

    batch_size = check_positive_int(batch_size, "batch_size")
    model.eval()
    dev = model_device(model)
    x = x.to(dev)
    masks = np.asarray(masks)
    out = []
    for i in tqdm(range(0, len(masks), batch_size), desc="querying the black box", disable=not progress):
        out.append(model(perturb(x, segments, masks[i : i + batch_size], fill)).softmax(-1).cpu())
    return torch.cat(out).double().numpy()


def cosine_kernel(masks: np.ndarray, kernel_width: float = 0.25) -> np.ndarray:
    """Proximity of each neighbour to the image: ``lime``'s kernel on the cosine distance to all-ones.

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


def classifier_fn(model: nn.Module, batch_size: int = 32) -> Callable[[np.ndarray], np.ndarray]:
    """Wrap a torch classifier as the ``lime`` package wants it: (N, H, W, C) arrays → (N, K) probabilities.

    The arrays are in the model's input space (already normalised); they are run in batches of
    ``batch_size`` on the model's device, and the probabilities come back as a NumPy array.

    Examples
    --------
    >>> fn = classifier_fn(nn.Sequential(nn.Flatten(), nn.Linear(12, 3)))
    >>> fn(np.zeros((5, 2, 2, 3))).shape
    (5, 3)
    """
    batch_size = check_positive_int(batch_size, "batch_size")
    dev = model_device(model)
    dtype = next(model.parameters()).dtype if any(True for _ in model.parameters()) else torch.float32

    @torch.no_grad()
    def fn(images: np.ndarray) -> np.ndarray:
        model.eval()
        t = torch.as_tensor(np.asarray(images), dtype=dtype).permute(0, 3, 1, 2)
        out = [model(t[i : i + batch_size].to(dev)).softmax(-1).cpu() for i in range(0, len(t), batch_size)]
        return torch.cat(out).double().numpy()

    return fn


def lime_image(
    model: nn.Module,
    x: torch.Tensor,
    labels: Sequence[int],
    segments: np.ndarray,
    num_samples: int = 1000,
    seed: int = 0,
    fill: float = 0.0,
    batch_size: int = 32,
    kernel_width: float = 0.25,
    progress: bool = True,
):
    """Explain ``model``'s decision on image ``x`` with the ``lime`` package's ``LimeImageExplainer``.

    The segmentation is given (from :func:`segment` on the displayable image, since SLIC needs RGB
    in [0, 1] while the model takes a normalised tensor); deleted segments are set to ``fill``;
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
    >>> exp = lime_image(model, torch.rand(1, 3, 4, 4), [1], seg, num_samples=50, progress=False)
    >>> explanation_weights(exp, 1).shape
    (4,)
    """
    from lime.lime_image import LimeImageExplainer

    check_image_batch(x, "x")
    if x.shape[0] != 1:
        raise ValueError(f"x must be one image (1, C, H, W), got a batch of {x.shape[0]}")
    seg = _check_segments(segments, x.shape[2:])
    num_samples = check_positive_int(num_samples, "num_samples", minimum=2)
    labels = [int(k) for k in labels]
    seed = _seed(seed)
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
            image, fn, labels=labels, top_labels=None, hide_color=fill, num_features=int(seg.max()) + 1,
            num_samples=num_samples, batch_size=batch_size, segmentation_fn=lambda _img: seg, random_seed=seed,
        )
    finally:
        if not progress:
            li.tqdm = real_tqdm


def explanation_weights(explanation, label: int) -> np.ndarray:
    """One weight per segment (0..S−1) for ``label`` from a ``lime`` image explanation.

    Examples
    --------
    >>> class E: local_exp = {3: [(1, 0.5), (0, -0.2)]}; segments = np.array([[0, 1]])
    >>> explanation_weights(E(), 3).tolist()
    [-0.2, 0.5]
    """
    if label not in explanation.local_exp:
        raise ValueError(f"the explanation has no label {label}; it explains {sorted(explanation.local_exp)}")
    w = np.zeros(int(np.max(explanation.segments)) + 1)
    for s, v in explanation.local_exp[label]:
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
        raise ValueError(f"weights must hold one number per segment ({seg.max() + 1}), got shape {w.shape}")
    return w[seg]


def show_segment_weights(image, segments: np.ndarray, weights: np.ndarray, ax=None, title: str | None = None, alpha: float = 0.6, colorbar: bool = True):
    """The lecture's picture: each segment painted with its LIME weight (red supports, blue opposes).

    The image is drawn in light grey under the weights, with the segments' boundaries in yellow
    (images of 100 px or more; on smaller ones the boundaries would hide the image).

    Returns the weights' ``AxesImage`` (a diverging ``RdBu_r`` map centred on 0, with a colour bar).

    Examples
    --------
    >>> im = show_segment_weights(np.zeros((2, 2, 3)), np.array([[0, 1], [0, 1]]), np.array([1.0, -1.0]), title="w")
    >>> im.get_clim()
    (-1.0, 1.0)
    """
    import matplotlib.pyplot as plt
    from skimage.segmentation import mark_boundaries

    from .plotting import to_numpy_image

    if ax is None:
        _, ax = plt.subplots()
    img = to_numpy_image(image).astype(np.float64)
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=-1)
    heat = weights_to_map(segments, weights)
    m = float(np.abs(heat).max()) or 1.0
    grey = 0.4 + 0.6 * np.repeat(np.clip(img, 0, 1).mean(-1, keepdims=True), 3, axis=-1)  # light grey: colours are the weights'
    if min(grey.shape[:2]) >= 100:  # boundaries would hide a small image
        grey = mark_boundaries(grey, np.asarray(segments), color=(1, 1, 0))
    ax.imshow(grey)
    im = ax.imshow(heat, cmap=COURSE_DIVERGING_CMAP, vmin=-m, vmax=m, alpha=alpha)
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title)
    if colorbar:
        ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label="LIME weight")
    return im


def show_local_line(black_box: Callable[[np.ndarray], np.ndarray], x0: float, fit: LocalLinear, span: float = 4.0, ax=None, title: str | None = None):
    """The lecture's 1-D picture: the black-box curve, the point, its neighbours (shade = proximity weight)
    and the local line.

    ``fit`` is a :class:`LocalLinear` fitted on offsets ``samples = x − x0`` (one column).
    Returns the ``Line2D`` of the local line.

    Examples
    --------
    >>> f = lambda X: np.sin(X[:, 0])
    >>> fit = lime_tabular_from_scratch(f, np.array([1.0]), kernel_width=0.5, n_samples=200)
    >>> show_local_line(f, 1.0, fit).get_linestyle()
    '--'
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots()
    grid = np.linspace(x0 - span, x0 + span, 400)
    ax.plot(grid, _outputs(black_box, grid[:, None]), color="C0", lw=2, label="black box")
    dz = fit.samples[:, 0]
    order = np.argsort(fit.weights)
    pts = ax.scatter(x0 + dz[order], fit.outputs[order], c=fit.weights[order], cmap="viridis", vmin=0, vmax=1, s=8, zorder=2)
    slope = float(fit.coef[0])
    (line,) = ax.plot(grid, fit.intercept + slope * (grid - x0), color="C1", lw=2, ls="--", label=f"local line (slope {slope:.2f})")
    ax.plot([x0], [fit.intercept], "o", color="C1", ms=9, mec="k", zorder=3, label="the point to explain")
    ax.set_xlim(x0 - span, x0 + span)
    ax.set_xlabel("input x")
    ax.set_ylabel("output f(x)")
    ax.legend(loc="lower left", fontsize="small")
    ax.figure.colorbar(pts, ax=ax, fraction=0.046, pad=0.04, label="proximity weight")
    if title:
        ax.set_title(title)
    return line


def show_decision_regions(predict: Callable[[np.ndarray], np.ndarray], X: np.ndarray, y: np.ndarray | None = None, ax=None, title: str | None = None, lim: float = 2.0):
    """Shade the plane by a 2-feature classifier's predicted class, with the points on top.

    ``predict`` maps (n, 2) to class labels. Returns the ``QuadContourSet`` of the regions.

    Examples
    --------
    >>> X, y = make_parabola(50, seed=0)
    >>> cs = show_decision_regions(lambda A: (A[:, 1] > 0).astype(int), X, y)
    >>> cs.axes.get_xlabel()
    'x₁'
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots()
    g = np.linspace(-lim, lim, 200)
    gx, gy = np.meshgrid(g, g)
    z = np.asarray(predict(np.c_[gx.ravel(), gy.ravel()].astype(np.float32))).reshape(gx.shape)
    cs = ax.contourf(gx, gy, z, levels=[-0.5, 0.5, 1.5], colors=["#cfe2f3", "#fce5cd"])
    X = _as_matrix(X)
    if y is not None:
        y = np.asarray(y)
        for k, (c, m) in enumerate([("C0", "o"), ("C1", "^")]):
            ax.scatter(X[y == k, 0], X[y == k, 1], s=8, c=c, marker=m, label=f"class {k}")
        ax.legend(loc="lower right", fontsize="small")
    ax.set_xlabel("x₁")
    ax.set_ylabel("x₂")
    ax.set_aspect("equal")
    if title:
        ax.set_title(title)
    return cs


def weight_share(segments: np.ndarray, weights: np.ndarray, region: np.ndarray, sign: str = "positive") -> float:
    """Share of a LIME explanation's weight that lies inside ``region`` (a boolean mask).

    Each segment's weight is split by the fraction of its pixels inside ``region``. ``sign="positive"``
    counts only the weight that supports the class; ``"abs"`` counts |weight|.

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
        raise ValueError(f"weights must hold one number per segment ({seg.max() + 1}), got shape {w.shape}")
    size = np.bincount(seg.ravel(), minlength=len(w))
    inside = np.bincount(seg.ravel(), weights=region.ravel().astype(np.float64), minlength=len(w))
    frac = np.divide(inside, size, out=np.zeros(len(w)), where=size > 0)
    v = np.clip(w, 0, None) if sign == "positive" else np.abs(w)
    return float((v * frac).sum() / v.sum()) if v.sum() > 0 else 0.0


def segment_share(segments: np.ndarray, weights: np.ndarray, region: np.ndarray, top: int = 5, by: str = "abs") -> float:
    """Fraction of the ``top`` top-weighted segments' area that lies inside ``region`` (a boolean mask).

    ``by="abs"`` ranks segments by |weight| (whatever matters most, for or against the class);
    ``by="positive"`` by the signed weight (what supports the class most).

    Examples
    --------
    >>> seg = np.array([[0, 1], [2, 3]])
    >>> segment_share(seg, np.array([0.9, 0.1, 0.8, 0.0]), np.array([[True, False], [False, False]]), top=2)
    0.5
    """
    seg = np.asarray(segments)
    region = np.asarray(region, dtype=bool)
    if region.shape != seg.shape:
        raise ValueError(f"region must have the segments' shape {seg.shape}, got {region.shape}")
    top = check_positive_int(top, "top")
    if by not in ("abs", "positive"):
        raise ValueError(f"by must be 'abs' or 'positive', got {by!r}")
    w = np.asarray(weights, dtype=np.float64)
    chosen = np.argsort(-(np.abs(w) if by == "abs" else w), kind="stable")[:top]
    area = np.isin(seg, chosen)
    return float((area & region).sum() / max(area.sum(), 1))


# --------------------------------------------------------------------------- trees as the mimic


@dataclass
class TreeSurrogate:
    """A decision tree fitted to a black box's predictions.

    Attributes
    ----------
    tree : sklearn.tree.DecisionTreeClassifier
    fidelity : float
        Fraction of held-out points where the tree predicts what the black box predicts.
    average_path_length : float
        O(T): the mean number of decisions from the root to a leaf over the held-out points.
    depth, n_leaves : int
    """

    tree: object
    fidelity: float
    average_path_length: float
    depth: int
    n_leaves: int


def average_path_length(tree, X: np.ndarray) -> float:
    """O(T): mean number of decisions (internal nodes) on the path from the root to each point's leaf.

    Examples
    --------
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([0, 1, 1, 1])
    >>> average_path_length(DecisionTreeClassifier().fit(X, y), X)
    1.0
    """
    X = _as_matrix(X)
    return float(np.asarray(tree.decision_path(X).sum(axis=1)).ravel().mean() - 1.0)


def _labels(black_box: Callable, X: np.ndarray) -> np.ndarray:
    y = _outputs(black_box, X, "black_box")
    if y.ndim == 2:  # probabilities or scores -> the predicted class
        return y.argmax(1)
    if y.ndim != 1:
        raise ValueError(f"black_box must return labels (n,) or class scores (n, K), got shape {y.shape}")
    if not np.allclose(y, np.round(y)):
        raise ValueError("black_box returned non-integer 1-D outputs; return class labels (n,) or class scores (n, K)")
    return y.astype(np.int64)


def fidelity(tree, black_box: Callable, X: np.ndarray) -> float:
    """Fraction of ``X`` on which ``tree`` agrees with ``black_box``'s predicted class.

    Examples
    --------
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> stump = DecisionTreeClassifier(max_depth=1).fit(X, [0, 0, 1, 1])
    >>> fidelity(stump, lambda A: (A[:, 0] > 0.5).astype(int), X)
    0.75
    """
    X = _as_matrix(X)
    return float((tree.predict(X) == _labels(black_box, X)).mean())


def tree_surrogate(
    black_box: Callable[[np.ndarray], np.ndarray],
    X: np.ndarray,
    max_depth: int | None,
    X_holdout: np.ndarray | None = None,
    seed: int = 0,
    min_samples_leaf: int = 1,
    features: Callable[[np.ndarray], np.ndarray] | None = None,
) -> TreeSurrogate:
    """Fit a decision tree T to mimic ``black_box`` on ``X``; measure fidelity and O(T).

    Parameters
    ----------
    black_box : callable
        (n, d) array → class labels (n,) or class scores/probabilities (n, K).
    X : np.ndarray
        Inputs the tree learns the black box's answers on (no true labels needed).
    max_depth : int or None
        Depth limit of the tree (``None``: grow until it copies the black box on ``X``).
    X_holdout : np.ndarray, optional
        Held-out inputs for the fidelity and path length; default: a seeded 25 % of ``X``
        (the tree is then fitted on the other 75 %).
    features : callable, optional
        A reduced feature space for the tree: the black box answers on ``X``, the tree asks its
        questions about ``features(X)`` (e.g. 2×2-pooled pixels). Default: ``X`` itself.

    Examples
    --------
    >>> X = np.random.default_rng(0).uniform(-1, 1, size=(400, 2))
    >>> s = tree_surrogate(lambda A: (A[:, 0] > 0.2).astype(int), X, max_depth=3)
    >>> s.fidelity >= 0.97, s.depth <= 3
    (True, True)
    """
    X = _as_matrix(X)
    if max_depth is not None:
        max_depth = check_positive_int(max_depth, "max_depth")
    min_samples_leaf = check_positive_int(min_samples_leaf, "min_samples_leaf")
    seed = _seed(seed)
    if X_holdout is None:
        if len(X) < 8:
            raise ValueError(f"X needs at least 8 rows to hold a quarter out, got {len(X)}; or pass X_holdout")
        idx = np.random.default_rng(seed).permutation(len(X))
        cut = len(X) // 4
        X, X_holdout = X[idx[cut:]], X[idx[:cut]]
    else:
        X_holdout = _as_matrix(X_holdout, "X_holdout")
    F, F_holdout = _tree_features(features, X, X_holdout)
    return _fit_tree(F, _labels(black_box, X), F_holdout, _labels(black_box, X_holdout), max_depth, min_samples_leaf, seed)


def _tree_features(features: Callable | None, X: np.ndarray, X_holdout: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The matrices the tree asks its questions about: ``features(X)`` and ``features(X_holdout)``."""
    if X_holdout.shape[1] != X.shape[1]:
        raise ValueError(f"X_holdout has {X_holdout.shape[1]} features, X has {X.shape[1]}")
    feat = (lambda A: A) if features is None else features
    if not callable(feat):
        raise TypeError(f"features must be a callable (n, d) -> (n, d'), got {type(features).__name__}")
    return _as_matrix(feat(X), "features(X)"), _as_matrix(feat(X_holdout), "features(X_holdout)")


def _fit_tree(F, y, F_holdout, y_holdout, max_depth, min_samples_leaf, seed) -> TreeSurrogate:
    """Fit the tree on the black box's answers ``y`` and score it on the held-out answers."""
    from sklearn.tree import DecisionTreeClassifier

    tree = DecisionTreeClassifier(max_depth=max_depth, min_samples_leaf=min_samples_leaf, random_state=seed)
    tree.fit(F, y)
    agree = float((tree.predict(F_holdout) == y_holdout).mean())
    return TreeSurrogate(tree, agree, average_path_length(tree, F_holdout), int(tree.get_depth()), int(tree.get_n_leaves()))


def fidelity_curve(
    black_box: Callable, X: np.ndarray, X_holdout: np.ndarray, depths: Sequence[int], seed: int = 0, features: Callable | None = None
) -> dict[str, np.ndarray]:
    """Fidelity, average path length and number of leaves of tree surrogates of increasing ``depths``.

    The black box is queried once on ``X`` and once on ``X_holdout``, whatever the number of depths;
    ``features`` as in :func:`tree_surrogate` (also computed once).

    Examples
    --------
    >>> X = np.random.default_rng(0).uniform(-1, 1, size=(300, 2))
    >>> c = fidelity_curve(lambda A: (A.sum(1) > 0).astype(int), X[:200], X[200:], [1, 4])
    >>> bool(c["fidelity"][1] >= c["fidelity"][0])
    True
    """
    X, X_holdout = _as_matrix(X), _as_matrix(X_holdout, "X_holdout")
    depths = [check_positive_int(d, "max_depth") for d in depths]
    seed = _seed(seed)
    F, F_holdout = _tree_features(features, X, X_holdout)
    y, y_holdout = _labels(black_box, X), _labels(black_box, X_holdout)  # one query per data set, shared by every depth
    rows = [_fit_tree(F, y, F_holdout, y_holdout, d, 1, seed) for d in depths]
    return {
        "depth": np.array(depths),
        "fidelity": np.array([r.fidelity for r in rows]),
        "apl": np.array([r.average_path_length for r in rows]),
        "leaves": np.array([r.n_leaves for r in rows]),
    }


# --------------------------------------------------------------------------- tree regularization


def make_parabola(n: int = 500, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A two-column table after Wu et al.'s toy task: label 1 above a parabola, ``noise`` of labels flipped.

    x ~ U[−2, 2]², y = [x₂ > x₁² − 1.5]. A network draws the curve; a tree needs a staircase of
    splits to copy it — the setting where tree regularization shows.

    Examples
    --------
    >>> X, y = make_parabola(100, seed=0)
    >>> X.shape, sorted(set(y.tolist()))
    ((100, 2), [0, 1])
    """
    n = check_positive_int(n, "n", minimum=2)
    if isinstance(noise, bool) or not isinstance(noise, numbers.Real) or not 0 <= noise < 0.5:
        raise ValueError(f"noise must be a fraction in [0, 0.5), got {noise!r}")
    rng = np.random.default_rng(_seed(seed))
    X = rng.uniform(-2, 2, size=(n, 2))
    y = (X[:, 1] > X[:, 0] ** 2 - 1.5).astype(np.int64)
    flip = rng.random(n) < noise
    y[flip] = 1 - y[flip]
    return X.astype(np.float32), y


class TreeRegNet(nn.Sequential):
    """A small tanh MLP for a table: ``in_features → hidden → hidden → 2`` logits.

    Examples
    --------
    >>> TreeRegNet(2)(torch.zeros(4, 2)).shape
    torch.Size([4, 2])
    """

    def __init__(self, in_features: int = 2, hidden: int = 16):
        super().__init__(nn.Linear(in_features, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(), nn.Linear(hidden, 2))


def param_vector(model: nn.Module) -> torch.Tensor:
    """θ: all of ``model``'s parameters in one flat vector (differentiable).

    Examples
    --------
    >>> param_vector(nn.Linear(2, 3)).shape
    torch.Size([9])
    """
    return torch.cat([p.reshape(-1) for p in model.parameters()])


def _predict_labels(model: nn.Module, X: np.ndarray) -> np.ndarray:
    dev = model_device(model)
    with torch.no_grad():
        return model(torch.as_tensor(X, dtype=torch.float32, device=dev)).argmax(1).cpu().numpy()


def tree_complexity(model: nn.Module, X: np.ndarray, min_samples_leaf: int = 5) -> float:
    """O(T_θ): average path length of the tree fitted to the network's predictions on ``X``.

    This is the number the regularizer wants small; it is computed by fitting a tree, which has
    no gradient with respect to θ.

    Examples
    --------
    >>> X, _ = make_parabola(200, seed=0)
    >>> tree_complexity(TreeRegNet(2), X) >= 0.0
    True
    """
    from sklearn.tree import DecisionTreeClassifier

    X = _as_matrix(X)
    labels = _predict_labels(model, X)
    tree = DecisionTreeClassifier(min_samples_leaf=min_samples_leaf, random_state=0).fit(X, labels)
    return average_path_length(tree, X)


class APLSurrogate(nn.Module):
    """The paper's trick: a small network Ω̂(θ) that predicts O(T_θ) from the parameters θ.

    One hidden layer (``hidden`` units); θ is standardised with the mean and spread of the
    parameter vectors it was trained on (stored as buffers).

    Examples
    --------
    >>> APLSurrogate(9)(torch.zeros(9)).shape
    torch.Size([])
    """

    def __init__(self, n_params: int, hidden: int = 25):
        super().__init__()
        self.register_buffer("mean", torch.zeros(n_params))
        self.register_buffer("std", torch.ones(n_params))
        self.register_buffer("y_mean", torch.zeros(()))
        self.register_buffer("y_std", torch.ones(()))
        self.net = nn.Sequential(nn.Linear(n_params, hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def forward(self, theta: torch.Tensor) -> torch.Tensor:
        z = (theta - self.mean) / self.std
        return (self.net(z) * self.y_std + self.y_mean).squeeze(-1)


def fit_apl_surrogate(thetas: torch.Tensor, apls: torch.Tensor, epochs: int = 300, seed: int = 0, hidden: int = 25) -> APLSurrogate:
    """Train :class:`APLSurrogate` on pairs (θ, O(T_θ)) by mean squared error (full batch, Adam).

    Examples
    --------
    >>> th = torch.randn(50, 4); s = fit_apl_surrogate(th, th[:, 0] * 2 + 3, epochs=200)
    >>> float(((s(th) - (th[:, 0] * 2 + 3)) ** 2).mean()) < 0.5
    True
    """
    thetas = torch.as_tensor(thetas, dtype=torch.float32)
    apls = torch.as_tensor(apls, dtype=torch.float32)
    if thetas.ndim != 2 or apls.shape != (thetas.shape[0],):
        raise ValueError(f"thetas must be (M, P) and apls (M,), got {tuple(thetas.shape)} and {tuple(apls.shape)}")
    torch.manual_seed(_seed(seed))
    s = APLSurrogate(thetas.shape[1], hidden)
    s.mean.copy_(thetas.mean(0))
    s.std.copy_(thetas.std(0).clamp_min(1e-3) if len(thetas) > 1 else torch.ones(thetas.shape[1]))
    s.y_mean.copy_(apls.mean())
    s.y_std.copy_(apls.std().clamp_min(1e-3) if len(apls) > 1 else torch.tensor(1.0))
    opt = torch.optim.Adam(s.net.parameters(), lr=1e-2, weight_decay=1e-4)
    for _ in range(check_positive_int(epochs, "epochs")):
        loss = ((s(thetas) - apls) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    for p in s.parameters():
        p.requires_grad_(False)
    return s.eval()


def train_tree_regularized(
    X: np.ndarray,
    y: np.ndarray,
    lam: float,
    epochs: int = 300,
    seed: int = 0,
    hidden: int = 16,
    refresh: int = 25,
    n_jitter: int = 20,
    jitter: float = 0.1,
    lr: float = 1e-2,
    min_samples_leaf: int = 5,
    warmup: int | None = None,
    surrogate_epochs: int = 300,
    progress: bool = True,
) -> tuple[TreeRegNet, dict[str, list[float]]]:
    """Train a :class:`TreeRegNet` with θ* = argmin L(θ) + λ·Ω̂(θ), Ω̂ ≈ O(T_θ) (Wu et al., small scale).

    O(T_θ) — the average path length of the tree that mimics the network — is not differentiable
    in θ. As in the paper, every ``refresh`` epochs the true O(T_θ) is measured at the current θ
    and at ``n_jitter`` random perturbations of it (θ + ``jitter``·|θ|·N(0, 1)), all pairs seen so
    far train a fresh :class:`APLSurrogate` Ω̂, and gradient descent uses λ·Ω̂(θ) until the next
    refresh. The first ``warmup`` epochs (default a third) train without the penalty, so that the
    network learns the task before it is simplified — started from scratch, a large λ keeps the
    network at the trivial tree (one class everywhere, O = 0). With ``lam = 0`` this is plain
    training (full batch, Adam, cross-entropy). ``surrogate_epochs`` is the number of full-batch
    Adam steps that fit Ω̂ at each refresh.

    Returns
    -------
    (TreeRegNet, dict)
        The trained network (eval mode, CPU) and its history: ``epoch``, ``loss`` (cross-entropy),
        ``apl`` (true O(T_θ)) and ``apl_hat`` (Ω̂'s estimate) at each refresh.

    Examples
    --------
    >>> X, y = make_parabola(200, seed=0)
    >>> net, hist = train_tree_regularized(X, y, lam=0.0, epochs=20, progress=False)
    >>> len(hist["apl"]) >= 1
    True
    """
    from tqdm.auto import tqdm

    X = _as_matrix(X).astype(np.float32)
    y = np.asarray(y)
    if y.shape != (len(X),) or not np.isin(y, [0, 1]).all():
        raise ValueError(f"y must be {len(X)} labels in {{0, 1}}, got shape {y.shape}")
    if isinstance(lam, bool) or not isinstance(lam, numbers.Real) or lam < 0:
        raise ValueError(f"lam (λ) must be a number >= 0, got {lam!r}")
    epochs = check_positive_int(epochs, "epochs")
    refresh = check_positive_int(refresh, "refresh")
    warmup = epochs // 3 if warmup is None else int(warmup)
    seed = _seed(seed)
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    net = TreeRegNet(X.shape[1], hidden)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y.astype(np.int64))
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    thetas: list[torch.Tensor] = []
    apls: list[float] = []
    hist: dict[str, list[float]] = {"epoch": [], "loss": [], "apl": [], "apl_hat": []}
    probe = copy.deepcopy(net)
    surrogate = None
    for epoch in tqdm(range(epochs), desc=f"training (λ = {lam:g})", disable=not progress):
        if epoch % refresh == 0:
            theta = param_vector(net).detach().clone()
            regularize = lam > 0 and epoch + refresh > warmup
            batch = [theta] + [theta + jitter * theta.abs() * torch.randn(theta.shape, generator=gen) for _ in range(n_jitter if regularize else 0)]
            for th in batch:
                torch.nn.utils.vector_to_parameters(th, probe.parameters())
                thetas.append(th)
                apls.append(tree_complexity(probe, X, min_samples_leaf))
            hist["epoch"].append(epoch)
            hist["apl"].append(apls[-len(batch)])
            if regularize:
                surrogate = fit_apl_surrogate(torch.stack(thetas), torch.tensor(apls), epochs=surrogate_epochs, seed=seed)
                hist["apl_hat"].append(float(surrogate(theta)))
        ce = nn.functional.cross_entropy(net(Xt), yt)
        loss = ce + lam * surrogate(param_vector(net)) if surrogate is not None and epoch >= warmup else ce
        opt.zero_grad()
        loss.backward()
        opt.step()
        if epoch % refresh == 0:
            hist["loss"].append(float(ce.detach()))
    net.eval()
    hist["final_apl"] = [tree_complexity(net, X, min_samples_leaf)]
    return net, hist


#: λ of the shipped tree-regularized network (``parabola_treereg``); ``parabola_plain`` has λ = 0.
TREE_REG_LAMBDA = 0.3


class ParabolaNets(nn.Module):
    """The two shipped networks of the tree-regularization demo, in one checkpoint: ``plain`` (λ = 0) and ``treereg``.

    Examples
    --------
    >>> ParabolaNets().treereg(torch.zeros(1, 2)).shape
    torch.Size([1, 2])
    """

    def __init__(self, in_features: int = 2, hidden: int = 16):
        super().__init__()
        self.plain = TreeRegNet(in_features, hidden)
        self.treereg = TreeRegNet(in_features, hidden)


@training_recipe(threads=1)
def train_parabola_nets(directory=None, lam: float = TREE_REG_LAMBDA, seed: int = 0) -> dict:
    """Recipe ``parabola_nets``: train :class:`TreeRegNet` on :func:`make_parabola` (500 rows, seed 0)
    with λ = 0 and with tree regularization λ, and save both as one :class:`ParabolaNets` checkpoint.

    ``python -m xai_helpers.train parabola_nets`` reproduces the shipped file. Returns the measured
    figures (also stored in the checkpoint's ``meta``).
    """
    import time

    from .models import save_checkpoint

    X, y = make_parabola(500, noise=0.1, seed=0)
    X_te, y_te = make_parabola(1000, noise=0.0, seed=1)
    pair = ParabolaNets(2, 16)
    meta: dict = {"lam": lam, "seed": seed}
    for name, lam_k in (("plain", 0.0), ("treereg", lam)):
        t0 = time.perf_counter()
        net, hist = train_tree_regularized(X, y, lam_k, seed=seed, progress=False)
        getattr(pair, name).load_state_dict(net.state_dict())
        meta[f"{name}_test_accuracy"] = round(float((_predict_labels(net, X_te) == y_te).mean()), 4)
        meta[f"{name}_apl"] = round(hist["final_apl"][0], 4)
        print(f"{name}: λ = {lam_k}, test accuracy {meta[f'{name}_test_accuracy']:.4f}, tree APL {meta[f'{name}_apl']:.2f}, {time.perf_counter() - t0:.1f} s")
    path = save_checkpoint(pair.eval(), "parabola_nets", kwargs={"in_features": 2, "hidden": 16}, meta=meta, directory=directory)
    print(f"-> {path}")
    return meta
