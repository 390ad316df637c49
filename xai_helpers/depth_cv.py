"""Choose a decision tree's depth by cross-validation, cheaply (lecture §2, "a tree can still be terrible").

A depth-first tree limited to ``max_depth = d`` makes the same splits as the unrestricted tree down
to depth d (up to ties between equally good splits), so one unrestricted tree per fold answers for
every depth: :func:`predict_at_depth` stops each case at depth d and predicts the majority class of
the training cases in that node. :func:`cv_depth_accuracy` uses it for k-fold cross-validation on
the training set only, so the test set stays untouched until the depth is chosen.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.model_selection import StratifiedKFold
from sklearn.tree import DecisionTreeClassifier

from .validation import check_array, check_int, check_seed

__all__ = ["predict_at_depth", "leaves_at_depth", "cv_depth_accuracy"]


def _node_depth(tree: DecisionTreeClassifier) -> np.ndarray:
    inner = tree.tree_
    node_depth = np.zeros(inner.node_count, int)
    for node in range(inner.node_count):  # children have larger ids than their parent
        for child in (inner.children_left[node], inner.children_right[node]):
            if child >= 0:
                node_depth[child] = node_depth[node] + 1
    return node_depth


def leaves_at_depth(tree: DecisionTreeClassifier, depth: int) -> int:
    """Number of leaves of a fitted tree cut at ``depth`` (the nodes at that depth and the shallower leaves).

    Examples
    --------
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> t = DecisionTreeClassifier(random_state=0).fit(X, [0, 1, 0, 0])
    >>> [leaves_at_depth(t, d) for d in (0, 1, 2, 9)]
    [1, 2, 3, 3]
    """
    depth = check_int(depth, "depth", minimum=0)
    node_depth, leaf = _node_depth(tree), tree.tree_.children_left < 0
    return int(np.sum(node_depth == depth) + np.sum(leaf & (node_depth < depth)))


def predict_at_depth(tree: DecisionTreeClassifier, X: np.ndarray, depth: int) -> np.ndarray:
    """Predict with a fitted tree cut at ``depth``: each case stops at the node of that depth on its path.

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
