"""Sliders for the knobs the lecture says matter, with the time each update took shown beside them.

:func:`interactive_panel` wires slider widgets to an ``update(**values)`` function that draws a
figure; the figure is redrawn when a slider is released (``continuous_update=False``), and the
panel shows how long the update took. The same ``update`` function is what the benchmarks time.
"""

from __future__ import annotations

import contextlib
import io
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

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
    return w.IntSlider(
        value=value,
        min=min,
        max=max,
        step=step,
        description=description,
        continuous_update=False,
        style=_STYLE,
    )


def float_slider(
    description: str,
    value: float,
    min: float,
    max: float,
    step: float = 0.01,
    readout_format: str = ".2f",
):  # noqa: A002
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
        value=value,
        min=min,
        max=max,
        step=step,
        description=description,
        continuous_update=False,
        readout_format=readout_format,
        style=_STYLE,
    )


def dropdown(description: str, options, value=None):
    """A ``Dropdown`` (options: a list, or a dict label → value).

    Examples
    --------
    >>> dropdown("fill", ["grey", "black"]).value
    'grey'
    """
    import ipywidgets as w

    return w.Dropdown(
        options=options,
        value=value
        if value is not None
        else (list(options.values())[0] if isinstance(options, dict) else list(options)[0]),
        description=description,
        style=_STYLE,
    )


@contextmanager
def _drawing_quietly() -> Iterator[Callable[[], list]]:
    """Draw figures with interactive mode off; close them on the way out; leave pyplot as found.

    Yields a function that returns the pyplot figures opened inside the block so far (the caller
    displays them). Interactive mode is off inside, so that nothing redraws or queues a figure that
    is half drawn: the Output widget syncing its contents (on ipykernel 7 subshells) must not
    trigger a redraw, or the browser receives a blank or half-drawn PNG. On the way out, whatever
    happened inside (an exception too), the figures opened inside are closed and interactive mode
    is what it was: neither this cell nor a later one shows them again, and a later cell's figures
    still show. Figures that were open before are left alone.
    """
    import matplotlib
    import matplotlib.pyplot as plt

    if not plt.get_fignums():
        # Load pyplot's backend now, before reading the interactive mode: loading the inline backend
        # switches interactive mode on, and restoring the state read before that would switch it
        # off for the rest of the session (issue 11: every later figure silently missing).
        # With figures open, the backend is loaded already.
        plt.draw_if_interactive()
    was_interactive = matplotlib.is_interactive()
    before = set(plt.get_fignums())
    opened = lambda: [plt.figure(n) for n in plt.get_fignums() if n not in before]
    matplotlib.interactive(False)
    try:
        yield opened
    finally:
        for fig in opened():
            plt.close(fig)
        matplotlib.interactive(was_interactive)


def _show(fig) -> None:
    """Display ``fig`` in the running notebook; outside IPython (tests, benchmarks) render it to PNG
    and drop it, so that an update's time includes the drawing, as in the notebook."""
    from IPython import get_ipython

    if get_ipython() is None:
        fig.savefig(io.BytesIO(), format="png")
        return
    from IPython.display import display

    display(fig)


def _draw(update, values) -> tuple[dict, ...]:
    """Run ``update(**values)`` and return what it drew and printed as Jupyter outputs.

    The first drawing of a panel runs while its cell executes. It is put into the Output widget as
    its ``outputs`` state rather than captured with ``with out:``: under nbclient (nbconvert
    --execute, nbgrader, papermill) a captured output makes the client send the widget's new state
    to the kernel on the shell channel while it waits there for the cell's execute_reply;
    jupyter_client writes through a plain shadow of its zmq.asyncio socket, which can swallow the
    socket's wake-up for the reply, and the cell then sits idle until the cell timeout (issue 17;
    ``benchmarks/repro_lost_reply.py`` and ``benchmarks/stress_notebooks.py panels`` show it).
    The figures ``update`` opens are rendered as the inline backend renders them, then closed.
    """
    from IPython.core.pylabtools import print_figure

    printed = io.StringIO()
    with _drawing_quietly() as new_figures, contextlib.redirect_stdout(printed):
        text = update(**values)
        outputs = [
            {
                "output_type": "display_data",
                "metadata": {},
                "data": {
                    "image/png": print_figure(fig, "png", base64=True),
                    "text/plain": repr(fig),
                },
            }
            for fig in new_figures()
        ]
    printed = printed.getvalue() + (f"{text}\n" if text else "")
    if printed:
        outputs.append({"output_type": "stream", "name": "stdout", "text": printed})
    return tuple(outputs)


def interactive_panel(update: Callable[..., object], **controls):
    """Wire ``controls`` (name → widget) to ``update(**values)`` and show its figure below them.

    ``update`` draws with matplotlib (and may return a short text, shown under the figure).
    The figures it opens are shown in the panel and closed; figures open before, and pyplot's
    interactive mode, are left as they were, so the cells after a panel still show their figures.
    The panel's ``timings`` list collects the seconds each update took; the label beside the
    sliders shows the last one.

    Returns
    -------
    ipywidgets.VBox
        Display it as the last line of a cell.

    Examples
    --------
    >>> import contextlib, io
    >>> # outside a notebook, clearing the output prints ANSI codes
    >>> with contextlib.redirect_stdout(io.StringIO()):
    ...     panel = interactive_panel(lambda k: None, k=int_slider("k", 1, 0, 3))
    >>> len(panel.timings)
    1
    """
    import ipywidgets as w

    if not controls:
        raise ValueError("interactive_panel needs at least one control")
    timing = w.HTML()
    out = w.Output()
    timings: list[float] = []

    def run(**values):
        t0 = time.perf_counter()
        if (
            timings
        ):  # a slider moved (in a browser): draw inside the Output widget, progress bars included
            with out, _drawing_quietly() as new_figures:
                out.clear_output(wait=True)
                text = update(**values)
                if text:
                    print(text)
                for fig in new_figures():
                    _show(fig)
        # the first drawing, while the cell runs: set the Output widget's contents, no capture
        # (issue 17)
        else:
            out.outputs = _draw(update, values)
        dt = time.perf_counter() - t0
        timings.append(dt)
        timing.value = f"<small>updated in {dt:.2f} s</small>"

    def on_change(_change=None):
        run(**{k: c.value for k, c in controls.items()})

    for c in controls.values():
        c.observe(on_change, names="value")
    panel = w.VBox(
        [w.HBox([*controls.values(), timing], layout=w.Layout(flex_flow="row wrap")), out]
    )
    panel.timings = timings
    on_change()
    return panel
