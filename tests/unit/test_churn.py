"""Churn model on a small synthetic warehouse in a temporary DuckDB file.

The simulation: members buy on random days at their own rate. A third of them quit: on
their last purchase they return something, contact the service desk and (mostly) answer
a survey as a detractor, then never buy again. Right after quitting their recency looks
like anyone else's, so the signal is in the satisfaction and service features.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy.special import logit

from orchestration.lib import churn

START = dt.date(2025, 1, 1)
END = dt.date(2025, 12, 31)
DAYS = (END - START).days + 1
AS_OF = END
MID = dt.date(2025, 9, 30)  # leakage tests: rows exist on both sides of this date
MEMBERS = 900
UTC_OFFSET = pd.Timedelta(hours=8)  # Asia/Shanghai, the default business time zone

Connect = Callable[[], duckdb.DuckDBPyConnection]


def _day(offset: np.ndarray) -> pd.Series:
    return pd.Series(pd.Timestamp(START) + pd.to_timedelta(offset, unit="D"))


def _utc(day: pd.Series, rng: np.random.Generator) -> pd.Series:
    """A UTC timestamp whose local (UTC+8) date is ``day``."""
    seconds = rng.integers(0, 86_400, len(day))
    return day + pd.to_timedelta(seconds, unit="s") - UTC_OFFSET


def simulate(seed: int = 7) -> dict[str, pd.DataFrame]:
    """The source tables of the synthetic warehouse, as data frames."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"M{i:04d}" for i in range(MEMBERS)])
    enrol = np.where(rng.random(MEMBERS) < 0.8, -rng.integers(1, 700, MEMBERS),
                     rng.integers(0, DAYS, MEMBERS))
    rate = rng.uniform(0.02, 0.25, MEMBERS)
    quits = rng.random(MEMBERS) < 0.35
    quit_day = np.where(quits, rng.integers(0, DAYS + 60, MEMBERS), 10_000)
    quit_day = np.maximum(quit_day, np.maximum(enrol, 0))
    online_share = rng.beta(2, 3, MEMBERS)

    day = np.arange(DAYS)
    active = (day[None, :] >= np.maximum(enrol, 0)[:, None]) & (day[None, :] <= quit_day[:, None])
    buys = active & (rng.random((MEMBERS, DAYS)) < rate[:, None])
    last_day = quit_day < DAYS
    buys[np.flatnonzero(last_day), quit_day[last_day]] = True  # the bad last purchase
    member_idx, day_idx = np.nonzero(buys)
    n = len(member_idx)
    bad = quit_day[member_idx] == day_idx
    online = rng.random(n) < online_share[member_idx]
    spend = np.round(rng.gamma(2.0, 40.0, n), 2)
    dates = _day(day_idx)

    daily = pd.DataFrame({
        "member_id": ids[member_idx], "sales_date": dates, "purchases": 1,
        "store_purchases": (~online).astype(int), "online_purchases": online.astype(int),
        "return_events": bad.astype(int), "gross_spend": spend,
        "refunded_amount": np.where(bad, spend / 2, 0.0),
        "net_spend": np.where(bad, spend / 2, spend),
    })
    purchase_ids = np.array([f"P{i:06d}" for i in range(n)])
    fulfilment = np.where(online, np.where(rng.random(n) < 0.3, "click_and_collect", "delivery"),
                          "till")
    lines = pd.DataFrame({
        "sales_line_id": purchase_ids, "purchase_id": purchase_ids, "member_id": ids[member_idx],
        "product_id": rng.choice(["A", "B", "C"], n), "sales_channel": np.where(online, "web",
                                                                                  "store"),
        "fulfilment": fulfilment, "is_return": False, "net_amount": spend, "sales_date": dates,
    })
    returns = lines[bad].assign(is_return=True, net_amount=-spend[bad] / 2,
                                sales_line_id=lambda f: f["sales_line_id"] + "R")
    lines = pd.concat([lines, returns], ignore_index=True)

    # surveys: a random tenth of purchases, plus most bad last purchases (as detractors)
    asked = (rng.random(n) < 0.1) | (bad & (rng.random(n) < 0.85))
    k = int(asked.sum())
    unhappy = bad[asked] | (rng.random(k) < 0.08)
    nps = np.where(unhappy, rng.integers(0, 5, k), rng.integers(6, 11, k))
    csat = np.where(unhappy, rng.integers(1, 3, k), rng.integers(3, 6, k))
    survey_dates = dates[asked].reset_index(drop=True)
    surveys = pd.DataFrame({
        "response_id": [f"R{i:06d}" for i in range(k)], "member_id": ids[member_idx][asked],
        "nps": nps, "csat": csat, "submitted_date": survey_dates,
        "submitted_at": _utc(survey_dates, rng),
    })
    for rating in ("product_quality", "service", "price_value", "experience", "brand_trust"):
        surveys[f"rating_{rating}"] = np.clip(csat + rng.integers(-1, 2, k), 1, 5)

    # touchpoints: service contacts on most bad purchases and a few others, page views
    contact = (bad & (rng.random(n) < 0.9)) | (rng.random(n) < 0.02)
    views = rng.random(n) < 0.5
    touches = pd.DataFrame({
        "member_id": np.concatenate([ids[member_idx][contact], ids[member_idx][views]]),
        "touch_type": ["support_contact"] * int(contact.sum()) + ["page_view"] * int(views.sum()),
        "touch_date": pd.concat([dates[contact], dates[views]], ignore_index=True),
    })

    session_m, session_d = np.nonzero(active & (rng.random((MEMBERS, DAYS)) < 0.05))
    sessions = pd.DataFrame({
        "session_id": [f"S{i:06d}" for i in range(len(session_m))],
        "member_id": ids[session_m], "session_date": _day(session_d),
        "has_add_to_cart": rng.random(len(session_m)) < 0.4,
    })

    tiers = np.array(["regular", "silver", "gold", "platinum"])
    first_day = _day(np.maximum(enrol, 0))
    versions = pd.DataFrame({"member_id": ids, "tier": tiers[rng.integers(0, 4, MEMBERS)],
                             "valid_from_date": first_day})
    moved = rng.random(MEMBERS) < 0.4
    moves = pd.DataFrame({
        "member_id": ids[moved], "tier": tiers[rng.integers(0, 4, int(moved.sum()))],
        "valid_from_date": _day(np.maximum(enrol[moved], 0)
                                + rng.integers(1, DAYS, int(moved.sum()))),
    })
    versions = pd.concat([versions, moves], ignore_index=True)
    versions = versions[versions["valid_from_date"] <= pd.Timestamp(END)].reset_index(drop=True)
    versions["valid_from"] = _utc(versions["valid_from_date"], rng)

    redeem = rng.random(n) < 0.1
    ledger = pd.DataFrame({
        "entry_id": [f"E{i:06d}" for i in range(n + int(redeem.sum()))],
        "member_id": np.concatenate([ids[member_idx], ids[member_idx][redeem]]),
        "entry_type": ["earn"] * n + ["redeem"] * int(redeem.sum()),
        "points": np.concatenate([np.floor(spend), -np.floor(spend[redeem] / 2)]).astype(int),
        "entry_date": pd.concat([dates, dates[redeem]], ignore_index=True),
    })

    enrolled_day = _day(enrol)
    members = pd.DataFrame({"member_id": ids, "enrolled_at": _utc(enrolled_day, rng),
                            "has_marketing_consent": rng.random(MEMBERS) < 0.7})
    return {
        "staging.stg_crm__members": members,
        "staging.stg_crm__member_versions": versions,
        "marts.fct_member_daily_sales": daily,
        "intermediate.int_sales_lines": lines,
        "marts.fct_survey_responses": surveys,
        "marts.fct_touchpoints": touches,
        "intermediate.int_web_sessions": sessions,
        "marts.fct_points_ledger": ledger,
    }


# table -> (date column, timestamp column whose local date it is, or None)
DATED = {
    "marts.fct_member_daily_sales": ("sales_date", None),
    "intermediate.int_sales_lines": ("sales_date", None),
    "marts.fct_survey_responses": ("submitted_date", "submitted_at"),
    "marts.fct_touchpoints": ("touch_date", None),
    "intermediate.int_web_sessions": ("session_date", None),
    "staging.stg_crm__member_versions": ("valid_from_date", "valid_from"),
    "marts.fct_points_ledger": ("entry_date", None),
}


def build_warehouse(path: Path, tables: dict[str, pd.DataFrame]) -> None:
    """Write the frames to a DuckDB file, with DATE columns where the warehouse has them."""
    con = duckdb.connect(str(path))
    for name, frame in tables.items():
        schema = name.split(".")[0]
        con.execute(f"create schema if not exists {schema}")
        date_col = DATED.get(name, (None, None))[0]
        casts = f" replace (cast({date_col} as date) as {date_col})" if date_col else ""
        con.register("frame", frame)
        con.execute(f"create table {name} as select *{casts} from frame")
        con.unregister("frame")
    con.close()


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("churn") / "wh.duckdb"
    build_warehouse(path, simulate())
    return path


@pytest.fixture()
def copy(warehouse: Path, tmp_path: Path) -> Connect:
    """A writable copy of the synthetic warehouse, per test."""
    def connect() -> duckdb.DuckDBPyConnection:
        target = tmp_path / "copy.duckdb"
        shutil.copy(warehouse, target)
        return duckdb.connect(str(target))
    return connect


@pytest.fixture(scope="module")
def result(warehouse: Path) -> churn.ChurnResult:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return churn.train_and_backtest(con, AS_OF, horizon_days=90, seed=0)
    finally:
        con.close()


# ------------------------------------------------------------------------ (a) leakage


def _randomise_after(con: duckdb.DuckDBPyConnection, table: str, as_of: dt.date) -> None:
    """Replace every row of ``table`` dated after ``as_of`` by random rows, also after it."""
    date_col, ts_col = DATED[table]
    columns = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema || '.' || table_name = $t", {"t": table}).fetchall()
    # twice as many rows as before: duplicate them, then randomise every column
    con.execute(f"insert into {table} select * from {table} where {date_col} > $d", {"d": as_of})
    sets = [f"{date_col} = $d + 1 + cast(floor(random() * 60) as integer)"]
    for name, kind in columns:
        if name in (date_col, ts_col):
            continue
        if name == "member_id":
            sets.append("member_id = 'M' || lpad(cast(cast(floor(random() * $n) as integer) "
                        "as varchar), 4, '0')")
        elif kind == "BOOLEAN":
            sets.append(f"{name} = random() < 0.5")
        elif kind in ("BIGINT", "INTEGER", "DOUBLE"):
            sets.append(f"{name} = cast(floor(random() * 11) as {kind})")
        elif kind == "VARCHAR":
            values = [v for (v,) in con.execute(
                f"select distinct {name} from {table} where {name} is not null").fetchall()]
            con.execute("set variable choices = $v", {"v": values})
            sets.append(f"{name} = getvariable('choices')"
                        f"[1 + cast(floor(random() * {len(values)}) as integer)]")
    con.execute(f"update {table} set {', '.join(sets)} where {date_col} > $d",
                {"d": as_of, "n": MEMBERS})
    if ts_col:
        con.execute(f"update {table} set {ts_col} = cast({date_col} as timestamp) "
                    "- interval 8 hour + to_seconds(cast(floor(random() * 86399) as bigint)) "
                    f"where {date_col} > $d", {"d": as_of})


def test_features_ignore_everything_after_the_as_of_date(copy: Connect) -> None:
    con = copy()
    before = churn.member_features(con, MID)
    con.execute("select setseed(0.25)")
    for table in DATED:
        _randomise_after(con, table, MID)
    # members enrolling after the as-of date: move them, still after it
    con.execute("update staging.stg_crm__members set enrolled_at = enrolled_at "
                "+ to_days(cast(floor(random() * 30) as integer)), "
                "has_marketing_consent = random() < 0.5 "
                "where cast(timezone('Asia/Shanghai', timezone('UTC', enrolled_at)) as date) > $d",
                {"d": MID})
    changed = con.execute("select count(*) from marts.fct_member_daily_sales "
                          "where sales_date > $d", {"d": MID}).fetchone()[0]
    assert changed > 1000  # the randomisation did touch many rows
    after = churn.member_features(con, MID)
    pd.testing.assert_frame_equal(before, after, check_exact=True)
    assert len(after) == len(before) > 0


# one edit before the as-of date per source table, and a feature it must move
EDITS_BEFORE = {
    "staging.stg_crm__members": (
        "update staging.stg_crm__members set enrolled_at = enrolled_at - interval 100 day",
        "tenure_days"),
    "staging.stg_crm__member_versions": (
        "update staging.stg_crm__member_versions set tier = 'platinum' "
        "where valid_from_date <= $d", "tier_rank"),
    "marts.fct_member_daily_sales": (
        "update marts.fct_member_daily_sales set net_spend = net_spend + 100 "
        "where sales_date <= $d", "monetary_90d"),
    "intermediate.int_sales_lines": (
        "update intermediate.int_sales_lines set fulfilment = 'click_and_collect' "
        "where sales_date <= $d", "click_collect_share_365d"),
    "marts.fct_survey_responses": (
        "update marts.fct_survey_responses set nps = 10 - nps where submitted_date <= $d",
        "nps_mean"),
    "marts.fct_touchpoints": (
        "update marts.fct_touchpoints set touch_type = 'support_contact' "
        "where touch_date <= $d", "support_contacts_365d"),
    "intermediate.int_web_sessions": (
        "update intermediate.int_web_sessions set has_add_to_cart = not has_add_to_cart "
        "where session_date <= $d", "cart_sessions_90d"),
    "marts.fct_points_ledger": (
        "update marts.fct_points_ledger set points = points + 7 where entry_date <= $d",
        "points_balance"),
}


@pytest.mark.parametrize("table", list(EDITS_BEFORE))
def test_features_follow_rows_up_to_the_as_of_date(copy: Connect, table: str) -> None:
    con = copy()
    before = churn.member_features(con, MID)
    sql, feature = EDITS_BEFORE[table]
    con.execute(sql, {"d": MID} if "$d" in sql else None)
    after = churn.member_features(con, MID)
    assert not before[feature].equals(after[feature])


def test_features_cover_members_enrolled_by_the_as_of_date_and_are_documented(
        warehouse: Path) -> None:
    con = duckdb.connect(str(warehouse), read_only=True)
    feats = churn.member_features(con, MID)
    enrolled = con.execute(
        "select count(*) from staging.stg_crm__members "
        "where cast(timezone('Asia/Shanghai', timezone('UTC', enrolled_at)) as date) <= $d",
        {"d": MID}).fetchone()[0]
    con.close()
    assert len(feats) == enrolled < MEMBERS
    assert feats.index.is_unique and feats.index.name == "member_id"
    assert list(feats.columns) == churn.FEATURE_NAMES == list(churn.FEATURES)
    assert set(churn.LOG_FEATURES) <= set(churn.FEATURES)
    assert all(phrase for phrase in churn.FEATURES.values())


# ------------------------------------------------------------------------ (b) labels


def test_labels_on_a_hand_made_case(tmp_path: Path) -> None:
    as_of = dt.date(2026, 3, 31)
    rows = [
        ("m_stays", "2026-03-01", 1), ("m_stays", "2026-04-15", 1),
        ("m_churns", "2026-01-10", 2),
        ("m_last_day", "2026-03-31", 1), ("m_last_day", "2026-06-29", 1),  # as_of + 90: in
        ("m_too_late", "2026-02-01", 1), ("m_too_late", "2026-06-30", 1),  # as_of + 91: out
        ("m_returns_only", "2026-02-01", 1), ("m_returns_only", "2026-05-01", 0),
        ("m_new", "2026-04-02", 1),  # first purchase after as_of: not in the population
        ("m_never", "2026-03-01", 0),  # only a return day: never bought
        ("m_end", "2026-07-31", 0),
    ]
    daily = pd.DataFrame(rows, columns=["member_id", "sales_date", "purchases"])
    daily["sales_date"] = pd.to_datetime(daily["sales_date"])
    con = duckdb.connect(str(tmp_path / "labels.duckdb"))
    con.execute("create schema marts")
    con.execute("create table marts.fct_member_daily_sales as "
                "select member_id, cast(sales_date as date) as sales_date, purchases from daily")
    labels = churn.churn_labels(con, as_of, 90)
    assert labels.to_dict() == {"m_churns": 1, "m_last_day": 0, "m_returns_only": 1,
                                "m_stays": 0, "m_too_late": 1}
    with pytest.raises(ValueError, match="sales data through"):
        churn.churn_labels(con, as_of, 200)


# ------------------------------------------------------------------------ (c) backtest


def test_backtest_reports_every_metric_for_model_and_baselines(result: churn.ChurnResult) -> None:
    assert result.train_cutoff == AS_OF - dt.timedelta(days=180)
    assert result.test_cutoff == AS_OF - dt.timedelta(days=90)
    metrics = result.metrics
    assert list(metrics.index) == ["model", "recency", "bgnbd"]
    for col in ("members", "churn_rate", "roc_auc", "pr_auc", "brier", "top_decile_lift"):
        assert metrics[col].notna().all() and np.isfinite(metrics[col]).all(), col
    assert metrics["members"].nunique() == 1 and metrics["churn_rate"].nunique() == 1
    scores = result.test_scores
    assert list(scores.columns) == ["churned", "model", "recency", "bgnbd"]
    assert scores.notna().all().all() and len(scores) == metrics.loc["model", "members"]
    assert scores[["model", "recency", "bgnbd"]].apply(lambda s: s.between(0, 1).all()).all()
    for table in result.calibration.values():
        assert list(table["decile"]) == list(range(1, 11))
        assert table["members"].sum() == len(scores)
    # the model finds the quitters recency cannot see yet
    assert metrics.loc["model", "roc_auc"] > metrics.loc["recency", "roc_auc"] + 0.02
    assert metrics.loc["model", "pr_auc"] > metrics.loc["recency", "pr_auc"] + 0.03
    assert metrics.loc["model", "brier"] < metrics.loc["recency", "brier"]
    assert result.model_version.startswith(f"churn-logreg-{AS_OF.isoformat()}-h90-")
    assert churn.feature_hash() in result.model_version


def test_backtest_test_labels_are_the_labels_at_the_test_cutoff(warehouse: Path,
                                                                result: churn.ChurnResult) -> None:
    con = duckdb.connect(str(warehouse), read_only=True)
    labels = churn.churn_labels(con, result.test_cutoff, 90)
    con.close()
    pd.testing.assert_series_equal(result.test_scores["churned"], labels.loc[
        result.test_scores.index], check_names=False)


# ------------------------------------------------------------------------ (d) reasons


def test_reasons_are_the_largest_positive_contributions(warehouse: Path,
                                                        result: churn.ChurnResult) -> None:
    con = duckdb.connect(str(warehouse), read_only=True)
    feats = churn.member_features(con, AS_OF)
    con.close()
    scored = churn.score_members(result, feats)
    contrib = churn.contributions(result.pipeline, feats)
    # contributions add up to the model's log-odds
    intercept = result.pipeline.named_steps["model"].intercept_[0]
    np.testing.assert_allclose(contrib.sum(axis=1) + intercept,
                               logit(scored["churn_probability"]), rtol=1e-6, atol=1e-6)
    z = pd.DataFrame(result.pipeline[:-1].transform(feats), index=feats.index,
                     columns=churn.FEATURE_NAMES)
    three = 0
    for member in feats.index[:200]:
        row = contrib.loc[member]
        expected = [name for name in row.sort_values(ascending=False, kind="stable").index[:3]
                    if row[name] > 0]
        got = scored.loc[member, "reason_features"]
        assert got == ",".join(expected)
        assert scored.loc[member, "top_reasons"] == "; ".join(
            churn.reason_text(name, z.loc[member, name]) for name in expected)
        three += len(expected) == 3
    assert three > 100
    high = scored["churn_probability"].idxmax()
    assert scored.loc[high, "risk_band"] == "very_high" and scored.loc[high, "top_reasons"]
    assert set(scored["risk_band"]) <= {"low", "medium", "high", "very_high"}


def test_reason_wording_and_risk_bands() -> None:
    assert churn.reason_text("recency_days", 1.2) == "days since last purchase is high"
    assert churn.reason_text("frequency_90d", -0.5) == (
        "number of purchases in the last 90 days is low")
    assert churn.reason_text("tier_change_90d", -1.0) == "tier went down in the last 90 days"
    assert [churn.risk_band(p) for p in (0.0, 0.25, 0.49, 0.5, 0.75, 1.0)] == [
        "low", "medium", "medium", "high", "very_high", "very_high"]


# ------------------------------------------------------------------------ (e) determinism


def test_scoring_is_deterministic_under_a_seed(warehouse: Path,
                                               result: churn.ChurnResult) -> None:
    con = duckdb.connect(str(warehouse), read_only=True)
    again = churn.train_and_backtest(con, AS_OF, horizon_days=90, seed=0)
    feats = churn.member_features(con, AS_OF)
    con.close()
    assert again.model_version == result.model_version
    pd.testing.assert_frame_equal(again.metrics, result.metrics, check_exact=True)
    pd.testing.assert_frame_equal(churn.score_members(again, feats),
                                  churn.score_members(result, feats), check_exact=True)


def test_result_summaries_are_plain_json(result: churn.ChurnResult) -> None:
    params = json.loads(json.dumps(result.parameters()))
    assert set(params["coefficients"]) == set(churn.FEATURE_NAMES)
    assert params["model_version"] == result.model_version
    summary = json.loads(json.dumps(result.backtest_summary()))
    assert set(summary) == {"model", "recency", "bgnbd"}
    assert summary["model"]["roc_auc"] == result.metrics.loc["model", "roc_auc"]
    # the lift chart: ten deciles, highest scores first; the top one is the top-decile lift
    lift = summary["model"]["decile_lift"]
    assert len(lift) == 10
    assert lift[0] == pytest.approx(result.metrics.loc["model", "top_decile_lift"])
    assert lift[0] > 1 > lift[-1]
    assert sum(lift) / 10 == pytest.approx(1.0, abs=0.05)  # equal-size deciles average to 1
