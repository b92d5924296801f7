"""The demo data behaves like a retailer, so that the marts and scores have something to find."""

import dataclasses
import datetime as dt
import hashlib
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from orchestration.generator import GeneratorConfig, generate, simulate
from orchestration.lib.contract import DATASETS
from orchestration.lib.landing import discover, read_as_text

CFG = GeneratorConfig(members=1500, days=240, start=dt.date(2025, 6, 1), seed=11)


@pytest.fixture(scope="module")
def world():
    w = simulate(CFG)
    w.transactions = w.transactions.to_pandas()  # Arrow in the generator, pandas to inspect
    return w


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes_other_seed_other_data(tmp_path: Path) -> None:
    cfg = GeneratorConfig(members=150, days=20, start=dt.date(2026, 1, 1), seed=3,
                          csv_format="mixed", json_format="mixed")
    generate(cfg, tmp_path / "a")
    generate(cfg, tmp_path / "b")
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    generate(GeneratorConfig(members=150, days=20, start=dt.date(2026, 1, 1), seed=4),
             tmp_path / "c")
    assert _digest(tmp_path / "a") != _digest(tmp_path / "c")


def test_every_contract_dataset_is_written_in_every_format(tmp_path: Path) -> None:
    cfg = GeneratorConfig(members=150, days=6, start=dt.date(2026, 1, 1), seed=3,
                          csv_format="mixed", json_format="mixed")
    generate(cfg, tmp_path)
    suffixes = {"".join(p.suffixes) for p in tmp_path.rglob("*") if p.is_file()}
    assert {".csv", ".csv.gz", ".parquet", ".jsonl", ".jsonl.gz"} <= suffixes
    for folder in ("online/orders", "online/events"):
        assert any((tmp_path / folder).iterdir())
    for ds in DATASETS.values():
        files = discover(tmp_path, ds)
        assert files, ds.name
        for f in files:
            table = read_as_text(f)
            assert set(ds.column_names) <= set(table.column_names), (ds.name, f.rel_path)


def test_members_differ_and_some_lapse_for_good(world) -> None:
    tx = world.transactions
    card_sales = tx[tx["member_card_id"].notna() & tx["return_of_transaction_id"].isna()]
    receipts = card_sales.groupby("member_card_id")["transaction_id"].nunique()
    assert receipts.quantile(0.9) > 4 * receipts.quantile(0.25)  # heavy and light buyers
    last = pd.to_datetime(card_sales.groupby("member_card_id")["transaction_ts"].max())
    end = pd.Timestamp(CFG.end)
    lapsed = (end - last).dt.days > 90
    assert 0.1 < lapsed.mean() < 0.7


def test_anonymous_till_sales_and_channel_mixes_exist(world) -> None:
    tx = world.transactions
    receipts = tx.drop_duplicates("transaction_id")
    anonymous = receipts["member_card_id"].isna().mean()
    assert 0.15 < anonymous < 0.5
    members = world.members.drop_duplicates("member_id", keep="last")
    store_buyers = set(members.loc[members["card_id"].isin(tx["member_card_id"]), "member_id"])
    online_buyers = set(members.loc[
        members["online_account_id"].isin(world.orders["account_id"]), "member_id"])
    assert store_buyers - online_buyers and online_buyers - store_buyers
    assert len(store_buyers & online_buyers) > 0.2 * len(store_buyers | online_buyers)


def test_returns_refund_earlier_receipts(world) -> None:
    tx = world.transactions
    refunds = tx[tx["return_of_transaction_id"].notna()]
    assert len(refunds) > 0
    assert (refunds["quantity"] < 0).all() and (refunds["net_amount"] < 0).all()
    original_ts = tx.drop_duplicates("transaction_id").set_index("transaction_id")[
        "transaction_ts"]
    assert refunds["return_of_transaction_id"].isin(original_ts.index).all()
    assert (refunds["transaction_ts"].to_numpy()
            > original_ts.loc[refunds["return_of_transaction_id"]].to_numpy()).all()


def test_order_status_changes_arrive_on_later_days(world) -> None:
    orders = world.orders
    versions = orders.groupby("order_id").agg(n=("status", "size"),
                                              days=("business_date", "nunique"))
    assert (versions["n"] >= 3).mean() > 0.8
    assert (versions["days"] > 1).mean() > 0.5
    assert {"placed", "paid", "shipped", "delivered", "returned", "cancelled"} <= set(
        orders["status"])


def test_sessions_have_funnels_logins_and_duplicate_deliveries(world) -> None:
    ev = world.events
    counts = ev["event_type"].value_counts()
    # a funnel: fewer sessions reach each next step
    assert counts["product_view"] > counts["add_to_cart"] > counts["checkout_start"] \
        > counts["purchase"]
    assert ev["event_id"].duplicated().sum() > 0
    by_device = ev.groupby("anonymous_id")["account_id"].agg(lambda s: s.notna().any())
    assert by_device.any() and not by_device.all()  # some devices log in, some never do
    purchases = ev[ev["event_type"] == "purchase"]
    assert purchases["order_id"].isin(world.orders["order_id"]).all()


def test_bad_experiences_lower_scores_and_detractors_churn_more(world) -> None:
    sv = world.surveys
    bad = sv["touchpoint"].isin(["return", "delivery"])
    assert sv.loc[bad, "nps"].mean() < sv.loc[~bad, "nps"].mean() - 1
    assert {"zh", "en"} <= set(sv["language"].dropna())
    # link store surveys to members by card, then look for a purchase 60+ days later
    tx = world.transactions
    tx_ts = pd.to_datetime(tx["transaction_ts"])
    store = sv[sv["member_card_id"].notna() & sv["nps"].notna()].copy()
    store["submitted"] = pd.to_datetime(store["submitted_at"].str[:19])
    store = store[store["submitted"] < pd.Timestamp(CFG.end) - pd.Timedelta(days=90)]
    last_by_card = tx_ts.groupby(tx["member_card_id"]).max()
    store["came_back"] = store["member_card_id"].map(last_by_card) > (
        store["submitted"] + pd.Timedelta(days=60))
    detractors = store[store["nps"] <= 6]["came_back"].mean()
    promoters = store[store["nps"] >= 9]["came_back"].mean()
    assert detractors < promoters - 0.05, (detractors, promoters)


def test_points_ledger_is_consistent(world) -> None:
    pts = world.points
    assert set(pts["entry_type"]) == {"earn", "redeem", "expire", "adjust"}
    assert {"purchase", "enrolment", "profile", "survey", "review", "referral",
            "birthday"} <= set(pts["reason"].dropna())
    assert (pts.loc[pts["entry_type"] == "earn", "points"] > 0).all()
    assert (pts.loc[pts["entry_type"].isin(["redeem", "expire"]), "points"] < 0).all()
    ordered = pts.sort_values(["member_id", "entry_ts", "entry_id"])
    running = ordered.groupby("member_id")["points"].cumsum()
    assert running.min() >= 0  # the engine never lets a balance go negative
    purchase_earn = pts[(pts["reason"] == "purchase") & pts["transaction_id"].notna()]
    assert purchase_earn["transaction_id"].isin(world.transactions["transaction_id"]).all()
    assert np.isin(pts["member_id"].unique(), world.members["member_id"].unique()).all()


def test_faults_are_injected_and_listed(tmp_path: Path) -> None:
    result = generate(GeneratorConfig(members=150, days=20, start=dt.date(2026, 1, 1),
                                      seed=3, faults=True), tmp_path)
    kinds = {f["kind"] for f in result.faults}
    assert {"missing_required", "not_a_number", "bad_timestamp", "duplicate_key",
            "empty_file", "undecodable_bytes", "truncated_gzip", "corrupt_parquet",
            "wrong_delimiter", "bad_file_date"} <= kinds
    for f in result.faults:
        assert (tmp_path / f["file"]).exists(), f


SHARDED = GeneratorConfig(members=250, days=30, start=dt.date(2026, 1, 1), seed=9,
                          shard_members=100)


def _ids_of(w) -> dict[str, set]:
    tx = w.transactions.to_pandas()
    return {
        "member_id": set(w.members["member_id"]), "card_id": set(w.members["card_id"]),
        "online_account_id": set(w.members["online_account_id"].dropna()),
        "email": set(w.members["email"].dropna()),
        "transaction_id": set(tx["transaction_id"]), "order_id": set(w.orders["order_id"]),
        "session_id": set(w.events["session_id"]), "event_id": set(w.events["event_id"]),
        "response_id": set(w.surveys["response_id"]), "entry_id": set(w.points["entry_id"]),
    }


def test_shards_share_the_stores_and_products_and_no_id(tmp_path: Path) -> None:
    """Members simulated in shards are one retailer: the same stores and products, and
    no member, card, receipt, order, session, event, response or ledger id twice."""
    shards = [simulate(dataclasses.replace(SHARDED, members=n, stores=SHARDED.store_count),
                       shard, offset)
              for shard, (offset, n) in enumerate(SHARDED.shards)]
    assert [n for _, n in SHARDED.shards] == [100, 100, 50]
    for other in shards[1:]:
        pd.testing.assert_frame_equal(other.stores, shards[0].stores)
        pd.testing.assert_frame_equal(other.products, shards[0].products)
    ids = [_ids_of(w) for w in shards]
    for name in ids[0]:
        assert all(s[name] for s in ids), name
        union = set().union(*(s[name] for s in ids))
        assert len(union) == sum(len(s[name]) for s in ids), f"{name} repeats across shards"
    assert len(ids[0]["member_id"] | ids[1]["member_id"] | ids[2]["member_id"]) == 250
    # the shards are different members, not copies drawn from the same stream
    assert len(shards[1].transactions) != len(shards[2].transactions) or not shards[1] \
        .transactions.column("net_amount").equals(shards[2].transactions.column("net_amount"))


def test_sharded_generation_writes_part_files_that_ingest_cleanly(tmp_path: Path) -> None:
    """Each shard after the first writes ``<day>_partN`` files; ingested together they are
    one clean retailer (no row quarantined, every member once), and the bytes repeat."""
    from orchestration.lib.lake import Lake
    from tests.lake_helpers import ingest_landing

    result = generate(SHARDED, tmp_path / "landing")
    again = generate(SHARDED, tmp_path / "again")
    assert _digest(tmp_path / "landing") == _digest(tmp_path / "again")
    assert again.rows == result.rows
    names = {p.name for p in (tmp_path / "landing" / "pos" / "transactions").iterdir()}
    assert {"2026-01-05.csv", "2026-01-05_part2.csv", "2026-01-05_part3.csv"} <= names
    assert not any("_part" in p.name for p in (tmp_path / "landing" / "pos").glob("*.csv"))

    lake = Lake(tmp_path / "lake")
    ingest_landing(tmp_path / "landing", lake)
    con = duckdb.connect()
    for name in DATASETS:
        quarantined = list(lake.quarantine(name).rglob("*.parquet"))
        if quarantined:
            assert con.execute("select count(*) from read_parquet($f)",
                               {"f": [str(p) for p in quarantined]}).fetchone()[0] == 0, name
        daily = name not in ("pos_stores", "pos_products")
        if daily:
            loaded = con.execute("select count(*) from read_parquet($f)", {"f": str(
                lake.raw(name) / "*" / "*.parquet")}).fetchone()[0]
            assert loaded == result.rows[name], name
    members = con.execute(
        "select count(distinct member_id), count(distinct card_id) from read_parquet($f)",
        {"f": str(lake.raw("crm_members") / "*" / "*.parquet")}).fetchone()
    assert members == (250, 250)
