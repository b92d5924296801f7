"""Runs whose worker process died (kill -9, out of memory, a reboot) without telling Dagster.

Dagster's run monitoring asks the worker's health only for launchers that can (Kubernetes,
Docker, ECS). With the default launcher the code server notices when a run process it
started exits, and fails the run; but when the code server went down too (`dagster dev`
killed, a reboot), or the run executed in process (`loyalty run`), nobody does, and the run
stays "started" for ever: it keeps its concurrency slots, and with one run at a time
nothing else would start. This marks those runs failed (so run retries relaunch them) and
frees their slots. The data is safe to re-run: lake partitions and the serving file are
swapped in whole, and DuckDB replays its write-ahead log.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

ACTIVE = [dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]


def worker_pid(instance: dg.DagsterInstance, run_id: str) -> int | None:
    """The process that executes the run: the first engine event that names a pid (the run
    worker a launcher started, or the process of an in-process execution)."""
    for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT):
        data = entry.dagster_event.engine_event_data if entry.dagster_event else None
        pid = data.metadata.get("pid") if data else None
        if pid is not None:
            return int(pid.value)
    return None


def process_alive(pid: int) -> bool:
    """True for a running process; a zombie (dead, not yet reaped) counts as dead."""
    stat = Path(f"/proc/{pid}/stat")
    try:
        state = stat.read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    except OSError:
        return True  # cannot tell: never fail a run we are not sure about
    return state not in ("Z", "X")


def abandoned_runs(instance: dg.DagsterInstance) -> list[tuple[dg.DagsterRun, int]]:
    """Active runs on this machine whose worker process no longer exists."""
    if instance.run_launcher.supports_check_run_worker_health:
        return []  # Dagster's run monitoring watches these workers itself
    found = []
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=ACTIVE)):
        pid = worker_pid(instance, run.run_id)
        if pid is not None and not process_alive(pid):
            found.append((run, pid))
    return found


def fail_abandoned_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark every abandoned run failed and free its concurrency slots; the run ids."""
    failed = []
    for run, pid in abandoned_runs(instance):
        instance.report_run_failed(
            run, f"The run's worker process (pid {pid}) is gone: it was killed or crashed. "
                 "Marked failed so that run retries and the next scheduled run can proceed; "
                 "lake partitions and the serving file were swapped whole, so nothing is "
                 "half-written.")
        if instance.event_log_storage.supports_global_concurrency_limits:
            instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        failed.append(run.run_id)
    return failed
