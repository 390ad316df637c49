"""The figure contract, checked on the notebooks in the same run nbval already makes.

``pytest notebooks --nbval-lax`` runs each notebook's cells in one kernel, one test per cell. This
plugin adds to each cell test: *a cell that creates a matplotlib figure shows an image in its own
output, and leaves no pyplot figure open* (one left open would turn up in a later cell, or never).

How: before a notebook's first cell, a probe is installed in its kernel (a silent execute request)
that counts the ``matplotlib.figure.Figure`` objects created. After each cell, the count since the
previous cell and the pyplot figures still open are read back (another silent request, after the
cell's own end-of-cell hooks, which is where the inline backend shows and closes figures) and
compared with the image outputs nbval collected for the cell. A violation fails that cell's test.

Without ``--nbval``/``--nbval-lax`` (the unit tests) the plugin does nothing. Every test process
runs with one compute thread (``pytest_configure`` below).
"""

from __future__ import annotations

import ast
import json
from queue import Empty

import pytest

try:
    from nbval.plugin import IPyNbCell
except ImportError:  # nbval is a dev dependency; without it there are no notebook tests to check
    IPyNbCell = None

# Runs in the notebook's kernel, once, before its first cell. Names are kept out of the user's
# namespace.
PROBE = r"""
def _install_figure_probe():
    import functools, json, sys, types, weakref
    import matplotlib.figure

    probe = types.ModuleType("_figure_contract_probe")
    probe.created = []  # weak references to the figures created since the last report
    probe.widget_images = 0  # image outputs held by Output widgets at the last report
    init = matplotlib.figure.Figure.__init__

    @functools.wraps(init)
    def recording_init(self, *args, **kwargs):
        probe.created.append(weakref.ref(self))
        init(self, *args, **kwargs)

    def report():
        created, probe.created = [ref() for ref in probe.created], []
        open_now = []
        if "matplotlib.pyplot" in sys.modules:
            from matplotlib._pylab_helpers import Gcf
            open_now = [(m.num, m.canvas.figure) for m in Gcf.get_all_fig_managers()]
        # Images an Output widget holds in its kernel-side state (a panel's first drawing is put there,
        # not captured: issue 17); counted as shown, since the widget displays them in this cell.
        widget_images = 0
        if "ipywidgets" in sys.modules:
            from ipywidgets.widgets import widget as _w
            from ipywidgets import Output
            for inst in list(getattr(_w, "_instances", {}).values()):
                if isinstance(inst, Output):
                    widget_images += sum(1 for o in inst.outputs if any(k.startswith("image/") for k in o.get("data", {})))
        new_widget_images, probe.widget_images = max(widget_images - probe.widget_images, 0), widget_images
        return json.dumps({
            "created": len(created),
            "left_open": sorted(num for num, fig in open_now if any(fig is c for c in created)),
            "widget_images": new_widget_images,
        })

    matplotlib.figure.Figure.__init__ = recording_init
    probe.report = report
    sys.modules[probe.__name__] = probe

_install_figure_probe()
del _install_figure_probe
"""
REPORT = "__import__('_figure_contract_probe').report()"


class FigureContractError(AssertionError):
    """A notebook cell drew a figure that does not show in its output, or left one open."""


def _execute_silently(
    kernel, code: str, expressions: dict | None = None, timeout: float = 60
) -> dict:
    """Run ``code`` in nbval's kernel without output or history; return the execute reply's
    content."""
    msg_id = kernel.kc.execute(
        code,
        silent=True,
        store_history=False,
        user_expressions=expressions or {},
        allow_stdin=False,
    )
    while True:
        msg = kernel.kc.get_shell_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") == msg_id:
            return msg["content"]


def _read_report(kernel, timeout: float = 60) -> dict | None:
    """The probe's report for the cell that just ran (and reset its count); None if the kernel is
    gone."""
    if not kernel.is_alive():
        return None
    try:
        reply = _execute_silently(kernel, "", {"report": REPORT}, timeout=timeout)
    except Empty:
        return None
    value = reply.get("user_expressions", {}).get("report", {})
    if reply.get("status") != "ok" or value.get("status") != "ok":
        raise RuntimeError(f"the figure probe did not answer: {reply}")
    return json.loads(ast.literal_eval(value["data"]["text/plain"]))


def figure_contract_problems(report: dict, outputs: list) -> list[str]:
    """What breaks the contract, given the probe's report and the cell's outputs (empty:
    nothing)."""
    images = sum(
        1
        for o in outputs
        if o.get("output_type") in ("display_data", "execute_result")
        and any(k.startswith("image/") for k in o.get("data", {}))
    )
    images += report.get("widget_images", 0)
    problems = []
    if report["created"] > images:
        problems.append(
            f"it created {report['created']} matplotlib figure(s) but its output holds "
            f"{images} image(s)"
        )
    if report["left_open"]:
        problems.append(
            f"it left its pyplot figure(s) {report['left_open']} open (a later cell would "
            "show them)"
        )
    return problems


def pytest_configure(config):
    """One compute thread per test process, the course's own default (``xai_helpers.setup``).

    ``make test`` runs two xdist workers on a two-core machine; torch and BLAS pools sized to the
    machine would put four busy threads on two cores, and a spinning pool waits for its slowest
    thread (measured on the 2-core Xeon under load: one activation-maximization test 23 s with
    torch's default two threads, 0.7 s with one). Notebook kernels size their pools themselves.
    """
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(1)
    threadpool_limits(limits=1)  # numpy/scipy/scikit-learn's BLAS and OpenMP pools, for the session


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    if IPyNbCell is None or not isinstance(item, IPyNbCell):
        return (yield)
    notebook = item.parent
    if not getattr(notebook, "_figure_probe_installed", False):
        reply = _execute_silently(notebook.kernel, PROBE)
        if reply.get("status") != "ok":
            raise RuntimeError(
                f"could not install the figure probe: {reply.get('ename')}: {reply.get('evalue')}"
            )
        notebook._figure_probe_installed = True
    try:
        result = yield
    except BaseException:
        # The cell failed (or was skipped, or timed out) and says so; reset the count for the next
        # cell.
        try:
            _read_report(notebook.kernel, timeout=10)
        except Exception:
            pass
        raise
    report = _read_report(notebook.kernel)
    problems = (
        figure_contract_problems(report, item.test_outputs or []) if report is not None else []
    )
    if problems:
        raise FigureContractError(
            f"cell {item.cell_num} breaks the figure contract: "
            + "; ".join(problems)
            + "\n\n"
            + item.cell.source
        )
    return result
