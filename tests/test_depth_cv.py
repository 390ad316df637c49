"""Tests of xai_helpers.depth_cv: a tree cut at depth d, and cross-validated accuracy per depth."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.tree import DecisionTreeClassifier

from xai_helpers import depth_cv as D


def test_cut_equals_max_depth_tree():
    # the max_depth tree is the unrestricted tree cut at d, up to ties between equal splits (the
    # random feature order is drawn in a different sequence once nodes stop splitting)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 5))
    y = (X[:, 0] + X[:, 1] ** 2 + 0.5 * rng.normal(size=400) > 1).astype(int) + (X[:, 2] > 1)
    full = DecisionTreeClassifier(random_state=0).fit(X, y)
    for d in (1, 2, 3):
        small = DecisionTreeClassifier(max_depth=d, random_state=0).fit(X, y)
        assert np.array_equal(D.predict_at_depth(full, X, d), small.predict(X)), d
    small = DecisionTreeClassifier(max_depth=5, random_state=0).fit(X, y)
    assert np.mean(D.predict_at_depth(full, X, 5) == small.predict(X)) >= 0.99  # measured 0.995
    assert np.array_equal(D.predict_at_depth(full, X, full.get_depth() + 3), full.predict(X))
    assert [D.leaves_at_depth(full, d) for d in (1, 2, 3)] == [
        DecisionTreeClassifier(max_depth=d, random_state=0).fit(X, y).get_n_leaves()
        for d in (1, 2, 3)
    ]
    assert D.leaves_at_depth(full, 99) == full.get_n_leaves()
    assert np.all(D.predict_at_depth(full, X, 0) == np.bincount(y).argmax())


def test_cv_accuracy_shape_and_values():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 3))
    y = (X[:, 0] > 0).astype(int)
    scores = D.cv_depth_accuracy(X, y, [0, 1, 4], folds=3, seed=2)
    assert scores.shape == (3, 3)
    assert scores[:, 1].mean() > 0.95 and abs(scores[:, 0].mean() - y.mean().round()) < 0.5
    assert 0.4 < scores[:, 0].mean() < 0.6  # depth 0 predicts the majority class of each fold


def test_bad_input():
    with pytest.raises(ValueError):
        D.cv_depth_accuracy(np.zeros((5, 2)), np.zeros(4), [1])
    with pytest.raises((ValueError, TypeError)):
        D.predict_at_depth(
            DecisionTreeClassifier().fit([[0.0], [1.0]], [0, 1]), np.zeros((2, 1)), -1
        )
