"""xai_helpers.representations: hooks, slant, the lighting nuisance, projections, silhouettes,
probes, control task, floor."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from xai_helpers import representations as R
from xai_helpers.data import lighting


def test_collect_matches_manual_forward(mnist_cnn, digits):
    x, _ = digits
    reps = R.collect_representations(
        mnist_cnn, x, layers=("input", "pool1", "relu3", "fc2"), batch_size=3
    )
    assert list(reps) == ["input", "pool1", "relu3", "fc2"]
    with torch.no_grad():
        logits = mnist_cnn(x)
        pool1 = mnist_cnn.pool1(mnist_cnn.relu1(mnist_cnn.conv1(x)))
    assert np.allclose(reps["fc2"], logits.numpy(), atol=1e-5)
    assert np.allclose(reps["pool1"], pool1.flatten(1).numpy(), atol=1e-6)
    assert np.array_equal(reps["input"], x.flatten(1).numpy())
    assert reps["relu3"].shape == (8, 64) and (reps["relu3"] >= 0).all()


def test_collect_leaves_no_hooks(mnist_cnn, digits):
    R.collect_representations(mnist_cnn, digits[0][:2])
    assert all(not m._forward_hooks for m in mnist_cnn.modules())


def test_collect_bad_input(mnist_cnn, digits):
    with pytest.raises(ValueError, match="the model has no layer .conv9."):
        R.collect_representations(mnist_cnn, digits[0], layers=("conv9",))
    with pytest.raises(ValueError, match="batch"):
        R.collect_representations(mnist_cnn, digits[0][0])
    with pytest.raises(TypeError, match="sequence of layer names"):
        R.collect_representations(mnist_cnn, digits[0], layers="fc2")


def test_slant_sign_and_shear_invariance():
    img = torch.zeros(2, 1, 28, 28)
    for r in range(4, 24):
        img[0, 0, r, 14 + (14 - r) // 3] = 1.0  # top to the right: "/"
        img[1, 0, r, 14 - (14 - r) // 3] = 1.0  # top to the left: "\"
    s = R.slant(img)
    assert s[0] > 0.2 and s[1] < -0.2 and s[0] == pytest.approx(-s[1])
    upright = torch.zeros(1, 1, 28, 28)
    upright[0, 0, 4:24, 14] = 1.0
    assert R.slant(upright)[0] == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match="ink"):
        R.slant(torch.zeros(1, 1, 28, 28))


def test_nuisance_groups():
    assert R.nuisance_groups(np.array([-1.0, 0.0, 1.0]), [-0.5, 0.5]).tolist() == [0, 1, 2]
    with pytest.raises(ValueError, match="increasing"):
        R.nuisance_groups(np.array([0.0]), [0.5, 0.1])


def _silhouette_by_hand(a, labels):
    """Rousseeuw's definition, written out: s_i = (b_i - a_i) / max(a_i, b_i), averaged over
    points."""
    d = np.sqrt(((a[:, None, :] - a[None, :, :]) ** 2).sum(-1))  # the distance matrix
    s = []
    for i in range(len(a)):
        same = (labels == labels[i]) & (np.arange(len(a)) != i)
        a_i = d[i, same].mean()
        b_i = min(d[i, labels == k].mean() for k in set(labels.tolist()) if k != labels[i])
        s.append((b_i - a_i) / max(a_i, b_i))
    return float(np.mean(s))


def test_silhouette_known_values_and_definition():
    # two pairs on a line, {0, 1} and {10, 11}: s = 9.5/10.5 for the outer points, 8.5/9.5 for the
    # inner ones
    line = np.array([[0.0], [1.0], [10.0], [11.0]])
    two = np.array([0, 0, 1, 1])
    expected = (9.5 / 10.5 + 8.5 / 9.5) / 2
    # the same labels on a layer that mixes the groups, {0, 10} and {1, 11}: a_i = 10, b_i = 6 or 5,
    # s = -0.45
    s = R.silhouette_per_layer({"separated": line, "mixed": line[[0, 2, 1, 3]]}, two)
    assert list(s) == ["separated", "mixed"]
    assert s["separated"] == pytest.approx(expected, rel=1e-12)
    assert s["mixed"] == pytest.approx(-0.45, rel=1e-12)
    # a random layer and labels: the definition computed from the distance matrix
    rng = np.random.default_rng(0)
    a = rng.normal(size=(40, 6))
    labels = rng.integers(0, 3, 40)
    assert R.silhouette_per_layer({"a": a}, labels)["a"] == pytest.approx(
        _silhouette_by_hand(a, labels), rel=1e-9
    )
    with pytest.raises(ValueError, match="one label per sample"):
        R.silhouette_per_layer({"a": a}, labels[:10])
    with pytest.raises(TypeError, match="integers"):
        R.silhouette_per_layer({"a": a}, labels.astype(float))


def test_project_shapes_and_determinism():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(60, 80))
    assert R.project(a, "pca").shape == (60, 2)
    e1, e2 = (
        R.project(a, "tsne", perplexity=10, seed=0, max_iter=250),
        R.project(a, "tsne", perplexity=10, seed=0, max_iter=250),
    )
    assert e1.shape == (60, 2) and np.array_equal(e1, e2)
    with pytest.raises(ValueError, match="perplexity"):
        R.project(a, "tsne", perplexity=100)
    with pytest.raises(ValueError, match="method"):
        R.project(a, "umap")


def test_tsne_cache_keys():
    a = np.random.default_rng(0).normal(size=(30, 3))
    cache = R.tsne_embeddings({"x": a, "y": a * 2}, perplexities=(5, 10), progress=False)
    assert sorted(cache) == [("x", 5), ("x", 10), ("y", 5), ("y", 10)]


def test_linear_probe_reads_linear_property_and_mlp_memorises():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(400, 8))
    y = (a[:, 0] + a[:, 1] > 0).astype(int)
    train, test = R.linear_probe(a[:300], y[:300], a[300:], y[300:])
    assert test > 0.9
    control = np.random.default_rng(0).integers(
        0, 10, 300
    )  # a random label per input: only memorising fits it
    lin_ctrl = R.linear_probe(a[:300], control)[0]
    mlp_ctrl = R.mlp_probe(a[:300], control, hidden=256, max_iter=300)[0]
    assert lin_ctrl < 0.35 < 0.9 < mlp_ctrl


def test_probe_bad_input():
    a = np.zeros((10, 3))
    with pytest.raises(ValueError, match="one label per sample"):
        R.linear_probe(a, np.zeros(9, dtype=int))
    with pytest.raises(ValueError, match="same layer"):
        R.linear_probe(a, np.arange(10) % 2, np.zeros((4, 5)), np.zeros(4, dtype=int))


def test_plots_return_their_axes():
    import matplotlib

    matplotlib.use("Agg")
    from xai_helpers import plotting

    ax = plotting.plot_embedding(
        np.zeros((4, 2)), np.array([0, 1, 0, 1]), title="t", names=["a", "b"]
    ).axes[0]
    assert ax.get_title() == "t" and len(ax.collections) == 2  # one scatter per group
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b"]
    ax = plotting.plot_against_depth({"d": {"input": 0.1, "fc2": 0.3}}, chance=0.1).axes[0]
    assert [list(line.get_ydata()) for line in ax.lines] == [
        [0.1, 0.3],
        [0.1, 0.1],
    ]  # the curve, then chance


def test_lighting_changes_background_not_ink():
    x = torch.zeros(3, 1, 28, 28)
    x[:, 0, 10:18, 13:15] = 1.0  # a stroke of full ink
    lit = lighting.add_lighting(x, [0, 1, 2], amplitude=0.4)
    assert torch.equal(lit[:, 0, 10:18, 13:15], x[:, 0, 10:18, 13:15])  # ink stays on top
    assert lit[0, 0, 5, 0] == pytest.approx(0.4) and lit[0, 0, 5, -1] == pytest.approx(
        0.0
    )  # lamp left
    assert lit[1, 0, 0, 5] == pytest.approx(0.4) and lit[1, 0, -1, 5] == pytest.approx(
        0.0
    )  # lamp top
    assert lit[2, 0, 5, -1] == pytest.approx(0.4) and lit[2, 0, 5, 0] == pytest.approx(
        0.0
    )  # lamp right
    assert torch.equal(lighting.add_lighting(x, [0, 1, 2], amplitude=0.0), x)
    with pytest.raises(ValueError, match="writer"):
        lighting.add_lighting(x, [0, 1, 3])
    with pytest.raises(ValueError, match="writer"):
        lighting.add_lighting(x, [0, 1])
    with pytest.raises(ValueError, match="amplitude"):
        lighting.add_lighting(x, [0, 1, 2], amplitude=1.5)


def test_read_lighting_reads_lit_digits_and_guesses_on_clean_ones(mnist):
    writer = lighting.assign_writers(300, seed=0)
    assert (
        lighting.read_lighting(lighting.add_lighting(mnist.X_test[:300], writer)) == writer
    ).mean() > 0.99
    clean = (lighting.read_lighting(mnist.X_test[:300]) == writer).mean()
    assert 0.2 < clean < 0.47  # chance 1/3: the rule has nothing to read


def test_assign_writers_deterministic_and_balanced():
    w = lighting.assign_writers(3000, seed=1)
    assert np.array_equal(w, lighting.assign_writers(3000, seed=1)) and not np.array_equal(
        w, lighting.assign_writers(3000, seed=2)
    )
    assert set(np.unique(w)) == {0, 1, 2} and np.bincount(w).min() > 900


def test_lighting_dominates_the_pixels_of_real_digits(mnist):
    """The lesson's premise: lit digits group by lamp at the input far more than by digit (shuffled
    lamps: ~0)."""
    writer = lighting.assign_writers(400, seed=0)
    reps = {"input": lighting.add_lighting(mnist.X_test[:400], writer).flatten(1).numpy()}
    by_lamp = R.silhouette_per_layer(reps, writer)["input"]
    assert by_lamp > 3 * R.silhouette_per_layer(reps, mnist.y_test[:400].numpy())["input"]
    assert (
        by_lamp
        > R.silhouette_per_layer(reps, np.random.default_rng(0).permutation(writer))["input"] + 0.05
    )


def test_kmeans_types_assign_test_points_to_nearest_centre():
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    train_x = np.repeat(centres, 20, axis=0) + rng.normal(scale=0.1, size=(60, 2))
    tr, te = R.kmeans_types(train_x, centres + 0.2, n_types=3)
    assert len(np.unique(tr)) == 3 and te.tolist() == [tr[0], tr[20], tr[40]]
    with pytest.raises(ValueError, match="features"):
        R.kmeans_types(train_x, np.zeros((2, 3)), n_types=3)
    with pytest.raises(ValueError, match="n_types"):
        R.kmeans_types(train_x, centres, n_types=100)


def test_control_task_is_per_type_and_follows_the_label_distribution():
    types = np.arange(40000) % 4000
    y = np.where(np.random.default_rng(5).random(40000) < 0.8, 0, 7)
    tr, te = R.control_task(types, types[:50], y, seed=0)
    for t in range(0, 4000, 97):
        assert len(np.unique(tr[types == t])) == 1
    assert np.array_equal(te, tr[:50])  # a test item carries its type's label
    assert (
        set(np.unique(tr)) == {0, 7} and 0.77 < np.mean(tr[:4000] == 0) < 0.83
    )  # drawn from y's distribution (0.8)
    assert not np.array_equal(R.control_task(types, types[:50], y, seed=1)[0], tr)
    with pytest.raises(ValueError, match="train_types"):
        R.control_task(types[:10], types[:5], y)


def test_control_task_separates_linear_and_mlp_probes():
    """Held-out types: per-type random labels are learnable only by recognising the type (H&L's
    control task)."""
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(30, 8)) * 3
    types_train, types_test = np.repeat(np.arange(30), 20), np.repeat(np.arange(30), 5)
    x_train = centres[types_train] + rng.normal(size=(600, 8))
    x_test = centres[types_test] + rng.normal(size=(150, 8))
    ctr, cte = R.control_task(types_train, types_test, rng.integers(0, 5, 600), seed=0)
    majority = np.mean(cte == np.bincount(ctr).argmax())
    mlp = R.mlp_probe(x_train, ctr, x_test, cte, hidden=128, max_iter=200)[1]
    assert mlp > majority + 0.3


def test_label_floor_uses_the_digit_only():
    y = np.array([0, 0, 0, 1, 1, 1])
    g = np.array([2, 2, 1, 0, 0, 1])
    assert R.label_floor(y, g, np.array([0, 1, 1]), np.array([2, 0, 1])) == pytest.approx(2 / 3)
    rng = np.random.default_rng(0)
    assert (
        R.label_floor(
            rng.integers(0, 10, 3000),
            rng.integers(0, 3, 3000),
            rng.integers(0, 10, 3000),
            rng.integers(0, 3, 3000),
        )
        < 0.38
    )
    with pytest.raises(ValueError, match="train_nuisance"):
        R.label_floor(y, g[:3], y, g)


def test_shuffle_within_groups_keeps_each_groups_labels_and_breaks_the_types():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, 800)
    types = rng.integers(0, 50, 800)
    ctr, cte = R.control_task(types[:600], types[600:], y[:600], seed=0)
    ntr, nte = R.shuffle_within_groups(ctr, cte, y[:600], y[600:], seed=0)
    for g in range(4):  # each group keeps its multiset of labels
        both = np.r_[ctr, cte][y == g], np.r_[ntr, nte][y == g]
        assert sorted(both[0].tolist()) == sorted(both[1].tolist())
    agree = np.mean([len(np.unique(np.r_[ntr, nte][types == t])) == 1 for t in range(50)])
    assert agree < 0.5, "the permuted labels no longer follow the types"
    assert R.label_floor(y[:600], ntr, y[600:], nte) > 0
    with pytest.raises(ValueError, match="train_groups"):
        R.shuffle_within_groups(ctr, cte, y[:5], y[600:])


def test_neighbour_label_agreement_separates_grouped_from_mixed_labels():
    rng = np.random.default_rng(0)
    centres = np.repeat(np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]]), 100, axis=0)
    emb = centres + rng.normal(size=(300, 2))
    grouped = np.repeat(np.arange(3), 100)
    mixed = rng.integers(0, 3, 300)
    assert R.neighbour_label_agreement(emb, grouped) > 0.99
    assert abs(R.neighbour_label_agreement(emb, mixed) - 1 / 3) < 0.1  # about 1/L when mixed


def test_neighbour_label_agreement_within_groups_counts_only_neighbours_of_the_same_group():
    # two groups far apart; inside each, labels sit on two sides: within-group agreement is high,
    # and it ignores the neighbours of the other group
    emb = np.array([[0.0], [0.1], [1.0], [1.1], [100.0], [100.1], [101.0], [101.1]])
    labels = np.array([0, 0, 1, 1, 1, 1, 0, 0])
    groups = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    assert R.neighbour_label_agreement(emb, labels, k=1, groups=groups) == 1.0
    assert R.neighbour_label_agreement(emb, labels, k=3, groups=groups) == pytest.approx(1 / 3)


@pytest.mark.parametrize(
    "emb, labels, k, err",
    [
        (np.zeros(5), np.zeros(5, int), 2, ValueError),  # not 2-D
        (np.zeros((5, 2)), np.zeros(4, int), 2, ValueError),  # one label per point
        (np.zeros((5, 2)), np.zeros(5), 2, TypeError),  # labels must be integers
        (np.zeros((5, 2)), np.zeros(5, int), 5, ValueError),  # k below the number of points
    ],
)
def test_neighbour_label_agreement_refuses_bad_input(emb, labels, k, err):
    with pytest.raises(err):
        R.neighbour_label_agreement(emb, labels, k=k)


def test_silhouettes_match_silhouette_per_layer_and_check_labels():
    rng = np.random.default_rng(0)
    reps = {"a": rng.normal(size=(40, 5)), "b": rng.normal(size=(40, 3)) * 3}
    labels = {"two": np.arange(40) % 2, "four": rng.integers(0, 4, 40)}
    got = R.silhouettes(reps, labels)
    for name, lab in labels.items():
        want = R.silhouette_per_layer(reps, lab)
        for layer in reps:  # two code paths (precomputed vs Euclidean distances): tolerance 1e-9
            assert got[name][layer] == pytest.approx(want[layer], abs=1e-9)
    with pytest.raises(ValueError):
        R.silhouettes(reps, {"short": np.arange(10) % 2})
    with pytest.raises(ValueError):
        R.silhouettes({}, labels)


def test_lighting_sweep_sees_the_lamp_grow_at_the_input(mnist):
    from xai_helpers.models import MnistCNN

    torch.manual_seed(0)
    x, y = mnist.X_test[:120], mnist.y_test[:120].numpy()
    w = lighting.assign_writers(120, seed=0)
    out = R.lighting_sweep(
        {"net": MnistCNN()}, x, y, w, mnist.X_train[:120], w, [0.0, 0.6], layers=["input", "fc2"]
    )
    assert set(out) == {("net", 0.0), ("net", 0.6)}
    no_lamp, lamp = out["net", 0.0], out["net", 0.6]
    assert abs(no_lamp["lighting"]["input"]) < 0.05  # writers mean nothing without a lamp
    assert lamp["lighting"]["input"] > no_lamp["lighting"]["input"] + 0.1
    assert 0 <= lamp["probe"] <= 1
    with pytest.raises(ValueError):
        R.lighting_sweep({}, x, y, w, x, w, [0.4])


def test_control_task_spread_separates_memorising_from_a_floor():
    rng = np.random.default_rng(0)
    types = np.arange(300) % 30
    # each type has its own direction: a linear probe can learn the type, hence its control label
    rep = np.eye(30)[types] + rng.normal(size=(300, 30)) * 0.01
    y = rng.integers(0, 4, 300)
    out = R.control_task_spread(
        R.linear_probe,
        rep[:200],
        rep[200:],
        y[:200],
        [(types[:200], types[200:])],
        [0, 1, 2],
        [(y[:200], y[200:])],
    )
    assert out["control"].shape == out["floor"].shape == (1, 3)
    assert (out["control"] > out["floor"] + 0.3).all()  # memorised far above the floor
    noise = rng.normal(size=(300, 30))  # a layer that knows nothing about the types
    out = R.control_task_spread(
        R.linear_probe,
        noise[:200],
        noise[200:],
        y[:200],
        [(types[:200], types[200:])],
        [0],
        [(y[:200], y[200:])],
    )
    assert out["control"][0, 0] < out["floor"][0, 0] + 0.15  # nothing to memorise: near the floor
    with pytest.raises(TypeError):
        R.control_task_spread(None, rep, rep, y, [(types, types)], [0], [(y, y)])
    with pytest.raises(ValueError):
        R.control_task_spread(R.linear_probe, rep, rep, y, [], [0], [(y, y)])


def test_sweep_and_lamp_difference_figures():
    import matplotlib

    matplotlib.use("Agg")
    from xai_helpers import plotting

    row = {
        "digit": {"input": 0.0, "fc2": 0.3},
        "lighting": {"input": 0.2, "fc2": 0.0},
        "probe": 0.5,
    }
    table = {(net, amp): row for net in ("a", "b") for amp in (0.0, 0.4)}
    fig = plotting.plot_lighting_sweep(table, 0.35)
    assert "0.4" in fig.axes[0].get_title()  # snapped to the nearest amplitude in the table
    imgs = np.zeros((6, 1, 4, 4))
    imgs[::3, 0, :, 0] = 1.0  # group 0 is bright on the left
    fig = plotting.lamp_difference_images({"x": imgs}, np.arange(6) % 3, ["l", "t", "r"])
    diff = fig.axes[0].images[0].get_array()
    assert diff[0, 0] == pytest.approx(2 / 3) and diff[0, -1] == 0  # group 0 minus the mean of all
    with pytest.raises(ValueError):
        plotting.lamp_difference_images({"x": imgs}, np.arange(6) % 3, ["l", "t"])


def test_variance_share_is_the_between_group_share():
    pts = np.array([[0.0, 0.0], [0.0, 2.0], [10.0, 0.0], [10.0, 2.0]])
    # total SS = 4 * 25 + 4 * 1 = 104; between groups {0,1},{2,3}: 4 * 25 = 100
    assert R.variance_share(pts, np.array([0, 0, 1, 1])) == pytest.approx(100 / 104)
    assert R.variance_share(pts, np.array([0, 1, 0, 1])) == pytest.approx(4 / 104)
    assert R.variance_share(pts, np.arange(4)) == pytest.approx(1.0)
    assert R.variance_share(pts, np.zeros(4, int)) == pytest.approx(0.0)
    with pytest.raises(ValueError, match="variance"):
        R.variance_share(np.ones((3, 2)), np.array([0, 1, 1]))
    with pytest.raises(TypeError):
        R.variance_share(pts, np.array([0.0, 0.5, 1.0, 1.0]))


def test_silhouette_within_groups_matches_the_mean_of_per_group_silhouettes():
    rng = np.random.default_rng(0)
    rep, lamp, digit = rng.normal(size=(60, 4)), np.arange(60) % 3, np.arange(60) // 20
    rep[lamp == 1] += 3.0  # the lamp apart inside every digit
    per_group = [
        R.silhouettes({"r": rep[digit == d]}, {"l": lamp[digit == d]})["l"]["r"] for d in range(3)
    ]
    assert R.silhouette_within_groups(rep, lamp, digit) == pytest.approx(np.mean(per_group))
    assert R.silhouette_within_groups(rep, rng.permutation(lamp), digit) < 0.1  # mixed labels


def test_silhouette_within_groups_refuses_groups_without_two_labels():
    with pytest.raises(ValueError):
        R.silhouette_within_groups(np.zeros((4, 2)), np.zeros(4, int), np.arange(4) % 2)
    with pytest.raises(ValueError):
        R.silhouette_within_groups(np.zeros((4, 2)), np.zeros(3, int), np.zeros(4, int))


def test_lamp_difference_images_same_scale_puts_every_row_on_one_scale():
    import matplotlib

    matplotlib.use("Agg")
    from xai_helpers import plotting

    rng = np.random.default_rng(0)
    imgs = {"big": rng.random((6, 1, 4, 4)), "small": 0.1 * rng.random((6, 1, 4, 4))}
    for same in (False, True):
        fig = plotting.lamp_difference_images(
            imgs, np.arange(6) % 3, ["l", "t", "r"], same_scale=same
        )
        limits = {ax.images[0].get_clim() for ax in fig.axes if ax.images}
        assert len(limits) == (1 if same else 2)


def test_probe_layers_scores_each_layer_with_the_given_probe():
    rng = np.random.default_rng(0)
    y = np.arange(60) % 3
    reps = {
        "noise": rng.normal(size=(60, 4)),
        "signal": np.eye(3)[y] + 0.05 * rng.normal(size=(60, 3)),
    }
    acc = R.probe_layers(R.linear_probe, reps, y, reps, y)
    assert list(acc) == ["noise", "signal"] and acc["signal"] == 1.0
    assert acc == {ly: R.linear_probe(r, y, r, y)[1] for ly, r in reps.items()}
    assert list(R.probe_layers(R.linear_probe, reps, y, reps, y, ["signal"])) == ["signal"]
    with pytest.raises(ValueError, match="missing"):
        R.probe_layers(R.linear_probe, reps, y, reps, y, ["relu3"])
    with pytest.raises(TypeError):
        R.probe_layers("linear", reps, y, reps, y)


def test_tsne_on_demand_computes_each_picture_once_and_as_project_does():
    rng = np.random.default_rng(1)
    reps = {"a": {"l": rng.normal(size=(50, 5))}, "b": {"l": rng.normal(size=(50, 5))}}
    tsne = R.tsne_on_demand(reps, n=40, perplexity=10, seed=3)
    first = tsne("a", "l")
    assert first.shape == (40, 2) and tsne("a", "l") is first
    expected = R.project(reps["a"]["l"][:40], "tsne", perplexity=10, seed=3)
    assert np.allclose(first, expected)
    assert not np.allclose(tsne("b", "l"), first)
    with pytest.raises(ValueError):
        R.tsne_on_demand({}, n=10)


def test_paper_texture_is_faint_lines_under_the_ink():
    x = torch.zeros(3, 1, 28, 28)
    x[:, :, 10:18, 10:18] = 1.0  # ink
    tex = lighting.add_paper_texture(x, [0, 1, 2])
    assert torch.equal(tex[:, :, 10:18, 10:18], x[:, :, 10:18, 10:18]), "ink stays on top"
    assert float(tex.max()) == 1.0 and float(tex[0, 0, 0].min()) == pytest.approx(0.3)
    left, right = tex[:, 0, :, :4].mean(), tex[:, 0, :, -4:].mean()
    assert abs(float(left - right)) < 0.05, "a texture brightens no side"
    with pytest.raises(ValueError):
        lighting.add_paper_texture(x, [0, 1, 3])


def test_share_of_excess_kept():
    out = R.share_of_excess_kept({"lit": -0.03, "a": 0.07, "b": 0.17}, -0.03, "lit", ["a", "b"])
    assert np.allclose(out, [0.0, 0.0])
    out = R.share_of_excess_kept({"lit": 0.02, "a": 0.07}, -0.03, "lit", ["a"])
    assert np.allclose(out, [0.5])
    with pytest.raises(ValueError):
        R.share_of_excess_kept({"lit": 0.0, "a": -0.1}, 0.0, "lit", ["a"])


def test_lamp_within_digit_depth_matches_the_silhouette_and_sees_the_lamp(mnist):
    from xai_helpers.models import MnistCNN

    x, y = mnist.X_test[:60], mnist.y_test[:60].numpy()
    w = np.arange(60) % 3
    perm = [np.random.default_rng(0).permutation(60)]
    nets = {"a": MnistCNN().eval()}
    reps, depth, floor = R.lamp_within_digit_depth(nets, x, w, y, 0.4, ["input"], perm)
    assert depth["a"]["input"] == R.silhouette_within_groups(reps["a"]["input"], w, y)
    assert depth["a"]["input"] > floor[0]["input"] + 0.05  # a strong lamp groups the input
    _, dark, _ = R.lamp_within_digit_depth(nets, x, w, y, 0.0, ["input"])
    assert dark["a"]["input"] < depth["a"]["input"]
    with pytest.raises(ValueError):
        R.lamp_within_digit_depth({}, x, w, y, 0.4)
