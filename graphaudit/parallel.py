"""The one policy for processes and threads: when to fork, how many workers, and who gets them.

A :class:`Parallel` is a budget of workers (this process included) that the caller hands down.
Library functions take one as ``parallel=`` and run in this process without it; the pipeline
(:mod:`graphaudit.pipeline`) and the CLI decide the budget once, from the cores this process may
use (:func:`usable_cores`) or ``--jobs``.

The budget is shared by nested work, so the cores are never oversubscribed:

- :meth:`Parallel.start` runs one function in a forked child meanwhile. The child takes half of
  the budget and the parent keeps the rest until the child's result is collected; a child that
  starts work of its own (a pool of normalizers) sees only its half.
- :meth:`Parallel.map` runs a function over items in a pool of forked processes, as many as the
  budget allows; while it runs the budget is spent.
- :meth:`Parallel.threads` gives a thread pool of at most the budget (threads that wait on I/O,
  ``io=True``, are not counted).

Forking is used only where it is safe (:func:`fork_is_safe`): never on macOS (system libraries
there are not fork-safe), never where ``fork`` is not a start method (Windows), and never while
other Python threads run (a lock one of them holds would stay locked in the child forever).
Native thread pools (numpy's BLAS, Arrow's CPU pool) are not counted: they reset themselves in a
forked child. Python 3.12 and later warn on fork when any thread exists; that warning is never
silenced here. Below :attr:`Parallel.min_rows` rows a fork costs more than it saves, and the
work is done in this process: the results are the same either way.

A run keeps the large blocks it frees for its next allocations (:func:`reuse_freed_memory`)
instead of handing them back to the system and faulting fresh, zeroed pages in again. Before each
fork the allocator hands its free pages back to the system (:func:`release_free_memory`): what the
linkage freed would otherwise stay in this process's memory, and in its children's count of it,
for as long as the fork lives.
"""

from __future__ import annotations

import ctypes
import functools
import multiprocessing
import os
import sys
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

__all__ = ["KEEP_FREED", "MIN_ROWS", "InPlace", "Job", "Parallel", "fork_is_safe",
           "release_free_memory", "reuse_freed_memory", "usable_cores"]

T = TypeVar("T")
R = TypeVar("R")

#: a fork costs tens of milliseconds: work over fewer rows than this is done in place
MIN_ROWS = 100_000
#: freed blocks up to this size stay with the allocator for reuse (:func:`reuse_freed_memory`)
KEEP_FREED = 1 << 30


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system has one, so a
    container or ``taskset`` limit is respected), at least 1."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def release_free_memory() -> None:
    """Give the C allocator's free pages back to the system (glibc's ``malloc_trim``; nothing
    where there is none), and Arrow's pool's.

    numpy and Arrow free the linkage's tables into the allocator, which keeps most of them:
    at a million stores about a gigabyte of freed memory stays resident. A forked child shares
    those pages, so they count against the run's memory for as long as the child lives; they
    are returned before each fork.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
    # Arrow's columns (the text of pandas' str columns) live in Arrow's own pool (mimalloc or
    # jemalloc), which keeps freed pages too; nothing to give back when Arrow was never loaded.
    arrow = sys.modules.get("pyarrow")
    if arrow is not None:
        arrow.default_memory_pool().release_unused()


def reuse_freed_memory() -> bool:
    """Have the C allocator keep the blocks up to :data:`KEEP_FREED` bytes that are freed, for
    the allocations that follow, instead of handing them back to the system (glibc's
    ``mallopt``: its mmap and trim thresholds). Returns whether the allocator took the
    setting (False where there is no glibc). It holds for the rest of the process, and for
    the children it forks.

    By default glibc maps every block above 32 MiB on its own and unmaps it when freed: each
    of the linkage's large temporary arrays (tens of millions of rows at a million stores,
    round after round) is then faulted in afresh, and the kernel zeroes every page of it first.
    That zeroing was a fifth of a million stores' CPU, and most of the weighing stage's system
    time (docs/benchmarks.md, eighth session). Kept, the freed pages are reused as they are.
    What they hold goes back to the system before each fork (:func:`release_free_memory`),
    where a child would otherwise count it again.
    """
    mallopt = _mallopt()
    if mallopt is None:
        return False
    # M_MMAP_THRESHOLD (-3), then M_TRIM_THRESHOLD (-1): both take an int
    return bool(mallopt(-3, KEEP_FREED)) and bool(mallopt(-1, KEEP_FREED))


@functools.cache
def _mallopt() -> Callable[[int, int], int] | None:
    """glibc's ``mallopt`` (None elsewhere: musl's takes no setting, macOS and Windows have
    none)."""
    if _malloc_trim() is None:  # not glibc
        return None
    return getattr(ctypes.CDLL(None), "mallopt", None)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, looked up once among the symbols the process has loaded
    (``ctypes.util.find_library`` would start a subprocess: 30 ms of every command's
    start-up); None where there is none (musl, macOS, Windows)."""
    try:
        return getattr(ctypes.CDLL(None), "malloc_trim", None)
    except (OSError, TypeError):
        return None


def fork_is_safe() -> bool:
    """Whether a forked child can be started here and now.

    False on macOS (fork without exec is unsafe with its system frameworks), where ``fork`` is
    no start method (Windows), and while other Python threads run in this process.
    """
    return (sys.platform != "darwin"
            and "fork" in multiprocessing.get_all_start_methods()
            and threading.active_count() == 1)


@dataclass
class Parallel:
    """A budget of ``workers`` (this process included) for the work of one run.

    ``Parallel()`` is one worker: everything runs in this process, in order. ``Parallel.auto()``
    is every usable core. Work over fewer than ``min_rows`` rows stays in this process.

    >>> Parallel().workers, Parallel.auto(n_jobs=3).workers
    (1, 3)
    >>> with Parallel().start(sum, [1, 2, 3]) as job:  # one worker: runs here, when asked
    ...     job.result()
    6
    """

    workers: int = 1
    min_rows: int = MIN_ROWS

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise ValueError(f"a budget of {self.workers} workers: give at least 1")

    @classmethod
    def auto(cls, n_jobs: int | None = None, min_rows: int = MIN_ROWS) -> Parallel:
        """A budget of ``n_jobs`` workers, by default every usable core (:func:`usable_cores`)."""
        return cls(workers=n_jobs or usable_cores(), min_rows=min_rows)

    def forks(self, rows: int) -> bool:
        """Whether work over ``rows`` rows goes to forked processes: the budget has a worker to
        spare, the work is big enough to pay for a fork, and forking is safe."""
        return self.workers >= 2 and rows >= self.min_rows and fork_is_safe()

    def start(self, func: Callable[..., T], *args: Any, rows: int | None = None) -> Job[T]:
        """``func(*args)`` in a forked child meanwhile, or in this process when its result is
        asked for (no worker to spare, fewer than ``min_rows`` rows, or no safe fork).

        The child is given half of the budget (this object, as the child sees it, holds that
        half); the parent keeps the rest until the result is collected. Use the job as a
        context manager, so that the child is stopped if the parent fails first.
        ``rows=None`` counts as big enough.
        """
        if not self.forks(self.min_rows if rows is None else rows):
            return Job(func, args)
        share = self.workers // 2
        self.workers -= share
        try:
            return Job(func, args, budget=(self, share))
        except BaseException:
            self.workers += share
            raise

    def map(self, func: Callable[[T], R], items: Sequence[T], rows: int | None = None,
            keep: int = 0) -> Iterator[R]:
        """``func(item)`` for each item, in order, in a pool of forked processes when the
        budget allows (else here, one item at a time).

        ``rows`` is the size of the whole work (default: the number of items); ``keep``
        workers are left to the caller, who goes on meanwhile. The pool's processes each see
        a budget of one worker, and so does this process while the pool runs. An item's
        failure is raised again here. Consume the iterator to the end (or close it) so that
        the pool is shut down and the budget given back.
        """
        size = min(self.workers - keep, len(items))
        if size < 2 or not self.forks(len(items) if rows is None else rows):
            return map(func, items)
        return self._pooled(func, items, size)

    def _pooled(self, func: Callable[[T], R], items: Sequence[T], size: int) -> Iterator[R]:
        """Start the pool and hand it every item now; the iterator gives the results."""
        # imported here: the process pool's module costs every command's start-up (`query`)
        from concurrent.futures import ProcessPoolExecutor

        spent, self.workers = self.workers, 1
        release_free_memory()
        try:
            # ProcessPoolExecutor forks all its processes before it starts a thread of its own.
            pool = ProcessPoolExecutor(size, mp_context=multiprocessing.get_context("fork"))
            results = pool.map(func, items)
        except BaseException:
            self.workers = spent
            raise
        return self._drained(pool, results, spent)

    def _drained(self, pool: ProcessPoolExecutor, results: Iterator[R],
                 spent: int) -> Iterator[R]:
        try:
            yield from results
        finally:
            pool.shutdown(cancel_futures=True)
            self.workers = spent

    def threads(self, n: int, io: bool = False) -> Executor:
        """An executor of ``n`` threads at most, within the budget unless they wait on I/O
        (``io``). With one worker it runs each call in this thread, when submitted.

        Threads pay for work that lets go of the GIL (Arrow, numpy) or waits on I/O.
        """
        size = n if io else min(n, self.workers)
        if size < 2:
            return InPlace()
        return ThreadPoolExecutor(size, thread_name_prefix="graphaudit")


class InPlace(Executor):
    """An executor that runs each call when it is submitted, in the caller's thread. A
    Ctrl-C (KeyboardInterrupt) or an exit stops the caller at once, as it would without an
    executor: kept in a future nobody reads, a load went on after its Ctrl-C (REPORT9 item 10)."""

    def submit(self, fn: Callable[..., R], /, *args: Any, **kwargs: Any) -> Future[R]:
        future: Future[R] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:  # the caller sees it from result()
            future.set_exception(exc)
        return future


class Job(Generic[T]):
    """``func(*args)`` computed in a forked child, or here when its result is asked for.

    Made by :meth:`Parallel.start`. An exception raised in the child is raised again by
    :meth:`result` with the child's traceback attached as a note; a child that dies without
    answering is reported with its exit code.
    """

    def __init__(self, func: Callable[..., T], args: Iterable[Any],
                 budget: tuple[Parallel, int] | None = None) -> None:
        self._func, self._args = func, tuple(args)
        self._process = None
        self._budget = budget
        if budget is None:
            return
        release_free_memory()
        context = multiprocessing.get_context("fork")
        self._reader, writer = context.Pipe(duplex=False)
        # Not a daemon: the child may itself start processes (within its share).
        self._process = context.Process(target=_run_and_send,
                                        args=(writer, func, self._args, budget),
                                        name=f"graphaudit-{getattr(func, '__name__', 'job')}")
        self._process.start()
        writer.close()

    @property
    def forked(self) -> bool:
        """Whether the work runs in a child process."""
        return self._budget is not None

    def result(self) -> T:
        """The function's result (waiting for the child), or its exception raised again."""
        if self._budget is None:
            return self._func(*self._args)
        try:
            ok, value = self._reader.recv()
        except EOFError:
            self._process.join()
            raise RuntimeError(f"{self._process.name} died (exit code "
                               f"{self._process.exitcode})") from None
        finally:
            self._end(stop=False)
        if not ok:
            raise value
        return value

    def _end(self, stop: bool) -> None:
        """Close the pipe, wait for the child (stop it first if ``stop``) and give its share
        of the budget back."""
        if self._process is not None:
            if stop:
                self._process.terminate()
            self._process.join()
            self._reader.close()
            self._process = None
            parallel, share = self._budget
            parallel.workers += share

    def __enter__(self) -> Job[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self._end(stop=True)  # the parent failed (or left) before asking for the result


def _run_and_send(writer, func: Callable, args: tuple, budget: tuple[Parallel, int]) -> None:
    parallel, share = budget
    parallel.workers = share  # what the child may use: the parent kept the rest
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
