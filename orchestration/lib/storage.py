"""The ``storage`` resource: where landing files, the lake and the warehouse are."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from .lake import Lake
from .settings import Settings
from .warehouse import connect

# Every asset that writes the DuckDB warehouse runs in this pool; dagster.yaml limits it to
# one step at a time because DuckDB allows a single writer.
WAREHOUSE_POOL = "duckdb_warehouse"
LOCK_RETRIES = 4
LOCK_RETRY_SECONDS = 15


class LoyaltyStorage(dg.ConfigurableResource):
    """Locations of the landing folder, the Parquet lake, the warehouse and the exports."""

    landing_dir: str
    lake_dir: str
    warehouse_path: str
    exports_dir: str
    serving_dir: str

    @classmethod
    def from_settings(cls, settings: Settings) -> LoyaltyStorage:
        return cls(
            landing_dir=str(settings.landing_dir),
            lake_dir=str(settings.lake_dir),
            warehouse_path=str(settings.warehouse_path),
            exports_dir=str(settings.exports_dir),
            serving_dir=str(settings.serving_dir),
        )

    @property
    def landing_path(self) -> Path:
        return Path(self.landing_dir)

    @property
    def exports_path(self) -> Path:
        return Path(self.exports_dir)

    @property
    def lake(self) -> Lake:
        return Lake(Path(self.lake_dir))

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A warehouse connection. Inside the pool no other step holds the file, so a lock
        conflict means another process (a BI tool opened the warehouse, a killed run's dbt
        still finishing): transient, so the step is retried rather than failed."""
        with ExitStack() as stack:
            try:
                con = stack.enter_context(connect(Path(self.warehouse_path), read_only=read_only))
            except duckdb.IOException as error:
                if "lock" not in str(error).lower():
                    raise
                raise dg.RetryRequested(max_retries=LOCK_RETRIES,
                                        seconds_to_wait=LOCK_RETRY_SECONDS) from error
            yield con

    def export_dbt_env(self) -> Settings:
        """Point the dbt subprocesses (which inherit this environment) at this warehouse."""
        settings = Settings.from_env()
        os.environ.update({**settings.dbt_env(), "LOYALTY_WAREHOUSE": self.warehouse_path,
                           "LOYALTY_LAKE": self.lake_dir})
        return settings
