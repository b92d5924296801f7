"""End to end: generated landing files → `loyalty run` in-process → a real DuckDB warehouse.

Figures are checked against values computed independently from the landing files.
"""

import datetime as dt
import hashlib
import json
import os
import re
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest

from orchestration.generator import GeneratorConfig, generate
from orchestration.lib.contract import (
    CRM_MEMBERS,
    ONLINE_ORDERS,
    POS_TRANSACTIONS,
    SURVEY_RESPONSES,
)
from orchestration.lib.landing import discover, read_as_text
from orchestration.lib.settings import Settings

CFG = GeneratorConfig(members=300, days=40, start=dt.date(2026, 1, 1), seed=5,
                      csv_format="mixed", json_format="mixed", faults=True)


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("e2e")
    # the dbt assets export this run's warehouse and lake to os.environ for dbt: put the
    # environment back afterwards, so no later test in this process inherits them
    saved = dict(os.environ)
    with pytest.MonkeyPatch.context() as mp:
        for name in ("LOYALTY_LANDING_DIR", "LOYALTY_LAKE", "LOYALTY_WAREHOUSE"):
            mp.delenv(name, raising=False)
        mp.setenv("LOYALTY_DATA_DIR", str(root / "data"))
        mp.setenv("DAGSTER_HOME", str(root / "dagster_home"))
        mp.setenv("LOYALTY_PII_KEY", "test-key")
        from orchestration.runner import run_all

        settings = Settings.from_env()
        settings.export_for_dbt()
        generated = generate(CFG, settings.landing_dir)
        first = run_all(settings, log=lambda *_: None)
        yield settings, generated, first, run_all
    os.environ.clear()
    os.environ.update(saved)


def _landing_frame(settings: Settings, dataset, skip: set[str] = frozenset()) -> pd.DataFrame:
    """The dataset's rows as read from the landing files, leaving out files in ``skip``
    and files that cannot be read at all (those are covered by test_ingest)."""
    frames = []
    for f in discover(settings.landing_dir, dataset):
        if f.business_date is None or f.rel_path in skip:
            continue
        try:
            df = read_as_text(f).to_pandas()
            frames.append(df.assign(_file=f.rel_path, _row=range(1, len(df) + 1)))
        except Exception:
            continue
    return pd.concat(frames, ignore_index=True)


def _query(settings: Settings, sql: str, params: dict | None = None) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.execute(sql, params or {}).fetchall()


# What the injected faults legitimately trip, as warnings: points of a member whose register
# row was quarantined, and purchase points of receipts whose lines were quarantined.
EXPECTED_WARNINGS = {"relationships_fct_points_ledger_member_id__member_id__ref_stg_crm__members_",
                     "purchase_points_follow_tier_rules"}


def test_every_asset_is_materialised_and_every_blocking_check_passed(pipeline) -> None:
    settings, _, report, _ = pipeline
    # the store snapshot, the range of days, the unpartitioned models, then scoring
    assert len(report.runs) == 4
    instance = dg.DagsterInstance.get()
    from orchestration.definitions import defs

    graph = defs().resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        assert instance.get_latest_materialization_event(key) is not None, key
    evaluations = [
        e.dagster_event.event_specific_data
        for run_id in report.runs
        for e in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)
    ]
    assert len(evaluations) > 200
    failed = {ev.check_name for ev in evaluations if not ev.passed
              and ev.severity == dg.AssetCheckSeverity.ERROR}
    warned = {ev.check_name for ev in evaluations if not ev.passed
              and ev.severity == dg.AssetCheckSeverity.WARN}
    assert failed == set()
    assert warned <= EXPECTED_WARNINGS
    names = {ev.check_name for ev in evaluations}
    assert {"rows_reconcile", "great_expectations", "unique_dim_members_member_id",
            "points_balance_matches_ledger", "assert_satisfaction_nps_in_range",
            "every_identified_purchase_has_one_journey"} <= names


# Released.describe() in its three forms (orchestration/lib/memory.py)
RELEASE_LOGGED = re.compile(r"back to the system: resident|no memory to hand back|"
                            r"unused memory released")
# the steps that start a memory-capped DuckDB over much data
CAPPED_STEPS = {"dbt_partitioned_models", "dbt_models", "scores__member_scores",
                "serving__loyalty_db"}


def test_the_capped_steps_hand_back_unused_memory_first(pipeline) -> None:
    """Each heavy step logs what the run's process handed back before its DuckDB starts
    (one process runs all the steps of a run: what earlier steps left would otherwise sit
    beside the new engine's cap)."""
    _, _, report, _ = pipeline
    instance = dg.DagsterInstance.get()
    logged = {e.step_key for run_id in report.runs for e in instance.all_logs(run_id)
              if e.dagster_event is None and RELEASE_LOGGED.search(e.user_message or "")}
    assert logged == CAPPED_STEPS


def _planned(instance: dg.DagsterInstance, run_ids: list[str], event_type) -> list:
    return [r.event_log_entry.dagster_event.event_specific_data
            for run_id in run_ids
            for r in instance.get_records_for_run(run_id, of_type=event_type,
                                                  limit=100_000).records]


def test_the_range_run_plans_each_asset_once_and_materialises_every_day(pipeline) -> None:
    """`loyalty run` plans its range run with one event per asset (not one per asset and day,
    which cost 20 minutes of SQLite writes for a year), yet every day is materialised."""
    from orchestration.runner import SUBSET_PLANNED_EVENTS

    settings, _, report, _ = pipeline
    instance = dg.DagsterInstance.get()
    load = report.runs[:-1]
    [range_run] = [r for r in load if "dagster/asset_partition_range_start"
                   in instance.get_run_by_id(r).tags]
    keys = [d.asset_key for d in
            _planned(instance, load, dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED)]
    assert len(keys) == len(set(keys)) > 40
    data = _planned(instance, [range_run], dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED)
    days = {d.isoformat() for d in report.changed_days}
    pos = dg.AssetKey(["pos_transactions"])
    [pos_plan] = [d for d in data if d.asset_key == pos]
    assert set(pos_plan.partitions_subset.get_partition_keys()) == days
    assert instance.get_materialized_partitions(pos) >= days
    lines = dg.AssetKey(["staging", "stg_pos__transaction_lines"])
    assert instance.get_materialized_partitions(lines) >= days
    # the flag does not outlive the run (scheduled daily runs keep per-day planned events)
    assert SUBSET_PLANNED_EVENTS not in os.environ


def test_checks_of_unpartitioned_assets_are_planned_once_not_per_day(pipeline) -> None:
    """A range run plans every check with its whole range, and a check of an unpartitioned
    asset then keeps a "planned" row per day for ever (bench/RESULTS.md, 2026-12-01
    evening): `loyalty run` builds the unpartitioned assets outside the range run."""
    from orchestration.definitions import defs

    _, _, report, _ = pipeline
    instance = dg.DagsterInstance.get()
    graph = defs().resolve_asset_graph()
    planned = _planned(instance, report.runs, dg.DagsterEventType.ASSET_CHECK_EVALUATION_PLANNED)
    unpartitioned = [p for p in planned if graph.get(p.asset_key).partitions_def is None]
    assert len(unpartitioned) > 200
    assert [p.asset_check_key for p in unpartitioned if p.partitions_subset is not None] == []
    # once each
    assert len(unpartitioned) == len({p.asset_check_key for p in unpartitioned})


def test_till_lines_are_all_loaded_or_quarantined(pipeline) -> None:
    settings, _, _, _ = pipeline
    rejected = _query(settings, "select path, reason from ops.ingest_ledger "
                                "where status = 'rejected' order by path")
    landing = _landing_frame(settings, POS_TRANSACTIONS, skip={p for p, _ in rejected})
    [(loaded,)] = _query(settings, "select count(*) from raw.pos_transactions")
    [(quarantined,)] = _query(settings, "select count(*) from quarantine.pos_transactions")
    assert loaded + quarantined == len(landing)
    assert quarantined >= 8  # the injected bad rows
    [(staged,)] = _query(settings, "select count(*) from staging.stg_pos__transaction_lines")
    assert staged == loaded
    assert any("corrupt_gzip" in r for _, r in rejected)
    assert any("2025-13-45" in p and "bad_file_name" in r for p, r in rejected)
    assert any("semicolon" in p and "wrong_delimiter" in r for p, r in rejected)


def _kept(settings: Settings, dataset, frame: pd.DataFrame) -> pd.DataFrame:
    """The landing rows the warehouse loaded: quarantined rows left out."""
    refused = set(_query(settings, f"select source_file, source_row "
                                   f"from quarantine.{dataset.name}"))
    return frame[[(f, r) not in refused
                  for f, r in zip(frame["_file"], frame["_row"], strict=True)]]


def _online_net_by_account(settings: Settings, skip: set[str]) -> pd.Series:
    """Net item spend per account from the order files: the latest version of each order
    counts, cancelled orders count nothing, a returned order nets to zero."""
    orders = _kept(settings, ONLINE_ORDERS, _landing_frame(settings, ONLINE_ORDERS, skip))
    orders = orders.assign(at=pd.to_datetime(orders["status_updated_at"], utc=True))
    latest = orders.sort_values(["at", "_file", "_row"]).drop_duplicates("order_id", keep="last")
    latest = latest[~latest["status"].str.lower().isin(["cancelled", "returned"])]
    net = latest["items"].map(lambda items: sum(
        float(i["quantity"]) * float(i["unit_price"]) - float(i.get("discount_amount") or 0)
        for i in json.loads(items)))
    return net.groupby(latest["account_id"]).sum()


def test_member_spend_matches_the_landing_files(pipeline) -> None:
    """Till lines by card plus online orders by account, computed from the landing files
    with pandas, equal each member's lifetime net spend in dim_members."""
    settings, _, _, _ = pipeline
    rejected = {p for (p,) in _query(settings, "select path from ops.ingest_ledger "
                                               "where status = 'rejected'")}
    lines = _kept(settings, POS_TRANSACTIONS,
                  _landing_frame(settings, POS_TRANSACTIONS, skip=rejected))
    # members whose only register row was refused are unknown to the warehouse
    members = _kept(settings, CRM_MEMBERS, _landing_frame(settings, CRM_MEMBERS))
    members = members.drop_duplicates("member_id", keep="last")
    card_to_member = dict(zip(members["card_id"], members["member_id"], strict=True))
    with_account = members[members["online_account_id"].fillna("").str.strip() != ""]
    account_to_member = with_account.set_index("online_account_id")["member_id"]
    lines = lines.assign(amount=pd.to_numeric(lines["net_amount"]),
                         member_id=lines["member_card_id"].map(card_to_member))
    till = lines.dropna(subset=["member_id"]).groupby("member_id")["amount"].sum()
    online = _online_net_by_account(settings, rejected)
    online.index = online.index.map(account_to_member)
    online = online[online.index.notna()].groupby(level=0).sum()
    expected = till.add(online, fill_value=0)
    got = dict(_query(settings, "select member_id, lifetime_net_spend from marts.dim_members"))
    assert len(till) > 100 and len(online) > 50
    for member_id, amount in expected.items():
        assert float(got[member_id]) == pytest.approx(amount, abs=0.01), member_id
    no_purchase = set(got) - set(expected.index)
    assert all(float(got[m]) == 0 for m in no_purchase)


def test_one_row_per_register_member_and_no_personal_data_downstream(pipeline) -> None:
    settings, _, _, _ = pipeline
    members = _landing_frame(settings, CRM_MEMBERS)
    refused = set(_query(settings, "select source_file, source_row from quarantine.crm_members"))
    assert refused  # the injected faults
    kept = [(f, r) not in refused for f, r in zip(members["_file"], members["_row"], strict=True)]
    valid_ids = set(members.loc[kept, "member_id"])
    [(n,)] = _query(settings, "select count(*) from marts.dim_members")
    assert n == len(valid_ids)
    pii = set()
    for col in ("email", "phone", "full_name", "birth_date"):
        pii |= {v for v in members[col].dropna() if len(v) >= 6}
    assert len(pii) > 500
    # what respondents typed: e-mails everywhere but staging's hashes, comments past staging
    surveys = _landing_frame(settings, SURVEY_RESPONSES)
    pii |= {v for v in surveys["email"].dropna() if len(v) >= 6}
    comments = {v for v in surveys["comment"].dropna() if len(v) >= 6}
    assert comments
    tables = _query(settings, "select table_schema, table_name from information_schema.tables "
                              "where table_schema in ('staging', 'intermediate', 'marts', "
                              "'incremental_state', 'scores', 'outputs')")
    for schema, table in tables:
        cols = [c for (c,) in _query(
            settings, "select column_name from information_schema.columns where "
                      "table_schema = $s and table_name = $t and data_type in ('VARCHAR', 'DATE')",
            {"s": schema, "t": table})]
        forbidden = pii if schema == "staging" else pii | comments
        for col in cols:
            values = {v for (v,) in _query(settings, f'select distinct cast("{col}" as varchar) '
                                                     f'from "{schema}"."{table}"')}
            assert not values & forbidden, f"{schema}.{table}.{col} holds personal data"

    # what BI tools read: every table of the serving file, and the report page
    serving = settings.serving_dir / "loyalty.duckdb"
    with duckdb.connect(str(serving), read_only=True) as con:
        columns = con.execute("select table_schema, table_name, column_name "
                              "from information_schema.columns "
                              "where data_type in ('VARCHAR', 'DATE')").fetchall()
        assert {s for s, _, _ in columns} >= {"marts", "scores", "outputs"}
        for schema, table, col in columns:
            values = {v for (v,) in con.execute(
                f'select distinct cast("{col}" as varchar) from "{schema}"."{table}"'
            ).fetchall()}
            assert not values & (pii | comments), f"serving {schema}.{table}.{col} holds PII"
        assert con.execute("select count(*) from marts.dim_members").fetchone()[0] == n
    page = (settings.serving_dir / "report.html").read_text()
    assert not [v for v in pii | comments if v in page]


def test_scores_and_segments_for_the_latest_day(pipeline) -> None:
    settings, _, report, _ = pipeline
    last = report.days[-1]
    rows = _query(settings, "select count(*), count(distinct member_id), min(as_of_date), "
                            "max(as_of_date) from scores.member_rfm")
    assert rows == [(report.members_scored, report.members_scored, last, last)]
    # members scored = members with a purchase (till or online) in the 365 days to the as-of date
    [(buyers,)] = _query(settings, "select count(distinct member_id) from "
                                   "marts.fct_member_daily_sales where purchases > 0 "
                                   "and sales_date <= $d", {"d": last})
    assert report.members_scored == buyers > 50
    segments = dict(_query(settings, "select rfm_segment, count(*) from "
                                     "outputs.member_segments group by 1"))
    assert sum(segments.values()) == buyers
    assert {"Champions", "Hibernating"} <= set(segments)
    missing_action = _query(settings, "select count(*) from outputs.member_segments "
                                      "where next_best_action is null")
    assert missing_action == [(0,)]


def _fingerprint(settings: Settings) -> dict[str, str]:
    out = {}
    for schema, table in _query(settings, "select table_schema, table_name from "
                                          "information_schema.tables where table_type = "
                                          "'BASE TABLE' order by 1, 2"):
        rows = _query(settings, f'select * from "{schema}"."{table}" order by all')
        out[f"{schema}.{table}"] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return out


def test_running_again_changes_nothing(pipeline) -> None:
    settings, _, first, run_all = pipeline
    before = _fingerprint(settings)
    lake_files = sorted(p.stat().st_mtime_ns for p in Path(settings.lake_dir, "raw").rglob("*"))
    again = run_all(settings, log=lambda *_: None)
    assert again.runs == [] and again.changed_days == []
    # the summary counts views too (after a Spark build every mart is one)
    assert again.counts == first.counts and again.counts["marts.fct_touchpoints"] > 0
    assert _fingerprint(settings) == before
    assert sorted(p.stat().st_mtime_ns
                  for p in Path(settings.lake_dir, "raw").rglob("*")) == lake_files


def _till_lines_of(settings: Settings, day: dt.date) -> tuple[int, int]:
    """Till lines of ``day`` in staging (loaded by the range run) and in int_sales_lines (a
    member-level model rebuilt after it)."""
    return _query(settings, "select (select count(*) from staging.stg_pos__transaction_lines "
                            "where transaction_date = $d), (select count(*) from "
                            "intermediate.int_sales_lines where sales_source = 'pos' and "
                            "sales_date = $d)", {"d": day})[0]


def test_models_left_older_than_their_days_are_rebuilt_by_the_next_run(
        pipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    """A day is re-delivered and loads, then the process dies before the member-level
    models are rebuilt over it: the next `loyalty run` finds no landing change, and must
    still rebuild them and score again. (Runs last: it changes the landing folder.)"""
    import orchestration.runner as runner

    settings, _, _, run_all = pipeline
    redelivered = next(f for f in discover(settings.landing_dir, POS_TRANSACTIONS)
                       if f.business_date and f.path.name == f"{f.business_date}.csv")
    day = redelivered.business_date
    lines = pd.read_csv(redelivered.path, dtype=str, keep_default_na=False)
    assert _till_lines_of(settings, day) == (len(lines), len(lines))
    lines.iloc[:-1].to_csv(redelivered.path, index=False)  # the last line withdrawn

    real = runner._execute

    def dies_before_the_models(job, instance, keys, **kwargs):
        if any(k.path[-1] == "int_sales_lines" for k in keys):
            raise RuntimeError("the process died")
        return real(job, instance, keys, **kwargs)

    monkeypatch.setattr(runner, "_execute", dies_before_the_models)
    with pytest.raises(RuntimeError, match="died"):
        run_all(settings, log=lambda *_: None)
    monkeypatch.undo()
    # the day is loaded, the model still holds the withdrawn line
    assert _till_lines_of(settings, day) == (len(lines) - 1, len(lines))

    said: list[str] = []
    again = run_all(settings, log=said.append)
    assert again.changed_days == [] and len(again.runs) == 2  # the models, then scoring
    assert _till_lines_of(settings, day) == (len(lines) - 1, len(lines) - 1)
    assert any("older than the days they read" in s for s in said)
    # and once rebuilt, nothing is left to do
    assert run_all(settings, log=lambda *_: None).runs == []
