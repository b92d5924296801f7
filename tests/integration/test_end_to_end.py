"""End to end: generated landing files → `loyalty run` in-process → a real DuckDB warehouse.

Figures are checked against values computed independently from the landing files.
"""

import datetime as dt
import hashlib
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest

from orchestration.generator import GeneratorConfig, generate
from orchestration.lib.contract import CRM_MEMBERS, POS_TRANSACTIONS
from orchestration.lib.landing import discover, read_as_text
from orchestration.lib.settings import Settings

CFG = GeneratorConfig(members=300, days=40, start=dt.date(2026, 1, 1), seed=5,
                      csv_format="mixed", json_format="mixed", faults=True)


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("e2e")
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


def test_every_asset_is_materialised_and_every_check_passed(pipeline) -> None:
    settings, _, report, _ = pipeline
    assert len(report.runs) == 2
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
    assert len(evaluations) > 20
    assert all(ev.passed for ev in evaluations), [ev.check_name for ev in evaluations
                                                  if not ev.passed]
    names = {ev.check_name for ev in evaluations}
    assert {"rows_reconcile", "great_expectations", "unique_dim_members_member_id"} <= names


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


def test_member_spend_matches_the_landing_files(pipeline) -> None:
    settings, _, _, _ = pipeline
    rejected = {p for (p,) in _query(settings, "select path from ops.ingest_ledger "
                                               "where status = 'rejected'")}
    lines = _landing_frame(settings, POS_TRANSACTIONS, skip=rejected)
    refused = set(_query(settings, "select source_file, source_row "
                                   "from quarantine.pos_transactions"))
    kept = [(f, r) not in refused for f, r in zip(lines["_file"], lines["_row"], strict=True)]
    lines = lines[kept]
    # members whose only register row was refused are unknown to the warehouse
    members = _landing_frame(settings, CRM_MEMBERS)
    refused_members = set(_query(settings, "select source_file, source_row "
                                           "from quarantine.crm_members"))
    members = members[[(f, r) not in refused_members
                       for f, r in zip(members["_file"], members["_row"], strict=True)]]
    members = members.drop_duplicates("member_id", keep="last")
    card_to_member = dict(zip(members["card_id"], members["member_id"], strict=True))
    lines = lines.assign(amount=pd.to_numeric(lines["net_amount"]),
                         member_id=lines["member_card_id"].map(card_to_member))
    expected = lines.dropna(subset=["member_id"]).groupby("member_id")["amount"].sum()
    got = dict(_query(settings, "select member_id, lifetime_net_spend from marts.dim_members"))
    assert len(expected) > 100
    for member_id, amount in expected.items():
        assert float(got[member_id]) == pytest.approx(amount, abs=0.005), member_id
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
    tables = _query(settings, "select table_schema, table_name from information_schema.tables "
                              "where table_schema in ('staging', 'intermediate', 'marts', "
                              "'scores', 'outputs')")
    for schema, table in tables:
        cols = [c for (c,) in _query(
            settings, "select column_name from information_schema.columns where "
                      "table_schema = $s and table_name = $t and data_type = 'VARCHAR'",
            {"s": schema, "t": table})]
        for col in cols:
            values = {v for (v,) in _query(settings, f'select distinct "{col}" from '
                                                     f'"{schema}"."{table}"')}
            assert not values & pii, f"{schema}.{table}.{col} holds personal data"


def test_scores_and_segments_for_the_latest_day(pipeline) -> None:
    settings, _, report, _ = pipeline
    last = report.days[-1]
    rows = _query(settings, "select count(*), count(distinct member_id), min(as_of_date), "
                            "max(as_of_date) from scores.member_rfm")
    assert rows == [(report.members_scored, report.members_scored, last, last)]
    # members scored = members with a purchase receipt in the 365 days to the as-of date
    [(buyers,)] = _query(settings, "select count(distinct member_id) from "
                                   "marts.fct_member_daily_sales where receipts > 0 "
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
    settings, _, _, run_all = pipeline
    before = _fingerprint(settings)
    lake_files = sorted(p.stat().st_mtime_ns for p in Path(settings.lake_dir, "raw").rglob("*"))
    again = run_all(settings, log=lambda *_: None)
    assert again.runs == [] and again.changed_days == []
    assert _fingerprint(settings) == before
    assert sorted(p.stat().st_mtime_ns
                  for p in Path(settings.lake_dir, "raw").rglob("*")) == lake_files
