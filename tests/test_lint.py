"""The linters of `make lint` run in the suite too, so CI enforces them."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def test_ruff() -> None:
    proc = subprocess.run([str(BIN / "ruff"), "check", "orchestration", "tests", "bench"],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_sqlfluff_with_the_dbt_templater(tmp_path: Path) -> None:
    # dbt's artefacts go to a folder of this test's own, never over the manifest that the
    # other tests (running beside it) read
    env = {**os.environ, "LOYALTY_WAREHOUSE": ":memory:", "DBT_TARGET_PATH": str(tmp_path)}
    proc = subprocess.run([str(BIN / "sqlfluff"), "lint", "dbt_project/models"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
