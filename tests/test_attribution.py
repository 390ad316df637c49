"""xai_helpers.attribution: finite differences, and agreement with Captum."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from captum.attr import (
    DeepLift,
    GuidedBackprop,
    IntegratedGradients,
    LayerGradCam,
    NoiseTunnel,
    Occlusion,
    Saliency,
)
from scipy.stats import pearsonr
from torch import nn

from xai_helpers import attribution as A
from xai_helpers import models


def test_saliency_matches_finite_differences(tiny_rgb_model):
    torch.manual_seed(1)
    x = torch.rand(2, 3, 8, 8, dtype=torch.float64)
    sal = A.saliency(tiny_rgb_model, x, target=2, reduce=None)
    eps = 1e-6
    for i, c, r, q in [(0, 0, 1, 2), (0, 2, 5, 5), (1, 1, 7, 0), (1, 0, 3, 6)]:
        xp, xm = x.clone(), x.clone()
        xp[i, c, r, q] += eps
        xm[i, c, r, q] -= eps
        with torch.no_grad():
            fd = (tiny_rgb_model(xp)[i, 2] - tiny_rgb_model(xm)[i, 2]) / (2 * eps)
        assert sal[i, c, r, q].item() == pytest.approx(abs(fd.item()), rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("of", ["probability", "loss"])
def test_saliency_of_probability_and_loss_finite_differences(tiny_rgb_model, of):
    x = torch.rand(1, 3, 8, 8, dtype=torch.float64)
    sal = A.saliency(tiny_rgb_model, x, target=1, of=of, reduce=None)

    def f(z):
        return A.class_score(tiny_rgb_model(z), torch.tensor([1]), of)[0]

    xp, xm = x.clone(), x.clone()
    xp[0, 1, 4, 4] += 1e-6
    xm[0, 1, 4, 4] -= 1e-6
    with torch.no_grad():
        fd = (f(xp) - f(xm)) / 2e-6
    assert sal[0, 1, 4, 4].item() == pytest.approx(abs(fd.item()), rel=1e-5)


def test_saliency_matches_captum(mnist_cnn, digits):
    x, y = digits
    ours = A.saliency(mnist_cnn, x, y)
    theirs = Saliency(mnist_cnn).attribute(x, target=y, abs=True).amax(1)
    assert torch.allclose(ours, theirs, atol=1e-6)


def test_saliency_rgb_reduces_by_max_abs(tiny_rgb_model):
    x = torch.rand(2, 3, 8, 8, dtype=torch.float64)
    full = A.saliency(tiny_rgb_model, x, 0, reduce=None)
    assert torch.equal(
        A.saliency(tiny_rgb_model, x, 0), full.amax(1)
    )  # the same gradients, reduced: exact


@pytest.mark.parametrize("fill,value", [("grey", 0.5), ("black", 0.0), (0.25, 0.25)])
def test_occlusion_matches_captum(mnist_cnn, digits, fill, value):
    x, y = digits[0][:3], digits[1][:3]
    box, stride = 8, 4
    probs = A.occlusion(mnist_cnn, x, y, box=box, stride=stride, fill=fill)
    with torch.no_grad():
        p0 = mnist_cnn(x).softmax(1).gather(1, y[:, None])[:, 0]
    ours = A.occlusion_pixel_map(probs, p0, box, stride, (28, 28))

    def prob(z):
        return mnist_cnn(z).softmax(1)

    theirs = Occlusion(prob).attribute(
        x,
        target=y,
        sliding_window_shapes=(1, box, box),
        strides=(1, stride, stride),
        baselines=value,
    )
    assert torch.allclose(ours, theirs[:, 0], atol=1e-5)


def test_occlusion_mean_fill_and_box_position(mnist_cnn, digits):
    x, y = digits[0][:1], digits[1][:1]
    probs = A.occlusion(mnist_cnn, x, y, box=28, stride=1, fill="mean")
    filled = torch.full_like(x, x.mean().item())
    with torch.no_grad():
        expected = mnist_cnn(filled).softmax(1)[0, y[0]]
    assert probs.shape == (1, 1, 1)
    assert probs[0, 0, 0].item() == pytest.approx(expected.item(), abs=1e-6)


def test_occlusion_with_a_fill_image_matches_captum_baselines(mnist_cnn, digits):
    x, y = digits[0][:3], digits[1][:3]
    blurred = torch.nn.functional.avg_pool2d(x, 7, stride=1, padding=3)  # an image-shaped fill
    probs = A.occlusion(mnist_cnn, x, y, box=3, stride=2, fill=blurred)
    with torch.no_grad():
        p0 = mnist_cnn(x).softmax(1).gather(1, y[:, None])[:, 0]
    ours = A.occlusion_pixel_map(probs, p0, 3, 2, (28, 28))
    theirs = Occlusion(lambda z: mnist_cnn(z).softmax(1)).attribute(
        x, target=y, sliding_window_shapes=(1, 3, 3), strides=(1, 2, 2), baselines=blurred
    )
    assert torch.allclose(ours, theirs[:, 0], atol=1e-5)
    assert not torch.allclose(probs, A.occlusion(mnist_cnn, x, y, box=3, stride=2, fill="black"))
    with pytest.raises(ValueError, match="shape of x"):
        A.occlusion(mnist_cnn, x, y, box=3, stride=2, fill=blurred[:2])


def test_smoothgrad_sigma_zero_is_saliency(mnist_cnn, digits):
    x, y = digits
    assert torch.allclose(
        A.smoothgrad(mnist_cnn, x, y, sigma=0.0, n_samples=3),
        A.saliency(mnist_cnn, x, y),
        atol=1e-7,
    )


def test_smoothgrad_agrees_with_captum_noise_tunnel(mnist_cnn, digits):
    x, y = digits[0][:4], digits[1][:4]
    sigma, n = 0.15, 200
    ours = A.smoothgrad(mnist_cnn, x, y, sigma=sigma, n_samples=n, seed=0)
    torch.manual_seed(123)
    stdevs = tuple((sigma * (x[i].max() - x[i].min())).item() for i in range(len(x)))
    nt = NoiseTunnel(Saliency(mnist_cnn))
    theirs = torch.cat(
        [
            nt.attribute(
                x[i : i + 1],
                nt_type="smoothgrad",
                nt_samples=n,
                stdevs=stdevs[i],
                target=int(y[i]),
                abs=True,
            )
            for i in range(len(x))
        ]
    ).amax(1)
    for a, b in zip(ours, theirs):
        assert pearsonr(a.flatten().numpy(), b.flatten().numpy())[0] >= 0.95


def test_smoothgrad_is_deterministic_given_seed(mnist_cnn, digits):
    x, y = digits
    assert torch.equal(
        A.smoothgrad(mnist_cnn, x, y, n_samples=5, seed=3),
        A.smoothgrad(mnist_cnn, x, y, n_samples=5, seed=3),
    )
    assert not torch.equal(
        A.smoothgrad(mnist_cnn, x, y, n_samples=5, seed=3),
        A.smoothgrad(mnist_cnn, x, y, n_samples=5, seed=4),
    )


@pytest.mark.parametrize("rule", ["left", "right", "middle", "trapezoid"])
def test_integrated_gradients_matches_captum(mnist_cnn, digits, rule):
    x, y = digits[0][:3], digits[1][:3]
    ours = A.integrated_gradients(mnist_cnn, x, y, baseline="black", n_steps=32, rule=rule)
    theirs = IntegratedGradients(mnist_cnn).attribute(
        x, baselines=0.0, target=y, n_steps=32, method=f"riemann_{rule}"
    )
    if rule == "trapezoid":
        # Captum's trapezoid weights are 1/n with halved ends (they sum to (n-1)/n); the true
        # trapezoid rule on n points uses 1/(n-1). Same points, weights differ by (n-1)/n exactly.
        ours = ours * 31 / 32
    assert torch.allclose(ours, theirs, atol=1e-5)


def test_integrated_gradients_completeness_on_mnist_cnn(mnist_cnn, digits):
    x, y = digits
    attr, gap = A.integrated_gradients(
        mnist_cnn, x, y, baseline="black", n_steps=300, return_delta=True
    )
    assert (gap <= 0.01).all(), gap
    with torch.no_grad():
        diff = (
            mnist_cnn(x).gather(1, y[:, None])[:, 0]
            - mnist_cnn(torch.zeros_like(x)).gather(1, y[:, None])[:, 0]
        )
    assert torch.allclose(attr.sum(dim=(1, 2, 3)), diff, rtol=0.01)


def test_integrated_gradients_tensor_baseline(mnist_cnn, digits):
    x, y = digits[0][:2], digits[1][:2]
    base = torch.rand(1, 28, 28)
    ours = A.integrated_gradients(mnist_cnn, x, y, baseline=base, n_steps=16, rule="left")
    theirs = IntegratedGradients(mnist_cnn).attribute(
        x, baselines=base.expand_as(x), target=y, n_steps=16, method="riemann_left"
    )
    assert torch.allclose(ours, theirs, atol=1e-5)


def test_grad_cam_matches_captum(mnist_cnn, digits):
    x, y = digits
    ours = A.grad_cam(mnist_cnn, x, y, layer=mnist_cnn.conv2, upsample=False)
    theirs = LayerGradCam(mnist_cnn, mnist_cnn.conv2).attribute(
        x, target=y, relu_attributions=True
    )[:, 0]
    assert torch.allclose(ours, theirs, atol=1e-5)
    assert A.grad_cam(mnist_cnn, x, y, layer="conv2").shape == (8, 28, 28)
    assert torch.equal(
        A.grad_cam(mnist_cnn, x, y, layer="conv2"),
        A.grad_cam(mnist_cnn, x, y, layer=mnist_cnn.conv2),
    )
    assert not mnist_cnn.conv2._forward_hooks  # the hook is gone


def test_ig_alphas_weights_sum_to_one():
    for rule in ["left", "right", "middle", "trapezoid"]:
        a, w = A.ig_alphas(10, rule)
        assert float(w.sum()) == pytest.approx(1.0)
        assert a.min() >= 0 and a.max() <= 1


@pytest.mark.parametrize(
    "call,err,match",
    [
        (lambda m, x: A.saliency(m, x[0], 0), ValueError, "batch of images"),
        (lambda m, x: A.saliency(m, (x * 255).to(torch.uint8), 0), TypeError, "floating-point"),
        (lambda m, x: A.saliency(m, x, 10), ValueError, "out of range"),
        (lambda m, x: A.saliency(m, x, -1), ValueError, "out of range"),
        (lambda m, x: A.saliency(m, x, [1, 2, 3]), ValueError, "one per image"),
        (lambda m, x: A.saliency(m, x.numpy(), 0), TypeError, "torch.Tensor"),
        (lambda m, x: A.saliency(m, torch.full_like(x, float("nan")), 0), ValueError, "NaN"),
        (lambda m, x: A.saliency(m, x, 0, of="logits"), ValueError, "of must be"),
        (lambda m, x: A.occlusion(m, x, 0, box=40), ValueError, "larger than the image"),
        (lambda m, x: A.occlusion(m, x, 0, fill="purple"), ValueError, "fill must be"),
        (lambda m, x: A.smoothgrad(m, x, 0, sigma=2.0), ValueError, "sigma"),
        (lambda m, x: A.smoothgrad(m, x, 0, n_samples=0), ValueError, "n_samples must be"),
        (lambda m, x: A.integrated_gradients(m, x, 0, n_steps=0), ValueError, "n_steps"),
        (lambda m, x: A.integrated_gradients(m, x, 0, rule="simpson"), ValueError, "rule"),
        (lambda m, x: A.grad_cam(m, x, 0, layer=torch.nn.Conv2d(1, 1, 1)), ValueError, "submodule"),
        (lambda m, x: A.grad_cam(m, x, 0, layer="conv9"), ValueError, "no layer 'conv9'"),
    ],
)
def test_bad_input_gives_clear_errors(mnist_cnn, digits, call, err, match):
    with pytest.raises(err, match=match):
        call(mnist_cnn, digits[0][:2])


def test_results_come_back_on_cpu_as_float(mnist_cnn, digits):
    x, y = digits
    for out in [
        A.saliency(mnist_cnn, x, y),
        A.smoothgrad(mnist_cnn, x, y, n_samples=2),
        A.occlusion(mnist_cnn, x[:1], y[:1]),
    ]:
        assert out.device.type == "cpu" and out.dtype == torch.float32
        assert np.isfinite(out.numpy()).all()


def test_saliency_and_ig_need_no_extra_forward_pass(mnist_cnn, digits):
    """The target's range is checked on the logits of the real pass: saliency = one forward pass."""
    calls = []
    handle = mnist_cnn.register_forward_hook(lambda m, i, o: calls.append(len(i[0])))
    try:
        A.saliency(mnist_cnn, digits[0], digits[1])
        assert calls == [8]
        calls.clear()
        A.integrated_gradients(mnist_cnn, digits[0][:1], digits[1][:1], n_steps=10)
        assert calls == [10]
        calls.clear()
        A.integrated_gradients(
            mnist_cnn, digits[0][:1], digits[1][:1], n_steps=10, return_delta=True
        )
        assert calls == [10, 1, 1]  # the path, then f(x) and f(x') for the completeness gap
    finally:
        handle.remove()


def test_smoothgrad_samples_and_cache(mnist_cnn, digits):
    x, y = digits[0][:1], int(digits[1][0])
    s = A.smoothgrad_samples(mnist_cnn, x, y, sigma=0.2, n_samples=5, seed=1)
    assert torch.allclose(
        A.reduce_channels(s.mean(0)),
        A.smoothgrad(mnist_cnn, x, y, sigma=0.2, n_samples=5, seed=1),
        atol=1e-6,
    )
    cache = A.SmoothGradCache(mnist_cnn, x, y, seed=1, progress=False)
    assert torch.allclose(
        cache.map(0.2, 5),
        A.smoothgrad(mnist_cnn, x, y, sigma=0.2, n_samples=5, seed=1)[0],
        atol=1e-6,
    )
    # start=2 averages samples 2 … 4 of the same noise, computing none anew
    samples = cache._samples[0.2]
    late = cache.map(0.2, 3, start=2)
    assert cache._samples[0.2] is samples
    torch.testing.assert_close(late, A.reduce_channels(s[2:5].mean(0))[0], rtol=1e-5, atol=1e-6)
    assert not torch.allclose(late, cache.map(0.2, 3))  # another run: other noise
    assert cache.map(0.2, 2, start=6).shape == (28, 28) and cache.count(0.2) == 8
    # signed=True: |mean of the signed gradients| from the same noisy copies, not the mean of |·|
    signed = A.smoothgrad_samples(mnist_cnn, x, y, sigma=0.2, n_samples=5, seed=1, absolute=False)
    torch.testing.assert_close(signed.abs(), s, rtol=1e-5, atol=1e-7)
    want = A.reduce_channels(signed.mean(0).abs())[0]
    torch.testing.assert_close(cache.map(0.2, 5, signed=True), want, rtol=1e-5, atol=1e-7)
    assert not torch.allclose(cache.map(0.2, 5, signed=True), cache.map(0.2, 5))


# -------------------------------------------------------------- guided backprop, DeepLIFT, IG sweep
def test_guided_backprop_matches_captum_and_leaves_no_hooks(mnist_cnn, digits):
    x, y = digits
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = (
            GuidedBackprop(mnist_cnn).attribute(x.clone().requires_grad_(True), target=y).detach()
        )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # ours raises no warning
        ours = A.guided_backprop(mnist_cnn, x, y)
    assert torch.allclose(ours, theirs, atol=1e-6)
    assert not torch.allclose(
        ours, A.saliency(mnist_cnn, x, y, reduce=None), atol=1e-3
    )  # not the plain gradient
    assert all(not m._backward_hooks for m in mnist_cnn.modules())
    # the plain gradient again once the hooks are gone
    g = A.saliency(mnist_cnn, x, y, reduce=None)
    assert torch.allclose(g, A.saliency(mnist_cnn, x, y, reduce=None))


def test_guided_backprop_refuses_models_without_relu_modules(tiny_rgb_model):
    with pytest.raises(ValueError, match="nn.ReLU"):
        A.guided_backprop(tiny_rgb_model, torch.rand(1, 3, 8, 8, dtype=torch.float64), 0)


def test_deeplift_is_complete_matches_captum_and_is_quiet(mnist_cnn, digits):
    x, y = digits
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = A.deeplift(mnist_cnn, x, y, baseline="black")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = (
            DeepLift(mnist_cnn)
            .attribute(x.clone().requires_grad_(True), baselines=0.0, target=y)
            .detach()
        )
    assert torch.allclose(ours, theirs, atol=1e-6)
    with torch.no_grad():
        diff = (
            mnist_cnn(x).gather(1, y[:, None])[:, 0]
            - mnist_cnn(torch.zeros_like(x)).gather(1, y[:, None])[:, 0]
        )
    assert torch.allclose(ours.sum(dim=(1, 2, 3)), diff, rtol=0.02, atol=1e-3)  # summation-to-delta


@pytest.mark.parametrize("baseline", ["black", "grey"])
def test_ig_sweep_equals_left_riemann_ig_at_every_step_count(mnist_cnn, digits, baseline):
    x, y = digits[0][:2], digits[1][:2]
    sweep = A.integrated_gradients_sweep(mnist_cnn, x, y, baseline=baseline, n_steps=(1, 4, 16))
    assert sweep.n_steps == (1, 4, 16) and sweep.path_derivative.shape == (2, 16)
    for n in (1, 4, 16):
        attr, gap = A.integrated_gradients(
            mnist_cnn, x, y, baseline=baseline, n_steps=n, rule="left", return_delta=True
        )
        assert torch.allclose(sweep.attributions[n], attr, atol=1e-6)
        assert torch.allclose(sweep.gaps[n], gap, atol=1e-5)
    # the path derivative's mean over the finest grid is the 16-step IG's total
    assert torch.allclose(
        sweep.path_derivative.mean(1), sweep.attributions[16].sum(dim=(1, 2, 3)), rtol=1e-4
    )


def test_ig_sweep_refuses_step_counts_that_do_not_divide_the_largest(mnist_cnn, digits):
    with pytest.raises(ValueError, match="divide the largest"):
        A.integrated_gradients_sweep(mnist_cnn, digits[0][:1], digits[1][:1], n_steps=(3, 8))


# ---------------------------------------------------- one-sided derivatives at kinks
def test_one_sided_derivatives_equal_the_gradient_where_it_exists():
    torch.manual_seed(0)
    net = models.MnistCNN().double().eval()
    x = torch.rand(1, 1, 28, 28, dtype=torch.float64)  # no exact ties
    right, left = A.one_sided_derivatives(net, x, target=2)
    g = torch.autograd.grad(net(x.requires_grad_(True))[0, 2], x)[0][0, 0]
    smooth = (right - left).abs() <= 1e-6 * right.abs().clamp_min(1e-3)
    assert smooth.float().mean() > 0.95
    assert torch.allclose(right[smooth], g[smooth], rtol=1e-5, atol=1e-8)


def test_one_sided_derivatives_find_max_pool_ties():
    net = nn.Sequential(nn.MaxPool2d(2), nn.Flatten(), nn.Linear(1, 2)).double()
    with torch.no_grad():
        net[2].weight.fill_(1.0)
    x = torch.zeros(1, 1, 2, 2, dtype=torch.float64)  # four tied values in one window
    right, left = A.one_sided_derivatives(net, x, target=0)
    assert torch.allclose(right, torch.ones(2, 2).double()) and torch.allclose(
        left, torch.zeros(2, 2).double(), atol=1e-9
    )
    with pytest.raises(ValueError):
        A.one_sided_derivatives(net, torch.zeros(2, 1, 2, 2, dtype=torch.float64), target=0)
    with pytest.raises(ValueError):
        A.one_sided_derivatives(net, x, target=5)


# --------------------------------------------------------------------------- LRP and feature rows


def test_lrp_matches_gradient_times_input_on_a_relu_net_and_conserves(mnist_cnn, digits):
    # LRP-ε with ε → 0 on a ReLU network without pooling ambiguity equals gradient × input (Ancona
    # et al. 2018); with max-pooling (winner takes all, as its gradient) it still does.
    x, y = digits[0][:6], digits[1][:6]
    r = A.lrp(mnist_cnn, x, y)
    xg = x.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(mnist_cnn(xg).gather(1, y[:, None]).sum(), xg)
    # tolerance: Captum's ε = 1e-9 in every denominator, float32 sums over ~1.5 k terms
    torch.testing.assert_close(r, g * x, rtol=1e-3, atol=1e-4)
    # the model is unchanged (rules set on a copy)
    assert not any(hasattr(m, "rule") for m in mnist_cnn.modules())


def test_path_attributions_are_complete_and_depend_on_the_path():
    m = models.SaturatingElephant()
    x = torch.tensor([[2.5, 0.5], [1.5, 0.2]], dtype=torch.float64)
    base = torch.zeros(2, dtype=torch.float64)
    with torch.no_grad():
        diff = (m(x) - m(base[None]))[:, 0]
    paths = {o: A.path_attributions(m, x, base, o) for o in (None, (0, 1), (1, 0))}
    for a in paths.values():
        # a kink of the ReLUs falls inside one of the 256 midpoint steps: off by ≤ Δx / 256 ≈ 0.01
        torch.testing.assert_close(a.sum(1), diff, rtol=0, atol=0.01)
    # trunk first: the trunk alone saturates the score; ears first: the ears' 0.2 comes first
    torch.testing.assert_close(
        paths[(0, 1)][0], torch.tensor([1.0, 0.0]).double(), atol=0.01, rtol=0
    )
    torch.testing.assert_close(
        paths[(1, 0)][0], torch.tensor([0.8, 0.2]).double(), atol=0.01, rtol=0
    )
    with pytest.raises(ValueError, match="each of the 2 features"):
        A.path_attributions(m, x, base, (0, 0))


def test_feature_attributions_against_hand_values():
    m = models.SaturatingElephant()
    r = A.feature_attributions(m, torch.tensor([[2.5, 0.5]], dtype=torch.float64), torch.zeros(2))
    expected = {
        "gradient × (x − x')": [0.0, 0.0],  # saturated: zero gradient
        "IG": None,  # below
        "DeepLIFT": [1.5 / 1.7, 0.2 / 1.7],  # Rescale: Δ of each inner ReLU over Δ of their sum
        "occlusion": [0.8, 0.0],
    }
    # IG by hand: the straight path t = 2.5α, e = 0.5α; the trunk counts from α = 0.4, the ears
    # from α = 0.6, and the sum reaches 1 at α = 2.3 / 3; IG = Δx · (time the feature's ReLU is
    # active before saturation)
    a_end = 2.3 / 3
    expected["IG"] = [2.5 * (a_end - 0.4), 0.5 * (a_end - 0.6)]
    for k, v in expected.items():
        torch.testing.assert_close(r[k][0], torch.tensor(v).double(), atol=5e-3, rtol=0)
    with pytest.raises(ValueError, match="feature rows"):
        A.feature_attributions(m, torch.zeros(3), torch.zeros(2))


def test_smoothgrad_classes_matches_smoothgrad_per_class(mnist_cnn, digits):
    x = digits[0][:1]
    maps = A.smoothgrad_classes(mnist_cnn, x, [2, 5, 9], sigma=0.2, n_samples=7, seed=3)
    assert maps.shape == (3, 28, 28)
    for row, c in zip(maps, [2, 5, 9]):
        one = A.smoothgrad(mnist_cnn, x, c, sigma=0.2, n_samples=7, seed=3)[0]
        # same noise, the gradients summed in another order: float rounding only
        torch.testing.assert_close(row, one, rtol=1e-5, atol=1e-6)
    # a class changes the map (the test above is not comparing a map with itself)
    assert not torch.allclose(maps[0], maps[1])
    # several chunks of noise (batch_size smaller than n_samples) draw the same noise too
    small = A.smoothgrad_classes(mnist_cnn, x, [5], sigma=0.2, n_samples=7, seed=3, batch_size=3)
    ref = A.smoothgrad(mnist_cnn, x, 5, sigma=0.2, n_samples=7, seed=3, batch_size=3)
    torch.testing.assert_close(small, ref, rtol=1e-5, atol=1e-6)


def test_smoothgrad_classes_contrast_is_smoothgrad_of_the_logit_difference(mnist_cnn, digits):
    x = digits[0][:1]
    maps = A.smoothgrad_classes(mnist_cnn, x, [(2, 5), 2], sigma=0.2, n_samples=7, seed=3)
    head = torch.nn.Linear(10, 1, bias=False)  # z_2 − z_5 as the only logit of a second model
    with torch.no_grad():
        head.weight.copy_(torch.eye(10)[2] - torch.eye(10)[5])
    diff = A.smoothgrad(torch.nn.Sequential(mnist_cnn, head), x, 0, sigma=0.2, n_samples=7, seed=3)
    torch.testing.assert_close(maps[0], diff[0], rtol=1e-5, atol=1e-6)
    assert not torch.allclose(maps[0], maps[1])  # the contrast is not class 2's own map
    with pytest.raises(ValueError, match="pair"):
        A.smoothgrad_classes(mnist_cnn, x, [(2, 5, 7)])


def test_smoothgrad_classes_rejects_bad_input(mnist_cnn, digits):
    with pytest.raises(ValueError, match="one image"):
        A.smoothgrad_classes(mnist_cnn, digits[0][:2], [1])
    with pytest.raises(ValueError, match="at least one class"):
        A.smoothgrad_classes(mnist_cnn, digits[0][:1], [])
    with pytest.raises(ValueError):
        A.smoothgrad_classes(mnist_cnn, digits[0][:1], [10])


def test_lrp_composite_differs_from_epsilon_and_rejects_unknown_rules(mnist_cnn, digits):
    # alpha1-beta0 on the convolutions passes back only positive contributions, so the composite
    # map is not gradient × input; on a digit (all pixels >= 0) the first layer's z+ rule gives
    # relevance >= 0 wherever the relevance arriving is >= 0
    x, y = digits[0][:4], digits[1][:4]
    eps, comp = A.lrp(mnist_cnn, x, y), A.lrp(mnist_cnn, x, y, rule="composite")
    assert comp.shape == eps.shape and torch.isfinite(comp).all()
    assert float((comp - eps).abs().max()) > 1e-3 * float(eps.abs().max())
    assert not any(hasattr(m, "rule") for m in mnist_cnn.modules())
    with pytest.raises(ValueError, match="rule"):
        A.lrp(mnist_cnn, x, y, rule="zplus")


def test_grad_cam_classes_equals_grad_cam_of_the_expanded_image(mnist_cnn, digits):
    x = digits[0][:1]
    classes = [0, 3, 7]
    one_pass = A.grad_cam_classes(mnist_cnn, x, classes, layer="relu2")
    expanded = A.grad_cam(mnist_cnn, x.expand(3, -1, -1, -1), classes, layer="relu2")
    # tolerance: the same float32 sums, batched differently
    torch.testing.assert_close(one_pass, expanded, rtol=1e-4, atol=1e-6)
    with pytest.raises(ValueError, match="one image"):
        A.grad_cam_classes(mnist_cnn, digits[0][:2], classes, layer="relu2")
    with pytest.raises(ValueError, match="class"):
        A.grad_cam_classes(mnist_cnn, x, [10], layer="relu2")
    with pytest.raises(ValueError, match="class indices"):
        A.grad_cam_classes(mnist_cnn, x, [], layer="relu2")


def test_grad_cam_classes_keeps_no_graph_before_the_layer_and_restores_grad_mode(mnist_cnn, digits):
    x = digits[0][:1]
    with torch.no_grad():  # the graph starts at the layer, so no grad mode is needed before it
        quiet = A.grad_cam_classes(mnist_cnn, x, [1, 4], layer="relu2")
        assert not torch.is_grad_enabled()
    assert torch.is_grad_enabled()
    torch.testing.assert_close(quiet, A.grad_cam_classes(mnist_cnn, x, [1, 4], layer="relu2"))


def test_class_gradients_match_one_backward_per_class():
    from xai_helpers.models import MnistCNN

    torch.manual_seed(0)
    model, x = MnistCNN().eval(), torch.rand(1, 1, 28, 28)
    g = A.class_gradients(model, x, [2, 7])
    for row, c in zip(g, (2, 7)):
        xr = x.clone().requires_grad_(True)
        (want,) = torch.autograd.grad(model(xr)[0, c], xr)
        torch.testing.assert_close(row, want.flatten())
    with pytest.raises(ValueError):
        A.class_gradients(model, torch.rand(2, 1, 28, 28), [0])
