"""Member scores as of a date: RFM, loyalty index, expected value (BG/NBD + Gamma-Gamma)
and churn probability, in one row per member (``scores.member_scores``).

Models are refitted weekly: the scores of any day use the models fitted with the data up to
the Monday of that day's week (the *fit date*), so a backfill of a week re-uses one fit and a
re-run of a day reproduces the same numbers. Every row names the model versions it used.
Nothing here reads data dated after the as-of date.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass, field

import duckdb
import numpy as np
import pandas as pd

from . import churn, clv
from .loyalty_index import loyalty_index
from .purchase_history import purchase_history

CLV_HORIZON_DAYS = 365
CHURN_HORIZON_DAYS = 90
# Fewer repeat buyers than this and a BG/NBD fit says more about the prior than the data.
MIN_REPEAT_BUYERS = 30
VALUE_BANDS = ("low", "medium", "high")

SCORE_COLUMNS = {
    "member_id": "varchar not null",
    "as_of_date": "date not null",
    "recency_days": "integer",
    "frequency": "integer",
    "monetary": "decimal(18, 2)",
    "rfm_cell": "varchar",
    "rfm_segment": "varchar",
    "satisfaction_score": "double",
    "trust_score": "double",
    "emotion_score": "double",
    "loyalty_index": "double",
    "has_survey_signal": "boolean",
    "probability_alive": "double",
    "expected_purchases_90d": "double",
    "expected_purchases_365d": "double",
    "expected_average_spend": "double",
    "clv_12m": "double",
    "clv_12m_p10": "double",
    "clv_12m_p90": "double",
    "value_band": "varchar",
    "churn_probability": "double",
    "churn_risk_band": "varchar",
    "churn_reasons": "varchar",
    "clv_model_version": "varchar",
    "churn_model_version": "varchar",
}



def fit_date(as_of: dt.date) -> dt.date:
    """The Monday of the as-of date's week: the data cut-off of the models used that day."""
    return as_of - dt.timedelta(days=as_of.weekday())


def _version(name: str, cut_off: dt.date, payload: dict) -> str:
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode())
    return f"{name}-{cut_off.isoformat()}-{digest.hexdigest()[:8]}"


@dataclass
class ValueModel:
    """BG/NBD and Gamma-Gamma parameters fitted on the data up to ``cut_off`` (days)."""

    cut_off: dt.date
    bgnbd: clv.BgNbdParams
    gamma_gamma: clv.GammaGammaParams
    version: str

    def registry_row(self) -> dict:
        return {"model_name": "clv_bgnbd_gamma_gamma", "model_version": self.version,
                "fitted_as_of": self.cut_off,
                "parameters": json.dumps({"bgnbd": asdict(self.bgnbd),
                                          "gamma_gamma": asdict(self.gamma_gamma),
                                          "time_unit": "day"}),
                "backtest": None}


def fit_value_model(con: duckdb.DuckDBPyConnection, cut_off: dt.date) -> ValueModel | None:
    """None when the data has too few repeat buyers to fit (say so, do not guess)."""
    history = purchase_history(con, cut_off)
    repeat = history[(history["frequency"] > 0) & (history["monetary_value"] > 0)]
    if len(repeat) < MIN_REPEAT_BUYERS:
        return None
    bgnbd = clv.fit_bgnbd(history["frequency"].to_numpy(), history["recency"].to_numpy(),
                          history["age"].to_numpy())
    gamma_gamma = clv.fit_gamma_gamma(repeat["frequency"].to_numpy(),
                                      repeat["monetary_value"].to_numpy())
    version = _version("clv", cut_off, {"bgnbd": asdict(bgnbd), "gg": asdict(gamma_gamma)})
    return ValueModel(cut_off, bgnbd, gamma_gamma, version)


def value_scores(con: duckdb.DuckDBPyConnection, model: ValueModel,
                 as_of: dt.date) -> pd.DataFrame:
    history = purchase_history(con, as_of)
    f, r, t = (history[c].to_numpy(dtype=float) for c in ("frequency", "recency", "age"))
    # Repeat purchases that net to nothing or less (returns) have no Gamma-Gamma spend:
    # such members are valued at the population's mean spend per purchase.
    gg = model.gamma_gamma
    population_mean = gg.p * gg.v / (gg.q - 1)
    monetary = history["monetary_value"].to_numpy(dtype=float)
    monetary = np.where((f > 0) & (monetary > 0), monetary, population_mean)
    value = clv.clv_with_interval(model.bgnbd, gg, f, r, t, monetary,
                                  horizon=CLV_HORIZON_DAYS)
    out = pd.DataFrame(index=history.index)
    out["probability_alive"] = value["prob_alive"].to_numpy()
    out["expected_purchases_90d"] = clv.expected_purchases(model.bgnbd, 90, f, r, t)
    out["expected_purchases_365d"] = value["expected_purchases"].to_numpy()
    out["expected_average_spend"] = value["expected_avg_spend"].to_numpy()
    out["clv_12m"] = value["clv"].to_numpy()
    out["clv_12m_p10"] = value["clv_p10"].to_numpy()
    out["clv_12m_p90"] = value["clv_p90"].to_numpy()
    return out


@dataclass
class ChurnModel:
    cut_off: dt.date
    result: churn.BacktestResult
    version: str = field(init=False)

    def __post_init__(self) -> None:
        self.version = self.result.model_version

    def registry_row(self) -> dict:
        return {"model_name": "churn_logistic", "model_version": self.version,
                "fitted_as_of": self.cut_off,
                "parameters": json.dumps(self.result.parameters(), default=float),
                "backtest": json.dumps(self.result.backtest_summary(), default=float)}


def fit_churn_model(con: duckdb.DuckDBPyConnection, cut_off: dt.date,
                    first_sales_date: dt.date) -> ChurnModel | None:
    """None when the data is shorter than the two horizons the time split needs."""
    if cut_off - dt.timedelta(days=2 * CHURN_HORIZON_DAYS) <= first_sales_date:
        return None
    return ChurnModel(cut_off, churn.train_and_backtest(con, cut_off, CHURN_HORIZON_DAYS))


def value_band(clv_values: pd.Series) -> pd.Series:
    """Terciles of 12-month CLV among the members scored that day."""
    ranks = clv_values.rank(pct=True, method="average")
    return pd.Series(np.select([ranks <= 1 / 3, ranks <= 2 / 3], ["low", "medium"], "high"),
                     index=clv_values.index).where(clv_values.notna())


def member_scores(con: duckdb.DuckDBPyConnection, as_of: dt.date, rfm: pd.DataFrame,
                  value_model: ValueModel | None,
                  churn_model: ChurnModel | None) -> pd.DataFrame:
    """Every RFM-scored member as of ``as_of`` with all scores; missing models give nulls."""
    scores = rfm.set_index("member_id")[["recency_days", "frequency", "monetary", "rfm_cell",
                                         "rfm_segment"]]
    index = loyalty_index(con, as_of).set_index("member_id").drop(columns="as_of_date")
    scores = scores.join(index, how="left")
    if value_model is not None:
        scores = scores.join(value_scores(con, value_model, as_of), how="left")
        scores["value_band"] = value_band(scores["clv_12m"])
    if churn_model is not None:
        features = churn.member_features(con, as_of)
        scored = churn.score_members(churn_model.result, features)
        scores = scores.join(scored[["churn_probability", "risk_band", "top_reasons"]]
                             .rename(columns={"risk_band": "churn_risk_band",
                                              "top_reasons": "churn_reasons"}), how="left")
    scores["clv_model_version"] = value_model.version if value_model else None
    scores["churn_model_version"] = churn_model.version if churn_model else None
    scores["as_of_date"] = as_of
    out = scores.reset_index()
    for column in SCORE_COLUMNS:
        if column not in out:
            out[column] = None
    return out[list(SCORE_COLUMNS)]
