"""Where a ReLU/max-pool network has no gradient: one-sided derivatives of a class score.

A network built of ReLUs and max-pools is piecewise linear. At a *kink* (a ReLU input exactly 0,
or a max-pool window whose largest values tie) the score's slope to the right and to the left of
a pixel differ, and the gradient autograd returns is one of them, picked by how the layer breaks
the tie. :func:`one_sided_derivatives` measures both slopes for every pixel by finite differences.
"""

from __future__ import annotations

import torch
from torch import nn

from .validation import check_image_batch, check_int, check_positive, check_positive_int

__all__ = ["one_sided_derivatives"]


def one_sided_derivatives(
    model: nn.Module, x: torch.Tensor, target: int, eps: float = 1e-6, batch_size: int = 196
) -> tuple[torch.Tensor, torch.Tensor]:
    """Right and left difference quotients of the class score (logit) ``target`` for every pixel.

    Right: (y(x + ε e_n) − y(x)) / ε; left: (y(x) − y(x − ε e_n)) / ε, for each pixel n of
    channel 0 of one image. Where the network is differentiable both equal the gradient; where
    they differ, pixel n sits on a kink. Use a float64 model and input: with float32, ε must be
    so large that the step itself crosses kinks.

    Parameters
    ----------
    model : nn.Module
        Classifier returning logits (N, classes).
    x : torch.Tensor
        One image (1, C, H, W).
    target : int
        Class whose logit is differentiated.
    eps : float
        Step ε > 0.
    batch_size : int
        Nudged images per forward pass (memory).

    Returns
    -------
    (right, left) : tuple of torch.Tensor
        Two (H, W) tensors on ``x``'s device.

    Examples
    --------
    >>> net = nn.Sequential(nn.Flatten(), nn.ReLU(), nn.Linear(4, 2)).double()
    >>> x = torch.tensor([[[[0.0, 1.0], [2.0, -1.0]]]], dtype=torch.float64)
    >>> right, left = one_sided_derivatives(net, x, target=0)
    >>> bool(right[0, 0] != left[0, 0]), bool(torch.allclose(right[0, 1], left[0, 1]))  # ReLU kink at 0
    (True, True)
    """
    x = check_image_batch(x)
    if len(x) != 1:
        raise ValueError(f"x must hold one image (1, C, H, W), got {len(x)}")
    target = check_int(target, "target", minimum=0)
    eps = check_positive(eps, "eps")
    batch_size = check_positive_int(batch_size, "batch_size")
    _, c, h, w = x.shape
    dev = next(model.parameters()).device
    right, left = [], []
    with torch.no_grad():
        logits = model(x.to(dev))
        if target >= logits.shape[1]:
            raise ValueError(f"target must be a class of the model, 0 … {logits.shape[1] - 1}, got {target}")
        y0 = logits[0, target]
        for start in range(0, h * w, batch_size):
            idx = torch.arange(start, min(start + batch_size, h * w), device=x.device)
            step = torch.zeros(len(idx), c, h * w, dtype=x.dtype, device=x.device)
            step[torch.arange(len(idx)), 0, idx] = eps
            step = step.view(len(idx), c, h, w)
            right.append((model((x + step).to(dev))[:, target] - y0) / eps)
            left.append((y0 - model((x - step).to(dev))[:, target]) / eps)
    return torch.cat(right).view(h, w).to(x.device), torch.cat(left).view(h, w).to(x.device)
