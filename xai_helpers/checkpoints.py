"""The shipped checkpoints: where they live, how they are saved, loaded and verified.

Checkpoints ship inside the package (the data folder ``xai_helpers/checkpoints/``, read through
:mod:`importlib.resources`, so a plain ``pip install`` has them) with their SHA-256 in
``SHA256SUMS``; they are loaded with ``torch.load(..., weights_only=True)`` and refused when the
hash differs. Each is a dict ``{"arch": "xai_helpers.models:Class", "kwargs": {...}, "state_dict":
..., "meta": {...}}`` written by :func:`save_checkpoint` from a recipe in :mod:`xai_helpers.train`;
the model is rebuilt from it by :func:`xai_helpers.models.load_pretrained`. This module names model
classes by the path it records, so it does not import :mod:`xai_helpers.models`.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import zlib
from importlib.resources import files
from pathlib import Path

import torch
from torch import nn

try:
    from importlib.resources.abc import Traversable
except ImportError:  # Python 3.10
    from importlib.abc import Traversable

from ._runtime import cache_dir

__all__ = [
    "CHECKPOINT_DIR",
    "ChecksumError",
    "sha256",
    "checkpoint_names",
    "default_directory",
    "save_checkpoint",
    "load_checkpoint",
    "checkpoint_meta",
    "SEED_TABLE",
    "EDIT_TABLE",
    "load_edit_table",
    "REGION_TABLE",
    "load_region_table",
    "load_seed_table",
    "GAN_SEARCH_TABLE",
    "load_gan_search_table",
    "TREE_DATA_TABLE",
    "load_tree_data_table",
    "L2_TABLE",
    "load_l2_table",
    "ATTACK_PHOTO_TABLE",
    "ATTACK_DELTA_TABLE",
    "load_attack_photo_table",
    "PRIOR_RUN_TABLE",
    "load_prior_run_table",
    "AM_RUN_TABLE",
    "load_am_run_table",
    "encode_images",
    "decode_images",
    "LIGHTING_BAND_TABLE",
    "load_lighting_band_table",
    "PHOTO_IG_TABLE",
    "load_photo_ig_table",
    "GRADCAM_NULL_TABLE",
    "load_gradcam_null_table",
    "SG_NULL_TABLE",
    "load_sg_null_table",
]

#: Where the course's trained checkpoints and their SHA256SUMS live: the package data folder
#: ``xai_helpers/checkpoints`` as :func:`importlib.resources.files` finds it (a ``pathlib.Path`` for
#: an ordinary install, editable or not).
CHECKPOINT_DIR: Traversable = files(__package__) / "checkpoints"


class ChecksumError(RuntimeError):
    """A checkpoint's SHA-256 is not the one recorded in ``SHA256SUMS``."""


def sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.NamedTemporaryFile(delete=False) as f:
    ...     _ = f.write(b"abc")
    >>> sha256(f.name)[:16]
    'ba7816bf8f01cfea'
    """
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
    return sorted(
        p.name[:-3] for p in directory.iterdir() if p.name.endswith(".pt") and p.is_file()
    )


def save_checkpoint(
    model: nn.Module,
    name: str,
    kwargs: dict | None = None,
    meta: dict | None = None,
    directory: str | Path | None = None,
) -> Path:
    """Save ``model`` as ``<directory>/<name>.pt`` and record its SHA-256 in ``SHA256SUMS``.

    The architecture is stored as its current ``"module:Class"`` path (it must live in
    ``xai_helpers``), so that :func:`xai_helpers.models.load_pretrained` can rebuild it with
    ``kwargs``.
    """
    if directory is None:
        directory = default_directory()
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    cls = type(model)
    if not cls.__module__.startswith("xai_helpers."):
        raise ValueError(
            f"the architecture must be defined in xai_helpers, got {cls.__module__}.{cls.__name__}"
        )
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    path = directory / f"{name}.pt"
    arch = f"{cls.__module__}:{cls.__name__}"
    torch.save(
        {"arch": arch, "kwargs": dict(kwargs or {}), "state_dict": state, "meta": dict(meta or {})},
        path,
    )
    sums = _read_sums(directory)
    sums[path.name] = sha256(path)
    (directory / "SHA256SUMS").write_text("".join(f"{d}  {f}\n" for f, d in sorted(sums.items())))
    return path


def load_checkpoint(name: str, directory: str | Path | Traversable | None = None) -> dict:
    """The checkpoint dict ``{"arch", "kwargs", "state_dict", "meta"}`` of ``name``, verified
    against ``SHA256SUMS``.

    Raises
    ------
    FileNotFoundError
        When there is no such checkpoint.
    ChecksumError
        When its SHA-256 is missing from ``SHA256SUMS`` or differs from the one recorded there.

    Examples
    --------
    >>> load_checkpoint("mnist_cnn")["arch"]
    'xai_helpers.models:MnistCNN'
    """
    directory = _as_dir(directory)
    path = directory / f"{name}.pt"
    if not path.is_file():
        available = checkpoint_names(directory)
        raise FileNotFoundError(
            f"no checkpoint {name!r} in {directory}; available: {', '.join(available) or 'none'}"
        )
    expected = _read_sums(directory).get(path.name)
    if expected is None:
        raise ChecksumError(
            f"{path.name} has no SHA-256 in {directory / 'SHA256SUMS'}; refusing to load "
            "an unchecked file"
        )
    raw = path.read_bytes()
    actual = hashlib.sha256(raw).hexdigest()
    if actual != expected:
        raise ChecksumError(
            f"{path} has SHA-256 {actual}, but SHA256SUMS records {expected}: the file is "
            "corrupt or was changed. "
            f"Restore it from git (git checkout -- {path.name}), reinstall xai_helpers, "
            f"or retrain it with `python -m xai_helpers.train {name}`."
        )
    try:
        return torch.load(io.BytesIO(raw), map_location="cpu", weights_only=True)
    except Exception as e:  # a corrupt file that somehow matches its recorded hash
        raise ChecksumError(f"{path} could not be read as a checkpoint: {e}") from e


def checkpoint_meta(name: str, directory: str | Path | Traversable | None = None) -> dict:
    """The ``meta`` dict stored with a checkpoint (e.g. its measured test accuracy)."""
    return dict(load_checkpoint(name, directory)["meta"])


def default_directory() -> Path:
    """Where a recipe writes when given no directory: the package's ``checkpoints/`` folder if it is
    a writable folder, else ``<cache_dir()>/checkpoints``.

    Examples
    --------
    >>> default_directory().name
    'checkpoints'
    """
    if (
        isinstance(CHECKPOINT_DIR, Path)
        and CHECKPOINT_DIR.is_dir()
        and os.access(CHECKPOINT_DIR, os.W_OK)
    ):
        return CHECKPOINT_DIR
    return cache_dir() / "checkpoints"


#: File name of notebook 02's per-seed table beside the checkpoints (recipe ``monsters_seeds``).
SEED_TABLE = "monsters_seeds.json"


def load_seed_table(directory: str | Path | None = None) -> dict[int, dict[str, float]]:
    """The per-seed table written by :func:`xai_helpers.train.train_monsters_seeds`, checked against
    its recorded SHA-256.

    Raises
    ------
    ValueError
        When the file is missing, has no recorded SHA-256 (``monsters_seeds.json.sha256``), or it
        differs.
    """
    doc = _checked_table(SEED_TABLE, "monsters_seeds", "train_monsters_seeds", directory)
    return {int(s): row for s, row in doc["seeds"].items()}


def _checked_table(name: str, recipe: str, function: str, directory: str | Path | None) -> dict:
    """The JSON table ``name`` in ``directory`` (default: the shipped checkpoints), parsed after
    checking it against the SHA-256 recorded beside it; ValueError naming the recipe otherwise."""
    directory = CHECKPOINT_DIR if directory is None else Path(directory)
    path = directory / name
    if not path.is_file():
        raise ValueError(
            f"no {name} in {directory}: run the recipe {recipe} (xai_helpers.train.{function})"
        )
    raw, sums = path.read_bytes(), directory / (name + ".sha256")
    recorded = sums.read_text().split()[0] if sums.is_file() and sums.read_text().strip() else None
    if recorded != hashlib.sha256(raw).hexdigest():
        raise ValueError(
            f"{path}: SHA-256 missing from or different to {name}.sha256; rerun {function}()"
        )
    return json.loads(raw)


#: File name of notebook 02's per-seed table of edits and gradient shares (recipe
#: ``monsters_edit_seeds``).
EDIT_TABLE = "monsters_edit_seeds.json"


def load_edit_table(directory: str | Path | None = None) -> dict[int, dict[str, float]]:
    """The per-seed table written by :func:`xai_helpers.train.train_monsters_edit_seeds`, checked
    against its recorded SHA-256 (keys: the training seeds).

    Raises
    ------
    ValueError
        When the file is missing, has no recorded SHA-256 (``monsters_edit_seeds.json.sha256``),
        or it differs.
    """
    doc = _checked_table(EDIT_TABLE, "monsters_edit_seeds", "train_monsters_edit_seeds", directory)
    return {int(s): row for s, row in doc["seeds"].items()}


#: File name of notebook 02's per-seed table of the region check (recipe ``monsters_region_seeds``).
REGION_TABLE = "monsters_region_seeds.json"


def load_region_table(directory: str | Path | None = None) -> dict[int, dict[str, float]]:
    """The per-seed table written by :func:`xai_helpers.train.train_monsters_region_seeds`,
    checked against its recorded SHA-256 (keys: the training seeds).

    Raises
    ------
    ValueError
        When the file is missing, has no recorded SHA-256 (``monsters_region_seeds.json.sha256``),
        or it differs.

    Examples
    --------
    >>> sorted(load_region_table())
    [0, 1, 2, 3, 4, 5]
    """
    doc = _checked_table(
        REGION_TABLE, "monsters_region_seeds", "train_monsters_region_seeds", directory
    )
    return {int(s): row for s, row in doc["seeds"].items()}


#: File name of notebook 09's table of tree fidelity with more CNN-labelled inputs (recipe
#: ``mnist_tree_data``).
TREE_DATA_TABLE = "mnist_tree_data.json"


def load_tree_data_table(directory: str | Path | None = None) -> dict:
    """The table written by :func:`xai_helpers.train.train_mnist_tree_data`, checked against its
    recorded SHA-256: its settings, and ``"seeds"``, one row of fidelities and accuracies per seed
    (keys int).

    Raises
    ------
    ValueError
        When the file is missing, has no recorded SHA-256 (``mnist_tree_data.json.sha256``), or it
        differs.

    Examples
    --------
    >>> sorted(load_tree_data_table()["seeds"][0])[:2]
    ['accuracy_cnn_labels', 'accuracy_cnn_labels_more']
    """
    doc = _checked_table(TREE_DATA_TABLE, "mnist_tree_data", "train_mnist_tree_data", directory)
    doc["seeds"] = {int(s): row for s, row in doc["seeds"].items()}
    return doc


#: File name of notebook 09's weight-decay baseline for tree regularization (recipe
#: ``parabola_l2``).
L2_TABLE = "parabola_l2.json"


def load_l2_table(directory: str | Path | None = None) -> list[dict]:
    """The runs written by :func:`xai_helpers.train.train_parabola_l2`, checked against the
    recorded SHA-256: one dict per network (``decay``, ``seed``, ``test_accuracy``, ``apl``).

    Raises
    ------
    ValueError
        When the file is missing, has no recorded SHA-256 (``parabola_l2.json.sha256``), or it
        differs.

    Examples
    --------
    >>> sorted(load_l2_table()[0])
    ['apl', 'decay', 'seed', 'test_accuracy']
    """
    return _checked_table(L2_TABLE, "parabola_l2", "train_parabola_l2", directory)["runs"]


#: File name of notebook 06's table of attacks on photos (recipe ``attack_photos``).
ATTACK_PHOTO_TABLE = "attack_photos.json"


def load_attack_photo_table(directory: str | Path | None = None) -> dict:
    """The table written by :func:`xai_helpers.train.train_attack_photos`, checked against its
    recorded SHA-256: its settings, and ``"photos"``, one row per photo
    (:func:`xai_helpers.attacks.photo_attack_row`).

    Raises
    ------
    ValueError
        When the file is missing, has no recorded SHA-256 (``attack_photos.json.sha256``), or it
        differs.

    Examples
    --------
    >>> "coffee" in load_attack_photo_table()["photos"]
    True
    """
    return _checked_table(ATTACK_PHOTO_TABLE, "attack_photos", "train_attack_photos", directory)


#: File name of notebook 06's headline perturbation (recipe ``attack_photo_delta``).
ATTACK_DELTA_TABLE = "attack_photo_delta.json"


def load_attack_delta(directory: str | Path | None = None) -> dict:
    """The perturbation written by :func:`xai_helpers.train.train_attack_photo_delta`, checked
    against its recorded SHA-256: its settings and ``"delta"``, a float tensor (1, 3, H, W) in
    pixel units (a whole number of half grey levels, 1/510, per entry).

    Raises
    ------
    ValueError
        When the file is missing, has no recorded SHA-256 (``attack_photo_delta.json.sha256``), or
        it differs.

    Examples
    --------
    >>> doc = load_attack_delta()
    >>> doc["photo"], tuple(doc["delta"].shape), bool(doc["delta"].abs().max() <= 8 / 255 + 1e-6)
    ('coffee', (1, 3, 128, 128), True)
    """
    doc = _checked_table(
        ATTACK_DELTA_TABLE, "attack_photo_delta", "train_attack_photo_delta", directory
    )
    raw = zlib.decompress(base64.b64decode(doc.pop("half_levels")))
    q = torch.frombuffer(bytearray(raw), dtype=torch.int8).to(torch.float32)
    doc["delta"] = (q / 510).reshape(doc["shape"])
    return doc


#: File name of notebook 08's table of latent and pixel searches (recipe ``mnist_gan_searches``).
GAN_SEARCH_TABLE = "mnist_gan_searches.json"


def load_gan_search_table(directory: str | Path | None = None) -> dict:
    """The table written by :func:`xai_helpers.train.train_mnist_gan_searches`, checked against its
    recorded SHA-256: its settings, and ``"seeds"``, per seed (keys int) the searched codes and
    images as nested lists (``torch.tensor`` turns each into a tensor).

    Raises
    ------
    ValueError
        When the file is missing, has no recorded SHA-256 (``mnist_gan_searches.json.sha256``), or
        it differs.

    Examples
    --------
    >>> sorted(load_gan_search_table()["seeds"])
    [0, 1, 2, 3]
    """
    doc = _checked_table(
        GAN_SEARCH_TABLE, "mnist_gan_searches", "train_mnist_gan_searches", directory
    )
    doc["seeds"] = {int(s): row for s, row in doc["seeds"].items()}
    return doc


#: File name of notebook 07's table of prior selections and prior runs (recipe
#: ``mnist_prior_runs``).
PRIOR_RUN_TABLE = "mnist_prior_runs.json"


def load_prior_run_table(directory: str | Path | None = None) -> dict:
    """The table written by :func:`xai_helpers.train.train_mnist_prior_runs`, checked against its
    recorded SHA-256: its settings (``"priors"``: name -> the regularizers' ``repr``), and
    ``"seeds"``, per seed (keys int) the selection scores, the chosen prior and the images of the
    other priors (as :func:`encode_images` text; :func:`decode_images` turns each into a tensor).

    Raises
    ------
    ValueError
        When the file is missing, has no recorded SHA-256 (``mnist_prior_runs.json.sha256``), or
        it differs.

    Examples
    --------
    >>> sorted(load_prior_run_table()["seeds"])
    [0, 1, 2, 3]
    """
    doc = _checked_table(PRIOR_RUN_TABLE, "mnist_prior_runs", "train_mnist_prior_runs", directory)
    doc["seeds"] = {int(s): row for s, row in doc["seeds"].items()}
    return doc


#: File name of notebook 07's table of its other fixed ascents: the null networks of section 1
#: and the dense λ sweep (recipe ``mnist_am_runs``).
AM_RUN_TABLE = "mnist_am_runs.json"


def load_am_run_table(directory: str | Path | None = None) -> dict:
    """The table written by :func:`xai_helpers.train.train_mnist_am_runs`, checked against its
    recorded SHA-256: ``"seeds"``, per seed (keys int) the filters tested, each null network's
    measurements, the untrained networks' X* and patches and the λ sweep (images as
    :func:`encode_images` text).

    Raises
    ------
    ValueError
        When the file is missing, has no recorded SHA-256 (``mnist_am_runs.json.sha256``), or it
        differs.

    Examples
    --------
    >>> sorted(load_am_run_table()["seeds"])
    [0, 1, 2, 3]
    """
    doc = _checked_table(AM_RUN_TABLE, "mnist_am_runs", "train_mnist_am_runs", directory)
    doc["seeds"] = {int(s): row for s, row in doc["seeds"].items()}
    return doc


def encode_images(images: torch.Tensor) -> dict:
    """Images with pixels in [0, 1] as compact JSON: 8 bits per pixel (rounded to 1/255),
    zlib-compressed, base64 text, with their shape. :func:`decode_images` inverts it.

    Examples
    --------
    >>> x = torch.tensor([[[[0.0, 0.5], [1.0, 0.25]]]])
    >>> (decode_images(encode_images(x)) - x).abs().max().item() <= 0.5 / 255 + 1e-6  # float32
    True
    """
    x = images.detach().float().cpu()
    if x.numel() == 0 or not bool(((x >= 0) & (x <= 1)).all()):
        raise ValueError("encode_images needs a non-empty tensor with every pixel in [0, 1]")
    raw = (x * 255).round().to(torch.uint8).numpy().tobytes()
    return {"shape": list(x.shape), "u8": base64.b64encode(zlib.compress(raw, 9)).decode("ascii")}


def decode_images(doc: dict) -> torch.Tensor:
    """The float tensor (pixels in [0, 1]) that :func:`encode_images` wrote.

    Examples
    --------
    >>> decode_images(encode_images(torch.ones(2, 1, 3, 3))).shape
    torch.Size([2, 1, 3, 3])
    """
    try:
        raw = zlib.decompress(base64.b64decode(doc["u8"]))
        shape = [int(v) for v in doc["shape"]]
    except (KeyError, TypeError, ValueError, zlib.error) as err:
        raise ValueError(f"not an encode_images record: {err}") from err
    x = torch.frombuffer(bytearray(raw), dtype=torch.uint8)
    if x.numel() != int(torch.tensor(shape, device="cpu").prod()):
        raise ValueError(f"encoded images hold {x.numel()} pixels, their shape says {shape}")
    return (x.float() / 255).reshape(shape)


#: File name of notebook 05's table of the untrained band's numbers (recipe ``lighting_band``).
LIGHTING_BAND_TABLE = "lighting_band.json"


def load_lighting_band_table(directory: str | Path | None = None) -> dict:
    """The table written by :func:`xai_helpers.train.train_lighting_band`, checked against its
    recorded SHA-256: its settings, and ``"seeds"``, per seed (keys int) the untrained networks'
    numbers.

    Raises
    ------
    ValueError
        When the file is missing, has no recorded SHA-256 (``lighting_band.json.sha256``), or it
        differs.

    Examples
    --------
    >>> sorted(load_lighting_band_table()["seeds"])
    [0, 1, 2, 3]
    """
    doc = _checked_table(LIGHTING_BAND_TABLE, "lighting_band", "train_lighting_band", directory)
    doc["seeds"] = {int(s): row for s, row in doc["seeds"].items()}
    return doc


#: File name of notebook 03's table of IG on the coffee photo at 8-32 steps (recipe ``photo_ig``).
PHOTO_IG_TABLE = "photo_ig.json"


def load_photo_ig_table(directory: str | Path | None = None) -> dict:
    """The table written by :func:`xai_helpers.train.train_photo_ig`, checked against its recorded
    SHA-256: per baseline its completeness gaps, cup shares and rank correlations with the 32-step
    map; each baseline's 32-step map compared with black's; the 32-step maps of black and the
    blurred copy (2 x 2-pooled); and the untrained networks' SmoothGrad shares on the cup.

    Raises
    ------
    ValueError
        When the file is missing, has no recorded SHA-256 (``photo_ig.json.sha256``), or it differs.

    Examples
    --------
    >>> sorted(load_photo_ig_table()["baselines"])
    ['black', 'blurred', 'dark grey', 'grey 0.5']
    """
    return _checked_table(PHOTO_IG_TABLE, "photo_ig", "train_photo_ig", directory)


#: File name of notebook 04's untrained Grad-CAM null on the cat | coffee pair (recipe
#: ``gradcam_null``).
GRADCAM_NULL_TABLE = "gradcam_null.json"


def load_gradcam_null_table(directory: str | Path | None = None) -> dict:
    """The table written by :func:`xai_helpers.train.train_gradcam_null`, checked against its
    recorded SHA-256: ``"seeds"``, the untrained networks' signed Grad-CAM gaps (tabby - espresso
    share on the cat's half, ``"untrained_gaps"``) and the trained network's (``"trained_gap"``).

    Raises
    ------
    ValueError
        When the file is missing, has no recorded SHA-256 (``gradcam_null.json.sha256``), or it
        differs.

    Examples
    --------
    >>> table = load_gradcam_null_table()
    >>> len(table["untrained_gaps"]) == len(table["seeds"]) >= 199
    True
    """
    return _checked_table(GRADCAM_NULL_TABLE, "gradcam_null", "train_gradcam_null", directory)


#: File name of notebook 03's null of untrained networks' SmoothGrad maps (recipe ``sg_null``).
SG_NULL_TABLE = "sg_null.json"


def load_sg_null_table(directory: str | Path | None = None) -> dict:
    """The table written by :func:`xai_helpers.train.train_sg_null`, checked against its
    recorded SHA-256.

    Raises
    ------
    ValueError
        When the file is missing, has no recorded SHA-256 (``sg_null.json.sha256``), or it differs.

    Examples
    --------
    >>> table = load_sg_null_table()
    >>> len(table["rows"]) == len(table["seeds"])
    True
    """
    return _checked_table(SG_NULL_TABLE, "sg_null", "train_sg_null", directory)
