"""The course as a static site (``make html``): execute every notebook and write ``build/html/``.

One self-contained HTML page per notebook, its figures embedded as data URLs, and an ``index.html``
(the rendering of ``notebooks/index.ipynb`` when there is one, otherwise a plain list) that links every
page. Links between notebooks (``01_x.ipynb``) become links between pages (``01_x.html``).
Widgets cannot move in a static page, so each widget is replaced by what it showed when the notebook
ran: a line per control (``max_depth = 2``) and the figure of its output area.

    .venv/bin/python tools/build_html.py [notebooks/00_why_explain.ipynb ...] [--out build/html] [--timeout 600]

Runs offline (notebooks are executed by nbclient with the ``python3`` kernel, in their own folder; the
notebook files are never written to). Ends by checking the site: every page exists, every lesson page
(not the index) has at least one embedded figure, and ``index.html`` links every page.
"""

from __future__ import annotations

import argparse
import copy
import html
import re
import sys
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
FIGURE = re.compile(r"<img[^>]+src=\"data:image/(png|jpeg|svg\+xml)[;,]")
CONTROLS = ("Slider", "Dropdown", "Checkbox", "ToggleButton", "RadioButtons", "Select", "Text", "IntText", "FloatText")


def title_of(nb: nbformat.NotebookNode, fallback: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            m = re.search(r"^#\s+(.+)$", cell.source, re.M)
            if m:
                return m.group(1).strip()
    return fallback


def _widget_outputs(model_id: str, state: dict, seen: set[str] | None = None) -> list[dict]:
    """What widget ``model_id`` showed, as notebook outputs (a line per control, the outputs of Output widgets)."""
    seen = set() if seen is None else seen
    if model_id in seen or model_id not in state:
        return []
    seen.add(model_id)
    name, st = state[model_id].get("model_name", ""), state[model_id].get("state", {})
    if name == "OutputModel":
        return [nbformat.from_dict(o) for o in st.get("outputs", [])]
    if "children" in st:  # boxes: their children in order
        out = []
        for ref in st["children"]:
            out += _widget_outputs(str(ref).removeprefix("IPY_MODEL_"), state, seen)
        return out
    if name == "HTMLModel" and st.get("value"):
        return [nbformat.v4.new_output("display_data", data={"text/html": st["value"], "text/plain": ""})]
    if any(c in name for c in CONTROLS) and "value" in st:
        value = st["value"]
        if "Range" in name and isinstance(value, list):
            value = f"{value[0]} – {value[1]}"
        label = html.escape(str(st.get("description") or name.removesuffix("Model")))
        kind = "slider" if "Slider" in name else "control"
        return [nbformat.v4.new_output("display_data", data={
            "text/html": f'<div class="xai-static-control"><code>{label} = {html.escape(str(value))}</code> '
                         f"<em>(a {kind} you can move when you run the notebook)</em></div>",
            "text/plain": f"{label} = {value}"})]
    return []  # progress bars and other decorations


def static_widgets(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Replace every widget view in ``nb`` by what it showed, and drop the widget state (no widget JavaScript)."""
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        outputs = []
        for out in cell.outputs:
            view = out.get("data", {}).get(WIDGET_VIEW)
            if view is None:
                outputs.append(out)
            else:
                outputs += _widget_outputs(view.get("model_id", ""), state)
        cell.outputs = outputs
    nb.metadata.pop("widgets", None)
    return nb


def execute(path: Path, timeout: float) -> nbformat.NotebookNode:
    """Run ``path`` top to bottom in its folder (the file itself is not written) and return the executed notebook."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb


def link_pages(page: str, names: set[str]) -> str:
    """``href="NAME.ipynb"`` → ``href="NAME.html"`` for every notebook that has a page."""
    def sub(m: re.Match) -> str:
        return f'href="{m.group(1)}.html{m.group(2) or ""}"' if m.group(1) in names else m.group(0)

    return re.sub(r'href="([A-Za-z0-9_.\-]+)\.ipynb(#[^"]*)?"', sub, page)


def render(nb: nbformat.NotebookNode, title: str) -> str:
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab", embed_images=True)
    nb = copy.deepcopy(nb)
    nb.metadata["title"] = title
    body, _ = exporter.from_notebook_node(nb)
    return body


def index_page(pages: dict[str, str], rendered_index: str | None) -> str:
    """The site's index: the rendered ``index.ipynb`` (if any) plus a list of every page it does not link yet."""
    missing = {n: t for n, t in pages.items() if n != "index" and f'href="{n}.html"' not in (rendered_index or "")}
    items = "\n".join(f'<li><a href="{n}.html">{html.escape(t)}</a></li>' for n, t in sorted(missing.items()))
    listing = f'<nav class="xai-pages"><h2>Notebooks</h2>\n<ul>\n{items}\n</ul></nav>\n' if missing else ""
    if rendered_index is None:
        return f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Explainable ML, the course</title></head>\n<body>\n<h1>Explainable ML, the course</h1>\n{listing}</body></html>\n'
    return rendered_index.replace("</body>", listing + "</body>", 1) if listing else rendered_index


def build(notebooks: list[Path], out_dir: Path, timeout: float = 600, log=print) -> dict[str, Path]:
    """Execute and render ``notebooks`` into ``out_dir``; returns page name → path (``index`` included)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    names = {p.stem for p in notebooks}
    titles, bodies = {}, {}
    for path in notebooks:
        t0 = time.perf_counter()
        nb = static_widgets(execute(path, timeout))
        titles[path.stem] = title_of(nb, path.stem)
        bodies[path.stem] = link_pages(render(nb, titles[path.stem]), names)
        log(f"{path.name:40s} executed and rendered in {time.perf_counter() - t0:5.1f} s")
    written = {}
    for name, body in bodies.items():
        if name == "index":
            continue
        written[name] = out_dir / f"{name}.html"
        written[name].write_text(body, encoding="utf-8")
    written["index"] = out_dir / "index.html"
    written["index"].write_text(index_page(titles, bodies.get("index")), encoding="utf-8")
    return written


def check_site(out_dir: Path, names: list[str]) -> list[str]:
    """Problems with the site in ``out_dir`` for notebooks ``names`` (stems): missing pages, lesson pages without a figure, unlinked pages."""
    problems = []
    index = out_dir / "index.html"
    index_text = index.read_text(encoding="utf-8") if index.exists() else ""
    if not index_text:
        problems.append("index.html is missing")
    for name in names:
        if name == "index":
            continue
        page = out_dir / f"{name}.html"
        if not page.exists():
            problems.append(f"{page.name} is missing")
            continue
        if not FIGURE.search(page.read_text(encoding="utf-8")):
            problems.append(f"{page.name} has no embedded figure")
        if f'href="{name}.html"' not in index_text:
            problems.append(f"index.html does not link {page.name}")
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/*.ipynb")
    ap.add_argument("--out", type=Path, default=ROOT / "build" / "html")
    ap.add_argument("--timeout", type=float, default=600, help="seconds per cell")
    args = ap.parse_args(argv)
    notebooks = [p.resolve() for p in args.notebooks] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    t0 = time.perf_counter()
    build(notebooks, args.out, args.timeout)
    problems = check_site(args.out, [p.stem for p in notebooks])
    for p in problems:
        print(f"PROBLEM: {p}")
    print(f"{len(notebooks)} pages in {args.out} ({time.perf_counter() - t0:.0f} s); "
          f"{'every page exists, has its figures and is linked from index.html' if not problems else f'{len(problems)} problem(s)'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
