"""xai_helpers.setup: seeding, determinism, device, plot style; no side effects at import."""

from __future__ import annotations

import random
import subprocess
import sys

import numpy as np
import pytest
import torch

import xai_helpers


def test_import_has_no_side_effects():
    code = (
        "import sys, torch; before = torch.are_deterministic_algorithms_enabled();"
        "import xai_helpers;"
        "assert 'matplotlib' not in sys.modules, 'importing xai_helpers imported matplotlib';"
        "assert torch.are_deterministic_algorithms_enabled() == before;"
        "print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ok"


def test_setup_seeds_everything_and_returns_device():
    dev = xai_helpers.setup(seed=7, device="cpu")
    assert dev == torch.device("cpu")
    a = (random.random(), np.random.rand(), torch.rand(1).item())
    xai_helpers.setup(seed=7, device="cpu")
    b = (random.random(), np.random.rand(), torch.rand(1).item())
    assert a == b
    assert torch.are_deterministic_algorithms_enabled()


def test_setup_sets_colour_blind_safe_style():
    import matplotlib as mpl

    xai_helpers.setup(seed=0, device="cpu")
    assert mpl.rcParams["image.cmap"] == xai_helpers.COURSE_CMAP == "viridis"


def test_get_device_auto_and_errors(monkeypatch):
    monkeypatch.delenv("XAI_DEVICE", raising=False)
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert xai_helpers.get_device().type == expected
    with pytest.raises(ValueError, match="'cpu' or 'cuda'"):
        xai_helpers.get_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA"):
            xai_helpers.get_device("cuda")


@pytest.mark.parametrize("seed", [-1, 1.5, "0", True])
def test_setup_rejects_bad_seed(seed):
    with pytest.raises(ValueError, match="seed"):
        xai_helpers.setup(seed=seed, device="cpu")


def test_unknown_attribute():
    with pytest.raises(AttributeError):
        xai_helpers.not_a_module  # noqa: B018


def test_model_device():
    assert xai_helpers.model_device(torch.nn.Linear(2, 2)) == torch.device("cpu")
    assert xai_helpers.model_device(torch.nn.ReLU()) == torch.device("cpu")  # no parameters
