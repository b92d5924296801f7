"""Ingest one partition of one dataset: landing files → validated raw rows + quarantine.

Every row read ends in exactly one place: ``raw`` (valid) or ``quarantine`` (with one or
more reason codes, the original text and its file and row number). A file that cannot be
read at all is copied to ``quarantine/_files`` and recorded with its reason. The ingest
ledger keeps one row per file version (sha256, counts, status), which makes a re-delivered
unchanged file a no-op and a corrected file replace exactly the rows of its previous version.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .contract import RAW_TYPES, Column, Dataset
from .lake import Lake, partition_name
from .landing import LINE_ERROR, RAW_LINE, FileRejected, LandingFile, read_as_text

# A batch holds about this much landing data (measured: peak RSS about 25x the batch's
# CSV bytes), and DuckDB spills past its limit instead of growing.
BATCH_BYTES = 32 * 2**20
INGEST_MEMORY_LIMIT = "1GB"

_BOOL_TRUE = ("true", "t", "1", "yes", "y")
_BOOL_FALSE = ("false", "f", "0", "no", "n")
_INT = r"\s*[+-]?[0-9]+\s*"
_TIMESTAMP = (r"\s*[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?"
              r"(Z|[+-][0-9]{2}(:?[0-9]{2})?)?\s*")

LEDGER_SCHEMA = pa.schema([
    ("dataset", pa.string()),
    ("business_date", pa.date32()),
    ("path", pa.string()),
    ("sha256", pa.string()),
    ("size_bytes", pa.int64()),
    ("rows_read", pa.int64()),
    ("rows_loaded", pa.int64()),
    ("rows_quarantined", pa.int64()),
    ("status", pa.string()),  # loaded | loaded_with_quarantine | empty | rejected | superseded
    ("reason", pa.string()),
    ("drift_columns", pa.list_(pa.string())),
    ("loaded_at", pa.timestamp("us", tz="UTC")),
    ("is_current", pa.bool_()),
])

QUARANTINE_SCHEMA = pa.schema([
    ("source_file", pa.string()),
    ("source_row", pa.int64()),
    ("reasons", pa.list_(pa.string())),
    ("record", pa.string()),  # the row as read, JSON of text values
])


@dataclass
class FileOutcome:
    path: str
    sha256: str
    size_bytes: int
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    status: str = "loaded"
    reason: str | None = None
    drift_columns: list[str] = field(default_factory=list)


@dataclass
class PartitionResult:
    dataset: str
    business_date: dt.date | None
    files: list[FileOutcome]
    unchanged: bool = False
    reason_counts: dict[str, int] = field(default_factory=dict)
    # kept but worth a look: values outside a `known` list, duplicate keys where allowed
    unknown_values: dict[str, dict[str, int]] = field(default_factory=dict)
    duplicate_keys_kept: int = 0

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files)

    @property
    def rejected(self) -> list[FileOutcome]:
        return [f for f in self.files if f.status == "rejected"]


_INTERNAL = {LINE_ERROR, RAW_LINE, "_line_number"}


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(values: tuple[str, ...]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def _v(col: Column) -> str:
    """The trimmed text value, NULL when empty (computed once per row)."""
    return _q(f"__v_{col.name}")


def _num(col: Column) -> str:
    """The value as a wide decimal, NULL when not a number (computed once per row)."""
    return _q(f"__n_{col.name}")


def _needs_number(col: Column) -> bool:
    return col.type in ("int", "decimal") or col.min is not None or col.max is not None


def _prepared(dataset: Dataset) -> tuple[str, str]:
    """Two projections shared by every check and by the typed output: trimmed text, then
    numbers and dates, so that no value is trimmed or cast more than once."""
    texts = ", ".join(f"nullif(trim({_q(c.name)}), '') as {_v(c)}" for c in dataset.columns)
    casts = [f"try_cast({_v(c)} as decimal(38,10)) as {_num(c)}"
             for c in dataset.columns if _needs_number(c)]
    casts += [f"try_cast({_v(c)} as date) as {_q('__d_' + c.name)}"
              for c in dataset.columns if c.type == "date"]
    return texts, ", ".join(casts) or "null as __none"


def _checks(col: Column) -> list[str]:
    """SQL expressions that yield a reason code when ``col`` breaks the contract, else NULL."""
    c, v, num = _q(col.name), _v(col), _num(col)
    out = []
    if col.required:
        out.append(f"case when {v} is null then 'missing_required:{col.name}' end")
    if col.type == "int":
        out.append(f"case when {v} is not null and not regexp_full_match({c}, '{_INT}') "
                   f"then 'not_an_integer:{col.name}' end")
    elif col.type == "decimal":
        out.append(f"case when {v} is not null and {num} is null "
                   f"then 'not_a_number:{col.name}' end")
        out.append(f"case when {num} <> try_cast({num} as decimal(18,4)) "
                   f"then 'too_precise:{col.name}' end")
    elif col.type == "bool":
        out.append(f"case when {v} is not null and lower({v}) not in "
                   f"({_lit(_BOOL_TRUE + _BOOL_FALSE)}) then 'not_a_boolean:{col.name}' end")
    elif col.type == "date":
        out.append(f"case when {v} is not null and {_q('__d_' + col.name)} is null "
                   f"then 'bad_date:{col.name}' end")
    elif col.type == "timestamp":
        out.append(f"case when {v} is not null and (not regexp_full_match({c}, '{_TIMESTAMP}') "
                   f"or try_cast({v} as timestamptz) is null) then 'bad_timestamp:{col.name}' end")
    elif col.type == "json_array":
        out += _json_array_checks(col)
    if col.enum:
        out.append(f"case when {v} is not null and lower({v}) not in ({_lit(col.enum)}) "
                   f"then 'not_in_enumeration:{col.name}' end")
    if col.min is not None:
        out.append(f"case when {num} < {col.min} then 'out_of_range:{col.name}' end")
    if col.max is not None:
        out.append(f"case when {num} > {col.max} then 'out_of_range:{col.name}' end")
    return out


def _json_array_checks(col: Column) -> list[str]:
    v = _v(col)
    # nested CASEs: DuckDB's AND does not stop json_* functions erroring on bad JSON
    arr = f"coalesce(case when json_valid({v}) then json_type({v}) = 'ARRAY' end, false)"
    out = [f"case when {v} is not null and not coalesce(case when {arr} then "
           f"json_array_length({v}) > 0 end, false) then 'not_a_json_list:{col.name}' end"]
    for key in col.item_required:
        present = (f"len(list_filter(json_extract_string({v}, '$[*].{key}'), "
                   "lambda x: nullif(trim(x), '') is not null))")
        out.append(f"case when {arr} then case when {present} <> json_array_length({v}) "
                   f"then 'missing_required:{col.name}.{key}' end end")
    for key in col.item_numeric:
        numeric = (f"len(list_filter(json_extract_string({v}, '$[*].{key}'), "
                   "lambda x: try_cast(x as double) is not null))")
        out.append(f"case when {arr} then case when {numeric} <> json_array_length({v}) "
                   f"then 'not_a_number:{col.name}.{key}' end end")
    return out


def _typed(col: Column) -> str:
    """SQL turning a validated value into its raw type (from the prepared columns)."""
    c, v = _q(col.name), _v(col)
    if col.type == "bool":
        return (f"case when lower({v}) in ({_lit(_BOOL_TRUE)}) then true "
                f"when lower({v}) in ({_lit(_BOOL_FALSE)}) then false end")
    if col.type == "string":
        return f"nullif({c}, '')"
    if col.type in ("timestamp", "json_array"):
        return v
    if col.type == "decimal":
        return f"cast({_num(col)} as {RAW_TYPES['decimal']})"
    if col.type == "date":
        return _q("__d_" + col.name)
    return f"cast({v} as {RAW_TYPES[col.type]})"


def _record_sql(dataset: Dataset) -> str:
    """The row as read, as JSON text: the contract columns and extras, or the raw line."""
    pairs = ", ".join(f"'{c}', {_q(c)}" for c in dataset.column_names)
    return (f"(case when {RAW_LINE} is not null "
            f"then json_object('_line', {RAW_LINE}, '_error', {LINE_ERROR}) "
            f"else json_merge_patch(coalesce(_extra, '{{}}'), json_object({pairs})) "
            "end)::varchar")


def validation_sql(dataset: Dataset) -> tuple[str, str | None, str]:
    """(checked, duplicates, raw) SQL over the registered Arrow table ``src_arrow``.

    ``checked`` adds ``reasons`` (';'-separated codes, '' when valid). ``duplicates`` lists
    the rows to mark ``duplicate_key``: among otherwise valid rows of a business day, every
    occurrence of a key after the first (file-name order, then row order). Only the few
    keys that occur more than once are sorted.
    """
    row_checks = [e for col in dataset.columns for e in _checks(col)]
    if dataset.at_least_one_of:
        cols = {c.name: c for c in dataset.columns}
        none = " and ".join(f"{_v(cols[c])} is null" for c in dataset.at_least_one_of)
        row_checks.append(f"case when {none} then 'no_scores' end")
    texts, casts = _prepared(dataset)
    # Only typed values (for valid rows) and the original text as JSON (for rejected rows)
    # are materialised: keeping every text column too would double the work.
    typed = ", ".join(f"case when reasons = '' then {_typed(c)} end as {_q(c.name)}"
                      for c in dataset.columns)
    checked = f"""
        with texts as (select *, {texts} from src_arrow),
        prepared as (select *, {casts} from texts),
        flagged as (
            select *,
                case when {LINE_ERROR} is not null then split_part({LINE_ERROR}, ':', 1)
                     else concat_ws(';', {', '.join(row_checks)}) end as reasons
            from prepared
        )
        select _day, _file_order, _source_row, _source_file, _extra, reasons, {typed},
            case when reasons <> '' then {_record_sql(dataset)} end as record
        from flagged
    """
    raw = f"""
        select {', '.join(_q(c.name) for c in dataset.columns)}, _extra, _source_file,
               _source_row, _day
        from checked where reasons = '' order by _day, _file_order, _source_row
    """
    if not dataset.unique_key:
        return checked, None, raw
    key = ", ".join(_q(k) for k in dataset.key)
    on = " and ".join(f"c.{_q(k)} = r.{_q(k)}" for k in dataset.key)
    duplicates = f"""
        with repeated as (
            select _day, {key} from checked where reasons = ''
            group by all having count(*) > 1
        ),
        ranked as (
            select c._day, c._file_order, c._source_row,
                   row_number() over (
                       partition by c._day, {', '.join(f'c.{_q(k)}' for k in dataset.key)}
                       order by c._file_order, c._source_row) as occurrence
            from checked c semi join repeated r
                on c._day is not distinct from r._day and {on}
            where c.reasons = ''
        )
        select _day, _file_order, _source_row from ranked where occurrence > 1
    """
    return checked, duplicates, raw


def _shape(table: pa.Table, dataset: Dataset, file: LandingFile, order: int,
           con: duckdb.DuckDBPyConnection) -> tuple[pa.Table, list[str]]:
    """Align a file's text columns with the contract: missing optional → null, extras → JSON."""
    present = table.column_names
    # JSON lines carry their own keys: a missing key is a row problem, not a file problem
    missing_required = ([c for c in dataset.required if c not in present]
                        if dataset.family == "csv" else [])
    if missing_required and len(present) == 1 and any(d in present[0] for d in ";\t|"):
        raise FileRejected("wrong_delimiter",
                           f"{file.rel_path}: the header is one column ({present[0][:60]}…); "
                           "the contract requires comma-separated values")
    if missing_required:
        raise FileRejected("missing_required_column",
                           f"{file.rel_path}: required column(s) {', '.join(missing_required)} "
                           f"missing; the header has {', '.join(present) or 'no columns'}")
    extras = [c for c in present if c not in dataset.column_names and c not in _INTERNAL]
    n = table.num_rows
    cols = {}
    for name in dataset.column_names:
        cols[name] = table.column(name) if name in present else pa.nulls(n, pa.string())
    if extras:
        con.register("extra_tbl", table.select(extras))
        pairs = ", ".join(f"'{e.replace(chr(39), chr(39) * 2)}', {_q(e)}" for e in extras)
        cols["_extra"] = con.sql(f"select json_object({pairs})::varchar as j "
                                 "from extra_tbl").to_arrow_table().column("j")
        con.unregister("extra_tbl")
    else:
        cols["_extra"] = pa.nulls(n, pa.string())
    for name in (LINE_ERROR, RAW_LINE):
        cols[name] = table.column(name) if name in present else pa.nulls(n, pa.string())
    cols["_source_file"] = pa.repeat(pa.scalar(file.rel_path, pa.string()), n)
    cols["_source_row"] = (table.column("_line_number") if "_line_number" in present
                           else pa.array(np.arange(1, n + 1, dtype=np.int64)))
    cols["_file_order"] = pa.repeat(pa.scalar(order, pa.int32()), n)
    cols["_day"] = pa.repeat(pa.scalar(file.business_date, pa.date32()), n)
    return pa.table(cols), extras


def _ledger_path(lake: Lake, dataset: Dataset, business_date: dt.date | None) -> Path:
    return lake.ledger(dataset.name) / f"{partition_name(business_date)}.parquet"


def _read_ledger(path: Path) -> list[dict]:
    return pq.read_table(path).to_pylist() if path.exists() else []


def is_unchanged(dataset: Dataset, files: list[LandingFile], lake: Lake,
                 business_date: dt.date | None) -> bool:
    """True when the partition exists and was built from exactly these file versions."""
    if not (lake.raw(dataset.name) / partition_name(business_date)).exists():
        return False
    current = {r["path"]: r["sha256"]
               for r in _read_ledger(_ledger_path(lake, dataset, business_date))
               if r["is_current"]}
    return bool(current) and current == {f.rel_path: f.sha256() for f in files}


def ingest_days(dataset: Dataset, files_by_day: dict[dt.date | None, list[LandingFile]],
                lake: Lake, force: bool = False, batch_days: int = 31,
                batch_bytes: int = BATCH_BYTES,
                con: duckdb.DuckDBPyConnection | None = None) -> list[PartitionResult]:
    """Ingest several partitions, validating up to ``batch_days`` days (and about
    ``batch_bytes`` of landing files) in one query, so memory stays flat as volume grows.

    A partition whose files are exactly the versions already loaded is left alone (a
    no-op); every other one is rebuilt from all of its files and swapped in whole.
    Snapshots use the key ``None``.
    """
    own_con = con is None
    con = duckdb.connect(config={"memory_limit": INGEST_MEMORY_LIMIT}) if own_con else con
    results: list[PartitionResult] = []
    try:
        todo = []
        for day in sorted(files_by_day, key=lambda d: d or dt.date.min):
            files = files_by_day[day]
            if not force and is_unchanged(dataset, files, lake, day):
                prev = [r for r in _read_ledger(_ledger_path(lake, dataset, day))
                        if r["is_current"]]
                results.append(PartitionResult(dataset.name, day, [
                    FileOutcome(r["path"], r["sha256"], r["size_bytes"], r["rows_read"],
                                r["rows_loaded"], r["rows_quarantined"], r["status"],
                                r["reason"], list(r["drift_columns"] or []))
                    for r in prev], unchanged=True))
            else:
                todo.append(day)
        for batch in _batches(todo, files_by_day, batch_days, batch_bytes):
            results += _ingest_batch(dataset, {d: files_by_day[d] for d in batch}, lake, con)
    finally:
        if own_con:
            con.close()
    return sorted(results, key=lambda r: r.business_date or dt.date.min)


def _batches(days: list, files_by_day: dict, max_days: int, max_bytes: int) -> list[list]:
    batches: list[list] = []
    size = 0
    for day in days:
        day_bytes = sum(f.size for f in files_by_day[day])
        if not batches or len(batches[-1]) >= max_days or size + day_bytes > max_bytes:
            batches.append([])
            size = 0
        batches[-1].append(day)
        size += day_bytes
    return batches


def ingest_partition(dataset: Dataset, files: list[LandingFile], lake: Lake,
                     business_date: dt.date | None, force: bool = False,
                     con: duckdb.DuckDBPyConnection | None = None) -> PartitionResult:
    """Ingest one partition (see :func:`ingest_days`)."""
    return ingest_days(dataset, {business_date: files}, lake, force=force, con=con)[0]


def _ingest_batch(dataset: Dataset, files_by_day: dict[dt.date | None, list[LandingFile]],
                  lake: Lake, con: duckdb.DuckDBPyConnection) -> list[PartitionResult]:
    outcomes: dict[dt.date | None, list[FileOutcome]] = {d: [] for d in files_by_day}
    shaped: list[pa.Table] = []
    for day, files in files_by_day.items():
        for order, file in enumerate(files):
            outcome = FileOutcome(file.rel_path, file.sha256(), file.size)
            outcomes[day].append(outcome)
            try:
                text = read_as_text(file)
                table, outcome.drift_columns = _shape(text, dataset, file, order, con)
            except FileRejected as exc:
                outcome.status, outcome.reason = "rejected", f"{exc.reason}: {exc}"
                _keep_rejected_file(lake, dataset, file, day)
                continue
            outcome.rows_read = table.num_rows
            if table.num_rows == 0:
                outcome.status, outcome.reason = "empty", "header only: the file holds no rows"
            shaped.append(table)

    con.register("src_arrow", pa.concat_tables(shaped) if shaped else _empty_text(dataset))
    checked_sql, duplicates_sql, raw_sql = validation_sql(dataset)
    con.execute(f"create or replace temp table checked as {checked_sql}")
    if duplicates_sql:
        con.execute(f"""
            update checked set reasons = 'duplicate_key', record = d.record
            from (select d.*, {_record_sql(dataset).replace(RAW_LINE, 's.' + RAW_LINE)
                               .replace(LINE_ERROR, 's.' + LINE_ERROR)} as record
                  from ({duplicates_sql}) d
                  join src_arrow s on s._day is not distinct from d._day
                   and s._file_order = d._file_order and s._source_row = d._source_row) d
            where checked._day is not distinct from d._day
              and checked._file_order = d._file_order and checked._source_row = d._source_row
        """)
    con.unregister("src_arrow")
    raw = None if None not in outcomes else con.sql(raw_sql).to_arrow_table()
    quarantine = con.sql("""
        select _source_file as source_file, _source_row as source_row,
               string_split(reasons, ';') as reasons, record, _day
        from checked where reasons <> '' order by _day, _file_order, _source_row
    """).to_arrow_table()
    loaded = dict(con.sql("""
        select _source_file, count(*) filter (where reasons = '') from checked group by 1
    """).fetchall())
    reasons = con.sql("""
        select _day, split_part(r, ':', 1) as code, count(*) from
        (select _day, unnest(string_split(reasons, ';')) as r from checked where reasons <> '')
        group by 1, 2 order by 1, 2
    """).fetchall()
    unknown: dict[tuple, dict[str, dict[str, int]]] = {}
    for col in (c for c in dataset.columns if c.known):
        rows = con.sql(f"""
            select _day, {_q(col.name)}, count(*) from checked
            where reasons = '' and lower({_q(col.name)}) not in ({_lit(col.known)})
            group by all order by all
        """).fetchall()
        for day, value, n in rows:
            unknown.setdefault(day, {}).setdefault(col.name, {})[value] = n
    kept_dupes: dict = {}
    if not dataset.unique_key:
        key = ", ".join(_q(k) for k in dataset.key)
        kept_dupes = dict(con.sql(f"""
            select _day, count(*) - count(distinct ({key})) from checked
            where reasons = '' group by 1
        """).fetchall())
    staged_root = lake.staging_dir(dataset.name)
    daily = None not in outcomes
    if daily:
        # DuckDB writes the loaded rows straight to Parquet, one folder per day: no round
        # trip through Arrow for the big table. The target is our own staging folder (a
        # path, which COPY cannot take as a bound parameter).
        copy_dir = staged_root / "raw_copy"
        target = str(copy_dir).replace("'", "''")
        con.execute(f"copy ({raw_sql}) to '{target}' "
                    "(format parquet, compression zstd, partition_by (_day))")
        empty_raw = con.sql(f"{raw_sql} limit 0").to_arrow_table().drop(["_day"])
    con.execute("drop table if exists checked")

    results = []
    try:
        for day, day_outcomes in outcomes.items():
            for o in day_outcomes:
                if o.status == "rejected":
                    continue
                o.rows_loaded = int(loaded.get(o.path, 0))
                o.rows_quarantined = o.rows_read - o.rows_loaded
                if o.rows_quarantined and o.status != "empty":
                    o.status = "loaded_with_quarantine"
                    o.reason = f"{o.rows_quarantined} row(s) quarantined"
            q_day = _rows_of_day(quarantine, day).drop(["_day"]).cast(QUARANTINE_SCHEMA)
            if daily:
                written = sorted((copy_dir / f"_day={day}").glob("*.parquet"))
                if len(written) == 1:
                    lake.swap_in_file(lake.raw(dataset.name), day, written[0], staged_root)
                else:  # no valid row that day (or, unexpectedly, several files): one file
                    table = (pq.read_table(written) if written else empty_raw)
                    lake.write_partition(lake.raw(dataset.name), day, table, staged_root)
            else:
                raw_day = _rows_of_day(raw, day).drop(["_day"])
                lake.write_partition(lake.raw(dataset.name), day, raw_day, staged_root)
            lake.write_partition(lake.quarantine(dataset.name), day, q_day, staged_root)
            path = _ledger_path(lake, dataset, day)
            _write_ledger(path, dataset, day, _read_ledger(path), day_outcomes)
            results.append(PartitionResult(
                dataset.name, day, day_outcomes,
                reason_counts={code: n for d, code, n in reasons if d == day},
                unknown_values=unknown.get(day, {}),
                duplicate_keys_kept=int(kept_dupes.get(day, 0))))
    finally:
        shutil.rmtree(staged_root.parent, ignore_errors=True)
    return results


def preview_rows(lake: Lake, dataset: Dataset, day: dt.date | None,
                 limit: int = 5) -> pd.DataFrame:
    """A few loaded rows of a partition for the UI, without the personal-data columns."""
    folder = lake.raw(dataset.name) / partition_name(day)
    cols = [c for c in dataset.column_names if c not in dataset.pii_columns]
    if not folder.exists():
        return pd.DataFrame(columns=cols)
    con = duckdb.connect()
    try:
        return con.execute(f"select {', '.join(_q(c) for c in cols)} from read_parquet($p) "
                           f"limit {int(limit)}", {"p": str(folder / "*.parquet")}).fetchdf()
    finally:
        con.close()


def _rows_of_day(table: pa.Table, day: dt.date | None) -> pa.Table:
    if day is None:
        return table
    return table.filter(pc.equal(table.column("_day"), pa.scalar(day, pa.date32())))

def _empty_text(dataset: Dataset) -> pa.Table:
    cols = {c: pa.array([], pa.string()) for c in dataset.column_names}
    cols |= {"_extra": pa.array([], pa.string()), "_source_file": pa.array([], pa.string()),
             "_source_row": pa.array([], pa.int64()), "_file_order": pa.array([], pa.int32()),
             "_day": pa.array([], pa.date32()), LINE_ERROR: pa.array([], pa.string()),
             RAW_LINE: pa.array([], pa.string())}
    return pa.table(cols)


def _keep_rejected_file(lake: Lake, dataset: Dataset, file: LandingFile,
                        business_date: dt.date | None) -> None:
    folder = lake.rejected_files(dataset.name) / (
        business_date.isoformat() if business_date else "unassigned")
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy2(file.path, folder / file.path.name)


def _write_ledger(path: Path, dataset: Dataset, business_date: dt.date | None,
                  previous: list[dict], outcomes: list[FileOutcome]) -> None:
    now = dt.datetime.now(dt.UTC)
    new_keys = {(o.path, o.sha256) for o in outcomes}
    rows = []
    for r in previous:
        if r["is_current"] and (r["path"], r["sha256"]) not in new_keys:
            r = {**r, "is_current": False, "status": "superseded"}
        if (r["path"], r["sha256"]) in new_keys and r["is_current"]:
            continue  # the same version again: replaced by the fresh row below
        rows.append(r)
    for o in outcomes:
        rows.append({
            "dataset": dataset.name, "business_date": business_date, "path": o.path,
            "sha256": o.sha256, "size_bytes": o.size_bytes, "rows_read": o.rows_read,
            "rows_loaded": o.rows_loaded, "rows_quarantined": o.rows_quarantined,
            "status": o.status, "reason": o.reason, "drift_columns": o.drift_columns,
            "loaded_at": now, "is_current": True,
        })
    Lake.write_file_atomically(pa.Table.from_pylist(rows, schema=LEDGER_SCHEMA), path)


def reject_unassigned(dataset: Dataset, files: list[LandingFile], lake: Lake) -> PartitionResult:
    """Files whose name carries no valid business date: quarantined whole, with the reason."""
    outcomes = []
    for f in files:
        sha = f.sha256()
        outcomes.append(FileOutcome(f.rel_path, sha, f.size, status="rejected",
                                    reason=f"bad_file_name: {f.name_error}"))
        _keep_rejected_file(lake, dataset, f, None)
    path = lake.ledger(dataset.name) / "unassigned.parquet"
    previous = pq.read_table(path).to_pylist() if path.exists() else []
    _write_ledger(path, dataset, None, previous, outcomes)
    return PartitionResult(dataset.name, None, outcomes)
