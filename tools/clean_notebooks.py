"""Store notebooks clean: no outputs or execution counts, the standard `python3` kernel, no editor
metadata.

The course notebooks (``NN_*.ipynb``) also get their nbgrader cell metadata, generated from the
exercise markers by ``tools/homework.py`` (so the metadata is never edited by hand, and cleaning
never strips it). A misplaced marker stops the cleaner with the notebook, cell and line.

Usage: python tools/clean_notebooks.py [notebooks/*.ipynb]
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
from homework import nbgrader_metadata  # noqa: E402

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def clean(path: Path) -> bool:
    nb = nbformat.read(path, as_version=4)
    before = nbformat.writes(nb)
    nb.metadata = {"kernelspec": KERNELSPEC, "language_info": {"name": "python"}}
    for cell in nb.cells:
        cell.metadata = {k: v for k, v in cell.metadata.items() if k in {"tags"}}
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    if path.name[:2].isdigit():
        nb = nbgrader_metadata(nb, path.name)
    nbformat.validate(nb)
    after = nbformat.writes(nb)
    if after != before:
        path.write_text(after + ("\n" if not after.endswith("\n") else ""), encoding="utf-8")
    return after != before


if __name__ == "__main__":
    paths = [Path(p) for p in sys.argv[1:]] or sorted(Path("notebooks").glob("*.ipynb"))
    for p in paths:
        if clean(p):
            print(f"cleaned {p}")
