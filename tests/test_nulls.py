"""Random tie-breaking, ink-blob nulls (xai_helpers.nulls) and one-sided derivatives (xai_helpers.kinks)."""

import pytest
import torch
from torch import nn

from xai_helpers.evaluation import top_k_deletion
from xai_helpers.kinks import one_sided_derivatives
from xai_helpers.models import MnistCNN
from xai_helpers.nulls import ink_blobs, untie


def test_untie_keeps_the_order_of_distinct_values():
    maps = torch.randn(3, 5, 6)
    r = untie(maps, seed=1)
    assert torch.equal(r.flatten(1).argsort(1), maps.flatten(1).argsort(1))


def test_untie_breaks_ties_at_random_not_by_position():
    maps = torch.zeros(1, 4, 4)
    maps[0, 3, 3] = 1.0
    firsts = {int(untie(maps, seed=s)[0].flatten()[:15].argmax()) for s in range(40)}
    assert int(untie(maps, seed=0)[0].flatten().argmax()) == 15  # the one larger value stays on top
    assert len(firsts) >= 8  # the 15 tied pixels are ordered differently from seed to seed


def test_untie_is_deterministic_given_seed_and_rejects_bad_input():
    maps = torch.zeros(2, 3, 3)
    assert torch.equal(untie(maps, seed=3), untie(maps, seed=3))
    with pytest.raises(ValueError):
        untie(torch.zeros(3, 3))
    with pytest.raises(ValueError):
        untie(torch.full((1, 2, 2), float("nan")))
    with pytest.raises(TypeError):
        untie([[0.0]])


def test_ink_blobs_are_k_mask_pixels_and_compact():
    mask = torch.zeros(2, 28, 28, dtype=torch.bool)
    mask[:, 4:24, 10:14] = True  # a bar 20 × 4
    blobs = ink_blobs(mask, k=12, n_draws=30, seed=0)
    assert blobs.shape == (30, 2, 28, 28)
    assert (blobs.sum((2, 3)) == 12).all() and (blobs.bool() <= mask).all()
    rows = blobs.bool().nonzero()  # (draw, image, r, c)
    for d in range(30):
        r = rows[(rows[:, 0] == d) & (rows[:, 1] == 0), 2]
        assert r.max() - r.min() <= 4  # 12 pixels of a 4-wide bar span 3–4 rows, not the bar's 20
    assert len({tuple(b[0].nonzero()[0].tolist()) for b in blobs}) > 5  # centres vary


def test_ink_blob_is_removed_exactly_by_top_k_deletion():
    mask = torch.rand(1, 28, 28, generator=torch.Generator().manual_seed(0)) > 0.7
    blob = ink_blobs(mask, k=40, n_draws=1, seed=2)[0]
    x = mask[:, None].float()
    removed = torch.where(blob.bool()[:, None], 0.0, x)
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    with torch.no_grad():
        p = net(torch.cat([x, removed])).softmax(1)[:, 3]
    assert torch.allclose(top_k_deletion(net, x, 3, blob, 40), p[:1] - p[1:], atol=1e-6)


def test_ink_blobs_rejects_a_mask_smaller_than_k():
    with pytest.raises(ValueError, match="at least k"):
        ink_blobs(torch.zeros(1, 5, 5, dtype=torch.bool), k=3, n_draws=2)


def test_one_sided_derivatives_equal_the_gradient_where_it_exists():
    torch.manual_seed(0)
    net = MnistCNN().double().eval()
    x = torch.rand(1, 1, 28, 28, dtype=torch.float64)  # no exact ties
    right, left = one_sided_derivatives(net, x, target=2)
    g = torch.autograd.grad(net(x.requires_grad_(True))[0, 2], x)[0][0, 0]
    smooth = (right - left).abs() <= 1e-6 * right.abs().clamp_min(1e-3)
    assert smooth.float().mean() > 0.95
    assert torch.allclose(right[smooth], g[smooth], rtol=1e-5, atol=1e-8)


def test_one_sided_derivatives_find_max_pool_ties():
    net = nn.Sequential(nn.MaxPool2d(2), nn.Flatten(), nn.Linear(1, 2)).double()
    with torch.no_grad():
        net[2].weight.fill_(1.0)
    x = torch.zeros(1, 1, 2, 2, dtype=torch.float64)  # four tied values in one window
    right, left = one_sided_derivatives(net, x, target=0)
    assert torch.allclose(right, torch.ones(2, 2).double()) and torch.allclose(left, torch.zeros(2, 2).double(), atol=1e-9)
    with pytest.raises(ValueError):
        one_sided_derivatives(net, torch.zeros(2, 1, 2, 2, dtype=torch.float64), target=0)
    with pytest.raises(ValueError):
        one_sided_derivatives(net, x, target=5)
