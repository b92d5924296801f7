"""A day-by-day incremental dbt build gives exactly the marts of a full refresh.

Two warehouses over the same generated landing data, real dbt on real DuckDB:
- *daily*: the lake grows one business day at a time, and after each day the partitioned
  (incremental) models run for that day's window with the usual lookback, as the daily
  schedule does; one day's file arrives late and is picked up by the lookback;
- *full*: everything ingested at once, then ``dbt build --full-refresh``.
Every table and view of staging, intermediate and marts must then hold the same rows.

The last day's web events and orders are first delivered with stray rows (a session and an
order of their own, more events of a first-day session, a later status of a first-day
order), built, then corrected and built again: the sessions and orders, incremental by key,
must forget them all. The day before it, till lines and points entries are delivered, built,
then corrected to header-only files: the day must leave their staging tables.

The unpartitioned models are built once midway (after LATE_DAY) and once at the end, so
the end's build of the purchase journeys, incremental by member, recomputes the members
whose sales lines or touches changed in between, and only them; and the web touchpoints,
incremental by session, the sessions whose events or session row changed.
"""

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.generator import GeneratorConfig, generate
from orchestration.lib.contract import DATASETS
from orchestration.lib.dbt_vars import partitioned_dbt_vars, vars_arg
from orchestration.lib.ingest import ingest_days
from orchestration.lib.lake import Lake
from orchestration.lib.settings import Settings
from orchestration.lib.warehouse import connect, ensure_lake_views
from tests.lake_helpers import (
    EMPTIED_STAGING,
    files_by_day,
    files_to_empty,
    header_only,
    redeliver_next_day,
    staging_rows_on,
)

DBT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
DBT = Path(sys.executable).parent / "dbt"
CFG = GeneratorConfig(members=200, days=5, start=dt.date(2026, 2, 1), seed=11)
LATE_DAY = dt.date(2026, 2, 3)  # its till lines and web events arrive two days late
LATE = ("pos_transactions", "online_events")
CORRECTED_DAY = CFG.start + dt.timedelta(days=CFG.days - 1)
STRAY_SESSION = "sess-stray-delivery"
STRAY_ORDER = "O-stray-delivery"
EARLY_ORDER = "O-first-day-only"  # all its versions precede the last day's window
QUIET_ORDER = "O-first-day-quiet"  # the same, and no stray row ever touches it
# its till lines, points entries and web events are delivered, then corrected to no rows
EMPTIED_DAY = CORRECTED_DAY - dt.timedelta(days=1)
# the unpartitioned models are built after this day's partition, and again at the end
MIDWAY_DAY = LATE_DAY
JOURNEY_MARK = 1_000_000  # added to every journey's touches_before before the last build
# the inputs of the models recomputed by key (macros/incremental.sql,
# incremental_by_fingerprint), with the id of their rows
JOURNEY_INPUTS = {"intermediate.int_sales_lines": "sales_line_id",
                  "marts.fct_touchpoints": "touchpoint_id"}
WEB_TOUCH_INPUTS = {"staging.stg_online__events": "event_id",
                    "intermediate.int_web_sessions": "session_id"}
WEB_TOUCH_MARK = "#kept"  # appended to every web touch's touch_type before its last build


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _append(path: Path, rows: list[dict]) -> None:
    path.write_bytes(path.read_bytes() + "".join(json.dumps(r) + "\n" for r in rows).encode())


def _add_early_orders(landing: Path) -> None:
    """Orders placed on the first day that never change status again."""
    [first_day_file] = sorted((landing / "online" / "orders").iterdir())[:1]
    template = _lines(first_day_file)[0]
    _append(first_day_file, [{**template, "order_id": order, "status": "placed",
                              "status_updated_at": template["placed_at"]}
                             for order in (EARLY_ORDER, QUIET_ORDER)])


def _deliver_stray_rows(events_file: Path, orders_file: Path,
                        first_day_session: str) -> dict[Path, bytes]:
    """Rewrite the last day's web events and orders with rows that do not belong there: a
    session and an order of their own, two more events of a first-day session and a later
    status of the first-day order. Returns the original bytes of both files."""
    originals = {events_file: events_file.read_bytes(), orders_file: orders_file.read_bytes()}
    event = _lines(events_file)[0]
    _append(events_file, [
        {**event, "event_id": f"ev-stray-{n}", "session_id": session, "event_type": "page_view",
         "event_ts": f"{CORRECTED_DAY.isoformat()}T12:0{n}:00Z"}
        for n, session in enumerate([STRAY_SESSION] * 3 + [first_day_session] * 2)])
    order = _lines(orders_file)[0]
    _append(orders_file, [
        {**order, "order_id": STRAY_ORDER},
        {**order, "order_id": EARLY_ORDER, "status": "cancelled",
         "status_updated_at": f"{CORRECTED_DAY.isoformat()}T12:00:00Z"}])
    return originals


def _start_dbt(settings: Settings, tmp: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, **settings.dbt_env()}
    return subprocess.Popen([str(DBT), *args, "--profiles-dir", ".", "--target-path",
                             str(tmp / "target"), "--log-path", str(tmp / "logs")],
                            cwd=DBT_DIR, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def _wait(proc: subprocess.Popen) -> None:
    out, _ = proc.communicate()
    assert proc.returncode == 0, out[-4000:]


def _dbt(settings: Settings, tmp: Path, *args: str) -> None:
    _wait(_start_dbt(settings, tmp, *args))


def _settings(root: Path) -> Settings:
    return Settings.from_env({"LOYALTY_DATA_DIR": str(root), "LOYALTY_PII_KEY": "test-key"})


def _relations(path: Path) -> list[str]:
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in ('staging', 'intermediate', 'marts') order by all").fetchall()
    return [f"{s}.{t}" for s, t in rows]


def _stray_rows(con: duckdb.DuckDBPyConnection, first_day_session: str) -> dict[str, tuple]:
    """The sessions and orders the stray rows touch, as the warehouse holds them."""
    sessions = con.execute(
        "select session_id, events, last_business_date from intermediate.int_web_session_activity "
        "where session_id in (?, ?)", [STRAY_SESSION, first_day_session]).fetchall()
    orders = con.execute(
        "select order_id, order_status, last_business_date from staging.stg_online__orders "
        "where order_id in (?, ?)", [STRAY_ORDER, EARLY_ORDER]).fetchall()
    return {key: rest for key, *rest in sessions + orders}


def _columns(con: duckdb.DuckDBPyConnection, schema: str, name: str,
             catalog: str | None = None) -> list[str]:
    """A relation's columns in order, of the current database unless ``catalog`` is given."""
    return [c for (c,) in con.execute(
        "select column_name from information_schema.columns "
        "where table_catalog = coalesce(?, current_database()) and table_schema = ? "
        "and table_name = ? order by ordinal_position", [catalog, schema, name]).fetchall()]


def _inputs_by(con: duckdb.DuckDBPyConnection, key: str,
               inputs: dict[str, str]) -> dict[str | None, set[tuple]]:
    """Each key's rows of ``inputs`` (relation, the row's id, then the row without its key),
    and under None the rows of no key."""
    by_key: dict[str | None, set[tuple]] = {}
    for relation, id_column in inputs.items():
        schema, name = relation.split(".")
        select = ", ".join(f'"{c}"' for c in _columns(con, schema, name) if c != key)
        for value, *row in con.execute(
                f'select {key}, "{id_column}", {select} from {relation}').fetchall():
            by_key.setdefault(value, set()).add((relation, *row))
    return by_key


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, Settings, dict]:
    tmp = tmp_path_factory.mktemp("incremental")
    landing = tmp / "landing"
    generate(CFG, landing)
    redeliver_next_day(landing, LATE_DAY, events=25)
    _add_early_orders(landing)
    files = files_by_day(landing)
    days = sorted({d for by_day in files.values() for d in by_day if d is not None})
    # the full refresh sees the emptied day as corrected: no rows
    delivered = header_only(files_to_empty(files, EMPTIED_DAY))
    corrected = {path: path.read_bytes() for path in delivered}

    full = _settings(tmp / "full")
    lake = Lake(full.lake_dir)
    for name, by_day in files.items():
        ingest_days(DATASETS[name], by_day, lake)
    with connect(full.warehouse_path) as con:
        ensure_lake_views(con, lake)
    # the full refresh runs beside the day-by-day builds (one process each, two cores)
    full_build = _start_dbt(full, tmp / "full", "build", "--full-refresh")

    daily = _settings(tmp / "daily")
    lake = Lake(daily.lake_dir)
    for name, by_day in files.items():
        if None in by_day:  # reference snapshots
            ingest_days(DATASETS[name], {None: by_day[None]}, lake)
    _dbt(daily, tmp / "daily", "seed")
    def run_partition(day: dt.date) -> None:
        with connect(daily.warehouse_path) as con:
            ensure_lake_views(con, lake)
        window = partitioned_dbt_vars(day, day + dt.timedelta(days=1), lookback=3)
        _dbt(daily, tmp / "daily", "run", "--select", "tag:partitioned", *vars_arg(window))

    stray: dict[str, object] = {}
    for day in days:
        if day == EMPTIED_DAY:  # first delivered with its rows
            for path, content in delivered.items():
                path.write_bytes(content)
        if day == CORRECTED_DAY:
            [events_file], [orders_file] = files["online_events"][day], files["online_orders"][day]
            stray["first_day_session"] = _lines(files["online_events"][days[0]][0].path)[0][
                "session_id"]
            originals = _deliver_stray_rows(events_file.path, orders_file.path,
                                            stray["first_day_session"])
        for name, by_day in files.items():
            if day in by_day and not (name in LATE and day == LATE_DAY):
                ingest_days(DATASETS[name], {day: by_day[day]}, lake)
        run_partition(day)
        if day == MIDWAY_DAY:
            _dbt(daily, tmp / "daily", "run", "--exclude", "tag:partitioned")
            with duckdb.connect(str(daily.warehouse_path), read_only=True) as con:
                stray["midway_inputs"] = _inputs_by(con, "member_id", JOURNEY_INPUTS)
                stray["midway_web_inputs"] = _inputs_by(con, "session_id", WEB_TOUCH_INPUTS)
        if day == LATE_DAY + dt.timedelta(days=2):
            # the late files land after the later days were built; the landing sensor runs
            # their own day's partition, which must take over events first seen later
            for name in LATE:
                ingest_days(DATASETS[name], {LATE_DAY: files[name][LATE_DAY]}, lake)
            run_partition(LATE_DAY)
    with duckdb.connect(str(daily.warehouse_path), read_only=True) as con:
        stray["before_correction"] = _stray_rows(con, stray["first_day_session"])
        stray["emptied_day_before_correction"] = staging_rows_on(con, EMPTIED_DAY)
    # the emptied day's corrected (header-only) files, ingested as the sensor would
    for path, content in corrected.items():
        path.write_bytes(content)
    for name in EMPTIED_STAGING:
        ingest_days(DATASETS[name], {EMPTIED_DAY: files[name][EMPTIED_DAY]}, lake)
    # the corrected files, under the same names, replace the stray deliveries; their day is
    # the last one built, as a day corrected the next morning is
    for landing_file, dataset in ((events_file, "online_events"), (orders_file, "online_orders")):
        landing_file.path.write_bytes(originals[landing_file.path])
        ingest_days(DATASETS[dataset], {CORRECTED_DAY: [landing_file]}, lake)
    # markers on a session and an order the window does not reach: a run that recomputed
    # them (no longer incremental) would wipe the markers out
    with connect(daily.warehouse_path) as con:
        [(marked_session,)] = con.execute(
            "select min(session_id) from intermediate.int_web_session_activity "
            "where last_business_date < ? and session_id <> ?",
            [CORRECTED_DAY - dt.timedelta(days=3), stray["first_day_session"]]).fetchall()
        con.execute("update intermediate.int_web_session_activity set events = events + 1000 "
                    "where session_id = ?", [marked_session])
        con.execute("update staging.stg_online__orders set order_status = 'marker' "
                    "where order_id = ?", [QUIET_ORDER])

    def after(run: str) -> None:
        """What the run left: the markers, and the rows the stray deliveries touched."""
        with duckdb.connect(str(daily.warehouse_path), read_only=True) as con:
            [(events,)] = con.execute("select events from intermediate.int_web_session_activity "
                                      "where session_id = ?", [marked_session]).fetchall()
            [(status,)] = con.execute("select order_status from staging.stg_online__orders "
                                      "where order_id = ?", [QUIET_ORDER]).fetchall()
            stray[f"markers_after_{run}"] = (events, status)
            stray[f"after_{run}"] = _stray_rows(con, stray["first_day_session"])
            stray[f"emptied_day_after_{run}"] = staging_rows_on(con, EMPTIED_DAY)

    run_partition(CORRECTED_DAY)
    after("correction")
    with connect(daily.warehouse_path) as con:
        # orders as a warehouse built before the incremental orders has them (a table
        # without last_business_date): the next run must recompute them all
        con.execute("alter table staging.stg_online__orders drop column last_business_date")
    run_partition(CORRECTED_DAY)
    after("upgrade")
    with connect(daily.warehouse_path) as con:  # the session marker goes, for the comparison
        con.execute("update intermediate.int_web_session_activity set events = events - 1000 "
                    "where session_id = ?", [marked_session])
        # every journey marked: the build below keeps the marks of the members it does not
        # recompute
        con.execute("update marts.fct_purchase_journeys "
                    "set touches_before = touches_before + ?", [JOURNEY_MARK])
        # every web touch marked: the build below keeps the marks of the sessions it does
        # not recompute (it builds the web touches and what they read, not the journeys,
        # which would see the marks)
        con.execute("update intermediate.int_web_touchpoints "
                    "set touch_type = touch_type || ?", [WEB_TOUCH_MARK])
    _dbt(daily, tmp / "daily", "run", "--exclude", "tag:partitioned",
         "--select", "+int_web_touchpoints")
    with connect(daily.warehouse_path) as con:
        marks = con.execute(
            "select session_id, bool_and(ends_with(touch_type, $mark)), "
            "bool_or(ends_with(touch_type, $mark)) from intermediate.int_web_touchpoints "
            "group by session_id", {"mark": WEB_TOUCH_MARK}).fetchall()
        stray["web_touches_marked"] = {session: (every, some) for session, every, some in marks}
        stray["final_web_inputs"] = _inputs_by(con, "session_id", WEB_TOUCH_INPUTS)
        con.execute("update intermediate.int_web_touchpoints "
                    "set touch_type = left(touch_type, -?) where ends_with(touch_type, ?)",
                    [len(WEB_TOUCH_MARK), WEB_TOUCH_MARK])
    # the rest of the unpartitioned models (what the build above built is up to date)
    _dbt(daily, tmp / "daily", "run", "--exclude", "tag:partitioned", "+int_web_touchpoints")
    with connect(daily.warehouse_path) as con:
        stray["journeys_marked"] = dict(con.execute(
            "select member_id, bool_and(touches_before >= ?) from marts.fct_purchase_journeys "
            "group by member_id", [JOURNEY_MARK]).fetchall())
        stray["final_inputs"] = _inputs_by(con, "member_id", JOURNEY_INPUTS)
        con.execute("update marts.fct_purchase_journeys set touches_before = touches_before - ? "
                    "where touches_before >= ?", [JOURNEY_MARK, JOURNEY_MARK])
    _wait(full_build)
    return full, daily, stray


def test_every_model_is_built_in_both(builds) -> None:
    full, daily, _ = builds
    relations = _relations(full.warehouse_path)
    assert relations == _relations(daily.warehouse_path)
    assert {"marts.dim_members", "marts.fct_member_monthly", "marts.fct_touchpoints",
            "marts.fct_survey_responses", "marts.programme_kpis_daily",
            "staging.stg_pos__transaction_lines", "staging.stg_online__events"} <= set(relations)


def test_day_by_day_equals_full_refresh(builds) -> None:
    full, daily, _ = builds
    with duckdb.connect() as con:
        con.execute(f"attach '{full.warehouse_path}' as full_build (read_only)")
        con.execute(f"attach '{daily.warehouse_path}' as daily_build (read_only)")
        differences = {}
        sizes = {}
        for relation in _relations(full.warehouse_path):
            schema, name = relation.split(".")
            select = ", ".join(f'"{c}"' for c in _columns(con, schema, name, "full_build"))
            a = f"select {select} from full_build.{schema}.{name}"
            b = f"select {select} from daily_build.{schema}.{name}"
            [(only_full, only_daily, rows)] = con.execute(
                f"select (select count(*) from ({a} except all {b})), "
                f"(select count(*) from ({b} except all {a})), (select count(*) from ({a}))"
            ).fetchall()
            sizes[relation] = rows
            if only_full or only_daily:
                differences[relation] = (only_full, only_daily)
    assert differences == {}
    # the comparison is not vacuous: the facts hold every generated day
    assert sizes["staging.stg_pos__transaction_lines"] > 200
    assert sizes["staging.stg_online__events"] > 200
    assert sizes["marts.fct_member_daily_sales"] > 50
    assert sizes["marts.dim_members"] >= CFG.members


def test_the_late_file_was_picked_up_by_the_lookback(builds) -> None:
    _, daily, _ = builds
    with duckdb.connect(str(daily.warehouse_path), read_only=True) as con:
        [(lines,)] = con.execute(
            "select count(*) from staging.stg_pos__transaction_lines where transaction_date = ?",
            [LATE_DAY]).fetchall()
    assert lines > 20


def test_dbt_docs_generate_works(builds, tmp_path: Path) -> None:
    full, _, _ = builds
    _dbt(full, tmp_path, "docs", "generate")
    catalog = json.loads((tmp_path / "target" / "catalog.json").read_text())
    assert "model.loyalty.dim_members" in catalog["nodes"]
    described = json.loads((tmp_path / "target" / "manifest.json").read_text())["nodes"]
    undocumented = [f"{n['name']}.{c}" for n in described.values()
                    if n["resource_type"] == "model" and n["name"].startswith(("dim_", "fct_"))
                    for c, col in n["columns"].items() if not col.get("description")]
    assert undocumented == []


def test_an_event_delivered_late_and_again_later_is_kept_once_on_its_first_day(builds) -> None:
    _, daily, _ = builds
    with duckdb.connect(str(daily.warehouse_path), read_only=True) as con:
        repeated = con.execute(
            "select event_id, min(business_date) from raw.online_events group by event_id "
            "having min(business_date) = ? and max(business_date) > ?",
            [LATE_DAY, LATE_DAY]).fetchall()
        assert repeated  # the scenario is real: the generator repeats some events next day
        kept = con.execute(
            "select event_id, business_date from staging.stg_online__events "
            "where event_id in (select unnest(?))", [[e for e, _ in repeated]]).fetchall()
    assert sorted(kept) == sorted(repeated)


def test_vars_default_to_every_day(builds) -> None:
    """A bare ``dbt build`` (no vars) processes every day of the lake."""
    full, _, _ = builds
    with duckdb.connect(str(full.warehouse_path), read_only=True) as con:
        [(first, last)] = con.execute(
            "select min(transaction_date), max(transaction_date) "
            "from staging.stg_pos__transaction_lines").fetchall()
    assert (first, last) == (CFG.start, CFG.start + dt.timedelta(days=CFG.days - 1))


def test_a_corrected_delivery_recomputes_or_drops_its_sessions_and_orders(builds) -> None:
    """The stray rows were built into the incremental sessions and orders, then the
    corrected files took them away: the stray session and order are gone, and the first-day
    session and order (whose last day the last day's window does not reach) are as they
    were. The equality with the full refresh above holds every other column."""
    full, daily, stray = builds
    before = stray["before_correction"]
    session = stray["first_day_session"]
    with duckdb.connect(str(full.warehouse_path), read_only=True) as con:
        expected = _stray_rows(con, session)
    # the scenario is real: every stray row was built, and the first-day rows are out of
    # the last day's window (lookback 3)
    first_day = CFG.start
    assert expected == {session: [expected[session][0], first_day],
                        EARLY_ORDER: ["placed", first_day]}
    assert before == {STRAY_SESSION: [3, CORRECTED_DAY],
                      session: [expected[session][0] + 2, CORRECTED_DAY],
                      STRAY_ORDER: [before[STRAY_ORDER][0], CORRECTED_DAY],
                      EARLY_ORDER: ["cancelled", CORRECTED_DAY]}
    assert stray["after_correction"] == expected
    assert stray["after_upgrade"] == expected


def test_a_day_corrected_to_no_rows_leaves_the_staging_tables(builds) -> None:
    """The emptied day's till lines, points entries and web events were built, then their
    files were delivered again with no row (a header, or nothing): the next run, whose
    window holds that day, removed them (delete+insert alone deletes only the days it
    inserts). The day still has a file of events redelivered from the day before: copies,
    which must not bring it back. The equality with the full refresh above covers the
    sessions and marts built on them."""
    _, _, stray = builds
    before = stray["emptied_day_before_correction"]
    assert before["pos_transactions"] > 20 and before["crm_points"] > 0
    assert before["online_events"] > 50
    assert stray["emptied_day_after_correction"] == {name: 0 for name in EMPTIED_STAGING}


def test_runs_recompute_only_what_their_window_reaches(builds) -> None:
    """A session and an order out of the window's reach were marked in the warehouse before
    the correction's run: the run left both marks (it recomputed neither). The next run,
    on a warehouse whose orders table predates last_business_date, recomputed every order
    (the order's mark is gone) and still no session."""
    _, _, stray = builds
    events_marked = stray["markers_after_correction"][0]
    assert events_marked > 1000
    assert stray["markers_after_correction"] == (events_marked, "marker")
    assert stray["markers_after_upgrade"] == (events_marked, "placed")


def test_keyed_models_document_exactly_their_columns(builds) -> None:
    """keys_to_recompute recomputes every key when a documented column is missing from the
    table: a column documented but not built would make every run a full one."""
    _, daily, _ = builds
    manifest = json.loads((daily.warehouse_path.parent / "target" / "manifest.json").read_text())
    with duckdb.connect(str(daily.warehouse_path), read_only=True) as con:
        for relation in ("intermediate.int_web_session_activity", "staging.stg_online__orders"):
            schema, name = relation.split(".")
            built = {c for (c,) in con.execute(
                "select column_name from information_schema.columns "
                "where table_schema = ? and table_name = ?", [schema, name]).fetchall()}
            [node] = [n for n in manifest["nodes"].values() if n["name"] == name]
            assert set(node["columns"]) == built, relation


def test_journeys_recompute_exactly_the_members_whose_inputs_changed(builds) -> None:
    """Between the midway and the last build of the unpartitioned models, days arrived, a
    late file, corrections and identity links. The last build recomputed the journeys of
    the members whose sales lines or touches changed (their marks are gone) and kept every
    other member's marked rows; the comparison with the full refresh above proves that
    both are right."""
    _, _, stray = builds
    midway, final = stray["midway_inputs"], stray["final_inputs"]
    changed = {m for m in (midway.keys() | final.keys()) - {None}
               if midway.get(m) != final.get(m)}
    marked = stray["journeys_marked"]
    recomputed = {m for m, still_marked in marked.items() if not still_marked}
    kept = marked.keys() - recomputed
    assert recomputed == changed & marked.keys()
    # neither side is vacuous
    assert len(recomputed) >= 10 and len(kept) >= 10
    # the scenario moves records (sales lines, touches: relation and id) between members
    # or from none, as identity links do; their owners are among the changed members above
    before = {row[:2]: member for member, rows in midway.items() for row in rows}
    after = {row[:2]: member for member, rows in final.items() for row in rows}
    assert any(before[key] != after[key] for key in before.keys() & after.keys())


def test_web_touches_recompute_exactly_the_sessions_whose_inputs_changed(builds) -> None:
    """The same for int_web_touchpoints, by session: the last build recomputed the sessions
    whose events or session row changed since the midway build (their marks are gone,
    from every row) and kept every other session's marked rows."""
    _, _, stray = builds
    midway, final = stray["midway_web_inputs"], stray["final_web_inputs"]
    changed = {s for s in (midway.keys() | final.keys()) - {None}
               if midway.get(s) != final.get(s)}
    marked = stray["web_touches_marked"]
    assert all(every == some for every, some in marked.values())  # whole sessions
    recomputed = {s for s, (every, _) in marked.items() if not every}
    kept = marked.keys() - recomputed
    assert recomputed == changed & marked.keys()
    assert len(recomputed) >= 10 and len(kept) >= 10
    # among the recomputed: sessions whose events did not change, only their member (an
    # identity link found after the midway build gave an old session its member)
    events_changed = {s for s in changed if {r for r in midway.get(s, ()) if "events" in r[0]}
                      != {r for r in final.get(s, ()) if "events" in r[0]}}
    assert recomputed - events_changed
