"""tools/homework.py: nbgrader metadata from the exercise markers, the student release, grading end
to end."""

from __future__ import annotations

import doctest
import importlib.util
import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
_spec = importlib.util.spec_from_file_location("homework", ROOT / "tools" / "homework.py")
homework = importlib.util.module_from_spec(_spec)
sys.modules["homework"] = homework
_spec.loader.exec_module(homework)

NOTEBOOKS = sorted(ROOT.joinpath("notebooks").glob("[0-9]*.ipynb"))


def _nb(*cells):
    nb = nbformat.v4.new_notebook(
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        }
    )
    nb.cells = [
        nbformat.v4.new_markdown_cell(s[3:])
        if s.startswith("md:")
        else nbformat.v4.new_code_cell(s)
        for s in cells
    ]
    return nb


EXAMPLE = _nb(
    "md:# Title",
    "import math",
    "md:**Exercise 1** (2 points). Write `hyp(a, b)` without `math.hypot`.",
    "def hyp(a, b):\n    ### BEGIN SOLUTION\n    return (a * a + b * b) ** 0.5\n    ### "
    "END SOLUTION",
    "# Check exercise 1 (2 points)\nassert callable(hyp)\n### BEGIN HIDDEN TESTS\nassert "
    "abs(hyp(3, 4) - 5) < 1e-9\n### END HIDDEN TESTS",
    "md:**Exercise 2** (1 point). Why does it work?",
    "md:**Answer to exercise 2** (1 point, graded by hand)\n\n### BEGIN "
    "SOLUTION\nPythagoras.\n### END SOLUTION",
)


def test_doctests():
    assert doctest.testmod(homework, optionflags=doctest.IGNORE_EXCEPTION_DETAIL).failed == 0


def test_metadata_from_markers():
    cells = homework.nbgrader_metadata(EXAMPLE, "ex.ipynb").cells
    meta = [c.metadata["nbgrader"] for c in cells]
    assert [m["grade_id"] for m in meta] == [
        "cell-000",
        "cell-001",
        "cell-002",
        "ex1-solution",
        "ex1-check",
        "cell-005",
        "ex2-answer",
    ]
    assert meta[3]["solution"] and not meta[3]["grade"] and not meta[3]["locked"]
    assert (
        meta[4]["grade"]
        and meta[4]["locked"]
        and meta[4]["points"] == 2
        and not meta[4]["solution"]
    )
    assert meta[6]["grade"] and meta[6]["solution"] and meta[6]["points"] == 1
    assert all(m["locked"] for i, m in enumerate(meta) if i not in (3, 6))
    assert homework.total_points(homework.nbgrader_metadata(EXAMPLE)) == 3


def test_metadata_validates_with_nbgrader():
    from nbgrader.nbgraderformat import MetadataValidator, ValidationError

    MetadataValidator().validate_nb(
        homework.nbgrader_metadata(EXAMPLE)
    )  # raises ValidationError if not
    broken = homework.nbgrader_metadata(EXAMPLE)
    del broken.cells[4].metadata["nbgrader"]["points"]
    with pytest.raises(ValidationError):
        MetadataValidator().validate_nb(broken)


@pytest.mark.parametrize(
    "cells, message",
    [
        (
            ("md:**Exercise 1**", "### BEGIN SOLUTION\nx = 1"),
            r"cell 1, line 1: 'BEGIN SOLUTION' is never closed",
        ),
        (
            ("md:**Exercise 1**", "### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION"),
            r"cell 1, line 2: 'BEGIN SOLUTION' inside",
        ),
        (("x = 1\n### END SOLUTION",), r"cell 0, line 2: 'END SOLUTION' without"),
        (
            ("x = 1\n### BEGIN HIDDEN TESTS\nassert x\n### END HIDDEN TESTS",),
            r"cell 0, line 2: hidden tests outside a check cell",
        ),
        (
            ("md:Prose\n### BEGIN SOLUTION\nanswer\n### END SOLUTION",),
            r"cell 0, line 2: a solution region in a markdown cell",
        ),
        (
            (
                "md:**Exercise 1**",
                "# Check exercise 1 (1 point)\n### BEGIN SOLUTION\nx = 1\n### END SOLUTION",
            ),
            r"check cell must not hold",
        ),
        (("### BEGIN SOLUTION\nx = 1\n### END SOLUTION",), r"before any '\*\*Exercise N\*\*'"),
        (
            ("md:**Answer to exercise 1** (1 point, graded by hand)\nno model answer",),
            r"needs its model answer",
        ),
        (
            (
                "md:**Exercise 1**",
                "# Check exercise 1 (1 point)\nassert 1",
                "# Check exercise 1 (1 point)\nassert 1",
            ),
            r"repeats cell 1",
        ),
    ],
)
def test_marker_errors_say_where(cells, message):
    with pytest.raises(homework.MarkerError, match=message) as err:
        homework.nbgrader_metadata(_nb(*cells), "nb.ipynb")
    assert str(err.value).startswith("nb.ipynb, cell ")


def test_delimiters_with_any_number_of_hashes_are_recognized_like_nbgrader():
    nb = _nb(
        "md:**Exercise 1**",
        "## BEGIN SOLUTION\nsecret = 42\n#### END SOLUTION",
        "# Check exercise 1 (1 point)\nassert secret\n# BEGIN HIDDEN TESTS\nassert secret "
        "== 42\n# END HIDDEN TESTS",
    )
    student = homework.student_notebook(nb)
    text = "\n".join(
        c.source for c in student.cells
    )  # the sources (cell ids are random and may contain "42")
    assert "42" not in text and "NotImplementedError" in student.cells[1].source


def test_student_notebook_removes_solutions_answers_and_hidden_tests():
    student = homework.student_notebook(EXAMPLE)
    text = "\n".join(c.source for c in student.cells)
    for leaked in ("a * a + b * b", "Pythagoras", "hyp(3, 4)", "BEGIN", "END"):
        assert leaked not in text, leaked
    assert student.cells[6].source.endswith("YOUR ANSWER HERE")
    assert student.cells[4].source == "# Check exercise 1 (2 points)\nassert callable(hyp)"


def test_cleaner_writes_the_metadata_and_is_idempotent(tmp_path):
    spec = importlib.util.spec_from_file_location(
        "clean_notebooks", ROOT / "tools" / "clean_notebooks.py"
    )
    clean = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(clean)
    path = tmp_path / "01_x.ipynb"
    nbformat.write(EXAMPLE, path)
    assert clean.clean(path)
    assert nbformat.read(path, 4).cells[4].metadata["nbgrader"]["points"] == 2
    assert not clean.clean(path)


# --------------------------------------------------------------------------- the course's notebooks
def _exercises(nb):
    meta = [c.metadata.get("nbgrader", {}) for c in nb.cells]
    graded = [m for m in meta if m.get("grade")]
    return {m["grade_id"].split("-")[0] for m in graded}, [m for m in graded if m.get("solution")]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_stored_metadata_is_generated_from_the_markers(path):
    nb = nbformat.read(path, as_version=4)
    assert [c.metadata.get("nbgrader") for c in nb.cells] == [
        c.metadata["nbgrader"] for c in homework.nbgrader_metadata(nb, path.name).cells
    ], (
        f"{path.name}: run tools/clean_notebooks.py (the nbgrader metadata is generated "
        "from the markers)"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_each_notebook_has_three_graded_exercises_one_graded_by_hand(path):
    nb = homework.nbgrader_metadata(nbformat.read(path, as_version=4), path.name)
    exercises, by_hand = _exercises(nb)
    assert len(exercises) >= 3, f"{path.name}: graded exercises {sorted(exercises)}"
    assert by_hand, f"{path.name}: no answer graded by hand"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_student_copy_of_each_notebook_leaks_nothing(path):
    nb = nbformat.read(path, as_version=4)
    student = homework.student_notebook(nb)
    assert len(student.cells) == len(nb.cells)
    for k, (cell, copy) in enumerate(zip(nb.cells, student.cells)):
        for begin, end in (
            (homework.BEGIN_SOLUTION, homework.END_SOLUTION),
            (homework.BEGIN_HIDDEN, homework.END_HIDDEN),
        ):
            lines = cell.source.split("\n")
            for first, last in homework.regions(cell.source, begin, end):
                for line in lines[first : last - 1]:
                    if line.strip():
                        assert line not in copy.source.split("\n"), (
                            f"{path.name}, cell {k}: {line.strip()!r} survives in the student copy"
                        )
                assert begin not in copy.source and end not in copy.source


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_every_check_hides_its_reference_comparison(path):
    """The reference comparison of every autograded check sits in hidden tests; what the student
    sees (asserts outside that region) must not be all there is, or copying it would pass."""
    nb = homework.nbgrader_metadata(nbformat.read(path, as_version=4), path.name)
    for k, cell in enumerate(nb.cells):
        meta = cell.metadata["nbgrader"]
        if meta["grade"] and cell.cell_type == "code":
            hidden = homework.regions(cell.source, homework.BEGIN_HIDDEN, homework.END_HIDDEN)
            assert hidden, f"{path.name}, cell {k} ({meta['grade_id']}): no hidden tests"
            lines = cell.source.split("\n")
            body = [ln for first, last in hidden for ln in lines[first : last - 1]]
            assert any(re.match(r"\s*assert\b", ln) for ln in body), (
                f"{path.name}, cell {k}: hidden tests assert nothing"
            )


# -------------------------------------------------------------- the release and nbgrader end to end
def test_release_of_a_small_course_grades_end_to_end(tmp_path):
    """generate_assignment, then autograde three students: the solved copy gets full marks (for the
    autograded part), the untouched release 0, and a copy whose solution calls the library function
    that the hidden test forbids fails it."""
    pytest.importorskip("nbgrader")
    src = tmp_path / "src"
    src.mkdir()
    nb = _nb(
        "md:# T",
        "import math",
        "md:**Exercise 1** (2 points). Write `hyp(a, b)` without `math.hypot`.",
        "def hyp(a, b):\n    ### BEGIN SOLUTION\n    return (a * a + b * b) ** 0.5\n    "
        "### END SOLUTION",
        "# Check exercise 1 (2 points)\nassert callable(hyp)\n### BEGIN HIDDEN TESTS\n_h = "
        "math.hypot\ntry:\n"
        "    math.hypot = None\n    assert abs(hyp(3, 4) - 5) < 1e-9\nfinally:\n    "
        "math.hypot = _h\n### END HIDDEN TESTS",
        "md:**Exercise 2** (1 point). Why?",
        "md:**Answer to exercise 2** (1 point, graded by hand)\n\n### BEGIN "
        "SOLUTION\nBecause.\n### END SOLUTION",
    )
    nbformat.write(nb, src / "01_t.ipynb")
    course = tmp_path / "course"
    (name,) = homework.make_course(course, [src / "01_t.ipynb"])
    homework.nbgrader(course, "generate_assignment", name, "--force")
    released = course / "release" / name / "01_t.ipynb"
    rel = nbformat.read(released, 4)
    assert "(a * a" not in nbformat.writes(rel) and "hyp(3, 4)" not in nbformat.writes(rel)
    assert all(
        "checksum" in c.metadata["nbgrader"]
        for c in rel.cells
        if c.metadata["nbgrader"].get("grade")
    )
    cheat = nbformat.read(released, 4)
    cheat.cells[3].source = "def hyp(a, b):\n    return math.hypot(a, b)"
    cheat.cells[6].source = "**Answer to exercise 2** (1 point, graded by hand)\n\nIt is a theorem."
    subs = {
        "solved": course / "source" / name / "01_t.ipynb",
        "untouched": released,
        "cheat": cheat,
    }
    for student, what in subs.items():
        d = course / "submitted" / student / name
        d.mkdir(parents=True)
        if isinstance(what, Path):
            d.joinpath("01_t.ipynb").write_bytes(what.read_bytes())
        else:
            nbformat.write(what, d / "01_t.ipynb")
    homework.nbgrader(course, "autograde", name, "--force")
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course}/gradebook.db") as gb:
        scores = {s: gb.find_submission(name, s) for s in subs}
        assert (
            scores["solved"].score == 2
            and scores["solved"].max_score == 3
            and scores["solved"].needs_manual_grade
        )
        assert scores["untouched"].score == 0
        assert scores["cheat"].score == 0 and scores["cheat"].needs_manual_grade


def test_exercise_table_of_the_example():
    assert homework.exercises(EXAMPLE) == [
        (1, "Write `hyp(a, b)` without `math.hypot`.", 2, False),
        (2, "Why does it work?", 1, True),
    ]


def test_readme_exercise_table_is_generated_from_the_notebooks():
    text = (ROOT / "README.md").read_text()
    m = homework.README_BLOCK.search(text)
    assert m, "README.md lost its generated exercise table"
    assert homework.exercise_table(NOTEBOOKS) in text, (
        "run: python tools/homework.py exercise-table"
    )


# A course notebook graded end to end costs one run of it per student, so one student: the solved
# copy with one exercise answered by a cheat that calls the course's own helper (captured in a
# default argument before the hidden test replaces it: the hidden test follows defaults, closures
# and the notebook's own functions to find it). Full marks on every other exercise show that the
# solutions pass the hidden tests; that an untouched release scores 0 is graded end to end on the
# small course above.
E2E_NOTEBOOK = "01_local_explanation"
CHEATS = {
    "ex3-solution": "_h = lambda n, x, t, m, fl, f=top_k_deletion: "
    "f(n, x, t, m, int(m.sum()), fill=fl.expand_as(x), of='log-odds')\n\n\n"
    "def segment_drop(net, img, target, segments, fill):\n"
    "    masks = [(segments == s).float()[None] for s in range(int(segments.max()) + 1)]\n"
    "    return torch.cat([_h(net, img, torch.tensor([target]), m, fill) for m in masks])\n\n\n"
    "seg_drop = segment_drop(coffee_model, photo, 1, segments, grey)",
}


def test_course_notebook_grades_end_to_end_with_nbgrader(tmp_path):
    """A course notebook through nbgrader: generate_assignment, then autograde one student whose
    copy holds every reference solution except one exercise, answered by calling the course's
    helper. The student gets every other autograded point (so the solutions pass the release's
    hidden tests) and loses exactly that exercise's points, its check failing on an assertion (the
    hidden test refusing the helper). One autograde run: the notebook executes once."""
    pytest.importorskip("nbgrader")
    course = tmp_path / "course"
    (name,) = homework.make_course(course, [ROOT / "notebooks" / f"{E2E_NOTEBOOK}.ipynb"])
    homework.nbgrader(course, "generate_assignment", name, "--force")
    source = nbformat.read(course / "source" / name / f"{name}.ipynb", 4)
    cheat = nbformat.read(course / "source" / name / f"{name}.ipynb", 4)
    ids = [c.metadata["nbgrader"].get("grade_id") for c in source.cells]
    assert set(CHEATS) <= set(ids), f"{name} lost an exercise this test replaces: {sorted(CHEATS)}"
    checks = {}  # the graded check after each cheated exercise, and its points
    for grade_id, code in CHEATS.items():
        at = ids.index(grade_id)
        cheat.cells[at].source = code
        checks[grade_id] = next(
            i
            for i, c in enumerate(source.cells[at + 1 :], at + 1)
            if c.metadata["nbgrader"].get("grade")
        )
    (course / "submitted" / "cheat" / name).mkdir(parents=True)
    nbformat.write(cheat, course / "submitted" / "cheat" / name / f"{name}.ipynb")
    homework.nbgrader(course, "autograde", name, "--force")  # creates the student
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course}/gradebook.db") as gb:
        score = gb.find_submission(name, "cheat").score
    auto = sum(
        c.metadata["nbgrader"].get("points", 0)
        for c in source.cells
        if c.metadata["nbgrader"].get("grade") and not c.metadata["nbgrader"].get("solution")
    )
    lost = sum(source.cells[i].metadata["nbgrader"]["points"] for i in checks.values())
    assert 0 < lost < auto, f"the cheated checks carry {lost} of {auto} autograded points"
    assert score == auto - lost, (
        f"score {score}: expected {auto} - {lost} (every point but the cheat's)"
    )
    graded = nbformat.read(course / "autograded" / "cheat" / name / f"{name}.ipynb", 4)
    for grade_id, i in checks.items():
        errors = [o.ename for o in graded.cells[i].outputs if o.output_type == "error"]
        assert errors == ["AssertionError"], (grade_id, errors)


def test_student_release_holds_no_solution(tmp_path):
    """The student tree (what the student branch holds) is built by nbgrader and leaks nothing."""
    pytest.importorskip("nbgrader")
    src = tmp_path / "nbs"
    src.mkdir()
    nbformat.write(EXAMPLE, src / "01_example.ipynb")
    dest = homework.build_release(tmp_path / "student", src)
    assert homework.check_release(dest) == []
    assert (dest / "xai_helpers" / "__init__.py").exists() and not (dest / "tests").exists()
    text = (dest / "notebooks" / "01_example.ipynb").read_text()
    assert "Pythagoras" not in text and "hyp(3, 4)" not in text and "checksum" in text
    leaky = dest / "notebooks" / "01_example.ipynb"
    leaky.write_text(
        text.replace("YOUR ANSWER HERE", "### BEGIN SOLUTION\\nPythagoras\\n### END SOLUTION")
    )
    assert any("BEGIN SOLUTION" in p for p in homework.check_release(dest))


# Notebook 04's exercise 2 (the randomization test written by hand): its hidden tests, run on the
# reference solution and on a cheat that holds the course's helper in a default argument.
CHEAT_04_EX2 = """
def randomize_saliency(model, x, target, seed, cascading, mask=None, _cr=E.cascading_randomization):
    ref = A.saliency(model, x, target)
    rho = lambda m: float(E.rank_correlation(ref, A.saliency(m, x, target), mask=mask).mean())
    if cascading:
        return [1.0] + [rho(m) for _, m in _cr(model, seed=seed)]
    names = ["fc2", "fc1", "conv2", "conv1"]
    one = lambda i, n: next(_cr(model, layers=[n], seed=seed + i))[1]  # only layer n random
    return [1.0] + [rho(one(i, n)) for i, n in enumerate(names)]
"""


def test_04_exercise_2_hidden_tests_refuse_a_helper_in_a_default_argument():
    """The hidden tests pass the reference solution and fail the default-argument cheat."""
    torch = pytest.importorskip("torch")
    import xai_helpers
    from xai_helpers import attribution as A
    from xai_helpers import evaluation as E
    from xai_helpers.data import load_mnist
    from xai_helpers.models import load_pretrained

    nb = nbformat.read(ROOT / "notebooks" / "04_checking_explanations.ipynb", 4)
    by_id = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source for c in nb.cells}
    solution, check = by_id["ex2-solution"], by_id["ex2-check"]
    hidden = check[check.index("### BEGIN HIDDEN TESTS") :]
    device = xai_helpers.setup(seed=0)
    mnist = load_mnist()
    base = dict(torch=torch, xai_helpers=xai_helpers, A=A, E=E)
    base["cnn"] = load_pretrained("mnist_cnn", device)
    base |= dict(X=mnist.X_test[:100], Y=mnist.y_test[:100])
    base["copies"] = [load_pretrained("mnist_cnn_seed1", device)]
    for answer, passes in ((solution, True), (CHEAT_04_EX2, False)):
        ns = dict(base)
        exec(answer, ns)
        if passes:
            exec(hidden, ns)
        else:
            with pytest.raises(AssertionError, match="helper is not an answer"):
                exec(hidden, ns)
