"""How does a network process its input? Representations per layer, projections, probes (lecture
§10).

* :func:`collect_representations` runs a model once with forward hooks and returns what each
  named layer output (flattened), plus the input itself.
* Nuisances: the lighting that dominates the pixels is data (:mod:`xai_helpers.data.lighting`);
  :func:`slant` (how far a digit leans) is a natural nuisance that does *not* dominate the pixels;
  :func:`nuisance_groups` bins a continuous nuisance.
* :func:`project` (PCA / t-SNE, scikit-learn) and :func:`tsne_embeddings` and
  :func:`tsne_on_demand` (caches for sliders).
* :func:`silhouette_per_layer`: how well a labelling clusters, layer by layer;
  :func:`silhouettes` scores several labellings on each layer's distances, computed once;
  :func:`lighting_sweep` repeats them (and a lighting probe) over the lamp's strength.
* Probing (探针): :func:`linear_probe` (Alain & Bengio, 2016), :func:`mlp_probe`;
  :func:`probe_layers` (one probe per layer);
  :func:`label_floor`, the floor of a nuisance probe (the nuisance predicted from the digit label
  alone); Hewitt & Liang's (2019) control task: :func:`kmeans_types` (word *types* for images) and
  :func:`control_task` (one random label per type); :func:`control_task_spread` repeats it over
  seeds, beside its floor.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import torch
from torch import nn

from ._torch import forward_hook, model_device
from .data.lighting import add_lighting
from .validation import (
    check_array,
    check_image_batch,
    check_int,
    check_labels,
    check_layer,
    check_number,
    check_positive,
    check_positive_int,
    check_seed,
)

__all__ = [
    "DEFAULT_LAYERS",
    "collect_representations",
    "slant",
    "nuisance_groups",
    "project",
    "tsne_embeddings",
    "tsne_on_demand",
    "silhouette_per_layer",
    "silhouettes",
    "silhouette_within_groups",
    "lighting_sweep",
    "lamp_within_digit_depth",
    "variance_share",
    "linear_probe",
    "mlp_probe",
    "probe_layers",
    "kmeans_types",
    "control_task",
    "label_floor",
    "shuffle_within_groups",
    "control_task_spread",
    "neighbour_label_agreement",
    "share_of_excess_kept",
]

#: The MNIST CNN's representations the course looks at, from the input to the logits.
DEFAULT_LAYERS = ("input", "pool1", "pool2", "relu3", "fc2")


def collect_representations(
    model: nn.Module, x: torch.Tensor, layers: Sequence[str] = DEFAULT_LAYERS, batch_size: int = 256
) -> dict[str, np.ndarray]:
    """What the network computes at each layer: one forward pass with a forward hook per layer.

    Parameters
    ----------
    model : nn.Module
        The network; ``layers`` name its submodules (``dict(model.named_modules())``).
    x : torch.Tensor
        Float images (N, C, H, W).
    layers : sequence of str
        Names of submodules whose *output* is recorded; ``"input"`` records ``x`` itself.
    batch_size : int
        Images per forward pass.

    Returns
    -------
    dict of str to np.ndarray
        ``layer -> (N, D)`` float32 array (each output flattened), in the order of ``layers``, on
        the CPU.

    Examples
    --------
    >>> from xai_helpers.models import MnistCNN
    >>> reps = collect_representations(MnistCNN(), torch.rand(3, 1, 28, 28), layers=("input",
    ... "pool1", "fc2"))
    >>> {k: v.shape for k, v in reps.items()}
    {'input': (3, 784), 'pool1': (3, 3136), 'fc2': (3, 10)}
    """
    check_image_batch(x)
    batch_size = check_positive_int(batch_size, "batch_size")
    if isinstance(layers, str) or not isinstance(layers, Sequence) or len(layers) == 0:
        raise TypeError(f"layers must be a non-empty sequence of layer names, got {layers!r}")
    for name in layers:
        if name != "input":
            check_layer(model, name)
    model.eval()
    dev = model_device(model)
    chunks: dict[str, list[np.ndarray]] = {name: [] for name in layers}
    with contextlib.ExitStack() as stack:
        records = {
            name: stack.enter_context(forward_hook(model, name))
            for name in layers
            if name != "input"
        }
        with torch.no_grad():
            for i in range(0, len(x), batch_size):
                xb = x[i : i + batch_size]
                model(xb.to(dev))
                for name in layers:
                    out = xb if name == "input" else records[name].output
                    chunks[name].append(out.detach().flatten(1).float().cpu().numpy())
    return {name: np.concatenate(chunks[name]) for name in layers}


def slant(x: torch.Tensor) -> np.ndarray:
    """How far each digit leans: the shear ``μ11 / μ02`` of its ink's second moments.

    Positive: the top leans to the right (as in ``/``); negative: to the left (as in ``\\``).
    This is the quantity classic *deskewing* of MNIST removes. It is a property of the writer, but
    it is measured on the whole digit's ink, so the digit's shape enters it too: an upright 4 (its
    open arm on the left) or 7 reads as leaning. Compare slants within one digit class, and beat the
    floor of :func:`label_floor` before calling slant readable from a layer. It groups raw MNIST
    pixels hardly at all (silhouette about 0.02); for a nuisance that dominates them see
    :func:`add_lighting`.

    Parameters
    ----------
    x : torch.Tensor
        Grey images (N, 1, H, W), ink bright on a dark background.

    Returns
    -------
    np.ndarray
        (N,) float64.

    Examples
    --------
    >>> img = torch.zeros(1, 1, 28, 28)
    >>> for r in range(4, 24):
    ...     img[0, 0, r, 14 + (14 - r) // 3] = 1.0  # a stroke whose top is to the right
    >>> bool(slant(img)[0] > 0)
    True
    """
    check_image_batch(x, channels=1)
    img = x[:, 0].detach().cpu().double().clamp(min=0).numpy()
    mass = img.sum((1, 2))
    if (mass <= 0).any():
        raise ValueError("slant needs some ink in every image; got an all-black image")
    h, w = img.shape[1:]
    rows, cols = np.mgrid[:h, :w]
    cy = (img * rows).sum((1, 2)) / mass
    cx = (img * cols).sum((1, 2)) / mass
    dy = rows[None] - cy[:, None, None]
    dx = cols[None] - cx[:, None, None]
    mu11 = (img * dx * dy).sum((1, 2)) / mass
    mu02 = (img * dy**2).sum((1, 2)) / mass
    # Rows grow downwards, so a "/" digit (top to the right) has dx > 0 where dy < 0: negate.
    return -mu11 / np.maximum(mu02, 1e-12)


def nuisance_groups(values: np.ndarray, thresholds: Sequence[float]) -> np.ndarray:
    """Bin a continuous nuisance (e.g. :func:`slant`) into groups 0, 1, ... at ``thresholds``.

    Compute the thresholds on training data (e.g. its terciles) and reuse them for test data.

    Examples
    --------
    >>> nuisance_groups(np.array([-0.5, 0.0, 0.4]), thresholds=[-0.1, 0.1]).tolist()
    [0, 1, 2]
    """
    values = check_array(values, "values (one per image)", ndim=1).astype(float)
    t = np.asarray(thresholds, dtype=float)
    if t.ndim != 1 or len(t) == 0 or np.any(np.diff(t) <= 0):
        raise ValueError(f"thresholds must be a non-empty increasing sequence, got {thresholds!r}")
    return np.digitize(values, t)


def _check_rep(rep, name: str = "representation") -> np.ndarray:
    """(N, D) representations with N >= 2 (a thin wrapper: the checks are :func:`check_array`'s)."""
    return check_array(rep, name, ndim=2, min_rows=2)


def project(
    rep: np.ndarray,
    method: str = "pca",
    perplexity: float = 30.0,
    seed: int = 0,
    pca_dims: int = 50,
    max_iter: int = 500,
) -> np.ndarray:
    """Project a layer's representations to 2-D with PCA or t-SNE (scikit-learn).

    t-SNE first reduces to ``pca_dims`` dimensions with PCA (the usual, faster recipe) and starts
    from the PCA layout, so that the result is deterministic given ``seed``.

    Parameters
    ----------
    rep : np.ndarray
        (N, D) representations.
    method : {"pca", "tsne"}
    perplexity : float
        t-SNE's effective number of neighbours (must be below N).
    seed : int
        Random state of PCA/t-SNE.
    pca_dims : int
        Dimensions PCA keeps before t-SNE.
    max_iter : int
        t-SNE iterations (at least 250, of which the first 250 are early exaggeration).

    Returns
    -------
    np.ndarray
        (N, 2).

    Examples
    --------
    >>> project(np.random.default_rng(0).normal(size=(20, 5))).shape
    (20, 2)
    """
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    a = _check_rep(rep).astype(np.float32)
    seed = check_seed(seed)
    if method == "pca":
        return PCA(2, random_state=seed).fit_transform(a)
    if method != "tsne":
        raise ValueError(f"method must be 'pca' or 'tsne', got {method!r}")
    perplexity = check_number(
        perplexity, f"perplexity (N = {len(a)})", 0, len(a), low_open=True, high_open=True
    )
    if a.shape[1] > pca_dims:
        a = PCA(pca_dims, random_state=seed).fit_transform(a)
    # Threads: setup() sized the OpenMP pool to the CPU this process may use (issue 18).
    return TSNE(
        2, perplexity=perplexity, init="pca", random_state=seed, max_iter=max_iter
    ).fit_transform(a)


def tsne_embeddings(
    reps: Mapping[str, np.ndarray],
    perplexities: Sequence[float] = (5, 30, 100),
    seed: int = 0,
    progress: bool = True,
) -> dict[tuple[str, float], np.ndarray]:
    """t-SNE of every layer for a few perplexities, computed once (with a progress bar) for sliders.

    Returns
    -------
    dict
        ``(layer, perplexity) -> (N, 2)`` embedding.

    Examples
    --------
    >>> reps = {"a": np.random.default_rng(0).normal(size=(30, 4))}
    >>> sorted(tsne_embeddings(reps, perplexities=(5,), progress=False))
    [('a', 5)]
    """
    from tqdm.auto import tqdm

    if not reps:
        raise ValueError("reps is empty: pass {layer name: (N, D) array}")
    jobs = [(layer, p) for layer in reps for p in perplexities]
    return {
        (layer, p): project(reps[layer], "tsne", p, seed)
        for layer, p in tqdm(jobs, desc="t-SNE", disable=not progress)
    }


def tsne_on_demand(
    reps: Mapping[str, Mapping[str, np.ndarray]],
    n: int = 300,
    perplexity: float = 30.0,
    seed: int = 0,
) -> Callable[[str, str], np.ndarray]:
    """A function ``(network, layer) -> t-SNE of that layer's first n rows``, each computed once,
    the first time a slider asks for it.

    Parameters
    ----------
    reps : mapping
        ``network -> {layer: (N, D) representations}``.
    n : int
        How many points (the first ``n``) to embed.
    perplexity, seed :
        As in :func:`project`.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> tsne = tsne_on_demand({"net": {"a": rng.normal(size=(40, 4))}}, n=30, perplexity=5)
    >>> tsne("net", "a").shape, tsne("net", "a") is tsne("net", "a")
    ((30, 2), True)
    """
    n = check_positive_int(n, "n")
    if not reps:
        raise ValueError("reps is empty: pass {network: {layer: (N, D) array}}")
    done: dict[tuple[str, str], np.ndarray] = {}

    def tsne(network: str, layer: str) -> np.ndarray:
        if (network, layer) not in done:
            rep = _check_rep(reps[network][layer], f"reps[{network!r}][{layer!r}]")[:n]
            done[network, layer] = project(rep, "tsne", perplexity=perplexity, seed=seed)
        return done[network, layer]

    return tsne


def silhouette_per_layer(reps: Mapping[str, np.ndarray], y: np.ndarray) -> dict[str, float]:
    """Silhouette score (scikit-learn, Euclidean) of the labelling ``y`` in each layer's
    representation.

    +1: tight, well separated groups; 0: overlapping groups; < 0: points nearer another group.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 10)
    >>> s = silhouette_per_layer({"mixed": rng.normal(size=(20, 2)), "split": rng.normal(size=(20,
    ... 2)) + 10 * y[:, None]}, y)
    >>> s["split"] > 0.8 > s["mixed"]
    True
    """
    from sklearn.metrics import silhouette_score

    out = {}
    for layer, rep in reps.items():
        a = _check_rep(rep, f"reps[{layer!r}]")
        out[layer] = float(silhouette_score(a, check_labels(y, len(a), "y")))
    return out


def silhouettes(
    reps: Mapping[str, np.ndarray], labelings: Mapping[str, np.ndarray]
) -> dict[str, dict[str, float]]:
    """Silhouette score of several labellings in each layer, the layer's distances computed once.

    The same numbers as :func:`silhouette_per_layer` called once per labelling (Euclidean
    distances), at the cost of one distance matrix per layer.

    Parameters
    ----------
    reps : mapping of str to np.ndarray
        ``layer -> (N, D)`` representations.
    labelings : mapping of str to np.ndarray
        ``name -> (N,)`` integer labels (e.g. ``{"digit": y, "lighting": writer}``).

    Returns
    -------
    dict
        ``name -> {layer: silhouette}``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 10)
    >>> a = rng.normal(size=(20, 2)) + 10 * y[:, None]
    >>> s = silhouettes({"a": a}, {"y": y, "mixed": np.tile([0, 1], 10)})
    >>> s["y"]["a"] > 0.8 > s["mixed"]["a"]
    True
    """
    from sklearn.metrics import pairwise_distances, silhouette_score

    if not reps or not labelings:
        raise ValueError("reps and labelings must be non-empty mappings")
    out: dict[str, dict[str, float]] = {name: {} for name in labelings}
    for layer, rep in reps.items():
        a = _check_rep(rep, f"reps[{layer!r}]").astype(np.float64)
        dist = pairwise_distances(a)
        for name, labels in labelings.items():
            lab = check_labels(labels, len(a), f"labelings[{name!r}]")
            out[name][layer] = float(silhouette_score(dist, lab, metric="precomputed"))
    return out


def silhouette_within_groups(rep: np.ndarray, labels: np.ndarray, groups: np.ndarray) -> float:
    """The silhouette score of ``labels`` measured inside each group, averaged over the groups.

    Once the points cluster by group (e.g. the digit), a global silhouette of another labelling
    (e.g. the lamp) is near 0 whatever that labelling does inside a cluster: both mean distances of
    the score span all clusters. Measured among one group's points only, it asks whether the
    labels sit apart *inside* the group. Groups with fewer than two labels are skipped.

    Parameters
    ----------
    rep : np.ndarray
        The points, (N, D).
    labels : np.ndarray
        One label per point, (N,) (e.g. each digit's lamp).
    groups : np.ndarray
        One group per point, (N,) (e.g. the digit).

    Returns
    -------
    float
        The mean over groups of the within-group silhouette score (1 = the labels form tight
        separate groups inside every group, 0 = mixed).

    Examples
    --------
    >>> rep = np.array([[0.0], [0.1], [1.0], [1.1], [10.0], [10.1], [11.0], [11.1]])
    >>> lamp, digit = np.array([0, 0, 1, 1, 0, 0, 1, 1]), np.array([0, 0, 0, 0, 1, 1, 1, 1])
    >>> round(silhouette_within_groups(rep, lamp, digit), 3), round(silhouettes({"r": rep},
    ...     {"lamp": lamp})["lamp"]["r"], 3)  # inside each digit: apart; globally: hidden
    (0.9, -0.179)
    """
    from sklearn.metrics import pairwise_distances, silhouette_score

    rep = _check_rep(rep).astype(np.float64)
    labels = check_labels(labels, len(rep), "labels")
    groups = check_labels(groups, len(rep), "groups")
    scores = []
    for g in np.unique(groups):
        inside = groups == g
        lab = labels[inside]
        if 1 < len(np.unique(lab)) < len(lab):
            dist = pairwise_distances(rep[inside])
            scores.append(silhouette_score(dist, lab, metric="precomputed"))
    if not scores:
        raise ValueError("no group holds two labels and more points than labels")
    return float(np.mean(scores))


def lighting_sweep(
    nets: Mapping[str, nn.Module],
    x: torch.Tensor,
    y: np.ndarray,
    writer: np.ndarray,
    train_x: torch.Tensor,
    train_writer: np.ndarray,
    amplitudes: Sequence[float],
    layers: Sequence[str] = DEFAULT_LAYERS,
    probe_layer: str = "relu3",
) -> dict[tuple[str, float], dict]:
    """Where does the lecture's picture appear? Each network's layers over the lamp's strength.

    For each amplitude of :func:`xai_helpers.data.lighting.add_lighting` and each network: the
    silhouette by digit and by lighting at every layer (:func:`silhouettes`), and a linear lighting
    probe at ``probe_layer``, trained on ``train_x`` lit by ``train_writer`` and scored on ``x``.

    Parameters
    ----------
    nets : mapping of str to nn.Module
        E.g. ``{"trained": model, "untrained": untrained_copy(model)}``.
    x, y, writer :
        Test digits (N, 1, H, W), their labels and writers (N,).
    train_x, train_writer :
        The probe's training digits and their writers.
    amplitudes : sequence of float
        Lamp strengths in [0, 1].
    layers : sequence of str
        Layers whose silhouettes are measured.
    probe_layer : str
        Layer of the lighting probe.

    Returns
    -------
    dict
        ``(net, amplitude) -> {"digit": {layer: s}, "lighting": {layer: s}, "probe": accuracy}``.

    Examples
    --------
    >>> from xai_helpers.models import MnistCNN
    >>> x, w = torch.rand(30, 1, 28, 28), np.arange(30) % 3
    >>> out = lighting_sweep({"net": MnistCNN()}, x, np.arange(30) % 2, w, x, w, [0.0, 0.5],
    ... layers=["input", "relu3"])
    >>> sorted(out), sorted(out["net", 0.5])
    ([('net', 0.0), ('net', 0.5)], ['digit', 'lighting', 'probe'])
    """
    if not nets or len(amplitudes) == 0:
        raise ValueError("nets and amplitudes must be non-empty")
    out: dict[tuple[str, float], dict] = {}
    for amp in amplitudes:
        lit, lit_train = add_lighting(x, writer, amp), add_lighting(train_x, train_writer, amp)
        for name, net in nets.items():
            reps = collect_representations(net, lit, list(dict.fromkeys([*layers, probe_layer])))
            train_rep = collect_representations(net, lit_train, [probe_layer])[probe_layer]
            sil = silhouettes({k: reps[k] for k in layers}, {"digit": y, "lighting": writer})
            probe = linear_probe(train_rep, train_writer, reps[probe_layer], writer)[1]
            out[name, float(amp)] = {**sil, "probe": probe}
    return out


def lamp_within_digit_depth(
    nets: Mapping[str, nn.Module],
    x: torch.Tensor,
    writer: np.ndarray,
    digits: np.ndarray,
    amplitude: float,
    layers: Sequence[str] = DEFAULT_LAYERS,
    permutations: Sequence[np.ndarray] = (),
    floor_net: str | None = None,
) -> tuple[dict[str, dict[str, np.ndarray]], dict[str, dict[str, float]], list[dict[str, float]]]:
    """The lamp's silhouette inside each digit, per network and layer, at one lamp strength.

    Lights ``x`` with :func:`~xai_helpers.data.lighting.add_lighting` at ``amplitude``, collects
    every network's ``layers`` and scores each with :func:`silhouette_within_groups` (the lamp
    ``writer`` inside each of the ``digits``). The floor: the same score on ``floor_net``'s layers
    with the lamps permuted by each of ``permutations`` (mixed lamps, about -0.04 for MNIST).

    Parameters
    ----------
    nets : mapping of str to nn.Module
        The networks, by name.
    x : torch.Tensor
        Unlit digits, (N, 1, H, W).
    writer, digits : np.ndarray
        Each digit's writer (its lamp) and class, (N,).
    amplitude : float
        The lamp's strength in [0, 1].
    layers : sequence of str
        Layers to measure.
    permutations : sequence of np.ndarray
        Index permutations of the N digits, one floor each.
    floor_net : str, optional
        The network whose layers give the floor (default: the first of ``nets``).

    Returns
    -------
    tuple
        ``(reps, depth, floor)``: ``reps[net][layer]`` the representations, ``depth[net][layer]``
        the within-digit lamp silhouette, ``floor`` one ``{layer: silhouette}`` per permutation.

    Examples
    --------
    >>> from xai_helpers.models import MnistCNN
    >>> x, w, d = torch.rand(40, 1, 28, 28), np.arange(40) % 3, np.arange(40) % 2
    >>> p = [np.random.default_rng(0).permutation(40)]
    >>> reps, depth, floor = lamp_within_digit_depth({"net": MnistCNN()}, x, w, d, 0.4,
    ...     layers=["input", "relu3"], permutations=p)
    >>> sorted(depth["net"]), len(floor), depth["net"]["input"] > floor[0]["input"]
    (['input', 'relu3'], 1, True)
    """
    if not nets:
        raise ValueError("nets must be non-empty")
    lit = add_lighting(x, writer, amplitude)
    reps = {name: collect_representations(net, lit, list(layers)) for name, net in nets.items()}
    depth = {
        name: {ly: silhouette_within_groups(r, writer, digits) for ly, r in by.items()}
        for name, by in reps.items()
    }
    base = reps[floor_net if floor_net is not None else next(iter(nets))]
    floor = [
        {ly: silhouette_within_groups(r, np.asarray(writer)[p], digits) for ly, r in base.items()}
        for p in permutations
    ]
    return reps, depth, floor


def variance_share(points: np.ndarray, groups: np.ndarray) -> float:
    """Share of the variance of ``points`` (one row each) that the grouping explains: the
    between-group sum of squares over the total (η², 0 = the groups' means coincide, 1 = every
    point sits on its group's mean).

    Used to ask how much of a layer's 2-D PCA picture a nuisance factor (e.g. a token's
    position) explains.

    Examples
    --------
    >>> pts = np.array([[0.0, 0.0], [0.0, 2.0], [10.0, 0.0], [10.0, 2.0]])
    >>> round(variance_share(pts, np.array([0, 0, 1, 1])), 3)
    0.962
    >>> round(variance_share(pts, np.array([0, 1, 0, 1])), 3)
    0.038
    """
    pts = _check_rep(points, "points")
    g = np.unique(check_labels(groups, len(pts), "groups"), return_inverse=True)[1]
    centred = pts - pts.mean(0)
    total = float((centred**2).sum())
    if total == 0:
        raise ValueError("points have zero variance: nothing to explain")
    counts = np.bincount(g)
    means = np.stack(
        [np.bincount(g, weights=centred[:, j]) / counts for j in range(pts.shape[1])], 1
    )
    return float((means[g] ** 2).sum() / total)


def _fit_score(clf, train_rep, train_y, test_rep, test_y) -> tuple[float, float]:
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    a = _check_rep(train_rep, "train_rep")
    y = check_labels(train_y, len(a), "train_y")
    pipe = make_pipeline(StandardScaler(), clf)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipe.fit(a, y)
    train_acc = float(pipe.score(a, y))
    if test_rep is None:
        return train_acc, train_acc
    b = _check_rep(test_rep, "test_rep")
    if b.shape[1] != a.shape[1]:
        raise ValueError(
            f"test_rep has {b.shape[1]} features, train_rep {a.shape[1]}: they must come "
            "from the same layer"
        )
    return train_acc, float(pipe.score(b, check_labels(test_y, len(b), "test_y")))


def linear_probe(
    train_rep: np.ndarray,
    train_y: np.ndarray,
    test_rep: np.ndarray | None = None,
    test_y: np.ndarray | None = None,
    C: float = 1.0,
    max_iter: int = 300,
) -> tuple[float, float]:
    """A linear probe: logistic regression (on standardised features) trained to read ``y`` off a
    layer.

    ``max_iter`` caps L-BFGS (on separable high-dimensional layers it would otherwise run long for
    a last 0.1 %); the convergence warning is silenced.

    Returns
    -------
    (train accuracy, test accuracy)
        The test accuracy equals the train accuracy when no test set is given.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(400, 3)); y = (X[:, 0] > 0).astype(int)
    >>> linear_probe(X[:300], y[:300], X[300:], y[300:])[1] > 0.9
    True
    """
    from sklearn.linear_model import LogisticRegression

    return _fit_score(
        LogisticRegression(
            C=check_positive(C, "C"), max_iter=check_positive_int(max_iter, "max_iter")
        ),
        train_rep,
        train_y,
        test_rep,
        test_y,
    )


def mlp_probe(
    train_rep: np.ndarray,
    train_y: np.ndarray,
    test_rep: np.ndarray | None = None,
    test_y: np.ndarray | None = None,
    hidden: int = 512,
    max_iter: int = 200,
    learning_rate: float = 1e-2,
    seed: int = 0,
) -> tuple[float, float]:
    """A powerful probe: a one-hidden-layer MLP (scikit-learn), trained full-batch with Adam, no
    weight decay.

    Full-batch Adam for a fixed ``max_iter`` steps is deterministic and fast (about a second for
    1,000 × 64 features); the capacity (``hidden`` units) is what lets it memorise.

    Returns
    -------
    (train accuracy, test accuracy)

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(60, 2)); y = (X[:, 0] * X[:,
    ... 1] > 0).astype(int)  # not linearly separable
    >>> mlp_probe(X, y, hidden=32)[0] > 0.9
    True
    """
    from sklearn.neural_network import MLPClassifier

    hidden = check_positive_int(hidden, "hidden")
    learning_rate = check_positive(learning_rate, "learning_rate")
    seed = check_seed(seed)
    max_iter = check_positive_int(max_iter, "max_iter")
    n = len(_check_rep(train_rep, "train_rep"))
    clf = MLPClassifier(
        (hidden,),
        solver="adam",
        batch_size=n,
        learning_rate_init=learning_rate,
        alpha=0.0,
        max_iter=max_iter,
        tol=0.0,
        n_iter_no_change=max_iter + 1,
        shuffle=False,
        random_state=seed,
    )
    return _fit_score(clf, train_rep, train_y, test_rep, test_y)


def probe_layers(
    fit,
    train_reps: Mapping[str, np.ndarray],
    train_y: np.ndarray,
    test_reps: Mapping[str, np.ndarray],
    test_y: np.ndarray,
    layers: Sequence[str] | None = None,
) -> dict[str, float]:
    """One probe per layer: ``fit`` trained on ``train_reps[layer]`` and scored held out.

    Parameters
    ----------
    fit : callable
        ``fit(train_rep, train_y, test_rep, test_y) -> (train acc, test acc)``, e.g.
        :func:`linear_probe` or :func:`mlp_probe`.
    train_reps, test_reps : mapping of str to np.ndarray
        ``layer -> (N, D)`` representations, e.g. from :func:`collect_representations`.
    train_y, test_y : np.ndarray
        The property to read, one integer label per item.
    layers : sequence of str, optional
        The layers to probe (default: every layer of ``test_reps``, in order).

    Returns
    -------
    dict
        ``layer -> held-out accuracy``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = np.arange(40) % 2
    >>> reps = {"noise": rng.normal(size=(40, 3)), "signal": y[:, None] + 0.1 * rng.normal(size=(40,
    ... 1))}
    >>> acc = probe_layers(linear_probe, reps, y, reps, y)
    >>> list(acc), acc["signal"]
    (['noise', 'signal'], 1.0)
    """
    if not callable(fit):
        raise TypeError(f"fit must be a probe function, got {type(fit).__name__}")
    layers = list(test_reps) if layers is None else list(layers)
    missing = [ly for ly in layers if ly not in train_reps or ly not in test_reps]
    if missing:
        raise ValueError(f"layers {missing} are missing from train_reps or test_reps")
    return {ly: float(fit(train_reps[ly], train_y, test_reps[ly], test_y)[1]) for ly in layers}


def kmeans_types(
    train_x, test_x, n_types: int = 100, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Word *types* for images: k-means clusters of the training inputs, the test inputs sent to the
    nearest centre.

    Hewitt & Liang's control task gives a random label to each word *type*; digits have no types,
    so inputs that look alike (one k-means cluster of their pixels) share one.

    Returns
    -------
    (train_types, test_types)
        Cluster index of every training and test input.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> tr, te = kmeans_types(rng.normal(size=(40, 3)), rng.normal(size=(5, 3)), n_types=4)
    >>> tr.shape, te.shape, int(tr.max()) < 4
    ((40,), (5,), True)
    """
    from sklearn.cluster import KMeans

    a = check_array(train_x, "train_x", ndim=2)
    b = check_array(test_x, "test_x", ndim=2)
    if b.shape[1] != a.shape[1]:
        raise ValueError(f"test_x has {b.shape[1]} features, train_x {a.shape[1]}")
    n_types = check_int(n_types, "n_types", minimum=2, maximum=len(a))
    km = KMeans(n_types, n_init=1, random_state=check_seed(seed)).fit(a.astype(np.float32))
    return km.labels_.astype(np.int64), km.predict(b.astype(np.float32)).astype(np.int64)


def control_task(train_types, test_types, train_y, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Hewitt & Liang's (2019) control task: one random label per *type*, shared by all its inputs.

    Each type gets a label drawn from the empirical distribution of the real labels ``train_y``;
    every input (training or test) of that type carries it. A probe can do better than the
    majority label on *held-out* inputs only by recognising the type in the representation and
    remembering its label: the control accuracy measures the probe's capacity to memorise.
    Selectivity = real-task accuracy − control accuracy.

    Returns
    -------
    (train_labels, test_labels)

    Examples
    --------
    >>> tr, te = control_task(np.array([0, 0, 1, 2]), np.array([1, 0]), np.array([3, 5, 5, 7]))
    >>> bool(tr[0] == tr[1] == te[1]), bool(te[0] == tr[2])
    (True, True)
    """
    y = check_labels(train_y, len(np.asarray(train_y)), "train_y")
    t_tr = check_labels(train_types, len(y), "train_types")
    t_te = check_labels(test_types, len(np.asarray(test_types)), "test_types")
    if t_tr.min() < 0 or (len(t_te) and t_te.min() < 0):
        raise ValueError("types must be non-negative integers")
    n_types = int(max(t_tr.max(), t_te.max() if len(t_te) else 0)) + 1
    classes, counts = np.unique(y, return_counts=True)
    per_type = np.random.default_rng(check_seed(seed)).choice(
        classes, size=n_types, p=counts / counts.sum()
    )
    return per_type[t_tr], per_type[t_te]


def label_floor(train_y, train_nuisance, test_y, test_nuisance) -> float:
    """The floor of a nuisance probe: predict the nuisance from the digit label alone.

    For each digit, predict its most frequent nuisance group among the training digits; return the
    accuracy of that rule on the test digits. A probe on a layer shows that the layer *itself*
    carries the nuisance only where it beats this floor (which is above chance whenever the
    nuisance depends on the digit).

    Examples
    --------
    >>> label_floor(np.array([0, 0, 1, 1]), np.array([2, 2, 0, 1]), np.array([0, 1]), np.array([2,
    ... 0]))
    1.0
    """
    y = check_labels(train_y, len(np.asarray(train_y)), "train_y")
    g = check_labels(train_nuisance, len(y), "train_nuisance")
    yt = check_labels(test_y, len(np.asarray(test_y)), "test_y")
    gt = check_labels(test_nuisance, len(yt), "test_nuisance")
    overall = np.bincount(g).argmax()
    best = {c: np.bincount(g[y == c]).argmax() for c in np.unique(y)}
    pred = np.array([best.get(c, overall) for c in yt])
    return float((pred == gt).mean())


def shuffle_within_groups(
    train_labels, test_labels, train_groups, test_groups, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """The control task's matched null: its labels permuted among the items of the same group.

    Training and test items are pooled, and within each group (e.g. each digit) the labels are
    permuted at random. The result keeps how the labels depend on the group (the control task's
    floor, :func:`label_floor`) but no longer belongs to any *type*: a probe has nothing to
    memorise. A probe memorises the control task only by as much as it reads the real control
    labels better than these.

    Returns
    -------
    (train_labels, test_labels)
        The permuted labels, in the items' order.

    Examples
    --------
    >>> lab, grp = np.array([0, 1, 2, 3, 4, 5]), np.array([0, 0, 0, 1, 1, 1])
    >>> tr, te = shuffle_within_groups(lab[:4], lab[4:], grp[:4], grp[4:], seed=0)
    >>> sorted(np.r_[tr, te][:3].tolist()), sorted(np.r_[tr, te][3:].tolist())
    ([0, 1, 2], [3, 4, 5])
    """
    a = check_labels(train_labels, len(np.asarray(train_labels)), "train_labels")
    b = check_labels(test_labels, len(np.asarray(test_labels)), "test_labels")
    groups = np.r_[
        check_labels(train_groups, len(a), "train_groups"),
        check_labels(test_groups, len(b), "test_groups"),
    ]
    labels, out = np.r_[a, b], np.r_[a, b]
    rng = np.random.default_rng(check_seed(seed))
    for g in np.unique(groups):
        idx = np.flatnonzero(groups == g)
        out[idx] = labels[rng.permutation(idx)]
    return out[: len(a)], out[len(a) :]


def control_task_spread(
    fit,
    train_rep: np.ndarray,
    test_rep: np.ndarray,
    train_y: np.ndarray,
    types: Sequence[tuple[np.ndarray, np.ndarray]],
    label_seeds: Sequence[int],
    floor_by: Sequence[tuple[np.ndarray, np.ndarray]],
) -> dict[str, np.ndarray]:
    """Hewitt & Liang's control task over seeds: held-out control accuracy of a probe and its floor.

    For every typing of the inputs (e.g. k-means with several seeds, :func:`kmeans_types`) and
    every label seed of :func:`control_task`, fit the probe on the control labels of the training
    items and score it on the test items; the floor is the best :func:`label_floor` among the
    rules ``floor_by`` (e.g. the digit alone, the (digit, lamp) pair).

    Parameters
    ----------
    fit : callable
        ``fit(train_rep, train_labels, test_rep, test_labels) -> (train acc, test acc)``, e.g.
        :func:`linear_probe`.
    train_rep, test_rep : np.ndarray
        The layer's representations (N_train, D), (N_test, D).
    train_y : np.ndarray
        Real labels of the training items (the control labels follow their distribution).
    types : sequence of (train_types, test_types)
        One typing per row of the result.
    label_seeds : sequence of int
        One control-label seed per column.
    floor_by : sequence of (train_values, test_values)
        What the floor's rules know about each item.

    Returns
    -------
    dict
        ``"control"`` and ``"floor"``: arrays (len(types), len(label_seeds)).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> rep, y = rng.normal(size=(60, 4)), rng.integers(0, 3, 60)
    >>> t = (np.arange(60) % 6, np.arange(60) % 6)
    >>> out = control_task_spread(linear_probe, rep, rep, y, [t], [0, 1], [(y, y)])
    >>> out["control"].shape, out["floor"].shape
    ((1, 2), (1, 2))
    """
    if not callable(fit):
        raise TypeError(f"fit must be a probe function, got {type(fit).__name__}")
    if len(types) == 0 or len(label_seeds) == 0 or len(floor_by) == 0:
        raise ValueError("types, label_seeds and floor_by must be non-empty")
    control = np.empty((len(types), len(label_seeds)))
    floor = np.empty_like(control)
    for i, (t_train, t_test) in enumerate(types):
        for j, seed in enumerate(label_seeds):
            c_train, c_test = control_task(t_train, t_test, train_y, seed=seed)
            control[i, j] = fit(train_rep, c_train, test_rep, c_test)[1]
            floor[i, j] = max(label_floor(a, c_train, b, c_test) for a, b in floor_by)
    return {"control": control, "floor": floor}


def neighbour_label_agreement(
    embedding: np.ndarray, labels: np.ndarray, k: int = 10, groups: np.ndarray | None = None
) -> float:
    """Share of each point's ``k`` nearest neighbours in an embedding that carry its label.

    Turns "the colours still sit apart in the picture" into a number: with ``L`` labels mixed at
    random the share is about 1/L; with the labels forming their own groups it is 1. With ``groups``
    (e.g. the digit), only neighbours of the point's own group count: do the labels sit apart
    *inside* a group's cluster?

    Parameters
    ----------
    embedding : np.ndarray
        The points, (N, D) (a 2-D picture or a whole representation).
    labels : np.ndarray
        One label per point, (N,) (e.g. each digit's lamp).
    k : int
        Neighbours per point (the point itself is not counted).
    groups : np.ndarray, optional
        One group per point, (N,); if given, only neighbours in the point's group are counted.

    Returns
    -------
    float
        The share, over all counted (point, neighbour) pairs, of neighbours with the point's label.

    Examples
    --------
    >>> emb = np.array([[0.0], [0.1], [0.2], [5.0], [5.1], [5.2]])
    >>> neighbour_label_agreement(emb, np.array([0, 0, 0, 1, 1, 1]), k=2)
    1.0
    >>> round(neighbour_label_agreement(emb, np.array([0, 1, 0, 1, 0, 1]), k=2), 3)
    0.333
    """
    from sklearn.neighbors import NearestNeighbors  # scikit-learn: imported only when needed

    embedding = check_array(embedding, "embedding", ndim=2)
    labels = check_labels(labels, len(embedding), "labels")
    k = check_positive_int(k, "k")
    if k >= len(embedding):
        raise ValueError(f"k must be below the number of points ({len(embedding)}), got {k}")
    nn_idx = NearestNeighbors(n_neighbors=k + 1).fit(embedding)
    idx = nn_idx.kneighbors(embedding, return_distance=False)[:, 1:]
    same = labels[idx] == labels[:, None]
    if groups is None:
        return float(same.mean())
    groups = check_labels(groups, len(embedding), "groups")
    return float(same[groups[idx] == groups[:, None]].mean())


def share_of_excess_kept(
    scores: Mapping[str, float], floor: float, net: str, references: Sequence[str]
) -> np.ndarray:
    """How much of each reference network's excess over a floor ``net`` keeps.

    For every name ``r`` in ``references``: ``(scores[net] - floor) / (scores[r] - floor)``.
    1 = ``net`` is as far above the floor as ``r``; 0 = ``net`` sits at the floor.

    Parameters
    ----------
    scores : mapping of str to float
        A score per network, e.g. a within-digit silhouette (:func:`silhouette_within_groups`).
    floor : float
        The score at which the property is absent, e.g. with its labels permuted at random.
    net : str
        The network compared.
    references : sequence of str
        The networks it is compared with; each must lie above ``floor``.

    Returns
    -------
    np.ndarray
        One share per reference, in the order given.

    Examples
    --------
    >>> share_of_excess_kept({"a": 0.0, "b": 0.2, "c": 0.4}, -0.1, "a", ["b", "c"])
    array([0.33333333, 0.2       ])
    """
    base = np.array([scores[r] - floor for r in references], dtype=float)
    if len(base) == 0 or np.any(base <= 0):
        raise ValueError("every reference must lie above the floor")
    return (scores[net] - floor) / base
