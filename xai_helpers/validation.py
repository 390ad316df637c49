"""Input checks shared by the helpers: clear errors that say what was expected."""

from __future__ import annotations

import numbers

import torch

__all__ = ["check_image_batch", "check_target", "check_positive_int", "check_fraction"]


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
        raise TypeError(f"{name} must be a torch.Tensor of shape (N, C, H, W), got {type(x).__name__}")
    if x.ndim == 3:
        raise ValueError(
            f"{name} must be a batch of images (N, C, H, W); got one image of shape {tuple(x.shape)}"
            f" — pass {name}[None] to make a batch of one"
        )
    if x.ndim != 4:
        raise ValueError(f"{name} must have shape (N, C, H, W), got shape {tuple(x.shape)}")
    if not torch.is_floating_point(x):
        raise TypeError(f"{name} must be a floating-point tensor (e.g. float32 in [0, 1]), got {x.dtype}")
    if channels is not None and x.shape[1] != channels:
        raise ValueError(f"{name} must have {channels} channel(s), got {x.shape[1]} (shape {tuple(x.shape)})")
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
        raise ValueError(f"target class {bad} is out of range: the model has {num_classes} classes (0..{num_classes - 1})")
    return t


def check_positive_int(value: object, name: str, minimum: int = 1) -> int:
    """Check an integer knob such as a number of samples or steps."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def check_fraction(value: object, name: str, low: float = 0.0, high: float = 1.0) -> float:
    """Check a float knob that must lie in ``[low, high]``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    value = float(value)
    if not (low <= value <= high):
        raise ValueError(f"{name} must lie in [{low}, {high}], got {value}")
    return value
