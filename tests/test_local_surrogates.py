"""Tests of xai_helpers.local_surrogates: LIME from scratch vs the lime package, for tables and
images."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from xai_helpers import local_surrogates as L


def _cos(a, b):
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_lime_from_scratch_recovers_linear_coefficients():
    coef = np.array([1.5, -2.0, 0.3, 0.0, 4.0])
    f = lambda X: X @ coef + 0.7
    fit = L.lime_tabular_from_scratch(
        f, np.array([0.5, -1.0, 2.0, 0.0, 1.0]), n_samples=2000, seed=0
    )
    assert _cos(fit.coef, coef) >= 0.99
    assert fit.r2 > 0.99


def test_lime_from_scratch_weights_are_per_unit_of_scale():
    coef = np.array([1.0, -1.0])
    scale = np.array([10.0, 0.1])
    fit = L.lime_tabular_from_scratch(
        lambda X: X @ coef, np.zeros(2), n_samples=2000, seed=0, scale=scale, alpha=0.0
    )
    np.testing.assert_allclose(fit.coef, coef * scale, rtol=1e-6)


def test_lime_from_scratch_is_deterministic_and_seed_matters():
    f = lambda X: np.tanh(X[:, 0] * X[:, 1]) + np.sin(X[:, 2])
    x = np.array([0.3, -0.2, 1.0])
    a = L.lime_tabular_from_scratch(f, x, n_samples=300, seed=1)
    b = L.lime_tabular_from_scratch(f, x, n_samples=300, seed=1)
    c = L.lime_tabular_from_scratch(f, x, n_samples=300, seed=2)
    np.testing.assert_array_equal(a.coef, b.coef)
    assert not np.array_equal(a.coef, c.coef)


def test_lime_from_scratch_ranking_agrees_with_lime_tabular():
    rng = np.random.default_rng(0)
    X_train = rng.normal(size=(500, 6)) * np.array([1.0, 2.0, 0.5, 1.0, 3.0, 1.0])
    w = np.array([2.0, -0.5, 3.0, 0.0, 0.2, -1.0])

    def proba(X):
        p = 1 / (1 + np.exp(-(X @ w) / 4))
        return np.c_[1 - p, p]

    x = X_train[3]
    ours = L.lime_tabular_from_scratch(
        lambda X: proba(X)[:, 1], x, n_samples=5000, seed=0, scale=X_train.std(0)
    )
    theirs, r2 = L.lime_tabular_weights(proba, X_train, x, target=1, n_samples=5000, seed=0)
    assert list(np.argsort(-np.abs(ours.coef))[:3]) == list(np.argsort(-np.abs(theirs))[:3])
    assert _cos(ours.coef, theirs) > 0.98
    assert 0 <= r2 <= 1


def test_fit_local_linear_matches_lime_base():
    from lime.lime_base import LimeBase

    rng = np.random.default_rng(0)
    Z = rng.integers(0, 2, size=(80, 7))
    Z[0] = 1
    y = rng.random((80, 3))
    d = 1 - Z.sum(1) / (np.linalg.norm(Z, axis=1) * np.sqrt(7) + 1e-12)
    base = LimeBase(lambda dd: np.sqrt(np.exp(-(dd**2) / 0.25**2)), random_state=0)
    _, exp, score, _ = base.explain_instance_with_data(Z, y, d, 2, 7, feature_selection="none")
    lime_w = np.zeros(7)
    for i, v in exp:
        lime_w[i] = v
    ours = L.fit_local_linear(Z, y[:, 2], sample_weight=L.cosine_kernel(Z, 0.25))
    np.testing.assert_allclose(ours.coef, lime_w, atol=1e-8)
    assert ours.r2 == pytest.approx(score)


@pytest.mark.parametrize(
    "kwargs, err",
    [
        ({"x": np.zeros((2, 2))}, ValueError),
        ({"x": np.array([np.nan, 0.0])}, ValueError),
        ({"x": np.array(["a", "b"])}, TypeError),
        ({"kernel_width": -1.0}, ValueError),
        ({"n_samples": 2}, ValueError),
        ({"n_samples": 10.5}, TypeError),
        ({"seed": -1}, ValueError),
        ({"scale": np.array([1.0, 0.0])}, ValueError),
        ({"predict_fn": "not callable"}, TypeError),
        ({"predict_fn": lambda X: X}, ValueError),  # two outputs per row
    ],
)
def test_lime_from_scratch_bad_input(kwargs, err):
    args = {"predict_fn": lambda X: X.sum(1), "x": np.zeros(2)} | kwargs
    with pytest.raises(err):
        L.lime_tabular_from_scratch(**args)


# --------------------------------------------------------------------------- LIME, images


@pytest.fixture
def tiny_image_model():
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 16 * 16, 3)
    ).eval()


def test_segment_methods_label_from_zero():
    rng = np.random.default_rng(0)
    img = rng.random((32, 32, 3))
    for method in ("slic", "quickshift", "grid"):
        seg = L.segment(img, method=method, n_segments=9)
        assert seg.shape == (32, 32) and seg.min() == 0
        assert set(np.unique(seg)) == set(range(seg.max() + 1))
    assert L.segment(img, method="grid", n_segments=9).max() == 8
    with pytest.raises(ValueError, match="method"):
        L.segment(img, method="watershed")
    with pytest.raises(ValueError, match="0, 1"):
        L.segment(img * 5)
    with pytest.raises(ValueError, match="RGB"):
        L.segment(img[..., 0])


def test_perturb_deletes_exactly_the_masked_segments():
    x = torch.rand(1, 3, 16, 16)
    seg = L.segment(np.zeros((16, 16, 3)), method="grid", n_segments=4)
    out = L.perturb(x, seg, np.array([[1, 0, 1, 1], [0, 0, 0, 0]]), fill=0.5)
    deleted = torch.as_tensor(seg == 1)
    assert torch.equal(out[0][:, ~deleted], x[0][:, ~deleted])
    assert torch.all(out[0][:, deleted] == 0.5) and torch.all(out[1] == 0.5)
    with pytest.raises(ValueError, match="one image"):
        L.perturb(x.repeat(2, 1, 1, 1), seg, np.ones((1, 4)))
    with pytest.raises(ValueError, match="one column per segment"):
        L.perturb(x, seg, np.ones((1, 3)))


def test_query_masked_matches_direct_forward(tiny_image_model):
    x = torch.rand(1, 3, 16, 16)
    seg = L.segment(np.zeros((16, 16, 3)), method="grid", n_segments=16)
    masks = L.sample_masks(16, 10, seed=0)
    p = L.query_masked(tiny_image_model, x, seg, masks, batch_size=3, progress=False)
    with torch.no_grad():
        direct = tiny_image_model(L.perturb(x, seg, masks)).softmax(-1).double().numpy()
    np.testing.assert_allclose(p, direct, rtol=1e-5, atol=1e-7)


def test_lime_image_wrapper_is_seeded_and_agrees_with_from_scratch(tiny_image_model):
    x = torch.rand(1, 3, 16, 16)
    seg = L.segment(np.zeros((16, 16, 3)), method="grid", n_segments=16)
    a = L.lime_image(tiny_image_model, x, [0, 2], seg, n_samples=400, seed=3, progress=False)
    b = L.lime_image(tiny_image_model, x, [0, 2], seg, n_samples=400, seed=3, progress=False)
    wa, wb = L.explanation_weights(a, 2), L.explanation_weights(b, 2)
    np.testing.assert_array_equal(wa, wb)
    masks = L.sample_masks(16, 2000, seed=0)
    p = L.query_masked(tiny_image_model, x, seg, masks, progress=False)
    ours = L.fit_local_linear(masks, p[:, 2], sample_weight=L.cosine_kernel(masks))
    assert _cos(ours.coef, wa) > 0.9
    with pytest.raises(ValueError, match="no class"):
        L.explanation_weights(a, 1)


def test_classifier_fn_batches(tiny_image_model):
    fn = L.classifier_fn(tiny_image_model, batch_size=4)
    imgs = np.random.default_rng(0).random((10, 16, 16, 3))
    p = fn(imgs)
    assert p.shape == (10, 3) and np.allclose(p.sum(1), 1)


def test_segment_share_and_kernel():
    seg = np.array([[0, 0, 1], [2, 2, 1]])
    region = np.array([[True, True, False], [False, False, False]])
    assert L.segment_share(seg, np.array([1.0, 0.0, 0.5]), region, top=1) == 1.0
    assert L.segment_share(seg, np.array([1.0, 0.0, -2.0]), region, top=1) == 0.0
    # segment 0 lies wholly in the region, segment 1 half, segment 2 not at all
    w = np.array([0.2, 0.4, -1.0])
    assert L.weight_share(
        seg, w, np.array([[True, True, True], [False, False, False]])
    ) == pytest.approx((0.2 + 0.2) / 0.6)
    assert L.weight_share(seg, w, region, sign="abs") == pytest.approx(0.2 / 1.6)
    with pytest.raises(ValueError, match="sign"):
        L.weight_share(seg, w, region, sign="negative")
    with pytest.raises(ValueError, match="shape"):
        L.weight_share(seg, w, region[:1])
    with pytest.raises(ValueError, match="no pixel of segments has label 3"):
        L.weight_share(seg, np.array([0.2, 0.4, -1.0, 0.5]), region)
    assert L.weight_share(seg, np.array([0.2, 0.4, -1.0, 0.0]), region) == pytest.approx(0.2 / 0.6)


def test_weight_share_is_the_region_share_of_the_weights_spread_over_their_segments():
    rng = np.random.default_rng(0)
    seg = np.unique(rng.integers(0, 30, (24, 24)), return_inverse=True)[1].reshape(24, 24)
    w = rng.normal(size=int(seg.max()) + 1)
    region = rng.random((24, 24)) < 0.4
    size = np.bincount(seg.ravel())
    inside = np.bincount(seg.ravel(), weights=region.ravel().astype(float))
    for v, sign in ((np.clip(w, 0, None), "positive"), (np.abs(w), "abs")):
        assert L.weight_share(seg, w, region, sign=sign) == pytest.approx(
            (v * inside / size).sum() / v.sum(), rel=1e-6
        )
    k = L.cosine_kernel(np.array([[1, 1, 1], [0, 0, 0], [1, 0, 0]]))
    assert k[0] == 1.0 and 0 < k[2] < 1 and k[1] < k[2]


def test_sample_masks_count_scheme_draws_the_number_of_deletions_uniformly():
    m = L.sample_masks(6, 6001, seed=0, scheme="count")
    assert m[0].tolist() == [1] * 6 and set(np.unique(m).tolist()) == {0, 1}
    counts = np.bincount(6 - m[1:].sum(1), minlength=7)
    assert counts[0] == 0  # every neighbour deletes at least one segment
    np.testing.assert_allclose(counts[1:] / 6000, 1 / 6, atol=0.02)  # 1..6 deletions equally likely
    deleted_each = 1 - m[1:].mean(0)  # which segments: uniformly, so each is deleted as often
    np.testing.assert_allclose(deleted_each, deleted_each.mean(), atol=0.03)
    np.testing.assert_array_equal(m, L.sample_masks(6, 6001, seed=0, scheme="count"))


def test_sample_masks_keep_scheme_is_binomial_and_differs_from_count():
    keep = L.sample_masks(10, 4001, seed=0)
    assert abs(keep[1:].mean() - 0.5) < 0.01
    assert keep[1:].sum(1).std() < 2.0  # Binomial(10, 1/2) kept: sd 1.58
    count = L.sample_masks(10, 4001, seed=0, scheme="count")
    assert count[1:].sum(1).std() > 2.5  # uniform on 0..9 kept: sd 2.87
    with pytest.raises(ValueError, match="scheme"):
        L.sample_masks(10, 5, scheme="uniform")


def test_segment_density_spreads_weight_over_pixels_and_matches_weight_share():
    from xai_helpers.evaluation import region_share

    rng = np.random.default_rng(0)
    seg = L.segment(rng.random((24, 24, 3)), method="grid", n_segments=9)
    w = rng.normal(size=seg.max() + 1)
    dens = L.segment_density(seg, w)
    assert np.isclose(dens.sum(), np.clip(w, 0, None).sum()) and (dens >= 0).all()
    region = np.zeros((24, 24), bool)
    region[:10, 3:20] = True
    share = float(region_share(torch.as_tensor(dens)[None], torch.as_tensor(region))[0])
    assert share == pytest.approx(L.weight_share(seg, w, region), abs=1e-6)
    assert L.segment_density(seg, w, sign="abs").sum() == pytest.approx(np.abs(w).sum())
    with pytest.raises(ValueError, match="one number per segment"):
        L.segment_density(seg, w[:3])
    with pytest.raises(ValueError, match="sign"):
        L.segment_density(seg, w, sign="negative")


def test_lime_image_fill_none_is_the_segment_mean_and_misses_a_uniform_segment(tiny_image_model):
    # lime's default fill (None: each segment's mean colour) leaves a uniform segment unchanged, so
    # deleting it never moves the output and its weight is ~0; a grey fill does delete it.
    x = torch.rand(1, 3, 16, 16)
    x[..., :8] = 0.0  # the left half: one uniform black segment
    seg = np.zeros((16, 16), np.int64)
    seg[:8, 8:], seg[8:, 8:] = 1, 2
    w_mean = L.explanation_weights(
        L.lime_image(tiny_image_model, x, [1], seg, n_samples=80, fill=None, progress=False), 1
    )
    w_grey = L.explanation_weights(
        L.lime_image(tiny_image_model, x, [1], seg, n_samples=80, fill=0.5, progress=False), 1
    )
    assert abs(w_mean[0]) < 0.05 * np.abs(w_mean[1:]).max()
    assert abs(w_grey[0]) > 0.2 * np.abs(w_grey[1:]).max()
    with pytest.raises(TypeError, match="fill"):
        L.lime_image(tiny_image_model, x, [1], seg, n_samples=10, fill="grey", progress=False)


def test_background_density_ratio_is_one_for_equal_weights_and_follows_the_weight():
    seg = np.array([[0, 0, 1, 1], [0, 0, 1, 1]])
    back = np.array([[True, True, False, False], [True, True, False, False]])
    assert L.background_density_ratio(seg, np.array([1.0, 1.0]), back) == pytest.approx(1.0)
    assert L.background_density_ratio(seg, np.array([1.0, 0.2]), back) > 1
    assert L.background_density_ratio(seg, np.array([0.2, 1.0]), back) < 1


def test_background_density_ratio_refuses_a_mask_of_another_shape():
    with pytest.raises(ValueError, match="shape"):
        L.background_density_ratio(np.zeros((2, 2), int), np.ones(1), np.ones((3, 2), bool))


def test_background_density_scores_null_shuffles_the_weights_reproducibly():
    seg = np.array([[0, 0, 1, 1, 2, 2]])
    masks = [np.array([[False, False, True, True, True, True]])] * 2  # segment 0 is background
    expl = {0: (seg, np.array([3.0, 0.0, 0.0])), 1: (seg, np.array([2.0, 0.5, 0.0]))}
    med, own, null = L.background_density_scores(
        expl, masks, n_perm=50, rng=np.random.default_rng(1)
    )
    again = L.background_density_scores(expl, masks, n_perm=50, rng=np.random.default_rng(1))
    assert own.shape == (2,) and null.shape == (50,)
    assert med == pytest.approx(np.median(own))
    assert med > np.percentile(null, 95) or med >= null.max()  # all weight on the background
    np.testing.assert_array_equal(null, again[2])


def test_segment_along_mask_gives_pure_segments_that_refine_slic():
    rng = np.random.default_rng(0)
    img = rng.random((24, 24, 3))
    mask = np.zeros((24, 24), bool)
    mask[5:15, 7:20] = True
    seg = L.segment_along_mask(img, mask, n_segments=9)
    base = L.segment(img, n_segments=9)
    for s in range(seg.max() + 1):
        assert len(np.unique(mask[seg == s])) == 1  # pure creature or pure background
        assert len(np.unique(base[seg == s])) == 1  # inside one SLIC segment
    assert set(np.unique(seg)) == set(range(seg.max() + 1))
    with pytest.raises(ValueError, match="mask"):
        L.segment_along_mask(img, mask.astype(int), n_segments=9)


def test_perturb_mean_fill_paints_each_segment_with_its_own_mean():
    x = torch.arange(8.0).reshape(1, 2, 2, 2)
    seg = np.array([[0, 1], [0, 1]])
    out = L.perturb(x, seg, np.array([[0, 1]]), fill="mean")[0]
    assert torch.allclose(out[:, :, 0], x[0, :, :, 0].mean(1, keepdim=True).expand(2, 2))
    assert torch.equal(out[:, :, 1], x[0, :, :, 1])
    with pytest.raises(ValueError, match="mean"):
        L.perturb(x, seg, np.array([[0, 1]]), fill="median")


def test_lime_log_odds_recovers_a_model_linear_in_the_segments():
    # a model whose log-odds is exactly linear in which quadrant is kept (fill 0)
    seg = L.segment(np.zeros((4, 4, 3)), method="grid", n_segments=4)
    coef = torch.tensor([2.0, -1.0, 0.5, 3.0])

    class Quadrants(nn.Module):
        def forward(self, x):
            kept = torch.stack([x[:, 0][:, torch.as_tensor(seg) == s].mean(1) for s in range(4)], 1)
            z = kept @ coef
            return torch.stack([torch.zeros_like(z), z], 1)

    x = torch.ones(1, 3, 4, 4)
    fit = L.lime_log_odds(Quadrants(), x, 1, seg, n_samples=300, fill=0.0, alpha=0.0)
    assert np.allclose(fit.coef, coef.numpy(), atol=1e-5)
    fit0 = L.lime_log_odds(Quadrants(), x, 0, seg, n_samples=300, fill=0.0, alpha=0.0)
    assert np.allclose(fit0.coef, -coef.numpy(), atol=1e-5)  # log-odds of the other class
    drop_region, drop_rest = L.region_deletion(Quadrants(), x, 1, seg == 3, fill=0.0)
    assert np.isclose(drop_region, 3.0, atol=1e-5) and np.isclose(drop_rest, 1.5, atol=1e-5)
    assert np.isclose(L.region_weight(seg, fit.coef, seg == 3), drop_region, atol=1e-4)


def test_log_odds_is_stable_where_the_softmax_saturates():
    logits = np.array([[0.0, 60.0, -5.0]])
    assert np.isclose(L._log_odds(logits, 1)[0], 60.0 - np.log1p(np.exp(-5.0)), atol=1e-9)
    assert np.isfinite(L._log_odds(-logits, 1)).all()  # p ≈ 0: still finite
    with pytest.raises(ValueError, match="target"):
        L._log_odds(logits, 3)


def test_query_masked_logits_match_the_forward_pass(tiny_image_model):
    x = torch.rand(1, 3, 16, 16)
    seg = L.segment(np.zeros((16, 16, 3)), method="grid", n_segments=4)
    masks = L.sample_masks(4, 6, seed=1)
    z = L.query_masked(tiny_image_model, x, seg, masks, output="logits", progress=False)
    with torch.no_grad():
        want = tiny_image_model(L.perturb(x, seg, masks)).double().numpy()
    assert np.allclose(z, want, atol=1e-6)
    with pytest.raises(ValueError, match="output"):
        L.query_masked(tiny_image_model, x, seg, masks, output="probs", progress=False)


def test_positive_share_counts_only_supporting_weight():
    seg = np.array([[0, 1, 2, 3]])
    region = np.array([[True, True, False, False]])
    assert np.isclose(L.positive_share(seg, np.array([1.0, -5.0, 3.0, 0.0]), region), 0.25)
    assert L.positive_share(seg, -np.ones(4), region) == 0.0


def test_random_readout_shares_are_seeded_and_follow_the_features():
    seg = np.array([[0, 1]])
    masks = L.sample_masks(2, 60, seed=0)
    # features that only see segment 0: every read-out's weight sits on segment 0 (or nowhere)
    feats = np.c_[masks[:, 0], 2 * masks[:, 0]].astype(float)
    a = L.random_readout_shares(feats, masks, seg, seg == 0, n_heads=20, seed=1)
    b = L.random_readout_shares(feats, masks, seg, seg == 0, n_heads=20, seed=1)
    assert np.array_equal(a, b)
    assert set(np.round(a, 6)) <= {0.0, 1.0} and (a == 1.0).any()
    with pytest.raises(ValueError, match="rows"):
        L.random_readout_shares(feats[:10], masks, seg, seg == 0)


def test_background_share_is_the_background_sum_over_the_absolute_total():
    seg = np.array([[0, 1, 2, 3]])
    mask = np.array([[True, True, False, False]])  # the object: segments 0 and 1
    assert L.background_share(seg, np.array([1.0, -1.0, 2.0, -1.0]), mask) == pytest.approx(0.2)
    assert L.background_share(seg, np.zeros(4), mask) == 0.0


def test_share_scores_null_keeps_the_weights_and_shuffles_their_segments():
    seg = np.arange(8).reshape(1, 8)
    mask = np.zeros((1, 8), bool)
    mask[0, :4] = True
    on_background = np.r_[np.zeros(4), np.ones(4)]
    share, null = L.share_scores([(seg, on_background, mask)], n_perm=300, seed=1)
    assert share == 1.0
    assert null.shape == (300,) and 0.3 < null.mean() < 0.7  # half the segments are background
    again = L.share_scores([(seg, on_background, mask)], n_perm=300, seed=1)[1]
    assert np.array_equal(null, again)
    with pytest.raises(ValueError):
        L.share_scores([(seg, on_background, mask)], n_perm=0)


def test_uniform_reader_weights_sum_each_segments_distance_to_the_fill():
    img = torch.zeros(3, 2, 2)
    img[:, 0, 0] = 1.0
    seg = np.array([[0, 0], [1, 1]])
    w = L.uniform_reader_weights(img, seg, fill=0.5)
    assert w.tolist() == [1.0, 1.0]  # |1 - 0.5| + |0 - 0.5|, and 2 × |0 - 0.5|
    assert L.uniform_reader_weights(img, seg, fill=0.0).tolist() == [1.0, 0.0]
    with pytest.raises(ValueError):
        L.uniform_reader_weights(img, np.zeros((3, 3), int))


def test_outline_segments_are_computed_once_and_never_straddle_the_mask():
    img = torch.rand(3, 16, 16, generator=torch.Generator().manual_seed(0))
    m = np.zeros((16, 16), bool)
    m[4:12, 4:12] = True
    a = L.outline_segments(img, m, 6)
    assert L.outline_segments(img.clone(), m.copy(), 6) is a
    assert all(len(set(m[a == s].tolist())) == 1 for s in range(a.max() + 1))
    assert np.array_equal(a, L.segment_along_mask(img.permute(1, 2, 0).numpy(), m, 6))


def test_region_deletions_match_region_deletion_image_by_image():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(3 * 4 * 4, 2))
    X = torch.rand(3, 3, 4, 4)
    masks = np.zeros((3, 4, 4), bool)
    masks[:, 1:3, 1:3] = True
    got = L.region_deletions(model, X, 1, masks, fill=0.0)
    want = [L.region_deletion(model, X[[i]], 1, ~masks[i], fill=0.0) for i in range(3)]
    assert np.allclose(got, want)
    with pytest.raises(ValueError):
        L.region_deletions(model, X, 1, masks[:2])


def test_brightness_reader_reads_only_the_mean_brightness():
    net = L.BrightnessReader(scale=10.0)
    dark, bright = torch.zeros(1, 3, 4, 4), torch.ones(1, 3, 4, 4)
    assert net(dark).argmax(1).item() == 1 and net(bright).argmax(1).item() == 0
    x = torch.rand(2, 3, 4, 4)
    shuffled = x.flatten(1)[:, torch.randperm(48)].reshape(2, 3, 4, 4)
    assert torch.allclose(net(x), net(shuffled), atol=1e-5)  # where the pixels sit does not count
    assert torch.allclose(net(x).diff(dim=1)[:, 0], 10.0 * (1 - 2 * x.mean((1, 2, 3))), atol=1e-5)


def test_drops_per_brightness_separates_brightness_from_background():
    rng = np.random.default_rng(0)
    X = torch.as_tensor(rng.uniform(0.1, 0.9, (3, 3, 6, 6)), dtype=torch.float32)
    masks = np.zeros((3, 6, 6), dtype=bool)
    masks[:, 1:4, 1:4] = True  # the object
    # a brightness reader moves the same per unit of brightness for both edits
    got = L.drops_per_brightness(L.BrightnessReader(scale=10.0), X, 1, masks)
    assert got.shape == (3, 2) and np.allclose(got, 20.0, atol=1e-3)

    class BackgroundReader(nn.Module):  # reads the mean of the background pixels only
        def forward(self, x):
            b = x[:, :, ~torch.as_tensor(masks[0])].mean((1, 2))
            return torch.stack([b, -b], 1) * 10

    got = L.drops_per_brightness(BackgroundReader(), X, 1, masks)
    assert np.all(np.abs(got[:, 0]) > 10) and np.allclose(got[:, 1], 0.0, atol=1e-4)
    with pytest.raises(ValueError):
        L.drops_per_brightness(BackgroundReader(), X, 1, masks[:2])
