# ruff: noqa: E501 - the landing files below are written out as a source system sends them
"""The marts on a small hand-made landing folder, where every figure is known in advance.

Alice (M1) shows up in four sources under four identifiers: her loyalty card at the till,
her online account on an order, her e-mail (typed in another case) on a survey and her
phone's cookie, first browsing anonymously and logging in a day later. She must be one
member everywhere. The survey answers give an NPS that can be worked out by hand.
"""

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest

from orchestration.lib.settings import Settings

STORES = """store_id,store_name,city,region,format,opened_on,timezone
S1,Nanjing Road,Shanghai,East,supermarket,2010-05-01,Asia/Shanghai
"""
PRODUCTS = """product_id,product_name,brand,department,category,is_private_label,list_price
P1,Green tea,Our Choice,Grocery,Drinks,true,10.00
P2,Rice,Golden,Grocery,Staples,false,5.50
"""
MEMBERS = """member_id,card_id,online_account_id,email,phone,full_name,birth_date,gender,postcode,city,enrolled_at,enrolment_channel,tier,marketing_consent,status,updated_at
M1,C1,A1,alice.wang@example.com,13800000001,Alice Wang,1990-04-05,F,200001,Shanghai,2024-01-10T10:00:00+08:00,store,silver,true,active,2026-03-01T00:00:00+08:00
M2,C2,,bob.li@example.com,13800000002,Bob Li,1985-07-15,M,200002,Shanghai,2024-02-10T10:00:00+08:00,store,regular,false,active,2026-03-01T00:00:00+08:00
M3,,A3,carol.zhang@example.com,,Carol Zhang,,F,200003,Shanghai,2025-06-01T10:00:00+08:00,app,regular,true,active,2026-03-01T00:00:00+08:00
"""
TILL_DAY1 = """transaction_id,line_number,store_id,transaction_ts,member_card_id,product_id,quantity,unit_price,discount_amount,net_amount,payment_method,return_of_transaction_id
T1,1,S1,2026-03-01T10:00:00,C1,P1,2,10.00,0,20.00,card,
T1,2,S1,2026-03-01T10:00:00,C1,P2,1,5.50,0,5.50,card,
T2,1,S1,2026-03-01T11:00:00,,P1,1,10.00,3.00,7.00,cash,
T3,1,S1,2026-03-01T12:00:00,C2,P1,3,10.00,0,30.00,mobile,
"""
TILL_DAY2 = """transaction_id,line_number,store_id,transaction_ts,member_card_id,product_id,quantity,unit_price,discount_amount,net_amount,payment_method,return_of_transaction_id
T4,1,S1,2026-03-02T09:00:00,C1,P1,-1,10.00,0,-10.00,card,T1
"""
POINTS = """entry_id,member_id,entry_ts,entry_type,reason,points,transaction_id,order_id
E1,M1,2026-03-01T10:00:01+08:00,earn,purchase,25,T1,
E2,M1,2026-03-01T20:00:00+08:00,redeem,,-10,,
E3,M2,2026-03-01T12:00:01+08:00,earn,purchase,30,T3,
"""
SURVEYS = """response_id,submitted_at,survey_id,touchpoint,member_card_id,email,transaction_id,order_id,store_id,channel,nps,csat,rating_product_quality,rating_service,rating_price_value,rating_experience,rating_brand_trust,comment,language
R1,2026-03-02T08:00:00+08:00,SV1,store_visit,C1,,T1,,S1,store,10,5,5,5,4,5,5,Great tea,en
R2,2026-03-02T08:10:00+08:00,SV1,store_visit,,bob.li@example.com,T3,,S1,store,9,4,4,4,4,4,4,,
R3,2026-03-02T08:20:00+08:00,SV2,online_order,,Alice.Wang@Example.COM,,O1,,web,7,4,4,3,3,4,4,Call me on 13800000001,en
R4,2026-03-02T08:30:00+08:00,SV1,store_visit,,,,,S1,store,2,1,2,1,2,1,2,太慢了,zh
R5,2026-03-02T08:40:00+08:00,SV1,store_visit,C2,,,,S1,store,9,5,5,5,5,5,5,,
"""


def _order(status: str, at: str, **over) -> dict:
    return {"order_id": "O1", "account_id": "A1", "placed_at": "2026-03-01T06:00:00Z",
            "channel": "web", "device": "desktop", "fulfilment": "delivery",
            "status": status, "status_updated_at": at,
            "items": [{"product_id": "P1", "quantity": 1, "unit_price": 12.0,
                       "discount_amount": 0}],
            "shipping_fee": 0, "order_total": 12.0, "payment_method": "card", **over}


def _cancelled(status: str, at: str) -> dict:
    return _order(status, at, order_id="O2", account_id="A3", channel="app",
                  items=[{"product_id": "P2", "quantity": 2, "unit_price": 5.5,
                          "discount_amount": 0}], order_total=11.0)


def _event(event_id: str, ts: str, session: str, event_type: str, account: str | None = None,
           **over) -> dict:
    return {"event_id": event_id, "event_ts": ts, "session_id": session,
            "anonymous_id": "dev-alice-phone", "account_id": account, "channel": "app",
            "event_type": event_type, **over}


EVENTS_DAY1 = [
    _event("ev1", "2026-03-01T01:00:00Z", "s1", "page_view"),
    _event("ev2", "2026-03-01T01:01:00Z", "s1", "product_view", product_id="P1"),
]
EVENTS_DAY2 = [
    _event("ev3", "2026-03-02T01:00:00Z", "s2", "page_view", account="A1"),
    _event("ev3", "2026-03-02T01:00:00Z", "s2", "page_view", account="A1"),  # re-delivered
]


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _jsonl(path: Path, rows: list[dict]) -> None:
    _write(path, "".join(json.dumps(r) + "\n" for r in rows))


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("handmade")
    landing = root / "data" / "landing"
    _write(landing / "pos" / "stores.csv", STORES)
    _write(landing / "pos" / "products.csv", PRODUCTS)
    _write(landing / "pos" / "transactions" / "2026-03-01.csv", TILL_DAY1)
    _write(landing / "pos" / "transactions" / "2026-03-02.csv", TILL_DAY2)
    _write(landing / "crm" / "members" / "2026-03-01.csv", MEMBERS)
    _write(landing / "crm" / "points" / "2026-03-01.csv", POINTS)
    _write(landing / "survey" / "responses" / "2026-03-02.csv", SURVEYS)
    _jsonl(landing / "online" / "orders" / "2026-03-01.jsonl",
           [_order("paid", "2026-03-01T06:01:00Z"), _cancelled("placed", "2026-03-01T07:00:00Z")])
    _jsonl(landing / "online" / "orders" / "2026-03-02.jsonl",
           [_order("delivered", "2026-03-02T03:00:00Z"),
            _cancelled("cancelled", "2026-03-02T04:00:00Z")])
    _jsonl(landing / "online" / "events" / "2026-03-01.jsonl", EVENTS_DAY1)
    _jsonl(landing / "online" / "events" / "2026-03-02.jsonl", EVENTS_DAY2)
    with pytest.MonkeyPatch.context() as mp:
        for name in ("LOYALTY_LANDING_DIR", "LOYALTY_LAKE", "LOYALTY_WAREHOUSE"):
            mp.delenv(name, raising=False)
        mp.setenv("LOYALTY_DATA_DIR", str(root / "data"))
        mp.setenv("DAGSTER_HOME", str(root / "dagster_home"))
        mp.setenv("LOYALTY_PII_KEY", "test-key")
        from orchestration.runner import run_all

        settings = Settings.from_env()
        settings.export_for_dbt()
        run_all(settings, log=lambda *_: None)
        yield settings.warehouse_path


def _one(path: Path, sql: str, params: list | None = None) -> tuple:
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute(sql, params or []).fetchall()
    assert len(rows) == 1, rows
    return rows[0]


def _all(path: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def test_alice_is_one_member_across_till_web_survey_and_device(warehouse: Path) -> None:
    # till (card), online order (account): both her purchases, nobody else's
    assert _all(warehouse, "select purchase_id, member_id from intermediate.int_sales_lines "
                           "where not is_return and member_id = 'M1' group by all order by 1"
                ) == [("O1", "M1"), ("T1", "M1")]
    # survey by card and by e-mail typed in another case
    assert dict(_all(warehouse, "select response_id, member_id from marts.fct_survey_responses "
                                "where response_id in ('R1', 'R3')")) == {"R1": "M1", "R3": "M1"}
    # the anonymous browsing of day 1 belongs to her once the device logged in on day 2
    assert _all(warehouse, "select distinct member_id from marts.fct_touchpoints "
                           "where session_id in ('s1', 's2')") == [("M1",)]
    methods = dict(_all(warehouse, "select identifier_type, link_method from "
                                   "intermediate.int_identity_map where member_id = 'M1'"))
    assert methods == {"card_id": "register_card", "online_account_id": "register_account",
                       "email_hash": "register_email", "phone_hash": "register_phone",
                       "device_id": "login_device"}
    # the anonymous receipt and the anonymous respondent stay anonymous
    assert _one(warehouse, "select member_id from intermediate.int_sales_lines "
                           "where purchase_id = 'T2'") == (None,)
    assert _one(warehouse, "select member_id from marts.fct_survey_responses "
                           "where response_id = 'R4'") == (None,)


def test_identity_match_rates_of_the_handmade_records(warehouse: Path) -> None:
    """The identity health figure, worked out by hand: receipts T1 and T4 (C1) and T3 (C2)
    by card, T2 anonymous; orders O1 (A1) and O2 (A3) by account; session s2 by Alice's
    account and s1, anonymous, by her device once it logged in; responses R1 and R5 by
    card, R2 and R3 by e-mail (R3 typed in another case), R4 anonymous."""
    rows = _all(warehouse, "select record_type, records, records_with_identifier, "
                           "matched_records, matched_by_card, matched_by_account, "
                           "matched_by_email, matched_by_device from marts.identity_match_rates "
                           "order by 1")
    assert rows == [("online_orders", 2, 2, 2, 0, 2, 0, 0),
                    ("survey_responses", 5, 4, 4, 2, 0, 2, 0),
                    ("till_receipts", 4, 3, 3, 3, 0, 0, 0),
                    ("web_sessions", 2, 2, 2, 0, 1, 0, 1)]


def test_member_figures_are_the_sums_of_their_lines(warehouse: Path) -> None:
    alice = _one(warehouse, "select lifetime_gross_spend, lifetime_refunded_amount, "
                            "lifetime_net_spend, purchases, store_purchases, online_purchases, "
                            "return_events, member_type, channels_used, points_balance, "
                            "latest_nps, tier_held, age_band from marts.dim_members "
                            "where member_id = 'M1'")
    # T1 20.00 + 5.50, O1 12.00; T4 refunds 10.00
    assert alice == (37.5, 10, 27.5, 2, 1, 1, 1, "omnichannel", "store,web", 15, 7,
                     "silver", "35-44")
    # Carol's only order was cancelled: no purchase, no spend
    assert _one(warehouse, "select purchases, lifetime_net_spend, member_type from "
                           "marts.dim_members where member_id = 'M3'") == (0, 0, "no_purchase")
    # the re-delivered event counts once
    assert _one(warehouse, "select count(*) from staging.stg_online__events") == (3,)


def test_nps_of_the_handmade_responses(warehouse: Path) -> None:
    # 10, 9, 9 promoters; 7 passive; 2 detractor → (3 − 1) / 5 = +40
    assert _one(warehouse, "select responses, promoters, passives, detractors, nps "
                           "from marts.satisfaction_monthly where dimension_type = 'all' "
                           "and response_month = ?", [dt.date(2026, 3, 1)]
                ) == (5, 3, 1, 1, 40.0)
    # CSAT satisfied: 5, 4, 4, 5 of 5 responses → 80 %
    assert _one(warehouse, "select csat_satisfied_share from marts.satisfaction_monthly "
                           "where dimension_type = 'all'") == (0.8,)


def test_no_personal_data_reaches_the_marts(warehouse: Path) -> None:
    pii = ["alice.wang@example.com", "bob.li@example.com", "carol.zhang@example.com",
           "13800000001", "13800000002", "Alice Wang", "Bob Li", "Carol Zhang",
           "1990-04-05", "1985-07-15", "Great tea", "Call me on", "太慢了"]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        columns = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where table_schema in ('marts', 'scores', 'outputs')").fetchall()
        assert len(columns) > 100
        leaks = []
        for schema, table, column in columns:
            hits = con.execute(
                f'select count(*) from {schema}."{table}" where exists (select 1 from '
                f'unnest($pii) as p(v) where contains(lower(cast("{column}" as varchar)), '
                f"lower(p.v)))", {"pii": pii}).fetchone()[0]
            if hits:
                leaks.append(f"{schema}.{table}.{column}")
    assert leaks == []
