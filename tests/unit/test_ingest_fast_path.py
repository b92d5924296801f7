"""The validation's shortcuts give the contract's verdicts, value for value.

Ingest validates every row in SQL and takes cheaper routes for the common cases: a value
with no space at either end is not trimmed, a value starting with a character trim keeps
is not missing, an enumeration value written as listed is neither trimmed nor lowered, a
plain local timestamp skips the pattern and the time-zone cast, a decimal is parsed once
at the raw scale, a Parquet double of 4 decimal places is not cast at all. These tests
evaluate each shortcut beside the plain definition it replaces, in DuckDB, over awkward
values, or ingest the same file by both routes; then ingest a real file holding the
values at the edges and check where every row went.
"""

import csv
import datetime as dt
import gzip
import json
import math
import threading
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from orchestration.generator import GeneratorConfig, generate_till_lines
from orchestration.lib import ingest as ingest_module
from orchestration.lib import landing as landing_module
from orchestration.lib.contract import (
    CRM_MEMBERS,
    PAYMENT_METHODS,
    POS_TRANSACTIONS,
    Column,
    Dataset,
)
from orchestration.lib.ingest import (
    _TIMESTAMP,
    _checks,
    _in_source_order,
    _missing,
    _prepared,
    _trimmed,
    _validation_connection,
    ingest_days,
    validation_sql,
)
from orchestration.lib.lake import Lake
from orchestration.lib.landing import LINE_ERROR, RAW_LINE, LandingFile, discover, read_as_text
from tests.unit.test_ingest import HEADER, _ingest, _line, _quarantine, _raw, _write, landing  # noqa: F401

TEXTS = ["", " ", "  ", "S001", " S001", "S001 ", "\tS001\t", "\u00a0S001\u00a0", "\u3000x",
         "S\u00a0001", "é", " é ", "\u2003", "a b", "\u200bx", "x\n", None,
         # at the bounds of the test for a first character that trim keeps
         "!", "~", "\x7f", "\x7f ", "\x1f", "\x1f ", "\u0080", "\u0080 ", "x\u00a0", "x\u3000",
         "S001\u2003", "\u00a0", "\u00a0 \u3000"]

TIMESTAMPS = ["2026-03-01T10:00:00", "2026-02-30T10:00:00", "2026-03-01T24:00:00",
              "2026-03-01T25:00:00", "2026-03-01T23:59:60", "2026-13-01T10:00:00",
              "0000-01-01T00:00:00",
              "2026-03-01T10:00:00Z", "2026-03-01T10:00:00+01:00", "2026-03-01 10:00",
              " 2026-03-01T10:00:00", "2026-03-01T10:00:00 ", "2026-03-01T10:00:00.123",
              "2026-03-01T10:00:00junk", "2026-3-1T10:00:00", "20260301T100000",
              "2026-03-01T1a:00:00", "", None]


def _one_column(con: duckdb.DuckDBPyConnection, values: list[str | None]) -> None:
    con.execute("create or replace temp table v (i int, x varchar)")
    con.executemany("insert into v values (?, ?)", list(enumerate(values)))


def test_trimming_only_where_needed_equals_trim() -> None:
    con = duckdb.connect()
    _one_column(con, TEXTS)
    rows = con.sql(f"select x, {_trimmed('x')} as fast, nullif(trim(x), '') as plain "
                   "from v order by i").fetchall()
    assert [(x, fast) for x, fast, _ in rows] == [(x, plain) for x, _, plain in rows]
    # the shortcut is taken for most values and changes nothing there
    assert dict((x, fast) for x, fast, _ in rows)["S001"] == "S001"


def _alone(col: Column) -> Dataset:
    return Dataset("d", "d", False, (col,), (col.name,))


def _verdicts(con: duckdb.DuckDBPyConnection, dataset: Dataset, checks: list[str],
              plain: str) -> list[tuple]:
    """(value, verdict of ``checks``, verdict of the ``plain`` definition) of each value of
    table ``v``, the checks evaluated as validation evaluates them (on its prepared
    columns) for the one-column ``dataset`` (column ``x``)."""
    texts, casts = _prepared(dataset, {})
    fast = " or ".join(f"coalesce({c}, false)" for c in checks)
    return con.sql(f"""
        select x, {fast}, coalesce({plain}, false) from (
            select *, {casts} from (select *, {texts} from v))
        order by i
    """).fetchall()


def test_missing_values_are_found_without_trimming_most_values() -> None:
    con = duckdb.connect()
    _one_column(con, TEXTS)
    check_col = Column("x", "string", required=True)
    (check,) = _checks(check_col)
    assert check == (_missing(Column("x", "string"), native=False), "missing_required:x")
    rows = _verdicts(con, _alone(check_col), [check[0]], "nullif(trim(x), '') is null")
    assert [(x, f) for x, f, _ in rows] == [(x, p) for x, _, p in rows]
    assert {x for x, missing, _ in rows if missing} == {
        "", " ", "  ", "\u2003", "\u00a0", "\u00a0 \u3000", None}


def test_enumerations_give_the_verdict_of_trimming_and_lower_case() -> None:
    col = Column("x", "string", enum=("card", "cash", "Mixed", " odd"))
    con = duckdb.connect()
    _one_column(con, [*TEXTS, "card", "cash", " card", "CARD", "Card\u00a0", "cash ", "mixed",
                      "Mixed", "odd", " odd", "cards", "car", "\u00a0card"])
    checks = [cond for cond, code in _checks(col) if code == "not_in_enumeration:x"]
    rows = _verdicts(con, _alone(col), checks,
                     f"nullif(trim(x), '') is not null and lower(trim(x)) not in "
                     f"({', '.join(repr(e) for e in col.enum)})")
    assert [(x, f) for x, f, _ in rows] == [(x, p) for x, _, p in rows]
    # (a value listed in capitals or with spaces is never matched: the shortcut keeps that)
    allowed = {x for x, outside, _ in rows if not outside and x and x.strip()}
    assert allowed == {"card", "cash", " card", "CARD", "Card\u00a0", "cash ", "\u00a0card"}


def test_plain_timestamps_get_the_verdict_of_the_full_check() -> None:
    col = Column("x", "timestamp")
    (fast, code), = [(cond, code) for cond, code in _checks(col)]
    assert code == "bad_timestamp:x"
    con = duckdb.connect()
    _one_column(con, TIMESTAMPS)
    plain = (f"nullif(trim(x), '') is not null and (not regexp_full_match(x, '{_TIMESTAMP}') "
             "or try_cast(nullif(trim(x), '') as timestamptz) is null)")
    rows = _verdicts(con, _alone(col), [fast], plain)
    assert [(x, f) for x, f, _ in rows] == [(x, p) for x, _, p in rows]
    verdicts = {x: bad for x, bad, _ in rows}
    assert not verdicts["2026-03-01T10:00:00"] and verdicts["2026-02-30T10:00:00"]
    assert verdicts["2026-03-01T25:00:00"] and verdicts["2026-03-01T10:00:00junk"]


@pytest.mark.parametrize("over, reasons", [
    ({"quantity": "1.2345"}, None),
    ({"quantity": " 7 "}, None),
    ({"quantity": "99999999999999.9999"}, None),       # the widest DECIMAL(18,4)
    ({"quantity": "1.23456"}, ["too_precise:quantity"]),
    ({"quantity": "1.23450"}, None),                    # a trailing zero is not precision
    ({"quantity": "100000000000000"}, ["out_of_range:quantity"]),  # 15 digits: too wide
    ({"quantity": "1e3"}, None),
    ({"quantity": "1.2.3"}, ["not_a_number:quantity"]),
    # DuckDB parses this one as a DECIMAL(38,10) too wide for the type (it crashed ingest)
    ({"quantity": "1.2824030283989077e+28"}, ["out_of_range:quantity"]),
    ({"unit_price": "-0.0001"}, ["out_of_range:unit_price"]),
    ({"line_number": " 7 "}, None),
    ({"line_number": "9223372036854775807"}, None),    # the largest BIGINT
    ({"line_number": "9223372036854775808"}, ["out_of_range:line_number"]),
    ({"line_number": "2.0"}, ["not_an_integer:line_number"]),
    ({"line_number": "0"}, ["out_of_range:line_number"]),
    ({"transaction_ts": "2026-02-29T10:00:00"}, ["bad_timestamp:transaction_ts"]),
    ({"transaction_ts": "2026-03-01T10:00:00+01:00"}, None),
    ({"transaction_ts": " 2026-03-01T10:00:00 "}, None),
    ({"store_id": "\u00a0S001\u00a0"}, None),
    ({"store_id": "\u00a0"}, ["missing_required:store_id"]),
])
def test_values_at_the_edges_land_where_the_contract_says(
        landing: Path, tmp_path: Path, over: dict, reasons: list | None) -> None:  # noqa: F811
    lake = Lake(tmp_path / "lake")
    _write(landing, f"{dt.date(2026, 3, 1)}.csv",
           "\n".join([HEADER, _line("T1"), _line("T2", **over)]) + "\n")
    result = _ingest(landing, lake)
    assert (result.rows_read, result.rows_loaded) == (2, 1 if reasons else 2)
    if reasons:
        (row,) = _quarantine(lake)
        assert row["reasons"] == reasons and row["source_row"] == 2
        assert json.loads(row["record"]) == {**json.loads(row["record"]), **over}
        return
    loaded = {r["transaction_id"]: r for r in _raw(lake)}
    t2 = loaded["T2"]
    if "quantity" in over:
        assert t2["quantity"] == Decimal(over["quantity"].strip())
    if "line_number" in over:
        assert t2["line_number"] == int(over["line_number"])
    if "transaction_ts" in over:  # a timestamp is kept as text, trimmed
        assert t2["transaction_ts"] == over["transaction_ts"].strip()
    if "store_id" in over:  # kept as delivered: the spaces only decide "missing"
        assert t2["store_id"] == over["store_id"]
    assert t2["_source_row"] == 2 and loaded["T1"]["_source_row"] == 1


def test_every_loaded_row_is_the_line_its_location_names(tmp_path: Path) -> None:
    """A batch of many days is validated in one parallel DuckDB query, whose output order
    need not be the input's: each raw row must still be the line its file and row say."""
    cfg = GeneratorConfig(members=4000, days=40, start=dt.date(2026, 1, 1), seed=5)
    folder = tmp_path / "landing"
    lines = generate_till_lines(cfg, folder)
    lake = Lake(tmp_path / "lake")
    by_day: dict = defaultdict(list)
    for f in discover(folder, POS_TRANSACTIONS):
        by_day[f.business_date].append(f)
    results = ingest_days(POS_TRANSACTIONS, by_day, lake)
    assert sum(r.rows_loaded for r in results) == lines > 30_000
    delivered = {}
    for f in folder.glob("pos/transactions/*.csv"):
        with f.open(newline="") as fh:
            for n, row in enumerate(csv.DictReader(fh), start=1):
                delivered[(f"pos/transactions/{f.name}", n)] = (
                    row["transaction_id"], int(row["line_number"]), row["transaction_ts"])
    loaded = duckdb.sql(f"""
        select _source_file, _source_row, transaction_id, line_number, transaction_ts,
               business_date
        from read_parquet('{lake.raw('pos_transactions')}/*/*.parquet', hive_partitioning = true)
    """).fetchall()
    assert len(loaded) == len(delivered) == lines
    for file, row, txn, line, ts, day in loaded:
        assert delivered[(file, row)] == (txn, line, ts)
        assert file.endswith(f"{day}.csv")


def test_validation_returns_rows_in_source_order_with_an_enumeration_check() -> None:
    """An enumeration check (an IN list of six values) made DuckDB plan a join and return
    a parallel scan's rows out of order, which cost a sort of every batch; the validation
    connection keeps them in order, so the sort is skipped."""
    n = 300_000
    rows = pa.table({
        **{c: pa.array([f"T{i}" if c == "transaction_id" else
                        {"line_number": "1", "transaction_ts": "2026-01-01T10:00:00",
                         "quantity": "1", "unit_price": "2.5", "discount_amount": "0",
                         "net_amount": "2.5",
                         "payment_method": PAYMENT_METHODS[i % 6]}.get(c, "x")
                        for i in range(n)]) for c in POS_TRANSACTIONS.column_names},
        "_extra": pa.nulls(n, pa.string()), LINE_ERROR: pa.nulls(n, pa.string()),
        RAW_LINE: pa.nulls(n, pa.string()), "_source_file": pa.repeat("f.csv", n),
        "_source_row": pa.array(range(1, n + 1), pa.int64()), "_file_order": pa.repeat(0, n),
        "_day": pa.repeat(pa.scalar(dt.date(2026, 1, 1)), n),
        "_pos": pa.array(range(n), pa.int64()),
    })
    assert any(c.enum and len(c.enum) >= 6 for c in POS_TRANSACTIONS.columns)
    with _validation_connection() as con:
        # in many record batches, as files are concatenated: DuckDB scans them in parallel
        con.register("src_arrow", pa.Table.from_batches(rows.to_batches(max_chunksize=20_000)))
        checked = con.sql(validation_sql(POS_TRANSACTIONS)[0]).to_arrow_table()
    assert checked.num_rows == n and set(checked.column("reasons").to_pylist()) == {""}
    assert checked.column("_pos").to_pylist() == list(range(n))
    assert _in_source_order(checked) is checked  # nothing to sort


EVENT = ('{"event_id":"E%d","event_ts":"2026-03-01T10:00:00+08:00","session_id":"S1",'
         '"channel":"web","event_type":"page_view"%s}')


ORDER = ('{"order_id":"O%d","account_id":"A1","placed_at":"2026-03-01T10:00:00Z",'
         '"channel":"web","status":"placed","status_updated_at":"2026-03-01T10:00:00Z",'
         '"order_total":%s,"items":%s%s}')
ITEMS = '[{"product_id":"P1","quantity":1.0,"unit_price":25.9,"discount_amount":0.0}]'


JSON_CASES = [
    ("online_events", "plain", "\n".join(EVENT % (i, "") for i in range(5)) + "\n", "arrow"),
    ("online_events", "no final newline", "\n".join(EVENT % (i, "") for i in range(3)), "arrow"),
    ("online_events", "CRLF", "\r\n".join(EVENT % (i, "") for i in range(3)) + "\r\n", "arrow"),
    ("online_events", "BOM", "\ufeff" + EVENT % (1, "") + "\n", "arrow"),
    ("online_events", "escapes", EVENT % (1, ',"page":"caf\\u00e9 \\"x\\""') + "\n", "arrow"),
    ("online_events", "extra int, bool, null", EVENT % (1, ',"n":12,"b":true,"z":null') + "\n"
     + EVENT % (2, ',"n":-3,"b":false') + "\n", "arrow"),
    ("online_events", "blank line", EVENT % (1, "") + "\n\n" + EVENT % (2, "") + "\n", "careful"),
    ("online_events", "spaces-only line", EVENT % (1, "") + "\n   \n" + EVENT % (2, "") + "\n",
     "careful"),
    ("online_events", "U+2028 in a value", EVENT % (1, ',"page":"a\u2028b"') + "\n", "careful"),
    ("online_events", "keys in capitals", EVENT.replace("event_id", "Event_ID") % (1, "") + "\n",
     "careful"),
    ("online_events", "number for a text field", (EVENT % (1, "")).replace('"S1"', "5") + "\n",
     "duckdb"),
    ("online_events", "extra decimal", EVENT % (1, ',"score":1.50') + "\n", "duckdb"),
    ("online_events", "extra object", EVENT % (1, ',"ctx":{"b":1,"a":[1,2]}') + "\n", "duckdb"),
    ("online_events", "malformed line", EVENT % (1, "") + "\n{oops\n", "careful"),
    ("online_events", "two objects on a line, a blank line later",
     EVENT % (1, "") + EVENT % (2, "") + "\n" + EVENT % (3, "") + "\n\n", "careful"),
    ("online_events", "two objects on a line, a blank first line",
     "\n" + EVENT % (1, "") + EVENT % (2, "") + "\n", "careful"),
    ("online_events", "two objects on a line", EVENT % (1, "") + EVENT % (2, "") + "\n",
     "careful"),
    ("online_events", "array line", EVENT % (1, "") + "\n[1,2]\n", "careful"),
    ("online_events", "number line", EVENT % (1, "") + "\n5\n", "careful"),
    ("online_events", "null line", EVENT % (1, "") + "\nnull\n", "careful"),
    ("online_events", "key twice", EVENT % (1, ',"page":"a","page":"b"') + "\n", "careful"),
    # JSON that only DuckDB's parser accepts: the careful reader quarantines the line
    ("online_events", "trailing comma", EVENT % (1, ",") + "\n", "careful"),
    ("online_events", "nan in lower case", EVENT % (1, ',"score":nan') + "\n", "careful"),
    ("online_events", "-inf", EVENT % (1, ',"score": -inf') + "\n", "careful"),
    ("online_events", "NaN, as json writes it", EVENT % (1, ',"score":NaN') + "\n", "careful"),
    ("online_events", "inf inside a text", EVENT % (1, ',"page":"a:inf"') + "\n", "arrow"),
    ("online_events", "the letters nan in a value", EVENT % (1, ',"page":"banana","n":1.5')
     + "\n", "duckdb"),
    ("online_orders", "plain orders", "\n".join(ORDER % (i, "103.6", ITEMS, "")
                                                 for i in range(3)) + "\n", "duckdb"),
    ("online_orders", "numbers as written by hand",
     ORDER % (1, "1E5", ITEMS, ',"shipping_fee":1.50') + "\n"
     + ORDER % (2, "-0.0", ITEMS, ',"shipping_fee":123456789012345678901234') + "\n"
     + ORDER % (3, "1e-7", ITEMS, ',"shipping_fee":1.23456789012345678') + "\n", "duckdb"),
    ("online_orders", "spaced nested items, non-ASCII",
     ORDER % (1, "5", '[ {"product_id" : "P\u00e9", "quantity": 2, "note":"caf\u00e9"} ]', "")
     + "\n", "duckdb"),
    ("online_orders", "items not a list, extra keys",
     ORDER % (1, '"12.5"', '{"product_id":"P1"}', ',"gift":true,"tags":["a","b"]') + "\n"
     + ORDER % (2, "null", "null", "") + "\n", "duckdb"),
    ("online_orders", "an empty object", ORDER % (1, "5", ITEMS, "") + "\n{}\n", "careful"),
    ("online_orders", "trailing comma in items",
     ORDER % (1, "5", '[{"product_id":"P1","quantity":1,"unit_price":2,}]', "") + "\n",
     "careful"),
    # a look-alike inside a text costs the file the careful reader, nothing else
    ("online_orders", ":INF inside a text", ORDER % (1, "5", ITEMS, ',"coupon_code":"WIN:INF"')
     + "\n", "careful"),
    ("online_orders", "trailing comma, spaced", ORDER % (1, "5", ITEMS, ', "gift": true ,\t')
     + "\n", "careful"),
    ("online_orders", "a null line", ORDER % (1, "5", ITEMS, "") + "\nnull\n", "careful"),
    ("online_orders", "key in capitals", ORDER.replace("order_id", "Order_Id") % (1, "5", ITEMS, "")
     + "\n", "careful"),
]


@pytest.mark.parametrize("dataset, name, text, reader", JSON_CASES)
@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz"])
def test_fast_json_readers_read_lines_as_the_careful_reader_does(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dataset: str, name: str, text: str,
        reader: str, suffix: str) -> None:
    """Arrow's reader (flat datasets, text values) and DuckDB's (nested values, numbers)
    give the very table the line-by-line reader gives, or leave the file to it; gzip
    files too (DuckDB opens those itself)."""
    path = tmp_path / f"2026-03-01{suffix}"
    raw = text.encode("utf-8")
    path.write_bytes(gzip.compress(raw) if suffix.endswith(".gz") else raw)
    file = LandingFile(dataset, path, f"x/{path.name}", dt.date(2026, 3, 1))
    used = []
    for fast, fn in (("arrow", "_read_plain_jsonl"), ("duckdb", "_read_jsonl_with_duckdb")):
        real = getattr(landing_module, fn)

        def spy(*args: object, real=real, fast=fast) -> object:
            table = real(*args)
            used.extend([fast] if table is not None else [])
            return table
        monkeypatch.setattr(landing_module, fn, spy)
    got = read_as_text(file)
    assert used == ([reader] if reader != "careful" else []), name
    monkeypatch.setattr(landing_module, "_read_plain_jsonl", lambda *args: None)
    monkeypatch.setattr(landing_module, "_read_jsonl_with_duckdb", lambda *args: None)
    careful = read_as_text(file)
    # the same table, contract columns that never occur aside (the contract fills them)
    absent = [c for c in got.column_names if c not in careful.column_names]
    assert all(got.column(c).null_count == got.num_rows for c in absent)
    assert got.drop_columns(absent).equals(careful), name


def _write_cases(folder: Path, dataset: str, cases: list[tuple[str, str]]) -> list[LandingFile]:
    folder.mkdir()
    files = []
    for n, (_, text) in enumerate(cases):
        suffix = ".jsonl.gz" if n % 3 == 2 else ".jsonl"
        path = folder / f"2026-03-01_part{n}{suffix}"
        raw = text.encode("utf-8")
        path.write_bytes(gzip.compress(raw) if suffix.endswith(".gz") else raw)
        files.append(LandingFile(dataset, path, f"x/{path.name}", dt.date(2026, 3, 1)))
    return files


def test_files_read_together_by_duckdb_read_as_each_alone(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch's order files go to DuckDB in one query (prefetch_jsonl): every file, the
    ones it leaves to the careful reader too, reads as it does alone, and the files DuckDB
    reads alone are taken from that query's rows (no query of their own). Files DuckDB
    refuses (a line that is not an object, a key twice) make it leave the whole batch to
    the readers of one file."""
    reader_of = {name: reader for dataset, name, _, reader in JSON_CASES
                 if dataset == "online_orders"}
    reader_of["a key named as the empty-row flag"] = "careful"
    cases = [(name, text) for dataset, name, text, _ in JSON_CASES if dataset == "online_orders"]
    cases.append(("a key named as the empty-row flag",
                  ORDER % (1, "5", ITEMS, ',"__loyalty_empty_row":true') + "\n"))
    accepted = _write_cases(tmp_path / "accepted", "online_orders", cases)
    prefetched = landing_module.prefetch_jsonl([f.path for f in accepted])
    by_name = dict(zip([name for name, _ in cases], accepted, strict=True))
    assert by_name["plain orders"].path in prefetched
    assert by_name["key in capitals"].path not in prefetched
    assert by_name["a key named as the empty-row flag"].path not in prefetched
    real = landing_module._duckdb_rows_as_read
    for name, file in by_name.items():
        alone = landing_module.read_file(file)
        taken = []

        def spy(*args: object, taken: list = taken) -> object:
            table = real(*args)
            taken.append(table is not None)
            return table
        with monkeypatch.context() as patch:
            patch.setattr(landing_module, "_duckdb_rows_as_read", spy)
            if file.path in prefetched:
                patch.setattr(landing_module, "_read_jsonl_with_duckdb",
                              lambda *args: pytest.fail("a query of its own"))
            got = landing_module.read_file(file, prefetched.get(file.path))
        assert got.equals(alone), name
        assert any(taken) == (reader_of[name] == "duckdb"), name
    assert by_name["a key named as the empty-row flag"].path.exists()
    assert landing_module.read_file(by_name["a key named as the empty-row flag"]).column(
        "__loyalty_empty_row").to_pylist() == ["true"]
    refused = _write_cases(tmp_path / "refused", "online_orders", [
        *cases[:2], ("array line", ORDER % (1, "5", ITEMS, "") + "\n[1,2]\n"),
        ("key twice", ORDER % (1, "5", ITEMS, ',"channel":"app"') + "\n")])
    assert landing_module.prefetch_jsonl([f.path for f in refused]) == {}


def test_a_file_rewritten_while_it_is_read_is_read_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An order file corrected (same size) between DuckDB's reading of the batch and the
    ledger entry: the version recorded is the one the rows were read from, so the next
    ingest sees the correction and loads it (it must not pass for loaded)."""
    from orchestration.lib.contract import DATASETS
    from orchestration.lib.ingest import is_unchanged

    orders = DATASETS["online_orders"]
    folder = tmp_path / "landing" / "online" / "orders"
    folder.mkdir(parents=True)
    path = folder / "2026-03-01.jsonl"
    path.write_text(ORDER % (1, "10.5", ITEMS, "") + "\n")
    # a second file: each of the two reading threads runs a query, and both wait for the
    # correction, so that no file's read starts before it
    (folder / "2026-03-01_part2.jsonl").write_text(ORDER % (2, "7.5", ITEMS, "") + "\n")
    real = ingest_module.prefetch_jsonl
    corrected = threading.Barrier(ingest_module.READ_THREADS, timeout=30)

    def prefetch_then_correct(paths: list[Path]) -> dict:
        read = real(paths)
        if path in paths:
            path.write_text(ORDER % (1, "99.5", ITEMS, "") + "\n")  # the same size
        corrected.wait()
        return read
    monkeypatch.setattr(ingest_module, "prefetch_jsonl", prefetch_then_correct)
    lake = Lake(tmp_path / "lake")
    day = dt.date(2026, 3, 1)
    files = discover(tmp_path / "landing", orders)
    ingest_days(orders, {day: files}, lake)
    raw = lake.raw("online_orders") / f"business_date={day}" / "data.parquet"
    assert pq.read_table(raw).column("order_total").to_pylist() == [Decimal("10.5"),
                                                                      Decimal("7.5")]
    assert not is_unchanged(orders, files, lake, day)
    monkeypatch.setattr(ingest_module, "prefetch_jsonl", real)
    ingest_days(orders, {day: files}, lake)
    assert pq.read_table(raw).column("order_total").to_pylist() == [Decimal("99.5"),
                                                                      Decimal("7.5")]


def test_files_read_together_keep_their_rows_in_file_order(tmp_path: Path) -> None:
    """Files larger than DuckDB's reading buffers, read in one query: each file's rows, in
    its order, and none of another file's."""
    files = _write_cases(tmp_path / "big", "online_orders", [
        (str(k), "\n".join(ORDER % (k * 100_000 + i, f"{i}.5", ITEMS, "")
                           for i in range(30_000)) + "\n") for k in range(3)])
    prefetched = landing_module.prefetch_jsonl([f.path for f in files])
    for k, file in enumerate(files):
        assert prefetched[file.path].column("order_id").to_pylist() == [
            f"O{k * 100_000 + i}" for i in range(30_000)]


def test_the_duckdb_json_reader_keeps_rows_in_file_order(tmp_path: Path) -> None:
    """Line numbers are counted, not read: the rows must come back in file order, also
    from a file larger than DuckDB's reading buffers."""
    lines = [ORDER % (i, f"{i}.5", ITEMS, "") for i in range(60_000)]
    path = tmp_path / "2026-03-01.jsonl"
    path.write_text("\n".join(lines) + "\n")
    file = LandingFile("online_orders", path, "x/2026-03-01.jsonl", dt.date(2026, 3, 1))
    table = landing_module._read_jsonl_with_duckdb(path, path.read_bytes())
    assert table is not None and table.num_rows == 60_000
    assert table.column("order_id").to_pylist() == [f"O{i}" for i in range(60_000)]
    assert table.column("order_total").to_pylist()[-1] == "59999.5"
    assert read_as_text(file).column("_line_number").to_pylist()[:3] == [1, 2, 3]


def test_batches_are_sized_by_the_text_their_files_hold(tmp_path: Path) -> None:
    """A compressed file holds several times its size in text: a batch of Parquet or gzip
    days stops at the same text volume as a batch of CSV days (memory stays flat)."""
    from orchestration.lib.ingest import _batches

    days = [dt.date(2026, 3, d) for d in range(1, 9)]
    by_format = {}
    for ext in ("csv", "csv.gz", "parquet"):
        files = {}
        for day in days:
            path = tmp_path / f"{day}.{ext}"
            path.write_bytes(b"x" * 1000)
            files[day] = [LandingFile("pos_transactions", path, path.name, day)]
        by_format[ext] = [len(b) for b in _batches(days, files, 31, 12_000)]
    assert by_format == {"csv": [8], "csv.gz": [2, 2, 2, 2], "parquet": [2, 2, 2, 2]}


def _awkward_doubles(k: int | None, n: int = 2_000) -> list[float]:
    """``k`` (all when None) doubles of every shape a Parquet export holds: money with
    binary noise, too many places, huge, tiny, negative zero, NaN and the infinities, near
    the 10^11 switch; in a fixed order, which shuffles the groups."""
    rng = np.random.default_rng(7)
    edges = [0.0, -0.0, 0.1 + 0.2, 1.2345, 1.23456, 1.23450, 5e-05, 4.9e-11, 5.1e-11, -1e-11,
             -6e-11, 12345678901.23, 99999999999.9999, 100000000000.0, 100000000000.0001,
             123456789012.3457, 123456789012.34567, 99999999999999.9999, 1e14, 1e20, 1e28,
             1e30, 5e-324, 1.7976931348623157e308, math.nan, math.inf, -math.inf, 2.0 ** 53]
    # found in review: one binary step above 5e-11 (2^18 to 2^19), and a 5 at the 11th place
    edges += [262144.02 + 0.2, 301692.19940000004, -264471.01060000004, 8192.00000000005,
              0.04190000005, 219.23050000005]
    money = np.round(rng.uniform(-1e4, 1e4, n), 2)
    sums = np.round(rng.uniform(0, 5e5, n), 2) + np.round(rng.uniform(0, 100, n), 2)
    values = [*edges, *money, *(money * 3 / 3 + 0.1 - 0.1), *sums,
            *np.round(rng.uniform(0, 100, n), 5), *(10.0 ** rng.uniform(-12, 30, n)),
            *(-(10.0 ** rng.uniform(-12, 16, n))), *(np.round(rng.uniform(-1e12, 1e12, n), 4)),
            *(np.round(rng.uniform(0, 1e4, n), 4) + rng.choice([5e-11, -5e-11, 5e-12], n))]
    values = [float(v) for v in rng.permutation(np.array(values, dtype=object))]
    return values if k is None else values[:k]


@pytest.mark.parametrize("dataset, codes, typed_columns, columns", [
    (POS_TRANSACTIONS, {"missing_required", "not_a_number", "too_precise", "out_of_range"},
     {"line_number", "quantity", "unit_price", "discount_amount", "net_amount"}, lambda k: {
        "transaction_id": [f"T{i}" for i in range(k)],
        "line_number": pa.array([(-1) ** i * i for i in range(k - 3)] + [0, 2**63 - 1, -2**63],
                                pa.int64()),
        "store_id": ["S001"] * k, "transaction_ts": ["2026-03-01T10:00:00"] * k,
        "product_id": ["P1"] * k, "payment_method": ["card"] * k,
        "unit_price": _awkward_doubles(k), "discount_amount": _awkward_doubles(k)[::-1],
        "quantity": pa.array([i % 7 - 3 for i in range(k)], pa.int32()),
        "net_amount": pa.array([(None if i % 11 == 0 else v)
                                for i, v in enumerate(np.roll(_awkward_doubles(k), k // 3))]),
    }),
    (POS_TRANSACTIONS, {"out_of_range"}, {"line_number", "quantity", "net_amount"},
     lambda k: {  # past BIGINT, unsigned
        "transaction_id": [f"T{i}" for i in range(k)],
        "line_number": pa.array([(1, 2**63 - 1, 2**63, 2**64 - 1)[i % 4] for i in range(k)],
                                pa.uint64()),
        "store_id": ["S001"] * k, "transaction_ts": ["2026-03-01T10:00:00"] * k,
        "product_id": ["P1"] * k, "quantity": pa.array([i % 256 for i in range(k)], pa.uint8()),
        "net_amount": pa.array([(2**64 - 1, 10**14, 10**14 - 1)[i % 3] for i in range(k)],
                               pa.uint64()),
    }),
    (CRM_MEMBERS, {"bad_date"}, {"birth_date", "marketing_consent"}, lambda k: {
        "member_id": [f"M{i}" for i in range(k)],
        "enrolled_at": ["2026-03-01T10:00:00"] * k, "updated_at": ["2026-03-01T10:00:00"] * k,
        "birth_date": pa.array(  # and dates around the years ±32767, and the extremes
            [None if i % 5 == 0 else (2**31 - 1, -2**31, -2**31 + 1, 11248737, 11248738,
                                      -12687428, -12687429)[i % 7] if i % 3 == 0
             else i * 10 for i in range(k)], pa.int32()).cast(pa.date32()),
        "marketing_consent": pa.array([None if i % 3 == 0 else bool(i % 2) for i in range(k)]),
        "loyalty_score": _awkward_doubles(k),  # an extra column, kept as text
    }),
])
def test_parquet_columns_kept_in_their_type_land_as_their_text_would(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dataset, codes: set,
        typed_columns: set, columns) -> None:
    """Numbers, booleans and dates of a Parquet file are validated in their own type, not
    written out as text and parsed back. The same file with every column as text (what
    ``read_as_text`` makes of it) must give the same raw rows and the same quarantine:
    reasons, and the record, which is written as text for rejected rows only."""
    k = len(_awkward_doubles(k=None))
    table = pa.table(columns(k))
    day = dt.date(2026, 3, 1)
    results, routes = {}, []
    real = ingest_module.validation_sql
    monkeypatch.setattr(ingest_module, "validation_sql", lambda ds, native=None: (
        routes.append(set(native or ())) or real(ds, native)))
    for variant in ("typed", "text"):
        root = tmp_path / variant
        folder = root / dataset.landing_path
        folder.mkdir(parents=True)
        path = folder / f"{day}.parquet"
        pq.write_table(table, path)
        if variant == "text":
            pq.write_table(read_as_text(LandingFile(dataset.name, path, "x", day)), path)
        lake = Lake(tmp_path / f"lake_{variant}")
        (result,) = ingest_days(dataset, {day: discover(root, dataset)}, lake)
        part = f"business_date={day}/data.parquet"
        quarantined = lake.quarantine(dataset.name) / part  # only a day with rows has one
        results[variant] = (result.rows_loaded, result.reason_counts,
                            pq.read_table(lake.raw(dataset.name) / part),  # years > 9999
                            pq.read_table(quarantined).to_pylist() if codes else
                            quarantined.exists())
    typed, text = results["typed"], results["text"]
    assert typed[:2] == text[:2]
    assert typed[2].equals(text[2]) and typed[2].num_rows == typed[0]
    assert typed[3] == text[3]
    # the values reach the verdicts expected, and each file took its route
    assert set(typed[1]) == codes and (0 < typed[0] < k if codes else typed[0] == k)
    assert routes == [typed_columns, set()]
