"""xai_helpers.evaluation (deletion curve, randomization check, the judges) and the elephant toy
(xai_helpers.models.ElephantScore)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.stats import spearmanr
from torch import nn

from xai_helpers import attribution as A
from xai_helpers import evaluation as E
from xai_helpers import models
from xai_helpers.data import monsters as M


@pytest.fixture(scope="module")
def few(digits):
    return digits[0][:4], digits[1][:4]


# --------------------------------------------------------------------------- deletion curve


def test_deletion_curve_shape_ends_and_auc(mnist_cnn, few):
    x, y = few
    curve = E.deletion_curve(mnist_cnn, x, y, A.saliency(mnist_cnn, x, y), steps=10)
    assert curve.fractions.shape == (11,) and curve.probs.shape == (4, 11)
    assert curve.fractions[0] == 0 and curve.fractions[-1] == 1
    with torch.no_grad():
        p_clean = mnist_cnn(x).softmax(1).gather(1, y[:, None])[:, 0]
        p_black = mnist_cnn(torch.zeros_like(x)).softmax(1).gather(1, y[:, None])[:, 0]
    assert torch.allclose(curve.probs[:, 0], p_clean, atol=1e-6)
    assert torch.allclose(curve.probs[:, -1], p_black, atol=1e-6)
    expected = np.trapezoid(curve.probs.numpy(), curve.fractions.numpy(), axis=1)
    assert np.allclose(curve.auc.numpy(), expected, atol=1e-6)


def test_deletion_curve_removes_the_top_pixels_first(mnist_cnn, few):
    x, y = few[0][:1], few[1][:1]
    attr = torch.zeros(1, 28, 28)
    attr[0, :14] = 1.0  # the top half is "most important"
    curve = E.deletion_curve(mnist_cnn, x, y, attr, steps=2)
    half = x.clone()
    half[:, :, :14] = 0.0
    with torch.no_grad():
        expected = mnist_cnn(half).softmax(1)[0, y[0]]
    assert curve.probs[0, 1].item() == pytest.approx(expected.item(), abs=1e-6)


def test_deletion_curve_is_deterministic_and_accepts_channel_maps(mnist_cnn, few):
    x, y = few
    attr = A.integrated_gradients(mnist_cnn, x, y, n_steps=8)
    a = E.deletion_curve(mnist_cnn, x, y, attr, steps=5)
    # the same computation repeated, and a (N, H, W) map equal to the one-channel (N, C, H, W) map:
    # bit for bit
    assert torch.equal(E.deletion_curve(mnist_cnn, x, y, attr, steps=5).probs, a.probs)
    assert torch.equal(E.deletion_curve(mnist_cnn, x, y, attr[:, 0], steps=5).probs, a.probs)
    # another batch size is another code path (the CPU kernels block and sum in another order): the
    # probabilities agree to float32 rounding, not bit for bit (1.5e-8 apart on an AMD EPYC, 2
    # threads). atol 1e-5 ≈ 80 float32 eps at 1.0: far above that rounding, far below a deletion
    # step's change (> 1e-3).
    b = E.deletion_curve(mnist_cnn, x, y, attr[:, 0], steps=5, batch_size=7)
    torch.testing.assert_close(b.probs, a.probs, rtol=0, atol=1e-5)


def test_ig_and_saliency_beat_random_deletion(mnist, mnist_cnn):
    x, y = mnist.X_test[:24], mnist.y_test[:24]
    auc = {
        "random": E.deletion_curve(mnist_cnn, x, y, E.random_attribution(x), steps=10).auc.mean(),
        "saliency": E.deletion_curve(
            mnist_cnn, x, y, A.saliency(mnist_cnn, x, y), steps=10
        ).auc.mean(),
        "ig": E.deletion_curve(
            mnist_cnn, x, y, A.integrated_gradients(mnist_cnn, x, y, n_steps=16), steps=10
        ).auc.mean(),
    }
    assert auc["ig"] < auc["random"] and auc["saliency"] < auc["random"], auc


class _TopRows(nn.Module):
    """Class 1's logit is 10 × (mean of the top 4 rows) − 5, class 0's is 0: only the top counts."""

    def forward(self, x):
        s = 10 * x[:, 0, :4].mean((1, 2)) - 5
        return torch.stack([torch.zeros_like(s), s], 1)


def test_deletion_curve_breaks_ties_at_random_not_by_position():
    # 8 images of ones; each map is 0 on 80 % of the pixels (the top 16 rows) and random on the
    # bottom 4 rows. Ties ordered by position would remove the zeros top row first, and the top rows
    # are all the model reads: such a map would score like a top-to-bottom sweep. Broken at random
    # it must score like a random map (it says nothing about the top rows).
    g = torch.Generator().manual_seed(0)
    x = torch.ones(8, 1, 20, 20)
    flat = torch.zeros(8, 20, 20)
    flat[:, 16:] = torch.rand(8, 4, 20, generator=g) + 0.1
    sweep = torch.arange(400, 0, -1.0).view(1, 20, 20).expand(8, -1, -1)  # top row first
    auc = {
        name: float(E.deletion_curve(_TopRows(), x, 1, m, steps=20, seed=3).auc.mean())
        for name, m in [
            ("flat", flat),
            ("random", torch.rand(8, 20, 20, generator=g)),
            ("sweep", sweep),
        ]
    }
    # the random map's AUC ≈ ∫ sigmoid(10(1 − f) − 5) df = 0.5 (symmetric); the sweep removes the
    # top 80 pixels first and falls to 0.007 at f = 0.2: AUC ≈ 0.10. The flat map removes its 80
    # bottom pixels first (no effect), then ties at random: ≈ 0.2 + 0.8 × 0.5 = 0.6 minus rounding.
    # 8 images × 20 steps: the random orders differ from their mean by < 0.05 (measured: 0.02).
    assert abs(auc["flat"] - 0.6) < 0.05, auc
    assert abs(auc["random"] - 0.5) < 0.05, auc
    assert auc["sweep"] < 0.15, auc


def test_deletion_curve_tie_order_is_seeded():
    x = torch.ones(2, 1, 20, 20)
    flat = torch.zeros(2, 20, 20)
    a = E.deletion_curve(_TopRows(), x, 1, flat, steps=10, seed=1).probs
    assert torch.equal(a, E.deletion_curve(_TopRows(), x, 1, flat, steps=10, seed=1).probs)
    assert not torch.equal(a, E.deletion_curve(_TopRows(), x, 1, flat, steps=10, seed=2).probs)


def test_insertion_curve_ends_and_order(mnist_cnn, few):
    x, y = few
    attr = A.saliency(mnist_cnn, x, y)
    ins = E.insertion_curve(mnist_cnn, x, y, attr, steps=10, fill="grey")
    assert ins.kind == "insertion" and E.deletion_curve(mnist_cnn, x, y, attr).kind == "deletion"
    with torch.no_grad():
        p_clean = mnist_cnn(x).softmax(1).gather(1, y[:, None])[:, 0]
        p_grey = mnist_cnn(torch.full_like(x, 0.5)).softmax(1).gather(1, y[:, None])[:, 0]
    assert torch.allclose(ins.probs[:, 0], p_grey, atol=1e-6)
    assert torch.allclose(ins.probs[:, -1], p_clean, atol=1e-6)
    # putting back the top pixels first is deleting the others first: insertion at step i equals
    # deletion of the reversed ranking at steps − i (maps without ties, so the orders are exact)
    dele = E.deletion_curve(mnist_cnn, x, y, -attr, steps=10, fill="grey")
    torch.testing.assert_close(ins.probs, dele.probs.flip(1), rtol=0, atol=1e-6)


def test_insertion_curve_puts_the_top_pixels_back_first():
    x = torch.ones(1, 1, 20, 20)
    top = torch.zeros(1, 20, 20)
    top[0, :4] = 1.0  # the 80 pixels the model reads
    ins = E.insertion_curve(_TopRows(), x, 1, top, steps=5, seed=0)  # 80 pixels per step
    assert ins.probs[0, 1] == pytest.approx(float(torch.sigmoid(torch.tensor(5.0))), abs=1e-6)
    assert float(ins.auc[0]) > float(
        E.insertion_curve(_TopRows(), x, 1, -top, steps=5, seed=0).auc[0]
    )


def test_deletion_auc_of_a_known_curve():
    curve = E.DeletionCurve(
        torch.tensor([0.0, 0.5, 1.0]), torch.tensor([[1.0, 1.0, 1.0], [1.0, 0.0, 0.0]])
    )
    assert torch.allclose(curve.auc, torch.tensor([1.0, 0.25]))


# --------------------------------------------------------------------------- randomization


def test_rank_correlation_matches_scipy():
    g = torch.Generator().manual_seed(0)
    a = torch.rand(3, 7, 7, generator=g)
    b = a + 0.3 * torch.rand(3, 7, 7, generator=g)
    b[0, :3] = 0.0  # ties
    a[1, :2] = 0.0
    ours = E.rank_correlation(a, b)
    for i in range(3):
        assert ours[i].item() == pytest.approx(
            spearmanr(a[i].flatten(), b[i].flatten())[0], abs=1e-6
        )


def test_rank_correlation_with_a_mask_ranks_only_the_masked_pixels():
    g = torch.Generator().manual_seed(1)
    a, b = torch.rand(2, 6, 6, generator=g), torch.rand(2, 6, 6, generator=g)
    mask = torch.rand(2, 6, 6, generator=g) > 0.4
    ours = E.rank_correlation(a, b, mask=mask)
    for i in range(2):
        assert ours[i].item() == pytest.approx(spearmanr(a[i][mask[i]], b[i][mask[i]])[0], abs=1e-6)
    # shared zeros outside the mask inflate the unmasked figure, not the masked one
    a0, b0 = a.clone(), b.clone()
    a0[~mask], b0[~mask] = 0.0, 0.0
    assert (E.rank_correlation(a0, b0) > ours + 0.2).all()
    assert torch.allclose(E.rank_correlation(a0, b0, mask=mask), ours)
    # ties inside the mask get their average rank, as scipy's (all images are ranked together)
    at, bt = (a * 3).round(), (b * 2).round()
    tied = E.rank_correlation(at, bt, mask=mask)
    for i in range(2):
        assert tied[i].item() == pytest.approx(
            spearmanr(at[i][mask[i]], bt[i][mask[i]])[0], abs=1e-6
        )
    with pytest.raises(ValueError, match="bool tensor"):
        E.rank_correlation(a, b, mask=mask.float())
    with pytest.raises(ValueError, match="at least 2"):
        E.rank_correlation(a, b, mask=torch.zeros_like(mask))


def test_randomization_check_with_a_mask_on_the_ink(mnist_cnn, digits):
    x, y = digits
    ink = x[:, 0] > 0
    rhos = E.randomization_check(mnist_cnn, x, y, lambda m, xx, t: xx[:, 0] + 0.0, mask=ink)
    assert all(r == pytest.approx(1.0) for r in rhos.values())

    everywhere = E.randomization_check(
        mnist_cnn, x, y, lambda m, xx, t: xx[:, 0] * A.saliency(m, xx, t)
    )
    on_ink = E.randomization_check(
        mnist_cnn, x, y, lambda m, xx, t: xx[:, 0] * A.saliency(m, xx, t), mask=ink
    )
    assert on_ink["conv1"] < everywhere["conv1"], (on_ink, everywhere)


def test_randomization_check_scores_several_masks_from_one_set_of_maps(mnist_cnn, digits):
    x, y = digits
    ink, calls = x[:, 0] > 0, []

    def explain(m, xx, t):
        calls.append(1)
        return xx[:, 0] * A.saliency(m, xx, t)

    both = E.randomization_check(mnist_cnn, x, y, explain, masks={"all": None, "ink": ink})
    assert len(calls) == 6  # the reference, the trained model again, four randomised layers
    alone = {
        "all": E.randomization_check(mnist_cnn, x, y, explain),
        "ink": E.randomization_check(mnist_cnn, x, y, explain, mask=ink),
    }
    for k in alone:  # saliency is deterministic and the layers re-drawn from the same seed
        assert both[k] == pytest.approx(alone[k], abs=1e-6), (k, both[k], alone[k])
    assert both["ink"]["conv1"] < both["all"]["conv1"]
    with pytest.raises(ValueError, match="either mask or masks"):
        E.randomization_check(mnist_cnn, x, y, explain, mask=ink, masks={"ink": ink})


def test_randomization_check_hands_back_the_maps_it_scored(mnist_cnn, digits):
    x, y = digits
    kept: dict = {}
    rhos = E.randomization_check(mnist_cnn, x, y, A.saliency, seed=3, maps_out=kept)
    assert list(kept) == list(rhos)  # the reference and every randomised step, in order
    for step, maps in kept.items():  # each kept map gives back its own score
        rho = float(E.rank_correlation(kept["trained"], maps).mean())
        assert rho == pytest.approx(rhos[step] if step != "trained" else 1.0, abs=1e-6)
    rand = list(E.cascading_randomization(mnist_cnn, seed=3))[-1][1]
    torch.testing.assert_close(kept["conv1"], A.saliency(rand, x, y))
    with pytest.raises(TypeError, match="maps_out"):
        E.randomization_check(mnist_cnn, x, y, A.saliency, maps_out=[])


def test_randomization_scores_of_derived_maps_match_a_full_check(mnist_cnn, digits):
    x, y = digits
    ink, kept = x[:, 0] > 0, {}
    masks = {"all": None, "ink": ink}
    signed = lambda m, xx, t: A.integrated_gradients(m, xx, t, n_steps=4)[:, 0]
    E.randomization_check(mnist_cnn, x, y, signed, seed=2, masks=masks, maps_out=kept)
    magnitude = {k: m.abs() for k, m in kept.items()}
    direct = E.randomization_check(
        mnist_cnn, x, y, lambda m, xx, t: signed(m, xx, t).abs(), seed=2, masks=masks
    )
    derived = E.randomization_scores(magnitude, masks=masks)
    for k in masks:  # |IG| scored from the kept signed maps = |IG| explained afresh
        assert derived[k] == pytest.approx(direct[k], abs=1e-5), (k, derived[k], direct[k])
    assert derived["ink"]["conv1"] < derived["all"]["conv1"]  # not the same number twice
    with pytest.raises(ValueError, match="trained"):
        E.randomization_scores({"fc2": kept["fc2"]})


def test_randomization_check_measures_the_trained_point_of_a_random_map(mnist_cnn, digits):
    # a map drawn afresh on every call agrees with itself at "trained" only by chance: ≈ 0, not 1
    x, y = digits
    g = torch.Generator().manual_seed(0)
    rhos = E.randomization_check(
        mnist_cnn, x, y, lambda m, xx, t: torch.rand(len(xx), 28, 28, generator=g)
    )
    # Spearman of two independent 784-pixel maps, averaged over the images: sd ≈ 1/√(783·N)
    assert abs(rhos["trained"]) < 0.05, rhos


def test_cascading_randomization_changes_layers_top_down_and_leaves_model(mnist_cnn):
    before = {k: v.clone() for k, v in mnist_cnn.state_dict().items()}
    steps = list(E.cascading_randomization(mnist_cnn, seed=0))
    assert [name for name, _ in steps] == ["fc2", "fc1", "conv2", "conv1"]
    first = dict(steps[0][1].named_modules())
    assert not torch.equal(first["fc2"].weight, mnist_cnn.fc2.weight)
    assert torch.equal(first["fc1"].weight, mnist_cnn.fc1.weight)  # only the top layer so far
    last = dict(steps[-1][1].named_modules())
    assert all(
        not torch.equal(last[n].weight, getattr(mnist_cnn, n).weight)
        for n in ["fc2", "fc1", "conv2", "conv1"]
    )
    assert all(torch.equal(v, before[k]) for k, v in mnist_cnn.state_dict().items())
    again = list(E.cascading_randomization(mnist_cnn, seed=0))
    assert torch.equal(again[-1][1].conv1.weight, last["conv1"].weight)


def test_randomization_check_saliency_depends_on_the_weights(mnist_cnn, digits):
    x, y = digits
    rhos = E.randomization_check(mnist_cnn, x, y, A.saliency)
    assert list(rhos) == ["trained", "fc2", "fc1", "conv2", "conv1"]
    assert rhos["conv1"] < 0.5, rhos


def test_randomization_check_is_blind_to_a_model_free_map(mnist_cnn, digits):
    x, y = digits
    rhos = E.randomization_check(mnist_cnn, x, y, lambda m, xx, t: xx[:, 0] + 0.0)
    assert all(r == pytest.approx(1.0) for r in rhos.values())


# --------------------------------------------------------------------------- smoothness / stability


def test_total_variation_is_scale_free_and_orders_noise_above_smooth():
    g = torch.Generator().manual_seed(0)
    noisy = torch.rand(1, 32, 32, generator=g)
    smooth = torch.linspace(0, 1, 32).expand(32, 32)[None]
    tv = E.total_variation(torch.cat([noisy, smooth]))
    assert tv[0] > 5 * tv[1]
    assert torch.allclose(E.total_variation(10 * noisy), E.total_variation(noisy))


def test_smoothgrad_stability_grows_with_samples(mnist_cnn, few):
    x, y = few
    r = E.smoothgrad_stability(mnist_cnn, x, y, sigma=0.15, ns=[1, 32])
    assert r[1] > r[0] and r[1] > 0.9


def test_smoothgrad_samples_average_to_smoothgrad(mnist_cnn, few):
    x, y = few
    s = A.smoothgrad_samples(mnist_cnn, x, y, sigma=0.1, n_samples=6, seed=2)
    assert s.shape == (6, 4, 1, 28, 28)
    assert torch.allclose(
        A.reduce_channels(s.mean(0)),
        A.smoothgrad(mnist_cnn, x, y, sigma=0.1, n_samples=6, seed=2),
        atol=1e-6,
    )


def test_smoothgrad_cache_reuses_samples(mnist_cnn, few):
    x, y = few[0][:1], int(few[1][0])
    cache = A.SmoothGradCache(mnist_cnn, x, y, progress=False)
    a = cache.map(0.2, 3)
    cache.map(0.2, 5)
    assert cache.count(0.2) == 5 and cache.count(0.1) == 0
    assert torch.equal(cache.map(0.2, 3), a)


@pytest.mark.parametrize("kind", ["black", "white", "blurred", "noise"])
def test_ig_baselines_shape_and_completeness(mnist_cnn, few, kind):
    x, y = few
    base = A.ig_baseline(x, kind)
    assert base.shape == x.shape and torch.isfinite(base).all()
    _, gap = A.integrated_gradients(mnist_cnn, x, y, baseline=base, n_steps=64, return_delta=True)
    assert (gap <= 0.05).all(), gap


# --------------------------------------------------------------------------- the elephant


def test_elephant_gradient_saturates_while_ig_credits_the_trunk():
    elephant = models.ElephantScore()
    x = torch.tensor([[2.5, 0.5]], dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(elephant(x).sum(), x)
    assert g[0, 0] < 0.01 * elephant.weight[0] / 4  # the steepest slope is w_trunk / 4
    # IG with Captum, baseline 0
    from captum.attr import IntegratedGradients

    ig = IntegratedGradients(lambda z: elephant(z)[:, None]).attribute(
        x.detach(), baselines=torch.zeros_like(x), target=0, n_steps=200
    )
    diff = float(elephant(x.detach()) - elephant(torch.zeros_like(x)))
    assert ig[0, 0] / diff >= 0.8
    assert float(ig.sum()) == pytest.approx(diff, rel=1e-3)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "call,err,match",
    [
        (
            lambda m, x: E.deletion_curve(m, x, 0, torch.rand(2, 27, 28)),
            ValueError,
            "maps must have shape",
        ),
        (
            lambda m, x: E.deletion_curve(m, x, 0, torch.rand(2, 28, 28).numpy()),
            TypeError,
            "torch.Tensor",
        ),
        (
            lambda m, x: E.deletion_curve(m, x, 0, torch.full((2, 28, 28), float("nan"))),
            ValueError,
            "NaN",
        ),
        (
            lambda m, x: E.deletion_curve(m, x, 0, torch.rand(2, 28, 28), steps=0),
            ValueError,
            "steps",
        ),
        (lambda m, x: E.deletion_auc("curve"), TypeError, "DeletionCurve"),
        (
            lambda m, x: E.rank_correlation(torch.rand(2, 5), torch.rand(2, 6)),
            ValueError,
            "same shape",
        ),
        (
            lambda m, x: list(E.cascading_randomization(m, ["relu1"])),
            ValueError,
            "re-initialisable",
        ),
        (lambda m, x: E.randomization_check(m, x, 0, "saliency"), TypeError, "explain"),
        (lambda m, x: E.total_variation(torch.rand(28, 28)), ValueError, "(N, H, W)"),
        (lambda m, x: A.ig_baseline(x, "grey-ish"), ValueError, "kind must be"),
        (lambda m, x: A.SmoothGradCache(m, x, 0), ValueError, "one image"),
        (lambda m, x: models.ElephantScore()(torch.rand(2, 3)), ValueError, "trunk length"),
    ],
)
def test_bad_input_gives_clear_errors(mnist_cnn, digits, call, err, match):
    with pytest.raises(err, match=match):
        call(mnist_cnn, digits[0][:2])


def test_top_k_share_counts_the_top_pixels_in_the_mask():
    a = torch.tensor([[[5.0, 4.0, 0.0], [3.0, 0.0, 0.0]], [[0.0, 0.0, 1.0], [0.0, 0.0, 2.0]]])
    mask = torch.tensor([[True, False, False], [True, False, False]])
    assert torch.equal(E.top_k_share(a, mask, k=2), torch.tensor([0.5, 0.0]))
    assert torch.allclose(E.top_k_share(a, mask.expand(2, 2, 3), k=3), torch.tensor([2 / 3, 1 / 3]))
    # ties broken by position: after 2 and 1, the first of the equal zeros is (0, 0), inside the
    # mask
    assert E.top_k_share(a[1:], mask, k=3).item() == pytest.approx(1 / 3)
    assert E.top_k_share(a[1:].flip(-1), mask, k=3).item() == pytest.approx(2 / 3)


def test_top_k_share_of_a_random_map_is_the_area_share():
    g = torch.Generator().manual_seed(0)
    mask = torch.rand(28, 28, generator=g) < 0.2
    shares = E.top_k_share(torch.rand(400, 28, 28, generator=g), mask, k=50)
    assert abs(shares.mean().item() - mask.float().mean().item()) < 0.01


def test_top_k_share_rejects_bad_input():
    a = torch.rand(1, 4, 4)
    with pytest.raises(TypeError, match="boolean"):
        E.top_k_share(a, torch.ones(4, 4), k=2)
    with pytest.raises(ValueError, match="shape"):
        E.top_k_share(a, torch.ones(3, 3, dtype=torch.bool), k=2)
    with pytest.raises(ValueError, match="larger than"):
        E.top_k_share(a, torch.ones(4, 4, dtype=torch.bool), k=17)
    with pytest.raises(ValueError, match="NaN"):
        E.top_k_share(torch.full((1, 4, 4), float("nan")), torch.ones(4, 4, dtype=torch.bool), k=2)


def test_top_k_deletion_removes_exactly_the_top_pixels():
    # a "model" whose class-1 logit is the sum of the pixels in the left half: removing those pixels
    # matters, removing the right half does not
    class LeftHalf(torch.nn.Module):
        def forward(self, x):
            s = x[:, 0, :, :2].sum((1, 2))
            return torch.stack([torch.zeros_like(s), s], 1)

    x = torch.ones(2, 1, 4, 4)
    left = torch.zeros(2, 4, 4)
    left[..., :2] = 1.0
    drop_left = E.top_k_deletion(LeftHalf(), x, 1, left, k=8)
    drop_right = E.top_k_deletion(LeftHalf(), x, 1, 1 - left, k=8)
    p_clean = torch.sigmoid(torch.tensor(8.0))
    assert torch.allclose(
        drop_left, (p_clean - 0.5).expand(2), atol=1e-6
    )  # all 8 left pixels set to black: logit 0
    assert torch.allclose(drop_right, torch.zeros(2), atol=1e-6)
    # it is the deletion curve's point at k pixels
    curve = E.deletion_curve(LeftHalf(), x, 1, left, steps=4)
    assert torch.allclose(drop_left[0], curve.probs[0, 0] - curve.probs[0, 2], atol=1e-6)
    with pytest.raises(ValueError, match="at most"):
        E.top_k_deletion(LeftHalf(), x, 1, left, k=17)


def test_top_k_deletion_log_odds_and_a_replacement_image():
    class LeftHalf(torch.nn.Module):  # class-1 logit: sum of the left half, class 0: logit 0
        def forward(self, x):
            s = x[:, 0, :, :2].sum((1, 2))
            return torch.stack([torch.zeros_like(s), s], 1)

    x = torch.ones(1, 1, 4, 4)
    left = torch.zeros(1, 4, 4)
    left[..., :2] = 1.0
    # two classes: the log-odds of class 1 is its logit, 8 clean, 0 with the left half black
    got = E.top_k_deletion(LeftHalf(), x, 1, left, k=8, of="log-odds")
    assert torch.allclose(got, torch.tensor([8.0]), atol=1e-5)
    # a replacement image: the removed pixels take its values (0.25 each: logit 8 -> 2)
    half = torch.full_like(x, 0.25)
    got = E.top_k_deletion(LeftHalf(), x, 1, left, k=8, fill=half, of="log-odds")
    assert torch.allclose(got, torch.tensor([6.0]), atol=1e-5)
    # saturated: P drop ~0 in float32 while the log-odds drop is still measured
    big = torch.full_like(x, 10.0)
    p_drop = E.top_k_deletion(LeftHalf(), big, 1, left, k=4, fill=big - 1)
    lo_drop = E.top_k_deletion(LeftHalf(), big, 1, left, k=4, fill=big - 1, of="log-odds")
    assert p_drop.abs().item() < 1e-6 and abs(lo_drop.item() - 4.0) < 1e-3
    with pytest.raises(ValueError, match="shape of x"):
        E.top_k_deletion(LeftHalf(), x, 1, left, k=8, fill=torch.zeros(1, 1, 3, 3))
    with pytest.raises(ValueError, match="log-odds"):
        E.top_k_deletion(LeftHalf(), x, 1, left, k=8, of="logit")


def test_region_share_and_density_against_the_definitions():
    g = torch.Generator().manual_seed(0)
    a = torch.rand(3, 6, 6, generator=g)
    mask = torch.zeros(6, 6, dtype=torch.bool)
    mask[:2] = True  # a third of the image
    inside, outside = a[:, :2].reshape(3, -1), a[:, 2:].reshape(3, -1)
    share = E.region_share(a, mask)
    assert torch.allclose(share, inside.sum(1) / a.reshape(3, -1).sum(1), atol=1e-6)
    assert torch.allclose(E.region_density(a, mask), inside.mean(1) / outside.mean(1), atol=1e-5)
    # the nulls: a uniform map scores the area share and a density of 1, whatever the region's size
    assert torch.allclose(E.region_share(torch.ones(1, 6, 6), mask), torch.tensor([1 / 3]))
    assert torch.allclose(E.region_density(torch.ones(1, 6, 6), mask), torch.tensor([1.0]))
    # all the mass in the region: share 1, density infinite; a per-image mask works too
    assert E.region_share(mask[None].float(), mask).item() == 1.0
    assert E.region_density(mask[None].float(), mask).isinf().all()
    assert torch.equal(E.region_share(a, mask.expand(3, 6, 6)), share)


@pytest.mark.parametrize(
    "attr,mask,err,match",
    [
        (torch.rand(6, 6), torch.ones(6, 6, dtype=torch.bool), ValueError, r"\(N, H, W\)"),
        (torch.rand(1, 6, 6), torch.ones(6, 6), TypeError, "boolean"),
        (
            torch.rand(1, 6, 6),
            torch.ones(5, 5, dtype=torch.bool),
            ValueError,
            "mask must have shape",
        ),
        (torch.rand(1, 6, 6) - 0.5, torch.eye(6, dtype=torch.bool), ValueError, "non-negative"),
        (
            torch.rand(1, 6, 6),
            torch.ones(6, 6, dtype=torch.bool),
            ValueError,
            "inside and some outside",
        ),
        (torch.full((1, 6, 6), float("nan")), torch.eye(6, dtype=torch.bool), ValueError, "NaN"),
    ],
)
def test_region_share_and_density_refuse_bad_input(attr, mask, err, match):
    for f in (E.region_share, E.region_density):
        with pytest.raises(err, match=match):
            f(attr, mask)


def test_total_variation_unnormalized_is_the_skimage_sum_and_differentiable():
    x = torch.rand(2, 3, 9, 7, generator=torch.Generator().manual_seed(0), requires_grad=True)
    tv = E.total_variation(x, normalize=False)
    a = x.detach().numpy()
    expected = [
        np.abs(np.diff(a[i], axis=1)).sum() + np.abs(np.diff(a[i], axis=2)).sum() for i in range(2)
    ]
    assert tv.shape == (2,) and np.allclose(tv.detach().numpy(), expected, rtol=1e-5)
    (g,) = torch.autograd.grad(tv.sum(), x)
    assert g.abs().sum() > 0
    with pytest.raises(ValueError, match=r"\(N, H, W\)$|got torch.Size\(\[2, 3, 9, 7\]\)"):
        E.total_variation(x)  # the scale-free figure is for (N, H, W) maps


# ------------------------------------------------------- the judges (moved from test_visualization)


def test_judge_agreement(mnist_cnn, digits):
    X, y = digits
    frac, p = E.judge_agreement(mnist_cnn, X, y)
    assert frac == 1.0 and p.shape == (8,) and (p > 0.5).all()
    frac, _ = E.judge_agreement(mnist_cnn, X, (y + 1) % 10)
    assert frac == 0.0
    with pytest.raises(ValueError, match="out of range"):
        E.judge_agreement(mnist_cnn, X, 11)


def test_pixel_knn_judge_checks_its_labels(mnist):
    x, y = mnist.X_train[:300], mnist.y_train[:300]
    assert set(y.tolist()) == set(range(10))
    knn = E.pixel_knn_judge(x, y, k=1)
    assert (
        E.judge_agreement(knn, x, y)[0] == 1.0
    )  # each training image is its own nearest neighbour
    with pytest.raises(ValueError, match="one label per sample"):
        E.pixel_knn_judge(x, y[:-1])
    with pytest.raises(TypeError, match="integers"):
        E.pixel_knn_judge(x, y.float())
    few = E.pixel_knn_judge(x[y >= 5], y[y >= 5], k=1)  # columns 0..4 would be classes 5..9
    with pytest.raises(ValueError, match="fitted on the classes 0..K-1"):
        E.judge_agreement(few, x[:4], y[:4])


def test_untrained_copy_is_random_deterministic_and_leaves_the_model(mnist_cnn, mnist):
    from xai_helpers.evaluation import untrained_copy
    from xai_helpers.models import accuracy

    before = {k: v.clone() for k, v in mnist_cnn.state_dict().items()}
    a, b, c = (
        untrained_copy(mnist_cnn, seed=0),
        untrained_copy(mnist_cnn, seed=0),
        untrained_copy(mnist_cnn, seed=1),
    )
    assert all(torch.equal(v, mnist_cnn.state_dict()[k]) for k, v in before.items())
    assert all(torch.equal(a.state_dict()[k], b.state_dict()[k]) for k in before)
    assert not torch.equal(a.fc1.weight, c.fc1.weight)
    assert all(
        not torch.equal(a.state_dict()[k], before[k]) for k in before if k.endswith("weight")
    )
    assert (
        accuracy(a, mnist.X_test[:500], mnist.y_test[:500])
        < 0.3
        < accuracy(mnist_cnn, mnist.X_test[:500], mnist.y_test[:500])
    )


def test_judge_probabilities_and_labels(mnist, mnist_cnn, digits):
    X, y = digits
    p = E.judge_probabilities(mnist_cnn, X)
    assert p.shape == (len(X), 10) and torch.allclose(p.sum(1), torch.ones(len(X)), atol=1e-5)
    assert torch.equal(E.judge_labels(mnist_cnn, X), p.argmax(1))
    assert torch.equal(
        E.judge_labels(mnist_cnn, X), y
    )  # the fixture's digits are all classified right
    knn = E.pixel_knn_judge(mnist.X_train, mnist.y_train)
    labels = E.judge_labels(knn, mnist.X_train[:5])
    assert torch.equal(
        labels, mnist.y_train[:5]
    )  # each training digit is its own nearest neighbour
    with pytest.raises(TypeError, match="judge"):
        E.judge_labels(object(), X)
    few = E.pixel_knn_judge(
        mnist.X_train[mnist.y_train >= 5], mnist.y_train[mnist.y_train >= 5], k=1
    )
    with pytest.raises(ValueError, match="fitted on the classes 0..K-1"):
        E.judge_labels(few, X)


# --------------------------------------------------------------------------- neighbour correlation
def test_neighbour_correlation_ignores_averaged_noise_and_rewards_smooth_maps():
    g = torch.Generator().manual_seed(0)
    noise = torch.rand(50, 64, 64, generator=g)
    ramp = torch.linspace(0, 1, 64).expand(64, 64)
    blob = torch.exp(
        -((torch.arange(64.0)[:, None] - 32) ** 2 + (torch.arange(64.0) - 32) ** 2) / 200
    )
    nc = E.neighbour_correlation(torch.stack([noise[0], noise.mean(0), ramp, blob]))
    assert abs(nc[0]) < 0.05 and abs(nc[1]) < 0.05  # averaging noise does not make it smooth
    assert nc[2] > 0.99 and nc[3] > 0.95
    assert torch.allclose(
        E.neighbour_correlation(10 * blob[None] + 3), nc[3:], atol=1e-6
    )  # scale- and shift-free
    # total variation ÷ mean, by contrast, falls when noise is averaged
    tv = E.total_variation(noise[:1]), E.total_variation(noise.mean(0, keepdim=True))
    assert tv[1] < 0.5 * tv[0]


def test_neighbour_correlation_of_a_constant_map_is_zero_and_bad_input_is_refused():
    assert E.neighbour_correlation(torch.ones(1, 5, 5)).tolist() == [0.0]
    with pytest.raises(ValueError, match=r"\(N, H, W\)"):
        E.neighbour_correlation(torch.rand(5, 5))
    with pytest.raises(ValueError, match="at least 2"):
        E.neighbour_correlation(torch.rand(1, 1, 5))
    with pytest.raises(ValueError, match="NaN"):
        E.neighbour_correlation(torch.full((1, 3, 3), float("nan")))


def test_mean_rank_agreement_within_and_across_runs():
    rng = np.random.default_rng(0)
    base = rng.normal(size=20)
    runs = [base + 0.01 * rng.normal(size=20) for _ in range(3)]
    reversed_runs = [-r for r in runs]
    assert E.mean_rank_agreement(runs) > 0.99
    assert E.mean_rank_agreement(runs, reversed_runs) < -0.99
    pairs = [(0, 1), (0, 2), (1, 2)]
    expected = np.mean([spearmanr(runs[i], runs[j])[0] for i, j in pairs])
    assert E.mean_rank_agreement(runs) == pytest.approx(expected, abs=1e-12)


def test_mean_rank_agreement_needs_a_pair():
    with pytest.raises(ValueError, match="at least two"):
        E.mean_rank_agreement([np.arange(3.0)])


# ------------------------------------------------ random tie-breaking and ink-blob nulls


def test_untie_keeps_the_order_of_distinct_values():
    maps = torch.randn(3, 5, 6)
    r = E.untie(maps, seed=1)
    assert torch.equal(r.flatten(1).argsort(1), maps.flatten(1).argsort(1))


def test_untie_breaks_ties_at_random_not_by_position():
    maps = torch.zeros(1, 4, 4)
    maps[0, 3, 3] = 1.0
    firsts = {int(E.untie(maps, seed=s)[0].flatten()[:15].argmax()) for s in range(40)}
    # the one larger value stays on top
    assert int(E.untie(maps, seed=0)[0].flatten().argmax()) == 15
    assert len(firsts) >= 8  # the 15 tied pixels are ordered differently from seed to seed


def test_untie_is_deterministic_given_seed_and_rejects_bad_input():
    maps = torch.zeros(2, 3, 3)
    assert torch.equal(E.untie(maps, seed=3), E.untie(maps, seed=3))
    with pytest.raises(ValueError):
        E.untie(torch.zeros(3, 3))
    with pytest.raises(ValueError):
        E.untie(torch.full((1, 2, 2), float("nan")))
    with pytest.raises(TypeError):
        E.untie([[0.0]])


def test_ink_blobs_are_k_mask_pixels_and_compact():
    mask = torch.zeros(2, 28, 28, dtype=torch.bool)
    mask[:, 4:24, 10:14] = True  # a bar 20 × 4
    blobs = E.ink_blobs(mask, k=12, n_draws=30, seed=0)
    assert blobs.shape == (30, 2, 28, 28)
    assert (blobs.sum((2, 3)) == 12).all() and (blobs.bool() <= mask).all()
    rows = blobs.bool().nonzero()  # (draw, image, r, c)
    for d in range(30):
        r = rows[(rows[:, 0] == d) & (rows[:, 1] == 0), 2]
        assert r.max() - r.min() <= 4  # 12 pixels of a 4-wide bar span 3–4 rows, not the bar's 20
    assert len({tuple(b[0].nonzero()[0].tolist()) for b in blobs}) > 5  # centres vary


def test_ink_blob_is_removed_exactly_by_top_k_deletion():
    mask = torch.rand(1, 28, 28, generator=torch.Generator().manual_seed(0)) > 0.7
    blob = E.ink_blobs(mask, k=40, n_draws=1, seed=2)[0]
    x = mask[:, None].float()
    removed = torch.where(blob.bool()[:, None], 0.0, x)
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    with torch.no_grad():
        p = net(torch.cat([x, removed])).softmax(1)[:, 3]
    assert torch.allclose(E.top_k_deletion(net, x, 3, blob, 40), p[:1] - p[1:], atol=1e-6)


def test_ink_blobs_rejects_a_mask_smaller_than_k():
    with pytest.raises(ValueError, match="at least k"):
        E.ink_blobs(torch.zeros(1, 5, 5, dtype=torch.bool), k=3, n_draws=2)


def _creature_batch(n=3, size=8, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 3, size, size, generator=g)
    masks = torch.zeros(n, size, size, dtype=torch.bool)
    masks[:, 2:6, 2:6] = True
    return x, masks


def test_phase_means_finds_a_period_two_pattern_within_the_region():
    s = torch.zeros(1, 6, 6)
    s[:, 1::2, 0::2] = 2.0
    region = torch.ones(1, 6, 6, dtype=torch.bool)
    pm = E.phase_means(s, region)
    assert pm[1, 0] == 2.0 and pm.sum() == 2.0
    region[:, 1::2, 0::2] = False
    assert torch.isnan(E.phase_means(s, region)[1, 0])


def test_turning_level_is_the_first_level_below_one_half():
    sweep = {"level": [0.0, 0.1, 0.2], "called": [1.0, 0.5, 0.2]}
    assert E.turning_level(sweep) == 0.2
    assert math.isnan(E.turning_level({"level": [0.0], "called": [0.9]}))


def test_grey_sweep_of_a_network_blind_to_the_background_is_flat():
    class Centre(torch.nn.Module):  # reads only the centre pixels
        def forward(self, x):
            v = x[:, :, 2:6, 2:6].sum((1, 2, 3))
            return torch.stack([v, -v], 1)

    x, m = _creature_batch()
    sw = E.grey_sweep(Centre(), x, m, levels=(0.0, 0.5))
    assert sw["density"] == [0.0, 0.0] and sw["p"][0] == pytest.approx(sw["p"][1], abs=1e-6)


def test_background_paths_gradient_misses_a_threshold_that_ig_and_the_change_see():
    class Threshold(torch.nn.Module):  # a ReLU that is off over black, on above 0.25
        def forward(self, x):
            v = torch.relu(x[:, 0].mean((1, 2)) - 0.25) * 10
            return torch.stack([v, -v], 1)

    x, m = _creature_batch()
    x = x * m[:, None]  # creature only; background painted by the helper
    out = E.background_paths(Threshold(), x, m, 0.5, n_steps=50)
    assert out["gradient"].abs().max() < 1e-6  # off over black: no gradient
    assert (out["actual"] < -0.5).all()  # yet the log-odds fall
    assert torch.allclose(out["ig"], out["actual"], atol=0.05)  # IG crosses the threshold


def test_background_paths_from_another_start_is_first_order_on_a_straight_stretch():
    class Threshold(torch.nn.Module):  # the same ReLU: linear above 0.25, so the gradient is exact
        def forward(self, x):
            v = torch.relu(x[:, 0].mean((1, 2)) - 0.25) * 10
            return torch.stack([v, -v], 1)

    x, m = _creature_batch()
    x = x * m[:, None]
    out = E.background_paths(Threshold(), x, m, 0.9, n_steps=10, start=0.5)
    assert (out["actual"] < -0.5).all()
    assert torch.allclose(out["gradient"], out["actual"], atol=1e-4)  # no bend on this stretch


def test_background_paths_without_steps_leaves_ig_out_and_keeps_the_rest():
    class Threshold(torch.nn.Module):
        def forward(self, x):
            v = torch.relu(x[:, 0].mean((1, 2)) - 0.25) * 10
            return torch.stack([v, -v], 1)

    x, m = _creature_batch()
    x = x * m[:, None]
    full = E.background_paths(Threshold(), x, m, 0.9, n_steps=10, start=0.5)
    bare = E.background_paths(Threshold(), x, m, 0.9, n_steps=0, start=0.5)
    assert "ig" in full and "ig" not in bare
    for k in ("gradient", "actual"):
        assert torch.allclose(full[k], bare[k], atol=1e-6), k


def test_rule_agreement_recovers_the_agreement_where_the_rule_is_right():
    rule = torch.tensor([1, 1, 0, 0, 1, 0, 1, 0, 1, 0])
    label = torch.tensor([0, 1, 0, 0, 1, 1, 1, 0, 1, 0])  # rule wrong on images 0 and 5
    pred = torch.tensor([1, 1, 0, 1, 1, 1, 0, 0, 1, 0])
    conflict = rule != label
    row = {
        "rule_conflict_m": (pred == rule)[conflict].float().mean().item(),
        "acc_m": (pred == label).float().mean().item(),
    }
    wrong, right = E.rule_agreement(row, "m", 10, int(conflict.sum()))
    assert wrong == pytest.approx(0.5)
    assert right == pytest.approx((pred == rule)[~conflict].float().mean().item())
    with pytest.raises(ValueError):
        E.rule_agreement(row, "m", 10, 0)


# --------------------------------------------------------------------------- attention tests


def test_kendall_tau_fast_matches_scipy_and_the_null_is_centred():
    from scipy.stats import kendalltau

    rng = np.random.default_rng(0)
    for _ in range(20):
        a, b = rng.integers(0, 4, 9).astype(float), rng.normal(size=9)
        assert abs(E.kendall_tau_fast(a, b) - kendalltau(a, b).statistic) < 1e-12
        assert abs(E.kendall_tau(a, b) - E.kendall_tau_fast(a, b)) < 1e-12
    tau, null = E.rank_agreement(np.arange(10.0)[None], np.arange(10.0)[None], [10], n_null=300)
    assert tau[0] == 1.0 and abs(null.mean()) < 0.1
    tau, _ = E.rank_agreement(np.array([[1.0, 2, 3, 9]]), np.array([[3.0, 2, 1, -5]]), [3])
    assert tau[0] == -1.0  # only the first 3 tokens count
    assert abs(E.random_rank_tau(np.arange(12), np.arange(12), 400, seed=1).mean()) < 0.05
    with pytest.raises(ValueError):
        E.rank_agreement(np.zeros((2, 3)), np.zeros((2, 4)), [3, 3])


def test_position_and_uniform_weights():
    mask = torch.tensor([[True, True, True, False], [True, False, False, False]])
    pos = E.position_scores(mask)
    assert torch.allclose(pos[0], torch.tensor([1.0, 0.5, 1 / 3, 0.0])) and pos[1, 1:].eq(0).all()
    uni = E.uniform_weights(mask)
    assert torch.allclose(uni.sum(1), torch.ones(2)) and torch.allclose(
        uni[0, :3], torch.full((3,), 1 / 3)
    )
    with pytest.raises(ValueError):
        E.uniform_weights(mask.float())


def test_jsd_and_tvd_bounds_and_known_values():
    p = torch.tensor([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0], [0.2, 0.3, 0.5]])
    q = torch.tensor([[0.0, 1.0, 0.0], [0.5, 0.5, 0.0], [0.5, 0.3, 0.2]])
    d, t = E.jsd(p, q), E.tvd(p, q)
    assert abs(d[0].item() - math.log(2)) < 1e-6 and d[1].item() == 0.0 and 0 < d[2] < math.log(2)
    assert torch.allclose(t, torch.tensor([1.0, 0.0, 0.3]))
    assert torch.allclose(E.jsd(p, q), E.jsd(q, p))  # symmetric
    with pytest.raises(ValueError):
        E.tvd(p, q[:, :2])


def test_permuted_weights_only_reorder_the_real_tokens():
    w = torch.tensor([[0.6, 0.3, 0.1, 0.0], [1.0, 0.0, 0.0, 0.0]])
    mask = w > 0
    votes = torch.tensor([[1.0, 2.0, 3.0, 100.0], [5.0, 7.0, 7.0, 7.0]])
    out, ws = E.permuted_weights(
        lambda a: (a * votes).sum(1), w, mask, 6, seed=2, return_weights=True
    )
    for s in ws:
        assert torch.allclose(s.sort(1).values, w.sort(1).values) and s[:, 3].eq(0).all()
    assert torch.allclose(out[1], torch.full((6,), 5.0))  # one token: nothing to shuffle
    assert out[0].max() <= 3.0 and len(set(out[0].tolist())) > 1  # padding's vote never enters
    with pytest.raises(ValueError):
        E.permuted_weights(lambda a: a.sum(1), w, torch.zeros_like(mask), 2)


def test_adversarial_weights_move_far_only_where_the_output_allows():
    w = torch.tensor([[0.9, 0.05, 0.05], [0.9, 0.05, 0.05]])
    mask = torch.ones_like(w, dtype=torch.bool)
    votes = torch.tensor([[1.0, 1.0, 1.0], [10.0, -10.0, -10.0]])  # free / pinned by the output
    forward = lambda a: (a * votes).sum(1)  # noqa: E731
    adv, d = E.adversarial_weights(forward, w, mask, tolerance=0.1, steps=300, seed=0)
    assert torch.allclose(adv.sum(1), torch.ones(2), atol=1e-5)
    assert ((forward(adv) - forward(w)).abs() <= 0.1 + 1e-5).all()  # enforced, not only penalised
    assert d[0] > 0.4 and d[1] < 0.05 and torch.allclose(d, E.jsd(adv, w))
    # a short search ends past the tolerance; the pull-back brings it inside
    adv, d = E.adversarial_weights(forward, w, mask, tolerance=0.01, steps=3, lr=1.0, seed=0)
    assert ((forward(adv) - forward(w)).abs() <= 0.01 + 1e-5).all()


class _CornerNet(nn.Module):
    """Reads only the top-left pixel: dark -> pokemon (class 1). The leak in its purest form."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.tensor(10.0))

    def forward(self, x):
        c = x[:, :, 0, 0].mean(1) - 0.5
        return torch.stack([c, -c], 1) * self.w + 0 * x.sum((1, 2, 3))[:, None]


def test_measure_monsters_sees_a_corner_reader_follow_the_rule_and_the_swaps(tmp_path):
    root = M.make_monsters(
        tmp_path / "m", n_per_class=12, seed=3, test_fraction=0.5, digimon_png_fraction=0.5
    )
    test, test_fixed = M.load_split(root, "test"), M.load_split(root, "test", fixed=True)
    corner = _CornerNet()
    num = E.measure_monsters(
        corner, models.MonsterCNN(), models.untrained_monster_cnn(0), test, test_fixed
    )
    assert num["rule_conflict_leaky"] == 1.0  # it *is* the rule
    assert num["digimon_on_black_leaky"] == 1.0 and num["pokemon_on_white_leaky"] == 0.0
    edits = {e for family in M.EDIT_FAMILIES.values() for e in family}
    assert {k for k in num if k.startswith("flip_pokemon_")} == {f"flip_pokemon_{e}" for e in edits}
    assert all(isinstance(v, float) for v in num.values())


def test_logit_margin_matches_the_logits():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 5))
    x = torch.randn(6, 1, 2, 2)
    t = [0, 1, 2, 3, 4, 0]
    logit, margin = E.logit_margin(model, x, t)
    with torch.no_grad():
        y = model(x)
    for i, k in enumerate(t):
        others = torch.cat([y[i, :k], y[i, k + 1 :]])
        assert logit[i].item() == pytest.approx(y[i, k].item(), abs=1e-6)
        assert margin[i].item() == pytest.approx((y[i, k] - others.max()).item(), abs=1e-6)
    # the margin is positive exactly where the target is the predicted class
    assert ((margin > 0) == (y.argmax(1) == torch.tensor(t))).all()
    with pytest.raises(ValueError, match="out of range"):
        E.logit_margin(model, x, 5)
    with pytest.raises(ValueError, match="at least 2 classes"):
        E.logit_margin(nn.Sequential(nn.Flatten(), nn.Linear(4, 1)), x, 0)


def test_blur_at_equal_ink_keeps_ink_and_spreads_it():
    g = torch.Generator().manual_seed(0)
    x = (torch.rand(3, 1, 12, 12, generator=g) > 0.8).float() * 0.9
    b = E.blur_at_equal_ink(x)
    assert torch.allclose(b.flatten(1).sum(1), x.flatten(1).sum(1), rtol=1e-4)
    assert (b.flatten(1).max(1).values < x.flatten(1).max(1).values).all()  # spread out
    assert torch.equal(E.blur_at_equal_ink(x, times=0), x)
    # a blur brings a scattered image closer to its own smooth version
    assert E.nearest_distance(b, b)[0] < 1e-6 < E.nearest_distance(x[:1], b[:1])[0]
    with pytest.raises(ValueError):
        E.blur_at_equal_ink(x, times=-1)


def test_nearest_distance():
    ref = torch.rand(20, 1, 3, 3, generator=torch.Generator().manual_seed(1))
    d = E.nearest_distance(ref[:5], ref)
    assert torch.allclose(d, torch.zeros(5), atol=1e-3)  # each image is its own nearest
    x = torch.rand(4, 1, 3, 3, generator=torch.Generator().manual_seed(2))
    brute = torch.stack([(ref - xi).flatten(1).norm(dim=1).min() for xi in x])
    assert torch.allclose(E.nearest_distance(x, ref, batch_size=3), brute, atol=1e-4)
    with pytest.raises(ValueError, match="one shape"):
        E.nearest_distance(x, torch.rand(3, 1, 2, 2))
    with pytest.raises(ValueError, match="empty batch"):
        E.nearest_distance(x, torch.rand(0, 1, 3, 3))


def test_balanced_pick():
    labels = torch.tensor([0] * 10 + [1] * 3 + [2] * 50)
    idx = E.balanced_pick(labels, 3, seed=4)
    assert torch.bincount(labels[idx]).tolist() == [3, 3, 3] and len(set(idx.tolist())) == 9
    assert not torch.equal(idx, E.balanced_pick(labels, 3, seed=5))
    keep = labels != 2
    keep[20] = True
    with pytest.raises(ValueError, match="class 2 has 1 eligible"):
        E.balanced_pick(labels, 2, keep=keep)
    assert E.balanced_pick(labels, 1, keep=keep).tolist()[2] == 20
    with pytest.raises(TypeError, match="class indices"):
        E.balanced_pick(torch.rand(5), 1)


def _grating(theta_deg: float, size: int = 33, period: float = 5.0) -> torch.Tensor:
    """Stripes at theta degrees (0 = horizontal, clockwise on screen: rows grow downwards)."""
    r, c = torch.meshgrid(torch.arange(float(size)), torch.arange(float(size)), indexing="ij")
    t = math.radians(theta_deg)
    return (0.5 + 0.5 * torch.cos(2 * math.pi * (r * math.cos(t) - c * math.sin(t)) / period))[None]


def test_stroke_orientation_recovers_grating_angles():
    angles = [0.0, 20.0, 45.0, 90.0, 135.0, 170.0]
    x = torch.stack([_grating(a) for a in angles])
    got, coherence = E.stroke_orientation(x)
    assert (E.angle_difference(got, torch.tensor(angles)) <= 5).all(), got
    assert (coherence > 0.5).all()  # forward differences blur oblique stripes a little
    # a down-right diagonal line (row = col) is at 45°, clockwise on screen
    r, c = torch.meshgrid(torch.arange(15.0), torch.arange(15.0), indexing="ij")
    diag = torch.exp(-((r - c) ** 2) / 4)[None, None]  # a soft line along row = col
    assert E.angle_difference(E.stroke_orientation(diag)[0], torch.tensor([45.0])).item() < 5


def test_stroke_orientation_pools_groups_and_sees_no_direction_in_a_blob():
    groups = torch.stack([torch.stack([_grating(30.0), _grating(30.0, period=7.0)])])
    angle, _ = E.stroke_orientation(groups)
    assert E.angle_difference(angle, torch.tensor([30.0])).item() < 5
    r, c = torch.meshgrid(torch.arange(21.0), torch.arange(21.0), indexing="ij")
    blob = torch.exp(-((r - 10) ** 2 + (c - 10) ** 2) / 18)[None, None]
    assert E.stroke_orientation(blob)[1].item() < 0.05
    with pytest.raises(ValueError, match="grey images"):
        E.stroke_orientation(torch.rand(2, 3, 8, 8))


def test_stroke_orientation_sees_no_direction_in_pixel_noise():
    # forward differences sharing a pixel give E[g_x g_y] = σ² > 0: every noise image then reads
    # as 135° with coherence 0.5; co-located central differences are uncorrelated on noise
    noise = torch.rand(400, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    angle, coherence = E.stroke_orientation(noise)
    assert coherence.median().item() < 0.15, coherence.median()
    near = [
        (E.angle_difference(angle, torch.full_like(angle, t)) < 22.5).float().mean().item()
        for t in (45.0, 135.0)
    ]
    # no diagonal favoured over its mirror image (the shared-pixel estimator puts all at 135°)
    assert near[1] < 0.45 and abs(near[1] - near[0]) < 0.1, near
    pooled_angle, pooled = E.stroke_orientation(noise.view(8, 50, 1, 28, 28))
    assert pooled.max().item() < 0.05  # 50 images pooled: no direction left at all


def test_shuffled_match_null_is_beaten_by_a_true_match_only():
    g = torch.Generator().manual_seed(0)
    a = torch.rand(20, generator=g) * 180
    matched = (a + torch.randn(20, generator=g) * 3) % 180
    null = E.shuffled_match_null(a, matched, n_shuffles=300, seed=1)
    assert E.angle_difference(a, matched).median() < null.quantile(0.05)
    unrelated = torch.rand(20, generator=g) * 180
    assert E.angle_difference(a, unrelated).median() > null.quantile(0.05)


def test_pixel_judges_read_digits_and_judge_gains_is_paired(mnist):
    lin = E.pixel_linear_judge(mnist.X_train[:800], mnist.y_train[:800])
    forest = E.pixel_forest_judge(mnist.X_train[:800], mnist.y_train[:800], n_trees=20, seed=3)
    for j in (lin, forest):
        assert E.judge_agreement(j, mnist.X_test[:200], mnist.y_test[:200])[0] > 0.8
    x, y = mnist.X_test[:40], mnist.y_test[:40].tolist()
    gains = E.judge_gains({"lin": lin}, torch.zeros_like(x), x, y)
    before, after, est = gains["lin"]
    assert after > before and est.low > 0
    assert est.value == pytest.approx(after - before, abs=1e-6)
    with pytest.raises(ValueError, match="same images"):
        E.judge_gains({"lin": lin}, x[:3], x, y)


def test_pixel_mlp_judge_reads_digits_not_shuffled_labels(mnist):
    mlp = E.pixel_mlp_judge(mnist.X_train[:1000], mnist.y_train[:1000], seed=1)
    assert E.judge_agreement(mlp, mnist.X_test[:200], mnist.y_test[:200])[0] > 0.8
    perm = torch.randperm(1000, generator=torch.Generator().manual_seed(0))
    shuffled = E.pixel_mlp_judge(mnist.X_train[:1000], mnist.y_train[:1000][perm], seed=1)
    assert E.judge_agreement(shuffled, mnist.X_test[:200], mnist.y_test[:200])[0] < 0.3
    with pytest.raises(ValueError):
        E.pixel_mlp_judge(mnist.X_train[:10], mnist.y_train[:10], hidden=0)


def test_agreement_table_rows_may_bring_their_own_targets(mnist):
    lin = E.pixel_linear_judge(mnist.X_train[:500], mnist.y_train[:500])
    x = mnist.X_test[:30]
    table, _ = E.agreement_table(
        {"own": (x, mnist.y_test[:30]), "wrong": x}, {"lin": lin}, [0] * 30
    )
    assert table["own"]["lin"] > 0.7 and table["wrong"]["lin"] < 0.4


def test_input_and_edge_maps_are_model_free_nulls():
    from xai_helpers.evaluation import edge_map, input_map

    x = torch.zeros(2, 3, 6, 6)
    x[:, 1, :, 3:] = 1.0  # a vertical edge in the green channel
    assert torch.equal(input_map(x), x[:, 1])
    e = edge_map(x)
    assert e.shape == (2, 6, 6)
    assert (e[:, :, 2:4] == 4.0).all() and (e[:, :, [0, 1, 4, 5]] == 0).all()
    flat = edge_map(torch.full((1, 1, 5, 5), 0.3))  # no edge anywhere
    assert torch.allclose(flat, torch.zeros(1, 5, 5), atol=1e-6)
    with pytest.raises(ValueError):
        edge_map(torch.zeros(6, 6))


def test_shuffled_weights_copy_keeps_sums_and_norms_but_not_the_model(mnist_cnn, mnist):
    shuf = E.shuffled_weights_copy(mnist_cnn, seed=3)
    for name in ("conv1", "conv2", "fc1", "fc2"):
        w, v = getattr(mnist_cnn, name).weight, getattr(shuf, name).weight
        dims = (2, 3) if w.dim() == 4 else (1,)
        assert torch.allclose(w.sum(dims), v.sum(dims), atol=1e-5)
        assert torch.allclose(w.norm(dim=dims[-1]).norm(dim=-1), v.norm(dim=dims[-1]).norm(dim=-1))
        assert not torch.equal(w, v)
        assert torch.equal(getattr(mnist_cnn, name).bias, getattr(shuf, name).bias)
    same = E.shuffled_weights_copy(mnist_cnn, seed=3)
    assert torch.equal(same.fc1.weight, shuf.fc1.weight)
    assert not torch.equal(E.shuffled_weights_copy(mnist_cnn, seed=4).fc1.weight, shuf.fc1.weight)
    # the learned arrangement is gone: a network that learned nothing
    assert models.accuracy(shuf, mnist.X_test[:300], mnist.y_test[:300]) < 0.3
    with pytest.raises((ValueError, TypeError)):
        E.shuffled_weights_copy(mnist_cnn, seed=-1)


def test_once_per_model_explains_each_model_once_and_keeps_models_apart(mnist_cnn, digits):
    x, y = digits
    x, y = x[:3], y[:3]
    calls = []

    def explain(m, xx, t):
        calls.append(m)
        return A.saliency(m, xx, t)

    once = E.once_per_model(explain)
    first = once(mnist_cnn, x, y)
    assert torch.equal(once(mnist_cnn, x.clone(), y.clone()), first) and len(calls) == 1
    other = E.untrained_copy(mnist_cnn, seed=1)
    assert not torch.equal(once(other, x, y), first) and len(calls) == 2
    once(mnist_cnn, x[:2], y[:2])  # other inputs: explained anew
    assert len(calls) == 3
    rhos = E.randomization_check(mnist_cnn, x, y, once, seed=0)
    assert rhos["trained"] == 1.0 and len(calls) == 3 + 4  # the trained model is not re-explained
    with pytest.raises(TypeError):
        E.once_per_model(None)


def test_cross_fitted_logistic_learns_a_rule_and_predicts_only_held_out_images():
    """A separable feature is learned fold by fold; a feature of pure noise scores near chance
    (each image predicted by a model that never saw it); bad input raises."""
    from xai_helpers.evaluation import cross_fitted_logistic

    g = torch.Generator().manual_seed(0)
    y = (torch.rand(200, generator=g) < 0.5).long()
    f = torch.stack([y + 0.3 * torch.randn(200, generator=g), torch.randn(200, generator=g)], 1)
    assert (cross_fitted_logistic(f, y, 5, 1) == y).float().mean() > 0.9
    noise = torch.randn(200, 2, generator=g)
    acc = (cross_fitted_logistic(noise, y, 5, 1) == y).float().mean()
    assert 0.3 < acc < 0.7, acc
    with pytest.raises(ValueError):
        cross_fitted_logistic(f[:, 0], y)
    with pytest.raises(ValueError):
        cross_fitted_logistic(f, y[:10])


def test_blurred_input_equals_torchvision_gaussian_blur_and_checks_its_input():
    from torchvision.transforms.functional import gaussian_blur

    x = torch.rand(3, 2, 28, 28, generator=torch.Generator().manual_seed(0))
    for k, s in ((5, 1.5), (9, 2.5)):
        # tolerance: the same separable float32 convolution, summed in another order
        torch.testing.assert_close(E.blurred_input(x, s, k), gaussian_blur(x, k, s).sum(1))
    torch.testing.assert_close(E.blurred_input(x, 1.0), gaussian_blur(x, 5, 1.0).sum(1))
    with pytest.raises(ValueError, match="odd"):
        E.blurred_input(x, 1.0, kernel_size=4)
    with pytest.raises(ValueError, match="sigma"):
        E.blurred_input(x, 0.0)


def test_background_path_curve_matches_background_paths():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(3, 3, 48, 48, generator=g)
    m = torch.zeros(3, 48, 48, dtype=torch.bool)
    m[:, 12:36, 12:36] = True
    net = models.untrained_monster_cnn(0)
    curve = E.background_path_curve(net, x, m, [0.2, 0.5])
    for i, v in enumerate((0.2, 0.5)):
        one = E.background_paths(net, x, m, v, n_steps=0)
        for k in ("gradient", "actual"):
            assert torch.allclose(curve[k][i], one[k], rtol=1e-4, atol=1e-5), (k, v)


def test_background_path_curve_from_white_is_the_tangent_at_white():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(2, 3, 48, 48, generator=g)
    m = torch.zeros(2, 48, 48, dtype=torch.bool)
    m[:, 12:36, 12:36] = True
    net = models.untrained_monster_cnn(0)
    curve = E.background_path_curve(net, x, m, [0.5, 1.0], start=1.0)
    assert torch.allclose(curve["actual"][1], torch.zeros(2), atol=1e-5)  # white to white
    assert torch.allclose(curve["gradient"][1], torch.zeros(2), atol=1e-5)
    f = E.LogOdds(net).eval()
    with torch.no_grad():
        change = f(E.on_grey(x, m, 0.5))[:, 0] - f(E.on_grey(x, m, 1.0))[:, 0]
    assert torch.allclose(curve["actual"][0], change, rtol=1e-4, atol=1e-5)


def test_shuffled_factor_keeps_x_and_the_factors_on_the_ink():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(3, 1, 8, 8, generator=g) * (torch.rand(3, 1, 8, 8, generator=g) > 0.5)
    factor = torch.rand(3, 8, 8, generator=g) + 0.1
    null = E.shuffled_factor(factor * x[:, 0], x, seed=1)
    ink = x[:, 0] > 0
    assert bool((null[~ink] == 0).all())
    for i in range(3):  # the same factors, at other places on the ink
        got = (null[i][ink[i]] / x[i, 0][ink[i]]).sort().values
        torch.testing.assert_close(got, factor[i][ink[i]].sort().values)
    assert not torch.allclose(null, factor * x[:, 0])
    torch.testing.assert_close(null, E.shuffled_factor(factor * x[:, 0], x, seed=1))


def test_shuffled_factor_rejects_bad_input():
    with pytest.raises(ValueError):
        E.shuffled_factor(torch.zeros(2, 4, 4), -torch.ones(2, 1, 4, 4))
    with pytest.raises(ValueError):
        E.shuffled_factor(torch.zeros(2, 5, 4), torch.ones(2, 1, 4, 4))


def test_perturbed_images_are_the_images_the_curves_score():
    torch.manual_seed(0)
    model = models.MnistCNN().eval()
    x, maps = torch.rand(3, 1, 28, 28), torch.rand(3, 28, 28).round(decimals=1)  # many ties
    canvas = torch.rand(3, 1, 28, 28)  # a fill image, like Petsiuk et al.'s blurred copy
    for kind, curve in [("deletion", E.deletion_curve), ("insertion", E.insertion_curve)]:
        c = curve(model, x, [1, 2, 3], maps, steps=4, fill=canvas, seed=5)
        imgs = E.perturbed_images(x, maps, c.fractions.tolist(), fill=canvas, kind=kind, seed=5)
        with torch.no_grad():
            p = model(imgs.flatten(0, 1)).softmax(1).view(3, 5, -1)
        want = p[torch.arange(3), :, torch.tensor([1, 2, 3])]
        torch.testing.assert_close(want, c.probs, atol=1e-5, rtol=0)
    first = E.perturbed_images(x, maps, [0.0, 1.0], fill=canvas, kind="insertion")
    assert torch.equal(first[:, 0], canvas) and torch.equal(first[:, 1], x)


def test_perturbed_images_refuses_bad_input():
    x = torch.rand(1, 1, 4, 4)
    with pytest.raises(ValueError, match="kind"):
        E.perturbed_images(x, torch.rand(1, 4, 4), [0.5], kind="both")
    with pytest.raises(ValueError, match="fractions"):
        E.perturbed_images(x, torch.rand(1, 4, 4), [1.5])
    with pytest.raises(ValueError, match="fill image"):
        E.perturbed_images(x, torch.rand(1, 4, 4), [0.5], fill=torch.rand(1, 1, 3, 3))


def test_null_range_takes_the_lowest_and_highest_leaf_by_leaf():
    rows = [{"d": {"a": 0.1, "b": 0.5}}, {"d": {"a": 0.3, "b": -0.2}}, {"d": {"a": 0.2, "b": 0.0}}]
    low, high = E.null_range(rows)
    assert low == {"d": {"a": 0.1, "b": -0.2}} and high == {"d": {"a": 0.3, "b": 0.5}}
    assert E.null_range([{"x": 1}]) == ({"x": 1.0}, {"x": 1.0})
    with pytest.raises(ValueError):
        E.null_range([])
    with pytest.raises(ValueError, match="key"):
        E.null_range([{"x": 1}, {"y": 2}])
    with pytest.raises(TypeError):
        E.null_range([0.1, 0.2])


def test_shifted_mask_and_copies_make_a_matched_grid():
    m = torch.zeros(10, 10, dtype=torch.bool)
    m[4:6, 4:6] = True
    assert E.shifted_mask(m, -4, 0)[0:2, 4:6].all()
    assert E.shifted_mask(m, 0, 9).sum() == 0  # moved out of the image
    copies, shifts = E.shifted_copies(m, rows=(-6, 6), cols=(-6, 6), step=3)
    assert not ((shifts == 0).all(1)).any()  # the mask itself is left out
    assert (copies.flatten(1).sum(1) >= 3).all()  # at least 3/4 of its 4 pixels inside
    assert all(torch.equal(c, E.shifted_mask(m, *s)) for c, s in zip(copies, shifts.tolist()))


def test_filled_logits_and_group_log_odds():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 4))
    x, masks = torch.rand(1, 1, 4, 4), torch.zeros(3, 4, 4, dtype=torch.bool)
    masks[1, :2], masks[2] = True, True
    z = E.filled_logits(net, x, masks, 0.5, batch_size=2)
    with torch.no_grad():
        assert torch.allclose(z[0], net(x)[0]) and torch.allclose(
            z[2], net(torch.full_like(x, 0.5))[0]
        )
    p = z.double().softmax(1)[:, [0, 2]].sum(1)
    assert torch.allclose(E.group_log_odds(z, [0, 2]), torch.log(p / (1 - p)))
    with pytest.raises(ValueError):
        E.group_log_odds(z, [0, 1, 2, 3])
    with pytest.raises(ValueError):
        E.filled_logits(net, x.repeat(2, 1, 1, 1), masks, 0.5)


def test_blob_null_is_top_k_deletion_of_ink_blobs():
    model, x = models.MnistCNN().eval(), torch.rand(2, 1, 28, 28)
    mask = x[:, 0] > 0.5
    null = E.blob_null(model, x, [1, 2], mask, k=10, n_draws=3, seed=4)
    blobs = E.ink_blobs(mask, 10, 3, seed=4)
    expected = [E.top_k_deletion(model, x, [1, 2], b, 10, of="log-odds") for b in blobs]
    assert torch.allclose(null, torch.stack(expected))
    blurred = torch.nn.functional.avg_pool2d(x, 3, stride=1, padding=1)
    null_b = E.blob_null(model, x, [1, 2], mask, k=10, n_draws=3, seed=4, fill=blurred)
    expected_b = [E.top_k_deletion(model, x, [1, 2], b, 10, blurred, of="log-odds") for b in blobs]
    assert torch.allclose(null_b, torch.stack(expected_b))
    assert not torch.allclose(null_b, null)  # the removal changes the null


def test_ink_matched_keeps_the_brightest_pixels_at_the_other_images_ink():
    ref = torch.rand(3, 1, 6, 6, generator=torch.Generator().manual_seed(0))
    x = torch.rand(3, 1, 6, 6, generator=torch.Generator().manual_seed(1)) * 0.5
    out = E.ink_matched(ref, x)
    assert out.shape == ref.shape and set(out.unique().tolist()) <= {0.0, 1.0}
    assert torch.equal(out.flatten(1).sum(1), x.flatten(1).sum(1).round())
    for r, o in zip(
        ref.flatten(1), out.flatten(1)
    ):  # every kept pixel is brighter than any cut one
        assert r[o == 1].min() > r[o == 0].max()
    with pytest.raises(ValueError):
        E.ink_matched(ref, x[:2])


def test_ink_matched_breaks_ties_at_random_not_by_pixel_order():
    ref = torch.ones(1, 1, 10, 10)  # every pixel tied
    x = torch.full((1, 1, 10, 10), 0.2)  # ink 20
    cuts = [E.ink_matched(ref, x, seed=s).flatten() for s in range(20)]
    assert all(c.sum() == 20 for c in cuts)
    assert not torch.equal(cuts[0], cuts[1]), "another seed, another tie order"
    top_rows = torch.stack(cuts)[:, :20].mean().item()  # pixel order would give 1.0
    assert 0.05 < top_rows < 0.4, top_rows
    assert torch.equal(E.ink_matched(ref, x, seed=3), E.ink_matched(ref, x, seed=3))


def test_gains_table_says_whether_the_interval_excludes_zero():
    from xai_helpers.stats import Estimate

    text = E.gains_table(
        {"a": (0.1, 0.3, Estimate(0.2, 0.1, 0.3)), "b": (0.1, 0.1, Estimate(0.0, -0.1, 0.1))}
    )
    lines = text.splitlines()
    assert lines[0].endswith("a change") and lines[1].endswith("no measurable change")


def test_class_spread_is_zero_for_an_even_reader_and_large_for_a_skewed_one():
    even = E.class_spread(torch.arange(10).repeat(50), seed=0)
    assert even.smallest == pytest.approx(0.1) == even.largest and even.spread.value == 0.0
    skew = E.class_spread(torch.tensor([0] * 400 + list(range(10)) * 10), seed=0)
    assert skew.largest > 0.8 and skew.spread.low > 0.7
    assert str(skew).startswith(f"{skew.smallest:.2f}-{skew.largest:.2f} (spread [")
    with pytest.raises(ValueError):
        E.class_spread(torch.tensor([0, 11]))


def test_density_by_class_is_one_for_a_uniform_map():
    m = torch.zeros(4, 6, 6, dtype=torch.bool)
    m[:, 2:4, 2:4] = True
    d = E.density_by_class(torch.ones(4, 6, 6), m, torch.tensor([0, 0, 1, 1]))
    assert d == {0: 1.0, 1: 1.0}


def test_split_ratio_prefers_the_denser_part():
    maps = torch.ones(2, 4, 4)
    maps[:, :2] = 3.0
    upper = (torch.arange(4) < 2)[:, None].expand(4, 4)
    r = E.split_ratio(maps, torch.ones(2, 4, 4, dtype=torch.bool), upper)
    assert torch.allclose(r, torch.tensor([3.0, 3.0]))


def test_paint_regions_partition_the_frame():
    r = E.paint_regions((2, 4), size=12)
    assert torch.equal(r["upper half"] ^ r["lower half"], torch.ones(12, 12, dtype=torch.bool))
    assert not (r["frame 2-px"] & r["inside 2-px"]).any()
    assert int(r["inside 4-px"].sum()) == 16


def test_brightness_reader_fit_catches_a_brightness_model_and_not_its_opposite():
    b = torch.rand(6, 20, generator=torch.Generator().manual_seed(1))
    shares = (b > 0.4).float().mean(1)  # a reader with threshold 0.4
    gap, t = E.brightness_reader_fit(shares, b)
    assert gap < 1e-6 and abs(t - 0.4) < 0.051
    assert E.brightness_reader_fit(1 - shares, b)[0] > 0.1


def test_simple_map_nulls_shapes_and_brightness():
    img = np.zeros((16, 16, 3))
    img[:, 8:] = 1.0
    nulls = E.simple_map_nulls(torch.rand(16, 16), img)
    assert all(m.shape == (16, 16) for m in nulls.values())
    assert torch.equal(nulls["the photo itself (null)"][:, 8:], torch.ones(16, 8))
    centre = nulls["centre (null)"]
    assert centre[7:9, 7:9].min() == centre.max()
    with pytest.raises(ValueError):
        E.simple_map_nulls(torch.rand(16, 16), np.zeros((8, 8, 3)))


def test_scaled_ellipse_grows_with_scale_and_stays_centred():
    m = torch.zeros(40, 40, dtype=torch.bool)
    m[10:30, 15:25] = True
    areas = [int(E.scaled_ellipse(m, s).sum()) for s in (0.7, 1.0, 1.3)]
    assert areas[0] < areas[1] < areas[2]
    assert E.scaled_ellipse(m, 1.0)[20, 20] and not E.scaled_ellipse(m, 1.0)[0, 0]
    with pytest.raises(ValueError):
        E.scaled_ellipse(torch.zeros(4, 4, dtype=torch.bool), 1.0)


def test_completeness_ratio_is_one_for_a_linear_logit_and_small_when_saturated():
    lin = nn.Sequential(nn.Flatten(), nn.Linear(4, 3))
    x = torch.rand(5, 1, 2, 2)
    assert E.completeness_ratio(lin, x, 1, of="score") == pytest.approx(1.0, abs=1e-5)
    with torch.no_grad():
        lin[1].weight.mul_(200.0)  # a saturated softmax: p flat at x
    assert abs(E.completeness_ratio(lin, x + 1.0, int(lin(x + 1.0).argmax(1)[0]))) < 0.5


def test_curves_by_setting_and_auc_table_agree_with_the_single_curves():
    model = models.MnistCNN().eval()
    x, maps = torch.rand(3, 1, 28, 28), {"a": torch.rand(3, 28, 28), "b": torch.rand(3, 28, 28)}
    keep = lambda n, k, f: n == "a" or k == "deletion"
    cs = E.curves_by_setting(
        model,
        x,
        0,
        maps,
        [("deletion", "black"), ("insertion", "grey")],
        steps=4,
        seed=1,
        keep=keep,
    )
    assert list(cs["insertion", "grey"]) == ["a"]
    one = E.deletion_curve(model, x, 0, maps["b"], steps=4, fill="black", seed=1)
    torch.testing.assert_close(cs["deletion", "black"]["b"].probs, one.probs)
    table = E.auc_table(cs)
    assert table.splitlines()[2].startswith("b") and "—" in table.splitlines()[2]


def test_randomization_runs_matches_randomization_check_and_derives_maps():
    model, x = models.MnistCNN().eval(), torch.rand(2, 1, 28, 28)
    masks = {"all": None, "ink": x[:, 0] > 0.5}
    kept, runs, means = E.randomization_runs(
        model, x, 0, {"s": A.saliency}, (0, 3), masks, derived={"-s": ("s", torch.neg)}
    )
    direct = E.randomization_check(model, x, 0, A.saliency, seed=3, masks=masks)
    assert runs["ink"]["s"][1] == pytest.approx(direct["ink"])
    assert torch.equal(kept["-s", 0]["fc2"], -kept["s", 0]["fc2"])
    assert means["all"]["s"]["fc1"] == pytest.approx(sum(r["fc1"] for r in runs["all"]["s"]) / 2)


def test_creature_sized_band_matches_the_creature_in_area_and_avoids_it():
    masks = torch.zeros(3, 12, 12, dtype=torch.bool)
    masks[:, 4:9, 3:8] = True  # 25 pixels each
    for side in ("top", "bottom"):
        band = E.creature_sized_band(masks, side, seed=1)
        assert band.sum((1, 2)).tolist() == [25, 25, 25] and not (band & masks).any()
    top, bottom = E.creature_sized_band(masks, "top"), E.creature_sized_band(masks, "bottom")
    assert top[:, :2].all() and not top[:, 3:].any() and bottom[:, -2:].all()
    with pytest.raises(ValueError):
        E.creature_sized_band(masks, "left")


def test_within_class_distance_falls_for_near_duplicates():
    from xai_helpers.evaluation import within_class_distance

    g = torch.Generator().manual_seed(0)
    varied = torch.rand(12, 1, 6, 6, generator=g)
    template = torch.rand(1, 1, 6, 6, generator=g)
    collapsed = template + 0.01 * torch.rand(12, 1, 6, 6, generator=g)
    labels = torch.arange(12) % 2
    assert within_class_distance(collapsed, labels) < 0.1 * within_class_distance(varied, labels)
    # each class weighs the same, whatever its size
    x = torch.cat([torch.zeros(2, 1, 1, 1), torch.tensor([0.0, 2.0, 2.0, 2.0]).view(4, 1, 1, 1)])
    lab = torch.tensor([0, 0, 1, 1, 1, 1])
    assert within_class_distance(x, lab) == pytest.approx((0.0 + 1.0) / 2)
    with pytest.raises(ValueError):
        within_class_distance(varied[:3], torch.arange(3))


def test_group_drop_margin_compares_the_region_with_its_worst_copy():
    clean = torch.randn(1, 6, dtype=torch.float64)
    filled = clean.repeat(4, 1)
    filled[0, 0] -= 5.0  # the region lowers class 0 by 5
    filled[2, 0] -= 2.0  # the worst copy by 2
    filled[3, 1] -= 4.0  # a copy lowers class 1 only
    m = E.group_drop_margin(clean, filled, [[0], [1]])
    assert m.tolist() == pytest.approx([3.0, -4.0])
    pair = E.group_drop_margin(clean, filled, torch.tensor([[0, 1]]))
    drops = clean[:, :2].logsumexp(1) - filled[:, :2].logsumexp(1)  # the pair's raw logit, by hand
    assert pair.item() == pytest.approx((drops[0] - drops[1:].max()).item())
    with pytest.raises(ValueError):
        E.group_drop_margin(clean, filled[:1], [[0]])
    with pytest.raises(ValueError):
        E.group_drop_margin(clean, filled, [0, 1])


def test_top_fraction_share_matches_top_k_share_of_one_map():
    g = torch.Generator().manual_seed(0)
    m, mask = torch.rand(10, 10, generator=g), torch.rand(10, 10, generator=g) > 0.5
    expected = float(E.top_k_share(m[None], mask, k=10)[0])
    assert E.top_fraction_share(m, mask, 0.1) == pytest.approx(expected)
    assert E.top_fraction_share(m, mask, 1.0) == pytest.approx(float(mask.float().mean()))
    with pytest.raises(ValueError):
        E.top_fraction_share(m[None], mask, 0.1)
    with pytest.raises(ValueError):
        E.top_fraction_share(m, mask, 0.0)


def test_keep_only_in_settings_restricts_named_maps_only():
    keep = E.keep_only_in_settings(
        {"LRP": [("deletion", "black")], "grey, untrained": [("deletion", "grey")]}
    )
    assert keep("LRP composite", "deletion", "black")
    assert not keep("|LRP composite|", "insertion", "black")
    assert keep("IG grey, untrained", "deletion", "grey")
    assert not keep("IG grey, untrained", "deletion", "black")
    assert keep("random", "insertion", "canvas")
    x = torch.rand(2, 1, 28, 28)
    maps = {"LRP": torch.rand(2, 28, 28), "random": torch.rand(2, 28, 28)}
    settings = [("deletion", "black"), ("insertion", "grey")]
    c = E.curves_by_setting(models.MnistCNN(), x, 0, maps, settings, steps=2, keep=keep)
    assert list(c["deletion", "black"]) == ["LRP", "random"]
    assert list(c["insertion", "grey"]) == ["random"]
