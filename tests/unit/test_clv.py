"""CLV maths: the published CDNOW fits, the shape of the predictions, input validation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, special

from orchestration.lib import clv
from orchestration.lib.clv import (
    BgNbdParams,
    GammaGammaParams,
    clv_with_interval,
    expected_average_spend,
    expected_purchases,
    fit_bgnbd,
    fit_gamma_gamma,
    prob_alive,
    simulate_members,
)

CDNOW = Path(__file__).resolve().parents[1] / "fixtures" / "cdnow"
# FHL 2005, table on the CDNOW sample (T in weeks), and FH 2013 on its 946 repeat buyers
PUBLISHED_BGNBD = BgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426, log_likelihood=-9582.4,
                              n_customers=2357)
PUBLISHED_GG = GammaGammaParams(p=6.25, q=3.74, v=15.44, log_likelihood=float("nan"),
                                n_customers=946)
TRUE = {"r": 0.6, "alpha": 30.0, "a": 0.8, "b": 3.0, "p": 6.0, "q": 4.0, "v": 20.0}


def sig3(value: float) -> str:
    return f"{value:.3g}"


@pytest.fixture(scope="module")
def summary() -> pd.DataFrame:
    return pd.read_csv(CDNOW / "cdnow_customers_summary.csv")


@pytest.fixture(scope="module")
def spend() -> pd.DataFrame:
    return pd.read_csv(CDNOW / "cdnow_customers_summary_with_transactions.csv")


@pytest.fixture(scope="module")
def bgnbd(summary: pd.DataFrame) -> BgNbdParams:
    return fit_bgnbd(summary["frequency"], summary["recency"], summary["T"])


@pytest.fixture(scope="module")
def gg(spend: pd.DataFrame) -> GammaGammaParams:
    return fit_gamma_gamma(spend["x"], spend["zbar"])


@pytest.fixture(scope="module")
def cdnow_clv(spend: pd.DataFrame, bgnbd: BgNbdParams, gg: GammaGammaParams) -> pd.DataFrame:
    return clv_with_interval(bgnbd, gg, spend["x"], spend["t_x"], spend["T"], spend["zbar"],
                             horizon=52, draws=1000, seed=7)


# --- published results -----------------------------------------------------------------

def test_bgnbd_reproduces_fader_hardie_lee_2005_on_cdnow(bgnbd: BgNbdParams) -> None:
    for name in ("r", "alpha", "a", "b"):
        assert sig3(getattr(bgnbd, name)) == sig3(getattr(PUBLISHED_BGNBD, name)), name
    assert sig3(bgnbd.log_likelihood) == sig3(PUBLISHED_BGNBD.log_likelihood)
    assert bgnbd.log_likelihood == pytest.approx(-9582.4, abs=0.05)
    assert bgnbd.n_customers == 2357


def test_gamma_gamma_reproduces_fader_hardie_2013_on_cdnow(gg: GammaGammaParams) -> None:
    for name in ("p", "q", "v"):
        assert sig3(getattr(gg, name)) == sig3(getattr(PUBLISHED_GG, name)), name
    assert gg.n_customers == 946


def test_fixtures_agree(summary: pd.DataFrame, spend: pd.DataFrame) -> None:
    assert len(summary) == len(spend) == 2357
    np.testing.assert_array_equal(summary["frequency"], spend["x"])
    np.testing.assert_array_equal(summary["recency"], spend["t_x"])
    assert ((spend["zbar"] > 0) == (spend["x"] > 0)).all()


def test_conditional_expectation_matches_hardie_worked_example() -> None:
    # customer 1 of the sample, next 39 weeks, published parameters: 1.226 in Hardie's BG/NBD
    # spreadsheet (lifetimes checks the same number)
    got = expected_purchases(PUBLISHED_BGNBD, 39, [2], [30.43], [38.86])
    assert got[0] == pytest.approx(1.226, abs=5e-4)


def test_expected_purchases_equals_eq10_as_printed(summary: pd.DataFrame,
                                                   bgnbd: BgNbdParams) -> None:
    # the implementation uses Euler's transformation of 2F1; eq. 10 verbatim must agree
    x, t_x, big_t = (summary[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    r, alpha, a, b, t = bgnbd.r, bgnbd.alpha, bgnbd.a, bgnbd.b, 39.0
    hyp = special.hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + big_t + t))
    num = (a + b + x - 1) / (a - 1) * (1 - ((alpha + big_t) / (alpha + big_t + t)) ** (r + x)
                                       * hyp)
    den = 1 + (x > 0) * a / (b + np.maximum(x, 1) - 1) * ((alpha + big_t) / (alpha + t_x)) ** (
        r + x)
    np.testing.assert_allclose(expected_purchases(bgnbd, t, x, t_x, big_t), num / den,
                               rtol=1e-10)


def test_analytic_gradients_match_finite_differences(summary: pd.DataFrame,
                                                     spend: pd.DataFrame) -> None:
    x, t_x, big_t = (summary[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    (ux, ut, ubt), w, _ = clv._compress(x, t_x, big_t)
    xs, idx = np.unique(ux, return_inverse=True)
    w_by_x = np.bincount(idx, weights=w)
    at = np.log([0.5, 3.0, 1.2, 2.0])
    f = lambda lp: clv._bgnbd_negll(lp, xs, idx, ut, ubt, w, w_by_x)  # noqa: E731
    np.testing.assert_allclose(f(at)[1], optimize.approx_fprime(at, lambda v: f(v)[0], 1e-7),
                               rtol=1e-4, atol=1e-7)
    buyers = spend[spend["x"] > 0]
    m = buyers["zbar"].to_numpy(float)
    xs, idx = np.unique(buyers["x"].to_numpy(float), return_inverse=True)
    w = np.ones(len(m))
    g = lambda lp: clv._gg_negll(lp, xs, idx, np.log(m), m, w, np.bincount(idx))  # noqa: E731
    at = np.log([3.0, 2.0, 10.0])
    np.testing.assert_allclose(g(at)[1], optimize.approx_fprime(at, lambda v: g(v)[0], 1e-7),
                               rtol=1e-4, atol=1e-7)


# --- behaviour ---------------------------------------------------------------------------

def test_prob_alive_falls_as_the_last_purchase_ages() -> None:
    alive = prob_alive(PUBLISHED_BGNBD, [3] * 5, [30, 29, 20, 10, 1], [30] * 5)
    assert np.all(np.diff(alive) < 0)
    assert prob_alive(PUBLISHED_BGNBD, [0], [0], [30])[0] == 1.0


def test_expected_purchases_rise_with_frequency() -> None:
    x = np.arange(0, 15)
    got = expected_purchases(PUBLISHED_BGNBD, 52, x, np.full(15, 30.0), np.full(15, 30.0))
    assert np.all(np.diff(got) > 0)
    assert np.all(np.diff(expected_purchases(PUBLISHED_BGNBD, [10, 20, 52], [3] * 3, [25] * 3,
                                             [30] * 3)) > 0)


def test_expected_average_spend_shrinks_towards_the_population_mean() -> None:
    population = PUBLISHED_GG.p * PUBLISHED_GG.v / (PUBLISHED_GG.q - 1)
    got = expected_average_spend(PUBLISHED_GG, [0, 1, 10, 100], [0, 100, 100, 100])
    assert got[0] == pytest.approx(population)
    assert population < got[1] < got[2] < got[3] < 100


def test_interval_brackets_the_expected_value(cdnow_clv: pd.DataFrame) -> None:
    out = cdnow_clv
    assert list(out.columns) == ["prob_alive", "expected_purchases", "expected_avg_spend",
                                 "clv", "clv_mc_mean", "clv_p10", "clv_p90"]
    assert (out["clv_p10"] <= out["clv_p90"]).all()
    inside = (out["clv_p10"] <= out["clv"]) & (out["clv"] <= out["clv_p90"])
    assert inside.mean() > 0.97
    # outside only where the member has almost surely left: p90 = 0 below a small mean
    outside = out[~inside]
    assert (outside["clv_p90"] == 0).mean() > 0.9
    assert (outside["prob_alive"] < 0.5).all()


def test_simulation_mean_matches_the_exact_expectation(cdnow_clv: pd.DataFrame,
                                                       spend: pd.DataFrame, bgnbd: BgNbdParams,
                                                       gg: GammaGammaParams) -> None:
    assert cdnow_clv["clv_mc_mean"].sum() / cdnow_clv["clv"].sum() == pytest.approx(1, abs=0.01)
    discounted = clv_with_interval(bgnbd, gg, spend["x"], spend["t_x"], spend["T"],
                                   spend["zbar"], horizon=52, discount_rate_per_unit=0.01,
                                   draws=1000, seed=7)
    ratio = discounted["clv"].sum() / cdnow_clv["clv"].sum()
    assert 1.01 ** -52 < ratio < 1
    assert discounted["clv_mc_mean"].sum() / discounted["clv"].sum() == pytest.approx(1,
                                                                                      abs=0.01)


def test_interval_is_relatively_narrower_with_more_history() -> None:
    # same observed rate (one purchase every 10 weeks, the last just now), 10x the history
    out = clv_with_interval(PUBLISHED_BGNBD, PUBLISHED_GG, [2, 20], [20, 200], [20, 200],
                            [35, 35], horizon=52, draws=5000, seed=1)
    width = (out["clv_p90"] - out["clv_p10"]) / out["clv"]
    assert width[1] < 0.75 * width[0]


def test_same_seed_same_answer(spend: pd.DataFrame, bgnbd: BgNbdParams,
                               gg: GammaGammaParams) -> None:
    head = spend.head(300)
    args = (bgnbd, gg, head["x"], head["t_x"], head["T"], head["zbar"], 26)
    first = clv_with_interval(*args, draws=100, seed=3, discount_rate_per_unit=0.002)
    again = clv_with_interval(*args, draws=100, seed=3, discount_rate_per_unit=0.002)
    other = clv_with_interval(*args, draws=100, seed=4, discount_rate_per_unit=0.002)
    pd.testing.assert_frame_equal(first, again)
    assert not np.array_equal(first["clv_p90"], other["clv_p90"])
    np.testing.assert_array_equal(first["clv"], other["clv"])


def test_fit_recovers_simulated_parameters() -> None:
    rng = np.random.default_rng(2024)
    observed = rng.integers(30, 731, 50_000).astype(float)  # days
    sim = simulate_members(observed, seed=7, **TRUE)
    bg = fit_bgnbd(sim["frequency"], sim["recency"], sim["T"])
    gg = fit_gamma_gamma(sim["frequency"], sim["monetary_value"])
    for name in ("r", "alpha", "a", "b"):
        assert getattr(bg, name) == pytest.approx(TRUE[name], rel=0.1), name
    for name in ("p", "q", "v"):
        assert getattr(gg, name) == pytest.approx(TRUE[name], rel=0.1), name


def test_identical_rows_fit_like_weights(summary: pd.DataFrame, bgnbd: BgNbdParams) -> None:
    twice = pd.concat([summary, summary])
    doubled = fit_bgnbd(twice["frequency"], twice["recency"], twice["T"])
    assert doubled.r == pytest.approx(bgnbd.r, rel=1e-5)
    assert doubled.log_likelihood == pytest.approx(2 * bgnbd.log_likelihood, rel=1e-9)
    assert doubled.n_customers == 2 * 2357


# --- bad inputs --------------------------------------------------------------------------

@pytest.mark.parametrize(("frequency", "recency", "T", "message"), [
    ([1, 2], [1.0], [3.0, 3.0], "same length"),
    ([1, -1], [1.0, 1.0], [3.0, 3.0], "non-negative"),
    ([1, 1], [1.0, -0.5], [3.0, 3.0], "non-negative"),
    ([1, 1], [1.0, 4.0], [3.0, 3.0], "recency must not exceed T"),
    ([1, 1], [1.0, float("nan")], [3.0, 3.0], "non-finite"),
    ([1.5, 1], [1.0, 1.0], [3.0, 3.0], "whole numbers"),
    ([], [], [], "empty"),
    (["a"], [1.0], [3.0], "numeric"),
])
def test_bad_rfm_inputs_raise(frequency: list, recency: list, T: list, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        fit_bgnbd(frequency, recency, T)
    with pytest.raises(ValueError, match=message):
        prob_alive(PUBLISHED_BGNBD, frequency, recency, T)


def test_bad_spend_and_call_inputs_raise() -> None:
    with pytest.raises(ValueError, match="positive for repeat buyers"):
        fit_gamma_gamma([1, 2, 3], [10.0, 0.0, 5.0])
    with pytest.raises(ValueError, match="at least two"):
        fit_gamma_gamma([0, 0, 3], [0.0, 0.0, 5.0])
    with pytest.raises(ValueError, match="same length"):
        expected_average_spend(PUBLISHED_GG, [1, 2], [10.0])
    with pytest.raises(ValueError, match="q > 1"):
        expected_average_spend(GammaGammaParams(1, 0.5, 1, 0, 1), [1], [10.0])
    with pytest.raises(ValueError, match="non-negative"):
        expected_purchases(PUBLISHED_BGNBD, -1, [1], [1.0], [2.0])
    args = (PUBLISHED_BGNBD, PUBLISHED_GG, [1], [1.0], [2.0])
    with pytest.raises(ValueError, match="same length"):
        clv_with_interval(*args, [10.0, 2.0], horizon=5)
    with pytest.raises(ValueError, match="horizon"):
        clv_with_interval(*args, [10.0], horizon=0)
    with pytest.raises(ValueError, match="discount"):
        clv_with_interval(*args, [10.0], horizon=5, discount_rate_per_unit=-0.1)
    with pytest.raises(ValueError, match="draws"):
        clv_with_interval(*args, [10.0], horizon=5, draws=1)
    with pytest.raises(ValueError, match="quantiles"):
        clv_with_interval(*args, [10.0], horizon=5, quantiles=(0.1, 1.0))
    with pytest.raises(ValueError, match="parameter alpha"):
        prob_alive(BgNbdParams(1, 0, 1, 1, 0, 1), [1], [1.0], [2.0])
