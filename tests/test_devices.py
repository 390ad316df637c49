"""Every attribution method returns its results on the device of its input (and never mixes devices
on the way).

The output test runs on the CPU always and on CUDA when torch sees a GPU. A machine without a GPU
cannot run the CUDA case, so a second test reads the source of the explanation helpers and fails
when one of them creates a tensor without saying on which device.
"""

from __future__ import annotations

import ast
import copy
import inspect

import pytest
import torch

from xai_helpers import attacks, attribution, evaluation
from xai_helpers import attribution as A
from xai_helpers import evaluation as E

DEVICES = [
    "cpu",
    pytest.param(
        "cuda", marks=pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
    ),
]

# name -> f(model, x, y) returning a tensor or a tuple/object of tensors
METHODS = {
    "saliency": lambda m, x, y: A.saliency(m, x, y),
    "saliency(reduce=None, of=loss)": lambda m, x, y: A.saliency(m, x, y, of="loss", reduce=None),
    "occlusion": lambda m, x, y: A.occlusion(m, x, y, box=8, stride=8),
    "occlusion(fill=mean)": lambda m, x, y: A.occlusion(m, x, y, box=14, stride=14, fill="mean"),
    "occlusion_pixel_map": lambda m, x, y: A.occlusion_pixel_map(
        A.occlusion(m, x, y, box=14, stride=14),
        torch.ones(len(x), device=x.device),
        14,
        14,
        (28, 28),
    ),
    "smoothgrad": lambda m, x, y: A.smoothgrad(m, x, y, n_samples=3),
    "smoothgrad_samples": lambda m, x, y: A.smoothgrad_samples(m, x, y, n_samples=3),
    "smoothgrad_classes": lambda m, x, y: A.smoothgrad_classes(m, x[:1], [1, 2], n_samples=3),
    "SmoothGradCache.map": lambda m, x, y: A.SmoothGradCache(
        m, x[:1], int(y[0]), progress=False
    ).map(0.1, 2),
    "integrated_gradients": lambda m, x, y: A.integrated_gradients(m, x, y, n_steps=4),
    "integrated_gradients(trapezoid, grey)": lambda m, x, y: A.integrated_gradients(
        m, x, y, baseline="grey", n_steps=4, rule="trapezoid"
    ),
    "integrated_gradients(tensor baseline)": lambda m, x, y: A.integrated_gradients(
        m, x, y, baseline=A.ig_baseline(x, "noise"), n_steps=4
    ),
    "integrated_gradients(blurred baseline)": lambda m, x, y: A.integrated_gradients(
        m, x, y, baseline=A.ig_baseline(x, "blurred"), n_steps=4
    ),
    "grad_cam": lambda m, x, y: A.grad_cam(m, x, y, layer="conv2"),
    "guided_backprop": lambda m, x, y: A.guided_backprop(m, x, y),
    "deeplift": lambda m, x, y: A.deeplift(m, x, y, baseline="grey"),
    "integrated_gradients_sweep": lambda m, x, y: (
        lambda s: (s.attributions[2], s.gaps[4], s.path_derivative)
    )(A.integrated_gradients_sweep(m, x, y, n_steps=(2, 4))),
    "neighbour_correlation": lambda m, x, y: E.neighbour_correlation(x[:, 0]),
    "deletion_curve": lambda m, x, y: E.deletion_curve(m, x, y, A.saliency(m, x, y), steps=4),
    "insertion_curve": lambda m, x, y: E.insertion_curve(m, x, y, A.saliency(m, x, y), steps=4),
    "random_attribution": lambda m, x, y: E.random_attribution(x),
    "rank_correlation": lambda m, x, y: E.rank_correlation(x[:, 0], x[:, 0] ** 2),
    "total_variation": lambda m, x, y: E.total_variation(x[:, 0]),
    "smoothgrad_stability": lambda m, x, y: E.smoothgrad_stability(m, x, y, sigma=0.1, ns=[1, 2]),
    "topk_attack": lambda m, x, y: attacks.topk_attack(m, x, epsilon=0.05, steps=1),
    "topk_intersection": lambda m, x, y: attacks.topk_intersection(x[:, 0], x[:, 0].flip(-1), k=5),
    "topk_attack(method=smoothgrad)": lambda m, x, y: attacks.topk_attack(
        m, x, epsilon=0.05, steps=1, method="smoothgrad", n_samples=2
    ),
    "topk_attack(method=integrated_gradients)": lambda m, x, y: attacks.topk_attack(
        m, x, epsilon=0.05, steps=1, method="integrated_gradients", n_steps=2
    ),
    "center_of_mass_attack": lambda m, x, y: attacks.center_of_mass_attack(
        m, x, epsilon=0.05, steps=1
    ),
    "random_sign_attack": lambda m, x, y: attacks.random_sign_attack(
        m, x, epsilon=0.05, steps=2, objective="center"
    ),
    "random_sign_perturbation": lambda m, x, y: attacks.random_sign_perturbation(x, 0.05),
    "center_of_mass": lambda m, x, y: attacks.center_of_mass(x[:, 0]),
}


def _tensors(out):
    if isinstance(out, torch.Tensor):
        return [out]
    if isinstance(out, tuple | list):
        return [t for o in out for t in _tensors(o)]
    if hasattr(out, "__dataclass_fields__"):
        return [t for name in out.__dataclass_fields__ for t in _tensors(getattr(out, name))]
    return []


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", list(METHODS))
def test_output_is_on_the_input_device(mnist_cnn, digits, device, name):
    model = copy.deepcopy(mnist_cnn).to(device)
    x, y = digits[0][:2].to(device), digits[1][:2]
    out = METHODS[name](model, x, y)
    tensors = _tensors(out)
    if isinstance(out, evaluation.DeletionCurve):
        tensors.append(out.auc)
    assert tensors, f"{name} returned no tensor"
    assert all(t.device == x.device for t in tensors), [t.device for t in tensors]


@pytest.mark.parametrize("device", DEVICES)
def test_model_on_cpu_input_elsewhere_and_back(mnist_cnn, digits, device):
    """The model's device does the work; the input's device gets the result (here both ways
    round)."""
    x, y = digits[0][:2], digits[1][:2]
    model = copy.deepcopy(mnist_cnn).to(device)
    attr, gap = A.integrated_gradients(model, x, y, n_steps=4, return_delta=True)
    assert attr.device == x.device and gap.device == x.device
    assert A.smoothgrad(mnist_cnn, x.to(device), y, n_samples=2).device == torch.device(device)


# The functions that create a tensor from nothing; each call in the explanation helpers must say
# where (device=...), or be moved at once (torch.randn(..., generator=g).to(x.device)).
_FACTORIES = {
    "zeros",
    "ones",
    "empty",
    "full",
    "rand",
    "randn",
    "randint",
    "randperm",
    "linspace",
    "arange",
    "tensor",
    "as_tensor",
    "eye",
}


@pytest.mark.parametrize("module", [attribution, evaluation, attacks], ids=lambda m: m.__name__)
def test_helpers_create_no_tensor_without_a_device(module):
    tree = ast.parse(inspect.getsource(module))
    moved = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr == "to"
    }
    bad = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "torch"
            and node.func.attr in _FACTORIES
            and not any(k.arg == "device" for k in node.keywords)
            and id(node) not in moved
        ):
            bad.append(f"{module.__name__}:{node.lineno} torch.{node.func.attr}(...)")
    assert not bad, "tensors created without device=: " + ", ".join(bad)
