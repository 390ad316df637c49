"""Torch utilities every layer above uses: where a model lives, hooks, batches, probabilities, null
models.

A leaf module: it imports torch and :mod:`xai_helpers.validation` only.
"""

from __future__ import annotations

import contextlib
import copy
import sys
from collections.abc import Iterator

import torch
from torch import nn

from .validation import check_image_batch, check_layer, check_seed, check_target

__all__ = [
    "model_device",
    "LayerOutput",
    "forward_hook",
    "prepare_batch",
    "predict_proba",
    "randomizable_layers",
    "untrained_copy",
    "scaled_logits_copy",
]


def model_device(model: torch.nn.Module) -> torch.device:
    """The device a model's parameters live on (the CPU for a model without parameters).

    Examples
    --------
    >>> model_device(torch.nn.Linear(2, 2))
    device(type='cpu')
    """
    try:
        return next(model.parameters()).device
    except StopIteration:
        return torch.device("cpu")


def prepare_batch(
    model: nn.Module, x: object, target: object
) -> tuple[torch.Tensor, torch.Tensor, torch.device]:
    """Check ``x`` and ``target`` for a method that explains ``model``; put the model in eval mode.

    Returns ``(x, target as a long tensor of N indices, the model's device)``. The upper bound of
    the class index is checked later, against the logits of the method's first forward pass, by
    :func:`check_classes` (no extra forward pass).

    Examples
    --------
    >>> x, t, dev = prepare_batch(nn.Linear(2, 2), torch.zeros(3, 1, 1, 2), 1)
    >>> t.tolist(), dev.type
    ([1, 1, 1], 'cpu')
    """
    check_image_batch(x)
    model.eval()
    dev = model_device(model)
    try:
        t = check_target(target, x.shape[0], sys.maxsize)
    except ValueError as e:
        if "out of range" not in str(e):
            raise
        raise ValueError(f"{str(e).split(':')[0]}: class indices start at 0") from None
    return x, t, dev


class LayerOutput:
    """What :func:`forward_hook` recorded: ``output`` is the layer's latest output (``None`` before
    a forward pass)."""

    def __init__(self) -> None:
        self.output: torch.Tensor | None = None

    def __repr__(self) -> str:
        shape = None if self.output is None else tuple(self.output.shape)
        return f"LayerOutput(shape={shape})"


@contextlib.contextmanager
def forward_hook(model: nn.Module, layer: str | nn.Module) -> Iterator[LayerOutput]:
    """Record ``layer``'s output during forward passes of ``model``; the hook is removed on exit.

    The recorded tensor is kept in the graph (not detached), so gradients with respect to it
    can be taken (Grad-CAM, activation maximization).

    Examples
    --------
    >>> net = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    >>> with forward_hook(net, "0") as rec:
    ...     _ = net(torch.zeros(4, 2))
    >>> tuple(rec.output.shape)
    (4, 3)
    >>> len(net[0]._forward_hooks)
    0
    """
    module = check_layer(model, layer)
    record = LayerOutput()

    def hook(_module: nn.Module, _inputs: object, output: torch.Tensor) -> None:
        record.output = output

    handle = module.register_forward_hook(hook)
    try:
        yield record
    finally:
        handle.remove()


@torch.no_grad()
def predict_proba(model: nn.Module, x: torch.Tensor, batch_size: int = 64) -> torch.Tensor:
    """Class probabilities (softmax of the logits) for a batch, computed in chunks, on the CPU.

    Examples
    --------
    >>> p = predict_proba(nn.Sequential(nn.Flatten(), nn.Linear(784, 10)), torch.zeros(3, 1, 28,
    ... 28))
    >>> p.shape, bool(torch.allclose(p.sum(1), torch.ones(3)))
    (torch.Size([3, 10]), True)
    """
    check_image_batch(x)
    model.eval()
    device = model_device(model)
    out = [
        model(x[i : i + batch_size].to(device)).softmax(-1).cpu()
        for i in range(0, len(x), batch_size)
    ]
    return torch.cat(out)


def randomizable_layers(model: nn.Module) -> list[str]:
    """Names of the layers with their own parameters, from the output back to the input (top down).

    Examples
    --------
    >>> from xai_helpers.models import MnistCNN
    >>> randomizable_layers(MnistCNN())
    ['fc2', 'fc1', 'conv2', 'conv1']
    """
    names = [
        name
        for name, m in model.named_modules()
        if name
        and any(True for _ in m.parameters(recurse=False))
        and hasattr(m, "reset_parameters")
    ]
    return names[::-1]


def untrained_copy(model: nn.Module, seed: int = 0) -> nn.Module:
    """The same architecture with random weights: the *untrained network*, the null of "the network
    learned …".

    Every layer with its own parameters is re-initialised with its ``reset_parameters()`` under
    ``torch.manual_seed(seed + i)``, i counting the layers from the top, exactly as the last copy of
    :func:`cascading_randomization`. The model itself is not changed. Random convolutions, pooling
    and ReLUs already change distances and make some properties readable by a probe (the *random
    representation* baseline of probing, Zhang & Bowman 2018), so a claim about what training did is
    measured against this copy.

    Examples
    --------
    >>> from xai_helpers.models import MnistCNN
    >>> net = MnistCNN()
    >>> rand = untrained_copy(net, seed=0)
    >>> bool(torch.equal(rand.fc2.weight, untrained_copy(net,
    ... seed=0).fc2.weight)), bool(torch.equal(rand.fc2.weight, net.fc2.weight))
    (True, False)
    """
    seed = check_seed(seed)
    rand = copy.deepcopy(model).eval()
    for i, name in enumerate(randomizable_layers(model)):
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed + i)
            check_layer(rand, name).reset_parameters()
    return rand


def scaled_logits_copy(model: nn.Module, factor: float) -> nn.Module:
    """A copy whose logits are ``factor`` times the model's: its top layer's weight and bias scaled.

    A *confidence-matched* null: an untrained network (:func:`untrained_copy`) is unsure, its
    softmax near uniform, while a trained one is sure. Scaling the logits makes the untrained copy
    sure without training it, so a property of confident softmaxes (saturation) is not credited
    to training. The top layer (the first of :func:`randomizable_layers`) must be the output's
    affine layer. The model itself is not changed.

    Examples
    --------
    >>> from xai_helpers.models import MnistCNN
    >>> net, x = MnistCNN().eval(), torch.rand(2, 1, 28, 28)
    >>> bool(torch.allclose(scaled_logits_copy(net, 3.0)(x), 3 * net(x), atol=1e-5))
    True
    """
    if not factor > 0:
        raise ValueError(f"factor must be positive, got {factor!r}")
    sure = copy.deepcopy(model).eval()
    top = check_layer(sure, randomizable_layers(model)[0])
    with torch.no_grad():
        for param in top.parameters(recurse=False):
            param.mul_(factor)
    return sure
