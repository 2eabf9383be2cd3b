"""`trajet chat`: the text channel's conversation in a terminal, with one local sender."""

from __future__ import annotations

import datetime as dt
import sys

import click

from trajet.service.clock import Clock
from trajet.service.errors import QueryError
from trajet.service.params import parse_date, parse_time
from trajet.service.text_answer import TextChannel

from .network import feed_option, open_network

QUIT = frozenset({"quit", "exit", "q", "bye", "au revoir", "quitter"})


@click.command("chat")
@feed_option
@click.option("--date", "date_text", default=None, help="YYYY-MM-DD: the day the conversation is on (default: today, "
                                                        "by the clock; see TRAJET_NOW)")
@click.option("--time", "time_text", default=None, help="HH:MM[:SS]: the clock time it starts at (default: now)")
@click.option("--lang", default=None, type=click.Choice(["fr", "en"]), help="answer in (default: the question's)")
def chat(feeds, date_text, time_text, lang):
    """Ask journeys in words (French or English), as by SMS; "quit" or end of input stops."""
    day = parse_date(date_text) if date_text else None
    seconds = parse_time(time_text) if time_text else None
    network = open_network(feeds)
    if day is not None or seconds is not None:
        now = network.now()
        start = dt.datetime.combine(day or now.date(), dt.time(), tzinfo=network.timezone) + dt.timedelta(
            seconds=seconds if seconds is not None else now.hour * 3600 + now.minute * 60)
        network.clock = Clock(start, source="--date/--time")
    channel = TextChannel(network)
    click.echo('Ask for instance "de Kamppi à Pasila à 8h" or "departures Kamppi"; "quit" stops.')
    stdin = sys.stdin
    while True:
        click.echo("> ", nl=False)
        line = stdin.readline()
        if not line or line.strip().lower() in QUIT:
            click.echo("")
            return
        if not line.strip():
            continue
        try:
            click.echo(channel.reply(line, "terminal", lang).reply)
        except QueryError as e:
            click.echo(f"error: {e}")
