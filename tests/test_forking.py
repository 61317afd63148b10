"""Work handed to a forked child: results, failures, and the fallback without fork."""

from __future__ import annotations

import os
import time

import pytest

from graphaudit import forking
from graphaudit.errors import DataError
from graphaudit.forking import Forked

pytestmark = pytest.mark.skipif(not forking.can_fork(), reason="needs fork and two cores")


def _pid_and_total(values: list[int]) -> tuple[int, int]:
    return os.getpid(), sum(values)


def _fail(message: str) -> None:
    raise DataError(message)


def _die() -> None:
    os._exit(7)


def test_the_child_computes_from_the_parents_memory():
    values = list(range(100_000))
    with Forked(_pid_and_total, values) as job:
        pid, total = job.result()
    assert pid != os.getpid() and total == sum(values)


def test_without_fork_the_work_runs_here():
    with Forked(_pid_and_total, [1, 2], fork=False) as job:
        assert job.result() == (os.getpid(), 3)


def test_an_error_in_the_child_is_raised_in_the_parent_with_its_traceback():
    with Forked(_fail, "bad row") as job, pytest.raises(DataError, match="bad row") as raised:
        job.result()
    assert any("_fail" in note for note in raised.value.__notes__)


def test_a_child_that_dies_is_reported():
    with Forked(_die) as job, pytest.raises(RuntimeError, match="exit code 7"):
        job.result()


def test_a_parent_that_fails_first_stops_the_child():
    with pytest.raises(ValueError), Forked(time.sleep, 30) as job:
        child = job._process
        raise ValueError("parent failed")
    assert child.exitcode is not None
