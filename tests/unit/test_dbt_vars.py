import datetime as dt

import pytest

from orchestration.lib.dbt_vars import partitioned_dbt_vars


def test_one_day_partition_with_lookback() -> None:
    assert partitioned_dbt_vars(dt.datetime(2026, 3, 5), dt.datetime(2026, 3, 6), lookback=3) == {
        "min_business_date": "2026-03-02", "max_business_date": "2026-03-05"}


def test_range_end_is_exclusive_and_no_lookback() -> None:
    assert partitioned_dbt_vars(dt.date(2026, 1, 1), dt.date(2026, 2, 1), lookback=0) == {
        "min_business_date": "2026-01-01", "max_business_date": "2026-01-31"}


def test_empty_window_is_refused() -> None:
    with pytest.raises(ValueError, match="empty partition window"):
        partitioned_dbt_vars(dt.date(2026, 1, 2), dt.date(2026, 1, 2))
