"""tools/build_site.py: the course site built by Jupyter Book 2 (``make html``).

Building the whole site executes all nine notebooks (minutes), so ``make test`` builds a site from
the index and one small notebook with a figure, a slider and an exercise (about half a minute). The
full site is checked where it is built: ``make html`` (run by ``.ci/run`` and by the GitHub
workflow) fails when a page, a figure or an image file is missing, with the checks tested here on
small cases.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("build_site", ROOT / "tools" / "build_site.py")
build_site = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build_site)

# Skipped on a laptop without Node.js; in CI (CI=true: .ci/run, GitHub Actions) a missing Node.js
# fails instead.
needs_jupyter_book = pytest.mark.skipif(
    not os.environ.get("CI")
    and (importlib.util.find_spec("jupyter_book") is None or shutil.which("node") is None),
    reason="jupyter-book (requirements.txt) and Node.js are needed to build the site",
)

FIGURE_CELL = """\
import matplotlib.pyplot as plt
fig, ax = plt.subplots()
ax.plot([0, 1, 2], [0, 1, 4])
ax.set_title("a parabola")
plt.show()"""

SLIDER_CELL = """\
import matplotlib.pyplot as plt
from xai_helpers.widgets import int_slider, interactive_panel

def draw(k):
    fig, ax = plt.subplots()
    ax.plot(range(10), [i ** k for i in range(10)])
    ax.set_title(f"power {k}")

interactive_panel(draw, k=int_slider("k", 3, 1, 5))"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("site")
    nb = nbformat.v4.new_notebook(
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        }
    )
    nb.cells = [
        nbformat.v4.new_markdown_cell(
            "# 99 · A tiny notebook\nBack to the [index](index.ipynb), with $x^2$ and `code`."
        ),
        nbformat.v4.new_code_cell(FIGURE_CELL),
        nbformat.v4.new_markdown_cell("A slider:"),
        nbformat.v4.new_code_cell(SLIDER_CELL),
        nbformat.v4.new_markdown_cell("## Exercises\n**Exercise 1** (1 point). Square it."),
        nbformat.v4.new_code_cell(
            "def square(x):\n    ### BEGIN SOLUTION\n    return x * x  # SECRET-SOLUTION\n    "
            "### END SOLUTION\nprint('solved', square(7))"
        ),
        nbformat.v4.new_code_cell(
            "# Check exercise 1 (1 point)\nassert callable(square)\n### BEGIN HIDDEN TESTS\n"
            "assert square(3) == 9  # SECRET-HIDDEN\n### END HIDDEN TESTS"
        ),
        nbformat.v4.new_markdown_cell("**Exercise 2** (1 point). Why?"),
        nbformat.v4.new_markdown_cell(
            "**Answer to exercise 2** (1 point, graded by hand)\n\n### BEGIN SOLUTION\n"
            "SECRET-ANSWER\n### END SOLUTION"
        ),
    ]
    tiny = tmp / "99_tiny.ipynb"
    nbformat.write(nb, tiny)
    before = tiny.read_text()
    out, work = tmp / "html", tmp / "book"
    problems = build_site.build(
        [ROOT / "notebooks" / "index.ipynb", tiny], out, work, timeout=300, log=lambda _: None
    )
    assert tiny.read_text() == before, "building the site must not write to the notebook"
    return out, work, problems


@needs_jupyter_book
def test_every_page_exists_and_shows_its_figures(site):
    out, work, problems = site
    assert problems == []
    pages = build_site.pages_by_notebook(work)
    assert set(pages) == {"index.ipynb", "99_tiny.ipynb"}
    assert (out / f"{pages['index.ipynb']}.html").exists() and (
        out / f"{pages['99_tiny.ipynb']}.html"
    ).exists()


@needs_jupyter_book
def test_the_figure_and_the_widgets_last_state_are_in_the_page(site):
    out, work, _ = site
    page = (out / f"{build_site.pages_by_notebook(work)['99_tiny.ipynb']}.html").read_text()
    images = build_site.LOCAL_IMG.findall(page)
    assert len(images) == 2, images  # the plain figure and the slider's figure
    assert (out / images[0]).stat().st_size > 1000, "the figure is a file Jupyter Book wrote"
    assert images[1].startswith("data:image/png;base64,") and len(images[1]) > 1000, (
        "the slider's figure, from the widget state"
    )
    assert re.search(r"<code>k = 3</code>", page), "the slider is shown with its value"
    assert "A tiny notebook" in page and "<math" in page


@needs_jupyter_book
def test_the_public_site_holds_no_solution_answer_or_hidden_test(site):
    out, work, _ = site
    page = (out / f"{build_site.pages_by_notebook(work)['99_tiny.ipynb']}.html").read_text()
    for secret in ("SECRET-SOLUTION", "SECRET-HIDDEN", "SECRET-ANSWER", "solved 49"):
        assert secret not in page, secret
    assert (
        "YOUR CODE HERE" in page
        and "YOUR ANSWER HERE" in page
        and "assert callable(square)" in page
    )
    assert "a parabola" in page or "<img" in page  # the lesson's own outputs stay


@needs_jupyter_book
def test_links_between_notebooks_become_links_between_pages(site):
    out, work, _ = site
    pages = build_site.pages_by_notebook(work)
    tiny = (out / f"{pages['99_tiny.ipynb']}.html").read_text()
    assert f'href="{pages["index.ipynb"]}.html"' in tiny
    index = (out / f"{pages['index.ipynb']}.html").read_text()
    assert f'href="{pages["99_tiny.ipynb"]}.html"' in index, "the navigation links every page"
    assert "Explainable ML, the course" in index


def test_check_site_reports_missing_pages_and_figures(tmp_path):
    book = tmp_path / "book"
    (book / "notebooks").mkdir(parents=True)
    (book / "_build" / "site" / "content").mkdir(parents=True)
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("plot()")
    cell.outputs = [
        nbformat.v4.new_output(
            "display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"}
        )
    ]
    nb.cells = [cell]
    for name, slug in (("a.ipynb", "a"), ("b.ipynb", "b")):
        nbformat.write(nb, book / "notebooks" / name)
        (book / "_build" / "site" / "content" / f"{slug}.json").write_text(
            f'{{"location": "/notebooks/{name}", "slug": "{slug}"}}'
        )
    out = tmp_path / "html"
    out.mkdir()
    (out / "a.html").write_text('<p>no figure</p><img src="https://example.org/badge.svg">')
    problems = build_site.check_site(out, book)
    assert "a.html shows 0 figures, its notebook drew 1" in problems
    assert "b.ipynb has no page" in problems
    (out / "a.html").write_text('<img src="gone.png">')
    assert any("image files missing: gone.png" in p for p in build_site.check_site(out, book))
    nb.cells = [nbformat.v4.new_code_cell("x = 1")]
    nbformat.write(nb, book / "notebooks" / "03_c.ipynb")
    (book / "_build" / "site" / "content" / "c.json").write_text(
        '{"location": "/notebooks/03_c.ipynb", "slug": "c"}'
    )
    (out / "c.html").write_text("<p>text</p>")
    assert "03_c.ipynb drew no figure" in build_site.check_site(out, book)


def test_figures_drawn_counts_figures_inside_widgets():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("panel")
    cell.outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={build_site.WIDGET_VIEW: {"model_id": "box"}, "text/plain": "VBox()"},
        )
    ]
    nb.cells = [cell]
    png = {"output_type": "display_data", "data": {"image/png": "iVBORw0KGgo="}, "metadata": {}}
    nb.metadata["widgets"] = {
        build_site.WIDGET_STATE: {
            "state": {
                "box": {
                    "model_name": "VBoxModel",
                    "state": {"children": ["IPY_MODEL_s", "IPY_MODEL_o"]},
                },
                "s": {"model_name": "IntSliderModel", "state": {"value": 3}},
                "o": {"model_name": "OutputModel", "state": {"outputs": [png]}},
            }
        }
    }
    assert build_site.figures_drawn(nb) == 1
