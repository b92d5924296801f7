"""The code location loads as `dagster dev` would load it, and its graph is reviewed."""

import json
import os
import subprocess
import sys
from pathlib import Path

from orchestration.definitions import defs

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = ROOT / "tests" / "snapshots" / "asset_graph.json"


def graph_snapshot() -> dict:
    d = defs()
    graph = d.resolve_asset_graph()
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        assets[key.to_user_string()] = {
            "group": node.group_name,
            "partitioned": node.partitions_def is not None,
            "deps": sorted(p.to_user_string() for p in node.parent_keys),
            "owners": sorted(node.owners),
            "kinds": sorted(node.kinds),
            "has_description": bool(node.description),
            "checks": sorted(c.name for c in node.check_keys),
        }
    return {
        "assets": assets,
        "jobs": sorted(j.name for j in d.resolve_all_job_defs() if not j.name.startswith("__")),
        "schedules": sorted(
            (s.name, s.cron_schedule, s.execution_timezone)
            for s in (d.resolve_schedule_def(u.name) for u in d.schedules or [])),
        "sensors": sorted((s.name, sorted(j.name for j in s.jobs) if s.has_jobs else [])
                          for s in d.sensors or []),
    }


def test_asset_graph_matches_the_reviewed_snapshot() -> None:
    current = json.loads(json.dumps(graph_snapshot()))
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        SNAPSHOT.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")
    assert current == json.loads(SNAPSHOT.read_text()), (
        "the asset graph changed: review, then run UPDATE_SNAPSHOTS=1 make test")


def test_every_asset_is_described_owned_and_grouped() -> None:
    for key, node in graph_snapshot()["assets"].items():
        assert node["has_description"] and node["owners"] and node["group"] != "default", key


def test_the_daily_schedule_runs_at_two_in_the_store_timezone() -> None:
    schedule = defs().resolve_schedule_def("loyalty_daily_schedule")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == "Asia/Shanghai"
    assert schedule.job_name == "loyalty_daily"


def test_workspace_yaml_loads_with_the_dagster_cli(tmp_path: Path) -> None:
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path), "DO_NOT_TRACK": "1"}
    (tmp_path / "dagster.yaml").write_text((ROOT / "dagster.yaml").read_text())
    dagster = Path(sys.executable).parent / "dagster"
    proc = subprocess.run([str(dagster), "definitions", "validate", "-w", "workspace.yaml"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "loyalty" in proc.stdout + proc.stderr


def test_every_warehouse_writer_is_in_the_single_writer_pool() -> None:
    graph = defs().resolve_asset_graph()
    writers = [k for k in graph.get_all_asset_keys() if "duckdb" in graph.get(k).kinds]
    assert len(writers) > 5
    for key in writers:
        assert graph.get(key).assets_def.node_def.pool == "duckdb_warehouse", key
