"""Pictures of the key figures, drawn from the serving file: NPS trend, cohort retention
heatmap, segment sizes and the churn model's lift chart. Each is a PNG; together they make
one self-contained HTML page. Only aggregates are drawn: no member appears in a picture."""

from __future__ import annotations

import base64
import html
import io
import json
from dataclasses import dataclass

import duckdb
import matplotlib

matplotlib.use("Agg")  # no display: files only
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402


@dataclass(frozen=True)
class Figure:
    name: str
    title: str
    caption: str
    png: bytes

    def markdown(self) -> str:
        data = base64.b64encode(self.png).decode()
        return f"![{self.title}](data:image/png;base64,{data})"


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def nps_trend(con: duckdb.DuckDBPyConnection) -> Figure | None:
    df = con.execute("""
        select response_month, dimension_value as channel, nps, nps_responses
        from marts.satisfaction_monthly
        where dimension_type in ('all', 'channel') and not is_small_sample
        order by response_month""").fetchdf()
    if df.empty:
        return None
    fig, ax = plt.subplots(figsize=(8, 3.5))
    for channel, part in df.groupby("channel"):
        ax.plot(part["response_month"], part["nps"], marker="o",
                linewidth=3 if channel == "all" else 1.2, label=channel)
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.set_ylabel("NPS")
    ax.legend(fontsize=8, ncol=4)
    return Figure("nps_trend", "NPS by month", "Net promoter score by month, overall and by "
                  "channel (months with too few answers left out).", _png(fig))


def cohort_heatmap(con: duckdb.DuckDBPyConnection) -> Figure | None:
    df = con.execute("""
        select cohort_month, months_since_first_purchase, retention_rate
        from marts.member_cohort_retention where not is_left_censored""").fetchdf()
    if df.empty:
        return None
    grid = df.pivot(index="cohort_month", columns="months_since_first_purchase",
                    values="retention_rate").sort_index()
    fig, ax = plt.subplots(figsize=(8, 0.3 * len(grid) + 1.5))
    image = ax.imshow(grid.to_numpy(dtype=float), aspect="auto", cmap="viridis", vmin=0, vmax=1)
    ax.set_yticks(range(len(grid)), [f"{m:%Y-%m}" for m in pd.to_datetime(grid.index)],
                  fontsize=7)
    ax.set_xticks(range(len(grid.columns)), grid.columns, fontsize=7)
    ax.set_xlabel("months since first purchase")
    fig.colorbar(image, ax=ax, label="share of the cohort active")
    return Figure("cohort_retention", "Cohort retention", "Share of each first-purchase "
                  "cohort that buys again, by months since the first purchase.", _png(fig))


def segment_sizes(con: duckdb.DuckDBPyConnection) -> Figure | None:
    df = con.execute("""
        select rfm_segment, count(*) as members from outputs.member_segments
        where as_of_date = (select max(as_of_date) from outputs.member_segments)
        group by 1 order by 2""").fetchdf()
    if df.empty:
        return None
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(df) + 1))
    ax.barh(df["rfm_segment"], df["members"])
    for y, n in enumerate(df["members"]):
        ax.text(n, y, f" {n:,}", va="center", fontsize=8)
    ax.set_xlabel("members")
    return Figure("segment_sizes", "Segment sizes", "Members per RFM segment on the latest "
                  "as-of date.", _png(fig))


def churn_lift(con: duckdb.DuckDBPyConnection) -> Figure | None:
    rows = con.execute("""
        select fitted_as_of, backtest from scores.model_registry
        where model_name = 'churn_logistic' and backtest is not null
        order by fitted_as_of desc limit 1""").fetchall()
    if not rows:
        return None
    fit_date, backtest = rows[0]
    scorers = {k: v["decile_lift"] for k, v in json.loads(backtest).items() if "decile_lift" in v}
    if not scorers:
        return None
    fig, ax = plt.subplots(figsize=(8, 3.5))
    width = 0.8 / len(scorers)
    for i, (name, lift) in enumerate(scorers.items()):
        ax.bar(np.arange(1, 11) + (i - (len(scorers) - 1) / 2) * width, lift, width, label=name)
    ax.axhline(1, color="grey", linewidth=0.8)
    ax.set_xticks(range(1, 11))
    ax.set_xlabel("decile of churn score (1 = highest)")
    ax.set_ylabel("lift (churn rate / average)")
    ax.legend(fontsize=8)
    return Figure("churn_lift", "Churn lift", f"Backtest of the model fitted {fit_date}: churn "
                  "rate of each score decile over the average, model vs the recency and "
                  "BG/NBD baselines.", _png(fig))


FIGURES = (nps_trend, cohort_heatmap, segment_sizes, churn_lift)


def draw_all(con: duckdb.DuckDBPyConnection) -> list[Figure]:
    return [f for f in (draw(con) for draw in FIGURES) if f is not None]


def html_page(figures: list[Figure], title: str, subtitle: str) -> str:
    sections = "\n".join(
        f"<section><h2>{html.escape(f.title)}</h2><p>{html.escape(f.caption)}</p>"
        f"<img alt=\"{html.escape(f.title)}\" src=\"data:image/png;base64,"
        f"{base64.b64encode(f.png).decode()}\"></section>" for f in figures)
    return (f"<!doctype html><html><head><meta charset=\"utf-8\"><title>{html.escape(title)}"
            "</title><style>body{font-family:sans-serif;max-width:60em;margin:2em auto}"
            "img{max-width:100%}</style></head><body>"
            f"<h1>{html.escape(title)}</h1><p>{html.escape(subtitle)}</p>{sections}"
            "</body></html>")
