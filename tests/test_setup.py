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
    with pytest.raises((TypeError, ValueError), match="seed"):
        xai_helpers.setup(seed=seed, device="cpu")


def test_unknown_attribute():
    with pytest.raises(AttributeError):
        xai_helpers.not_a_module  # noqa: B018


def test_model_device():
    assert xai_helpers.model_device(torch.nn.Linear(2, 2)) == torch.device("cpu")
    assert xai_helpers.model_device(torch.nn.ReLU()) == torch.device("cpu")  # no parameters


# --------------------------------------------------------------------------- thread pools (issue 18)

from xai_helpers._setup import cgroup_cpu_limit, choose_num_threads, set_num_threads, training_recipe  # noqa: E402


def _write(root, rel, text):
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.mark.parametrize(
    ("content", "expected"),
    [("200000 100000\n", 2), ("150000 100000\n", 1), ("50000 100000\n", 1), ("400000 50000", 8), ("max 100000\n", None), ("max\n", None)],
)
def test_cgroup_v2_quota(tmp_path, content, expected):
    _write(tmp_path, "cpu.max", content)
    assert cgroup_cpu_limit(tmp_path, proc_self_cgroup="0::/\n") == expected


@pytest.mark.parametrize(
    ("quota", "period", "expected"),
    [("200000", "100000", 2), ("150000", "100000", 1), ("99999", "100000", 1), ("-1", "100000", None)],
)
@pytest.mark.parametrize("controller", ["cpu", "cpu,cpuacct", "."])
def test_cgroup_v1_quota(tmp_path, quota, period, expected, controller):
    _write(tmp_path, f"{controller}/cpu.cfs_quota_us", quota + "\n")
    _write(tmp_path, f"{controller}/cpu.cfs_period_us", period + "\n")
    assert cgroup_cpu_limit(tmp_path, proc_self_cgroup="2:cpu,cpuacct:/\n0::/\n") == expected


def test_cgroup_v2_wins_over_v1(tmp_path):
    _write(tmp_path, "cpu.max", "300000 100000")
    _write(tmp_path, "cpu/cpu.cfs_quota_us", "100000")
    _write(tmp_path, "cpu/cpu.cfs_period_us", "100000")
    assert cgroup_cpu_limit(tmp_path, proc_self_cgroup="0::/") == 3


def test_cgroup_own_group_and_parents_smallest_quota_wins(tmp_path):
    proc = "0::/kubepods/pod1/box\n"
    _write(tmp_path, "kubepods/pod1/box/cpu.max", "max 100000")
    _write(tmp_path, "kubepods/pod1/cpu.max", "250000 100000")
    _write(tmp_path, "kubepods/cpu.max", "400000 100000")
    assert cgroup_cpu_limit(tmp_path, proc_self_cgroup=proc) == 2
    _write(tmp_path, "kubepods/pod1/cpu.max", "max 100000")
    assert cgroup_cpu_limit(tmp_path, proc_self_cgroup=proc) == 4
    # v1: the cpu controller's own path from /proc/self/cgroup
    _write(tmp_path / "v1", "cpu/docker/abc/cpu.cfs_quota_us", "100000")
    _write(tmp_path / "v1", "cpu/docker/abc/cpu.cfs_period_us", "100000")
    assert cgroup_cpu_limit(tmp_path / "v1", proc_self_cgroup="4:cpu,cpuacct:/docker/abc\n0::/") == 1


def test_cgroup_missing_files_mean_no_quota(tmp_path):
    assert cgroup_cpu_limit(tmp_path, proc_self_cgroup="0::/") is None
    assert cgroup_cpu_limit(tmp_path / "not-there", proc_self_cgroup="") is None
    _write(tmp_path, "cpu/cpu.cfs_quota_us", "100000")  # a quota without its period: not a quota
    assert cgroup_cpu_limit(tmp_path, proc_self_cgroup="") is None


@pytest.mark.parametrize("content", ["", "lots 100000", "100000 0", "0 100000", "1 2 3", "-5 100000"])
def test_cgroup_v2_malformed_is_ignored_with_a_warning(tmp_path, content):
    _write(tmp_path, "cpu.max", content)
    with pytest.warns(RuntimeWarning, match="cgroup"):
        assert cgroup_cpu_limit(tmp_path, proc_self_cgroup="0::/") is None


@pytest.mark.parametrize(("quota", "period"), [("abc", "100000"), ("100000", ""), ("100000", "0")])
def test_cgroup_v1_malformed_is_ignored_with_a_warning(tmp_path, quota, period):
    _write(tmp_path, "cpu/cpu.cfs_quota_us", quota)
    _write(tmp_path, "cpu/cpu.cfs_period_us", period)
    with pytest.warns(RuntimeWarning, match="cgroup"):
        assert cgroup_cpu_limit(tmp_path, proc_self_cgroup="") is None


def test_choose_num_threads_policy(tmp_path, monkeypatch):
    import xai_helpers._setup as s

    monkeypatch.setattr(s, "_torch_default_threads", 8)
    monkeypatch.setattr(s.os, "sched_getaffinity", lambda pid: {0, 1, 2}, raising=False)
    assert choose_num_threads({}, cgroup_root=tmp_path, max_threads=None) == (3, "affinity mask: 3 CPUs")
    _write(tmp_path, "cpu.max", "150000 100000")  # the quota beats the affinity mask
    assert choose_num_threads({}, cgroup_root=tmp_path, max_threads=None) == (1, "cgroup CPU quota: 1 CPU")
    _write(tmp_path, "cpu.max", "500000 100000")  # a quota above the affinity mask: the mask decides
    assert choose_num_threads({}, cgroup_root=tmp_path, max_threads=None) == (3, "affinity mask: 3 CPUs (cgroup CPU quota: 5)")
    monkeypatch.setattr(s.os, "sched_getaffinity", lambda pid: set(range(64)), raising=False)
    _write(tmp_path, "cpu.max", "3200000 100000")  # never more than torch's default
    assert choose_num_threads({}, cgroup_root=tmp_path, max_threads=None) == (8, "cgroup CPU quota: 32 CPUs, capped at torch's default 8")
    assert choose_num_threads({"XAI_NUM_THREADS": " 5 "}, cgroup_root=tmp_path) == (5, "XAI_NUM_THREADS=5")
    assert choose_num_threads({"XAI_NUM_THREADS": ""}, cgroup_root=tmp_path, max_threads=None)[0] == 8  # empty: unset


def test_the_course_cap_applies_to_the_budget_but_not_to_an_explicit_count(tmp_path, monkeypatch):
    import xai_helpers._setup as s

    monkeypatch.setattr(s, "_torch_default_threads", 8)
    monkeypatch.setattr(s.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    n, why = choose_num_threads({}, cgroup_root=tmp_path)
    assert n == s.COURSE_MAX_THREADS == 1 and why.startswith("affinity mask: 4 CPUs") and "XAI_NUM_THREADS" in why
    assert choose_num_threads({}, cgroup_root=tmp_path, max_threads=2)[0] == 2
    assert choose_num_threads({"XAI_NUM_THREADS": "3"}, cgroup_root=tmp_path) == (3, "XAI_NUM_THREADS=3")


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
    before = torch.get_num_threads()
    torch.use_deterministic_algorithms(False)
    torch.set_num_threads(2)
    seen = []

    @training_recipe(threads=1)
    def recipe(directory=None, seed: int = 3) -> dict:
        seen.append((torch.get_num_threads(), torch.are_deterministic_algorithms_enabled(), torch.rand(1).item()))
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
        torch.use_deterministic_algorithms(was_det)
