"""dbt-duckdb plugin that hands the pseudonymisation key to SQL without writing it anywhere.

dbt only lets ``DBT_ENV_SECRET_*`` variables into ``profiles.yml``, and anything a model
renders ends up in ``target/``. So the key travels profile → this plugin → a DuckDB session
variable on every connection and cursor dbt opens, and the ``pseudonymise`` macro reads it
with ``getvariable('loyalty_pii_key')``. The key never appears in compiled SQL, logs or the
warehouse file.
"""

from __future__ import annotations

from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin

VARIABLE = "loyalty_pii_key"


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict[str, Any]) -> None:
        key = plugin_config.get("pii_key")
        if not key:
            raise ValueError("the loyalty PII plugin needs a non-empty 'pii_key'")
        self._key = str(key)

    def _set(self, conn) -> None:
        conn.execute(f"SET VARIABLE {VARIABLE} = $key", {"key": self._key})

    def configure_connection(self, conn) -> None:
        self._set(conn)

    def configure_cursor(self, cursor) -> None:
        self._set(cursor)
