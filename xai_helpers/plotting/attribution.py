"""Figures of attribution maps: an image beside its explanations, occlusion maps, saliency rows.

Every helper takes ``ax=None`` (one panel) or ``axes=None`` (several) and returns what it drew."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from .._runtime import COURSE_CMAP, COURSE_DIVERGING_CMAP
from ..attribution import occlusion
from ..data.monsters import CLASSES
from ..evaluation import Prediction, explain_prediction
from ..models import ELEPHANT_FEATURES
from ..validation import check_number
from ._core import (
    ImageLike,
    _ax,
    _draw_overlay,
    grouped_bars,
    show_heatmap,
    show_image,
    show_outline,
    to_numpy_image,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "show_explanation",
    "show_occlusion",
    "occlusion_update",
    "show_saliency_rows",
    "show_prediction",
    "plot_elephant",
    "plot_feature_attributions",
    "show_relative_saliency",
    "show_monster_case",
    "show_explanation_rows",
    "show_baselines",
]


def show_occlusion(
    prob_map: ImageLike,
    box: int,
    stride: int,
    size: tuple[int, int],
    ax: Axes | None = None,
    title: str | None = None,
    label: str = "P(class) with the box here",
    **kwargs,
) -> Figure:
    """Show an occlusion map (one value per box position) on the image's pixel grid; returns the
    ``Figure``.

    Each value is drawn as a ``stride``×``stride`` cell centred on its box's centre, and the axes
    span the image (``size`` = (H, W)), so an outline or the image can be drawn on top. The colour
    scale is the map's own range unless ``vmin`` / ``vmax`` are given; the border no box centre
    reaches is mid-grey.

    Examples
    --------
    >>> ax = show_occlusion(torch.rand(6, 6), box=8, stride=4, size=(28, 28),
    ... title="occlusion").axes[0]
    >>> [float(v) for v in ax.get_xlim()]
    [-0.5, 27.5]
    """
    ax = _ax(ax)
    p = to_numpy_image(prob_map)
    if p.ndim != 2:
        raise ValueError(f"an occlusion map must be 2-D (rows, cols), got shape {p.shape}")
    h, w = size
    lo = box / 2 - 0.5 - stride / 2
    extent = (lo, lo + stride * p.shape[1], lo + stride * p.shape[0], lo)
    show_heatmap(p, ax=ax, title=title, label=label, extent=extent, **kwargs)
    ax.set_facecolor("0.5")
    ax.set_xlim(-0.5, w - 0.5)
    ax.set_ylim(h - 0.5, -0.5)
    return ax.figure


def occlusion_update(
    model: nn.Module,
    x: torch.Tensor,
    target: int,
    *,
    vmax: float,
    image: ImageLike | None = None,
    outline: ImageLike | None = None,
    normalization: tuple[Sequence[float], Sequence[float]] | None = None,
    cache: dict | None = None,
    batch_size: int = 512,
    progress: bool = False,
    name: str | None = None,
) -> Callable[..., str]:
    """An ``update(box, stride=None, fill="grey")`` for a slider panel
    (:func:`xai_helpers.widgets.interactive_panel`): occlusion of one image (1, C, H, W), drawn as
    the **drop of the log-odds** of ``target`` with the box at each position.

    The colour scale is fixed and two-sided, −``vmax`` to ``vmax`` for every setting, so maps of
    different boxes and fills compare: red, the box lowered the class; blue, it raised it.
    ``stride=None`` is half the box. Maps are cached (in ``cache``, keyed by (box, stride, fill),
    which may hold maps computed before); the returned text gives the lowest and highest log-odds
    with the box in place. ``name`` names the class in the image's title (default "class <target>").

    Examples
    --------
    >>> from xai_helpers.models import MnistCNN
    >>> update = occlusion_update(MnistCNN(), torch.rand(1, 1, 28, 28), 3, vmax=5.0)
    >>> update(8, 4, "grey").startswith("36 boxes")
    True
    >>> import matplotlib.pyplot as plt
    >>> plt.close("all")
    """
    import matplotlib.pyplot as plt

    cache = {} if cache is None else cache
    log_odds = lambda p: torch.logit(torch.as_tensor(p, dtype=torch.float64), eps=1e-7)  # noqa: E731
    with torch.no_grad():
        clean = log_odds(model(x).softmax(1)[0, target]).item()
    shown = x[0] if image is None else image
    size, name = tuple(x.shape[2:]), f"class {target}" if name is None else name

    def update(box: int, stride: int | None = None, fill: str = "grey") -> str:
        stride = box // 2 if stride is None else stride
        if (box, stride, fill) not in cache:
            opts = dict(fill=fill, normalization=normalization, batch_size=batch_size)
            pmap = occlusion(model, x, target, box, stride, progress=progress, **opts)
            cache[box, stride, fill] = pmap[0]
        lo = log_odds(cache[box, stride, fill])
        fig, axes = plt.subplots(1, 2, figsize=(7, 3))
        show_image(shown, ax=axes[0], title=f"log-odds of {name}: {clean:.1f}")
        title, label = f"{fill} box {box}, stride {stride}", "drop of log-odds, box here"
        kw = dict(signed=True, vmin=-vmax, vmax=vmax, title=title, label=label)
        show_occlusion(clean - lo, box, stride, size, ax=axes[1], **kw)
        if outline is not None:
            show_outline(outline, ax=axes[1], color="black")
        fig.tight_layout()
        return f"{lo.numel()} boxes; log-odds with the box from {lo.min():.1f} to {lo.max():.1f}"

    return update


def show_explanation(
    image: ImageLike,
    maps: ImageLike | Sequence[ImageLike] | Mapping[str, ImageLike],
    *,
    titles: Sequence[str] | None = None,
    overlay: bool = False,
    cmap: str | None = None,
    signed: bool | Sequence[bool] = False,
    quantile: float | None | Sequence[float | None] = None,
    image_title: str | None = None,
    label: str | Sequence[str] = "importance",
    outline: ImageLike | None = None,
    axes: Axes | Sequence[Axes] | np.ndarray | None = None,
    size: float = 3.0,
    shared_scale: bool = False,
) -> Figure:
    """Show an image beside its explanation maps (or the maps overlaid on it); returns the
    ``Figure``.

    Parameters
    ----------
    image : tensor or array
        The input, (C, H, W), (1, C, H, W), (H, W) or (H, W, 3).
    maps : tensor, array, sequence or dict
        One 2-D map, a sequence of 2-D maps, or a dict {title: map}. A map may be smaller than the
        image in overlay mode (Grad-CAM); it is stretched over it.
    titles : sequence of str, optional
        One title per map (taken from the dict's keys when ``maps`` is a dict).
    overlay : bool
        ``False``: the image in the first panel, one panel per map. ``True``: one panel per map,
        the map drawn semi-transparently over a grey copy of the image.
    cmap : str, optional
        Colour map; defaults to the course's colour-blind-safe maps (``COURSE_CMAP``, or
        ``COURSE_DIVERGING_CMAP`` for signed maps).
    signed : bool or sequence of bool
        Centre the colour scale on 0 (per map or for all).
    quantile : float in (0, 1], or one per map (``None`` for a map's full range), optional
        Scale the colour bar to this quantile of ``|map|`` instead of its maximum, so that a few
        extreme pixels do not wash out the map's variation.
    image_title, label : str
        The image panel's title; the colour bar's label (one, or one per map).
    outline : boolean mask (H, W), optional
        Drawn (with :func:`show_outline`) on every map panel, to put the input on its explanation.
    axes : sequence of Axes, optional
        Where to draw (``len(maps) + 1`` axes, or ``len(maps)`` with ``overlay=True``); a new row of
        panels, ``size`` inches each, when omitted.
    shared_scale : bool
        ``True``: one colour scale for all maps (the largest of their scales), so that a weak map
        looks weak beside a strong one; ``False`` (default): each map is scaled to its own range.

    Examples
    --------
    >>> img, sal = torch.rand(1, 28, 28), torch.rand(28, 28)
    >>> fig = show_explanation(img, {"saliency": sal, "signed": sal - 0.5}, signed=[False, True],
    ... quantile=0.99)
    >>> [ax.get_title() for ax in fig.axes[:3]]
    ['input', 'saliency', 'signed']
    >>> fig = show_explanation(img, torch.rand(7, 7), overlay=True, titles=["Grad-CAM"])
    >>> fig.axes[0].get_title()
    'Grad-CAM'
    >>> fig = show_explanation(img, [sal, 10 * sal], shared_scale=True)
    >>> [float(ax.images[-1].get_clim()[1]) == float(10 * sal.max()) for ax in fig.axes[1:3]]
    [True, True]
    """
    import matplotlib.pyplot as plt

    if isinstance(maps, dict):
        if titles is not None:
            raise ValueError("give titles either as the dict's keys or as titles=, not both")
        titles, maps = list(maps.keys()), list(maps.values())
    elif isinstance(maps, (torch.Tensor, np.ndarray)) and np.ndim(maps) == 2:
        maps = [maps]
    else:
        maps = list(maps)
    n = len(maps)
    if n == 0:
        raise ValueError("show_explanation needs at least one map")
    if titles is not None and len(titles) != n:
        raise ValueError(f"got {len(titles)} titles for {n} maps")
    signs = [bool(signed)] * n if isinstance(signed, (bool, np.bool_)) else list(signed)
    labels = [label] * n if isinstance(label, str) else list(label)
    quantiles = list(quantile) if isinstance(quantile, (list, tuple)) else [quantile] * n
    if len(signs) != n or len(labels) != n or len(quantiles) != n:
        raise ValueError(
            f"signed, label and quantile must be one value or one per map ({n}), got "
            f"{len(signs)}, {len(labels)} and {len(quantiles)}"
        )
    quantiles = [
        None if q is None else check_number(q, "quantile", 0, 1, low_open=True) for q in quantiles
    ]
    n_panels = n if overlay else n + 1
    if axes is None:
        fig, axes = plt.subplots(1, n_panels, figsize=(size * n_panels, size), squeeze=False)
        axes = list(axes.flat)
    else:
        axes = list(np.ravel(axes))
        if len(axes) != n_panels:
            raise ValueError(
                f"need {n_panels} axes for {n} maps (overlay={overlay}), got {len(axes)}"
            )
        fig = axes[0].figure
    if not overlay:
        show_image(image, ax=axes[0], title=image_title or "input")
    heats, scales = [], []
    for i, m in enumerate(maps):
        h = to_numpy_image(m).astype(float)
        if h.ndim != 2:
            raise ValueError(f"map {i} must be 2-D, got shape {h.shape}")
        q = quantiles[i]
        heats.append(h)
        scales.append(
            (float(np.quantile(np.abs(h), q)) if q is not None else float(np.abs(h).max())) or 1.0
        )
    if shared_scale:
        scales = [max(scales)] * n
    for i, (h, scale, ax) in enumerate(zip(heats, scales, axes if overlay else axes[1:])):
        q = quantiles[i]
        if signs[i]:
            kw = {"vmin": -scale, "vmax": scale}
        elif shared_scale:
            kw = {"vmin": min(float(hh.min()) for hh in heats), "vmax": scale}
        else:
            kw = {"vmax": scale} if q is not None else {}
        cm = cmap or (COURSE_DIVERGING_CMAP if signs[i] else COURSE_CMAP)
        title = titles[i] if titles is not None else None
        if overlay:
            _draw_overlay(image, h, ax, title=title, cmap=cm, label=labels[i], **kw)
        else:
            show_heatmap(h, ax=ax, title=title, cmap=cm, label=labels[i], **kw)
        if outline is not None:
            show_outline(outline, ax=ax, color="black" if signs[i] else "white")
    return fig


def show_saliency_rows(
    images: torch.Tensor,
    maps: torch.Tensor,
    titles: Sequence[str] | None = None,
    row_labels: tuple[str, str] = ("image", "saliency"),
    suptitle: str | None = None,
    axes: Axes | Sequence[Axes] | np.ndarray | None = None,
    outlines: torch.Tensor | None = None,
    quantile: float | None = 0.995,
    vmax: float | None = None,
    label: str = "|∂y/∂x| (max over RGB)",
) -> Figure:
    """Images (top row) over their saliency maps (bottom row, one shared colour bar). Returns the
    ``Figure``.

    Column ``i`` is image ``i`` above its map (what ``show_explanation`` draws for one image);
    ``axes``, if given, is a (2, N) grid of Axes.

    Parameters
    ----------
    images : torch.Tensor
        (N, C, H, W) images.
    maps : torch.Tensor
        (N, H, W) non-negative maps, drawn on one colour scale.
    titles : sequence of str, optional
        One title per column.
    outlines : torch.Tensor, optional
        (N, H, W) boolean masks (the object); their outline is drawn in white on each map, so that
        the input stands on its explanation.
    quantile : float in (0, 1] or None
        The colour scale ends at this quantile of all the maps' values (a few peak pixels would
        otherwise wash the maps out; the colour bar's arrow marks the clipped values); ``None``: at
        the maximum.
    vmax : float, optional
        The colour scale's end, overriding ``quantile``: pass the same value to two figures whose
        maps are to be compared on one scale.
    label : str
        The colour bar's label.

    Examples
    --------
    >>> fig = show_saliency_rows(torch.rand(3, 3, 8, 8), torch.rand(3, 8, 8))
    >>> len(fig.axes)
    7
    >>> m = torch.zeros(3, 8, 8, dtype=torch.bool); m[:, 2:6, 2:6] = True
    >>> fig = show_saliency_rows(torch.rand(3, 3, 8, 8), torch.rand(3, 8, 8), outlines=m,
    ... quantile=None)
    >>> len(fig.axes[3].collections)  # the first map (after the 3 images) carries the outline
    1
    """
    import matplotlib.pyplot as plt

    if len(images) != len(maps):
        raise ValueError(f"got {len(images)} images and {len(maps)} maps")
    if outlines is not None and (
        not isinstance(outlines, torch.Tensor)
        or outlines.dtype != torch.bool
        or outlines.shape != maps.shape
    ):
        raise ValueError(
            f"outlines must be a boolean tensor of the maps' shape {tuple(maps.shape)}, "
            f"got {getattr(outlines, 'shape', type(outlines).__name__)}"
        )
    if quantile is not None:
        quantile = check_number(quantile, "quantile", 0.0, 1.0, low_open=True)
    if vmax is not None:
        vmax = check_number(vmax, "vmax", 0.0, low_open=True)
    n = len(images)
    if axes is None:
        fig, axes = plt.subplots(2, n, figsize=(1.5 * n + 1.0, 3.4), squeeze=False)
    else:
        axes = np.asarray(axes).reshape(2, -1)
        if axes.shape[1] != n:
            raise ValueError(f"axes must be a 2 x {n} grid, got {axes.shape}")
        fig = axes[0, 0].figure
    values = maps.detach().float().flatten()
    if vmax is None:
        vmax = float(values.max() if quantile is None else values.quantile(quantile)) or 1.0
    for i in range(n):
        show_image(images[i], ax=axes[0, i], title=titles[i] if titles else None)
        im = axes[1, i].imshow(maps[i].detach().numpy(), cmap=COURSE_CMAP, vmin=0, vmax=vmax)
        if outlines is not None and outlines[i].any() and not outlines[i].all():
            show_outline(outlines[i], ax=axes[1, i], linewidth=0.8)
        axes[1, i].set_xticks([])
        axes[1, i].set_yticks([])
    axes[0, 0].set_ylabel(row_labels[0])
    axes[1, 0].set_ylabel(row_labels[1])
    fig.colorbar(
        im,
        ax=axes[1, :].tolist(),
        fraction=0.02,
        pad=0.01,
        label=label,
        extend="max" if vmax < float(values.max()) else "neither",
    )
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def show_prediction(
    x: torch.Tensor,
    prediction: Prediction,
    mask: torch.Tensor | None = None,
    y: int | None = None,
    class_names: Sequence[str] = CLASSES,
    name: str = "model",
    axes: Sequence[Axes] | np.ndarray | None = None,
    relative_vmax: float | None = None,
) -> Figure:
    """Draw one image beside the saliency map of its predicted class, the prediction as the title;
    returns the ``Figure``.

    ``prediction`` comes from :func:`xai_helpers.evaluation.explain_prediction`. ``mask`` (H, W),
    the foreground, is outlined on the map, and the saliency's density on the background relative
    to the foreground (1 for a uniform map) is written in the title; ``y`` is the true class.
    ``axes``: two Axes (image, map). ``relative_vmax``: with a ``mask``, draw the map divided by
    its mean on the foreground, on the fixed colour scale 0 to ``relative_vmax`` (1: as dense as
    the foreground), so that a weak map looks weak. Used by notebook 02's widget.

    Examples
    --------
    >>> from xai_helpers.evaluation import explain_prediction
    >>> from xai_helpers.models import MonsterCNN
    >>> x = torch.rand(3, 48, 48)
    >>> fig = show_prediction(x, explain_prediction(MonsterCNN(), x), y=1)
    >>> fig.texts[0].get_text().split(" with ")[0] in {"model: digimon", "model: pokemon"}
    True
    """
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(6.4, 3.4))
    k = prediction.predicted
    truth = f" (true: {class_names[y]})" if y is not None else ""
    sal, label = prediction.saliency, "|∂y/∂x|"
    relative = relative_vmax is not None and mask is not None
    if relative:
        vmax = check_number(relative_vmax, "relative_vmax", 0.0, low_open=True)
        sal = sal / sal[mask.to(sal.device)].mean().clamp_min(1e-12)
        label = "saliency ÷ its creature mean"
    fig = show_explanation(
        x,
        sal,
        titles=[f"saliency of '{class_names[k]}'"],
        image_title=f"input{truth}",
        label=label,
        outline=None if mask is None else mask.cpu().numpy(),
        axes=axes,
    )
    if relative:
        for im in fig.axes[1].images:
            im.set_clim(0.0, vmax)
    text = f"{name}: {class_names[k]} with probability {float(prediction.probs[k]):.3f}{truth}"
    if prediction.background_density is not None:
        text += (
            "\nsaliency density on the background / on the creature: "
            f"{prediction.background_density:.2f} (uniform map: 1)"
        )
    fig.suptitle(text, fontsize="medium")
    fig.tight_layout()
    return fig


def plot_elephant(
    model: nn.Module,
    trunk: float,
    ear: float,
    grad: float | None = None,
    ax: Axes | None = None,
    max_trunk: float = 3.0,
) -> Figure:
    """Draw p(elephant) against the trunk length, the current animal, and the gradient's tangent.

    Parameters
    ----------
    trunk, ear : float
        The animal being explained.
    grad : float, optional
        ∂p/∂trunk at that point; drawn as the tangent line.

    Returns
    -------
    matplotlib.figure.Figure
        The Figure drawn on; the first line of the Axes drawn in is the score curve.

    Examples
    --------
    >>> from xai_helpers.models import ElephantScore
    >>> ax = plot_elephant(ElephantScore(), trunk=2.5, ear=0.5, grad=0.002).axes[0]
    >>> ax.lines[0].get_xdata().max()
    np.float64(3.0)
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.5))
    dev = (
        model.weight.device
    )  # the model's buffers' device, so that a model moved to a GPU can be drawn
    ts = torch.linspace(0, max_trunk, 200, dtype=torch.float64, device=dev)
    with torch.no_grad():
        ps = model(torch.stack([ts, torch.full_like(ts, ear)], 1))
        p = float(model(torch.tensor([[trunk, ear]], dtype=torch.float64, device=dev))[0])
    ax.plot(ts.cpu().numpy(), ps.cpu().numpy(), color="C0", label="p(elephant)")
    ax.plot([trunk], [p], "o", color="C1", label=f"this animal: p = {p:.3f}")
    if grad is not None:
        dt = 0.35
        ax.plot(
            [trunk - dt, trunk + dt],
            [p - grad * dt, p + grad * dt],
            color="C1",
            lw=2,
            label=f"gradient ∂p/∂trunk = {grad:.4f}",
        )
    ax.set_xlabel(ELEPHANT_FEATURES[0])
    ax.set_ylabel("p(elephant)")
    ax.set_ylim(-0.05, 1.1)
    ax.set_title(f"The elephant detector (ear size {ear:.2f} m)")
    ax.legend(loc="lower right", fontsize="small")
    return ax.figure


def plot_feature_attributions(
    shares: Mapping[str, torch.Tensor],
    total: float,
    features: Sequence[str] = ("trunk", "ears"),
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    """Each method's attribution of one row's features, bars grouped by feature, with the total
    f(x) − f(x') as a dashed line; returns the ``Figure``.

    Parameters
    ----------
    shares : mapping
        ``{method: (1, F) attributions}``, e.g. from
        :func:`xai_helpers.attribution.feature_attributions`.
    total : float
        f(x) − f(x'), what complete methods add up to.
    features : sequence of str
        The F feature names.

    Examples
    --------
    >>> fig = plot_feature_attributions({"IG": torch.tensor([[0.9, 0.1]])}, 1.0)
    >>> len(fig.axes[0].patches)
    2
    """
    bars = {f: {name: float(a[0, j]) for name, a in shares.items()} for j, f in enumerate(features)}
    return grouped_bars(
        bars,
        ax=ax,
        title=title,
        ylabel="attribution",
        reference=total,
        reference_label="f(x) − f(x')",
    )


def show_relative_saliency(
    images: torch.Tensor,
    maps: torch.Tensor,
    masks: torch.Tensor,
    titles: Sequence[str],
    name: str,
    vmax: float = 3.0,
    axes: Sequence[Axes] | np.ndarray | None = None,
) -> Figure:
    """Notebook 02's saliency rows: each map divided by its own mean on the creature (``masks``
    True; 1 = as dense as the creature), the creature outlined, on the fixed colour scale 0 to
    ``vmax`` so that two models' figures compare. Returns the ``Figure``.

    Examples
    --------
    >>> m = torch.zeros(2, 8, 8, dtype=torch.bool); m[:, 2:6, 2:6] = True
    >>> fig = show_relative_saliency(torch.rand(2, 3, 8, 8), torch.rand(2, 8, 8), m, ["a", "b"],
    ...                              "model")
    >>> fig.axes[-1].get_ylabel()
    'saliency ÷ its creature mean'
    """
    mean_on = torch.stack([s[m].mean().clamp_min(1e-12) for s, m in zip(maps, masks)])
    fig = show_saliency_rows(
        images,
        maps / mean_on.view(-1, 1, 1),
        titles,
        outlines=masks,
        vmax=vmax,
        label="saliency ÷ its creature mean",
        axes=axes,
    )
    fig.suptitle(
        f"{name}: each map ÷ its mean on the creature (1 = that mean; white: outline)\n"
        f"one colour scale (0 to {vmax:g}) for every figure of this kind",
        y=1.1,
    )
    return fig


def show_monster_case(
    net: nn.Module,
    x: torch.Tensor,
    mask: torch.Tensor,
    y: int,
    name: str,
    background: tuple[float, float, float] | None = None,
    axes: Sequence[Axes] | np.ndarray | None = None,
) -> Figure:
    """One monster ``x`` (3, H, W), its background painted ``background`` (RGB in [0, 1]; ``None``:
    as loaded), beside ``net``'s saliency ÷ its creature mean and the prediction
    (:func:`show_prediction` with ``relative_vmax=3``). Notebook 02's slider.

    Examples
    --------
    >>> from xai_helpers.models import MonsterCNN
    >>> m = torch.zeros(48, 48, dtype=torch.bool); m[10:30, 10:30] = True
    >>> fig = show_monster_case(MonsterCNN(), torch.rand(3, 48, 48), m, 1, "model", (0.0,) * 3)
    >>> "bg 0.0" in fig.texts[0].get_text()
    True
    """
    if background is not None:
        x = torch.where(mask[None], x, torch.tensor(background, dtype=x.dtype).view(3, 1, 1))
    title = f"{name} · bg {'as loaded' if background is None else background[0]}"
    pred = explain_prediction(net, x, mask)
    return show_prediction(x, pred, mask, int(y), name=title, axes=axes, relative_vmax=3.0)


def show_explanation_rows(
    rows: Mapping[str, tuple[ImageLike, Mapping[str, ImageLike], ImageLike | None]],
    *,
    suptitle: str | None = None,
    size: float = 3.2,
    axes: Sequence[Axes] | np.ndarray | None = None,
    **kwargs,
) -> Figure:
    """Several images, each beside its maps, one row per image (:func:`show_explanation` per
    row); returns the ``Figure``.

    Parameters
    ----------
    rows : dict
        {image title: (image, {map title: map}, outline or None)}; a row with fewer maps than
        the longest leaves its last panels empty.
    suptitle : str, optional
        The figure's title.
    size : float
        Inches per panel.
    axes : array of Axes, optional
        A (rows, maps + 1) grid to draw on; a new figure when omitted.
    **kwargs
        Passed to :func:`show_explanation` for every row (``quantile``, ``label``,
        ``shared_scale``, ``signed``, …).

    Examples
    --------
    >>> img, m = torch.rand(3, 8, 8), torch.rand(8, 8)
    >>> fig = show_explanation_rows({"a": (img, {"x": m, "y": m}, None),
    ... "b": (img, {"x": m, "y": m}, m > 0.5)}, shared_scale=True)
    >>> [ax.get_title() for ax in fig.axes[:3]]
    ['a', 'x', 'y']
    """
    import matplotlib.pyplot as plt

    if not rows:
        raise ValueError("show_explanation_rows needs at least one row")
    n_cols = max(len(maps) for _, maps, _ in rows.values()) + 1
    if axes is None:
        fig, axes = plt.subplots(
            len(rows),
            n_cols,
            figsize=(size * n_cols, size * len(rows)),
            squeeze=False,
            layout="constrained",
        )
    else:
        axes = np.asarray(axes).reshape(len(rows), n_cols)
        fig = axes[0, 0].figure
    for ax_row, (title, (image, maps, line)) in zip(axes, rows.items()):
        used = len(maps) + 1
        show_explanation(
            image, dict(maps), image_title=title, outline=line, axes=ax_row[:used], **kwargs
        )
        for ax in ax_row[used:]:  # a row with fewer maps leaves its last panels empty
            ax.set_visible(False)
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def show_baselines(
    bases: Mapping[str, torch.Tensor],
    maps: Mapping[str, tuple[torch.Tensor, torch.Tensor]],
    probs: Mapping[str, torch.Tensor],
    label: int,
    ink: torch.Tensor | None = None,
    suptitle: str | None = None,
    axes: np.ndarray | None = None,
) -> Figure:
    """Integrated Gradients of one image from several baselines: each baseline (top row, its
    class probabilities in the title) over its IG map (bottom row, its completeness gap in the
    title); returns the ``Figure``.

    Parameters
    ----------
    bases : dict
        {name: baseline (1, 1, H, W)}.
    maps : dict
        {name: (attribution (1, 1, H, W), relative completeness gap (1,))}, as
        ``integrated_gradients(..., return_delta=True)`` returns them.
    probs : dict
        {name: the model's class probabilities on the baseline (n_classes,)}.
    label : int
        The image's class (its probability is shown).
    ink : torch.Tensor, optional
        A boolean (H, W) mask outlined on every map.
    suptitle : str, optional
        The figure's title.
    axes : array of Axes, optional
        A (2, len(bases)) grid to draw on; a new figure when omitted.

    Examples
    --------
    >>> b = {"black": torch.zeros(1, 1, 8, 8)}
    >>> m = {"black": (torch.randn(1, 1, 8, 8), torch.tensor([0.01]))}
    >>> fig = show_baselines(b, m, {"black": torch.full((10,), 0.1)}, label=3)
    >>> [ax.get_title() for ax in fig.axes[:2]]
    ['black: p(3) = 0.10, top 0 (0.10)', 'IG from black (gap 1.0%)']
    """
    import matplotlib.pyplot as plt

    if set(bases) != set(maps) or set(bases) != set(probs):
        raise ValueError("bases, maps and probs must have the same keys")
    n = len(bases)
    if axes is None:
        fig, axes = plt.subplots(2, n, figsize=(3 * n, 5.6), squeeze=False, layout="constrained")
    else:
        axes = np.asarray(axes).reshape(2, n)
        fig = axes[0, 0].figure
    for j, k in enumerate(bases):
        p, (ig_map, gap_k) = probs[k], maps[k]
        title = f"{k}: p({label}) = {p[label]:.2f}, top {int(p.argmax())} ({p.max():.2f})"
        show_image(bases[k], ax=axes[0, j], vmin=0, vmax=1, title=title)
        title = f"IG from {k} (gap {float(gap_k[0]):.1%})"
        show_heatmap(ig_map[0, 0], ax=axes[1, j], signed=True, title=title, label="attribution")
        if ink is not None:
            show_outline(ink, ax=axes[1, j], color="black", linewidth=0.6)
    if suptitle:
        fig.suptitle(suptitle)
    return fig
