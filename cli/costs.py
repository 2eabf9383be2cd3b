"""`trajet costs`: the funding models on the ledger, and a simulated day to fill one."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import sys
from pathlib import Path

import click
import orjson

from trajet.billing.config import default_config, load_config

from .network import feed_option


class NoLedger(ValueError):
    """No ledger file where the report should read one."""


@click.group()
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
    from trajet.billing.funding import check_basis, funding_json
    from trajet.billing.ledger import LedgerReader

    query = {k: v for k, v in {"since": since, "until": until, "model": model, "basis": basis}.items() if v}
    check_basis(query)  # a basis the model does not split by is refused, as the API refuses it
    setup = load_config(config_path, None) if config_path else default_config([])
    path = Path(ledger_path) if ledger_path else setup.ledger_path
    if not path.exists():
        raise NoLedger(f"no ledger at {path} (serve some requests first, or give --ledger)")
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
               f"variable {body['variableEur']:.2f} EUR + fixed {body['fixedEur']:.2f} EUR "
               f"= {body['totalEur']:.2f} EUR")
    for name in body["models"]:
        click.echo(f"\n{name}")
        for row in (r for r in rows if r["model"] == name):
            per = f"{row['perUnitEur']:.6f} EUR per {row['unit']}" if row["perUnitEur"] is not None else ""
            click.echo(f"  {row['payer'][:44]:44s} {row['eur']:12.2f} EUR  {per}")


async def _replay_through_server(network, setup, ledger, mix, concurrency: int) -> dict[int, int]:
    import aiohttp

    from trajet.api.app import ServiceConfig, create_app
    from trajet.api.metering import serving
    from trajet.billing.simulate import replay

    async with serving(create_app(network, ServiceConfig(), setup, ledger)) as base:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:

            async def fetch(path: str, params: dict, key: str | None) -> int:
                headers = {"X-Api-Key": key} if key else {}
                async with session.get(f"{base}{path}", params=params, headers=headers) as r:
                    await r.read()
                    return r.status

            return await replay(fetch, mix, concurrency)


@costs.command("simulate")
@feed_option
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False), default=None)
@click.option("--date", "date_text", default=None,
              help="service date to replay (default: the feeds' first service day)")
@click.option("--requests", "n_requests", default=2000, show_default=True, type=int)
@click.option("--concurrency", default=4, show_default=True, type=int)
@click.option("--seed", default=1, show_default=True, type=int)
@click.pass_context
def costs_simulate(ctx, feeds, config_path, date_text, n_requests, concurrency, seed):
    """Replay a seeded day of requests through the real server into the ledger, then report."""
    import numpy as np

    from trajet.billing.ledger import SqliteLedger
    from trajet.billing.simulate import request_mix
    from trajet.service.params import parse_date

    from .network import open_network

    network = open_network(feeds)
    setup = load_config(config_path, network.feed_names) if config_path else default_config(network.feed_names)
    date = parse_date(date_text) if date_text else network.first_date
    network.check_date(date)
    served = np.unique(network.day(date).tt.pattern_stops)
    stops = [(str(network.net.stop_id[s]), str(network.net.stop_name[s])) for s in served]
    keys: list[str | None] = list(setup.keys) + ([None] if setup.allow_anonymous else [])
    mix = request_mix(stops, date, n_requests, keys or [None], seed)
    ledger = SqliteLedger(setup.ledger_path, setup.batch_size, setup.flush_seconds)
    try:
        statuses = asyncio.run(_replay_through_server(network, setup, ledger, mix, concurrency))
    finally:
        ledger.close()
    click.echo(f"replayed {n_requests} requests on {date} into {setup.ledger_path}: statuses {statuses}", err=True)
    today = dt.datetime.now(dt.timezone.utc).date().isoformat()
    ctx.invoke(costs_report, config_path=config_path, ledger_path=str(setup.ledger_path), since=today, until=today,
               territory=None, model="all", basis=None, fmt="table")
