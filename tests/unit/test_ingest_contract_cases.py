"""More of the bad-input suite: each case says where every row ended and what the operator
is told. Real files on disk, real DuckDB, real Parquet. (Shared fixtures: test_ingest.py.)"""

import datetime as dt
import gzip
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from orchestration.lib.contract import (
    CRM_MEMBERS,
    ONLINE_EVENTS,
    ONLINE_ORDERS,
    POS_TRANSACTIONS,
    SURVEY_RESPONSES,
    Dataset,
)
from orchestration.lib.ingest import PartitionResult, ingest_partition
from orchestration.lib.lake import Lake
from orchestration.lib.landing import discover

DAY = dt.date(2026, 3, 1)
TX_HEADER = ("transaction_id,line_number,store_id,transaction_ts,member_card_id,product_id,"
             "quantity,unit_price,discount_amount,net_amount,payment_method,"
             "return_of_transaction_id")
TX_ROW = "T{n},1,S001,2026-03-01T10:00:00,C1,P1,2,5.50,1,10.00,card,"


def write(landing: Path, dataset: Dataset, name: str, data: bytes | str) -> Path:
    path = landing / dataset.landing_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def ingest(landing: Path, lake: Lake, dataset: Dataset, day: dt.date = DAY) -> PartitionResult:
    files = [f for f in discover(landing, dataset) if f.business_date == day]
    return ingest_partition(dataset, files, lake, day)


def raw(lake: Lake, dataset: Dataset, day: dt.date = DAY) -> list[dict]:
    return pq.read_table(lake.raw(dataset.name) / f"business_date={day}" / "data.parquet"
                         ).to_pylist()


def quarantined(lake: Lake, dataset: Dataset, day: dt.date = DAY) -> list[dict]:
    rows = pq.read_table(lake.quarantine(dataset.name) / f"business_date={day}" /
                         "data.parquet").to_pylist()
    return [{**r, "record": json.loads(r["record"])} for r in rows]


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    return Lake(tmp_path / "lake")


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    return tmp_path / "landing"


def test_utf16_file_is_rejected_as_undecodable(landing, lake) -> None:
    write(landing, POS_TRANSACTIONS, "2026-03-01.csv",
          (TX_HEADER + "\n" + TX_ROW.format(n=1) + "\n").encode("utf-16"))
    result = ingest(landing, lake, POS_TRANSACTIONS)
    (f,) = result.files
    assert f.status == "rejected" and f.reason.startswith("undecodable_bytes")
    assert "2026-03-01.csv" in f.reason


def test_quoted_newlines_and_commas_stay_inside_their_value(landing, lake) -> None:
    header = "response_id,submitted_at,touchpoint,nps,comment"
    write(landing, SURVEY_RESPONSES, "2026-03-01.csv",
          f'{header}\r\nR1,2026-03-01T10:00:00+08:00,store_visit,9,"Great, fast\r\nwill return"\r\n'
          f'R2,2026-03-01T11:00:00+08:00,delivery,3,"配送太慢了"\r\n')
    result = ingest(landing, lake, SURVEY_RESPONSES)
    assert result.rows_loaded == 2
    comments = {r["response_id"]: r["comment"] for r in raw(lake, SURVEY_RESPONSES)}
    assert comments == {"R1": "Great, fast\r\nwill return", "R2": "配送太慢了"}


def test_a_renamed_required_column_rejects_the_file_and_names_the_column(landing, lake) -> None:
    write(landing, POS_TRANSACTIONS, "2026-03-01.csv",
          TX_HEADER.replace("transaction_id,", "txn_id,", 1) + "\n" + TX_ROW.format(n=1))
    (f,) = ingest(landing, lake, POS_TRANSACTIONS).files
    assert f.status == "rejected" and f.reason.startswith("missing_required_column")
    assert "transaction_id" in f.reason and "txn_id" in f.reason


def test_missing_optional_columns_become_null(landing, lake) -> None:
    write(landing, POS_TRANSACTIONS, "2026-03-01.csv",
          "transaction_id,line_number,store_id,transaction_ts,product_id,quantity,net_amount\n"
          "T1,1,S001,2026-03-01T10:00:00,P1,1,9.90\n")
    result = ingest(landing, lake, POS_TRANSACTIONS)
    (row,) = raw(lake, POS_TRANSACTIONS)
    assert result.rows_loaded == 1
    assert row["member_card_id"] is None and row["payment_method"] is None
    assert row["discount_amount"] is None


def test_a_ragged_row_is_quarantined_and_the_rest_of_the_file_loads(landing, lake) -> None:
    write(landing, POS_TRANSACTIONS, "2026-03-01.csv",
          "\n".join([TX_HEADER, TX_ROW.format(n=1), TX_ROW.format(n=2) + ",surplus",
                     TX_ROW.format(n=3)]) + "\n")
    result = ingest(landing, lake, POS_TRANSACTIONS)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (3, 2, 1)
    (q,) = quarantined(lake, POS_TRANSACTIONS)
    assert q["reasons"] == ["wrong_field_count"]
    assert q["record"]["_line"].startswith("T2,1,S001") and "13 fields" in q["record"]["_error"]
    # every row keeps its place in the file: the ragged one and the ones after it
    assert q["source_row"] == 2 and "row 2 has 13 fields" in q["record"]["_error"]
    assert {r["transaction_id"]: r["_source_row"] for r in raw(lake, POS_TRANSACTIONS)} == {
        "T1": 1, "T3": 3}


def test_members_bad_boolean_and_bad_birth_date(landing, lake) -> None:
    header = "member_id,email,birth_date,enrolled_at,marketing_consent,updated_at"
    write(landing, CRM_MEMBERS, "2026-03-01.csv", "\n".join([
        header,
        "M1,a@example.com,1990-02-03,2025-01-01T10:00:00+08:00,true,2026-03-01T01:00:00+08:00",
        "M2,b@example.com,1990-13-01,2025-01-01T10:00:00+08:00,yes,2026-03-01T01:00:00+08:00",
        "M3,c@example.com,,2025-01-01T10:00:00+08:00,maybe,2026-03-01T01:00:00+08:00",
    ]) + "\n")
    ingest(landing, lake, CRM_MEMBERS)
    assert [(r["member_id"], r["marketing_consent"]) for r in raw(lake, CRM_MEMBERS)] == [
        ("M1", True)]
    reasons = {q["record"]["member_id"]: q["reasons"] for q in quarantined(lake, CRM_MEMBERS)}
    assert reasons == {"M2": ["bad_date:birth_date"], "M3": ["not_a_boolean:marketing_consent"]}


def test_survey_without_any_score_and_nps_out_of_range(landing, lake) -> None:
    header = "response_id,submitted_at,touchpoint,nps,csat,rating_service,comment"
    write(landing, SURVEY_RESPONSES, "2026-03-01.csv", "\n".join([
        header,
        "R1,2026-03-01T10:00:00+08:00,store_visit,,,,only a comment",
        "R2,2026-03-01T10:00:00+08:00,store_visit,11,4,,",
        "R3,2026-03-01T10:00:00+08:00,customer_service,,,2,",
    ]) + "\n")
    ingest(landing, lake, SURVEY_RESPONSES)
    assert [r["response_id"] for r in raw(lake, SURVEY_RESPONSES)] == ["R3"]
    reasons = {q["record"]["response_id"]: q["reasons"]
               for q in quarantined(lake, SURVEY_RESPONSES)}
    assert reasons == {"R1": ["no_scores"], "R2": ["out_of_range:nps"]}


ORDER = {"order_id": "O1", "account_id": "A1", "placed_at": "2026-03-01T02:00:00Z",
         "channel": "app", "status": "placed", "status_updated_at": "2026-03-01T02:00:00Z",
         "items": [{"product_id": "P1", "quantity": 1, "unit_price": 9.9}],
         "order_total": 9.9}


def _jsonl(*objs) -> str:
    return "\n".join(o if isinstance(o, str) else json.dumps(o) for o in objs) + "\n"


def test_malformed_json_lines_are_quarantined_with_their_text(landing, lake) -> None:
    write(landing, ONLINE_ORDERS, "2026-03-01.jsonl", _jsonl(
        ORDER, '{"order_id": "O2", "account_id": ', "[1, 2, 3]",
        {**ORDER, "order_id": "O3"}))
    result = ingest(landing, lake, ONLINE_ORDERS)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (4, 2, 2)
    bad = quarantined(lake, ONLINE_ORDERS)
    assert [(q["source_row"], q["reasons"]) for q in bad] == [(2, ["malformed_json"]),
                                                             (3, ["malformed_json"])]
    assert bad[0]["record"]["_line"] == '{"order_id": "O2", "account_id": '
    assert "line 3 is not a JSON object" in bad[1]["record"]["_error"]


def test_json_only_a_lenient_parser_reads_is_quarantined_not_repaired(landing, lake) -> None:
    """A trailing comma or a bare nan is not JSON: quarantined as written, not loaded."""
    trailing = json.dumps({**ORDER, "order_id": "O2"})[:-1] + ", }"
    nan = json.dumps({**ORDER, "order_id": "O3"})[:-1] + ', "shipping_fee": nan}'
    write(landing, ONLINE_ORDERS, "2026-03-01.jsonl", _jsonl(ORDER, trailing, nan))
    result = ingest(landing, lake, ONLINE_ORDERS)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (3, 1, 2)
    assert [r["order_id"] for r in raw(lake, ONLINE_ORDERS)] == ["O1"]
    bad = quarantined(lake, ONLINE_ORDERS)
    assert [(q["source_row"], q["reasons"], q["record"]["_line"]) for q in bad] == [
        (2, ["malformed_json"], trailing), (3, ["malformed_json"], nan)]


def test_order_items_must_be_a_list_of_lines_with_numbers(landing, lake) -> None:
    write(landing, ONLINE_ORDERS, "2026-03-01.jsonl", _jsonl(
        {**ORDER, "order_id": "O1", "items": "three apples"},
        {**ORDER, "order_id": "O2", "items": []},
        {**ORDER, "order_id": "O3", "items": [{"quantity": 1, "unit_price": 2}]},
        {**ORDER, "order_id": "O4", "items": [{"product_id": "P1", "quantity": "one",
                                               "unit_price": 2}]},
        {**ORDER, "order_id": "O5"}))
    ingest(landing, lake, ONLINE_ORDERS)
    (ok,) = raw(lake, ONLINE_ORDERS)
    assert ok["order_id"] == "O5" and json.loads(ok["items"])[0]["product_id"] == "P1"
    reasons = {q["record"]["order_id"]: q["reasons"] for q in quarantined(lake, ONLINE_ORDERS)}
    assert reasons == {"O1": ["not_a_json_list:items"], "O2": ["not_a_json_list:items"],
                       "O3": ["missing_required:items.product_id"],
                       "O4": ["not_a_number:items.quantity"]}


def test_late_order_status_versions_are_all_kept_for_staging(landing, lake) -> None:
    day2 = DAY + dt.timedelta(days=3)
    write(landing, ONLINE_ORDERS, "2026-03-01.jsonl", _jsonl(
        ORDER, {**ORDER, "status": "paid", "status_updated_at": "2026-03-01T02:05:00Z"}))
    write(landing, ONLINE_ORDERS, f"{day2}.jsonl", _jsonl(
        {**ORDER, "status": "delivered", "status_updated_at": f"{day2}T09:00:00Z"}))
    ingest(landing, lake, ONLINE_ORDERS)
    ingest(landing, lake, ONLINE_ORDERS, day2)
    statuses = [r["status"] for r in raw(lake, ONLINE_ORDERS)] + [
        r["status"] for r in raw(lake, ONLINE_ORDERS, day2)]
    assert statuses == ["placed", "paid", "delivered"]


def test_the_same_order_version_twice_is_a_duplicate(landing, lake) -> None:
    write(landing, ONLINE_ORDERS, "2026-03-01.jsonl", _jsonl(ORDER))
    write(landing, ONLINE_ORDERS, "2026-03-01_resent.jsonl.gz",
          gzip.compress(_jsonl(ORDER).encode(), mtime=0))
    result = ingest(landing, lake, ONLINE_ORDERS)
    assert (result.rows_loaded, result.rows_quarantined) == (1, 1)
    (q,) = quarantined(lake, ONLINE_ORDERS)
    assert q["reasons"] == ["duplicate_key"]
    assert q["source_file"] == "online/orders/2026-03-01_resent.jsonl.gz"


EVENT = {"event_id": "E1", "event_ts": "2026-03-01T03:00:00Z", "session_id": "S1",
         "anonymous_id": "dev-1", "channel": "web", "event_type": "page_view"}


def test_duplicate_events_are_kept_and_counted_unknown_types_kept_and_reported(
        landing, lake) -> None:
    write(landing, ONLINE_EVENTS, "2026-03-01.jsonl", _jsonl(
        EVENT, EVENT, {**EVENT, "event_id": "E2", "event_type": "voice_search"},
        {**EVENT, "event_id": "E3", "Event_Type": "search", "event_type": None},
        {**EVENT, "event_id": "E4", "ab_test": "B"}))
    result = ingest(landing, lake, ONLINE_EVENTS)
    ids = [r["event_id"] for r in raw(lake, ONLINE_EVENTS)]
    assert ids == ["E1", "E1", "E2", "E4"]
    assert result.duplicate_keys_kept == 1
    assert result.unknown_values == {"event_type": {"voice_search": 1}}
    # keys are case-insensitive: Event_Type and event_type are one field given twice
    (q,) = quarantined(lake, ONLINE_EVENTS)
    assert q["reasons"] == ["duplicate_field"] and '"Event_Type"' in q["record"]["_line"]
    e4 = next(r for r in raw(lake, ONLINE_EVENTS) if r["event_id"] == "E4")
    assert json.loads(e4["_extra"]) == {"ab_test": "B"}
    assert result.files[0].drift_columns == ["ab_test"]


def test_truncated_gzip_json_is_rejected_and_named(landing, lake) -> None:
    full = gzip.compress(_jsonl(*[{**EVENT, "event_id": f"E{i}"} for i in range(200)]).encode(),
                         mtime=0)
    write(landing, ONLINE_EVENTS, "2026-03-01.jsonl.gz", full[: len(full) // 2])
    (f,) = ingest(landing, lake, ONLINE_EVENTS).files
    assert f.status == "rejected" and f.reason.startswith("corrupt_gzip")
    assert "2026-03-01.jsonl.gz" in f.reason


def test_json_keys_in_any_case_and_numbers_as_text(landing, lake) -> None:
    order = {k.upper(): v for k, v in ORDER.items()}
    write(landing, ONLINE_ORDERS, "2026-03-01.jsonl", _jsonl(order))
    ingest(landing, lake, ONLINE_ORDERS)
    (row,) = raw(lake, ONLINE_ORDERS)
    assert row["order_id"] == "O1" and float(row["order_total"]) == pytest.approx(9.9)
