"""Churn model: who will stop buying, with a probability and the reasons for it.

A member *churns* at an as-of date when they bought at least once on or before that date
and make no purchase in the ``horizon_days`` after it. Features come from the warehouse
marts in DuckDB and use only rows dated on or before the as-of date, so a score computed
today equals the score that would have been computed on that day (no look-ahead).

The model is a logistic regression on standardised features (skewed counts, amounts and
durations logged first): its probabilities are read as probabilities (risk bands use fixed
cut-offs) and each member's reasons are the features whose
``coefficient x standardised value`` pushes their score up the most.

The backtest never leaks: the model is trained on features at ``as_of - 2 * horizon``
with labels up to ``as_of - horizon``, and tested on features at ``as_of - horizon``
with labels up to ``as_of``. It is compared on the same test members with two
baselines: recency alone and the BG/NBD probability of being alive.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd
import sklearn
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from orchestration.lib.clv import BgNbdParams, fit_bgnbd, prob_alive
from orchestration.lib.purchase_history import purchase_history

HORIZON_DAYS = 90
TIMEZONE = "Asia/Shanghai"
RECENCY_CAP_DAYS = 365

# Feature name -> what it measures, in words. A reason reads "<phrase> is high" or
# "<phrase> is low", depending on which side of the average pushed the score up.
FEATURES: dict[str, str] = {
    "recency_days": "days since last purchase",
    "recency_vs_usual_gap": "time since last purchase compared with the member's usual gap",
    "frequency_90d": "number of purchases in the last 90 days",
    "frequency_365d": "number of purchases in the last 365 days",
    "monetary_90d": "net spend in the last 90 days",
    "monetary_365d": "net spend in the last 365 days",
    "spend_trend": "change in spend (last 90 days vs the 90 before)",
    "online_share_365d": "share of purchases made online",
    "click_collect_share_365d": "share of purchases collected in store (click and collect)",
    "return_rate_365d": "returns per purchase",
    "nps_latest": "latest NPS score",
    "nps_mean": "average NPS score",
    "csat_latest": "latest CSAT score",
    "csat_mean": "average CSAT score",
    "rating_product_quality_mean": "rating of product quality",
    "rating_experience_mean": "rating of the shopping experience",
    "rating_price_value_mean": "rating of price and value",
    "rating_brand_trust_mean": "rating of trust in the brand",
    "rating_service_mean": "rating of service",
    "has_detractor_score": "detractor NPS score (0-6) given in the last 365 days",
    "survey_responses_365d": "number of survey answers in the last 365 days",
    "support_contacts_90d": "number of service contacts in the last 90 days",
    "support_contacts_365d": "number of service contacts in the last 365 days",
    "web_sessions_90d": "number of web/app visits in the last 90 days",
    "cart_sessions_90d": "number of web/app visits with an add-to-cart in the last 90 days",
    "days_since_last_session": "days since last web/app visit",
    "tier_rank": "membership tier",
    "tier_change_90d": "tier change over the last 90 days",
    "points_balance": "points balance",
    "redemptions_365d": "number of points redemptions in the last 365 days",
    "tenure_days": "membership tenure",
}
FEATURE_NAMES: list[str] = list(FEATURES)

# Skewed counts, amounts and durations enter the model as sign(x) * log(1 + |x|).
LOG_FEATURES: list[str] = [
    "recency_days", "recency_vs_usual_gap", "frequency_90d", "frequency_365d",
    "monetary_90d", "monetary_365d", "survey_responses_365d", "support_contacts_90d",
    "support_contacts_365d", "web_sessions_90d", "cart_sessions_90d",
    "days_since_last_session", "points_balance", "redemptions_365d", "tenure_days",
]

# Clearer words for a few (feature, direction) pairs than "<phrase> is high/low".
REASON_WORDING: dict[tuple[str, str], str] = {
    ("has_detractor_score", "high"): "gave a detractor NPS score (0-6) in the last 365 days",
    ("spend_trend", "low"): "spend is falling (last 90 days vs the 90 before)",
    ("tier_change_90d", "low"): "tier went down in the last 90 days",
}

# Risk bands by fixed probability cut-offs (not quantiles), so a band means the same
# thing from run to run: [0, 0.25) low, [0.25, 0.5) medium, [0.5, 0.75) high, else very high.
RISK_BANDS: list[tuple[float, str]] = [(0.25, "low"), (0.5, "medium"), (0.75, "high"),
                                       (float("inf"), "very_high")]

_FEATURES_SQL = """
with
members as (
    select member_id,
           cast(timezone($tz, timezone('UTC', enrolled_at)) as date) as enrolled_date
    from staging.stg_crm__members
    where cast(timezone($tz, timezone('UTC', enrolled_at)) as date) <= $as_of
),
daily as (
    select * from marts.fct_member_daily_sales
    where sales_date <= $as_of
),
sales as (
    select
        member_id,
        max(sales_date) filter (where purchases > 0) as last_purchase_date,
        min(sales_date) filter (where purchases > 0) as first_purchase_date,
        count(*) filter (where purchases > 0) as purchase_days,
        coalesce(sum(purchases) filter (where sales_date > $as_of - 90), 0) as frequency_90d,
        coalesce(sum(purchases) filter (where sales_date > $as_of - 365), 0) as frequency_365d,
        coalesce(sum(net_spend) filter (where sales_date > $as_of - 90), 0) as monetary_90d,
        coalesce(sum(net_spend) filter (where sales_date > $as_of - 365), 0) as monetary_365d,
        coalesce(sum(net_spend) filter (
            where sales_date > $as_of - 180 and sales_date <= $as_of - 90), 0) as monetary_prev_90d,
        sum(online_purchases) filter (where sales_date > $as_of - 365) as online_365d,
        sum(return_events) filter (where sales_date > $as_of - 365) as returns_365d
    from daily
    group by member_id
),
purchases as (
    -- one row per member and purchase: counting these counts each purchase once, as
    -- count(distinct purchase_id) would, in one aggregation instead of one per count
    select
        member_id,
        purchase_id,
        bool_or(not is_return and fulfilment = 'click_and_collect') as has_click_collect_line,
        bool_or(not is_return) as has_sale_line
    from intermediate.int_sales_lines
    where sales_date <= $as_of and sales_date > $as_of - 365 and member_id is not null
        and purchase_id is not null
    group by member_id, purchase_id
),
lines as (
    select
        member_id,
        count(*) filter (where has_click_collect_line) as click_collect_365d,
        count(*) filter (where has_sale_line) as purchases_365d
    from purchases
    group by member_id
),
surveys as (
    select * from marts.fct_survey_responses
    where submitted_date <= $as_of and member_id is not null
),
latest_nps as (
    select member_id, nps as nps_latest
    from surveys
    where nps is not null
    qualify row_number() over (
        partition by member_id order by submitted_at desc, response_id desc) = 1
),
latest_csat as (
    select member_id, csat as csat_latest
    from surveys
    where csat is not null
    qualify row_number() over (
        partition by member_id order by submitted_at desc, response_id desc) = 1
),
satisfaction as (
    select
        member_id,
        avg(nps) as nps_mean,
        avg(csat) as csat_mean,
        avg(rating_product_quality) as rating_product_quality_mean,
        avg(rating_experience) as rating_experience_mean,
        avg(rating_price_value) as rating_price_value_mean,
        avg(rating_brand_trust) as rating_brand_trust_mean,
        avg(rating_service) as rating_service_mean,
        count(*) filter (where nps <= 6 and submitted_date > $as_of - 365) > 0
            as has_detractor_score,
        count(*) filter (where submitted_date > $as_of - 365) as survey_responses_365d
    from surveys
    group by member_id
),
support as (
    select
        member_id,
        count(*) filter (where touch_date > $as_of - 90) as support_contacts_90d,
        count(*) filter (where touch_date > $as_of - 365) as support_contacts_365d
    from marts.fct_touchpoints
    where touch_date <= $as_of and member_id is not null and touch_type = 'support_contact'
    group by member_id
),
web as (
    select
        member_id,
        count(*) filter (where session_date > $as_of - 90) as web_sessions_90d,
        count(*) filter (where session_date > $as_of - 90 and has_add_to_cart)
            as cart_sessions_90d,
        max(session_date) as last_session_date
    from intermediate.int_web_sessions
    where session_date <= $as_of and member_id is not null
    group by member_id
),
versions as (
    select
        member_id,
        valid_from_date,
        case tier when 'platinum' then 3 when 'gold' then 2 when 'silver' then 1 else 0 end
            as tier_rank,
        row_number() over (
            partition by member_id order by valid_from desc, valid_from_date desc) as version_rank
    from staging.stg_crm__member_versions
    where valid_from_date <= $as_of
),
tier_now as (
    select member_id, tier_rank from versions where version_rank = 1
),
tier_before as (
    select member_id, tier_rank
    from versions
    where valid_from_date <= $as_of - 90
    qualify row_number() over (partition by member_id order by version_rank) = 1
),
points as (
    select
        member_id,
        sum(points) as points_balance,
        count(*) filter (where entry_type = 'redeem' and entry_date > $as_of - 365)
            as redemptions_365d
    from marts.fct_points_ledger
    where entry_date <= $as_of and member_id is not null
    group by member_id
)
select
    m.member_id,
    cast(least(coalesce($as_of - s.last_purchase_date, $as_of - m.enrolled_date),
               $cap) as double) as recency_days,
    -- days since the last purchase x purchase days per day since the first purchase:
    -- roughly how many of the member's usual gaps between purchases have gone by
    cast((($as_of - s.last_purchase_date) * s.purchase_days)
         / greatest($as_of - s.first_purchase_date, 1) as double) as recency_vs_usual_gap,
    cast(coalesce(s.frequency_90d, 0) as double) as frequency_90d,
    cast(coalesce(s.frequency_365d, 0) as double) as frequency_365d,
    cast(coalesce(s.monetary_90d, 0) as double) as monetary_90d,
    cast(coalesce(s.monetary_365d, 0) as double) as monetary_365d,
    cast(case when abs(coalesce(s.monetary_90d, 0)) + abs(coalesce(s.monetary_prev_90d, 0)) = 0
              then 0
              else (coalesce(s.monetary_90d, 0) - coalesce(s.monetary_prev_90d, 0))
                   / (abs(coalesce(s.monetary_90d, 0)) + abs(coalesce(s.monetary_prev_90d, 0)))
         end as double) as spend_trend,
    cast(s.online_365d / nullif(s.frequency_365d, 0) as double) as online_share_365d,
    cast(l.click_collect_365d / nullif(l.purchases_365d, 0) as double)
        as click_collect_share_365d,
    cast(s.returns_365d / nullif(s.frequency_365d, 0) as double) as return_rate_365d,
    cast(ln.nps_latest as double) as nps_latest,
    cast(sat.nps_mean as double) as nps_mean,
    cast(lc.csat_latest as double) as csat_latest,
    cast(sat.csat_mean as double) as csat_mean,
    cast(sat.rating_product_quality_mean as double) as rating_product_quality_mean,
    cast(sat.rating_experience_mean as double) as rating_experience_mean,
    cast(sat.rating_price_value_mean as double) as rating_price_value_mean,
    cast(sat.rating_brand_trust_mean as double) as rating_brand_trust_mean,
    cast(sat.rating_service_mean as double) as rating_service_mean,
    cast(coalesce(sat.has_detractor_score, false) as double) as has_detractor_score,
    cast(coalesce(sat.survey_responses_365d, 0) as double) as survey_responses_365d,
    cast(coalesce(sp.support_contacts_90d, 0) as double) as support_contacts_90d,
    cast(coalesce(sp.support_contacts_365d, 0) as double) as support_contacts_365d,
    cast(coalesce(w.web_sessions_90d, 0) as double) as web_sessions_90d,
    cast(coalesce(w.cart_sessions_90d, 0) as double) as cart_sessions_90d,
    cast(least(coalesce($as_of - w.last_session_date, $as_of - m.enrolled_date),
               $cap) as double) as days_since_last_session,
    cast(coalesce(tn.tier_rank, 0) as double) as tier_rank,
    cast(coalesce(tn.tier_rank, 0) - coalesce(tb.tier_rank, tn.tier_rank, 0) as double)
        as tier_change_90d,
    cast(coalesce(p.points_balance, 0) as double) as points_balance,
    cast(coalesce(p.redemptions_365d, 0) as double) as redemptions_365d,
    cast($as_of - m.enrolled_date as double) as tenure_days
from members as m
left join sales as s on s.member_id = m.member_id
left join lines as l on l.member_id = m.member_id
left join latest_nps as ln on ln.member_id = m.member_id
left join latest_csat as lc on lc.member_id = m.member_id
left join satisfaction as sat on sat.member_id = m.member_id
left join support as sp on sp.member_id = m.member_id
left join web as w on w.member_id = m.member_id
left join tier_now as tn on tn.member_id = m.member_id
left join tier_before as tb on tb.member_id = m.member_id
left join points as p on p.member_id = m.member_id
order by m.member_id
"""

_LABELS_SQL = """
with
population as (
    select distinct member_id
    from marts.fct_member_daily_sales
    where purchases > 0 and sales_date <= $as_of and member_id is not null
),
buyers as (
    select distinct member_id
    from marts.fct_member_daily_sales
    where purchases > 0 and sales_date > $as_of and sales_date <= $as_of + $horizon
)
select p.member_id, case when b.member_id is null then 1 else 0 end as churned
from population as p
left join buyers as b on b.member_id = p.member_id
order by p.member_id
"""



def member_features(con: duckdb.DuckDBPyConnection, as_of: dt.date,
                    timezone: str = TIMEZONE) -> pd.DataFrame:
    """Features of every member enrolled on or before ``as_of``, from rows dated <= ``as_of``.

    Indexed by member_id, one column per entry of :data:`FEATURES`, all floats. Windows
    ("last 90 days") end on ``as_of`` inclusive. Missing satisfaction or channel figures
    (no survey, no purchase in the window) stay NaN; the model fills them with the training
    mean, so they neither raise nor lower a score. Recency-like features count from the
    enrolment date when there is no event and are capped at 365 days. The tier is the one
    of the member's latest register version that started on or before ``as_of``.
    ``timezone`` turns the UTC enrolment timestamp into a business date.
    """
    frame = con.execute(_FEATURES_SQL, {"as_of": as_of, "tz": timezone,
                                        "cap": RECENCY_CAP_DAYS}).fetchdf()
    frame = frame.set_index("member_id")
    frame.index = frame.index.astype(str)
    return frame[FEATURE_NAMES].astype("float64")


def churn_labels(con: duckdb.DuckDBPyConnection, as_of: dt.date,
                 horizon_days: int = HORIZON_DAYS) -> pd.Series:
    """1 if a member makes no purchase in ``(as_of, as_of + horizon_days]``, else 0.

    Population: members with at least one purchase (a day with ``purchases > 0`` in
    ``marts.fct_member_daily_sales``; return-only days do not count) on or before
    ``as_of``. Members who never bought are not labelled. Raises ``ValueError`` when the
    sales data do not reach ``as_of + horizon_days``, since every label would then be 1.
    """
    end = as_of + dt.timedelta(days=horizon_days)
    last = con.execute("select max(sales_date) from marts.fct_member_daily_sales").fetchone()
    if last is None or last[0] is None or last[0] < end:
        loaded = None if last is None else last[0]
        raise ValueError(f"churn labels to {end} need sales data through that date; "
                         f"the warehouse has sales through {loaded}")
    frame = con.execute(_LABELS_SQL, {"as_of": as_of, "horizon": horizon_days}).fetchdf()
    labels = frame.set_index("member_id")["churned"].astype("int64")
    labels.index = labels.index.astype(str)
    return labels.rename("churned")


def log_skewed(features: pd.DataFrame) -> pd.DataFrame:
    """``sign(x) * log(1 + |x|)`` on the columns of :data:`LOG_FEATURES` present."""
    out = features.copy()
    cols = [c for c in LOG_FEATURES if c in out.columns]
    out[cols] = np.sign(out[cols]) * np.log1p(out[cols].abs())
    return out


def make_pipeline(seed: int = 0) -> Pipeline:
    """Log of skewed features, mean imputation, standardisation, L2 logistic regression.

    ``class_weight`` is left unset (not "balanced"): churners are about half of the
    population on the demo data, and re-weighting would move the probabilities away from
    observed rates, which the Brier score, the calibration table and the fixed risk bands
    rely on. Ranking metrics (ROC AUC) would barely change either way.
    """
    return Pipeline([
        ("log", FunctionTransformer(log_skewed, feature_names_out="one-to-one")),
        ("impute", SimpleImputer(strategy="mean", keep_empty_features=True)),
        ("scale", StandardScaler()),
        ("model", LogisticRegression(C=1.0, max_iter=5000, random_state=seed)),
    ])


def recency_pipeline(seed: int = 0) -> Pipeline:
    """The recency baseline: a logistic regression on days since last purchase alone."""
    return Pipeline([
        ("scale", StandardScaler()),
        ("model", LogisticRegression(max_iter=5000, random_state=seed)),
    ])


def feature_hash(names: list[str] | None = None) -> str:
    """Short hash of the ordered feature list, part of :attr:`ChurnResult.model_version`."""
    text = ",".join(FEATURE_NAMES if names is None else names)
    return hashlib.sha256(text.encode()).hexdigest()[:10]


@dataclass
class ChurnResult:
    """A fitted churn model with its backtest.

    ``pipeline`` is refitted on the latest complete period (features at ``test_cutoff``,
    labels through ``as_of``) and scores members at ``as_of``; ``backtest_pipeline`` is the
    one trained at ``train_cutoff`` and evaluated in ``metrics``. ``metrics`` has one row per
    scorer ("model", "recency", "bgnbd") on the same test members; ``calibration`` holds a
    decile table per scorer; ``test_scores`` has the label and each scorer's score by member.
    """

    pipeline: Pipeline
    backtest_pipeline: Pipeline
    model_version: str
    as_of: dt.date
    horizon_days: int
    train_cutoff: dt.date
    test_cutoff: dt.date
    metrics: pd.DataFrame
    calibration: dict[str, pd.DataFrame]
    test_scores: pd.DataFrame
    bgnbd_params: BgNbdParams | None = None
    feature_names: list[str] = field(default_factory=lambda: list(FEATURE_NAMES))
    seed: int = 0

    @property
    def coefficients(self) -> pd.Series:
        """Coefficients of the scoring model per standardised feature."""
        coef = self.pipeline.named_steps["model"].coef_[0]
        return pd.Series(coef, index=self.feature_names, name="coefficient")

    def parameters(self) -> dict[str, object]:
        """The scoring model's settings and fitted values, as plain JSON-ready types."""
        model = self.pipeline.named_steps["model"]
        bgnbd = (None if self.bgnbd_params is None else
                 {k: float(getattr(self.bgnbd_params, k)) for k in ("r", "alpha", "a", "b")})
        return {
            "model_version": self.model_version,
            "as_of": self.as_of.isoformat(),
            "horizon_days": self.horizon_days,
            "train_cutoff": self.train_cutoff.isoformat(),
            "test_cutoff": self.test_cutoff.isoformat(),
            "seed": self.seed,
            "intercept": float(model.intercept_[0]),
            "coefficients": {k: float(v) for k, v in self.coefficients.items()},
            "bgnbd": bgnbd,
        }

    def backtest_summary(self) -> dict[str, dict[str, float | list[float]]]:
        """Backtest metrics per scorer ("model", "recency", "bgnbd"), as plain floats, with
        the lift of each score decile from the highest down (the lift chart)."""
        churned = self.test_scores["churned"]
        return {scorer: {**{k: float(v) for k, v in row.items()},
                         "decile_lift": decile_lift(churned, self.test_scores[scorer])}
                for scorer, row in self.metrics.iterrows()}


# The name other modules use for the result of :func:`train_and_backtest`.
BacktestResult = ChurnResult


def labelled_frame(con: duckdb.DuckDBPyConnection, as_of: dt.date,
                   horizon_days: int = HORIZON_DAYS,
                   timezone: str = TIMEZONE) -> tuple[pd.DataFrame, pd.Series]:
    """Features at ``as_of`` and churn labels for the labelled population, aligned."""
    features = member_features(con, as_of, timezone)
    labels = churn_labels(con, as_of, horizon_days)
    members = labels.index.intersection(features.index).sort_values()
    return features.loc[members], labels.loc[members]


def calibration_table(labels: pd.Series, scores: pd.Series, bins: int = 10) -> pd.DataFrame:
    """Deciles of the score (1 = lowest): members, mean predicted and observed churn rate."""
    decile = _deciles(scores, bins)
    table = pd.DataFrame({"decile": decile, "predicted": scores.to_numpy(),
                          "observed": labels.to_numpy()})
    return (table.groupby("decile")
            .agg(members=("observed", "size"), mean_predicted=("predicted", "mean"),
                 observed_rate=("observed", "mean"))
            .reset_index())


def _deciles(scores: pd.Series, bins: int = 10) -> np.ndarray:
    """Equal-count bins of the score; ties are split by member order so bins stay equal."""
    ranks = scores.rank(method="first").to_numpy()
    return np.ceil(ranks * bins / len(ranks)).astype("int64")


def decile_lift(labels: pd.Series, scores: pd.Series) -> list[float]:
    """Churn rate of each score decile over the overall rate, highest scores first."""
    y = labels.to_numpy(dtype=float)
    deciles = _deciles(scores)
    base = y.mean()
    return [float(y[deciles == d].mean() / base) if base > 0 else float("nan")
            for d in range(10, 0, -1)]


def evaluate(labels: pd.Series, scores: pd.Series) -> dict[str, float]:
    """ROC AUC, PR AUC, Brier score and top-decile lift of a probability score."""
    y = labels.to_numpy()
    p = scores.to_numpy()
    top = _deciles(scores) == 10
    base = float(y.mean())
    return {
        "members": float(len(y)),
        "churn_rate": base,
        "roc_auc": float(roc_auc_score(y, p)),
        "pr_auc": float(average_precision_score(y, p)),
        "brier": float(brier_score_loss(y, np.clip(p, 0.0, 1.0))),
        "top_decile_lift": float(y[top].mean() / base) if base > 0 else float("nan"),
    }


def bgnbd_churn_scores(con: duckdb.DuckDBPyConnection, cutoff: dt.date,
                       members: pd.Index) -> tuple[pd.Series, BgNbdParams]:
    """1 - P(alive) from a BG/NBD model fitted on purchase days on or before ``cutoff``.

    Frequency = repeat purchase days, recency = days from the first to the last purchase
    day, T = days from the first purchase day to ``cutoff``. The model is fitted on every
    member who bought by ``cutoff`` (no labels are used) and scored for ``members``.
    """
    rfm = purchase_history(con, cutoff)
    rfm.index = rfm.index.astype(str)
    params = fit_bgnbd(rfm["frequency"].to_numpy(), rfm["recency"].to_numpy(),
                       rfm["age"].to_numpy())
    sub = rfm.reindex(members)
    alive = np.asarray(prob_alive(params, sub["frequency"].to_numpy(),
                                  sub["recency"].to_numpy(), sub["age"].to_numpy()), dtype=float)
    return pd.Series(1.0 - alive, index=members, name="bgnbd"), params


def train_and_backtest(con: duckdb.DuckDBPyConnection, as_of: dt.date,
                       horizon_days: int = HORIZON_DAYS, seed: int = 0,
                       timezone: str = TIMEZONE) -> ChurnResult:
    """Backtest the churn model on a held-out period, then refit it for scoring at ``as_of``.

    Train: features at ``T_train = as_of - 2 * horizon``, labels in ``(T_train, T_test]``.
    Test: features at ``T_test = as_of - horizon``, labels in ``(T_test, as_of]``. The
    recency baseline is a one-feature logistic regression on days since last purchase,
    trained on the same training split; the BG/NBD baseline is fitted on purchases up to
    ``T_test`` and scores ``1 - P(alive)``. All three are measured on the same test members.
    The returned ``pipeline`` is refitted on the test period (features at ``T_test``,
    labels through ``as_of``).
    """
    horizon = dt.timedelta(days=horizon_days)
    train_cutoff = as_of - 2 * horizon
    test_cutoff = as_of - horizon
    x_train, y_train = labelled_frame(con, train_cutoff, horizon_days, timezone)
    x_test, y_test = labelled_frame(con, test_cutoff, horizon_days, timezone)
    for name, y in (("training", y_train), ("test", y_test)):
        if y.nunique() < 2:
            raise ValueError(f"the {name} period has only one class of churn label")

    backtest = make_pipeline(seed).fit(x_train, y_train)
    model_scores = pd.Series(backtest.predict_proba(x_test)[:, 1], index=x_test.index)

    recency = recency_pipeline(seed).fit(x_train[["recency_days"]], y_train)
    recency_scores = pd.Series(recency.predict_proba(x_test[["recency_days"]])[:, 1],
                               index=x_test.index)

    bgnbd_scores, params = bgnbd_churn_scores(con, test_cutoff, x_test.index)

    scores = {"model": model_scores, "recency": recency_scores, "bgnbd": bgnbd_scores}
    metrics = pd.DataFrame({name: evaluate(y_test, s) for name, s in scores.items()}).T
    metrics.index.name = "scorer"
    calibration = {name: calibration_table(y_test, s) for name, s in scores.items()}
    test_scores = pd.DataFrame({"churned": y_test, **scores})
    test_scores.index.name = "member_id"

    final = make_pipeline(seed).fit(x_test, y_test)
    version = (f"churn-logreg-{as_of.isoformat()}-h{horizon_days}-{feature_hash()}"
               f"-sklearn{sklearn.__version__}")
    return ChurnResult(
        pipeline=final, backtest_pipeline=backtest, model_version=version, as_of=as_of,
        horizon_days=horizon_days, train_cutoff=train_cutoff, test_cutoff=test_cutoff,
        metrics=metrics, calibration=calibration, test_scores=test_scores,
        bgnbd_params=params, seed=seed)


def _standardised(pipeline: Pipeline, features: pd.DataFrame) -> np.ndarray:
    """Features as the logistic regression sees them: logged, imputed, standardised."""
    return pipeline[:-1].transform(features[FEATURE_NAMES])


def contributions(pipeline: Pipeline, features: pd.DataFrame) -> pd.DataFrame:
    """Per member and feature: coefficient x standardised value, in log-odds of churn."""
    coef = pipeline.named_steps["model"].coef_[0]
    return pd.DataFrame(_standardised(pipeline, features) * coef, index=features.index,
                        columns=FEATURE_NAMES)


def reason_text(name: str, standardised_value: float) -> str:
    """A feature's reason in words: "<phrase> is high/low", or a fixed wording if any."""
    direction = "high" if standardised_value > 0 else "low"
    return REASON_WORDING.get((name, direction), f"{FEATURES[name]} is {direction}")


def risk_band(probability: float) -> str:
    """The band of a churn probability by the fixed cut-offs in :data:`RISK_BANDS`."""
    for upper, band in RISK_BANDS:
        if probability < upper:
            return band
    return RISK_BANDS[-1][1]


def score_members(result: ChurnResult, features: pd.DataFrame,
                  reasons: int = 3) -> pd.DataFrame:
    """Churn probability, risk band and the top reasons for each member in ``features``.

    ``top_reasons`` lists, in words, up to ``reasons`` features whose contribution
    (coefficient x standardised value) raises the member's score, largest first, joined
    by "; "; ``reason_features`` holds the same features by name. Members are meant to be
    the labelled population (bought at least once on or before the as-of date).
    """
    probability = result.pipeline.predict_proba(features[FEATURE_NAMES])[:, 1]
    z = _standardised(result.pipeline, features)
    contrib = contributions(result.pipeline, features).to_numpy()
    texts: list[str] = []
    names: list[str] = []
    for row_contrib, row_z in zip(contrib, z, strict=True):
        order = np.argsort(-row_contrib, kind="stable")
        top = [i for i in order[:reasons] if row_contrib[i] > 0]
        texts.append("; ".join(reason_text(FEATURE_NAMES[i], row_z[i]) for i in top))
        names.append(",".join(FEATURE_NAMES[i] for i in top))
    out = pd.DataFrame({
        "churn_probability": probability,
        "risk_band": [risk_band(p) for p in probability],
        "top_reasons": texts,
        "reason_features": names,
        "model_version": result.model_version,
    }, index=features.index)
    out.index.name = "member_id"
    return out
