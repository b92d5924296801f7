"""Where the warehouse reads and writes, derived from one setting.

Every location derives from ``LOYALTY_DATA_DIR`` (default ``data/`` in the project root) and
each can be overridden on its own, so two environments never mix their files:

=====================  ===============================  ==========================
setting                default                          what lives there
=====================  ===============================  ==========================
LOYALTY_LANDING_DIR    <data>/landing                   files from source systems
LOYALTY_LAKE           <data>/lake                      raw/ quarantine/ ops/ Parquet
LOYALTY_WAREHOUSE      <data>/warehouse.duckdb          the pipeline's DuckDB file
LOYALTY_SERVING_DIR    <data>/serving                   the file BI tools open
LOYALTY_EXPORTS_DIR    <data>/exports                   CRM exports
LOYALTY_SPARK_DIR      <data>/spark                     Spark's tables and metastore
LOYALTY_DUCKDB_TEMP    <data>/tmp                       DuckDB's spill files
=====================  ===============================  ==========================

``LOYALTY_DUCKDB_MEMORY_LIMIT`` (default ``4GB``) caps the memory of every warehouse
connection and of dbt's DuckDB; past it DuckDB spills to ``LOYALTY_DUCKDB_TEMP`` instead
of growing, so a year of 100 million till lines fits a small machine. Raise it on a big one.

``LOYALTY_ENGINE`` (``duckdb``, the default, or ``spark``) chooses the engine dbt builds
with: it selects the output of ``dbt_project/profiles.yml``.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"

# The demo pseudonymisation key. Real deployments set LOYALTY_PII_KEY; the pipeline logs a
# warning while this one is in use.
DEMO_PII_KEY = "loyalty-demo-key-not-for-production"
ENGINES = ("duckdb", "spark")
DEFAULT_DUCKDB_MEMORY_LIMIT = "4GB"


def _path(env: dict[str, str], name: str, default: Path) -> Path:
    value = env.get(name)
    return Path(value).expanduser().resolve() if value else default


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    landing_dir: Path
    lake_dir: Path
    warehouse_path: Path
    serving_dir: Path
    exports_dir: Path
    spark_dir: Path
    duckdb_temp_dir: Path
    duckdb_memory_limit: str
    engine: str
    timezone: str
    currency: str
    first_business_date: dt.date
    # never in a repr: a Settings object in a log or a test failure must not show the key
    pii_key: str = field(repr=False)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        data_dir = _path(env, "LOYALTY_DATA_DIR", PROJECT_ROOT / "data")
        engine = env.get("LOYALTY_ENGINE", "duckdb")
        if engine not in ENGINES:
            raise ValueError(f"LOYALTY_ENGINE must be one of {ENGINES}, not {engine!r}")
        return cls(
            data_dir=data_dir,
            landing_dir=_path(env, "LOYALTY_LANDING_DIR", data_dir / "landing"),
            lake_dir=_path(env, "LOYALTY_LAKE", data_dir / "lake"),
            warehouse_path=_path(env, "LOYALTY_WAREHOUSE", data_dir / "warehouse.duckdb"),
            serving_dir=_path(env, "LOYALTY_SERVING_DIR", data_dir / "serving"),
            exports_dir=_path(env, "LOYALTY_EXPORTS_DIR", data_dir / "exports"),
            spark_dir=_path(env, "LOYALTY_SPARK_DIR", data_dir / "spark"),
            duckdb_temp_dir=_path(env, "LOYALTY_DUCKDB_TEMP", data_dir / "tmp"),
            duckdb_memory_limit=env.get("LOYALTY_DUCKDB_MEMORY_LIMIT",
                                        DEFAULT_DUCKDB_MEMORY_LIMIT),
            engine=engine,
            timezone=env.get("LOYALTY_TIMEZONE", "Asia/Shanghai"),
            currency=env.get("LOYALTY_CURRENCY", "CNY"),
            first_business_date=dt.date.fromisoformat(
                env.get("LOYALTY_FIRST_BUSINESS_DATE", "2024-01-01")
            ),
            pii_key=env.get("LOYALTY_PII_KEY", DEMO_PII_KEY),
        )

    @property
    def uses_demo_pii_key(self) -> bool:
        return self.pii_key == DEMO_PII_KEY

    def dbt_env(self) -> dict[str, str]:
        """The variables dbt's profiles.yml and models read, with absolute paths."""
        return {
            "LOYALTY_WAREHOUSE": str(self.warehouse_path),
            "LOYALTY_LAKE": str(self.lake_dir),
            "LOYALTY_ENGINE": self.engine,
            "LOYALTY_SPARK_DIR": str(self.spark_dir),
            "LOYALTY_DUCKDB_TEMP": str(self.duckdb_temp_dir),
            "LOYALTY_DUCKDB_MEMORY_LIMIT": self.duckdb_memory_limit,
            "LOYALTY_TIMEZONE": self.timezone,
            "DBT_ENV_SECRET_LOYALTY_PII_KEY": self.pii_key,
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DO_NOT_TRACK": "1",
        }

    @property
    def duckdb_config(self) -> dict[str, str]:
        """Memory cap and spill folder for a DuckDB connection (profiles.yml sets the same
        for dbt's)."""
        return {"memory_limit": self.duckdb_memory_limit,
                "temp_directory": str(self.duckdb_temp_dir)}

    def export_for_dbt(self) -> None:
        """Put :meth:`dbt_env` into this process's environment, which dbt subprocesses inherit."""
        os.environ.update(self.dbt_env())
