"""A corpus of broken feeds made from a real one (../shared/feeds/caltrain.zip), for
tests/test_broken_feeds.py: each case is a name, how it breaks the feed, and what Trajet must
answer: refuse it (FeedError) with a message naming what is wrong, or load it with a warning
naming the file (a partial load)."""

from __future__ import annotations

import codecs
import io
import zipfile
from dataclasses import dataclass
from typing import Callable

Members = dict[str, bytes]


@dataclass(frozen=True)
class Case:
    name: str
    # the broken zip's bytes from the real feed's members
    make: Callable[[Members], bytes]
    refused: bool  # True: FeedError; False: loads, with a warning or silently fixed
    says: tuple[str, ...]  # what the error (or, for a load, a warning) must name


def zipped(members: Members) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return out.getvalue()


def edit(fname: str, change: Callable[[list[str]], list[str]]) -> Callable[[Members], bytes]:
    """A zip of the members with `fname`'s lines (text, header first) changed."""
    def make(members: Members) -> bytes:
        lines = members[fname].decode("utf-8-sig").splitlines()
        return zipped({**members, fname: ("\n".join(change(lines)) + "\n").encode()})
    return make


def without(*fnames: str) -> Callable[[Members], bytes]:
    return lambda members: zipped({k: v for k, v in members.items() if k not in fnames})


def replaced(fname: str, data: bytes) -> Callable[[Members], bytes]:
    return lambda members: zipped({**members, fname: data})


def column_dropped(column: str) -> Callable[[list[str]], list[str]]:
    def change(lines):
        i = lines[0].split(",").index(column)
        return [",".join(c for j, c in enumerate(line.split(",")) if j != i) for line in lines]
    return change


def cell(row: int, column: str, value: str) -> Callable[[list[str]], list[str]]:
    """Set one cell (row: data row index, 0 the first after the header)."""
    def change(lines):
        names = lines[0].split(",")
        cells = lines[1 + row].split(",")
        cells[names.index(column)] = value
        lines[1 + row] = ",".join(cells)
        return lines
    return change


def every(column: str, value: str) -> Callable[[list[str]], list[str]]:
    def change(lines):
        i = lines[0].split(",").index(column)
        return [lines[0]] + [",".join(value if j == i else c for j, c in enumerate(line.split(",")))
                             for line in lines[1:]]
    return change


def encoded(fname: str, codec: str, bom: bytes = b"") -> Callable[[Members], bytes]:
    def make(members: Members) -> bytes:
        text = members[fname].decode("utf-8-sig").replace("San Francisco", "São Francisco")
        return zipped({**members, fname: bom + text.encode(codec)})
    return make


def crlf_mixed(members: Members) -> bytes:
    lines = members["stop_times.txt"].decode().splitlines()
    text = "".join(line + ("\r\n" if i % 2 else "\n") for i, line in enumerate(lines))
    return zipped({**members, "stop_times.txt": text.encode()})


def nested(members: Members) -> bytes:
    return zipped({f"gtfs/{k}": v for k, v in members.items()})


def two_folders(members: Members) -> bytes:
    return zipped({**{f"a/{k}": v for k, v in members.items()}, **{f"b/{k}": v for k, v in members.items()}})


def traversal(members: Members) -> bytes:
    return zipped({**members, "../../etc/stops.txt": b"stop_id\nx\n", "/abs/agency.txt": b"x\n"})


def truncated(members: Members) -> bytes:
    data = zipped(members)
    return data[: len(data) // 2]


def only_outside_validity(members: Members) -> bytes:
    """feed_info says the feed is valid in 2030; its services all run in 2017-2019."""
    info = b"feed_publisher_name,feed_publisher_url,feed_lang,feed_start_date,feed_end_date\n" \
           b"Caltrain,http://caltrain.com,en,20300101,20301231\n"
    return zipped({**members, "feed_info.txt": info})


def duplicated_rows(lines: list[str]) -> list[str]:
    return lines + lines[1:4]


CASES = [
    Case("not a zip", lambda m: b"this is not a zip file at all\n" * 100, True, ("cannot read the feed",)),
    Case("truncated zip", truncated, True, ("cannot read the feed",)),
    Case("empty zip", lambda m: zipped({}), True, ("no GTFS file found",)),
    Case("nested folder", nested, False, ()),
    Case("two feed folders", two_folders, True, ("no GTFS file found", "several folders")),
    Case("path traversal members", traversal, False, ()),
    Case("no stops.txt", without("stops.txt"), True, ("stops.txt", "missing")),
    Case("no stop_times.txt", without("stop_times.txt"), True, ("stop_times.txt", "missing")),
    Case("no trips.txt", without("trips.txt"), True, ("trips.txt", "missing")),
    Case("no routes.txt", without("routes.txt"), True, ("routes.txt", "missing")),
    Case("no agency.txt", without("agency.txt"), True, ("agency.txt", "missing")),
    Case("no calendar at all", without("calendar.txt", "calendar_dates.txt"), True,
         ("neither calendar.txt nor calendar_dates.txt",)),
    Case("no stop_id column", edit("stops.txt", column_dropped("stop_id")), True,
         ("stops.txt", "stop_id")),
    Case("no trip_id column in stop_times", edit("stop_times.txt", column_dropped("trip_id")),
         True, ("stop_times.txt", "trip_id")),
    Case("header-only stop_times", edit("stop_times.txt", lambda lines: lines[:1]), True,
         ("stop_times.txt", "header line and no rows")),
    Case("header-only trips", edit("trips.txt", lambda lines: lines[:1]), True,
         ("trips.txt", "header line and no rows")),
    Case("zero-byte stops", replaced("stops.txt", b""), True, ("stops.txt", "empty")),
    Case("Latin-1 stops", encoded("stops.txt", "latin-1"), False, ("stops.txt", "Latin-1")),
    Case("UTF-16 stops with BOM", encoded("stops.txt", "utf-16"), False, ("stops.txt", "UTF-16")),
    Case("UTF-16 LE stops without BOM", encoded("stops.txt", "utf-16-le"), False, ("stops.txt", "UTF-16")),
    Case("UTF-8 BOM stops", encoded("stops.txt", "utf-8", codecs.BOM_UTF8), False, ()),
    Case("CRLF mixed with LF", crlf_mixed, False, ()),
    Case("time 25:61:00", edit("stop_times.txt", cell(3, "arrival_time", "25:61:00")), False,
         ("stop_times.txt:5 [arrival_time]: invalid time",)),
    Case("time as text", edit("stop_times.txt", cell(3, "departure_time", "eight")), False,
         ("stop_times.txt:5 [departure_time]: invalid time",)),
    Case("times decreasing", edit("stop_times.txt", cell(2, "arrival_time", "03:00:00")), False,
         ("stop_times.txt:4", "times decrease")),
    Case("stop_times of an unknown trip", edit("stop_times.txt", cell(0, "trip_id", "nope")), False,
         ("stop_times.txt:2 [trip_id]: unknown id",)),
    Case("stop_times at an unknown stop", edit("stop_times.txt", cell(0, "stop_id", "nope")), False,
         ("stop_times.txt:2 [stop_id]: unknown id",)),
    Case("trips of an unknown route", edit("trips.txt", cell(0, "route_id", "nope")), False,
         ("trips.txt:2 [route_id]: unknown id",)),
    Case("trips of an unknown service", edit("trips.txt", cell(0, "service_id", "nope")), False,
         ("trips.txt:2 [service_id]: unknown id",)),
    Case("duplicate stop ids", edit("stops.txt", duplicated_rows), False, ("stops.txt:", "duplicate stop_id")),
    Case("duplicate trip ids", edit("trips.txt", duplicated_rows), False, ("trips.txt:", "duplicate trip_id")),
    Case("duplicate stop_times", edit("stop_times.txt", duplicated_rows), False,
         ("stop_times.txt:", "duplicate stop_sequence")),
    Case("duplicate routes", edit("routes.txt", duplicated_rows), False, ("routes.txt:", "duplicate route_id")),
    Case("duplicate services", edit("calendar.txt", duplicated_rows), False, ("calendar.txt:", "duplicate")),
    Case("duplicate agencies", edit("agency.txt", duplicated_rows), False, ("agency.txt:", "duplicate")),
    Case("trips on an unknown shape", edit("trips.txt", cell(0, "shape_id", "nope")), False,
         ("trips.txt [shape_id]: unknown shape_id 'nope'",)),
    Case("routes of an unknown agency", edit("routes.txt", cell(0, "agency_id", "nope")), False,
         ("routes.txt:2 [agency_id]",)),
    Case("calendar_dates renaming the service they define", edit("calendar_dates.txt", cell(0, "service_id", "nope")),
         False, ("trips.txt:", "[service_id]: unknown id")),
    Case("frequencies of an unknown trip", edit("frequencies.txt", lambda lines: lines[:1] + [
        "nope,06:00:00,07:00:00,600,0"]), False, ("frequencies.txt:2 [trip_id]",)),
    Case("calendar header only, no dates", lambda m: edit("calendar.txt", lambda lines: lines[:1])(
        {k: v for k, v in m.items() if k != "calendar_dates.txt"}), True, ("calendar.txt", "no service")),
    Case("latitude out of range", edit("stops.txt", cell(0, "stop_lat", "95.5")), False,
         ("stops.txt:2 [stop_lat]: value out of range",)),
    Case("longitude as text", edit("stops.txt", cell(1, "stop_lon", "east")), False,
         ("stops.txt:3 [stop_lon]: invalid number",)),
    Case("every coordinate out of range", edit("stops.txt", every("stop_lat", "123")), True,
         ("stops.txt", "no usable stop")),
    Case("only service outside its validity dates", only_outside_validity, False,
         ("feed_info.txt", "valid from 2030-01-01 to 2030-12-31", "none in that period")),
    Case("unbalanced quote", edit("stops.txt", cell(2, "stop_name", '"Broken')), True,
         ("stops.txt:4 [stop_name]", "quote left open")),
    Case("binary garbage file", replaced("stops.txt", bytes(range(256)) * 40), True,
         ("stops.txt", "missing required column stop_id")),
    Case("transfers between unknown stops", edit("transfers.txt", lambda lines: lines[:1] + [
        "nope,70011,2,300", "70012,70011,2,300"]), False, ("transfers.txt:2 [from_stop_id]",)),
    Case("frequencies with zero headway", edit("frequencies.txt", lambda lines: lines[:1] + [
        "101,06:00:00,07:00:00,0,0"]), False, ("frequencies.txt", "headway_secs")),
]
