"""The compiled network: every feed of a territory merged into flat arrays, stored on disk.

This is what `trajet compile` writes and what the service loads: a folder of .npy files
(memory-mapped when loaded, so even nyc-bus loads in a fraction of a second) and a
meta.json with the feeds, their versions and validation summaries. Day views for the
router are cut from it by the service layer (service/dayview.py).

Times of a trip are seconds from its service day's origin ("noon minus 12 h" in the feed's
timezone) as written in the feed; stops, routes, trips and patterns are integer indices.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import NamedTuple

import numpy as np

COMPILER_VERSION = "16"
MARKER = "meta.json"  # every compiled folder has it, with "compiler_version" inside

# bits of CompiledNetwork.pattern_stop_rules
PICKUP = np.uint8(1)  # a traveller may board there
DROP_OFF = np.uint8(2)  # a traveller may alight there
# CompiledNetwork.stop_change_time: -1 means the query's slack applies; this forbids changing
CHANGE_FORBIDDEN = np.int32(-2)


class Texts:
    """Many strings stored as one UTF-8 buffer and offsets: text i is data[offsets[i]:offsets[i + 1]].

    numpy's fixed-width str arrays cost 4 bytes a character of the longest string: the
    302k trip ids and headsigns of the New York region took 145 MB that way, and one stop
    name of 10 MB made a 64-stop feed take 5.6 GB of memory. Every string table of the
    compiled network is one (memory follows the data, not its longest value).
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

    def __getitem__(self, i):
        """Text i (an int); for an array, list or slice of them, an object array of the texts."""
        if isinstance(i, (int, np.integer)):
            n = len(self)
            if not -n <= i < n:
                raise IndexError(f"text {i} of {n}")
            i = int(i) % n
            return bytes(self.data[self.offsets[i]:self.offsets[i + 1]]).decode()
        if isinstance(i, slice):
            indices = range(len(self))[i]
        else:
            i = np.asarray(i)
            indices = (np.flatnonzero(i) if i.dtype == bool else i.ravel()).tolist()
        return np.array([self[j] for j in indices], dtype=object)

    def __iter__(self):
        data, offsets = bytes(self.data), self.offsets.tolist()
        for a, b in zip(offsets, offsets[1:]):
            yield data[a:b].decode()

    def __array__(self, dtype=None, copy=None):
        """The texts as an object array (never numpy's fixed width, which is what this avoids)."""
        out = np.array(list(self), dtype=object)
        return out if dtype is None else out.astype(dtype)

    @property
    def nbytes(self) -> int:
        return self.data.nbytes + self.offsets.nbytes


class CompiledNetwork(NamedTuple):
    # Stop -> GTFS stop_id (prefixed "FEED:" when several feeds), name, WGS84 position
    stop_id: Texts
    stop_name: Texts
    stop_lat: np.ndarray  # float64
    stop_lon: np.ndarray  # float64
    # Stop -> parent station stop, -1 for none
    stop_parent: np.ndarray  # int32
    # Stop -> GTFS location_type (0 stop or platform, 1 station, 2 entrance, ...)
    stop_location_type: np.ndarray  # int8
    # Stop -> GTFS platform_code ('' unset)
    stop_platform_code: Texts
    # Stop -> GTFS wheelchair_boarding, a platform's 0 inherited from its station (0 unknown, 1 yes, 2 no)
    stop_wheelchair: np.ndarray  # int8
    # Route -> GTFS ids and texts
    route_id: Texts
    route_short_name: Texts
    route_long_name: Texts
    route_color: Texts  # hex without '#', '' unset
    route_text_color: Texts
    # Route -> GTFS route_type, and its mode family (feeds/modes.py)
    route_type: np.ndarray  # int32
    route_mode: np.ndarray  # int8
    # Route -> agency
    route_agency: np.ndarray  # int32
    # Agency -> name, its contact for travellers (agency.txt agency_url, agency_phone,
    # agency_fare_url; '' unset), feed
    agency_name: Texts
    agency_url: Texts
    agency_phone: Texts
    agency_fare_url: Texts
    agency_feed: np.ndarray  # int16
    # Trip -> GTFS trip_id (frequency-based trips repeat their template's id), headsign
    trip_id: Texts
    trip_headsign: Texts
    # Trip -> GTFS wheelchair_accessible, bikes_allowed (0 unknown, 1 yes, 2 no)
    trip_wheelchair: np.ndarray  # int8
    trip_bikes: np.ndarray  # int8
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
    # Trip -> its block (trips.txt block_id, numbered across feeds), -1 for none or a trip of
    # frequencies.txt: the day view lets a traveller stay on board between consecutive trips
    # of a block on a service day (service/view_links.py)
    trip_block: np.ndarray  # int32
    # Link -> a transfers.txt row naming trips or routes (feeds/trip_links.py): each side's
    # trip (-1: named by its route) or route (-1: named by its trip; both -1: every trip
    # calling at the stop), its stop (-1: blank, the trip's last call or first), the
    # position in the trip's pattern where the traveller leaves or enters (-1 for a route or
    # a stop: each trip's own), the transfer_type (1 timed, 2 minimum time, 3 not possible,
    # 4 in-seat, 5 in-seat not allowed) and the min_transfer_time (-1 none)
    link_from_trip: np.ndarray  # int32
    link_to_trip: np.ndarray  # int32
    link_from_route: np.ndarray  # int32
    link_to_route: np.ndarray  # int32
    link_from_stop: np.ndarray  # int32
    link_to_stop: np.ndarray  # int32
    link_from_pos: np.ndarray  # int32
    link_to_pos: np.ndarray  # int32
    link_type: np.ndarray  # int8
    link_secs: np.ndarray  # int32
    # Trip -> its times, CSR: stop_time_*[trip_time_offsets[t]:trip_time_offsets[t + 1]],
    # one per position of its pattern, seconds from its service day's origin
    trip_time_offsets: np.ndarray  # int64, n_trips + 1
    stop_time_arr: np.ndarray  # int32
    stop_time_dep: np.ndarray  # int32
    # Pattern -> its stops and boarding/alighting rules (PICKUP | DROP_OFF bits), CSR
    pattern_stop_offsets: np.ndarray  # int32, n_patterns + 1
    pattern_stops: np.ndarray  # int32
    pattern_stop_rules: np.ndarray  # uint8
    # Pattern -> route
    pattern_route: np.ndarray  # int32
    # Pattern -> the wheelchair_accessible and bikes_allowed of all its trips (0 unknown, 1 yes,
    # 2 no): trips that differ in either belong to different patterns, so that a query that
    # leaves some out skips whole patterns and the rest stay first-in-first-out
    pattern_wheelchair: np.ndarray  # int8
    pattern_bikes: np.ndarray  # int8
    # Service -> GTFS service_id, feed
    service_id: Texts
    service_feed: np.ndarray  # int16
    # (Service, day since meta["first_date"]) -> 1 if it runs
    service_active: np.ndarray  # uint8, (n_services, n_days)
    # Footpath -> from stop, to stop, seconds at the compiled walking speed, metres of it
    # walked on streets or crow-fly (0: timed by the feed or the station default), and where
    # its time comes from (feeds/footpaths.py model bits, several for a chain). Transitively
    # closed; sorted by from stop, then metres, then seconds (feeds/footpaths.py)
    footpath_from: np.ndarray  # int32
    footpath_to: np.ndarray  # int32
    footpath_duration: np.ndarray  # int32
    footpath_walk_m: np.ndarray  # int32
    footpath_model: np.ndarray  # uint8
    # Footpath -> the pathways.txt modes it takes, bits 1 << pathway_mode (feeds/pathways.py)
    footpath_pathway_modes: np.ndarray  # uint8
    # The footpaths of a wheelchair user (no stairs, escalators nor steps: feeds/step_free.py),
    # stored only for the stops whose list differs from their footpath_* one:
    # Entry i -> such a stop, increasing
    step_free_footpath_stop: np.ndarray  # int32
    # Entry i -> its step-free footpaths, CSR: step_free_footpath_*[offsets[i]:offsets[i + 1]]
    step_free_footpath_offsets: np.ndarray  # int64, len(step_free_footpath_stop) + 1
    # Step-free footpath -> to stop, seconds, metres walked, models, pathway modes (as footpath_*)
    step_free_footpath_to: np.ndarray  # int32
    step_free_footpath_duration: np.ndarray  # int32
    step_free_footpath_walk_m: np.ndarray  # int32
    step_free_footpath_model: np.ndarray  # uint8
    step_free_footpath_pathway_modes: np.ndarray  # uint8
    # Stop -> seconds to change trips there from transfers.txt; -1: the query's slack;
    # CHANGE_FORBIDDEN: transfer_type 3
    stop_change_time: np.ndarray  # int32
    # Feed -> IANA timezone of its agencies
    feed_timezone: Texts
    # Lower bounds for target pruning (feeds/bounds.py): stop -> its cluster of neighbouring
    # stops; (cluster, stop) -> seconds at least from the stop to the cluster, and from it
    bound_cluster: np.ndarray  # int32
    bound_to_cluster: np.ndarray  # uint16 (n_clusters, n_stops)
    bound_from_cluster: np.ndarray  # uint16 (n_clusters, n_stops)

    @property
    def n_stops(self) -> int:
        return len(self.stop_id)

    @property
    def n_trips(self) -> int:
        return len(self.trip_id)


def service_days(service_active: np.ndarray, trip_service: np.ndarray) -> np.ndarray:
    """Day of the bitmap -> True when at least one of the trips runs on that service day: the
    dates a query may name are the first to the last of them."""
    active = np.asarray(service_active)
    used = np.unique(np.asarray(trip_service))
    return active[used].any(axis=0) if len(used) else np.zeros(active.shape[1], bool)


def children_of(stop_parent: np.ndarray) -> dict[int, list[int]]:
    """Station -> its platforms (and other stops naming it as parent_station), in stop order."""
    parent = np.asarray(stop_parent)
    children: dict[int, list[int]] = {}
    for child in np.flatnonzero(parent >= 0).tolist():
        children.setdefault(int(parent[child]), []).append(child)
    return children


def save(net: CompiledNetwork, meta: dict, out_dir: str | os.PathLike, cache_entry: bool = False) -> Path:
    """Write the network into `out_dir` atomically; returns the folder.

    The arrays go to a temporary folder beside the target, which then takes the target's
    place in one rename. A target that already exists is replaced only if it is empty or is
    itself a compile output (is_compiled_output): anything else raises FileExistsError and
    nothing is written or deleted. The previous output is swapped out atomically (Linux
    renameat2 RENAME_EXCHANGE; elsewhere two renames) and only then removed. A `cache_entry`
    (a folder of the compile cache, named by its key) may also be a damaged previous output,
    one whose meta.json cannot be read: it is replaced when it holds a compile's files only.
    """
    out = Path(out_dir).resolve()
    ours = is_compiled_output(out) or (cache_entry and _holds_compile_files_only(out))
    if out.exists() and not (out.is_dir() and (not any(out.iterdir()) or ours)):
        raise FileExistsError(
            f"{out_dir}: exists and is not a Trajet compile output (meta.json and .npy files only); "
            "nothing was written: give a new or empty folder")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        write_arrays(net, tmp)
        (tmp / MARKER).write_text(json.dumps(meta, indent=1, default=str))
        if out.is_dir() and any(out.iterdir()):
            _swap_in(tmp, out)  # tmp then holds the previous output, which we wrote
        else:
            os.replace(tmp, out)  # onto nothing, or onto an empty folder
            return out
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    shutil.rmtree(tmp, ignore_errors=True)
    return out


def _swap_in(new: Path, out: Path) -> None:
    """Put folder `new` in place of folder `out`, and the previous `out` at `new`'s path.

    One atomic exchange where the system has it; else two renames, undone if the second
    fails, so that `out` is never left missing or half-written."""
    if _exchange(new, out):
        return
    aside = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    try:
        os.replace(out, aside / "previous")
        try:
            os.replace(new, out)
        except BaseException:
            os.replace(aside / "previous", out)
            raise
        os.replace(aside / "previous", new)
    finally:
        shutil.rmtree(aside, ignore_errors=True)


def is_compiled_output(folder: Path) -> bool:
    """True for a folder `save` wrote: a meta.json with a compiler version, and .npy files only."""
    try:
        meta = json.loads((folder / MARKER).read_text())
    except (OSError, ValueError):
        return False
    return isinstance(meta, dict) and "compiler_version" in meta and _holds_compile_files_only(folder)


def _holds_compile_files_only(folder: Path) -> bool:
    try:
        entries = list(folder.iterdir())
    except OSError:
        return False
    return all(e.is_file() and (e.name == MARKER or e.suffix == ".npy") for e in entries)


_RENAME_EXCHANGE, _AT_FDCWD = 2, -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux renameat2); False where that is not available."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    return renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0


def load(in_dir: str | os.PathLike) -> tuple[CompiledNetwork, dict]:
    """Memory-map a compiled network; raises FileNotFoundError or ValueError when unusable."""
    folder = Path(in_dir)
    meta = json.loads((folder / "meta.json").read_text())
    if meta.get("compiler_version") != COMPILER_VERSION:
        raise ValueError(f"{folder}: compiled by version {meta.get('compiler_version')}, need {COMPILER_VERSION}")

    return read_arrays(CompiledNetwork, folder), meta


def write_arrays(arrays: NamedTuple, folder: Path) -> None:
    """A named tuple of arrays (and Texts) as one .npy file per field (two for Texts)."""
    for name, array in arrays._asdict().items():
        if isinstance(array, Texts):
            np.save(folder / f"{name}.data.npy", array.data, allow_pickle=False)
            np.save(folder / f"{name}.offsets.npy", array.offsets, allow_pickle=False)
        else:
            np.save(folder / f"{name}.npy", np.ascontiguousarray(array), allow_pickle=False)


def read_arrays(cls, folder: Path):
    """The named tuple `cls` that write_arrays wrote into `folder`, memory-mapped: each a
    plain ndarray whose base is the np.memmap, as np.memmap's Python-level __getitem__ cost
    a tenth of the time of turning journeys into JSON (112,883 calls for 550 plans)."""
    def read(name: str):
        if (folder / f"{name}.data.npy").exists():
            return Texts(read(f"{name}.data"), read(f"{name}.offsets"))
        return np.asarray(np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False))

    return cls(**{name: read(name) for name in cls._fields})


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
