"""Tests of xai_helpers.grading: the hidden tests' tools catch the course's code under any name."""

from __future__ import annotations

import functools
import importlib.util
import sys

import pytest
import torch

from xai_helpers import grading, stats
from xai_helpers.grading import course_functions, course_names, is_course_file, refusing


def _load_as(name: str, module):
    """The module's file loaded again under another module name, as a student could."""
    spec = importlib.util.spec_from_file_location(name, module.__file__)
    mod = importlib.util.module_from_spec(spec)
    mod.__package__ = "xai_helpers"  # its relative imports still resolve
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def stats_copy():
    mod = _load_as("not_the_course_stats", stats)
    yield mod
    sys.modules.pop("not_the_course_stats", None)


def test_is_course_file():
    assert is_course_file(stats.__file__)
    assert not is_course_file(pytest.__file__)
    assert not is_course_file(grading.__file__)  # its own frames are not student calls
    assert not is_course_file("")
    with pytest.raises(TypeError, match="str"):
        is_course_file(None)


def test_course_names_finds_every_route(stats_copy):
    alias = stats.paired_bootstrap

    def direct(a, b):
        return stats.paired_bootstrap(a, b)

    def through_alias(a, b):
        return alias(a, b)

    def through_default(a, b, f=stats.paired_bootstrap):
        return f(a, b)

    def through_helper(a, b):  # a notebook function that calls the course
        return direct(a, b)

    part = functools.partial(stats.paired_bootstrap, n_samples=10)

    def through_partial(a, b):
        return part(a, b)

    def through_closure():
        g = stats_copy.paired_bootstrap

        def inner(a, b):
            return g(a, b)

        return inner

    def through_copy(a, b):  # the package file loaded under another module name
        return stats_copy.paired_bootstrap(a, b)

    for fn in (direct, through_alias, through_default, through_helper, through_partial):
        assert course_names(fn), fn.__name__
    assert course_names(through_closure()) == ["paired_bootstrap"]
    assert course_names(through_copy)


def test_course_names_allowed_banned_and_clean():
    def clean(x):
        return sum(x) / len(x)

    def uses(a, b):
        return stats.paired_bootstrap(a, b)

    assert course_names(clean) == []
    assert course_names(uses, allowed=(stats,)) == []
    assert course_names(clean, banned=lambda o: o is sum) == ["sum"]
    with pytest.raises(TypeError, match="plain Python function"):
        course_names(len)


def test_course_functions():
    everything = course_functions()
    assert stats.paired_bootstrap in everything
    assert all(not f.__code__.co_freevars for f in everything)
    assert len({id(f) for f in everything}) == len(everything)
    assert not any(f.__module__ == grading.__name__ for f in everything)
    assert stats.paired_bootstrap not in course_functions(stats, exclude=["paired_bootstrap"])
    with pytest.raises(TypeError, match="xai_helpers modules"):
        course_functions(pytest)


def test_refusing_swaps_every_holder_and_restores():
    holder = {"f": stats.paired_bootstrap}
    alias = stats.paired_bootstrap
    part = functools.partial(stats.paired_bootstrap, n_samples=10)
    ns = {"mine": stats.paired_bootstrap}
    code = stats.paired_bootstrap.__code__
    with refusing(stats.paired_bootstrap, namespace=ns):
        for call in (holder["f"], alias, part, stats.paired_bootstrap, ns["mine"]):
            with pytest.raises(AssertionError, match="your own code"):
                call([0.0, 1.0], [1.0, 2.0])
        assert ns["mine"] is grading.refuse
    assert stats.paired_bootstrap.__code__ is code and ns["mine"] is stats.paired_bootstrap
    assert alias([0.0, 1.0], [1.0, 2.0], n_samples=10).value == 1.0


def test_refusing_defaults_to_the_callers_globals():
    globals()["_student_alias"] = stats.paired_bootstrap
    try:
        with refusing(stats.paired_bootstrap):
            assert globals()["_student_alias"] is grading.refuse
        assert globals()["_student_alias"] is stats.paired_bootstrap
    finally:
        del globals()["_student_alias"]


def test_refusing_restores_when_the_block_raises():
    code = stats.paired_bootstrap.__code__
    with pytest.raises(ZeroDivisionError):
        with refusing(stats.paired_bootstrap, watch_calls=True):
            raise ZeroDivisionError("the block fails")
    assert stats.paired_bootstrap.__code__ is code
    assert sys.getprofile() is None


def test_watch_calls_catches_a_copy_under_another_name(stats_copy):
    with pytest.raises(AssertionError, match="paired_bootstrap"):
        with refusing(watch_calls=True):
            stats_copy.paired_bootstrap([0.0, 1.0], [1.0, 2.0], n_samples=10)
    with refusing(watch_calls=True) as r:  # own code only: passes
        sum([1, 2])
    assert r.calls == []
    with refusing():  # without watching, a call to an unrefused helper is allowed
        stats_copy.paired_bootstrap([0.0, 1.0], [1.0, 2.0], n_samples=10)


def test_nested_refusing_keeps_the_outer_watch(stats_copy):
    with pytest.raises(AssertionError, match="paired_bootstrap"):
        with refusing(watch_calls=True):
            with refusing(stats.accuracy_interval, watch_calls=True):
                pass
            stats_copy.paired_bootstrap([0.0, 1.0], [1.0, 2.0], n_samples=10)
    assert sys.getprofile() is None


def test_refusing_bad_input():
    def outer():
        y = 1

        def closure():
            return y

        return closure

    with pytest.raises(TypeError, match="closure"):
        refusing(outer())
    with pytest.raises(TypeError, match="plain Python functions"):
        refusing(len)
    with pytest.raises(TypeError, match="namespace"):
        refusing(stats.paired_bootstrap, namespace=[1])


def test_allow_lets_a_helper_and_what_it_calls_through(stats_copy):
    args = ([0.0, 1.0], [1.0, 2.0])
    with refusing(watch_calls=True, allow=[stats_copy.paired_bootstrap]) as r:
        stats_copy.paired_bootstrap(*args, n_samples=10)  # it calls other course code itself
    assert r.calls == []
    with pytest.raises(AssertionError, match="paired_bootstrap"):  # the original is not allowed
        with refusing(watch_calls=True, allow=[stats_copy.paired_bootstrap]):
            stats_copy.paired_bootstrap(*args, n_samples=10)
            stats.paired_bootstrap(*args, n_samples=10)


def test_allow_a_class_covers_its_methods():
    from xai_helpers.models import GroupVsRest, MnistCNN

    model = GroupVsRest(MnistCNN(), [0, 1]).eval()  # its forward is course code
    x = torch.zeros(1, 1, 28, 28)
    with refusing(watch_calls=True, allow=[GroupVsRest]) as r:
        model(x)
    assert r.calls == []
    with pytest.raises(AssertionError, match="forward"):
        with refusing(watch_calls=True):
            model(x)
    with pytest.raises(TypeError, match="functions and classes"):
        refusing(allow=[3])
