"""Do notebook 02's claims hold for monster CNNs trained from other seeds, or only for the shipped pair?

The notebook loads the shipped checkpoints (recipes ``monsters_leaky`` / ``monsters_fixed``, seed 0).
This script retrains both with ``train.train_monster_cnn(fixed=..., seed=k)`` (one thread, as the
recipes) for each seed and measures every claim of the notebook on the test set:

* accuracies with Wilson intervals, the paired leaky − fixed gap;
* the decisive test: the leaky model on the fixed loader's images (Pokémon on white);
* the saliency density on the background relative to the creature (``evaluation.region_density``), per class;
* the gradient over black (fraction exactly zero, creature / background ratio);
* the fixed model's brightness shortcut: darkening ×0.6, against the same darkening of the Digimon;
* the JPEG round trip of the Pokémon (the possible remaining leak).

Not part of ``make test``: each seed trains for about 1 min on a quiet core (several under load).

    python benchmarks/monsters_seeds.py --seeds 0 1 2 3
"""

from __future__ import annotations

import argparse
import io
import time

import numpy as np
import torch
from PIL import Image

from xai_helpers import monsters
from xai_helpers._setup import training_recipe
from xai_helpers.attribution import saliency
from xai_helpers.evaluation import region_density
from xai_helpers.models import predict_proba
from xai_helpers.stats import accuracy_interval, paired_difference
from xai_helpers.train import train_monster_cnn


def _jpeg(x: torch.Tensor, quality: int = 90) -> torch.Tensor:
    out = []
    for img in x:
        buf = io.BytesIO()
        Image.fromarray((img.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)).save(buf, "JPEG", quality=quality)
        out.append(torch.from_numpy(np.asarray(Image.open(buf).convert("RGB"), dtype=np.float32) / 255).permute(2, 0, 1))
    return torch.stack(out)


def measure(leaky: torch.nn.Module, fixed: torch.nn.Module, test: monsters.MonsterSplit, test_fixed: monsters.MonsterSplit) -> dict[str, str]:
    """Every claim of notebook 02 for one pair of models, as printable strings."""
    y = test.y
    pred_l, pred_f = predict_proba(leaky, test.X).argmax(1), predict_proba(fixed, test_fixed.X).argmax(1)
    right_l, right_f = (pred_l == y).numpy(), (pred_f == y).numpy()
    out = {"leaky": str(accuracy_interval(right_l)), "fixed": str(accuracy_interval(right_f)), "gap": str(paired_difference(right_l, right_f))}
    pk, dg = y == 1, y == 0
    out["pokemon on white -> pokemon"] = f"{(predict_proba(leaky, test_fixed.X[pk]).argmax(1) == 1).float().mean():.2f}"
    for name, net, data, pred in (("leaky", leaky, test, pred_l), ("fixed", fixed, test_fixed, pred_f)):
        sal = saliency(net, data.X, target=pred)
        d = region_density(sal, ~data.masks)
        out[f"density {name}"] = f"digimon {d[dg].mean():.2f}, pokemon {d[pk].mean():.2f}"
        if name == "leaky":
            bg, fg = sal[pk][~data.masks[pk]], sal[pk][data.masks[pk]]
            out["black background"] = f"{(bg == 0).float().mean():.1%} exactly 0, creature/background {fg.mean() / bg.mean():.1f}x"
    m = test_fixed.masks[:, None].float()
    dark = test_fixed.X * (1 - m) + test_fixed.X * m * 0.6
    pred_dark = predict_proba(fixed, dark).argmax(1)
    flips = {k: (pred_dark[(y == k) & (pred_f == k)] != k).float().mean().item() for k in (0, 1)}
    out["darkened x0.6 flips"] = f"pokemon {flips[1]:.1%}, digimon {flips[0]:.1%}"
    blank = torch.zeros(1, 3, 48, 48)
    out["fixed, blank black"] = f"P(digimon) {predict_proba(fixed, blank)[0, 0]:.3f}"
    acc_pk = (pred_f[pk] == 1).float().mean().item()
    acc_pk_jpeg = (predict_proba(fixed, _jpeg(test_fixed.X[pk])).argmax(1) == 1).float().mean().item()
    out["fixed on pokemon, JPEG round trip"] = f"{acc_pk:.3f} -> {acc_pk_jpeg:.3f}"
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3])
    args = parser.parse_args(argv)
    root = monsters.ensure_monsters()
    test, test_fixed = monsters.load_split(root, "test"), monsters.load_split(root, "test", fixed=True)

    @training_recipe(threads=1)
    def both(seed: int = 0):
        return train_monster_cnn(fixed=False, seed=seed, progress=False)[0], train_monster_cnn(fixed=True, seed=seed, progress=False)[0]

    for seed in args.seeds:
        t0 = time.perf_counter()
        leaky, fixed = both(seed=seed)
        for key, value in measure(leaky, fixed, test, test_fixed).items():
            print(f"seed {seed}  {key:34s} {value}")
        print(f"seed {seed}  ({time.perf_counter() - t0:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
