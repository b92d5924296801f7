"""Ingest of landing files into the lake: real files on disk, real DuckDB, real Parquet."""

import datetime as dt
import gzip
import json
import os
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from orchestration.lib import ingest as ingest_module
from orchestration.lib import landing as landing_module
from orchestration.lib.contract import CRM_MEMBERS, POS_TRANSACTIONS
from orchestration.lib.ingest import ingest_partition, preview_rows
from orchestration.lib.lake import Lake
from orchestration.lib.landing import FileRejected, LandingFile, discover, read_as_text
from orchestration.lib.landing_state import stale_partitions
from orchestration.lib.reconcile import reconcile

DAY = dt.date(2026, 3, 1)
HEADER = ("transaction_id,line_number,store_id,transaction_ts,member_card_id,product_id,"
          "quantity,unit_price,discount_amount,net_amount,payment_method,return_of_transaction_id")


def _line(txn: str, line: int = 1, **over: str) -> str:
    row = {"transaction_id": txn, "line_number": str(line), "store_id": "S001",
           "transaction_ts": "2026-03-01T10:00:00", "member_card_id": "C1",
           "product_id": "P1", "quantity": "2", "unit_price": "5.50",
           "discount_amount": "1", "net_amount": "10.00", "payment_method": "card",
           "return_of_transaction_id": ""}
    row.update(over)
    return ",".join(row[c] for c in HEADER.split(","))


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    (tmp_path / "landing" / "pos" / "transactions").mkdir(parents=True)
    return tmp_path / "landing"


def _write(landing: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = landing / "pos" / "transactions" / name
    data = text.encode(encoding)
    path.write_bytes(gzip.compress(data, mtime=0) if name.endswith(".gz") else data)
    return path


def _ingest(landing: Path, lake: Lake, dataset=POS_TRANSACTIONS):
    files = [f for f in discover(landing, dataset) if f.business_date == DAY]
    return ingest_partition(dataset, files, lake, DAY)


def _raw(lake: Lake, name: str = "pos_transactions") -> list[dict]:
    folder = lake.raw(name) / f"business_date={DAY}"
    return pq.read_table(folder / "data.parquet").to_pylist()


def _quarantine(lake: Lake, name: str = "pos_transactions") -> list[dict]:
    folder = lake.quarantine(name) / f"business_date={DAY}"
    return pq.read_table(folder / "data.parquet").to_pylist()


def test_valid_and_invalid_rows_each_end_in_one_place(landing: Path, tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    _write(landing, "2026-03-01.csv", "\n".join([
        HEADER,
        _line("T1"),
        _line("T2", quantity="abc"),
        _line("T3", transaction_ts="2026-02-30T10:00:00"),
        _line("", 1),
        _line("T4", line_number="0"),
        _line("T5", unit_price="-1"),
        _line("T6", payment_method="seashells"),
        _line("T1"),  # same key as the first line
        _line("T7", net_amount="1.23456"),
        _line("T8", quantity="1.5"),  # weighed goods: decimals are fine
    ]) + "\n")
    result = _ingest(landing, lake)

    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (10, 2, 8)
    assert [r["transaction_id"] for r in _raw(lake)] == ["T1", "T8"]
    reasons = {json.loads(q["record"])["transaction_id"] or "<empty>": q["reasons"]
               for q in _quarantine(lake)}
    assert reasons == {
        "T2": ["not_a_number:quantity"],
        "T3": ["bad_timestamp:transaction_ts"],
        "<empty>": ["missing_required:transaction_id"],
        "T4": ["out_of_range:line_number"],
        "T5": ["out_of_range:unit_price"],
        "T6": ["not_in_enumeration:payment_method"],
        "T1": ["duplicate_key"],
        "T7": ["too_precise:net_amount"],
    }
    # the quarantined row keeps the original text and where it came from
    t2 = next(q for q in _quarantine(lake) if json.loads(q["record"])["transaction_id"] == "T2")
    assert json.loads(t2["record"])["quantity"] == "abc"
    assert t2["source_file"] == "pos/transactions/2026-03-01.csv" and t2["source_row"] == 2
    assert reconcile(lake, POS_TRANSACTIONS, [DAY]) == (1, [])


def test_bom_any_case_any_order_extra_columns_and_gzip(landing: Path, tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    cols = HEADER.split(",")
    shuffled = list(reversed(cols)) + ["Loyalty_Campaign"]
    values = dict(zip(cols, _line("T1").split(","), strict=True))
    row = ",".join(values.get(c, "spring") for c in reversed(cols)) + ",spring"
    _write(landing, "2026-03-01_part1.csv",
           "\ufeff" + ",".join(c.upper() for c in shuffled) + "\r\n" + row + "\r\n")
    _write(landing, "2026-03-01_part2.csv.gz", HEADER + "\n" + _line("T2") + "\n")
    result = _ingest(landing, lake)

    assert result.rows_loaded == 2 and result.rows_quarantined == 0
    rows = _raw(lake)
    assert {r["transaction_id"] for r in rows} == {"T1", "T2"}
    t1 = next(r for r in rows if r["transaction_id"] == "T1")
    assert json.loads(t1["_extra"]) == {"loyalty_campaign": "spring"}
    assert result.files[0].drift_columns == ["loyalty_campaign"]


def test_parquet_files_are_read_with_their_native_types(landing: Path, tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    table = pa.table({"transaction_id": ["T1"], "line_number": [1], "store_id": ["S001"],
                      "transaction_ts": ["2026-03-01T10:00:00"], "product_id": ["P1"],
                      "quantity": [2.0], "net_amount": [9.9]})
    pq.write_table(table, landing / "pos" / "transactions" / "2026-03-01.parquet")
    result = _ingest(landing, lake)
    assert result.rows_loaded == 1
    assert float(_raw(lake)[0]["net_amount"]) == pytest.approx(9.9)


def test_files_of_one_batch_with_different_column_types_are_validated_as_text(
        landing: Path, tmp_path: Path) -> None:
    """A batch is validated in one query: a column that is a double in one file, an integer
    in another and text in a third is validated as text in all of them."""
    lake = Lake(tmp_path / "lake")
    base = {"transaction_id": ["T1"], "line_number": [1], "store_id": ["S001"],
            "transaction_ts": ["2026-03-01T10:00:00"], "product_id": ["P1"]}
    pq.write_table(pa.table({**base, "quantity": [2.0], "net_amount": [9.9],
                             "unit_price": [4.95]}),
                   landing / "pos" / "transactions" / "2026-03-01_a.parquet")
    pq.write_table(pa.table({**base, "transaction_id": ["T2"], "quantity": pa.array([3]),
                             "net_amount": [1.23456]}),  # too precise, as a double
                   landing / "pos" / "transactions" / "2026-03-01_b.parquet")
    _write(landing, "2026-03-01_c.csv", HEADER + "\n" + _line("T3", quantity="4") + "\n")
    result = _ingest(landing, lake)
    assert (result.rows_read, result.rows_loaded) == (3, 2)
    rows = {r["transaction_id"]: r for r in _raw(lake)}
    assert {t: float(r["quantity"]) for t, r in rows.items()} == {"T1": 2.0, "T3": 4.0}
    assert float(rows["T1"]["unit_price"]) == 4.95 and rows["T1"]["_source_row"] == 1
    (bad,) = _quarantine(lake)
    assert bad["reasons"] == ["too_precise:net_amount"]
    assert json.loads(bad["record"])["net_amount"] == "1.23456"
    assert json.loads(bad["record"])["quantity"] == "3"


def test_a_column_one_parquet_file_lacks_keeps_the_type_of_the_others(
        landing: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lake = Lake(tmp_path / "lake")
    base = {"transaction_id": ["T1"], "line_number": [1], "store_id": ["S001"],
            "transaction_ts": ["2026-03-01T10:00:00"], "product_id": ["P1"],
            "quantity": [2.0], "net_amount": [9.9]}
    pq.write_table(pa.table({**base, "unit_price": [4.95]}),
                   landing / "pos" / "transactions" / "2026-03-01_a.parquet")
    pq.write_table(pa.table({**base, "transaction_id": ["T2"]}),
                   landing / "pos" / "transactions" / "2026-03-01_b.parquet")
    routes = []
    real = ingest_module.validation_sql
    monkeypatch.setattr(ingest_module, "validation_sql",
                        lambda ds, native=None: routes.append(native) or real(ds, native))
    assert _ingest(landing, lake).rows_loaded == 2
    assert routes == [{"line_number": "integer", "quantity": "double", "net_amount": "double",
                       "unit_price": "double"}]
    prices = {r["transaction_id"]: r["unit_price"] for r in _raw(lake)}
    assert prices == {"T1": Decimal("4.9500"), "T2": None}


@pytest.mark.parametrize("second", ["coded", "plain", "without member_card_id"])
def test_parquet_text_stored_as_a_dictionary_lands_as_the_text_it_codes(
        landing: Path, tmp_path: Path, second: str) -> None:
    """Text that a Parquet file stores as a dictionary (as most writers do) is read as
    one, validated, and written to raw as plain text: an empty value is missing, as in a
    CSV file. A day of two files holds two dictionaries, a dictionary and plain text, or a
    dictionary and no such column."""
    lake = Lake(tmp_path / "lake")
    folder = landing / "pos" / "transactions"
    base = {"line_number": [1, 1, 1], "transaction_ts": ["2026-03-01T10:00:00"] * 3,
            "product_id": ["P1", "P2", "P1"], "quantity": [2.0, 1.0, 1.0],
            "net_amount": [9.9, 1.0, 2.5], "payment_method": ["card", "cash", "card"]}
    pq.write_table(pa.table({**base, "transaction_id": ["T1", "T2", "T3"],
                             "store_id": ["S001", "", "S001"],
                             "member_card_id": ["", "C9", None]}), folder / "2026-03-01_a.parquet")
    cards = {} if second == "without member_card_id" else {"member_card_id": ["C1", "", "C2"]}
    pq.write_table(pa.table({**base, "transaction_id": ["T4", "T5", "T6"],
                             "store_id": ["S002", "S003", " "], **cards}),
                   folder / "2026-03-01_b.parquet", use_dictionary=second != "plain")
    first, other = discover(landing, POS_TRANSACTIONS)
    assert pa.types.is_dictionary(landing_module.read_file(first).schema.field("store_id").type)
    assert pa.types.is_dictionary(
        landing_module.read_file(other).schema.field("store_id").type) == (second != "plain")
    result = _ingest(landing, lake)
    assert (result.rows_read, result.rows_loaded) == (6, 4)
    rows = {r["transaction_id"]: (r["store_id"], r["member_card_id"], r["payment_method"])
            for r in _raw(lake)}
    assert rows == {"T1": ("S001", None, "card"), "T3": ("S001", None, "card"),
                    "T4": ("S002", "C1" if cards else None, "card"), "T5": ("S003", None, "cash")}
    assert {json.loads(q["record"])["transaction_id"]: (q["reasons"], q["source_row"])
            for q in _quarantine(lake)} == {"T2": (["missing_required:store_id"], 2),
                                             "T6": (["missing_required:store_id"], 3)}
    raw_file = lake.raw("pos_transactions") / f"business_date={DAY}" / "data.parquet"
    assert pq.read_schema(raw_file).field("store_id").type == pa.string()


def test_raw_keeps_a_small_dictionary_and_writes_a_large_one_as_plain_text(
        landing: Path, tmp_path: Path) -> None:
    """Text read as a dictionary is written to raw as one while the dictionary is small
    (stores), and as plain values when it would pass the writer's 32 KiB page limit (ids
    that hardly repeat), which the writer would otherwise try and then abandon."""
    lake = Lake(tmp_path / "lake")
    n = 6000
    pq.write_table(pa.table({
        "transaction_id": [f"TXN-{i:020d}" for i in range(n)], "line_number": [1] * n,
        "store_id": [f"S{i % 5:03d}" for i in range(n)],
        "transaction_ts": ["2026-03-01T10:00:00"] * n, "product_id": ["P1"] * n,
        "quantity": [2.0] * n, "net_amount": [9.9] * n}),
        landing / "pos" / "transactions" / "2026-03-01.parquet")
    (read,) = [landing_module.read_file(f) for f in discover(landing, POS_TRANSACTIONS)]
    assert pa.types.is_dictionary(read.schema.field("transaction_id").type)
    assert _ingest(landing, lake).rows_loaded == n
    meta = pq.ParquetFile(lake.raw("pos_transactions") / f"business_date={DAY}"
                          / "data.parquet").metadata
    chunks = {meta.row_group(0).column(i).path_in_schema: meta.row_group(0).column(i)
              for i in range(meta.num_columns)}
    assert chunks["store_id"].has_dictionary_page
    assert not chunks["transaction_id"].has_dictionary_page
    assert [r["transaction_id"] for r in _raw(lake)][-1] == f"TXN-{n - 1:020d}"


def test_a_parquet_file_whose_text_is_not_utf8_is_rejected_and_a_nested_extra_kept(
        landing: Path, tmp_path: Path) -> None:
    """Parquet text columns become text when the batch is shaped: bytes that are not UTF-8
    reject that file (not the run), and a list column is kept as JSON."""
    lake = Lake(tmp_path / "lake")
    base = {"transaction_id": ["T1"], "line_number": [1], "transaction_ts": ["2026-03-01T10:00:00"],
            "product_id": ["P1"], "quantity": [2.0], "net_amount": [9.9]}
    folder = landing / "pos" / "transactions"
    pq.write_table(pa.table({**base, "store_id": pa.array([b"\xff"], pa.binary())}),
                   folder / "2026-03-01_a.parquet")
    pq.write_table(pa.table({**base, "transaction_id": ["T2"], "store_id": ["S001"],
                             "tags": pa.array([["new", "promo"]])}),
                   folder / "2026-03-01_b.parquet")
    result = _ingest(landing, lake)
    by_file = {f.path: f for f in result.files}
    bad = by_file["pos/transactions/2026-03-01_a.parquet"]
    assert bad.status == "rejected" and bad.reason.startswith("undecodable_bytes: ")
    assert "2026-03-01_a.parquet" in bad.reason
    (row,) = _raw(lake)
    assert row["transaction_id"] == "T2"
    assert json.loads(json.loads(row["_extra"])["tags"]) == ["new", "promo"]
    assert by_file["pos/transactions/2026-03-01_b.parquet"].drift_columns == ["tags"]
    with pytest.raises(FileRejected) as rejected:
        read_as_text(discover(landing, POS_TRANSACTIONS)[0])
    assert rejected.value.reason == "undecodable_bytes"


@pytest.mark.parametrize("where", ["coded", "plain", "in a list"])
def test_parquet_text_that_is_not_utf8_rejects_its_file_not_the_run(
        landing: Path, tmp_path: Path, where: str) -> None:
    """A Parquet reader takes text as it is stored: a string column holding Latin-1 bytes
    (stored as a dictionary or not, or inside a list column the contract does not know)
    rejects its file, and the other file of the day loads. It used to fail the whole run,
    inside DuckDB or while the list was written out as JSON."""
    lake = Lake(tmp_path / "lake")
    folder = landing / "pos" / "transactions"
    base = {"line_number": [1], "transaction_ts": ["2026-03-01T10:00:00"],
            "product_id": ["P1"], "quantity": [2.0], "net_amount": [9.9]}
    latin1 = pa.array([b"S001", "\u00e9t\u00e9".encode("latin-1")], pa.binary()).view(pa.string())
    bad = ({"store_id": ["S001", "S002"],
            "tags": pa.ListArray.from_arrays(pa.array([0, 1, 2], pa.int32()), latin1)}
           if where == "in a list" else {"store_id": latin1})
    pq.write_table(pa.table({**{k: v * 2 for k, v in base.items()},
                             "transaction_id": ["T1", "T2"], **bad}),
                   folder / "2026-03-01_a.parquet", use_dictionary=where == "coded")
    pq.write_table(pa.table({**base, "transaction_id": ["T3"], "store_id": ["S002"]}),
                   folder / "2026-03-01_b.parquet")
    result = _ingest(landing, lake)
    by_file = {f.path: f for f in result.files}
    bad = by_file["pos/transactions/2026-03-01_a.parquet"]
    assert bad.status == "rejected" and bad.reason.startswith("undecodable_bytes: ")
    assert [r["transaction_id"] for r in _raw(lake)] == ["T3"]
    kept = lake.rejected_files("pos_transactions") / DAY.isoformat() / "2026-03-01_a.parquet"
    assert kept.read_bytes() == (folder / "2026-03-01_a.parquet").read_bytes()


def test_an_ordered_dictionary_keeps_its_type_when_its_empty_values_become_null(
        landing: Path, tmp_path: Path) -> None:
    """A pandas ordered Categorical (an R ordered factor) is read as an ordered dictionary,
    whatever the reader asks for: its codes of '' become NULL in a chunk of the same type."""
    lake = Lake(tmp_path / "lake")
    cards = pa.DictionaryArray.from_arrays(pa.array([0, 1, 0], pa.int32()),
                                           pa.array(["C1", ""]), ordered=True)
    pq.write_table(pa.table({"transaction_id": ["T1", "T2", "T3"], "line_number": [1, 1, 1],
                             "store_id": ["S001"] * 3,
                             "transaction_ts": ["2026-03-01T10:00:00"] * 3,
                             "product_id": ["P1"] * 3, "quantity": [2.0] * 3,
                             "net_amount": [9.9] * 3, "member_card_id": cards}),
                   landing / "pos" / "transactions" / "2026-03-01.parquet")
    assert _ingest(landing, lake).rows_loaded == 3
    assert [r["member_card_id"] for r in _raw(lake)] == ["C1", None, "C1"]


@pytest.mark.parametrize("name, content, reason", [
    ("2026-03-01_empty.csv", b"", "empty_file"),
    ("2026-03-01_latin1.csv", (HEADER + "\n" + _line("T1", payment_method="caf\xe9")
                               ).encode("latin-1"), "undecodable_bytes"),
    ("2026-03-01_semi.csv", (HEADER + "\n" + _line("T1")).replace(",", ";").encode(),
     "wrong_delimiter"),
    ("2026-03-01_cut.csv.gz", gzip.compress((HEADER + "\n" + _line("T1") * 40).encode(),
                                            mtime=0)[:60], "corrupt_gzip"),
    ("2026-03-01_bad.parquet", b"PAR1 not really", "corrupt_parquet"),
    ("2026-03-01_noamount.csv", (HEADER.replace(",net_amount", "") + "\n").encode(),
     "missing_required_column"),
])
def test_unreadable_files_are_quarantined_whole_and_the_rest_loads(
        landing: Path, tmp_path: Path, name: str, content: bytes, reason: str) -> None:
    lake = Lake(tmp_path / "lake")
    _write(landing, "2026-03-01.csv", HEADER + "\n" + _line("T1") + "\n")
    (landing / "pos" / "transactions" / name).write_bytes(content)
    result = _ingest(landing, lake)

    bad = [f for f in result.files if f.path.endswith(name)][0]
    assert bad.status == "rejected" and bad.reason.startswith(reason), bad.reason
    assert name in bad.reason  # the operator is told which file
    assert (lake.rejected_files("pos_transactions") / str(DAY) / name).read_bytes() == content
    assert result.rows_loaded == 1


def test_header_only_file_is_recorded_as_empty(landing: Path, tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    _write(landing, "2026-03-01.csv", HEADER + "\n")
    result = _ingest(landing, lake)
    assert [(f.status, f.rows_read) for f in result.files] == [("empty", 0)]


def test_same_files_again_is_a_no_op_and_a_corrected_file_replaces_its_rows(
        landing: Path, tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    _write(landing, "2026-03-01.csv", "\n".join([HEADER, _line("T1"), _line("T2")]) + "\n")
    _write(landing, "2026-03-01_part2.csv", "\n".join([HEADER, _line("T9")]) + "\n")
    _ingest(landing, lake)
    data = lake.raw("pos_transactions") / f"business_date={DAY}" / "data.parquet"
    before = data.read_bytes()

    again = _ingest(landing, lake)
    assert again.unchanged and data.read_bytes() == before

    _write(landing, "2026-03-01.csv", "\n".join([HEADER, _line("T1", net_amount="12.00")]) + "\n")
    corrected = _ingest(landing, lake)
    assert not corrected.unchanged
    rows = {r["transaction_id"]: float(r["net_amount"]) for r in _raw(lake)}
    assert rows == {"T1": 12.0, "T9": 10.0}
    ledger = duckdb.sql(
        "select path, status, is_current from read_parquet($p) order by loaded_at, path",
        params={"p": str(lake.ledger("pos_transactions") / f"business_date={DAY}.parquet")},
    ).fetchall()
    assert ("pos/transactions/2026-03-01.csv", "superseded", False) in ledger
    assert sum(1 for _, _, current in ledger if current) == 2


def test_a_corrected_file_takes_its_rows_out_of_quarantine(landing: Path, tmp_path: Path) -> None:
    """A day's quarantine folder holds rows or is not there: when the corrected file has no
    invalid row left, the folder goes in one rename, and the lake still reconciles."""
    lake = Lake(tmp_path / "lake")
    _write(landing, "2026-03-01.csv", "\n".join([HEADER, _line("T1", quantity="x")]) + "\n")
    assert _ingest(landing, lake).rows_quarantined == 1
    folder = lake.quarantine("pos_transactions") / f"business_date={DAY}"
    assert [r["reasons"] for r in _quarantine(lake)] == [["not_a_number:quantity"]]

    _write(landing, "2026-03-01.csv", "\n".join([HEADER, _line("T1")]) + "\n")
    assert _ingest(landing, lake).rows_quarantined == 0
    assert not folder.exists() and list(folder.parent.iterdir()) == []
    assert [r["transaction_id"] for r in _raw(lake)] == ["T1"]
    assert reconcile(lake, POS_TRANSACTIONS, [DAY]) == (1, [])


def _count_hashes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """From now on, the landing files hashed, in order."""
    hashed: list[str] = []
    real = LandingFile.sha256
    monkeypatch.setattr(LandingFile, "sha256", lambda f: hashed.append(f.rel_path) or real(f))
    return hashed


def test_a_file_whose_size_and_ctime_are_unchanged_is_not_hashed_again(
        landing: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lake = Lake(tmp_path / "lake")
    name = "pos/transactions/2026-03-01.csv"
    path = _write(landing, "2026-03-01.csv", "\n".join([HEADER, _line("T1")]) + "\n")
    _write(landing, "2026-03-01_part2.csv", "\n".join([HEADER, _line("T2")]) + "\n")
    monkeypatch.setattr(landing_module, "QUIET_SECONDS", -1)  # every file counts as settled
    _ingest(landing, lake)
    ledger = {r["path"]: r for r in pq.read_table(
        lake.ledger("pos_transactions") / f"business_date={DAY}.parquet").to_pylist()}
    assert ledger[name]["changed_ns"] == path.stat().st_ctime_ns

    hashed = _count_hashes(monkeypatch)
    assert stale_partitions(landing, lake, [POS_TRANSACTIONS]) == {}
    assert hashed == []

    # touched, same bytes: hashed, still the same version, nothing to do
    os.utime(path)
    assert stale_partitions(landing, lake, [POS_TRANSACTIONS]) == {}
    assert hashed == [name]

    # corrected in place with as many bytes and the old modification time put back (as
    # cp -p or rsync -a do): the change time still gives it away
    before = path.stat()
    _write(landing, "2026-03-01.csv", "\n".join([HEADER, _line("T3")]) + "\n")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    assert stale_partitions(landing, lake, [POS_TRANSACTIONS]) == {DAY: {"pos_transactions"}}
    assert not _ingest(landing, lake).unchanged
    assert sorted(r["transaction_id"] for r in _raw(lake)) == ["T2", "T3"]


def test_a_file_hashed_right_after_it_changed_is_hashed_again_next_time(
        landing: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Within the file system's clock tick a second write could keep size and time: a
    file that changed just before it was hashed gets no time in the ledger."""
    lake = Lake(tmp_path / "lake")
    _write(landing, "2026-03-01.csv", "\n".join([HEADER, _line("T1")]) + "\n")
    monkeypatch.setattr(landing_module, "QUIET_SECONDS", 3600)
    _ingest(landing, lake)
    (row,) = pq.read_table(
        lake.ledger("pos_transactions") / f"business_date={DAY}.parquet").to_pylist()
    assert row["changed_ns"] is None
    hashed = _count_hashes(monkeypatch)
    assert _ingest(landing, lake).unchanged and hashed == ["pos/transactions/2026-03-01.csv"]


def test_a_ledger_written_before_file_times_were_kept_still_decides_by_hash(
        landing: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lake = Lake(tmp_path / "lake")
    monkeypatch.setattr(landing_module, "QUIET_SECONDS", -1)
    _write(landing, "2026-03-01.csv", "\n".join([HEADER, _line("T1")]) + "\n")
    _ingest(landing, lake)
    ledger_file = lake.ledger("pos_transactions") / f"business_date={DAY}.parquet"
    pq.write_table(pq.read_table(ledger_file).drop_columns(["changed_ns"]), ledger_file)
    assert _ingest(landing, lake).unchanged
    _write(landing, "2026-03-01.csv", "\n".join([HEADER, _line("T5")]) + "\n")
    assert not _ingest(landing, lake).unchanged
    assert [r["transaction_id"] for r in _raw(lake)] == ["T5"]


def test_the_ui_preview_of_members_shows_no_personal_data(tmp_path: Path) -> None:
    landing, lake = tmp_path / "landing", Lake(tmp_path / "lake")
    folder = landing / "crm" / "members"
    folder.mkdir(parents=True)
    (folder / "2026-03-01.csv").write_text(
        "member_id,email,phone,full_name,birth_date,city,enrolled_at,updated_at\n"
        "M1,wang.fang@example.com,13800138000,王芳,1985-06-07,Hangzhou,"
        "2025-01-01T10:00:00+08:00,2026-03-01T01:00:00+08:00\n")
    files = discover(landing, CRM_MEMBERS)
    ingest_partition(CRM_MEMBERS, files, lake, DAY)
    preview = preview_rows(lake, CRM_MEMBERS, DAY)
    assert list(preview["member_id"]) == ["M1"] and list(preview["city"]) == ["Hangzhou"]
    shown = preview.astype(str).to_numpy().ravel().tolist() + list(preview.columns)
    for secret in ("wang.fang@example.com", "13800138000", "王芳", "1985-06-07", "email",
                   "phone", "full_name", "birth_date"):
        assert not any(secret in str(cell) for cell in shown), secret


def test_settings_never_show_the_pii_key() -> None:
    from orchestration.lib.settings import Settings

    assert "s3cret" not in repr(Settings.from_env({"LOYALTY_PII_KEY": "s3cret"}))


def test_file_names_without_a_valid_date_are_reported(landing: Path) -> None:
    _write(landing, "2025-13-45.csv", HEADER + "\n")
    _write(landing, "sales.csv", HEADER + "\n")
    errors = {f.rel_path: f.name_error for f in discover(landing, POS_TRANSACTIONS)}
    assert "not a calendar date" in errors["pos/transactions/2025-13-45.csv"]
    assert "not named YYYY-MM-DD" in errors["pos/transactions/sales.csv"]


def test_ingest_cleans_its_own_staging_folder_and_no_other(landing: Path, tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    other = lake.staging_dir("pos_transactions")  # another run staging the same dataset
    (other / "day.parquet").write_bytes(b"in progress")
    _write(landing, "2026-03-01.csv", "\n".join([HEADER, _line("T1")]) + "\n")
    _ingest(landing, lake)
    assert [p.name for p in other.iterdir()] == ["day.parquet"]
    assert list(other.parent.iterdir()) == [other]
    shutil.rmtree(other)
    _write(landing, "2026-03-01.csv", "\n".join([HEADER, _line("T2")]) + "\n")
    _ingest(landing, lake)
    assert not other.parent.exists()  # the last one out removes the dataset's folder


def test_a_day_that_fails_to_be_written_fails_the_run_and_leaves_no_staging(
        landing: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch is written while the next one is validated: a write that fails still fails
    the run, every batch under way is cleaned up, and the other days are whole (each is
    swapped in with its ledger, or not at all), so running again completes the set."""
    lake = Lake(tmp_path / "lake")
    days = [DAY + dt.timedelta(days=i) for i in range(4)]
    for day in days:
        _write(landing, f"{day}.csv", f"{HEADER}\n{_line('T' + str(day.day))}\n")
    by_day = {f.business_date: [f] for f in discover(landing, POS_TRANSACTIONS)}
    real = ingest_module._write_raw

    def failing(rows: pa.Table, path: Path) -> Path:
        if path.name == f"business_date={days[1]}.parquet":
            raise OSError("disk full")
        return real(rows, path)

    monkeypatch.setattr(ingest_module, "_write_raw", failing)
    with pytest.raises(OSError, match="disk full"):
        ingest_module.ingest_days(POS_TRANSACTIONS, by_day, lake, batch_days=1)
    assert not (lake.root / ".staging" / "pos_transactions").exists()
    written = sorted(p.name for p in lake.raw("pos_transactions").iterdir())
    assert f"business_date={days[1]}" not in written and f"business_date={days[0]}" in written
    for name in written:  # each day written is whole: its rows and its ledger
        assert pq.read_table(lake.raw("pos_transactions") / name).num_rows == 1
        assert (lake.ledger("pos_transactions") / f"{name}.parquet").exists()
    monkeypatch.setattr(ingest_module, "_write_raw", real)
    results = ingest_module.ingest_days(POS_TRANSACTIONS, by_day, lake, batch_days=1)
    assert [r.unchanged for r in results] == [
        f"business_date={d}" in written for d in days]
    assert sorted(p.name for p in lake.raw("pos_transactions").iterdir()) == [
        f"business_date={d}" for d in days]
