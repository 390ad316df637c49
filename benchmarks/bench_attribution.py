"""Time the course's attribution methods against Captum's, side by side in one run.

Saliency, SmoothGrad (n = 50) and Integrated Gradients (50 steps) on the MNIST CNN (one digit)
and on EfficientNet-Lite0 (the cat photo), each the course's and Captum's with the same batch
layout (all samples / steps in one forward-backward batch). Course and Captum calls alternate
within each repeat, so background load hits both alike; the median over repeats is reported
with the ratio course / Captum (the course aims at ≤ 1.2).

    python benchmarks/bench_attribution.py [--repeats 5] [--repeats-imagenet 2] [--device cpu]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from captum.attr import IntegratedGradients, NoiseTunnel, Saliency

from xai_helpers import attribution as A
from xai_helpers.data import imagenet_preprocess, load_mnist, load_photo
from xai_helpers.models import imagenet_model, load_pretrained

SG_N, IG_STEPS, SIGMA = 50, 50, 0.15


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def pairs(model, x, target):
    """(name, course call, Captum call) for the three methods, on one image ``x`` (1, C, H, W)."""
    stdev = SIGMA * float(x.max() - x.min())
    sal, nt, ig = Saliency(model), NoiseTunnel(Saliency(model)), IntegratedGradients(model)
    return [
        ("saliency", lambda: A.saliency(model, x, target, reduce=None), lambda: sal.attribute(x, target=target, abs=True)),
        (
            f"SmoothGrad n={SG_N}",
            lambda: A.smoothgrad(model, x, target, sigma=SIGMA, n_samples=SG_N, reduce=None),
            lambda: nt.attribute(x, nt_type="smoothgrad", nt_samples=SG_N, stdevs=stdev, target=target, abs=True),
        ),
        (
            f"IG {IG_STEPS} steps",
            lambda: A.integrated_gradients(model, x, target, baseline="black", n_steps=IG_STEPS),
            lambda: ig.attribute(x, baselines=0.0, target=target, n_steps=IG_STEPS, method="riemann_middle"),
        ),
    ]


def time_pairs(label, model, x, target, repeats, device):
    rows = []
    for name, ours, theirs in pairs(model, x, target):
        ours(), theirs()  # warm-up
        t_ours, t_theirs = [], []
        for _ in range(repeats):
            for fn, store in ((ours, t_ours), (theirs, t_theirs)):
                _sync(device)
                t0 = time.perf_counter()
                fn()
                _sync(device)
                store.append(time.perf_counter() - t0)
        a, b = statistics.median(t_ours), statistics.median(t_theirs)
        rows.append((label, name, a, b))
        print(f"{label:<18} {name:<16} course {a * 1e3:9.1f} ms   Captum {b * 1e3:9.1f} ms   ratio {a / b:5.2f}", flush=True)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats on the MNIST CNN")
    parser.add_argument("--repeats-imagenet", type=int, default=2, help="timed repeats on EfficientNet-Lite0")
    parser.add_argument("--device", default=None, help="cpu or cuda (default: cuda when present)")
    parser.add_argument("--skip-imagenet", action="store_true")
    args = parser.parse_args(argv)
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    print(f"device {device}, torch {torch.__version__}, {torch.get_num_threads()} threads")
    rows = []
    mnist = load_mnist()
    cnn = load_pretrained("mnist_cnn", device)
    x, y = mnist.X_test[:1].to(device), int(mnist.y_test[0])
    rows += time_pairs("MNIST CNN", cnn, x, y, args.repeats, device)
    if not args.skip_imagenet:
        net = imagenet_model(device)
        cat = imagenet_preprocess(load_photo("chelsea")).to(device)
        rows += time_pairs("EfficientNet-Lite0", net, cat, 281, args.repeats_imagenet, device)
    worst = max(a / b for *_, a, b in rows)
    print(f"worst ratio course/Captum: {worst:.2f} (target ≤ 1.2)")


if __name__ == "__main__":
    main()
