"""Addresses and places as travellers type them, and the address nearest a coordinate.

A local geocoder over the territory's own OpenStreetMap places (feeds/osm_places.py): no
external service. Names are folded (accents, case, punctuation) and their abbreviations
spelled out (Portuguese "R." Rua, "Av." Avenida, "Dr." Doutor, ...), on the names and on the
query alike. A query is looked up in two steps:

1. candidates: each query word finds the words of the names it equals, begins (typing in
   progress) or nearly spells (a typo, rapidfuzz ratio over the vocabulary); the names
   holding the rarest of those words, the most of them, are kept (CANDIDATES of them);
2. score: the candidates are scored on the scale of stop names (service/stops.py: a rapidfuzz
   similarity x 0.7 plus an exact / prefix / word bonus, 0..100), so that places and stops
   can be ranked in one list. A name whose street-type prefix is dropped ("andradas" for "rua
   dos andradas") counts nearly as exact.

A number at the end or the start of a query ("Rua dos Andradas 1137", "1137 Rua dos
Andradas", "mannerheimintie 5") is also read as a house number: the address with that number
on the street found comes first, then the street itself, then the street's nearest numbers.
Ties are broken by the distance to `near` when given, then by the kind of place (a city
before a street before a shop).

reverse() answers with the nearest address within reach, else the nearest street (its
geometry, a point every few metres), through scipy cKDTrees.
"""

from __future__ import annotations

import bisect
import math
import re
from functools import cached_property

import numpy as np
from rapidfuzz import fuzz, process
from scipy.spatial import cKDTree

from trajet.feeds.geo import EARTH_RADIUS_M, distance_m, unit_vectors
from trajet.feeds.osm_places import ADDRESS, OSM_TYPES, STREET, OsmPlaces

from .stops import fold, row_json, search_near

# Abbreviations spelled out wherever they stand (folded forms: "Dr." -> "dr")
ABBREVIATIONS = {
    "dr": "doutor", "dra": "doutora", "prof": "professor", "profa": "professora", "eng": "engenheiro",
    "gen": "general", "gal": "general", "cel": "coronel", "mal": "marechal", "ten": "tenente", "cap": "capitao",
    "maj": "major", "brig": "brigadeiro", "alm": "almirante", "sgt": "sargento", "sen": "senador",
    "dep": "deputado", "pres": "presidente", "gov": "governador", "min": "ministro", "des": "desembargador",
    "pe": "padre", "fr": "frei", "mons": "monsenhor", "sta": "santa", "sto": "santo", "nsa": "nossa",
    "sra": "senhora", "ns": "nossa senhora",
}
# Abbreviations of a street type, spelled out as a name's first word only ("R. X", "Av. Y")
STREET_TYPE_ABBREVIATIONS = {
    "r": "rua", "av": "avenida", "avda": "avenida", "al": "alameda", "tv": "travessa", "trav": "travessa",
    "pc": "praca", "pca": "praca", "lg": "largo", "lgo": "largo", "est": "estrada", "estr": "estrada",
    "rod": "rodovia", "vd": "viaduto", "bc": "beco", "pq": "parque", "jd": "jardim", "vl": "vila",
}
# First words of a street name a traveller may leave out, and the particles after them
STREET_TYPES = frozenset({
    "rua", "avenida", "travessa", "alameda", "beco", "largo", "praca", "estrada", "rodovia", "viaduto", "via",
    "passagem", "acesso", "rampa", "caminho", "ladeira", "tunel", "ponte", "galeria", "passarela", "escadaria",
    "servidao", "calcadao",
})
PARTICLES = frozenset({"da", "do", "das", "dos", "de", "d"})

CANDIDATES = 120  # names scored in full per reading of a query
MIN_BASE_SCORE = 60  # a rapidfuzz similarity under this is no match (as for stops)
FUZZY_WORD_SCORE = 75  # rapidfuzz ratio for a query word to stand for a vocabulary word (one typo in 4)
NEAREST_NUMBERS = 2  # other numbers of a street shown when the one asked is not there
NUMBERED_STREETS = 10  # streets searched for a house number: the best matches, within 25 of the best
# Tie-breaking weight of a kind (absent: 1)
IMPORTANCE = {
    "place=city": 9, "place=town": 8, "place=suburb": 7, "place=borough": 7, "place=quarter": 6,
    "place=neighbourhood": 6, "place=village": 6, "aeroway=aerodrome": 6, "railway=station": 5,
    "public_transport=station": 5, "amenity=bus_station": 4, "place=square": 4, STREET: 3, ADDRESS: 2,
    "place=city_block": 0,
}

_NUMBER = re.compile(r"^\d+[a-z]?$")


def normalize(text: str) -> str:
    """Folded, abbreviations spelled out: 'R. Dr. Flores' -> 'rua doutor flores'."""
    words = fold(text).split()
    if words:
        words[0] = STREET_TYPE_ABBREVIATIONS.get(words[0], words[0])
    return " ".join(ABBREVIATIONS.get(w, w) for w in words)


def core(name: str) -> str:
    """A normalized street name without its leading street type and particles: 'rua dos andradas' -> 'andradas'."""
    words = name.split()
    i = 0
    while i < len(words) - 1 and words[i] in STREET_TYPES:
        i += 1
    while i < len(words) - 1 and words[i] in PARTICLES:
        i += 1
    return " ".join(words[i:]) if i else name


def _number_forms(number: str) -> tuple[str, tuple[int, int] | None]:
    """A house number's exact form and the range of numbers it covers, without what follows a comma.

    '5A' and '5 A' -> ('5 a', (5, 5)); '12-14' -> ('12 14', (12, 14)); '8, 2. krs./2nd floor' -> ('8', (8, 8))."""
    words = re.sub(r"(?<=\d)(?=[a-z])|(?<=[a-z])(?=\d)", " ", fold(number.split(",")[0])).split()
    if not words or not words[0].isdigit():
        return " ".join(words), None
    first = int(words[0])
    last = int(words[1]) if len(words) > 1 and words[1].isdigit() and int(words[1]) > first else first
    return " ".join(words), (first, last)


def _split_number(query: str) -> list[tuple[str, str]]:
    """(street part, house number) readings of a normalized query: the number last, or first.

    A number is a word of digits (a letter may follow: '5a'), or two words: digits and a letter
    ('5 a') or digits and digits (a range '6-10', folded to '6 10')."""
    words = query.split()
    readings = []
    for n in (1, 2):
        if len(words) <= n:
            break
        for number, rest in ((words[-n:], words[:-n]), (words[:n], words[n:])):
            if _NUMBER.match(number[0]) and (n == 1 or number[0].isdigit() and (
                    number[1].isdigit() or len(number[1]) == 1 and number[1].isalpha())):
                readings.append((" ".join(rest), " ".join(number)))
    return readings


def _label(places: OsmPlaces, place: int) -> str:
    """'Rua dos Andradas 1137, Centro', 'Aerotur, Rua dos Andradas 1137', 'Kluuvi'."""
    kind = places.kind_of(place)
    number, street, locality = places.housenumber[place], places.street[place], places.locality[place]
    address = f"{street} {number}".strip() if street else ""
    if kind == ADDRESS:
        head, tail = address, locality
    elif kind == STREET:
        head, tail = places.name[place], locality
    else:
        head, tail = places.name[place], address or locality
    return f"{head}, {tail}" if tail and tail != head else head


def place_json(places: OsmPlaces, place: int, score: float | None = None, distance: float | None = None) -> dict:
    """A place as a place picker shows it: label, kind, position, address parts, OSM object."""
    out = {
        "name": _label(places, place),
        "kind": places.kind_of(place),
        "lat": float(places.lat[place]),
        "lon": float(places.lon[place]),
        "houseNumber": places.housenumber[place] or None,
        "street": places.street[place] or None,
        "postcode": places.postcode[place] or None,
        "locality": places.locality[place] or None,
        "osm": f"{OSM_TYPES[int(places.osm_type[place])]}/{int(places.osm_id[place])}",
    }
    if score is not None:
        out["score"] = round(float(score), 1)
    if distance is not None:
        out["distance"] = round(float(distance), 1)
    return out


class _NameIndex:
    """The normalized names of the places, their words, and which places and addresses bear each name."""

    def __init__(self, places: OsmPlaces):
        kinds = [places.kinds[int(k)] for k in np.asarray(places.kind)]
        key_of: dict[str, int] = {}
        normalized: dict[str, str] = {}  # many addresses share a street
        self.keys: list[str] = []
        self.named: list[list[int]] = []  # key -> the streets and named places of that name
        self.addresses: list[list[int]] = []  # key -> the addresses on the street of that name
        for place, kind in enumerate(kinds):
            if kind == ADDRESS:  # 'Kaivopiha, Mannerheimintie': on both
                texts, into = places.street[place].split(","), self.addresses
            else:
                texts, into = [places.name[place]], self.named
            for key in {normalized.get(t) or normalized.setdefault(t, normalize(t)) for t in texts} - {""}:
                k = key_of.get(key)
                if k is None:
                    k = key_of[key] = len(self.keys)
                    self.keys.append(key)
                    self.named.append([])
                    self.addresses.append([])
                into[k].append(place)
        self.cores = [core(k) for k in self.keys]
        self.key_length = np.array([len(k) for k in self.keys], np.float32)
        postings: dict[str, set[int]] = {}
        for k, key in enumerate(self.keys):
            for word in key.split():
                postings.setdefault(word, set()).add(k)
        self.vocabulary = sorted(postings)
        self.postings = [np.fromiter(postings[w], np.int64) for w in self.vocabulary]
        n_keys = max(1, len(self.keys))
        self.idf = np.array([math.log(1 + n_keys / len(p)) for p in self.postings], np.float32)
        self.word_id = {w: i for i, w in enumerate(self.vocabulary)}
        # house numbers: address -> exact form and the range of numbers covered
        self.number_exact: dict[int, str] = {}
        self.number_span: dict[int, tuple[int, int] | None] = {}
        for place in places.places_of_kind(ADDRESS).tolist():
            self.number_exact[place], self.number_span[place] = _number_forms(places.housenumber[place])

    def word_matches(self, word: str) -> list[tuple[int, float]]:
        """(vocabulary word, similarity 0..1) for a query word: equal 1, begun 0.9, nearly spelt 0.85 at most."""
        matches: dict[int, float] = {}
        exact = self.word_id.get(word)
        if exact is not None:
            matches[exact] = 1.0
        if len(word) >= 2 and not word.isdigit():
            lo = bisect.bisect_left(self.vocabulary, word)
            hi = bisect.bisect_left(self.vocabulary, word + "\uffff")
            for i in range(lo, hi):
                matches.setdefault(i, 0.9)
        if len(word) >= 4 and not word.isdigit():
            for _, ratio, i in process.extract(word, self.vocabulary, scorer=fuzz.ratio, limit=10,
                                               score_cutoff=FUZZY_WORD_SCORE):
                matches.setdefault(i, 0.85 * ratio / 100)
        return list(matches.items())

    def candidates(self, query: str, memo: dict) -> np.ndarray:
        """Keys holding the query's words (rarest and most first), CANDIDATES of them at most."""
        total = np.zeros(len(self.keys), np.float32)
        for word in set(query.split()):
            if word not in memo:
                best = np.zeros(len(self.keys), np.float32)
                for i, similarity in self.word_matches(word):
                    np.maximum.at(best, self.postings[i], similarity * self.idf[i])
                memo[word] = best
            total += memo[word]
        found = np.flatnonzero(total > 0)
        if len(found) > CANDIDATES:
            rank = total[found] - 1e-3 * self.key_length[found]  # shorter names first among equals
            found = found[np.argpartition(-rank, CANDIDATES)[:CANDIDATES]]
        return found

    def matches(self, query: str, memo: dict) -> list[tuple[int, float]]:
        """(key, score 0..100) of the names matching a normalized query, best first.

        Scored as stop names are: base x 0.7 plus 30 exact, 15 prefix (13 of the name without its
        street type), 8 word prefix, 5 substring (_base: rapidfuzz ratios, 0..100). A name equal
        to the query without its street type scores 97, without particles ("rua andradas") 96."""
        if not query:
            return []
        found = self.candidates(query, memo)
        if not len(found):
            return []
        names = [self.keys[k] for k in found]
        cores = [self.cores[k] for k in found]
        base = np.maximum(self._base(query, names), self._base(query, cores) - 2)
        query_loose = _loose(query)
        out = []
        for k, name, name_core, b in zip(found.tolist(), names, cores, base.tolist()):
            if name == query:
                score = 100.0
            elif name_core == query:
                score = 97.0
            elif _loose(name) == query_loose:
                score = 96.0
            elif b < MIN_BASE_SCORE:
                continue
            else:
                if name.startswith(query):
                    bonus = 15
                elif name_core.startswith(query):
                    bonus = 13
                elif f" {query}" in f" {name}":
                    bonus = 8
                elif query in name:
                    bonus = 5
                else:
                    bonus = 0
                score = min(100.0, b * 0.7 + bonus)
            out.append((k, score))
        out.sort(key=lambda x: -x[1])
        return out

    @staticmethod
    def _base(query: str, names: list[str]) -> np.ndarray:
        """rapidfuzz base score 0..100 of each name for the query.

        The best of ratio and token_sort_ratio (word order aside); for a name at least as long
        as the query (which may be part of it) also token_set_ratio x 0.95 (the query's words
        among the name's) and partial_ratio x 0.9 (a part being typed). Not WRatio's partial
        token set, where one shared word ('da', 'rua') scores 85."""
        def cdist(scorer):
            return process.cdist([query], names, scorer=scorer)[0].astype(np.float32)

        strict = np.maximum(cdist(fuzz.ratio), cdist(fuzz.token_sort_ratio))
        loose = np.maximum(cdist(fuzz.token_set_ratio) * 0.95, cdist(fuzz.partial_ratio) * 0.9)
        shorter = np.array([len(n) < len(query) for n in names])
        return np.where(shorter, strict, np.maximum(strict, loose))


def _loose(name: str) -> str:
    """A normalized name without its particles (but its last word): 'rua dos andradas' -> 'rua andradas'."""
    words = name.split()
    return " ".join([w for w in words[:-1] if w not in PARTICLES] + words[-1:])


class Geocoder:
    """Search and reverse geocoding over one territory's OsmPlaces; indices built at first use."""

    def __init__(self, places: OsmPlaces):
        self.places = places

    @cached_property
    def _names(self) -> _NameIndex:
        return _NameIndex(self.places)

    @cached_property
    def _importance(self) -> np.ndarray:
        by_code = np.array([IMPORTANCE.get(k, 1) for k in self.places.kinds], np.int8)
        return by_code[np.asarray(self.places.kind)]

    @cached_property
    def _addresses(self) -> tuple[np.ndarray, cKDTree | None]:
        addresses = self.places.places_of_kind(ADDRESS)
        lat, lon = np.asarray(self.places.lat)[addresses], np.asarray(self.places.lon)[addresses]
        return addresses, cKDTree(unit_vectors(lat, lon)) if len(addresses) else None

    @cached_property
    def _street_points(self) -> cKDTree | None:
        p = self.places
        if not len(p.street_point_place):
            return None
        return cKDTree(unit_vectors(np.asarray(p.street_point_lat), np.asarray(p.street_point_lon)))

    def build(self) -> "Geocoder":
        """Build every index now (else at first search or reverse); returns self."""
        _ = self._names, self._importance, self._addresses, self._street_points
        return self

    def search(self, text: str, limit: int = 10, near: tuple[float, float] | None = None) -> list[tuple[int, float]]:
        """(place, score 0..100) best first; exact outranks prefix outranks fuzzy; ties nearest `near` first."""
        query = normalize(text or "")
        if not query or limit <= 0:
            return []
        names, memo = self._names, {}
        best: dict[int, float] = {}

        def offer(place: int, score: float) -> None:
            if score > best.get(place, 0.0):
                best[place] = score

        for key, score in names.matches(query, memo):
            for place in names.named[key]:
                offer(place, score)
        for street_part, number in _split_number(query):
            self._offer_numbered(street_part, number, memo, offer)
        return self._ranked(best, limit, near, text)

    def _offer_numbered(self, street_part: str, number: str, memo: dict, offer) -> None:
        """Score the addresses with that number on the streets matching street_part, then those streets.

        The number exactly: the street's score; its base number or within a range ('5' for '5 A',
        '16' for '14-20'): 3 less; the street itself then 5 less (2 when no address matched), and
        without a match, the street's NEAREST_NUMBERS nearest numbers 15 less."""
        names = self._names
        exact, wanted = _number_forms(number)
        streets = names.matches(street_part, memo)
        for key, score in streets[:NUMBERED_STREETS]:
            if score < streets[0][1] - 25:
                break
            on_street = names.addresses[key]
            matched = False
            for a in on_street:
                span = names.number_span[a]
                if names.number_exact[a] == exact:
                    offer(a, score)
                    matched = True
                elif wanted and span and span[0] <= wanted[0] <= span[1]:
                    offer(a, score - 3)
                    matched = True
            for place in names.named[key]:
                offer(place, score - (5 if matched else 2))
            if not matched and wanted:
                numbered = [a for a in on_street if names.number_span[a]]
                numbered.sort(key=lambda a: min(abs(n - wanted[0]) for n in names.number_span[a]))
                for a in numbered[:NEAREST_NUMBERS]:
                    offer(a, score - 15)

    def _ranked(self, best: dict[int, float], limit: int, near, text: str) -> list[tuple[int, float]]:
        """The `limit` best (place, score): by score (0.1 steps), then nearest `near`, the name as
        typed (accents too), the more important kind, the shorter label, the lower index."""
        if not best:
            return []
        found = np.fromiter(best, np.int64, len(best))
        score = np.round(np.fromiter(best.values(), float, len(best)), 1)
        if near is not None:
            metres = distance_m(near[0], near[1], np.asarray(self.places.lat)[found],
                                np.asarray(self.places.lon)[found])
        else:
            metres = np.zeros(len(found))
        p = self.places
        typed = " ".join(text.casefold().split())
        verbatim = np.array([p.name[i].casefold() == typed for i in found.tolist()])  # accents as typed
        wordiness = np.array([len(p.name[i]) + len(p.street[i]) + len(p.housenumber[i]) for i in found.tolist()])
        order = np.lexsort((found, wordiness, -self._importance[found], ~verbatim, metres, -score))[:limit]
        return [(int(found[i]), float(score[i])) for i in order]

    def reverse(self, lat: float, lon: float, max_m: float = 200) -> tuple[int, float] | None:
        """(place, metres) of the nearest address within max_m, else of the nearest street within max_m
        (metres to the nearest of its points, STREET_POINT_SPACING_M apart at most); None without."""
        point = unit_vectors(np.array([lat]), np.array([lon]))[0]
        bound = 2 * math.sin(min(max_m / EARTH_RADIUS_M, math.pi) / 2) * (1 + 1e-9)  # chord of max_m
        addresses, tree = self._addresses
        if tree is not None:
            chord, i = tree.query(point, distance_upper_bound=bound)
            if np.isfinite(chord):
                place = int(addresses[i])
                return place, float(distance_m(lat, lon, self.places.lat[place], self.places.lon[place]))
        if self._street_points is not None:
            chord, i = self._street_points.query(point, distance_upper_bound=bound)
            if np.isfinite(chord):
                p = self.places
                metres = float(distance_m(lat, lon, p.street_point_lat[i], p.street_point_lon[i]))
                return int(p.street_point_place[i]), metres
        return None


def search_places(network, text: str, limit: int, near: tuple[float, float] | None = None) -> dict:
    """One ranked list of what a traveller may mean by `text`: stations and stops of the
    timetable, and the addresses, streets and named places of the territory's OpenStreetMap
    extract (when the network has one). Scores are on one scale (0..100); a tie goes to the
    stop, then to the nearer place. Each row has a `type` ("stop" or "osm") and a
    `place` the plan accepts as from/to (a stop id, or lat,lon)."""
    rows = []
    for stop, score in network.stop_names.search(text, limit):
        row = dict(row_json(network, stop), score=round(score, 1), type="stop")
        row["place"] = row["stopId"]
        rows.append((score, 1, 0.0, row))
    geocoder = network.geocoder
    if geocoder is not None:
        places = network.osm.places
        for place, score in geocoder.search(text, limit, near):
            row = dict(place_json(places, place, score=round(score, 1)), type="osm")
            row["place"] = f"{row['lat']:.6f},{row['lon']:.6f}"
            metres = float(distance_m(near[0], near[1], row["lat"], row["lon"])) if near else 0.0
            rows.append((score, 0, metres, row))
    rows.sort(key=lambda r: (-r[0], -r[1], r[2]))
    return {"places": [row for *_, row in rows[:limit]],
            "sources": ["timetable"] + ([f"OpenStreetMap ({network.osm.name}, ODbL)"] if geocoder else [])}


def reverse_place(network, lat: float, lon: float, max_m: float = 200) -> dict:
    """The nearest address (else street) of a coordinate in the territory's OpenStreetMap
    extract, and the nearest stops; `address` is None without an extract or beyond max_m."""
    found = network.geocoder.reverse(lat, lon, max_m) if network.geocoder is not None else None
    address = None
    if found is not None:
        address = place_json(network.osm.places, found[0], distance=round(found[1], 1))
    return {"address": address, "stops": search_near(network, lat, lon, int(max_m), 5)["stops"]}
