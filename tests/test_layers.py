"""The package's imports between its own modules are all at module level, so the import graph (and
the layers contract that `lint-imports` checks, pyproject.toml) sees every one of them."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "xai_helpers"

#: (module file, imported module) pairs allowed inside a function, each with its reason. An import
#: between package modules inside a function is allowed only to defer an optional heavy dependency.
ALLOWED: dict[tuple[str, str], str] = {}


def _is_package_import(node: ast.AST) -> str | None:
    if isinstance(node, ast.ImportFrom) and (
        node.level > 0 or (node.module or "").startswith("xai_helpers")
    ):
        return "." * node.level + (node.module or "")
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name.startswith("xai_helpers"):
                return alias.name
    return None


def _imports_inside_functions(path: Path) -> list[tuple[int, str]]:
    found = []
    for func in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(func):
                target = _is_package_import(node)
                if target is not None:
                    found.append((node.lineno, target))
    return found


def test_no_package_module_imports_another_inside_a_function():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        for line, target in _imports_inside_functions(path):
            if (rel, target) not in ALLOWED:
                offenders.append(f"xai_helpers/{rel}:{line} imports {target} inside a function")
    assert not offenders, "move these imports to the top of the module:\n" + "\n".join(offenders)


def test_the_check_finds_an_import_inside_a_function(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(
        "def f():\n    from .models import MnistCNN\n    import xai_helpers.data\n    "
        "return MnistCNN\n"
    )
    assert _imports_inside_functions(bad) == [(2, ".models"), (3, "xai_helpers.data")]


def test_the_layer_diagram_in_contributing_matches_the_import_graph():
    import importlib.util

    path = PACKAGE.parent / "tools" / "layers_diagram.py"
    spec = importlib.util.spec_from_file_location("layers_diagram", path)
    diagram = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(diagram)
    assert diagram.current() == diagram.render(), "run `make layers` and commit CONTRIBUTING.md"


def test_every_module_lists_its_names_once_in_one_all():
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text())
        alls = [
            node
            for node in tree.body
            if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign))
            and "__all__"
            in ast.unparse(node.targets[0] if isinstance(node, ast.Assign) else node.target)
        ]
        if path.name == "__main__.py":
            continue
        assert len(alls) == 1 and isinstance(alls[0], ast.Assign), f"{path}: one `__all__ = [...]`"
