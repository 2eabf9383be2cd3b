"""The `trajet` command: compile feeds, plan journeys, run batches of queries.

Every bad input ends in one line naming the problem and a non-zero exit code, never a
traceback.
"""

from __future__ import annotations

import csv
import os
import datetime as dt
import sys
import time
from pathlib import Path

import click
import orjson

from feeds.modes import MODES
from feeds.network import BUNDLED_FEED, Network, QueryError, compile_paths
from feeds.report import FeedError

from .config import ConfigError
from feeds import compiled as store
from router.planner import DEFAULT_MAX_TRANSFERS, DEFAULT_MAX_WALK_M, DEFAULT_TRANSFER_SLACK, QueryOptions

from .itineraries import plan_json
from .params import parse_date, parse_time, query_options

EXIT_BAD_INPUT = 2


def _options(max_transfers: int, transfer_slack: int, max_walk: int, exclude_modes: str = "") -> QueryOptions:
    return query_options(str(max_transfers), str(transfer_slack), str(max_walk), None, exclude_modes)


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_BAD_INPUT)


def _open(feeds: tuple[str, ...]) -> Network:
    paths = list(feeds) or [str(BUNDLED_FEED)]
    return Network.open(paths, progress=sys.stderr.isatty())


feed_option = click.option(
    "--feed", "feeds", multiple=True, metavar="FEED",
    help="GTFS zip or folder; repeat to merge several (default: the bundled Helsinki feed).",
)
QUERY_FLAGS = [
    click.option("--max-transfers", default=DEFAULT_MAX_TRANSFERS, show_default=True, type=int),
    click.option("--transfer-slack", default=DEFAULT_TRANSFER_SLACK, show_default=True, type=int, help="seconds"),
    click.option("--max-walk", default=DEFAULT_MAX_WALK_M, show_default=True, type=int, help="metres of one footpath"),
    click.option("--exclude-modes", default="", metavar="MODE,...", help=f"mode families not to use: {', '.join(MODES)}"),
]


def with_query_options(f):
    for option in reversed(QUERY_FLAGS):
        f = option(f)
    return f


@click.group()
def cli():
    """Trajet: journeys on GTFS timetables."""


@cli.command("compile")
@click.argument("feeds", nargs=-1, required=True)
@click.option("--out", required=True, type=click.Path(file_okay=False), help="folder to write")
def compile_cmd(feeds, out):
    """Compile FEED... into one timetable folder and print the validation summary."""
    started = time.perf_counter()
    net, meta, reports = compile_paths(list(feeds), progress=sys.stderr.isatty())
    store.save(net, meta, out)
    for report in reports:
        click.echo(report.summary())
    click.echo(
        f"compiled {len(net.stop_id)} stops, {len(net.route_id)} routes, {len(net.trip_id)} trips, "
        f"{len(net.pattern_route)} patterns, {len(net.footpath_to)} footpaths "
        f"({meta['first_date']}, {meta['n_days']} days) into {out} in {time.perf_counter() - started:.1f} s"
    )


@cli.command()
@feed_option
@click.option("--from", "from_id", required=True, help="stop_id (FEED:stop_id with several feeds) or lat,lon")
@click.option("--to", "to_id", required=True)
@click.option("--date", "date_text", required=True, help="YYYY-MM-DD")
@click.option("--time", "time_text", required=True, help="HH:MM[:SS]")
@with_query_options
@click.option("--json", "as_json", is_flag=True, help="print the API's JSON")
def plan(feeds, from_id, to_id, date_text, time_text, max_transfers, transfer_slack, max_walk, exclude_modes, as_json):
    """Plan journeys between two stops."""
    options = _options(max_transfers, transfer_slack, max_walk, exclude_modes)
    date, seconds = parse_date(date_text), parse_time(time_text)
    network = _open(feeds)
    result, view, places = network.plan(from_id, to_id, date, seconds, options)
    body = plan_json(network, view, result, places)
    if as_json:
        click.echo(orjson.dumps(body, option=orjson.OPT_INDENT_2).decode())
        return
    if not body["itineraries"]:
        click.echo(f"no journey from {from_id} to {to_id} after {date} {time_text}")
        return
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


@cli.command()
@feed_option
@click.option("--queries", required=True, type=click.Path(exists=True, dir_okay=False), help="CSV: from,to,date,time")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="JSON lines, one per query")
@with_query_options
def batch(feeds, queries, out, max_transfers, transfer_slack, max_walk, exclude_modes):
    """Answer many queries in one process, in input order."""
    options = _options(max_transfers, transfer_slack, max_walk, exclude_modes)
    network = _open(feeds)
    n_ok = n_bad = 0
    with open(queries, newline="", encoding="utf-8-sig") as fh, open(out, "wb") as sink:
        reader = csv.DictReader(fh)
        missing = {"from", "to", "date", "time"} - set(reader.fieldnames or [])
        if missing:
            _fail(f"{queries}: header lacks {', '.join(sorted(missing))} (need from,to,date,time)")
        for line, row in enumerate(reader, start=2):
            record: dict = {"line": line, "from": row["from"], "to": row["to"], "date": row["date"], "time": row["time"]}
            started = time.perf_counter()
            try:
                date, seconds = parse_date(row["date"] or ""), parse_time(row["time"] or "")
                result, view, places = network.plan(row["from"] or "", row["to"] or "", date, seconds, options)
                record.update(plan_json(network, view, result, places))
                n_ok += 1
            except QueryError as e:
                record["error"] = {"message": str(e), "field": e.field}
                n_bad += 1
            record["seconds"] = round(time.perf_counter() - started, 6)
            sink.write(orjson.dumps(record) + b"\n")
    click.echo(f"{n_ok} queries answered, {n_bad} with errors, written to {out}", err=True)


@cli.command()
@feed_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int, help="routing threads")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
              help="TOML: territories, API keys, cost model, ledger (see api/config.py)")
def serve(feeds, host, port, workers, config_path):
    """Serve the JSON API (see README: /v1/plan, /v1/stops, /v1/costs, ...)."""
    import logging

    from aiohttp import web

    from .app import ServiceConfig, create_app
    from .config import default_config, load_config
    from .ledger import SqliteLedger

    network = _open(feeds)
    names = [f["name"] for f in network.meta["feeds"]]
    setup = load_config(config_path, names) if config_path else default_config(names)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    ledger = SqliteLedger(setup.ledger_path, setup.batch_size, setup.flush_seconds)
    if ledger.degraded:
        click.echo(f"warning: {ledger.degraded}; serving without recording until it can be written", err=True)
    app = create_app(network, ServiceConfig(workers=workers), setup, ledger)

    async def close_ledger(app):
        ledger.close()

    app.on_cleanup.append(close_ledger)
    access = '%a "%r" %s %b %Tf s request_id=%{X-Request-Id}o'
    click.echo(f"serving {', '.join(f['name'] for f in network.meta['feeds'])} on http://{host}:{port}/v1/", err=True)
    web.run_app(app, host=host, port=port, access_log_format=access, print=None)


@cli.group()
def costs():
    """The cost ledger: reports of who would pay what."""


@costs.command("report")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False), default=None)
@click.option("--ledger", "ledger_path", type=click.Path(dir_okay=False), default=None,
              help="SQLite ledger (default: the configuration's, else $TRAJET_LEDGER or ./trajet-ledger.sqlite)")
@click.option("--since", default=None, help="YYYY-MM-DD, UTC (default: first day of this month)")
@click.option("--until", default=None, help="YYYY-MM-DD, UTC, inclusive (default: today)")
@click.option("--territory", default=None, help="only the rows of this territory")
@click.option("--model", default="all", help="territory, travellers, operators, pooling, metered or all")
@click.option("--basis", default=None, help="operators: legs|minutes; pooling: population|usage|equal")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table")
def costs_report(config_path, ledger_path, since, until, territory, model, basis, fmt):
    """Funding models side by side on the ledger's period."""
    from .config import default_config, load_config
    from .funding import funding_json
    from .ledger import LedgerReader

    setup = load_config(config_path, None) if config_path else default_config([])
    path = Path(ledger_path) if ledger_path else setup.ledger_path
    if not path.exists():
        _fail(f"no ledger at {path} (serve some requests first, or give --ledger)")
    query = {k: v for k, v in {"since": since, "until": until, "model": model, "basis": basis}.items() if v}
    body = funding_json(LedgerReader(path), setup, query)
    rows = [
        dict(model=name, **row)
        for name, table in body["models"].items()
        for row in table["rows"]
        if territory is None or territory in row["payer"]
    ]
    if fmt == "json":
        click.echo(orjson.dumps(dict(body, rows=rows), option=orjson.OPT_INDENT_2).decode())
        return
    columns = ["model", "payer", "eur", "unit", "perUnitEur"]
    if fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
        return
    click.echo(f"{body['since']} to {body['until']} ({body['days']} days): {body['requests']} requests, "
               f"variable {body['variableEur']:.2f} EUR + fixed {body['fixedEur']:.2f} EUR = {body['totalEur']:.2f} EUR")
    for name in body["models"]:
        click.echo(f"\n{name}")
        for row in (r for r in rows if r["model"] == name):
            per = f"{row['perUnitEur']:.6f} EUR per {row['unit']}" if row["perUnitEur"] is not None else ""
            click.echo(f"  {row['payer'][:44]:44s} {row['eur']:12.2f} EUR  {per}")


@costs.command("simulate")
@feed_option
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False), default=None)
@click.option("--date", "date_text", default=None, help="service date to replay (default: the feeds' first day)")
@click.option("--requests", "n_requests", default=2000, show_default=True, type=int)
@click.option("--concurrency", default=4, show_default=True, type=int)
@click.option("--seed", default=1, show_default=True, type=int)
@click.pass_context
def costs_simulate(ctx, feeds, config_path, date_text, n_requests, concurrency, seed):
    """Replay a seeded day of requests through the real server into the ledger, then report."""
    from .config import default_config, load_config
    from .simulate import simulate

    network = _open(feeds)
    names = [f["name"] for f in network.meta["feeds"]]
    setup = load_config(config_path, names) if config_path else default_config(names)
    date = parse_date(date_text) if date_text else network.first_date
    network.check_date(date)
    statuses = simulate(network, setup, date, n_requests, concurrency, seed)
    click.echo(f"replayed {n_requests} requests on {date} into {setup.ledger_path}: statuses {statuses}", err=True)
    today = dt.datetime.now(dt.timezone.utc).date().isoformat()
    ctx.invoke(costs_report, config_path=config_path, ledger_path=str(setup.ledger_path), since=today, until=today,
               territory=None, model="all", basis=None, fmt="table")


def _where(place: dict) -> str:
    return f"{place['name']} ({place['stopId']})" if "stopId" in place else f"{place['name']} ({place['lat']},{place['lon']})"


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        _fail("aborted")
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except (QueryError, FeedError, ConfigError) as e:
        _fail(str(e))
    except (OSError, ValueError) as e:
        _fail(str(e))
    except Exception as e:  # a bug: still one line for the user; TRAJET_DEBUG=1 shows the traceback
        if os.environ.get("TRAJET_DEBUG"):
            raise
        click.echo(f"internal error ({type(e).__name__}): {e}; rerun with TRAJET_DEBUG=1 for details", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
