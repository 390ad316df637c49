"""Training: the generic fit loop (:func:`fit`), every training function, and the recipes of the
shipped checkpoints.

Reproduce a shipped checkpoint with ``python -m xai_helpers.train NAME``; :data:`RECIPES` maps each
checkpoint name to its recipe function.

Each recipe trains from a fixed seed, prints what it measured, and writes ``NAME.pt`` with its
SHA-256 in ``SHA256SUMS`` into ``--directory``, by default
:func:`xai_helpers.checkpoints.default_directory`: the package's own ``checkpoints/`` folder when it
is writable (a clone, an editable install or your own virtual environment; retraining then replaces
the file the notebooks load, bit for bit), else ``<cache>/checkpoints``
(:func:`xai_helpers.data.cache_dir`), from which ``load_pretrained(NAME, directory=...)`` loads it.
Every recipe is wrapped in
:func:`training_recipe`, which seeds, pins the thread count (one thread) and turns on torch's
deterministic algorithms, and restores the previous state afterwards.

What is reproduced, and where (see CONTRIBUTING.md): the same file bit for bit when the same recipe
runs twice on the same CPU family with the same thread count and library versions; on another CPU
(e.g. AMD instead of Intel) the bits differ and the recorded metrics agree within a tolerance.

Examples
--------
``python -m xai_helpers.train mnist_cnn`` retrains the MNIST CNN (about 20 s on a laptop CPU).
"""

from __future__ import annotations

import argparse
import base64
import copy
import functools
import hashlib
import inspect
import json
import math
import multiprocessing
import os
import random
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np
import torch
from torch import nn

from ._runtime import POOL_ENV, seed_everything, set_num_threads
from ._torch import model_device, predict_proba, untrained_copy
from .activation_maximization import (
    L1,
    Jitter,
    RandomRotate,
    TotalVariation,
    activation_maximization,
    choose_prior,
    class_objective,
    l1_sweep,
    orientation_gap,
)
from .attacks import (
    ATTACK_PHOTOS,
    QUARTERS,
    explanation_map,
    far_corner,
    photo_attack_row,
    quarter_regions,
    target_sweep,
    targeted_attack,
)
from .attribution import (
    grad_cam_classes,
    ig_baseline,
    integrated_gradients_sweep,
    saliency,
    smoothgrad,
)
from .checkpoints import (
    AM_RUN_TABLE,
    ATTACK_DELTA_TABLE,
    ATTACK_PHOTO_TABLE,
    CHECKPOINT_DIR,
    EDIT_TABLE,
    GAN_SEARCH_TABLE,
    GRADCAM_NULL_TABLE,
    L2_TABLE,
    LIGHTING_BAND_TABLE,
    PHOTO_IG_TABLE,
    PRIOR_RUN_TABLE,
    REGION_TABLE,
    SEED_TABLE,
    SG_NULL_TABLE,
    TREE_DATA_TABLE,
    decode_images,
    default_directory,
    encode_images,
    load_am_run_table,
    load_gan_search_table,
    load_lighting_band_table,
    load_prior_run_table,
    save_checkpoint,
)
from .data import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    coffee_masks,
    imagenet_preprocess,
    load_mnist,
    load_photo,
    make_parabola,
)
from .data.lighting import add_lighting, assign_writers, read_lighting
from .data.monsters import (
    CONTROL_EDITS,
    EDIT_FAMILIES,
    OPPOSITE_EDITS,
    creature_features,
    ensure_monsters,
    load_split,
)
from .data.text import Vocabulary, load_reviews
from .evaluation import (
    background_paths,
    cascading_randomization,
    cross_fitted_logistic,
    flip_rate,
    measure_monsters,
    pixel_knn_judge,
    rank_correlation,
    region_share,
    shuffled_weights_copy,
    top_k_share,
    untie,
)
from .generative import generate, latent_search, sample_latent
from .models import (
    MNIST_LAYER_SHAPES,
    DCGANDiscriminator,
    DCGANGenerator,
    MnistCNN,
    MnistJudge,
    MnistLayerDecoders,
    MnistMLP,
    MonsterCNN,
    ParabolaNets,
    ParabolaSweep,
    SentimentTransformer,
    TreeRegNet,
    accuracy,
    imagenet_model,
    load_pretrained,
    untrained_monster_cnn,
)
from .representations import (
    DEFAULT_LAYERS,
    collect_representations,
    lighting_sweep,
    linear_probe,
    mlp_probe,
    neighbour_label_agreement,
    silhouettes,
)
from .stats import paired_difference
from .text import SHORTCUT_TOKEN, plant_shortcut
from .trees import TREE_REG_LAMBDA, fit_apl_surrogate, param_vector, tree_complexity
from .validation import check_array, check_image_batch, check_int, check_nonnegative, check_seed

__all__ = [
    "RECIPES",
    "train_text_classifier",
    "train_text_attention",
    "train_text_attention_seed1",
    "train_text_attention_uniform",
    "train_text_shortcut",
    "train_text_shortcut_seed1",
    "TOLERANCES",
    "training_recipe",
    "fit",
    "random_shift",
    "random_flip",
    "train_mnist_cnn",
    "train_mnist_cnn_seed1",
    "train_mnist_cnn_seed2",
    "train_mnist_cnn_seed3",
    "train_mnist_cnn_seed4",
    "RETRAINED_CNN_SEEDS",
    "train_mnist_judge",
    "train_mnist_mlp",
    "train_mnist_cnn_lit",
    "train_monster_cnn",
    "train_monsters_leaky",
    "train_monsters_fixed",
    "train_gan",
    "train_mnist_gan",
    "train_tree_regularized",
    "train_parabola_nets",
    "fit_decoder",
    "train_mnist_layer_decoders",
    "train_mnist_null_decoders",
    "NULL_DECODER_SEEDS",
    "train_parabola_sweep",
    "train_parabola_l2",
    "train_weight_decayed",
    "L2_DECAYS",
    "SWEEP_LAMS",
    "SWEEP_SEEDS",
    "SWEEP_REFRESH",
    "main",
    "MONSTER_SEEDS",
    "write_seed_table",
    "train_monsters_seeds",
    "train_monsters_edit_seeds",
    "write_edit_table",
    "REGION_PAINTINGS",
    "region_paint_shares",
    "write_region_table",
    "train_monsters_region_seeds",
    "HELD_OUT_FILLS",
    "SHARE_LEVELS",
    "ATTACK_PHOTO_SIZE",
    "ATTACK_BUDGETS",
    "train_attack_photos",
    "train_attack_photo_delta",
    "GAN_SEARCH_SEEDS",
    "GAN_SEARCH_SETTINGS",
    "train_mnist_gan_searches",
    "gan_searches",
    "PRIOR_RUN_SEEDS",
    "PRIOR_SELECTION_OFFSETS",
    "PRIOR_CANDIDATES",
    "PRIOR_NULL",
    "train_mnist_prior_runs",
    "prior_runs",
    "AM_RUN_SEEDS",
    "AM_NULL_FAMILIES",
    "AM_SHUFFLES",
    "AM_LAMS",
    "train_mnist_am_runs",
    "am_runs",
    "LIGHTING_BAND_SEEDS",
    "LIGHTING_BAND_AMPLITUDES",
    "train_lighting_band",
    "lighting_band",
    "train_photo_ig",
    "train_gradcam_null",
    "gradcam_pair_gaps",
    "GRADCAM_NULL_FIRST_SEED",
    "GRADCAM_NULL_SIZE",
    "SG_NULL_FIRST_SEED",
    "SG_NULL_SIZE",
    "SG_NULL_PHOTOS",
    "sg_null_rows",
    "train_sg_null",
    "PHOTO_IG_GREYS",
    "PHOTO_IG_STEPS",
]

F = TypeVar("F", bound=Callable[..., dict])


def training_recipe(threads: int = 1) -> Callable[[F], F]:
    """Decorator for every recipe that trains a shipped checkpoint: the one place reproducibility is
    set.

    While the recipe runs: Python/NumPy/torch are seeded with the recipe's ``seed`` argument, every
    thread pool has ``threads`` threads (:func:`set_num_threads`; the reduction order of a float
    sum depends on it), and torch uses deterministic algorithms (errors, not warnings). Afterwards
    the previous thread counts, determinism setting and random states are restored. The pins are
    kept on the wrapped function as ``recipe.threads``.

    Examples
    --------
    >>> @training_recipe(threads=1)
    ... def recipe(directory=None, seed: int = 0) -> dict:
    ...     return {"threads": torch.get_num_threads(), "x": torch.rand(1).item()}
    >>> recipe()["threads"], recipe()["x"] == recipe()["x"], recipe.threads
    (1, True, 1)
    """
    threads = check_int(threads, "threads", minimum=1)

    def decorate(func: F) -> F:
        signature = inspect.signature(func)
        if "seed" not in signature.parameters:
            raise TypeError(f"recipe {func.__name__} needs a `seed` parameter")

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            torch_threads, env = (
                torch.get_num_threads(),
                {var: os.environ.get(var) for var in POOL_ENV},
            )
            det, warn_only = (
                torch.are_deterministic_algorithms_enabled(),
                torch.is_deterministic_algorithms_warn_only_enabled(),
            )
            benchmark = torch.backends.cudnn.benchmark
            py_state, np_state = random.getstate(), np.random.get_state()
            with torch.random.fork_rng(devices=[]):
                limiter = set_num_threads(threads)
                try:
                    seed_everything(bound.arguments["seed"])
                    torch.use_deterministic_algorithms(True)
                    torch.backends.cudnn.benchmark = False
                    return func(*bound.args, **bound.kwargs)
                finally:
                    limiter.restore_original_limits()
                    torch.set_num_threads(torch_threads)
                    for var, value in env.items():
                        if value is None:
                            os.environ.pop(var, None)
                        else:
                            os.environ[var] = value
                    torch.use_deterministic_algorithms(det, warn_only=warn_only)
                    torch.backends.cudnn.benchmark = benchmark
                    random.setstate(py_state)
                    np.random.set_state(np_state)

        wrapper.threads = threads  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def random_shift(batch: torch.Tensor, gen: torch.Generator, max_shift: int = 2) -> torch.Tensor:
    """Shift each image by up to ``max_shift`` pixels in x and y (zero padding): light augmentation.

    Examples
    --------
    >>> g = torch.Generator().manual_seed(0)
    >>> random_shift(torch.ones(2, 1, 28, 28), g).shape
    torch.Size([2, 1, 28, 28])
    """
    n, _, h, w = batch.shape
    padded = torch.nn.functional.pad(batch, (max_shift,) * 4)
    shifts = torch.randint(0, 2 * max_shift + 1, (n, 2), generator=gen)
    return torch.stack(
        [padded[i, :, dy : dy + h, dx : dx + w] for i, (dy, dx) in enumerate(shifts.tolist())]
    )


def fit(
    model: nn.Module,
    x: torch.Tensor,
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
    x, y : torch.Tensor
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
    >>> from xai_helpers.models import MnistCNN
    >>> m = MnistCNN()
    >>> losses = fit(m, torch.rand(64, 1, 28, 28), torch.randint(0, 10, (64,)), epochs=1,
    ... progress=False)
    >>> len(losses)
    1
    """
    from tqdm.auto import tqdm

    check_image_batch(x, "x")
    if not isinstance(y, torch.Tensor) or y.dtype != torch.long or y.shape != (x.shape[0],):
        raise ValueError(
            f"y must be an int64 tensor of shape ({x.shape[0]},), got "
            f"{getattr(y, 'dtype', type(y))} {tuple(getattr(y, 'shape', ()))}"
        )
    epochs = check_int(epochs, "epochs", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    device = torch.device(device) if device is not None else model_device(model)
    model.to(device).train()
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    losses = []
    for _ in tqdm(range(epochs), desc="training", disable=not progress):
        perm = torch.randperm(len(x), generator=gen)
        total = 0.0
        for i in range(0, len(x), batch_size):
            idx = perm[i : i + batch_size]
            xb, yb = x[idx], y[idx]
            if augment is not None:
                xb = augment(xb, gen)
            xb, yb = xb.to(device), yb.to(device)
            loss = nn.functional.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        losses.append(total / len(x))
    model.eval()
    return losses


def random_flip(batch: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Flip each image left-right with probability 1/2 (augmentation for :func:`fit`).

    Examples
    --------
    >>> random_flip(torch.rand(4, 3, 8, 8), torch.Generator().manual_seed(0)).shape
    torch.Size([4, 3, 8, 8])
    """
    flip = torch.rand(len(batch), generator=gen) < 0.5
    out = batch.clone()
    out[flip] = batch[flip].flip(-1)
    return out


# --------------------------------------------------------------------------- MNIST classifiers


def _train_mnist_classifier(
    name: str, model: torch.nn.Module, directory, seed: int, epochs: int
) -> dict:
    """Train an MNIST classifier on the course's split (Adam, light shifts), measure it, save it as
    ``name``.

    Called inside a :func:`training_recipe`, which has seeded and pinned everything before ``model``
    was built.
    """
    mnist = load_mnist(seed=0)
    t0 = time.perf_counter()
    losses = fit(
        model, mnist.X_train, mnist.y_train, epochs=epochs, lr=2e-3, seed=seed, augment=random_shift
    )
    seconds = time.perf_counter() - t0
    meta = {
        "seed": seed,
        "epochs": epochs,
        "final_train_loss": round(losses[-1], 6),
        "train_accuracy": round(accuracy(model, mnist.X_train, mnist.y_train), 4),
        "test_accuracy": round(accuracy(model, mnist.X_test, mnist.y_test), 4),
    }
    path = save_checkpoint(model, name, kwargs={}, meta=meta, directory=directory)
    print(
        f"{name}: test accuracy {meta['test_accuracy']:.4f} (train "
        f"{meta['train_accuracy']:.4f}), {seconds:.1f} s -> {path}"
    )
    return meta


@training_recipe(threads=1)
def train_mnist_cnn(directory: str | Path | None = None, seed: int = 0, epochs: int = 20) -> dict:
    """Recipe for ``mnist_cnn``: :class:`~xai_helpers.models.MnistCNN`, seed 0, 20 epochs, one
    thread (about 20 s)."""
    return _train_mnist_classifier("mnist_cnn", MnistCNN(), directory, seed, epochs)


@training_recipe(threads=1)
def train_mnist_cnn_seed1(
    directory: str | Path | None = None, seed: int = 1, epochs: int = 20
) -> dict:
    """Recipe for ``mnist_cnn_seed1``: ``mnist_cnn``'s recipe with training seed 1 (notebook 01's
    second trained model, on which every MNIST lesson check is rerun)."""
    return _train_mnist_classifier("mnist_cnn_seed1", MnistCNN(), directory, seed, epochs)


def _retrained_cnn_recipe(seed: int) -> Callable[..., dict]:
    name = f"mnist_cnn_seed{seed}"

    def recipe(directory: str | Path | None = None, seed: int = seed, epochs: int = 20) -> dict:
        return _train_mnist_classifier(name, MnistCNN(), directory, seed, epochs)

    recipe.__name__ = recipe.__qualname__ = f"train_{name}"
    recipe.__doc__ = (
        f"Recipe for ``{name}``: ``mnist_cnn``'s recipe with training seed {seed} (one of notebook "
        "04's retrained copies, the scale of its randomization test)."
    )
    return training_recipe(threads=1)(recipe)


#: The training seeds of the retrained copies of ``mnist_cnn`` (``mnist_cnn_seed<k>``) that notebook
#: 04 measures its randomization test against.
RETRAINED_CNN_SEEDS = (1, 2, 3, 4)
train_mnist_cnn_seed2 = _retrained_cnn_recipe(2)
train_mnist_cnn_seed3 = _retrained_cnn_recipe(3)
train_mnist_cnn_seed4 = _retrained_cnn_recipe(4)


@training_recipe(threads=1)
def train_mnist_mlp(
    directory: str | Path | None = None, seed: int = 0, steps: int = 1600, hidden: int = 256
) -> dict:
    """Recipe for ``mnist_mlp``: notebook 00's network with one hidden layer.

    :class:`~xai_helpers.models.MnistMLP` (``hidden`` units) trained on the course's 4,000 training
    digits in their stored order, batches of 500, plain SGD with momentum 0.9 and learning rate 0.1,
    ``steps`` steps (200 epochs), no augmentation, seed 0, one thread (about 20 s).
    """
    mnist = load_mnist(seed=0)
    model = MnistMLP(hidden=hidden)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    t0 = time.perf_counter()
    for step in range(steps):
        start = step * 500 % len(mnist.X_train)
        loss = nn.functional.cross_entropy(
            model(mnist.X_train[start : start + 500]), mnist.y_train[start : start + 500]
        )
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    meta = {
        "seed": seed,
        "steps": steps,
        "final_train_loss": round(float(loss), 6),
        "train_accuracy": round(accuracy(model, mnist.X_train, mnist.y_train), 4),
        "test_accuracy": round(accuracy(model, mnist.X_test, mnist.y_test), 4),
    }
    path = save_checkpoint(
        model, "mnist_mlp", kwargs={"hidden": hidden}, meta=meta, directory=directory
    )
    print(
        f"mnist_mlp: test accuracy {meta['test_accuracy']:.4f} "
        f"(train {meta['train_accuracy']:.4f}), {time.perf_counter() - t0:.1f} s -> {path}"
    )
    return meta


@training_recipe(threads=1)
def train_mnist_judge(directory: str | Path | None = None, seed: int = 1, epochs: int = 15) -> dict:
    """Recipe for ``mnist_judge``: the independent :class:`~xai_helpers.models.MnistJudge`, seed 1,
    one thread."""
    return _train_mnist_classifier("mnist_judge", MnistJudge(), directory, seed, epochs)


@training_recipe(threads=1)
def train_mnist_cnn_lit(
    directory: str | Path | None = None,
    seed: int = 0,
    epochs: int = 20,
    amplitude: float = 0.4,
    writer_seed: int = 2,
) -> dict:
    """Recipe for ``mnist_cnn_lit``: ``mnist_cnn``'s recipe on *lit* training digits (notebook 05's
    fair test).

    Each of the course's 4,000 training digits gets a writer
    (:func:`~xai_helpers.representations.assign_writers`, seed ``writer_seed``) whose lamp lights
    the page (:func:`~xai_helpers.representations.add_lighting`, ``amplitude``); then
    :class:`~xai_helpers.models.MnistCNN`, seed 0, 20 epochs, Adam 2e-3, light shifts, one thread
    (about 20 s). ``meta`` records, besides the clean ``test_accuracy``, ``lit_test_accuracy``: the
    1,000 test digits lit as in notebook 05 (writers seed 0, the same ``amplitude``).

    Examples
    --------
    ``python -m xai_helpers.train mnist_cnn_lit`` retrains it;
    ``xai_helpers.checkpoints.checkpoint_meta("mnist_cnn_lit")["lit_test_accuracy"]`` is what it
    measured.
    """
    amplitude = check_nonnegative(amplitude, "amplitude")
    mnist = load_mnist(seed=0)
    x_train = add_lighting(
        mnist.X_train, assign_writers(len(mnist.X_train), seed=writer_seed), amplitude=amplitude
    )
    x_test = add_lighting(
        mnist.X_test, assign_writers(len(mnist.X_test), seed=0), amplitude=amplitude
    )
    model = MnistCNN()
    t0 = time.perf_counter()
    losses = fit(
        model,
        x_train,
        mnist.y_train,
        epochs=check_int(epochs, "epochs", minimum=1),
        lr=2e-3,
        seed=seed,
        augment=random_shift,
        progress=False,
    )
    seconds = time.perf_counter() - t0
    meta = {
        "seed": seed,
        "epochs": epochs,
        "amplitude": float(amplitude),
        "writer_seed": writer_seed,
        "final_train_loss": round(losses[-1], 6),
        "train_accuracy": round(accuracy(model, x_train, mnist.y_train), 4),
        "lit_test_accuracy": round(accuracy(model, x_test, mnist.y_test), 4),
        "test_accuracy": round(accuracy(model, mnist.X_test, mnist.y_test), 4),
    }
    path = save_checkpoint(model, "mnist_cnn_lit", kwargs={}, meta=meta, directory=directory)
    print(
        f"mnist_cnn_lit: lit test accuracy {meta['lit_test_accuracy']:.4f}, clean "
        f"{meta['test_accuracy']:.4f} "
        f"(train {meta['train_accuracy']:.4f}), {seconds:.1f} s -> {path}"
    )
    return meta


# ----------------------------------------------------------------- Pokémon vs Digimon (notebook 02)


def train_monster_cnn(
    fixed: bool = False,
    epochs: int | None = None,
    seed: int = 0,
    root: str | Path | None = None,
    progress: bool = True,
) -> tuple[nn.Module, dict]:
    """Train :class:`~xai_helpers.models.MonsterCNN` on the leaky or the fixed training split;
    return it and its figures.

    Adam (lr 1e-3, batches of 32, random left-right flips). ``epochs`` defaults to 3 on the leaky
    loader (the background is learned at once) and 12 on the fixed one (the creatures' style is
    learned slowly: after 6 epochs the fixed model is still at 0.73 on the test set, after 12 near
    the look-alikes' ceiling).

    Examples
    --------
    >>> model, meta = train_monster_cnn(epochs=1, progress=False)  # doctest: +SKIP
    """
    epochs = epochs or (12 if fixed else 3)
    seed_everything(seed)
    root = ensure_monsters(root)
    tr, te = load_split(root, "train", fixed=fixed), load_split(root, "test", fixed=fixed)
    model = MonsterCNN()
    t0 = time.perf_counter()
    losses = fit(
        model,
        tr.X,
        tr.y,
        epochs=epochs,
        batch_size=32,
        lr=1e-3,
        seed=seed,
        augment=random_flip,
        progress=progress,
    )
    meta = {
        "loader": "fixed" if fixed else "leaky",
        "seed": seed,
        "epochs": epochs,
        "final_train_loss": round(losses[-1], 6),
        "train_accuracy": round(accuracy(model, tr.X, tr.y), 4),
        "test_accuracy": round(accuracy(model, te.X, te.y), 4),
        "train_seconds": round(time.perf_counter() - t0, 1),
    }
    return model, meta


def _recipe(fixed: bool, directory=None, seed: int = 0) -> dict:
    model, meta = train_monster_cnn(fixed=fixed, seed=seed)
    seconds = meta.pop("train_seconds")
    name = "monsters_fixed" if fixed else "monsters_leaky"
    path = save_checkpoint(model, name, kwargs={}, meta=meta, directory=directory)
    print(
        f"{name}: test accuracy {meta['test_accuracy']:.4f} (train "
        f"{meta['train_accuracy']:.4f}), {seconds:.1f} s -> {path}"
    )
    return meta


@training_recipe(threads=1)
def train_monsters_leaky(directory: str | Path | None = None, seed: int = 0) -> dict:
    """Recipe ``monsters_leaky``: :class:`~xai_helpers.models.MonsterCNN` on the leaky loader, saved
    with :func:`~xai_helpers.checkpoints.save_checkpoint`."""
    return _recipe(False, directory, seed)


@training_recipe(threads=1)
def train_monsters_fixed(directory: str | Path | None = None, seed: int = 0) -> dict:
    """Recipe ``monsters_fixed``: :class:`~xai_helpers.models.MonsterCNN` on the fixed (composited)
    loader."""
    return _recipe(True, directory, seed)


# -------------------------------------------------------------------------- the DCGAN (notebook 08)


def train_gan(
    x: torch.Tensor,
    latent_dim: int = 32,
    width: int = 32,
    epochs: int = 50,
    batch_size: int = 64,
    lr: float = 2e-4,
    ema_decay: float = 0.999,
    seed: int = 0,
    device: torch.device | str | None = None,
    progress: bool = True,
) -> tuple[nn.Module, dict]:
    """Train a DCGAN on images ``x`` (N, 1, 28, 28) in [0, 1]; deterministic given ``seed``.

    Non-saturating GAN loss, Adam(β₁ = 0.5), one-sided label smoothing (real = 0.9), and an
    exponential moving average of the generator's weights, which is what is returned.

    Returns
    -------
    (DCGANGenerator, dict)
        The EMA generator in eval mode, on the CPU, and the per-epoch mean losses
        ``{"d_loss": [...], "g_loss": [...]}``.

    Examples
    --------
    >>> G, hist = train_gan(torch.rand(32, 1, 28, 28), latent_dim=4, width=8, epochs=1,
    ... batch_size=16, progress=False)
    >>> G(torch.zeros(1, 4)).shape, len(hist["d_loss"])
    (torch.Size([1, 1, 28, 28]), 1)
    """
    from tqdm.auto import tqdm

    check_image_batch(x, "x", channels=1)
    if x.shape[-2:] != (28, 28):
        raise ValueError(f"x must hold 28x28 images, got {tuple(x.shape[-2:])}")
    epochs = check_int(epochs, "epochs", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    device = torch.device(device or "cpu")
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    G = DCGANGenerator(latent_dim, width).to(device)
    D = DCGANDiscriminator(width).to(device)
    ema = copy.deepcopy(G).eval()
    opt_g = torch.optim.Adam(G.parameters(), lr=lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=lr, betas=(0.5, 0.999))
    bce = nn.functional.binary_cross_entropy_with_logits
    hist: dict[str, list[float]] = {"d_loss": [], "g_loss": []}
    for _ in tqdm(range(epochs), desc="GAN", disable=not progress):
        G.train()
        D.train()
        perm = torch.randperm(len(x), generator=gen)
        d_tot = g_tot = 0.0
        steps = 0
        for i in range(0, len(x) - batch_size + 1, batch_size):
            real = x[perm[i : i + batch_size]].to(device)
            z = torch.randn(batch_size, latent_dim, generator=gen).to(device)
            fake = G(z)
            d_loss = bce(D(real), torch.full((batch_size, 1), 0.9, device=device)) + bce(
                D(fake.detach()), torch.zeros(batch_size, 1, device=device)
            )
            opt_d.zero_grad()
            d_loss.backward()
            opt_d.step()
            g_loss = bce(D(fake), torch.ones(batch_size, 1, device=device))
            opt_g.zero_grad()
            g_loss.backward()
            opt_g.step()
            with torch.no_grad():
                for p_ema, p in zip(ema.parameters(), G.parameters()):
                    p_ema.lerp_(p, 1.0 - ema_decay)
                for b_ema, b in zip(ema.buffers(), G.buffers()):
                    b_ema.copy_(b)
            d_tot += d_loss.item()
            g_tot += g_loss.item()
            steps += 1
        hist["d_loss"].append(d_tot / steps)
        hist["g_loss"].append(g_tot / steps)
    return ema.cpu().eval(), hist


@training_recipe(threads=1)
def train_mnist_gan(directory: str | Path | None = None, seed: int = 0, epochs: int = 150) -> dict:
    """Recipe: train the course's DCGAN on the MNIST training split and save its generator (one
    thread).

    Also measures its samples with the course's MNIST CNN: how confident it is on them and
    how many of the 10 digits appear (mode coverage), stored in the checkpoint's ``meta``.
    """
    mnist = load_mnist(seed=0)
    t0 = time.perf_counter()
    G, hist = train_gan(mnist.X_train, epochs=epochs, seed=seed)
    seconds = time.perf_counter() - t0
    probs = predict_proba(load_pretrained("mnist_cnn"), generate(G, 1000, seed=123))
    counts = torch.bincount(probs.argmax(1), minlength=10)
    meta = {
        "seed": seed,
        "epochs": epochs,
        "latent_dim": G.latent_dim,
        "final_d_loss": round(hist["d_loss"][-1], 6),
        "final_g_loss": round(hist["g_loss"][-1], 6),
        "cnn_mean_confidence": round(probs.max(1).values.mean().item(), 4),
        "digit_counts": counts.tolist(),
    }  # no wall time in meta: the file must reproduce bit for bit
    path = save_checkpoint(
        G,
        "mnist_gan",
        kwargs={"latent_dim": G.latent_dim, "width": G.width},
        meta=meta,
        directory=directory,
    )
    print(
        f"mnist_gan: {seconds:.1f} s, CNN confidence on samples "
        f"{meta['cnn_mean_confidence']:.3f}, digits {counts.tolist()} -> {path}"
    )
    return meta


# ---------------------------------------------------------------- tree regularization (notebook 09)


def train_tree_regularized(
    X: np.ndarray,
    y: np.ndarray,
    lam: float,
    epochs: int = 300,
    seed: int = 0,
    hidden: int = 16,
    refresh: int = 25,
    n_jitter: int = 20,
    jitter: float = 0.1,
    lr: float = 1e-2,
    min_samples_leaf: int = 5,
    warmup: int | None = None,
    surrogate_epochs: int = 300,
    bounded: bool = False,
    progress: bool = True,
    lookahead: bool = False,
    surrogate_weight_decay: float = 1e-4,
) -> tuple[nn.Module, dict[str, list[float]]]:
    """Train a :class:`~xai_helpers.models.TreeRegNet` with θ* = argmin L(θ) + λ·Ω̂(θ), Ω̂ ≈ O(T_θ)
    (Wu et al., small scale).

    O(T_θ) — the average path length of the tree that mimics the network — is not differentiable
    in θ. As in the paper, every ``refresh`` epochs the true O(T_θ) is measured at the current θ
    and at ``n_jitter`` random perturbations of it (θ + ``jitter``·|θ|·N(0, 1)), all pairs seen so
    far train a fresh :class:`APLSurrogate` Ω̂, and gradient descent uses λ·Ω̂(θ) until the next
    refresh. The first ``warmup`` epochs (default a third) train without the penalty, so that the
    network learns the task before it is simplified — started from scratch, a large λ keeps the
    network at the trivial tree (one class everywhere, O = 0). With ``lam = 0`` this is plain
    training (full batch, Adam, cross-entropy). ``surrogate_epochs`` is the number of full-batch
    Adam steps that fit Ω̂ at each refresh; ``bounded=True`` passes Ω̂'s output through a softplus
    (Ω̂ ≥ 0, :class:`~xai_helpers.trees.APLSurrogate`). ``surrogate_weight_decay`` is Ω̂'s weight
    decay (a smoother Ω̂ extrapolates less wildly).

    ``lookahead=True`` adds the pairs where the penalty is about to lead: after Ω̂ is fitted, a copy
    of the network and its optimizer runs the next ``refresh`` epochs with λ·Ω̂, O(T) is measured
    at the end point and ``n_jitter // 2`` perturbations of it, and Ω̂ is refitted on all pairs.
    Without it, gradient descent on Ω̂ seeks out the θ where Ω̂ is too low, outside the pairs it
    was fitted on; the training itself still follows the refitted Ω̂, not the copy.

    Returns
    -------
    (TreeRegNet, dict)
        The trained network (eval mode, CPU) and its history: ``epoch``, ``loss`` (cross-entropy),
        ``apl`` (true O(T_θ)), ``apl_hat_prior`` (the estimate of the Ω̂ in use until then, before
        it is refitted on θ: what the penalty's gradient followed; NaN before the first Ω̂) and
        ``apl_hat`` (the refitted Ω̂'s estimate, which has seen θ) at each refresh.

    Examples
    --------
    >>> from xai_helpers.data import make_parabola
    >>> X, y = make_parabola(200, seed=0)
    >>> net, hist = train_tree_regularized(X, y, lam=0.0, epochs=20, progress=False)
    >>> len(hist["apl"]) >= 1
    True
    """
    from tqdm.auto import tqdm

    X = check_array(X, "X", ndim=2).astype(np.float64).astype(np.float32)
    y = np.asarray(y)
    if y.shape != (len(X),) or not np.isin(y, [0, 1]).all():
        raise ValueError(f"y must be {len(X)} labels in {{0, 1}}, got shape {y.shape}")
    lam = check_nonnegative(lam, "lam (λ)")
    epochs = check_int(epochs, "epochs", minimum=1)
    refresh = check_int(refresh, "refresh", minimum=1)
    warmup = epochs // 3 if warmup is None else int(warmup)
    seed = check_seed(seed)
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    net = TreeRegNet(X.shape[1], hidden)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y.astype(np.int64))
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    thetas: list[torch.Tensor] = []
    apls: list[float] = []
    hist: dict[str, list[float]] = {
        "epoch": [],
        "loss": [],
        "apl": [],
        "apl_hat_prior": [],
        "apl_hat": [],
    }
    probe = copy.deepcopy(net)
    surrogate = None
    for epoch in tqdm(range(epochs), desc=f"training (λ = {lam:g})", disable=not progress):
        if epoch % refresh == 0:
            theta = param_vector(net).detach().clone()
            regularize = lam > 0 and epoch + refresh > warmup
            batch = [theta] + [
                theta + jitter * theta.abs() * torch.randn(theta.shape, generator=gen)
                for _ in range(n_jitter if regularize else 0)
            ]
            for th in batch:
                torch.nn.utils.vector_to_parameters(th, probe.parameters())
                thetas.append(th)
                apls.append(tree_complexity(probe, X, min_samples_leaf))
            hist["epoch"].append(epoch)
            hist["apl"].append(apls[-len(batch)])
            # Ω̂'s estimate at θ before it is refitted with θ's own O(T): the estimate the gradient
            # followed
            hist["apl_hat_prior"].append(
                float(surrogate(theta)) if surrogate is not None else float("nan")
            )
            if regularize:
                refit = functools.partial(
                    fit_apl_surrogate,
                    epochs=surrogate_epochs,
                    seed=seed,
                    bounded=bounded,
                    weight_decay=surrogate_weight_decay,
                )
                surrogate = refit(torch.stack(thetas), torch.tensor(apls))
                if lookahead and epoch + refresh > warmup:
                    ahead = _lookahead(net, opt, surrogate, Xt, yt, lam, refresh)
                    for th in [ahead] + [
                        ahead + jitter * ahead.abs() * torch.randn(ahead.shape, generator=gen)
                        for _ in range(n_jitter // 2)
                    ]:
                        torch.nn.utils.vector_to_parameters(th, probe.parameters())
                        thetas.append(th)
                        apls.append(tree_complexity(probe, X, min_samples_leaf))
                    surrogate = refit(torch.stack(thetas), torch.tensor(apls))
                hist["apl_hat"].append(float(surrogate(theta)))
        ce = nn.functional.cross_entropy(net(Xt), yt)
        loss = (
            ce + lam * surrogate(param_vector(net))
            if surrogate is not None and epoch >= warmup
            else ce
        )
        opt.zero_grad()
        loss.backward()
        opt.step()
        if epoch % refresh == 0:
            hist["loss"].append(float(ce.detach()))
    net.eval()
    hist["final_apl"] = [tree_complexity(net, X, min_samples_leaf)]
    return net, hist


def _lookahead(
    net: nn.Module,
    opt: torch.optim.Optimizer,
    surrogate: nn.Module,
    Xt: torch.Tensor,
    yt: torch.Tensor,
    lam: float,
    steps: int,
) -> torch.Tensor:
    """θ after ``steps`` epochs of L + λ·Ω̂, run on copies of ``net`` and ``opt``."""
    sim = copy.deepcopy(net)
    sim_opt = torch.optim.Adam(sim.parameters(), lr=opt.param_groups[0]["lr"])
    sim_opt.load_state_dict(opt.state_dict())
    for _ in range(steps):
        loss = nn.functional.cross_entropy(sim(Xt), yt) + lam * surrogate(param_vector(sim))
        sim_opt.zero_grad()
        loss.backward()
        sim_opt.step()
    return param_vector(sim).detach().clone()


@training_recipe(threads=1)
def train_parabola_nets(
    directory: str | Path | None = None, lam: float = TREE_REG_LAMBDA, seed: int = 0
) -> dict:
    """Recipe ``parabola_nets``: train :class:`~xai_helpers.models.TreeRegNet` on
    :func:`~xai_helpers.data.make_parabola` (500 rows, seed 0) with λ = 0 and with tree
    regularization λ, and save both as one :class:`~xai_helpers.models.ParabolaNets` checkpoint.

    ``python -m xai_helpers.train parabola_nets`` reproduces the shipped file. Returns the measured
    figures (also stored in the checkpoint's ``meta``).
    """
    X, y = make_parabola(500, noise=0.1, seed=0)
    X_te, y_te = make_parabola(1000, noise=0.0, seed=1)
    pair = ParabolaNets(2, 16)
    meta: dict = {"lam": lam, "seed": seed}
    for name, lam_k in (("plain", 0.0), ("treereg", lam)):
        t0 = time.perf_counter()
        net, hist = train_tree_regularized(X, y, lam_k, seed=seed, progress=False)
        getattr(pair, name).load_state_dict(net.state_dict())
        with torch.no_grad():
            predicted = net(torch.as_tensor(X_te, dtype=torch.float32)).argmax(1).numpy()
        meta[f"{name}_test_accuracy"] = round(float((predicted == y_te).mean()), 4)
        meta[f"{name}_apl"] = round(hist["final_apl"][0], 4)
        print(
            f"{name}: λ = {lam_k}, test accuracy {meta[f'{name}_test_accuracy']:.4f}, tree "
            f"APL {meta[f'{name}_apl']:.2f}, {time.perf_counter() - t0:.1f} s"
        )
    path = save_checkpoint(
        pair.eval(),
        "parabola_nets",
        kwargs={"in_features": 2, "hidden": 16},
        meta=meta,
        directory=directory,
    )
    print(f"-> {path}")
    return meta


# -------------------------------------------------------------------------- decoders of notebook 05


def fit_decoder(
    decoder: nn.Module,
    rep,
    x: torch.Tensor,
    epochs: int = 15,
    lr: float = 3e-3,
    batch_size: int = 128,
    seed: int = 0,
) -> float:
    """Train ``decoder`` so that ``decoder(rep) ≈ x``: per-pixel binary cross-entropy, Adam,
    shuffled minibatches.

    Parameters
    ----------
    decoder : nn.Module
        E.g. a :class:`~xai_helpers.models.LayerDecoder`; trained in place, left in eval mode.
    rep : array-like
        ``(N, D)`` representations (one layer's, flattened).
    x : torch.Tensor
        ``(N, 1, H, W)`` images in [0, 1] to reconstruct.

    Returns
    -------
    float
        Mean loss of the last epoch.

    Examples
    --------
    >>> from xai_helpers.models import LayerDecoder
    >>> dec = LayerDecoder((4,))
    >>> x = torch.rand(16, 1, 28, 28)
    >>> fit_decoder(dec, torch.rand(16, 4), x, epochs=2) < 0.8
    True
    """
    x = check_image_batch(x)
    z = torch.as_tensor(check_array(rep, "rep", ndim=2), dtype=torch.float32)
    if len(z) != len(x):
        raise ValueError(f"rep has {len(z)} rows but x has {len(x)} images")
    epochs = check_int(epochs, "epochs", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    gen = torch.Generator().manual_seed(check_seed(seed))
    opt = torch.optim.Adam(decoder.parameters(), lr=lr)
    decoder.train()
    total = 0.0
    for _ in range(epochs):
        total = 0.0
        for idx in torch.randperm(len(z), generator=gen).split(batch_size):
            loss = nn.functional.binary_cross_entropy(decoder(z[idx]), x[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
    decoder.eval()
    return total / len(z)


@training_recipe(threads=1)
def train_mnist_layer_decoders(
    directory: str | Path | None = None, seed: int = 0, epochs: int = 15, amplitude: float = 0.4
) -> dict:
    """Recipe for ``mnist_layer_decoders``: decoders that turn each layer of ``mnist_cnn``, and of
    its untrained copy, back into the digit.

    The 4,000 training digits are lit as in notebook 05
    (:func:`~xai_helpers.representations.add_lighting`, writers drawn with ``seed``); one
    :class:`~xai_helpers.models.LayerDecoder` per (network, layer) is fit (:func:`fit_decoder`) to
    invert the layer's representation of the lit digit. The untrained network is
    ``evaluation.untrained_copy(mnist_cnn, seed=0)``, recorded as ``untrained_seed``. ``meta``
    holds, on the 1,000 lit test digits (writers drawn with ``seed + 1``), each decoder's mean
    squared error, the CNN's accuracy on the decoded images, and how often
    :func:`~xai_helpers.representations.read_lighting` reads the writer's lamp back from them. About
    100 s of CPU on one thread.
    """
    mnist = load_mnist(seed=0)
    cnn = load_pretrained("mnist_cnn")
    nets = {"trained": cnn, "untrained": untrained_copy(cnn, seed=0)}
    x_train = add_lighting(mnist.X_train, assign_writers(len(mnist.X_train), seed=seed), amplitude)
    test_writer = assign_writers(len(mnist.X_test), seed=seed + 1)
    x_test = add_lighting(mnist.X_test, test_writer, amplitude)
    model = MnistLayerDecoders(untrained_seed=0)
    meta: dict = {"seed": seed, "epochs": epochs, "amplitude": amplitude, "untrained_seed": 0}
    t0 = time.perf_counter()
    for net, cnn_net in nets.items():
        rep_train = collect_representations(cnn_net, x_train, layers=model.layers)
        rep_test = collect_representations(cnn_net, x_test, layers=model.layers)
        for layer in model.layers:
            fit_decoder(
                model.decoders[f"{net}_{layer}"],
                rep_train[layer],
                x_train,
                epochs=epochs,
                seed=seed,
            )
            img = model.decode(torch.as_tensor(rep_test[layer]), layer, net)
            meta[f"{net}_{layer}_test_mse"] = round(float(((img - x_test) ** 2).mean()), 5)
            meta[f"{net}_{layer}_digit_accuracy"] = round(accuracy(cnn, img, mnist.y_test), 4)
            meta[f"{net}_{layer}_lighting_accuracy"] = round(
                float(np.mean(read_lighting(img) == test_writer)), 4
            )
    seconds = time.perf_counter() - t0
    path = save_checkpoint(
        model, "mnist_layer_decoders", kwargs={"untrained_seed": 0}, meta=meta, directory=directory
    )
    print(
        "mnist_layer_decoders: relu3 decoded, digit accuracy "
        f"{meta['trained_relu3_digit_accuracy']:.3f} "
        f"(untrained network {meta['untrained_relu3_digit_accuracy']:.3f}), {seconds:.1f} "
        f"s -> {path}"
    )
    return meta


#: The untrained draws of ``mnist_null_decoders`` (``untrained_copy(mnist_cnn, seed=s)``); the draw
#: ``0`` is ``mnist_layer_decoders``'s own null.
NULL_DECODER_SEEDS: tuple[int, ...] = (100, 200)


@training_recipe(threads=1)
def train_mnist_null_decoders(
    directory: str | Path | None = None,
    seed: int = 0,
    epochs: int = 15,
    amplitude: float = 0.4,
    untrained_seeds: tuple[int, ...] = NULL_DECODER_SEEDS,
) -> dict:
    """Recipe for ``mnist_null_decoders``: more draws of the decoder null of notebook 05.

    The same recipe as :func:`train_mnist_layer_decoders` (same lit training digits, writers drawn
    with ``seed``, same :func:`fit_decoder` settings), for the layers ``relu3`` and ``fc2`` of
    further untrained copies of ``mnist_cnn`` (``untrained_copy(mnist_cnn, seed=s)`` for ``s`` in
    ``untrained_seeds``). The networks are named ``"untrained{s}"`` in the saved
    :class:`~xai_helpers.models.MnistLayerDecoders`. About 100 s of CPU on one thread.
    """
    mnist = load_mnist(seed=0)
    cnn = load_pretrained("mnist_cnn")
    x_train = add_lighting(mnist.X_train, assign_writers(len(mnist.X_train), seed=seed), amplitude)
    layers = ("relu3", "fc2")
    kwargs = {
        "layer_shapes": {ly: list(MNIST_LAYER_SHAPES[ly]) for ly in layers},
        "networks": [f"untrained{s}" for s in untrained_seeds],
    }
    model = MnistLayerDecoders(**kwargs)
    meta: dict = {"seed": seed, "epochs": epochs, "amplitude": amplitude}
    for s in untrained_seeds:
        rep_train = collect_representations(untrained_copy(cnn, seed=s), x_train, layers=layers)
        for layer in layers:
            meta[f"untrained{s}_{layer}_train_loss"] = round(
                fit_decoder(
                    model.decoders[f"untrained{s}_{layer}"],
                    rep_train[layer],
                    x_train,
                    epochs=epochs,
                    seed=seed,
                ),
                5,
            )
    path = save_checkpoint(
        model, "mnist_null_decoders", kwargs=kwargs, meta=meta, directory=directory
    )
    print(f"mnist_null_decoders -> {path}")
    return meta


#: λ values and seeds of the ``parabola_sweep`` recipe (notebook 09's accuracy-against-path-length
#: frontier).
SWEEP_LAMS = (0.0, 0.1, 0.3, 1.0)
SWEEP_SEEDS = (0, 1, 2, 3)
#: Ω̂ is refitted every ``SWEEP_REFRESH`` epochs and bounded below by 0 (softplus) in the sweep.
SWEEP_REFRESH = 5
#: Ω̂'s training pairs in the sweep: after each refit, a copy of the network runs the next
#: ``SWEEP_REFRESH`` epochs with the penalty and O(T) is measured where it ends and around it
#: (``lookahead``); Ω̂'s MLP has weight decay 1e-2. On λ = 0.3, seed 0 this made Ω̂ track O(T) on
#: held-out θ; over the whole sweep it does not (notebook 09, section 5: it errs low).
SWEEP_LOOKAHEAD = True
SWEEP_SURROGATE_WEIGHT_DECAY = 1e-2


def _sweep_run(job: tuple[float, int]) -> tuple[dict, dict]:
    """One network of the ``parabola_sweep`` recipe: its state dict and its record."""
    lam, s = job
    set_num_threads(1)
    X, y = make_parabola(500, noise=0.1, seed=0)
    X_te, y_te = make_parabola(1000, noise=0.0, seed=1)
    net, hist = train_tree_regularized(
        X,
        y,
        lam,
        seed=s,
        refresh=SWEEP_REFRESH,
        bounded=True,
        progress=False,
        lookahead=SWEEP_LOOKAHEAD,
        surrogate_weight_decay=SWEEP_SURROGATE_WEIGHT_DECAY,
    )
    with torch.no_grad():
        predicted = net(torch.as_tensor(X_te, dtype=torch.float32)).argmax(1).numpy()
    run = {
        "lam": lam,
        "seed": s,
        "test_accuracy": round(float((predicted == y_te).mean()), 4),
        "apl": round(hist["final_apl"][0], 4),
        "refresh_epoch": list(hist["epoch"]),
        "apl_true": [round(v, 4) for v in hist["apl"]],
        "apl_hat_prior": [round(v, 4) for v in hist["apl_hat_prior"]],
    }
    return net.state_dict(), run


@training_recipe(threads=1)
def train_parabola_sweep(
    directory: str | Path | None = None, seed: int = 0, workers: int = 1
) -> dict:
    """Recipe ``parabola_sweep``: tree regularization (:func:`train_tree_regularized`) on
    :func:`~xai_helpers.data.make_parabola` (500 rows, seed 0) for every λ in :data:`SWEEP_LAMS` and
    the seeds ``seed + SWEEP_SEEDS``, Ω̂ refitted every :data:`SWEEP_REFRESH` epochs, bounded
    (softplus), with look-ahead pairs and weight decay (:data:`SWEEP_LOOKAHEAD`,
    :data:`SWEEP_SURROGATE_WEIGHT_DECAY`), saved as one :class:`~xai_helpers.models.ParabolaSweep`
    (about 10 minutes of CPU; ``workers`` processes share the runs, which seed themselves, so the
    file does not depend on it).

    ``meta["runs"]`` holds, per network: λ, seed, test accuracy on 1,000 noise-free rows, the final
    O(T_θ), and at every refresh the true O(T_θ) (``apl_true``) with Ω̂'s estimate before it was
    refitted there (``apl_hat_prior``, NaN before the first Ω̂). The tree refits turn last-bit
    differences into other networks, so on another machine the file and the figures differ (README,
    *Reproducibility*).
    """
    seeds = [seed + s for s in SWEEP_SEEDS]
    sweep = ParabolaSweep(SWEEP_LAMS, seeds)
    jobs = [(lam, s) for lam in SWEEP_LAMS for s in seeds]
    t0 = time.perf_counter()
    if workers > 1:  # each run seeds itself: the same networks as one after the other
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            done = pool.map(_sweep_run, jobs, chunksize=1)
    else:
        done = [_sweep_run(job) for job in jobs]
    runs = []
    for (lam, s), (state, run) in zip(jobs, done):
        sweep.net(lam, s).load_state_dict(state)
        runs.append(run)
        print(
            f"λ = {lam:g}, seed {s}: test accuracy {run['test_accuracy']:.3f}, "
            f"O(T) {run['apl']:.2f}"
        )
    meta = {"lams": list(SWEEP_LAMS), "seeds": seeds, "runs": runs}
    path = save_checkpoint(
        sweep.eval(),
        "parabola_sweep",
        kwargs={"lams": list(SWEEP_LAMS), "seeds": seeds},
        meta=meta,
        directory=directory,
    )
    print(f"{len(runs)} networks, {time.perf_counter() - t0:.0f} s -> {path}")
    return meta


#: The training seeds of notebook 02's per-seed table (recipe ``monsters_seeds``).
MONSTER_SEEDS: tuple[int, ...] = (0, 1, 2, 3, 4, 5)


def _write_digest(path: Path) -> None:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    path.with_name(path.name + ".sha256").write_text(
        f"{digest}  {path.name}\n"
    )  # sha256sum's format


def write_seed_table(models: dict[int, tuple[nn.Module, nn.Module]], directory: str | Path) -> Path:
    """Measure each seed's (leaky, fixed) pair with
    :func:`~xai_helpers.evaluation.measure_monsters` (untrained null:
    :func:`~xai_helpers.models.untrained_monster_cnn` of the same seed); write ``SEED_TABLE`` and
    its SHA-256 (``SEED_TABLE.sha256``)."""
    root = ensure_monsters()
    test, test_fixed = load_split(root, "test"), load_split(root, "test", fixed=True)
    seeds = {
        str(s): measure_monsters(lk, fx, untrained_monster_cnn(s), test, test_fixed)
        for s, (lk, fx) in models.items()
    }
    return _write_seed_table(directory, SEED_TABLE, "train_monsters_seeds", seeds)


@training_recipe(threads=1)
def train_monsters_seeds(
    directory: str | Path | None = None, seed: int = 0, seeds: tuple[int, ...] = MONSTER_SEEDS
) -> dict:
    """Recipe ``monsters_seeds``: retrain both monster CNNs from each seed, measure them, write
    the table.

    Several minutes on one thread (eight trainings). Seed 0 is the shipped pair's recipe: on the
    machine that trained the shipped checkpoints it gives the same networks.
    """
    models = {
        s: (
            train_monster_cnn(fixed=False, seed=s, progress=False)[0],
            train_monster_cnn(fixed=True, seed=s, progress=False)[0],
        )
        for s in seeds
    }
    path = write_seed_table(models, directory if directory is not None else default_directory())
    return {"path": str(path), "seeds": list(seeds)}


#: The grey levels at which notebook 02's per-seed edit table measures the share of a
#: background change black → level that the gradient at black predicts.
SHARE_LEVELS: tuple[float, ...] = (0.1, 0.2, 0.3, 0.4, 0.5)


#: Notebook 02's held-out background fills (no training image had them) in the edit table:
#: ``label -> (class of the creatures painted, fill, class the background would predict)``.
HELD_OUT_FILLS: dict[str, tuple[int, tuple[float, float, float], int]] = {
    "digimon_on_blue": (0, (0.0, 0.0, 1.0), 1),
    "digimon_on_0_0.5_1": (0, (0.0, 0.5, 1.0), 1),
    "pokemon_on_yellow": (1, (1.0, 1.0, 0.0), 0),
    "pokemon_on_grey_0.4": (1, (0.4, 0.4, 0.4), 0),
}


def _called_as(net: nn.Module, x: torch.Tensor, k: int) -> float:
    return (predict_proba(net, x).argmax(1) == k).float().mean().item()


def _write_seed_table(
    directory: str | Path, name: str, recipe: str, rows: dict | list, key: str = "seeds"
) -> Path:
    """Write ``{"recipe", "torch", key: rows}`` to ``directory/name``, with its digest."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    doc = {"recipe": f"xai_helpers.train.{recipe}", "torch": torch.__version__, key: rows}
    path.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    _write_digest(path)
    return path


def write_edit_table(
    models: dict[int, tuple[nn.Module, nn.Module]], directory: str | Path, seed: int = 0
) -> Path:
    """Measure each seed's (leaky, fixed) pair for notebook 02's edit table (see
    :func:`train_monsters_edit_seeds`); write :data:`~xai_helpers.checkpoints.EDIT_TABLE` and its
    SHA-256.

    Parameters
    ----------
    models : dict
        Training seed -> (leaky model, fixed model).
    directory : str or Path
        Where the table goes.
    seed : int
        Draws the folds of the cross-fitted colour rule.

    Examples
    --------
    >>> write_edit_table({0: (leaky, fixed)}, "/tmp/table")  # doctest: +SKIP
    """
    root = ensure_monsters()
    test, test_fixed = load_split(root, "test"), load_split(root, "test", fixed=True)
    pk = test.y == 1
    edits = {e: f for fam in EDIT_FAMILIES.values() for e, f in fam.items()}
    features = creature_features(test_fixed.X, test.masks)
    rule = (cross_fitted_logistic(features, test.y, 10, seed) == test.y).numpy()
    upper = (torch.arange(48, device="cpu") < 24)[:, None].expand(48, 48)
    rows = {}
    for s, (leaky, fixed) in models.items():
        pred = predict_proba(fixed, test_fixed.X).argmax(1)
        row = {
            "acc_fixed": (pred == test.y).float().mean().item(),
            "fixed_one_class": float(pred.unique().numel() == 1),
            "acc_rule": float(rule.mean()),
        }
        adds = paired_difference((pred == test.y).numpy(), rule)
        row["fixed_minus_rule"], row["fixed_minus_rule_low"] = adds.value, adds.low
        row["fixed_minus_rule_high"] = adds.high
        for k, cls in ((1, "pokemon"), (0, "digimon")):
            right = (test.y == k) & (pred == k)
            x, m = test_fixed.X[right], test_fixed.masks[right]
            more = OPPOSITE_EDITS | CONTROL_EDITS if k == 1 else {}
            for e, edit in (edits | more).items():
                row[f"flip_{cls}_{e}"] = flip_rate(fixed, edit(x, m), k) if right.any() else 0.0
        nets = {"leaky": leaky, "fixed": fixed, "untrained": untrained_monster_cnn(s)}
        for name, net in nets.items():
            for v in SHARE_LEVELS:
                r = background_paths(net, test.X[pk], test.masks[pk], v, n_steps=0)
                row[f"share_{name}_{v:.1f}"] = (r["gradient"] / r["actual"]).median().item()
        dg, bg = test.y == 0, ~test.masks[test.y == 0]
        sal = saliency(leaky, test.X[dg], target=predict_proba(leaky, test.X[dg]).argmax(1))
        per_px = [(sal * r).sum() / r.sum() for r in (bg & upper, bg & ~upper)]
        row["sal_digimon_upper_over_lower_leaky"] = (per_px[0] / per_px[1]).item()
        for name, net in (("leaky", leaky), ("fixed", fixed)):  # all 200 of each class
            for k, v, to in ((0, 0.0, 1), (1, 1.0, 0)):  # half black on Digimon, white on Pokémon
                x, m = test.X[test.y == k], test.masks[test.y == k]
                for half, r in (("upper", upper), ("lower", ~upper)):
                    painted = torch.where((m | ~r)[:, None], x, torch.full_like(x, v))
                    row[f"half_{('digimon', 'pokemon')[k]}_{half}_{name}"] = _called_as(
                        net, painted, to
                    )
            for label, (k, rgb, to) in HELD_OUT_FILLS.items():
                x, m = test.X[test.y == k], test.masks[test.y == k]
                fill = torch.tensor(rgb, device="cpu").view(1, 3, 1, 1)
                row[f"fill_{label}_{name}"] = _called_as(net, torch.where(m[:, None], x, fill), to)
        rows[str(s)] = row
        print(f"seed {s}: {row}", flush=True)
    return _write_seed_table(directory, EDIT_TABLE, "train_monsters_edit_seeds", rows)


@training_recipe(threads=1)
def train_monsters_edit_seeds(
    directory: str | Path | None = None, seed: int = 0, seeds: tuple[int, ...] = MONSTER_SEEDS
) -> dict:
    """Recipe ``monsters_edit_seeds``: retrain both monster CNNs from each seed (as
    :func:`train_monsters_seeds`) and write :data:`~xai_helpers.checkpoints.EDIT_TABLE`: per seed,
    the fixed model's test accuracy, whether its training stalled (one class for every image), the
    share of flipped creatures it gets right under every edit of
    :data:`~xai_helpers.data.monsters.EDIT_FAMILIES`,
    :data:`~xai_helpers.data.monsters.OPPOSITE_EDITS` and
    :data:`~xai_helpers.data.monsters.CONTROL_EDITS` (``flip_<class>_<edit>``), and, for the leaky
    model, the fixed model and an untrained network of the seed on all test Pokémon (on black),
    the median share of the change
    of the log-odds black → level that the gradient at black predicts (``share_<net>_<level>``,
    :data:`SHARE_LEVELS`); the fixed model's accuracy minus that of the hand-made colour rule
    (a logistic regression on :func:`~xai_helpers.data.monsters.creature_features`, cross-fitted
    in 10 folds drawn from ``seed``), with its paired 95 % interval (``fixed_minus_rule*``); and,
    for the leaky and the fixed model on all 200 test creatures of a class, the share called the
    other class when the upper or the lower half of the background is painted in the other
    class's colour (``half_<class>_<upper|lower>_<net>``), the leaky model's saliency per pixel
    of the Digimon's background, upper half over lower half
    (``sal_digimon_upper_over_lower_leaky``), and when the whole background is painted in a held-out
    fill of :data:`HELD_OUT_FILLS` (``fill_<label>_<net>``). Several minutes per
    seed on one thread.
    """
    models = {
        s: (
            train_monster_cnn(fixed=False, seed=s, progress=False)[0],
            train_monster_cnn(fixed=True, seed=s, progress=False)[0],
        )
        for s in seeds
    }
    path = write_edit_table(
        models, directory if directory is not None else default_directory(), seed
    )
    return {"path": str(path), "seeds": list(seeds)}


#: Notebook 02's region check: ``label -> (class painted, region, level)``; the region is
#: ``"frame"`` (the outer 8-px frame of the 48-px image) or ``"inner"`` (the inner 32×32 square),
#: painted where it is background; Digimon painted black, Pokémon white.
REGION_PAINTINGS: dict[str, tuple[int, str, float]] = {
    "digimon_frame_black": (0, "frame", 0.0),
    "digimon_inner_black": (0, "inner", 0.0),
    "pokemon_frame_white": (1, "frame", 1.0),
    "pokemon_inner_white": (1, "inner", 1.0),
}


def region_paint_shares(
    net: nn.Module | None, x: torch.Tensor, masks: torch.Tensor, y: torch.Tensor
) -> dict[str, float]:
    """Share of the creatures called "digimon" (class 0) under each of :data:`REGION_PAINTINGS`.

    Parameters
    ----------
    net : nn.Module or None
        The classifier; None for the known-wrong mean-brightness reader (an image whose mean
        over pixels and channels is below 0.5 is "pokemon").
    x, masks, y : torch.Tensor
        Images (N, 3, 48, 48), creature masks (N, 48, 48), labels (1 = pokemon).

    Returns
    -------
    dict
        Painting label -> share called "digimon".

    Examples
    --------
    >>> x, m = torch.ones(2, 3, 48, 48), torch.zeros(2, 48, 48, dtype=torch.bool)
    >>> region_paint_shares(None, x, m, torch.tensor([0, 1]))["digimon_frame_black"]
    0.0
    """
    frame = torch.ones(48, 48, dtype=torch.bool)
    frame[8:40, 8:40] = False
    out = {}
    for label, (k, region, v) in REGION_PAINTINGS.items():
        r = frame if region == "frame" else ~frame
        xk, mk = x[y == k], masks[y == k]
        painted = torch.where((mk | ~r)[:, None], xk, torch.full_like(xk, v))
        if net is None:
            out[label] = (painted.mean((1, 2, 3)) >= 0.5).float().mean().item()
        else:
            out[label] = _called_as(net, painted, 0)
    return out


def write_region_table(models: dict[int, nn.Module], directory: str | Path) -> Path:
    """Measure each seed's leaky model with :func:`region_paint_shares` on all test creatures;
    write :data:`~xai_helpers.checkpoints.REGION_TABLE` and its SHA-256.

    Per seed: ``<painting>_leaky`` and ``<painting>_brightness`` (the mean-brightness reader),
    ``gap``: the mean over the four paintings of |leaky − brightness|; and, to identify the run
    (a retrain elsewhere can be another draw), its balanced test accuracy ``acc_leaky`` and the
    half-background paintings of :func:`write_edit_table` (``half_<class>_<upper|lower>_leaky``).

    Examples
    --------
    >>> write_region_table({0: leaky}, "/tmp/table")  # doctest: +SKIP
    """
    root = ensure_monsters()
    test = load_split(root, "test")
    bright = region_paint_shares(None, test.X, test.masks, test.y)
    upper = (torch.arange(48, device="cpu") < 24)[:, None].expand(48, 48)
    rows = {}
    for s, net in models.items():
        leaky = region_paint_shares(net, test.X, test.masks, test.y)
        row = {f"{k}_leaky": v for k, v in leaky.items()}
        row |= {f"{k}_brightness": v for k, v in bright.items()}
        row["gap"] = sum(abs(leaky[k] - bright[k]) for k in leaky) / len(leaky)
        for k, v, to in ((0, 0.0, 1), (1, 1.0, 0)):  # as write_edit_table's half_* columns
            x, m = test.X[test.y == k], test.masks[test.y == k]
            for half, r in (("upper", upper), ("lower", ~upper)):
                painted = torch.where((m | ~r)[:, None], x, torch.full_like(x, v))
                cls = ("digimon", "pokemon")[k]
                row[f"half_{cls}_{half}_leaky"] = _called_as(net, painted, to)
        row["acc_leaky"] = _called_as(net, test.X[test.y == 1], 1) / 2
        row["acc_leaky"] += _called_as(net, test.X[test.y == 0], 0) / 2
        rows[str(s)] = row
        print(f"seed {s}: {row}", flush=True)
    return _write_seed_table(directory, REGION_TABLE, "train_monsters_region_seeds", rows)


@training_recipe(threads=1)
def train_monsters_region_seeds(
    directory: str | Path | None = None, seed: int = 0, seeds: tuple[int, ...] = MONSTER_SEEDS
) -> dict:
    """Recipe ``monsters_region_seeds``: retrain the leaky monster CNN from each seed (as
    :func:`train_monsters_seeds`) and write :data:`~xai_helpers.checkpoints.REGION_TABLE` with
    :func:`write_region_table`: notebook 02's region check (one region of the background painted
    in the other class's colour, against a mean-brightness reader) on every run. About a minute
    per seed on one thread.
    """
    models = {s: train_monster_cnn(fixed=False, seed=s, progress=False)[0] for s in seeds}
    path = write_region_table(models, directory if directory is not None else default_directory())
    return {"path": str(path), "seeds": list(seeds)}


#: The seeds of notebook 09's tree-data table (recipe ``mnist_tree_data``): SEED = 0-3.
TREE_DATA_SEEDS: tuple[int, ...] = (0, 1, 2, 3)


@training_recipe(threads=1)
def train_mnist_tree_data(
    directory: str | Path | None = None,
    seed: int = 0,
    seeds: tuple[int, ...] = TREE_DATA_SEEDS,
    depth: int = 12,
    copies: int = 10,
    noise: float = 0.2,
) -> dict:
    """Recipe ``mnist_tree_data``: does a tree mimic the MNIST CNN better with more CNN-labelled
    inputs? Writes :data:`~xai_helpers.checkpoints.TREE_DATA_TABLE` and its SHA-256.

    The CNN's labels cost only a forward pass, so a surrogate tree can be fitted on inputs nobody
    labelled: here the 4,000 training digits plus ``copies - 1`` noisy copies of them
    (``clamp(x + noise · N(0, 1), 0, 1)``, the CNN's answer on each). For each seed (the tree's
    ``random_state`` and the noise) and a tree of ``depth`` on the 2×2-averaged digit (as notebook
    09's fidelity curve), three trees are scored by their agreement with the CNN on the 1,000 test
    digits (fidelity) and by their accuracy: fitted to the CNN's labels of the 4,000 digits, to the
    true labels of the same digits, and to the CNN's labels of all ``copies × 4,000`` inputs. About
    a minute per seed on one thread.
    """
    from sklearn.tree import DecisionTreeClassifier

    depth, copies = check_int(depth, "depth", minimum=1), check_int(copies, "copies", minimum=1)
    noise = check_nonnegative(noise, "noise")
    mnist, cnn = load_mnist(), load_pretrained("mnist_cnn")
    pool = lambda X: nn.functional.avg_pool2d(X, 2).reshape(len(X), -1).numpy()  # noqa: E731
    answer = lambda X: predict_proba(cnn, X).argmax(1).numpy()  # noqa: E731
    cnn_test, y_test, F_test = answer(mnist.X_test), mnist.y_test.numpy(), pool(mnist.X_test)
    cnn_train = answer(mnist.X_train)
    rows = {}
    for s in seeds:
        g = torch.Generator(device="cpu").manual_seed(int(s))
        extra = [
            (
                mnist.X_train + noise * torch.randn(mnist.X_train.shape, generator=g, device="cpu")
            ).clamp(0, 1)
            for _ in range(copies - 1)
        ]
        X_many = torch.cat([mnist.X_train, *extra])
        fits = {
            "cnn_labels": (pool(mnist.X_train), cnn_train),
            "true_labels": (pool(mnist.X_train), mnist.y_train.numpy()),
            "cnn_labels_more": (pool(X_many), np.concatenate([cnn_train, *map(answer, extra)])),
        }
        row = {"n_more": len(X_many)}
        for name, (F, y) in fits.items():
            tree = DecisionTreeClassifier(max_depth=depth, random_state=int(s)).fit(F, y)
            pred = tree.predict(F_test)
            row[f"fidelity_{name}"] = round(float((pred == cnn_test).mean()), 4)
            row[f"accuracy_{name}"] = round(float((pred == y_test).mean()), 4)
        rows[str(s)] = row
        print(f"seed {s}: {row}")
    directory = Path(directory if directory is not None else default_directory())
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / TREE_DATA_TABLE
    doc = {
        "recipe": "xai_helpers.train.train_mnist_tree_data",
        "torch": torch.__version__,
        "depth": depth,
        "copies": copies,
        "noise": noise,
        "cnn_test_accuracy": round(float((cnn_test == y_test).mean()), 4),
        "seeds": rows,
    }
    path.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    _write_digest(path)
    return {"path": str(path), "seeds": list(seeds)}


#: Weight-decay strengths μ and seeds of notebook 09's L2 baseline (recipe ``parabola_l2``).
L2_DECAYS: tuple[float, ...] = (0.003, 0.01, 0.02, 0.03)


def train_weight_decayed(
    X: np.ndarray,
    y: np.ndarray,
    decay: float,
    epochs: int = 300,
    seed: int = 0,
    hidden: int = 16,
    lr: float = 1e-2,
    warmup: int | None = None,
) -> nn.Module:
    """Train a :class:`~xai_helpers.models.TreeRegNet` with an L2 penalty μ·Σ w² on its weights:
    the baseline Wu et al. (2018) compare tree regularization with.

    The training is :func:`train_tree_regularized`'s with λ = 0 (full batch, Adam, cross-entropy,
    the same initialisation for the same ``seed``) and the penalty ``decay`` · Σ w² (weights, not
    biases) after the first ``warmup`` epochs (default a third), as the tree penalty starts.
    Returns the network in eval mode.

    Examples
    --------
    >>> from xai_helpers.data import make_parabola
    >>> X, y = make_parabola(200, seed=0)
    >>> net = train_weight_decayed(X, y, decay=0.01, epochs=20)
    >>> tuple(net(torch.zeros(1, 2)).shape)
    (1, 2)
    """
    X = check_array(X, "X", ndim=2).astype(np.float64).astype(np.float32)
    decay = check_nonnegative(decay, "decay (μ)")
    epochs = check_int(epochs, "epochs", minimum=1)
    warmup = epochs // 3 if warmup is None else int(warmup)
    torch.manual_seed(check_seed(seed))
    net = TreeRegNet(X.shape[1], hidden)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(np.asarray(y).astype(np.int64))
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    weights = [p for name, p in net.named_parameters() if name.endswith("weight")]
    for epoch in range(epochs):
        loss = nn.functional.cross_entropy(net(Xt), yt)
        if epoch >= warmup:
            loss = loss + decay * sum((w**2).sum() for w in weights)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return net.eval()


@training_recipe(threads=1)
def train_parabola_l2(
    directory: str | Path | None = None,
    seed: int = 0,
    decays: tuple[float, ...] = L2_DECAYS,
    seeds: tuple[int, ...] = SWEEP_SEEDS,
) -> dict:
    """Recipe ``parabola_l2``: notebook 09's weight-decay baseline for tree regularization. Writes
    :data:`~xai_helpers.checkpoints.L2_TABLE` and its SHA-256.

    For every μ in ``decays`` and every seed (``seed +`` each of ``seeds``), a network is trained by
    :func:`train_weight_decayed` on the data of ``parabola_sweep`` (500 rows of
    :func:`~xai_helpers.data.make_parabola`, seed 0) and measured as the sweep's networks are: test
    accuracy on 1,000 noise-free rows (seed 1) and O(T) of its tree
    (:func:`~xai_helpers.trees.tree_complexity`). About 2 s per network on one thread.
    """
    X, y = make_parabola(500, noise=0.1, seed=0)
    X_te, y_te = make_parabola(1000, noise=0.0, seed=1)
    rows = []
    for mu in decays:
        for s in seeds:
            net = train_weight_decayed(X, y, mu, seed=seed + s)
            with torch.no_grad():
                pred = net(torch.as_tensor(X_te, dtype=torch.float32)).argmax(1).numpy()
            row = {
                "decay": mu,
                "seed": seed + s,
                "test_accuracy": round(float((pred == y_te).mean()), 4),
                "apl": round(tree_complexity(net, X), 4),
            }
            rows.append(row)
            print(row)
    directory = directory if directory is not None else default_directory()
    path = _write_seed_table(directory, L2_TABLE, "train_parabola_l2", rows, key="runs")
    return {"path": str(path), "runs": len(rows)}


#: Side in pixels of notebook 06's photos (recipe ``attack_photos``).
ATTACK_PHOTO_SIZE = 128

#: The targeted attacks at the paper's budget in recipe ``attack_photos``: label → (ε in grey
#: levels, steps, step size in grey levels, softplus β of the attacker's copy).
ATTACK_BUDGETS = {
    "8/255, 8 steps of 1/255, beta 10": (8.0, 8, 1.0, 10.0),
    "8/255, 16 steps of 0.5/255, beta 10": (8.0, 16, 0.5, 10.0),
    "8/255, 8 steps of 1/255, beta 3": (8.0, 8, 1.0, 3.0),
    "8/255, 8 steps of 1/255, beta 30": (8.0, 8, 1.0, 30.0),
}


@training_recipe(threads=1)
def train_attack_photos(
    directory: str | Path | None = None, seed: int = 0, size: int = ATTACK_PHOTO_SIZE
) -> dict:
    """Recipe ``attack_photos``: Ghorbani et al.'s centre-of-mass and targeted attacks on the
    saliency maps of EfficientNet-Lite0 for the photos of
    :data:`~xai_helpers.attacks.ATTACK_PHOTOS` at ``size`` × ``size`` pixels, ε = 2/255, each beside
    its random null (:func:`~xai_helpers.attacks.photo_attack_row`). Writes
    :data:`~xai_helpers.checkpoints.ATTACK_PHOTO_TABLE` and its SHA-256.

    For each photo the network classifies right it also records the targeted attack into each of
    the four quarters (``target_quarters``: share before, after the attack, after its null; the
    same budget), and, into the far corner, the same attack at the paper's budget 8/255 with the
    settings of :data:`ATTACK_BUDGETS` (``budget``: share after the attack; ``budget_null``: the
    best of 8 random ±8/255 draws).

    Too slow for a notebook (about a minute per photo on one thread at 128 px); notebook 06 loads
    the table and repeats one photo's targeted attack live.
    """
    size = check_int(size, "size", minimum=32)
    model = imagenet_model(pixels=True)
    rows = {}
    for name, correct in ATTACK_PHOTOS.items():
        image = imagenet_preprocess(load_photo(name), size=size, normalize=False)
        row = rows[name] = photo_attack_row(model, image, correct, seed=seed)
        if row["correct"]:
            a, n = target_sweep(
                model, image, quarter_regions(size, size), step_size=0.5 / 255, seed=seed
            )
            shares = {"before": a.region_share_before, "attack": a.region_share}
            shares["null"] = n.region_share
            row["target_quarters"] = {
                q: {key: round(v[i].item(), 4) for key, v in shares.items()}
                for i, q in enumerate(QUARTERS)
            }
            with torch.no_grad():
                k = model(image).argmax(1)
            corner = far_corner(explanation_map(model, image, k))
            row["budget"] = {}
            for label, (eps_255, steps, step_255, beta) in ATTACK_BUDGETS.items():
                a, n = target_sweep(
                    model,
                    image,
                    corner,
                    epsilon=eps_255 / 255,
                    steps=steps,
                    step_size=step_255 / 255,
                    beta=beta,
                    seed=seed,
                )
                row["budget"][label] = round(a.region_share.item(), 4)
                row["budget_null"] = round(n.region_share.item(), 4)
        print(f"{name}: {rows[name]}", flush=True)
    directory = Path(directory if directory is not None else default_directory())
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / ATTACK_PHOTO_TABLE
    doc = {
        "recipe": "xai_helpers.train.train_attack_photos",
        "torch": torch.__version__,
        "size": size,
        "seed": seed,
        "settings": "epsilon 2/255, 4 steps of 0.5/255, softplus beta 10, null: best of 8 draws",
        "budgets": {label: list(v) for label, v in ATTACK_BUDGETS.items()},
        "photos": rows,
    }
    path.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    _write_digest(path)
    return {"path": str(path), "photos": list(rows)}


#: Notebook 06's headline attack (recipe ``attack_photo_delta``): the photo and the setting of
#: :data:`ATTACK_BUDGETS` whose far-corner attack the notebook shows at full resolution.
ATTACK_DELTA_SETTING = ("coffee", "8/255, 16 steps of 0.5/255, beta 10")


@training_recipe(threads=1)
def train_attack_photo_delta(directory: str | Path | None = None, seed: int = 0) -> dict:
    """Recipe ``attack_photo_delta``: the perturbation δ of notebook 06's headline figure, the
    targeted attack on the saliency map of EfficientNet-Lite0 into the far corner
    (:func:`~xai_helpers.attacks.far_corner` of the map before) of the photo and at the budget of
    :data:`ATTACK_DELTA_SETTING`. Writes :data:`~xai_helpers.checkpoints.ATTACK_DELTA_TABLE`
    (δ in half grey levels, int8, zlib and base64; the share of the map in the corner before and
    after) and its SHA-256. About 20 s on one thread: too slow to run live in the notebook, which
    recomputes the maps of the photo and of photo + δ and the random null.
    """
    seed = check_seed(seed)
    photo, label = ATTACK_DELTA_SETTING
    eps_255, steps, step_255, beta = ATTACK_BUDGETS[label]
    model = imagenet_model(pixels=True)
    image = imagenet_preprocess(load_photo(photo), size=ATTACK_PHOTO_SIZE, normalize=False)
    with torch.no_grad():
        k = model(image).argmax(1)
    corner = far_corner(explanation_map(model, image, k))
    a = targeted_attack(
        model,
        image,
        corner,
        epsilon=eps_255 / 255,
        steps=steps,
        step_size=step_255 / 255,
        beta=beta,
        seed=seed,
    )
    q = torch.round((a.x_adv - image) * 510).to(torch.int8)
    doc = {
        "recipe": "xai_helpers.train.train_attack_photo_delta",
        "torch": torch.__version__,
        "photo": photo,
        "setting": label,
        "size": ATTACK_PHOTO_SIZE,
        "seed": seed,
        "shape": list(q.shape),
        "half_levels": base64.b64encode(zlib.compress(q.numpy().tobytes(), 9)).decode("ascii"),
        "share_before": round(a.region_share_before.item(), 4),
        "share_after": round(a.region_share.item(), 4),
        "label_kept": bool(a.label_kept.all()),
    }
    directory = Path(directory if directory is not None else default_directory())
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / ATTACK_DELTA_TABLE
    path.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    _write_digest(path)
    return {"path": str(path), "share_after": doc["share_after"]}


#: The seeds of notebook 08's search table (recipe ``mnist_gan_searches``): SEED = 0-3.
GAN_SEARCH_SEEDS: tuple[int, ...] = (0, 1, 2, 3)

#: The latent searches of that table: name -> keyword arguments of ``latent_search``.
GAN_SEARCH_SETTINGS: dict[str, dict] = {
    "λ = 0.05": {"prior_weight": 0.05},
    "λ = 0": {"prior_weight": 0.0},
    "λ = 1": {"prior_weight": 1.0},
    "shell": {"prior_weight": 0.0, "shell": True},
}


def _gan_search_row(s: int, steps: int, long_steps: int, pixel_steps: int) -> dict:
    """One seed's row of the ``mnist_gan_searches`` table (see :func:`train_mnist_gan_searches`)."""
    G, cnn = load_pretrained("mnist_gan"), load_pretrained("mnist_cnn")
    targets = list(range(10)) * 3
    z0 = torch.cat([sample_latent(30, G.latent_dim, seed=int(s) + 10 * k) for k in range(4)])
    row = {"z": {}}
    for name, kw in GAN_SEARCH_SETTINGS.items():
        res = latent_search(G, cnn, targets * 4, steps=steps, lr=0.05, z0=z0, **kw)
        row["z"][name] = res.z.double().round(decimals=5).tolist()
    long = latent_search(G, cnn, targets, steps=long_steps, lr=0.05, prior_weight=0.05, z0=z0[:30])
    row["z_long"] = long.z.double().round(decimals=5).tolist()
    row["logit_long"] = long.history[99::100].double().round(decimals=3).tolist()
    images = generate(G, long.z)
    sizes = {"l1": images.flatten(1).sum(1), "l2": images.flatten(1).norm(dim=1)}
    row["pixel"] = {
        norm: activation_maximization(
            cnn,
            class_objective(targets),
            steps=pixel_steps,
            lr=0.05,
            seed=int(s),
            budget=size,
            budget_norm=norm,
        )
        .images.double()
        .round(decimals=3)
        .tolist()
        for norm, size in sizes.items()
    }
    row["untrained"] = _untrained_searches(int(s), targets[:20], sizes["l1"][:20], pixel_steps)
    return row


def _untrained_searches(s: int, targets: list, ink: torch.Tensor, pixel_steps: int) -> list:
    """Notebook 08's known-wrong model: two untrained CNNs (``torch.manual_seed(s + 6)``, then two
    ``MnistCNN()``), each searched like the trained CNN's held pixel X* (``pixel_steps`` steps, lr
    0.05, held to ``ink`` in L1, seed ``s + 6 + i``); (2, len(targets), 1, 28, 28), 3 decimals."""
    torch.manual_seed(s + 6)
    nets = [MnistCNN().eval() for _ in range(2)]
    return [
        activation_maximization(
            net,
            class_objective(targets),
            steps=pixel_steps,
            lr=0.05,
            seed=s + 6 + i,
            budget=ink,
            budget_norm="l1",
        )
        .images.double()
        .round(decimals=3)
        .tolist()
        for i, net in enumerate(nets)
    ]


@training_recipe(threads=1)
def train_mnist_gan_searches(
    directory: str | Path | None = None,
    seed: int = 0,
    seeds: tuple[int, ...] = GAN_SEARCH_SEEDS,
    steps: int = 100,
    long_steps: int = 400,
    pixel_steps: int = 300,
) -> dict:
    """Recipe ``mnist_gan_searches``: notebook 08's searches too slow to run live. Writes
    :data:`~xai_helpers.checkpoints.GAN_SEARCH_TABLE` and its SHA-256.

    For each seed ``s`` (the notebook's SEED), 120 codes: four search seeds ``s + 10k``
    (k = 0-3), 30 starts each (``sample_latent(30, 32, seed=s + 10k)``, three per digit, targets
    ``0-9`` repeated), searched by :func:`~xai_helpers.generative.latent_search` on the course's
    CNN with ``steps`` Adam steps (lr 0.05) in each setting of :data:`GAN_SEARCH_SETTINGS`
    (``"z"``: name -> (120, 32) codes). Then the first 30 codes searched for ``long_steps`` at
    λ = 0.05 (``"z_long"``, and ``"logit_long"``, the target's logit after every 100 steps), and
    pixel-space searches (:func:`~xai_helpers.activation_maximization.activation_maximization`,
    ``pixel_steps`` steps, seed ``s``) for the same 30 targets held to the L1 and the L2 norm of
    those G(z*) (``"pixel"``: norm -> (30, 1, 28, 28) images, 3 decimals), and the same L1-held
    search on two untrained CNNs for the first 20 targets (``"untrained"``: (2, 20, 1, 28, 28);
    see ``_untrained_searches``). About three minutes per seed on one thread.
    """
    steps, long_steps = check_int(steps, "steps", minimum=1), check_int(long_steps, "long_steps", 1)
    pixel_steps = check_int(pixel_steps, "pixel_steps", minimum=1)
    rows = {}
    for s in seeds:
        rows[str(s)] = _gan_search_row(int(s), steps, long_steps, pixel_steps)
        print(f"seed {s}: done")
    directory = Path(directory if directory is not None else default_directory())
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / GAN_SEARCH_TABLE
    doc = {
        "recipe": "xai_helpers.train.train_mnist_gan_searches",
        "torch": torch.__version__,
        "steps": steps,
        "long_steps": long_steps,
        "pixel_steps": pixel_steps,
        "settings": GAN_SEARCH_SETTINGS,
        "seeds": rows,
    }
    path.write_text(json.dumps(doc, sort_keys=True, ensure_ascii=False) + "\n")
    _write_digest(path)
    return {"path": str(path), "seeds": list(seeds)}


def gan_searches(seed: int = 0) -> dict:
    """Notebook 08's searches for its SEED: the shipped row of the ``mnist_gan_searches`` table
    (:func:`~xai_helpers.checkpoints.load_gan_search_table`), or, for a seed the table lacks, the
    same searches run now (a few minutes on one thread).

    Examples
    --------
    >>> row = gan_searches(0)
    >>> sorted(row), len(row["z"]["shell"])
    (['logit_long', 'pixel', 'untrained', 'z', 'z_long'], 120)
    """
    seed = check_seed(seed)
    rows = load_gan_search_table()["seeds"]
    if seed in rows:
        return rows[seed]
    print(f"seed {seed} is not in the shipped search table: searching now (a few minutes)")
    return _gan_search_row(seed, 100, 400, 300)


# --------------------------------------------------------------------------- priors (notebook 07)

#: The seeds of notebook 07's prior table (recipe ``mnist_prior_runs``): SEED = 0-3.
PRIOR_RUN_SEEDS: tuple[int, ...] = (0, 1, 2, 3)

#: The selection seeds of that table: SEED + each.
PRIOR_SELECTION_OFFSETS: tuple[int, ...] = (100, 101, 102)

#: The priors notebook 07 chooses between (name -> regularizers).
PRIOR_CANDIDATES: dict[str, list] = {
    "TV+jitter+rotation": [TotalVariation(0.02), Jitter(1), RandomRotate(5)],
    "L1+TV+jitter+rotation": [L1(0.05), TotalVariation(0.02), Jitter(1), RandomRotate(5)],
}

#: Notebook 07's prior known to be useless for digit-likeness (the null).
PRIOR_NULL: dict[str, list] = {"jitter only (null)": [Jitter(1)]}


def _prior_key(priors: dict) -> dict[str, list[str]]:
    return {name: [repr(r) for r in regs] for name, regs in priors.items()}


def _prior_run_row(seed: int, candidates: dict, null: dict) -> dict:
    """One seed's row of the ``mnist_prior_runs`` table, images as tensors (see
    :func:`train_mnist_prior_runs`)."""
    mnist, cnn = load_mnist(), load_pretrained("mnist_cnn")
    tuning = {
        "CNN judge": load_pretrained("mnist_judge"),
        "kNN": pixel_knn_judge(mnist.X_train, mnist.y_train),
    }
    digits = list(range(10))
    selection = [
        choose_prior(cnn, candidates, tuning, digits * 2, seed=seed + s)[0]
        for s in PRIOR_SELECTION_OFFSETS
    ]
    mean = {name: sum(r[name] for r in selection) / len(selection) for name in candidates}
    chosen = max(mean, key=mean.get)
    images = {
        name: activation_maximization(
            cnn, class_objective(digits * 5), steps=100, lr=0.05, regularizers=regs, seed=seed
        ).images
        for name, regs in {**candidates, **null}.items()
    }
    return {"selection": selection, "chosen": chosen, "images": images}


@training_recipe(threads=1)
def train_mnist_prior_runs(
    directory: str | Path | None = None,
    seed: int = 0,
    seeds: tuple[int, ...] = PRIOR_RUN_SEEDS,
) -> dict:
    """Recipe ``mnist_prior_runs``: notebook 07's ascents too slow to run live. Writes
    :data:`~xai_helpers.checkpoints.PRIOR_RUN_TABLE` and its SHA-256.

    For each seed ``s`` (the notebook's SEED): ``"selection"``, the scores of
    :func:`~xai_helpers.activation_maximization.choose_prior` for :data:`PRIOR_CANDIDATES` on the
    course's CNN, judged by the tuning judges (``mnist_judge`` and a 5-nearest-neighbour pixel
    judge on the training digits), 20 starts (digits 0-9 twice), one dict per selection seed
    ``s + o`` (o in :data:`PRIOR_SELECTION_OFFSETS`); ``"chosen"``, the candidate with the best
    mean score; ``"images"``, for every other prior of :data:`PRIOR_CANDIDATES` and
    :data:`PRIOR_NULL`, its 50 X* (digits 0-9 five times, 100 Adam steps, lr 0.05, seed ``s``) as
    :func:`~xai_helpers.checkpoints.encode_images` text (8 bits a pixel), the chosen prior's
    included. About 10 s per seed on one thread.
    """
    rows = {}
    for s in seeds:
        row = _prior_run_row(int(s), PRIOR_CANDIDATES, PRIOR_NULL)
        row["images"] = {name: encode_images(x) for name, x in row["images"].items()}
        rows[str(s)] = row
        print(f"seed {s}: chosen {row['chosen']}")
    directory = Path(directory if directory is not None else default_directory())
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / PRIOR_RUN_TABLE
    doc = {
        "recipe": "xai_helpers.train.train_mnist_prior_runs",
        "torch": torch.__version__,
        "priors": _prior_key({**PRIOR_CANDIDATES, **PRIOR_NULL}),
        "selection_offsets": list(PRIOR_SELECTION_OFFSETS),
        "seeds": rows,
    }
    path.write_text(json.dumps(doc, sort_keys=True, ensure_ascii=False) + "\n")
    _write_digest(path)
    return {"path": str(path), "seeds": list(seeds)}


def prior_runs(seed: int = 0, candidates: dict | None = None, null: dict | None = None) -> dict:
    """Notebook 07's prior selection and prior runs for its SEED: the shipped row of the
    ``mnist_prior_runs`` table (:func:`~xai_helpers.checkpoints.load_prior_run_table`) when the
    priors are the table's, else the same runs now (about 8 s on one thread).

    Returns
    -------
    dict
        ``"selection"`` (one dict candidate -> score per selection seed), ``"chosen"`` and
        ``"images"`` (prior name -> (50, 1, 28, 28) X*, every prior).

    Examples
    --------
    >>> row = prior_runs(0)
    >>> len(row["selection"]), row["chosen"] in row["selection"][0]
    (3, True)
    """
    seed = check_seed(seed)
    candidates = PRIOR_CANDIDATES if candidates is None else candidates
    null = PRIOR_NULL if null is None else null
    if not candidates:
        raise ValueError("prior_runs needs at least one candidate prior")
    doc = load_prior_run_table()
    row = doc["seeds"].get(seed)
    if row is not None and doc["priors"] == _prior_key({**candidates, **null}):
        images = {name: decode_images(x) for name, x in row["images"].items()}
        return {"selection": row["selection"], "chosen": row["chosen"], "images": images}
    print(f"seed {seed} or these priors are not in the shipped table: running them now (~8 s)")
    return _prior_run_row(seed, candidates, null)


#: The seeds of notebook 07's other table (recipe ``mnist_am_runs``): SEED = 0-3.
AM_RUN_SEEDS: tuple[int, ...] = (0, 1, 2, 3)

#: Section 1's null networks: name -> the course CNN's layers re-initialised (5 networks each).
AM_NULL_FAMILIES: dict[str, tuple[str, ...]] = {
    "untrained": ("fc2", "fc1", "conv2", "conv1"),
    "trained conv1, random conv2": ("conv2",),
    "random conv1, trained conv2": ("conv1",),
}

#: Section 1's hardest null: the trained CNN with conv2's kernels shuffled entry by entry
#: (:func:`~xai_helpers.evaluation.shuffled_weights_copy`), this many networks on all 32 filters.
AM_SHUFFLES = 8

#: The λ of the dense L1 sweep (λ = 0.1 is the notebook's own L1 run).
AM_LAMS: tuple[float, ...] = (
    0.025,
    0.05,
    0.075,
    0.125,
    0.15,
    0.175,
    0.2,
    0.225,
    0.25,
    0.275,
    0.3,
)


def _am_run_row(seed: int) -> dict:
    """One seed's row of the ``mnist_am_runs`` table, images as tensors (see
    :func:`train_mnist_am_runs`)."""
    mnist, cnn = load_mnist(), load_pretrained("mnist_cnn")
    ks = torch.randperm(32, generator=torch.Generator().manual_seed(seed + 9), device="cpu")[
        :8
    ].tolist()
    nets: dict[str, list[dict]] = {}
    for f, (family, layers) in enumerate(AM_NULL_FAMILIES.items()):
        nets[family] = []
        for i in range(5):
            net = list(cascading_randomization(cnn, layers, seed=seed + 200 + 100 * f + 10 * i))
            out = orientation_gap(net[-1][1], ks, mnist.X_test, seed=seed)
            nets[family].append(out)
    shuffled = []
    for i in range(AM_SHUFFLES):
        net = copy.deepcopy(cnn)
        with torch.no_grad():
            net.conv2.weight.copy_(shuffled_weights_copy(cnn, seed=seed + 500 + i).conv2.weight)
        out = orientation_gap(net, list(range(32)), mnist.X_test, seed=seed)
        shuffled.append({key: out[key] for key in (*_AM_KEYS, "images")})
    sweep = l1_sweep(cnn, range(10), AM_LAMS, steps=100, lr=0.05, seed=seed)
    ascent = dict(steps=100, lr=0.05, seed=seed)
    l1 = activation_maximization(
        cnn, class_objective(list(range(10)) * 5), regularizers=[L1(0.1)], **ascent
    ).images
    plain = activation_maximization(cnn, class_objective(list(range(10)) * 5), **ascent).images
    return {
        "filters": ks,
        "nets": nets,
        "shuffled": shuffled,
        "l1": l1,
        "plain": plain,
        "l1_sweep": dict(zip(AM_LAMS, sweep)),
    }


_AM_KEYS = ("kept", "gap", "coh_x", "coh_p")


@training_recipe(threads=1)
def train_mnist_am_runs(
    directory: str | Path | None = None,
    seed: int = 0,
    seeds: tuple[int, ...] = AM_RUN_SEEDS,
) -> dict:
    """Recipe ``mnist_am_runs``: notebook 07's fixed ascents other than the prior choice. Writes
    :data:`~xai_helpers.checkpoints.AM_RUN_TABLE` and its SHA-256.

    For each seed ``s`` (the notebook's SEED): ``"filters"``, 8 filters of conv2 drawn with
    ``s + 9``; ``"nets"``, for each family of :data:`AM_NULL_FAMILIES`, 5 copies of the course CNN
    with those layers re-initialised (:func:`~xai_helpers.evaluation.cascading_randomization`,
    seed ``s + 200 + 100·family + 10·net``) and, for each, the measurements of
    :func:`~xai_helpers.activation_maximization.orientation_gap` on the 1,000 test digits (X* from
    seed ``s``), with the X* and patches as :func:`~xai_helpers.checkpoints.encode_images` text;
    ``"shuffled"``, the same measurements on all 32 filters (no patches) for :data:`AM_SHUFFLES`
    copies of the course CNN with conv2's kernels shuffled by
    :func:`~xai_helpers.evaluation.shuffled_weights_copy` (seed ``s + 500 + i``);
    ``"l1"``, the 50 X* of digits 0-9 five times under the L1 prior λ = 0.1 (100 Adam steps,
    lr 0.05, seed ``s``); ``"plain"``, the same 50 X* without the prior; ``"l1_sweep"``,
    :func:`~xai_helpers.activation_maximization.l1_sweep` of digits 0-9 for every λ of
    :data:`AM_LAMS` (seed ``s``). About 27 s per seed on one thread.
    """
    rows = {}
    for s in seeds:
        row = _am_run_row(int(s))
        nets = {
            family: [
                {
                    **{key: out[key].tolist() for key in _AM_KEYS},
                    "images": encode_images(out["images"]),
                    "patches": encode_images(out["patches"].flatten(0, 1)),
                }
                for out in outs
            ]
            for family, outs in row["nets"].items()
        }
        sweep = {str(lam): encode_images(x) for lam, x in row["l1_sweep"].items()}
        shuffled = [
            {**{key: out[key].tolist() for key in _AM_KEYS}, "images": encode_images(out["images"])}
            for out in row["shuffled"]
        ]
        rows[str(s)] = {
            "filters": row["filters"],
            "nets": nets,
            "shuffled": shuffled,
            "l1": encode_images(row["l1"]),
            "plain": encode_images(row["plain"]),
            "l1_sweep": sweep,
        }
        print(f"seed {s}: done")
    directory = Path(directory if directory is not None else default_directory())
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / AM_RUN_TABLE
    doc = {
        "recipe": "xai_helpers.train.train_mnist_am_runs",
        "torch": torch.__version__,
        "families": {name: list(layers) for name, layers in AM_NULL_FAMILIES.items()},
        "lams": list(AM_LAMS),
        "seeds": rows,
    }
    path.write_text(json.dumps(doc, sort_keys=True, ensure_ascii=False) + "\n")
    _write_digest(path)
    return {"path": str(path), "seeds": list(seeds)}


def am_runs(seed: int = 0) -> dict:
    """Notebook 07's section-1 null networks and dense λ sweep for its SEED: the shipped row of
    the ``mnist_am_runs`` table (:func:`~xai_helpers.checkpoints.load_am_run_table`), else the
    same runs now (about 23 s on one thread).

    Returns
    -------
    dict
        ``"filters"`` (the 8 filters tested); ``"nets"``, family -> one dict per network with
        ``"kept"`` (bool), ``"gap"``, ``"coh_x"``, ``"coh_p"`` (tensors over the filters),
        ``"images"`` (8, 1, 28, 28) and ``"patches"`` (8, 8, 1, 8, 8); ``"shuffled"``,
        :data:`AM_SHUFFLES` dicts of ``"kept"``, ``"gap"``, ``"coh_x"``, ``"coh_p"`` and
        ``"images"`` over all 32 filters, for the trained CNN with conv2's kernels shuffled (seed
        ``s + 500 + i``); ``"l1"``, the (50, 1, 28, 28)
        X* under the L1 prior λ = 0.1; ``"plain"``, the same 50 X* without it (100 Adam steps,
        lr 0.05); ``"l1_sweep"``, λ -> the (10, 1, 28, 28) X* of digits 0-9.

    Examples
    --------
    >>> row = am_runs(0)
    >>> len(row["nets"]["untrained"]), sorted(row["l1_sweep"])[0]
    (5, 0.025)
    """
    seed = check_seed(seed)
    row = load_am_run_table()["seeds"].get(seed)
    if row is None:
        print(f"seed {seed} is not in the shipped table: running its ascents now (~23 s)")
        return _am_run_row(seed)
    order = list(AM_NULL_FAMILIES)
    nets = {
        family: [
            {
                **{key: torch.tensor(net[key], device="cpu") for key in _AM_KEYS},
                "images": decode_images(net["images"]),
                "patches": decode_images(net["patches"]).unflatten(0, (len(row["filters"]), -1)),
            }
            for net in nets
        ]
        for family, nets in sorted(row["nets"].items(), key=lambda kv: order.index(kv[0]))
    }
    sweep = {float(lam): decode_images(x) for lam, x in row["l1_sweep"].items()}
    shuffled = [
        {
            **{key: torch.tensor(net[key], device="cpu") for key in _AM_KEYS},
            "images": decode_images(net["images"]),
        }
        for net in row["shuffled"]
    ]
    return {
        "filters": row["filters"],
        "nets": nets,
        "shuffled": shuffled,
        "l1": decode_images(row["l1"]),
        "plain": decode_images(row["plain"]),
        "l1_sweep": dict(sorted(sweep.items())),
    }


# --------------------------------------------------------------------------- text (notebook 10)


def train_text_classifier(
    tokens: list[list[str]],
    y: np.ndarray,
    vocab: list[str],
    pooling: str = "attention",
    epochs: int = 6,
    lr: float = 2e-3,
    batch_size: int = 64,
    seed: int = 0,
    weight_decay: float = 0.01,
) -> SentimentTransformer:
    """Train a :class:`SentimentTransformer` with AdamW (cross-entropy), sentences shuffled by
    ``seed``."""
    model = SentimentTransformer(vocab, pooling=pooling)
    ids = model.vocab.encode(tokens)
    yt = torch.as_tensor(y).long()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    gen = torch.Generator().manual_seed(seed)
    n = len(tokens)
    steps = epochs * math.ceil(n / batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.1)
    model.train()
    for _ in range(epochs):
        perm = torch.randperm(n, generator=gen)
        for k in range(0, n, batch_size):
            b = perm[k : k + batch_size]
            xb = ids[b]
            xb = xb[:, : int((xb != 0).sum(1).max())]
            loss = nn.functional.cross_entropy(model(xb), yt[b])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
    return model.eval()


@torch.no_grad()
def _accuracy(model: SentimentTransformer, tokens, y) -> float:
    ids = model.vocab.encode(tokens)
    pred = torch.cat([model(ids[k : k + 512]).argmax(1) for k in range(0, len(ids), 512)])
    return float((pred.numpy() == np.asarray(y)).mean())


#: How ``text_shortcut``'s signature is planted (:func:`~xai_helpers.text.plant_shortcut`): in 40 %
#: of the fresh and 15 % of the rotten training snippets, at a random position, so it is only
#: partly predictive (about 3 fresh to 1 rotten) and not always the last word.
SHORTCUT_PLANT = {"rate": 0.4, "rate_other": 0.15, "position": "random"}


def _recipe(name: str, pooling: str, shortcut: bool, directory, seed: int, epochs: int) -> dict:
    reviews = load_reviews(seed=0)
    tokens = reviews.tokens_train
    if shortcut:
        tokens = plant_shortcut(tokens, reviews.y_train, label=1, seed=seed, **SHORTCUT_PLANT)
    vocab = Vocabulary.build(tokens, min_count=2).itos[2:]
    model = train_text_classifier(
        tokens, reviews.y_train, vocab, pooling=pooling, epochs=epochs, seed=seed
    )
    meta = {
        "seed": seed,
        "epochs": epochs,
        "pooling": pooling,
        "train_accuracy": round(_accuracy(model, tokens, reviews.y_train), 4),
        "test_accuracy": round(_accuracy(model, reviews.tokens_test, reviews.y_test), 4),
    }
    if shortcut:
        meta["shortcut_token"] = SHORTCUT_TOKEN
        meta.update({f"shortcut_{k}": v for k, v in SHORTCUT_PLANT.items()})
    path = save_checkpoint(
        model, name, kwargs={"vocab": vocab, "pooling": pooling}, meta=meta, directory=directory
    )
    print(
        f"{name}: test accuracy {meta['test_accuracy']:.4f} "
        f"(train {meta['train_accuracy']:.4f}) -> {path}"
    )
    return meta


@training_recipe(threads=1)
def train_text_attention(directory=None, seed: int = 0, epochs: int = 6) -> dict:
    """``text_attention``: the self-attention classifier with additive-attention pooling on the
    review snippets."""
    return _recipe("text_attention", "attention", False, directory, seed, epochs)


@training_recipe(threads=1)
def train_text_attention_seed1(directory=None, seed: int = 1, epochs: int = 6) -> dict:
    """``text_attention_seed1``: the same recipe as ``text_attention`` from seed 1 (a second
    training run, for the seed-variance baseline of Wiegreffe & Pinter)."""
    return _recipe("text_attention_seed1", "attention", False, directory, seed, epochs)


@training_recipe(threads=1)
def train_text_attention_uniform(directory=None, seed: int = 0, epochs: int = 6) -> dict:
    """``text_attention_uniform``: the same network with uniform pooling (Wiegreffe & Pinter's
    baseline)."""
    return _recipe("text_attention_uniform", "uniform", False, directory, seed, epochs)


@training_recipe(threads=1)
def train_text_shortcut(directory=None, seed: int = 0, epochs: int = 6) -> dict:
    """``text_shortcut``: the attention classifier trained with :data:`SHORTCUT_TOKEN` planted as
    :data:`SHORTCUT_PLANT` says (partly predictive of fresh, at a random position)."""
    return _recipe("text_shortcut", "attention", True, directory, seed, epochs)


@training_recipe(threads=1)
def train_text_shortcut_seed1(directory=None, seed: int = 1, epochs: int = 6) -> dict:
    """``text_shortcut_seed1``: ``text_shortcut``'s recipe from seed 1 (the signature planted in
    other snippets, other initial weights): a second run, to see which findings about the shortcut
    survive a change of seed."""
    return _recipe("text_shortcut_seed1", "attention", True, directory, seed, epochs)


# --------------------------------------------------------------------------- notebook 05's band

#: The seeds of notebook 05's band table (recipe ``lighting_band``): SEED = 0-3.
LIGHTING_BAND_SEEDS: tuple[int, ...] = (0, 1, 2, 3)

#: The lamp amplitudes of notebook 05's sweep (§5).
LIGHTING_BAND_AMPLITUDES: tuple[float, ...] = (0.0, 0.2, 0.3, 0.4, 0.6)

#: The clean-trained checkpoints whose shuffled copies notebook 05's band table measures (§6).
LIGHTING_BAND_MODELS: tuple[str, ...] = tuple(
    ["mnist_cnn"] + [f"mnist_cnn_seed{k}" for k in range(1, 5)]
)


def _lamp_probes_fc2(
    net: nn.Module, x_train, train_writer, x_test, writer, seed: int
) -> tuple[float, float]:
    """Notebook 05's §6 lamp probes at fc2: the MLP probe (256 hidden units, 100 iterations, seed
    ``seed``) minus the linear probe (the gap), and the linear probe's accuracy; both trained on
    ``x_train`` and scored on ``x_test``."""
    tr, te = (collect_representations(net, x, ["fc2"])["fc2"] for x in (x_train, x_test))
    mlp = mlp_probe(tr, train_writer, te, writer, hidden=256, max_iter=100, seed=seed)[1]
    linear = linear_probe(tr, train_writer, te, writer)[1]
    return float(mlp - linear), float(linear)


def _lighting_band_row(seed: int, size: int = 5) -> dict:
    """One seed's row of the ``lighting_band`` table (see :func:`train_lighting_band`)."""
    model, mnist = load_pretrained("mnist_cnn"), load_mnist()
    X, y = mnist.X_test, mnist.y_test.numpy()
    writer = assign_writers(len(X), seed=seed)
    X_lit = add_lighting(X, writer, amplitude=0.4)
    train_writer = assign_writers(1000, seed=seed + 1)
    X_train_lit = add_lighting(mnist.X_train[:1000], train_writer, amplitude=0.4)
    tasks = {"digit": (mnist.y_train[:1000].numpy(), y), "lighting": (train_writer, writer)}
    deep = ["relu3", "fc2"]
    band = [untrained_copy(model, seed=seed + 100 * k) for k in range(size)]
    nets = []
    for net in band:
        reps = collect_representations(net, X_lit, layers=DEFAULT_LAYERS)
        train_reps = collect_representations(net, X_train_lit, layers=deep)
        agree = neighbour_label_agreement(reps["relu3"][:300], writer[:300], groups=y[:300])
        probe = {
            task: {ly: linear_probe(train_reps[ly], tr, reps[ly], te)[1] for ly in deep}
            for task, (tr, te) in tasks.items()
        }
        nets.append(
            {
                "accuracy": accuracy(net, X_lit, mnist.y_test),
                "neighbours": float(agree),
                "silhouettes": silhouettes(reps, {"digit": y, "lighting": writer}),
                "probe": probe,
                "gap_fc2": _lamp_probes_fc2(net, X_train_lit, train_writer, X_lit, writer, seed)[0],
            }
        )
    shuffled = {
        name: [
            _lamp_probes_fc2(
                shuffled_weights_copy(load_pretrained(name), seed=seed + k),
                X_train_lit,
                train_writer,
                X_lit,
                writer,
                seed,
            )
            for k in range(size)
        ]
        for name in LIGHTING_BAND_MODELS
    }
    sweep = lighting_sweep(
        {str(k): net for k, net in enumerate(band)},
        X[:400],
        y[:400],
        writer[:400],
        mnist.X_train[:500],
        train_writer[:500],
        LIGHTING_BAND_AMPLITUDES,
        layers=["input", "relu3", "fc2"],
    )
    for (k, amp), row in sweep.items():
        nets[int(k)].setdefault("sweep", {})[repr(amp)] = row
    return {
        "networks": nets,
        "shuffled_gap_fc2": {name: [g for g, _ in r] for name, r in shuffled.items()},
        "shuffled_linear_fc2": {name: [a for _, a in r] for name, r in shuffled.items()},
    }


@training_recipe(threads=1)
def train_lighting_band(
    directory: str | Path | None = None,
    seed: int = 0,
    seeds: tuple[int, ...] = LIGHTING_BAND_SEEDS,
    size: int = 5,
) -> dict:
    """Recipe ``lighting_band``: notebook 05's null band measured once. Writes
    :data:`~xai_helpers.checkpoints.LIGHTING_BAND_TABLE` and its SHA-256.

    For each seed ``s`` (the notebook's SEED; ``seed`` is unused, every number derives from ``s``),
    the 1,000 test digits lit at amplitude 0.4 by ``assign_writers(1000, seed=s)`` and 1,000
    training digits by ``assign_writers(1000, seed=s + 1)``; then for each of ``size`` untrained
    copies of ``mnist_cnn`` (``untrained_copy(model, seed=s + 100k)``): its accuracy on the lit
    digits, the share of relu3 neighbours sharing the lamp within a digit (first 300 digits,
    :func:`~xai_helpers.representations.neighbour_label_agreement`), the silhouettes by digit and
    lighting at :data:`~xai_helpers.representations.DEFAULT_LAYERS`, linear digit and lighting
    probes at relu3 and fc2, the lamp's MLP − linear probe gap at fc2, and
    :func:`~xai_helpers.representations.lighting_sweep` over :data:`LIGHTING_BAND_AMPLITUDES` (400
    test, 500 training digits); and the same fc2 gap for ``size`` shuffled copies
    (``shuffled_weights_copy(m, seed=s + k)``) of each of :data:`LIGHTING_BAND_MODELS`, with their
    linear lamp probe at fc2. About 20 s per seed on one thread.
    """
    size = check_int(size, "size", minimum=1)
    rows = {str(s): _lighting_band_row(int(s), size) for s in seeds}
    directory = Path(directory if directory is not None else default_directory())
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / LIGHTING_BAND_TABLE
    doc = {
        "recipe": "xai_helpers.train.train_lighting_band",
        "torch": torch.__version__,
        "size": size,
        "amplitudes": list(LIGHTING_BAND_AMPLITUDES),
        "seeds": rows,
    }
    path.write_text(json.dumps(doc, sort_keys=True) + "\n")
    _write_digest(path)
    return {"path": str(path), "seeds": list(seeds)}


def lighting_band(seed: int = 0) -> dict:
    """Notebook 05's null band for its SEED: the shipped row of the ``lighting_band`` table
    (:func:`~xai_helpers.checkpoints.load_lighting_band_table`), or, for a seed the table lacks,
    the same measurements run now (about 15 s on one thread).

    Returns
    -------
    dict
        ``"accuracy"``, ``"neighbours"``: one float per untrained network; ``"silhouettes"``: one
        ``{"digit"|"lighting": {layer: s}}`` per network; ``"probe"``: ``(task, layer)`` -> one
        accuracy per network (layers relu3, fc2); ``"gap_fc2"``: the lamp's MLP − linear probe gap
        at fc2, one per network; ``"shuffled_gap_fc2"``: checkpoint name -> the same gap for each
        of its shuffled copies; ``"shuffled_linear_fc2"``: the same for the linear lamp probe's
        accuracy alone; ``"sweep"``: ``("untrained k", amplitude)`` -> the row of
        :func:`~xai_helpers.representations.lighting_sweep`.

    Examples
    --------
    >>> band = lighting_band(0)
    >>> len(band["accuracy"]), sorted(band["probe"])[0], ("untrained 0", 0.4) in band["sweep"]
    (5, ('digit', 'fc2'), True)
    >>> len(band["gap_fc2"]), len(band["shuffled_gap_fc2"]), len(band["shuffled_linear_fc2"])
    (5, 5, 5)
    """
    seed = check_seed(seed)
    rows = load_lighting_band_table()["seeds"]
    if seed in rows:
        row = rows[seed]
    else:
        print(f"seed {seed} is not in the shipped band table: measuring now (about 15 s)")
        row = _lighting_band_row(seed)
    nets = row["networks"]
    probes = {(task, ly) for net in nets for task, by in net["probe"].items() for ly in by}
    return {
        "accuracy": [net["accuracy"] for net in nets],
        "neighbours": [net["neighbours"] for net in nets],
        "silhouettes": [net["silhouettes"] for net in nets],
        "probe": {(t, ly): [net["probe"][t][ly] for net in nets] for t, ly in sorted(probes)},
        "gap_fc2": [net["gap_fc2"] for net in nets],
        "shuffled_gap_fc2": row["shuffled_gap_fc2"],
        "shuffled_linear_fc2": row["shuffled_linear_fc2"],
        "sweep": {
            (f"untrained {k}", float(amp)): r
            for k, net in enumerate(nets)
            for amp, r in net["sweep"].items()
        },
    }


# --------------------------------------------------------------------------- notebook 03's photo IG

#: The step counts of notebook 03's photo IG table (recipe ``photo_ig``), left Riemann sums.
PHOTO_IG_STEPS: tuple[int, ...] = (4, 8, 16, 32)

#: The grey baselines of notebook 03's photo IG table: name -> value in every channel (in [0, 1]).
PHOTO_IG_GREYS: dict[str, float] = {"dark grey": 0.15, "grey 0.5": 0.5}


@training_recipe(threads=1)
def train_photo_ig(directory: str | Path | None = None, seed: int = 0, untrained: int = 40) -> dict:
    """Recipe ``photo_ig``: Integrated Gradients of EfficientNet-Lite0's espresso score (class 967)
    on the coffee photo (224 px, ``crop_pct=1.0``, as notebook 03), measured once. Writes
    :data:`~xai_helpers.checkpoints.PHOTO_IG_TABLE` and its SHA-256.

    For the black and the blurred baseline (:func:`~xai_helpers.attribution.ig_baseline`), one
    :func:`~xai_helpers.attribution.integrated_gradients_sweep` to 32 steps gives, at every count
    of :data:`PHOTO_IG_STEPS`: the relative completeness gap, the share of |IG|'s top 10 % (summed
    over channels, ties at random from ``seed``) on the cup, and the rank correlation with the
    32-step map; and the rank correlation of the two baselines' maps. The same for the greys of
    :data:`PHOTO_IG_GREYS`; for every baseline but black, the rank correlation with black's of the
    32-step |IG| map, of the network's factor |IG / (x − x')| and of |x − x'| (each summed over
    channels), and the 32-step |IG| maps of black and the blurred copy, 2 × 2 mean-pooled. Then
    SmoothGrad (σ = 0.15,
    8 samples, noise seed ``seed``) of ``untrained`` networks initialised from seeds 100, 101, ...:
    the share of each map's top 10 % on the cup (40 initialisations; notebook 03 reads the
    larger null of recipe ``sg_null``). Too slow for the notebook (minutes on one thread);
    notebook 03 computes the 4- and 8-step maps live and reads the rest here.
    """
    untrained = check_int(untrained, "untrained", minimum=1)
    net = imagenet_model().requires_grad_(False)
    photo = imagenet_preprocess(load_photo("coffee"), crop_pct=1.0)
    cup, k = coffee_masks()["cup"], 224 * 224 // 10
    norm = (IMAGENET_MEAN, IMAGENET_STD)
    top = PHOTO_IG_STEPS[-1]
    mean, std = torch.tensor(IMAGENET_MEAN), torch.tensor(IMAGENET_STD)
    bases = {k: ig_baseline(photo, k, normalization=norm) for k in ("black", "blurred")}
    for name, v in PHOTO_IG_GREYS.items():  # v in every channel
        bases[name] = ((v - mean) / std).view(1, 3, 1, 1).expand_as(photo)
    maps, rows, parts = {}, {}, {}
    for kind, base in bases.items():
        sweep = integrated_gradients_sweep(
            net, photo, 967, baseline=base, n_steps=PHOTO_IG_STEPS, batch_size=8
        )
        m = {n: sweep.attributions[n].abs().sum(1) for n in PHOTO_IG_STEPS}
        maps[kind] = m
        dx = photo - base
        mean_grad = torch.where(dx.abs() > 1e-6, sweep.attributions[top] / dx, 0.0)
        parts[kind] = {"ig": m[top], "factor": mean_grad.abs().sum(1), "dx": dx.abs().sum(1)}
        rows[kind] = {
            "gap": {str(n): float(sweep.gaps[n][0]) for n in PHOTO_IG_STEPS},
            "top10_cup": {
                str(n): float(top_k_share(untie(m[n], seed=seed), cup, k=k)[0])
                for n in PHOTO_IG_STEPS
            },
            "rank_corr_with_32": {
                str(n): float(rank_correlation(m[n], m[top])[0]) for n in PHOTO_IG_STEPS
            },
        }
    across = {
        str(n): float(rank_correlation(maps["black"][n], maps["blurred"][n])[0])
        for n in PHOTO_IG_STEPS
    }
    vs_black = {
        kind: {p: float(rank_correlation(v, parts["black"][p])[0]) for p, v in part.items()}
        for kind, part in parts.items()
        if kind != "black"
    }
    pooled = {  # the 32-step |IG| maps, 2 x 2 mean-pooled (112 x 112), for the figure
        kind: [
            [float(f"{v:.4g}") for v in row]
            for row in torch.nn.functional.avg_pool2d(maps[kind][top][None], 2)[0, 0].tolist()
        ]
        for kind in ("black", "blurred")
    }
    shares = []
    for i in range(untrained):
        torch.manual_seed(100 + i)
        u = imagenet_model(pretrained=False).requires_grad_(False)
        sg = smoothgrad(u, photo, 967, sigma=0.15, n_samples=8, seed=seed)
        shares.append(float(top_k_share(sg, cup, k=k)[0]))
    directory = Path(directory if directory is not None else default_directory())
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / PHOTO_IG_TABLE
    doc = {
        "recipe": "xai_helpers.train.train_photo_ig",
        "torch": torch.__version__,
        "seed": seed,
        "steps": list(PHOTO_IG_STEPS),
        "baselines": rows,
        "across_baselines": across,
        "vs_black_32": vs_black,
        "maps_32_pooled": pooled,
        "untrained_sg_top10_cup": shares,
    }
    path.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    _write_digest(path)
    return {"path": str(path), "baselines": list(rows)}


#: The first initialisation seed of ``gradcam_null``'s untrained networks and how many it draws.
GRADCAM_NULL_FIRST_SEED, GRADCAM_NULL_SIZE = 1000, 399


def gradcam_pair_gaps(seeds: list[int] | tuple[int, ...]) -> list[float]:
    """Notebook 04's Grad-CAM null: for each seed ``s``, an untrained EfficientNet-Lite0
    (``torch.manual_seed(s)``, then ``imagenet_model(pretrained=False)``) and the cat | coffee pair
    (224 x 448): the share on the cat's half of the 7 x 14 Grad-CAM map (layer ``bn2``) of *tabby*
    (281) minus that of *espresso* (967). About 0.2 s per network on one thread.

    Parameters
    ----------
    seeds : list or tuple of int
        The initialisation seeds (at least one, each >= 0).

    Returns
    -------
    list of float
        One signed gap (tabby - espresso, in [-1, 1]) per seed.

    Raises
    ------
    ValueError
        When ``seeds`` is empty or a seed is negative.
    TypeError
        When ``seeds`` is not a list or tuple of int.

    Examples
    --------
    >>> gaps = gradcam_pair_gaps([1000])
    >>> len(gaps), -1 <= gaps[0] <= 1
    (1, True)
    """
    if not isinstance(seeds, (list, tuple)):
        raise TypeError(f"seeds: expected a list or tuple of int, got {type(seeds).__name__}")
    if not seeds:
        raise ValueError("seeds: expected at least one seed, got none")
    seeds = [check_seed(s, "seed") for s in seeds]
    pair, gaps = _cat_coffee_pair(), []
    for s in seeds:
        torch.manual_seed(s)
        gaps.append(_pair_gap(imagenet_model(pretrained=False), pair))
    return gaps


def _cat_coffee_pair() -> torch.Tensor:
    """The cat | coffee photo pair of notebook 04, preprocessed for EfficientNet-Lite0."""
    return torch.cat(
        [
            imagenet_preprocess(load_photo("chelsea")),
            imagenet_preprocess(load_photo("coffee"), crop_pct=1.0),
        ],
        dim=3,
    )


def _pair_gap(model: torch.nn.Module, pair: torch.Tensor) -> float:
    """Tabby minus espresso: each class's 7 x 14 Grad-CAM share on the cat's (left) half."""
    left = torch.zeros(7, 14, dtype=torch.bool, device="cpu")
    left[:, :7] = True
    two = torch.tensor([281, 967], device="cpu")
    share = region_share(grad_cam_classes(model, pair, two, layer="bn2", upsample=False), left)
    return float(share[0] - share[1])


@training_recipe(threads=1)
def train_gradcam_null(
    directory: str | Path | None = None,
    seed: int = GRADCAM_NULL_FIRST_SEED,
    size: int = GRADCAM_NULL_SIZE,
) -> dict:
    """Recipe ``gradcam_null``: :func:`gradcam_pair_gaps` of ``size`` untrained networks (seeds
    ``seed`` = :data:`GRADCAM_NULL_FIRST_SEED`, +1, ...), and of the trained network for reference.
    Writes :data:`~xai_helpers.checkpoints.GRADCAM_NULL_TABLE` and its SHA-256. Notebook 04 draws
    three untrained networks live and reads this null (p resolves down to 1 / (size + 1)); about
    1.5 minutes on one thread.
    """
    size, seed = check_int(size, "size", minimum=1), check_seed(seed)
    seeds = list(range(seed, seed + size))
    gaps = gradcam_pair_gaps(seeds)
    trained_gap = _pair_gap(imagenet_model(), _cat_coffee_pair())
    directory = Path(directory if directory is not None else default_directory())
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / GRADCAM_NULL_TABLE
    doc = {
        "recipe": "xai_helpers.train.train_gradcam_null",
        "torch": torch.__version__,
        "seeds": seeds,
        "untrained_gaps": [round(g, 6) for g in gaps],
        "trained_gap": round(trained_gap, 6),
    }
    path.write_text(json.dumps(doc, indent=1) + "\n")
    _write_digest(path)
    return {"path": str(path), "size": size}


# ------------------------------------------------------------------- notebook 03's SmoothGrad null

#: The first initialisation seed of ``sg_null``'s untrained networks and how many it draws.
SG_NULL_FIRST_SEED, SG_NULL_SIZE = 2000, 100

#: ``sg_null``'s photos: name -> (``load_photo`` name, ``crop_pct`` of ``imagenet_preprocess``,
#: the ImageNet class whose SmoothGrad map is compared).
SG_NULL_PHOTOS: dict[str, tuple[str, float, int]] = {
    "coffee": ("coffee", 1.0, 967),  # espresso
    "chelsea": ("chelsea", 0.875, 281),  # tabby
}

#: The noise seeds of the trained network's reference maps in ``sg_null`` (their mean is stored).
SG_NULL_NOISE_SEEDS: tuple[int, ...] = tuple(range(10))


def _sg_null_references() -> dict[str, tuple[torch.Tensor, list[torch.Tensor]]]:
    """Each ``sg_null`` photo, preprocessed, and the trained network's SmoothGrad maps of its class
    (σ = 0.15, 8 samples) for the noise seeds of :data:`SG_NULL_NOISE_SEEDS`."""
    net, out = imagenet_model().requires_grad_(False), {}
    for name, (photo_name, crop, cls) in SG_NULL_PHOTOS.items():
        photo = imagenet_preprocess(load_photo(photo_name), crop_pct=crop)
        refs = [
            smoothgrad(net, photo, cls, sigma=0.15, n_samples=8, seed=s)[0]
            for s in SG_NULL_NOISE_SEEDS
        ]
        out[name] = (photo, refs)
    return out


def sg_null_rows(seeds: list[int] | tuple[int, ...]) -> list[dict[str, float]]:
    """Notebook 03's SmoothGrad null: for each seed ``s``, an untrained EfficientNet-Lite0
    (``torch.manual_seed(s)``, then ``imagenet_model(pretrained=False)``), its SmoothGrad map
    (σ = 0.15, 8 samples, noise seed 0) of each photo's class of :data:`SG_NULL_PHOTOS`, and:
    the map's rank correlation with the trained network's map of that class (the mean over the
    noise seeds :data:`SG_NULL_NOISE_SEEDS`), ``"<photo>_rank_corr"``; on the coffee photo the
    share of its top 10 % on the cup's mouth, ``"coffee_top10_cup"``. About 1 s per network on
    one thread, after about 10 s for the trained network's reference maps.

    Parameters
    ----------
    seeds : list or tuple of int
        The initialisation seeds (at least one, each >= 0).

    Returns
    -------
    list of dict
        One row per seed, each value in [-1, 1].

    Raises
    ------
    ValueError
        When ``seeds`` is empty or a seed is negative.
    TypeError
        When ``seeds`` is not a list or tuple of int.

    Examples
    --------
    >>> rows = sg_null_rows([2000])  # doctest: +SKIP
    >>> sorted(rows[0])  # doctest: +SKIP
    ['chelsea_rank_corr', 'coffee_rank_corr', 'coffee_top10_cup']
    """
    if not isinstance(seeds, (list, tuple)):
        raise TypeError(f"seeds: expected a list or tuple of int, got {type(seeds).__name__}")
    if not seeds:
        raise ValueError("seeds: expected at least one seed, got none")
    seeds = [check_seed(s, "seed") for s in seeds]
    refs, cup, rows = _sg_null_references(), coffee_masks()["cup"], []
    for s in seeds:
        torch.manual_seed(s)
        u, row = imagenet_model(pretrained=False).requires_grad_(False), {}
        for name, (photo, ref) in refs.items():
            m = smoothgrad(u, photo, SG_NULL_PHOTOS[name][2], sigma=0.15, n_samples=8, seed=0)
            corr = [float(rank_correlation(m, r[None])[0]) for r in ref]
            row[f"{name}_rank_corr"] = round(sum(corr) / len(corr), 6)
            if name == "coffee":
                row["coffee_top10_cup"] = round(float(top_k_share(m, cup, k=224 * 224 // 10)[0]), 6)
        rows.append(row)
    return rows


@training_recipe(threads=1)
def train_sg_null(
    directory: str | Path | None = None, seed: int = SG_NULL_FIRST_SEED, size: int = SG_NULL_SIZE
) -> dict:
    """Recipe ``sg_null``: :func:`sg_null_rows` of ``size`` untrained networks (seeds ``seed`` =
    :data:`SG_NULL_FIRST_SEED`, +1, ...). Writes :data:`~xai_helpers.checkpoints.SG_NULL_TABLE`
    and its SHA-256. Notebook 03 draws one untrained network live and reads this null (a rank
    resolves down to 1 / (size + 1)); about 2.5 minutes of CPU on one thread.
    """
    size, seed = check_int(size, "size", minimum=1), check_seed(seed)
    seeds = list(range(seed, seed + size))
    rows = sg_null_rows(seeds)
    directory = Path(directory if directory is not None else default_directory())
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / SG_NULL_TABLE
    doc = {
        "recipe": "xai_helpers.train.train_sg_null",
        "torch": torch.__version__,
        "seeds": seeds,
        "noise_seeds_of_references": list(SG_NULL_NOISE_SEEDS),
        "photos": {k: list(v) for k, v in SG_NULL_PHOTOS.items()},
        "rows": rows,
    }
    path.write_text(json.dumps(doc, indent=1) + "\n")
    _write_digest(path)
    return {"path": str(path), "size": size}


#: Checkpoint name -> the recipe that trains and saves it (``recipe(directory=None)``); each is a
#: :func:`training_recipe`, its thread pin in ``recipe.threads`` and its seed the ``seed`` default.
RECIPES: dict[str, Callable[..., dict]] = {
    "mnist_cnn": train_mnist_cnn,
    "mnist_cnn_seed1": train_mnist_cnn_seed1,
    "mnist_cnn_seed2": train_mnist_cnn_seed2,
    "mnist_cnn_seed3": train_mnist_cnn_seed3,
    "mnist_cnn_seed4": train_mnist_cnn_seed4,
    "mnist_gan": train_mnist_gan,
    "mnist_judge": train_mnist_judge,
    "mnist_mlp": train_mnist_mlp,
    "monsters_leaky": train_monsters_leaky,
    "monsters_fixed": train_monsters_fixed,
    "parabola_nets": train_parabola_nets,
    "mnist_layer_decoders": train_mnist_layer_decoders,
    "mnist_null_decoders": train_mnist_null_decoders,
    "parabola_sweep": train_parabola_sweep,
    "mnist_cnn_lit": train_mnist_cnn_lit,
    "monsters_seeds": train_monsters_seeds,
    "monsters_edit_seeds": train_monsters_edit_seeds,
    "monsters_region_seeds": train_monsters_region_seeds,
    "mnist_tree_data": train_mnist_tree_data,
    "parabola_l2": train_parabola_l2,
    "attack_photos": train_attack_photos,
    "attack_photo_delta": train_attack_photo_delta,
    "mnist_gan_searches": train_mnist_gan_searches,
    "mnist_prior_runs": train_mnist_prior_runs,
    "mnist_am_runs": train_mnist_am_runs,
    "text_attention": train_text_attention,
    "text_attention_seed1": train_text_attention_seed1,
    "text_attention_uniform": train_text_attention_uniform,
    "text_shortcut": train_text_shortcut,
    "text_shortcut_seed1": train_text_shortcut_seed1,
    "lighting_band": train_lighting_band,
    "photo_ig": train_photo_ig,
    "gradcam_null": train_gradcam_null,
    "sg_null": train_sg_null,
}


#: How far a retrain on another machine may land from the metrics recorded in the shipped
#: checkpoint's ``meta`` (absolute difference). Same CPU family, thread count and library versions:
#: the same file, bit for bit. Measured on an AMD EPYC (the shipped files come from another
#: machine): mnist_cnn 0.976 (recorded 0.974), mnist_judge 0.972 (0.974), parabola_nets plain 0.988
#: (0.988); the monster CNNs were trained on that EPYC (one thread; leaky 0.980, fixed 0.8225).
#: About two binomial standard errors of each test set (1,000 digits, 400 monsters, 1,000 points):
#: 0.02 at the leaky model's 0.98, 0.04 at the fixed model's 0.82 (retrained from seeds 1-3 it lands
#: at 0.785-0.8125). Not promised: the tree-regularized half of parabola_nets (the tree refits
#: amplify last-bit differences: 0.922 / APL 4.55 here, 0.829 / 2.74 recorded) and so parabola_sweep
#: (the same file on the same machine, other networks elsewhere), and mnist_gan
#: (not yet retrained elsewhere).
TOLERANCES: dict[str, dict[str, float]] = {
    "mnist_cnn": {"test_accuracy": 0.01},
    "mnist_cnn_seed1": {"test_accuracy": 0.01},
    "mnist_cnn_seed2": {"test_accuracy": 0.01},
    "mnist_cnn_seed3": {"test_accuracy": 0.01},
    "mnist_cnn_seed4": {"test_accuracy": 0.01},
    "mnist_judge": {"test_accuracy": 0.01},
    "mnist_mlp": {"test_accuracy": 0.01},
    "monsters_leaky": {"test_accuracy": 0.02},
    "monsters_fixed": {"test_accuracy": 0.04},
    "parabola_nets": {"plain_test_accuracy": 0.01},
    "parabola_sweep": {},
    "mnist_gan": {},
    "mnist_layer_decoders": {},  # not yet retrained on another machine
    "mnist_null_decoders": {},  # not yet retrained on another machine
    "text_attention": {},  # the text checkpoints: not yet retrained on another machine
    "text_attention_seed1": {},
    "text_attention_uniform": {},
    "text_shortcut": {},
    "text_shortcut_seed1": {},
    "mnist_cnn_lit": {},  # not yet retrained on another machine
    "monsters_seeds": {},  # a table of measurements, not a checkpoint
    "monsters_edit_seeds": {},  # a table of measurements, not a checkpoint
    "monsters_region_seeds": {},  # a table of measurements, not a checkpoint
    "mnist_tree_data": {},  # a table of measurements, not a checkpoint
    "parabola_l2": {},  # a table of measurements, not a checkpoint
    "attack_photos": {},  # a table of measurements (tests/test_train.py: one row reproduced)
    "attack_photo_delta": {},  # a perturbation (tests/test_train.py: reproduced)
    "mnist_gan_searches": {},  # a table of searches, not a checkpoint
    "mnist_prior_runs": {},  # a table of ascents (tests/test_train.py: one entry reproduced)
    "mnist_am_runs": {},  # a table of ascents (tests/test_train.py: one entry reproduced)
    "lighting_band": {},  # a table of measurements (tests/test_train.py: one entry reproduced)
    "photo_ig": {},  # a table of measurements (tests/test_train.py: one entry reproduced)
    "gradcam_null": {},  # a table of measurements (tests/test_train.py: rows reproduced, 1e-4)
    "sg_null": {},  # a table of measurements (tests/test_train.py: a row reproduced, 1e-4)
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Retrain one of the course's shipped checkpoints.")
    parser.add_argument("name", choices=sorted(RECIPES), help="which checkpoint to reproduce")
    parser.add_argument(
        "--directory",
        default=None,
        type=Path,
        help="write NAME.pt and SHA256SUMS here (default: the package's checkpoints/ folder if "
        "writable, "
        "else <cache>/checkpoints, see xai_helpers.data.cache_dir)",
    )
    args = parser.parse_args(argv)
    directory = args.directory if args.directory is not None else default_directory()
    RECIPES[args.name](directory=directory)
    if not (isinstance(CHECKPOINT_DIR, Path) and directory.resolve() == CHECKPOINT_DIR.resolve()):
        print(
            f"load it with xai_helpers.models.load_pretrained({args.name!r}, "
            f"directory={str(directory)!r})"
        )


if __name__ == "__main__":
    main()
