"""DuckDB vs Spark: the same dbt project built by both engines over the same lake.

    python bench/engines.py --lines 1000000 [--days 365] [--workdir DIR] [--reuse]

Generates every landing dataset with the project's generator (members sized for about
``--lines`` POS lines a year, as ``bench/pipeline.py``), ingests it once into the Parquet lake
with the ingest library, then, one after the other on the same lake:

- ``dbt build --full-refresh --exclude resource_type:test`` on the ``duckdb`` target;
- the same on the ``spark`` target (``method: session``: a local Spark, ``local[2]``, in the
  dbt process; its JVM is a child of it);
- the data tests, once, on DuckDB (they are the same SQL on either engine; the figure says
  what validation adds to a DuckDB build).

Each build runs in its own process tree, sampled for peak RSS. Prints wall time per engine,
the ratio Spark / DuckDB, dbt's own per-model time summed (the work, without start-up) and
checks that every mart has the same row count on both engines.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from pipeline import START, _tree_rss, generate_landing, mib  # noqa: E402

from orchestration.lib.lake import Lake  # noqa: E402
from orchestration.lib.settings import Settings  # noqa: E402

DBT = Path(sys.executable).parent / "dbt"
DBT_DIR = ROOT / "dbt_project"


def dbt_build(settings: Settings, out: Path, *extra: str) -> dict:
    """One ``dbt build`` in a child process: wall seconds, peak RSS of its tree, and the
    seconds dbt spent executing nodes (from run_results.json)."""
    out.mkdir(parents=True, exist_ok=True)
    started, peak = time.perf_counter(), 0
    with open(out / "dbt.log", "w") as log:
        proc = subprocess.Popen(
            [str(DBT), "build", "--profiles-dir", ".", "--target-path", str(out / "target"),
             "--log-path", str(out / "logs"), *extra],
            cwd=DBT_DIR, env={**os.environ, **settings.dbt_env()}, stdout=log,
            stderr=subprocess.STDOUT)
        while proc.poll() is None:
            peak = max(peak, sum(_tree_rss(proc.pid).values()))
            time.sleep(0.5)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"dbt build failed ({proc.returncode}): see {out / 'dbt.log'}")
    results = json.loads((out / "target" / "run_results.json").read_text())["results"]
    slowest = sorted(((r["unique_id"].split(".")[-1], r["execution_time"]) for r in results),
                     key=lambda r: -r[1])[:5]
    return {"wall": wall, "peak_rss": peak, "nodes": len(results),
            "execute": sum(r["execution_time"] for r in results), "slowest": slowest}


def mart_counts(settings: Settings) -> dict[str, int]:
    """Row count of every mart, read through DuckDB: the warehouse for a DuckDB build, views
    over Spark's Parquet for a Spark build (as the pipeline reads them)."""
    import duckdb

    from orchestration.lib.spark_engine import expose_spark_tables

    if settings.engine == "spark":
        con = duckdb.connect()
        expose_spark_tables(con, settings.spark_dir, ("marts",))
    else:
        con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    with con:
        names = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' "
            "and table_catalog = current_database() order by 1").fetchall()]
        return {n: con.execute(f'select count(*) from marts."{n}"').fetchone()[0]
                for n in names}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000, help="POS lines in a year")
    parser.add_argument("--days", type=int, default=365, help="business days generated")
    parser.add_argument("--workdir", type=Path, help="default /tmp/loyalty-engines-<lines>")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the generated landing files and lake of an earlier run")
    args = parser.parse_args()
    work = args.workdir or Path(f"/tmp/loyalty-engines-{args.lines}")
    env = {"LOYALTY_DATA_DIR": str(work / "data"), "LOYALTY_LANDING_DIR": str(work / "landing"),
           "LOYALTY_FIRST_BUSINESS_DATE": START.isoformat(),
           "LOYALTY_PII_KEY": "bench-engines-key"}
    duck = Settings.from_env(env)
    spark = Settings.from_env({**env, "LOYALTY_ENGINE": "spark"})

    # generate_landing makes days + 1 days (pipeline.py holds the last one back)
    rows, gen_seconds = generate_landing(args.lines, args.days - 1, duck.landing_dir,
                                         args.reuse)
    lake = Lake(duck.lake_dir)
    started = time.perf_counter()
    if not (args.reuse and (duck.lake_dir / "raw").exists()):
        from orchestration.lib.warehouse import connect, ensure_lake_views
        from tests.lake_helpers import ingest_landing

        ingest_landing(duck.landing_dir, lake)
        with connect(duck.warehouse_path) as con:
            ensure_lake_views(con, lake)
    ingest_seconds = time.perf_counter() - started
    print(f"engines benchmark: {rows['pos_transactions']:,} POS lines over {args.days} days, "
          f"{rows['crm_members']:,} CRM member rows, {rows['online_events']:,} web events; "
          f"work folder {work}")
    print(f"generate {gen_seconds:.1f} s, ingest {ingest_seconds:.1f} s (not in the figures)")

    builds = {
        "duckdb": dbt_build(duck, work / "duckdb", "--full-refresh",
                            "--exclude", "resource_type:test"),
        "spark": dbt_build(spark, work / "spark", "--full-refresh",
                           "--exclude", "resource_type:test"),
        "duckdb tests": dbt_build(duck, work / "duckdb_tests", "--select", "resource_type:test"),
    }
    print(f"{'build':<28}{'wall s':>9}{'dbt execute s':>15}{'nodes':>7}{'peak RSS':>14}")
    for name, b in builds.items():
        print(f"  {name:<26}{b['wall']:>9.1f}{b['execute']:>15.1f}{b['nodes']:>7}"
              f"{mib(b['peak_rss']):>14}")
    ratio = builds["spark"]["wall"] / builds["duckdb"]["wall"]
    print(f"Spark / DuckDB (models and seeds, wall): {ratio:.2f}")
    for name in ("duckdb", "spark"):
        print(f"slowest on {name} (s): " + ", ".join(
            f"{n} {s:.1f}" for n, s in builds[name]["slowest"]))
    counts = {"duckdb": mart_counts(duck), "spark": mart_counts(spark)}
    differ = {t: (n, counts["spark"].get(t)) for t, n in counts["duckdb"].items()
              if counts["spark"].get(t) != n}
    print(f"marts: {len(counts['duckdb'])} on DuckDB, {len(counts['spark'])} on Spark, "
          f"{sum(counts['duckdb'].values()):,} rows; "
          + ("same row counts" if not differ and counts["duckdb"].keys() == counts["spark"].keys()
             else f"DIFFERENT: {differ}"))
    return 0 if not differ else 1


if __name__ == "__main__":
    raise SystemExit(main())
