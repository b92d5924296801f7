"""fct_purchase_journeys recomputed by member (macros/incremental.sql,
incremental_by_fingerprint on member_id).

Real dbt builds the model alone over hand-made upstream tables in a real DuckDB warehouse.
Every journey is marked (touches_before + MARK) before an incremental build: the members
the build recomputed lose their mark, the others keep it. Each build must then equal a
full refresh of the same inputs.

The cases: a receipt with two members' cards, linked through a second shared receipt to a
third member (the group is recomputed together: a purchase belongs to its lines'
max(member_id)); a touch that moves from one member to another (an identity link); a new
member; a member with rows but no stored fingerprint (written by something else); a
change of journey_lookback_days (everyone).
"""

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest

from orchestration.lib.settings import Settings
from tests.dbt_helpers import run_dbt, settings_under

DAY = dt.date(2026, 3, 31)
MARK = 1_000_000
JOURNEYS = "marts.fct_purchase_journeys"
FINGERPRINTS = "incremental_state.fct_purchase_journeys__member_fingerprints"

# (purchase_id, line, member_id, net_amount): till lines, all on DAY at 10:00
LINES = [
    ("P_SHARED", 1, "A", 10.0),  # two cards on one receipt: the purchase is B's
    ("P_SHARED", 2, "B", 20.0),
    ("Q_SHARED", 1, "B", 5.0),   # and B shares another with C: the purchase is C's
    ("Q_SHARED", 2, "C", 7.0),
    ("P_A", 1, "A", 3.0),
    ("P_D", 1, "D", 4.0),
    ("P_E", 1, "E", 6.0),
    ("P_F", 1, "F", 8.0),
]
# (touchpoint_id, member_id, days before DAY): web product views at 09:00
TOUCHES = [(f"web_event:{m}{n}", m, n) for m in "ABCDEF" for n in (0, 2)]
TOUCHES.append(("web_event:moving", "E", 1))


def _dbt(settings: Settings, root: Path, *args: str) -> None:
    run_dbt(settings, root, *args, "--select", "fct_purchase_journeys")


def _line(purchase: str, line: int, member: str, amount: float) -> tuple:
    sold_at = dt.datetime.combine(DAY, dt.time(10, 0))
    return (purchase, line, member, f"SKU{line}", "S1", "pos", "store", "till", False, amount,
            sold_at, DAY)


def _touch(touchpoint: str, member: str, days_before: int) -> tuple:
    at = dt.datetime.combine(DAY - dt.timedelta(days=days_before), dt.time(9, 0))
    return (touchpoint, member, None, "SKU1", "web_event", "product_view", "app", at, at.date())


def _create_inputs(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists intermediate")
    con.execute("create schema if not exists marts")
    con.execute("""create table intermediate.int_sales_lines (
        purchase_id varchar, line_number integer, member_id varchar, product_id varchar,
        store_id varchar, sales_source varchar, sales_channel varchar, fulfilment varchar,
        is_return boolean, net_amount decimal(18, 2), sold_at timestamp, sales_date date)""")
    con.executemany("insert into intermediate.int_sales_lines values "
                    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [_line(*row) for row in LINES])
    con.execute("""create table marts.fct_touchpoints (
        touchpoint_id varchar, member_id varchar, purchase_id varchar, product_id varchar,
        touch_source varchar, touch_type varchar, channel varchar, touch_at timestamp,
        touch_date date)""")
    con.executemany("insert into marts.fct_touchpoints values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [_touch(*row) for row in TOUCHES])


def _journeys(warehouse: Path) -> set[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return set(con.execute(f"select * from {JOURNEYS}").fetchall())


def _purchases(warehouse: Path, *columns: str) -> dict[str, tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {p: tuple(rest) for p, *rest in con.execute(
            f"select purchase_id, {', '.join(columns)} from {JOURNEYS}").fetchall()}


def _mark(warehouse: Path) -> None:
    with duckdb.connect(str(warehouse)) as con:
        con.execute(f"update {JOURNEYS} set touches_before = touches_before + ?", [MARK])


def _recomputed(warehouse: Path) -> dict[str, bool]:
    """Per member: did the last build recompute its journeys? The marks are then removed."""
    with duckdb.connect(str(warehouse)) as con:
        recomputed = dict(con.execute(
            f"select member_id, bool_and(touches_before < ?) from {JOURNEYS} group by 1",
            [MARK]).fetchall())
        con.execute(f"update {JOURNEYS} set touches_before = touches_before - ? "
                    "where touches_before >= ?", [MARK, MARK])
    return recomputed


def _fingerprints(path: Path) -> set[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return set(con.execute(f"select * from {FINGERPRINTS}").fetchall())


def _full_refresh_equals(settings: Settings, root: Path, *args: str) -> None:
    """A full refresh gives the journeys, and the fingerprints the incremental builds
    stored (rewritten for the recomputed members only)."""
    incremental = _journeys(settings.warehouse_path)
    stored = _fingerprints(settings.warehouse_path)
    _dbt(settings, root, "run", "--full-refresh", *args)
    assert _journeys(settings.warehouse_path) == incremental
    assert _fingerprints(settings.warehouse_path) == stored


@pytest.fixture
def warehouse(tmp_path: Path) -> tuple[Settings, Path]:
    settings = settings_under(tmp_path)
    with duckdb.connect(str(settings.warehouse_path)) as con:
        _create_inputs(con)
    _dbt(settings, tmp_path, "run")  # the first build: every member
    return settings, tmp_path


def test_only_changed_members_and_their_groups_are_recomputed(warehouse) -> None:
    settings, root = warehouse
    path = settings.warehouse_path
    first = _purchases(path, "member_id", "purchase_lines", "cast(purchase_amount as double)")
    # the scenario: P_SHARED is B's purchase of both lines, Q_SHARED C's
    assert (first["P_SHARED"], first["Q_SHARED"]) == (("B", 2, 30.0), ("C", 2, 12.0))
    _mark(path)
    with duckdb.connect(str(path)) as con:
        # A's line of the shared receipt is corrected; a touch moves from E to F; G is new
        con.execute("update intermediate.int_sales_lines set net_amount = 12 "
                    "where purchase_id = 'P_SHARED' and member_id = 'A'")
        con.execute("update marts.fct_touchpoints set member_id = 'F' "
                    "where touchpoint_id = 'web_event:moving'")
        con.execute("insert into intermediate.int_sales_lines values "
                    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", _line("P_G", 1, "G", 9.0))
    _dbt(settings, root, "run")
    assert _recomputed(path) == {"A": True, "B": True, "C": True, "D": False, "E": True,
                                 "F": True, "G": True}
    assert _purchases(path, "cast(purchase_amount as double)")["P_SHARED"] == (32.0,)
    _full_refresh_equals(settings, root)


def test_rows_without_a_stored_fingerprint_are_recomputed(warehouse) -> None:
    """D's stored fingerprint is gone, and a member Z without inputs has a row: D is
    recomputed, Z's row deleted, every other member kept."""
    settings, root = warehouse
    path = settings.warehouse_path
    _mark(path)
    with duckdb.connect(str(path)) as con:
        con.execute(f"delete from {FINGERPRINTS} where member_id = 'D'")
        # a journey of a member without a sales line or a touch, written by something else
        con.execute(f"insert into {JOURNEYS} select * replace ('P_Z' as purchase_id, "
                    f"'Z' as member_id) from {JOURNEYS} where purchase_id = 'P_D'")
    _dbt(settings, root, "run")
    recomputed = _recomputed(path)
    assert {m for m, again in recomputed.items() if again} == {"D"}
    assert "Z" not in recomputed
    # the members the last build computed, for `dbt compile` and `dbt show` of the model
    _dbt(settings, root, "compile")
    _full_refresh_equals(settings, root)


def test_a_new_lookback_recomputes_everyone(warehouse) -> None:
    settings, root = warehouse
    path = settings.warehouse_path
    _mark(path)
    lookback = ("--vars", json.dumps({"journey_lookback_days": 1}))
    _dbt(settings, root, "run", *lookback)
    recomputed = _recomputed(path)
    assert set(recomputed) == set("ABCDEF") and all(recomputed.values())
    # D's touch two days before fell out of the window, the one that morning did not
    assert _purchases(path, "touches_before")["P_D"] == (1,)
    _full_refresh_equals(settings, root, *lookback)
