"""Tests of xai_helpers.trees: tree surrogates (fidelity, path length) and tree regularization's
surrogate Ω̂."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.tree import DecisionTreeClassifier

from xai_helpers import trees as T


def test_average_path_length_by_hand():
    # y = [0, 1, 1, 1] on x = 0..3: root splits at 0.5 (leaf for x=0), the right side is pure ->
    # depth 1 everywhere.
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    tree = DecisionTreeClassifier(random_state=0).fit(X, [0, 1, 1, 1])
    assert T.average_path_length(tree, X) == 1.0
    # y = [0, 1, 0, 0]: the root splits at 1.5 (Gini 0.25 beats 0.33 at 0.5), the left side {0, 1}
    # again at 0.5 -> paths 2, 2, 1, 1 -> mean 1.5; on the two left points alone -> 2.
    tree2 = DecisionTreeClassifier(random_state=0).fit(X, [0, 1, 0, 0])
    assert tree2.tree_.threshold[0] == 1.5 and tree2.get_depth() == 2
    assert T.average_path_length(tree2, X) == pytest.approx(1.5)
    assert T.average_path_length(tree2, X[:2]) == pytest.approx(2.0)


def test_fidelity_by_hand():
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    stump = DecisionTreeClassifier(max_depth=1).fit(X, [0, 0, 1, 1])
    assert T.fidelity(stump, lambda A: (A[:, 0] > 0.5).astype(int), X) == 0.75
    # class scores are turned into the predicted class
    assert T.fidelity(stump, lambda A: np.c_[A[:, 0] < 1.5, A[:, 0] >= 1.5].astype(float), X) == 1.0


def test_tree_surrogate_fidelity_grows_with_depth():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(1200, 2))
    bb = lambda A: (A[:, 1] > A[:, 0] ** 2 - 0.5).astype(int)
    shallow = T.tree_surrogate(bb, X[:800], 1, X_holdout=X[800:])
    deep = T.tree_surrogate(bb, X[:800], 8, X_holdout=X[800:])
    assert deep.fidelity > shallow.fidelity + 0.1
    assert deep.average_path_length > shallow.average_path_length == 1.0
    assert shallow.depth == 1 and shallow.n_leaves == 2
    curve = T.fidelity_curve(bb, X[:800], X[800:], [1, 2, 8], features=lambda A: A * 2)
    assert curve["fidelity"][-1] == pytest.approx(deep.fidelity)


def test_fidelity_curve_queries_the_black_box_once_per_data_set():
    rng = np.random.default_rng(0)
    X, X_holdout = rng.uniform(-1, 1, size=(300, 2)), rng.uniform(-1, 1, size=(100, 2))
    calls = []

    def bb(A):
        calls.append(len(A))
        return (A[:, 1] > A[:, 0] ** 2 - 0.5).astype(int)

    curve = T.fidelity_curve(bb, X, X_holdout, [1, 2, 4, 8], features=lambda A: A * 2)
    assert sorted(calls) == [100, 300]  # X once and X_holdout once, not once per depth
    calls.clear()
    alone = [
        T.tree_surrogate(bb, X, d, X_holdout=X_holdout, features=lambda A: A * 2)
        for d in [1, 2, 4, 8]
    ]
    assert len(calls) == 8
    # the shared answers give the same trees as fitting each depth on its own
    assert curve["fidelity"].tolist() == [s.fidelity for s in alone]
    assert curve["leaves"].tolist() == [s.n_leaves for s in alone]


def test_tree_surrogate_bad_input():
    X = np.zeros((10, 2))
    bb = lambda A: np.zeros(len(A), dtype=int)
    with pytest.raises(ValueError, match="max_depth"):
        T.tree_surrogate(bb, X, 0)
    with pytest.raises(ValueError, match="X_holdout"):
        T.tree_surrogate(bb, X, 2, X_holdout=np.zeros((3, 5)))
    with pytest.raises(ValueError, match="non-integer"):
        T.tree_surrogate(lambda A: A[:, 0] + 0.5, X, 2)
    with pytest.raises(TypeError, match="predict_fn"):
        T.tree_surrogate("model", X, 2)
    with pytest.raises(ValueError, match="8 rows"):
        T.tree_surrogate(bb, X[:4], 2)


# ------------------------------------------------------------ tree regularization: the surrogate Ω̂


def test_apl_surrogate_learns_a_function_of_parameters():
    th = torch.randn(80, 5, generator=torch.Generator().manual_seed(0))
    target = 3 + 2 * th[:, 0] - th[:, 1]
    s = T.fit_apl_surrogate(th, target, epochs=300)
    assert float(((s(th) - target) ** 2).mean()) < 0.2
    theta = th[0].clone().requires_grad_(True)
    s(theta).backward()
    assert theta.grad is not None and theta.grad.abs().sum() > 0


def test_tree_frontier_direct_and_distilled():
    from xai_helpers.data import make_parabola

    X, y = make_parabola(400, seed=0)
    Xt, yt = make_parabola(400, noise=0.0, seed=1)
    f = T.tree_frontier(X, y, Xt, yt, depths=[1, 2, 4])
    assert f["depth"].tolist() == [0, 1, 2, 4] and f["apl"][0] == 0.0 and f["leaves"][0] == 1
    assert f["accuracy"][0] == pytest.approx(
        float((yt == np.bincount(y).argmax()).mean())
    )  # depth 0: the majority class
    assert np.all(np.diff(f["apl"]) > 0) and f["accuracy"][-1] > f["accuracy"][0] + 0.2
    # a tree of depth 1 asks exactly one question of every row
    assert f["apl"][1] == 1.0
    # distilled from a black box that *is* an axis-aligned rule: a depth-1 tree copies it, accuracy
    # = the rule's
    rule = lambda A: (A[:, 1] > 0.0).astype(int)
    d = T.tree_frontier(X, y, Xt, yt, depths=[1], predict_fn=rule)
    assert d["accuracy"][1] == pytest.approx(float((rule(Xt) == yt).mean()), abs=0.01)
    with pytest.raises(ValueError):
        T.tree_frontier(X, y[:-1], Xt, yt)


def test_best_tree_below():
    f = {"apl": np.array([0.0, 1.0, 2.0, 2.9]), "accuracy": np.array([0.5, 0.7, 0.8, 0.9])}
    assert T.best_tree_below(f, 0.0) == 0.5
    assert T.best_tree_below(f, 2.5) == 0.8
    assert T.best_tree_below(f, 10) == 0.9
    g = {"apl": np.array([1.0, 2.0]), "accuracy": np.array([0.9, 0.6])}
    assert T.best_tree_below(g, 2.0) == 0.9  # the best, not the longest
    with pytest.raises(ValueError, match="no tree"):
        T.best_tree_below(g, 0.5)


# --- depth by cross-validation: a tree cut at depth d, and CV accuracy per depth ---
def test_cut_equals_max_depth_tree():
    # the max_depth tree is the unrestricted tree cut at d, up to ties between equal splits (the
    # random feature order is drawn in a different sequence once nodes stop splitting)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 5))
    y = (X[:, 0] + X[:, 1] ** 2 + 0.5 * rng.normal(size=400) > 1).astype(int) + (X[:, 2] > 1)
    full = DecisionTreeClassifier(random_state=0).fit(X, y)
    for d in (1, 2, 3):
        small = DecisionTreeClassifier(max_depth=d, random_state=0).fit(X, y)
        assert np.array_equal(T.predict_at_depth(full, X, d), small.predict(X)), d
    small = DecisionTreeClassifier(max_depth=5, random_state=0).fit(X, y)
    assert np.mean(T.predict_at_depth(full, X, 5) == small.predict(X)) >= 0.99  # measured 0.995
    assert np.array_equal(T.predict_at_depth(full, X, full.get_depth() + 3), full.predict(X))
    assert [T.leaves_at_depth(full, d) for d in (1, 2, 3)] == [
        DecisionTreeClassifier(max_depth=d, random_state=0).fit(X, y).get_n_leaves()
        for d in (1, 2, 3)
    ]
    assert T.leaves_at_depth(full, 99) == full.get_n_leaves()
    assert np.all(T.predict_at_depth(full, X, 0) == np.bincount(y).argmax())


def test_cv_accuracy_shape_and_values():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 3))
    y = (X[:, 0] > 0).astype(int)
    scores = T.cv_depth_accuracy(X, y, [0, 1, 4], folds=3, seed=2)
    assert scores.shape == (3, 3)
    assert scores[:, 1].mean() > 0.95 and abs(scores[:, 0].mean() - y.mean().round()) < 0.5
    assert 0.4 < scores[:, 0].mean() < 0.6  # depth 0 predicts the majority class of each fold


def test_bad_input():
    with pytest.raises(ValueError):
        T.cv_depth_accuracy(np.zeros((5, 2)), np.zeros(4), [1])
    with pytest.raises((ValueError, TypeError)):
        T.predict_at_depth(
            DecisionTreeClassifier().fit([[0.0], [1.0]], [0, 1]), np.zeros((2, 1)), -1
        )


def test_fidelity_curve_label_tree_null():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(400, 2))
    box = lambda A: (A[:, 0] > 0).astype(int)  # noqa: E731
    wrong = (X[:300, 1] > 0).astype(int)  # labels about another feature
    mimic = T.fidelity_curve(box, X[:300], X[300:], [2])
    null = T.fidelity_curve(box, X[:300], X[300:], [2], labels=wrong)
    assert mimic["fidelity"][0] > 0.95 and null["fidelity"][0] < 0.75
    same = T.fidelity_curve(box, X[:300], X[300:], [2], labels=box(X[:300]))
    assert same["fidelity"][0] == mimic["fidelity"][0]
    with pytest.raises(ValueError, match="one label per row"):
        T.fidelity_curve(box, X[:300], X[300:], [2], labels=wrong[:10])


def test_fidelity_curve_returns_the_trees_it_scored():
    X = np.random.default_rng(1).uniform(-1, 1, size=(300, 2))
    box = lambda A: (A[:, 0] > 0.2).astype(int)  # noqa: E731
    curve = T.fidelity_curve(box, X[:200], X[200:], [1, 3], seed=0)
    assert [t.get_depth() for t in curve["trees"]] == [1, 1]  # the box needs only one split
    agree = [(t.predict(X[200:]) == box(X[200:])).mean() for t in curve["trees"]]
    assert agree == pytest.approx(curve["fidelity"].tolist())


def test_frontier_gap_is_accuracy_over_the_best_tree_with_no_longer_paths():
    f = {"apl": np.array([0.0, 1.0, 2.0]), "accuracy": np.array([0.5, 0.7, 0.8])}
    assert T.frontier_gap(f, [0.5, 2.5], [0.6, 0.8]).tolist() == pytest.approx([0.1, 0.0])
    with pytest.raises(ValueError):
        T.frontier_gap(f, [1.0, 2.0], [0.9])


def test_group_runs_groups_by_key_in_sorted_order_keeping_the_runs_order():
    runs = [
        {"decay": 0.1, "apl": 1.0, "test_accuracy": 0.6},
        {"decay": 0.01, "apl": 4.0, "test_accuracy": 0.9},
        {"decay": 0.1, "apl": 2.0, "test_accuracy": 0.7},
    ]
    g = T.group_runs(runs, "decay")
    assert list(g) == [0.01, 0.1]
    assert g[0.1].tolist() == [[1.0, 2.0], [0.6, 0.7]]


def test_omega_hat_errors_against_persistence():
    nan = float("nan")
    runs = [
        {"lam": 0.3, "apl_true": [4.0, 3.0, 2.0], "apl_hat_prior": [nan, 3.0, 2.0]},
        {"lam": 0.0, "apl_true": [5.0, 5.0], "apl_hat_prior": [0.0, 0.0]},  # not regularized
    ]
    got = T.omega_hat_errors(runs)
    assert {k: got[k] for k in ("omega_hat", "persistence", "n")} == {
        "omega_hat": 0.0,
        "persistence": 1.0,
        "n": 2,
    }
    assert np.isnan(got["spearman"])  # too few refreshes for a rank correlation
    # a surrogate that tracks the truth's order within a run: Spearman 1; the first refresh
    # (no previous one) is never scored
    up = {
        "lam": 0.1,
        "apl_true": [1.0, 3.0, 2.0, 4.0, 6.0],
        "apl_hat_prior": [0.0, 2.0, 1.0, 3.0, 9.0],
    }
    got = T.omega_hat_errors([up])
    assert got["n"] == 4 and got["spearman"] == pytest.approx(1.0)
    assert got["persistence"] == pytest.approx(2.0) and got["omega_hat"] == pytest.approx(1.0)
    assert got["direction"] == 1.0  # every move predicted the right way
    wrong = {"lam": 0.1, "apl_true": [2.0, 3.0, 2.0], "apl_hat_prior": [nan, 1.0, 3.0]}
    assert T.omega_hat_errors([wrong])["direction"] == 0.0  # down for up; flat for down
    with pytest.raises(ValueError):
        T.omega_hat_errors(runs[1:])
