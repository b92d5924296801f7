"""Runs whose worker died without a word are marked failed; live ones are left alone."""

import os
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
from dagster._core.events import EngineEventData
from dagster._core.storage.dagster_run import DagsterRun

from orchestration.lib.run_recovery import fail_abandoned_runs, process_alive, worker_pid


def _started_run(instance: dg.DagsterInstance, pid: int) -> DagsterRun:
    run = instance.add_run(DagsterRun(job_name="loyalty_daily",
                                      status=dg.DagsterRunStatus.STARTED))
    instance.report_engine_event(f"Started process for run (pid: {pid}).", run,
                                 EngineEventData.in_process(pid))
    return run


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_zombie_counts_as_dead_and_a_live_process_as_alive() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 30
    while Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
        assert time.monotonic() < deadline  # exited, not yet reaped: a killed worker, to
        time.sleep(0.01)                    # its parent
    assert not process_alive(child.pid)
    child.wait()
    assert not process_alive(child.pid)
    assert process_alive(os.getpid())


def test_only_runs_with_a_dead_worker_are_failed() -> None:
    with dg.instance_for_test() as instance:
        alive = _started_run(instance, os.getpid())
        dead_pid = _dead_pid()
        dead = _started_run(instance, dead_pid)
        assert worker_pid(instance, dead.run_id) == dead_pid

        assert fail_abandoned_runs(instance) == [dead.run_id]
        assert instance.get_run_by_id(dead.run_id).status == dg.DagsterRunStatus.FAILURE
        assert instance.get_run_by_id(alive.run_id).status == dg.DagsterRunStatus.STARTED
        failure = instance.all_logs(dead.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
        assert f"pid {dead_pid}" in failure[0].dagster_event.message
        assert fail_abandoned_runs(instance) == []  # nothing left to do: idempotent
