"""xai_helpers.attacks: softplus copy, differentiable saliency, top-k intersection, the top-k attack."""

from __future__ import annotations

import pytest
import torch
from captum.attr import Saliency

from xai_helpers import attacks as A
from xai_helpers.attribution import saliency


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
        errs = [(A.softplus_copy(mnist_cnn, b)(x) - ref).abs().max().item() for b in (5.0, 50.0, 500.0)]
    assert errs[0] > errs[1] > errs[2] and errs[2] < 0.05


def test_differentiable_saliency_matches_captum_on_relu_net(mnist_cnn, digits):
    x, y = digits
    ours = A.differentiable_saliency(mnist_cnn, x.clone().requires_grad_(True), y, normalize=False).detach()
    theirs = Saliency(mnist_cnn).attribute(x, target=y, abs=True).amax(1).flatten(1)
    assert torch.allclose(ours, theirs, atol=1e-6)


def test_relu_second_derivative_vanishes_softplus_does_not(mnist_cnn, digits):
    x, y = digits
    xr = x.clone().requires_grad_(True)
    (g_relu,) = torch.autograd.grad(A.differentiable_saliency(mnist_cnn, xr, y)[:, :100].sum(), xr)
    assert g_relu.abs().max().item() == 0.0  # exactly 0, not rounding: ReLU's backward is a mask with zero derivative
    xs = x.clone().requires_grad_(True)
    (g_soft,) = torch.autograd.grad(A.differentiable_saliency(A.softplus_copy(mnist_cnn), xs, y)[:, :100].sum(), xs)
    assert g_soft.abs().max().item() > 1e-5


def test_second_derivative_matches_finite_differences(mnist_cnn, digits):
    # A random image: MNIST's flat black background makes max-pool ties, where the map jumps.
    smooth = A.softplus_copy(mnist_cnn, beta=5.0).double()
    x, y = torch.rand(1, 1, 28, 28, dtype=torch.double, generator=torch.Generator().manual_seed(0)), digits[1][:1]
    mask = torch.zeros(784, dtype=torch.double)
    mask[300:400] = 1

    def f(z):
        return (A.differentiable_saliency(smooth, z.requires_grad_(True), y) * mask).sum()

    xg = x.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(f(xg), xg)
    for (r, c) in [(12, 14), (10, 10), (20, 15)]:
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
    recomputed = A.topk_intersection(saliency(mnist_cnn, x, pred), saliency(mnist_cnn, res.x_adv, pred))
    assert torch.allclose(recomputed, res.intersection)
    assert res.intersection.mean() < 0.7
    assert len(res.history) == 7 and all(b <= a for a, b in zip(res.history, res.history[1:]))


def test_attack_is_deterministic_and_zero_budget_is_identity(mnist_cnn, mnist):
    x = mnist.X_test[:3]
    r1, r2 = A.topk_attack(mnist_cnn, x, epsilon=0.05, steps=2), A.topk_attack(mnist_cnn, x, epsilon=0.05, steps=2)
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
