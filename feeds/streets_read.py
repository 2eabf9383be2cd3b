"""The street graph read from OpenStreetMap: who may walk or cycle where, as flat arrays.

`read_streets(path)` reads the highways of an .osm.pbf (or .osm) extract with pyosmium and
keeps those a traveller may use on foot or by bike (`way_modes` says which, from the tags).
Every way is cut into one edge per pair of consecutive nodes, so the nodes of the graph are
the OSM nodes of the kept ways and a path's polyline is its nodes' positions; each segment is
stored as two directed edges (twins), whose flags differ where a oneway applies to bikes.
Only the largest connected component of the walkable graph (undirected) is kept; bike-only
edges (foot=no) are kept where they hang on it. Nodes are numbered along a Morton curve of
their position, so that a search reads nearby memory.

`save_streets` / `load_streets` store the graph as .npy files (memory-mapped when loaded),
beside the compiled timetable. feeds/streets.py snaps points onto it and builds the
stop-to-stop street footpaths; router/streets.py searches it per query.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

import numpy as np
import osmium
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .compiled import Texts, read_arrays, write_arrays
from .geo import distance_m

STREETS_FORMAT = 1  # bump when the saved arrays change meaning
MARKER = "streets.json"

# bits of StreetGraph.edge_flags (router/streets.py repeats them: the router may not import feeds)
WALK = np.uint8(1)  # a pedestrian may walk this edge (both twins alike)
BIKE = np.uint8(2)  # a cyclist may ride it in this direction
STEPS = np.uint8(4)  # highway=steps: no wheelchair, no pram
NO_WHEELCHAIR = np.uint8(8)  # wheelchair=no on the way

# StreetGraph.edge_kind -> the highway kind; footway=sidewalk and footway=crossing are kinds of their own
KINDS = (
    "footway", "sidewalk", "crossing", "path", "pedestrian", "steps", "living_street", "residential",
    "service", "unclassified", "tertiary", "tertiary_link", "secondary", "secondary_link", "primary",
    "primary_link", "trunk", "trunk_link", "track", "cycleway", "corridor", "platform", "bridleway",
    "elevator",
)
KIND_INDEX = {k: i for i, k in enumerate(KINDS)}
ROADS = frozenset({
    "living_street", "residential", "service", "unclassified", "tertiary", "tertiary_link", "secondary",
    "secondary_link", "primary", "primary_link", "trunk", "trunk_link",
})
BIKE_BY_DEFAULT = ROADS | {"cycleway", "track", "path"}  # the others need bicycle=yes|designated|permissive
WALK_NEEDS_FOOT_YES = frozenset({"bridleway"})  # walkable only with foot=yes|designated|permissive
# never read: motorway, motorway_link, construction, proposed, raceway, bus_guideway, abandoned and
# every highway value not in KINDS (road, trail, rest_area, ...)

PERMITTED = frozenset({"yes", "designated", "permissive"})
CLOSED_ACCESS = frozenset({"no", "private"})
NO_FOOT = frozenset({"no", "private", "use_sidepath"})
NO_BIKE = frozenset({"no", "private", "dismount", "use_sidepath"})
ONEWAY_YES = frozenset({"yes", "1", "true"})
ONEWAY_REVERSE = frozenset({"-1", "reverse"})
ONEWAY_NO = frozenset({"no", "0", "false"})
CONTRAFLOW_KEYS = ("cycleway", "cycleway:both", "cycleway:left", "cycleway:right")


class StreetsError(Exception):
    """An OSM extract or a saved street graph that cannot be used; the message names the path."""


class StreetGraph(NamedTuple):
    # Node -> WGS84 position (an OSM node of a kept way)
    node_lat: np.ndarray  # float64 degrees
    node_lon: np.ndarray  # float64 degrees
    # Node -> its out-edges, CSR: edges edge_offsets[n] .. edge_offsets[n + 1] - 1 leave node n
    edge_offsets: np.ndarray  # int64, n_nodes + 1
    # Edge -> the node it reaches
    edge_to: np.ndarray  # int32
    # Edge -> the edge along the same segment the other way (every edge has one)
    edge_twin: np.ndarray  # int32
    # Edge -> length, great-circle metres between its two nodes
    edge_length_m: np.ndarray  # float32
    # Edge -> WALK | BIKE | STEPS | NO_WHEELCHAIR bits (BIKE may differ between twins)
    edge_flags: np.ndarray  # uint8
    # Edge -> street name (index into names: OSM name, else ref), -1 for none
    edge_name: np.ndarray  # int32
    # Edge -> highway kind (index into KINDS)
    edge_kind: np.ndarray  # int8
    # Name index -> text
    names: Texts

    @property
    def n_nodes(self) -> int:
        return len(self.node_lat)

    @property
    def n_edges(self) -> int:
        return len(self.edge_to)

    def edge_from(self) -> np.ndarray:
        """Edge -> the node it leaves (int32; computed, not stored)."""
        return np.repeat(np.arange(self.n_nodes, dtype=np.int32), np.diff(np.asarray(self.edge_offsets)))


class StreetSummary(NamedTuple):
    """What read_streets kept and dropped."""

    path: str
    seconds: float
    n_highways: int  # ways with a highway tag in the file
    n_ways: int  # of them, usable on foot or by bike
    n_nodes: int  # in the graph
    n_edges: int  # directed edges in the graph (two per segment)
    n_walk_components: int  # connected components of the walkable graph before the cut
    n_nodes_dropped: int  # nodes of usable ways outside the kept component
    n_edges_dropped: int  # directed edges outside it (bike-only edges included)
    n_walk_cleared: int  # directed edges that kept only BIKE: walkable, but off the walkable component


def _closed(tags, key: str, no: frozenset) -> bool | None:
    """True: `key` forbids; False: it permits explicitly; None: it says nothing."""
    value = tags.get(key)
    if value in no:
        return True
    if value in PERMITTED:
        return False
    return None


def way_modes(tags) -> tuple[int, int, int] | None:
    """Tags of a way (a mapping) -> (kind index, forward flags, backward flags), None when unusable.

    Forward is the way's node order. Walking ignores oneway; cycling follows oneway=yes|1|true|-1,
    junction=roundabout and oneway:bicycle, unless oneway:bicycle=no or cycleway*=opposite*.
    """
    highway = tags.get("highway")
    if highway == "footway" and tags.get("footway") in ("sidewalk", "crossing"):
        highway = tags.get("footway")
    kind = KIND_INDEX.get(highway)
    if kind is None:
        return None
    closed = tags.get("access") in CLOSED_ACCESS
    foot, bike = _closed(tags, "foot", NO_FOOT), _closed(tags, "bicycle", NO_BIKE)
    walk_default = highway not in WALK_NEEDS_FOOT_YES and not closed
    bike_default = highway in BIKE_BY_DEFAULT and not closed
    walk = walk_default if foot is None else not foot
    cycle = bike_default if bike is None else not bike
    if not (walk or cycle):
        return None
    static = 0
    if highway == "steps":
        static |= STEPS
    if tags.get("wheelchair") == "no":
        static |= NO_WHEELCHAIR
    if walk:
        static |= WALK
    fwd = bwd = static
    if cycle:
        direction = _bike_oneway(tags)
        fwd |= BIKE if direction >= 0 else 0
        bwd |= BIKE if direction <= 0 else 0
    return kind, int(fwd), int(bwd)


def _bike_oneway(tags) -> int:
    """1: bikes ride forward only, -1: backward only, 0: both ways."""
    own = tags.get("oneway:bicycle")
    if own in ONEWAY_NO:
        return 0
    if own in ONEWAY_YES:
        return 1
    if own in ONEWAY_REVERSE:
        return -1
    oneway = tags.get("oneway")
    if oneway is None and tags.get("junction") in ("roundabout", "circular"):
        oneway = "yes"
    direction = 1 if oneway in ONEWAY_YES else -1 if oneway in ONEWAY_REVERSE else 0
    if direction and any(str(tags.get(k, "")).startswith("opposite") for k in CONTRAFLOW_KEYS):
        return 0
    return direction


def read_streets(path: str | os.PathLike) -> StreetGraph:
    """The street graph of an OSM extract; raises StreetsError when it is missing, unreadable or has no streets."""
    return read_streets_with_summary(path)[0]


def read_streets_with_summary(path: str | os.PathLike) -> tuple[StreetGraph, StreetSummary]:
    """read_streets, and what it kept and dropped."""
    t0 = time.perf_counter()
    p = Path(path)
    if not p.is_file():
        raise StreetsError(f"{path}: no such OSM file")
    if p.stat().st_size == 0:
        raise StreetsError(f"{path}: empty file, not an OSM extract")
    refs, lat, lon, way_sizes, way_info, names, n_highways = _read_ways(p)
    if not way_sizes:
        raise StreetsError(f"{path}: no highway usable on foot or by bike in this OSM extract")
    info = np.array(way_info, np.int64).reshape(-1, 4)  # kind, fwd, bwd, name
    way = np.repeat(np.arange(len(way_sizes)), way_sizes)
    ok = np.isfinite(lat) & np.isfinite(lon)
    # one segment per pair of consecutive nodes of a way, both located, not the same node twice
    seg = np.flatnonzero((way[:-1] == way[1:]) & (refs[:-1] != refs[1:]) & ok[:-1] & ok[1:])
    if len(seg) == 0:
        raise StreetsError(f"{path}: the usable highways have no located segment (nodes missing from the extract)")
    used = np.zeros(len(refs), bool)
    used[seg] = used[seg + 1] = True
    uniq, first, inverse = np.unique(refs[used], return_index=True, return_inverse=True)
    node_of = np.full(len(refs), -1, np.int64)
    node_of[used] = inverse
    node_lat, node_lon = lat[used][first], lon[used][first]
    w = way[seg]
    graph, cut = graph_from_segments(
        node_lat, node_lon, node_of[seg], node_of[seg + 1], info[w, 1], info[w, 2], info[w, 3], info[w, 0],
        Texts.from_strings(names))
    summary = StreetSummary(
        path=str(path), seconds=time.perf_counter() - t0, n_highways=n_highways, n_ways=len(way_sizes),
        n_nodes=graph.n_nodes, n_edges=graph.n_edges, **cut)
    return graph, summary


UNDEFINED_COORDINATE = 2147483647  # osmium's x / y of a node missing from the extract


def _read_ways(p: Path):
    """The usable highways of the file: node refs, positions (NaN unlocated) and (kind, fwd, bwd, name)."""
    nodes: list[tuple[int, int, int]] = []  # (ref, x, y) of every node of every usable way, in order
    way_sizes, way_info = [], []
    names: list[str] = []
    name_index: dict[str, int] = {}
    n_highways = 0
    try:
        processor = (osmium.FileProcessor(str(p), osmium.osm.NODE | osmium.osm.WAY).with_locations()
                     .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
                     .with_filter(osmium.filter.KeyFilter("highway")))
        for w in processor:
            n_highways += 1
            tags = w.tags
            modes = way_modes(tags)
            if modes is None or len(w.nodes) < 2:
                continue
            name = tags.get("name") or tags.get("ref") or ""
            ni = -1
            if name:
                ni = name_index.get(name, -1)
                if ni < 0:
                    ni = name_index[name] = len(names)
                    names.append(name)
            before = len(nodes)
            nodes.extend([(nd.ref, nd.x, nd.y) for nd in w.nodes])
            way_sizes.append(len(nodes) - before)
            way_info.extend((*modes, ni))
    except (RuntimeError, ValueError, OSError) as exc:
        raise StreetsError(f"{p}: cannot read as an OSM extract ({exc})") from None
    table = np.array(nodes, np.int64).reshape(-1, 3)
    located = (table[:, 1] != UNDEFINED_COORDINATE) & (table[:, 2] != UNDEFINED_COORDINATE)
    lon = np.where(located, table[:, 1] / 1e7, np.nan)
    lat = np.where(located, table[:, 2] / 1e7, np.nan)
    return table[:, 0], lat, lon, way_sizes, way_info, names, n_highways


def graph_from_segments(node_lat, node_lon, seg_u, seg_v, seg_fwd, seg_bwd, seg_name, seg_kind,
                        names: Texts) -> tuple[StreetGraph, dict]:
    """A StreetGraph from segments (u -> v is forward): the largest walkable component, CSR by node.

    seg_fwd / seg_bwd are the flags of u -> v and v -> u; seg_name indexes `names` (-1 none),
    seg_kind indexes KINDS. Walkable segments off the largest walkable component lose WALK;
    segments then usable by no mode, and nodes off the component the bike edges hang on, are
    dropped. Returns the graph and the counts of what was cut (StreetSummary's n_walk_* fields).
    Also the way tests build small synthetic graphs.
    """
    node_lat, node_lon = np.asarray(node_lat, np.float64), np.asarray(node_lon, np.float64)
    u, v = np.asarray(seg_u, np.int64), np.asarray(seg_v, np.int64)
    fwd, bwd = np.asarray(seg_fwd, np.uint8).copy(), np.asarray(seg_bwd, np.uint8).copy()
    n = len(node_lat)
    walk = (fwd & WALK) != 0
    n_comp, label = _components(n, u[walk], v[walk])
    n_walk_cleared = 0
    if n_comp:
        sizes = np.bincount(label[np.r_[u[walk], v[walk]]], minlength=n_comp)
        main = int(np.argmax(sizes))
        off = walk & (label[u] != main)
        n_walk_cleared = 2 * int(off.sum())
        fwd[off] &= ~WALK
        bwd[off] &= ~WALK
        in_walk = label == main
    else:
        in_walk = np.zeros(n, bool)
    usable = ((fwd | bwd) & (WALK | BIKE)) != 0
    _, label = _components(n, u[usable], v[usable])
    if in_walk.any():
        keep_node = label == label[np.flatnonzero(in_walk)[0]]
    else:  # no walkable street at all: the largest bike component
        sizes = np.bincount(label[np.r_[u[usable], v[usable]]], minlength=label.max() + 1)
        keep_node = label == int(np.argmax(sizes))
    keep_seg = usable & keep_node[u]
    seen = np.zeros(n, bool)
    seen[u] = seen[v] = True
    on_kept = np.zeros(n, bool)
    on_kept[u[keep_seg]] = on_kept[v[keep_seg]] = True
    cut = dict(n_walk_components=int(n_comp), n_nodes_dropped=int((seen & ~on_kept).sum()),
               n_edges_dropped=2 * int(len(u) - keep_seg.sum()), n_walk_cleared=n_walk_cleared)
    if not keep_seg.any():
        raise StreetsError("no usable street segment")

    # renumber the kept nodes along a Morton curve
    old = np.flatnonzero(on_kept)
    order = old[np.argsort(_morton(node_lat[old], node_lon[old]), kind="stable")]
    new_of = np.full(n, -1, np.int64)
    new_of[order] = np.arange(len(order))
    s = np.flatnonzero(keep_seg)
    su, sv = new_of[u[s]], new_of[v[s]]
    lat, lon = node_lat[order], node_lon[order]
    length = distance_m(lat[su], lon[su], lat[sv], lon[sv]).astype(np.float32)
    # directed edge 2i: u -> v, 2i + 1: v -> u; then sorted by the node they leave
    e_from = np.empty(2 * len(s), np.int64)
    e_from[0::2], e_from[1::2] = su, sv
    e_to = np.empty_like(e_from)
    e_to[0::2], e_to[1::2] = sv, su
    flags = np.empty(2 * len(s), np.uint8)
    flags[0::2], flags[1::2] = fwd[s], bwd[s]
    perm = np.lexsort((e_to, e_from))
    position = np.empty_like(perm)
    position[perm] = np.arange(len(perm))
    twin_old = np.arange(len(perm)) ^ 1
    offsets = np.zeros(len(order) + 1, np.int64)
    np.cumsum(np.bincount(e_from, minlength=len(order)), out=offsets[1:])
    graph = StreetGraph(
        node_lat=lat, node_lon=lon, edge_offsets=offsets,
        edge_to=e_to[perm].astype(np.int32),
        edge_twin=position[twin_old[perm]].astype(np.int32),
        edge_length_m=np.repeat(length, 2)[perm],
        edge_flags=flags[perm],
        edge_name=np.repeat(np.asarray(seg_name, np.int32)[s], 2)[perm],
        edge_kind=np.repeat(np.asarray(seg_kind, np.int8)[s], 2)[perm],
        names=names,
    )
    return graph, cut


def _components(n: int, u: np.ndarray, v: np.ndarray) -> tuple[int, np.ndarray]:
    """Connected components of the undirected graph; nodes on no edge get their own labels,
    but the count returned is that of components with at least one edge."""
    m = coo_matrix((np.ones(len(u), np.int8), (u, v)), shape=(n, n)).tocsr()
    _, label = connected_components(m, directed=False)
    return (len(np.unique(label[np.r_[u, v]])) if len(u) else 0), label


def _morton(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Z-order key of positions quantised to 16 bits per axis over their bounding box."""
    def spread(x):
        x = x.astype(np.uint64)
        x = (x | (x << np.uint64(8))) & np.uint64(0x00FF00FF)
        x = (x | (x << np.uint64(4))) & np.uint64(0x0F0F0F0F)
        x = (x | (x << np.uint64(2))) & np.uint64(0x33333333)
        return (x | (x << np.uint64(1))) & np.uint64(0x55555555)

    if len(lat) == 0:
        return np.zeros(0, np.uint64)
    qy = (lat - lat.min()) / max(np.ptp(lat), 1e-12) * 65535
    qx = (lon - lon.min()) / max(np.ptp(lon), 1e-12) * 65535
    return spread(qx) | (spread(qy) << np.uint64(1))


def save_streets(graph: StreetGraph, folder: str | os.PathLike, meta: dict | None = None) -> Path:
    """Write the graph as .npy files and streets.json (with `meta`) into `folder`, atomically.

    An existing `folder` is replaced only when it is empty or a previous save_streets output."""
    out = Path(folder).resolve()
    if out.exists() and not (out.is_dir() and (not any(out.iterdir()) or _is_streets_folder(out))):
        raise StreetsError(f"{folder}: exists and is not a saved street graph; nothing was written")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        write_arrays(graph, tmp)
        info = {"format": STREETS_FORMAT, "n_nodes": graph.n_nodes, "n_edges": graph.n_edges, "meta": meta or {}}
        (tmp / MARKER).write_text(json.dumps(info, indent=1, default=str))
        if out.exists():
            aside = out.parent / f".{out.name}.old-{os.getpid()}-{time.monotonic_ns()}"
            os.replace(out, aside)
            os.replace(tmp, out)
            shutil.rmtree(aside, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def _is_streets_folder(folder: Path) -> bool:
    return (folder / MARKER).is_file() and all(
        e.is_file() and (e.name == MARKER or e.suffix == ".npy") for e in folder.iterdir())


def streets_meta(folder: str | os.PathLike) -> dict:
    """streets.json of a saved graph: format, n_nodes, n_edges and the caller's meta."""
    try:
        info = json.loads((Path(folder) / MARKER).read_text())
    except (OSError, ValueError) as exc:
        raise StreetsError(f"{folder}: not a saved street graph ({exc})") from None
    if info.get("format") != STREETS_FORMAT:
        raise StreetsError(f"{folder}: street graph format {info.get('format')}, need {STREETS_FORMAT}")
    return info


def load_streets(folder: str | os.PathLike) -> StreetGraph:
    """Memory-map a graph save_streets wrote; raises StreetsError when it is missing or of another format."""
    streets_meta(folder)
    try:
        return read_arrays(StreetGraph, Path(folder))
    except (OSError, ValueError) as exc:
        raise StreetsError(f"{folder}: damaged street graph ({exc})") from None
