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
from .activation_maximization import (
    show_ascent_rows,
    show_filter_panel,
    show_filters_and_patches,
    show_latent_radii,
)
from .attacks import plot_attack_curves, plot_beta_sweep, show_digit_attack, show_photo_attack
from .attribution import (
    occlusion_update,
    plot_elephant,
    plot_feature_attributions,
    show_explanation,
    show_monster_case,
    show_occlusion,
    show_prediction,
    show_relative_saliency,
    show_saliency_rows,
)
from .evaluation import (
    interval_chart,
    interval_curve,
    plot_deletion_curves,
    plot_deletion_vs_null,
    plot_grey_sweep,
    plot_path_curves,
    plot_randomization,
    show_half_maps,
    show_region_test,
    show_training_files,
)
from .interpretable import (
    plot_accuracy_panels,
    plot_proportions,
    plot_weight_path,
    show_tree_depth,
    show_weight_images,
)
from .representations import (
    embedding_rows,
    lamp_difference_images,
    plot_against_depth,
    plot_embedding,
    plot_lighting_sweep,
)
from .surrogates import (
    show_accuracy_vs_path_length,
    show_decision_regions,
    show_fidelity_curve,
    show_lime_rows,
    show_local_line,
    show_segment_weights,
)
from .text import plot_layer_pca, plot_token_pca, plot_word_attributions

__all__ = [
    "show_photo_attack",
    "plot_attack_curves",
    "show_digit_attack",
    "plot_beta_sweep",
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
    "show_occlusion",
    "occlusion_update",
    "show_saliency_rows",
    "show_prediction",
    "plot_elephant",
    "plot_feature_attributions",
    "plot_deletion_curves",
    "plot_deletion_vs_null",
    "show_region_test",
    "plot_randomization",
    "interval_chart",
    "interval_curve",
    "embedding_rows",
    "show_training_files",
    "show_half_maps",
    "plot_path_curves",
    "plot_grey_sweep",
    "show_relative_saliency",
    "show_monster_case",
    "plot_embedding",
    "plot_against_depth",
    "plot_lighting_sweep",
    "lamp_difference_images",
    "show_segment_weights",
    "show_lime_rows",
    "show_fidelity_curve",
    "show_accuracy_vs_path_length",
    "show_local_line",
    "show_decision_regions",
    "show_filters_and_patches",
    "show_filter_panel",
    "show_ascent_rows",
    "show_latent_radii",
    "plot_weight_path",
    "show_weight_images",
    "show_tree_depth",
    "plot_accuracy_panels",
    "plot_proportions",
]
