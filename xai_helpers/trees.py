"""A decision tree as the mimic of a black box (lecture §15), and the tree-complexity surrogate of
tree regularization.

* :func:`tree_surrogate`: a decision tree fitted to the black box's predictions; its fidelity to
  the black box on held-out data, and its complexity O(T) as the average path length
  (:func:`average_path_length`); :func:`fidelity_curve` over depths.
* Tree regularization (Wu et al., arXiv 1711.06178): θ* = argmin L(θ) + λ·O(T_θ), with the
  non-differentiable O(T_θ) (:func:`tree_complexity`) replaced by a small network Ω̂(θ)
  (:class:`APLSurrogate`, :func:`fit_apl_surrogate`) that predicts it from the parameters θ
  (:func:`param_vector`). The network it regularizes is :class:`xai_helpers.models.TreeRegNet`;
  the training loop is :func:`xai_helpers.train.train_tree_regularized`.

* Choosing a tree's depth by cross-validation, cheaply (lecture §2, "a tree can still be terrible"):
  a depth-first tree limited to ``max_depth = d`` makes the same splits as the unrestricted tree
  down to depth d (up to ties between equally good splits), so one unrestricted tree per fold
  answers for every depth. :func:`predict_at_depth` stops each case at depth d and predicts the
  majority class of the training cases in that node; :func:`leaves_at_depth` counts the leaves of
  the cut tree; :func:`cv_depth_accuracy` runs k-fold cross-validation on the training set only,
  so the test set stays untouched until the depth is chosen (notebook 00).

Black boxes are plain callables: ``f(X) -> labels or class scores`` on NumPy arrays. Everything
random takes a ``seed``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ._torch import model_device
from .validation import (
    check_array,
    check_black_box,
    check_int,
    check_labels,
    check_number,
    check_seed,
)

__all__ = [
    "TreeSurrogate",
    "average_path_length",
    "fidelity",
    "tree_surrogate",
    "fidelity_curve",
    "TREE_REG_LAMBDA",
    "param_vector",
    "tree_complexity",
    "APLSurrogate",
    "fit_apl_surrogate",
    "tree_frontier",
    "best_tree_below",
    "frontier_gap",
    "group_runs",
    "omega_hat_errors",
    "predict_at_depth",
    "leaves_at_depth",
    "cv_depth_accuracy",
]


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
    """O(T): mean number of decisions (internal nodes) on the path from the root to each point's
    leaf.

    Examples
    --------
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([0, 1, 1, 1])
    >>> average_path_length(DecisionTreeClassifier().fit(X, y), X)
    1.0
    """
    X = check_array(X, "X", ndim=2).astype(np.float64)
    return float(np.asarray(tree.decision_path(X).sum(axis=1)).ravel().mean() - 1.0)


def _labels(predict_fn: Callable, X: np.ndarray) -> np.ndarray:
    y = check_black_box(predict_fn, X, "predict_fn")
    if y.ndim == 2:  # probabilities or scores -> the predicted class
        return y.argmax(1)
    if y.ndim != 1:
        raise ValueError(
            f"predict_fn must return labels (n,) or class scores (n, K), got shape {y.shape}"
        )
    if not np.allclose(y, np.round(y)):
        raise ValueError(
            "predict_fn returned non-integer 1-D outputs; return class labels (n,) or "
            "class scores (n, K)"
        )
    return y.astype(np.int64)


def fidelity(tree, predict_fn: Callable, X: np.ndarray) -> float:
    """Fraction of ``X`` on which ``tree`` agrees with ``predict_fn``'s predicted class.

    Examples
    --------
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> stump = DecisionTreeClassifier(max_depth=1).fit(X, [0, 0, 1, 1])
    >>> fidelity(stump, lambda A: (A[:, 0] > 0.5).astype(int), X)
    0.75
    """
    X = check_array(X, "X", ndim=2).astype(np.float64)
    return float((tree.predict(X) == _labels(predict_fn, X)).mean())


def tree_surrogate(
    predict_fn: Callable[[np.ndarray], np.ndarray],
    X: np.ndarray,
    max_depth: int | None,
    X_holdout: np.ndarray | None = None,
    seed: int = 0,
    min_samples_leaf: int = 1,
    features: Callable[[np.ndarray], np.ndarray] | None = None,
) -> TreeSurrogate:
    """Fit a decision tree T to mimic ``predict_fn`` on ``X``; measure fidelity and O(T).

    Parameters
    ----------
    predict_fn : callable
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
    X = check_array(X, "X", ndim=2).astype(np.float64)
    if max_depth is not None:
        max_depth = check_int(max_depth, "max_depth", minimum=1)
    min_samples_leaf = check_int(min_samples_leaf, "min_samples_leaf", minimum=1)
    seed = check_seed(seed)
    if X_holdout is None:
        if len(X) < 8:
            raise ValueError(
                f"X needs at least 8 rows to hold a quarter out, got {len(X)}; or pass X_holdout"
            )
        idx = np.random.default_rng(seed).permutation(len(X))
        cut = len(X) // 4
        X, X_holdout = X[idx[cut:]], X[idx[:cut]]
    else:
        X_holdout = check_array(X_holdout, "X_holdout", ndim=2).astype(np.float64)
    F, F_holdout = _tree_features(features, X, X_holdout)
    return _fit_tree(
        F,
        _labels(predict_fn, X),
        F_holdout,
        _labels(predict_fn, X_holdout),
        max_depth,
        min_samples_leaf,
        seed,
    )


def _tree_features(
    features: Callable | None, X: np.ndarray, X_holdout: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The matrices the tree asks its questions about: ``features(X)`` and
    ``features(X_holdout)``."""
    if X_holdout.shape[1] != X.shape[1]:
        raise ValueError(f"X_holdout has {X_holdout.shape[1]} features, X has {X.shape[1]}")
    feat = (lambda A: A) if features is None else features
    if not callable(feat):
        raise TypeError(
            f"features must be a callable (n, d) -> (n, d'), got {type(features).__name__}"
        )
    return check_array(feat(X), "features(X)", ndim=2).astype(np.float64), check_array(
        feat(X_holdout), "features(X_holdout)", ndim=2
    ).astype(np.float64)


def _fit_tree(F, y, F_holdout, y_holdout, max_depth, min_samples_leaf, seed) -> TreeSurrogate:
    """Fit the tree on the black box's answers ``y`` and score it on the held-out answers."""
    from sklearn.tree import DecisionTreeClassifier

    tree = DecisionTreeClassifier(
        max_depth=max_depth, min_samples_leaf=min_samples_leaf, random_state=seed
    )
    tree.fit(F, y)
    agree = float((tree.predict(F_holdout) == y_holdout).mean())
    return TreeSurrogate(
        tree,
        agree,
        average_path_length(tree, F_holdout),
        int(tree.get_depth()),
        int(tree.get_n_leaves()),
    )


def fidelity_curve(
    predict_fn: Callable,
    X: np.ndarray,
    X_holdout: np.ndarray,
    depths: Sequence[int],
    seed: int = 0,
    features: Callable | None = None,
    labels: np.ndarray | None = None,
) -> dict[str, np.ndarray | list]:
    """Fidelity, average path length and number of leaves of tree surrogates of increasing
    ``depths``.

    The black box is queried once on ``X`` and once on ``X_holdout``, whatever the number of depths;
    ``features`` as in :func:`tree_surrogate` (also computed once). With ``labels`` (one per row of
    ``X``) the trees are fitted to them instead of the black box's answers, and still scored by
    their agreement with the black box on ``X_holdout``: the *label-tree null* of fidelity, a tree
    that never saw the black box. ``trees`` holds the fitted trees, one per depth.

    Examples
    --------
    >>> X = np.random.default_rng(0).uniform(-1, 1, size=(300, 2))
    >>> c = fidelity_curve(lambda A: (A.sum(1) > 0).astype(int), X[:200], X[200:], [1, 4])
    >>> bool(c["fidelity"][1] >= c["fidelity"][0])
    True
    """
    X, X_holdout = (
        check_array(X, "X", ndim=2).astype(np.float64),
        check_array(X_holdout, "X_holdout", ndim=2).astype(np.float64),
    )
    depths = [check_int(d, "max_depth", minimum=1) for d in depths]
    seed = check_seed(seed)
    F, F_holdout = _tree_features(features, X, X_holdout)
    y_holdout = _labels(predict_fn, X_holdout)  # one query per data set, shared by every depth
    if labels is None:
        y = _labels(predict_fn, X)
    else:
        y = np.asarray(labels)
        if y.shape != (len(X),):
            raise ValueError(f"labels must hold one label per row of X ({len(X)}), got {y.shape}")
    rows = [_fit_tree(F, y, F_holdout, y_holdout, d, 1, seed) for d in depths]
    return {
        "depth": np.array(depths),
        "fidelity": np.array([r.fidelity for r in rows]),
        "apl": np.array([r.average_path_length for r in rows]),
        "leaves": np.array([r.n_leaves for r in rows]),
        "trees": [r.tree for r in rows],
    }


# ----------------------------------------------------- tree regularization: the surrogate of O(T_θ)


#: λ of the shipped tree-regularized network (``parabola_treereg``); ``parabola_plain`` has λ = 0.
TREE_REG_LAMBDA = 0.3


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
    A network whose answer is the sign of the first feature needs one question (path length 1);
    one that always answers class 0 needs none:

    >>> from xai_helpers.data import make_parabola
    >>> X, _ = make_parabola(200, seed=0)
    >>> by_sign = nn.Linear(2, 2)
    >>> _ = by_sign.weight.data.copy_(torch.tensor([[1.0, 0.0], [-1.0, 0.0]]))
    >>> _ = by_sign.bias.data.zero_()
    >>> tree_complexity(by_sign, X)
    1.0
    >>> _ = by_sign.weight.data.zero_(), by_sign.bias.data.copy_(torch.tensor([1.0, 0.0]))
    >>> tree_complexity(by_sign, X)
    0.0
    """
    from sklearn.tree import DecisionTreeClassifier

    X = check_array(X, "X", ndim=2).astype(np.float64)
    labels = _predict_labels(model, X)
    tree = DecisionTreeClassifier(min_samples_leaf=min_samples_leaf, random_state=0).fit(X, labels)
    return average_path_length(tree, X)


class APLSurrogate(nn.Module):
    """The paper's trick: a small network Ω̂(θ) that predicts O(T_θ) from the parameters θ.

    One hidden layer (``hidden`` units); θ is standardised with the mean and spread of the
    parameter vectors it was trained on (stored as buffers). With ``bounded=True`` the output
    passes through a softplus, so Ω̂ ≥ 0 like the path length it predicts: an unbounded Ω̂ can be
    driven negative by the penalty's gradient far from the θ it was fitted on.

    Examples
    --------
    >>> APLSurrogate(9)(torch.zeros(9)).shape
    torch.Size([])
    """

    def __init__(self, n_params: int, hidden: int = 25, bounded: bool = False):
        super().__init__()
        self.bounded = bool(bounded)
        self.register_buffer("mean", torch.zeros(n_params))
        self.register_buffer("std", torch.ones(n_params))
        self.register_buffer("y_mean", torch.zeros(()))
        self.register_buffer("y_std", torch.ones(()))
        self.net = nn.Sequential(nn.Linear(n_params, hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def forward(self, theta: torch.Tensor) -> torch.Tensor:
        z = (theta - self.mean) / self.std
        out = (self.net(z) * self.y_std + self.y_mean).squeeze(-1)
        return nn.functional.softplus(out) if self.bounded else out


def fit_apl_surrogate(
    thetas: torch.Tensor,
    apls: torch.Tensor,
    epochs: int = 300,
    seed: int = 0,
    hidden: int = 25,
    bounded: bool = False,
    weight_decay: float = 1e-4,
) -> APLSurrogate:
    """Train :class:`APLSurrogate` on pairs (θ, O(T_θ)) by mean squared error (full batch, Adam
    with ``weight_decay``); ``bounded`` as in :class:`APLSurrogate`.

    Examples
    --------
    >>> th = torch.randn(50, 4); s = fit_apl_surrogate(th, th[:, 0] * 2 + 3, epochs=200)
    >>> float(((s(th) - (th[:, 0] * 2 + 3)) ** 2).mean()) < 0.5
    True
    """
    thetas = torch.as_tensor(thetas, dtype=torch.float32)
    apls = torch.as_tensor(apls, dtype=torch.float32)
    if thetas.ndim != 2 or apls.shape != (thetas.shape[0],):
        raise ValueError(
            f"thetas must be (M, P) and apls (M,), got {tuple(thetas.shape)} and "
            f"{tuple(apls.shape)}"
        )
    torch.manual_seed(check_seed(seed))
    s = APLSurrogate(thetas.shape[1], hidden, bounded=bounded)
    s.mean.copy_(thetas.mean(0))
    s.std.copy_(thetas.std(0).clamp_min(1e-3) if len(thetas) > 1 else torch.ones(thetas.shape[1]))
    s.y_mean.copy_(apls.mean())
    s.y_std.copy_(apls.std().clamp_min(1e-3) if len(apls) > 1 else torch.tensor(1.0))
    opt = torch.optim.Adam(s.net.parameters(), lr=1e-2, weight_decay=float(weight_decay))
    for _ in range(check_int(epochs, "epochs", minimum=1)):
        loss = ((s(thetas) - apls) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    for p in s.parameters():
        p.requires_grad_(False)
    return s.eval()


# ------------------------------------------------------------------ the null of tree regularization


def tree_frontier(
    X: np.ndarray,
    y: np.ndarray,
    X_test: np.ndarray,
    y_test: np.ndarray,
    depths: Sequence[int] = range(1, 9),
    predict_fn: Callable | None = None,
    min_samples_leaf: int = 5,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """Test accuracy against average path length O(T) for decision trees of growing depth.

    The trees are fitted on ``X`` to the labels ``y`` (*fitted directly*), or, with ``predict_fn``,
    to ``predict_fn(X)`` (*distilled* from a model). O(T) is measured on ``X`` with at least
    ``min_samples_leaf`` rows per leaf, as :func:`tree_complexity` measures a network's tree, so
    that trees and networks share one axis; accuracy is on ``(X_test, y_test)``. The first entry is
    depth 0: one leaf, the majority class, O(T) = 0.

    Returns
    -------
    dict
        ``depth``, ``accuracy``, ``apl``, ``leaves``: arrays with one entry per depth, depth 0
        first.

    Examples
    --------
    >>> from xai_helpers.data import make_parabola
    >>> X, y = make_parabola(300, seed=0); Xt, yt = make_parabola(300, noise=0.0, seed=1)
    >>> f = tree_frontier(X, y, Xt, yt, depths=[1, 3])
    >>> f["depth"].tolist(), float(f["apl"][0]), bool(f["accuracy"][2] > f["accuracy"][0])
    ([0, 1, 3], 0.0, True)
    """
    from sklearn.tree import DecisionTreeClassifier

    X = check_array(X, "X", ndim=2).astype(np.float64)
    X_test = check_array(X_test, "X_test", ndim=2).astype(np.float64)
    if X_test.shape[1] != X.shape[1]:
        raise ValueError(f"X_test has {X_test.shape[1]} columns, X has {X.shape[1]}")
    y = check_labels(y, len(X), "y")
    y_test = check_labels(y_test, len(X_test), "y_test")
    depths = [check_int(d, "depth", minimum=1) for d in depths]
    min_samples_leaf = check_int(min_samples_leaf, "min_samples_leaf", minimum=1)
    seed = check_seed(seed)
    target = y if predict_fn is None else _labels(predict_fn, X)
    majority = np.bincount(target).argmax()
    rows = [(0, float((y_test == majority).mean()), 0.0, 1)]
    for d in depths:
        tree = DecisionTreeClassifier(
            max_depth=d, min_samples_leaf=min_samples_leaf, random_state=seed
        ).fit(X, target)
        rows.append(
            (
                d,
                float((tree.predict(X_test) == y_test).mean()),
                average_path_length(tree, X),
                int(tree.get_n_leaves()),
            )
        )
    return {
        key: np.array(col) for key, col in zip(("depth", "accuracy", "apl", "leaves"), zip(*rows))
    }


def best_tree_below(frontier: dict[str, np.ndarray], apl: float) -> float:
    """The best test accuracy among the trees of ``frontier`` (:func:`tree_frontier`) with O(T) ≤
    ``apl``.

    The null for a tree-regularized network: regularized down to path length ``apl``, it is worth
    its accuracy only where it beats this — what a tree asking no more questions reaches by itself.

    Examples
    --------
    >>> best_tree_below({"apl": np.array([0.0, 1.0, 2.0]), "accuracy": np.array([0.5, 0.7, 0.8])},
    ... 1.5)
    0.7
    """
    a = np.asarray(frontier["apl"], dtype=np.float64)
    acc = np.asarray(frontier["accuracy"], dtype=np.float64)
    apl = check_number(apl, "apl", 0)
    ok = a <= apl + 1e-9
    if not ok.any():
        raise ValueError(f"no tree in the frontier has O(T) <= {apl}; the smallest is {a.min()}")
    return float(acc[ok].max())


def frontier_gap(frontier: dict[str, np.ndarray], apl, accuracy) -> np.ndarray:
    """Each model's test accuracy minus :func:`best_tree_below` its O(T): Wu et al.'s comparison,
    positive where the model beats every tree of ``frontier`` that asks no more questions.

    Examples
    --------
    >>> f = {"apl": np.array([0.0, 1.0, 2.0]), "accuracy": np.array([0.5, 0.7, 0.8])}
    >>> frontier_gap(f, [1.5, 2.0], [0.9, 0.75]).round(2).tolist()
    [0.2, -0.05]
    """
    apl, accuracy = np.atleast_1d(apl), np.atleast_1d(np.asarray(accuracy, dtype=np.float64))
    if apl.shape != accuracy.shape:
        raise ValueError(f"apl and accuracy must match, got {apl.shape} and {accuracy.shape}")
    return accuracy - np.array([best_tree_below(frontier, a) for a in apl])


def group_runs(runs: Sequence[dict], key: str) -> dict[float, np.ndarray]:
    """Group recorded training runs (dicts with ``key``, ``apl`` and ``test_accuracy``, as the
    ``parabola_sweep`` and ``parabola_l2`` recipes record them) by their value of ``key``.

    Returns
    -------
    dict
        value -> a (2, n) array: the runs' O(T) and their test accuracies, in the runs' order.

    Examples
    --------
    >>> runs = [{"lam": 0.0, "apl": 4.0, "test_accuracy": 0.9}, {"lam": 0.0, "apl": 3.0,
    ... "test_accuracy": 0.8}]
    >>> group_runs(runs, "lam")[0.0].tolist()
    [[4.0, 3.0], [0.9, 0.8]]
    """
    out: dict[float, list] = {}
    for r in runs:
        out.setdefault(r[key], []).append((r["apl"], r["test_accuracy"]))
    return {v: np.array(out[v], dtype=np.float64).T for v in sorted(out)}


def omega_hat_errors(runs: Sequence[dict]) -> dict[str, float]:
    """How well tree regularization's surrogate Ω̂ predicted O(T_θ) on parameters it never saw.

    For every run with ``lam > 0``, each refresh where an Ω̂ existed and an earlier refresh
    exists gives the true O(T_θ) (``apl_true``) and Ω̂'s estimate *before* it was refitted on θ
    (``apl_hat_prior``, NaN before the first Ω̂). The null is *persistence*, a causal forecast
    available at the same moment: the true O(T) measured at the previous refresh.

    Returns
    -------
    dict
        ``omega_hat`` and ``persistence``: the median absolute error of Ω̂ and of the null over
        all held-out refreshes; ``spearman``: the median over runs of the Spearman correlation
        of Ω̂ with the true O(T) within a run (runs with fewer than 4 refreshes or a constant
        series are skipped; NaN if none is left); ``direction``: the share of refreshes where Ω̂
        and the true O(T) move the same way from the previous refresh's true O(T) (the sign a
        penalty's gradient needs; a coin flip scores about 0.5); ``n``: how many refreshes there
        are.

    Examples
    --------
    >>> nan = float("nan")
    >>> runs = [{"lam": 0.1, "apl_true": [3.0, 2.0, 1.0], "apl_hat_prior": [nan, 2.5, 1.0]},
    ...         {"lam": 0.0, "apl_true": [4.0], "apl_hat_prior": [9.0]}]
    >>> {k: round(v, 2) for k, v in omega_hat_errors(runs).items()}
    {'omega_hat': 0.25, 'persistence': 1.0, 'spearman': nan, 'direction': 1.0, 'n': 2}
    """
    from scipy.stats import spearmanr

    hat, last, rho, same = [], [], [], []
    for run in runs:
        if run["lam"] <= 0:
            continue
        true = np.asarray(run["apl_true"], dtype=np.float64)
        prior = np.asarray(run["apl_hat_prior"], dtype=np.float64)
        held = np.nonzero(~np.isnan(prior))[0]
        held = held[held > 0]
        hat.append(np.abs(prior[held] - true[held]))
        last.append(np.abs(true[held - 1] - true[held]))
        same.append(np.sign(prior[held] - true[held - 1]) == np.sign(true[held] - true[held - 1]))
        if held.size >= 4 and np.ptp(prior[held]) > 0 and np.ptp(true[held]) > 0:
            rho.append(spearmanr(prior[held], true[held])[0])
    if not hat or not sum(h.size for h in hat):
        raise ValueError("no regularized run with a held-out refresh")
    h, c = np.concatenate(hat), np.concatenate(last)
    return {
        "omega_hat": float(np.median(h)),
        "persistence": float(np.median(c)),
        "spearman": float(np.median(rho)) if rho else float("nan"),
        "direction": float(np.concatenate(same).mean()),
        "n": int(h.size),
    }


def _node_depth(tree) -> np.ndarray:
    inner = tree.tree_
    node_depth = np.zeros(inner.node_count, int)
    for node in range(inner.node_count):  # children have larger ids than their parent
        for child in (inner.children_left[node], inner.children_right[node]):
            if child >= 0:
                node_depth[child] = node_depth[node] + 1
    return node_depth


def leaves_at_depth(tree, depth: int) -> int:
    """Number of leaves of a fitted tree cut at ``depth``: the nodes at that depth and the
    shallower leaves.

    Examples
    --------
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> t = DecisionTreeClassifier(random_state=0).fit(X, [0, 1, 0, 0])
    >>> [leaves_at_depth(t, d) for d in (0, 1, 2, 9)]
    [1, 2, 3, 3]
    """
    depth = check_int(depth, "depth", minimum=0)
    node_depth, leaf = _node_depth(tree), tree.tree_.children_left < 0
    return int(np.sum(node_depth == depth) + np.sum(leaf & (node_depth < depth)))


def predict_at_depth(tree, X: np.ndarray, depth: int) -> np.ndarray:
    """Predict with a fitted tree cut at ``depth``: each case stops at the node of that depth on
    its path.

    Parameters
    ----------
    tree : DecisionTreeClassifier
        A fitted tree.
    X : np.ndarray
        Cases, shape (n, n_features).
    depth : int
        The depth to cut at (0 = the root: the majority class); beyond the tree's depth, its leaves.

    Returns
    -------
    np.ndarray
        Predicted class labels, shape (n,).

    Examples
    --------
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> t = DecisionTreeClassifier(random_state=0).fit(X, [0, 1, 0, 0])
    >>> predict_at_depth(t, X, 0).tolist(), predict_at_depth(t, X, 2).tolist()
    ([0, 0, 0, 0], [0, 1, 0, 0])
    """
    X = check_array(X, "X", ndim=2)
    depth = check_int(depth, "depth", minimum=0)
    inner, node_depth = tree.tree_, _node_depth(tree)
    paths = tree.decision_path(X.astype(np.float32)).tocsr()
    stop = np.empty(len(X), int)
    for i in range(len(X)):
        nodes = paths.indices[paths.indptr[i] : paths.indptr[i + 1]]
        shallow = nodes[node_depth[nodes] <= depth]
        stop[i] = shallow[np.argmax(node_depth[shallow])]
    return tree.classes_[inner.value[stop, 0].argmax(1)]


def cv_depth_accuracy(
    X: np.ndarray, y: np.ndarray, depths: Sequence[int], folds: int = 5, seed: int = 0
) -> np.ndarray:
    """Cross-validated accuracy of a tree cut at each depth: one unrestricted tree per fold.

    Parameters
    ----------
    X, y : np.ndarray
        Training cases (n, n_features) and labels (n,); the test set is not passed.
    depths : sequence of int
        Depths to score.
    folds : int
        Number of stratified folds (default 5).
    seed : int
        Seed of the fold split and of the trees.

    Returns
    -------
    np.ndarray
        Accuracy on each held-out fold, shape (folds, len(depths)).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 2)); y = (X[:, 0] > 0).astype(int)
    >>> cv_depth_accuracy(X, y, [0, 1], folds=4).mean(0).round(1).tolist()
    [0.5, 1.0]
    """
    from sklearn.model_selection import StratifiedKFold
    from sklearn.tree import DecisionTreeClassifier

    X = check_array(X, "X", ndim=2)
    y = np.asarray(y)
    if len(y) != len(X):
        raise ValueError(f"X has {len(X)} cases but y has {len(y)} labels")
    folds, seed = check_int(folds, "folds", minimum=2), check_seed(seed)
    split = StratifiedKFold(folds, shuffle=True, random_state=seed).split(X, y)
    scores = np.zeros((folds, len(depths)))
    for f, (fit, held) in enumerate(split):
        tree = DecisionTreeClassifier(random_state=seed).fit(X[fit], y[fit])
        for k, d in enumerate(depths):
            scores[f, k] = np.mean(predict_at_depth(tree, X[held], d) == y[held])
    return scores
