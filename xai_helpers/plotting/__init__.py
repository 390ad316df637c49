"""Figures: images, heatmaps and overlays with colour bars, in a colour-blind-safe style.

A small core (:mod:`~xai_helpers.plotting._core`: images, heatmaps, overlays, grids, charts) and one
module per topic (attacks, attribution, evaluation, representations, surrogates, activation
maximization, text). Every helper takes ``ax=None`` (one panel; a new figure when omitted) or
``axes=None`` (several panels) and returns what it drew. Every public helper is re-exported here,
so ``from xai_helpers.plotting import show_image`` works.
"""

from __future__ import annotations

from ._core import (
    ImageLike,
    bar_chart,
    checkerboard,
    grouped_bars,
    image_columns,
    image_grid,
    overlay,
    show_file,
    show_heatmap,
    show_image,
    show_outline,
    signed_bars,
    to_numpy_image,
)
from .activation_maximization import show_filter_panel, show_filters_and_patches
from .attacks import show_photo_attack
from .attribution import (
    plot_elephant,
    plot_feature_attributions,
    show_baselines,
    show_explanation,
    show_explanation_rows,
    show_occlusion,
    show_prediction,
    show_saliency_rows,
)
from .evaluation import (
    interval_chart,
    interval_curve,
    plot_curve_panel,
    plot_deletion_curves,
    plot_randomization,
    plot_randomization_bands,
    plot_share_histogram,
    show_perturbations,
)
from .representations import (
    lamp_difference_images,
    plot_against_depth,
    plot_embedding,
    plot_lighting_sweep,
)
from .surrogates import show_decision_regions, show_local_line, show_segment_weights
from .text import plot_layer_pca, plot_token_pca, plot_word_attributions

__all__ = [
    "show_photo_attack",
    "plot_word_attributions",
    "plot_layer_pca",
    "plot_token_pca",
    "ImageLike",
    "to_numpy_image",
    "show_image",
    "show_heatmap",
    "show_outline",
    "overlay",
    "image_grid",
    "image_columns",
    "checkerboard",
    "show_file",
    "bar_chart",
    "signed_bars",
    "grouped_bars",
    "show_explanation",
    "show_explanation_rows",
    "show_baselines",
    "show_occlusion",
    "show_saliency_rows",
    "show_prediction",
    "plot_elephant",
    "plot_feature_attributions",
    "plot_deletion_curves",
    "plot_randomization",
    "plot_randomization_bands",
    "plot_share_histogram",
    "show_perturbations",
    "plot_curve_panel",
    "interval_chart",
    "interval_curve",
    "plot_embedding",
    "plot_against_depth",
    "plot_lighting_sweep",
    "lamp_difference_images",
    "show_segment_weights",
    "show_local_line",
    "show_decision_regions",
    "show_filters_and_patches",
    "show_filter_panel",
]
