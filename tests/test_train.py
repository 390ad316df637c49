"""xai_helpers.train: every recipe goes through one wrapper, and the reproducibility promise holds.

The promise (README, CONTRIBUTING): the same recipe run twice on the same machine with the same thread
count gives the same file, bit for bit; anywhere, the metrics land within ``train.TOLERANCES`` of those
recorded in the shipped checkpoint.
"""

from __future__ import annotations

import inspect

import pytest
import torch

from xai_helpers import models, train


def test_every_recipe_is_a_pinned_function():
    assert set(train.RECIPES) == {p.stem for p in models.CHECKPOINT_DIR.glob("*.pt")} == set(train.TOLERANCES)
    for name, recipe in train.RECIPES.items():
        assert callable(recipe), name
        assert recipe.threads == 1, name  # set by train.training_recipe
        params = inspect.signature(recipe).parameters
        assert "directory" in params and "seed" in params, name
        assert set(train.TOLERANCES[name]) <= set(models.checkpoint_meta(name)), name


def test_retrain_repeats_bit_for_bit_and_matches_the_record(tmp_path, capsys):
    """parabola_nets, the cheapest recipe (~3 s on one thread): twice, once through the command line."""
    threads, det = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    train.main(["parabola_nets", "--directory", str(tmp_path / "a")])
    meta = train.RECIPES["parabola_nets"](directory=tmp_path / "b")
    assert "parabola_nets.pt" in capsys.readouterr().out
    a, b = (tmp_path / d / "parabola_nets.pt" for d in "ab")
    assert a.read_bytes() == b.read_bytes()  # the same computation repeated: the same bits
    assert (torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()) == (threads, det)  # restored
    recorded = models.checkpoint_meta("parabola_nets")
    for key, tol in train.TOLERANCES["parabola_nets"].items():
        assert abs(meta[key] - recorded[key]) <= tol, (key, meta[key], recorded[key])


def test_cli_rejects_unknown_recipe(capsys):
    with pytest.raises(SystemExit):
        train.main(["no_such_model"])
    assert "invalid choice" in capsys.readouterr().err


def test_mnist_cnn_retrain_within_tolerance_of_the_shipped_one(tmp_path):
    """The notebooks' main model (~20 s on one thread): its test accuracy within the stated tolerance."""
    meta = train.RECIPES["mnist_cnn"](directory=tmp_path)
    recorded = models.checkpoint_meta("mnist_cnn")
    for key, tol in train.TOLERANCES["mnist_cnn"].items():
        assert abs(meta[key] - recorded[key]) <= tol, (key, meta[key], recorded[key])
    assert models.checkpoint_meta("mnist_cnn", directory=tmp_path) == meta  # the file records what was measured
