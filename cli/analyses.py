"""`trajet traveltimes` and `trajet matrix`: the API's analyses on the command line, with
files out (GeoJSON or CSV, a PNG map) and every core for a large matrix."""

from __future__ import annotations

import csv
import os
import sys
from pathlib import Path

import click
import orjson
from tqdm import tqdm

from trajet.service.errors import QueryError
from trajet.service.matrix import NONE as NO_PAIR
from trajet.service.matrix import MatrixJob, matrix
from trajet.service.params import PLAN_PARAMETERS, query_options
from trajet.service.traveltimes import (
    MATRIX_OPTIONS,
    TRAVELTIME_OPTIONS,
    Limits,
    parse_max_travel,
    parse_percentiles,
    parse_window,
    stop_rows,
    travel_times,
    traveltimes_geojson,
    traveltimes_json,
)

from .commands import _flag, _network_at
from .network import CommandError, feed_option

DEFAULT_CLI_BUDGET_S = 3600.0  # a command's routing budget: an hour, then what was found (partial)
MAX_CLI_POINTS = 100_000


def _with_flags(names):
    """One flag per API option named (--max-transfers ...), same meaning."""
    def decorate(f):
        for name in reversed(names):
            f = click.option(_flag(name), default=None, help=PLAN_PARAMETERS[name])(f)
        return f
    return decorate


def _texts(params: dict, names) -> dict[str, str]:
    texts = {name: params.get(_flag(name)[2:].replace("-", "_")) for name in names}
    return {k: str(v) for k, v in texts.items() if v is not None}


def _budget(text: str | None) -> float:
    if text is None:
        return DEFAULT_CLI_BUDGET_S
    try:
        value = float(text)
    except ValueError:
        raise QueryError(f"budget {text!r} is not a number of seconds", "budget") from None
    if not 0 <= value <= 7 * 86400:
        raise QueryError(f"budget {value:g} is out of range 0..604800 s", "budget")
    return value


def _suffix(path: str | None, allowed: tuple[str, ...], flag: str) -> str | None:
    if path is None:
        return None
    suffix = Path(path).suffix.lower()
    if suffix not in allowed:
        raise CommandError(f"{flag} {path}: give a file ending in {' or '.join(allowed)}")
    return suffix


@click.command()
@feed_option
@click.option("--from", "from_id", default=None, help="stop_id (FEED:stop_id with several feeds) or lat,lon")
@click.option("--to", "to_id", default=None, help="instead of --from: from every stop to this place, by --time")
@click.option("--date", "date_text", default=None, help="YYYY-MM-DD (default: today, by the clock; see TRAJET_NOW)")
@click.option("--time", "time_text", default=None, help="HH:MM[:SS]: the departure, or the window's first minute "
                                                         "(with --to: the deadline, or the window's last minute)")
@click.option("--window", default=None, help="seconds of departure minutes (default 0: one departure)")
@click.option("--percentiles", default=None, help="with --window: whole percentiles 1..99, comma-separated")
@click.option("--max-travel-time", default=None, help="seconds: stops reached later are left out (default 7200)")
@click.option("--budget", default=None,
              help=f"routing seconds, then the minutes done (default {DEFAULT_CLI_BUDGET_S:g})")
@_with_flags(TRAVELTIME_OPTIONS)
@click.option("--out", default=None, type=click.Path(dir_okay=False), help="FILE.geojson or FILE.csv (else JSON out)")
@click.option("--plot", default=None, type=click.Path(dir_okay=False), help="FILE.png: a travel-time map")
def traveltimes(feeds, from_id, to_id, date_text, time_text, window, percentiles, max_travel_time, budget, out, plot,
                **query):
    """Travel times from one place to every stop (or with --to, from every stop to one place),
    at one departure or over --window seconds of minutes (minimum, median, --percentiles), as
    GET /v1/traveltimes answers."""
    if bool(from_id) == bool(to_id):
        raise QueryError("give --from (travel times from a place) or --to (to a place), one of them", "from")
    texts = _texts(query, TRAVELTIME_OPTIONS)
    query_options(texts)  # bad flags fail before the network loads
    window_s, asked = parse_window(window), parse_percentiles(percentiles)
    if asked and not window_s:
        raise QueryError("percentiles are taken over the minutes of a window: give --window too", "percentiles")
    limits = Limits(parse_max_travel(max_travel_time), _budget(budget))
    kind = _suffix(out, (".geojson", ".csv"), "--out")
    _suffix(plot, (".png",), "--plot")
    network, date, seconds = _network_at(feeds, date_text, time_text)
    answer = travel_times(network, from_id or to_id, date, seconds, query_options(texts, network.walking.speed_m_s),
                          window_s, asked, limits, to_destination=bool(to_id))
    if answer.partial:
        click.echo(f"warning: partial: {answer.partial_reason}", err=True)
    if kind == ".geojson":
        Path(out).write_bytes(orjson.dumps(traveltimes_geojson(network, answer)))
    elif kind == ".csv":
        rows = stop_rows(network, answer)
        with open(out, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]) if rows else ["stopId", "name", "lat", "lon"])
            writer.writeheader()
            writer.writerows(rows)
    else:
        click.echo(orjson.dumps(traveltimes_json(network, answer), option=orjson.OPT_INDENT_2).decode())
    if plot:
        from .plot import plot_travel_times

        plot_travel_times(network, answer, plot)
    if out or plot:
        click.echo(f"{len(answer.stops)} stops reached within {limits.max_travel_s} s; written to "
                   f"{', '.join(p for p in (out, plot) if p)}", err=True)


def read_points(path: str) -> tuple[list[str], list[str]]:
    """(ids, places) of a CSV of points: a column id, and either stop_id or lat and lon (a
    row may leave stop_id empty and give lat, lon). CommandError naming the line at fault."""
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        columns = set(reader.fieldnames or [])
        if "id" not in columns or not ({"stop_id"} <= columns or {"lat", "lon"} <= columns):
            raise CommandError(f"{path}: the header needs id, and stop_id or lat,lon")
        ids, places = [], []
        for line, row in enumerate(reader, start=2):
            stop = (row.get("stop_id") or "").strip()
            lat, lon = (row.get("lat") or "").strip(), (row.get("lon") or "").strip()
            if not stop and not (lat and lon):
                raise CommandError(f"{path}:{line}: give stop_id, or lat and lon")
            ids.append((row.get("id") or "").strip() or str(line - 1))
            places.append(stop or f"{lat},{lon}")
            if len(places) > MAX_CLI_POINTS:
                raise CommandError(f"{path}: more than {MAX_CLI_POINTS} points")
    if not places:
        raise CommandError(f"{path}: no points")
    return ids, places


@click.command("matrix")
@feed_option
@click.option("--points", required=True, type=click.Path(exists=True, dir_okay=False),
              help="CSV: id, and stop_id or lat,lon; the origins (and the destinations unless --destinations)")
@click.option("--destinations", default=None, type=click.Path(exists=True, dir_okay=False),
              help="CSV of the destinations, as --points (default: the points themselves)")
@click.option("--out", required=True, type=click.Path(dir_okay=False),
              help="CSV: from_id, to_id, seconds, minutes, transfers (pairs not connected within the limits left out)")
@click.option("--date", "date_text", default=None, help="YYYY-MM-DD (default: today, by the clock; see TRAJET_NOW)")
@click.option("--time", "time_text", default=None, help="HH:MM[:SS] (default: now)")
@click.option("--max-travel-time", default=None, help="seconds: pairs beyond are left out (default 7200)")
@click.option("--budget", default=None,
              help=f"routing seconds, then the origins done (default {DEFAULT_CLI_BUDGET_S:g})")
@click.option("--workers", default=None, type=click.IntRange(1, 256), help="threads (default: every core)")
@_with_flags(MATRIX_OPTIONS)
def matrix_cmd(feeds, points, destinations, out, date_text, time_text, max_travel_time, budget, workers, **query):
    """Travel times and transfers from every point to every destination at one departure, on
    every core (the kernels release the GIL), with a progress bar on a terminal."""
    texts = _texts(query, MATRIX_OPTIONS)
    query_options(texts)
    limits = Limits(parse_max_travel(max_travel_time), _budget(budget))
    from_ids, from_places = read_points(points)
    to_ids, to_places = read_points(destinations) if destinations else (from_ids, from_places)
    network, date, seconds = _network_at(feeds, date_text, time_text)
    places = network.places
    origins = [places.parse(p, f"{points}:{i + 2}") for i, p in enumerate(from_places)]
    ends = origins if not destinations else [places.parse(p, f"{destinations}:{i + 2}")
                                             for i, p in enumerate(to_places)]
    job = MatrixJob(network, origins, ends, date, seconds, query_options(texts, network.walking.speed_m_s), limits)
    with tqdm(total=len(origins), unit="origin", file=sys.stderr, disable=None) as bar:
        result = matrix(job, workers or os.cpu_count() or 1, progress=bar.update)
    n_pairs = 0
    with open(out, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["from_id", "to_id", "seconds", "minutes", "transfers"])
        for i, from_id in enumerate(from_ids):
            for j, to_id in enumerate(to_ids):
                secs = int(result.travel_s[i, j])
                if secs != NO_PAIR:
                    writer.writerow([from_id, to_id, secs, round(secs / 60, 1), int(result.transfers[i, j])])
                    n_pairs += 1
    if result.partial:
        click.echo(f"warning: partial: {result.partial_reason}", err=True)
    click.echo(f"{n_pairs} of {len(origins) * len(ends)} pairs connected within {limits.max_travel_s} s, written to "
               f"{out}", err=True)
