"""fct_member_daily_sales counted by hand: purchases, returns and spend per member and day.

The model's SQL as dbt compiles it runs over a hand-made int_sales_lines in a real DuckDB
warehouse. A purchase is a till receipt or an online order, counted once however many lines
it has; a receipt with a sale line and a refund line (an exchange) is a purchase and a return.
"""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tests.dbt_helpers import compile_model

DAY1, DAY2 = dt.date(2026, 3, 1), dt.date(2026, 3, 2)
# (purchase_id, member_id, sales_source, is_return, net_amount, sales_date)
LINES = [
    ("T1", "M1", "pos", False, "20.00", DAY1),       # a receipt of two lines
    ("T1", "M1", "pos", False, "5.50", DAY1),
    ("O1", "M1", "online", False, "12.00", DAY1),    # an online order
    ("X1", "M1", "pos", False, "8.00", DAY1),        # an exchange: one sale, one refund line
    ("X1", "M1", "pos", True, "-3.00", DAY1),
    ("T4", "M1", "pos", True, "-10.00", DAY2),       # a refund receipt
    ("O1:return", "M1", "online", True, "-12.00", DAY2),  # the order sent back
    ("T3", "M2", "pos", False, "30.00", DAY1),
    ("T2", None, "pos", False, "7.00", DAY1),        # no member: not in the mart
    (None, "M2", "pos", False, "4.00", DAY1),        # no purchase id: a line, no purchase
]
COLUMNS = ("member_id", "sales_date", "purchases", "store_purchases", "online_purchases",
           "return_events", "lines_bought", "lines_returned", "gross_spend",
           "refunded_amount", "net_spend", "store_net_spend", "online_net_spend")
EXPECTED = {
    ("M1", DAY1): (3, 2, 1, 1, 4, 1, "45.50", "3.00", "42.50", "30.50", "12.00"),
    ("M1", DAY2): (0, 0, 0, 2, 0, 2, "0.00", "22.00", "-22.00", "-10.00", "-12.00"),
    ("M2", DAY1): (1, 1, 0, 0, 2, 0, "34.00", "0.00", "34.00", "34.00", "0.00"),
}


@pytest.fixture(scope="module")
def compiled_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    return compile_model(tmp_path_factory.mktemp("daily_sales"), "fct_member_daily_sales")


def test_purchases_returns_and_spend_per_member_and_day(compiled_model) -> None:
    sql, warehouse = compiled_model
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema if not exists intermediate")
        con.execute("""create or replace table intermediate.int_sales_lines (
            purchase_id varchar, member_id varchar, sales_source varchar, is_return boolean,
            net_amount decimal(18, 2), sales_date date)""")
        con.executemany("insert into intermediate.int_sales_lines values (?, ?, ?, ?, ?, ?)",
                        LINES)
        rows = con.execute(f"select {', '.join(COLUMNS)} from ({sql})").fetchall()
        types = dict(con.execute(f"select column_name, column_type from (describe ({sql}))")
                     .fetchall())
    got = {(r[0], r[1]): r[2:] for r in rows}
    assert got == {key: (*v[:6], *map(Decimal, v[6:])) for key, v in EXPECTED.items()}
    # counts are whole numbers of the width count() gives, as before the rewrite
    assert {types[c] for c in ("purchases", "store_purchases", "online_purchases",
                               "return_events")} == {"BIGINT"}
