"""One dbt model's SQL as dbt compiles it, to run over hand-made upstream tables."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from orchestration.lib.settings import Settings

DBT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"


def compile_model(root: Path, model: str) -> tuple[str, Path]:
    """Compile ``model`` against an empty warehouse under ``root``: (SQL, warehouse path).

    The SQL names its upstream tables as ``"<warehouse stem>"."<schema>"."<table>"``: a test
    creates them in that warehouse file and runs ``select ... from (<sql>)`` over them.
    """
    # every location under root, whatever this process's environment says
    settings = Settings.from_env({"LOYALTY_DATA_DIR": str(root / "data")})
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    target = root / "target"
    proc = subprocess.run([str(Path(sys.executable).parent / "dbt"), "compile", "--select",
                           model, "--profiles-dir", ".", "--target-path", str(target),
                           "--log-path", str(root / "logs")],
                          cwd=DBT_DIR, env={**os.environ, **settings.dbt_env()},
                          capture_output=True, text=True)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    sql = next(target.rglob(f"compiled/**/{model}.sql")).read_text()
    return sql, settings.warehouse_path
