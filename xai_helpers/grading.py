"""Grading tools for the hidden tests of the notebooks' exercises (nbgrader's autograder).

An exercise that asks a student to *write* a method must check that the student's function
computes the answer itself, not that it calls the course's implementation under another name.
Two tools do it:

- :func:`course_names` reads a function statically: which course code (this package, loaded under
  any module name) it can reach through its globals, defaults, closure and the notebook functions
  it calls;
- :class:`refusing` checks it by behaviour: while the block runs, the given helpers raise wherever
  they are held (aliases, dicts, partials and closures hold the same function object, whose code
  is swapped), and, with ``watch_calls=True``, any call into a file of the package fails the block.

This module imports nothing from the package (the bottom layer): the hidden tests import it, and
its own frames are not counted as course calls.
"""

from __future__ import annotations

import functools
import os
import sys
import types
from collections.abc import Callable, Iterable

__all__ = ["is_course_file", "course_names", "course_functions", "refuse", "refusing"]

_PKG = os.path.dirname(os.path.realpath(__file__)) + os.sep
_SELF = os.path.realpath(__file__)
_seen_files: dict[str, bool] = {}


def is_course_file(path: str) -> bool:
    """Whether a source file lies in the course package's directory, however it was imported.

    This module's own file is not counted: its frames run the checks.

    Examples
    --------
    >>> import xai_helpers.stats
    >>> is_course_file(xai_helpers.stats.__file__), is_course_file(os.__file__)
    (True, False)
    >>> is_course_file(__file__)
    False
    """
    if not isinstance(path, str):
        raise TypeError(f"path must be a str (a source file name), got {type(path).__name__}")
    if path not in _seen_files:
        real = os.path.realpath(path) if path else ""
        _seen_files[path] = bool(path) and real.startswith(_PKG) and real != _SELF
    return _seen_files[path]


def _is_course(obj: object) -> bool:
    mod = obj.__name__ if isinstance(obj, types.ModuleType) else getattr(obj, "__module__", "")
    code = getattr(obj, "__code__", None)
    where = code.co_filename if code is not None else getattr(obj, "__file__", None)
    own = isinstance(mod, str) and mod.startswith("xai_helpers") and mod != __name__
    return own or (isinstance(where, str) and is_course_file(where))


def course_names(
    fn: Callable,
    allowed: Iterable[object] = (),
    banned: Callable[[object], bool] | None = None,
) -> list[str]:
    """Names of the course code a function can reach, but ``allowed``.

    Follows the function's globals (names its code and nested code use), default arguments and
    closure, and recurses into the plain (non-course) Python functions and ``functools.partial``
    objects it reaches, as the notebook's own helper functions are.

    Parameters
    ----------
    fn : callable
        The student's function (a plain Python function).
    allowed : iterable of objects
        Objects that may be reached (compared by identity), e.g. ``predict_proba``.
    banned : callable, optional
        A predicate that says what counts as forbidden instead of "course code" (e.g. SciPy's test).

    Returns
    -------
    list of str
        The names found; empty when the function reaches none.

    Examples
    --------
    >>> from xai_helpers import stats
    >>> def mine(x):
    ...     return sum(x) / len(x)
    >>> def theirs(a, b):
    ...     return stats.paired_bootstrap(a, b)
    >>> course_names(mine), course_names(theirs)
    ([], ['xai_helpers.stats'])
    """
    if not isinstance(fn, types.FunctionType):
        raise TypeError(f"fn must be a plain Python function, got {type(fn).__name__}")
    allowed = list(allowed)
    todo, seen, found = [fn], set(), []
    while todo:
        f = todo.pop()
        if id(f) in seen:
            continue
        seen.add(id(f))
        objs = [*(f.__defaults__ or ()), *(f.__kwdefaults__ or {}).values()]
        for cell in f.__closure__ or ():
            try:
                objs.append(cell.cell_contents)
            except ValueError:  # an empty cell
                pass
        codes = [f.__code__]
        while codes:
            co = codes.pop()
            codes += [c for c in co.co_consts if isinstance(c, types.CodeType)]
            builtins = getattr(f, "__builtins__", None)
            builtins = builtins if isinstance(builtins, dict) else getattr(builtins, "__dict__", {})
            objs += [f.__globals__.get(name, builtins.get(name)) for name in co.co_names]
        objs += [o.func for o in objs if isinstance(o, functools.partial)]
        for obj in objs:
            if any(obj is a for a in allowed):
                continue
            hit = banned(obj) if banned is not None else _is_course(obj)
            if isinstance(obj, types.FunctionType) and not hit:
                todo.append(obj)
            elif hit and isinstance(
                obj, (types.FunctionType, types.BuiltinFunctionType, types.ModuleType, type)
            ):
                found.append(getattr(obj, "__name__", repr(obj)))
    return found


def course_functions(*modules: types.ModuleType, exclude: Iterable[str] = ()) -> list[Callable]:
    """The course's plain functions, without duplicates: what :class:`refusing` can swap.

    Parameters
    ----------
    *modules : module
        Course modules whose ``__all__`` to take; none means every function defined in any loaded
        ``xai_helpers`` module, wherever the student might fetch it from.
    exclude : iterable of str
        Function names to leave out (helpers an exercise lets the student call).

    Returns
    -------
    list of function
        Functions without free variables (a closure's code cannot be swapped).

    Examples
    --------
    >>> from xai_helpers import stats
    >>> fs = course_functions(stats)
    >>> stats.paired_bootstrap in fs
    True
    >>> stats.paired_bootstrap in course_functions(stats, exclude=["paired_bootstrap"])
    False
    """
    exclude = set(exclude)
    if modules:
        for m in modules:
            if not isinstance(m, types.ModuleType) or not m.__name__.startswith("xai_helpers"):
                raise TypeError(f"modules must be xai_helpers modules, got {m!r}")
        objs = [getattr(m, n) for m in modules for n in getattr(m, "__all__", ())]
    else:
        spaces = [m for n, m in list(sys.modules.items()) if n.startswith("xai_helpers") and m]
        objs = [
            f
            for m in spaces
            for f in vars(m).values()
            if isinstance(f, types.FunctionType) and f.__module__.startswith("xai_helpers")
        ]
    keep = {
        id(f): f
        for f in objs
        if isinstance(f, types.FunctionType)
        and f.__module__ != __name__
        and not f.__code__.co_freevars
        and f.__name__ not in exclude
    }
    return list(keep.values())


def refuse(*args: object, **kwargs: object) -> None:
    """What a refused helper does when called: fail the test with a message for the student.

    Examples
    --------
    >>> refuse(1)
    Traceback (most recent call last):
    ...
    AssertionError: this exercise asks for your own code, not the course's helper
    """
    raise AssertionError("this exercise asks for your own code, not the course's helper")


class refusing:  # noqa: N801 (used as a context manager, like contextlib's)
    """While the block runs, each helper raises wherever it is held.

    Each helper's code is replaced by :func:`refuse`'s, so aliases, dicts, partials and closures
    (which hold the same object) refuse too; every module attribute of ``xai_helpers`` and every
    name of ``namespace`` bound to a helper is :func:`refuse`. With ``watch_calls=True`` any call
    into a file of the package (under whatever module name it was loaded) fails the test when the
    block ends. Everything is restored on exit, also when the block raises.

    Parameters
    ----------
    *helpers : function
        Plain Python functions without free variables.
    namespace : dict, optional
        The notebook's globals (default: the caller's globals).
    watch_calls : bool
        Also fail on any call into the package's files while the block runs.
    allow : iterable of functions or classes
        With ``watch_calls``, course code the student may call (e.g. ``predict_proba``, or a model
        class whose methods run in the forward pass); what an allowed call calls in turn is not
        counted.

    Examples
    --------
    >>> from xai_helpers import stats
    >>> with refusing(stats.paired_bootstrap):
    ...     stats.paired_bootstrap([0.0], [1.0])
    Traceback (most recent call last):
    ...
    AssertionError: this exercise asks for your own code, not the course's helper
    >>> stats.paired_bootstrap([0.0, 1.0], [1.0, 2.0], n_samples=10).value
    1.0
    >>> with refusing(watch_calls=True):
    ...     _ = stats.paired_bootstrap([0.0, 1.0], [1.0, 2.0], n_samples=10)
    Traceback (most recent call last):
    ...
    AssertionError: ...
    >>> with refusing(watch_calls=True, allow=[stats.paired_bootstrap]):
    ...     _ = stats.paired_bootstrap([0.0, 1.0], [1.0, 2.0], n_samples=10)
    """

    def __init__(
        self,
        *helpers: Callable,
        namespace: dict | None = None,
        watch_calls: bool = False,
        allow: Iterable[object] = (),
    ) -> None:
        for h in helpers:
            if not isinstance(h, types.FunctionType):
                raise TypeError(f"helpers must be plain Python functions, got {h!r}")
            if h.__code__.co_freevars:
                raise TypeError(
                    f"{h.__qualname__} is a closure; its code cannot be swapped (leave it out)"
                )
        if namespace is not None and not isinstance(namespace, dict):
            raise TypeError(f"namespace must be a dict (globals()), got {type(namespace).__name__}")
        self.helpers = helpers
        self.namespace = sys._getframe(1).f_globals if namespace is None else namespace
        self.watch_calls = bool(watch_calls)
        self._allowed: dict[int, types.CodeType] = {}
        for a in allow:
            if isinstance(a, type):  # a class: every method defined on it or its course bases
                fns = [
                    f
                    for k in a.__mro__
                    for f in vars(k).values()
                    if isinstance(f, types.FunctionType)
                ]
            elif isinstance(a, types.FunctionType):
                fns = [a]
            else:
                raise TypeError(f"allow takes functions and classes, got {a!r}")
            self._allowed.update({id(f.__code__): f.__code__ for f in fns})  # by identity:
            # two copies of the same source compile to code objects that compare equal
        self.calls: list[str] = []

    def _watch(self, frame: types.FrameType, event: str, arg: object) -> None:
        if event == "call":
            if self._inside is not None:  # within an allowed call: its own calls are its business
                return
            if id(frame.f_code) in self._allowed:
                self._inside = frame
            elif is_course_file(frame.f_code.co_filename):
                self.calls.append(frame.f_code.co_name)
        elif event == "return" and frame is self._inside:
            self._inside = None

    def __enter__(self) -> refusing:
        spaces = [
            vars(m) for n, m in list(sys.modules.items()) if n.startswith("xai_helpers") and m
        ]
        spaces = [ns for ns in spaces if ns.get("__name__") != __name__]
        self._bound = [
            (ns, name, obj)
            for ns in [*spaces, self.namespace]
            for name, obj in list(ns.items())
            if any(obj is h for h in self.helpers)
        ]
        self._codes = [(h, h.__code__) for h in self.helpers]
        for h in self.helpers:
            h.__code__ = refuse.__code__
        for ns, name, _ in self._bound:
            ns[name] = refuse
        self.calls, self._inside = [], None
        if self.watch_calls:
            self._profile = sys.getprofile()
            sys.setprofile(self._watch)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.watch_calls:
            sys.setprofile(self._profile)
        for h, code in self._codes:
            h.__code__ = code
        for ns, name, obj in self._bound:
            ns[name] = obj
        if self.calls and exc[0] is None:
            called = self.calls[:5]
            raise AssertionError(
                f"this exercise asks for your own code, not the course's: it called {called}"
            )
