import datetime as dt

import pandas as pd
import pytest

from orchestration.lib.rfm import quintile_score, rfm_scores

AS_OF = dt.date(2026, 3, 31)


def _grid() -> pd.DataFrame:
    rows = [(r, fm, "Champions" if r >= 4 and fm >= 4 else "Lost" if r == 1 else "Other")
            for r in range(1, 6) for fm in range(1, 6)]
    return pd.DataFrame(rows, columns=["recency_score", "frequency_monetary_score", "rfm_segment"])


def _daily(rows: list[tuple[str, str, int, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["member_id", "sales_date", "purchases", "net_spend"])


def test_quintiles_rank_members_and_ties_share_a_score() -> None:
    s = quintile_score(pd.Series([1, 2, 3, 4, 5, 5, 6, 7, 8, 9]))
    assert list(s) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert list(quintile_score(pd.Series([10, 1]), higher_is_better=False)) == [3, 5]


def test_scores_use_only_the_window_and_net_spend() -> None:
    daily = _daily([
        ("m1", "2026-03-30", 3, 300.0),   # recent, frequent, big
        ("m1", "2026-03-01", 2, -50.0),   # a refund counts against monetary
        ("m2", "2025-04-01", 1, 20.0),    # inside the 365-day window, long ago
        ("m3", "2025-03-01", 5, 999.0),   # outside the window: not scored
        ("m4", "2026-04-02", 1, 10.0),    # after the as-of date: ignored
    ])
    out = rfm_scores(daily, AS_OF, _grid())
    assert list(out["member_id"]) == ["m1", "m2"]
    m1 = out.set_index("member_id").loc["m1"]
    assert m1["recency_days"] == 1 and m1["frequency"] == 5 and m1["monetary"] == 250.0
    assert m1["recency_score"] == 5 and m1["rfm_segment"] == "Champions"
    m2 = out.set_index("member_id").loc["m2"]
    assert m2["recency_days"] == 364
    assert (out["as_of_date"] == AS_OF).all()


def test_a_return_only_day_does_not_count_as_the_last_purchase() -> None:
    daily = _daily([("m1", "2026-01-01", 1, 100.0), ("m1", "2026-03-30", 0, -100.0)])
    out = rfm_scores(daily, AS_OF, _grid())
    assert out.loc[0, "recency_days"] == (AS_OF - dt.date(2026, 1, 1)).days
    assert out.loc[0, "monetary"] == 0.0


def test_a_grid_with_a_hole_is_an_error() -> None:
    grid = _grid()
    grid = grid[~((grid.recency_score == 5) & (grid.frequency_monetary_score >= 4))]
    with pytest.raises(ValueError, match="no segment"):
        rfm_scores(_daily([("m1", "2026-03-30", 9, 900.0)]), AS_OF, grid)
