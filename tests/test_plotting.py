"""xai_helpers.plotting: every helper takes ax=None and returns what it drew."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from xai_helpers import plotting  # noqa: E402
from xai_helpers.plotting.representations import DISTINCT_COLOURS  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_to_numpy_image_shapes():
    assert plotting.to_numpy_image(torch.zeros(1, 1, 28, 28)).shape == (28, 28)
    assert plotting.to_numpy_image(torch.zeros(3, 8, 9)).shape == (8, 9, 3)
    assert plotting.to_numpy_image(np.zeros((8, 9, 3))).shape == (8, 9, 3)
    with pytest.raises(ValueError, match="batch"):
        plotting.to_numpy_image(torch.zeros(2, 1, 5, 5))
    with pytest.raises(ValueError, match="cannot show"):
        plotting.to_numpy_image(np.zeros((4, 5, 6, 7, 8)))


def test_show_image_uses_given_ax():
    fig, ax = plt.subplots()
    out = plotting.show_image(torch.rand(1, 28, 28), ax=ax, title="t")
    assert out is ax.figure and ax.get_title() == "t" and len(ax.images) == 1


def test_show_heatmap_colorbar_and_signed_limits():
    h = torch.tensor([[-2.0, 1.0], [0.5, 0.0]])
    ax = plotting.show_heatmap(h, signed=True, label="attribution").axes[0]
    im = ax.images[-1]
    assert im.get_clim() == (-2.0, 2.0)
    assert im.colorbar is not None and im.colorbar.ax.get_ylabel() == "attribution"
    assert im.get_cmap().name == "RdBu_r"
    with pytest.raises(ValueError, match="2-D"):
        plotting.show_heatmap(np.zeros((4, 4, 3)))


def test_overlay_extent_matches_image():
    ax = plotting.overlay(torch.rand(3, 32, 40), torch.rand(4, 5), vmax=2.0).axes[0]
    im = ax.images[-1]
    assert im.get_extent() == [-0.5, 39.5, 31.5, -0.5] and im.get_clim()[1] == 2.0


def test_image_grid_and_bar_chart():
    fig = plotting.image_grid(
        torch.rand(7, 1, 28, 28), titles=list("abcdefg"), ncols=4, suptitle="digits"
    )
    assert len(fig.axes) == 7 and fig.axes[6].get_title() == "g"
    with pytest.raises(ValueError, match="titles"):
        plotting.image_grid(torch.rand(2, 1, 5, 5), titles=["a"])
    import matplotlib.pyplot as plt

    given, axes = plt.subplots(2, 3)
    assert plotting.image_grid(torch.rand(5, 1, 8, 8), axes=axes) is given
    assert len(given.axes) == 5 and all(len(a.images) == 1 for a in given.axes)
    with pytest.raises(ValueError, match="need at least 5 axes"):
        plotting.image_grid(torch.rand(5, 1, 8, 8), axes=axes[0])
    plt.close("all")
    ax = plotting.bar_chart(["a", "b", "c"], [60, 94, 93], fmt="{:.0f}%").axes[0]
    assert [b.get_height() for b in ax.patches] == [60, 94, 93]
    assert [t.get_text() for t in ax.texts] == ["60%", "94%", "93%"]


def test_signed_bars_colours_each_sign_and_rejects_mismatch():
    ax = plotting.signed_bars(
        ["a", "b", "c"], [0.5, -1.0, 2.0], positive="→ benign", negative="→ malignant"
    ).axes[0]
    bars = ax.patches
    colours = [b.get_facecolor() for b in bars]
    assert colours[0] == colours[2] != colours[1]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b", "c"]  # first label at the top
    assert bars[0].get_y() > bars[2].get_y()
    legend = {
        t.get_text(): p.get_facecolor()
        for t, p in zip(ax.get_legend().get_texts(), ax.get_legend().get_patches())
    }
    assert legend["→ benign"] == colours[0] and legend["→ malignant"] == colours[1]
    with pytest.raises(ValueError, match="one label per value"):
        plotting.signed_bars(["a"], [1.0, 2.0])
    with pytest.raises(ValueError, match="non-finite"):
        plotting.signed_bars(["a"], [np.nan])


def test_interval_chart_draws_each_interval():
    ax = plotting.interval_chart(
        {"a": (0.9, 0.85, 0.94), "b": (0.7, 0.6, 0.8)}, reference=0.5, reference_label="chance"
    ).axes[0]
    eb = ax.containers[0]
    xs, ys = eb.lines[0].get_data()
    assert list(xs) == [0.9, 0.7] and ys[0] > ys[1]
    segments = eb.lines[2][0].get_segments()
    assert np.allclose([s[:, 0] for s in segments], [[0.85, 0.94], [0.6, 0.8]])
    assert any(line.get_xdata()[0] == 0.5 for line in ax.lines[1:])
    with pytest.raises(ValueError, match="low <= value <= high"):
        plotting.interval_chart({"a": (0.9, 0.95, 0.99)})
    with pytest.raises(ValueError, match="at least one"):
        plotting.interval_chart({})


def test_interval_curve_error_bars_and_highlight():
    ax = plotting.interval_curve(
        [2, 4, 8], [(0.8, 0.7, 0.9), (0.9, 0.8, 0.95), (0.85, 0.75, 0.9)], highlight=1, label="tree"
    ).axes[0]
    eb = ax.containers[0]
    segments = eb.lines[2][0].get_segments()
    assert np.allclose([s[:, 1] for s in segments], [[0.7, 0.9], [0.8, 0.95], [0.75, 0.9]])
    ring = ax.lines[-1]
    assert list(ring.get_xdata()) == [4.0] and list(ring.get_ydata()) == [0.9]
    with pytest.raises(ValueError, match="one .* estimate per x"):
        plotting.interval_curve([1, 2], [(0.5, 0.4, 0.6)])
    with pytest.raises(ValueError, match="highlight"):
        plotting.interval_curve([1], [(0.5, 0.4, 0.6)], highlight=3)


def test_show_outline_follows_the_mask():
    mask = torch.zeros(10, 10, dtype=torch.bool)
    mask[3:7, 2:5] = True
    fig, ax = plt.subplots()
    assert plotting.show_outline(mask, ax=ax, color="black") is ax.figure
    (cs,) = ax.collections
    (path,) = [p for seg in cs.allsegs for p in seg]
    # the 0.5 contour runs half a pixel outside the mask's pixel centres
    assert np.allclose(
        [path[:, 0].min(), path[:, 0].max(), path[:, 1].min(), path[:, 1].max()],
        [1.5, 4.5, 2.5, 6.5],
    )
    with pytest.raises(ValueError, match="boolean"):
        plotting.show_outline(mask.float(), ax=ax)
    with pytest.raises(ValueError, match="no outline"):
        plotting.show_outline(torch.zeros(4, 4, dtype=torch.bool), ax=ax)
    plt.close(fig)


def test_show_occlusion_puts_each_value_over_its_box_centre():
    pmap = torch.arange(9.0).view(3, 3)
    fig, ax = plt.subplots()
    assert plotting.show_occlusion(pmap, box=4, stride=3, size=(10, 10), ax=ax) is ax.figure
    im = ax.images[-1]
    left, right, bottom, top = im.get_extent()
    # box positions 0, 3, 6: centres at 1.5, 4.5, 7.5; cells are 3 wide
    assert (left, right, top, bottom) == pytest.approx((0.0, 9.0, 0.0, 9.0))
    assert ax.get_xlim() == (-0.5, 9.5) and im.get_clim() == (0.0, 8.0)
    assert ax.get_facecolor()[:3] == pytest.approx((0.5, 0.5, 0.5))  # the uncovered border
    with pytest.raises(ValueError, match="2-D"):
        plotting.show_occlusion(torch.rand(2, 3, 3), box=4, stride=3, size=(10, 10), ax=ax)
    plt.close(fig)


def test_show_explanation_side_by_side_scales_each_map():
    img = torch.rand(1, 28, 28)
    sal = torch.zeros(28, 28)
    sal[0, 0] = 100.0  # one extreme pixel
    sal[5:10, 5:10] = 1.0
    fig = plotting.show_explanation(
        img, {"saliency": sal, "signed": sal - 0.5}, signed=[False, True], quantile=0.99
    )
    map_axes = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in map_axes] == ["input", "saliency", "signed"]
    lo, hi = map_axes[1].images[0].get_clim()
    assert hi == pytest.approx(
        float(np.quantile(sal.numpy(), 0.99))
    )  # the outlier does not set the scale
    lo, hi = map_axes[2].images[0].get_clim()
    assert lo == pytest.approx(-hi) and map_axes[2].images[0].get_cmap().name == "RdBu_r"
    assert map_axes[1].images[0].colorbar is not None


def test_show_explanation_shared_scale_shows_a_weak_map_as_weak():
    img, weak = torch.rand(1, 8, 8), torch.rand(8, 8) * 0.05
    strong = weak * 20
    own = plotting.show_explanation(img, [weak, strong], signed=True)
    assert own.axes[1].images[0].get_clim()[1] == pytest.approx(
        float(weak.abs().max())
    )  # default: each its own range
    fig = plotting.show_explanation(img, [weak, strong], signed=True, shared_scale=True)
    clims = [
        ax.images[0].get_clim() for ax in fig.axes[1:] if ax.get_images() and ax is not fig.axes[0]
    ][:2]
    assert clims[0] == pytest.approx(clims[1]) and clims[0][1] == pytest.approx(
        float(strong.abs().max())
    )
    fig = plotting.show_explanation(
        img, [weak, strong], shared_scale=True
    )  # unsigned: from the lowest value to the largest
    clims = [
        ax.images[0].get_clim() for ax in fig.axes if ax.get_title() != "input" and ax.get_images()
    ]
    assert clims[0] == pytest.approx(clims[1]) and clims[0] == pytest.approx(
        (float(weak.min()), float(strong.max()))
    )
    plt.close("all")


def test_show_explanation_overlay_uses_given_axes_and_refuses_mismatches():
    fig, axes = plt.subplots(1, 2)
    out = plotting.show_explanation(
        torch.rand(3, 32, 32),
        [torch.rand(4, 4), torch.rand(4, 4)],
        overlay=True,
        titles=["a", "b"],
        axes=axes,
    )
    assert out is fig and [ax.get_title() for ax in axes] == ["a", "b"]
    assert len(axes[0].images) == 2  # the grey image and the map over it
    with pytest.raises(ValueError, match="need 3 axes"):
        plotting.show_explanation(torch.rand(1, 8, 8), [torch.rand(8, 8)] * 2, axes=axes)
    with pytest.raises(ValueError, match="titles"):
        plotting.show_explanation(torch.rand(1, 8, 8), [torch.rand(8, 8)], titles=["a", "b"])
    with pytest.raises(ValueError, match="at least one map"):
        plotting.show_explanation(torch.rand(1, 8, 8), [])
    with pytest.raises(ValueError, match="quantile"):
        plotting.show_explanation(torch.rand(1, 8, 8), torch.rand(8, 8), quantile=1.5)


def test_moved_evaluation_figures_return_their_axes():
    from xai_helpers.evaluation import DeletionCurve

    fig, ax = plt.subplots()
    c = DeletionCurve(torch.linspace(0, 1, 3), torch.tensor([[0.9, 0.5, 0.1], [0.7, 0.3, 0.1]]))
    assert plotting.plot_deletion_curves({"saliency": c}, ax=ax) is ax.figure
    assert list(ax.lines[0].get_ydata()) == pytest.approx([0.8, 0.4, 0.1])  # the mean curve
    assert ax.get_legend().get_texts()[0].get_text() == f"saliency (AUC {float(c.auc.mean()):.3f})"
    ax = plotting.plot_randomization({"saliency": {"trained": 1.0, "fc2": 0.6, "fc1": 0.2}}).axes[0]
    assert list(ax.lines[0].get_ydata()) == [1.0, 0.6, 0.2]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["trained", "+ fc2", "+ fc1"]


# ------------------------------ figures moved from lime/trees/activation_maximization/monsters/toys


def test_monster_figures(tmp_path):
    from xai_helpers.data import monsters
    from xai_helpers.models import MonsterCNN

    root = monsters.make_monsters(tmp_path, n_per_class=3, seed=1)
    ax = plotting.show_file(next((root / "train" / "pokemon").glob("*.png")), title="a file").axes[
        0
    ]
    shown = ax.images[0].get_array()
    assert shown.shape[-1] == 3 and ax.get_title() == "a file"
    assert shown[0, 0].min() >= 0.8  # transparency drawn as the light checkerboard, not black
    fig = plotting.show_saliency_rows(torch.rand(3, 3, 8, 8), torch.rand(3, 8, 8), ["a", "b", "c"])
    assert len(fig.axes) == 7
    _, axes = plt.subplots(2, 3)
    assert (
        plotting.show_saliency_rows(torch.rand(3, 3, 8, 8), torch.rand(3, 8, 8), axes=axes)
        is axes[0, 0].figure
    )
    with pytest.raises(ValueError, match="images"):
        plotting.show_saliency_rows(torch.rand(3, 3, 8, 8), torch.rand(2, 8, 8))
    fig = plotting.show_saliency_rows(
        torch.rand(2, 3, 8, 8), torch.rand(2, 8, 8) * 5, vmax=2.5, label="map ÷ creature mean"
    )
    assert fig.axes[2].images[0].get_clim() == (0, 2.5)  # the given scale, not the maps' quantile
    assert fig.axes[-1].get_ylabel() == "map ÷ creature mean"
    with pytest.raises(ValueError, match="vmax"):
        plotting.show_saliency_rows(torch.rand(2, 3, 8, 8), torch.rand(2, 8, 8), vmax=0.0)
    s = monsters.load_split(root, "test")
    from xai_helpers.evaluation import explain_prediction

    pred = explain_prediction(MonsterCNN(), s.X[0], s.masks[0])
    fig = plotting.show_prediction(s.X[0], pred, s.masks[0], int(s.y[0]), name="untrained")
    text = fig.texts[0].get_text()
    assert text.startswith("untrained: ") and "density on the background" in text
    from xai_helpers.attribution import saliency
    from xai_helpers.evaluation import region_density

    net = MonsterCNN()
    fig = plotting.show_prediction(
        s.X[0], explain_prediction(net, s.X[0], s.masks[0]), s.masks[0], name="untrained"
    )
    k = int(net(s.X[:1]).argmax())
    expected = float(region_density(saliency(net, s.X[:1], target=k), ~s.masks[:1])[0])
    assert (
        f"{expected:.2f} (uniform map: 1)" in fig.texts[0].get_text()
    )  # the number shown is the density of the map drawn
    pred = explain_prediction(net, s.X[0], s.masks[0])
    fig = plotting.show_prediction(s.X[0], pred, s.masks[0], relative_vmax=3.0)
    drawn = fig.axes[1].images[0]
    assert drawn.get_clim() == (0.0, 3.0)  # one fixed scale, not the map's own range
    rel = np.asarray(drawn.get_array())[s.masks[0].numpy()].mean()
    assert rel == pytest.approx(1.0, rel=1e-4)  # the map divided by its mean on the creature
    with pytest.raises(ValueError, match="relative_vmax"):
        plotting.show_prediction(s.X[0], pred, s.masks[0], relative_vmax=0.0)


def test_lime_and_tree_figures_return_their_axes():
    from xai_helpers.data import make_parabola
    from xai_helpers.local_surrogates import lime_tabular_from_scratch

    seg = np.array([[0, 1], [0, 1]])
    _, ax = plt.subplots()
    assert (
        plotting.show_segment_weights(np.zeros((2, 2, 3)), seg, np.array([2.0, -1.0]), ax=ax)
        is ax.figure
    )
    assert ax.images[-1].get_clim() == (
        -2.0,
        2.0,
    )  # centred on 0: the colour of a weight is its sign
    _, ax = plt.subplots()
    plotting.show_segment_weights(np.zeros((2, 2, 3)), seg, np.array([0.2, -0.1]), ax=ax, vmax=2.0)
    assert ax.images[-1].get_clim() == (-2.0, 2.0)  # a shared scale: small weights stay faint
    for bad in (0.0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="vmax"):
            plotting.show_segment_weights(np.zeros((2, 2, 3)), seg, np.array([1.0, 0.0]), vmax=bad)
    f = lambda X: np.sin(X[:, 0])
    fit = lime_tabular_from_scratch(f, np.array([1.0]), kernel_width=0.5, n_samples=200)
    ax = plotting.show_local_line(f, 1.0, fit).axes[0]
    slope = np.diff(ax.lines[1].get_ydata()[:2]) / np.diff(ax.lines[1].get_xdata()[:2])
    assert slope[0] == pytest.approx(fit.coef[0])
    X, y = make_parabola(60, seed=0)
    ax = plotting.show_decision_regions(lambda A: (A[:, 1] > 0).astype(int), X, y).axes[0]
    assert len(ax.collections) >= 3  # the regions and one scatter per class


def test_filters_patches_and_elephant():
    from xai_helpers.models import ElephantScore

    fig = plotting.show_filters_and_patches(
        torch.rand(2, 1, 28, 28), torch.rand(2, 3, 1, 8, 8), [0, 1], ncols=2
    )
    assert len(fig.axes) == 2  # one strip per filter
    with pytest.raises(ValueError, match="must match"):
        plotting.show_filters_and_patches(
            torch.rand(3, 1, 28, 28), torch.rand(2, 3, 1, 8, 8), [0, 1]
        )
    post = torch.rand(2, 1, 28, 28)
    fig = plotting.show_filters_and_patches(
        {"post": post, "pre": torch.zeros(2, 1, 28, 28)},
        torch.ones(2, 3, 1, 8, 8),
        [4, 7],
        ncols=1,
        dead=[7],
        marks={4: "stuck"},
    )
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["#4: post | pre | top patches: stuck", "#7 (dead): post | pre | top patches"]
    strip = fig.axes[0].images[0].get_array()
    assert strip.shape == (28, 5 * 28 + 4 * 2)  # 2 versions + 3 patches, 4 grey gaps
    assert strip[:, :28].min() == 0 and strip[:, :28].max() == 1  # X* contrast-stretched
    assert (strip[:, -28:] == 1).all()  # patches enlarged, on [0, 1]
    with pytest.raises(ValueError, match="dead"):
        plotting.show_filters_and_patches(
            torch.rand(2, 1, 28, 28), torch.rand(2, 3, 1, 8, 8), [0, 1], dead=[5]
        )
    ax = plotting.plot_elephant(ElephantScore(), trunk=2.5, ear=0.5, grad=0.002).axes[0]
    assert ax.lines[0].get_xdata().max() == pytest.approx(3.0) and len(ax.lines) == 3


def test_grouped_bars_draws_every_value_and_checks_its_input():
    import matplotlib.pyplot as plt

    ax = plotting.grouped_bars(
        {"linear": {"digit": 0.96, "control": 0.36}, "MLP": {"digit": 0.95, "control": 0.53}},
        reference=0.12,
        reference_label="majority",
    ).axes[0]
    heights = sorted(round(p.get_height(), 2) for p in ax.patches)
    assert heights == [0.36, 0.53, 0.95, 0.96]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["digit", "control"]
    assert any(abs(line.get_ydata()[0] - 0.12) < 1e-9 for line in ax.lines)
    with pytest.raises(ValueError, match="metrics"):
        plotting.grouped_bars({"a": {"x": 1.0}, "b": {"y": 1.0}})
    plt.close("all")


def test_image_columns_puts_item_i_in_row_i():
    import matplotlib.pyplot as plt

    batch = torch.zeros(3, 1, 28, 28)
    batch[1] = 1.0
    fig = plotting.image_columns({"a": batch, "b": batch * 0.5})
    axes = np.array(fig.axes).reshape(3, 2)
    assert axes[0, 0].get_title() == "a" and axes[0, 1].get_title() == "b"
    assert (
        axes[1, 0].images[0].get_array().mean() == 1.0
        and axes[1, 1].images[0].get_array().mean() == 0.5
    )
    assert axes[1, 0].images[0].get_clim() == (
        0.0,
        1.0,
    )  # one fixed scale: decoded images compare by brightness
    with pytest.raises(ValueError, match="same number"):
        plotting.image_columns({"a": batch, "b": batch[:2]})
    plt.close("all")


def test_plot_embedding_gives_ten_digits_ten_distinct_hues_and_markers():
    import matplotlib.pyplot as plt
    from matplotlib.colors import rgb_to_hsv, to_hex, to_rgb

    ax = plotting.plot_embedding(
        np.random.default_rng(0).normal(size=(50, 2)), np.arange(50) % 10
    ).axes[0]
    used = {
        (to_hex(coll.get_facecolors()[0]), coll.get_paths()[0].vertices.tobytes())
        for coll in ax.collections
    }
    colours = {c for c, _ in used}
    assert colours == {c.lower() for c in DISTINCT_COLOURS} and len(used) == 10
    assert len({m for _, m in used}) == 10  # a marker per digit too: two cues per group
    # no two colours alike: every pair differs clearly in hue, lightness or saturation
    hsv = [rgb_to_hsv(to_rgb(c)) for c in colours]
    for i, a in enumerate(hsv):
        for b in hsv[i + 1 :]:
            hue = min(abs(a[0] - b[0]), 1 - abs(a[0] - b[0]))
            assert hue > 0.04 or abs(a[2] - b[2]) > 0.2 or abs(a[1] - b[1]) > 0.3, (a, b)
    plt.close("all")


def test_image_grid_titles_of_a_lower_row_stay_clear_of_the_row_above():
    fig = plotting.image_grid(
        torch.rand(20, 1, 28, 28),
        titles=[f"CNN: {i}" for i in range(20)],
        ncols=10,
        size=1.8,
        suptitle="s",
    )
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    upper, lower = fig.axes[0], fig.axes[10]
    assert lower.title.get_window_extent(renderer).y1 <= upper.get_window_extent(renderer).y0 + 0.5
    plt.close(fig)


def test_every_figure_helper_takes_ax_or_axes_is_typed_and_returns_its_figure():
    """The one convention (CONTRIBUTING): ``ax=None`` (one panel) or ``axes=None`` (several) in,
    the ``Figure`` drawn on out, every parameter typed."""
    import inspect

    # occlusion_update makes a slider's update function; the function it returns draws the figure
    not_figures = {"ImageLike", "to_numpy_image", "checkerboard", "occlusion_update"}
    helpers = [n for n in plotting.__all__ if n not in not_figures]
    assert len(helpers) >= 20
    for name in helpers:
        sig = inspect.signature(getattr(plotting, name))
        params = sig.parameters
        assert ("ax" in params) != ("axes" in params), f"{name} takes neither or both of ax/axes"
        assert (params.get("ax") or params["axes"]).default is None, name
        assert sig.return_annotation == "Figure", f"{name} returns {sig.return_annotation}"
        untyped = [
            p.name
            for p in params.values()
            if p.annotation is inspect.Parameter.empty and p.kind is not p.VAR_KEYWORD
        ]
        assert not untyped, f"{name}: untyped {untyped}"


@pytest.mark.parametrize(
    ("helper", "args"),
    [
        ("show_image", (torch.rand(1, 8, 8),)),
        ("show_heatmap", (torch.rand(8, 8),)),
        ("bar_chart", (["a"], [1.0])),
        ("plot_against_depth", ({"d": {"input": 0.1, "fc2": 0.3}},)),
    ],
)
def test_a_one_panel_helper_returns_the_figure_of_the_axes_it_was_given(helper, args):
    fig, (left, right) = plt.subplots(1, 2)
    assert getattr(plotting, helper)(*args, ax=right) is fig
    assert right.has_data() and not left.has_data()
    plt.close(fig)


def test_show_filter_panel_draws_versions_then_patches():
    fig = plotting.show_filter_panel(
        {"a": torch.rand(1, 28, 28), "b": torch.rand(1, 28, 28)}, torch.rand(3, 1, 8, 8), "t"
    )
    assert [ax.get_title() for ax in fig.axes] == [
        "a",
        "b",
        "real patch 1",
        "real patch 2",
        "real patch 3",
    ]
    assert fig._suptitle.get_text() == "t"
    with pytest.raises(ValueError, match="patches must be"):
        plotting.show_filter_panel({"a": torch.rand(1, 28, 28)}, torch.rand(3, 8, 8))


def test_show_photo_attack_shows_one_channel_of_delta_at_its_true_size():
    from xai_helpers.attacks import AttackResult

    x = torch.zeros(1, 3, 16, 16)
    adv = x.clone()
    adv[0, 0, :8] = 8 / 255  # red channel only: the mean over RGB would show 8/3
    maps = torch.rand(1, 16, 16)
    r = AttackResult(adv, *(torch.ones(1),) * 4, maps, maps)
    fig = plotting.show_photo_attack(x, r, r, epsilon_255=8, block=4)
    shown = fig.axes[2].images[0].get_array()
    assert float(np.max(shown)) == pytest.approx(8.0, abs=1e-4)
    with pytest.raises(ValueError, match="channel"):
        plotting.show_photo_attack(x, r, r, channel=3)
    plt.close("all")


def test_grouped_bars_labels_a_value_that_rounds_to_zero_without_a_sign():
    ax = plotting.grouped_bars({"a": {"x": -0.001, "y": -0.5, "z": 0.004}}).axes[0]
    assert [t.get_text() for t in ax.texts] == ["0.00", "-0.50", "0.00"]
    plt.close("all")


def test_embedding_rows_draws_digit_and_lamp_per_row():
    emb = np.random.default_rng(0).normal(size=(30, 2))
    fig = plotting.embedding_rows({"a": emb, "b": emb}, np.arange(30) % 10, np.arange(30) % 3)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["a, by digit", "a, by lamp", "b, by digit", "b, by lamp"]
    with pytest.raises(ValueError):
        plotting.embedding_rows({}, np.arange(30), np.arange(30))
    plt.close("all")


def test_plot_against_depth_draws_a_band_or_a_bar_per_null():
    curves = {"trained": {"input": 0.0, "relu3": 0.3, "fc2": 0.4}}
    bands = {
        "band": (
            {"input": 0.0, "relu3": 0.1, "fc2": 0.1},
            {"input": 0.1, "relu3": 0.2, "fc2": 0.2},
        ),
        "bar": ({"relu3": -0.1}, {"relu3": 0.05}),
    }
    ax = plotting.plot_against_depth(curves, bands=bands).axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["trained", "band", "bar"]
    assert len(ax.collections) == 2  # one shaded band, one vertical bar
    band = ax.collections[0].get_paths()[0].vertices
    assert np.isclose(band[:, 1].max(), 0.2) and np.isclose(band[:, 1].min(), 0.0)
    bar = ax.collections[1].get_segments()[0]
    assert np.allclose(bar[:, 0], 1) and np.allclose(sorted(bar[:, 1]), [-0.1, 0.05])
    plt.close("all")


def test_plot_against_depth_gives_null_bands_colours_no_curve_has_and_labels_the_floor():
    from matplotlib.colors import to_hex

    from xai_helpers.plotting.representations import BAND_COLOURS

    curves = {f"c{i}": {"input": 0.1 * i, "fc2": 0.2} for i in range(4)}
    bands = {"null": ({"input": 0.0, "fc2": 0.0}, {"input": 0.1, "fc2": 0.1})}
    ax = plotting.plot_against_depth(curves, bands=bands, chance=0.3, chance_label="floor").axes[0]
    line_colours = {to_hex(line.get_color()) for line in ax.lines[:4]}
    assert to_hex(ax.collections[0].get_facecolor()[0]) == BAND_COLOURS[0].lower()
    assert BAND_COLOURS[0].lower() not in line_colours
    assert "floor" in [t.get_text() for t in ax.get_legend().get_texts()]
    plt.close("all")


def test_plot_against_depth_places_a_partial_curve_at_its_layers():
    curves = {"all": {"input": 0.0, "relu3": 0.3, "fc2": 0.4}, "deep": {"relu3": 0.5, "fc2": 0.6}}
    ax = plotting.plot_against_depth(curves).axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["input", "relu3", "fc2"]
    assert list(ax.lines[1].get_xdata()) == [1, 2]
    plt.close("all")


def test_occlusion_update_draws_on_one_fixed_two_sided_scale_and_caches():
    from xai_helpers.models import MnistCNN

    model, x = MnistCNN().eval(), torch.rand(1, 1, 28, 28)
    cache = {}
    update = plotting.occlusion_update(model, x, 3, vmax=4.0, outline=x[0, 0] > 0.5, cache=cache)
    text = update(8, 4, "grey")
    assert text.startswith("36 boxes") and (8, 4, "grey") in cache
    fig = plt.gcf()
    assert fig.axes[1].images[-1].get_clim() == (-4.0, 4.0)  # the same for every setting
    cache[6, 3, "black"] = torch.full((8, 8), 0.5)  # a cached map is drawn, not recomputed
    assert "from 0.0 to 0.0" in update(6, None, "black")


def test_region_test_and_deletion_vs_null_figures():
    img, region = torch.rand(8, 8, 3), torch.zeros(8, 8, dtype=torch.bool)
    region[2:4, 2:4] = True
    copies = torch.stack([region.roll(2, 0), region.roll(1, 1)])
    drops, overlap = torch.tensor([1.0, 3.0]), torch.tensor([0.0, 0.5])
    fig = plotting.show_region_test(img, region, copies, 2.0, drops, overlap, name="the box")
    assert "the worst copy" in fig.axes[1].get_title() and "3.00" in fig.axes[1].get_title()
    assert fig.axes[2].lines[0].get_ydata()[0] == 1.0  # the largest miss: the copy with overlap 0
    z = torch.tensor([[0.0, 3.0], [2.0, 0.0], [0.0, 5.0]])  # region, then the two copies
    names = ["ant", "bee"]
    fig = plotting.show_region_test(
        img, region, copies, 2.0, drops, overlap, logits=z, class_names=names
    )
    assert "top class bee (P 0.95)" in fig.axes[0].get_title()  # the region's row 0
    assert "top class bee (P 0.99)" in fig.axes[1].get_title()  # the worst copy: row 1 + 1
    null = {10: torch.rand(5, 4), 20: torch.rand(5, 4) + 1}
    fig = plotting.plot_deletion_vs_null([10, 20], {"map": [2.0, 3.0]}, null)
    lines = fig.axes[0].lines
    assert list(lines[1].get_ydata()) == pytest.approx([float(v.mean()) for v in null.values()])
    assert list(lines[2].get_ydata()) == pytest.approx(
        [float(v.amax(0).mean()) for v in null.values()]
    )
    assert lines[2].get_label() == "best of 5 draws (searched)"  # the search's cost is named
    fig = plotting.plot_deletion_vs_null([10, 20], {"map": [2.0, 3.0]}, null, searched=False)
    assert [ln.get_label() for ln in fig.axes[0].lines] == ["map", "ink blob (null), mean"]


def test_show_ascent_rows_one_strip_per_row():
    from xai_helpers.plotting import show_ascent_rows

    rows = {"a": torch.rand(10, 1, 6, 6) * 2, "b": torch.rand(10, 1, 6, 6)}
    fig = show_ascent_rows(rows, {"a": [1.4] * 10, "b": [-2.0] * 10}, unclipped=["a"])
    assert len(fig.axes) == 2
    assert "unclipped" in fig.axes[0].get_title() and "-2 -2" in fig.axes[1].get_title()
    with pytest.raises(ValueError):
        show_ascent_rows(rows, {"a": [1.0] * 10})
    plt.close(fig)


def test_show_latent_radii_marks_each_search():
    from xai_helpers.plotting import show_latent_radii

    fig = show_latent_radii(torch.randn(300, 8).norm(dim=1), {"a": 1.0, "b": 2.5}, 8)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "‖z‖" and "shell" in ax.get_title()
    assert len(ax.get_legend().get_texts()) == 4  # density, histogram, two marks
    with pytest.raises(ValueError):
        show_latent_radii(torch.ones(3), {str(i): 1.0 for i in range(5)}, 8)
    plt.close(fig)


def test_notebook_02_figures_have_titles_and_scales():
    m = torch.zeros(2, 48, 48, dtype=torch.bool)
    m[:, 10:30, 10:30] = True
    fig = plotting.show_relative_saliency(
        torch.rand(2, 3, 48, 48), torch.rand(2, 48, 48), m, ["a", "b"], "model"
    )
    assert fig._suptitle is not None and "creature" in fig.axes[-1].get_ylabel()
    fig = plotting.show_half_maps(
        {"a": torch.rand(3, 8, 8), "b": torch.rand(3, 8, 8)},
        {"a": torch.ones(3), "b": torch.ones(3)},
        3.5,
    )
    assert len(fig.axes) == 3  # two maps and one shared colour bar
    med = {(n, k): [0.1, 0.2] for n in ("a", "b") for k in ("actual", "gradient")}
    fig = plotting.plot_path_curves(med, (0.2, 0.5), ["a", "b"])
    assert fig.axes[0].get_ylabel() == "median change of log-odds"
    fig = plotting.plot_grey_sweep((0.0, 0.5), {"log-odds": [1, 0], "bg density": [0.5, 1.2]})
    assert [ax.get_title() for ax in fig.axes] == ["log-odds", "bg density"]


def test_readable_model_figures_of_notebook_00():
    """Weight path on fixed limits, weight images on one scale centred on 0, the tree panel rings
    each tested pixel, accuracy and proportion panels draw one row/bar per model/group."""
    from sklearn.tree import DecisionTreeClassifier

    ax = plotting.plot_weight_path([0.4, -0.2, -0.5], k=1).axes[0]
    assert list(ax.lines[0].get_ydata()) == [0.4, -0.2]
    assert ax.get_ylim() == pytest.approx((-0.55, 0.55))  # the whole path's range, for every k
    with pytest.raises(ValueError, match="k"):
        plotting.plot_weight_path([0.4, -0.2], k=2)
    fig = plotting.show_weight_images(np.array([[[1.0, -3.0]], [[0.5, 0.0]]]), titles=["a", "b"])
    assert [a.images[0].get_clim() for a in fig.axes[:2]] == [(-3.0, 3.0)] * 2
    with pytest.raises(ValueError, match="N, H, W"):
        plotting.show_weight_images(np.zeros((3, 3)))
    rng = np.random.default_rng(0)
    X, y = rng.random((60, 16)), (np.arange(60) % 2).astype(int)
    tree = DecisionTreeClassifier(max_depth=2, random_state=0).fit(X, y)
    fig = plotting.show_tree_depth(tree, [2, 4], [0.5, 0.6], [0.1, 0.1], 1, X[0].reshape(4, 4))
    tested = {divmod(int(f), 4) for f in tree.tree_.feature if f >= 0}
    ringed = {(int(ln.get_ydata()[0]), int(ln.get_xdata()[0])) for ln in fig.axes[1].lines}
    assert ringed == tested
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert any(t.startswith("row ") and "ink ≤" in t for t in texts)  # splits: pixel, ink test
    assert "at most 4 digits" in fig.axes[0].get_title()  # 4 leaves name at most 4 classes
    fig = plotting.show_tree_depth(None, [2, 4], [0.5, 0.6], [0.1, 0.1], 0, X[0].reshape(4, 4))
    assert "too many" in fig.axes[0].texts[0].get_text()
    correct = {"a": np.arange(40) % 4 > 0, "b": np.arange(40) % 2 > 0}
    fig = plotting.plot_accuracy_panels({"t": (correct, 0.5)}, pairs={"a − b": ("a", "b")})
    assert [t.get_text() for t in fig.axes[1].get_yticklabels()] == ["a − b"]
    fig = plotting.plot_proportions({"p": {"x": (1, 4), "y": (3, 4)}})
    assert [p.get_height() for p in fig.axes[0].patches] == pytest.approx([25.0, 75.0])
    plt.close("all")


def test_show_lime_rows_shares_one_colour_scale_per_row():
    seg, img = np.array([[0, 1], [0, 1]]), np.zeros((2, 2, 3))
    rows = {
        "a": [(img, seg, np.array([1.0, -2.0]), "x"), (img, seg, np.array([0.5, 0.5]), "y")],
        "b": [(img, seg, np.array([3.0, 0.0]), "z")],
    }
    fig = plotting.show_lime_rows(rows, inputs=[(img, "in")], suptitle="s")
    clims = [ax.images[-1].get_clim() for ax in fig.axes if ax.get_title() in ("x", "y", "z")]
    assert clims == [(-2.0, 2.0), (-2.0, 2.0), (-3.0, 3.0)]
    plt.close(fig)


def test_show_fidelity_curve_and_accuracy_vs_path_length_draw_every_curve():
    c = {"fidelity": np.array([0.2, 0.5]), "apl": np.array([1.0, 2.0]), "leaves": [2, 4]}
    fig = plotting.show_fidelity_curve({"a": c, "b": c}, 100, [1, 2])
    assert len(fig.axes[0].containers) == 2  # one errorbar per curve
    plt.close(fig)
    f = {"apl": np.array([0.0, 1.0]), "accuracy": np.array([0.5, 0.8])}
    pts = {"n1": (np.array([1.5]), np.array([0.9])), "n2": (np.array([0.5]), np.array([0.6]))}
    X = np.random.default_rng(0).uniform(-1, 1, (20, 2))
    panels = [(lambda A: (A[:, 1] > 0).astype(int), "p")]
    fig = plotting.show_accuracy_vs_path_length(pts, {"t": f}, panels, X, (X[:, 1] > 0).astype(int))
    assert len(fig.axes) == 2 and fig.axes[0].get_title() == "p"
    assert len(fig.axes[-1].collections) == 2
    plt.close(fig)


def test_attack_figures_draw_what_they_are_given():
    from xai_helpers.attacks import AttackResult

    fig = plotting.plot_attack_curves([0, 0.1], {"attack": [1, 0.3], "null": [1, 0.6]})
    assert [line.get_label() for line in fig.axes[0].lines] == ["attack", "null"]
    x = torch.rand(2, 1, 8, 8)
    r = AttackResult(x, *(torch.ones(2),) * 4, torch.rand(2, 8, 8), torch.rand(2, 8, 8))
    p = torch.full((10,), 0.1)
    fig = plotting.show_digit_attack(x[0], r, r, 1, (p, p), 0.1)
    assert sum(ax.get_title() != "" for ax in fig.axes) == 6
    with pytest.raises(ValueError, match="6 Axes"):
        plotting.show_digit_attack(x[0], r, r, 1, (p, p), 0.1, axes=fig.axes[:3])
    sweep = {1.0: {"curvature": 0.1, "edge": 0.1, "faithful": 0.5}}
    fig = plotting.plot_beta_sweep(sweep, {"edge": 0.2})
    assert len(fig.axes) == 3 and len(fig.axes[1].lines) == 2 and len(fig.axes[0].lines) == 1
    plt.close("all")


def test_new_row_and_grid_figures_draw_on_given_axes():
    from xai_helpers.evaluation import DeletionCurve

    fig, axes = plt.subplots(2, 3)
    row = {"x": torch.rand(8, 8), "y": torch.rand(8, 8)}
    rows = {"a": (torch.rand(3, 8, 8), row, None), "b": (torch.rand(3, 8, 8), row, None)}
    assert plotting.show_explanation_rows(rows, axes=axes) is fig
    assert [ax.get_title() for ax in axes[:, 0]] == ["a", "b"]
    plt.close(fig)
    c = DeletionCurve(torch.linspace(0, 1, 3), torch.tensor([[0.9, 0.5, 0.1]]))
    fig = plotting.plot_curve_panel(
        {("deletion", "grey"): {"u untrained": c}}, "grey", ["u untrained"], {"u": "C3"}
    )
    assert fig.axes[0].lines[0].get_linestyle() == "--"
    plt.close(fig)
    runs = {w: {"m": [{"trained": 1.0, "fc2": 0.2}]} for w in ("all", "ink")}
    fig = plotting.plot_randomization_bands(runs, {w: {"m": [0.5, 0.6]} for w in runs}, {"m": "p"})
    assert sum(ax.get_visible() for ax in fig.axes) == 1
    plt.close(fig)
    with pytest.raises(ValueError):
        plotting.show_explanation_rows({})


def test_show_prior_sweep_picks_the_nearest_weight():
    from xai_helpers.plotting import show_prior_sweep

    sweep = {0.0: torch.rand(10, 1, 6, 6), 0.05: torch.rand(10, 1, 6, 6)}
    reads = {0.0: [list(range(10)), [5] * 10], 0.05: [[5] * 10, [5] * 10]}
    fig = show_prior_sweep(sweep, reads, 0.04)
    assert "λ = 0.050" in fig._suptitle.get_text()
    assert fig.axes[3].get_title() == "3: L→5, F→5"
    plt.close(fig)


def test_show_search_reads_titles_each_image():
    from xai_helpers.plotting import show_search_reads

    fig = show_search_reads(torch.rand(12, 1, 6, 6), [1.0] * 12, ([6] * 12, [0] * 12), "digit 6")
    assert len(fig.axes) == 12 and fig.axes[0].get_title() == "m=1\nkNN 6, blurred 0"
    assert fig._suptitle.get_text() == "digit 6"
    plt.close(fig)


def test_show_search_reads_keeps_the_masked_images():
    from xai_helpers.plotting import show_search_reads

    keep = torch.arange(12) % 3 == 0
    reads = (torch.arange(12), torch.zeros(12, dtype=torch.long))
    fig = show_search_reads(torch.rand(12, 1, 6, 6), torch.arange(12.0), reads, "t", keep=keep)
    assert len(fig.axes) == 4 and fig.axes[1].get_title() == "m=3\nkNN 3, blurred 0"
    plt.close(fig)
