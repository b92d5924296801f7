"""The whole pipeline at scale, against a reference run without Dagster, dbt or GX.

    python bench/pipeline.py --lines 1000000 [--days 365] [--workdir DIR] [--reuse]

(``--lines 20000 --days 7`` runs every step in about 3 minutes, for development: most of
the pipeline's cost is per business day and asset, not per line.)

Generates a year of every landing dataset with the project's generator (members sized from
``--lines`` as in ingest_throughput.py; one extra day is generated and held back), then:

1. pipeline: `loyalty run`'s code (``run_all``: in-process Dagster, an instance in the work
   folder) over the year, in a child process. Seconds per layer come from the runs' event
   logs: each step's start to end, the step's layer from its assets' group (ingest, dbt,
   scoring, outputs, publish; check-only steps are checks). dbt's tests run inside the dbt
   steps: the time when only tests were running (from each invocation's run_results.json)
   moves from dbt to checks. What the runs do not cover is "Dagster between steps" and
   "startup" (imports, definitions, the landing scan before the runs).
2. reference, in a child process, on the same data: a bare DuckDB COPY of every landing
   dataset to day-partitioned Parquet; the SQL dbt compiled (``dbt compile --full-refresh``,
   not timed) run directly in DuckDB in dependency order (seeds, views, tables; incremental
   models as create-table-as) over the pipeline's lake; RFM and member scores for the last
   day from the scoring library. Its DuckDB connections have the pipeline's settings
   (``LOYALTY_DUCKDB_MEMORY_LIMIT``, default 4 GB, and the spill folder).
3. one more day: the held-back day arrives and ``run_all`` runs again.

Peak RSS is the largest sum of the resident memory of the child and all its descendants
(dbt is a subprocess), sampled from /proc every 0.2 s, with the processes that held it at
that moment. Everything lives in ``--workdir``; the reference's warehouse and lake are
deleted once measured (``--keep-reference`` keeps them), so that the one more day does not
need room for both warehouses.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from graphlib import TopologicalSorter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LINES_PER_MEMBER_YEAR = 45  # as bench/ingest_throughput.py
START = dt.date(2025, 9, 1)
LAYERS = ("ingest", "dbt", "checks", "scoring", "outputs", "publish")
DBT_GROUPS = ("staging", "intermediate", "reference", "dbt")
PAGE = os.sysconf("SC_PAGE_SIZE")


# ---------------------------------------------------------------- landing and environment

def generate_landing(lines: int, days: int, generated: Path, reuse: bool
                     ) -> tuple[dict, float]:
    """Generate ``days`` + 1 days of every dataset (or reuse them); rows and seconds.
    Members are sized so that a year holds about ``lines`` POS lines."""
    from orchestration.generator import MANIFEST, GeneratorConfig, generate

    manifest = generated / MANIFEST
    if reuse and manifest.exists():
        return json.loads(manifest.read_text())["rows"], 0.0
    shutil.rmtree(generated, ignore_errors=True)
    members = max(100, lines // LINES_PER_MEMBER_YEAR)
    result = generate(GeneratorConfig(members=members, days=days + 1, start=START), generated)
    return result.rows, result.seconds


def link_days(generated: Path, landing: Path, keep) -> int:
    """Hard-link the generated files whose business day passes ``keep`` (snapshots always)
    into the landing folder: the pipeline sees new files, nothing is copied."""
    from orchestration.lib.contract import DATASETS
    from orchestration.lib.landing import discover

    linked = 0
    for ds in DATASETS.values():
        for f in discover(generated, ds):
            target = landing / f.rel_path
            if (f.business_date is None or keep(f.business_date)) and not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                os.link(f.path, target)
                linked += 1
    return linked


def child_env(workdir: Path) -> dict[str, str]:
    """The environment of every child: all paths inside the work folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOYALTY_")}
    env.update({
        "LOYALTY_DATA_DIR": str(workdir / "data"),
        "LOYALTY_LANDING_DIR": str(workdir / "landing"),
        "LOYALTY_FIRST_BUSINESS_DATE": START.isoformat(),
        "DAGSTER_HOME": str(workdir / "dagster_home"),
        # dagster-dbt puts each invocation's target and logs in a folder under this one
        "DBT_TARGET_PATH": str(workdir / "dbt_target"),
        "DBT_LOG_PATH": str(workdir / "dbt_target"),
        "PYTHONPATH": str(ROOT),
    })
    return env


# ---------------------------------------------------------------- child processes and memory

def _tree_rss(root: int) -> dict[int, int]:
    """Resident bytes of ``root`` and of every descendant, by process id, from /proc."""
    parents: dict[int, list[int]] = defaultdict(list)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(fields[1])].append(int(stat.parent.name))
    rss, todo = {}, [root]
    while todo:
        pid = todo.pop()
        try:
            rss[pid] = int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
        except OSError:
            continue
        todo.extend(parents.get(pid, ()))
    return rss


def _process_name(pid: int) -> str:
    """What a process of the tree is, for the peak's breakdown: dbt, or the script run."""
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "gone"
    names = [Path(a.decode(errors="replace")).name for a in args if a]
    if any(n == "dbt" for n in names):
        return "dbt"
    script = next((n for n in names[1:] if n.endswith(".py") or n in ("loyalty", "dagster")),
                  None)
    return script or (names[0] if names else "?")


def run_child(mode: str, out: Path, env: dict[str, str], log: Path) -> dict:
    """Run this script in ``mode`` as a child; its JSON result plus wall seconds and the
    sampled peak RSS of its process tree."""
    started = time.perf_counter()
    peak, at_peak = 0, {}
    with open(log, "a") as sink:
        proc = subprocess.Popen([sys.executable, __file__, "--child", mode, str(out)],
                                env=env, stdout=sink, stderr=subprocess.STDOUT, cwd=ROOT)
        while proc.poll() is None:
            rss = _tree_rss(proc.pid)
            if sum(rss.values()) > peak:  # which processes hold it (the child: "this run")
                peak, at_peak = sum(rss.values()), defaultdict(int)
                for pid, resident in rss.items():
                    at_peak["this run" if pid == proc.pid else _process_name(pid)] += resident
            time.sleep(0.2)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{mode} child failed ({proc.returncode}): see {log}")
    return {**json.loads(out.read_text()), "wall": wall, "peak_rss": peak,
            "peak_by_process": dict(at_peak)}


# ---------------------------------------------------------------- pipeline (child side)

def _layer_of_ops(graph) -> dict[str, str]:
    """Op name → layer: the group of the op's assets; ops with checks only are checks."""
    layers = {}
    for assets_def in graph.assets_defs:
        groups = {graph.get(k).group_name for k in assets_def.keys}
        if not groups:
            layer = "checks"
        elif groups & set(LAYERS):
            layer = (groups & set(LAYERS)).pop()
        elif all(g in DBT_GROUPS or g.startswith("marts_") for g in groups):
            layer = "dbt"
        else:
            layer = "other: " + ",".join(sorted(groups))
        layers[assets_def.node_def.name] = layer
    return layers


def _run_events(instance, run_id: str) -> dict:
    """Run start/end, its first event (planned materialisations are written before the run
    starts) and each step's start/end, in epoch seconds, from the event log."""
    import dagster as dg

    run: dict = {"run_id": run_id, "steps": defaultdict(dict)}
    ends = (dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE,
            dg.DagsterEventType.STEP_SKIPPED)
    for entry in instance.all_logs(run_id):
        run["first"] = min(run.get("first", entry.timestamp), entry.timestamp)
        event = entry.dagster_event
        if event is None:
            continue
        kind = event.event_type
        if kind == dg.DagsterEventType.RUN_START:
            run["start"] = entry.timestamp
        elif kind in (dg.DagsterEventType.RUN_SUCCESS, dg.DagsterEventType.RUN_FAILURE):
            run["end"] = entry.timestamp
        elif kind == dg.DagsterEventType.STEP_START:
            run["steps"][event.step_key]["start"] = entry.timestamp
        elif kind in ends:
            run["steps"][event.step_key]["end"] = entry.timestamp
    return run


def child_pipeline(out: Path) -> None:
    """`loyalty run` as users run it, then what its runs' event logs say."""
    started = time.perf_counter()
    import dagster as dg

    from orchestration.definitions import defs
    from orchestration.lib.settings import Settings
    from orchestration.runner import run_all

    settings = Settings.from_env()
    settings.export_for_dbt()
    report = run_all(settings)
    seconds = time.perf_counter() - started
    instance = dg.DagsterInstance.get()
    out.write_text(json.dumps({
        "seconds": seconds,
        "days": len(report.changed_days),
        "runs": [_run_events(instance, r) for r in report.runs],
        "layers": _layer_of_ops(defs().resolve_asset_graph()),
        "counts": report.counts,
    }))


# ---------------------------------------------------------------- pipeline (parent side)

def _union(intervals: list[tuple[float, float]]) -> list[tuple[float, float]]:
    merged: list[list[float]] = []
    for a, b in sorted(intervals):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return [(a, b) for a, b in merged]


def _length(intervals: list[tuple[float, float]]) -> float:
    return sum(b - a for a, b in intervals)


def dbt_test_only_seconds(target: Path) -> tuple[float, list[tuple[str, float]]]:
    """Seconds when dbt ran tests and no model or seed (from run_results.json), and the
    slowest models (name, execute seconds)."""
    def stamp(text: str) -> float:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()

    tests, models, slow = [], [], []
    for node in json.loads((target / "run_results.json").read_text())["results"]:
        spans = [(stamp(t["started_at"]), stamp(t["completed_at"]))
                 for t in node["timing"] if t["name"] == "execute"]
        is_test = node["unique_id"].startswith("test.")
        (tests if is_test else models).extend(spans)
        if not is_test:
            slow.append((node["unique_id"].split(".")[-1], node["execution_time"]))
    test_u, model_u = _union(tests), _union(models)
    overlap = sum(max(0.0, min(b, d) - max(a, c)) for a, b in test_u for c, d in model_u)
    return _length(test_u) - overlap, slow


def pipeline_layers(result: dict, dbt_target: Path) -> tuple[dict[str, float], list]:
    """Seconds per layer of a child_pipeline result; the rows add up to its wall time."""
    seconds: dict[str, float] = defaultdict(float)
    slow: list[tuple[str, float]] = []
    in_runs = planning = 0.0
    for run in result["runs"]:
        in_runs += run["end"] - run["start"]
        planning += run["start"] - run["first"]
        for step, span in run["steps"].items():
            if "start" not in span or "end" not in span:
                continue
            layer = result["layers"].get(step, "other")
            seconds[layer] += span["end"] - span["start"]
            if layer == "dbt":
                for target in dbt_target.glob(f"{step}-{run['run_id'][:7]}-*"):
                    tests, models = dbt_test_only_seconds(target)
                    seconds["dbt"] -= tests
                    seconds["checks"] += tests
                    slow += models
    seconds["Dagster between steps"] = in_runs - sum(seconds.values())
    seconds["Dagster run creation"] = planning
    seconds["startup and landing scan"] = result["wall"] - in_runs - planning
    return dict(seconds), sorted(slow, key=lambda m: -m[1])


# ---------------------------------------------------------------- reference (child side)

def _reference_ingest(con, landing: Path, lake: Path) -> None:
    """COPY every landing dataset to Parquet as it is, daily ones partitioned by day."""
    from orchestration.lib.contract import DATASETS

    for ds in DATASETS.values():
        reference_copy(con, landing, lake, ds)


def _reader(name: str) -> str:
    """DuckDB's reader of a landing file, by its extension (gzip or not)."""
    suffix = Path(name.lower().removesuffix(".gz")).suffix
    return {".parquet": "read_parquet", ".csv": "read_csv", ".jsonl": "read_json"}[suffix]


def reference_copy(con, landing: Path, lake: Path, ds) -> None:
    """COPY one landing dataset to ``lake/<dataset>`` as it is, a daily one partitioned by
    the day in its file names: one reader per kind of file (CSV, Parquet, JSON lines),
    their rows put together by column name."""
    from orchestration.lib.landing import discover

    lake.mkdir(parents=True, exist_ok=True)
    groups: dict[str, list[str]] = defaultdict(list)
    for f in discover(landing, ds):
        groups[_reader(f.path.name)].append(str(f.path))
    option = ", filename = true" if ds.daily else ""
    source = " union all by name ".join(f"select * from {reader}({files}{option})"
                                        for reader, files in groups.items())
    if not ds.daily:
        con.execute(f"copy ({source}) to '{lake / ds.name}.parquet' (format parquet)")
        return
    con.execute(f"""
        copy (select * exclude (filename),
                     cast(regexp_extract(filename, '(\\d{{4}}-\\d{{2}}-\\d{{2}})[^/]*$', 1)
                          as date) as business_date
              from ({source}))
        to '{lake / ds.name}' (format parquet, partition_by (business_date))
    """)


def _statement(node: dict) -> str:
    """The DDL that builds a model or seed from what dbt compiled (full refresh)."""
    relation = node["relation_name"]
    if node["resource_type"] == "seed":
        path = Path(node["root_path"]) / node["original_file_path"]
        types = node["config"].get("column_types") or {}
        typed = f", types = {json.dumps(types)}" if types else ""
        return (f"create or replace table {relation} as "
                f"select * from read_csv('{path}', header = true{typed})")
    kind = "view" if node["config"]["materialized"] == "view" else "table"
    return f"create or replace {kind} {relation} as (\n{node['compiled_code']}\n)"


def _reference_dbt(con, manifest: dict) -> list[tuple[str, float]]:
    """Seeds and models in dependency order; seconds per node."""
    nodes = {k: n for k, n in manifest["nodes"].items() if n["resource_type"] in ("model", "seed")}
    parents = {k: [d for d in n.get("depends_on", {}).get("nodes", []) if d in nodes]
               for k, n in nodes.items()}
    order = TopologicalSorter(parents).static_order()
    timings = []
    for key in order:
        node = nodes[key]
        con.execute(f'create schema if not exists "{node["schema"]}"')
        started = time.perf_counter()
        con.execute(_statement(node))
        timings.append((node["name"], time.perf_counter() - started))
    return timings


def _reference_scoring(con, last: dt.date) -> int:
    """RFM and member scores for the last day, straight from the scoring library."""
    from orchestration.lib import member_scores as ms
    from orchestration.lib.rfm import WINDOW_DAYS, rfm_scores

    grid = con.execute("select * from reference.rfm_segments").fetchdf()
    daily = con.execute(
        "select member_id, sales_date, purchases, net_spend from marts.fct_member_daily_sales "
        "where sales_date > $d - interval (cast($w as integer)) day and sales_date <= $d",
        {"d": last, "w": WINDOW_DAYS}).fetchdf()
    rfm = rfm_scores(daily, last, grid)
    con.execute("create schema if not exists scores")
    con.execute("create or replace table scores.member_rfm as select * from rfm")
    [(first_sales,)] = con.execute(
        "select min(sales_date) from marts.fct_member_daily_sales").fetchall()
    cut_off = ms.fit_date(last)
    value = ms.fit_value_model(con, cut_off)
    churn = ms.fit_churn_model(con, cut_off, first_sales)
    scores = ms.member_scores(con, last, rfm, value, churn)
    con.execute("create or replace table scores.member_scores as select * from scores")
    return len(scores)


def child_reference(out: Path) -> None:
    """The reference run: DuckDB and the scoring library, nothing else."""
    started = time.perf_counter()
    import duckdb

    from orchestration.lib.contract import DATASETS
    from orchestration.lib.lake import Lake
    from orchestration.lib.landing import landing_days
    from orchestration.lib.settings import Settings
    from orchestration.lib.warehouse import ensure_lake_views

    settings = Settings.from_env()
    work = Path(os.environ["LOYALTY_BENCH_REFERENCE"])
    manifest = json.loads((work / "dbt_target" / "manifest.json").read_text())
    seconds = {}
    clock = time.perf_counter()
    (work / "lake").mkdir(exist_ok=True)
    # The same DuckDB settings as the pipeline's (memory cap, spill folder): the ratio is
    # the price of orchestration and validation, not of a larger memory budget
    config = settings.duckdb_config
    with duckdb.connect(config=config) as con:
        _reference_ingest(con, settings.landing_dir, work / "lake")
    seconds["ingest"] = time.perf_counter() - clock
    clock = time.perf_counter()
    with duckdb.connect(str(work / settings.warehouse_path.name), config=config) as con:
        con.execute("set variable loyalty_pii_key = $k", {"k": settings.pii_key})
        ensure_lake_views(con, Lake(settings.lake_dir))
        models = _reference_dbt(con, manifest)
        seconds["dbt"] = time.perf_counter() - clock
        clock = time.perf_counter()
        last = landing_days(settings.landing_dir, [d for d in DATASETS.values() if d.daily])[-1]
        scored = _reference_scoring(con, last)
        seconds["scoring"] = time.perf_counter() - clock
    out.write_text(json.dumps({"seconds": seconds, "models": models, "scored": scored,
                               "total": time.perf_counter() - started}))


def compile_for_reference(workdir: Path, env: dict[str, str]) -> Path:
    """``dbt compile --full-refresh`` into the reference folder (incremental models compile
    to their full-refresh select). The warehouse file it opens is deleted afterwards."""
    reference = workdir / "reference"
    warehouse = reference / "warehouse.duckdb"
    subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "compile", "--full-refresh", "--quiet",
         "--project-dir", str(ROOT / "dbt_project"), "--profiles-dir", str(ROOT / "dbt_project"),
         "--target-path", str(reference / "dbt_target"), "--log-path", str(reference / "logs")],
        env={**env, "LOYALTY_WAREHOUSE": str(warehouse), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
             "DO_NOT_TRACK": "1"},
        cwd=ROOT / "dbt_project", check=True)
    warehouse.unlink(missing_ok=True)
    return reference


# ---------------------------------------------------------------- report

def size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def mib(n: float) -> str:
    return f"{n / 2**20:,.0f} MiB"


def print_table(full: dict[str, float], ref: dict[str, float], day: dict[str, float],
                walls: tuple[float, float, float]) -> None:
    rows = [*LAYERS, "Dagster between steps", "Dagster run creation", "startup and landing scan"]
    print(f"{'layer':<30}{'pipeline s':>11}{'reference s':>13}{'ratio':>7}"
          f"{'one more day s':>16}{'share':>7}")

    def cell(value, fmt):
        return "-" if value is None else format(value, fmt)

    for name in rows:
        p, r, d = full.get(name), ref.get(name), day.get(name)
        ratio = p / r if p is not None and r else None
        share = d / p if d is not None and p else None
        print(f"  {name:<28}{cell(p, '.1f'):>11}{cell(r, '.1f'):>13}{cell(ratio, '.2f'):>7}"
              f"{cell(d, '.1f'):>16}{cell(share, '.1%'):>7}")
    p, r, d = walls
    print(f"  {'total (wall)':<28}{p:>11.1f}{r:>13.1f}{p / r:>7.2f}{d:>16.1f}{d / p:>7.1%}")
    same = sum(full.get(k, 0) for k in ("ingest", "dbt", "scoring"))
    same_ref = sum(ref.get(k, 0) for k in ("ingest", "dbt", "scoring"))
    print(f"  {'ingest + dbt + scoring':<28}{same:>11.1f}{same_ref:>13.1f}{same / same_ref:>7.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000, help="POS lines in the year")
    parser.add_argument("--days", type=int, default=365,
                        help="business days loaded before the one more day (fewer: faster)")
    parser.add_argument("--workdir", type=Path, help="default /tmp/loyalty-bench-<lines>")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the generated landing files of an earlier run")
    parser.add_argument("--keep-reference", action="store_true",
                        help="keep the reference's warehouse and lake (by default they are "
                             "measured, then deleted before the one more day: at 100M lines "
                             "they are tens of GB)")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, out = args.child
        {"pipeline": child_pipeline, "reference": child_reference}[mode](Path(out))
        return 0

    workdir = (args.workdir or Path(f"/tmp/loyalty-bench-{args.lines}")).resolve()
    if workdir == (ROOT / "data").resolve() or ROOT / "data" in workdir.parents:
        raise SystemExit("the work folder must not be the project's data folder")
    generated = workdir / "generated"
    for name in ("landing", "data", "dagster_home", "dbt_target", "reference", "bench.log"):
        path = workdir / name
        shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
    workdir.mkdir(parents=True, exist_ok=True)
    rows, gen_seconds = generate_landing(args.lines, args.days, generated, args.reuse)
    last = START + dt.timedelta(days=args.days - 1)
    link_days(generated, workdir / "landing", lambda d: d <= last)
    env, log = child_env(workdir), workdir / "bench.log"

    full = run_child("pipeline", workdir / "pipeline.json", env, log)
    data = workdir / "data"
    sizes = {name: size(data / name) for name in ("warehouse.duckdb", "lake", "serving")}
    with open(log, "a") as sink:
        print("--- dbt compile for the reference", file=sink)
    reference = compile_for_reference(workdir, env)
    ref = run_child("reference", workdir / "reference.json",
                    {**env, "LOYALTY_BENCH_REFERENCE": str(reference)}, log)
    ref_sizes = {name: size(reference / name) for name in ("warehouse.duckdb", "lake")}
    if not args.keep_reference:
        shutil.rmtree(reference / "lake")
        for path in (reference / "warehouse.duckdb", reference / "warehouse.duckdb.wal"):
            path.unlink(missing_ok=True)
    link_days(generated, workdir / "landing", lambda d: d > last)
    day = run_child("pipeline", workdir / "one_more_day.json", env, log)

    full_layers, slow = pipeline_layers(full, workdir / "dbt_target")
    day_layers, day_slow = pipeline_layers(day, workdir / "dbt_target")
    ref_layers = {**ref["seconds"],
                  "startup and landing scan": ref["wall"] - sum(ref["seconds"].values())}
    print(f"pipeline benchmark: {rows['pos_transactions']:,} POS lines generated over "
          f"{args.days + 1} days ({args.days} loaded, then one more), "
          f"{rows['crm_members']:,} CRM member rows, {rows['online_events']:,} web events; "
          f"work folder {workdir}")
    generated_how = "reused" if args.reuse and not gen_seconds else f"{gen_seconds:,.1f} s"
    print(f"generate: {generated_how} (not in the figures), "
          f"landing {mib(size(workdir / 'landing'))}")
    print_table(full_layers, ref_layers, day_layers, (full["wall"], ref["wall"], day["wall"]))
    print(f"peak RSS (process tree, sampled): pipeline {mib(full['peak_rss'])}, reference "
          f"{mib(ref['peak_rss'])}, one more day {mib(day['peak_rss'])}")
    for label, result in (("pipeline", full), ("one more day", day)):
        held = sorted(result["peak_by_process"].items(), key=lambda kv: -kv[1])
        big = [(name, n) for name, n in held if n >= 64 * 2**20]
        print(f"  {label} at its peak: " + ", ".join(f"{name} {mib(n)}" for name, n in big)
              + f", others {mib(sum(n for _, n in held) - sum(n for _, n in big))}")
    print(f"rows/s (POS lines / pipeline wall): {rows['pos_transactions'] / full['wall']:,.0f}; "
          f"reference {rows['pos_transactions'] / ref['wall']:,.0f}")
    print(f"sizes after the full refresh: warehouse {mib(sizes['warehouse.duckdb'])}, lake "
          f"{mib(sizes['lake'])}, serving {mib(sizes['serving'])}; reference warehouse "
          f"{mib(ref_sizes['warehouse.duckdb'])}, lake {mib(ref_sizes['lake'])}")
    print("slowest dbt models in the pipeline (execute s): "
          + ", ".join(f"{n} {s:.1f}" for n, s in slow[:5]))
    print("slowest dbt models in the one more day (execute s): "
          + ", ".join(f"{n} {s:.1f}" for n, s in day_slow[:8]))
    print("slowest models in the reference (s): "
          + ", ".join(f"{n} {s:.1f}" for n, s in sorted(ref["models"], key=lambda m: -m[1])[:5]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
