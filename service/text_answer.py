"""The text channel's answers: a question in, a short reply out (SMS-sized), with how it was
understood and the operator's human contact.

`TextChannel(network).reply(text, sender, language)` understands the question
(text_understand.py), matches its places (text_places.py), plans through the same service
functions as /v1/plan and /v1/stops/{id}/departures (service.plan.plan, service.boards), and
answers in the question's language:

    J'ai compris : de Kamppi à Pasila, départ 08:00.
    08:03 tram 7 Kamppi, chg Sörnäinen bus 55, arr. 08:25 Pasila. Info HSL (09) 4766 4444 hsl.fi

An ambiguous name gets numbered choices, kept for the sender (conversations.py) until the
reply "2" picks one. Every reply ends with the contact of the operator of the journey's first
transit leg (else the feed's first agency) and fits MAX_SEGMENTS SMS segments: details are
dropped until it does.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

import numpy as np

from .boards import departure_board
from .conversations import Conversations, Pending
from .errors import QueryError
from .itineraries import plan_json
from .operators import operator_shares
from .sms import segments
from .text_places import match_place
from .text_understand import Understanding, understand

MAX_SEGMENTS = 2
MAX_TEXT = 500  # characters of a question; longer is refused
# A reply names one journey, read once on a phone: each change counts as this many seconds
# more travel (later arrival; arrive-by: earlier departure) when choosing it among the
# answer's Pareto set, so a journey barely later with fewer changes wins (simplest_journey)
CHANGE_PENALTY_S = 300
MODE_WORDS = {"fr": {"BUS": "bus", "TRAM": "tram", "SUBWAY": "métro", "RAIL": "train", "FERRY": "ferry"},
              "en": {"BUS": "bus", "TRAM": "tram", "SUBWAY": "metro", "RAIL": "train", "FERRY": "ferry"}}
WORDS = {
    "fr": {"understood": "J'ai compris :", "from": "de", "to": "à", "leave": "départ", "arrive": "arrivée avant",
           "now": "maintenant", "change": "chg", "arr": "arr.", "walk": "à pied", "departures": "départs de",
           "which": "Lequel ? Répondez par le numéro :",
           "which_from": "D'où partez-vous ? Répondez par un nom de station.",
           "not_found": "Je ne trouve pas de station nommée", "none": "Pas de trajet", "no_dep": "Pas de départ",
           "help": "Je n'ai pas compris. Exemple : de Kamppi à Pasila à 8h, ou : prochains départs Kamppi.",
           "example": "Exemple : de Kamppi à Pasila à 8h.",
           "no_pending": "Aucun choix en attente. Exemple : de Kamppi à Pasila à 8h.",
           "bad_choice": "Répondez par un numéro de 1 à"},
    "en": {"understood": "Understood:", "from": "from", "to": "to", "leave": "leaving", "arrive": "arriving by",
           "now": "now", "change": "change", "arr": "arr.", "walk": "walk", "departures": "departures from",
           "which": "Which one? Reply with its number:", "which_from": "Where from? Reply with a stop name.",
           "not_found": "No stop found for", "none": "No journey", "no_dep": "No departure",
           "help": "Sorry, I did not understand. Example: from Kamppi to Pasila at 8am, or: departures Kamppi.",
           "example": "Example: from Kamppi to Pasila at 8am.",
           "no_pending": "No choice pending. Example: from Kamppi to Pasila at 8am.",
           "bad_choice": "Reply with a number from 1 to"},
}


@dataclass
class TextReply:
    reply: str
    understood: dict
    language: str
    segments: int
    choices: list | None = None
    work: dict | None = None  # the router's work counters, for the meter (not in the JSON)
    operators: list | None = None  # operator shares of the journey answered, for the ledger

    def to_json(self) -> dict:
        out = {"reply": self.reply, "understood": self.understood, "segments": self.segments,
               "language": self.language}
        if self.choices:
            out["choices"] = self.choices
        return out


def hhmm(seconds: int) -> str:
    return f"{seconds // 3600 % 24:02d}:{seconds // 60 % 60:02d}"


def simplest_journey(journeys: list, arrive_by: bool = False) -> int:
    """The index of the journey to tell: the earliest arrival (arrive-by: the latest
    departure) once each change costs CHANGE_PENALTY_S; ties go to the listed order."""
    def cost(i: int) -> tuple:
        j = journeys[i]
        time = -j.t_dep if arrive_by else j.t_arr
        return time + CHANGE_PENALTY_S * j.transfers, i

    return min(range(len(journeys)), key=cost) if journeys else 0


def short_url(url: str) -> str:
    for head in ("https://", "http://", "www."):
        url = url[len(head):] if url.startswith(head) else url
    return url.rstrip("/")


class TextChannel:
    """The conversation over one network, with its per-sender memory of pending choices."""

    def __init__(self, network, conversations: Conversations | None = None):
        self.network = network
        self.conversations = conversations if conversations is not None else Conversations()  # it has a len

    # --- the contact -------------------------------------------------------------------
    def contact(self, agency: int = 0, full: bool = True) -> str:
        net = self.network.net
        parts = [str(net.agency_name[agency]), str(net.agency_phone[agency])]
        if full:
            parts += [short_url(str(net.agency_url[agency])), short_url(str(net.agency_fare_url[agency]))]
        return "Info " + " ".join(dict.fromkeys(p for p in parts if p))

    def _agency_of_route(self, route_id: str) -> int:
        net = self.network.net
        found = np.flatnonzero(np.asarray(net.route_id) == route_id)
        return int(net.route_agency[int(found[0])]) if len(found) else 0

    # --- the conversation --------------------------------------------------------------
    def reply(self, text: str, sender: str = "local", language: str | None = None) -> TextReply:
        """The answer to `text` from `sender`; raises QueryError for an empty or too long text."""
        text = (text or "").strip()
        if not text:
            raise QueryError("the text is empty: ask for instance \"de Kamppi à Pasila à 8h\"", "text")
        if len(text) > MAX_TEXT:
            raise QueryError(f"the text is {len(text)} characters long; at most {MAX_TEXT}", "text")
        if language not in (None, "", "fr", "en"):
            raise QueryError(f"lang {language!r} is neither fr nor en", "lang")
        now = self.network.now()
        u = understand(text, now, language or None)
        pending = self.conversations.get(sender)
        if u.kind == "choice":
            return self._choose(u, pending, sender, now)
        chosen: dict = {}
        if pending is not None and pending.slot == "from" and not pending.choices and u.kind == "unknown":
            u, chosen = _restore(pending)  # the origin asked for: this text names it
            u.origin = " ".join(text.split())
        self.conversations.put(sender, None)
        return self._answer(u, chosen, sender, now)

    def _choose(self, u: Understanding, pending: Pending | None, sender: str, now) -> TextReply:
        w = WORDS[u.language]
        if pending is None:
            return self._final(u.language, w["no_pending"], {"kind": "unknown"}, 0)
        if not 1 <= u.choice <= len(pending.choices):
            n, u.language = len(pending.choices), pending.understood["understanding"]["language"]
            w = WORDS[u.language]
            return self._final(u.language, f"{w['bad_choice']} {n}.", {"kind": "choice", "choice": u.choice}, 0,
                               [dict(c, number=i + 1) for i, c in enumerate(pending.choices)])
        self.conversations.put(sender, None)
        asked, chosen = _restore(pending)
        chosen[pending.slot] = pending.choices[u.choice - 1]
        return self._answer(asked, chosen, sender, now)

    def _answer(self, u: Understanding, chosen: dict, sender: str, now) -> TextReply:
        w = WORDS[u.language]
        if u.kind == "unknown":
            return self._final(u.language, w["help"], {"kind": "unknown"}, 0)
        if u.kind == "plan" and not u.origin and "from" not in chosen:
            self.conversations.put(sender, Pending(_state(u, chosen), "from", ()))
            return self._final(u.language, w["which_from"], self._understood(u, chosen), 0)
        slots = [("from", u.origin), ("to", u.destination)] if u.kind == "plan" else [("stop", u.origin)]
        for slot, name in slots:
            if slot in chosen:
                continue
            found = match_place(self.network, name)
            if not found:
                return self._final(u.language, f"{w['not_found']} \"{name}\". {w['example']}",
                                   self._understood(u, chosen), 0)
            if len(found) > 1:
                self.conversations.put(sender, Pending(_state(u, chosen), slot, tuple(found)))
                listed = " ".join(f"{i + 1}) {c['name']}" for i, c in enumerate(found))
                return self._final(u.language, f"{w['which']} {listed}", self._understood(u, chosen), 0,
                                   [dict(c, number=i + 1) for i, c in enumerate(found)])
            chosen[slot] = found[0]
        date = u.date or now.date()
        seconds = u.seconds if u.seconds is not None else now.hour * 3600 + now.minute * 60
        understood = self._understood(u, chosen, date, seconds)
        head = self._head(u, chosen, date, seconds, now)
        if u.kind == "departures":
            return self._departures(u, chosen["stop"], date, seconds, head, understood)
        return self._plan(u, chosen, date, seconds, head, understood)

    def _understood(self, u: Understanding, chosen: dict, date=None, seconds=None) -> dict:
        out = {"kind": u.kind, "arriveBy": u.arrive_by}
        for slot in ("from", "to", "stop"):
            if slot in chosen:
                out[slot] = chosen[slot]
        out["date"] = date.isoformat() if date else (u.date.isoformat() if u.date else None)
        secs = seconds if seconds is not None else u.seconds
        out["time"] = hhmm(secs) if secs is not None else None
        return out

    def _head(self, u: Understanding, chosen: dict, date: dt.date, seconds: int, now) -> str:
        w = WORDS[u.language]
        day = "" if date == now.date() else f" {date.day:02d}/{date.month:02d}"
        if u.kind == "departures":
            return f"{w['understood']} {w['departures']} {chosen['stop']['name']},{day} {hhmm(seconds)}."
        when = w["arrive"] if u.arrive_by else w["leave"]
        return (f"{w['understood']} {w['from']} {chosen['from']['name']} {w['to']} {chosen['to']['name']}, "
                f"{when}{day} {hhmm(seconds)}.")

    def _plan(self, u, chosen, date, seconds, head, understood) -> TextReply:
        w = WORDS[u.language]
        network = self.network
        try:
            answer = network.plan(chosen["from"]["place"], chosen["to"]["place"], date, seconds, arrive_by=u.arrive_by)
        except QueryError as e:  # the same place twice ("de Kamppi à Kamppi"): said in the reply, as a board's error
            return self._final(u.language, f"{head}\n{w['none']}: {e}", understood, 0)
        keep = simplest_journey(answer.result.journeys, u.arrive_by)
        result = answer.result
        result.journeys[:], result.arrivals[:] = result.journeys[keep:keep + 1], result.arrivals[keep:keep + 1]
        body = plan_json(network, answer)
        if not body["itineraries"]:
            reason = self._why(u.language, body["routingErrors"][0]) if body["routingErrors"] else ""
            return self._final(u.language, f"{head}\n{w['none']}: {reason}", understood, 0)
        itinerary = body["itineraries"][0]
        transit = [leg for leg in itinerary["legs"] if "routeId" in leg]
        agency = self._agency_of_route(transit[0]["routeId"]) if transit else 0
        lines = [self._journey(u.language, itinerary, transit, detail) for detail in (2, 1, 0)]
        out = self._final(u.language, head, understood, agency, body=lines)
        out.work, out.operators = body["work"], operator_shares(network, answer.view, answer.result.journeys)
        return out

    def _journey(self, lang: str, itinerary: dict, transit: list, detail: int) -> str:
        w = WORDS[lang]
        if not transit:
            return f"{w['walk']} {itinerary['startTime'][11:16]}-{itinerary['endTime'][11:16]}"
        first, last = transit[0], transit[-1]
        parts = [f"{first['startTime'][11:16]} {self._line(lang, first)}"
                 + (f" {first['from']['name']}" if detail else "")]
        for leg in transit[1:]:
            parts.append(f"{w['change']} {leg['from']['name'] if detail > 1 or not detail else ''}"
                         f"{' ' if detail > 1 else ''}{self._line(lang, leg)}".replace("  ", " "))
        parts.append(f"{w['arr']} {last['endTime'][11:16]}" + (f" {last['to']['name']}" if detail else ""))
        return ", ".join(parts) + "."

    def _why(self, lang: str, error: dict) -> str:
        """A routing error in the reply's language (the French of the common ones; else as the API says it)."""
        period = self.network.service_period()
        if error["code"] in ("OUTSIDE_SERVICE_PERIOD", "NO_SERVICE_ON_DATE"):
            return (f"pas de service ce jour-là (horaires du {period})" if lang == "fr"
                    else f"no service that day (timetable {period})")
        if error["code"] == "NO_TRANSIT_CONNECTION_IN_SEARCH_WINDOW" and lang == "fr":
            return "plus de trajet à cette heure-là ce jour-là"
        if error["code"] == "NO_TRANSIT_CONNECTION" and lang == "fr":
            return "aucun trajet ne relie ces arrêts ce jour-là"
        return error["description"]

    @staticmethod
    def _line(lang: str, leg: dict) -> str:
        return f"{MODE_WORDS[lang].get(leg['mode'], leg['mode'].lower())} {leg.get('routeShortName') or ''}".strip()

    def _departures(self, u, stop, date, seconds, head, understood) -> TextReply:
        w = WORDS[u.language]
        try:
            board = departure_board(self.network, stop["place"], date, seconds, 4)
        except QueryError as e:
            return self._final(u.language, f"{head}\n{w['no_dep']}: {e}", understood, 0)
        rows = board["departures"]
        if not rows:
            return self._final(u.language, f"{head}\n{w['no_dep']}.", understood, 0)
        agency = self._agency_of_route(rows[0]["routeId"])
        lines = [", ".join(f"{r['time'][11:16]} {self._line(u.language, r)} {r['headsign']}" for r in rows[:n]) + "."
                 for n in (4, 3, 2, 1)]
        return self._final(u.language, head, understood, agency, body=lines)

    def _final(self, lang: str, head: str, understood: dict, agency: int, choices=None,
               body: list[str] | None = None) -> TextReply:
        """head, the first body variant and the contact that fit MAX_SEGMENTS (shorter ones if needed)."""
        candidates = []
        for line in body or [None]:
            for full in (True, False):
                text = "\n".join(p for p in (head, line, self.contact(agency, full)) if p)
                candidates.append(text)
        text = next((t for t in candidates if segments(t) <= MAX_SEGMENTS), candidates[-1])
        return TextReply(text, understood, lang, segments(text), choices)


def _state(u: Understanding, chosen: dict) -> dict:
    """What a pending choice keeps: the understanding (no sender, no text) and the places chosen."""
    return {"understanding": asdict(u), "chosen": dict(chosen)}


def _restore(pending: Pending) -> tuple[Understanding, dict]:
    return Understanding(**pending.understood["understanding"]), dict(pending.understood["chosen"])
