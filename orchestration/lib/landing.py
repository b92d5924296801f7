"""Find and read landing files as the contract allows them.

Reading never guesses types: every value comes back as text, exactly as delivered, so that
validation can say what was wrong with it and quarantine keeps the original.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import hashlib
import json
import re
import threading
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq

from .contract import DATASETS, Dataset

# A file left alone this long before it is hashed is not being written any more: its size
# and status-change time then identify the version (see LandingFile.version)
QUIET_SECONDS = 2

_DAILY_NAME = re.compile(
    r"^(\d{4}-\d{2}-\d{2})(.*?)(\.csv\.gz|\.csv|\.parquet|\.jsonl\.gz|\.jsonl)$")


class FileRejected(Exception):
    """A whole file cannot be read; ``reason`` is a code, the message is for an operator."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class LandingFile:
    dataset: str
    path: Path
    rel_path: str  # relative to the landing folder: how operators name the file
    business_date: dt.date | None  # None for snapshots and for names without a valid date
    name_error: str | None = None

    @property
    def size(self) -> int:
        return self.path.stat().st_size

    def sha256(self) -> str:
        h = hashlib.sha256()
        with open(self.path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        return h.hexdigest()

    def version(self) -> tuple[str, int, int | None]:
        """(sha256, size, status-change time in ns) of the bytes read now.

        The change time (ctime) moves with every write, rename onto the path, permission
        change or ``utime``, and no program can set it back (``cp -p`` or ``rsync -a`` can
        restore a modification time, not this). It comes from a stat taken before reading,
        so a write during the read leaves it older than the file, never newer; it is None
        when the file changed less than ``QUIET_SECONDS`` before, since a second write
        within the file system's clock tick could keep both size and time (git's "racy
        clean" case).
        """
        now = time.time_ns()
        st = self.path.stat()
        digest = self.sha256()
        quiet = now - st.st_ctime_ns > QUIET_SECONDS * 10**9
        return digest, st.st_size, st.st_ctime_ns if quiet else None

    def known_version(self, sha256: str, size: int, changed_ns: int | None) -> bool:
        """Whether the file still holds the version recorded as (sha256, size, ctime): a
        stat answers when size and ctime are unchanged and the time was recorded; otherwise
        the bytes are hashed again (a touched but unchanged file is still the same)."""
        st = self.path.stat()
        if changed_ns is not None and (st.st_size, st.st_ctime_ns) == (size, changed_ns):
            return True
        return st.st_size == size and self.sha256() == sha256


def discover(landing_dir: Path, dataset: Dataset) -> list[LandingFile]:
    """Every file of ``dataset`` in the landing folder, sorted by name.

    Daily files whose name does not start with a valid ``YYYY-MM-DD`` come back with
    ``name_error`` set, so that they can be reported instead of silently ignored.
    """
    if not dataset.daily:
        found = [landing_dir / f"{dataset.landing_path}{ext}" for ext in dataset.extensions]
        return [LandingFile(dataset.name, p, str(p.relative_to(landing_dir)), None)
                for p in found if p.is_file()]
    folder = landing_dir / dataset.landing_path
    if not folder.is_dir():
        return []
    files = []
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.name.startswith("."):
            continue
        rel = str(path.relative_to(landing_dir))
        m = _DAILY_NAME.match(path.name)
        if m is None or m.group(3) not in dataset.extensions:
            files.append(LandingFile(dataset.name, path, rel, None,
                                     f"'{path.name}' is not named YYYY-MM-DD*"
                                     f"{{{','.join(dataset.extensions)}}}"))
            continue
        try:
            day = dt.date.fromisoformat(m.group(1))
        except ValueError:
            files.append(LandingFile(dataset.name, path, rel, None,
                                     f"'{m.group(1)}' in '{path.name}' is not a calendar date"))
            continue
        files.append(LandingFile(dataset.name, path, rel, day))
    return files


def landing_days(landing_dir: Path, datasets: list[Dataset]) -> list[dt.date]:
    """The business days that have at least one validly named file, in order."""
    days = {f.business_date for d in datasets if d.daily for f in discover(landing_dir, d)}
    return sorted(d for d in days if d is not None)


def _normalise_names(names: list[str], rel: str) -> list[str]:
    out = [n.strip().lstrip("\ufeff").lower() for n in names]
    dupes = sorted({n for n in out if out.count(n) > 1})
    if dupes:
        raise FileRejected("duplicate_columns",
                           f"{rel}: column(s) {', '.join(dupes)} appear more than once")
    return out


def _opener(file: LandingFile):
    """How to open the file's bytes: gzip files are read decompressed."""
    return gzip.open if file.path.name.lower().endswith(".gz") else open


def read_as_text(file: LandingFile) -> pa.Table:
    """Read one file into a table of text columns (names lower-cased), in file order.

    Raises :class:`FileRejected` with a reason an operator understands when the file as a
    whole cannot be read.
    """
    table = read_file(file)
    if not file.path.name.lower().endswith(".parquet"):
        return table
    return pa.table({n: file_text(file, table.column(n)) for n in table.column_names})


def read_file(file: LandingFile, prefetched: pa.Table | None = None) -> pa.Table:
    """As :func:`read_as_text`, except that a Parquet file's columns keep their own types
    (ingest validates numbers as they are, and writes text only for rejected rows), and
    its text stored as a dictionary is read as one (see :func:`is_coded_text`).
    ``prefetched``: the file's rows as :func:`prefetch_jsonl` read them, if it did."""
    name = file.path.name.lower()
    if file.size == 0:
        raise FileRejected("empty_file", f"{file.rel_path} is empty (0 bytes)")
    try:
        if name.endswith(".parquet"):  # (read_table's dataset machinery costs a tenth more)
            with pq.ParquetFile(file.path) as parquet:
                meta, coded = parquet.metadata, _dictionary_coded_text(parquet)
            with pq.ParquetFile(file.path, metadata=meta, read_dictionary=coded) as parquet:
                table = parquet.read()
            _check_text(table)
            return table.rename_columns(_normalise_names(table.column_names, file.rel_path))
        if name.endswith((".csv", ".csv.gz")):
            return _read_csv(file)
        if name.endswith((".jsonl", ".jsonl.gz")):
            return _read_jsonl(file, prefetched)
    except FileRejected:
        raise
    except (pa.ArrowInvalid, gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise _unreadable(file, exc) from exc
    raise FileRejected("unsupported_format", f"{file.rel_path}: unsupported file type")


def _check_text(table: pa.Table) -> None:
    """Raise ArrowInvalid for text that is not UTF-8: a Parquet reader takes text as it is
    stored (CSV and JSON text is checked as it is decoded). A dictionary's values are
    checked once, not once per row."""
    for col in table.columns:
        if pa.types.is_dictionary(col.type):
            for chunk in col.chunks:
                chunk.dictionary.validate(full=True)
        elif (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)
              or pa.types.is_nested(col.type)):
            col.validate(full=True)


def _dictionary_coded_text(parquet: pq.ParquetFile) -> list[str]:
    """The text columns that the file stores as a dictionary of values and codes in every
    row group (as most writers do for text that repeats): read as such, they are not
    expanded here, and raw is written from the codes (a dictionary past the writer's page
    limit is written as plain values; see ingest's ``_write_raw``)."""
    meta = parquet.metadata
    names = {field.name for field in parquet.schema_arrow
             if pa.types.is_string(field.type) or pa.types.is_large_string(field.type)}
    return [meta.schema.column(i).path for i in range(meta.num_columns)
            if meta.schema.column(i).path in names and all(
                meta.row_group(g).column(i).has_dictionary_page
                for g in range(meta.num_row_groups))]


def _read_csv(file: LandingFile) -> pa.Table:
    # Read the header first so that every column can be declared as text.
    opener = _opener(file)
    with opener(file.path, "rb") as stream:
        first = stream.readline()
    if not first.strip():
        raise FileRejected("empty_file", f"{file.rel_path} has no header line")
    try:
        header_text = first.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileRejected("undecodable_bytes",
                           f"{file.rel_path}: the header is not UTF-8 ({exc.reason})") from exc
    names = _normalise_names(next(csv.reader([header_text])), file.rel_path)
    bad_rows: list[pacsv.InvalidRow] = []

    def keep_aside(row: pacsv.InvalidRow) -> str:
        bad_rows.append(row)
        return "skip"  # not lost: appended below as an unparseable row

    table = pacsv.read_csv(
        file.path,
        read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=1 << 24),
        parse_options=pacsv.ParseOptions(newlines_in_values=True,
                                         invalid_row_handler=keep_aside),
        convert_options=pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    if not bad_rows:
        return table
    n = len(bad_rows)
    positions = _ragged_row_numbers(file, len(names))
    if positions is not None and len(positions) != n:
        positions = None  # the two readers disagree: no number rather than a wrong one
    extra = pa.table({
        **{c: pa.nulls(n, pa.string()) for c in names},
        LINE_ERROR: [f"wrong_field_count: {_where(r, positions, i)} has {r.actual_columns} "
                     f"fields, the header {r.expected_columns}" for i, r in enumerate(bad_rows)],
        RAW_LINE: [r.text for r in bad_rows],
    })
    table = table.append_column(LINE_ERROR, pa.nulls(table.num_rows, pa.string()))
    table = table.append_column(RAW_LINE, pa.nulls(table.num_rows, pa.string()))
    if positions is not None:
        # every row keeps its own number: the good ones around the ragged ones
        ragged = set(positions)
        good = [k for k in range(1, table.num_rows + n + 1) if k not in ragged]
        table = table.append_column("_line_number", pa.array(good, pa.int64()))
        extra = extra.append_column("_line_number", pa.array(positions, pa.int64()))
    return pa.concat_tables([table, extra])


def _ragged_row_numbers(file: LandingFile, fields: int) -> list[int] | None:
    """The numbers (1 = the first row after the header, blank lines not counted, as Arrow
    counts) of the rows whose field count differs from the header's, found with Python's
    csv reader, which reads row by row: Arrow's parallel reader hands the ragged rows over
    without their place. None when the file cannot be read that way."""
    opener = _opener(file)
    try:
        with opener(file.path, "rt", encoding="utf-8-sig", newline="") as stream:
            rows = (r for r in csv.reader(stream) if r)
            next(rows, None)  # the header
            return [k for k, r in enumerate(rows, start=1) if len(r) != fields]
    except (UnicodeDecodeError, csv.Error, OSError, EOFError):
        return None


def _where(row: pacsv.InvalidRow, positions: list[int] | None, index: int) -> str:
    if row.number is not None:
        return f"line {row.number}"
    if positions is not None:
        return f"row {positions[index]}"
    return "a row"


LINE_ERROR = "_line_error"  # "<reason code>: <message>" on lines that could not be parsed
RAW_LINE = "_raw_line"  # the text of such a line, kept for quarantine


def _json_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    # compact, as DuckDB's JSON reader writes nested values (_read_jsonl_with_duckdb)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _read_jsonl(file: LandingFile, prefetched: pa.Table | None = None) -> pa.Table:
    """One row per non-blank line. A line that is not a JSON object stays a row, with
    ``_line_error`` saying why, so that it is quarantined rather than lost. ``prefetched``:
    DuckDB's reading of the file (see :func:`prefetch_jsonl`), used when the file is one
    DuckDB's reader may take (see _read_jsonl_with_duckdb)."""
    opener = _opener(file)
    with opener(file.path, "rb") as stream:
        data = stream.read()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileRejected("undecodable_bytes",
                           f"{file.rel_path}: not UTF-8 at byte {exc.start} ({exc.reason})"
                           ) from exc
    body = data.removeprefix(b"\xef\xbb\xbf")
    if _one_text_per_line(body, text):
        dataset = DATASETS[file.dataset]
        fast = _read_plain_jsonl(body, dataset) if is_flat(dataset) else None
        if fast is None and prefetched is not None:  # as DuckDB reads the file alone
            fast = None if _lenient_json(body) else _duckdb_rows_as_read(prefetched, body)
        elif fast is None:
            fast = _read_jsonl_with_duckdb(file.path, body)
        if fast is not None:
            return fast
    rows: list[dict[str, str | None]] = []
    line_numbers: list[int] = []
    names: dict[str, None] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        line_numbers.append(number)
        try:
            obj = json.loads(line)
        except ValueError as exc:
            rows.append({LINE_ERROR: f"malformed_json: line {number} is not valid JSON "
                                     f"({exc.msg} at column {exc.colno})", RAW_LINE: line})
            continue
        if not isinstance(obj, dict):
            rows.append({LINE_ERROR: f"malformed_json: line {number} is not a JSON object",
                         RAW_LINE: line})
            continue
        row: dict[str, str | None] = {}
        for key, value in obj.items():
            name = str(key).strip().lower()
            if name in row:
                row = {LINE_ERROR: f"duplicate_field: line {number} has the field '{name}' "
                                   "twice (names differ only in case)", RAW_LINE: line}
                break
            row[name] = _json_text(value)
        else:
            for name in row:
                names.setdefault(name, None)
        rows.append(row)
    if not rows:
        raise FileRejected("empty_file", f"{file.rel_path} holds no JSON lines")
    columns = [*names, LINE_ERROR, RAW_LINE, "_line_number"]
    return pa.table({
        **{c: pa.array([r.get(c) for r in rows], pa.string()) for c in columns[:-1]},
        "_line_number": pa.array(line_numbers, pa.int64()),
    })


# Line breaks of str.splitlines() besides \n and \r\n (the careful reader splits on them);
# a lone \r is checked apart. Searched for in the decoded text, one character at a time
# (memchr-like): a regular expression is 25x slower, and searches of the UTF-8 bytes for
# the three multi-byte ones 8x slower.
_OTHER_BREAKS = "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


_BLANK_LINE = re.compile(rb"\n[ \t\r]*\n")
_BLANK_FIRST_LINE = re.compile(rb"[ \t\r]*\n")


def _one_text_per_line(data: bytes, text: str) -> bool:
    """Whether the readers that count rows by line breaks may take the file: lines end in
    \n or \r\n only, and no line is blank. (Arrow and DuckDB skip blank lines; they also
    read {..}{..} on one line as two rows, which a blank line elsewhere would hide from
    their row counts: with no blank line, as many rows as lines means one object per line.)
    ``text`` is ``data`` decoded."""
    returns = data.count(b"\r")
    if returns and returns != data.count(b"\r\n"):
        return False
    if any(c in text for c in _OTHER_BREAKS):
        return False
    return not (_BLANK_LINE.search(data) or _BLANK_FIRST_LINE.match(data))


def _line_count(data: bytes) -> int:
    return data.count(b"\n") + (0 if data.endswith(b"\n") else 1)


def is_flat(dataset: Dataset) -> bool:
    """Whether the dataset has no nested (JSON list) column."""
    return not any(c.type == "json_array" for c in dataset.columns)


def _as_read(columns: dict[str, pa.ChunkedArray], n: int) -> pa.Table:
    """A fast reader's text columns, with the columns the careful reader adds."""
    return pa.table({**columns, LINE_ERROR: pa.nulls(n, pa.string()),
                     RAW_LINE: pa.nulls(n, pa.string()),
                     "_line_number": pa.array(np.arange(1, n + 1, dtype=np.int64))})


def _has_empty_row(table: pa.Table) -> bool:
    empty = None
    for col in table.columns:
        nulls = pc.is_null(col)
        empty = nulls if empty is None else pc.and_(empty, nulls)
    return empty is not None and pc.any(empty).as_py()


def _read_plain_jsonl(data: bytes, dataset: Dataset) -> pa.Table | None:
    """Arrow's JSON reader, for the usual file of a flat dataset (one JSON object per line,
    see _one_text_per_line): keys already in lower case, the contract's fields as strings
    and any other as a string, integer, boolean or null. It gives the very table the
    line-by-line reader would, three to four times faster; None for any other file."""
    schema = pa.schema([(c, pa.string()) for c in dataset.column_names])
    try:
        table = pajson.read_json(pa.BufferReader(data), parse_options=pajson.ParseOptions(
            explicit_schema=schema, unexpected_field_behavior="infer"))
    except pa.ArrowInvalid:  # bad JSON, not an object, a number where text is due, ...
        return None
    if table.num_rows == 0 or table.num_rows != _line_count(data) or _has_empty_row(table):
        return None  # _has_empty_row: see _duckdb_rows_as_read
    out = {}
    for name, col in zip(table.column_names, table.columns, strict=True):
        if name != name.strip().lower():
            return None
        if pa.types.is_string(col.type) or pa.types.is_null(col.type):
            out[name] = col.cast(pa.string())
        elif pa.types.is_boolean(col.type) or pa.types.is_int64(col.type):
            out[name] = col.cast(pa.string())  # as JSON writes them: true, false, 12
        else:  # decimals, timestamps, nested values: the careful reader's JSON text
            return None
    return _as_read(out, table.num_rows)


_duckdb_readers = threading.local()

# What DuckDB's JSON parser (yyjson) accepts and Python's json, the careful reader, rejects
# as malformed: a trailing comma, and nan or inf in any spelling (json takes NaN, Infinity
# and -Infinity only). A file holding either goes to the careful reader; a match inside a
# string value only costs that file the slower reader. A case-blind search for the letters
# (0.3 ms a MB) spares most files the pattern (5 ms a MB: it tries every colon and comma).
_TRAILING_COMMA = re.compile(rb",[ \t\r\n]*[}\]]")
_NAN_OR_INF = re.compile(rb"[:,\[][ \t\r\n]*[+-]?(?i:nan|inf)")


def _lenient_json(data: bytes) -> bool:
    if _TRAILING_COMMA.search(data):
        return True
    lower = data.lower()
    return (b"nan" in lower or b"inf" in lower) and _NAN_OR_INF.search(data) is not None


def _read_jsonl_with_duckdb(path: Path, data: bytes) -> pa.Table | None:
    """DuckDB's JSON reader, for files Arrow's cannot give as the careful reader would:
    nested values (order items) and numbers. Every value is asked for as VARCHAR, which
    DuckDB gives as Python's json module writes it (strings decoded; numbers, booleans
    and nested values as compact JSON text, in the tests beside the careful reader), three
    times as fast. ``data`` is the file's text (see _one_text_per_line); None for a file
    with a line that is not one JSON object, keys not in lower case, the same key twice or
    what only DuckDB's parser accepts (see _lenient_json), which the careful reader then
    takes line by line."""
    if _lenient_json(data):
        return None
    try:
        read = _duckdb_json_rows(_duckdb_reader(), [path])
    except duckdb.Error:  # not JSON, not an object, a key twice (DuckDB refuses the file)
        return None
    return _duckdb_rows_as_read(read[path], data) if path in read else None


def prefetch_jsonl(paths: list[Path]) -> dict[Path, pa.Table]:
    """DuckDB's JSON reader (see _read_jsonl_with_duckdb) over many files in two queries,
    instead of two per file: most of the time a small file costs is the queries' own. A
    file whose keys are not all in lower case is left out; so is every file when DuckDB
    refuses one (a line that is not an object, a key twice): each is then read on its own.
    :func:`read_file` checks the rest as it would check the file read alone. Take a file's
    version before (see LandingFile.version): rows read before it could be older than the
    version recorded for them."""
    if not paths:
        return {}
    try:
        return _duckdb_json_rows(_duckdb_reader(), paths)
    except duckdb.Error:
        return {}


# The column DuckDB names each row's file in, and the one saying a row is empty (a file
# with a JSON key of either name is left to the careful reader)
_FILE_COLUMN = "__loyalty_landing_file"
_EMPTY_COLUMN = "__loyalty_empty_row"


def _duckdb_reader() -> duckdb.DuckDBPyConnection:
    con = getattr(_duckdb_readers, "con", None)
    if con is None:  # one per thread, single-threaded: rows come back in file order
        con = _duckdb_readers.con = duckdb.connect(config={"threads": 1,
                                                           "memory_limit": "256MB"})
    return con


def _duckdb_json_rows(con: duckdb.DuckDBPyConnection,
                      paths: list[Path]) -> dict[Path, pa.Table]:
    """Path → the file's rows, a VARCHAR column per key of the file (in order of first
    appearance), for the files whose keys are all in lower case. Raises duckdb.Error when
    DuckDB refuses a file."""
    # every key of every line: half the time of DESCRIBE, which infers a type for each key
    # from every line
    found = con.sql(f"select {_FILE_COLUMN}, json_keys(json) as k "
                    f"from read_ndjson_objects($paths, filename = '{_FILE_COLUMN}')",
                    params={"paths": [str(p) for p in paths]}).to_arrow_table()
    keys = {}
    for name, rows in _by_file(found):
        names = pc.unique(rows.column("k").combine_chunks().flatten()).to_pylist()
        if (names and all(k == k.strip().lower() for k in names)
                and not {_FILE_COLUMN, _EMPTY_COLUMN} & set(names)):
            keys[name] = names
    if not keys:
        return {}
    every_key = list(dict.fromkeys(k for names in keys.values() for k in names))
    columns = "{" + ", ".join(f"'{k.replace(chr(39), chr(39) * 2)}': 'VARCHAR'"
                              for k in every_key) + "}"
    # a row whose every value is NULL: every key of the file's, as the keys of other files
    # are NULL in it (see _duckdb_rows_as_read)
    empty = " and ".join(f'"{k.replace(chr(34), chr(34) * 2)}" is null' for k in every_key)
    table = con.sql(f"select *, {empty} as {_EMPTY_COLUMN} "
                    f"from read_json($paths, format = 'newline_delimited', records = true, "
                    f"columns = {columns}, filename = '{_FILE_COLUMN}')",
                    params={"paths": list(keys)}).to_arrow_table()
    return {Path(name): rows.select([*keys[name], _EMPTY_COLUMN])
            for name, rows in _by_file(table) if name in keys}


def _by_file(table: pa.Table) -> list[tuple[str, pa.Table]]:
    """A single-threaded read's rows cut into one slice per file (each file's rows are
    together, in file order)."""
    encoded = pc.dictionary_encode(table.column(_FILE_COLUMN)).combine_chunks()
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    if len(codes) and np.any(np.diff(codes) < 0):  # never seen: no slice rather than a wrong one
        raise duckdb.InvalidInputException("rows of several files interleaved")
    counts = np.bincount(codes, minlength=len(encoded.dictionary))
    starts = np.cumsum(counts) - counts
    return [(name, table.slice(start, count)) for name, start, count
            in zip(encoded.dictionary.to_pylist(), starts.tolist(), counts.tolist(), strict=True)]


def _duckdb_rows_as_read(table: pa.Table, data: bytes) -> pa.Table | None:
    """A file's rows read by DuckDB, as the careful reader would give them; None when they
    are not (see _read_jsonl_with_duckdb). ``data``: the file's text, which the caller
    found free of what only DuckDB accepts (_lenient_json)."""
    if table.num_rows != _line_count(data) or pc.any(table.column(_EMPTY_COLUMN)).as_py():
        # a line `null` is a row of nulls to DuckDB, not an object to the contract; `{}`
        # looks the same, so both go to the careful reader
        return None
    return _as_read({k: table.column(k).cast(pa.string()) for k in table.column_names
                     if k != _EMPTY_COLUMN}, table.num_rows)


def is_coded_text(type_: pa.DataType) -> bool:
    """Text read as a dictionary of values and codes (see :func:`read_file`)."""
    return pa.types.is_dictionary(type_) and pa.types.is_string(type_.value_type)


def to_text(col: pa.ChunkedArray, keep_codes: bool = False) -> pa.ChunkedArray:
    """A column of a Parquet file as the text a CSV export would hold (a list or a
    structure as JSON). Raises ArrowInvalid for bytes that are not UTF-8. With
    ``keep_codes``, text read as a dictionary stays one (it is text already)."""
    if keep_codes and is_coded_text(col.type):
        return col
    if pa.types.is_nested(col.type):
        return pa.chunked_array([pa.array(
            [None if v is None else json.dumps(v, default=str) for v in col.to_pylist()],
            pa.string())])
    if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        return col.cast(pa.string())
    if pa.types.is_timestamp(col.type):
        fmt = "%Y-%m-%dT%H:%M:%S" + ("%z" if col.type.tz else "")
        return pc.strftime(col, format=fmt)
    return col.cast(pa.string())


def file_text(file: LandingFile, col: pa.ChunkedArray, keep_codes: bool = False
              ) -> pa.ChunkedArray:
    """:func:`to_text` of a column of ``file``; text that is not UTF-8 (or a type Arrow
    cannot write out) rejects the file, with the reason."""
    try:
        return to_text(col, keep_codes)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise _unreadable(file, exc) from exc


def _unreadable(file: LandingFile, exc: Exception) -> FileRejected:
    """Why a file whose content Arrow could not read (or turn into text) is rejected."""
    return FileRejected(_classify(file.path.name.lower(), str(exc)),
                        f"{file.rel_path}: {_explain(exc)}")


def _classify(name: str, message: str) -> str:
    lower = message.lower()
    if "utf8" in lower or "utf-8" in lower:
        return "undecodable_bytes"
    if name.endswith(".gz") and ("gzip" in lower or "compress" in lower or "eof" in lower
                                 or "truncated" in lower):
        return "corrupt_gzip"
    if name.endswith(".parquet"):
        return "corrupt_parquet"
    if name.endswith(".jsonl") or name.endswith(".jsonl.gz"):
        return "unreadable_json"
    if "expected" in lower and "columns" in lower:
        return "ragged_rows"
    return "unreadable_file"


def _explain(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return f"could not be read ({text})"
