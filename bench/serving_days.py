"""The serving file over many days: patched publications against a whole one, and how the
patched file grows.

    python bench/serving_days.py [--rows 10000000] [--days 30]
                                 [--workdir /tmp/loyalty-bench-serving]

Builds a synthetic warehouse shaped like the 10M benchmark's biggest marts: a year of events
(``--rows``, one DATE column), a member table and daily scores by as-of date. Then, for each
of ``--days`` days, changes it the way a daily refresh does (one new day of events; 1 in 200
events of 30 older days get another member, as identity links reach back; every member row
changes; today's scores replace the day before yesterday's) and publishes with
``orchestration.lib.serving.publish``: the first publication writes the file whole, the
others patch a copy of the previous one. Prints, per day, the seconds, what was done, the
file's size and its share of free blocks; at the end, a whole publication of the last
day's warehouse in the same run, for the ratio.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from orchestration.lib.serving import free_space, publish  # noqa: E402

MEMBERS = 200_000
START = "2025-09-01"


def build(warehouse: Path, rows: int) -> None:
    per_day = rows // 365
    with duckdb.connect(str(warehouse)) as con:
        for schema in ("marts", "scores"):
            con.execute(f"create schema {schema}")
        con.execute(f"""
            create table marts.fct_events as
            select 'E' || i as event_id, 'M' || (hash(i) % {MEMBERS}) as member_id,
                   date '{START}' + cast(i // {per_day} as integer) as event_date,
                   ['page_view', 'search', 'product_view', 'add_to_cart'][1 + i % 4]
                       as event_type,
                   cast((i % 997) / 10 as decimal(18, 2)) as amount
            from range({per_day * 365}) t(i)""")
        con.execute(f"""
            create table marts.dim_members as
            select 'M' || i as member_id, date '{START}' + cast(i % 365 as integer)
                       as enrolled_date, 0 as days_since_last_event,
                   cast(0 as decimal(18, 2)) as spend
            from range({MEMBERS}) t(i)""")
        con.execute(f"""
            create table scores.member_scores as
            select 'M' || i as member_id, date '{START}' + 364 as as_of_date,
                   (i % 100) / 100 as churn_probability
            from range({MEMBERS}) t(i)""")


def next_day(warehouse: Path, day: int, per_day: int) -> None:
    """Day ``day`` (0 = the first after the year) arrives."""
    with duckdb.connect(str(warehouse)) as con:
        today = con.execute(f"select date '{START}' + {365 + day}").fetchone()[0]
        con.execute(f"""
            insert into marts.fct_events
            select 'E' || ({365 + day} * {per_day} + i), 'M' || (hash(i, {day}) % {MEMBERS}),
                   date '{today}', 'page_view', cast((i % 997) / 10 as decimal(18, 2))
            from range({per_day}) t(i)""")
        # identity links reach back: 30 older days, 1 in 200 of their events
        con.execute(f"""
            update marts.fct_events set member_id = 'M' || (hash(event_id, {day}) % {MEMBERS})
            where event_date in (select date '{START}' + cast(hash(d, {day}) % 365 as integer)
                                 from range(30) t(d))
              and hash(event_id, {day}) % 200 = 0""")
        con.execute("update marts.dim_members set days_since_last_event = "
                    "days_since_last_event + 1, spend = spend + 1")
        con.execute(f"delete from scores.member_scores where as_of_date < date '{today}' - 1")
        con.execute(f"""
            insert into scores.member_scores
            select 'M' || i, date '{today}', ((i + {day}) % 100) / 100
            from range({MEMBERS}) t(i)""")


def free_share(path: Path) -> float:
    with duckdb.connect(str(path), read_only=True) as con:
        return free_space(con)[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="events in the year")
    parser.add_argument("--days", type=int, default=30, help="daily publications after it")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/loyalty-bench-serving"))
    args = parser.parse_args()
    shutil.rmtree(args.workdir, ignore_errors=True)
    args.workdir.mkdir(parents=True)
    warehouse, serving = args.workdir / "warehouse.duckdb", args.workdir / "serving"
    build(warehouse, args.rows)
    print(f"serving file over {args.days} days: {args.rows:,} events a year, {MEMBERS:,} "
          f"members; work folder {args.workdir}")
    print(f"{'day':>4} {'seconds':>8} {'how':<44} {'file MiB':>9} {'free':>6}")
    patched = []
    for day in range(-1, args.days):
        if day >= 0:
            next_day(warehouse, day, args.rows // 365)
        started = time.perf_counter()
        result = publish(warehouse, serving, run_id=f"day {day}")
        seconds = time.perf_counter() - started
        how = ("patched" if result.incremental else "whole: " + result.reason)[:44]
        if result.incremental:
            patched.append(seconds)
        print(f"{day + 1:>4} {seconds:>8.1f} {how:<44} {result.size_bytes / 2**20:>9,.0f} "
              f"{free_share(result.path):>6.0%}")
    started = time.perf_counter()
    whole = publish(warehouse, args.workdir / "serving_whole", run_id="whole", full=True)
    seconds = time.perf_counter() - started
    print(f"the last day written whole: {seconds:.1f} s, {whole.size_bytes / 2**20:,.0f} MiB")
    if patched:
        mean = sum(patched) / len(patched)
        print(f"patched publications: {len(patched)}, mean {mean:.1f} s "
              f"({mean / seconds:.0%} of a whole one), max {max(patched):.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
