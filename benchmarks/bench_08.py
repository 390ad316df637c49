"""Timings for notebook 08 (LIME and surrogates): prints seconds per step.

Run: ``python benchmarks/bench_08.py``. Figures on a busy machine are inflated; compare on a quiet one.
Issue 7's targets: LIME on the photo <= 10 s, the neighbourhood slider <= 0.3 s per update.
"""

from __future__ import annotations

import time

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

import xai_helpers  # noqa: E402
from xai_helpers import local_surrogates as lime  # noqa: E402
from xai_helpers import plotting, trees  # noqa: E402
from xai_helpers.data import (  # noqa: E402
    imagenet_deprocess,
    imagenet_preprocess,
    load_photo,
    monsters,  # noqa: E402
)
from xai_helpers.models import imagenet_model, load_pretrained  # noqa: E402


def timed(label: str, fn, repeat: int = 1):
    best = float("inf")
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    print(f"{label:55s} {best:7.2f} s")
    return out


def main() -> None:
    device = xai_helpers.setup(seed=0)
    print(f"torch threads: {torch.get_num_threads()}, device: {device}")

    # the neighbourhood-width slider: one update = one fit + one figure
    black_box = lambda X: np.sin(2 * X[:, 0]) + 0.5 * X[:, 0]

    def slider_update():
        fit = lime.lime_tabular_from_scratch(black_box, np.array([1.4]), kernel_width=0.3, n_samples=500, sample_std=3.0, alpha=0.0)
        plotting.show_local_line(black_box, 1.4, fit)
        plt.gcf().canvas.draw()
        plt.close("all")

    timed("neighbourhood slider update (fit + draw)", slider_update, repeat=5)

    # LIME on the astronaut, as in the notebook: 40 SLIC segments asked, 150 neighbours + one deletion per segment, batches of 8
    model = imagenet_model(device)
    x = imagenet_preprocess(load_photo("astronaut"))
    seg = lime.segment(imagenet_deprocess(x), n_segments=40)
    n_seg = int(seg.max()) + 1
    masks = lime.sample_masks(n_seg, 150, seed=0)
    single = np.vstack([np.ones(n_seg, int), 1 - np.eye(n_seg, dtype=int)])
    timed("LIME on the astronaut, from scratch (150 samples)", lambda: lime.query_masked(model, x, seg, masks, batch_size=8, progress=False))
    timed(f"each of {n_seg} segments deleted alone", lambda: lime.query_masked(model, x, seg, single, batch_size=8, progress=False))

    # the monsters model: the notebook's 28 explanations (4 per class x leaky/fixed at grey, 3 more fills), the n_samples slider

    leaky = load_pretrained("monsters_leaky", device=device)
    test = monsters.load_test_set()
    img = test.X[int(torch.nonzero(test.y == 1)[0, 0])]
    seg_m = lime.segment(img.permute(1, 2, 0).numpy(), n_segments=25)
    timed("LIME on a monster, lime package, 150 samples (x 28 in the notebook)", lambda: lime.lime_image(leaky, img[None], [1], seg_m, n_samples=150, fill=0.5, progress=False))
    for n in (30, 150, 500):
        timed(f"LIME on a monster, lime package, 2 seeds x {n} samples", lambda n=n: [lime.lime_image(leaky, img[None], [1], seg_m, n_samples=n, seed=s, fill=0.5, progress=False) for s in (0, 1)])

    # tree surrogates of the MNIST CNN on 2x2-pooled pixels, depths 1..12
    from xai_helpers.data import load_mnist
    from xai_helpers.models import predict_proba

    mnist = load_mnist()
    cnn = load_pretrained("mnist_cnn", device=device)
    says = lambda A: predict_proba(cnn, torch.as_tensor(A, dtype=torch.float32).reshape(-1, 1, 28, 28)).numpy()
    pooled = lambda A: torch.nn.functional.avg_pool2d(torch.as_tensor(A, dtype=torch.float32).reshape(-1, 1, 28, 28), 2).reshape(len(A), -1).numpy()
    flat = lambda X: X.reshape(len(X), -1).numpy()
    # the tree-regularization section: 28 networks' O(T) and the two tree frontiers
    from xai_helpers.data import make_parabola

    X, y = make_parabola(500, noise=0.1, seed=0)
    Xt, yt = make_parabola(1000, noise=0.0, seed=1)
    sweep = load_pretrained("parabola_sweep")
    timed("O(T) of the 28 swept networks", lambda: [trees.tree_complexity(n, X) for n in sweep.nets])
    timed("tree frontier, depths 0-8", lambda: trees.tree_frontier(X, y, Xt, yt))
    timed("tree fidelity curve, MNIST CNN (7 depths)", lambda: trees.fidelity_curve(says, flat(mnist.X_train), flat(mnist.X_test), [1, 2, 4, 6, 8, 10, 12], features=pooled))


if __name__ == "__main__":
    main()
