"""xai_helpers.data.monsters: the generated files reproduce the leak in torchvision's real loader,
the fix removes it."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from xai_helpers.data import monsters as M


@pytest.fixture(scope="module")
def small_root(tmp_path_factory):
    return M.make_monsters(
        tmp_path_factory.mktemp("monsters"),
        n_per_class=12,
        seed=3,
        test_fraction=0.25,
        digimon_png_fraction=0.2,
    )


def _files(root, split, cls):
    return sorted((root / split / cls).iterdir())


def test_layout_and_formats(small_root):
    for split, n in (("train", 9), ("test", 3)):
        assert sorted(p.name for p in (small_root / split).iterdir()) == ["digimon", "pokemon"]
        pk, dg = _files(small_root, split, "pokemon"), _files(small_root, split, "digimon")
        assert len(pk) == len(dg) == n
        assert all(p.suffix == ".png" and Image.open(p).mode == "RGBA" for p in pk)
        for p in dg:
            assert (p.suffix, Image.open(p).mode) in {(".jpg", "RGB"), (".png", "RGBA")}
            assert Image.open(p).format == ("JPEG" if p.suffix == ".jpg" else "PNG")
    all_dg = _files(small_root, "train", "digimon") + _files(small_root, "test", "digimon")
    assert any(p.suffix == ".jpg" for p in all_dg)


def test_sizes_and_transparency(small_root):
    for p in _files(small_root, "train", "pokemon"):
        a = np.asarray(Image.open(p))
        assert a.shape[0] == a.shape[1] and 64 <= a.shape[0] <= 128
        bg = a[..., 3] == 0
        assert 0.3 < bg.mean() < 0.95  # a creature on a transparent background
        assert (a[bg][:, :3] == 0).all()  # black RGB under alpha 0, as in the Kaggle PNGs


def test_deterministic(tmp_path):
    a = M.make_monsters(tmp_path / "a", n_per_class=3, seed=7)
    b = M.make_monsters(tmp_path / "b", n_per_class=3, seed=7)
    c = M.make_monsters(tmp_path / "c", n_per_class=3, seed=8)
    fa = sorted(p.relative_to(a) for p in a.rglob("*.*"))
    assert fa == sorted(p.relative_to(b) for p in b.rglob("*.*"))
    assert all((a / f).read_bytes() == (b / f).read_bytes() for f in fa)
    assert any((a / f).read_bytes() != (c / f).read_bytes() for f in fa if (c / f).exists())


def test_leaky_loader_is_torchvision_default(small_root):
    from torchvision.datasets import ImageFolder
    from torchvision.datasets.folder import default_loader

    ds = M.leaky_dataset(small_root, "train")
    assert isinstance(ds, ImageFolder) and ds.loader is default_loader
    assert ds.classes == list(M.CLASSES)
    x, label = ds[len(ds) - 1]  # a Pokémon: black corners after loading
    assert label == 1 and x.shape == (3, M.IMAGE_SIZE, M.IMAGE_SIZE)
    assert x[:, 0, 0].tolist() == [0.0, 0.0, 0.0]


def test_fixed_loader_composites_onto_one_background(small_root):
    split = M.load_split(small_root, "train", fixed=True)
    corners = split.X[:, :, [0, 0, -1, -1], [0, -1, 0, -1]]
    assert torch.allclose(corners, torch.ones_like(corners))  # every image, both classes, on white
    leaky = M.load_split(small_root, "train", fixed=False)
    pk = leaky.y == 1
    assert (leaky.X[pk][:, :, 0, 0] == 0).all()  # Pokémon on black after the default loader
    jpg = torch.tensor([q.endswith(".jpg") for q in leaky.paths])
    assert (leaky.X[jpg][:, :, 0, 0] > 0.95).all()  # JPEG Digimon on white
    # on the creature the two loaders agree (up to JPEG/antialiasing at the outline)
    inner = split.masks & leaky.masks
    assert (split.X - leaky.X).abs().permute(1, 0, 2, 3)[:, inner].mean() < 0.05


def test_composite_loader_matches_formula(small_root):
    p = _files(small_root, "train", "pokemon")[0]
    rgba = np.asarray(Image.open(p)).astype(np.float64)
    a = rgba[..., 3:] / 255
    expected = rgba[..., :3] * a + 255 * (1 - a)
    got = np.asarray(M.composite_loader(p)).astype(np.float64)
    assert np.abs(got - expected).max() <= 1.0


def test_masks_match_alpha(small_root):
    s = M.load_split(small_root, "test", size=32)
    assert s.masks.shape == (len(s.y), 32, 32) and s.masks.dtype == torch.bool
    frac = s.masks.float().mean((1, 2))
    assert ((frac > 0.05) & (frac < 0.7)).all()
    # a Pokémon's mask is where its (resized) alpha is at least one half
    i = int(torch.nonzero(s.y == 1)[0])
    alpha = Image.open(s.paths[i]).getchannel("A").resize((32, 32), Image.BILINEAR)
    assert torch.equal(s.masks[i], torch.from_numpy(np.asarray(alpha) >= 128))


def test_lookalikes_are_listed_and_drawn_in_the_other_style(tmp_path):
    """lookalike_fraction of each class is drawn in the other class's style; the file keeps its
    class's format."""
    root = M.make_monsters(
        tmp_path / "l", n_per_class=40, seed=5, test_fraction=0.25, lookalike_fraction=0.5
    )
    listed = (root / M.LOOKALIKES).read_text().split()
    assert 10 <= len(listed) <= 70  # about half of 80
    assert all((root / f).is_file() for f in listed)
    s = M.load_split(root, "train")
    assert s.lookalike.dtype == torch.bool and s.lookalike.shape == s.y.shape
    assert int(s.lookalike.sum()) == sum(f.startswith("train/") for f in listed)
    # the same random stream, with the style drawn: a look-alike is the other class's drawing of the
    # same state
    none = M.make_monsters(tmp_path / "n", n_per_class=4, seed=5, lookalike_fraction=0.0)
    assert (none / M.LOOKALIKES).read_text() == ""
    assert M.load_split(none, "train").lookalike.sum() == 0
    with pytest.raises(ValueError, match="lookalike_fraction"):
        M.make_monsters(tmp_path / "bad", n_per_class=4, lookalike_fraction=0.7)


def test_lookalikes_differ_in_style(tmp_path):
    """Drawn in the other style, a creature takes that style's brightness: Pokémon look-alikes are
    darker than typical Pokémon, Digimon look-alikes brighter than typical Digimon (style by
    drawing, not by label)."""
    root = M.make_monsters(
        tmp_path, n_per_class=100, seed=2, test_fraction=0.1, lookalike_fraction=0.3
    )
    s = M.load_split(root, "train", fixed=True)
    bright = (s.X * s.masks[:, None]).sum((1, 2, 3)) / s.masks.sum((1, 2)) / 3
    mean = {
        (k, look): bright[(s.y == k) & (s.lookalike == look)].mean()
        for k in (0, 1)
        for look in (False, True)
    }
    assert mean[1, False] > mean[0, False] + 0.04  # typical Pokémon brighter than typical Digimon
    assert mean[1, True] < mean[1, False] and mean[0, True] > mean[0, False]


def test_image_groups(small_root):
    s = M.load_split(small_root, "test")
    groups = M.image_groups(s)
    by_type = [g for name, g in groups.items() if "look-alike" not in name]
    assert sorted(i for g in by_type for i in g) == list(
        range(len(s.y))
    )  # every image in exactly one class · type group
    for name, g in groups.items():
        cls = name.split(" · ")[0]
        assert all(M.CLASSES[int(s.y[i])] == cls for i in g)
        if name.endswith("PNG"):
            assert all(s.paths[i].endswith(".png") for i in g)
        if name.endswith("look-alike"):
            assert all(bool(s.lookalike[i]) for i in g)
    assert all(len(g) > 0 for g in groups.values())
    with pytest.raises(TypeError, match="MonsterSplit"):
        M.image_groups(s.X)


def test_real_folder_layout(tmp_path, small_root):
    """Flat folders like the downloaded Kaggle / GitHub images → the course's layout, masks
    derived."""
    pk_dir, dg_dir = tmp_path / "pokemon_png", tmp_path / "digimon_raw"
    pk_dir.mkdir()
    dg_dir.mkdir()
    for p in _files(small_root, "train", "pokemon"):
        (pk_dir / p.name.replace("pokemon_", "")).write_bytes(p.read_bytes())
    for p in _files(small_root, "train", "digimon"):
        (dg_dir / p.name).write_bytes(p.read_bytes())
    (dg_dir / "notes.txt").write_text("not an image")
    root = M.split_real_folders(pk_dir, dg_dir, tmp_path / "real", test_fraction=0.3, seed=0)
    s = M.load_split(root, "test")
    assert len(s.y) == 3 + 3 and s.y.tolist().count(1) == 3
    assert not (root / "masks").exists()
    frac = s.masks.float().mean((1, 2))
    assert (
        (frac > 0.05) & (frac < 0.8)
    ).all()  # derived masks find the creature (alpha, or border colour)
    tr = M.load_split(root, "train", fixed=True)
    assert len(tr.y) == 12


def test_bad_input(tmp_path, small_root):
    with pytest.raises(ValueError, match="kind"):
        M.draw_monster(np.random.default_rng(0), "agumon", 64)
    with pytest.raises(ValueError, match="n_per_class"):
        M.make_monsters(tmp_path, n_per_class=1)
    with pytest.raises(ValueError, match="split"):
        M.load_split(small_root, "valid")
    with pytest.raises(FileNotFoundError, match="train"):
        M.load_split(tmp_path / "nothing", "train")
    (tmp_path / "odd" / "train" / "cats").mkdir(parents=True)
    with pytest.raises(ValueError, match="class folders"):
        M.leaky_dataset(tmp_path / "odd", "train")
    with pytest.raises(FileNotFoundError):
        M.split_real_folders(tmp_path / "none", tmp_path / "none", tmp_path / "out")


def test_leaky_model_uses_the_background(small_root):
    """The shipped leaky model decides by the background colour; the fixed one does not."""
    from xai_helpers.models import load_pretrained, predict_proba

    leaky, fixed = load_pretrained("monsters_leaky"), load_pretrained("monsters_fixed")
    blank = torch.stack([torch.zeros(3, 48, 48), torch.ones(3, 48, 48)])
    p = predict_proba(leaky, blank)
    assert p[0, 1] > 0.7 and p[1, 0] > 0.9  # black -> pokemon, white -> digimon
    s = M.load_split(small_root, "train", fixed=True)  # fresh creatures (another seed), on white
    dg = s.y == 0
    on_black = s.X[dg] * s.masks[dg, None]
    assert (predict_proba(leaky, on_black).argmax(1) == 1).float().mean() >= 0.9
    assert (predict_proba(leaky, s.X[dg]).argmax(1) == 0).float().mean() >= 0.9
    assert (predict_proba(fixed, on_black).argmax(1) == 1).float().mean() <= 0.5


def _creature_batch(n=3, size=8, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 3, size, size, generator=g)
    masks = torch.zeros(n, size, size, dtype=torch.bool)
    masks[:, 2:6, 2:6] = True
    return x, masks


def test_on_grey_paints_only_the_background():
    x, m = _creature_batch()
    out = M.on_grey(x, m, 0.3)
    assert torch.equal(out[:, :, 2:6, 2:6], x[:, :, 2:6, 2:6])
    assert torch.allclose(out[:, :, 0, 0], torch.full((3, 3), 0.3))
    with pytest.raises(ValueError):
        M.on_grey(x, m, 1.5)
    with pytest.raises(ValueError):
        M.on_grey(x, m.float(), 0.3)


def test_hue_rotate_keeps_brightness_and_changes_colour():
    x, m = _creature_batch()
    out = M.hue_rotate(x, m, 1)
    fg = m[:, None].expand_as(x)
    assert torch.allclose(out.amax(1), x.amax(1)) and torch.allclose(out.mean(1), x.mean(1))
    assert (out - x)[fg].abs().sum() > 0 and torch.equal(out[~fg], x[~fg])
    assert torch.equal(M.hue_rotate(x, m, 3), x)  # three 120° turns: the identity


def test_scale_creature_clips_and_keeps_background():
    x, m = _creature_batch()
    out = M.scale_creature(x, m, 10.0)
    assert out.max() <= 1.0 and torch.equal(out[:, :, 0, 0], x[:, :, 0, 0])


def test_the_style_edits_keep_the_background_and_what_they_promise():
    x, m = _creature_batch()
    fg = m[:, None].expand_as(x)
    lc, ds, bl = M.low_contrast(x, m, 0.5), M.desaturate(x, m, 0.5), M.blur_creature(x, m)
    for out in (lc, ds, bl):
        assert torch.equal(out[~fg], x[~fg]) and (out - x)[fg].abs().sum() > 0
    mean = lambda t: (t * fg).sum((2, 3)) / fg.sum((2, 3))  # noqa: E731
    assert torch.allclose(mean(lc), mean(x), atol=1e-6)  # mean colour kept, spread halved
    assert torch.allclose(ds.amax(1), x.amax(1))  # HSV value kept
    sat = lambda t: (t.amax(1) - t.amin(1)) / t.amax(1)  # noqa: E731
    assert torch.allclose(sat(ds)[m], 0.5 * sat(x)[m], atol=1e-5)
    small = M.shrink_creature(x, m, 0.5)
    assert small.shape == x.shape and torch.equal(small[:, :, 0, 0], x[:, :, 0, 0])
    with pytest.raises(ValueError):
        M.low_contrast(x, m.float())


def test_edit_families_move_the_drawn_style_or_keep_it():
    """Toward digimon lowers brightness or saturation, toward pokemon raises brightness; the
    style-preserving edits keep each image's colour statistics (the null of notebook 02)."""
    x, m = _creature_batch()
    fg = m[:, None].expand_as(x)
    mean = lambda t: (t * fg).sum((1, 2, 3)) / fg.sum((1, 2, 3))  # noqa: E731
    sat = lambda t: ((t.amax(1) - t.amin(1)) / t.amax(1).clamp_min(1e-6))[m].mean()  # noqa: E731
    fams = M.EDIT_FAMILIES
    assert set(fams) == {"toward digimon", "toward pokemon", "contrast, size", "style-preserving"}
    for name, edit in fams["toward digimon"].items():
        out = edit(x, m)
        assert (mean(out) < mean(x) - 1e-3).all() or sat(out) < sat(x) - 1e-3, name
    for name, edit in fams["toward pokemon"].items():
        assert (mean(edit(x, m)) > mean(x)).all(), name
    xw = M.on_grey(x, m, 1.0)  # on white, as the fixed loader delivers them
    for name, edit in fams["style-preserving"].items():
        out = edit(xw, m)
        assert out.shape == x.shape and not torch.equal(out, xw), name
        assert torch.allclose(out.mean((1, 2, 3)), xw.mean((1, 2, 3)), atol=1e-5), name
    x1 = torch.zeros(1, 3, 2, 5)
    x1[..., 2] = 1.0
    m1 = torch.ones(1, 2, 5, dtype=torch.bool)
    assert M.shift_creature(x1, m1, -2)[0, 0, 0].tolist() == [1.0, 0.0, 0.0, 0.0, 0.0]
    assert torch.equal(M.mirror_creature(M.mirror_creature(x1, m1), m1), x1)


def test_opposite_edits_enlarge_sharpen_and_keep_what_they_promise():
    """Enlarge grows a centred square and keeps the size; sharpen raises the creature's local
    contrast and leaves the background alone; the colour features read value and saturation."""
    x = torch.full((2, 3, 20, 20), 1.0)
    x[:, :, 8:12, 8:12] = 0.2
    m = x[:, 0] < 0.5
    big = M.enlarge_creature(x, m, 1.5)
    assert big.shape == x.shape and (big[:, 0] < 0.5).sum() > m.sum()
    with pytest.raises(ValueError, match="factor"):
        M.enlarge_creature(x, m, 0.8)
    xr, mr = _creature_batch()
    sharp = M.sharpen_creature(xr, mr, 1.0)
    fg = mr[:, None].expand_as(xr)
    assert torch.equal(sharp[~fg], xr[~fg]) and sharp.min() >= 0 and sharp.max() <= 1
    blur = lambda t: torch.nn.functional.avg_pool2d(t, 3, 1, 1, count_include_pad=False)  # noqa: E731
    assert ((sharp - blur(sharp)).abs()[fg].mean() > (xr - blur(xr)).abs()[fg].mean()).item()
    assert set(M.OPPOSITE_EDITS) == {"enlarge 1.1×", "enlarge 1.25×", "sharpen"}
    vs = M.creature_value_saturation(xr, mr)
    hi, lo = xr.amax(1), xr.amin(1)
    assert torch.allclose(vs[:, 0], torch.stack([h[k].mean() for h, k in zip(hi, mr)]))
    sat = (hi - lo) / hi
    assert torch.allclose(vs[:, 1], torch.stack([s[k].mean() for s, k in zip(sat, mr)]), atol=1e-6)
    with pytest.raises(ValueError, match="creature pixel"):
        M.creature_value_saturation(xr, torch.zeros_like(mr))


def test_file_counts_match_the_folders(small_root):
    counts = M.file_counts(small_root)
    assert set(counts) == {(s, c) for s in ("train", "test") for c in M.CLASSES}
    assert sum(counts["train", "pokemon"].values()) == len(_files(small_root, "train", "pokemon"))
    assert set(counts["train", "pokemon"]) == {".png"}


def test_jpeg_roundtrip_is_lossy_but_close():
    x = torch.rand(3, 3, 24, 24, generator=torch.Generator().manual_seed(0))
    y = M.jpeg_roundtrip(x, quality=75)
    assert y.shape == x.shape and y.dtype == torch.float32
    assert 0 < (y - x).abs().mean() < 0.3
    assert torch.equal(M.jpeg_roundtrip(torch.zeros(1, 3, 8, 8)), torch.zeros(1, 3, 8, 8))
    with pytest.raises(ValueError):
        M.jpeg_roundtrip(x, quality=0)
