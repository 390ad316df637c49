"""Tests of xai_helpers.activation_maximization: objectives, regularizers, AM, layer activations,
real patches."""

from __future__ import annotations

import copy

import pytest
import torch

from xai_helpers.activation_maximization import (
    L1,
    L2,
    Blur,
    Jitter,
    RandomRotate,
    RandomScale,
    TotalVariation,
    activation_maximization,
    class_objective,
    filter_objective,
    filter_scores,
    layer_activations,
    receptive_field,
    top_activating_patches,
)


def test_filter_objective_increases(mnist_cnn):
    res = activation_maximization(mnist_cnn, filter_objective("conv2", [0, 5, 9]), steps=30)
    assert res.images.shape == (3, 1, 28, 28)
    assert res.history.shape == (30, 3)
    assert (res.history[-1] > res.history[0]).all()


def test_class_objective_increases_with_regularizers(mnist_cnn):
    regs = [
        L1(0.05),
        L2(0.01),
        TotalVariation(0.01),
        Jitter(1),
        RandomScale(0.95, 1.05),
        RandomRotate(5),
        Blur(0.5),
    ]
    res = activation_maximization(mnist_cnn, class_objective([2, 7]), steps=40, regularizers=regs)
    first, last = res.history[:5].mean(0), res.history[-5:].mean(0)
    assert (last > first).all()


def test_images_stay_in_valid_range(mnist_cnn):
    res = activation_maximization(mnist_cnn, class_objective(3), steps=20, lr=0.5)
    assert res.images.min() >= 0.0 and res.images.max() <= 1.0
    res = activation_maximization(mnist_cnn, class_objective(3), steps=5, value_range=(-1.0, 2.0))
    assert res.images.min() >= -1.0 and res.images.max() <= 2.0


def test_filter_xstar_beats_every_test_image(mnist_cnn, mnist):
    """A filter's X* activates it more than any real test image does (on average over the map)."""
    channels = list(range(0, 32, 4))
    res = activation_maximization(mnist_cnn, filter_objective("conv2", channels), steps=60)
    with torch.no_grad():
        star = layer_activations(mnist_cnn, res.images, "conv2")[
            torch.arange(len(channels)), channels
        ].mean((1, 2))
        real = (
            layer_activations(mnist_cnn, mnist.X_test, "conv2")[:, channels]
            .mean((2, 3))
            .max(0)
            .values
        )
    assert (star > real).all(), (star, real)


def test_plain_class_xstar_fools_the_model(mnist_cnn):
    res = activation_maximization(mnist_cnn, class_objective(range(10)), steps=60)
    probs = mnist_cnn(res.images).softmax(1)
    assert (probs.argmax(1) == torch.arange(10)).all()


def test_l1_makes_images_sparser(mnist_cnn):
    plain = activation_maximization(mnist_cnn, class_objective(range(10)), steps=60).images
    sparse = activation_maximization(
        mnist_cnn, class_objective(range(10)), steps=60, regularizers=[L1(0.1)]
    ).images
    assert sparse.sum() < 0.5 * plain.sum()


def test_deterministic(mnist_cnn):
    regs = [Jitter(1), RandomRotate(5)]
    a = activation_maximization(
        mnist_cnn, class_objective([1, 4]), steps=10, regularizers=regs, seed=3
    )
    b = activation_maximization(
        mnist_cnn, class_objective([1, 4]), steps=10, regularizers=regs, seed=3
    )
    assert torch.equal(a.images, b.images) and torch.equal(a.history, b.history)


def test_model_left_unchanged(mnist_cnn):
    before = {k: v.clone() for k, v in mnist_cnn.state_dict().items()}
    activation_maximization(mnist_cnn, class_objective(0), steps=5)
    assert all(torch.equal(before[k], v) for k, v in mnist_cnn.state_dict().items())
    assert all(p.requires_grad for p in mnist_cnn.parameters())


def test_regularizer_values():
    x = torch.tensor([[[[0.0, 1.0], [0.0, 1.0]]]])
    assert L1(2.0).penalty(x).item() == pytest.approx(4.0)
    assert L2(1.0).penalty(x).item() == pytest.approx(2.0)
    assert TotalVariation(1.0).penalty(x).item() == pytest.approx(2.0)
    g = torch.Generator().manual_seed(0)
    assert torch.equal(Jitter(0).transform(x, g), x)
    assert torch.allclose(RandomRotate(0.0).transform(x, g), x, atol=1e-6)
    assert torch.allclose(Blur(0.0).transform(x, g), x)


def test_total_variation_matches_skimage():
    """Our anisotropic TV is the sum skimage-style finite differences give."""
    x = torch.rand(1, 1, 9, 7, generator=torch.Generator().manual_seed(0))
    a = x[0, 0].numpy()
    import numpy as np

    expected = np.abs(np.diff(a, axis=0)).sum() + np.abs(np.diff(a, axis=1)).sum()
    assert TotalVariation(1.0).penalty(x).item() == pytest.approx(float(expected), rel=1e-5)


def test_bad_objectives_give_clear_errors(mnist_cnn):
    with pytest.raises(ValueError, match="no layer 'conv9'"):
        activation_maximization(mnist_cnn, filter_objective("conv9", 0), steps=1)
    with pytest.raises(ValueError, match="channel 32 is out of range"):
        activation_maximization(mnist_cnn, filter_objective("conv2", 32), steps=1)
    with pytest.raises(ValueError, match="class 10 is out of range"):
        activation_maximization(mnist_cnn, class_objective(10), steps=1)
    with pytest.raises(ValueError, match="feature map"):
        activation_maximization(mnist_cnn, filter_objective("fc1", 0), steps=1)
    with pytest.raises(ValueError, match="classes must be >= 0"):
        class_objective(-1)
    with pytest.raises(TypeError, match="list of ints"):
        class_objective(2.5)
    with pytest.raises(TypeError, match="objective must come from"):
        activation_maximization(mnist_cnn, 3, steps=1)
    with pytest.raises(TypeError, match="not a regularizer"):
        activation_maximization(mnist_cnn, class_objective(1), steps=1, regularizers=["l1"])
    with pytest.raises(ValueError, match="weight must be >= 0"):
        activation_maximization(mnist_cnn, class_objective(1), steps=1, regularizers=[L1(-1.0)])
    with pytest.raises(ValueError, match="steps must be >= 1"):
        activation_maximization(mnist_cnn, class_objective(1), steps=0)


def test_receptive_field_and_patches(mnist_cnn, mnist):
    assert receptive_field(mnist_cnn, "conv2") == (8, 8)
    assert receptive_field(mnist_cnn, "conv1") == (3, 3)
    X = mnist.X_test[:200]
    patches, values = top_activating_patches(mnist_cnn, X, "conv2", [3, 7], k=5)
    assert patches.shape == (2, 5, 1, 8, 8)
    assert (values[:, :-1] >= values[:, 1:]).all()  # sorted, best first
    # The best value is the largest activation of that channel over all images and positions.
    with torch.no_grad():
        acts = layer_activations(mnist_cnn, X, "conv2")
    assert values[0, 0].item() == pytest.approx(acts[:, 3].max().item(), rel=1e-5)
    # The patch is what the unit sees: the activation computed on the patch alone (in place) is the
    # same.
    with torch.no_grad():
        n, flat = divmod(int(acts[:, 3].flatten().argmax()), 14 * 14)
        i, j = divmod(flat, 14)
        masked = torch.zeros_like(X[n : n + 1])
        r0, c0 = 2 * i - 3, 2 * j - 3
        rr, cc = slice(max(r0, 0), min(r0 + 8, 28)), slice(max(c0, 0), min(c0 + 8, 28))
        masked[..., rr, cc] = X[n : n + 1, :, rr, cc]
        again = layer_activations(mnist_cnn, masked, "conv2")[0, 3, i, j]
    assert again.item() == pytest.approx(values[0, 0].item(), rel=1e-4)
    with pytest.raises(ValueError, match="out of range"):
        top_activating_patches(mnist_cnn, X, "conv2", 40)


def test_unclipped_plain_ascent_leaves_the_range_and_clipping_keeps_it(mnist_cnn):
    kw = dict(steps=30, lr=0.5, optimizer="sgd", init_scale=1.0, seed=1)
    free = activation_maximization(mnist_cnn, class_objective([3, 8]), clip=False, **kw).images
    kept = activation_maximization(mnist_cnn, class_objective([3, 8]), **kw).images
    assert free.min() < 0 or free.max() > 1
    assert kept.min() >= 0 and kept.max() <= 1
    # the first step is the same ascent: unclipped, X moves exactly lr * gradient from the same
    # start
    one = activation_maximization(
        mnist_cnn,
        class_objective(3),
        steps=1,
        lr=0.5,
        optimizer="sgd",
        init_scale=1.0,
        clip=False,
        seed=2,
    )
    x0 = torch.rand((1, 1, 28, 28), generator=torch.Generator().manual_seed(2)).requires_grad_(True)
    mnist_cnn(x0)[0, 3].backward()
    assert torch.allclose(one.images, x0.detach() + 0.5 * x0.grad, atol=1e-5)
    with pytest.raises(TypeError, match="clip"):
        activation_maximization(mnist_cnn, class_objective(3), steps=1, clip="no")


def test_filter_scores_match_the_feature_maps(mnist_cnn, digits):
    X, _ = digits
    with torch.no_grad():
        pre = layer_activations(mnist_cnn, X, "conv2")
    total = filter_scores(mnist_cnn, X, "conv2", batch_size=3)
    assert total.shape == (len(X), 32)
    assert torch.allclose(total, pre.sum((2, 3)), rtol=1e-4, atol=1e-3)
    assert torch.allclose(filter_scores(mnist_cnn, X, "conv2", reduce="max"), pre.amax((2, 3)))
    post = filter_scores(mnist_cnn, X, "relu2")
    assert (post >= 0).all() and torch.allclose(
        post, pre.clamp(min=0).sum((2, 3)), rtol=1e-4, atol=1e-3
    )
    with pytest.raises(ValueError, match="reduce"):
        filter_scores(mnist_cnn, X, "conv2", reduce="mean")
    with pytest.raises(ValueError, match="feature map"):
        filter_scores(mnist_cnn, X, "fc1")


def test_init_replaces_the_seeded_start(mnist_cnn):
    x0 = torch.full((2, 1, 28, 28), 0.5)
    res = activation_maximization(mnist_cnn, class_objective([1, 2]), steps=1, lr=1e-6, init=x0)
    assert torch.allclose(res.images, x0, atol=1e-4)
    with pytest.raises(ValueError, match="init must have shape"):
        activation_maximization(mnist_cnn, class_objective([1]), steps=1, init=x0)


def test_l1_sweep_shares_starts_and_lambda_zero_is_plain(mnist_cnn):
    from xai_helpers.activation_maximization import l1_sweep

    sweep = l1_sweep(mnist_cnn, [3, 8], [0.0, 0.3], steps=20, seed=4)
    plain = activation_maximization(mnist_cnn, class_objective([3, 8]), steps=20, seed=4).images
    assert sweep.shape == (2, 2, 1, 28, 28)
    assert torch.allclose(sweep[0], plain, atol=1e-5)
    assert sweep[1].sum() < 0.5 * sweep[0].sum()  # the strong prior removes ink
    with pytest.raises(ValueError, match="lams"):
        l1_sweep(mnist_cnn, [3], [-0.1])


def test_choose_prior_picks_what_the_judge_likes(mnist_cnn):
    from xai_helpers.activation_maximization import choose_prior

    cands = {"none": [], "crushing L1": [L1(5.0)]}  # L1(5) leaves a black image
    scores, best = choose_prior(mnist_cnn, cands, {"self": mnist_cnn}, [2, 5], steps=20)
    assert best == "none" and scores["none"] > scores["crushing L1"]


def test_ascent_summary_reports_margin_beyond_saturation(mnist_cnn):
    from xai_helpers.activation_maximization import ascent_summary

    short = activation_maximization(mnist_cnn, class_objective([4]), steps=20).images
    long = activation_maximization(mnist_cnn, class_objective([4]), steps=80).images
    stats, text = ascent_summary(mnist_cnn, {"short": short, "long": long}, [4], start=short)
    assert stats["long"]["margin"] > stats["short"]["margin"]
    assert stats["short"]["corr_start"] == pytest.approx(1.0, abs=1e-5)
    assert "margin" in text and "long" in text


def test_budget_holds_each_image_to_its_norm(mnist_cnn):
    objective = class_objective([3, 7, 1])
    free = activation_maximization(mnist_cnn, objective, steps=30, seed=2).images
    for norm, size in [
        ("l1", lambda x: x.flatten(1).sum(1)),
        ("l2", lambda x: x.flatten(1).norm(dim=1)),
    ]:
        budget = 0.5 * size(free)
        held = activation_maximization(
            mnist_cnn, objective, steps=30, seed=2, budget=budget, budget_norm=norm
        ).images
        assert torch.allclose(size(held), budget, rtol=1e-4), (norm, size(held), budget)
        assert held.min() >= 0 and held.max() <= 1
    with pytest.raises(ValueError, match="budget_norm"):
        activation_maximization(mnist_cnn, objective, steps=1, budget=1.0, budget_norm="l3")
    with pytest.raises(ValueError, match="budget"):
        activation_maximization(mnist_cnn, objective, steps=1, budget=torch.ones(2))


@pytest.mark.parametrize(
    "kw",
    [
        dict(steps=12, lr=0.05, regularizers=[TotalVariation(0.02), Jitter(1), L1(0.05)]),
        dict(steps=12, lr=0.1, optimizer="sgd", init_scale=1.0, clip=False),
        dict(steps=12, lr=20.0, optimizer="sgd", init_scale=1.0),
    ],
)
def test_the_ascent_steps_are_torch_optims_bit_for_bit(kw, monkeypatch):
    # the hand-written Adam and SGD steps (no torch.optim: its import of torch._dynamo costs ~1 s)
    import xai_helpers.activation_maximization as am
    from xai_helpers.models import MnistCNN

    torch.manual_seed(0)
    net = MnistCNN().eval()
    ours = activation_maximization(net, class_objective([1, 7]), seed=3, **kw)

    class TorchAdam:
        def __init__(self, x, lr):
            self.opt = torch.optim.Adam([x], lr=lr)

        def __call__(self, x):
            self.opt.step()

    class TorchSGD:
        def __init__(self, lr):
            self.lr, self.opt = lr, None

        def __call__(self, x):
            self.opt = self.opt or torch.optim.SGD([x], lr=self.lr)
            self.opt.step()

    monkeypatch.setattr(am, "_AdamStep", TorchAdam)
    monkeypatch.setattr(am, "_SGDStep", TorchSGD)
    ref = activation_maximization(net, class_objective([1, 7]), seed=3, **kw)
    assert torch.equal(ours.images, ref.images) and torch.equal(ours.history, ref.history)


def test_orientation_gap_keeps_worked_ascents_and_refuses_bad_digits(mnist_cnn, mnist):
    from xai_helpers.activation_maximization import orientation_gap

    digits = mnist.X_test[:200]
    out = orientation_gap(mnist_cnn, [0, 1, 2], digits, seed=1)
    assert out["images"].shape == (3, 1, 28, 28) and out["patches"].shape[:2] == (3, 8)
    assert out["kept"].dtype == torch.bool
    assert ((0 <= out["gap"]) & (out["gap"] <= 90)).all()
    assert ((0 <= out["coh_x"]) & (out["coh_x"] <= 1 + 1e-6)).all()
    # a filter no digit switches on (dead: its bias pushed far below 0) is never kept
    dead = copy.deepcopy(mnist_cnn)
    with torch.no_grad():
        dead.conv2.bias[0] = -1e4
    assert not orientation_gap(dead, [0], digits, seed=1)["kept"].any()
    with pytest.raises((ValueError, TypeError)):
        orientation_gap(mnist_cnn, [0], torch.rand(5, 28, 28))


def test_orientation_rules_and_table():
    from xai_helpers.activation_maximization import (
        matched,
        only_moved,
        orientation_table,
        oriented,
        oriented_share,
    )

    run = {
        "kept": torch.tensor([True, True, False, True]),
        "coh_x": torch.tensor([0.7, 0.3, 0.9, 0.6]),
        "gap": torch.tensor([5.0, 2.0, 1.0, 40.0]),
        "images": torch.zeros(4, 1, 3, 3),
    }
    assert oriented(run).tolist() == [True, False, True]
    assert matched(run).tolist() == [True, False, False]
    assert oriented_share([run, run]) == pytest.approx(2 / 3)
    start = torch.zeros(4, 1, 3, 3)
    start[1:] = 1.0  # filter 0 never moved from its start
    assert only_moved(run, start)["kept"].tolist() == [False, True, False, True]
    assert run["kept"].tolist() == [True, True, False, True]  # a copy, not an edit
    row = orientation_table({"net": [run]}).splitlines()[1].split()
    assert row[:4] == ["net", "3", "0.67", "0.33"]
