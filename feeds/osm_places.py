"""Addresses, named places and streets of an OpenStreetMap extract, as flat arrays.

What a traveller types instead of coordinates, read from the territory's own .osm.pbf:

- addresses: nodes, ways and multipolygons with `addr:housenumber` and `addr:street` (or
  `addr:place`), at the node or the centroid of the way's (the outer ways') nodes;
- named places: `place=*` and the named points of interest people ask for (amenity, shop,
  tourism, leisure, historic, office, healthcare, craft, a named building, stations, airports),
  each with a kind such as "amenity=hospital";
- streets: named highways, one entry per street name and cluster (ways of that name more than
  STREET_CLUSTER_M apart are separate streets), at the middle of the cluster's longest way;
  the points along its ways (every STREET_POINT_SPACING_M at most) are kept for reverse
  geocoding.

A place is an integer index into the arrays of OsmPlaces. A point of interest with an address
is two places: the address and the named place (which shows the address too). The same
address or the same named place read twice within DUPLICATE_M (an entrance node and its
building) is kept once. Texts hold the strings, so that save_places / load_places store the
lot as .npy files, beside the compiled timetable.
"""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path
from typing import NamedTuple

import numpy as np
import osmium
from scipy.spatial import cKDTree

from .compiled import Texts
from .geo import EARTH_RADIUS_M, distance_m, unit_vectors

PLACES_FORMAT = 1  # bump when the saved arrays change meaning
ADDRESS, STREET = "address", "street"  # the two kinds that are not "key=value"
OSM_TYPES = ("node", "way", "relation")  # OsmPlaces.osm_type codes

# Keys of a named point of interest, in the order that picks its kind; a key with a value set
# counts only for those values (railway=station, not railway=rail)
POI_KEYS = ("railway", "public_transport", "aeroway", "amenity", "shop", "tourism", "leisure", "historic",
            "office", "healthcare", "craft", "building")
POI_VALUES = {
    "railway": frozenset({"station", "halt"}),
    "public_transport": frozenset({"station"}),
    "aeroway": frozenset({"aerodrome", "terminal"}),
}
# Highways a traveller names as a street (not platforms, proposals, rest areas)
STREET_HIGHWAYS = frozenset({
    "motorway", "trunk", "primary", "secondary", "tertiary", "unclassified", "residential", "living_street",
    "pedestrian", "service", "road", "track", "footway", "path", "cycleway", "steps", "busway",
    "motorway_link", "trunk_link", "primary_link", "secondary_link", "tertiary_link",
})
# place=* values that name the locality of what lies around them, for labels
LOCALITY_PLACES = frozenset({"suburb", "quarter", "neighbourhood", "borough", "village", "town", "hamlet"})

STREET_CLUSTER_M = 2000.0  # ways of one name further apart than this are separate streets
STREET_POINT_SPACING_M = 25.0  # street geometry kept for reverse geocoding, a point at least this often
DUPLICATE_M = 150.0  # the same address or named place within this is one place
LOCALITY_MAX_M = 2500.0  # a place node names the locality of what lies within this


class PlacesError(ValueError):
    """An OSM file or a saved places folder that cannot be read; the message names it."""


class OsmPlaces(NamedTuple):
    # Place -> kind code, an index into kinds ("address", "street", "place=suburb", "amenity=cafe", ...);
    # int16: a city's OSM has well over 127 kinds of shops and amenities
    kind: np.ndarray  # int16
    kinds: tuple[str, ...]
    # Place -> its name ('' for an address), house number, street (a street's own name),
    # postcode, and locality (addr:suburb, else the nearest place=suburb/neighbourhood/..., else addr:city)
    name: Texts
    housenumber: Texts
    street: Texts
    postcode: Texts
    locality: Texts
    # Place -> WGS84 position
    lat: np.ndarray  # float64
    lon: np.ndarray  # float64
    # Place -> the OSM object read (OSM_TYPES code, id), for attribution and debugging
    osm_type: np.ndarray  # int8
    osm_id: np.ndarray  # int64
    # Points along the ways of each street, and the street place they belong to
    street_point_lat: np.ndarray  # float64
    street_point_lon: np.ndarray  # float64
    street_point_place: np.ndarray  # int32

    @property
    def n_places(self) -> int:
        return len(self.kind)

    def kind_of(self, place: int) -> str:
        return self.kinds[int(self.kind[place])]

    def places_of_kind(self, kind: str) -> np.ndarray:
        """Indices of the places of one kind ("address", "street", "place=suburb", ...)."""
        if kind not in self.kinds:
            return np.zeros(0, np.int64)
        return np.flatnonzero(np.asarray(self.kind) == self.kinds.index(kind))

    @property
    def n_addresses(self) -> int:
        return len(self.places_of_kind(ADDRESS))

    @property
    def n_streets(self) -> int:
        return len(self.places_of_kind(STREET))

    @property
    def n_named(self) -> int:
        """Named places and points of interest: all that is neither an address nor a street."""
        return self.n_places - self.n_addresses - self.n_streets


class _Row(NamedTuple):
    """A place read, before the arrays are made."""

    kind: str
    name: str
    housenumber: str
    street: str
    postcode: str
    suburb: str
    city: str
    lat: float
    lon: float
    osm_type: int
    osm_id: int


def _row(kind: str, name: str, tags: dict, lat: float, lon: float, osm_type: int, osm_id: int) -> _Row:
    get = tags.get
    return _Row(kind, name, get("addr:housenumber", ""), get("addr:street") or get("addr:place") or "",
                get("addr:postcode", ""), get("addr:suburb", ""), get("addr:city", ""), lat, lon, osm_type, osm_id)


def _add_tagged(found: list[_Row], tags: dict, lat: float, lon: float, osm_type: int, osm_id: int) -> None:
    """The address and the named place (if any) an OSM object with these tags stands for."""
    if tags.get("addr:housenumber") and (tags.get("addr:street") or tags.get("addr:place")):
        found.append(_row(ADDRESS, "", tags, lat, lon, osm_type, osm_id))
    name = tags.get("name")
    if not name:
        return
    if tags.get("place"):
        found.append(_row(f"place={tags['place']}", name, tags, lat, lon, osm_type, osm_id))
        return
    for key in POI_KEYS:
        value = tags.get(key)
        if value and (key not in POI_VALUES or value in POI_VALUES[key]):
            found.append(_row(f"{key}={value}", name, tags, lat, lon, osm_type, osm_id))
            return


_PLACE_KEYS = ("place",) + POI_KEYS


def _wanted(tags) -> bool:
    """Whether an OSM object's tags make it an address or a named place (before reading its geometry)."""
    return "addr:housenumber" in tags or "name" in tags and any(k in tags for k in _PLACE_KEYS)


def _tag_dict(tags) -> dict:
    """The tags _add_tagged reads, copied out of osmium's short-lived buffer."""
    keep = ("name", "place", "addr:housenumber", "addr:street", "addr:place", "addr:postcode", "addr:suburb",
            "addr:city") + POI_KEYS
    return {k: tags[k] for k in keep if k in tags}


def _way_points(way) -> np.ndarray:
    """(n, 2) lat, lon of the way's nodes found in the extract."""
    return np.array([(n.lat, n.lon) for n in way.nodes if n.location.valid()], float).reshape(-1, 2)


def _centroid(points: np.ndarray) -> tuple[float, float]:
    """Mean of a way's node positions (one or more), its closing node counted once."""
    if len(points) > 1 and (points[0] == points[-1]).all():
        points = points[:-1]
    return float(points[:, 0].mean()), float(points[:, 1].mean())


def _open_error(path: Path, error: Exception) -> PlacesError:
    return PlacesError(f"{path}: cannot read it as an OpenStreetMap file ({error})")


def read_places(path: str | os.PathLike) -> OsmPlaces:
    """Addresses, named places and streets of an .osm.pbf (or any format osmium reads).

    Raises PlacesError, naming the file, when it is missing or not an OSM file."""
    path = Path(path)
    if not path.is_file():
        raise PlacesError(f"{path}: no such OpenStreetMap file")
    found: list[_Row] = []
    # Relations come last in a file: read them first, to know which ways their centroids need
    relations = []  # (id, tags, outer way ids)
    try:
        for rel in osmium.FileProcessor(str(path), osmium.osm.RELATION):
            if rel.tags.get("type") in ("multipolygon", "boundary") and _wanted(rel.tags):
                ways = [m.ref for m in rel.members if m.type == "w" and m.role in ("outer", "")]
                if ways:
                    relations.append((rel.id, _tag_dict(rel.tags), ways))
    except RuntimeError as error:
        raise _open_error(path, error) from None
    member_ways = {w for _, _, ways in relations for w in ways}
    member_points: dict[int, np.ndarray] = {}
    street_names, street_way_ids, street_points = [], [], []  # of the named highway ways
    processor = (osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY).with_locations()
                 .with_filter(osmium.filter.KeyFilter("name", "addr:housenumber").enable_for(osmium.osm.NODE)))
    try:
        for obj in processor:
            tags = obj.tags
            if obj.is_node():
                if _wanted(tags) and obj.location.valid():
                    _add_tagged(found, _tag_dict(tags), obj.location.lat, obj.location.lon, 0, obj.id)
                continue
            wanted, is_member = _wanted(tags), obj.id in member_ways
            is_street = "name" in tags and tags.get("highway") in STREET_HIGHWAYS
            if not (wanted or is_street or is_member):
                continue
            points = _way_points(obj)
            if not len(points):
                continue
            if is_member:
                member_points[obj.id] = points
            if is_street:
                street_names.append(tags["name"])
                street_way_ids.append(obj.id)
                street_points.append(points)
            if wanted:
                _add_tagged(found, _tag_dict(tags), *_centroid(points), 1, obj.id)
    except RuntimeError as error:
        raise _open_error(path, error) from None
    for rel_id, tags, ways in relations:
        parts = [member_points[w] for w in ways if w in member_points]
        if parts:
            _add_tagged(found, tags, *_centroid(np.concatenate(parts)), 2, rel_id)
    return _assemble(_without_duplicates(found), _StreetWays(street_names, street_way_ids, street_points))


def _without_duplicates(found: list[_Row]) -> list[_Row]:
    """The same address, or the same name and kind, read again within DUPLICATE_M is one place.

    An address is the same when its street (after any comma: 'Kaivopiha, Mannerheimintie') and
    its number (before any comma: '8, 2. krs.') are; of the two, the one written shorter stays."""
    kept: list[_Row] = []
    seen: dict[tuple, list[int]] = {}  # key -> indices into kept
    for row in found:
        if row.kind == ADDRESS:
            number = row.housenumber.split(",")[0].casefold().replace(" ", "")
            key = (row.kind, number, row.street.split(",")[-1].strip().casefold())
        else:
            key = (row.kind, row.name.casefold())
        same_key = seen.setdefault(key, [])
        same = next((i for i in same_key if distance_m(row.lat, row.lon, kept[i].lat, kept[i].lon) <= DUPLICATE_M),
                    None)
        if same is None:
            same_key.append(len(kept))
            kept.append(row)
        elif len(row.housenumber) + len(row.street) < len(kept[same].housenumber) + len(kept[same].street):
            kept[same] = row
    return kept


class _StreetWays:
    """The named highway ways read, as one array of points (way after way)."""

    def __init__(self, names: list[str], way_ids: list[int], points: list[np.ndarray]):
        self.names, self.way_ids = names, way_ids
        self.n_ways = len(names)
        self.points = np.concatenate(points) if points else np.zeros((0, 2))
        self.way_of_point = np.repeat(np.arange(self.n_ways), [len(p) for p in points])
        self.offsets = np.r_[0, np.cumsum([len(p) for p in points])].astype(np.int64)
        lat, lon = self.points[:, 0], self.points[:, 1]
        self.same_way = self.way_of_point[:-1] == self.way_of_point[1:]  # segment i -> i + 1 within a way
        segment_m = np.where(self.same_way, distance_m(lat[:-1], lon[:-1], lat[1:], lon[1:]), 0.0)
        self.segment_m = segment_m
        self.length_m = np.bincount(self.way_of_point[:-1], weights=segment_m, minlength=self.n_ways)
        cumulative = np.r_[0.0, np.cumsum(segment_m)]
        self.along_m = cumulative - cumulative[self.offsets[self.way_of_point]]  # metres from the way's start

    def densified(self, spacing_m: float) -> tuple[np.ndarray, np.ndarray]:
        """(points, way of each) with points added along segments, at most spacing_m apart."""
        p, n_points = self.points, len(self.points)
        if not n_points:
            return p, self.way_of_point
        towards = p.copy()  # the next point of the way, or the point itself at the way's end
        towards[:-1][self.same_way] = p[1:][self.same_way]
        n_steps = np.ones(n_points, np.int64)
        n_steps[:-1] = np.where(self.same_way, np.maximum(1, np.ceil(self.segment_m / spacing_m)), 1)
        start = np.repeat(np.arange(n_points), n_steps)
        step = np.arange(n_steps.sum()) - np.repeat(np.cumsum(n_steps) - n_steps, n_steps)
        t = (step / n_steps[start])[:, None]
        return p[start] + (towards[start] - p[start]) * t, self.way_of_point[start]

    def middle(self, way: int) -> tuple[float, float]:
        """The node of a way nearest to half its length along it."""
        lo, hi = self.offsets[way], self.offsets[way + 1]
        i = lo + int(np.argmin(np.abs(self.along_m[lo:hi] - self.length_m[way] / 2)))
        return float(self.points[i, 0]), float(self.points[i, 1])

    def clusters(self) -> list[list[int]]:
        """Ways grouped by name (case and accents aside: 'Rua Araujo' is 'Rua Araújo'), then by single
        linkage: ways within STREET_CLUSTER_M of each other. A street takes its longest way's name."""
        by_name: dict[str, list[int]] = {}
        spelt: dict[str, str] = {}
        for way, name in enumerate(self.names):
            if name not in spelt:
                spelt[name] = _spelling_aside(name)
            by_name.setdefault(spelt[name], []).append(way)
        # points every 100 m at most stand for a way: the linkage is exact within 50 m
        samples, sample_way = self.densified(100.0)
        sample_offsets = np.searchsorted(sample_way, np.arange(self.n_ways + 1))
        clusters = []
        for ways in by_name.values():
            if len(ways) == 1:
                clusters.append(ways)
                continue
            rows = np.concatenate([np.arange(sample_offsets[w], sample_offsets[w + 1]) for w in ways])
            points = samples[rows]
            south_west, north_east = points.min(axis=0), points.max(axis=0)
            if distance_m(*south_west, *north_east) <= STREET_CLUSTER_M:
                clusters.append(ways)  # all within reach of each other
                continue
            pairs = cKDTree(unit_vectors(*points.T)).query_pairs(STREET_CLUSTER_M / EARTH_RADIUS_M,
                                                                 output_type="ndarray")
            owner = sample_way[rows]
            clusters.extend(_linked(ways, set(zip(owner[pairs[:, 0]].tolist(), owner[pairs[:, 1]].tolist()))))
        return clusters


def _spelling_aside(name: str) -> str:
    """A name without case or accents, to group ways that spell it differently."""
    return "".join(c for c in unicodedata.normalize("NFKD", name.casefold()) if not unicodedata.combining(c))


def _linked(ways: list[int], links: set[tuple[int, int]]) -> list[list[int]]:
    """Connected groups of ways, given pairs of linked ways (union-find)."""
    root = {w: w for w in ways}

    def find(w):
        while root[w] != w:
            root[w] = root[root[w]]
            w = root[w]
        return w

    for a, b in links:
        root[find(a)] = find(b)
    groups: dict[int, list[int]] = {}
    for w in ways:
        groups.setdefault(find(w), []).append(w)
    return list(groups.values())


def _assemble(found: list[_Row], streets: _StreetWays) -> OsmPlaces:
    """OsmPlaces of the places found and of the street ways, clustered into streets."""
    found = list(found)
    place_of_way = np.zeros(streets.n_ways, np.int32)
    for cluster in streets.clusters():
        longest = max(cluster, key=lambda w: streets.length_m[w])
        name = streets.names[longest]
        place_of_way[cluster] = len(found)
        found.append(_row(STREET, name, {"addr:street": name}, *streets.middle(longest), 1, streets.way_ids[longest]))
    street_points, street_way = streets.densified(STREET_POINT_SPACING_M)
    kinds = tuple(sorted({r.kind for r in found} | {ADDRESS, STREET}))
    code = {k: i for i, k in enumerate(kinds)}
    lat, lon = np.array([r.lat for r in found], float), np.array([r.lon for r in found], float)

    def texts(field: str) -> Texts:
        return Texts.from_strings([getattr(r, field) for r in found])

    return OsmPlaces(
        kind=np.array([code[r.kind] for r in found], np.int16),
        kinds=kinds,
        name=texts("name"),
        housenumber=texts("housenumber"),
        street=texts("street"),
        postcode=texts("postcode"),
        locality=Texts.from_strings(_localities(found, lat, lon)),
        lat=lat,
        lon=lon,
        osm_type=np.array([r.osm_type for r in found], np.int8),
        osm_id=np.array([r.osm_id for r in found], np.int64),
        street_point_lat=np.ascontiguousarray(street_points[:, 0]),
        street_point_lon=np.ascontiguousarray(street_points[:, 1]),
        street_point_place=place_of_way[street_way],
    )


def _localities(found: list[_Row], lat: np.ndarray, lon: np.ndarray) -> list[str]:
    """addr:suburb, else the name of the nearest locality place within LOCALITY_MAX_M, else addr:city.

    Places themselves (place=*) get none: their name is their locality."""
    is_locality = np.array([r.kind.startswith("place=") and r.kind[6:] in LOCALITY_PLACES for r in found], bool)
    nearest = np.full(len(found), -1)
    if is_locality.any():
        anchors = np.flatnonzero(is_locality)
        chord, j = cKDTree(unit_vectors(lat[anchors], lon[anchors])).query(
            unit_vectors(lat, lon), distance_upper_bound=LOCALITY_MAX_M / EARTH_RADIUS_M)
        hit = np.isfinite(chord)
        nearest[hit] = anchors[j[hit]]
    return ["" if r.kind.startswith("place=") else r.suburb or (found[n].name if n >= 0 else "") or r.city
            for r, n in zip(found, nearest.tolist())]


def save_places(places: OsmPlaces, folder: str | os.PathLike) -> Path:
    """Write the places as place_*.npy files into folder (created if need be); returns the folder.

    Only .npy files, so the folder may be a compile output (compiled.save's guard accepts it)."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)

    def put(name: str, array) -> None:
        np.save(out / f"place_{name}.npy", np.ascontiguousarray(array), allow_pickle=False)

    put("format", np.array([PLACES_FORMAT], np.int32))
    for name, value in places._asdict().items():
        if name == "kinds":
            value = Texts.from_strings(value)
        if isinstance(value, Texts):
            put(f"{name}.data", value.data)
            put(f"{name}.offsets", value.offsets)
        else:
            put(name, value)
    return out


def load_places(folder: str | os.PathLike) -> OsmPlaces:
    """Memory-map places saved by save_places; PlacesError naming the folder when they are missing or stale."""
    folder = Path(folder)

    def get(name: str):
        return np.load(folder / f"place_{name}.npy", mmap_mode="r", allow_pickle=False)

    try:
        version = int(get("format")[0])
        if version != PLACES_FORMAT:
            raise PlacesError(f"{folder}: places saved in format {version}, this version reads {PLACES_FORMAT}")
        fields = {}
        for name in OsmPlaces._fields:
            if (folder / f"place_{name}.data.npy").exists():
                fields[name] = Texts(get(f"{name}.data"), get(f"{name}.offsets"))
            else:
                fields[name] = get(name)
    except (OSError, ValueError) as error:
        if isinstance(error, PlacesError):
            raise
        raise PlacesError(f"{folder}: no readable saved places ({error})") from None
    kinds = fields["kinds"]
    fields["kinds"] = tuple(kinds[i] for i in range(len(kinds)))
    return OsmPlaces(**fields)
