"""Sliders for the knobs the lecture says matter, with the time each update took shown beside them.

:func:`interactive_panel` wires slider widgets to an ``update(**values)`` function that draws a
figure; the figure is redrawn when a slider is released (``continuous_update=False``), and the
panel shows how long the update took. The same ``update`` function is what the benchmarks time.
"""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["int_slider", "float_slider", "dropdown", "interactive_panel"]

_STYLE = {"description_width": "initial"}


def int_slider(description: str, value: int, min: int, max: int, step: int = 1):  # noqa: A002
    """An ``IntSlider`` that updates on release.

    Examples
    --------
    >>> int_slider("box size", 8, 2, 14).value
    8
    """
    import ipywidgets as w

    if not min <= value <= max:
        raise ValueError(f"value {value} is outside [{min}, {max}]")
    return w.IntSlider(value=value, min=min, max=max, step=step, description=description, continuous_update=False, style=_STYLE)


def float_slider(description: str, value: float, min: float, max: float, step: float = 0.01, readout_format: str = ".2f"):  # noqa: A002
    """A ``FloatSlider`` that updates on release.

    Examples
    --------
    >>> float_slider("noise σ", 0.15, 0.0, 0.5).value
    0.15
    """
    import ipywidgets as w

    if not min <= value <= max:
        raise ValueError(f"value {value} is outside [{min}, {max}]")
    return w.FloatSlider(
        value=value, min=min, max=max, step=step, description=description, continuous_update=False, readout_format=readout_format, style=_STYLE
    )


def dropdown(description: str, options, value=None):
    """A ``Dropdown`` (options: a list, or a dict label → value).

    Examples
    --------
    >>> dropdown("fill", ["grey", "black"]).value
    'grey'
    """
    import ipywidgets as w

    return w.Dropdown(options=options, value=value if value is not None else (list(options.values())[0] if isinstance(options, dict) else list(options)[0]), description=description, style=_STYLE)


def interactive_panel(update: Callable[..., object], **controls):
    """Wire ``controls`` (name → widget) to ``update(**values)`` and show its figure below them.

    ``update`` draws with matplotlib (and may return a short text, shown under the figure).
    The panel's ``timings`` list collects the seconds each update took; the label beside the
    sliders shows the last one.

    Returns
    -------
    ipywidgets.VBox
        Display it as the last line of a cell.

    Examples
    --------
    >>> import contextlib, io
    >>> with contextlib.redirect_stdout(io.StringIO()):  # outside a notebook, clearing the output prints ANSI codes
    ...     panel = interactive_panel(lambda k: None, k=int_slider("k", 1, 0, 3))
    >>> len(panel.timings)
    1
    """
    import ipywidgets as w
    import matplotlib.pyplot as plt

    if not controls:
        raise ValueError("interactive_panel needs at least one control")
    timing = w.HTML()
    out = w.Output()
    timings: list[float] = []

    def run(**values):
        t0 = time.perf_counter()
        # ioff: the Output widget syncing its contents (on ipykernel 7 subshells) must not trigger a
        # redraw of the figure this update is drawing, or the browser receives a blank or half-drawn PNG.
        with plt.ioff(), out:
            out.clear_output(wait=True)
            text = update(**values)
            if text:
                print(text)
            plt.show()
        dt = time.perf_counter() - t0
        timings.append(dt)
        timing.value = f"<small>updated in {dt:.2f} s</small>"

    def on_change(_change=None):
        run(**{k: c.value for k, c in controls.items()})

    for c in controls.values():
        c.observe(on_change, names="value")
    panel = w.VBox([w.HBox([*controls.values(), timing], layout=w.Layout(flex_flow="row wrap")), out])
    panel.timings = timings
    on_change()
    return panel
