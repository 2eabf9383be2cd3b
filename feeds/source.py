"""The files of a GTFS feed and their CSV: a zip (with at most one sub-folder, __MACOSX
ignored) or a folder. A file in UTF-16 or UTF-32 (with a byte order mark, or UTF-16 recognised
by its zero bytes) is converted to UTF-8 in memory first, one that is not UTF-8 is read as
Latin-1, ragged rows are padded or dropped: each with a warning in the Report.

Every column is read as a dictionary-encoded string (no type inference); feeds/read.py
converts them by its schema.
"""

from __future__ import annotations

import codecs
import csv
import io
import posixpath
import zipfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from .compiled import file_sha256
from .limits import FeedLimits, check_folder, check_table, check_zip
from .report import Report

STRINGS = pa.dictionary(pa.int32(), pa.string())


class Source:
    """The .txt files of a GTFS zip (ignoring __MACOSX/, allowing one sub-folder) or folder."""

    def __init__(self, path: Path, report: Report, limits: FeedLimits = FeedLimits()):
        self.zip = None
        self.limits = limits
        self.converted: dict[str, bytes] = {}  # file -> its UTF-8 text, for files that were UTF-16/32
        self.folders: list[str] = []  # the zip's folders holding a stops.txt
        if path.is_dir():
            self.files = {p.name: p for p in sorted(path.iterdir()) if p.suffix == ".txt" and p.is_file()}
            check_folder(self.files, path.name, limits, report)
            self.sha256 = file_sha256(path)
            return
        try:
            self.zip = zipfile.ZipFile(path)
            names = [n for n in self.zip.namelist() if n.endswith(".txt") and not n.startswith("__MACOSX/")]
            self.sha256 = file_sha256(path)
        except (OSError, zipfile.BadZipFile) as e:
            report.fail(path.name, f"cannot read the feed: {e}")
        folders = self.folders = sorted({posixpath.dirname(n) for n in names if posixpath.basename(n) == "stops.txt"})
        root = folders[0] if len(folders) == 1 else ""
        self.files = {posixpath.basename(n): n for n in names if posixpath.dirname(n) == root}
        check_zip(self.zip, list(self.files.values()), path.name, limits, report)

    def open(self, fname: str):
        if fname in self.converted:
            return io.BytesIO(self.converted[fname])
        return self.zip.open(self.files[fname]) if self.zip else open(self.files[fname], "rb")

    def convert_unicode(self, fname: str, report: Report) -> None:
        """A UTF-16/32 file (Excel's "Unicode text") is decoded and kept as UTF-8, with a warning."""
        with self.open(fname) as f:
            start = f.read(4096)
        encoding = _wide_encoding(start)
        if encoding is None:
            return
        codec, label = encoding
        with self.open(fname) as f:
            data = f.read()
        try:
            text = data.decode(codec)
        except UnicodeDecodeError as e:
            line = data[:e.start].decode(codec, errors="replace").count("\n") + 1
            report.fail(fname, f"not valid {label} text ({e.reason})", line=line)
        self.converted[fname] = text.lstrip("\ufeff").encode("utf-8")
        report.warning(fname, f"{label} text, not UTF-8: converted to UTF-8 (GTFS files must be UTF-8)")

    def close(self):
        if self.zip:
            self.zip.close()


_BOMS = ((codecs.BOM_UTF32_LE, "utf-32", "UTF-32 LE"), (codecs.BOM_UTF32_BE, "utf-32", "UTF-32 BE"),
         (codecs.BOM_UTF16_LE, "utf-16", "UTF-16 LE"), (codecs.BOM_UTF16_BE, "utf-16", "UTF-16 BE"))


def _wide_encoding(start: bytes) -> tuple[str, str] | None:
    """(codec, label) of a file starting with these bytes when it is UTF-16/32, else None.

    With a byte order mark; without one, UTF-16 is recognised on the header line by the zero
    high bytes of its ASCII characters (every other byte zero, the others not).
    """
    for bom, codec, label in _BOMS:
        if start.startswith(bom):
            return codec, f"{label} (with byte order mark)"
    end = start.find(b"\n")
    head = start[:(end if end > 0 else len(start)) & ~1]  # the header line, whole characters
    if len(head) >= 4 and b"\x00" in head:
        even, odd = head[0::2], head[1::2]
        if odd.count(0) == len(odd) and not even.count(0):
            return "utf-16-le", "UTF-16 LE (without byte order mark)"
        if even.count(0) == len(even) and not odd.count(0):
            return "utf-16-be", "UTF-16 BE (without byte order mark)"
    return None


def read_csv(source: Source, fname: str, schema: dict, report: Report) -> tuple[pa.Table | None, np.ndarray]:
    """Read the `schema` columns of `fname` (column -> Col) as dictionary strings, plus the file
    line of each row; a required column missing fails the feed.

    Returns (None, empty) when the file is absent, zero bytes or only blank lines. A UTF-16/32
    file is converted first; one that is not UTF-8 is re-read as Latin-1 (warning); one with
    rows of the wrong length goes to _read_ragged.
    """
    if fname not in source.files:
        return None, np.zeros(0, np.int32)
    source.convert_unicode(fname, report)
    with source.open(fname) as f:
        head, body = f.readline(), f.read(1)
        blank = not head.strip() and not (body + f.read()).strip()  # 0 bytes or only blank lines
    try:
        header = head.decode("utf-8-sig")
    except UnicodeDecodeError:
        header = head.decode("latin-1")
    names = [c.strip() for c in next(csv.reader([header]), [])]
    if not any(names):
        if blank:
            return None, np.zeros(0, np.int32)
        report.fail(fname, "no header: line 1 is blank (the column names must be on the first line)", line=1)
    names = [c if c not in names[:i] else f"{c}.{i}" for i, c in enumerate(names)]  # unique names
    for column, col in schema.items():
        if col.required and column not in names:
            report.fail(fname, f"missing required column {column}", line=1, field=column)
    wanted = [c for c in schema if c in names]
    if not body:  # header only, maybe without a final newline
        return pa.table({c: pa.array([], STRINGS) for c in wanted}), np.zeros(0, np.int32)

    def parse(encoding: str) -> pa.Table | None:  # None: some row has a wrong number of fields
        ragged = []
        read = pacsv.ReadOptions(column_names=names, skip_rows=1, encoding=encoding, block_size=16 << 20)
        parse = pacsv.ParseOptions(newlines_in_values=True,
                                   invalid_row_handler=lambda row: ragged.append(1) or "error")
        convert = pacsv.ConvertOptions(column_types={c: STRINGS for c in wanted}, include_columns=wanted,
                                       strings_can_be_null=False)
        with source.open(fname) as f:
            try:
                return pacsv.read_csv(f, read, parse, convert)
            except pa.ArrowInvalid as e:
                if ragged:
                    return None
                if encoding == "utf8" and "UTF8" in str(e):
                    raise UnicodeError from e
                report.fail(fname, f"unreadable CSV: {e}")

    for encoding in ("utf8", "latin-1"):
        try:
            table = parse(encoding)
            if table is not None:
                table, lines = table.unify_dictionaries(), np.arange(2, table.num_rows + 2, dtype=np.int32)
            else:
                table, lines = _read_ragged(source, fname, names, wanted, encoding, report)
            check_table(fname, table, lines, source.limits, report)
            _warn_multiline(fname, table, lines, report)
            return table, lines
        except (UnicodeError, csv.Error) as e:
            if encoding != "utf8" or isinstance(e, csv.Error):
                report.fail(fname, f"unreadable CSV: {e}")
            report.warning(fname, "not valid UTF-8, read as Latin-1")


def _warn_multiline(fname: str, table: pa.Table, lines: np.ndarray, report: Report) -> None:
    """A warning for each column with a value over several lines, at its first: legal in a
    quoted CSV field, but most often a quote left open, which makes one value of the rows
    after it (so the rows the feed then misses are explained)."""
    for name in table.column_names:
        offset = 0
        for chunk in table.column(name).chunks:
            coded = pa.types.is_dictionary(chunk.type)
            values = chunk.dictionary if coded else chunk
            spans = pc.match_substring(values, "\n").to_numpy(zero_copy_only=False)
            if spans.any():
                per_row = spans[chunk.indices.to_numpy(zero_copy_only=False)] if coded else spans
                rows = np.flatnonzero(per_row)
                if len(rows):
                    n_lines = str(values[int(np.flatnonzero(spans)[0])]).count("\n") + 1
                    report.warning(fname, f"a value over {n_lines} lines (a quote left open?): the lines it spans "
                                          "are not rows", line=int(lines[offset + rows[0]]), field=name,
                                   count=len(rows))
                    break
            offset += len(chunk)


def _read_ragged(source: Source, fname: str, names: list[str], wanted: list[str], encoding: str,
                 report: Report) -> tuple[pa.Table, np.ndarray]:
    """Slow path (Python csv) for a file with rows of the wrong length: short rows are padded
    with empty values (the GTFS reference sample omits trailing empty fields), long rows are
    dropped with a warning."""
    columns = [names.index(c) for c in wanted]
    values, lines, too_long = [], [], []
    with source.open(fname) as f:
        reader = csv.reader(io.TextIOWrapper(f, "utf-8-sig" if encoding == "utf8" else encoding, newline=""))
        next(reader)
        start = 2
        for row in reader:
            if len(row) > len(names):
                too_long.append(start)
            elif any(row):
                row += [""] * (len(names) - len(row))
                values.append([row[i] for i in columns])
                lines.append(start)
            start = reader.line_num + 1
    if too_long:
        report.warning(fname, "row with too many fields dropped", line=too_long[0], count=len(too_long))
    table = pa.table({c: pa.array(list(v), pa.string()).dictionary_encode()
                      for c, v in zip(wanted, zip(*values) if values else [[]] * len(wanted))})
    return table, np.array(lines, dtype=np.int32)
