"""Is a difference in accuracy bigger than the test set's noise?

A test set of ``n`` cases measures an accuracy only up to about ``±2·sqrt(p(1-p)/n)``: on 171
cases, one flipped prediction moves it by 0.006. Before a notebook says that one model beats
another, it compares the gap with that noise:

* :func:`accuracy_interval`: the Wilson score interval of one accuracy (Wilson 1927);
* :func:`bootstrap_mean`: the mean of any per-case numbers with a percentile bootstrap interval
  (Efron 1979), resampling whole clusters (e.g. all codes of one search seed) when cases are not
  independent;
* :func:`paired_difference`: the difference of two models' accuracies *on the same cases*, with a
  normal-approximation interval of the mean per-case difference (the paired comparison behind
  McNemar's test, 1947). Pairing removes the noise of which cases happen to be in the test set.
* :func:`paired_bootstrap`: the mean per-item change of any score measured twice on the same items
  (e.g. a judge's probability of the target for the same starts, without and with a prior), with a
  percentile-bootstrap interval that resamples the items (Efron 1979).
* :func:`auc_over_groups`: the chance that an item of one set beats an item of several null
  groups (the AUC), with a bootstrap that resamples the items *and* the null groups;
* :func:`t_interval`: a Student-t interval of a mean over a few independent runs (e.g. search
  seeds); :func:`independent_difference`: the difference of two independent estimates;
* :func:`fisher_exact_p`: Fisher's exact test of two proportions given as counts (Fisher 1922).
"""

from __future__ import annotations

from math import comb
from statistics import NormalDist
from typing import NamedTuple

import numpy as np

from .validation import check_number, check_positive_int, check_seed

__all__ = [
    "Estimate",
    "accuracy_interval",
    "paired_difference",
    "paired_bootstrap",
    "bootstrap_mean",
    "auc_over_groups",
    "t_interval",
    "independent_difference",
    "empirical_p",
    "fisher_exact_p",
]


class Estimate(NamedTuple):
    """A measured value with the ends of its confidence interval."""

    value: float
    low: float
    high: float

    def __str__(self) -> str:
        return f"{self.value:.3f} [{self.low:.3f}, {self.high:.3f}]"


def _correct(correct, name: str) -> np.ndarray:
    a = np.asarray(correct)
    if a.ndim != 1 or a.size == 0:
        raise ValueError(
            f"{name} must be a non-empty 1-D array of per-case outcomes, got shape {a.shape}"
        )
    if not np.isin(a, (0, 1)).all():
        raise ValueError(
            f"{name} must hold booleans or 0/1 (was each case right?), got values "
            f"{np.unique(a)[:5]}"
        )
    return a.astype(float)


def _z(level: float) -> float:
    level = check_number(level, "level", 0, 1, low_open=True, high_open=True)
    return NormalDist().inv_cdf(0.5 + level / 2)


def accuracy_interval(correct, level: float = 0.95) -> Estimate:
    """Accuracy and its Wilson score interval.

    Parameters
    ----------
    correct : array of bool or 0/1, shape (n_samples,)
        Whether the model got each test case right.
    level : float
        Confidence level of the interval.

    Examples
    --------
    >>> est = accuracy_interval([True] * 90 + [False] * 10)
    >>> round(est.value, 3), round(est.low, 3), round(est.high, 3)
    (0.9, 0.826, 0.945)
    """
    a = _correct(correct, "correct")
    n, p, z = a.size, a.mean(), _z(level)
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    return Estimate(float(p), float(centre - half), float(centre + half))


def paired_difference(correct_a, correct_b, level: float = 0.95) -> Estimate:
    """Accuracy of model a minus accuracy of model b on the same cases, with a confidence interval.

    The interval is ``mean(d) ± z·sd(d)/sqrt(n)`` for the per-case differences ``d = a - b``
    (each -1, 0 or +1). It rests on the cases where the two models disagree; when they never
    disagree it has zero width.

    Parameters
    ----------
    correct_a, correct_b : array of bool or 0/1, shape (n_samples,)
        Whether each model got each test case right, case by case in the same order.
    level : float
        Confidence level of the interval.

    Examples
    --------
    >>> a = [1] * 95 + [0] * 5
    >>> b = [1] * 85 + [0] * 15
    >>> est = paired_difference(a, b)
    >>> round(est.value, 3), round(est.low, 3), round(est.high, 3)
    (0.1, 0.041, 0.159)
    """
    a, b = _correct(correct_a, "correct_a"), _correct(correct_b, "correct_b")
    if a.shape != b.shape:
        raise ValueError(
            f"correct_a and correct_b must cover the same cases, got {a.size} and {b.size}"
        )
    if a.size < 2:
        raise ValueError("paired_difference needs at least 2 cases")
    d = a - b
    half = _z(level) * d.std(ddof=1) / np.sqrt(d.size)
    return Estimate(float(d.mean()), float(d.mean() - half), float(d.mean() + half))


def paired_bootstrap(
    before, after, n_samples: int = 2000, level: float = 0.95, seed: int = 0
) -> Estimate:
    """Mean of the per-item changes ``after − before`` with a percentile-bootstrap interval.

    The items (e.g. images made from the same random starts without and with a prior) are
    resampled with replacement, *pairs kept together*: the interval reflects how much the change
    varies from item to item, not how much the items themselves vary, which pairing removes.

    Parameters
    ----------
    before, after : array of float, shape (n_items,)
        The score of each item under the two conditions, item by item in the same order.
    n_samples : int
        Bootstrap resamples.
    level : float
        Confidence level of the interval.
    seed : int
        Seed of the resampling.

    Examples
    --------
    >>> est = paired_bootstrap([0.1, 0.2, 0.3, 0.4], [0.2, 0.3, 0.4, 0.5])
    >>> round(est.value, 3), round(est.low, 3), round(est.high, 3)
    (0.1, 0.1, 0.1)
    >>> paired_bootstrap([0.0, 1.0, 0.0, 1.0], [1.0, 0.0, 1.0, 0.0]).low < 0
    True
    """
    a, b = np.asarray(before, float), np.asarray(after, float)
    if a.ndim != 1 or a.shape != b.shape or a.size < 2:
        raise ValueError(
            "before and after must be 1-D arrays of the same length (at least 2 items), got "
            f"shapes {a.shape} and {b.shape}"
        )
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("before and after must be finite (no NaN or inf)")
    level = check_number(level, "level", 0, 1, low_open=True, high_open=True)
    n = check_positive_int(n_samples, "n_samples")
    return bootstrap_mean(b - a, level=level, n_boot=n, seed=check_seed(seed))


def bootstrap_mean(
    values,
    clusters=None,
    level: float = 0.95,
    n_boot: int = 2000,
    seed: int = 0,
) -> Estimate:
    """Mean of per-case numbers with a percentile bootstrap interval (Efron 1979).

    Cases are resampled with replacement; with ``clusters``, whole clusters are (the cluster
    bootstrap): cases that share a cluster, e.g. the codes searched with one seed, are not
    independent, and resampling them one by one would make the interval too narrow.

    Parameters
    ----------
    values : array of float, shape (n_samples,)
        One number per case.
    clusters : array, shape (n_samples,), optional
        The cluster of each case; at least 2 clusters.
    level : float
        Confidence level of the interval.
    n_boot : int
        Bootstrap resamples.
    seed : int
        Seed of the resampling.

    Examples
    --------
    >>> est = bootstrap_mean([1.0, 2.0, 3.0, 4.0])
    >>> est.value, est.low >= 1.0, est.high <= 4.0
    (2.5, True, True)
    >>> bootstrap_mean([1.0, 1.0, 5.0, 5.0], clusters=[0, 0, 1, 1], n_boot=200).high
    5.0
    """
    v = np.asarray(values, dtype=float)
    if v.ndim != 1 or v.size < 2 or not np.isfinite(v).all():
        raise ValueError(f"values must be a 1-D array of >= 2 finite numbers, got shape {v.shape}")
    _z(level)  # checks the level
    tail = (1 - level) / 2
    n_boot = int(check_number(n_boot, "n_boot", 1, None))
    rng = np.random.default_rng(seed)
    if clusters is None:
        boot = v[rng.integers(v.size, size=(n_boot, v.size))].mean(1)
    else:
        c = np.asarray(clusters)
        if c.shape != v.shape:
            raise ValueError(f"clusters must give one cluster per value, got shape {c.shape}")
        names = np.unique(c)
        if names.size < 2:
            raise ValueError("bootstrap_mean needs at least 2 clusters")
        sums = np.array([v[c == k].sum() for k in names])
        counts = np.array([(c == k).sum() for k in names])
        pick = rng.integers(names.size, size=(n_boot, names.size))
        boot = sums[pick].sum(1) / counts[pick].sum(1)
    low, high = np.quantile(boot, [tail, 1 - tail])
    return Estimate(float(v.mean()), float(low), float(high))


def auc_over_groups(
    scores, null_scores, n_boot: int = 2000, level: float = 0.95, seed: int = 0
) -> Estimate:
    """P(an item's score beats a null group's score on the same item's slot), ties counting half
    (the AUC of Mann & Whitney 1947), with a bootstrap over the items *and* the null groups.

    Each null group (e.g. one network with shuffled weights) is one draw of the null; resampling
    only the items would treat a few groups as if they were the whole null distribution.

    Parameters
    ----------
    scores : array of float, shape (n_items,)
        The score of each item (e.g. a filter's coherence in the trained network); NaN = missing.
    null_scores : array of float, shape (n_groups, n_items)
        The same items' scores in each null group; NaN = missing.
    n_boot : int
        Bootstrap resamples (items and groups drawn with replacement, one draw each).
    level : float
        Confidence level of the interval.
    seed : int
        Seed of the resampling.

    Examples
    --------
    >>> est = auc_over_groups([0.9, 0.8, 0.7], [[0.1, 0.2, 0.3], [0.2, 0.1, 0.4]])
    >>> est.value, est.low
    (1.0, 1.0)
    >>> auc_over_groups([0.5, 0.5], [[0.5, 0.5]]).value
    0.5
    """
    a = np.asarray(scores, dtype=float)
    b = np.asarray(null_scores, dtype=float)
    if a.ndim != 1 or b.ndim != 2 or b.shape[1] != a.size or a.size == 0:
        raise ValueError(
            "scores must be (n_items,) and null_scores (n_groups, n_items), got shapes "
            f"{a.shape} and {b.shape}"
        )
    _z(level)
    n_boot = check_positive_int(n_boot, "n_boot")

    def auc(items, groups) -> float:
        x, y = a[items], b[groups][:, items].ravel()
        x, y = x[~np.isnan(x)][:, None], y[~np.isnan(y)][None, :]
        return float(((x > y) + 0.5 * (x == y)).mean()) if x.size and y.size else np.nan

    rng = np.random.default_rng(check_seed(seed))
    n, g = a.size, b.shape[0]
    boot = np.array([auc(rng.integers(0, n, n), rng.integers(0, g, g)) for _ in range(n_boot)])
    tail = (1 - level) / 2
    low, high = np.nanquantile(boot, [tail, 1 - tail])
    return Estimate(auc(np.arange(n), np.arange(g)), float(low), float(high))


def t_interval(values, level: float = 0.95) -> Estimate:
    """Mean of a few independent runs with a Student-t interval (Student 1908).

    With 4 runs the interval is wide (t = 3.18 for 95 %); it can leave the range a bounded
    score can take, which says how little 4 runs pin down.

    Parameters
    ----------
    values : array of float, shape (n_runs,)
        One number per independent run (at least 2).
    level : float
        Confidence level of the interval.

    Examples
    --------
    >>> est = t_interval([0.5, 0.6, 0.7, 0.6])
    >>> round(est.value, 3), round(est.high - est.value, 3)
    (0.6, 0.13)
    """
    from scipy.stats import t as student_t  # deferred: scipy loads slowly

    v = np.asarray(values, dtype=float)
    if v.ndim != 1 or v.size < 2 or not np.isfinite(v).all():
        raise ValueError(f"values must be a 1-D array of >= 2 finite numbers, got shape {v.shape}")
    _z(level)
    half = student_t.ppf(0.5 + level / 2, v.size - 1) * v.std(ddof=1) / np.sqrt(v.size)
    return Estimate(float(v.mean()), float(v.mean() - half), float(v.mean() + half))


def independent_difference(a: Estimate, b: Estimate) -> Estimate:
    """``a − b`` for two independent estimates, the half-widths added in quadrature (a normal
    approximation: each interval read as ±1.96 standard errors).

    Examples
    --------
    >>> d = independent_difference(Estimate(0.8, 0.7, 0.9), Estimate(0.5, 0.4, 0.6))
    >>> round(d.value, 3), round(d.high - d.value, 3)
    (0.3, 0.141)
    """
    if not (isinstance(a, Estimate) and isinstance(b, Estimate)):
        raise TypeError("a and b must be Estimate tuples (value, low, high)")
    half = ((a.high - a.low) ** 2 + (b.high - b.low) ** 2) ** 0.5 / 2
    d = a.value - b.value
    return Estimate(d, d - half, d + half)


def empirical_p(null, value: float) -> float:
    """One-sided empirical p-value of ``value`` against draws of a null: (1 + #(null ≥ value)) /
    (1 + n), so that it is never 0 (the smallest p that n draws can show is 1 / (n + 1)).

    Parameters
    ----------
    null : array-like
        The null's draws (any shape; flattened).
    value : float
        The observed figure; large values are evidence against the null.

    Examples
    --------
    >>> empirical_p([0.1, 0.2, 0.3, 0.9], 0.5)
    0.4
    >>> empirical_p([0.1, 0.2], 0.05)
    1.0
    """
    draws = np.asarray(null, dtype=float).ravel()
    if draws.size == 0:
        raise ValueError("empirical_p needs at least one draw of the null")
    value = check_number(value, "value")
    return float((1 + int((draws >= value).sum())) / (1 + draws.size))


def fisher_exact_p(group_a: tuple[int, int], group_b: tuple[int, int]) -> float:
    """Two-sided p-value of Fisher's exact test (Fisher 1922) that two groups share one proportion.

    Parameters
    ----------
    group_a, group_b : (int, int)
        Each group as ``(successes, size)``, e.g. 9 of 15 people who said yes: ``(9, 15)``.

    Returns
    -------
    float
        The chance, if both groups had the same proportion, of a 2 × 2 table at most as likely as
        the observed one (margins fixed). Small groups give large p-values even for big differences.

    Examples
    --------
    >>> round(fisher_exact_p((9, 15), (14, 15)), 3)
    0.08
    >>> fisher_exact_p((6, 25), (6, 25))
    1.0
    """
    counts = []
    for name, group in (("group_a", group_a), ("group_b", group_b)):
        k, n = (check_positive_int(v, name, minimum=0) for v in group)
        if k > n or n == 0:
            raise ValueError(f"{name} must be (successes, size) with 0 <= successes <= size > 0")
        counts.append((k, n))
    (k_a, n_a), (k_b, n_b) = counts
    total = k_a + k_b  # margins fixed: the successes of group a follow a hypergeometric law
    ways = [comb(n_a, k) * comb(n_b, total - k) for k in range(total + 1)]  # exact integers
    observed = ways[k_a]
    return sum(w for w in ways if w <= observed) / comb(n_a + n_b, total)
