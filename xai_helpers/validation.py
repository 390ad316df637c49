"""Input checks shared by every helper module: clear errors that say what was expected.

This is the one home for argument checks (numbers, integers, seeds, arrays, labels, layers).
Other modules import these rather than writing their own. Pure checks: nothing here runs a
model, draws, trains or explains, and it imports no other module of the package (the bottom layer).
"""

from __future__ import annotations

import numbers

import numpy as np
import torch
from torch import nn

__all__ = [
    "check_image_batch",
    "check_target",
    "check_classes",
    "check_positive_int",
    "check_int",
    "check_seed",
    "check_number",
    "check_nonnegative",
    "check_positive",
    "check_fraction",
    "check_array",
    "check_labels",
    "check_indices",
    "check_black_box",
    "check_layer",
]


def check_image_batch(x: object, name: str = "x", channels: int | None = None) -> torch.Tensor:
    """Check that ``x`` is a float tensor of images shaped ``(N, C, H, W)`` without NaN/inf.

    A single image ``(C, H, W)`` is refused rather than silently batched: the message says
    to add ``x[None]``.

    Examples
    --------
    >>> check_image_batch(torch.zeros(2, 1, 28, 28)).shape
    torch.Size([2, 1, 28, 28])
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(
            f"{name} must be a torch.Tensor of shape (N, C, H, W), got {type(x).__name__}"
        )
    if x.ndim == 3:
        raise ValueError(
            f"{name} must be a batch of images (N, C, H, W); got one image of shape "
            f"{tuple(x.shape)}"
            f" — pass {name}[None] to make a batch of one"
        )
    if x.ndim != 4:
        raise ValueError(f"{name} must have shape (N, C, H, W), got shape {tuple(x.shape)}")
    if not torch.is_floating_point(x):
        raise TypeError(
            f"{name} must be a floating-point tensor (e.g. float32 in [0, 1]), got {x.dtype}"
        )
    if channels is not None and x.shape[1] != channels:
        raise ValueError(
            f"{name} must have {channels} channel(s), got {x.shape[1]} (shape {tuple(x.shape)})"
        )
    if x.shape[0] == 0:
        raise ValueError(f"{name} is an empty batch (N = 0)")
    if not torch.isfinite(x).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return x


def check_target(target: object, n: int, num_classes: int) -> torch.Tensor:
    """Turn ``target`` (an int or a sequence/tensor of N ints) into a long tensor of length ``n``.

    Examples
    --------
    >>> check_target(3, 2, 10)
    tensor([3, 3])
    """
    if isinstance(target, bool):
        raise TypeError("target must be a class index (int), not a bool")
    if isinstance(target, numbers.Integral):
        t = torch.full((n,), int(target), dtype=torch.long)
    else:
        t = torch.as_tensor(target)
        if t.dtype.is_floating_point or t.dtype == torch.bool:
            raise TypeError(f"target must hold integer class indices, got dtype {t.dtype}")
        t = t.long().reshape(-1)
        if t.numel() == 1:
            t = t.expand(n).clone()
        if t.numel() != n:
            raise ValueError(f"target must be one int or {n} ints (one per image), got {t.numel()}")
    if (t < 0).any() or (t >= num_classes).any():
        bad = t[(t < 0) | (t >= num_classes)][0].item()
        raise ValueError(
            f"target class {bad} is out of range: the model has {num_classes} classes "
            f"(0..{num_classes - 1})"
        )
    return t


def check_classes(target: torch.Tensor, logits: torch.Tensor) -> None:
    """Raise a clear ValueError when a target class is not one of the model's ``logits.shape[1]``
    classes.

    Examples
    --------
    >>> check_classes(torch.tensor([1]), torch.zeros(1, 2))
    >>> check_classes(torch.tensor([2]), torch.zeros(1, 2))
    Traceback (most recent call last):
    ...
    ValueError: target class 2 is out of range: the model has 2 classes (0..1)
    """
    if logits.ndim != 2:
        raise ValueError(
            f"the model must return logits of shape (N, K), got shape {tuple(logits.shape)}"
        )
    k = logits.shape[1]
    if (target >= k).any():
        bad = int(target[target >= k][0])
        raise ValueError(
            f"target class {bad} is out of range: the model has {k} classes (0..{k - 1})"
        )


def check_int(
    value: object, name: str, minimum: int | None = None, maximum: int | None = None
) -> int:
    """Check an integer (not a bool), optionally within ``[minimum, maximum]``.

    Examples
    --------
    >>> check_int(3, "depth", minimum=1)
    3
    >>> check_int(True, "depth")
    Traceback (most recent call last):
    ...
    TypeError: depth must be an int, got bool
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    return int(value)


def check_positive_int(value: object, name: str, minimum: int = 1) -> int:
    """Check an integer knob such as a number of samples or steps (``>= minimum``, default 1)."""
    return check_int(value, name, minimum=minimum)


def check_seed(seed: object, name: str = "seed") -> int:
    """Check a random seed: a non-negative int.

    Examples
    --------
    >>> check_seed(0)
    0
    """
    return check_int(seed, name, minimum=0)


def check_number(
    value: object,
    name: str,
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Check a finite real number (not a bool), optionally within bounds; returns it as a float.

    ``low_open`` / ``high_open`` make a bound strict. The message states the interval in the
    usual notation, e.g. ``(0, 1]``.

    Examples
    --------
    >>> check_number(0.5, "sigma", 0, 1, low_open=True)
    0.5
    >>> check_number(0, "sigma", 0, 1, low_open=True)
    Traceback (most recent call last):
    ...
    ValueError: sigma must lie in (0, 1], got 0.0
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value}")
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high:
        if high is None:
            raise ValueError(f"{name} must be {'>' if low_open else '>='} {_fmt(low)}, got {value}")
        if low is None:
            raise ValueError(
                f"{name} must be {'<' if high_open else '<='} {_fmt(high)}, got {value}"
            )
        left, right = "(" if low_open else "[", ")" if high_open else "]"
        raise ValueError(f"{name} must lie in {left}{_fmt(low)}, {_fmt(high)}{right}, got {value}")
    return value


def _fmt(v: float) -> str:
    return f"{v:g}"


def check_nonnegative(value: object, name: str) -> float:
    """Check a finite number ``>= 0`` (a weight, a strength, a noise level).

    Examples
    --------
    >>> check_nonnegative(-1, "lam")
    Traceback (most recent call last):
    ...
    ValueError: lam must be >= 0, got -1.0
    """
    return check_number(value, name, low=0.0)


def check_positive(value: object, name: str) -> float:
    """Check a finite number ``> 0`` (a learning rate, a kernel width)."""
    return check_number(value, name, low=0.0, low_open=True)


def check_fraction(value: object, name: str, low: float = 0.0, high: float = 1.0) -> float:
    """Check a float knob that must lie in ``[low, high]`` (default ``[0, 1]``)."""
    return check_number(value, name, low, high)


def check_array(
    value: object,
    name: str,
    ndim: int | None = None,
    *,
    min_rows: int = 1,
    finite: bool = True,
) -> np.ndarray:
    """Turn ``value`` into a numeric numpy array, checking its number of dimensions and values.

    Examples
    --------
    >>> check_array([[1, 2], [3, 4]], "X", ndim=2).shape
    (2, 2)
    >>> check_array([1.0, float("nan")], "X")
    Traceback (most recent call last):
    ...
    ValueError: X contains NaN or infinite values
    """
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    a = np.asarray(value)
    if a.dtype == object or not (np.issubdtype(a.dtype, np.number) or a.dtype == bool):
        raise TypeError(f"{name} must be a numeric array, got dtype {a.dtype}")
    if ndim is not None and a.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {a.shape}")
    if a.ndim >= 1 and a.shape[0] < min_rows:
        raise ValueError(f"{name} must have at least {min_rows} row(s), got shape {a.shape}")
    if finite and np.issubdtype(a.dtype, np.floating) and not np.isfinite(a).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return a


def check_labels(
    labels: object, n: int, name: str = "labels", num_classes: int | None = None
) -> np.ndarray:
    """Check one integer class label per sample (shape ``(n,)``), optionally below ``num_classes``.

    Examples
    --------
    >>> check_labels([0, 1, 1], 3)
    array([0, 1, 1])
    """
    if isinstance(labels, torch.Tensor):
        labels = labels.detach().cpu().numpy()
    y = np.asarray(labels)
    if y.shape != (n,):
        raise ValueError(f"{name} must hold one label per sample, shape ({n},), got {y.shape}")
    if not np.issubdtype(y.dtype, np.integer):
        raise TypeError(f"{name} must be integers (class indices), got dtype {y.dtype}")
    if num_classes is not None and ((y < 0).any() or (y >= num_classes).any()):
        bad = y[(y < 0) | (y >= num_classes)][0]
        raise ValueError(f"{name} holds class {bad}, out of range 0..{num_classes - 1}")
    return y


def check_indices(value: object, name: str, minimum: int = 0) -> list[int]:
    """Check an int or a non-empty sequence of ints (classes, channels), each ``>= minimum``;
    returns a list.

    Examples
    --------
    >>> check_indices(3, "classes"), check_indices(range(2), "classes")
    ([3], [0, 1])
    >>> check_indices([1, -1], "channels")
    Traceback (most recent call last):
    ...
    ValueError: channels must be >= 0, got -1
    """
    if isinstance(value, torch.Tensor):
        value = value.reshape(-1).tolist()
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an int or a list of ints, not a bool")
    if isinstance(value, numbers.Integral):
        value = [value]
    if isinstance(value, range):
        value = list(value)
    if (
        not isinstance(value, (list, tuple))
        or len(value) == 0
        or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in value)
    ):
        raise TypeError(f"{name} must be an int or a non-empty list of ints, got {value!r}")
    return [check_int(v, name, minimum=minimum) for v in value]


def check_black_box(predict_fn: object, X: np.ndarray, name: str = "predict_fn") -> np.ndarray:
    """Call the black box ``predict_fn`` on the rows of ``X`` and check it returns one output per
    row (as float64).

    Examples
    --------
    >>> check_black_box(lambda A: A.sum(1), np.ones((3, 2))).tolist()
    [2.0, 2.0, 2.0]
    >>> check_black_box(lambda A: A[:1], np.ones((3, 2)))
    Traceback (most recent call last):
    ...
    ValueError: predict_fn must return one output per row: got shape (1, 2) for 3 rows
    """
    if not callable(predict_fn):
        raise TypeError(
            f"{name} must be a callable mapping an (n, d) array to n outputs, got "
            f"{type(predict_fn).__name__}"
        )
    y = predict_fn(X)
    if isinstance(y, torch.Tensor):
        y = y.detach().cpu().numpy()
    y = np.asarray(y, dtype=np.float64)
    if y.ndim == 0 or y.shape[0] != X.shape[0]:
        raise ValueError(
            f"{name} must return one output per row: got shape {y.shape} for {X.shape[0]} rows"
        )
    return y


def check_layer(model: nn.Module, layer: object) -> nn.Module:
    """Find ``layer`` in ``model``: a submodule's name (``"conv2"``) or the submodule itself.

    Examples
    --------
    >>> net = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    >>> check_layer(net, "1")
    ReLU()
    >>> check_layer(net, "fc9")
    Traceback (most recent call last):
    ...
    ValueError: the model has no layer 'fc9'; its layers are: 0, 1
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if isinstance(layer, nn.Module):
        if not any(layer is m for m in model.modules()) or layer is model:
            raise ValueError("layer must be a submodule of model (e.g. model.conv2 or 'conv2')")
        return layer
    modules = dict(model.named_modules())
    if not isinstance(layer, str) or layer == "" or layer not in modules:
        names = [n for n in modules if n]
        raise ValueError(f"the model has no layer {layer!r}; its layers are: {', '.join(names)}")
    return modules[layer]
