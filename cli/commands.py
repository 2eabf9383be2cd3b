"""The commands of `trajet`: compile feeds, plan journeys, run batches, serve the API, and
report costs."""

from __future__ import annotations

import asyncio
import csv
import re
import signal
import sys
import time

import click
import orjson

from trajet.feeds import compiled as store
from trajet.feeds.geo import WALK_SPEED_M_S
from trajet.feeds.load import compile_paths, open_osm
from trajet.router.query import QueryOptions
from trajet.service.boards import departure_board
from trajet.service.errors import QueryError
from trajet.service.itineraries import plan_json
from trajet.service.network import Network
from trajet.service.paging import page_cursors, page_of
from trajet.service.params import (
    ACCESS_PARAMETERS,
    MAX_SEARCH_WINDOW_S,
    PLAN_PARAMETERS,
    access_options,
    clock_text,
    parse_date,
    parse_int,
    parse_search_window,
    parse_time,
    query_options,
    when,
)

from .costs import costs
from .network import CommandError, feed_option, open_network, parse_limits

EXIT_NO_JOURNEY = 3


def _flag(name: str) -> str:
    """The CLI flag of an API parameter: maxPreTransitTime -> --max-pre-transit-time."""
    return "--" + re.sub(r"(?<!^)([A-Z])", r"-\1", name).lower()


def _texts(params: dict) -> dict[str, str]:
    """The command's query flags given, by their API parameter's name."""
    texts = {name: params.get(_flag(name)[2:].replace("-", "_")) for name in PLAN_PARAMETERS if name not in SWITCHES}
    return {k: str(v) for k, v in texts.items() if v is not None}


def _fold(name: str) -> str:
    """A name as compared with an option's: maxTransfers, max_transfers, max-transfers alike."""
    return re.sub(r"[-_\s]", "", name.lower())


def _options(params: dict, network: Network | None = None) -> QueryOptions:
    """QueryOptions from the command's query flags (a QueryError names the API parameter)."""
    return query_options(_texts(params), network.walking.speed_m_s if network else WALK_SPEED_M_S)


# one flag per query parameter of the API, same meaning (service/params.py); arriveBy is a
# switch (--arrive-by), as the time it turns into a deadline is given anyway
SWITCHES = ("arriveBy",)
QUERY_FLAGS = [click.option(_flag(name), is_flag=True, default=False, help=text) if name in SWITCHES
               else click.option(_flag(name), default=None, help=text) for name, text in PLAN_PARAMETERS.items()]


def with_query_options(f):
    for option in reversed(QUERY_FLAGS):
        f = option(f)
    return f


def with_access_options(f):
    """The flags of the plan's ACCESS_PARAMETERS (--wheelchair, --bike-on-board, ...), same meaning."""
    for option in reversed([flag for name, flag in zip(PLAN_PARAMETERS, QUERY_FLAGS) if name in ACCESS_PARAMETERS]):
        f = option(f)
    return f


def _access(params: dict) -> QueryOptions:
    """QueryOptions of the command's access flags (a QueryError names the API parameter)."""
    texts = {name: params.get(_flag(name)[2:].replace("-", "_")) for name in ACCESS_PARAMETERS}
    return access_options({k: str(v) for k, v in texts.items() if v is not None})


@click.group()
def cli():
    """Trajet: journeys on GTFS timetables."""


cli.add_command(costs)


@cli.command("compile")
@click.argument("feeds", nargs=-1, required=True)
@click.option("--out", required=True, type=click.Path(file_okay=False),
              help="folder to write: new, empty, or a previous compile output (replaced atomically)")
@click.option("--osm", default=None, metavar="FILE.pbf", help="OpenStreetMap extract: walks between stops follow it")
@click.option("--feed-limit", "feed_limits", multiple=True, metavar="NAME=VALUE",
              help="what a feed may cost before it is refused (repeat; names and defaults: feeds/limits.py)")
def compile_cmd(feeds, out, osm, feed_limits):
    """Compile FEED... into one timetable folder and print the validation summary."""
    started = time.perf_counter()
    progress = sys.stderr.isatty()
    limits = parse_limits(feed_limits)
    net, meta, reports = compile_paths(list(feeds), progress=progress, osm=open_osm(osm, progress=progress) if osm
                                       else None, limits=limits)
    store.save(net, meta, out)
    for report in reports:
        click.echo(report.summary())
    click.echo(
        f"compiled {len(net.stop_id)} stops, {len(net.route_id)} routes, {len(net.trip_id)} trips, "
        f"{len(net.pattern_route)} patterns, {len(net.footpath_to)} footpaths "
        f"(service days {meta['first_service_date']} to {meta['last_service_date']}) into {out} "
        f"in {time.perf_counter() - started:.1f} s"
    )


def _network_at(feeds, date_text: str | None, time_text: str | None):
    """The network and the service date and seconds asked (the clock's when not given); a bad
    date or time fails before the network loads."""
    if date_text:
        parse_date(date_text)
    if time_text:
        parse_time(time_text)
    network = open_network(feeds)
    return (network, *when(network, date_text, time_text))


@cli.command()
@feed_option
@click.option("--from", "from_id", required=True, help="stop_id (FEED:stop_id with several feeds) or lat,lon")
@click.option("--to", "to_id", required=True)
@click.option("--date", "date_text", default=None, help="YYYY-MM-DD (default: today, by the clock; see TRAJET_NOW)")
@click.option("--time", "time_text", default=None, help="HH:MM[:SS] (default: now)")
@with_query_options
@click.option("--json", "as_json", is_flag=True, help="print the API's JSON")
def plan(feeds, from_id, to_id, date_text, time_text, as_json, **query):
    """Plan journeys between two places, every one leaving in --search-window seconds from
    the time asked (default one hour) that no other beats; with --arrive-by, --time is the
    latest arrival: the latest departures that arrive by it (in the window before it). Exits
    3 when there is none, saying why."""
    _options(query)  # a bad flag fails before the network loads
    params = {"from": from_id, "to": to_id, "date": date_text, "time": time_text, **_texts(query)}
    params = {k: v for k, v in params.items() if v is not None}
    if query["arrive_by"]:
        params["arriveBy"] = "true"
    parse_search_window(params.get("searchWindow"))
    network, _, _ = _network_at(feeds, date_text, time_text)
    page = page_of(network, params, MAX_SEARCH_WINDOW_S)
    body = plan_json(network, network.plan(from_id, to_id, page.date, page.seconds, _options(query, network),
                                           page.window_s, arrive_by=query["arrive_by"]))
    body.update(page_cursors(network, params, page))
    if as_json:
        click.echo(orjson.dumps(body, option=orjson.OPT_INDENT_2).decode())
    elif body["itineraries"]:
        for n, it in enumerate(body["itineraries"], 1):
            click.echo(
                f"journey {n}: {it['startTime'][11:19]} -> {it['endTime'][11:19]}, "
                f"{it['duration'] // 60} min, {it['transfers']} transfer(s)"
            )
            for leg in it["legs"]:
                line = leg.get("routeShortName") or leg["mode"].lower()
                towards = f" towards {leg['headsign']}" if leg.get("headsign") else ""
                click.echo(
                    f"  {leg['startTime'][11:16]} {_where(leg['from'])}  {line}{towards}  ->  "
                    f"{leg['endTime'][11:16]} {_where(leg['to'])}"
                )
    if not body["itineraries"]:
        for error in body["routingErrors"]:
            click.echo(f"no journey from {from_id} to {to_id}: {error['description']} ({error['code']})", err=True)
        sys.exit(EXIT_NO_JOURNEY)


@cli.command()
@feed_option
@click.option("--stop", "stop_id", required=True, help="stop_id (FEED:stop_id with several feeds); a station: all "
                                                       "its platforms")
@click.option("--date", "date_text", default=None, help="YYYY-MM-DD (default: today, by the clock; see TRAJET_NOW)")
@click.option("--time", "time_text", default=None, help="HH:MM[:SS] (default: now)")
@click.option("--limit", "limit_text", default=None, help="departures shown, 1..200 (default 10)")
@with_access_options
@click.option("--json", "as_json", is_flag=True, help="print the API's JSON")
def departures(feeds, stop_id, date_text, time_text, limit_text, as_json, **access):
    """The next departures from a stop, as GET /v1/stops/{stopId}/departures lists them; with
    --wheelchair true or --bike-on-board true only the platforms and trips the traveller can take."""
    options = _access(access)  # a bad flag fails before the network loads
    limit = parse_int(limit_text, "limit", 10, 1, 200)
    network, date, seconds = _network_at(feeds, date_text, time_text)
    body = departure_board(network, stop_id, date, seconds, limit, options)
    if as_json:
        click.echo(orjson.dumps(body, option=orjson.OPT_INDENT_2).decode())
        return
    click.echo(f"departures from {body['stop']['name']} ({body['stop']['stopId']}) on {date} from "
               f"{clock_text(seconds)[:5]}:")
    for row in body["departures"]:
        platform = f" platform {row['platformCode']}" if row["platformCode"] else ""
        click.echo(f"  {row['time'][11:16]} {row['routeShortName'] or row['routeId']} towards {row['headsign']} "
                   f"({row['stopId']}{platform}; wheelchair {row['wheelchairAccessible']}, bikes "
                   f"{row['bikesAllowed']})")
    if not body["departures"]:
        click.echo("  none")


@cli.command()
@feed_option
@click.option("--queries", required=True, type=click.Path(exists=True, dir_okay=False), help="CSV: from,to,date,time")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="JSON lines, one per query")
@with_query_options
def batch(feeds, queries, out, **query):
    """Answer many queries in one process, in input order (with --arrive-by, each time a
    latest arrival)."""
    _options(query)
    network = open_network(feeds)
    options = _options(query, network)
    n_ok = n_none = n_bad = 0
    with open(queries, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        missing = {"from", "to", "date", "time"} - set(reader.fieldnames or [])
        if missing:
            raise CommandError(f"{queries}: header lacks {', '.join(sorted(missing))} (need from,to,date,time)")
        # other columns (a note, an id) are carried along unread; one named as a plan option
        # would be a per-row option silently ignored: refused, as the API refuses what it does not take
        option_names = {_fold(name): name for name in PLAN_PARAMETERS}
        for column in reader.fieldnames or []:
            if _fold(column) in option_names:
                name = option_names[_fold(column)]
                raise CommandError(f"{queries}: column {column!r} is the plan option {name}, which applies to the "
                                   f"whole batch: give {_flag(name)} instead")
        with open(out, "wb") as sink:
            for line, row in enumerate(reader, start=2):
                record: dict = {"line": line, "from": row["from"], "to": row["to"], "date": row["date"],
                                "time": row["time"]}
                started = time.perf_counter()
                try:
                    date, seconds = parse_date(row["date"] or ""), parse_time(row["time"] or "")
                    record.update(plan_json(network, network.plan(row["from"] or "", row["to"] or "", date, seconds,
                                                                  options, arrive_by=query["arrive_by"])))
                    if record["itineraries"]:
                        n_ok += 1
                    else:
                        n_none += 1
                except QueryError as e:
                    record["error"] = {"message": str(e), "field": e.field}
                    n_bad += 1
                record["seconds"] = round(time.perf_counter() - started, 6)
                sink.write(orjson.dumps(record) + b"\n")
    click.echo(f"{n_ok} queries answered, {n_none} with no journey (see routingErrors), {n_bad} with errors, "
               f"written to {out}", err=True)


@cli.command()
@feed_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int, help="routing threads")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
              help="TOML: territories, API keys, cost model, ledger (see billing/config.py)")
@click.option("--max-search-window", default=MAX_SEARCH_WINDOW_S, show_default=True,
              type=click.IntRange(0, 48 * 3600), help="largest searchWindow a plan may ask, seconds")
@click.option("--analysis-budget", default=5.0, show_default=True, type=click.FloatRange(0.1, 600),
              help="routing seconds of a /v1/traveltimes or /v1/matrix answer; then what was found, partial "
                   "(capped by the 10 s budget of every request)")
@click.option("--dev", is_flag=True, help="a development machine: serve even with the examples' public keys "
                                          "(containing change-me) in the configuration")
def serve(feeds, host, port, workers, config_path, max_search_window, analysis_budget, dev):
    """Serve the JSON API (see README: /v1/plan, /v1/stops, /v1/costs, ...); SIGHUP reads the feeds again."""
    import logging

    from trajet.api.app import ServiceConfig, create_app
    from trajet.api.metering import run
    from trajet.billing.config import default_config, load_config
    from trajet.billing.ledger import SqliteLedger
    from trajet.service.reload import LiveNetwork

    source = feeds.network_source()
    network = source.open(progress=sys.stderr.isatty())
    setup = load_config(config_path, network.feed_names) if config_path else default_config(network.feed_names)
    if setup.example_keys() and not dev:
        raise CommandError(f"{config_path}: the keys of {', '.join(setup.example_keys())} are examples (they contain "
                           "change-me, and are public): write your own (or their hashes: trajet key-hash KEY), or "
                           "serve with --dev on a development machine")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    ledger = SqliteLedger(setup.ledger_path, setup.batch_size, setup.flush_seconds)
    if ledger.degraded:
        click.echo(f"warning: {ledger.degraded}; serving without recording until it can be written", err=True)
    live = LiveNetwork(network, source, on_cpu=ledger.add_shared_cpu)
    app = create_app(live, ServiceConfig(workers=workers, max_search_window_s=max_search_window,
                                         analysis_budget_s=analysis_budget), setup, ledger)

    async def on_hangup(app):  # kill -HUP: the configured feeds read again, as POST /v1/admin/feeds does
        asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, reload_on_signal, live)

    async def close_ledger(app):
        ledger.close()

    app.on_startup.append(on_hangup)
    app.on_cleanup.append(close_ledger)
    names = ", ".join(network.feed_names)
    run(app, host, port, on_ready=lambda: click.echo(
        f"serving {names} (service days {network.service_period()}; clock: {network.clock.describe()}) "
        f"on http://{host}:{port}/v1/", err=True))


def reload_on_signal(live) -> None:
    from trajet.service.reload import ReloadError

    try:
        live.start("signal")
        click.echo(f"SIGHUP: reading {', '.join(live.source.names)} again", err=True)
    except ReloadError as e:
        click.echo(f"SIGHUP ignored: {e}", err=True)


@cli.command("key-hash")
@click.argument("key")
def key_hash_cmd(key):
    """Print how to declare KEY in the configuration without writing it: key = "sha256:..."."""
    from trajet.billing.config import key_hash

    if len(key) < 8:
        raise CommandError("a key has at least 8 characters")
    click.echo(key_hash(key))


def _where(place: dict) -> str:
    return (f"{place['name']} ({place['stopId']})" if "stopId" in place
            else f"{place['name']} ({place['lat']},{place['lon']})")
