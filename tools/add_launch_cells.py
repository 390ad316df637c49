"""Put "open in Colab / Binder" badges and a Colab-only install cell into every notebook
(idempotent).

    .venv/bin/python tools/add_launch_cells.py [notebooks/*.ipynb]      # update the notebooks in
    place .venv/bin/python tools/add_launch_cells.py --check [notebooks ...]  # exit 1 if one is not
    up to date

The repository's address comes from ONE place, ``[project.urls] Repository`` in ``pyproject.toml``
(a GitHub URL), and the git ref (branch or tag) they point at from ``[tool.xai-course] ref`` beside
it; run this again after changing either. In each notebook:

- the title cell (the first markdown cell) gets, as its second line, a Colab badge and a Binder
  badge opening this notebook;
- a notebook with code gets, right after the title cell, a first code cell whose one ``%pip
  install`` line installs the package from the repository with pip's git syntax
  (``"xai_helpers @ git+<Repository>@<ref>"``; the checkpoints come with it as package data), only
  on Colab (``"google.colab" in sys.modules``); anywhere else the cell does nothing.

It also rewrites the README's generated blocks (``<!-- BEGIN generated: NAME -->`` … ``<!-- END
generated: NAME -->``: the index's badges, the repository line, the example nbgitpuller link) when
it runs on the default notebooks.

Running it again replaces the badge line and the launch cell (found by their markers) rather than
adding new ones, so the result is the same however often it runs. Notebooks are written the way
``tools/clean_notebooks.py`` writes them.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from urllib.parse import quote

import nbformat

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = None

ROOT = Path(__file__).resolve().parent.parent
BADGE_MARK = "colab-badge.svg"  # a title line containing this is the badge line
CELL_MARK = "# Colab only:"  # the launch cell's first line starts with this
CELL_ID = "colab-launch"

LAUNCH_CELL = (
    "# Colab only: install the course's package (xai_helpers, with its checkpoints).\n"
    "# Elsewhere this does nothing.\n"
    "import sys\n"
    "\n"
    'if "google.colab" in sys.modules:\n'
    '    %pip install --quiet "{requirement}"'
)


def _toml_value(pyproject: Path, table: str, key: str) -> str:
    text = pyproject.read_text()
    if tomllib is not None:
        value = tomllib.loads(text)
        for part in table.split("."):
            value = value[part]
        return value[key]
    return re.search(
        rf'^\[{re.escape(table)}\][^\[]*?^{key}\s*=\s*"([^"]+)"', text, re.M | re.S
    ).group(1)


def repository_url(pyproject: Path = ROOT / "pyproject.toml") -> str:
    """``[project.urls] Repository`` of ``pyproject``: the course's GitHub repository."""
    url = _toml_value(pyproject, "project.urls", "Repository").rstrip("/")
    if not re.match(r"^https://github\.com/[^/]+/[^/]+$", url):
        raise ValueError(
            f"[project.urls] Repository must be https://github.com/OWNER/NAME, got {url!r}"
        )
    return url.removesuffix(".git")


def repository_ref(pyproject: Path = ROOT / "pyproject.toml") -> str:
    """``[tool.xai-course] ref`` of ``pyproject``: the branch or tag the badges and the install line
    point at."""
    ref = _toml_value(pyproject, "tool.xai-course", "ref")
    if not re.match(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$", ref) or ".." in ref:
        raise ValueError(f"[tool.xai-course] ref must be a git branch or tag name, got {ref!r}")
    return ref


#: The ref everything points at (``[tool.xai-course] ref``).
BRANCH = repository_ref()


def pip_requirement(repo: str, ref: str | None = None) -> str:
    """What the Colab cell installs: ``xai_helpers @ git+<repo>@<ref>`` (pip's syntax for a package
    in a git repository)."""
    return f"xai_helpers @ git+{repo}@{ref or BRANCH}"


def badge_line(repo: str, notebook: str, ref: str | None = None) -> str:
    """Markdown for the Colab and Binder badges that open ``notebooks/<notebook>``."""
    slug, ref = repo.removeprefix("https://github.com/"), ref or BRANCH
    colab = f"https://colab.research.google.com/github/{slug}/blob/{ref}/notebooks/{notebook}"
    binder = f"https://mybinder.org/v2/gh/{slug}/{ref}?labpath=notebooks%2F{notebook}"
    return (
        f"[![Open in Colab](https://colab.research.google.com/assets/{BADGE_MARK})]({colab}) "
        f"[![Launch on Binder](https://mybinder.org/badge_logo.svg)]({binder})"
    )


def launch_source(repo: str, ref: str | None = None) -> str:
    return LAUNCH_CELL.format(requirement=pip_requirement(repo, ref))


def add_launch_cells(
    nb: nbformat.NotebookNode, notebook: str, repo: str, ref: str | None = None
) -> nbformat.NotebookNode:
    """Insert or update the badge line and the launch cell of ``nb`` (named ``notebook``) in place,
    and return it."""
    title = next((c for c in nb.cells if c.cell_type == "markdown"), None)
    if title is None:
        title = nbformat.v4.new_markdown_cell(f"# {notebook}")
        nb.cells.insert(0, title)
    lines = [line for line in title.source.split("\n") if BADGE_MARK not in line]
    rest = lines[1:]
    if rest and rest[0].strip():
        rest.insert(0, "")
    title.source = "\n".join([lines[0], badge_line(repo, notebook, ref), *rest]).rstrip("\n")

    launch = next(
        (c for c in nb.cells if c.cell_type == "code" and c.source.startswith(CELL_MARK)), None
    )
    has_code = any(c.cell_type == "code" and c is not launch for c in nb.cells)
    if launch is not None and not has_code:
        nb.cells.remove(launch)
    elif launch is not None:
        launch.source = launch_source(repo, ref)
    elif has_code:
        cell = nbformat.v4.new_code_cell(launch_source(repo, ref))
        if not any(c.get("id") == CELL_ID for c in nb.cells):
            cell.id = CELL_ID
        nb.cells.insert(nb.cells.index(title) + 1, cell)
    return nb


def readme_blocks(repo: str, ref: str | None = None) -> dict[str, str]:
    """The README's generated lines, by block name: the index's badges and an example nbgitpuller
    link."""
    slug, name, ref = (
        repo.removeprefix("https://github.com/"),
        repo.rsplit("/", 1)[1],
        ref or BRANCH,
    )
    puller = (
        f"https://HUB.example.edu/hub/user-redirect/git-pull?repo={quote(repo, safe='')}"
        f"&branch={ref}&urlpath={quote(f'lab/tree/{name}/notebooks/index.ipynb', safe='')}"
    )
    image = (
        "FROM quay.io/jupyter/minimal-notebook:python-3.11\n"
        "USER root\n"
        f"RUN git clone --depth 1 --branch {ref} {repo} /opt/xai-course && mkdir "
        "/opt/xai-course-cache \\\n"
        " && chown -R ${NB_UID}:${NB_GID} /opt/xai-course /opt/xai-course-cache\n"
        "USER ${NB_UID}\n"
        "ENV XAI_CACHE_DIR=/opt/xai-course-cache\n"
        "RUN pip install --no-cache-dir --extra-index-url "
        "https://download.pytorch.org/whl/cpu -r /opt/xai-course/requirements.txt "
        "nbgitpuller \\\n"
        " && pip install --no-cache-dir --no-deps /opt/xai-course \\\n"
        ' && python -c "from xai_helpers.data.monsters import ensure_monsters; ensure_monsters()"'
    )
    return {
        "badges": badge_line(repo, "index.ipynb", ref),
        "hub-image": f"```dockerfile\n{image}\n```",
        "repository": f"The repository: <{repo}> (`{slug}`, ref `{ref}`); Colab installs "
        f"`{pip_requirement(repo, ref)}`.",
        "nbgitpuller": f"```text\n{puller}\n```",
        "pip-install": f'```bash\npip install "{pip_requirement(repo, ref)}"\n```',
    }


def update_readme(path: Path, repo: str, write: bool = True, ref: str | None = None) -> bool:
    """Rewrite the blocks between ``<!-- BEGIN generated: NAME -->`` and ``<!-- END generated: NAME
    -->``."""
    text = path.read_text(encoding="utf-8")
    after = text
    for name, body in readme_blocks(repo, ref).items():

        def fill(m: re.Match, body: str = body) -> str:
            indent = m.group(1)
            return (
                m.group(2)
                + "".join(f"{indent}{line}\n" if line else "\n" for line in body.split("\n"))
                + m.group(4)
            )

        after = re.sub(
            rf"^(?=([ \t]*))(\1<!-- BEGIN generated: {name} [^\n]*-->\n)(.*?)(^[ \t]*<!-- "
            rf"END generated: {name} -->)",
            fill,
            after,
            flags=re.S | re.M,
        )
    if after != text and write:
        path.write_text(after, encoding="utf-8")
    return after != text


def process(path: Path, repo: str, write: bool = True, ref: str | None = None) -> bool:
    """Update ``path``; returns whether it changed (with ``write=False``: whether it would)."""
    text = path.read_text(encoding="utf-8")
    nb = nbformat.reads(text, as_version=4)
    add_launch_cells(nb, path.name, repo, ref)
    nbformat.validate(nb)
    after = nbformat.writes(nb)
    after += "" if after.endswith("\n") else "\n"
    changed = after != text
    if changed and write:
        path.write_text(after, encoding="utf-8")
    return changed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/*.ipynb")
    ap.add_argument(
        "--check",
        action="store_true",
        help="change nothing; exit 1 if a notebook is not up to date",
    )
    args = ap.parse_args(argv)
    repo = repository_url()
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb"))
    stale = [p for p in paths if process(p, repo, write=not args.check)]
    readme = ROOT / "README.md"
    if not args.notebooks and readme.exists() and update_readme(readme, repo, write=not args.check):
        stale.append(readme)
    for p in stale:
        print(f"{'not up to date' if args.check else 'updated'}: {p}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
