"""The compiled network: every feed of a territory merged into flat arrays, stored on disk.

This is what `trajet compile` writes and what the service loads: a folder of .npy files
(memory-mapped when loaded, so even nyc-bus loads in a fraction of a second) and a
meta.json with the feeds, their versions and validation summaries. Day views for the
router (feeds/dayview.py) are cut from it.

Times of a trip are seconds from its service day's origin ("noon minus 12 h" in the feed's
timezone) as written in the feed; stops, routes, trips and patterns are integer indices.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import NamedTuple

import numpy as np

COMPILER_VERSION = "5"


class Texts:
    """Many strings stored as one UTF-8 buffer and offsets: text i is data[offsets[i]:offsets[i + 1]].

    numpy's fixed-width str arrays cost 4 bytes a character of the longest string; the
    302k trip ids and headsigns of the New York region took 145 MB that way.
    """

    def __init__(self, data: np.ndarray, offsets: np.ndarray):
        self.data = data  # uint8
        self.offsets = offsets  # int64, n + 1

    @classmethod
    def from_strings(cls, strings) -> "Texts":
        encoded = [s.encode() for s in strings]
        offsets = np.zeros(len(encoded) + 1, np.int64)
        np.cumsum([len(b) for b in encoded], out=offsets[1:])
        return cls(np.frombuffer(b"".join(encoded), np.uint8).copy(), offsets)

    @classmethod
    def concat(cls, parts: list["Texts"]) -> "Texts":
        shifts = np.cumsum([0] + [len(p.data) for p in parts[:-1]])
        offsets = np.concatenate([parts[0].offsets[:1]] + [p.offsets[1:] + s for p, s in zip(parts, shifts)])
        return cls(np.concatenate([p.data for p in parts]), offsets.astype(np.int64))

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i: int) -> str:
        return bytes(self.data[self.offsets[i]:self.offsets[i + 1]]).decode()

    @property
    def nbytes(self) -> int:
        return self.data.nbytes + self.offsets.nbytes


class CompiledNetwork(NamedTuple):
    # Stop -> GTFS stop_id (prefixed "FEED:" when several feeds), name, WGS84 position
    stop_id: np.ndarray  # str
    stop_name: np.ndarray  # str
    stop_lat: np.ndarray  # float64
    stop_lon: np.ndarray  # float64
    # Stop -> parent station stop, -1 for none
    stop_parent: np.ndarray  # int32
    # Stop -> GTFS location_type (0 stop or platform, 1 station, 2 entrance, ...)
    stop_location_type: np.ndarray  # int8
    # Stop -> feed
    stop_feed: np.ndarray  # int16
    # Route -> GTFS ids and texts
    route_id: np.ndarray  # str
    route_short_name: np.ndarray  # str
    route_long_name: np.ndarray  # str
    route_color: np.ndarray  # str, hex without '#', '' unset
    route_text_color: np.ndarray  # str
    # Route -> GTFS route_type, and its mode family (feeds/modes.py)
    route_type: np.ndarray  # int32
    route_mode: np.ndarray  # int8
    # Route -> agency
    route_agency: np.ndarray  # int32
    # Agency -> name, feed
    agency_name: np.ndarray  # str
    agency_feed: np.ndarray  # int16
    # Trip -> GTFS trip_id (frequency-based trips repeat their template's id), headsign
    trip_id: Texts
    trip_headsign: Texts
    trip_shape_id: Texts
    # Trip -> its shape, -1 without one
    trip_shape: np.ndarray  # int32
    # Shape -> its points (shapes.txt order), CSR: shape_lat[shape_point_offsets[s]:...]
    shape_point_offsets: np.ndarray  # int64, n_shapes + 1
    shape_lat: np.ndarray  # float32 degrees
    shape_lon: np.ndarray  # float32 degrees
    # Trip -> route, service, pattern
    trip_route: np.ndarray  # int32
    trip_service: np.ndarray  # int32
    trip_pattern: np.ndarray  # int32
    # Trip -> its times, CSR: stop_time_*[trip_time_offsets[t]:trip_time_offsets[t + 1]],
    # one per position of its pattern, seconds from its service day's origin
    trip_time_offsets: np.ndarray  # int64, n_trips + 1
    stop_time_arr: np.ndarray  # int32
    stop_time_dep: np.ndarray  # int32
    # Pattern -> its stops and boarding/alighting rules (router.timetable CAN_* bits), CSR
    pattern_stop_offsets: np.ndarray  # int32, n_patterns + 1
    pattern_stops: np.ndarray  # int32
    pattern_stop_rules: np.ndarray  # uint8
    # Pattern -> route
    pattern_route: np.ndarray  # int32
    # Service -> GTFS service_id, feed
    service_id: np.ndarray  # str
    service_feed: np.ndarray  # int16
    # (Service, day since meta["first_date"]) -> 1 if it runs
    service_active: np.ndarray  # uint8, (n_services, n_days)
    # Footpath -> from stop, to stop, seconds, metres (0: transfers.txt link); sorted by
    # from stop, then metres, then seconds (so generated ones by seconds too)
    footpath_from: np.ndarray  # int32
    footpath_to: np.ndarray  # int32
    footpath_duration: np.ndarray  # int32
    footpath_walk_m: np.ndarray  # int32
    # Stop -> seconds to change trips there from transfers.txt; -1 use slack; NO_CHANGE forbidden
    stop_change_time: np.ndarray  # int32
    # Feed -> IANA timezone of its agencies
    feed_timezone: np.ndarray  # str

    @property
    def n_stops(self) -> int:
        return len(self.stop_id)

    @property
    def n_trips(self) -> int:
        return len(self.trip_id)


def save(net: CompiledNetwork, meta: dict, out_dir: str | os.PathLike) -> Path:
    """Write the network atomically: a temporary folder renamed into place."""
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=out.parent))
    try:
        for name, array in net._asdict().items():
            if isinstance(array, Texts):
                np.save(tmp / f"{name}.data.npy", array.data, allow_pickle=False)
                np.save(tmp / f"{name}.offsets.npy", array.offsets, allow_pickle=False)
            else:
                np.save(tmp / f"{name}.npy", np.ascontiguousarray(array), allow_pickle=False)
        (tmp / "meta.json").write_text(json.dumps(meta, indent=1, default=str))
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def load(in_dir: str | os.PathLike) -> tuple[CompiledNetwork, dict]:
    """Memory-map a compiled network; raises FileNotFoundError or ValueError when unusable."""
    folder = Path(in_dir)
    meta = json.loads((folder / "meta.json").read_text())
    if meta.get("compiler_version") != COMPILER_VERSION:
        raise ValueError(f"{folder}: compiled by version {meta.get('compiler_version')}, need {COMPILER_VERSION}")

    def read(name: str):
        if (folder / f"{name}.data.npy").exists():
            return Texts(read(f"{name}.data"), read(f"{name}.offsets"))
        return np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False)

    return CompiledNetwork(**{name: read(name) for name in CompiledNetwork._fields}), meta


def cache_key(feed_checksums: list[tuple[str, str]], options: dict) -> str:
    """Key of a compile: the feeds' names and sha256, the options and the compiler version."""
    text = json.dumps({"v": COMPILER_VERSION, "feeds": feed_checksums, "options": options}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def default_cache_dir() -> Path:
    env = os.environ.get("TRAJET_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "trajet"


def file_sha256(path: str | os.PathLike) -> str:
    """sha256 of a feed: of the zip, or of a folder's .txt files in name order."""
    p = Path(path)
    h = hashlib.sha256()
    files = sorted(p.glob("*.txt")) if p.is_dir() else [p]
    for f in files:
        with open(f, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()
