"""Timings for notebooks 06-07: one activation-maximization run, one latent search, the slider updates.

Run: ``python benchmarks/bench_06_07.py`` (prints seconds; the issue's budget is ≤ 5 s per
activation-maximization run). Retraining the GAN is timed by its recipe
(``python -m xai_helpers.train mnist_gan`` prints its own wall time).
"""

from __future__ import annotations

import time

import torch

from xai_helpers.activation_maximization import (
    L1,
    Jitter,
    RandomRotate,
    TotalVariation,
    activation_maximization,
    class_objective,
    filter_objective,
)
from xai_helpers.generative import latent_search
from xai_helpers.models import load_pretrained


def timed(label: str, fn, repeat: int = 3) -> float:
    fn()  # warm-up
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    print(f"{label:60s} {best:6.2f} s (best of {repeat})")
    return best


def main() -> None:
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    cnn = load_pretrained("mnist_cnn")
    G = load_pretrained("mnist_gan")
    regs = [L1(0.05), TotalVariation(0.02), Jitter(1), RandomRotate(5)]
    timed("AM: 32 conv2 filters, 100 steps (notebook 06)", lambda: activation_maximization(cnn, filter_objective("conv2", list(range(32))), steps=100))
    timed("AM: 30 class X*, 150 steps, no prior (notebook 06)", lambda: activation_maximization(cnn, class_objective(list(range(10)) * 3), steps=150))
    timed("AM: 30 class X*, 150 steps, L1+TV+jitter+rot (notebook 06)", lambda: activation_maximization(cnn, class_objective(list(range(10)) * 3), steps=150, regularizers=regs))
    timed("slider 06: 10 class X*, 150 steps, L1+TV+jitter+rot (a new setting; seen ones are cached)", lambda: activation_maximization(cnn, class_objective(list(range(10))), steps=150, regularizers=regs))
    timed("latent search: 10 digits, 100 steps (notebook 07)", lambda: latent_search(G, cnn, list(range(10)), steps=100))
    timed("slider 07: 4 codes, 100 steps", lambda: latent_search(G, cnn, [6] * 4, steps=100))
    timed("slider 07: 4 codes, 300 steps (slider maximum)", lambda: latent_search(G, cnn, [6] * 4, steps=300))


if __name__ == "__main__":
    main()
