"""What a feed may cost before it is refused: sizes checked before anything is read.

A zip's directory says how large each member expands to, and Python's zipfile never reads
past that size, so the size of everything a feed will be read into is known before the
first byte is decompressed: a zip bomb (a few MB that expand to gigabytes) is refused
there, with a message, instead of filling the memory. A field or a file with more rows
than the limits is refused when its file is read. Every default is far above what the
18 real feeds of ../shared need (the largest, nyc-bus: 522 MB uncompressed, 7.4 million
stop_times rows, a compression ratio of 14.5 at most; the highest ratio of any member of
them, 22.8; their longest value, 721 bytes) and each can be set (`--feed-limit NAME=VALUE`
on every command that opens feeds).
"""

from __future__ import annotations

import dataclasses
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .report import Report

MIB = 1 << 20


@dataclass(frozen=True)
class FeedLimits:
    max_total_bytes: int = 2048 * MIB  # the .txt files of a feed together, uncompressed
    max_ratio: float = 100.0  # uncompressed / compressed size of one zip member ...
    ratio_above_bytes: int = 1 * MIB  # ... once it expands to more than this
    max_members: int = 1000  # entries in the zip's directory
    max_field_bytes: int = 64 * 1024  # one value of one column
    max_rows: int = 100_000_000  # rows of one file

    @classmethod
    def parse(cls, pairs: list[str] | tuple[str, ...]) -> "FeedLimits":
        """FeedLimits from NAME=VALUE texts (field names, or with dashes); ValueError naming the bad one."""
        fields = {f.name: f for f in dataclasses.fields(cls)}
        values = {}
        for pair in pairs:
            name, sep, text = pair.partition("=")
            key = name.strip().replace("-", "_")
            if not sep or key not in fields:
                raise ValueError(f"feed limit {pair!r}: write NAME=VALUE with NAME one of {', '.join(fields)}")
            try:
                value = float(text) if key == "max_ratio" else int(text)
            except ValueError:
                raise ValueError(f"feed limit {name}: {text!r} is not a number") from None
            if value <= 0:
                raise ValueError(f"feed limit {name}: {text!r} must be more than 0")
            values[key] = value
        return cls(**values)


def check_zip(archive: zipfile.ZipFile, names: list[str], feed: str, limits: FeedLimits, report: Report) -> None:
    """Refuse (report.fail) a zip whose directory, or whose members `names` once expanded,
    pass the limits."""
    members = archive.infolist()
    if len(members) > limits.max_members:
        report.fail(feed, f"the zip has {len(members):,} members, more than the limit of {limits.max_members:,}")
    infos = [archive.getinfo(n) for n in names]
    total = sum(i.file_size for i in infos)
    if total > limits.max_total_bytes:
        report.fail(feed, f"its .txt files expand to {total / MIB:,.0f} MiB, more than the limit of "
                          f"{limits.max_total_bytes / MIB:,.0f} MiB (max_total_bytes)")
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > limits.ratio_above_bytes and ratio > limits.max_ratio:
            report.fail(info.filename, f"compressed {ratio:,.0f} to 1 ({info.compress_size:,} bytes expanding to "
                                       f"{info.file_size:,}), more than the limit of {limits.max_ratio:g} to 1 for "
                                       "a file over 1 MiB: a zip bomb, or not a GTFS text file (max_ratio)")


def check_folder(files: dict[str, Path], feed: str, limits: FeedLimits, report: Report) -> None:
    total = sum(p.stat().st_size for p in files.values())
    if total > limits.max_total_bytes:
        report.fail(feed, f"its .txt files hold {total / MIB:,.0f} MiB, more than the limit of "
                          f"{limits.max_total_bytes / MIB:,.0f} MiB (max_total_bytes)")


def check_table(fname: str, table: pa.Table, lines: np.ndarray, limits: FeedLimits, report: Report) -> None:
    """Refuse a file with more rows than the limit, or a value longer than the limit (naming
    its line and column)."""
    if table.num_rows > limits.max_rows:
        report.fail(fname, f"{table.num_rows:,} rows, more than the limit of {limits.max_rows:,} (max_rows)")
    for name in table.column_names:
        offset = 0
        for chunk in table.column(name).chunks:
            coded = pa.types.is_dictionary(chunk.type)
            lengths = pc.binary_length(chunk.dictionary if coded else chunk).to_numpy(zero_copy_only=False)
            if len(lengths) and lengths.max() > limits.max_field_bytes:
                per_row = lengths[chunk.indices.to_numpy(zero_copy_only=False)] if coded else lengths
                over = np.flatnonzero(per_row > limits.max_field_bytes)
                if len(over):
                    row = offset + int(over[0])
                    report.fail(fname, f"a value of {int(per_row[over[0]]):,} bytes, more than the limit of "
                                       f"{limits.max_field_bytes:,} (max_field_bytes)", line=int(lines[row]),
                                field=name)
            offset += len(chunk)
