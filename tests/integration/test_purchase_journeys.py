"""fct_purchase_journeys' same-product research, case by case, at the edges of its window,
and which touch is first when several happen at the same instant.

The model's SQL as dbt compiles it runs over two hand-made upstream tables in a real DuckDB
warehouse: a till purchase counts as researched online when the member viewed that product
on the web or in the app within ``journey_lookback_days`` (30) days before the purchase day,
or on the purchase day before the purchase.
"""

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from tests.dbt_helpers import compile_model

DAY = dt.date(2026, 3, 31)

# (purchase_id, member_id, product_id): till receipts of one line, all on DAY at 10:00
PURCHASES = [
    ("T_30_DAYS", "M1", "P1"),       # viewed 30 days before (20:00): inside the window
    ("T_30_DAYS_EARLY", "M1", "P9"),  # viewed 30 days before at 08:00: days, not hours
    ("T_31_DAYS", "M1", "P2"),       # viewed 31 days before: outside
    ("T_SAME_DAY_BEFORE", "M1", "P3"),
    ("T_AT_PURCHASE_TIME", "M1", "P10"),  # viewed at the very time of the purchase
    ("T_SAME_DAY_AFTER", "M1", "P4"),
    ("T_OTHER_PRODUCT", "M1", "P5"),  # viewed P6, bought P5
    ("T_OTHER_MEMBER", "M2", "P1"),   # M1 viewed P1, M2 bought it
    ("T_IN_STORE_VIEW", "M1", "P7"),  # a product_view in the store channel is not online
    ("T_WEB_VIEW", "M1", "P8"),       # the web counts like the app
]
# (member_id, product_id, channel, viewed_at)
VIEWS = [
    ("M1", "P1", "app", dt.datetime(2026, 3, 1, 20, 0)),
    ("M1", "P2", "app", dt.datetime(2026, 2, 28, 9, 0)),
    ("M1", "P3", "app", dt.datetime(2026, 3, 31, 9, 59)),
    ("M1", "P4", "app", dt.datetime(2026, 3, 31, 10, 1)),
    ("M1", "P6", "app", dt.datetime(2026, 3, 30, 9, 0)),
    ("M1", "P7", "store", dt.datetime(2026, 3, 30, 9, 0)),
    ("M1", "P8", "web", dt.datetime(2026, 3, 15, 9, 0)),
    ("M1", "P9", "app", dt.datetime(2026, 3, 1, 8, 0)),
    ("M1", "P10", "app", dt.datetime(2026, 3, 31, 10, 0)),
]
EXPECTED = {"T_30_DAYS": True, "T_30_DAYS_EARLY": True, "T_31_DAYS": False,
            "T_SAME_DAY_BEFORE": True, "T_AT_PURCHASE_TIME": True, "T_SAME_DAY_AFTER": False,
            "T_OTHER_PRODUCT": False, "T_OTHER_MEMBER": False, "T_IN_STORE_VIEW": False,
            "T_WEB_VIEW": True}


@pytest.fixture(scope="module")
def compiled_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """The model compiled by dbt against an empty warehouse file; (SQL, warehouse)."""
    return compile_model(tmp_path_factory.mktemp("journeys"), "fct_purchase_journeys")


def _upstream(con: duckdb.DuckDBPyConnection, lines: list[tuple], touches: list[tuple]) -> None:
    """The model's two inputs: till lines (purchase, member, product, sold_at) and web
    touches (touchpoint_id, member, product, touch_type, channel, touch_at)."""
    con.execute("create schema if not exists intermediate")
    con.execute("create schema if not exists marts")
    con.execute("""create or replace table intermediate.int_sales_lines (
        purchase_id varchar, member_id varchar, product_id varchar, store_id varchar,
        sales_source varchar, sales_channel varchar, fulfilment varchar,
        is_return boolean, net_amount decimal(18, 2), sold_at timestamp, sales_date date)""")
    con.executemany(
        "insert into intermediate.int_sales_lines values "
        "(?, ?, ?, 'S1', 'pos', 'store', 'till', false, 10.00, ?, ?)",
        [(p, m, prod, at, at.date()) for p, m, prod, at in lines])
    con.execute("""create or replace table marts.fct_touchpoints (
        touchpoint_id varchar, member_id varchar, purchase_id varchar, product_id varchar,
        touch_source varchar, touch_type varchar, channel varchar, touch_at timestamp,
        touch_date date)""")
    con.executemany(
        "insert into marts.fct_touchpoints values (?, ?, null, ?, 'web_event', ?, ?, ?, ?)",
        [(t, m, prod, kind, channel, at, at.date()) for t, m, prod, kind, channel, at in touches])


def test_same_product_research_at_the_edges_of_the_window(compiled_model) -> None:
    sql, warehouse = compiled_model
    sold_at = dt.datetime.combine(DAY, dt.time(10, 0))
    with duckdb.connect(str(warehouse)) as con:
        _upstream(con, [(p, m, prod, sold_at) for p, m, prod in PURCHASES],
                  [(f"web_event:v{i}", m, prod, "product_view", channel, at)
                   for i, (m, prod, channel, at) in enumerate(VIEWS)])
        got = dict(con.execute(
            f"select purchase_id, is_robis_same_product from ({sql})").fetchall())
        research = dict(con.execute(
            f"select purchase_id, is_research_online_buy_in_store from ({sql})").fetchall())
    assert got == EXPECTED
    # research of any product counts for the broader flag: M1 viewed products within every
    # one of her purchases' windows, M2 viewed none
    assert research == {p: member == "M1" for p, member, _ in PURCHASES}


def test_touches_at_the_same_instant_are_ordered_by_channel_then_type(compiled_model) -> None:
    """The first touch among touches at one instant is the first by channel, then type, on
    an earlier day (pre-aggregated per member and day) as on the purchase day, whatever the
    touch ids: the ids sort the other way round in every case here."""
    sql, warehouse = compiled_model
    sold_at = dt.datetime.combine(DAY, dt.time(10, 0))
    earlier = dt.datetime.combine(DAY - dt.timedelta(days=2), dt.time(9, 0))
    same_day = dt.datetime.combine(DAY, dt.time(9, 0))
    touches = [
        # earlier day, one channel: product_view sorts before search
        ("web_event:a1", "M1", None, "search", "web", earlier),
        ("web_event:z1", "M1", "P1", "product_view", "web", earlier),
        # earlier day, two channels: app sorts before web
        ("web_event:a2", "M2", None, "page_view", "web", earlier),
        ("web_event:z2", "M2", None, "search", "app", earlier),
        # purchase day, before the purchase (touch by touch: this path ordered ties by
        # channel and type before the change too)
        ("web_event:a3", "M3", None, "page_view", "web", same_day),
        ("web_event:z3", "M3", None, "search", "app", same_day),
    ]
    with duckdb.connect(str(warehouse)) as con:
        _upstream(con, [("T1", "M1", "P1", sold_at), ("T2", "M2", "P2", sold_at),
                        ("T3", "M3", "P3", sold_at)], touches)
        got = con.execute(
            "select purchase_id, first_touch_at, first_touch_channel, first_touch_type, "
            f"touches_before from ({sql}) order by 1").fetchall()
    assert got == [("T1", earlier, "web", "product_view", 2),
                   ("T2", earlier, "app", "search", 2),
                   ("T3", same_day, "app", "search", 2)]
