"""Shared fixtures: small models and data, built once per session."""

from __future__ import annotations

import socket

import pytest
import torch

from xai_helpers.data import load_mnist
from xai_helpers.models import load_pretrained


@pytest.fixture(scope="session")
def mnist():
    return load_mnist()


@pytest.fixture(scope="session")
def mnist_cnn():
    return load_pretrained("mnist_cnn")


@pytest.fixture(scope="session")
def digits(mnist):
    """Eight test digits and their labels."""
    return mnist.X_test[:8], mnist.y_test[:8]


@pytest.fixture
def tiny_rgb_model():
    """A small smooth (tanh) RGB classifier, so finite differences are accurate."""
    torch.manual_seed(0)
    return (
        torch.nn.Sequential(
            torch.nn.Conv2d(3, 4, 3, padding=1),
            torch.nn.Tanh(),
            torch.nn.Flatten(),
            torch.nn.Linear(4 * 8 * 8, 5),
        )
        .double()
        .eval()
    )


@pytest.fixture
def no_network(monkeypatch):
    """Make every attempt to open a network connection fail loudly."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args[1:] if len(args) > 1 else args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    yield
