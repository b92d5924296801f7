"""Run a Great Expectations suite from ``expectations/*.json`` on a DataFrame.

GX 1.x is called directly with an ephemeral context (no project folder, no network, no
progress bars). Results are reduced to counts and expectation names: no value from the data
ever reaches the Dagster logs, which matters for personal-data columns.

Large inputs (a year of web events is tens of millions of rows) are validated in batches
of whole files, reading only the columns the suite names, so that memory stays flat:
:func:`run_suite_on_parquet`. (GX's SQL datasource would avoid pandas altogether, but with
DuckDB through SQLAlchemy it reads each result after closing the connection, which
returns no rows.)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa

from .settings import EXPECTATIONS_DIR

# Rows per pandas batch: about 0.5 GiB for the widest suite's columns
BATCH_ROWS = 1_000_000


@dataclass
class SuiteOutcome:
    suite: str
    success: bool
    evaluated: int
    rows: int
    failures: list[dict] = field(default_factory=list)
    batches: int = 1

    def metadata(self) -> dict:
        return {
            "suite": self.suite,
            "rows_validated": self.rows,
            "batches": self.batches,
            "expectations_evaluated": self.evaluated,
            "expectations_failed": len(self.failures),
            "failures": self.failures,
        }


def suite_path(name: str) -> Path:
    return EXPECTATIONS_DIR / f"{name}.json"


def load_suite(name: str) -> dict:
    return json.loads(suite_path(name).read_text())


def run_suite(df: pd.DataFrame, name: str) -> SuiteOutcome:
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.execution_engine import pandas_execution_engine

    # GX fingerprints every pandas batch under 1 GB (md5 over pandas' hash of every value,
    # index included) only to file it among the batch's markers, which nothing here reads:
    # 70-80 % of a suite's time on a million web events. It has no option for that, only
    # this module constant (tests/unit/test_gx_runner.py fails if an upgrade renames it),
    # set for the whole process: every GX run of the project comes through here.
    pandas_execution_engine.HASH_THRESHOLD = 0

    spec = load_suite(name)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    suite = context.suites.add(gx.ExpectationSuite(**spec))
    batch = (context.data_sources.add_pandas("lake")
             .add_dataframe_asset(name)
             .add_batch_definition_whole_dataframe("all_rows")
             .get_batch(batch_parameters={"dataframe": df}))
    # BASIC with no partial list: counts only, never the offending values
    result = batch.validate(suite, result_format={"result_format": "BASIC",
                                                  "partial_unexpected_count": 0})
    failures = []
    for r in result.results:
        if not r.success:
            kwargs = r.expectation_config.kwargs
            failures.append({
                "expectation": r.expectation_config.type,
                "column": kwargs.get("column") or ",".join(kwargs.get("column_list") or []),
                "unexpected_count": (r.result or {}).get("unexpected_count"),
            })
    return SuiteOutcome(name, bool(result.success), len(result.results), len(df), failures)


def suite_columns(name: str) -> list[str]:
    """The columns the suite's expectations look at, in order of first mention."""
    seen: dict[str, None] = {}
    for e in load_suite(name)["expectations"]:
        kw = e["kwargs"]
        for col in [kw.get("column"), kw.get("column_A"), kw.get("column_B"),
                    *(kw.get("column_list") or [])]:
            if col:
                seen.setdefault(col, None)
    return list(seen)


def run_suite_on_parquet(files: list[Path], name: str,
                         max_rows: int = BATCH_ROWS) -> SuiteOutcome:
    """The suite on the rows of these Parquet files (e.g. a range of lake partitions).

    Whole files are grouped into batches of at most ``max_rows`` rows (a bigger file is a
    batch of its own); each batch is read with the suite's columns only and validated on its
    own, and the outcomes are added up: the suite passes when every batch passes, and each
    failing expectation reports its unexpected rows over all batches. Expectations on the
    whole table (``expect_table_*``) see one batch holding every file. Uniqueness and
    proportion expectations therefore hold within a batch: every row of a file, and of
    the days validated with it; so does a ``mostly`` threshold, which each batch must meet.
    """
    import duckdb
    import pyarrow.parquet as pq

    from .ingest import consecutive_batches
    from .warehouse import connection_config, sql_ident

    spec = load_suite(name)
    columns = suite_columns(name)
    rows = [pq.ParquetFile(f).metadata.num_rows for f in files]
    whole = any(e["type"].startswith("expect_table_") for e in spec["expectations"])
    batches = [files] if whole else consecutive_batches(files, rows, max_rows)
    select = ", ".join(sql_ident(c) for c in columns) or "*"
    outcomes = []
    con = duckdb.connect(config=connection_config())  # the project's memory cap and spill
    try:
        for batch in batches:
            df = _frame(con, con.sql(
                f"select {select} from read_parquet($p, union_by_name = true)",
                params={"p": [str(f) for f in batch]}).to_arrow_table())
            outcomes.append(run_suite(df, name))
            del df
    finally:
        con.close()
    return merge(outcomes, name)


def _frame(con, table: pa.Table) -> pd.DataFrame:
    """``table`` as pandas, as DuckDB's fetchdf gives it, faster: text columns through
    Arrow (the same ``str`` columns, in a third of the time), the others through fetchdf
    (Arrow would turn decimals, nullable integers and dates into other pandas types, and
    a text column without a value into ``str`` where fetchdf gives ``object``)."""
    text = [n for n, t in zip(table.column_names, table.schema.types, strict=True)
            if (pa.types.is_string(t) or pa.types.is_large_string(t))
            and table.column(n).null_count < table.num_rows]
    other = [n for n in table.column_names if n not in text]
    if other:
        con.register("_batch", table.select(other))
        df = con.sql("select * from _batch").fetchdf()
        con.unregister("_batch")
    else:
        df = pd.DataFrame(index=pd.RangeIndex(table.num_rows))
    for name in text:
        df[name] = table.column(name).to_pandas()
    return df[table.column_names]


def merge(outcomes: list[SuiteOutcome], name: str) -> SuiteOutcome:
    """One outcome for a suite run on several batches: failures added up per expectation."""
    failures: dict[tuple[str, str], dict] = {}
    for o in outcomes:
        for f in o.failures:
            key = (f["expectation"], f["column"])
            if key not in failures:
                failures[key] = {**f, "unexpected_count": None, "batches_failed": 0}
            merged = failures[key]
            merged["batches_failed"] += 1
            if f["unexpected_count"] is not None:
                merged["unexpected_count"] = (merged["unexpected_count"] or 0) + f[
                    "unexpected_count"]
    return SuiteOutcome(
        name, all(o.success for o in outcomes),
        max((o.evaluated for o in outcomes), default=0),
        sum(o.rows for o in outcomes), list(failures.values()), batches=len(outcomes))
