"""Tiny GTFS feeds written inline, for scenario tests.

A trip is one line of text: `"A 08:00, B 08:10-08:12, C 08:20"`: stop, then arrival
(and departure after a dash, when they differ). A stop written `B/nopickup` or
`B/nodropoff` forbids boarding or alighting there. Every other file gets a sensible
default: one agency in Europe/Helsinki, a service running every day of 2024.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

DEFAULT_CALENDAR = ("service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\n"
                    "ALL,1,1,1,1,1,1,1,20240101,20241231\n")


def _stop_times(trips: dict[str, tuple[str, str] | str]) -> str:
    rows = ["trip_id,arrival_time,departure_time,stop_id,stop_sequence,pickup_type,drop_off_type"]
    for trip_id, spec in trips.items():
        text = spec[1] if isinstance(spec, tuple) else spec
        for seq, call in enumerate(text.split(","), start=1):
            stop, times = call.split()
            pickup = dropoff = 0
            if "/" in stop:
                stop, rule = stop.split("/")
                pickup, dropoff = (1, 0) if rule == "nopickup" else (0, 1)
            arr, _, dep = times.partition("-")
            rows.append(f"{trip_id},{_hms(arr)},{_hms(dep or arr)},{stop},{seq},{pickup},{dropoff}")
    return "\n".join(rows) + "\n"


def _hms(t: str) -> str:
    return t if t.count(":") == 2 else t + ":00"


def write_feed(
    folder: Path,
    trips: dict[str, tuple[str, str] | str],
    *,
    name: str = "feed",
    timezone: str = "Europe/Helsinki",
    services: dict[str, str] | None = None,
    stops: dict[str, tuple[float, float]] | None = None,
    files: dict[str, str] | None = None,
) -> Path:
    """Write a zip feed; returns its path.

    trips: trip_id -> stop-time text, or (service_id, text) to use another service than ALL.
    stops: stop_id -> (lat, lon); stops named in trips but not here are laid 1 km apart.
    files: extra or replacement files, name -> text.
    """
    folder.mkdir(parents=True, exist_ok=True)
    named = []
    for spec in trips.values():
        text = spec[1] if isinstance(spec, tuple) else spec
        for call in text.split(","):
            stop = call.split()[0].split("/")[0]
            if stop not in named:
                named.append(stop)
    coords = dict(stops or {})
    for i, stop in enumerate(named):
        coords.setdefault(stop, (60.0 + 0.01 * i, 25.0))
    content = {
        "agency.txt": f"agency_id,agency_name,agency_url,agency_timezone\nA,Agency,http://example.org,{timezone}\n",
        "stops.txt": "stop_id,stop_name,stop_lat,stop_lon\n"
        + "".join(f"{s},Stop {s},{lat},{lon}\n" for s, (lat, lon) in coords.items()),
        "routes.txt": "route_id,agency_id,route_short_name,route_long_name,route_type\n"
        + "".join(f"R{t},A,{t},Route {t},3\n" for t in trips),
        "trips.txt": "route_id,service_id,trip_id\n"
        + "".join(f"R{t},{spec[0] if isinstance(spec, tuple) else 'ALL'},{t}\n" for t, spec in trips.items()),
        "stop_times.txt": _stop_times(trips),
        "calendar.txt": DEFAULT_CALENDAR,
    }
    content.update(services or {})
    content.update(files or {})
    path = folder / f"{name}.zip"
    with zipfile.ZipFile(path, "w") as z:
        for fname, text in content.items():
            if text is not None:
                z.writestr(fname, text)
    return path
