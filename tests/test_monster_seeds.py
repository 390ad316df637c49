"""Tests of xai_helpers.monster_seeds: the interventions, the sweep and the checked per-seed table."""

import hashlib
import math
import json

import pytest
import torch

from xai_helpers import monster_seeds as ms


def _batch(n=3, size=8, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 3, size, size, generator=g)
    masks = torch.zeros(n, size, size, dtype=torch.bool)
    masks[:, 2:6, 2:6] = True
    return x, masks


def test_on_grey_paints_only_the_background():
    x, m = _batch()
    out = ms.on_grey(x, m, 0.3)
    assert torch.equal(out[:, :, 2:6, 2:6], x[:, :, 2:6, 2:6])
    assert torch.allclose(out[:, :, 0, 0], torch.full((3, 3), 0.3))
    with pytest.raises(ValueError):
        ms.on_grey(x, m, 1.5)
    with pytest.raises(ValueError):
        ms.on_grey(x, m.float(), 0.3)


def test_hue_rotate_keeps_brightness_and_changes_colour():
    x, m = _batch()
    out = ms.hue_rotate(x, m, 1)
    fg = m[:, None].expand_as(x)
    assert torch.allclose(out.amax(1), x.amax(1)) and torch.allclose(out.mean(1), x.mean(1))
    assert (out - x)[fg].abs().sum() > 0 and torch.equal(out[~fg], x[~fg])
    assert torch.equal(ms.hue_rotate(x, m, 3), x)  # three 120° turns: the identity


def test_scale_creature_clips_and_keeps_background():
    x, m = _batch()
    out = ms.scale_creature(x, m, 10.0)
    assert out.max() <= 1.0 and torch.equal(out[:, :, 0, 0], x[:, :, 0, 0])


def test_phase_means_finds_a_period_two_pattern_within_the_region():
    s = torch.zeros(1, 6, 6)
    s[:, 1::2, 0::2] = 2.0
    region = torch.ones(1, 6, 6, dtype=torch.bool)
    pm = ms.phase_means(s, region)
    assert pm[1, 0] == 2.0 and pm.sum() == 2.0
    region[:, 1::2, 0::2] = False
    assert torch.isnan(ms.phase_means(s, region)[1, 0])


def test_turning_level_is_the_first_level_below_one_half():
    sweep = {"level": [0.0, 0.1, 0.2], "called": [1.0, 0.5, 0.2]}
    assert ms.turning_level(sweep) == 0.2
    assert math.isnan(ms.turning_level({"level": [0.0], "called": [0.9]}))


def test_grey_sweep_of_a_network_blind_to_the_background_is_flat():
    class Centre(torch.nn.Module):  # reads only the centre pixels
        def forward(self, x):
            v = x[:, :, 2:6, 2:6].sum((1, 2, 3))
            return torch.stack([v, -v], 1)

    x, m = _batch()
    sw = ms.grey_sweep(Centre(), x, m, levels=(0.0, 0.5))
    assert sw["density"] == [0.0, 0.0] and sw["p"][0] == pytest.approx(sw["p"][1], abs=1e-6)


def test_untrained_network_is_seeded_and_leaves_the_global_rng_alone():
    torch.manual_seed(5)
    before = torch.rand(1)
    torch.manual_seed(5)
    a = ms.untrained_monster_cnn(2)
    assert torch.rand(1) == before
    assert torch.equal(a.conv1.weight, ms.untrained_monster_cnn(2).conv1.weight)
    assert not torch.equal(a.conv1.weight, ms.untrained_monster_cnn(3).conv1.weight)


def test_the_shipped_table_is_checked_and_a_changed_copy_refused(tmp_path):
    table = ms.load_seed_table()
    assert sorted(table) == list(ms.SEEDS)
    raw = (ms.CHECKPOINT_DIR / ms.TABLE).read_bytes()
    (tmp_path / ms.TABLE).write_bytes(raw)
    (tmp_path / (ms.TABLE + ".sha256")).write_text(f"{hashlib.sha256(raw).hexdigest()}  {ms.TABLE}\n")
    assert ms.load_seed_table(tmp_path) == table
    doc = json.loads(raw)
    doc["seeds"]["0"]["acc_leaky"] = 0.5
    (tmp_path / ms.TABLE).write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="SHA-256"):
        ms.load_seed_table(tmp_path)
    with pytest.raises(ValueError, match="no monsters_seeds.json"):
        ms.load_seed_table(tmp_path / "missing")
