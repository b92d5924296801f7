"""Write-audit-publish of the serving file BI tools open.

BI tools never open the pipeline's warehouse: DuckDB allows one writer, and a reader's lock
blocks it. Instead, the published schemas are copied into a *new* DuckDB file written in a
storage format DuckDB 1.x drivers can read (most BI drivers embed 1.x), audited (every table
re-read from the new file and its row count compared with the warehouse), and only then
renamed over ``loyalty.duckdb``. A client holding the old file open keeps reading the old
inode and sees the new data after reconnecting; a run killed halfway leaves only a
temporary file behind, which the next publication removes.

The same tables are written as Parquet, one folder per table, swapped in as a whole.

A daily publication changes little of a large file, so it starts from a copy of the previous
file and rewrites only what changed: each table's rows are grouped into slices by the
table's first DATE column (one slice when it has none), each slice fingerprinted as its row
count and the sum of its rows' hashes, in the warehouse and in the copy, and only slices whose
fingerprints differ are deleted and inserted again. A table whose columns changed, or whose
changed slices hold more than half its rows, is written whole. Parquet files of unchanged
tables are hard-linked from the previous publication; rows of new slices only are appended as
another file. The audit re-reads the fingerprints of every patched table from the new file,
so a patch that went wrong is refused like a lost row; the publication is then written whole.
Row hashes are 64 bits: a changed row is missed only if its slice keeps the same row count
and the same sum of hashes, which for one changed row is a chance of about 1 in 2**64, or if
the old and new values are ones DuckDB's hash() does not tell apart: 0.0 and -0.0, NaNs (SQL
compares these equal too), and in nested types an empty list and NULL, so tables with lists,
structs or maps are never patched, only written whole. Publications never overlap: the asset
holds the warehouse pool, the only writer of the serving folder.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from .lake import swap_in
from .warehouse import connection_config, sql_ident, sql_path

# What BI tools see. Staging, raw, quarantine and ops never leave the warehouse.
SERVING_SCHEMAS = ("marts", "scores", "outputs", "reference")
SERVING_FILE = "loyalty.duckdb"
PARQUET_DIR = "parquet"
# The newest storage format every DuckDB 1.5+ client reads (a 2.0 default file is not).
STORAGE_VERSION = "v1.5.0"
META_SCHEMA = "serving_meta"
# Beside the Parquet folders: the publication they belong to (hidden: no *.parquet glob sees it)
PARQUET_MARKER = ".publication"
# A table's Parquet folder takes this many appended files before it is written whole again.
MAX_PARQUET_PARTS = 32
# A previous file with more free space than this share (and than MIN_FREE_BYTES) is not
# copied: the new one is written whole, and compact.
MAX_FREE_SHARE = 0.3
MIN_FREE_BYTES = 64 * 2**20


class AuditError(RuntimeError):
    """The new serving file does not hold what the warehouse holds: nothing was published."""


class NothingToPublish(AuditError):
    """The warehouse has no marts, scores or outputs yet."""


@dataclass(frozen=True)
class Publication:
    path: Path
    parquet_dir: Path
    tables: dict[str, int]          # "schema.table" -> rows
    size_bytes: int
    published_at: dt.datetime
    incremental: bool = False       # started from a copy of the previous file
    reason: str = ""                # why the file was written whole, or what it started from
    changes: dict[str, str] = field(default_factory=dict)  # "schema.table" -> what was done
    fallback: bool = False          # the patched copy was refused and the file written whole
    # where the time went: "schema.table" -> (seconds in the file, seconds in Parquet), and
    # the steps around them ("copy of the previous file", "audit")
    seconds: dict[str, tuple[float, float]] = field(default_factory=dict)
    steps: dict[str, float] = field(default_factory=dict)


def serving_tables(con: duckdb.DuckDBPyConnection,
                   schemas: tuple[str, ...] = SERVING_SCHEMAS) -> list[tuple[str, str]]:
    """(schema, table) of every table and view to publish, in a stable order."""
    placeholders = ", ".join("?" for _ in schemas)
    return [tuple(r) for r in con.execute(
        "select table_schema, table_name from information_schema.tables "
        f"where table_catalog = current_database() and table_schema in ({placeholders}) "
        "order by 1, 2", list(schemas)).fetchall()]


def remove_leftovers(serving_dir: Path) -> list[Path]:
    """Temporary files of publications that never finished (a killed run), and the old
    Parquet folder a run killed while swapping it out left aside (``lake.swap_in``)."""
    leftovers = sorted(serving_dir.glob(f".{SERVING_FILE}.*.tmp*"))
    leftovers += sorted(serving_dir.glob(f".{PARQUET_DIR}.*.tmp"))
    leftovers += sorted(serving_dir.glob(f".old-{PARQUET_DIR}-*"))
    for path in leftovers:
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()
    return leftovers


def publish(warehouse: Path, serving_dir: Path, *, run_id: str,
            dictionary: list[tuple[str, str, str, str]] | None = None,
            full: bool = False) -> Publication:
    """Copy the serving schemas of ``warehouse`` into a new file, audit it, then atomically
    replace ``serving_dir/loyalty.duckdb`` and the Parquet folders.

    The warehouse is attached read-only under its own catalog name (its views name it).
    ``dictionary``: rows (schema, table, column, description) stored in
    ``serving_meta.data_dictionary`` so BI users can look columns up where they query.
    The new file starts from a copy of the previous one when that one can be reused (see the
    module's docstring); ``full`` writes it whole regardless.
    """
    serving_dir.mkdir(parents=True, exist_ok=True)
    remove_leftovers(serving_dir)
    base, reason = (None, "a full publication was asked for") if full else \
        _reusable(serving_dir)
    if base is None:
        return _publish(warehouse, serving_dir, run_id, dictionary or [], None, reason)
    try:
        return _publish(warehouse, serving_dir, run_id, dictionary or [], base, reason)
    except NothingToPublish:
        remove_leftovers(serving_dir)   # the copy made for nothing
        raise
    except Exception as error:  # noqa: BLE001 - the whole file is the cure, and it is said
        # The copy could not be brought level with the warehouse (a failed audit, or a
        # previous file a BI user changed): write it whole, as a first publication would,
        # and say so (``Publication.fallback``).
        remove_leftovers(serving_dir)
        why = "failed its audit" if isinstance(error, AuditError) else "could not be patched"
        publication = _publish(warehouse, serving_dir, run_id, dictionary or [], None,
                               f"the copy of the previous file {why} "
                               f"({type(error).__name__}: {error}), so it was written whole")
        return dataclasses.replace(publication, fallback=True)


def free_space(con: duckdb.DuckDBPyConnection) -> tuple[float, int]:
    """The share of the connection's database file that is free blocks, and their bytes."""
    free, total, block = con.execute(
        "select free_blocks, total_blocks, block_size from pragma_database_size() "
        "where database_name = current_database()").fetchone()
    return (free / total if total else 0.0), free * block


@dataclass(frozen=True)
class _Base:
    """The previous publication a new one starts from."""
    file: Path
    parquet: Path | None        # its Parquet folders, when they are of the same publication
    describe: str


def _reusable(serving_dir: Path) -> tuple[_Base | None, str]:
    """The previous publication, if the new one can start from a copy of it; else why not."""
    previous = serving_dir / SERVING_FILE
    if not previous.exists():
        return None, "no previous serving file"
    try:
        with duckdb.connect(str(previous), read_only=True) as con:
            publication = con.execute(
                f"select storage_version, publication_id, published_at "
                f"from {META_SCHEMA}.publication").fetchall()
            share, free_bytes = free_space(con)
    except duckdb.BinderException:
        return None, "the previous serving file has no publication id (it predates patching)"
    except duckdb.Error as error:
        return None, f"the previous serving file cannot be reused ({type(error).__name__}: {error})"
    if len(publication) != 1:
        return None, f"the previous serving file lists {len(publication)} publications"
    version, publication_id, published_at = publication[0]
    if version != STORAGE_VERSION:
        return None, f"the previous serving file is in storage format {version}"
    if share > MAX_FREE_SHARE and free_bytes > MIN_FREE_BYTES:
        return None, f"the previous serving file is {share:.0%} free space"
    marker = serving_dir / PARQUET_DIR / PARQUET_MARKER
    same = marker.exists() and marker.read_text().strip() == publication_id
    return (_Base(previous, serving_dir / PARQUET_DIR if same else None,
                  f"started from the publication of {published_at:%Y-%m-%d %H:%M:%S} UTC"
                  + ("" if same else "; its Parquet files belong to another one, so Parquet "
                     "is written whole")), "")


def _publish(warehouse: Path, serving_dir: Path, run_id: str,
             dictionary: list[tuple[str, str, str, str]], base: _Base | None,
             reason: str) -> Publication:
    token = uuid.uuid4().hex
    new_file = serving_dir / f".{SERVING_FILE}.{token}.tmp"
    new_parquet = serving_dir / f".{PARQUET_DIR}.{token}.tmp"
    published_at = dt.datetime.now(dt.UTC).replace(microsecond=0)
    steps = {}
    started = time.perf_counter()
    if base is not None:
        # a BI reader holding the previous file open never writes to it: copying is safe
        shutil.copyfile(base.file, new_file)
        steps["copy of the previous file"] = time.perf_counter() - started
    # A mart's row order means nothing (BI tools sort): copies that need not keep it ran 7 %
    # faster at 10M lines (bench/RESULTS.md, 2026-12-02), for a file 5 % bigger.
    config = {**connection_config(), "preserve_insertion_order": False}
    with duckdb.connect(config=config) as con:
        con.execute(f"attach {sql_path(warehouse)} as \"{warehouse.stem}\" (read_only)")
        con.execute(f'use "{warehouse.stem}"')
        tables = serving_tables(con)
        if not tables:
            raise NothingToPublish("the warehouse has no marts, scores or outputs to publish yet")
        written = _write(con, new_file, new_parquet, tables, base,
                         {"run_id": run_id, "at": published_at.replace(tzinfo=None),
                          "version": STORAGE_VERSION, "id": token}, dictionary)
    started = time.perf_counter()
    _audit(new_file, new_parquet, written)
    steps["audit"] = time.perf_counter() - started
    _fsync(new_file)
    target = serving_dir / SERVING_FILE
    os.replace(new_file, target)
    swap_in(new_parquet, serving_dir / PARQUET_DIR)
    return Publication(path=target, parquet_dir=serving_dir / PARQUET_DIR,
                       tables={key: table.rows for key, table in written.items()},
                       size_bytes=target.stat().st_size, published_at=published_at,
                       incremental=base is not None,
                       reason=base.describe if base is not None else reason,
                       changes={key: table.describe() for key, table in written.items()},
                       seconds={key: table.seconds for key, table in written.items()},
                       steps=steps)


Slices = dict[Any, tuple[int, int]]   # slice value -> (rows, sum of the rows' hashes)


@dataclass
class _Table:
    """What was done to one published table."""
    schema: str
    table: str
    rows: int
    action: str                         # "written", "kept" or "patched"
    column: str | None = None           # the slicing column
    slices: Slices = field(default_factory=dict)   # the warehouse's, when compared
    changed: list[Any] = field(default_factory=list)
    appended: bool = False              # every changed slice is new
    parquet: str = "written"            # "written", "linked" or "appended"
    seconds: tuple[float, float] = (0.0, 0.0)   # in the file, in Parquet

    @property
    def name(self) -> str:
        return f"{sql_ident(self.schema)}.{sql_ident(self.table)}"

    def describe(self) -> str:
        if self.action == "patched":
            return (f"patched by {self.column}: {len(self.changed)} slice(s) replaced, "
                    f"{len(self.slices)} in all; Parquet {self.parquet}")
        return f"{self.action}; Parquet {self.parquet}"


def _write(con: duckdb.DuckDBPyConnection, new_file: Path, new_parquet: Path,
           tables: list[tuple[str, str]], base: _Base | None, publication: dict[str, Any],
           dictionary: list[tuple[str, str, str, str]]) -> dict[str, _Table]:
    written: dict[str, _Table] = {}
    con.execute(f"attach {sql_path(new_file)} as serving (storage_version '{STORAGE_VERSION}')")
    try:
        con.execute(f"drop schema if exists serving.{META_SCHEMA} cascade")
        for schema, table, kind in _published(con, "serving"):
            if (schema, table) not in tables:    # gone from the warehouse: gone from BI
                con.execute(f"drop {'view' if kind == 'VIEW' else 'table'} "
                            f"serving.{sql_ident(schema)}.{sql_ident(table)}")
        schemas = sorted({s for s, _ in tables})
        for (schema,) in con.execute(
                "select schema_name from information_schema.schemata where catalog_name = "
                "'serving' and schema_name not in ('main', 'information_schema', "
                "'pg_catalog')").fetchall():
            if schema not in schemas:
                con.execute(f"drop schema serving.{sql_ident(schema)} cascade")
        for schema in schemas + [META_SCHEMA]:
            con.execute(f"create schema if not exists serving.{sql_ident(schema)}")
        for schema, table in tables:
            started = time.perf_counter()
            done = _copy(con, schema, table, patch=base is not None)
            copied = time.perf_counter()
            previous = base.parquet / schema / table if base and base.parquet else None
            done.parquet = _write_parquet(con, done, new_parquet / schema / table, previous)
            done.seconds = (copied - started, time.perf_counter() - copied)
            written[f"{schema}.{table}"] = done
        con.execute(f"create table serving.{META_SCHEMA}.publication as select "
                    "cast($run_id as varchar) as run_id, cast($at as timestamp) as published_at, "
                    "cast($version as varchar) as storage_version, "
                    "cast($id as varchar) as publication_id", publication)
        con.execute(f"create table serving.{META_SCHEMA}.tables "
                    "(table_schema varchar, table_name varchar, row_count bigint)")
        con.executemany(f"insert into serving.{META_SCHEMA}.tables values (?, ?, ?)",
                        [(t.schema, t.table, t.rows) for t in written.values()])
        con.execute(f"create table serving.{META_SCHEMA}.data_dictionary (table_schema varchar, "
                    "table_name varchar, column_name varchar, data_type varchar, "
                    "description varchar)")
        described = {(s, t, c): d for s, t, c, d in dictionary}
        columns = con.execute(
            "select table_schema, table_name, column_name, data_type "
            "from information_schema.columns where table_catalog = 'serving' "
            f"and table_schema != '{META_SCHEMA}' order by 1, 2, ordinal_position").fetchall()
        con.executemany(f"insert into serving.{META_SCHEMA}.data_dictionary values "
                        "(?, ?, ?, ?, ?)",
                        [(s, t, c, typ, described.get((s, t, c))) for s, t, c, typ in columns])
        con.execute("checkpoint serving")
    finally:
        con.execute("detach serving")
    new_parquet.mkdir(parents=True, exist_ok=True)
    (new_parquet / PARQUET_MARKER).write_text(publication["id"] + "\n")
    return written


def _published(con: duckdb.DuckDBPyConnection, catalog: str) -> list[tuple[str, str, str]]:
    return [tuple(r) for r in con.execute(
        "select table_schema, table_name, table_type from information_schema.tables "
        f"where table_catalog = ? and table_schema != '{META_SCHEMA}'", [catalog]).fetchall()]


def _columns(con: duckdb.DuckDBPyConnection, catalog: str, schema: str,
             table: str) -> list[tuple[str, str]]:
    return [tuple(r) for r in con.execute(
        "select column_name, data_type from information_schema.columns where table_catalog = ? "
        "and table_schema = ? and table_name = ? order by ordinal_position",
        [catalog, schema, table]).fetchall()]


def _copy(con: duckdb.DuckDBPyConnection, schema: str, table: str, *, patch: bool) -> _Table:
    """Bring ``serving.<schema>.<table>`` level with the warehouse: by slices when the copy
    of the previous file has it with the same columns, else whole."""
    done = _Table(schema, table, rows=0, action="written")
    target = f"serving.{done.name}"
    columns = _columns(con, con.execute("select current_database()").fetchone()[0],
                       schema, table)
    if patch and columns == _columns(con, "serving", schema, table) and not any(
            _nested(kind) for _, kind in columns):
        done.column = next((name for name, kind in columns if kind == "DATE"), None)
        done.slices = _fingerprints(con, done.name, done.column)
        before = _fingerprints(con, target, done.column)
        done.rows = sum(rows for rows, _ in done.slices.values())
        done.changed = sorted((s for s in done.slices.keys() | before.keys()
                               if done.slices.get(s) != before.get(s)),
                              key=lambda s: (s is None, s))
        if not done.changed:
            done.action = "kept"
            return done
        moved = sum(done.slices.get(s, (0, 0))[0] + before.get(s, (0, 0))[0]
                    for s in done.changed)
        if done.column is not None and moved <= done.rows:
            where, values = _where(done.column, done.changed)
            con.execute(f"delete from {target} where {where}", values)
            con.execute(f"insert into {target} select * from {done.name} where {where}", values)
            done.action = "patched"
            done.appended = not any(s in before for s in done.changed)
            return done
        done.slices, done.changed = {}, []
    con.execute(f"create or replace table {target} as select * from {done.name}")
    done.rows = con.execute(f"select count(*) from {target}").fetchone()[0]
    return done


def _nested(kind: str) -> bool:
    """Lists, structs, maps and unions: DuckDB's hash() does not tell ``[]`` from NULL, nor
    where a list ends, so tables holding them are written whole, never patched."""
    return kind.endswith("]") or kind.startswith(("STRUCT", "MAP", "UNION"))


def _fingerprints(con: duckdb.DuckDBPyConnection, relation: str, column: str | None) -> Slices:
    """Rows and the sum of the rows' hashes of ``relation``, by ``column``'s value as text
    (as text, 'infinity' stays itself; Python would make it 9999-12-31)."""
    if column is None:
        key, group = "null", ""
    else:
        key, group = f"cast({sql_ident(column)} as varchar)", f"group by {sql_ident(column)}"
    return {value: (rows, int(total)) for value, rows, total in con.execute(
        f"select {key}, count(*), coalesce(sum(hash(*columns(*))), 0) from {relation} "
        f"{group}").fetchall()}


def _where(column: str, values: list[Any]) -> tuple[str, dict[str, Any]]:
    """A filter on the slices ``values`` (dates as text; None for the null slice)."""
    dated = [v for v in values if v is not None]
    where = (f"{sql_ident(column)} in "
             "(select cast(unnest(cast($slices as varchar[])) as date))")
    if len(dated) < len(values):
        where = f"({where} or {sql_ident(column)} is null)"
    return where, {"slices": dated}


def _write_parquet(con: duckdb.DuckDBPyConnection, done: _Table, folder: Path,
                   previous: Path | None) -> str:
    """The table's Parquet folder: the previous files linked when the table is unchanged, or
    when only new slices came (then those are one more file), else one file written whole."""
    folder.mkdir(parents=True)
    parts = sorted(previous.glob("*.parquet")) if previous and previous.is_dir() else []
    numbers = sorted(_part_number(p) for p in parts)
    reuse = parts and numbers == list(range(len(parts))) and (
        done.action == "kept"
        or (done.action == "patched" and done.appended and len(parts) < MAX_PARQUET_PARTS))
    if not reuse:
        con.execute(f"copy (select * from serving.{done.name}) to "
                    f"{sql_path(folder / 'part-0.parquet')} (format parquet)")
        return "written"
    for part in parts:
        _link(part, folder / part.name)
    if done.action == "kept":
        return "linked"
    where, values = _where(done.column, done.changed)
    con.execute(f"copy (select * from serving.{done.name} where {where}) to "
                f"{sql_path(folder / f'part-{len(parts)}.parquet')} (format parquet)", values)
    return "appended"


def _part_number(path: Path) -> int:
    prefix, _, number = path.stem.partition("-")
    return int(number) if prefix == "part" and number.isdigit() else -1


def _link(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:  # a file system without hard links
        shutil.copy2(source, target)


def _audit(new_file: Path, new_parquet: Path, written: dict[str, _Table]) -> None:
    """Re-open what was written, as a reader would, and compare it with the warehouse: row
    counts of every table in the file and in Parquet; each slice's rows and hashes of a
    patched table, and each slice's rows of Parquet that was appended to."""
    problems = []
    with duckdb.connect(str(new_file), read_only=True) as reader:
        for key, done in written.items():
            got = reader.execute(f"select count(*) from {done.name}").fetchone()[0]
            files = sql_path(new_parquet / done.schema / done.table / "*.parquet")
            parquet = reader.execute(f"select count(*) from read_parquet({files})").fetchone()[0]
            if got != done.rows or parquet != done.rows:
                problems.append(f"{key}: warehouse {done.rows}, file {got}, parquet {parquet}")
                continue
            if done.action == "patched" and _fingerprints(reader, done.name,
                                                          done.column) != done.slices:
                problems.append(f"{key}: the patched rows differ from the warehouse's")
            if done.parquet == "appended":
                counts = {s: rows for s, (rows, _) in done.slices.items()}
                if _slice_counts(reader, f"read_parquet({files})", done.column) != counts:
                    problems.append(f"{key}: the Parquet slices differ from the warehouse's")
    if problems:
        raise AuditError("the new serving file does not match the warehouse: "
                         + "; ".join(problems))


def _slice_counts(con: duckdb.DuckDBPyConnection, relation: str, column: str) -> dict[Any, int]:
    return dict(con.execute(f"select cast({sql_ident(column)} as varchar), count(*) "
                            f"from {relation} group by {sql_ident(column)}").fetchall())


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
