"""Test session set-up: dbt's manifest must exist before the Dagster definitions load."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DBT_DIR = ROOT / "dbt_project"

# Telemetry off for everything the tests start.
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")


def pytest_sessionstart(session: pytest.Session) -> None:
    manifest = DBT_DIR / "target" / "manifest.json"
    if not manifest.exists():
        dbt = Path(sys.executable).parent / "dbt"
        subprocess.run([str(dbt), "parse", "--quiet", "--profiles-dir", "."], cwd=DBT_DIR,
                       check=True)


@pytest.fixture
def data_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point every location (and the Dagster instance) at a fresh temporary folder."""
    for name in ("LOYALTY_LANDING_DIR", "LOYALTY_LAKE", "LOYALTY_WAREHOUSE",
                 "LOYALTY_SERVING_DIR", "LOYALTY_EXPORTS_DIR", "LOYALTY_SPARK_DIR",
                 "LOYALTY_ENGINE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LOYALTY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    return tmp_path / "data"
