"""tools/build_html.py: the course as a static site (``make html``)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("build_html", ROOT / "tools" / "build_html.py")
build_html = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build_html)

FIGURE_CELL = """\
import matplotlib.pyplot as plt
fig, ax = plt.subplots()
ax.plot([0, 1, 2], [0, 1, 4])
ax.set_title("a parabola")
plt.show()"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Build index.ipynb and a one-figure notebook that links to it (and to a notebook with no page)."""
    tmp = tmp_path_factory.mktemp("site")
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    nb.cells = [
        nbformat.v4.new_markdown_cell("# 99 · A tiny notebook\nBack to the [index](index.ipynb); see also [no page](nowhere.ipynb)."),
        nbformat.v4.new_code_cell(FIGURE_CELL),
    ]
    tiny = tmp / "99_tiny.ipynb"
    nbformat.write(nb, tiny)
    before = tiny.read_text()
    out = tmp / "html"
    written = build_html.build([ROOT / "notebooks" / "index.ipynb", tiny], out, timeout=120, log=lambda _: None)
    assert tiny.read_text() == before, "building the site must not write to the notebook"
    return out, written


def test_every_page_exists_and_the_index_links_it(site):
    out, written = site
    assert set(written) == {"index", "99_tiny"}
    assert (out / "99_tiny.html").exists() and (out / "index.html").exists()
    index = (out / "index.html").read_text()
    assert 'href="99_tiny.html"' in index
    assert build_html.check_site(out, ["index", "99_tiny"]) == []


def test_a_page_embeds_its_figure(site):
    out, _ = site
    page = (out / "99_tiny.html").read_text()
    images = re.findall(r'<img[^>]+src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert images and len(images[0]) > 1000, "the figure is embedded as PNG data"
    assert "A tiny notebook" in page


def test_links_between_notebooks_become_links_between_pages(site):
    out, _ = site
    page = (out / "99_tiny.html").read_text()
    assert 'href="index.html"' in page
    assert 'href="nowhere.ipynb"' in page  # no page for it: left alone


def test_the_index_is_the_rendered_index_notebook(site):
    out, _ = site
    index = (out / "index.html").read_text()
    assert "Explainable ML, the course" in index
    assert 'href="00_why_explain.ipynb"' in index  # its table is there; 00 was not built, so its link is left alone


def test_check_site_reports_missing_pages_and_figures(tmp_path):
    (tmp_path / "index.html").write_text('<a href="a.html">a</a>')
    (tmp_path / "a.html").write_text("<p>no figure</p>")
    problems = build_html.check_site(tmp_path, ["index", "a", "b"])
    assert "a.html has no embedded figure" in problems
    assert "b.html is missing" in problems
    assert not any("does not link a.html" in p for p in problems)


def test_widgets_become_what_they_showed():
    state = {
        "box": {"model_name": "VBoxModel", "state": {"children": ["IPY_MODEL_s", "IPY_MODEL_o"]}},
        "s": {"model_name": "IntSliderModel", "state": {"description": "k", "value": 3}},
        "o": {"model_name": "OutputModel", "state": {"outputs": [{"output_type": "stream", "name": "stdout", "text": "shown\n"}]}},
    }
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("panel")
    cell.outputs = [nbformat.v4.new_output("display_data", data={build_html.WIDGET_VIEW: {"model_id": "box"}, "text/plain": "VBox()"})]
    nb.cells = [cell]
    nb.metadata["widgets"] = {build_html.WIDGET_STATE: {"state": state}}
    out = build_html.static_widgets(nb).cells[0].outputs
    assert "k = 3" in out[0]["data"]["text/plain"]
    assert out[1]["text"] == "shown\n"
    assert "widgets" not in nb.metadata
