"""RFM scoring: recency, frequency and monetary value as of a date, scored 1-5.

Scores are quintiles of the members who bought in the scoring window (ties share a score).
The segment comes from the business-editable grid (dbt seed ``rfm_segments``), keyed by
the recency score and the rounded mean of the frequency and monetary scores.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

WINDOW_DAYS = 365

COLUMNS = [
    "member_id", "as_of_date", "recency_days", "frequency", "monetary",
    "recency_score", "frequency_score", "monetary_score", "frequency_monetary_score",
    "rfm_cell", "rfm_segment",
]


def quintile_score(values: pd.Series, higher_is_better: bool = True) -> pd.Series:
    """1-5 by percentile rank; equal values get equal scores."""
    pct = values.rank(pct=True, method="max", ascending=higher_is_better)
    return np.clip(np.ceil(pct * 5), 1, 5).astype("int64")


def rfm_scores(daily: pd.DataFrame, as_of: dt.date, grid: pd.DataFrame,
               window_days: int = WINDOW_DAYS) -> pd.DataFrame:
    """Score every member with at least one purchase in ``(as_of - window_days, as_of]``.

    ``daily`` has one row per member and day: member_id, sales_date, purchases, net_spend.
    ``grid`` has recency_score, frequency_monetary_score, rfm_segment.
    """
    start = as_of - dt.timedelta(days=window_days)
    dates = pd.to_datetime(daily["sales_date"]).dt.date
    window = daily[(dates > start) & (dates <= as_of)].copy()
    window["sales_date"] = pd.to_datetime(window["sales_date"])
    bought = window[window["purchases"] > 0]
    if bought.empty:
        return pd.DataFrame(columns=COLUMNS)
    last = bought.groupby("member_id")["sales_date"].max()
    agg = window.groupby("member_id").agg(frequency=("purchases", "sum"),
                                          monetary=("net_spend", "sum"))
    agg = agg.loc[last.index]
    agg["monetary"] = agg["monetary"].astype(float)
    agg["recency_days"] = (pd.Timestamp(as_of) - last).dt.days.astype("int64")
    agg["recency_score"] = quintile_score(agg["recency_days"], higher_is_better=False)
    agg["frequency_score"] = quintile_score(agg["frequency"])
    agg["monetary_score"] = quintile_score(agg["monetary"])
    # half up, so (4 + 5) / 2 = 4.5 scores 5
    agg["frequency_monetary_score"] = np.floor(
        (agg["frequency_score"] + agg["monetary_score"]) / 2 + 0.5).astype("int64")
    agg["rfm_cell"] = (agg["recency_score"].astype(str) + agg["frequency_score"].astype(str)
                       + agg["monetary_score"].astype(str))
    out = agg.reset_index().merge(
        grid[["recency_score", "frequency_monetary_score", "rfm_segment"]],
        on=["recency_score", "frequency_monetary_score"], how="left", validate="many_to_one")
    missing = out["rfm_segment"].isna()
    if missing.any():
        cells = sorted(set(zip(out.loc[missing, "recency_score"],
                               out.loc[missing, "frequency_monetary_score"], strict=True)))
        raise ValueError(f"the RFM grid has no segment for (recency, frequency-monetary) {cells}")
    out["as_of_date"] = as_of
    out["frequency"] = out["frequency"].astype("int64")
    return out[COLUMNS].sort_values("member_id").reset_index(drop=True)
