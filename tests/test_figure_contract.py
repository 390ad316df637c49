"""The figure contract (issue 11): whatever a cell draws shows in that cell's output, whatever ran
before it.

Small notebooks run in a real kernel (nbclient, as JupyterLab's kernel would run them), and the
nbval plugin in the repository's conftest.py, which checks the contract on every course notebook, is
shown to fail on a cell that breaks it.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import pytest  # noqa: E402
from nbclient import NotebookClient  # noqa: E402

from xai_helpers import widgets  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("figure_contract_plugin", ROOT / "conftest.py")
plugin = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(plugin)

PANEL = """\
import matplotlib.pyplot as plt
from xai_helpers.widgets import interactive_panel, int_slider
def update(k):
    plt.plot(range(k))
panel = interactive_panel(update, k=int_slider("k", 3, 1, 5))
panel"""


def _notebook(cells: list[str]):
    nb = nbformat.v4.new_notebook(
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        }
    )
    nb.cells = [nbformat.v4.new_code_cell(s) for s in cells]
    return nb


def _run(cells: list[str]):
    nb = _notebook(cells)
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True).execute()
    return nb


def _images(cell) -> int:
    return sum(1 for o in cell.outputs if any(k.startswith("image/") for k in o.get("data", {})))


def _text(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def _output_widget_images(nb) -> list[int]:
    """Images in each Output widget's stored state (where the panel's figure goes)."""
    state = (
        nb.metadata.get("widgets", {})
        .get("application/vnd.jupyter.widget-state+json", {})
        .get("state", {})
    )
    return [
        sum(
            1
            for o in m["state"].get("outputs", [])
            if any(k.startswith("image/") for k in o.get("data", {}))
        )
        for m in state.values()
        if m.get("model_name") == "OutputModel"
    ]


@pytest.mark.parametrize("interactive", [False, True])
def test_interactive_panel_shows_the_figures_its_update_opens_and_leaves_pyplot_as_found(
    monkeypatch, interactive
):
    shown = []
    monkeypatch.setattr(widgets, "_show", shown.append)
    was = matplotlib.is_interactive()
    plt.close("all")
    try:
        matplotlib.interactive(interactive)
        mine = plt.figure()  # a figure of the caller's, open (and current) before the panel
        rc = dict(matplotlib.rcParams)

        def update(k):
            opened = [plt.figure(), plt.figure()]
            opened[0].gca().plot(range(k))
            assert not matplotlib.is_interactive(), "updates draw with interactive mode off"
            update.opened = opened

        slider = widgets.int_slider("k", 2, 1, 5)
        panel = widgets.interactive_panel(update, k=slider)
        # the first drawing is set as the Output widget's state (no capture, issue 17): one PNG per
        # figure
        first = panel.children[1].outputs
        assert [list(o["data"]) for o in first] == [["image/png", "text/plain"]] * 2, (
            "each figure the update opened, once"
        )
        assert first[0]["data"]["image/png"] != first[1]["data"]["image/png"], (
            "in order: the first has a line, the second is empty"
        )
        assert shown == [], "the first drawing displays nothing outside the panel"
        slider.value = 3  # a slider move draws inside the Output widget
        assert shown == update.opened, "each figure the update opened is shown once, in order"
        assert plt.get_fignums() == [mine.number] and plt.gcf() is mine
        assert matplotlib.is_interactive() is interactive and dict(matplotlib.rcParams) == rc

        def failing(k):
            plt.figure()
            raise RuntimeError("half drawn")

        with pytest.raises(RuntimeError, match="half drawn"):
            widgets.interactive_panel(failing, k=widgets.int_slider("k", 2, 1, 5))
        assert len(shown) == 2, "a failing update's figure is not shown"
        assert plt.get_fignums() == [mine.number] and matplotlib.is_interactive() is interactive
    finally:
        plt.close("all")
        matplotlib.interactive(was)


def test_a_plain_plot_after_a_panel_shows_its_figure():
    # The two-cell reproduction of issue 11: a panel draws the session's first figure, then a plain
    # plot.
    nb = _run(
        [PANEL, "import matplotlib\nprint(matplotlib.is_interactive())\nplt.plot([1, 2, 3]);"]
    )
    panel_cell, plot_cell = nb.cells
    assert _output_widget_images(nb) == [1], "the panel shows its one figure, once"
    assert _images(panel_cell) == 0, (
        "the panel's figure goes to its Output widget, not under the cell"
    )
    assert _text(plot_cell) == "True\n", "the panel left interactive mode off"
    assert _images(plot_cell) == 1


def test_figures_show_in_their_cell_after_ioff_an_exception_and_a_failing_panel():
    nb = _run(
        [
            "import xai_helpers\nxai_helpers.setup(seed=0, device='cpu')\nimport "
            "matplotlib.pyplot as plt\nplt.plot([1, 2]);",
            "plt.ioff()",
            # interactive mode is off: the inline backend alone would keep this figure
            "plt.plot([1, 3]);",
            "plt.plot([1, 4])\nraise ValueError('a cell that fails after drawing')",
            "from xai_helpers.widgets import interactive_panel, int_slider\n"
            "def update(k):\n    plt.plot(range(k))\n    raise RuntimeError('an update "
            "that fails')\n"
            "interactive_panel(update, k=int_slider('k', 3, 1, 5))",
            "import matplotlib\nprint(matplotlib.is_interactive(), "
            "plt.get_fignums())\nplt.plot([1, 5]);",
        ]
    )
    first, _, after_ioff, failing, panel, last = nb.cells
    assert [o.ename for o in failing.outputs if o.output_type == "error"] == ["ValueError"]
    assert _images(first) == 1 and _images(after_ioff) == 1 and _images(failing) == 1
    assert _images(panel) == 0, "a failing update's half-drawn figure is closed, not shown later"
    assert _text(last) == "False []\n", (
        "the panel restored interactive mode (off, as plt.ioff() left it) and closed its figure"
    )
    assert _images(last) == 1


def test_contract_problems_from_a_report_and_outputs():
    png = {"output_type": "display_data", "data": {"image/png": "iVBOR", "text/plain": "<Figure>"}}
    text = {"output_type": "execute_result", "data": {"text/plain": "[<Line2D>]"}}
    assert plugin.figure_contract_problems({"created": 0, "left_open": []}, [text]) == []
    assert plugin.figure_contract_problems({"created": 1, "left_open": []}, [text, png]) == []
    assert plugin.figure_contract_problems({"created": 2, "left_open": []}, [png]) == [
        "it created 2 matplotlib figure(s) but its output holds 1 image(s)"
    ]
    problems = plugin.figure_contract_problems({"created": 1, "left_open": [3]}, [text])
    assert len(problems) == 2 and "left its pyplot figure(s) [3] open" in problems[1]


def test_the_nbval_plugin_fails_a_cell_whose_figure_does_not_show(tmp_path):
    # Without xai_helpers.setup(), nothing rescues a figure drawn after plt.ioff(): cell 2 breaks
    # the contract. (The backend is loaded first: loading the inline backend switches interactive
    # mode on.)
    nbformat.write(
        _notebook(
            [
                "import matplotlib.pyplot as plt\nplt.plot([1, 2]);",
                "plt.ioff()",
                "plt.plot([1, 3]);",
                "x = 1",
            ]
        ),
        tmp_path / "bad.ipynb",
    )
    nbformat.write(
        _notebook(
            [PANEL, "plt.plot([1, 2, 3]);", "fig, ax = plt.subplots()\nax.plot([3, 2])\nplt.show()"]
        ),
        tmp_path / "good.ipynb",
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "conftest",
            "--nbval-lax",
            "-p",
            "no:cacheprovider",
            "-rf",
            "bad.ipynb",
            "good.ipynb",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = proc.stdout
    assert proc.returncode == 1, out[-3000:]
    assert "1 failed, 6 passed" in out, out[-3000:]
    assert "FAILED bad.ipynb::Cell 2" in out
    assert (
        "cell 2 breaks the figure contract: it created 1 matplotlib figure(s) but its "
        "output holds 0 image(s)" in out
    )
    assert "left its pyplot figure(s) [1] open" in out
