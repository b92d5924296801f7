"""dbt run by the tests against a warehouse of their own, and one model's SQL as dbt
compiles it, to run over hand-made upstream tables."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from orchestration.lib.settings import Settings

DBT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"


def settings_under(root: Path) -> Settings:
    """Every location under ``root``, whatever this process's environment says; the
    warehouse's folder exists."""
    settings = Settings.from_env({"LOYALTY_DATA_DIR": str(root / "data")})
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    return settings


def run_dbt(settings: Settings, root: Path, *args: str) -> None:
    """``dbt <args>`` on the settings' warehouse, its target and logs under ``root``; fails
    the test with dbt's output when dbt fails."""
    proc = subprocess.run([str(Path(sys.executable).parent / "dbt"), *args, "--profiles-dir",
                           ".", "--target-path", str(root / "target"), "--log-path",
                           str(root / "logs")],
                          cwd=DBT_DIR, env={**os.environ, **settings.dbt_env()},
                          capture_output=True, text=True)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]


def compile_model(root: Path, model: str) -> tuple[str, Path]:
    """Compile ``model`` against an empty warehouse under ``root``: (SQL, warehouse path).

    The SQL names its upstream tables as ``"<warehouse stem>"."<schema>"."<table>"``: a test
    creates them in that warehouse file and runs ``select ... from (<sql>)`` over them.
    """
    settings = settings_under(root)
    run_dbt(settings, root, "compile", "--select", model)
    sql = next((root / "target").rglob(f"compiled/**/{model}.sql")).read_text()
    return sql, settings.warehouse_path
