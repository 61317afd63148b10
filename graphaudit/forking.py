"""Run one function in a forked child process while this one goes on.

Stages of an analysis that do not depend on each other (normalizing addresses and the other
identifiers; collecting evidence and scoring clusters) run side by side on two cores. A forked
child reads the parent's tables without copying them; only its result comes back, pickled
through a pipe.

Where fork is unavailable, or on one core, the function simply runs when its result is asked
for, so callers need not care.
"""

from __future__ import annotations

import multiprocessing
import os
import traceback
import warnings
from collections.abc import Callable
from typing import Any, Generic, TypeVar

__all__ = ["MIN_ROWS", "Forked", "can_fork", "worth_forking"]

T = TypeVar("T")

#: a fork costs tens of milliseconds: work over fewer rows than this is done in place
MIN_ROWS = 100_000


def worth_forking(rows: int) -> bool:
    """Whether work over ``rows`` rows pays for a forked child (see :data:`MIN_ROWS`)."""
    return rows >= MIN_ROWS


def can_fork() -> bool:
    """Whether a second process would run on a core of its own."""
    return (os.cpu_count() or 1) >= 2 and "fork" in multiprocessing.get_all_start_methods()


class Forked(Generic[T]):
    """``func(*args)`` computed in a forked child; :meth:`result` waits for it.

    Use it as a context manager, so that a child is stopped when the parent fails first::

        with Forked(sum, [1, 2, 3]) as total:
            ...  # other work, in this process
            print(total.result())

    An exception raised in the child is raised again by :meth:`result`, with the child's
    traceback attached as a note. With ``fork=False`` (for work too small to pay for a
    process), ``func`` runs in this process when its result is asked for.
    """

    def __init__(self, func: Callable[..., T], *args: Any, fork: bool = True) -> None:
        self._func, self._args = func, args
        self._process = None
        if not (fork and can_fork()):
            return
        context = multiprocessing.get_context("fork")
        self._reader, writer = context.Pipe(duplex=False)
        with warnings.catch_warnings():
            # 3.12+ warns about forking with threads; the child runs only ``func``.
            warnings.simplefilter("ignore", DeprecationWarning)
            # Not a daemon: the child may itself start processes (the normalizers' pool).
            self._process = context.Process(target=_run_and_send, args=(writer, func, args),
                                            name=f"graphaudit-{func.__name__}")
            self._process.start()
        writer.close()

    def result(self) -> T:
        if self._process is None:
            return self._func(*self._args)
        try:
            ok, value = self._reader.recv()
        except EOFError:
            self._process.join()
            raise RuntimeError(f"{self._process.name} died (exit code "
                               f"{self._process.exitcode})") from None
        finally:
            self._reader.close()
        self._process.join()
        self._process = None
        if not ok:
            raise value
        return value

    def __enter__(self) -> Forked[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._process is not None:  # the parent failed before asking for the result
            self._process.terminate()
            self._process.join()
            self._reader.close()
            self._process = None


def _run_and_send(writer, func: Callable, args: tuple) -> None:
    try:
        message = (True, func(*args))
    except BaseException as exc:  # noqa: BLE001 - every failure goes back to the parent
        exc.add_note("in a forked child:\n" + traceback.format_exc())
        message = (False, exc)
    try:
        writer.send(message)
    except Exception as exc:  # an unpicklable result or exception
        writer.send((False, RuntimeError(f"cannot send the result of {func.__name__}: {exc}")))
    writer.close()
