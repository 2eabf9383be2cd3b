"""The text channel on a corpus of French and English questions (tests/text_corpus.toml):
each understood exactly as written down, answered within two SMS segments, ending with the
operator's contact from agency.txt."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import pytest

from trajet.feeds.load import BUNDLED_FEED, BUNDLED_OSM
from trajet.service.clock import Clock
from trajet.service.conversations import Conversations, Pending
from trajet.service.errors import QueryError
from trajet.service.network import Network
from trajet.service.sms import segments
from trajet.service.text_answer import CHANGE_PENALTY_S, TextChannel, simplest_journey

CORPUS = tomllib.loads((Path(__file__).parent / "text_corpus.toml").read_text())["q"]
CONTACT = "Info Helsingin seudun liikenne (09) 4766 4444"
DEFAULT_NOW = "2022-02-22T07:30"


@pytest.fixture(scope="module")
def network(tmp_path_factory):
    return Network.open([BUNDLED_FEED], cache_dir=tmp_path_factory.mktemp("cache"), osm=BUNDLED_OSM)


def ask(network, text: str, now: str, before: str | None = None):
    network.clock = Clock(dt.datetime.fromisoformat(now), frozen=True)
    channel = TextChannel(network)
    if before:
        channel.reply(before, "+358401234567")
    return channel.reply(text, "+358401234567")


def test_the_corpus_is_large_and_bilingual():
    assert len(CORPUS) >= 40
    assert {ask_lang(q["text"]) for q in CORPUS} == {"fr", "en"}


def ask_lang(text: str) -> str:
    from trajet.service.text_understand import understand
    return understand(text, dt.datetime(2022, 2, 22, 7, 30)).language


@pytest.mark.parametrize("case", CORPUS, ids=[f"{i:02d}-{q['text'][:40]}" for i, q in enumerate(CORPUS)])
def test_each_question_is_understood_as_written_down(network, case):
    answer = ask(network, case["text"], case.get("now", DEFAULT_NOW), case.get("after"))
    u = answer.understood
    assert u["kind"] == case["kind"], answer.reply
    for slot in ("from", "to", "stop"):
        if slot in case:
            assert u[slot]["place"] == case[slot], answer.reply
    if "date" in case:
        assert u["date"] == case["date"]
    if "time" in case:
        assert u["time"] == case["time"]
    if case["kind"] == "plan" and "from" in case:
        assert u["arriveBy"] is case.get("arriveBy", False)
    if "choices" in case:
        assert [c["place"] for c in answer.choices] == case["choices"]
    for words in case.get("reply_has", []):
        assert words in answer.reply
    assert answer.segments == segments(answer.reply) <= 2, answer.reply
    assert CONTACT in answer.reply.splitlines()[-1]


def test_a_plan_answer_names_the_line_the_change_and_the_arrival(network):
    answer = ask(network, "de Kamppi à Pasila à 8h", DEFAULT_NOW)
    head, journey, contact = answer.reply.splitlines()
    assert journey.startswith("08:0") and "arr. " in journey
    assert contact == "Info Helsingin seudun liikenne (09) 4766 4444 hsl.fi hsl.fi/liput"


def _told(body: dict) -> dict:
    """The itinerary of the JSON plan a reply should tell: earliest arrival once each change
    counts CHANGE_PENALTY_S more (read from the JSON, not from the router's journeys)."""
    def cost(it):
        end = dt.datetime.fromisoformat(it["endTime"]).timestamp()
        return end + CHANGE_PENALTY_S * it["transfers"]

    return min(body["itineraries"], key=cost)


@pytest.mark.parametrize("text, origin, destination", [
    ("from Hakaniemi to Kumpula at 8am", "1000012", "1240107"),
    ("from Kamppi to Pasila at 8am", "1000102", "1000004"),
])
def test_the_journey_told_is_the_json_plans_simplest(network, text, origin, destination):
    from trajet.service.itineraries import plan_json
    answer = ask(network, text, DEFAULT_NOW)
    assert answer.understood["from"]["place"] == origin and answer.understood["to"]["place"] == destination
    body = plan_json(network, network.plan(origin, destination, dt.date(2022, 2, 22), 8 * 3600))
    told = _told(body)
    transit = [leg for leg in told["legs"] if "routeId" in leg]
    assert f"{transit[0]['startTime'][11:16]} " in answer.reply
    assert f"arr. {transit[-1]['endTime'][11:16]}" in answer.reply
    assert answer.reply.count("change") == told["transfers"]


def test_a_change_is_worth_five_minutes_of_arrival():
    from types import SimpleNamespace as J
    journeys = [J(t_dep=0, t_arr=1000, transfers=2), J(t_dep=0, t_arr=1200, transfers=1),
                J(t_dep=0, t_arr=1700, transfers=0)]
    assert simplest_journey(journeys) == 1  # 1600, 1500, 1700
    assert simplest_journey(journeys[:1]) == 0 and simplest_journey([]) == 0
    leaving = [J(t_dep=900, t_arr=2000, transfers=2), J(t_dep=700, t_arr=2000, transfers=0)]
    assert simplest_journey(leaving, arrive_by=True) == 1  # -900 + 600 > -700


def test_empty_and_too_long_texts_are_refused(network):
    channel = TextChannel(network)
    with pytest.raises(QueryError, match="empty"):
        channel.reply("  ")
    with pytest.raises(QueryError, match="at most 500"):
        channel.reply("a" * 501)
    with pytest.raises(QueryError, match="lang"):
        channel.reply("de Kamppi à Pasila", language="de")


def test_segments_count_gsm7_and_ucs2():
    assert segments("a" * 160) == 1 and segments("a" * 161) == 2 and segments("a" * 306) == 2
    assert segments("é à ö ä ü " * 16) == 1  # all in the GSM 03.38 basic table
    assert segments("€" * 80) == 1 and segments("€" * 81) == 2  # extension characters count twice
    assert segments("ô" * 70) == 1 and segments("ô" * 71) == 2 and segments("ô" * 135) == 3
    assert segments("") == 0


def test_conversations_expire_evict_and_keep_no_identifier():
    now = [0.0]
    store = Conversations(expiry_s=300, max_senders=2, clock=lambda: now[0])
    pending = Pending({"understanding": {}, "chosen": {}}, "from", ())
    store.put("+358401", pending)
    assert store.get("+358401") is pending
    assert all("358401" not in key for key in store._entries)
    now[0] = 301
    assert store.get("+358401") is None
    for sender in ("a", "b", "c"):
        store.put(sender, pending)
    assert len(store) == 2 and store.get("a") is None and store.get("c") is pending
