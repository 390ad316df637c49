"""xai_helpers.validation: each check accepts what it should and refuses the rest with a clear
message."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from xai_helpers import _torch as T
from xai_helpers import validation as V


def test_check_int():
    assert V.check_int(3, "depth", minimum=1, maximum=5) == 3
    assert V.check_int(np.int64(4), "depth") == 4
    with pytest.raises(TypeError, match="depth must be an int, got bool"):
        V.check_int(True, "depth")
    with pytest.raises(TypeError, match="depth must be an int, got float"):
        V.check_int(3.0, "depth")
    with pytest.raises(ValueError, match="depth must be >= 1, got 0"):
        V.check_int(0, "depth", minimum=1)
    with pytest.raises(ValueError, match="depth must be <= 5, got 6"):
        V.check_int(6, "depth", maximum=5)
    assert V.check_positive_int(1, "n_samples") == 1
    with pytest.raises(ValueError, match="n_samples must be >= 1, got 0"):
        V.check_positive_int(0, "n_samples")


def test_check_seed():
    assert V.check_seed(0) == 0
    with pytest.raises(ValueError, match="seed must be >= 0, got -1"):
        V.check_seed(-1)
    with pytest.raises(TypeError, match="seed must be an int, got str"):
        V.check_seed("0")


def test_check_number_bounds_and_types():
    assert V.check_number(1, "sigma") == 1.0 and isinstance(V.check_number(1, "sigma"), float)
    assert V.check_number(0.0, "sigma", 0, 1) == 0.0
    with pytest.raises(ValueError, match=r"sigma must lie in \(0, 1\], got 0.0"):
        V.check_number(0, "sigma", 0, 1, low_open=True)
    with pytest.raises(ValueError, match=r"sigma must lie in \[0, 1\), got 1.0"):
        V.check_number(1, "sigma", 0, 1, high_open=True)
    with pytest.raises(ValueError, match="sigma must be > 2, got 2.0"):
        V.check_number(2, "sigma", low=2, low_open=True)
    with pytest.raises(ValueError, match="sigma must be <= 2, got 3.0"):
        V.check_number(3, "sigma", high=2)
    with pytest.raises(TypeError, match="sigma must be a number, got bool"):
        V.check_number(True, "sigma")
    with pytest.raises(TypeError, match="sigma must be a number, got str"):
        V.check_number("0.5", "sigma")
    for bad in (math.nan, math.inf):
        with pytest.raises(ValueError, match="sigma must be a finite number"):
            V.check_number(bad, "sigma")


def test_nonnegative_positive_and_fraction():
    assert V.check_nonnegative(0, "epsilon") == 0.0
    with pytest.raises(ValueError, match="epsilon must be >= 0, got -0.1"):
        V.check_nonnegative(-0.1, "epsilon")
    assert V.check_positive(0.5, "beta") == 0.5
    with pytest.raises(ValueError, match="beta must be > 0, got 0.0"):
        V.check_positive(0, "beta")
    assert V.check_fraction(1, "fraction") == 1.0
    with pytest.raises(ValueError, match=r"fraction must lie in \[0, 1\], got 1.5"):
        V.check_fraction(1.5, "fraction")


def test_check_array():
    a = V.check_array(torch.ones(3, 2), "X", ndim=2)
    assert isinstance(a, np.ndarray) and a.shape == (3, 2)
    with pytest.raises(ValueError, match=r"X must have 2 dimension\(s\), got shape \(3,\)"):
        V.check_array(np.ones(3), "X", ndim=2)
    with pytest.raises(ValueError, match="X must have at least 2 row"):
        V.check_array(np.ones((1, 3)), "X", min_rows=2)
    with pytest.raises(ValueError, match="X contains NaN or infinite values"):
        V.check_array([1.0, np.inf], "X")
    assert np.isnan(V.check_array([np.nan], "X", finite=False)).all()
    with pytest.raises(TypeError, match="X must be a numeric array"):
        V.check_array(["a", "b"], "X")


def test_check_labels():
    assert V.check_labels(torch.tensor([0, 2]), 2, num_classes=3).tolist() == [0, 2]
    with pytest.raises(
        ValueError, match=r"y must hold one label per sample, shape \(3,\), got \(2,\)"
    ):
        V.check_labels([0, 1], 3, "y")
    with pytest.raises(TypeError, match="must be integers"):
        V.check_labels([0.0, 1.0], 2)
    with pytest.raises(ValueError, match=r"holds class 3, out of range 0..2"):
        V.check_labels([0, 3], 2, num_classes=3)


def test_check_image_batch_and_target():
    x = torch.zeros(2, 1, 4, 4)
    assert V.check_image_batch(x) is x
    with pytest.raises(ValueError, match=r"pass x\[None\]"):
        V.check_image_batch(x[0])
    with pytest.raises(TypeError, match="floating-point"):
        V.check_image_batch(x.long())
    with pytest.raises(ValueError, match="1 channel"):
        V.check_image_batch(torch.zeros(2, 3, 4, 4), channels=1)
    assert V.check_target(1, 2, 3).tolist() == [1, 1]
    with pytest.raises(TypeError, match="not a bool"):
        V.check_target(True, 2, 3)
    with pytest.raises(ValueError, match="out of range"):
        V.check_target([0, 3], 2, 3)
    with pytest.raises(ValueError, match="one per image"):
        V.check_target([0, 1, 2], 2, 3)


def test_check_classes_and_prepare_batch():
    V.check_classes(torch.tensor([0, 1]), torch.zeros(2, 2))
    with pytest.raises(
        ValueError, match=r"target class 2 is out of range: the model has 2 classes \(0..1\)"
    ):
        V.check_classes(torch.tensor([0, 2]), torch.zeros(2, 2))
    with pytest.raises(ValueError, match=r"logits of shape \(N, K\)"):
        V.check_classes(torch.tensor([0]), torch.zeros(2))
    net = nn.Sequential(nn.Flatten(), nn.Linear(4, 2)).train()
    x, t, dev = T.prepare_batch(net, torch.zeros(3, 1, 2, 2), [0, 1, 1])
    assert t.tolist() == [0, 1, 1] and dev == torch.device("cpu") and not net.training
    with pytest.raises(ValueError, match="class indices start at 0"):
        T.prepare_batch(net, torch.zeros(3, 1, 2, 2), -1)


def test_check_layer():
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU())
    assert V.check_layer(net, "0") is net[0]
    assert V.check_layer(net, net[1]) is net[1]
    with pytest.raises(ValueError, match="the model has no layer 'conv9'; its layers are: 0, 1"):
        V.check_layer(net, "conv9")
    with pytest.raises(ValueError, match="submodule of model"):
        V.check_layer(net, nn.ReLU())
    with pytest.raises(ValueError, match="submodule of model"):
        V.check_layer(net, net)
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        V.check_layer("net", "0")
