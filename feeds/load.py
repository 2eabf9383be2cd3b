"""From feed files to a compiled network: read, validate and compile them, or load the
compile cache when the same feeds were compiled before.

The cache (in $TRAJET_CACHE, else ~/.cache/trajet) holds one compiled folder per set of
feeds, keyed by their names and checksums, the OpenStreetMap file's checksum, the walking
settings and the compiler version, so only the first start pays for compiling. An
OpenStreetMap extract (`open_osm`) is read once into its street graph and its addresses and
places, cached beside (osm-<checksum>/streets, osm-<checksum>/places).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

from tqdm import tqdm

from . import compiled as store
from .compile import compile_feeds
from .footpaths import WalkSettings
from .limits import FeedLimits
from .osm_places import OsmPlaces, PlacesError, load_places, read_places, save_places
from .read import read_feed
from .report import FeedError, Report
from .streets import StreetGraph, StreetsError, load_streets, read_streets, save_streets

BUNDLED_FEED = Path(__file__).resolve().parents[1] / "data" / "helsinki.zip"
BUNDLED_OSM = BUNDLED_FEED.with_name("helsinki-central.osm.pbf")  # its streets, ODbL (data/ATTRIBUTION.md)


def feed_name(path: str | os.PathLike) -> str:
    """A feed's name: its file name without .zip, or its folder's name."""
    p = Path(path)
    return p.stem if p.suffix.lower() == ".zip" else p.name


def _check_paths(paths: list[str | os.PathLike]) -> list[str]:
    names = [feed_name(p) for p in paths]
    if len(set(names)) != len(names):
        raise FeedError(f"two feeds share the name {sorted({n for n in names if names.count(n) > 1})[0]!r}; rename one")
    for p in paths:
        if not Path(p).exists():
            raise FeedError(f"{p}: no such feed file or folder")
    return names


class OsmData(NamedTuple):
    """An OpenStreetMap extract as the planner uses it."""

    name: str  # the file's name
    sha256: str
    streets: StreetGraph  # the walkable and cyclable street graph
    places: OsmPlaces  # addresses, named places, streets by name

    def to_json(self) -> dict:
        return {"name": self.name, "sha256": self.sha256, "n_street_nodes": int(len(self.streets.node_lat)),
                "n_street_edges": int(len(self.streets.edge_to)), "n_places": int(len(self.places.lat))}


def open_osm(path: str | os.PathLike, cache_dir: str | os.PathLike | None = None, progress: bool = False) -> OsmData:
    """The street graph and places of an OpenStreetMap .pbf, from the cache or read (and cached).
    Raises FeedError naming the file when it is missing or unreadable."""
    p = Path(path)
    if not p.is_file():
        raise FeedError(f"{path}: no such OpenStreetMap file")
    sha = store.file_sha256(p)
    folder = Path(cache_dir or store.default_cache_dir()) / f"osm-{sha[:24]}"
    try:
        return OsmData(p.name, sha, load_streets(folder / "streets"), load_places(folder / "places"))
    except (StreetsError, PlacesError, OSError):
        pass
    if progress:
        tqdm.write(f"reading streets and places of {p.name} ...")
    try:
        streets, places = read_streets(p), read_places(p)
    except (StreetsError, PlacesError) as e:
        raise FeedError(str(e)) from None
    try:
        save_streets(streets, folder / "streets", {"source": p.name, "sha256": sha})
        save_places(places, folder / "places")
        return OsmData(p.name, sha, load_streets(folder / "streets"), load_places(folder / "places"))
    except (StreetsError, PlacesError, OSError):
        return OsmData(p.name, sha, streets, places)  # an unwritable cache: served from memory


def compile_paths(paths: list[str | os.PathLike], progress: bool = False, walking: WalkSettings = WalkSettings(),
                  osm: OsmData | None = None, limits: FeedLimits = FeedLimits()):
    """Read and compile feeds (walking on the streets of `osm` when given); returns
    (network, meta, reports). Raises FeedError, also for a feed over the limits."""
    names = _check_paths(paths)
    feeds, reports = [], []
    for path, name in zip(paths, names):
        report = Report(name)
        feeds.append(read_feed(path, name, report, progress=progress, limits=limits))
        reports.append(report)
    if progress:
        tqdm.write(f"compiling {', '.join(names)} ...")
    net, meta = compile_feeds(feeds, reports, walking, osm.streets if osm else None)
    meta["osm"] = osm.to_json() if osm else None
    return net, meta, reports


def open_compiled(paths: list[str | os.PathLike], cache_dir: str | os.PathLike | None = None,
                  progress: bool = False, walking: WalkSettings = WalkSettings(),
                  osm: OsmData | None = None, limits: FeedLimits = FeedLimits()) -> tuple[store.CompiledNetwork, dict]:
    """The compiled network of these feeds: from the cache, else compiled and cached. The
    limits apply to compiling: a compile in the cache was within the limits of its day.

    A cache that cannot be written (read-only, a file in the way) is not an error: the
    network is then served from memory and compiled again at the next start.
    """
    names = _check_paths(paths)
    checksums = [(name, store.file_sha256(p)) for name, p in zip(names, paths)]
    folder = Path(cache_dir or store.default_cache_dir()) / store.cache_key(
        checksums, {"walking": walking.to_json(), "osm": osm.sha256 if osm else None})
    try:
        return store.load(folder)
    except (FileNotFoundError, ValueError, OSError):
        pass
    net, meta, _ = compile_paths(paths, progress=progress, walking=walking, osm=osm, limits=limits)
    try:
        store.save(net, meta, folder, cache_entry=True)
        return store.load(folder)
    except OSError:
        return net, meta
