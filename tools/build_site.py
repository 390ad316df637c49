"""The course site (``make html``): Jupyter Book 2 builds ``build/html/`` from executed notebooks.

    .venv/bin/python tools/build_site.py [notebooks/00_why_explain.ipynb ...] [--out build/html]

1. **Execute** every notebook top to bottom (papermill, the course's one way of running a notebook
   outside the browser; kernel ``python3``, in its own folder; the notebook files are never written
   to) into ``build/book/notebooks/``. This step is ours because Jupyter Book's own execution
   (``--execute``) does not save the widgets' state, and without it no page could show a widget in
   its last state; papermill's nbclient saves it (``store_widget_state``) as JupyterLab does.
2. **Leave the answers out**: the site is public, the notebooks are the instructor's. Every
   exercise's solution, model answer and hidden test is replaced as in the student release
   (nbgrader's preprocessors, ``tools/homework.py``), and those cells' outputs dropped; every other
   cell keeps its outputs.
3. **Build** with Jupyter Book: ``jupyter-book build --html`` in ``build/book/``, with ``myst.yml``
   (its table of contents restricted to the notebooks given) and the site template
   ``tools/site_template``, which lays Jupyter Book's content out as static pages and draws each
   widget in its last state.
4. **Check** the site in ``--out``: every notebook has its page, every lesson drew a figure, and
   every page shows as many figures as its notebook drew (image outputs, those in widget output
   areas included), each image file present. ``make html`` fails otherwise: this is the full
   site's test, run where the site is built (``.ci/run`` and the GitHub workflow run it).

Runs offline. The build takes as long as running every notebook, plus some 15 s for Jupyter Book.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "tools" / "site_template"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
IMAGE_MIMES = ("image/png", "image/jpeg", "image/svg+xml")
LOCAL_IMG = re.compile(r'<img src="(?!https?://)([^"]+)"')


def execute(path: Path, out_dir: Path, timeout: float) -> Path:
    """Run ``path`` in its folder (papermill) and write the executed copy, widget state included, to
    ``out_dir``."""
    import papermill

    out = out_dir / path.name
    papermill.execute_notebook(
        str(path),
        str(out),
        kernel_name="python3",
        cwd=str(path.parent),
        execution_timeout=timeout,
        progress_bar=False,
        store_widget_state=True,
    )
    return out


def without_answers(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The executed ``nb`` with every solution, model answer and hidden test replaced as in the
    student release.

    A cell whose source the student release changes loses its outputs; every other cell keeps them.
    """
    homework = _homework()
    student = homework.student_notebook(nbformat.from_dict(nb))
    if len(student.cells) != len(nb.cells):
        raise RuntimeError("the student copy of a notebook has a different number of cells")
    for cell, shown in zip(nb.cells, student.cells):
        if cell.source != shown.source:
            cell.source = shown.source
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
    return nb


def _homework():
    spec = importlib.util.spec_from_file_location("homework", ROOT / "tools" / "homework.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def figures_drawn(nb: nbformat.NotebookNode) -> int:
    """How many figures the executed ``nb`` shows: image outputs, and images in the output areas of
    its widgets."""
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})

    def in_widget(model_id: str, seen: set[str]) -> int:
        if model_id in seen or model_id not in state:
            return 0
        seen.add(model_id)
        st = state[model_id].get("state", {})
        n = sum(
            1 for o in st.get("outputs", []) if any(m in o.get("data", {}) for m in IMAGE_MIMES)
        )
        return n + sum(
            in_widget(str(ref).removeprefix("IPY_MODEL_"), seen) for ref in st.get("children", [])
        )

    count = 0
    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            data = out.get("data", {})
            if any(m in data for m in IMAGE_MIMES):
                count += 1
            elif WIDGET_VIEW in data:
                count += in_widget(data[WIDGET_VIEW].get("model_id", ""), set())
    return count


def write_config(notebooks: list[Path], book: Path) -> None:
    """``myst.yml`` for ``book``: the course's, with its table of contents restricted to
    ``notebooks`` (in that order)."""
    config = yaml.safe_load((ROOT / "myst.yml").read_text())
    order = {Path(e["file"]).name: i for i, e in enumerate(config["project"]["toc"])}
    names = sorted((p.name for p in notebooks), key=lambda n: (order.get(n, len(order)), n))
    config["project"]["toc"] = [{"file": f"notebooks/{n}"} for n in names]
    config["site"]["template"] = str(TEMPLATE)
    (book / "myst.yml").write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))


def jupyter_book(book: Path, log=print) -> None:
    """``jupyter-book build --html`` in ``book`` (the notebooks there are executed already)."""
    cmd = [sys.executable, "-m", "jupyter_book", "build", "--html", "--ci"]
    run = subprocess.run(cmd, cwd=book, capture_output=True, text=True)
    if run.returncode != 0:
        raise RuntimeError(
            f"{' '.join(cmd)} failed "
            f"({run.returncode}):\n{run.stdout[-4000:]}\n{run.stderr[-4000:]}"
        )
    log(run.stdout.strip().splitlines()[-1] if run.stdout.strip() else "jupyter-book done")


def pages_by_notebook(book: Path) -> dict[str, str]:
    """Notebook file name -> page slug, from Jupyter Book's content
    (``_build/site/content/*.json``)."""
    out = {}
    for f in (book / "_build" / "site" / "content").glob("*.json"):
        content = json.loads(f.read_text())
        out[Path(content["location"]).name] = content["slug"]
    return out


def check_site(out_dir: Path, book: Path) -> list[str]:
    """Problems with the site in ``out_dir`` built from the executed notebooks in
    ``book/notebooks``."""
    problems = []
    slugs = pages_by_notebook(book)
    for nb_path in sorted((book / "notebooks").glob("*.ipynb")):
        slug = slugs.get(nb_path.name)
        page = out_dir / f"{slug}.html"
        if slug is None or not page.exists():
            problems.append(f"{nb_path.name} has no page")
            continue
        images = LOCAL_IMG.findall(page.read_text(encoding="utf-8"))
        missing = [
            src for src in images if not src.startswith("data:") and not (out_dir / src).is_file()
        ]
        if missing:
            problems.append(f"{page.name}: image files missing: {', '.join(missing[:3])}")
        wanted = figures_drawn(nbformat.read(nb_path, as_version=4))
        if wanted == 0 and nb_path.name[:2].isdigit():
            problems.append(f"{nb_path.name} drew no figure")
        if len(images) < wanted:
            problems.append(f"{page.name} shows {len(images)} figures, its notebook drew {wanted}")
    return problems


def build(
    notebooks: list[Path], out_dir: Path, work: Path, timeout: float = 600, log=print
) -> list[str]:
    """Execute ``notebooks``, build the site with Jupyter Book into ``out_dir``; return the problems
    found."""
    shutil.rmtree(work, ignore_errors=True)
    (work / "notebooks").mkdir(parents=True)
    for path in notebooks:
        t0 = time.perf_counter()
        out = execute(path, work / "notebooks", timeout)
        nbformat.write(without_answers(nbformat.read(out, as_version=4)), out)
        log(f"{path.name:40s} executed in {time.perf_counter() - t0:5.1f} s")
    write_config(notebooks, work)
    t0 = time.perf_counter()
    jupyter_book(work, log)
    log(f"jupyter-book build --html: {time.perf_counter() - t0:.1f} s")
    shutil.rmtree(out_dir, ignore_errors=True)
    shutil.copytree(work / "_build" / "html", out_dir)
    return check_site(out_dir, work)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "notebooks",
        nargs="*",
        type=Path,
        help="default: the notebooks in myst.yml's table of contents",
    )
    ap.add_argument("--out", type=Path, default=ROOT / "build" / "html")
    ap.add_argument(
        "--work",
        type=Path,
        default=ROOT / "build" / "book",
        help="executed notebooks and Jupyter Book's _build/",
    )
    ap.add_argument("--timeout", type=float, default=600, help="seconds per cell")
    args = ap.parse_args(argv)
    toc = yaml.safe_load((ROOT / "myst.yml").read_text())["project"]["toc"]
    notebooks = [p.resolve() for p in args.notebooks] or [ROOT / e["file"] for e in toc]
    t0 = time.perf_counter()
    problems = build(notebooks, args.out, args.work, args.timeout)
    for p in problems:
        print(f"PROBLEM: {p}")
    print(
        f"{len(notebooks)} pages in {args.out} ({time.perf_counter() - t0:.0f} s); "
        f"{'every page exists and shows every figure its notebook drew' if not problems else f'{len(problems)} problem(s)'}"  # noqa: E501
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
