"""Tables: scikit-learn's bundled data sets (breast cancer, ...) and the parabola toy of tree
regularization."""

from __future__ import annotations

import numpy as np

from ..validation import check_int, check_number, check_seed

__all__ = [
    "load_tabular",
    "make_parabola",
]


def load_tabular(name: str = "breast_cancer"):
    """Load one of scikit-learn's bundled tabular data sets (no download).

    Parameters
    ----------
    name : {"breast_cancer", "wine", "iris", "diabetes"}

    Returns
    -------
    sklearn.utils.Bunch
        With ``data``, ``target``, ``feature_names`` (and ``target_names`` for classification).

    Examples
    --------
    >>> load_tabular("breast_cancer").data.shape
    (569, 30)
    """
    from sklearn import datasets

    loaders = {
        "breast_cancer": datasets.load_breast_cancer,
        "wine": datasets.load_wine,
        "iris": datasets.load_iris,
        "diabetes": datasets.load_diabetes,
    }
    if name not in loaders:
        raise ValueError(f"unknown table {name!r}; choose one of {', '.join(loaders)}")
    return loaders[name]()


def make_parabola(
    n_samples: int = 500, noise: float = 0.1, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """A two-column table after Wu et al.'s toy task: label 1 above a parabola, ``noise`` of labels
    flipped.

    x ~ U[−2, 2]², y = [x₂ > x₁² − 1.5]. A network draws the curve; a tree needs a staircase of
    splits to copy it — the setting where tree regularization shows.

    Examples
    --------
    >>> X, y = make_parabola(100, seed=0)
    >>> X.shape, sorted(set(y.tolist()))
    ((100, 2), [0, 1])
    """
    n_samples = check_int(n_samples, "n_samples", minimum=2)
    noise = check_number(noise, "noise", 0, 0.5, high_open=True)
    rng = np.random.default_rng(check_seed(seed))
    X = rng.uniform(-2, 2, size=(n_samples, 2))
    y = (X[:, 1] > X[:, 0] ** 2 - 1.5).astype(np.int64)
    flip = rng.random(n_samples) < noise
    y[flip] = 1 - y[flip]
    return X.astype(np.float32), y
