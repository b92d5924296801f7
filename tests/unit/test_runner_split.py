"""How `loyalty run` splits a load around its range run (orchestration/runner.py)."""

import dagster as dg
import pytest

from orchestration.runner import split_by_partitioning, stale_unpartitioned

DAILY = dg.DailyPartitionsDefinition(start_date="2026-01-01")


@dg.asset
def stores() -> None: ...


@dg.asset(deps=[stores], partitions_def=DAILY)
def till_lines() -> None: ...


@dg.asset(deps=[till_lines])
def marts() -> None: ...


@dg.asset
def calendar() -> None: ...


@dg.asset(deps=[till_lines])
def reread() -> None: ...


@dg.asset(deps=[reread], partitions_def=DAILY)
def daily_again() -> None: ...


def _graph(*assets):
    # a live instance of its own: loading definitions reads the current instance's state
    # storage, and an earlier test in this worker may have left a disposed one current
    with dg.instance_for_test():
        return dg.Definitions(assets=list(assets)).resolve_asset_graph()


def test_what_the_daily_assets_read_runs_before_and_the_rest_after() -> None:
    graph = _graph(stores, till_lines, marts)
    keys = {stores.key, till_lines.key, marts.key}
    assert split_by_partitioning(graph, keys) == ({stores.key}, {till_lines.key}, {marts.key})


def test_without_daily_assets_everything_runs_after() -> None:
    graph = _graph(stores, till_lines, marts)
    assert split_by_partitioning(graph, {stores.key, marts.key}) == (
        set(), set(), {stores.key, marts.key})


def test_an_unpartitioned_asset_between_daily_ones_is_refused() -> None:
    graph = _graph(stores, till_lines, reread, daily_again)
    with pytest.raises(ValueError, match="reread"):
        split_by_partitioning(graph, {stores.key, till_lines.key, reread.key,
                                      daily_again.key})


def test_models_older_than_a_day_they_read_are_stale_and_only_those() -> None:
    with dg.instance_for_test() as instance:
        graph = dg.Definitions(assets=[stores, till_lines, marts, calendar]
                               ).resolve_asset_graph()
        keys = {stores.key, till_lines.key, marts.key, calendar.key}
        assert stale_unpartitioned(instance, graph, keys) == set()  # nothing materialised
        dg.materialize([stores, calendar], instance=instance)
        dg.materialize([till_lines], instance=instance, partition_key="2026-01-02",
                       selection=[till_lines])
        # the days are loaded, the mart never was (its run failed or never started)
        assert stale_unpartitioned(instance, graph, keys) == {marts.key}
        dg.materialize([marts], instance=instance, selection=[marts])
        assert stale_unpartitioned(instance, graph, keys) == set()
        # a day loaded again (a UI backfill, a late file): the mart is older than it
        dg.materialize([till_lines], instance=instance, partition_key="2026-01-01",
                       selection=[till_lines])
        assert stale_unpartitioned(instance, graph, keys) == {marts.key}
