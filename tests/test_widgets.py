"""xai_helpers.widgets: sliders wired to an update function, with timings."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from xai_helpers import widgets  # noqa: E402


def test_sliders_update_on_release_and_validate():
    s = widgets.int_slider("box", 8, 2, 14, step=2)
    assert (s.value, s.min, s.max, s.step, s.continuous_update) == (8, 2, 14, 2, False)
    f = widgets.float_slider("σ", 0.15, 0.0, 0.5)
    assert f.value == 0.15 and not f.continuous_update
    with pytest.raises(ValueError, match="outside"):
        widgets.int_slider("box", 20, 2, 14)
    with pytest.raises(ValueError, match="outside"):
        widgets.float_slider("σ", -1.0, 0.0, 0.5)
    assert widgets.dropdown("fill", {"grey": 0.5, "black": 0.0}).value == 0.5


def test_interactive_panel_calls_update_with_current_values_and_times_it(monkeypatch):
    calls = []
    clock = [1000.0]  # a fake clock that only the update moves: box/10 seconds per call
    monkeypatch.setattr(widgets.time, "perf_counter", lambda: clock[0])

    def update(box, fill):
        import matplotlib.pyplot as plt

        calls.append((box, fill))
        clock[0] += box / 10
        plt.plot([0, box])
        return f"box={box}"

    box, fill = widgets.int_slider("box", 4, 2, 8), widgets.dropdown("fill", ["grey", "black"])
    panel = widgets.interactive_panel(update, box=box, fill=fill)
    assert calls == [(4, "grey")] and len(panel.timings) == 1
    box.value = 6
    fill.value = "black"
    assert calls[1:] == [(6, "grey"), (6, "black")]
    assert panel.timings == pytest.approx([0.4, 0.6, 0.6])  # each entry is the time its own update took
    label = panel.children[0].children[-1]
    assert "updated in 0.60 s" in label.value


def test_interactive_panel_needs_controls():
    with pytest.raises(ValueError, match="at least one control"):
        widgets.interactive_panel(lambda: None)
