"""xai_helpers.setup: seeding, determinism, device, plot style; no side effects at import."""

from __future__ import annotations

import os
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
        "xai_helpers.setup(seed=0, device='cpu');"
        "assert torch.are_deterministic_algorithms_enabled();"
        "assert torch.is_deterministic_algorithms_warn_only_enabled();"
        "assert 'torch._inductor' not in sys.modules, 'setup imported torch._inductor (~1 s)';"
        "print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "ok"


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
    with pytest.raises((TypeError, ValueError), match="seed"):
        xai_helpers.setup(seed=seed, device="cpu")


def test_unknown_attribute():
    with pytest.raises(AttributeError):
        xai_helpers.not_a_module  # noqa: B018


def test_model_device():
    assert xai_helpers.model_device(torch.nn.Linear(2, 2)) == torch.device("cpu")
    assert xai_helpers.model_device(torch.nn.ReLU()) == torch.device("cpu")  # no parameters


# -------------------------------------------------------------------------- thread pools (issue 18)

from xai_helpers._runtime import DEFAULT_THREADS, choose_num_threads, set_num_threads  # noqa: E402
from xai_helpers.train import training_recipe  # noqa: E402


def test_threads_are_xai_num_threads_or_the_measured_default():
    assert choose_num_threads({}) == (
        DEFAULT_THREADS,
        "the course default; XAI_NUM_THREADS=N for more",
    )
    assert choose_num_threads({"XAI_NUM_THREADS": " 5 "}) == (5, "XAI_NUM_THREADS=5")
    assert choose_num_threads({"XAI_NUM_THREADS": ""})[0] == DEFAULT_THREADS  # empty: unset


@pytest.mark.parametrize("value", ["0", "-2", "two", "1.5", "4 threads"])
def test_xai_num_threads_garbage_is_a_clear_error(value):
    with pytest.raises(ValueError, match="XAI_NUM_THREADS must be a positive integer"):
        choose_num_threads({"XAI_NUM_THREADS": value})


def test_setup_sizes_every_pool_and_prints_one_line(monkeypatch, capsys):
    from threadpoolctl import threadpool_info

    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.setenv(var, "7")  # restored by monkeypatch after the test
    before = torch.get_num_threads()
    monkeypatch.setenv("XAI_NUM_THREADS", "1")
    try:
        xai_helpers.setup(seed=0, device="cpu")
        out = capsys.readouterr().out
        assert out.count("\n") == 1 and "1 thread (XAI_NUM_THREADS=1)" in out, out
        assert torch.get_num_threads() == 1
        assert all(pool["num_threads"] == 1 for pool in threadpool_info()), threadpool_info()
        assert os.environ["OMP_NUM_THREADS"] == "1"
        monkeypatch.setenv("XAI_NUM_THREADS", "lots")
        with pytest.raises(ValueError, match="XAI_NUM_THREADS"):
            xai_helpers.setup(seed=0, device="cpu")
    finally:
        set_num_threads(before)


def test_training_recipe_pins_then_restores():
    was_det = torch.are_deterministic_algorithms_enabled()
    was_warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    before = torch.get_num_threads()
    torch.use_deterministic_algorithms(False)
    torch.set_num_threads(2)
    seen = []

    @training_recipe(threads=1)
    def recipe(directory=None, seed: int = 3) -> dict:
        seen.append(
            (
                torch.get_num_threads(),
                torch.are_deterministic_algorithms_enabled(),
                torch.rand(1).item(),
            )
        )
        return {}

    try:
        np.random.seed(11)
        expected_np = np.random.rand()
        np.random.seed(11)
        recipe()
        assert np.random.rand() == expected_np  # the caller's random state is left as it was
        assert torch.get_num_threads() == 2 and not torch.are_deterministic_algorithms_enabled()
        recipe(seed=3)
        torch.manual_seed(3)
        assert seen[0] == seen[1] == (1, True, torch.rand(1).item())
        assert recipe.threads == 1
        with pytest.raises(TypeError, match="seed"):
            training_recipe()(lambda directory=None: {})
        with pytest.raises(ValueError, match="threads"):
            training_recipe(threads=0)
    finally:
        torch.set_num_threads(before)
        # restore both flags: setup() leaves warn_only on, and doctests run later in this process
        torch.use_deterministic_algorithms(was_det, warn_only=was_warn_only)


def test_replaced_everywhere_reaches_every_alias_and_restores_them():
    """The hidden tests' guard: aliases, defaults, closures, inner defaults, lists, partials and
    code copies of a helper all call the replacement inside the block, the helper again after it."""
    import functools
    import types

    from xai_helpers import evaluation
    from xai_helpers._runtime import replaced_everywhere

    helper = evaluation.phase_means
    alias = helper
    copy = types.FunctionType(helper.__code__, helper.__globals__, "copy", helper.__defaults__)
    box = [helper]
    part = functools.partial(helper)

    def by_partial_default(f=functools.partial(helper)):  # noqa: B008 (the loophole tested)
        return f.func

    def by_default(f=helper):
        return f

    def by_closure():
        return alias

    def by_inner_default():
        def inner(f=namespace["pm"]):
            return f

        return inner()

    namespace = {"pm": helper, "copy": copy}

    def refuse(*args, **kwargs):
        raise AssertionError("refused")

    with replaced_everywhere(helper, refuse, namespace) as n:
        got = [evaluation.phase_means, by_default(), by_closure(), by_inner_default(), box[0]]
        got += [namespace["copy"], part.func, by_partial_default()]
        assert all(g is refuse for g in got), got
        with pytest.raises(AssertionError, match="refused"):
            part(torch.ones(1, 2, 2), torch.ones(1, 2, 2, dtype=torch.bool))
        assert n >= 8
    assert evaluation.phase_means is helper and by_default() is helper and by_closure() is helper
    assert part.func is helper and by_partial_default() is helper
    assert box[0] is helper and namespace["copy"] is copy and namespace["pm"] is helper
    with pytest.raises(TypeError, match="callables"):
        with replaced_everywhere(helper, None):
            pass
