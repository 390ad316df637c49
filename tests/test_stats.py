"""xai_helpers.stats: intervals for accuracies and paired differences."""

from __future__ import annotations

import numpy as np
import pytest

from xai_helpers import stats


def test_accuracy_interval_matches_wilson_and_covers_the_truth():
    est = stats.accuracy_interval([1] * 160 + [0] * 11)
    assert est.value == pytest.approx(160 / 171)
    assert est.low < est.value < est.high < 1.0
    # coverage: a 95% interval contains the true accuracy about 95% of the time
    rng = np.random.default_rng(0)
    draws = rng.random((2000, 171)) < 0.9
    covered = np.mean(
        [(lambda e: e.low <= 0.9 <= e.high)(stats.accuracy_interval(d)) for d in draws]
    )
    assert 0.92 < covered < 0.98
    # a wider level gives a wider interval; all-right still has a lower end below 1
    assert (
        stats.accuracy_interval([1] * 50, level=0.99).low
        < stats.accuracy_interval([1] * 50).low
        < 1.0
    )


def test_paired_difference_sign_width_and_errors():
    a = np.array([1] * 95 + [0] * 5)
    b = np.array([1] * 85 + [0] * 15)
    est = stats.paired_difference(a, b)
    assert est.value == pytest.approx(0.10) and est.low > 0
    assert stats.paired_difference(b, a).value == pytest.approx(-0.10)
    assert stats.paired_difference(a, a) == (0.0, 0.0, 0.0)
    with pytest.raises(ValueError, match="same cases"):
        stats.paired_difference(a, b[:-1])
    with pytest.raises(ValueError, match="0/1"):
        stats.paired_difference(a * 2, b)
    with pytest.raises(ValueError, match="level"):
        stats.accuracy_interval(a, level=1.5)


def test_paired_bootstrap_pairs_remove_item_variation():
    rng = np.random.default_rng(0)
    a = rng.normal(0, 1, 300)  # very unequal items
    b = a + 0.05 + rng.normal(0, 0.01, 300)  # a small, consistent change
    est = stats.paired_bootstrap(a, b, seed=1)
    assert est.value == pytest.approx(0.05, abs=0.005)
    assert 0.04 < est.low < est.value < est.high < 0.06
    # an unpaired view of the same numbers could not see the change
    assert abs(a.mean() - b.mean()) < 2 * a.std() / np.sqrt(300)


def test_paired_bootstrap_covers_the_truth():
    rng = np.random.default_rng(2)
    covered = []
    for s in range(200):
        a = rng.normal(0, 1, 40)
        b = a + rng.normal(0.1, 0.3, 40)
        est = stats.paired_bootstrap(a, b, n_samples=500, seed=s)
        covered.append(est.low <= 0.1 <= est.high)
    assert 0.88 <= np.mean(covered) <= 0.99


def test_paired_bootstrap_rejects_bad_input():
    with pytest.raises(ValueError, match="same length"):
        stats.paired_bootstrap([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="finite"):
        stats.paired_bootstrap([1.0, float("nan")], [1.0, 2.0])


def test_bootstrap_mean_covers_the_true_mean_and_clusters_widen_it():
    from xai_helpers.stats import bootstrap_mean

    rng = np.random.default_rng(0)
    hits = 0
    for i in range(100):
        est = bootstrap_mean(rng.normal(1.0, 1.0, 40), n_boot=400, seed=i)
        hits += est.low <= 1.0 <= est.high
    assert 85 <= hits <= 100, hits  # a 95 % interval
    # four clusters with shared offsets: resampling cases alone would be far too narrow
    offsets = np.repeat(rng.normal(0, 2.0, 4), 30)
    v = offsets + rng.normal(0, 0.1, 120)
    flat, clustered = bootstrap_mean(v), bootstrap_mean(v, clusters=np.repeat(range(4), 30))
    assert clustered.high - clustered.low > 5 * (flat.high - flat.low), (flat, clustered)
    with pytest.raises(ValueError, match="clusters"):
        bootstrap_mean(v, clusters=np.zeros(120))
    with pytest.raises(ValueError, match="finite"):
        bootstrap_mean([1.0, float("nan")])


def test_auc_over_groups_counts_ties_half_and_resamples_groups():
    a = np.array([0.9, 0.8, np.nan, 0.7])
    b = np.array([[0.1, 0.2, 0.3, 0.4], [0.2, np.nan, 0.1, 0.95]])
    est = stats.auc_over_groups(a, b, n_boot=200, seed=1)
    # 3 items × 7 finite null scores, 0.95 beats all three; no ties
    assert est.value == pytest.approx(18 / 21)
    assert est.low <= est.value <= est.high
    assert stats.auc_over_groups([0.5, 0.5], [[0.5, 0.5]]).value == 0.5
    # one deviant null group widens the interval compared with identical groups
    same = stats.auc_over_groups([0.6] * 8, np.full((4, 8), 0.5), seed=0)
    odd = stats.auc_over_groups([0.6] * 8, np.vstack([np.full((3, 8), 0.5), np.ones(8)]), seed=0)
    assert same.high - same.low == 0 and odd.high - odd.low > 0
    with pytest.raises(ValueError):
        stats.auc_over_groups([0.1, 0.2], [[0.1, 0.2, 0.3]])


def test_t_interval_and_independent_difference():
    est = stats.t_interval([0.5, 0.6, 0.7, 0.6])
    assert est.value == pytest.approx(0.6)
    # Student t with 3 dof: 3.182 * sd / 2
    half = 3.1824 * np.std([0.5, 0.6, 0.7, 0.6], ddof=1) / 2
    assert est.high - est.value == pytest.approx(half, rel=1e-3)
    d = stats.independent_difference(stats.Estimate(0.8, 0.7, 0.9), stats.Estimate(0.5, 0.4, 0.6))
    assert d.value == pytest.approx(0.3)
    assert d.high - d.low == pytest.approx((0.2**2 + 0.2**2) ** 0.5)
    with pytest.raises(ValueError):
        stats.t_interval([1.0])
    with pytest.raises(TypeError):
        stats.independent_difference((0.1, 0.0, 0.2), stats.Estimate(0.1, 0.0, 0.2))


def test_t_interval_matches_students_t_and_refuses_one_value():
    from scipy.stats import t

    v = np.array([0.1, 0.3, 0.2, 0.4])
    est = stats.t_interval(v)
    half = t.ppf(0.975, 3) * v.std(ddof=1) / 2
    assert est.value == pytest.approx(0.25)
    assert (est.low, est.high) == pytest.approx((0.25 - half, 0.25 + half))
    assert stats.t_interval(v, level=0.5).high < est.high
    with pytest.raises(ValueError):
        stats.t_interval([1.0])


def test_empirical_p_counts_ties_and_never_returns_zero():
    assert stats.empirical_p([0.1, 0.5, 0.5, 0.9], 0.5) == pytest.approx(4 / 5)
    assert stats.empirical_p(np.zeros(99), 1.0) == pytest.approx(0.01)
    with pytest.raises(ValueError):
        stats.empirical_p([], 0.5)


def test_fisher_exact_p_matches_the_copy_machine_counts_and_rejects_bad_groups():
    assert stats.fisher_exact_p((9, 15), (14, 15)) == pytest.approx(0.0801, abs=1e-3)
    assert stats.fisher_exact_p((9, 15), (15, 16)) == pytest.approx(0.0373, abs=1e-3)
    assert stats.fisher_exact_p((6, 25), (6, 25)) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        stats.fisher_exact_p((5, 4), (1, 4))


def test_fisher_exact_p_agrees_with_scipy():
    from scipy.stats import fisher_exact

    for a, b in [((9, 15), (14, 15)), ((6, 25), (10, 24)), ((0, 5), (5, 5)), ((3, 40), (1, 7))]:
        table = [[a[0], a[1] - a[0]], [b[0], b[1] - b[0]]]
        assert stats.fisher_exact_p(a, b) == pytest.approx(fisher_exact(table)[1], rel=1e-9)
