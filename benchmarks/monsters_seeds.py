"""Do notebook 02's claims hold for monster CNNs trained from other seeds, or only for the shipped pair?

The notebook loads the shipped checkpoints (recipes ``monsters_leaky`` / ``monsters_fixed``, seed 0).
This script retrains both with ``train.train_monster_cnn(fixed=..., seed=k)`` (one thread, as the
recipes) for each seed and measures every claim of the notebook on the test set:

* accuracies with Wilson intervals, the paired leaky − fixed gap;
* the decisive test: the leaky model on the fixed loader's images (Pokémon on white);
* the saliency density on the background relative to the creature (``evaluation.region_density``), per class;
* the gradient over black (fraction exactly zero, creature / background ratio);
* the fixed model's brightness shortcut: darkening ×0.6, against the same darkening of the Digimon;
* the JPEG round trip of the Pokémon (the possible remaining leak);
* the nulls beside them: an untrained network's density (``MonsterCNN()`` after ``torch.manual_seed(seed)``),
  the fixed model on the same background swaps, the mirror of the darkening test (brightening the Digimon).

``--json FILE`` also writes the numbers (floats) per seed; notebook 02 prints its per-seed table from the
shipped copy, ``xai_helpers/checkpoints/monsters_seeds.json``.

Not part of ``make test``: each seed trains for about 1 min on a quiet core (several under load).

    python benchmarks/monsters_seeds.py --seeds 0 1 2 3 --json xai_helpers/checkpoints/monsters_seeds.json
"""

from __future__ import annotations

import argparse
import io
import json
import time

import numpy as np
import torch
from PIL import Image

from xai_helpers.attribution import saliency
from xai_helpers.data import monsters
from xai_helpers.evaluation import region_density
from xai_helpers.models import MonsterCNN, predict_proba
from xai_helpers.stats import accuracy_interval, paired_difference
from xai_helpers.train import train_monster_cnn, training_recipe


def _jpeg(x: torch.Tensor, quality: int = 90) -> torch.Tensor:
    out = []
    for img in x:
        buf = io.BytesIO()
        Image.fromarray((img.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)).save(buf, "JPEG", quality=quality)
        out.append(torch.from_numpy(np.asarray(Image.open(buf).convert("RGB"), dtype=np.float32) / 255).permute(2, 0, 1))
    return torch.stack(out)


def measure(leaky: torch.nn.Module, fixed: torch.nn.Module, test: monsters.MonsterSplit, test_fixed: monsters.MonsterSplit,
            untrained: torch.nn.Module | None = None, numbers: dict[str, float] | None = None) -> dict[str, str]:
    """Every claim of notebook 02 for one pair of models, as printable strings (floats into ``numbers``)."""
    num = {} if numbers is None else numbers
    y = test.y
    pred_l, pred_f = predict_proba(leaky, test.X).argmax(1), predict_proba(fixed, test_fixed.X).argmax(1)
    right_l, right_f = (pred_l == y).numpy(), (pred_f == y).numpy()
    out = {"leaky": str(accuracy_interval(right_l)), "fixed": str(accuracy_interval(right_f)), "gap": str(paired_difference(right_l, right_f))}
    pk, dg = y == 1, y == 0
    num["acc_leaky"], num["acc_fixed"] = float(right_l.mean()), float(right_f.mean())

    def called_pokemon(net: torch.nn.Module, x: torch.Tensor) -> float:
        return (predict_proba(net, x).argmax(1) == 1).float().mean().item()

    for name, net in (("leaky", leaky), ("fixed", fixed)):
        num[f"pokemon_on_white_{name}"] = called_pokemon(net, test_fixed.X[pk])
        num[f"digimon_on_black_{name}"] = called_pokemon(net, test.X[dg] * test.masks[dg, None])
    out["pokemon on white -> pokemon"] = f"leaky {num['pokemon_on_white_leaky']:.2f}, fixed {num['pokemon_on_white_fixed']:.2f}"
    out["digimon on black -> pokemon"] = f"leaky {num['digimon_on_black_leaky']:.2f}, fixed {num['digimon_on_black_fixed']:.2f}"
    nets = [("leaky", leaky, test), ("fixed", fixed, test_fixed)]
    if untrained is not None:
        nets += [("untrained", untrained, test), ("untrained_white", untrained, test_fixed)]
    for name, net, data in nets:
        sal = saliency(net, data.X, target=predict_proba(net, data.X).argmax(1))
        d = region_density(sal, ~data.masks)
        num[f"density_{name}_digimon"], num[f"density_{name}_pokemon"] = d[dg].mean().item(), d[pk].mean().item()
        out[f"density {name}"] = f"digimon {d[dg].mean():.2f}, pokemon {d[pk].mean():.2f}"
        if name == "leaky":
            bg, fg = sal[pk][~data.masks[pk]], sal[pk][data.masks[pk]]
            out["black background"] = f"{(bg == 0).float().mean():.1%} exactly 0, creature/background {fg.mean() / bg.mean():.1f}x"
    m = test_fixed.masks[:, None].float()
    dark = test_fixed.X * (1 - m) + test_fixed.X * m * 0.6
    pred_dark = predict_proba(fixed, dark).argmax(1)
    flips = {k: (pred_dark[(y == k) & (pred_f == k)] != k).float().mean().item() for k in (0, 1)}
    out["darkened x0.6 flips"] = f"pokemon {flips[1]:.1%}, digimon {flips[0]:.1%}"
    num["darken_flip_pokemon"], num["darken_flip_digimon"] = flips[1], flips[0]
    bright = test_fixed.X * (1 - m) + (test_fixed.X * m / 0.6).clamp(0, 1) * m
    pred_bright = predict_proba(fixed, bright).argmax(1)
    flips = {k: (pred_bright[(y == k) & (pred_f == k)] != k).float().mean().item() for k in (0, 1)}
    out["brightened /0.6 flips"] = f"digimon {flips[0]:.1%}, pokemon {flips[1]:.1%}"
    num["brighten_flip_digimon"], num["brighten_flip_pokemon"] = flips[0], flips[1]
    blank = torch.zeros(1, 3, 48, 48)
    out["fixed, blank black"] = f"P(digimon) {predict_proba(fixed, blank)[0, 0]:.3f}"
    num["fixed_blank_black_p_digimon"] = predict_proba(fixed, blank)[0, 0].item()
    acc_pk = (pred_f[pk] == 1).float().mean().item()
    acc_pk_jpeg = (predict_proba(fixed, _jpeg(test_fixed.X[pk])).argmax(1) == 1).float().mean().item()
    out["fixed on pokemon, JPEG round trip"] = f"{acc_pk:.3f} -> {acc_pk_jpeg:.3f}"
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3])
    parser.add_argument("--json", help="also write the numbers per seed to this JSON file")
    args = parser.parse_args(argv)
    root = monsters.ensure_monsters()
    test, test_fixed = monsters.load_split(root, "test"), monsters.load_split(root, "test", fixed=True)

    @training_recipe(threads=1)
    def both(seed: int = 0):
        return train_monster_cnn(fixed=False, seed=seed, progress=False)[0], train_monster_cnn(fixed=True, seed=seed, progress=False)[0]

    table = {}
    for seed in args.seeds:
        t0 = time.perf_counter()
        leaky, fixed = both(seed=seed)
        torch.manual_seed(seed)
        untrained = MonsterCNN().eval()
        table[str(seed)] = numbers = {}
        for key, value in measure(leaky, fixed, test, test_fixed, untrained, numbers).items():
            print(f"seed {seed}  {key:34s} {value}")
        print(f"seed {seed}  ({time.perf_counter() - t0:.0f} s)", flush=True)
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"script": "benchmarks/monsters_seeds.py", "torch": torch.__version__, "seeds": table}, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
