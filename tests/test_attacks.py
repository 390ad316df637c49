"""xai_helpers.attacks: softplus copy, differentiable saliency, top-k intersection, the top-k
attack."""

from __future__ import annotations

import pytest
import torch
from captum.attr import Saliency

from xai_helpers import attacks as A
from xai_helpers.attribution import saliency
from xai_helpers.evaluation import region_share


def test_softplus_copy_replaces_relus_and_keeps_original(mnist_cnn):
    smooth = A.softplus_copy(mnist_cnn, beta=10.0)
    assert not any(isinstance(m, torch.nn.ReLU) for m in smooth.modules())
    assert sum(isinstance(m, torch.nn.Softplus) for m in smooth.modules()) == 3
    assert sum(isinstance(m, torch.nn.ReLU) for m in mnist_cnn.modules()) == 3
    assert all(torch.equal(p, q) for p, q in zip(smooth.parameters(), mnist_cnn.parameters()))
    with pytest.raises(ValueError, match="no nn.ReLU"):
        A.softplus_copy(torch.nn.Linear(2, 2))
    with pytest.raises(ValueError, match="beta"):
        A.softplus_copy(mnist_cnn, beta=0)


def test_softplus_copy_approaches_relu_as_beta_grows(mnist_cnn, digits):
    x, _ = digits
    with torch.no_grad():
        ref = mnist_cnn(x)
        errs = [
            (A.softplus_copy(mnist_cnn, b)(x) - ref).abs().max().item() for b in (5.0, 50.0, 500.0)
        ]
    assert errs[0] > errs[1] > errs[2] and errs[2] < 0.05


def test_differentiable_saliency_matches_captum_on_relu_net(mnist_cnn, digits):
    x, y = digits
    ours = A.differentiable_saliency(
        mnist_cnn, x.clone().requires_grad_(True), y, normalize=False
    ).detach()
    theirs = Saliency(mnist_cnn).attribute(x, target=y, abs=True).amax(1).flatten(1)
    assert torch.allclose(ours, theirs, atol=1e-6)


def test_relu_second_derivative_vanishes_softplus_does_not(mnist_cnn, digits):
    x, y = digits
    xr = x.clone().requires_grad_(True)
    (g_relu,) = torch.autograd.grad(A.differentiable_saliency(mnist_cnn, xr, y)[:, :100].sum(), xr)
    assert (
        g_relu.abs().max().item() == 0.0
    )  # exactly 0, not rounding: ReLU's backward is a mask with zero derivative
    xs = x.clone().requires_grad_(True)
    (g_soft,) = torch.autograd.grad(
        A.differentiable_saliency(A.softplus_copy(mnist_cnn), xs, y)[:, :100].sum(), xs
    )
    assert g_soft.abs().max().item() > 1e-5


def test_curvature_is_a_hessian_vector_norm_and_grows_with_beta(mnist_cnn, digits, tiny_rgb_model):
    x = torch.rand(3, 3, 8, 8, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    y = torch.tensor([0, 1, 2])
    u = (torch.randint(0, 2, x.shape, generator=torch.Generator().manual_seed(3)) * 2 - 1).double()

    def grad(z):  # a smooth (tanh) network: finite differences are accurate
        z = z.clone().requires_grad_(True)
        return torch.autograd.grad(tiny_rgb_model(z).gather(1, y[:, None]).sum(), z)[0]

    h = 1e-5  # central difference of the gradient along u: H u
    hu = (grad(x + h * u) - grad(x - h * u)) / (2 * h)
    ref = hu.flatten(1).norm(dim=1) / (grad(x).flatten(1).norm(dim=1) * u.flatten(1).norm(dim=1))
    assert torch.allclose(A.curvature(tiny_rgb_model, x, y, seed=3), ref, rtol=1e-4)
    xd, yd = digits
    assert A.curvature(mnist_cnn, xd, yd).abs().max().item() == 0.0  # ReLU: zero a.e.
    k = [A.curvature(A.softplus_copy(mnist_cnn, b), xd, yd).mean().item() for b in (1.0, 30.0)]
    assert k[0] < k[1]


def test_second_derivative_matches_finite_differences(mnist_cnn, digits):
    # A random image: MNIST's flat black background makes max-pool ties, where the map jumps.
    smooth = A.softplus_copy(mnist_cnn, beta=5.0).double()
    x, y = (
        torch.rand(1, 1, 28, 28, dtype=torch.double, generator=torch.Generator().manual_seed(0)),
        digits[1][:1],
    )
    mask = torch.zeros(784, dtype=torch.double)
    mask[300:400] = 1

    def f(z):
        return (A.differentiable_saliency(smooth, z.requires_grad_(True), y) * mask).sum()

    xg = x.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(f(xg), xg)
    for r, c in [(12, 14), (10, 10), (20, 15)]:
        e = torch.zeros_like(x)
        e[0, 0, r, c] = 1e-5
        fd = (f(x + e).item() - f(x - e).item()) / 2e-5
        assert g[0, 0, r, c].item() == pytest.approx(fd, rel=1e-3, abs=1e-9)


def test_topk_intersection():
    a = torch.arange(10.0).view(1, 10)
    assert A.topk_intersection(a, a, k=3).tolist() == [1.0]
    assert A.topk_intersection(a, -a, k=3).tolist() == [0.0]
    b = a.clone()
    b[0, 9] = -1  # one of the top 3 leaves
    assert A.topk_intersection(a, b, k=3).item() == pytest.approx(2 / 3)
    maps = torch.rand(2, 28, 28)
    assert A.topk_intersection(maps, maps).tolist() == [1.0, 1.0]  # default k = 10 % = 78
    with pytest.raises(ValueError, match="same shape"):
        A.topk_intersection(maps, maps[:1])
    with pytest.raises(ValueError, match="exceeds"):
        A.topk_intersection(a, a, k=11)


def test_attack_respects_budget_keeps_label_and_moves_map(mnist_cnn, mnist):
    x = mnist.X_test[:12]
    eps = 0.1
    res = A.topk_attack(mnist_cnn, x, epsilon=eps, steps=6)
    assert res.x_adv.shape == x.shape and res.x_adv.device.type == "cpu"
    assert (res.x_adv - x).abs().max().item() <= eps + 1e-6
    assert res.x_adv.min() >= 0 and res.x_adv.max() <= 1
    with torch.no_grad():
        assert torch.equal(mnist_cnn(res.x_adv).argmax(1), mnist_cnn(x).argmax(1))
    assert bool(res.label_kept.all())
    # the reported intersection is the real (ReLU) network's
    pred = mnist_cnn(x).argmax(1)
    recomputed = A.topk_intersection(
        saliency(mnist_cnn, x, pred), saliency(mnist_cnn, res.x_adv, pred)
    )
    assert torch.allclose(recomputed, res.intersection)
    assert res.intersection.mean() < 0.7
    assert len(res.history) == 7 and all(b <= a for a, b in zip(res.history, res.history[1:]))


def test_attack_is_deterministic_and_zero_budget_is_identity(mnist_cnn, mnist):
    x = mnist.X_test[:3]
    r1, r2 = (
        A.topk_attack(mnist_cnn, x, epsilon=0.05, steps=2),
        A.topk_attack(mnist_cnn, x, epsilon=0.05, steps=2),
    )
    assert torch.equal(r1.x_adv, r2.x_adv)
    r0 = A.topk_attack(mnist_cnn, x, epsilon=0.0, steps=2)
    assert torch.equal(r0.x_adv, x) and r0.intersection.tolist() == [1.0, 1.0, 1.0]


def test_attack_bad_input(mnist_cnn, mnist):
    x = mnist.X_test[:2]
    with pytest.raises(ValueError, match="epsilon"):
        A.topk_attack(mnist_cnn, x, epsilon=-0.1)
    with pytest.raises(ValueError, match="batch"):
        A.topk_attack(mnist_cnn, x[0])
    with pytest.raises(ValueError, match="clip"):
        A.topk_attack(mnist_cnn, x, clip=(1.0, 0.0))
    with pytest.raises(ValueError, match="out of range"):
        A.topk_attack(mnist_cnn, x, target=12)


# ------------------------------------------------------ ReLU6, centre of mass, nulls, other methods


def test_softplus_relu6_tends_to_relu6_and_copy_replaces_it():
    z = torch.linspace(-4, 10, 57)
    errs = [
        (A.SoftplusReLU6(b)(z) - torch.nn.functional.relu6(z)).abs().max().item()
        for b in (2.0, 20.0, 200.0)
    ]
    assert errs[0] > errs[1] > errs[2] and errs[2] < 0.01
    net = torch.nn.Sequential(
        torch.nn.Linear(3, 4), torch.nn.ReLU6(), torch.nn.Linear(4, 2), torch.nn.ReLU()
    )
    smooth = A.softplus_copy(net, beta=5.0)
    assert isinstance(smooth[1], A.SoftplusReLU6) and isinstance(smooth[3], torch.nn.Softplus)
    assert isinstance(net[1], torch.nn.ReLU6)  # the original is untouched
    # its second derivative is not zero between the kinks, unlike ReLU6's
    zz = torch.tensor([0.3, 5.8], requires_grad=True)
    (g,) = torch.autograd.grad(A.SoftplusReLU6(5.0)(zz).sum(), zz, create_graph=True)
    (h,) = torch.autograd.grad(g.sum(), zz)
    assert h[0] > 0 and h[1] < 0


def test_center_of_mass_matches_a_loop_and_checks_input():
    gen = torch.Generator().manual_seed(0)
    maps = torch.rand(3, 5, 7, generator=gen)
    com = A.center_of_mass(maps)
    for m, (r, c) in zip(maps, com.tolist()):
        total = m.sum().item()
        rr = sum(i * m[i, j].item() for i in range(5) for j in range(7)) / total
        cc = sum(j * m[i, j].item() for i in range(5) for j in range(7)) / total
        assert (r, c) == pytest.approx((rr, cc), abs=1e-5)
    shifted = torch.roll(
        torch.nn.functional.pad(maps, (0, 3)), shifts=2, dims=2
    )  # move every map 2 columns right
    assert torch.allclose(
        A.center_of_mass(shifted) - com, torch.tensor([0.0, 2.0]).expand(3, 2), atol=1e-5
    )
    with pytest.raises(ValueError, match="non-negative"):
        A.center_of_mass(maps - 1)
    with pytest.raises(ValueError, match=r"\(N, H, W\)"):
        A.center_of_mass(maps[0])


def test_random_sign_perturbation_has_size_epsilon_and_is_seeded():
    x = torch.full((2, 1, 6, 6), 0.5)
    z = A.random_sign_perturbation(x, 0.1, seed=3)
    assert torch.allclose((z - x).abs(), torch.full_like(x, 0.1))
    assert 0.3 < ((z - x) > 0).float().mean() < 0.7  # both signs
    assert torch.equal(z, A.random_sign_perturbation(x, 0.1, seed=3)) and not torch.equal(
        z, A.random_sign_perturbation(x, 0.1, seed=4)
    )
    edge = A.random_sign_perturbation(torch.zeros(1, 1, 4, 4), 0.2, seed=0)
    assert edge.min() == 0 and edge.max() == pytest.approx(0.2)
    with pytest.raises(ValueError, match="epsilon"):
        A.random_sign_perturbation(x, -0.1)


def test_random_sign_attack_keeps_the_best_of_its_draws(mnist_cnn, mnist):
    x = mnist.X_test[:10]
    one = A.random_sign_attack(mnist_cnn, x, epsilon=0.1, steps=1)
    best = A.random_sign_attack(mnist_cnn, x, epsilon=0.1, steps=5)
    assert (
        best.intersection <= one.intersection + 1e-6
    ).all()  # draw 0 is the same, and is kept unless beaten
    assert ((best.x_adv - x).abs().max() <= 0.1 + 1e-6) and bool(best.label_kept.all())
    pred = mnist_cnn(x).argmax(1)
    assert torch.allclose(
        A.topk_intersection(saliency(mnist_cnn, x, pred), saliency(mnist_cnn, best.x_adv, pred)),
        best.intersection,
    )
    far = A.random_sign_attack(mnist_cnn, x, epsilon=0.1, steps=5, objective="center")
    assert (far.shift >= one.shift - 1e-6).all()
    with pytest.raises(ValueError, match="objective"):
        A.random_sign_attack(mnist_cnn, x, objective="middle")


def test_center_of_mass_attack_moves_the_centre_beyond_noise(mnist_cnn, mnist):
    x = mnist.X_test[:12]
    res = A.center_of_mass_attack(mnist_cnn, x, epsilon=0.1, steps=6)
    null = A.random_sign_attack(mnist_cnn, x, epsilon=0.1, steps=6, objective="center")
    assert (res.x_adv - x).abs().max() <= 0.1 + 1e-6 and bool(res.label_kept.all())
    pred = mnist_cnn(x).argmax(1)
    before, after = saliency(mnist_cnn, x, pred), saliency(mnist_cnn, res.x_adv, pred)
    assert torch.allclose(res.before, before) and torch.allclose(res.after, after)
    assert torch.allclose(
        (A.center_of_mass(after) - A.center_of_mass(before)).norm(dim=1), res.shift, atol=1e-5
    )
    assert res.shift.mean() > 1.5 * null.shift.mean()
    assert all(
        b >= a for a, b in zip(res.history, res.history[1:])
    )  # the best shift so far never shrinks


def test_differentiable_smoothgrad_and_ig_match_the_attribution_module(mnist_cnn, digits):
    from xai_helpers.attribution import integrated_gradients, reduce_channels, smoothgrad

    x, y = digits
    ig = A.differentiable_integrated_gradients(
        mnist_cnn, x.clone().requires_grad_(True), y, n_steps=8, normalize=False
    )
    ref = reduce_channels(integrated_gradients(mnist_cnn, x, y, n_steps=8), "abs_sum").flatten(1)
    assert torch.allclose(ig.detach(), ref, atol=1e-5)
    # SmoothGrad: the same noise gives the same map (σ = 0 is saliency)
    sg0 = A.differentiable_smoothgrad(
        mnist_cnn, x.clone().requires_grad_(True), y, sigma=0.0, n_samples=3, normalize=False
    )
    assert torch.allclose(sg0.detach(), saliency(mnist_cnn, x, y).flatten(1), atol=1e-6)
    sg = A.differentiable_smoothgrad(
        mnist_cnn,
        x.clone().requires_grad_(True),
        y,
        sigma=0.15,
        n_samples=64,
        generator=torch.Generator().manual_seed(0),
        normalize=False,
    )
    ref = smoothgrad(mnist_cnn, x, y, sigma=0.15, n_samples=64, seed=1).flatten(
        1
    )  # other noise: close, not equal
    assert torch.corrcoef(torch.stack([sg.detach().flatten(), ref.flatten()]))[0, 1] > 0.9
    # and both can be differentiated through the softplus copy
    smooth = A.softplus_copy(mnist_cnn)
    for f in (
        lambda z: A.differentiable_smoothgrad(smooth, z, y, n_samples=2),
        lambda z: A.differentiable_integrated_gradients(smooth, z, y, n_steps=2),
    ):
        z = x.clone().requires_grad_(True)
        (g,) = torch.autograd.grad(f(z)[:, :100].sum(), z)
        assert g.abs().max() > 0


def test_direct_attacks_on_smoothgrad_and_ig_beat_their_null(mnist_cnn, mnist):
    x = mnist.X_test[:10]
    for method, kw in (
        ("smoothgrad", dict(n_samples=8)),
        ("integrated_gradients", dict(n_steps=4)),
    ):
        res = A.topk_attack(mnist_cnn, x, epsilon=0.1, steps=10, method=method, **kw)
        null = A.random_sign_attack(mnist_cnn, x, epsilon=0.1, steps=10, method=method, **kw)
        judged = A.explanation_map(mnist_cnn, res.x_adv, mnist_cnn(x).argmax(1), method, **kw)
        assert torch.allclose(judged, res.after, atol=1e-6)
        assert res.intersection.mean() < null.intersection.mean() - 0.03, method
    with pytest.raises(ValueError, match="method"):
        A.topk_attack(mnist_cnn, x, method="lime")


def test_pixel_model_equals_normalised_model():
    from xai_helpers.models import PixelInput

    net = torch.nn.Conv2d(3, 2, 1)
    mean, std = (0.4, 0.5, 0.6), (0.2, 0.25, 0.3)
    x = torch.rand(2, 3, 4, 4)
    expected = net((x - torch.tensor(mean).view(1, 3, 1, 1)) / torch.tensor(std).view(1, 3, 1, 1))
    assert torch.allclose(PixelInput(net, mean, std)(x), expected, atol=1e-6)
    with pytest.raises(ValueError, match="std"):
        PixelInput(net, mean, (0.2, 0.0, 0.3))


def test_attack_n_samples_changes_the_attacker_not_the_judge(mnist_cnn, mnist):
    x = mnist.X_test[:4]
    cheap = A.topk_attack(
        mnist_cnn, x, epsilon=0.1, steps=2, method="smoothgrad", n_samples=16, attack_n_samples=2
    )
    judged = A.explanation_map(
        mnist_cnn, cheap.x_adv, mnist_cnn(x).argmax(1), "smoothgrad", n_samples=16
    )
    assert torch.allclose(judged, cheap.after, atol=1e-6)  # the judge uses n_samples
    same = A.topk_attack(mnist_cnn, x, epsilon=0.1, steps=2, method="smoothgrad", n_samples=16)
    assert not torch.equal(
        cheap.x_adv, same.x_adv
    )  # the attacker used its own, smaller noise sample
    with pytest.raises(ValueError, match="attack_n_samples"):
        A.topk_attack(mnist_cnn, x, method="smoothgrad", attack_n_samples=0)


def test_far_corner_is_the_quarter_opposite_the_centre():
    m = torch.zeros(2, 6, 8)
    m[0, 0, 0] = 1.0  # top-left mass: bottom-right quarter
    m[1, 5, 7] = 1.0  # bottom-right mass: top-left quarter
    r = A.far_corner(m)
    assert r.shape == (2, 6, 8) and r.dtype == torch.bool
    assert r[0, 3:, 4:].all() and r[0].sum() == 12
    assert r[1, :3, :4].all() and r[1].sum() == 12


def test_targeted_attack_pulls_mass_into_the_region_beyond_noise(mnist_cnn, mnist):
    x = mnist.X_test[:8]
    region = A.far_corner(saliency(mnist_cnn, x, mnist_cnn(x).argmax(1)))
    res = A.targeted_attack(mnist_cnn, x, region, epsilon=0.1, steps=6)
    null = A.random_sign_attack(
        mnist_cnn, x, epsilon=0.1, steps=6, objective="target", region=region
    )
    share0 = region_share(res.before, region)
    assert (res.x_adv - x).abs().max() <= 0.1 + 1e-6 and res.label_kept.all()
    assert (res.region_share >= share0 - 1e-6).all()  # a step is kept only if the share grows
    assert res.region_share.mean() > null.region_share.mean() + 0.02
    with pytest.raises(TypeError, match="boolean"):
        A.targeted_attack(mnist_cnn, x, region.float(), steps=1)
    with pytest.raises(ValueError, match="shape"):
        A.targeted_attack(mnist_cnn, x, region[:, :10], steps=1)
    with pytest.raises(ValueError, match="inside and some outside"):
        A.targeted_attack(mnist_cnn, x, torch.ones(28, 28, dtype=torch.bool), steps=1)


def test_null_maps_ignore_the_model(mnist_cnn, mnist):
    x = mnist.X_test[:4]
    for method in A.NULL_MAPS:
        a = A.random_sign_attack(mnist_cnn, x, epsilon=0.1, steps=2, method=method)
        b = A.random_sign_attack(
            torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 10)),
            x,
            epsilon=0.1,
            steps=1,
            method=method,
        )
        assert torch.equal(a.before, b.before)  # the same map whatever the model
    assert torch.equal(A.explanation_map(mnist_cnn, x, 0, "input"), x[:, 0])
    with pytest.raises(ValueError, match="method"):
        A.topk_attack(mnist_cnn, x, steps=1, method="input")  # nothing to differentiate


def test_explain_beta_judges_the_softplus_copy(mnist_cnn, mnist):
    x = mnist.X_test[:4]
    t = mnist_cnn(x).argmax(1)
    res = A.random_sign_attack(mnist_cnn, x, epsilon=0.0, steps=1, explain_beta=2.0)
    smooth = saliency(A.softplus_copy(mnist_cnn, 2.0), x, t)
    assert torch.allclose(res.before, smooth)
    assert not torch.allclose(res.before, saliency(mnist_cnn, x, t))
    attacked = A.topk_attack(mnist_cnn, x, epsilon=0.05, steps=2, explain_beta=2.0)
    assert torch.allclose(attacked.before, smooth) and attacked.label_kept.all()


def test_explain_beta_attacked_through_another_copy(mnist_cnn, mnist):
    x = mnist.X_test[:4]
    kw = dict(epsilon=0.1, steps=2, explain_beta=100.0)
    matched, default = (A.topk_attack(mnist_cnn, x, beta=b, **kw) for b in (100.0, None))
    assert torch.equal(matched.x_adv, default.x_adv)  # default: the explainer's own copy
    other = A.topk_attack(mnist_cnn, x, beta=1.0, **kw)
    assert torch.allclose(other.before, matched.before)  # the same map judged
    assert not torch.equal(other.x_adv, matched.x_adv)  # through another copy


def test_photo_attack_row_reports_both_attacks_and_their_nulls():
    torch.manual_seed(0)
    tiny_rgb_model = torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.Flatten(),
        torch.nn.Linear(4 * 16 * 16, 5),
    ).eval()
    x = torch.rand(1, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    row = A.photo_attack_row(tiny_rgb_model, x, steps=1, null_draws=2, epsilon=0.05)
    assert {"center_shift", "center_shift_null", "target_share", "passes_target"} <= set(row)
    assert 0 <= row["target_share"] <= 1 and row["max_change_255"] <= 0.05 * 255 + 1e-3
    assert row["correct"] is False  # no class names given: nothing counts as correct
    with pytest.raises(ValueError, match="one photo"):
        A.photo_attack_row(tiny_rgb_model, torch.rand(2, 3, 16, 16))
    with pytest.raises(ValueError, match="attacks"):
        A.photo_attack_row(tiny_rgb_model, x, attacks=("topk",))


def test_topk_mask_breaks_ties_at_random_not_by_position():
    ties = torch.ones(500, 10)  # every entry tied: each position should win 2/10 of the time
    counts = A.topk_mask(ties, 2).float().sum(0)
    assert counts.sum() == 1000
    assert counts.min() >= 60 and counts.max() <= 140, counts  # torch.topk order: 500 on two
    # the same seed, the same ranking: a tied map compared with itself keeps its top k
    assert A.topk_intersection(ties, ties.clone(), k=2).eq(1).all()
    assert not torch.equal(A.topk_mask(ties, 2, seed=1), A.topk_mask(ties, 2))
    # ties never beat a larger value
    m = torch.tensor([[0.5, 0.5, 0.9, 0.5, 0.1]])
    assert A.topk_mask(m, 1).tolist() == [[False, False, True, False, False]]


def test_quarter_regions_tile_the_image_and_check_input():
    q = A.quarter_regions(5, 6, device="cpu")
    assert q.shape == (4, 5, 6) and q.dtype == torch.bool
    assert not (q.sum(0) > 1).any()  # disjoint
    assert [int(r.sum()) for r in q] == [2 * 3] * 4  # half height (rounded down) × half width
    assert q[0, 0, 0] and q[1, 0, -1] and q[2, -1, 0] and q[3, -1, -1]  # in QUARTERS order
    assert len(A.QUARTERS) == 4
    with pytest.raises(ValueError, match="2 × 2"):
        A.quarter_regions(1, 6)


def test_target_sweep_attacks_each_region_with_its_own_null(mnist_cnn, mnist):
    x = mnist.X_test[:1]
    regions = A.quarter_regions(28, 28, device="cpu")
    attack, null = A.target_sweep(mnist_cnn, x, regions, epsilon=0.1, steps=3, null_draws=3)
    assert attack.x_adv.shape == (4, 1, 28, 28)
    # 28 is even: the four quarters cover the map, so the shares before sum to 1
    assert torch.allclose(attack.region_share_before.sum(), torch.tensor(1.0), atol=1e-4)
    # each copy was attacked into its own quarter: the one attack into quarter q equals the sweep's
    one = A.targeted_attack(mnist_cnn, x, regions[2], epsilon=0.1, steps=3)
    assert torch.allclose(one.region_share, attack.region_share[2:3], atol=1e-5)
    assert (attack.region_share >= attack.region_share_before - 1e-6).all()  # never worse
    picked = attack.select(2)
    assert picked.x_adv.shape == (1, 1, 28, 28) and torch.equal(picked.x_adv, attack.x_adv[2:3])
    with pytest.raises(ValueError, match="one image"):
        A.target_sweep(mnist_cnn, mnist.X_test[:2], regions)
    with pytest.raises(TypeError, match="regions"):
        A.target_sweep(mnist_cnn, x, regions[0])


def test_judge_perturbation_measures_a_stored_attack():
    from xai_helpers.data import load_mnist
    from xai_helpers.models import load_pretrained

    model, x = load_pretrained("mnist_cnn"), load_mnist().X_test[:3]
    region = A.quarter_regions(28, 28)[3]
    same = A.judge_perturbation(model, x, x, region)
    assert same.label_kept.all() and torch.allclose(same.region_share, same.region_share_before)
    attacked = A.targeted_attack(model, x, region, epsilon=0.1, steps=4)
    judged = A.judge_perturbation(model, x, attacked.x_adv, region)
    assert torch.allclose(judged.region_share, attacked.region_share, atol=1e-5)
    with pytest.raises(ValueError, match="shape"):
        A.judge_perturbation(model, x, x[:2], region)


def test_targeted_pgd_stays_in_the_ball_and_pushes_to_the_target(mnist_cnn):
    x = torch.rand(6, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    target = [(int(c) + 1) % 10 for c in mnist_cnn(x).argmax(1)]
    eps = torch.tensor([0.0, 0.1, 0.3] * 2)[:, None, None, None]
    adv = A.targeted_pgd(mnist_cnn, x, target, eps)
    assert ((adv - x).abs() <= eps + 1e-6).all() and adv.min() >= 0 and adv.max() <= 1
    assert torch.equal(adv[0], x[0])  # ε = 0 leaves the image alone
    loss = lambda z: torch.nn.functional.cross_entropy(mnist_cnn(z), torch.tensor(target))  # noqa: E731
    assert loss(adv) < loss(x)
    with pytest.raises(ValueError):
        A.targeted_pgd(mnist_cnn, x, 12, 0.1)


def test_map_agreement_scores_a_map_against_its_reference():
    ref = torch.rand(4, 10, 10, generator=torch.Generator().manual_seed(0))
    other = torch.rand(4, 10, 10, generator=torch.Generator().manual_seed(1))
    agree = A.map_agreement(ref, {"same": ref, "scaled": 3 * ref + 1, "other": other})
    assert agree["same"] == {"shared": 1.0, "pearson": 1.0, "spearman": 1.0}
    assert agree["scaled"]["spearman"] == pytest.approx(1.0)  # ranks ignore a monotone change
    assert abs(agree["other"]["pearson"]) < 0.3 and agree["other"]["shared"] < 0.5


def test_topk_intersection_within_ranks_only_the_region():
    before = torch.zeros(1, 4, 4)
    before[0, 0, :2] = torch.tensor([2.0, 1.0])  # the top two inside the first row
    after = before.clone()
    after[0, 3, 3] = 9.0  # outside the region: ignored
    row = torch.zeros(1, 4, 4, dtype=torch.bool)
    row[0, 0] = True
    assert A.topk_intersection_within(before, after, row, k=2).tolist() == [1.0]
    after[0, 0, 1], after[0, 0, 2] = 0.0, 5.0
    assert A.topk_intersection_within(before, after, row, k=2).tolist() == [0.5]
    with pytest.raises(ValueError, match="at least"):
        A.topk_intersection_within(before, after, row, k=5)


def test_shuffled_delta_null_gives_each_image_another_images_delta(mnist_cnn, mnist):
    x = mnist.X_test[:6]
    t = mnist_cnn(x).argmax(1)
    zero = A.shuffled_delta_null(mnist_cnn, x, torch.zeros_like(x), t, n=3)
    assert torch.allclose(zero, torch.zeros(6), atol=1e-5)  # no δ, no shift
    delta = A.random_sign_perturbation(x, 0.1, seed=1) - x
    moved = A.shuffled_delta_null(mnist_cnn, x, delta, t, n=5)
    assert moved.shape == (6,) and (moved >= 0).all() and moved.max() > 0
    with pytest.raises(ValueError, match="at most"):
        A.shuffled_delta_null(mnist_cnn, x, delta, t, n=6)


def test_shuffled_delta_topk_null_keeps_the_best_of_the_other_images_deltas(mnist_cnn, mnist):
    x = mnist.X_test[:6]
    t = mnist_cnn(x).argmax(1)
    same = A.shuffled_delta_topk_null(mnist_cnn, x, torch.zeros_like(x), t, n=3)
    assert torch.allclose(same, torch.ones(6))  # no δ, every top pixel kept
    delta = A.random_sign_perturbation(x, 0.1, seed=1) - x
    one = A.shuffled_delta_topk_null(mnist_cnn, x, delta, t, n=1, seed=0)
    more = A.shuffled_delta_topk_null(mnist_cnn, x, delta, t, n=5, seed=0)
    assert (more <= one + 1e-6).all() and more.min() < 1  # more tries, never less moved
    with pytest.raises(ValueError, match="at most"):
        A.shuffled_delta_topk_null(mnist_cnn, x, delta, t, n=6)


def test_best_of_draws_keeps_the_label_and_maximises_the_share(mnist_cnn, mnist):
    x = mnist.X_test[:1]
    corner = torch.zeros(28, 28, dtype=torch.bool)
    corner[:14, :14] = True
    z = A.best_of_draws(mnist_cnn, x, 0.1, corner, n=4, seed=0)
    draws = torch.cat([A.random_sign_perturbation(x, 0.1, seed=j) for j in range(4)])
    assert any(torch.equal(z[0], d) for d in draws)  # one of the draws, not x itself
    label = mnist_cnn(x).argmax(1)
    kept = mnist_cnn(draws).argmax(1) == label
    shares = region_share(saliency(mnist_cnn, draws, label.expand(4)), corner)
    best = torch.where(kept, shares, torch.tensor(-1.0)).argmax()
    assert torch.equal(z[0], draws[best])


def test_shuffled_delta_topk_null_within_judges_inside_the_region(mnist_cnn, mnist):
    x = mnist.X_test[:6]
    t = mnist_cnn(x).argmax(1)
    digit = x[:, 0] > 0
    same = A.shuffled_delta_topk_null_within(mnist_cnn, x, torch.zeros_like(x), t, digit, k=15, n=3)
    assert torch.equal(same, torch.ones(6))  # no δ: every top pixel of the digit stays
    delta = A.random_sign_perturbation(x, 0.1, seed=1) - x
    one = A.shuffled_delta_topk_null_within(mnist_cnn, x, delta, t, digit, k=15, n=1)
    more = A.shuffled_delta_topk_null_within(mnist_cnn, x, delta, t, digit, k=15, n=5)
    assert bool((more <= one + 1e-6).all())  # more tries, never a worse best
    with pytest.raises(ValueError):
        A.shuffled_delta_topk_null_within(mnist_cnn, x, delta, t, digit, k=15, n=6)
