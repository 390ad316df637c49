"""Notebook 02's measurements on the monster CNNs, and the per-seed table (recipe ``monsters_seeds``).

Notebook 02 asserts its claims on the shipped pair (recipes ``monsters_leaky`` / ``monsters_fixed``,
seed 0) and asserts the same claims on every training seed 0-3 from a table that
:func:`train_monsters_seeds` writes (``monsters_seeds.json`` beside the checkpoints, its SHA-256 in
``monsters_seeds.json.sha256``; :func:`load_seed_table` refuses a file whose checksum differs). Training the eight
networks takes several minutes on one thread, which is why the notebook reads the table.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import torch
from torch import nn

from ._setup import training_recipe
from .attribution import saliency
from .evaluation import region_density
from .models import CHECKPOINT_DIR, MonsterCNN, predict_proba

__all__ = [
    "GREY_LEVELS",
    "SEEDS",
    "TABLE",
    "LogOdds",
    "untrained_monster_cnn",
    "on_grey",
    "scale_creature",
    "hue_rotate",
    "flip_rate",
    "grey_sweep",
    "turning_level",
    "phase_means",
    "measure",
    "train_monsters_seeds",
    "write_seed_table",
    "load_seed_table",
]

#: Background grey levels of the sweep (0 black ... 1 white).
GREY_LEVELS: tuple[float, ...] = (0.0, 0.1, 0.2, 0.3, 0.35, 0.4, 0.5)
#: The training seeds of the table.
SEEDS: tuple[int, ...] = (0, 1, 2, 3)
#: File name of the per-seed table beside the checkpoints.
TABLE = "monsters_seeds.json"


class LogOdds(nn.Module):
    """Wrap a 2-class network: one output, the log-odds z_1 - z_0 (pokemon vs digimon).

    Examples
    --------
    >>> LogOdds(MonsterCNN())(torch.zeros(2, 3, 48, 48)).shape
    torch.Size([2, 1])
    """

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.net(x)
        return (z[:, 1] - z[:, 0])[:, None]


def untrained_monster_cnn(seed: int) -> MonsterCNN:
    """A :class:`MonsterCNN` with random weights drawn after ``torch.manual_seed(seed)`` (global RNG untouched).

    Examples
    --------
    >>> a, b = untrained_monster_cnn(1), untrained_monster_cnn(1)
    >>> bool((a.conv1.weight == b.conv1.weight).all())
    True
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        return MonsterCNN().eval()


def _check(x: torch.Tensor, masks: torch.Tensor) -> None:
    if not isinstance(x, torch.Tensor) or x.ndim != 4 or x.shape[1] != 3:
        raise ValueError(f"x must be a float tensor (N, 3, H, W), got {getattr(x, 'shape', type(x))}")
    if not isinstance(masks, torch.Tensor) or masks.dtype != torch.bool or masks.shape != x[:, 0].shape:
        raise ValueError(f"masks must be a bool tensor {tuple(x[:, 0].shape)}, got {getattr(masks, 'shape', masks)}")


def on_grey(x: torch.Tensor, masks: torch.Tensor, level: float) -> torch.Tensor:
    """The creatures (``masks`` True) untouched, the background painted the grey ``level`` (0 black, 1 white).

    Examples
    --------
    >>> on_grey(torch.ones(1, 3, 2, 2), torch.tensor([[[True, False], [False, False]]]), 0.3)[0, 0]
    tensor([[1.0000, 0.3000],
            [0.3000, 0.3000]])
    """
    _check(x, masks)
    if not 0.0 <= float(level) <= 1.0:
        raise ValueError(f"level must be in [0, 1], got {level}")
    m = masks[:, None].float()
    return x * m + float(level) * (1 - m)


def scale_creature(x: torch.Tensor, masks: torch.Tensor, factor: float) -> torch.Tensor:
    """Creature pixels times ``factor`` (clipped to [0, 1]), background untouched.

    Examples
    --------
    >>> scale_creature(torch.full((1, 3, 1, 2), 0.5), torch.tensor([[[True, False]]]), 0.6)[0, 0]
    tensor([[0.3000, 0.5000]])
    """
    _check(x, masks)
    m = masks[:, None].float()
    return x * (1 - m) + (x * factor).clamp(0, 1) * m


def hue_rotate(x: torch.Tensor, masks: torch.Tensor, steps: int = 1) -> torch.Tensor:
    """Rotate the creature's hue by ``steps`` × 120° (R → G → B), background untouched.

    A 120° rotation about the grey axis permutes the colour channels, so every pixel keeps its
    brightness (HSV value max(R, G, B) and the mean of R, G, B) exactly while its colour changes.

    Examples
    --------
    >>> x = torch.tensor([0.9, 0.2, 0.1]).reshape(1, 3, 1, 1)
    >>> hue_rotate(x, torch.ones(1, 1, 1, dtype=torch.bool)).flatten().tolist()
    [0.10000000149011612, 0.8999999761581421, 0.20000000298023224]
    """
    _check(x, masks)
    m = masks[:, None].float()
    return x * (1 - m) + torch.roll(x, shifts=int(steps), dims=1) * m


def flip_rate(net: nn.Module, x: torch.Tensor, label: int) -> float:
    """Fraction of the images ``x`` that ``net`` does *not* assign to class ``label`` (nan for no images)."""
    if len(x) == 0:
        return float("nan")
    return (predict_proba(net, x).argmax(1) != int(label)).float().mean().item()


def grey_sweep(
    net: nn.Module, x: torch.Tensor, masks: torch.Tensor, levels: tuple[float, ...] = GREY_LEVELS
) -> dict[str, list[float]]:
    """Paint the background each grey level; per level the mean P(pokemon), the median log-odds,
    the fraction called "pokemon", and the background density of the log-odds saliency.

    The density is :func:`~xai_helpers.evaluation.region_density` of |∂(z_pokemon − z_digimon)/∂x|
    (max over channels) on the background, mean over the images: 1 for a uniform map.
    """
    out: dict[str, list[float]] = {"level": [], "p": [], "log_odds": [], "called": [], "density": []}
    wrapped = LogOdds(net).eval()
    for level in levels:
        xg = on_grey(x, masks, level)
        p = predict_proba(net, xg)[:, 1]
        sal = saliency(wrapped, xg, target=0)
        out["level"].append(float(level))
        out["p"].append(p.mean().item())
        out["log_odds"].append(torch.logit(p.double(), eps=1e-12).median().item())
        out["called"].append((p > 0.5).float().mean().item())
        out["density"].append(region_density(sal, ~masks).mean().item())
    return out


def turning_level(sweep: dict[str, list[float]]) -> float:
    """The lowest level at which fewer than half of the images are called "pokemon" (nan if none)."""
    return next((v for v, c in zip(sweep["level"], sweep["called"]) if c < 0.5), float("nan"))


def phase_means(sal: torch.Tensor, region: torch.Tensor) -> torch.Tensor:
    """Mean of the maps ``sal`` (N, H, W) over ``region`` for each of the four pixel phases
    (row parity, column parity): a (2, 2) tensor, [i % 2, j % 2].

    Examples
    --------
    >>> s = torch.zeros(1, 4, 4); s[:, ::2, ::2] = 1
    >>> phase_means(s, torch.ones(1, 4, 4, dtype=torch.bool))
    tensor([[1., 0.],
            [0., 0.]])
    """
    if sal.shape != region.shape or region.dtype != torch.bool:
        raise ValueError(f"sal and region must be (N, H, W), region bool; got {sal.shape}, {region.shape}")
    out = torch.zeros(2, 2)
    for i in range(2):
        for j in range(2):
            r = region[:, i::2, j::2]
            out[i, j] = sal[:, i::2, j::2][r].mean() if r.any() else float("nan")
    return out


def measure(leaky: nn.Module, fixed: nn.Module, untrained: nn.Module, test, test_fixed) -> dict[str, float]:
    """Every per-seed figure of notebook 02 for one (leaky, fixed, untrained) triple, as floats."""
    y, pk, dg = test.y, test.y == 1, test.y == 0
    num: dict[str, float] = {}
    pred_l, pred_f = predict_proba(leaky, test.X).argmax(1), predict_proba(fixed, test_fixed.X).argmax(1)
    num["acc_leaky"], num["acc_fixed"] = (pred_l == y).float().mean().item(), (pred_f == y).float().mean().item()
    called = lambda net, x: (predict_proba(net, x).argmax(1) == 1).float().mean().item()  # noqa: E731
    for name, net in (("leaky", leaky), ("fixed", fixed)):
        num[f"pokemon_on_white_{name}"] = called(net, test_fixed.X[pk])
        num[f"digimon_on_black_{name}"] = called(net, on_grey(test.X[dg], test.masks[dg], 0.0))
    for name, net, data in (("leaky", leaky, test), ("untrained", untrained, test),
                            ("fixed", fixed, test_fixed), ("untrained_white", untrained, test_fixed)):
        sal = saliency(net, data.X, target=predict_proba(net, data.X).argmax(1))
        d = region_density(sal, ~data.masks)
        num[f"density_{name}_digimon"], num[f"density_{name}_pokemon"] = d[dg].mean().item(), d[pk].mean().item()
    for name, net in (("leaky", leaky), ("untrained", untrained)):
        sweep = grey_sweep(net, test.X[pk], test.masks[pk])
        num[f"turning_{name}"] = turning_level(sweep)
        for v, d, p in zip(sweep["level"], sweep["density"], sweep["p"]):
            num[f"sweep_{name}_density_{v:.2f}"], num[f"sweep_{name}_p_{v:.2f}"] = d, p
    right = {k: (y == k) & (pred_f == k) for k in (0, 1)}
    for k, cls in ((1, "pokemon"), (0, "digimon")):
        x, m = test_fixed.X[right[k]], test_fixed.masks[right[k]]
        num[f"darken_flip_{cls}"] = flip_rate(fixed, scale_creature(x, m, 0.6), k)
        num[f"brighten_flip_{cls}"] = flip_rate(fixed, scale_creature(x, m, 1 / 0.6), k)
        num[f"hue_flip_{cls}"] = max(flip_rate(fixed, hue_rotate(x, m, s), k) for s in (1, 2))
    return num


def _write_digest(path: Path) -> None:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    path.with_name(path.name + ".sha256").write_text(f"{digest}  {path.name}\n")  # sha256sum's format


def write_seed_table(models: dict[int, tuple[nn.Module, nn.Module]], directory: str | Path) -> Path:
    """Measure each seed's (leaky, fixed) pair with :func:`measure` (untrained null:
    :func:`untrained_monster_cnn` of the same seed); write ``TABLE`` and its SHA-256 (``TABLE.sha256``)."""
    from . import monsters

    root = monsters.ensure_monsters()
    test, test_fixed = monsters.load_split(root, "test"), monsters.load_split(root, "test", fixed=True)
    seeds = {str(s): measure(lk, fx, untrained_monster_cnn(s), test, test_fixed) for s, (lk, fx) in models.items()}
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / TABLE
    doc = {"recipe": "xai_helpers.monster_seeds.train_monsters_seeds", "torch": torch.__version__, "seeds": seeds}
    path.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    _write_digest(path)
    return path


@training_recipe(threads=1)
def train_monsters_seeds(directory: str | Path | None = None, seed: int = 0, seeds: tuple[int, ...] = SEEDS) -> dict:
    """Recipe ``monsters_seeds``: retrain both monster CNNs from each seed, measure them, write the table.

    Several minutes on one thread (eight trainings). Seed 0 is the shipped pair's recipe: on the machine
    that trained the shipped checkpoints it gives the same networks.
    """
    from .train import default_directory, train_monster_cnn

    models = {s: (train_monster_cnn(fixed=False, seed=s, progress=False)[0],
                  train_monster_cnn(fixed=True, seed=s, progress=False)[0]) for s in seeds}
    path = write_seed_table(models, directory if directory is not None else default_directory())
    return {"path": str(path), "seeds": list(seeds)}


def load_seed_table(directory: str | Path | None = None) -> dict[int, dict[str, float]]:
    """The per-seed table written by :func:`train_monsters_seeds`, checked against its recorded SHA-256.

    Raises
    ------
    ValueError
        When the file is missing, has no recorded SHA-256 (``monsters_seeds.json.sha256``), or it differs.
    """
    directory = CHECKPOINT_DIR if directory is None else Path(directory)
    path = directory / TABLE
    if not path.is_file():
        raise ValueError(f"no {TABLE} in {directory}: run xai_helpers.monster_seeds.train_monsters_seeds()")
    raw, sums = path.read_bytes(), directory / (TABLE + ".sha256")
    recorded = sums.read_text().split()[0] if sums.is_file() and sums.read_text().strip() else None
    if recorded != hashlib.sha256(raw).hexdigest():
        raise ValueError(f"{path}: SHA-256 missing from or different to {TABLE}.sha256; rerun train_monsters_seeds()")
    return {int(s): row for s, row in json.loads(raw)["seeds"].items()}
