"""The monsters data set: a faithful, redistributable stand-in for the lecture's Pokémon vs Digimon.

This module holds only the data (drawing, files, loaders, splits). The model is
:class:`xai_helpers.models.MonsterCNN`, its training :func:`xai_helpers.train.train_monster_cnn`,
and its figures (``show_file``, ``show_saliency_rows``, ``show_prediction``) are in
:mod:`xai_helpers.plotting`.

The lecture's classifier reached 98.4 % test accuracy by looking at the *background*: every
Pokémon image is a PNG with a transparent background, most Digimon images are JPEGs on a light
background, and loading turned the transparency black. The real images cannot be shipped, so this
module *draws* cartoon monsters and writes them as real files that reproduce the mechanism:

* class ``pokemon``: RGBA **PNG**, transparent background, black RGB under alpha 0 (as in Kaggle's
  ``pokemon-images-dataset``);
* class ``digimon``: **JPEG** on a white background (a few, ``digimon_png_fraction``, are PNGs
  like the Pokémon, as "most" in the lecture says);
* both classes come from one drawing family (body, eyes, ears or horns, limbs, tail, colours,
  poses and sizes of 64–128 px) with a genuine but weaker difference: Pokémon are more often round,
  bright and big-eyed, Digimon more often angular, darker, horned and fanged. And a fraction
  ``lookalike_fraction`` (15 %) of each class is drawn in the *other* class's style, as some real
  Pokémon look like Digimon: a model that reads only the creature cannot get those right, so the
  honest accuracy stays well below what the leak gives (:data:`LOOKALIKES` lists them).

The leak then happens in the real library: :func:`leaky_dataset` is torchvision's ``ImageFolder``
with its *default* loader (``PIL.Image.convert("RGB")`` drops alpha and keeps the black RGB under
it). :func:`fixed_dataset` composites every image onto one white background (the fix).

Stable names (other notebooks rely on them)
-------------------------------------------
* ``xai_helpers.models.load_pretrained("monsters_leaky")`` — :class:`xai_helpers.models.MonsterCNN`
  trained on the leaky loader (recipe :func:`xai_helpers.train.train_monsters_leaky`);
  ``load_pretrained("monsters_fixed")`` — the same net trained on the fixed loader. Both take (N, 3,
  48, 48) float images in [0, 1] (:data:`IMAGE_SIZE`); classes :data:`CLASSES` = ``("digimon",
  "pokemon")`` (``ImageFolder``'s alphabetical order: digimon 0, pokemon 1).
* :func:`ensure_monsters` — generate the default data set into :func:`default_root`
  (``<cache>/monsters``, see :func:`xai_helpers.data.cache_dir`; set ``XAI_CACHE_DIR`` to move it)
  if missing; returns its root.
* :func:`load_test_set` — the test split as tensors plus the foreground (alpha) masks:
  ``MonsterSplit(X, y, masks, paths)``.

Folder layout (generated, or the real images)
---------------------------------------------
::

    <root>/train/pokemon/*.png   <root>/train/digimon/*.jpg|*.png
    <root>/test/pokemon/*.png    <root>/test/digimon/*.jpg|*.png
    <root>/masks/<split>/<class>/<stem>.png     (optional: foreground masks, 8-bit)
    <root>/lookalikes.txt                         (generated data only: the files drawn in the other
    class's style)

To run the course on the real images, download Kaggle's ``kvpratama/pokemon-images-dataset``
(its PNG folder) and the images of ``DeathReaper0965/Digimon-Generator-GAN``, put them in two flat
folders and call :func:`split_real_folders` (``pokemon_dir``, ``digimon_dir`` → ``<root>``), then
set the environment variable ``XAI_MONSTERS_ROOT=<root>`` before starting the notebook. Without mask
files, masks are derived from the alpha channel (PNG) or from the colour of the image's border
(JPEG).
"""

from __future__ import annotations

import colorsys
import io
import json
import math
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .._runtime import cache_dir
from ..validation import check_fraction, check_positive_int

__all__ = [
    "CLASSES",
    "IMAGE_SIZE",
    "BACKGROUND",
    "default_root",
    "draw_monster",
    "make_monsters",
    "ensure_monsters",
    "monsters_root",
    "composite_loader",
    "leaky_dataset",
    "fixed_dataset",
    "LOOKALIKES",
    "MonsterSplit",
    "load_split",
    "load_test_set",
    "image_groups",
    "split_real_folders",
    "on_grey",
    "scale_creature",
    "hue_rotate",
    "low_contrast",
    "desaturate",
    "blur_creature",
    "shrink_creature",
    "shift_creature",
    "mirror_creature",
    "enlarge_creature",
    "sharpen_creature",
    "creature_value_saturation",
    "creature_features",
    "EDIT_FAMILIES",
    "OPPOSITE_EDITS",
    "CONTROL_EDITS",
    "keep_contrast",
    "file_counts",
    "jpeg_roundtrip",
]

#: Class names in ``ImageFolder``'s (alphabetical) order: index 0 is digimon, 1 is pokemon.
CLASSES = ("digimon", "pokemon")
#: Side of the square images the models see (the lecture used 120 px; scaled down for a CPU).
IMAGE_SIZE = 48
#: The one background of the fixed loader (and of the Digimon JPEGs): white.
BACKGROUND = (255, 255, 255)
#: The file in a generated data set's root that lists (one ``<split>/<class>/<file>`` a line) the
#: creatures drawn in the other class's style.
LOOKALIKES = "lookalikes.txt"
_DEFAULTS = {
    "n_per_class": 1000,
    "seed": 0,
    "test_fraction": 0.2,
    "digimon_png_fraction": 0.03,
    "lookalike_fraction": 0.15,
    "version": 2,
}
_IMG_EXT = (".png", ".jpg", ".jpeg")


# --------------------------------------------------------------------------- drawing


def _rgb(h: float, s: float, v: float) -> tuple[int, int, int]:
    return tuple(int(round(255 * c)) for c in colorsys.hsv_to_rgb(h % 1.0, s, v))


def _shade(c: tuple[int, int, int], f: float) -> tuple[int, int, int]:
    return tuple(int(max(0, min(255, round(v * f)))) for v in c)


def draw_monster(rng: np.random.Generator, kind: str, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Draw one cartoon monster; return its colours and its alpha (antialiased, unpremultiplied).

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of all randomness (same state, same monster).
    kind : {"pokemon", "digimon"}
        Which class's feature probabilities to draw from.
    size : int
        Side of the square image in pixels.

    Returns
    -------
    rgb : np.ndarray
        uint8 (size, size, 3), the creature's colours (0 where alpha is 0).
    alpha : np.ndarray
        uint8 (size, size), 255 on the creature, 0 on the background.

    Examples
    --------
    >>> rgb, alpha = draw_monster(np.random.default_rng(0), "pokemon", 64)
    >>> rgb.shape, alpha.shape, bool(0.1 < (alpha > 0).mean() < 0.7)
    ((64, 64, 3), (64, 64), True)
    """
    from PIL import Image, ImageDraw

    if kind not in ("pokemon", "digimon"):
        raise ValueError(f"kind must be 'pokemon' or 'digimon', got {kind!r}")
    size = check_positive_int(size, "size", minimum=16)
    poke = kind == "pokemon"
    S = 2 * size  # draw at twice the size, then average 2×2 blocks: antialiasing
    img = Image.new("RGB", (S, S), (0, 0, 0))
    msk = Image.new("L", (S, S), 0)
    di, dm = ImageDraw.Draw(img), ImageDraw.Draw(msk)
    u = lambda *v: [float(a) * S for a in v]  # unit coordinates -> canvas pixels
    ow = max(2, round(S * 0.018))  # outline width

    hue = rng.random()
    body_c = _rgb(
        hue,
        rng.uniform(0.5, 0.95) if poke else rng.uniform(0.3, 0.8),
        rng.uniform(0.75, 1.0) if poke else rng.uniform(0.45, 0.9),
    )
    line_c = _shade(body_c, 0.35)
    accent_c = _rgb(hue + rng.uniform(0.3, 0.7), rng.uniform(0.4, 0.9), rng.uniform(0.6, 1.0))

    cx, cy = rng.uniform(0.42, 0.58), rng.uniform(0.47, 0.6)
    sc = rng.uniform(0.75, 1.05)
    rx, ry = sc * rng.uniform(0.17, 0.26), sc * rng.uniform(0.15, 0.24)

    def ellipse(x0, y0, x1, y1, fill, outline=True):
        box = u(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
        di.ellipse(box, fill=fill, outline=line_c if outline else None, width=ow)
        dm.ellipse(box, fill=255)

    def polygon(points, fill):
        pts = [tuple(u(x, y)) for x, y in points]
        di.polygon(pts, fill=fill, outline=line_c, width=ow)
        dm.polygon(pts, fill=255)

    def limb(x0, y0, x1, y1, w):
        a, b = u(x0, y0), u(x1, y1)
        di.line(a + b, fill=line_c, width=int(w * S) + 2 * ow)
        di.line(a + b, fill=body_c, width=int(w * S))
        dm.line(a + b, fill=255, width=int(w * S) + 2 * ow)
        for x, y in ((x0, y0), (x1, y1)):
            r = w / 2 + ow / S
            dm.ellipse(u(x - r, y - r, x + r, y + r), fill=255)
            di.ellipse(u(x - r, y - r, x + r, y + r), fill=line_c)
            di.ellipse(u(x - w / 2, y - w / 2, x + w / 2, y + w / 2), fill=body_c)

    # tail (behind the body)
    if rng.random() < (0.6 if poke else 0.5):
        side = rng.choice([-1, 1])
        tx, ty = cx + side * rx * rng.uniform(1.1, 1.6), cy - ry * rng.uniform(0.2, 1.2)
        if rng.random() < (0.6 if poke else 0.3):
            limb(cx + side * rx * 0.6, cy + ry * 0.3, tx, ty, rng.uniform(0.03, 0.06))
            ellipse(tx - 0.05, ty - 0.05, tx + 0.05, ty + 0.05, accent_c)
        else:
            polygon(
                [
                    (cx + side * rx * 0.7, cy + ry * 0.1),
                    (cx + side * rx * 0.7, cy + ry * 0.6),
                    (tx, ty),
                ],
                body_c,
            )
    # legs and arms
    n_legs = int(rng.choice([2, 4], p=[0.7, 0.3] if poke else [0.5, 0.5]))
    leg_len, leg_w = rng.uniform(0.08, 0.16), rng.uniform(0.05, 0.08)
    for k in range(n_legs):
        lx = cx + rx * (-0.6 + 1.2 * k / max(1, n_legs - 1))
        limb(lx, cy + ry * 0.6, lx + rng.uniform(-0.04, 0.04), cy + ry + leg_len, leg_w)
    for side in (-1, 1):
        if rng.random() < 0.8:
            ang = rng.uniform(-0.9, 0.6)
            ax, ay = cx + side * rx * 0.85, cy + ry * rng.uniform(-0.1, 0.3)
            ln = rng.uniform(0.09, 0.16)
            limb(ax, ay, ax + side * ln * math.cos(ang), ay + ln * math.sin(ang), leg_w * 0.8)
    # ears or horns
    top = cy - ry
    r_ear = rng.random()
    ears = r_ear < (0.6 if poke else 0.2)
    horns = (not ears) and r_ear < (0.8 if poke else 0.85)
    for side in (-1, 1):
        bx = cx + side * rx * rng.uniform(0.35, 0.6)
        if ears:
            ew, eh = rng.uniform(0.04, 0.07), rng.uniform(0.07, 0.13)
            ellipse(bx - ew, top - eh, bx + ew, top + eh * 0.6, body_c)
        elif horns:
            hw, hh = rng.uniform(0.025, 0.05), rng.uniform(0.08, 0.16)
            polygon(
                [
                    (bx - hw, top + 0.04),
                    (bx + hw, top + 0.04),
                    (bx + side * rng.uniform(0, 0.06), top - hh),
                ],
                accent_c,
            )
    # body
    if rng.random() < (0.75 if poke else 0.35):
        ellipse(cx - rx, cy - ry, cx + rx, cy + ry, body_c)
    else:
        k = int(rng.integers(5, 9))
        phase = rng.uniform(0, 2 * math.pi)
        pts = []
        for i in range(k):
            t = phase + 2 * math.pi * i / k
            j = rng.uniform(0.85, 1.15)
            pts.append((cx + rx * j * math.cos(t), cy + ry * j * math.sin(t)))
        polygon(pts, body_c)
    if rng.random() < 0.6:  # belly
        ellipse(
            cx - rx * 0.55,
            cy - ry * 0.05,
            cx + rx * 0.55,
            cy + ry * 0.8,
            _shade(body_c, 1.25) if poke else _shade(body_c, 0.8),
            outline=False,
        )
    # eyes
    n_eyes = int(rng.choice([1, 2, 3], p=[0.1, 0.85, 0.05]))
    er = rng.uniform(0.045, 0.075) if poke else rng.uniform(0.028, 0.055)
    ey = cy - ry * rng.uniform(0.2, 0.5)
    for i in range(n_eyes):
        ex = cx + rx * (0.0 if n_eyes == 1 else (-0.45 + 0.9 * i / (n_eyes - 1)))
        ellipse(ex - er, ey - er * 1.1, ex + er, ey + er * 1.1, (255, 255, 255))
        pr = er * (0.6 if poke else 0.45)
        px = ex + rng.uniform(-0.3, 0.3) * er
        di.ellipse(
            u(px - pr, ey - pr, px + pr, ey + pr),
            fill=(20, 20, 30) if poke else (150, 20, 20) if rng.random() < 0.4 else (20, 20, 30),
        )
        di.ellipse(
            u(px - pr * 0.35, ey - pr * 0.6, px + pr * 0.05, ey - pr * 0.2), fill=(255, 255, 255)
        )
    # mouth (and fangs)
    my, mw = cy + ry * rng.uniform(0.1, 0.35), rx * rng.uniform(0.25, 0.5)
    di.arc(u(cx - mw, my - mw * 0.6, cx + mw, my + mw * 0.6), 10, 170, fill=line_c, width=ow)
    if rng.random() < (0.15 if poke else 0.55):
        for side in (-1, 1):
            fx = cx + side * mw * 0.45
            di.polygon(
                [
                    tuple(u(fx - 0.015, my + mw * 0.45)),
                    tuple(u(fx + 0.015, my + mw * 0.45)),
                    tuple(u(fx, my + mw * 0.45 + 0.04)),
                ],
                fill=(255, 255, 255),
            )

    # pose: rotate (nearest at 2×, antialiased by the 2×2 average below)
    angle = rng.uniform(-25, 25)
    img = img.rotate(angle, resample=Image.NEAREST, center=(cx * S, cy * S))
    msk = msk.rotate(angle, resample=Image.NEAREST, center=(cx * S, cy * S))
    if rng.random() < 0.5:
        img, msk = img.transpose(Image.FLIP_LEFT_RIGHT), msk.transpose(Image.FLIP_LEFT_RIGHT)
    a = np.asarray(msk, dtype=np.float32) / 255.0
    c = np.asarray(img, dtype=np.float32) * a[..., None]
    a = a.reshape(size, 2, size, 2).mean((1, 3))
    c = c.reshape(size, 2, size, 2, 3).mean((1, 3))
    rgb = np.where(a[..., None] > 0, c / np.maximum(a[..., None], 1e-6), 0.0)
    return np.clip(np.round(rgb), 0, 255).astype(np.uint8), np.round(a * 255).astype(np.uint8)


def _on_background(rgb: np.ndarray, alpha: np.ndarray, background=BACKGROUND) -> np.ndarray:
    a = alpha.astype(np.float32)[..., None] / 255.0
    out = rgb.astype(np.float32) * a + np.asarray(background, np.float32) * (1 - a)
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def make_monsters(
    root: str | Path,
    n_per_class: int = 1000,
    seed: int = 0,
    test_fraction: float = 0.2,
    digimon_png_fraction: float = 0.03,
    lookalike_fraction: float = 0.15,
) -> Path:
    """Write the monsters data set as real image files (see the module docstring for the layout).

    Pokémon: RGBA PNG, transparent background with black RGB under it. Digimon: JPEG (quality 90)
    on a white background, except a fraction ``digimon_png_fraction`` saved like the Pokémon.
    Each image is 64–128 px square. The foreground masks go to ``<root>/masks/``. A fraction
    ``lookalike_fraction`` of each class is drawn in the other class's style (listed in
    ``<root>/lookalikes.txt``, :data:`LOOKALIKES`); the label and the file format stay those of the
    class.

    Parameters
    ----------
    root : str or Path
        Folder to write (created; existing images of the same names are overwritten).
    n_per_class : int
        Images per class, split into train and test.
    seed : int
        Same seed, same files.
    test_fraction : float
        Fraction of each class written to ``test/``.
    digimon_png_fraction : float
        Fraction of the Digimon saved as PNGs with transparency (on black after the leaky loader).
    lookalike_fraction : float
        Fraction of each class drawn in the other class's style (0: none; 0.5: no honest difference
        left).

    Returns
    -------
    Path
        ``root``.

    Examples
    --------
    >>> import tempfile
    >>> root = make_monsters(tempfile.mkdtemp(), n_per_class=5)
    >>> sorted(p.name for p in (root / "train").iterdir())
    ['digimon', 'pokemon']
    """
    from PIL import Image

    n_per_class = check_positive_int(n_per_class, "n_per_class", minimum=2)
    test_fraction = check_fraction(test_fraction, "test_fraction", 0.0, 0.9)
    digimon_png_fraction = check_fraction(digimon_png_fraction, "digimon_png_fraction")
    lookalike_fraction = check_fraction(lookalike_fraction, "lookalike_fraction", 0.0, 0.5)
    root = Path(root)
    lookalikes = []
    n_test = max(1, int(round(n_per_class * test_fraction))) if test_fraction > 0 else 0
    for ci, kind in enumerate(("pokemon", "digimon")):
        rng = np.random.default_rng([seed, ci])
        for i in range(n_per_class):
            split = "test" if i >= n_per_class - n_test else "train"
            size = int(rng.integers(64, 129))
            style = kind if rng.random() >= lookalike_fraction else CLASSES[CLASSES.index(kind) - 1]
            rgb, alpha = draw_monster(rng, style, size)
            as_png = kind == "pokemon" or rng.random() < digimon_png_fraction
            folder, mfolder = root / split / kind, root / "masks" / split / kind
            folder.mkdir(parents=True, exist_ok=True)
            mfolder.mkdir(parents=True, exist_ok=True)
            name = f"{kind}_{i:05d}" + (".png" if as_png else ".jpg")
            if as_png:
                rgba = np.dstack([np.where(alpha[..., None] > 0, rgb, 0), alpha]).astype(np.uint8)
                Image.fromarray(rgba, "RGBA").save(folder / name)
            else:
                Image.fromarray(_on_background(rgb, alpha), "RGB").save(folder / name, quality=90)
            Image.fromarray(alpha, "L").save(mfolder / f"{Path(name).stem}.png")
            if style != kind:
                lookalikes.append(f"{split}/{kind}/{name}")
    (root / LOOKALIKES).write_text("".join(f"{f}\n" for f in lookalikes))
    return root


def default_root() -> Path:
    """Where :func:`ensure_monsters` writes the generated data set: ``<cache_dir()>/monsters``.

    :func:`xai_helpers.data.cache_dir` is ``$XAI_CACHE_DIR`` if set, else ``~/.cache/xai-course``
    (``$XDG_CACHE_HOME/xai-course`` where that is set). Read at each call, so setting the variable
    in a running notebook takes effect.

    Examples
    --------
    >>> default_root().name
    'monsters'
    """
    return cache_dir() / "monsters"


def monsters_root() -> Path:
    """The data set the notebooks use: ``$XAI_MONSTERS_ROOT`` if set (e.g. the real images), else
    :func:`default_root`."""
    env = os.environ.get("XAI_MONSTERS_ROOT")
    return Path(env) if env else default_root()


def ensure_monsters(root: str | Path | None = None) -> Path:
    """Generate the default monsters data set into ``root`` (default :func:`default_root`) if
    missing; return the root.

    A folder named by ``$XAI_MONSTERS_ROOT`` (the real images) is returned as it is.
    Generation takes a few seconds and is deterministic; a ``MANIFEST.json`` records its settings.
    The data set is drawn into a temporary sibling folder and moved into place when complete, so two
    processes generating it at once (two notebooks, two test runs) never see half a data set.

    Examples
    --------
    >>> root = ensure_monsters()
    >>> (root / "test" / "pokemon").is_dir()
    True
    """
    if root is None and os.environ.get("XAI_MONSTERS_ROOT"):
        root = Path(os.environ["XAI_MONSTERS_ROOT"])
        if not (root / "train").is_dir() or not (root / "test").is_dir():
            raise FileNotFoundError(
                f"XAI_MONSTERS_ROOT={root} has no train/ and test/ folders; see split_real_folders"
            )
        return root
    root = Path(root) if root is not None else default_root()
    if _is_current(root):
        return root
    foreign = (
        sorted(
            p.name
            for p in root.iterdir()
            if p.name not in {"train", "test", "masks", "MANIFEST.json", LOOKALIKES}
        )
        if root.is_dir()
        else []
    )
    if foreign:
        raise FileExistsError(
            f"{root} holds other files ({', '.join(foreign[:5])}); give ensure_monsters an "
            "empty or new folder"
        )
    root.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{root.name}-", dir=root.parent))
    try:
        settings = {k: v for k, v in _DEFAULTS.items() if k != "version"}
        make_monsters(tmp, **settings)
        (tmp / "MANIFEST.json").write_text(json.dumps(_DEFAULTS))
        if _is_current(root):  # another process finished first
            return root
        if root.exists():
            old = root.with_name(f".{root.name}-old-{os.getpid()}")
            root.rename(old)
            shutil.rmtree(old, ignore_errors=True)
        try:
            tmp.rename(root)
        except OSError:
            if not _is_current(root):
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return root


def _is_current(root: Path) -> bool:
    manifest = root / "MANIFEST.json"
    try:
        return json.loads(manifest.read_text()) == _DEFAULTS
    except (OSError, ValueError):
        return False


# --------------------------------------------------------------------------- loading


def composite_loader(path: str | Path, background: tuple[int, int, int] = BACKGROUND):
    """The fix: open an image and composite any transparency onto one ``background`` colour.

    Images without alpha are returned as RGB unchanged.

    Examples
    --------
    >>> root = ensure_monsters()
    >>> img = composite_loader(next((root / "test" / "pokemon").glob("*.png")))
    >>> img.mode, img.getpixel((0, 0))
    ('RGB', (255, 255, 255))
    """
    from PIL import Image

    with open(path, "rb") as f:
        img = Image.open(f)
        img.load()
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        bg = Image.new("RGBA", rgba.size, (*background, 255))
        return Image.alpha_composite(bg, rgba).convert("RGB")
    return img.convert("RGB")


def _transform(size: int):
    import torchvision.transforms as T

    return T.Compose([T.Resize((size, size), antialias=True), T.ToTensor()])


def leaky_dataset(root: str | Path, split: str = "train", size: int = IMAGE_SIZE):
    """``torchvision.datasets.ImageFolder`` with its **default loader** — the loading the lecture's
    model got.

    PIL's ``convert("RGB")`` drops the alpha channel of the Pokémon PNGs and keeps the black RGB
    that lay under the transparency.

    Examples
    --------
    >>> ds = leaky_dataset(ensure_monsters(), "test")
    >>> ds.classes, ds[0][0].shape
    (['digimon', 'pokemon'], torch.Size([3, 48, 48]))
    """
    from torchvision.datasets import ImageFolder

    return ImageFolder(str(_split_dir(root, split)), transform=_transform(size))


def fixed_dataset(
    root: str | Path,
    split: str = "train",
    size: int = IMAGE_SIZE,
    background: tuple[int, int, int] = BACKGROUND,
):
    """``ImageFolder`` whose loader composites every image onto one background
    (:func:`composite_loader`).

    Examples
    --------
    >>> ds = fixed_dataset(ensure_monsters(), "test")
    >>> float(ds[-1][0][:, 0, 0].min())  # a Pokémon's corner: white, not black
    1.0
    """
    from torchvision.datasets import ImageFolder

    return ImageFolder(
        str(_split_dir(root, split)),
        loader=lambda p: composite_loader(p, background),
        transform=_transform(size),
    )


def _split_dir(root, split: str) -> Path:
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    d = Path(root) / split
    if not d.is_dir():
        raise FileNotFoundError(
            f"{d} does not exist: expected <root>/{split}/pokemon and "
            f"<root>/{split}/digimon (see ensure_monsters)"
        )
    found = sorted(p.name for p in d.iterdir() if p.is_dir())
    if found != list(CLASSES):
        raise ValueError(f"{d} must hold exactly the class folders {list(CLASSES)}, found {found}")
    return d


def _derive_mask(path: Path):
    """Foreground mask of an image without a mask file: alpha if it has one, else 'differs from the
    border colour'."""
    from PIL import Image

    img = Image.open(path)
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        return img.convert("RGBA").getchannel("A")
    a = np.asarray(img.convert("RGB"), dtype=np.float32)
    border = np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]])
    bg = np.median(border, axis=0)
    return Image.fromarray(((np.abs(a - bg).max(-1) > 24) * 255).astype(np.uint8), "L")


@dataclass(frozen=True)
class MonsterSplit:
    """A split as tensors: ``X`` (N, 3, S, S) float in [0, 1], ``y`` (N,) int64 (0 digimon, 1
    pokemon), ``masks`` (N, S, S) bool (True on the creature), ``paths`` the files, ``lookalike``
    (N,) bool (True where the creature was drawn in the other class's style; ``None`` when the data
    set does not say, e.g. the real images)."""

    X: torch.Tensor
    y: torch.Tensor
    masks: torch.Tensor
    paths: tuple[str, ...]
    lookalike: torch.Tensor | None = None

    def __repr__(self) -> str:
        n_p = int(self.y.sum())
        return (
            f"MonsterSplit({len(self.y)} images: {n_p} pokemon, {len(self.y) - n_p} digimon; "
            f"shape {tuple(self.X.shape[1:])})"
        )


def load_split(
    root: str | Path, split: str = "test", fixed: bool = False, size: int = IMAGE_SIZE
) -> MonsterSplit:
    """Load a split through the leaky (default) or the fixed loader, with the foreground masks.

    Masks come from ``<root>/masks/<split>/<class>/<stem>.png`` (resized like the images,
    foreground where ≥ 50 %), or are derived when missing (alpha channel, else border colour).
    ``lookalike`` comes from ``<root>/lookalikes.txt`` (:data:`LOOKALIKES`) when the data set has
    one.

    Examples
    --------
    >>> s = load_split(ensure_monsters(), "test")
    >>> s.X.shape[1:], s.masks.dtype, s.lookalike.dtype
    (torch.Size([3, 48, 48]), torch.bool, torch.bool)
    """
    from PIL import Image

    size = check_positive_int(size, "size", minimum=8)
    ds = fixed_dataset(root, split, size) if fixed else leaky_dataset(root, split, size)
    xs, masks = [], []
    for path, label in ds.samples:
        xs.append(ds.transform(ds.loader(path)))
        p = Path(path)
        mfile = Path(root) / "masks" / split / CLASSES[label] / f"{p.stem}.png"
        m = Image.open(mfile).convert("L") if mfile.exists() else _derive_mask(p)
        m = m.resize((size, size), Image.BILINEAR)
        masks.append(torch.from_numpy(np.asarray(m) >= 128))
    y = torch.tensor([label for _, label in ds.samples], dtype=torch.long)
    listed = Path(root) / LOOKALIKES
    lookalike = None
    if listed.is_file():
        names = set(listed.read_text().split())
        lookalike = torch.tensor(
            [f"{split}/{CLASSES[label]}/{Path(p).name}" in names for p, label in ds.samples]
        )
    return MonsterSplit(
        torch.stack(xs), y, torch.stack(masks), tuple(p for p, _ in ds.samples), lookalike
    )


def image_groups(split: MonsterSplit) -> dict[str, list[int]]:
    """Indices of a split's images by class and file type, and by look-alike when the data set lists
    them.

    Keys like ``"pokemon · PNG"``, ``"digimon · JPEG"``, ``"digimon · PNG"`` (the few Digimon stored
    like the Pokémon) and, for the generated data, ``"pokemon · look-alike"`` and ``"digimon ·
    look-alike"`` (drawn in the other class's style). Empty groups are left out. Used by notebook
    02's explorer.

    Parameters
    ----------
    split : MonsterSplit
        From :func:`load_split`.

    Returns
    -------
    dict of str to list of int
        Group name → indices into ``split`` (ascending).

    Examples
    --------
    >>> groups = image_groups(load_split(ensure_monsters(), "test"))
    >>> sorted(groups)[:3]
    ['digimon · JPEG', 'digimon · PNG', 'digimon · look-alike']
    >>> len(groups["pokemon · PNG"])
    200
    """
    if not isinstance(split, MonsterSplit):
        raise TypeError(
            f"split must be a MonsterSplit (from load_split), got {type(split).__name__}"
        )
    kinds = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}
    groups: dict[str, list[int]] = {}
    for i, (path, label) in enumerate(zip(split.paths, split.y.tolist())):
        groups.setdefault(
            f"{CLASSES[label]} · {kinds.get(Path(path).suffix.lower(), Path(path).suffix)}", []
        ).append(i)
    if split.lookalike is not None:
        for k, cls in enumerate(CLASSES):
            found = torch.nonzero((split.y == k) & split.lookalike).flatten().tolist()
            if found:
                groups[f"{cls} · look-alike"] = found
    return groups


def load_test_set(
    fixed: bool = False, root: str | Path | None = None, size: int = IMAGE_SIZE
) -> MonsterSplit:
    """The test split of the course's data set (generated on first use) with its foreground masks.

    ``fixed=False``: as the leaky model saw it (Pokémon on black); ``True``: composited on white.

    Examples
    --------
    >>> test = load_test_set()
    >>> len(test.y), test.X.shape[1:]
    (400, torch.Size([3, 48, 48]))
    """
    return load_split(ensure_monsters(root), "test", fixed=fixed, size=size)


def split_real_folders(
    pokemon_dir: str | Path,
    digimon_dir: str | Path,
    root: str | Path,
    test_fraction: float = 0.2,
    seed: int = 0,
) -> Path:
    """Copy two flat folders of real images into the course's layout
    ``<root>/{train,test}/{pokemon,digimon}``.

    The split is random (seeded) and stratified by class. Masks are derived at load time.

    Examples
    --------
    >>> import tempfile
    >>> src = ensure_monsters() / "test"
    >>> root = split_real_folders(src / "pokemon", src / "digimon", tempfile.mkdtemp())
    >>> len(list((root / "test" / "pokemon").iterdir()))
    40
    """
    test_fraction = check_fraction(test_fraction, "test_fraction", 0.0, 0.9)
    root = Path(root)
    for ci, (kind, src) in enumerate(
        (("pokemon", Path(pokemon_dir)), ("digimon", Path(digimon_dir)))
    ):
        if not src.is_dir():
            raise FileNotFoundError(f"{kind} folder {src} does not exist")
        files = sorted(p for p in src.iterdir() if p.suffix.lower() in _IMG_EXT)
        if len(files) < 2:
            raise ValueError(f"{src} holds {len(files)} image(s) (.png/.jpg); need at least 2")
        order = np.random.default_rng([seed, ci]).permutation(len(files))
        n_test = max(1, int(round(len(files) * test_fraction))) if test_fraction > 0 else 0
        for rank, idx in enumerate(order):
            dst = root / ("test" if rank < n_test else "train") / kind
            dst.mkdir(parents=True, exist_ok=True)
            shutil.copy2(files[idx], dst / files[idx].name)
    return root


def _check(x: torch.Tensor, masks: torch.Tensor) -> None:
    if not isinstance(x, torch.Tensor) or x.ndim != 4 or x.shape[1] != 3:
        raise ValueError(
            f"x must be a float tensor (N, 3, H, W), got {getattr(x, 'shape', type(x))}"
        )
    if (
        not isinstance(masks, torch.Tensor)
        or masks.dtype != torch.bool
        or masks.shape != x[:, 0].shape
    ):
        raise ValueError(
            f"masks must be a bool tensor {tuple(x[:, 0].shape)},"
            f" got {getattr(masks, 'shape', masks)}"
        )


def on_grey(x: torch.Tensor, masks: torch.Tensor, level: float) -> torch.Tensor:
    """The creatures (``masks`` True) untouched, the background painted the grey ``level``
    (0 black, 1 white).

    Examples
    --------
    >>> on_grey(torch.ones(1, 3, 2, 2), torch.tensor([[[True, False], [False, False]]]), 0.3)[0, 0]
    tensor([[1.0000, 0.3000],
            [0.3000, 0.3000]])
    """
    _check(x, masks)
    if not 0.0 <= float(level) <= 1.0:
        raise ValueError(f"level must be in [0, 1], got {level}")
    m = masks[:, None].float()
    return x * m + float(level) * (1 - m)


def scale_creature(x: torch.Tensor, masks: torch.Tensor, factor: float) -> torch.Tensor:
    """Creature pixels times ``factor`` (clipped to [0, 1]), background untouched.

    Examples
    --------
    >>> scale_creature(torch.full((1, 3, 1, 2), 0.5), torch.tensor([[[True, False]]]), 0.6)[0, 0]
    tensor([[0.3000, 0.5000]])
    """
    _check(x, masks)
    m = masks[:, None].float()
    return x * (1 - m) + (x * factor).clamp(0, 1) * m


def hue_rotate(x: torch.Tensor, masks: torch.Tensor, steps: int = 1) -> torch.Tensor:
    """Rotate the creature's hue by ``steps`` × 120° (R → G → B), background untouched.

    A 120° rotation about the grey axis permutes the colour channels, so every pixel keeps its
    brightness (HSV value max(R, G, B) and the mean of R, G, B) exactly while its colour changes.

    Examples
    --------
    >>> x = torch.tensor([0.9, 0.2, 0.1]).reshape(1, 3, 1, 1)
    >>> hue_rotate(x, torch.ones(1, 1, 1, dtype=torch.bool)).flatten().tolist()
    [0.10000000149011612, 0.8999999761581421, 0.20000000298023224]
    """
    _check(x, masks)
    m = masks[:, None].float()
    return x * (1 - m) + torch.roll(x, shifts=int(steps), dims=1) * m


def low_contrast(x: torch.Tensor, masks: torch.Tensor, amount: float = 0.5) -> torch.Tensor:
    """Move each creature pixel ``amount`` of the way to the creature's mean colour (background
    untouched): less contrast inside the creature, its mean brightness kept.

    Examples
    --------
    >>> x = torch.tensor([[[[0.2, 0.6, 0.9]]]]).expand(1, 3, 1, 3)
    >>> low_contrast(x, torch.tensor([[[True, True, False]]]), 0.5)[0, 0, 0].tolist()
    [0.30000001192092896, 0.5, 0.8999999761581421]
    """
    _check(x, masks)
    m = masks[:, None].float()
    mean = (x * m).sum((2, 3), keepdim=True) / m.sum((2, 3), keepdim=True).clamp_min(1)
    return x * (1 - m) + (x + float(amount) * (mean - x)) * m


def desaturate(x: torch.Tensor, masks: torch.Tensor, amount: float = 0.5) -> torch.Tensor:
    """Scale the creature's HSV saturation by ``1 - amount``, its HSV value max(R, G, B) kept.

    Examples
    --------
    >>> x = torch.tensor([0.8, 0.4, 0.0]).reshape(1, 3, 1, 1)
    >>> desaturate(x, torch.ones(1, 1, 1, dtype=torch.bool), 0.5).flatten().tolist()
    [0.800000011920929, 0.6000000238418579, 0.4000000059604645]
    """
    _check(x, masks)
    m = masks[:, None].float()
    v = x.max(1, keepdim=True).values
    return x * (1 - m) + (v - (v - x) * (1 - float(amount))) * m


def blur_creature(x: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """A 3×3 box blur of the image, pasted over the creature only (background untouched).

    Examples
    --------
    >>> x = torch.zeros(1, 3, 3, 3); x[..., 1, 1] = 0.9
    >>> round(blur_creature(x, torch.ones(1, 3, 3, dtype=torch.bool))[0, 0, 1, 1].item(), 3)
    0.1
    """
    _check(x, masks)
    m = masks[:, None].float()
    blurred = torch.nn.functional.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False)
    return x * (1 - m) + blurred * m


def shrink_creature(
    x: torch.Tensor, masks: torch.Tensor, factor: float = 0.8, antialias: bool = True
) -> torch.Tensor:
    """Shrink the whole image by ``factor`` about its centre (bilinear with antialiasing, which
    averages neighbouring pixels and so lowers the creature's contrast; ``antialias=False``:
    nearest neighbour, which keeps every pixel's colour) and pad it with the image's corner colour:
    a smaller creature on the same background.

    Examples
    --------
    >>> shrink_creature(torch.ones(1, 3, 10, 10), torch.ones(1, 10, 10, dtype=torch.bool)).shape
    torch.Size([1, 3, 10, 10])
    """
    _check(x, masks)
    h, w = x.shape[-2:]
    sh, sw = max(1, round(h * float(factor))), max(1, round(w * float(factor)))
    if antialias:
        small = torch.nn.functional.interpolate(x, size=(sh, sw), mode="bilinear", antialias=True)
    else:
        small = torch.nn.functional.interpolate(x, size=(sh, sw), mode="nearest")
    out = x[:, :, :1, :1].expand(-1, -1, h, w).clone()
    top, left = (h - sh) // 2, (w - sw) // 2
    out[:, :, top : top + sh, left : left + sw] = small.clamp(0, 1)
    return out


def shift_creature(x: torch.Tensor, masks: torch.Tensor, dx: int = 2) -> torch.Tensor:
    """Shift the whole image ``dx`` pixels to the right (left for ``dx`` < 0) and fill the strip
    it uncovers with the image's corner colour: the same creature, a little moved.

    Examples
    --------
    >>> x = torch.zeros(1, 3, 1, 4); x[..., 1] = 1.0
    >>> shift_creature(x, torch.ones(1, 1, 4, dtype=torch.bool), 2)[0, 0, 0].tolist()
    [0.0, 0.0, 0.0, 1.0]
    """
    _check(x, masks)
    dx = int(dx)
    out = torch.roll(x, dx, dims=-1)
    if dx > 0:
        out[..., :dx] = x[..., :1, :1]
    elif dx < 0:
        out[..., dx:] = x[..., :1, :1]
    return out


def mirror_creature(x: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """Mirror the image left to right (the creature faces the other way).

    Examples
    --------
    >>> x = torch.arange(3.0).reshape(1, 1, 1, 3).expand(1, 3, 1, 3)
    >>> mirror_creature(x, torch.ones(1, 1, 3, dtype=torch.bool))[0, 0, 0].tolist()
    [2.0, 1.0, 0.0]
    """
    _check(x, masks)
    return x.flip(-1)


def _scaled(factor: float):
    return lambda x, masks: scale_creature(x, masks, factor)


#: Edits of the creatures in four families, each ``name -> edit(x, masks)`` (notebook 02,
#: section 7). The drawing code (:func:`draw_monster`) draws Pokémon brighter (HSV value 0.75–1.0
#: vs 0.45–0.9) and more saturated (0.5–0.95 vs 0.3–0.8): *toward digimon* moves a creature along
#: those differences to the Digimon side, *toward pokemon* the reverse. *Contrast, size* edits
#: lower contrast (a class cue the drawing makes as a by-product: brighter Pokémon bodies against
#: the same dark outline give them more contrast), blur or shrink. *Style-preserving* edits
#: change what both classes draw alike (hue, facing direction, position): the null.
EDIT_FAMILIES = {
    "toward digimon": {
        "darken ×0.85": _scaled(0.85),
        "darken ×0.6": _scaled(0.6),
        "desaturate ½": lambda x, m: desaturate(x, m, 0.5),
    },
    "toward pokemon": {"brighten ÷0.85": _scaled(1 / 0.85), "brighten ÷0.6": _scaled(1 / 0.6)},
    "contrast, size": {
        "low contrast": lambda x, m: low_contrast(x, m, 0.5),
        "blur 3×3": blur_creature,
        "shrink 0.8×": lambda x, m: shrink_creature(x, m, 0.8),
    },
    "style-preserving": {
        "hue +120°": lambda x, m: hue_rotate(x, m, 1),
        "hue +240°": lambda x, m: hue_rotate(x, m, 2),
        "mirror": mirror_creature,
        "shift +2 px": lambda x, m: shift_creature(x, m, 2),
        "shift −2 px": lambda x, m: shift_creature(x, m, -2),
    },
}


def enlarge_creature(x: torch.Tensor, masks: torch.Tensor, factor: float = 1.1) -> torch.Tensor:
    """Enlarge the whole image by ``factor`` ≥ 1 about its centre (bilinear) and crop it back to
    its size: a larger creature on the same background (the opposite of :func:`shrink_creature`).

    Examples
    --------
    >>> x = torch.zeros(1, 3, 10, 10); x[..., 4:6, 4:6] = 1.0
    >>> m = torch.ones(1, 10, 10, dtype=torch.bool)
    >>> int((enlarge_creature(x, m, 2.0)[0, 0] > 0.5).sum()) > int((x[0, 0] > 0.5).sum())
    True
    """
    _check(x, masks)
    if not float(factor) >= 1.0:
        raise ValueError(f"factor must be ≥ 1 (shrink_creature shrinks), got {factor}")
    h, w = x.shape[-2:]
    bh, bw = max(h, round(h * float(factor))), max(w, round(w * float(factor)))
    big = torch.nn.functional.interpolate(x, size=(bh, bw), mode="bilinear", antialias=True)
    top, left = (bh - h) // 2, (bw - w) // 2
    return big[:, :, top : top + h, left : left + w].clamp(0, 1).contiguous()


def sharpen_creature(x: torch.Tensor, masks: torch.Tensor, amount: float = 1.0) -> torch.Tensor:
    """Unsharp masking of the creature (background untouched): x + amount · (x − 3×3 box blur),
    clipped to [0, 1] (the opposite of :func:`blur_creature`).

    Examples
    --------
    >>> x = torch.zeros(1, 3, 3, 3); x[..., 1, 1] = 0.5
    >>> round(sharpen_creature(x, torch.ones(1, 3, 3, dtype=torch.bool))[0, 0, 1, 1].item(), 3)
    0.944
    """
    blurred = blur_creature(x, masks)  # checks x and masks; the blur on the creature
    m = masks[:, None].float()
    return x * (1 - m) + (x + float(amount) * (x - blurred)).clamp(0, 1) * m


def creature_value_saturation(x: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """Each creature's mean HSV value (brightness) and mean HSV saturation over its mask: the two
    numbers along which :func:`draw_monster` draws the classes apart. Returns (N, 2).

    Examples
    --------
    >>> x = torch.tensor([0.8, 0.4, 0.4]).view(1, 3, 1, 1).expand(1, 3, 2, 2)
    >>> creature_value_saturation(x, torch.ones(1, 2, 2, dtype=torch.bool)).tolist()
    [[0.800000011920929, 0.5]]
    """
    _check(x, masks)
    if not masks.flatten(1).any(1).all():
        raise ValueError("every mask must hold at least one creature pixel")
    hi, lo = x.amax(1), x.amin(1)
    sat = (hi - lo) / hi.clamp_min(1e-6)
    area = masks.sum((1, 2))
    return torch.stack([(hi * masks).sum((1, 2)) / area, (sat * masks).sum((1, 2)) / area], 1)


def creature_features(x: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """Four hand-made numbers per creature, one for each difference :func:`draw_monster` draws in
    by colour or size: mean HSV value and saturation (:func:`creature_value_saturation`), the spread
    (standard deviation) of HSV value over the creature (the belly, drawn lighter on Pokémon and
    darker on Digimon, and the other colours' contrast), and the creature's area (share of the
    frame). Returns (N, 4).

    Examples
    --------
    >>> x = torch.tensor([0.8, 0.4, 0.4]).view(1, 3, 1, 1).expand(1, 3, 2, 2)
    >>> m = torch.tensor([[[True, True], [False, False]]])
    >>> [round(v, 3) for v in creature_features(x, m)[0].tolist()]
    [0.8, 0.5, 0.0, 0.5]
    """
    vs = creature_value_saturation(x, masks)  # checks x and masks
    v, area = x.amax(1), masks.sum((1, 2)).float()
    spread = ((((v - vs[:, 0].view(-1, 1, 1)) ** 2) * masks).sum((1, 2)) / area).sqrt()
    return torch.cat([vs, spread[:, None], (area / masks[0].numel())[:, None]], 1)


#: Off-distribution edits in the other direction (larger, sharper): the matched null of notebook
#: 02's blur and shrink, ``name -> edit(x, masks)``.
OPPOSITE_EDITS = {
    "enlarge 1.1×": lambda x, m: enlarge_creature(x, m, 1.1),
    "enlarge 1.25×": lambda x, m: enlarge_creature(x, m, 1.25),
    "sharpen": sharpen_creature,
}


def keep_contrast(edited: torch.Tensor, x: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """``edited`` with each creature's per-channel spread about its mean colour set back to the
    spread it has in ``x`` (mean colour of ``edited`` kept, clipped to [0, 1]; background of
    ``edited`` untouched): an edit with its loss of contrast undone. A control for a blur only
    (notebook 02): on edits that change the colours or the creature's shape (a hue rotation, a
    shrink, whose mask no longer fits) restoring the per-channel spread is itself an edit.

    Examples
    --------
    >>> x = torch.tensor([0.2, 0.8]).view(1, 1, 1, 2).expand(1, 3, 1, 2)
    >>> m = torch.ones(1, 1, 2, dtype=torch.bool)
    >>> [round(v, 4) for v in keep_contrast(low_contrast(x, m, 0.5), x, m)[0, 0, 0].tolist()]
    [0.2, 0.8]
    """
    _check(x, masks)
    _check(edited, masks)
    m = masks[:, None].float()
    n = m.sum((2, 3), keepdim=True).clamp_min(1)
    mu0, mu1 = (x * m).sum((2, 3), keepdim=True) / n, (edited * m).sum((2, 3), keepdim=True) / n
    s0 = (((x - mu0) ** 2) * m).sum((2, 3), keepdim=True).sqrt()
    s1 = (((edited - mu1) ** 2) * m).sum((2, 3), keepdim=True).sqrt()
    restored = (mu1 + (edited - mu1) * s0 / s1.clamp_min(1e-6)).clamp(0, 1)
    return edited * (1 - m) + restored * m


#: Matched controls of notebook 02's blur and shrink, ``name -> edit(x, masks)``: the same blur
#: with each creature's contrast restored (:func:`keep_contrast`), and the same shrink by nearest
#: neighbour (no averaging of pixels, so no loss of contrast).
CONTROL_EDITS = {
    "blur, contrast kept": lambda x, m: keep_contrast(blur_creature(x, m), x, m),
    "shrink 0.8× nearest": lambda x, m: shrink_creature(x, m, 0.8, antialias=False),
}


def file_counts(root: str | Path) -> dict[tuple[str, str], dict[str, int]]:
    """How many files of each suffix every split and class folder under ``root`` holds.

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> for name in ("train/pokemon/a.png", "train/digimon/b.jpg", "train/digimon/c.png"):
    ...     (d / name).parent.mkdir(parents=True, exist_ok=True); (d / name).touch()
    >>> file_counts(d)[("train", "digimon")]
    {'.jpg': 1, '.png': 1}
    """
    out = {}
    for split in ("train", "test"):
        for cls in CLASSES:
            folder = Path(root) / split / cls
            suffixes = [f.suffix for f in folder.iterdir()] if folder.exists() else []
            out[split, cls] = {s: suffixes.count(s) for s in sorted(set(suffixes))}
    return out


def jpeg_roundtrip(x: torch.Tensor, quality: int = 75) -> torch.Tensor:
    """Each image of ``x`` (N, 3, H, W) in [0, 1] saved as a JPEG of ``quality`` and read back, as
    a file re-saved in the other class's format would be.

    Examples
    --------
    >>> x = torch.rand(2, 3, 16, 16)
    >>> y = jpeg_roundtrip(x, 90)
    >>> y.shape == x.shape and bool((y - x).abs().max() > 0)  # lossy
    True
    >>> bool((jpeg_roundtrip(torch.ones(1, 3, 8, 8)) == 1).all())  # flat white survives
    True
    """
    from PIL import Image

    check_positive_int(quality, "quality")
    out = []
    for img in x.detach().cpu():
        a = (img.clamp(0, 1).permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
        buf = io.BytesIO()
        Image.fromarray(a).save(buf, "JPEG", quality=int(quality))
        buf.seek(0)
        b = np.array(Image.open(buf).convert("RGB"), dtype=np.float32) / 255
        out.append(torch.from_numpy(b).permute(2, 0, 1))
    return torch.stack(out).to(x.device)
