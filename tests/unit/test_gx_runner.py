"""Great Expectations on lake partitions in batches of whole days.

Row-by-row expectations give the verdict of one big frame, whatever the batching; uniqueness
holds within a batch (across the days it holds, not across batches).
"""

from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from orchestration.lib.gx_runner import run_suite_on_parquet, suite_columns

SUITE = "raw_pos_transactions"


def _day(folder: Path, day: int, rows: int, null_store: int = 0, bad_price: int = 0,
         ids: str | None = None) -> Path:
    """A day of loaded till lines, with the suite's columns and one it does not look at."""
    path = folder / f"business_date=2026-03-{day:02d}" / "data.parquet"
    path.parent.mkdir(parents=True)
    n = range(rows)
    pq.write_table(pa.table({
        "transaction_id": [f"T{ids or day}-{i}" for i in n],
        "line_number": [1] * rows,
        "store_id": [None if i < null_store else "S1" for i in n],
        "product_id": ["P1"] * rows,
        "member_card_id": ["C1"] * rows,
        "quantity": [Decimal("1")] * rows,
        "unit_price": [Decimal("-1") if i < bad_price else Decimal("2.5") for i in n],
        "discount_amount": [Decimal("0")] * rows,
        "net_amount": [Decimal("2.5")] * rows,
        "_extra": ['{"note": "not read"}'] * rows,
    }), path)
    return path


def test_batches_of_days_add_up_to_the_verdict_of_one_frame(tmp_path: Path) -> None:
    files = [_day(tmp_path, 1, 40), _day(tmp_path, 2, 40, null_store=3),
             _day(tmp_path, 3, 40, null_store=1, bad_price=2), _day(tmp_path, 4, 40)]
    whole = run_suite_on_parquet(files, SUITE)
    batched = run_suite_on_parquet(files, SUITE, max_rows=50)  # one day per batch
    assert (whole.batches, batched.batches) == (1, 4)
    for outcome in (whole, batched):
        assert not outcome.success and outcome.rows == 160 and outcome.evaluated == 10
        found = {(f["expectation"], f["column"]): f["unexpected_count"]
                 for f in outcome.failures}
        assert found == {("expect_column_values_to_not_be_null", "store_id"): 4,
                         ("expect_column_values_to_be_between", "unit_price"): 2}
    assert {f["column"]: f["batches_failed"] for f in batched.failures} == {
        "store_id": 2, "unit_price": 1}
    assert "_extra" not in suite_columns(SUITE)


def test_clean_days_pass_in_any_batching(tmp_path: Path) -> None:
    files = [_day(tmp_path, d, 25) for d in range(1, 6)]
    for max_rows in (10, 60, 1_000):
        outcome = run_suite_on_parquet(files, SUITE, max_rows=max_rows)
        assert outcome.success and outcome.rows == 125 and not outcome.failures


def test_a_key_repeated_on_two_days_of_one_batch_fails_uniqueness(tmp_path: Path) -> None:
    files = [_day(tmp_path, 1, 10), _day(tmp_path, 2, 10, ids="1"), _day(tmp_path, 3, 10)]
    together = run_suite_on_parquet(files, SUITE, max_rows=20)  # days 1 and 2 in one batch
    assert together.batches == 2 and not together.success
    assert [(f["expectation"], f["unexpected_count"]) for f in together.failures] == [
        ("expect_compound_columns_to_be_unique", 20)]
    apart = run_suite_on_parquet(files, SUITE, max_rows=10)  # a batch per day
    assert apart.batches == 3 and apart.success


def test_no_batch_is_fingerprinted(tmp_path: Path, monkeypatch) -> None:
    """GX's md5 of every value of a batch (most of a suite's time) is not computed."""
    from great_expectations.execution_engine import pandas_execution_engine

    def refuse(df):
        raise AssertionError("GX fingerprinted a batch")

    assert hasattr(pandas_execution_engine, "HASH_THRESHOLD")  # what run_suite turns off
    monkeypatch.setattr(pandas_execution_engine, "hash_pandas_dataframe", refuse)
    outcome = run_suite_on_parquet([_day(tmp_path, 1, 30, null_store=2)], SUITE)
    assert not outcome.success and outcome.rows == 30 and outcome.evaluated == 10
    assert [f["unexpected_count"] for f in outcome.failures] == [2]


def test_batches_reach_gx_with_the_column_types_of_fetchdf() -> None:
    import duckdb

    from orchestration.lib.gx_runner import _frame

    con = duckdb.connect()
    query = """select * from (values
        ('a', 1.5::decimal(18,4), 1, date '2026-03-01', true, '{"k": 1}'::json),
        (null, null, null, null, null, null),
        ('é', -2::decimal(18,4), 3, date '2026-03-02', false, null))
        as t(s, amount, n, d, b, j)"""
    cases = [f"select {cols} from ({query})" for cols in ("*", "s", "amount, n", "s, d, j")]
    cases += [f"select * from ({query}) where s is null",  # text without a value
              f"select * from ({query}) limit 0"]
    for q in cases:
        expected = con.sql(q).fetchdf()
        got = _frame(con, con.sql(q).to_arrow_table())
        assert list(got.columns) == list(expected.columns)
        assert got.dtypes.to_dict() == expected.dtypes.to_dict()
        assert got.equals(expected), q


def test_batches_are_read_under_the_projects_duckdb_memory_cap(tmp_path: Path,
                                                                monkeypatch) -> None:
    """The connection that reads a suite's batches has the warehouse's memory cap and spill
    folder (LOYALTY_DUCKDB_MEMORY_LIMIT, LOYALTY_DUCKDB_TEMP), not DuckDB's default of 80 %
    of the machine's memory: a suite on every file of a long range reads them all."""
    from orchestration.lib import gx_runner

    monkeypatch.setenv("LOYALTY_DUCKDB_MEMORY_LIMIT", "300MB")
    monkeypatch.setenv("LOYALTY_DUCKDB_TEMP", str(tmp_path / "spill"))
    seen = []
    real = gx_runner._frame

    def spy(con, table):
        seen.append(con.sql("select current_setting('memory_limit'), "
                            "current_setting('temp_directory')").fetchall()[0])
        return real(con, table)

    monkeypatch.setattr(gx_runner, "_frame", spy)
    outcome = run_suite_on_parquet([_day(tmp_path, 1, 30)], SUITE)
    assert outcome.success and outcome.rows == 30
    (limit, spill), = seen
    assert (limit, spill) == ("286.1 MiB", str(tmp_path / "spill"))  # 300 MB, as DuckDB shows it
