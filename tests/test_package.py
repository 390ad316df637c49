"""A plain (non-editable) ``pip install`` works: checkpoints are package data, generated data goes
to a cache."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import zipfile
from importlib.resources import files
from pathlib import Path

import pytest

from xai_helpers import checkpoints
from xai_helpers.data import cache_dir, monsters

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "xai_helpers"


def _recorded() -> dict[str, str]:
    text = files("xai_helpers").joinpath("checkpoints", "SHA256SUMS").read_text()
    return {f: d for d, f in (line.split() for line in text.splitlines() if line.strip())}


def test_every_checkpoint_is_found_through_importlib_resources():
    recorded = _recorded()
    assert recorded, "SHA256SUMS lists no checkpoint"
    for fname in recorded:
        resource = files("xai_helpers").joinpath("checkpoints", fname)
        assert resource.is_file(), f"{fname} is listed in SHA256SUMS but is not package data"
    assert [f"{n}.pt" for n in checkpoints.checkpoint_names()] == sorted(recorded)


def test_no_checkpoint_or_data_outside_the_package():
    assert not (ROOT / "data" / "checkpoints").exists(), (
        "checkpoints live in xai_helpers/checkpoints/"
    )


def _path_escapes(source: str) -> list[str]:
    """Expressions in ``source`` that reach outside the package folder: ``.parent.parent``,
    ``parents[...]``, ``".."`` / ``os.pardir``, or a path built from ``__file__`` that leaves it."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Attribute)
            and node.attr == "parent"
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "parent"
        ):
            found.append(ast.unparse(node))
        elif (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "parents"
        ):
            found.append(ast.unparse(node))
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and re.search(r"(^|[/\\])\.\.([/\\]|$)", node.value)
        ):
            found.append(repr(node.value))
        elif isinstance(node, ast.Attribute) and node.attr == "pardir":
            found.append(ast.unparse(node))
    return found


def test_no_module_refers_to_a_path_outside_the_package():
    offenders = {p.name: _path_escapes(p.read_text()) for p in sorted(PACKAGE.glob("*.py"))}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_path_check_catches_escapes():
    assert _path_escapes('ROOT = Path(__file__).resolve().parent.parent / "data"')
    assert _path_escapes("ROOT = Path(__file__).resolve().parents[1]")
    assert _path_escapes('p = os.path.join(here, "..", "data")')
    assert _path_escapes('p = here / "../data"')
    assert not _path_escapes(
        'p = files(__package__) / "checkpoints"; q = Path(__file__).parent / "x"'
    )


def test_generated_data_goes_to_the_cache_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("XAI_MONSTERS_ROOT", raising=False)
    monkeypatch.setenv("XAI_CACHE_DIR", str(tmp_path / "cache"))
    assert cache_dir() == tmp_path / "cache"
    assert monsters.default_root() == tmp_path / "cache" / "monsters"
    assert monsters.monsters_root() == tmp_path / "cache" / "monsters"
    monkeypatch.delenv("XAI_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "xai-course"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache_dir() == Path.home() / ".cache" / "xai-course"
    assert PACKAGE not in cache_dir().parents


def test_ensure_monsters_refuses_a_folder_with_other_files(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="notes.txt"):
        monsters.ensure_monsters(tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_train_writes_to_the_package_folder_when_writable_else_the_cache(monkeypatch, tmp_path):
    writable = tmp_path / "pkg" / "checkpoints"
    writable.mkdir(parents=True)
    monkeypatch.setattr(checkpoints, "CHECKPOINT_DIR", writable)
    assert checkpoints.default_directory() == writable
    monkeypatch.setenv("XAI_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(checkpoints.os, "access", lambda path, mode: False)
    assert checkpoints.default_directory() == tmp_path / "cache" / "checkpoints"


def _setuptools_major() -> int:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return int(version("setuptools").split(".")[0])
    except PackageNotFoundError:
        return 0


@pytest.mark.skipif(
    _setuptools_major() < 77,
    reason="building without isolation needs setuptools >= 77 (pyproject's build requirement)",
)
def test_the_wheel_holds_the_package_and_every_checkpoint(tmp_path):
    """Build the wheel from a copy of the files a build needs (a few seconds, offline, no build
    isolation)."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(PACKAGE, src / "xai_helpers", ignore=shutil.ignore_patterns("__pycache__"))
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-q",
            "-w",
            str(tmp_path / "dist"),
            str(src),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    (wheel,) = (tmp_path / "dist").glob("xai_helpers-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {f"xai_helpers/{p.name}" for p in PACKAGE.glob("*.py")} <= names
    assert {f"xai_helpers/checkpoints/{f}" for f in _recorded()} | {
        "xai_helpers/checkpoints/SHA256SUMS"
    } <= names
    assert {
        f"xai_helpers/checkpoints/{p.name}" for p in (PACKAGE / "checkpoints").glob("*.json")
    } <= names  # notebook 02's seed table
    assert not any(n.startswith(("data/", "tests/", "notebooks/", "tools/")) for n in names)
