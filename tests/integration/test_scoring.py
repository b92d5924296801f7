"""Scoring and outputs on half a year of generated data: real dbt marts, the real scoring
assets materialised by Dagster for two as-of dates, and the files of the CRM export.

Half a year is the least that trains a churn model: its backtest needs two 90-day horizons
before the fit date."""

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest

from orchestration.generator import GeneratorConfig, generate
from orchestration.lib.lake import Lake
from orchestration.lib.settings import Settings
from orchestration.lib.storage import LoyaltyStorage
from orchestration.lib.warehouse import connect, ensure_lake_views
from tests.lake_helpers import ingest_landing

DBT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
CFG = GeneratorConfig(members=400, days=200, start=dt.date(2025, 6, 2), seed=21)
LAST = CFG.start + dt.timedelta(days=CFG.days - 1)
PII_COLUMNS = {"email", "phone", "full_name", "birth_date", "postcode", "comment"}


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("scoring")
    settings = Settings.from_env({"LOYALTY_DATA_DIR": str(root / "data"),
                                  "LOYALTY_PII_KEY": "test-key"})
    generate(CFG, settings.landing_dir)
    lake = Lake(settings.lake_dir)
    ingest_landing(settings.landing_dir, lake)
    with connect(settings.warehouse_path) as con:
        ensure_lake_views(con, lake)
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "build", "--profiles-dir", ".",
         "--target-path", str(root / "target"), "--log-path", str(root / "logs")],
        cwd=DBT_DIR, env={**os.environ, **settings.dbt_env()}, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-4000:]

    from orchestration.defs.outputs.churn_risk import churn_risk
    from orchestration.defs.outputs.crm_export import crm_export
    from orchestration.defs.outputs.segments import member_segments
    from orchestration.defs.outputs.tier_nudges import tier_nudges
    from orchestration.defs.quality.output_checks import output_checks
    from orchestration.defs.scoring import member_scores as scoring
    from orchestration.defs.scoring.rfm import member_rfm

    assets = [member_rfm, scoring.member_scores, member_segments, churn_risk, crm_export,
              tier_nudges]
    checks = [scoring.member_scores_suite, scoring.score_drift,
              scoring.churn_model_beats_baselines, *output_checks]
    storage = LoyaltyStorage.from_settings(settings)
    with dg.instance_for_test() as instance:
        results = [dg.materialize([*assets, *checks], partition_key=day.isoformat(),
                                  resources={"storage": storage}, instance=instance)
                   for day in (LAST - dt.timedelta(days=1), LAST, LAST)]
    yield settings, results


def _frame(settings: Settings, sql: str, params: dict | None = None) -> pd.DataFrame:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.execute(sql, params or {}).fetchdf()


def test_every_check_passed(scored) -> None:
    _, results = scored
    for result in results:
        evaluations = result.get_asset_check_evaluations()
        assert len(evaluations) == 5
        failed = [e.check_name for e in evaluations
                  if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR]
        assert failed == []


def test_every_member_gets_all_scores_and_the_models_that_made_them(scored) -> None:
    settings, _ = scored
    scores = _frame(settings, "select * from scores.member_scores where as_of_date = $d",
                    {"d": LAST})
    rfm = _frame(settings, "select member_id from scores.member_rfm where as_of_date = $d",
                 {"d": LAST})
    assert len(scores) == len(rfm) > 100
    for column in ("loyalty_index", "probability_alive", "clv_12m", "clv_12m_p90",
                   "churn_probability", "churn_risk_band", "churn_reasons", "value_band",
                   "clv_model_version", "churn_model_version"):
        assert scores[column].notna().all(), column
    # the weekly refit: both as-of dates of the same week use the same models
    fit_monday = LAST - dt.timedelta(days=LAST.weekday())
    assert scores["churn_model_version"].str.contains(fit_monday.isoformat()).all()
    registry = _frame(settings, "select * from scores.model_registry")
    assert set(registry["model_name"]) == {"clv_bgnbd_gamma_gamma", "churn_logistic"}


def test_the_backtest_compares_the_model_with_both_baselines(scored) -> None:
    settings, _ = scored
    [backtest] = _frame(settings, "select backtest from scores.model_registry "
                                  "where model_name = 'churn_logistic'")["backtest"]
    metrics = pd.read_json(pd.io.common.StringIO(backtest))
    assert set(metrics.columns) == {"model", "recency", "bgnbd"}
    assert {"roc_auc", "pr_auc", "brier", "top_decile_lift"} <= set(metrics.index)
    assert metrics.loc["members"].nunique() == 1  # the same held-out members for all three
    assert 0.5 < metrics.loc["roc_auc", "model"] <= 1


def test_rescoring_a_day_gives_the_same_numbers(scored) -> None:
    settings, _ = scored
    history = _frame(settings, "select as_of_date, count(*) as n from scores.member_scores "
                               "group by 1 order by 1")
    assert list(history["as_of_date"].dt.date) == [LAST - dt.timedelta(days=1), LAST]
    # the last day was materialised twice; the table holds one row per member and day
    dupes = _frame(settings, "select count(*) as n from (select member_id, as_of_date "
                             "from scores.member_scores group by all having count(*) > 1)")
    assert dupes["n"][0] == 0


def test_churn_risk_is_ranked_by_value_at_risk(scored) -> None:
    settings, _ = scored
    risk = _frame(settings, "select * from outputs.churn_risk where as_of_date = $d "
                            "order by risk_rank", {"d": LAST})
    assert list(risk["risk_rank"]) == list(range(1, len(risk) + 1))
    assert risk["value_at_risk"].is_monotonic_decreasing
    expected = (risk["churn_probability"] * risk["clv_12m"]).round(2)
    assert (risk["value_at_risk"].astype(float) - expected).abs().max() < 0.01
    assert risk["next_best_action"].notna().all()


def test_the_tier_nudges_of_the_last_day_are_an_output(scored) -> None:
    settings, _ = scored
    nudges = _frame(settings, "select as_of_date, count(*) as n, count(next_best_action) as "
                              "with_action from outputs.tier_nudges group by 1")
    mart = _frame(settings, "select count(*) as n from marts.tier_nudges")
    # the mart is as of the last day with sales: only that as-of date has a list
    assert list(nudges["as_of_date"].dt.date) == [LAST]
    assert nudges["n"][0] == mart["n"][0] > 0
    # a nudged member without an action is one not scored (no purchase in 365 days)
    unscored = _frame(settings, "select count(*) as n from outputs.tier_nudges where "
                                "member_id not in (select member_id from scores.member_scores "
                                "where as_of_date = $d)", {"d": LAST})
    assert nudges["with_action"][0] == nudges["n"][0] - unscored["n"][0]


def test_the_crm_export_holds_consented_members_and_no_personal_data(scored) -> None:
    settings, _ = scored
    folder = settings.exports_dir / LAST.isoformat()
    csv = pd.read_csv(folder / "member_actions.csv")
    parquet = pd.read_parquet(folder / "member_actions.parquet")
    assert len(csv) == len(parquet) > 0
    consented = _frame(settings, "select member_id from outputs.member_segments where "
                                 "as_of_date = $d and has_marketing_consent "
                                 "and next_best_action != 'no_action'", {"d": LAST})
    assert sorted(csv["member_id"]) == sorted(consented["member_id"])
    assert not PII_COLUMNS & {c.lower() for c in csv.columns}
    assert not list(folder.glob(".*"))  # no temporary file left behind
