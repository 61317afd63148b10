"""The parallelism policy: when work forks, what the budget allows, and failures of children."""

from __future__ import annotations

import os
import resource
import sys
import threading
import time

import numpy as np
import pytest

from graphaudit import parallel
from graphaudit.errors import DataError
from graphaudit.parallel import InPlace, Parallel, fork_is_safe, usable_cores

needs_fork = pytest.mark.skipif(not fork_is_safe(), reason="needs a safe fork (Linux, no threads)")


def _pid_and_total(values: list[int]) -> tuple[int, int]:
    return os.getpid(), sum(values)


def _pid_and_budget(budget: Parallel) -> tuple[int, int]:
    return os.getpid(), budget.workers


def _pids_of_a_map(budget: Parallel) -> tuple[int, set[int]]:
    """What a child does with its share: a pool over many rows."""
    return os.getpid(), set(budget.map(_pid, range(8), rows=10**9))


def _pid(_item: object = None) -> int:
    return os.getpid()


def _fail(message: str) -> None:
    raise DataError(message)


def _die() -> None:
    os._exit(7)


def _square_or_fail(n: int) -> int:
    if n == 3:
        raise DataError("item 3 is bad")
    return n * n


@needs_fork
def test_the_child_computes_from_the_parents_memory():
    values = list(range(100_000))
    with Parallel(2, min_rows=0).start(_pid_and_total, values) as job:
        assert job.forked
        pid, total = job.result()
    assert pid != os.getpid() and total == sum(values)


def test_one_worker_runs_the_work_here_when_its_result_is_asked_for():
    calls = []
    with Parallel().start(calls.append, "done") as job:
        assert not job.forked and calls == []
        job.result()
    assert calls == ["done"]


@needs_fork
def test_work_below_min_rows_is_not_forked():
    budget = Parallel(2, min_rows=1000)
    with budget.start(_pid_and_total, [1, 2], rows=999) as job:
        assert job.result() == (os.getpid(), 3)
    with budget.start(_pid_and_total, [1, 2], rows=1000) as job:
        assert job.result()[0] != os.getpid()


@needs_fork
def test_an_error_in_the_child_is_raised_in_the_parent_with_its_traceback():
    budget = Parallel(2, min_rows=0)
    with budget.start(_fail, "bad row") as job, \
            pytest.raises(DataError, match="bad row") as raised:
        job.result()
    assert any("_fail" in note and "forked child" in note for note in raised.value.__notes__)
    assert budget.workers == 2


@needs_fork
def test_a_child_that_dies_is_reported_with_its_exit_code():
    budget = Parallel(2, min_rows=0)
    with budget.start(_die) as job, pytest.raises(RuntimeError, match="exit code 7"):
        job.result()
    assert budget.workers == 2


@needs_fork
def test_a_parent_that_fails_first_stops_the_child_and_gets_its_budget_back():
    budget = Parallel(2, min_rows=0)
    with pytest.raises(ValueError), budget.start(time.sleep, 30) as job:
        child = job._process
        assert budget.workers == 1
        raise ValueError("parent failed")
    assert child.exitcode is not None and budget.workers == 2


@needs_fork
@pytest.mark.parametrize(("workers", "child", "parent"), [(2, 1, 1), (3, 1, 2), (4, 2, 2)])
def test_a_child_takes_half_the_budget_and_the_parent_keeps_the_rest(workers, child, parent):
    budget = Parallel(workers, min_rows=0)
    with budget.start(_pid_and_budget, budget) as job:
        assert budget.workers == parent
        pid, seen = job.result()
    assert pid != os.getpid() and seen == child
    assert budget.workers == workers


@needs_fork
def test_nested_work_never_oversubscribes_the_cores():
    """On two cores, a child that would start a pool of its own runs it in itself instead
    (the old address child and its parent each started a pool of cpu_count workers)."""
    budget = Parallel(2, min_rows=0)
    with budget.start(_pids_of_a_map, budget) as job:
        here = set(budget.map(_pid, range(8), rows=10**9))  # the parent's half: one process
        child, there = job.result()
    assert here == {os.getpid()} and there == {child}


@needs_fork
def test_a_pool_uses_the_budget_in_order_and_gives_it_back():
    budget = Parallel(3, min_rows=0)
    results = budget.map(_pid, range(30))
    assert budget.workers == 1  # spent while the pool runs
    pids = list(results)
    assert len(pids) == 30 and os.getpid() not in pids and len(set(pids)) <= 3
    assert budget.workers == 3
    assert list(budget.map(abs, [-1, -2, -3])) == [1, 2, 3]


@needs_fork
def test_a_failing_item_of_a_pool_is_raised_here():
    budget = Parallel(2, min_rows=0)
    with pytest.raises(DataError, match="item 3 is bad"):
        list(budget.map(_square_or_fail, range(6)))
    assert budget.workers == 2


def test_a_pool_leaves_workers_to_a_caller_who_goes_on_meanwhile():
    budget = Parallel(2, min_rows=0)
    assert list(budget.map(_pid, range(4), keep=1)) == [os.getpid()] * 4


@needs_fork
def test_nothing_forks_while_another_python_thread_runs():
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert not fork_is_safe()
        budget = Parallel(2, min_rows=0)
        assert not budget.forks(10**9)
        with budget.start(_pid_and_total, [1]) as job:
            assert job.result() == (os.getpid(), 1)
        assert set(budget.map(_pid, range(4))) == {os.getpid()}
    finally:
        release.set()
        other.join()
    assert fork_is_safe()


def test_nothing_forks_on_macos(monkeypatch):
    monkeypatch.setattr(sys, "platform", "darwin")
    assert not fork_is_safe()
    assert not Parallel(8, min_rows=0).forks(10**9)


def test_nothing_forks_where_fork_is_no_start_method(monkeypatch):
    monkeypatch.setattr(parallel.multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    assert not fork_is_safe()


def test_threads_stay_within_the_budget_unless_they_wait_on_io():
    assert isinstance(Parallel().threads(4), InPlace)
    with Parallel(3).threads(8) as pool:
        assert pool._max_workers == 3
    with Parallel(1).threads(5, io=True) as pool:
        assert pool._max_workers == 5


def test_in_place_executor_runs_each_call_when_submitted():
    calls = []
    pool = Parallel().threads(2)
    future = pool.submit(calls.append, 1)
    assert calls == [1] and future.result() is None
    failed = pool.submit(_fail, "no")
    with pytest.raises(DataError, match="no"):
        failed.result()


def test_the_budget_follows_the_usable_cores(monkeypatch):
    if hasattr(os, "sched_getaffinity"):
        monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {5})
        assert usable_cores() == 1
    assert Parallel.auto(n_jobs=4).workers == 4
    assert Parallel.auto().workers == usable_cores()
    with pytest.raises(ValueError, match="at least 1"):
        Parallel(0)


def _resident_mib() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) // 1024 for line in status if line.startswith("VmRSS"))


@pytest.mark.skipif(parallel._malloc_trim() is None
                    or not os.path.exists("/proc/self/status"),
                    reason="needs glibc's malloc_trim and /proc")
def test_memory_freed_before_a_fork_goes_back_to_the_system_first():
    # 300 MB in blocks under the allocator's mmap threshold, nine in ten freed: the holes stay
    # resident (the allocator keeps them) until they are given back.
    blocks = [bytearray(100_000) for _ in range(3_000)]
    for block in blocks:
        block[::4096] = b"x" * len(block[::4096])  # touch every page
    kept = blocks[::10]
    del blocks
    before = _resident_mib()
    with Parallel(workers=2, min_rows=0).start(len, kept) as job:
        assert job.forked
        after = _resident_mib()
        assert job.result() == 300
    assert before - after > 150, (before, after)


@pytest.mark.skipif(parallel._mallopt() is None, reason="needs glibc's mallopt")
def test_a_large_block_freed_is_reused_without_faulting_its_pages_in_again():
    # 64 MiB: above the largest block glibc would otherwise keep (32 MiB), so by default it is
    # unmapped when freed and its pages are faulted in (and zeroed) again on the next use.
    assert parallel.reuse_freed_memory()
    size = 64 << 20

    def faults_of_a_block() -> int:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        block = np.empty(size, dtype=np.uint8)
        block[::4096] = 1  # touch every page
        del block
        return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

    faults_of_a_block()
    assert faults_of_a_block() < 100
