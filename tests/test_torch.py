"""xai_helpers._torch: the hook, the batch check, probabilities and the untrained copy."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from xai_helpers import _torch as T


def test_forward_hook_records_and_removes_its_hook():
    net = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    with T.forward_hook(net, "0") as rec:
        assert rec.output is None
        out = net(torch.ones(4, 2))
        assert rec.output.shape == (4, 3) and len(net[0]._forward_hooks) == 1
        assert rec.output.requires_grad  # kept in the graph: gradients w.r.t. it can be taken
        torch.autograd.grad(out.sum(), rec.output)
    assert len(net[0]._forward_hooks) == 0
    with pytest.raises(RuntimeError, match="boom"):
        with T.forward_hook(net, net[1]):
            raise RuntimeError("boom")
    assert len(net[1]._forward_hooks) == 0
    with pytest.raises(ValueError, match="no layer"):
        with T.forward_hook(net, "fc"):
            pass


def test_scaled_logits_copy_scales_the_logits_and_leaves_the_model():
    from xai_helpers.models import MnistCNN

    torch.manual_seed(0)
    net, x = MnistCNN().eval(), torch.rand(4, 1, 28, 28)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    sure = T.scaled_logits_copy(net, 200.0)
    torch.testing.assert_close(sure(x), 200.0 * net(x), rtol=1e-4, atol=1e-4)
    assert all(torch.equal(v, net.state_dict()[k]) for k, v in before.items())
    assert sure(x).softmax(1).max(1).values.min() > net(x).softmax(1).max(1).values.max()
    with pytest.raises(ValueError, match="positive"):
        T.scaled_logits_copy(net, 0.0)
