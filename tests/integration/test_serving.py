"""The serving file: what is published, that DuckDB 1.x clients and SQLAlchemy open it, that
a reader holding it open is never disturbed, and that a failed audit publishes nothing."""

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import sqlalchemy

from orchestration.lib import serving
from orchestration.lib.serving import STORAGE_VERSION, AuditError, publish
from orchestration.lib.settings import PROJECT_ROOT

DUCKDB1 = PROJECT_ROOT / ".venv" / "compat" / "duckdb1"


def _warehouse(path: Path, members: int) -> Path:
    with duckdb.connect(str(path)) as con:
        for schema in ("staging", "marts", "scores", "outputs", "reference"):
            con.execute(f"create schema {schema}")
        con.execute("create table staging.stg_crm__members as select 'M1' as member_id, "
                    "'alice@example.com' as email")
        con.execute(f"create table marts.dim_members as select 'M' || i as member_id, "
                    f"cast(i * 1.25 as decimal(18, 2)) as lifetime_spend, "
                    f"date '2026-01-01' + cast(i as integer) as first_purchase_date "
                    f"from range({members}) t(i)")
        con.execute("create view marts.top_members as "
                    "select * from marts.dim_members where lifetime_spend > 10")
        con.execute("create table scores.member_scores as select member_id, "
                    "0.5 as churn_probability from marts.dim_members")
        con.execute("create table outputs.churn_risk as select member_id, 1 as risk_rank "
                    "from marts.dim_members")
        con.execute("create table reference.tier_rules as select 'gold' as tier, 5000 as spend")
    return path


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_publishes_marts_scores_outputs_and_reference_without_staging(tmp_path: Path) -> None:
    warehouse = _warehouse(tmp_path / "warehouse.duckdb", members=20)
    dictionary = [("marts", "dim_members", "lifetime_spend", "Net spend since enrolment.")]
    result = publish(warehouse, tmp_path / "serving", run_id="run-1", dictionary=dictionary)

    assert result.tables == {"marts.dim_members": 20, "marts.top_members": 11,
                             "outputs.churn_risk": 20, "reference.tier_rules": 1,
                             "scores.member_scores": 20}
    with duckdb.connect(str(result.path), read_only=True) as con:
        schemas = {r[0] for r in con.execute(
            "select distinct table_schema from information_schema.tables").fetchall()}
        assert schemas == {"marts", "scores", "outputs", "reference", "serving_meta"}
        # a view of the warehouse becomes a table: BI tools never need the warehouse
        kinds = dict(con.execute("select table_name, table_type from information_schema.tables "
                                 "where table_schema = 'marts'").fetchall())
        assert kinds == {"dim_members": "BASE TABLE", "top_members": "BASE TABLE"}
        assert con.execute("select sum(lifetime_spend) from marts.dim_members").fetchone()[0] \
            == sum(i * 1.25 for i in range(20))
        assert con.execute("select run_id, storage_version from serving_meta.publication"
                           ).fetchone() == ("run-1", STORAGE_VERSION)
        described = con.execute(
            "select data_type, description from serving_meta.data_dictionary "
            "where table_name = 'dim_members' and column_name = 'lifetime_spend'").fetchone()
        assert described == ("DECIMAL(18,2)", "Net spend since enrolment.")
        # every column of every table is in the dictionary, described or not
        assert con.execute("select count(*) from serving_meta.data_dictionary").fetchone()[0] \
            == 3 + 3 + 2 + 2 + 2
    parquet = result.parquet_dir / "marts" / "dim_members"
    assert duckdb.sql(f"select count(*) from read_parquet('{parquet}/*.parquet')"
                      ).fetchall() == [(20,)]
    assert not (result.parquet_dir / "staging").exists()
    assert sorted(p.name for p in result.path.parent.iterdir()) == ["loyalty.duckdb", "parquet"]


def test_duckdb_1x_clients_and_sqlalchemy_open_the_serving_file(tmp_path: Path) -> None:
    assert (DUCKDB1 / "duckdb").is_dir(), "`make test` installs DuckDB 1.x into .venv/compat"
    publish(_warehouse(tmp_path / "w1.duckdb", members=5), tmp_path / "serving", run_id="run-1")
    # the second publication patches a copy of the first file: still a file 1.x clients open
    result = publish(_warehouse(tmp_path / "w2.duckdb", members=7), tmp_path / "serving",
                     run_id="run-2")
    assert result.incremental
    script = ("import sys, duckdb; con = duckdb.connect(sys.argv[1], read_only=True); "
              "print(duckdb.__version__, *con.execute('select count(*), sum(lifetime_spend), "
              "max(first_purchase_date) from marts.dim_members').fetchone())")
    old = subprocess.run([sys.executable, "-c", script, str(result.path)], capture_output=True,
                         text=True, env={**os.environ, "PYTHONPATH": str(DUCKDB1)})
    assert old.returncode == 0, old.stderr
    version, members, spend, last = old.stdout.split()
    assert version.startswith("1.")
    assert (members, spend, last) == ("7", "26.25", "2026-01-07")   # 1.25 * (0 + ... + 6)

    # the README's SQLAlchemy URL, as Superset-like tools use it
    engine = sqlalchemy.create_engine(f"duckdb:///{result.path}",
                                      connect_args={"read_only": True})
    with engine.connect() as con:
        rows = con.execute(sqlalchemy.text(
            "select count(*) from marts.dim_members where lifetime_spend > 5")).scalar()
    engine.dispose()
    assert rows == 2


def _daily_warehouse(path: Path, days: int) -> Path:
    """A warehouse as a daily refresh leaves it: dated facts, a snapshot by as-of date,
    a member table, and reference data without dates."""
    with duckdb.connect(str(path)) as con:
        for schema in ("marts", "scores", "outputs", "reference"):
            con.execute(f"create schema {schema}")
        con.execute(f"create table marts.fct_sales as select 'S' || i as sale_id, "
                    f"date '2026-01-01' + cast(i % {days} as integer) as sale_date, "
                    f"cast(i as decimal(18, 2)) as amount from range({days * 100}) t(i)")
        # two identical rows a day (a multiset, not a set), and visits without a date
        con.execute("insert into marts.fct_sales select * from marts.fct_sales "
                    "where sale_id in ('S0', 'S1')")
        con.execute(f"create table marts.fct_visits as select 'V' || i as visit_id, "
                    f"case when i % 7 = 6 then null else date '2026-01-01' "
                    f"+ cast(i % {days} as integer) end as visit_date, "
                    f"i % 3 = 0 as converted from range({days * 50}) t(i)")
        con.execute("create view marts.sales_daily as select sale_date, sum(amount) as amount "
                    "from marts.fct_sales group by sale_date")
        con.execute("create table outputs.churn_risk as select 'M' || i as member_id, "
                    "date '2026-01-01' as as_of_date, 0.1 * (i % 10) as churn_probability "
                    "from range(40) t(i)")
        con.execute("create table scores.member_scores as select 'M' || i as member_id, "
                    "i * 2 as points from range(40) t(i)")
        con.execute("create table reference.tier_rules as select 'gold' as tier, 5000 as spend")
    return path


def _assert_holds_the_warehouse(warehouse: Path, result) -> None:
    """Every published table, in the file and in Parquet, holds exactly the warehouse's rows
    (compared as multisets: order and duplicates)."""
    with duckdb.connect() as con:
        con.execute(f"attach '{warehouse}' as wh (read_only)")
        con.execute(f"attach '{result.path}' as pub (read_only)")
        tables = con.execute("select table_schema, table_name from information_schema.tables "
                             "where table_catalog = 'wh' and table_schema != 'staging' "
                             "order by 1, 2").fetchall()
        published = con.execute("select table_schema, table_name from information_schema.tables "
                                "where table_catalog = 'pub' and table_schema != "
                                "'serving_meta' order by 1, 2").fetchall()
        assert published == tables
        for schema, table in tables:
            assert _types(con, "pub", schema, table) == _types(con, "wh", schema, table)
            files = result.parquet_dir / schema / table / "*.parquet"
            for copy in (f"pub.{schema}.{table}", f"read_parquet('{files}')"):
                for a, b in ((copy, f"wh.{schema}.{table}"), (f"wh.{schema}.{table}", copy)):
                    assert con.execute(f"select count(*) from (select * from {a} except all "
                                       f"select * from {b})").fetchone() == (0,), (a, b)


def _types(con: duckdb.DuckDBPyConnection, catalog: str, schema: str, table: str) -> list:
    return con.execute("select column_name, data_type from information_schema.columns where "
                       "table_catalog = ? and table_schema = ? and table_name = ? "
                       "order by ordinal_position", [catalog, schema, table]).fetchall()


def test_a_daily_publication_replaces_only_the_slices_that_changed(tmp_path: Path) -> None:
    serving_dir = tmp_path / "serving"
    first = publish(_daily_warehouse(tmp_path / "w1.duckdb", days=10), serving_dir, run_id="r1")
    assert not first.incremental and first.reason == "no previous serving file"

    # the next day: a new day of sales; one visit of day 3 corrected; today's churn list
    # replaces yesterday's; points recomputed with a new column; a table retired, one added
    warehouse = shutil.copy(tmp_path / "w1.duckdb", tmp_path / "w2.duckdb")
    with duckdb.connect(str(warehouse)) as con:
        con.execute("insert into marts.fct_sales select 'S' || i, date '2026-01-11', i "
                    "from range(1000, 1100) t(i)")
        con.execute("update marts.fct_visits set converted = not converted "
                    "where visit_id in ('V2', 'V6')")     # V6 has no date
        con.execute("delete from marts.fct_visits where visit_date = date '2026-01-05'")
        con.execute("update outputs.churn_risk set as_of_date = date '2026-01-02', "
                    "churn_probability = 1 - churn_probability")
        con.execute("alter table scores.member_scores add column tier varchar default 'base'")
        con.execute("drop table reference.tier_rules")
        con.execute("create table reference.segment_actions as select 'lapsing' as segment")
    result = publish(Path(warehouse), serving_dir, run_id="r2")

    assert result.incremental and result.reason.startswith("started from the publication of")
    assert result.changes == {
        "marts.fct_sales":
            "patched by sale_date: 1 slice(s) replaced, 11 in all; Parquet appended",
        # changed days (the one without a date too) replaced, one gone: Parquet written again
        "marts.fct_visits":
            "patched by visit_date: 3 slice(s) replaced, 10 in all; Parquet written",
        "marts.sales_daily":       # a view of the warehouse is patched like a table
            "patched by sale_date: 1 slice(s) replaced, 11 in all; Parquet appended",
        # every row changed: written whole rather than deleted and inserted
        "outputs.churn_risk": "written; Parquet written",
        "reference.segment_actions": "written; Parquet written",
        "scores.member_scores": "written; Parquet written",
    }
    assert sorted(p.name for p in (result.parquet_dir / "marts" / "fct_sales").iterdir()) \
        == ["part-0.parquet", "part-1.parquet"]
    assert not (result.parquet_dir / "reference" / "tier_rules").exists()
    _assert_holds_the_warehouse(Path(warehouse), result)

    # a day without changes keeps every table and links every Parquet file
    again = publish(Path(warehouse), serving_dir, run_id="r3")
    assert set(again.changes.values()) == {"kept; Parquet linked"}, again.reason
    _assert_holds_the_warehouse(Path(warehouse), again)
    with duckdb.connect(str(again.path), read_only=True) as con:
        publication_id, run_id = con.execute(
            "select publication_id, run_id from serving_meta.publication").fetchone()
        assert run_id == "r3"
        assert con.execute("select table_name, row_count from serving_meta.tables "
                           "order by 1").fetchall() == [
            ("churn_risk", 40), ("fct_sales", 1102), ("fct_visits", 457),
            ("member_scores", 40), ("sales_daily", 11), ("segment_actions", 1)]
    assert (again.parquet_dir / ".publication").read_text().strip() == publication_id

    # a schema gone from the warehouse is gone from the file, not left empty
    with duckdb.connect(str(warehouse)) as con:
        con.execute("drop schema reference cascade")
    last = publish(Path(warehouse), serving_dir, run_id="r4")
    assert last.incremental and "reference.segment_actions" not in last.changes
    with duckdb.connect(str(last.path), read_only=True) as con:
        assert con.execute("select count(*) from information_schema.schemata "
                           "where schema_name = 'reference'").fetchone() == (0,)
    _assert_holds_the_warehouse(Path(warehouse), last)
    assert sorted(p.name for p in serving_dir.iterdir()) == ["loyalty.duckdb", "parquet"]


def test_unchanged_parquet_is_linked_not_copied(tmp_path: Path) -> None:
    serving_dir = tmp_path / "serving"
    warehouse = _daily_warehouse(tmp_path / "w.duckdb", days=3)
    publish(warehouse, serving_dir, run_id="r1")
    sales = serving_dir / "parquet" / "marts" / "fct_sales" / "part-0.parquet"
    before = sales.stat().st_ino
    publish(warehouse, serving_dir, run_id="r2")
    assert sales.stat().st_ino == before

    # Parquet of another publication than the file's (a run killed between the two renames)
    # is never reused: it is written whole
    (serving_dir / "parquet" / ".publication").write_text("someone else\n")
    result = publish(warehouse, serving_dir, run_id="r3")
    assert result.incremental and "Parquet is written whole" in result.reason
    assert set(result.changes.values()) == {"kept; Parquet written"}
    assert sales.stat().st_ino != before
    _assert_holds_the_warehouse(warehouse, result)


def test_a_patch_that_went_wrong_is_refused_and_the_file_written_whole(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    serving_dir = tmp_path / "serving"
    publish(_daily_warehouse(tmp_path / "w1.duckdb", days=5), serving_dir, run_id="r1")
    warehouse = Path(shutil.copy(tmp_path / "w1.duckdb", tmp_path / "w2.duckdb"))
    with duckdb.connect(str(warehouse)) as con:
        con.execute("insert into marts.fct_sales values ('S-new', date '2026-01-06', 1.00)")

    real_copy = serving._copy

    def careless_copy(con, schema, table, *, patch):  # a patch that changes a kept row
        done = real_copy(con, schema, table, patch=patch)
        if done.action == "patched":
            con.execute("update serving.marts.fct_sales set amount = amount + 1 "
                        "where sale_id = 'S1'")
        return done

    monkeypatch.setattr(serving, "_copy", careless_copy)
    result = publish(warehouse, serving_dir, run_id="r2")
    assert not result.incremental
    assert "failed its audit" in result.reason
    assert "marts.fct_sales: the patched rows differ from the warehouse's" in result.reason
    assert result.fallback
    _assert_holds_the_warehouse(warehouse, result)
    assert sorted(p.name for p in serving_dir.iterdir()) == ["loyalty.duckdb", "parquet"]


def test_a_previous_file_a_bi_user_changed_is_not_patched_but_replaced(tmp_path: Path) -> None:
    serving_dir = tmp_path / "serving"
    warehouse = _daily_warehouse(tmp_path / "w.duckdb", days=3)
    publish(warehouse, serving_dir, run_id="r1")
    with duckdb.connect(str(serving_dir / "loyalty.duckdb")) as con:   # opened read-write
        con.execute("create view marts.my_sales as select * from marts.fct_sales")
        con.execute("drop table marts.fct_visits")
        con.execute("create view marts.fct_visits as select 1 as visit_id")
    result = publish(warehouse, serving_dir, run_id="r2")
    assert result.fallback and "could not be patched" in result.reason
    _assert_holds_the_warehouse(warehouse, result)
    assert sorted(p.name for p in serving_dir.iterdir()) == ["loyalty.duckdb", "parquet"]


def test_appended_parquet_files_are_rewritten_as_one_past_the_limit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(serving, "MAX_PARQUET_PARTS", 3)
    serving_dir = tmp_path / "serving"
    warehouse = _daily_warehouse(tmp_path / "w.duckdb", days=3)
    folder = serving_dir / "parquet" / "marts" / "fct_sales"
    seen = []
    for day in range(4, 9):
        result = publish(warehouse, serving_dir, run_id=f"day {day}")
        seen.append(sorted(p.name for p in folder.iterdir()))
        _assert_holds_the_warehouse(warehouse, result)
        with duckdb.connect(str(warehouse)) as con:
            con.execute(f"insert into marts.fct_sales values ('S-{day}', "
                        f"date '2026-01-01' + {day - 1}, 1.00)")
    assert [len(names) for names in seen] == [1, 2, 3, 1, 2]


def test_full_publication_on_request_and_when_the_file_is_mostly_free_space(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(serving, "MIN_FREE_BYTES", 2**20)  # a small file for the test
    serving_dir = tmp_path / "serving"
    big = _warehouse(tmp_path / "big.duckdb", members=300_000)
    publish(big, serving_dir, run_id="r1")
    forced = publish(big, serving_dir, run_id="r2", full=True)
    assert not forced.incremental and forced.reason == "a full publication was asked for"
    _assert_holds_the_warehouse(big, forced)

    small = _warehouse(tmp_path / "small.duckdb", members=10)
    patched = publish(small, serving_dir, run_id="r3")   # the big rows freed in the copy
    assert patched.incremental
    _assert_holds_the_warehouse(small, patched)
    compact = publish(small, serving_dir, run_id="r4")
    assert not compact.incremental
    assert compact.reason.startswith("the previous serving file is ") \
        and compact.reason.endswith("free space")
    assert compact.size_bytes < patched.size_bytes / 2
    _assert_holds_the_warehouse(small, compact)


def test_a_reader_holding_the_file_keeps_its_snapshot_until_it_reconnects(tmp_path: Path) -> None:
    serving_dir = tmp_path / "serving"
    publish(_warehouse(tmp_path / "w1.duckdb", members=5), serving_dir, run_id="first")
    reader = duckdb.connect(str(serving_dir / "loyalty.duckdb"), read_only=True)
    try:
        publish(_warehouse(tmp_path / "w2.duckdb", members=9), serving_dir, run_id="second")
        assert reader.execute("select count(*) from marts.dim_members").fetchone()[0] == 5
        assert reader.execute("select run_id from serving_meta.publication").fetchone()[0] \
            == "first"
    finally:
        reader.close()
    with duckdb.connect(str(serving_dir / "loyalty.duckdb"), read_only=True) as fresh:
        assert fresh.execute("select count(*) from marts.dim_members").fetchone()[0] == 9


def test_a_failed_audit_publishes_nothing_and_leaves_no_litter(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    serving_dir = tmp_path / "serving"
    publish(_warehouse(tmp_path / "w1.duckdb", members=5), serving_dir, run_id="first")
    before = _sha(serving_dir / "loyalty.duckdb")
    parquet_before = sorted(p.name for p in (serving_dir / "parquet" / "marts").iterdir())

    real_write = serving._write

    def lossy_write(con, new_file, *args):  # a copy that silently lost rows
        counts = real_write(con, new_file, *args)
        with duckdb.connect(str(new_file)) as damaged:
            damaged.execute("delete from marts.dim_members where member_id = 'M3'")
        return counts

    monkeypatch.setattr(serving, "_write", lossy_write)
    with pytest.raises(AuditError, match=r"marts.dim_members: warehouse 8, file 7"):
        publish(_warehouse(tmp_path / "w2.duckdb", members=8), serving_dir, run_id="second")
    assert _sha(serving_dir / "loyalty.duckdb") == before
    assert sorted(p.name for p in (serving_dir / "parquet" / "marts").iterdir()) \
        == parquet_before
    # the temporary file of the refused publication goes with the next one
    assert any(p.name.endswith(".tmp") for p in serving_dir.iterdir())
    monkeypatch.setattr(serving, "_write", real_write)
    publish(_warehouse(tmp_path / "w3.duckdb", members=4), serving_dir, run_id="third")
    assert sorted(p.name for p in serving_dir.iterdir()) == ["loyalty.duckdb", "parquet"]


def test_an_empty_warehouse_is_not_published(tmp_path: Path) -> None:
    with duckdb.connect(str(tmp_path / "empty.duckdb")):
        pass
    with pytest.raises(AuditError, match="nothing|no marts"):
        publish(tmp_path / "empty.duckdb", tmp_path / "serving", run_id="r")
    assert not (tmp_path / "serving" / "loyalty.duckdb").exists()

    # nor over an earlier publication: the file stays, and the copy made to patch it goes
    serving_dir = tmp_path / "serving"
    publish(_warehouse(tmp_path / "w.duckdb", members=3), serving_dir, run_id="r1")
    before = _sha(serving_dir / "loyalty.duckdb")
    with pytest.raises(AuditError, match="no marts"):
        publish(tmp_path / "empty.duckdb", serving_dir, run_id="r2")
    assert _sha(serving_dir / "loyalty.duckdb") == before
    assert sorted(p.name for p in serving_dir.iterdir()) == ["loyalty.duckdb", "parquet"]


def test_an_old_parquet_folder_left_aside_by_a_killed_run_goes_with_the_next(
        tmp_path: Path) -> None:
    serving_dir = tmp_path / "serving"
    warehouse = _warehouse(tmp_path / "w.duckdb", members=3)
    publish(warehouse, serving_dir, run_id="r1")
    # what lake.swap_in leaves when killed between its two renames
    aside = serving_dir / ".old-parquet-0123abcd"
    shutil.copytree(serving_dir / "parquet", aside)
    publish(warehouse, serving_dir, run_id="r2")
    assert sorted(p.name for p in serving_dir.iterdir()) == ["loyalty.duckdb", "parquet"]


def test_the_data_dictionary_lists_every_published_table_and_column(tmp_path: Path) -> None:
    from orchestration.lib.dictionary import dictionary_markdown

    dictionary = [("marts", "dim_members", "lifetime_spend", "Net spend | since enrolment.")]
    result = publish(_warehouse(tmp_path / "warehouse.duckdb", members=3), tmp_path / "serving",
                     run_id="r", dictionary=dictionary)
    text = dictionary_markdown(result.path, {"marts.dim_members": "One row per member."})
    assert "### marts.dim_members\n\nOne row per member." in text
    assert "| `lifetime_spend` | DECIMAL(18,2) | Net spend / since enrolment. |" in text
    assert [line for line in text.splitlines() if line.startswith("### ")] == [
        f"### {name}" for name in sorted(result.tables)]
    assert "stg_crm__members" not in text and "email" not in text


def test_the_file_and_parquet_hold_exactly_the_warehouse_rows(tmp_path: Path) -> None:
    # large enough to be copied by both threads; rows compared as multisets, duplicates
    # included, so the test holds whatever order the copy writes them in
    warehouse = _warehouse(tmp_path / "warehouse.duckdb", members=300_000)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("insert into marts.dim_members select * from marts.dim_members limit 7")
    result = publish(warehouse, tmp_path / "serving", run_id="run-1")
    _assert_holds_the_warehouse(warehouse, result)
    with duckdb.connect(str(result.path), read_only=True) as con:
        assert con.execute("select count(*) from marts.dim_members").fetchone() == (300_007,)


def test_tables_with_lists_are_written_whole_and_infinite_dates_patched_as_themselves(
        tmp_path: Path) -> None:
    # hash() does not tell an empty list from NULL: a patch would keep the stale value
    warehouse = tmp_path / "w.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.baskets as select 'B' || i as basket_id, "
                    "date '2026-01-01' + cast(i % 3 as integer) as basket_date, "
                    "cast([] as varchar[]) as coupons from range(30) t(i)")
        # 'infinity' and 9999-12-31 are different slices (Python would make both date.max)
        con.execute("create table marts.memberships as select * from (values "
                    "('M1', date 'infinity', 1), ('M2', date '9999-12-31', 2), "
                    "('M3', date '2026-01-01', 3)) t(member_id, valid_to, tier)")
    serving_dir = tmp_path / "serving"
    publish(warehouse, serving_dir, run_id="r1")
    with duckdb.connect(str(warehouse)) as con:
        con.execute("update marts.baskets set coupons = null where basket_id = 'B4'")
        con.execute("update marts.memberships set tier = 9 where member_id = 'M1'")
    result = publish(warehouse, serving_dir, run_id="r2")
    assert result.changes == {
        "marts.baskets": "written; Parquet written",
        "marts.memberships":
            "patched by valid_to: 1 slice(s) replaced, 3 in all; Parquet written"}
    with duckdb.connect(str(result.path), read_only=True) as con:
        assert con.execute("select coupons is null from marts.baskets "
                           "where basket_id = 'B4'").fetchone() == (True,)
        assert con.execute("select member_id, tier from marts.memberships "
                           "order by 1").fetchall() == [("M1", 9), ("M2", 2), ("M3", 3)]
    _assert_holds_the_warehouse(warehouse, result)


def test_the_asset_patches_by_default_and_writes_whole_with_the_full_config(
        tmp_path: Path) -> None:
    import dagster as dg

    from orchestration.defs.publish.serving import loyalty_db
    from orchestration.lib.storage import LoyaltyStorage

    warehouse = _daily_warehouse(tmp_path / "warehouse.duckdb", days=3)
    storage = LoyaltyStorage(landing_dir=str(tmp_path / "landing"),
                             lake_dir=str(tmp_path / "lake"), warehouse_path=str(warehouse),
                             exports_dir=str(tmp_path / "exports"),
                             serving_dir=str(tmp_path / "serving"))
    # the run config the README gives for a whole file
    full = {"ops": {"serving__loyalty_db": {"config": {"full": True}}}}
    metadata = []
    with dg.instance_for_test() as instance:
        for run_config in (None, None, full):
            result = dg.materialize([loyalty_db], resources={"storage": storage},
                                    instance=instance, run_config=run_config)
            assert result.success
            [materialization] = result.asset_materializations_for_node("serving__loyalty_db")
            metadata.append({k: v.value for k, v in materialization.metadata.items()})
    assert [m["incremental"] for m in metadata] == [False, True, False]
    assert [m["how"] for m in metadata] == [
        "no previous serving file", metadata[1]["how"], "a full publication was asked for"]
    assert metadata[1]["how"].startswith("started from the publication of")
    assert "| marts.fct_sales | 302 | kept; Parquet linked |" in metadata[1]["row_counts"]
    assert "copy of the previous file s" in metadata[1] and "audit s" in metadata[2]
