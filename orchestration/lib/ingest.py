"""Ingest one partition of one dataset: landing files → validated raw rows + quarantine.

Every row read ends in exactly one place: ``raw`` (valid) or ``quarantine`` (with one or
more reason codes, the original text and its file and row number). A file that cannot be
read at all is copied to ``quarantine/_files`` and recorded with its reason. The ingest
ledger keeps one row per file version (sha256, counts, status), which makes a re-delivered
unchanged file a no-op and a corrected file replace exactly the rows of its previous version.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
from concurrent.futures import Future, ThreadPoolExecutor
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
from .landing import (
    LINE_ERROR,
    RAW_LINE,
    FileRejected,
    LandingFile,
    file_text,
    is_coded_text,
    is_flat,
    prefetch_jsonl,
    read_file,
    to_text,
)
from .warehouse import sql_ident as _q

# A batch holds about this much landing data (measured: peak RSS about 25x the batch's
# CSV bytes), and DuckDB spills past its limit instead of growing.
BATCH_BYTES = 32 * 2**20
INGEST_MEMORY_LIMIT = "1GB"

_BOOL_TRUE = ("true", "t", "1", "yes", "y")
_BOOL_FALSE = ("false", "f", "0", "no", "n")
_INT = r"\s*[+-]?[0-9]+\s*"
_TIMESTAMP = (r"\s*[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?"
              r"(Z|[+-][0-9]{2}(:?[0-9]{2})?)?\s*")
# The usual timestamp, local time to the second: a case of _TIMESTAMP (as a GLOB pattern)
_PLAIN_TIMESTAMP = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]"

LEDGER_SCHEMA = pa.schema([
    ("dataset", pa.string()),
    ("business_date", pa.date32()),
    ("path", pa.string()),
    ("sha256", pa.string()),
    ("size_bytes", pa.int64()),
    # the file's status-change time (ctime, ns since 1970) when hashed, null when it had
    # just changed: while size and ctime stay the same, a later scan need not hash it again
    ("changed_ns", pa.int64()),
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
    changed_ns: int | None = None
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
# Where a row comes from: set when files are read, and put beside the validation's result
# by ``_pos``, the row's place in its batch (see _checked).
_LOCATION = ("_pos", "_day", "_file_order", "_source_row", "_source_file", "_extra")

# A double is "clean" when it is the double nearest to a value of 4 decimal places and
# below this size, where two such values are never nearest to one double: it is then that
# value exactly (the text Arrow writes for it), and DuckDB's cast gives it. Any other double
# (binary noise, too many places, huge, NaN) takes the text route: its shortest decimal
# form is written out and parsed, as for a CSV value.
_EXACT_DOUBLE = "1e11"


def native_kind(col: Column, type_: pa.DataType) -> str | None:
    """How a Parquet column of ``type_`` is validated for ``col`` without becoming text:
    "integer", "double", "boolean", "date", or None (as text, like a CSV value)."""
    if col.enum or col.known:
        return None
    if col.type in ("int", "decimal") and pa.types.is_integer(type_):
        return "integer"
    if col.type == "decimal" and pa.types.is_float64(type_):
        return "double"
    if col.type == "bool" and pa.types.is_boolean(type_):
        return "boolean"
    if col.type == "date" and pa.types.is_date32(type_):
        return "date"
    return None


def native_kinds(dataset: Dataset, schema: pa.Schema) -> dict[str, str]:
    """The contract columns of a batch that are validated in their own type."""
    return {c.name: kind for c in dataset.columns
            if (kind := native_kind(c, schema.field(c.name).type)) is not None}


def _lit(values: tuple[str, ...]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def _v(col: Column) -> str:
    """The trimmed text value, NULL when empty (computed once per row)."""
    return _q(f"__v_{col.name}")


def _num(col: Column) -> str:
    """The value as a wide decimal, NULL when not a number (computed once per row)."""
    return _q(f"__n_{col.name}")


def _scaled(col: Column) -> str:
    """A decimal column's value parsed straight at the raw scale (rounded to 4 places)."""
    return _q(f"__m_{col.name}")


def _int(col: Column) -> str:
    """An int column's value as BIGINT, NULL when not one (computed once per row)."""
    return _q(f"__i_{col.name}")


def _items(col: Column) -> str:
    """A JSON list column's length, NULL when the value is not a JSON list (computed once
    per row: each json_* function parses the text again)."""
    return _q(f"__l_{col.name}")


def _clean(col: Column) -> str:
    """Whether a double column's value is "clean" (see ``_EXACT_DOUBLE``): such a value
    passes every decimal check, so it is compared and stored as it is, and only the
    others are cast (computed once per row)."""
    return _q(f"__ok_{col.name}")


def _plain(col: Column) -> str:
    """Whether a timestamp column's value has the usual form (``_PLAIN_TIMESTAMP``), which
    is its own trim and needs the cheaper check (computed once per row)."""
    return _q(f"__p_{col.name}")


def _needs_number(col: Column) -> bool:
    return col.type in ("int", "decimal") or col.min is not None or col.max is not None


# A value starting with a byte from '!' to DEL (these two bounds, compared byte by byte)
# starts with a character that trim keeps: trim removes ' ' and the other Unicode spaces
# (category Zs), which are all past U+007F.
_KEPT_START = "{c} >= '!' and {c} < '\u0080'"


def _trimmed(c: str) -> str:
    """``nullif(trim(c), '')`` without trim's copy of every value: an all-ASCII value (as
    many bytes as characters) holds no space but ' ', so when it neither starts nor ends
    with one it is its own trim (and it is not empty)."""
    return (f"case when {_KEPT_START.format(c=c)} and strlen({c}) = length({c}) "
            f"and not suffix({c}, ' ') then {c} else nullif(trim({c}), '') end")


def _missing(col: Column, native: bool) -> str:
    """Whether the value is missing (NULL, empty or all spaces), mostly without trimming it:
    a value that starts with a character trim keeps is there."""
    if native:
        return f"{_q(col.name)} is null"
    return (f"case when {_KEPT_START.format(c=_q(col.name))} then false "
            f"else {_trimmed(_q(col.name))} is null end")


def _as_decimal(col: Column, kind: str | None, scale: int) -> str:
    """The value at ``scale`` places as DECIMAL(38, scale), NULL when not a number."""
    c, target = _q(col.name), f"decimal(38,{scale})"
    if kind == "integer":
        return f"try_cast({c} as {target})"
    if kind == "double":  # NULL for a clean value, which needs no decimal
        return f"case when not {_clean(col)} then try_cast({c}::varchar as {target}) end"
    return f"try_cast({_v(col)} as {target})"


def _prepared(dataset: Dataset, native: dict[str, str]) -> tuple[str, str]:
    """Two projections shared by every check and by the typed output: trimmed text and the
    flags of the cheaper routes (a clean double, a plain timestamp), then numbers and
    dates, so that no value is trimmed or cast more than once. A column validated in its
    own type (``native``) is its own value. (DuckDB computes only what a query uses.)"""
    texts = ", ".join(f"{_q(c.name) if c.name in native else _trimmed(_q(c.name))} as {_v(c)}"
                      for c in dataset.columns)
    texts += "".join(f", abs({_q(c.name)}) < {_EXACT_DOUBLE} and {_q(c.name)} = "
                     f"round({_q(c.name)} * 1e4) / 1e4 as {_clean(c)}"
                     for c in dataset.columns if native.get(c.name) == "double")
    texts += "".join(f", {_q(c.name)} glob '{_PLAIN_TIMESTAMP}' as {_plain(c)}"
                     for c in dataset.columns if c.type == "timestamp")
    casts = [(f"{_q(c.name)} as {_num(c)}" if native.get(c.name) == "integer" else
              f"{_as_decimal(c, native.get(c.name), 10)} as {_num(c)}")
             for c in dataset.columns if _needs_number(c)]
    # Parsing the text again at scale 4 costs a tenth of narrowing the scale-10 value
    # (a 128-bit division per row), and the two agree wherever the value has no digit
    # beyond the fourth decimal place, which is what ``too_precise`` asks.
    casts += [f"{_as_decimal(c, native.get(c.name), 4)} as {_scaled(c)}"
              for c in dataset.columns if c.type == "decimal"]
    casts += [f"try_cast({_v(c)} as {RAW_TYPES['int']}) as {_int(c)}"
              for c in dataset.columns if c.type == "int"]
    casts += [f"try_cast({_v(c)} as date) as {_q('__d_' + c.name)}"
              for c in dataset.columns if c.type == "date"]
    # nested CASEs: DuckDB's AND does not stop json_* functions erroring on bad JSON
    casts += [f"case when json_valid({_v(c)}) then case when json_type({_v(c)}) = 'ARRAY' "
              f"then json_array_length({_v(c)}) end end as {_items(c)}"
              for c in dataset.columns if c.type == "json_array"]
    return texts, ", ".join(casts) or "null as __none"


def _checks(col: Column, kind: str | None = None) -> list[tuple[str, str]]:
    """(condition, reason code) pairs: the row breaks the contract on ``col`` where the
    SQL condition is true (NULL counts as false). ``kind``: see :func:`native_kind`."""
    if kind is not None:
        return _native_checks(col, kind)
    c, v, num = _q(col.name), _v(col), _num(col)
    if col.type in ("string", "timestamp"):
        # Their checks try a cheap test first, which most values pass: the trimmed value
        # is computed in place, for the others only (no other use of it trims every row).
        v = f"({_trimmed(c)})"
    out = []
    if col.required:
        out.append((_missing(col, native=False), f"missing_required:{col.name}"))
    if col.type == "int":
        out.append((f"{v} is not null and not regexp_full_match({c}, '{_INT}')",
                    f"not_an_integer:{col.name}"))
        out.append((f"{v} is not null and {_int(col)} is null "
                    f"and regexp_full_match({c}, '{_INT}')", f"out_of_range:{col.name}"))
    elif col.type == "decimal":
        out += _decimal_checks(col, v)
    elif col.type == "bool":
        out.append((f"{v} is not null and lower({v}) not in ({_lit(_BOOL_TRUE + _BOOL_FALSE)})",
                    f"not_a_boolean:{col.name}"))
    elif col.type == "date":
        out.append((f"{v} is not null and {_q('__d_' + col.name)} is null",
                    f"bad_date:{col.name}"))
    elif col.type == "timestamp":
        # The plain form needs neither the pattern nor the time-zone cast (3x the cost): the
        # TIMESTAMPTZ cast parses it as TIMESTAMP does, then places it in the session's
        # time zone, which cannot fail (tests/unit/test_ingest_fast_path.py checks both).
        out.append((f"case when {_plain(col)} then try_cast({c} as timestamp) is null "
                    f"else {v} is not null and (not regexp_full_match({c}, '{_TIMESTAMP}') "
                    f"or try_cast({v} as timestamptz) is null) end",
                    f"bad_timestamp:{col.name}"))
    elif col.type == "json_array":
        out += _json_array_checks(col)
    if col.enum:
        outside = f"{v} is not null and lower({v}) not in ({_lit(col.enum)})"
        # most values are written as listed: those need neither trim nor lower
        exact = tuple(e for e in col.enum if e.isascii() and e == e.lower().strip() and e)
        if exact:
            outside = f"case when {c} in ({_lit(exact)}) then false else {outside} end"
        out.append((outside, f"not_in_enumeration:{col.name}"))
    if col.min is not None:
        out.append((f"{num} < {col.min}", f"out_of_range:{col.name}"))
    if col.max is not None:
        out.append((f"{num} > {col.max}", f"out_of_range:{col.name}"))
    return out


def _decimal_checks(col: Column, value: str) -> list[tuple[str, str]]:
    """A decimal's checks, from its prepared values; ``value`` is NULL when it is missing."""
    num, scaled = _num(col), _scaled(col)
    return [
        (f"{value} is not null and {num} is null", f"not_a_number:{col.name}"),
        # The scale-4 value is widened to compare. The CASE keeps values too wide for scale
        # 10 out, and try_cast the ones DuckDB lets through: it parses '1.2e+28' as a
        # DECIMAL(38,10) it cannot hold, and widening that errors (it crashed ingest).
        (f"case when {num} is not null then {num} <> try_cast({scaled} as decimal(38,10)) end",
         f"too_precise:{col.name}"),
        (f"{num} is not null and try_cast({scaled} as {RAW_TYPES['decimal']}) is null",
         f"out_of_range:{col.name}"),
    ]


def _native_checks(col: Column, kind: str) -> list[tuple[str, str]]:
    """The checks of :func:`_checks`, in the same order, for a value of a Parquet type that
    needs no parsing: a text value's other failures cannot happen to it."""
    c, num = _q(col.name), _num(col)
    out = []
    if col.required:
        out.append((f"{c} is null", f"missing_required:{col.name}"))
    if col.type == "int":  # an unsigned 64-bit value can be past BIGINT
        out.append((f"{c} is not null and {_int(col)} is null", f"out_of_range:{col.name}"))
    elif col.type == "decimal" and kind == "double":  # only a double that is not clean
        out += [(f"not {_clean(col)} and ({cond})", code)
                for cond, code in _decimal_checks(col, c)]
    elif col.type == "decimal":
        out += _decimal_checks(col, c)
    elif col.type == "date":  # Arrow writes a date past the years ±32767 as no date
        out.append((f"{c} is not null and not {c} between '32768-01-01 (BC)'::date "
                    "and '32767-12-31'::date", f"bad_date:{col.name}"))
    for bound, op in ((col.min, "<"), (col.max, ">")):
        if bound is None:
            continue
        beyond = f"{num} {op} {bound}"
        if kind == "double":  # a clean value is compared as it is (alike for a bound of
            # at most 4 decimal places: rounding to the nearest double keeps the order)
            beyond = f"case when {_clean(col)} then {c} {op} {bound} else {beyond} end"
        out.append((beyond, f"out_of_range:{col.name}"))
    return out


def _json_array_checks(col: Column) -> list[tuple[str, str]]:
    v, items = _v(col), _items(col)
    out = [(f"{v} is not null and not coalesce({items} > 0, false)",
            f"not_a_json_list:{col.name}")]
    for key in col.item_required:
        present = (f"len(list_filter(json_extract_string({v}, '$[*].{key}'), "
                   "lambda x: nullif(trim(x), '') is not null))")
        out.append((f"case when {items} is not null then {present} <> {items} end",
                    f"missing_required:{col.name}.{key}"))
    for key in col.item_numeric:
        numeric = (f"len(list_filter(json_extract_string({v}, '$[*].{key}'), "
                   "lambda x: try_cast(x as double) is not null))")
        out.append((f"case when {items} is not null then {numeric} <> {items} end",
                    f"not_a_number:{col.name}.{key}"))
    return out


def _reasons_sql(checks: list[tuple[str, str]]) -> str:
    """';'-separated reason codes of a row, '' when it is valid. Most rows are: one
    boolean test settles them, and only the others build the list of codes."""
    if not checks:
        return "''"
    broken = " or ".join(f"({cond})" for cond, _ in checks)
    codes = ", ".join(f"case when {cond} then '{code}' end" for cond, code in checks)
    return f"case when not coalesce({broken}, false) then '' else concat_ws(';', {codes}) end"


def _typed(col: Column, kind: str | None) -> str:
    """SQL turning a validated value into its raw type, from the prepared columns (a text
    column is taken from the source instead, see :func:`_checked`). It never fails,
    whatever the value: invalid rows get some value, which nothing uses."""
    c, v = _q(col.name), _v(col)
    if kind == "boolean":
        return c
    if col.type == "bool":
        return (f"case when lower({v}) in ({_lit(_BOOL_TRUE)}) then true "
                f"when lower({v}) in ({_lit(_BOOL_FALSE)}) then false end")
    if col.type == "timestamp":
        return f"case when {_plain(col)} then {c} else {_trimmed(c)} end"
    if col.type == "json_array":
        return v
    if kind == "double":
        return (f"case when {_clean(col)} then {c}::{RAW_TYPES['decimal']} "
                f"else try_cast({_scaled(col)} as {RAW_TYPES['decimal']}) end")
    if col.type == "decimal":
        return f"try_cast({_scaled(col)} as {RAW_TYPES['decimal']})"
    if col.type == "date":
        return _q("__d_" + col.name)
    return _int(col)


def _record_sql(dataset: Dataset) -> str:
    """The row as read, as JSON text: the contract columns and extras, or the raw line."""
    pairs = ", ".join(f"'{c}', {_q(c)}" for c in dataset.column_names)
    return (f"(case when {RAW_LINE} is not null "
            f"then json_object('_line', {RAW_LINE}, '_error', {LINE_ERROR}) "
            f"else json_merge_patch(coalesce(_extra, '{{}}'), json_object({pairs})) "
            "end)::varchar")


def validation_sql(dataset: Dataset, native: dict[str, str] | None = None
                   ) -> tuple[str, str | None]:
    """(checked, duplicates) SQL over the registered Arrow table ``src_arrow``, whose
    contract columns are text except those in ``native`` (see :func:`native_kinds`).

    ``checked`` yields, for every row of ``src_arrow``, its ``_pos``, ``reasons``
    (';'-separated codes, '' when valid) and the typed values of the columns that are not
    plain text (:func:`_checked` adds those and the location, from the source).
    ``duplicates`` (over ``_checked``'s table) lists the ``_pos`` of the rows to mark
    ``duplicate_key``: among otherwise valid rows of a business day, every occurrence of
    a key after the first (file-name order, then row order). Only the few keys that
    occur more than once are sorted.
    """
    native = native or {}
    row_checks = [check for col in dataset.columns
                  for check in _checks(col, native.get(col.name))]
    if dataset.at_least_one_of:
        cols = {c.name: c for c in dataset.columns}
        none = " and ".join(f"({_missing(cols[c], c in native)})" for c in dataset.at_least_one_of)
        row_checks.append((none, "no_scores"))
    texts, casts = _prepared(dataset, native)
    # Only typed values are materialised: text columns and the record of a rejected row
    # come from the source (copying them through DuckDB would double the work).
    typed = "".join(f", {_typed(c, native.get(c.name))} as {_q(c.name)}"
                    for c in dataset.columns if c.type != "string")
    checked = f"""
        with texts as (select *, {texts} from src_arrow),
        prepared as (select *, {casts} from texts),
        flagged as (
            select *,
                case when {LINE_ERROR} is not null then split_part({LINE_ERROR}, ':', 1)
                     else {_reasons_sql(row_checks)} end as reasons
            from prepared
        )
        select _pos, reasons{typed}
        from flagged
    """
    if not dataset.unique_key:
        return checked, None
    key = ", ".join(_q(k) for k in dataset.key)
    on = " and ".join(f"c.{_q(k)} = r.{_q(k)}" for k in dataset.key)
    duplicates = f"""
        with repeated as (
            select _day, {key} from checked where reasons = ''
            group by all having count(*) > 1
        ),
        ranked as (
            select c._pos,
                   row_number() over (
                       partition by c._day, {', '.join(f'c.{_q(k)}' for k in dataset.key)}
                       order by c._file_order, c._source_row) as occurrence
            from checked c semi join repeated r
                on c._day is not distinct from r._day and {on}
            where c.reasons = ''
        )
        select _pos from ranked where occurrence > 1
    """
    return checked, duplicates


def _shape(table: pa.Table, dataset: Dataset, file: LandingFile, order: int,
           con: duckdb.DuckDBPyConnection) -> tuple[pa.Table, list[str]]:
    """Align a file's columns with the contract: missing optional → null (of no type yet,
    see :func:`_align`), extras → JSON text; a column is text unless it can be validated
    in its own type (:func:`native_kind`)."""
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
    # a Parquet file's columns become text here (file_text rejects text that is not UTF-8)
    for col in dataset.columns:
        if col.name not in present:
            cols[col.name] = pa.nulls(n)
            continue
        values = table.column(col.name)
        cols[col.name] = (values if native_kind(col, values.type)
                          else file_text(file, values, keep_codes=True))
    extra_text = pa.table({e: file_text(file, table.column(e)) for e in extras})
    if extras:
        con.register("extra_tbl", extra_text)
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


def _validation_connection() -> duckdb.DuckDBPyConnection:
    """DuckDB as validation needs it. DuckDB plans an IN list of six or more constants
    (an enumeration check) as a join, which returns the rows of a parallel scan in
    another order than the source's, and putting them back costs a sort of every batch
    (0.9 s of 9.7 at 10M CSV lines); without that rewrite, the query keeps the order
    (``_in_source_order`` still checks) and costs the same."""
    return duckdb.connect(config={"memory_limit": INGEST_MEMORY_LIMIT,
                                  "disabled_optimizers": "in_clause"})


def _ledger_path(lake: Lake, dataset: Dataset, business_date: dt.date | None) -> Path:
    return lake.ledger(dataset.name) / f"{partition_name(business_date)}.parquet"


def _read_ledger(path: Path) -> list[dict]:
    return pq.read_table(path).to_pylist() if path.exists() else []


def is_unchanged(dataset: Dataset, files: list[LandingFile], lake: Lake,
                 business_date: dt.date | None) -> bool:
    """True when the partition exists and was built from exactly these file versions."""
    if not (lake.raw(dataset.name) / partition_name(business_date)).exists():
        return False
    current = {r["path"]: r for r in _read_ledger(_ledger_path(lake, dataset, business_date))
               if r["is_current"]}
    if not current or set(current) != {f.rel_path for f in files}:
        return False
    return all(f.known_version(current[f.rel_path]["sha256"], current[f.rel_path]["size_bytes"],
                               current[f.rel_path].get("changed_ns")) for f in files)


def ingest_days(dataset: Dataset, files_by_day: dict[dt.date | None, list[LandingFile]],
                lake: Lake, force: bool = False, batch_days: int = 31,
                batch_bytes: int = BATCH_BYTES) -> list[PartitionResult]:
    """Ingest several partitions, validating up to ``batch_days`` days (and about
    ``batch_bytes`` of landing files) in one query, so memory stays flat as volume grows.

    A partition whose files are exactly the versions already loaded is left alone (a
    no-op); every other one is rebuilt from all of its files and swapped in whole.
    Snapshots use the key ``None``.
    """
    con = _validation_connection()
    results: list[PartitionResult] = []
    try:
        todo = []
        for day in sorted(files_by_day, key=lambda d: d or dt.date.min):
            files = files_by_day[day]
            if not force and is_unchanged(dataset, files, lake, day):
                prev = [r for r in _read_ledger(_ledger_path(lake, dataset, day))
                        if r["is_current"]]
                results.append(PartitionResult(dataset.name, day, [
                    FileOutcome(r["path"], r["sha256"], r["size_bytes"], r.get("changed_ns"),
                                r["rows_read"], r["rows_loaded"], r["rows_quarantined"],
                                r["status"], r["reason"], list(r["drift_columns"] or []))
                    for r in prev], unchanged=True))
            else:
                todo.append(day)
        batches = [{d: files_by_day[d] for d in days}
                   for days in _batches(todo, files_by_day, batch_days, batch_bytes)]
        results += _ingest_batches(dataset, batches, lake, con)
    finally:
        con.close()
    return sorted(results, key=lambda r: r.business_date or dt.date.min)


# About how many bytes of text a byte of a compressed landing file holds (measured on the
# generated till lines: Parquet 148 MiB for 853 MiB of CSV, a gzip day 1:6.7): batches are
# sized by text, which is what memory holds while a batch is validated.
_EXPANSION = {".parquet": 6, ".gz": 6}


def _text_bytes(file: LandingFile) -> int:
    return file.size * _EXPANSION.get(file.path.suffix.lower(), 1)


def consecutive_batches(items: list, sizes: list[int], max_size: int,
                        max_items: int | None = None) -> list[list]:
    """``items`` cut, in order, into batches of at most ``max_size`` (summed ``sizes``) and
    ``max_items``; an item bigger than ``max_size`` is a batch of its own."""
    batches: list[list] = []
    total = 0
    for item, size in zip(items, sizes, strict=True):
        if (not batches or total + size > max_size
                or (max_items is not None and len(batches[-1]) >= max_items)):
            batches.append([])
            total = 0
        batches[-1].append(item)
        total += size
    return batches


def _batches(days: list, files_by_day: dict, max_days: int, max_bytes: int) -> list[list]:
    return consecutive_batches(
        days, [sum(_text_bytes(f) for f in files_by_day[d]) for d in days], max_bytes, max_days)


def ingest_partition(dataset: Dataset, files: list[LandingFile], lake: Lake,
                     business_date: dt.date | None, force: bool = False) -> PartitionResult:
    """Ingest one partition (see :func:`ingest_days`)."""
    return ingest_days(dataset, {business_date: files}, lake, force=force)[0]


@dataclass
class _ReadBatch:
    """The files of a batch of days, read and aligned with the contract."""
    outcomes: dict[dt.date | None, list[FileOutcome]]
    source: pa.Table  # the rows of every readable file, in (day, file, row) order


# Files of a batch read side by side: the readers (Arrow's and DuckDB's, hashing) run
# outside the GIL, and JSON lines take one core each at 40-100 MiB/s
READ_THREADS = 2


def _read_file(file: LandingFile, version: tuple | None = None,
               prefetched: Future | None = None) -> tuple[tuple, pa.Table | FileRejected]:
    """The file's version (sha256, size, ctime) and its rows, or why it cannot be read;
    the version is taken first unless given. ``prefetched``: a :func:`prefetch_jsonl` of
    files including this one, started after ``version`` was taken."""
    version = version or file.version()
    try:
        rows = prefetched.result().get(file.path) if prefetched is not None else None
        return version, read_file(file, rows)
    except FileRejected as exc:
        return version, exc


def _read_batch(dataset: Dataset, files_by_day: dict[dt.date | None, list[LandingFile]],
                lake: Lake, con: duckdb.DuckDBPyConnection,
                files_pool: ThreadPoolExecutor) -> _ReadBatch:
    outcomes: dict[dt.date | None, list[FileOutcome]] = {d: [] for d in files_by_day}
    shaped: list[pa.Table] = []
    # JSON lines with nested values are read by DuckDB, the batch's files in a query per
    # reading thread, once every file's version is taken: rows read before the version
    # could be older than it, and a correction written in between would then pass for
    # loaded (read after, they can only be newer: the next run reads them again). The
    # queries are queued first: a file's read, which waits for its query, only starts once
    # every query is running.
    jsonl = [] if is_flat(dataset) else [
        f for files in files_by_day.values() for f in files
        if f.path.name.lower().endswith((".jsonl", ".jsonl.gz"))]
    versions = {f.path: files_pool.submit(f.version) for f in jsonl}
    versions = {path: version.result() for path, version in versions.items()}
    groups = [[f.path for f in jsonl[k::READ_THREADS]] for k in range(READ_THREADS)]
    queries = {path: query for group in groups if group
               for query in [files_pool.submit(prefetch_jsonl, group)] for path in group}
    reads = {(day, order): files_pool.submit(_read_file, file, versions.get(file.path),
                                             queries.get(file.path))
             for day, files in files_by_day.items() for order, file in enumerate(files)}
    for day, files in files_by_day.items():
        for order, file in enumerate(files):
            version, rows = reads[day, order].result()
            outcome = FileOutcome(file.rel_path, *version)
            outcomes[day].append(outcome)
            try:
                if isinstance(rows, FileRejected):
                    raise rows
                table, outcome.drift_columns = _shape(rows, dataset, file, order, con)
            except FileRejected as exc:
                outcome.status, outcome.reason = "rejected", f"{exc.reason}: {exc}"
                _keep_rejected_file(lake, dataset, file, day)
                continue
            outcome.rows_read = table.num_rows
            if table.num_rows == 0:
                outcome.status, outcome.reason = "empty", "header only: the file holds no rows"
            shaped.append(table)
    source = pa.concat_tables(_align(dataset, shaped)) if shaped else _empty_text(dataset)
    return _ReadBatch(outcomes, source.append_column(
        "_pos", pa.array(np.arange(source.num_rows, dtype=np.int64))))


def _align(dataset: Dataset, tables: list[pa.Table]) -> list[pa.Table]:
    """One type per column across a batch's files: a column keeps its own type where every
    file that has it has that type; otherwise it is text in all of them."""
    for name in dataset.column_names:
        types = {t.schema.field(name).type for t in tables} - {pa.null()}
        target = types.pop() if len(types) == 1 else pa.string()
        for i, t in enumerate(tables):
            values = t.column(name)
            if values.type != target:
                values = (values.cast(target) if values.type == pa.null()
                          else to_text(values))
                tables[i] = t.set_column(t.schema.get_field_index(name), name, values)
    return tables


@dataclass
class _Writing:
    """A validated batch whose days are being written, each by a future, in ``staged_root``."""
    days: list[Future]
    staged_root: Path

    def wait(self) -> list[PartitionResult]:
        try:
            return [f.result() for f in self.days]
        finally:
            for f in self.days:  # after a failure, the others still stage files
                f.cancel() or f.exception()
            # only this batch's folder: another run may be staging days of the same dataset
            shutil.rmtree(self.staged_root, ignore_errors=True)
            with contextlib.suppress(OSError):
                self.staged_root.parent.rmdir()  # when it was the last one


def _ingest_batches(dataset: Dataset, batches: list[dict[dt.date | None, list[LandingFile]]],
                    lake: Lake, con: duckdb.DuckDBPyConnection) -> list[PartitionResult]:
    """Validate each batch while the next one is read and the previous one is written:
    reading (Arrow's readers, hashing) and writing (Arrow's Parquet writer, the file
    system) run outside the GIL, on the core that DuckDB leaves idle between queries.
    At most three batches are held at a time, so memory stays flat."""
    results: list[PartitionResult] = []
    reader_con = con.cursor()  # one DuckDB connection serves one thread at a time
    writing: list[_Writing] = []  # oldest first
    try:
        with (ThreadPoolExecutor(max_workers=1) as reader,
              ThreadPoolExecutor(max_workers=READ_THREADS) as files_pool,
              ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as writers):
            queue = iter(batches)

            def read_next() -> Future | None:
                batch = next(queue, None)
                return None if batch is None else reader.submit(
                    _read_batch, dataset, batch, lake, reader_con, files_pool)

            pending = read_next()
            while pending is not None:
                read = pending.result()
                pending = read_next()
                writing.append(_ingest_batch(dataset, read, lake, con, writers))
                if len(writing) > 1:
                    results += writing.pop(0).wait()
            while writing:
                results += writing.pop(0).wait()
    finally:
        for batch in writing:  # after a failure: let their writes end, and clean up
            with contextlib.suppress(Exception):
                batch.wait()
        reader_con.close()
    return results


def _ingest_batch(dataset: Dataset, read: _ReadBatch, lake: Lake,
                  con: duckdb.DuckDBPyConnection, writers: ThreadPoolExecutor) -> _Writing:
    """Validate a batch, and start writing its days with ``writers``."""
    outcomes = read.outcomes
    native = native_kinds(dataset, read.source.schema)
    con.register("src_arrow", read.source)
    checked_sql, duplicates_sql = validation_sql(dataset, native)
    # Arrow, not a DuckDB table: the valid rows go from here straight to Parquet, and
    # the summaries below scan it in place. Each row carries its place in the source
    # (``_pos``): DuckDB may return a parallel scan's rows in another order.
    checked = _checked(dataset, read.source, con.sql(checked_sql).to_arrow_table())
    con.unregister("src_arrow")
    con.register("checked", checked)
    if duplicates_sql:
        dupes = con.sql(duplicates_sql).to_arrow_table().column("_pos")
        if len(dupes):
            duplicate = pc.is_in(checked.column("_pos"), value_set=dupes.combine_chunks())
            checked = checked.set_column(
                checked.schema.get_field_index("reasons"), "reasons",
                pc.if_else(duplicate, "duplicate_key", checked.column("reasons")))
            con.unregister("checked")
            con.register("checked", checked)
    valid = pc.equal(checked.column("reasons"), "")
    all_valid = pc.all(valid).as_py() is not False  # True, or None for no rows
    rejected = (checked.column("_pos").slice(0, 0) if all_valid
                else checked.filter(pc.invert(valid)).column("_pos"))
    con.register("records", _records(dataset, read.source, rejected, native, con))
    quarantine = con.sql("""
        select c._source_file as source_file, c._source_row as source_row,
               string_split(c.reasons, ';') as reasons, r.record, c._day
        from checked c join records r using (_pos)
        order by c._day, c._file_order, c._source_row
    """).to_arrow_table()
    con.unregister("records")
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
    con.unregister("checked")

    raw = checked if all_valid else checked.filter(valid)
    raw_days = raw.column("_day").to_numpy()
    raw = raw.select([*dataset.column_names, "_extra", "_source_file", "_source_row"])
    staged_root = lake.staging_dir(dataset.name)

    def finish(day: dt.date | None, rows: pa.Table, q_day: pa.Table,
               day_outcomes: list[FileOutcome]) -> PartitionResult:
        """Write one day's raw file, swap it and the quarantine in, and record the files."""
        path = _write_raw(rows, staged_root / "raw_files" / f"{partition_name(day)}.parquet")
        lake.swap_in_file(lake.raw(dataset.name), day, path, staged_root)
        if q_day.num_rows:
            lake.write_partition(lake.quarantine(dataset.name), day, q_day, staged_root)
        else:  # no empty files: a day's quarantine holds rows, or is not there
            lake.drop_partition(lake.quarantine(dataset.name), day)
        ledger = _ledger_path(lake, dataset, day)
        _write_ledger(ledger, dataset, day, _read_ledger(ledger), day_outcomes)
        return PartitionResult(dataset.name, day, day_outcomes,
                               reason_counts={code: n for d, code, n in reasons if d == day},
                               unknown_values=unknown.get(day, {}),
                               duplicate_keys_kept=int(kept_dupes.get(day, 0)))

    # Arrow's Parquet writer and the file system calls run outside the GIL: the days are
    # finished side by side (a day's files are swapped in before its ledger).
    writing = _Writing([], staged_root)
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
            rows = raw
            if day is not None:
                at = np.datetime64(day, "D")
                lo, hi = (np.searchsorted(raw_days, at, side) for side in ("left", "right"))
                rows = raw.slice(lo, hi - lo)
            q_day = _rows_of_day(quarantine, day).drop(["_day"]).cast(QUARANTINE_SCHEMA)
            writing.days.append(writers.submit(finish, day, rows, q_day, day_outcomes))
    except BaseException:
        with contextlib.suppress(Exception):  # the error to report is this one
            writing.wait()
        raise
    return writing


def _checked(dataset: Dataset, source: pa.Table, result: pa.Table) -> pa.Table:
    """The validation's ``result`` beside the source's location and text columns, row for
    row (a text column is typed by taking an empty value as missing)."""
    result = _in_source_order(result)
    cols = {name: source.column(name) for name in _LOCATION}
    cols["reasons"] = result.column("reasons")
    for col in dataset.columns:
        cols[col.name] = (_empty_as_null(source.column(col.name)) if col.type == "string"
                          else result.column(col.name))
    return pa.table(cols)


def _empty_as_null(text: pa.ChunkedArray) -> pa.ChunkedArray:
    """Text with its empty values as NULL; a dictionary's codes of '' become NULL."""
    if not is_coded_text(text.type):
        empty = pc.equal(pc.binary_length(text), 0)
        return (pc.if_else(empty, pa.scalar(None, text.type), text)
                if pc.any(empty).as_py() else text)
    chunks = []
    for chunk in text.chunks:
        blank = pc.equal(pc.binary_length(chunk.dictionary), 0)
        if pc.any(blank).as_py():
            codes = pc.if_else(pc.is_in(chunk.indices, value_set=pc.indices_nonzero(blank)
                                        .cast(chunk.indices.type)),
                               pa.scalar(None, chunk.indices.type), chunk.indices)
            chunk = pa.DictionaryArray.from_arrays(codes, chunk.dictionary,
                                                   ordered=chunk.type.ordered)
        chunks.append(chunk)
    return pa.chunked_array(chunks, text.type)


def _records(dataset: Dataset, source: pa.Table, positions: pa.ChunkedArray,
             native: dict[str, str], con: duckdb.DuckDBPyConnection) -> pa.Table:
    """``_pos`` and ``record`` of the rejected rows at ``positions``: the row as read, as
    JSON text (a column kept in its own type is written as :func:`to_text` writes every
    column of a Parquet file read as text)."""
    if not len(positions):
        return pa.table({"_pos": pa.array([], pa.int64()), "record": pa.array([], pa.string())})
    rejected = source.take(positions)
    for name in native:
        rejected = rejected.set_column(rejected.schema.get_field_index(name), name,
                                       to_text(rejected.column(name)))
    con.register("rejected", rejected)
    try:
        return con.sql(f"select _pos, {_record_sql(dataset)} as record "
                       "from rejected").to_arrow_table()
    finally:
        con.unregister("rejected")


def _in_source_order(table: pa.Table) -> pa.Table:
    """``table`` in the source's (day, file, row) order, row for row. The validation
    connection keeps the source's order (see :func:`_validation_connection`),
    but that is a setting of DuckDB's, not a promise of SQL: checking costs a vector
    comparison, sorting about a tenth of the query."""
    pos = table.column("_pos").to_numpy()
    if (pos[1:] > pos[:-1]).all():
        return table
    return table.sort_by("_pos")


# The largest dictionary page the raw writer keeps for a column (the default is 1 MiB).
_DICTIONARY_BYTES = 32 * 2**10


def _write_raw(rows: pa.Table, path: Path) -> Path:
    """One raw partition's file. Decimals are stored as 64-bit integers, as DuckDB does;
    a column keeps its dictionary only while that stays small (codes, stores, products),
    since ids and timestamps hardly repeat (smaller and faster: 11 vs 16 MiB a month of
    till lines); the row numbers, which count up, are stored as deltas. Text columns get
    no min/max statistics: nothing filters on them (staging selects days by folder), and
    computing them took a sixth of the writer's time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(rows, path, compression="zstd", store_decimal_as_integer=True,
                   dictionary_pagesize_limit=_DICTIONARY_BYTES,
                   use_dictionary=[c for c in rows.column_names
                                   if c != "_source_row" and not _large_dictionary(rows, c)],
                   column_encoding={"_source_row": "DELTA_BINARY_PACKED"},
                   write_statistics=[f.name for f in rows.schema
                                     if not pa.types.is_string(f.type)
                                     and not is_coded_text(f.type)],
                   # text read as a dictionary is read back as plain text, as from CSV
                   store_schema=False)
    return path


def _large_dictionary(rows: pa.Table, name: str) -> bool:
    """Whether the column is text read as a dictionary too large to keep: it is written
    as plain values straight away (the writer would try, then fall back)."""
    col = rows.column(name)
    return is_coded_text(col.type) and any(
        chunk.dictionary.nbytes > _DICTIONARY_BYTES for chunk in col.chunks)


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
            "sha256": o.sha256, "size_bytes": o.size_bytes, "changed_ns": o.changed_ns,
            "rows_read": o.rows_read,
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
