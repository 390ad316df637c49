"""Toy models small enough to reason about by hand (lecture §9: the elephant's trunk).

The lecture's example of *gradient saturation* (梯度饱和): the longer the trunk, the more
"elephant"; past some length the score stops growing, ∂score/∂(trunk length) ≈ 0, and the
gradient calls the trunk unimportant although it is what makes the animal an elephant.
:class:`ElephantScore` is that detector, written as a logistic model of two features.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["ElephantScore", "ELEPHANT_FEATURES", "plot_elephant"]

#: The toy's input features, in order.
ELEPHANT_FEATURES = ("trunk length (m)", "ear size (m)")


class ElephantScore(nn.Module):
    """An "elephant detector": p(elephant) = sigmoid(w_trunk · trunk + w_ear · ear + bias).

    The score rises steeply with the trunk length and saturates near 1 once the trunk is longer
    than about 1.5 m; the ear size helps a little. Inputs: (N, 2) float tensors
    ``[trunk length in m, ear size in m]``; output: (N,) probabilities.

    Parameters
    ----------
    w_trunk, w_ear, bias : float
        Weight of each feature and the bias of the logit.

    Examples
    --------
    >>> elephant = ElephantScore()
    >>> x = torch.tensor([[0.0, 0.5], [2.5, 0.5]], dtype=torch.float64)
    >>> [round(p, 3) for p in elephant(x).tolist()]
    [0.076, 0.999]
    """

    def __init__(self, w_trunk: float = 4.0, w_ear: float = 1.0, bias: float = -3.0):
        super().__init__()
        self.register_buffer("weight", torch.tensor([w_trunk, w_ear], dtype=torch.float64))
        self.register_buffer("bias", torch.tensor(bias, dtype=torch.float64))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"x must be a torch.Tensor of shape (N, 2) [trunk length, ear size], got {type(x).__name__}")
        if x.ndim != 2 or x.shape[1] != 2:
            raise ValueError(f"x must have shape (N, 2) [trunk length, ear size], got {tuple(x.shape)}")
        if not torch.is_floating_point(x):
            raise TypeError(f"x must be a floating-point tensor, got {x.dtype}")
        return torch.sigmoid(x.to(self.weight.dtype) @ self.weight + self.bias)


def plot_elephant(model: ElephantScore, trunk: float, ear: float, grad: float | None = None, ax=None, max_trunk: float = 3.0):
    """Draw p(elephant) against the trunk length, the current animal, and the gradient's tangent.

    Parameters
    ----------
    trunk, ear : float
        The animal being explained.
    grad : float, optional
        ∂p/∂trunk at that point; drawn as the tangent line.

    Returns
    -------
    matplotlib.lines.Line2D
        The score curve.

    Examples
    --------
    >>> line = plot_elephant(ElephantScore(), trunk=2.5, ear=0.5, grad=0.002)
    >>> line.get_xdata().max()
    np.float64(3.0)
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.5))
    dev = model.weight.device  # the model's buffers' device, so that a model moved to a GPU can be drawn
    ts = torch.linspace(0, max_trunk, 200, dtype=torch.float64, device=dev)
    with torch.no_grad():
        ps = model(torch.stack([ts, torch.full_like(ts, ear)], 1))
        p = float(model(torch.tensor([[trunk, ear]], dtype=torch.float64, device=dev))[0])
    (line,) = ax.plot(ts.cpu().numpy(), ps.cpu().numpy(), color="C0", label="p(elephant)")
    ax.plot([trunk], [p], "o", color="C1", label=f"this animal: p = {p:.3f}")
    if grad is not None:
        dt = 0.35
        ax.plot([trunk - dt, trunk + dt], [p - grad * dt, p + grad * dt], color="C1", lw=2, label=f"gradient ∂p/∂trunk = {grad:.4f}")
    ax.set_xlabel(ELEPHANT_FEATURES[0])
    ax.set_ylabel("p(elephant)")
    ax.set_ylim(-0.05, 1.1)
    ax.set_title(f"The elephant detector (ear size {ear:.2f} m)")
    ax.legend(loc="lower right", fontsize="small")
    return line
