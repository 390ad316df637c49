"""Photos from ``skimage.data`` (``chelsea`` is the lecture's cat), with the ImageNet pre- and
deprocessing."""

from __future__ import annotations

import numpy as np
import torch

from ..validation import check_int, check_number

__all__ = [
    "PHOTOS",
    "PHOTO_CROPS",
    "load_photo",
    "coffee_masks",
    "imagenet_preprocess",
    "imagenet_deprocess",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
]


IMAGENET_MEAN = (0.485, 0.456, 0.406)


IMAGENET_STD = (0.229, 0.224, 0.225)


#: Photos from ``skimage.data`` the course uses, all RGB. ``motorcycle`` is the left view of
#: ``stereo_motorcycle``; the grey ``camera``, ``clock`` and ``page`` are stacked to three equal
#: channels; the last three (notebook 06's photo table) are crops, see :data:`PHOTO_CROPS`.
PHOTOS = (
    "chelsea",
    "coffee",
    "astronaut",
    "rocket",
    "motorcycle",
    "camera",
    "clock",
    "page",
    "rocket crop",
    "chelsea face",
    "camera crop",
)

#: Crops of the photos above (notebook 06's photo table): name → (photo, (top, bottom, left,
#: right) in its pixels). ``rocket crop`` keeps the rocket and drops most of the sky; the other
#: two are closer views of the cat's face and of the cameraman's camera on its tripod.
PHOTO_CROPS = {
    "rocket crop": ("rocket", (0, 427, 100, 400)),
    "chelsea face": ("chelsea", (20, 250, 100, 330)),
    "camera crop": ("camera", (50, 350, 150, 450)),
}


def load_photo(name: str = "chelsea") -> np.ndarray:
    """Return a bundled photo from ``skimage.data`` as a uint8 array (H, W, 3).

    Grey photos (``camera``, ``clock``, ``page``) come as three equal channels.

    Examples
    --------
    >>> load_photo("chelsea").shape
    (300, 451, 3)
    >>> load_photo("camera").shape
    (512, 512, 3)
    >>> load_photo("rocket crop").shape  # a crop of PHOTO_CROPS
    (427, 300, 3)
    """
    from skimage import data as skdata

    if name not in PHOTOS:
        raise ValueError(f"unknown photo {name!r}; the course ships {', '.join(PHOTOS)}")
    if name in PHOTO_CROPS:
        source, (top, bottom, left, right) = PHOTO_CROPS[name]
        return np.ascontiguousarray(load_photo(source)[top:bottom, left:right])
    img = skdata.stereo_motorcycle()[0] if name == "motorcycle" else getattr(skdata, name)()
    if img.ndim == 2:
        img = np.stack([img] * 3, axis=-1)
    if img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f"photo {name!r} is not an RGB image (shape {img.shape})")
    return img


def coffee_masks() -> dict[str, torch.Tensor]:
    """Hand-drawn object masks for the ``coffee`` photo as
    ``imagenet_preprocess(load_photo("coffee"), crop_pct=1.0)`` shows it (224×224): ``"cup"`` and
    ``"cup and saucer"``, boolean (224, 224).

    Two ellipses (x to the right, y down, in pixels of the crop): the cup's rim, centre (108, 62),
    half-axes 80 × 46; the saucer, centre (108, 138), half-axes 108 × 82. The spoon's handle sticks
    out a little; the rest is the table.

    Examples
    --------
    >>> m = coffee_masks()
    >>> sorted(m), round(float(m["cup"].float().mean()), 2)
    (['cup', 'cup and saucer'], 0.23)
    """
    rows, cols = torch.meshgrid(torch.arange(224.0), torch.arange(224.0), indexing="ij")
    cup = ((cols - 108) / 80) ** 2 + ((rows - 62) / 46) ** 2 <= 1
    saucer = ((cols - 108) / 108) ** 2 + ((rows - 138) / 82) ** 2 <= 1
    return {"cup": cup, "cup and saucer": cup | saucer}


def imagenet_preprocess(
    img: np.ndarray, size: int = 224, crop_pct: float = 0.875, normalize: bool = True
) -> torch.Tensor:
    """Resize, centre-crop and normalise an RGB image for the ImageNet model.

    Follows timm's ``pretrained_cfg`` for ``efficientnet_lite0``: bicubic resize of the short
    side to ``size / crop_pct``, centre crop to ``size``, ImageNet mean and std.

    Parameters
    ----------
    img : np.ndarray
        uint8 (H, W, 3) in [0, 255] or float (H, W, 3) in [0, 1].
    normalize : bool
        ``False`` skips the normalisation and returns pixels in [0, 1] (the bicubic overshoot
        clipped), for ``models.imagenet_model(pixels=True)``.

    Returns
    -------
    torch.Tensor
        float32 of shape (1, 3, size, size).

    Examples
    --------
    >>> imagenet_preprocess(load_photo("chelsea")).shape
    torch.Size([1, 3, 224, 224])
    >>> x = imagenet_preprocess(load_photo("coffee"), size=96, normalize=False)
    >>> x.shape, round(float(x.min()), 3), round(float(x.max()), 3)  # pixels, not normalised
    (torch.Size([1, 3, 96, 96]), 0.0, 1.0)
    """
    import torchvision.transforms.v2 as T

    arr = np.asarray(img)
    if arr.ndim != 3 or arr.shape[2] != 3:
        raise ValueError(f"img must be an RGB image of shape (H, W, 3), got shape {arr.shape}")
    if arr.dtype == np.uint8:
        t = torch.from_numpy(arr.copy()).permute(2, 0, 1).float() / 255.0
    elif np.issubdtype(arr.dtype, np.floating):
        if not np.isfinite(arr).all():
            raise ValueError("img contains NaN or infinite values")
        if arr.min() < 0 or arr.max() > 1:
            raise ValueError(
                f"a float img must lie in [0, 1], got range [{arr.min():.3g}, {arr.max():.3g}]"
            )
        t = torch.from_numpy(arr.astype(np.float32)).permute(2, 0, 1)
    else:
        raise TypeError(f"img must be uint8 in [0, 255] or float in [0, 1], got dtype {arr.dtype}")
    size = check_int(size, "size", minimum=1)
    crop_pct = check_number(crop_pct, "crop_pct", 0.0, 1.0, low_open=True)
    resize = T.Compose(
        [
            T.Resize(
                int(round(size / crop_pct)),
                interpolation=T.InterpolationMode.BICUBIC,
                antialias=True,
            ),
            T.CenterCrop(size),
        ]
    )
    t = resize(t)
    if not normalize:
        return t.clamp(0, 1)[None].contiguous()
    return T.Normalize(IMAGENET_MEAN, IMAGENET_STD)(t)[None].contiguous()


def imagenet_deprocess(x: torch.Tensor) -> np.ndarray:
    """Invert the normalisation of :func:`imagenet_preprocess` for display.

    Parameters
    ----------
    x : torch.Tensor
        (1, 3, H, W) or (3, H, W), normalised.

    Returns
    -------
    np.ndarray
        float (H, W, 3) in [0, 1].

    Examples
    --------
    >>> img = imagenet_deprocess(imagenet_preprocess(load_photo()))
    >>> img.shape, round(float(img.min()), 3), round(float(img.max()), 3)
    ((224, 224, 3), 0.0, 0.839)
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
    if x.ndim == 4:
        if x.shape[0] != 1:
            raise ValueError(f"x must hold one image, got a batch of {x.shape[0]}")
        x = x[0]
    if x.ndim != 3 or x.shape[0] != 3:
        raise ValueError(f"x must have shape (1, 3, H, W) or (3, H, W), got {tuple(x.shape)}")
    mean = torch.tensor(IMAGENET_MEAN, device=x.device).view(3, 1, 1)
    std = torch.tensor(IMAGENET_STD, device=x.device).view(3, 1, 1)
    return (x.detach() * std + mean).clamp(0, 1).permute(1, 2, 0).cpu().numpy()
