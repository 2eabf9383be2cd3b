"""Understanding a traveller's question written in French or English, deterministically.

`understand(network, text, now)` reads the kind of question and its parts, without any
external language service:

1. the language, by keywords (fr / en), unless given;
2. the clock time ("8h", "8h30", "à 8h", "8am", "8:15", "18h45") and whether it is a
   deadline ("avant", "arriver", "before", "by", "arrive"), by a few regular expressions;
3. the day ("demain", "aujourd'hui", "ce soir", "lundi prochain", "tomorrow", "tonight",
   "next monday"), by dateparser with the languages fr and en, the network's clock as the
   relative base and future dates preferred; "ce soir" / "tonight" without a time is 19:00;
4. the pattern: "de X à Y" / "from X to Y" / "X - Y" (a plan), "arriver à Y" / "to Y" (a plan
   whose origin is missing), "prochains départs X" / "departures X" (a board), a bare number
   (the answer to numbered choices).

The place names are left as written; text_places.py matches them against the timetable.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import dateparser

from .stops import fold

FR_WORDS = frozenset("de du des depuis a au vers pour arriver arrivee avant demain aujourd hui ce soir matin "
                     "prochain prochains prochaine depart departs lundi mardi mercredi jeudi vendredi samedi "
                     "dimanche la le les je veux aller quand h".split())
EN_WORDS = frozenset("from to at by before arrive arriving tomorrow today tonight morning evening next departures "
                     "departure monday tuesday wednesday thursday friday saturday sunday the i want go when am pm "
                     "leaving leave".split())
DAYS_FR = "lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche"
DAYS_EN = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
DATE_WORDS = re.compile(
    rf"\b(?:apres[- ]demain|demain|aujourd ?hui|ce soir|ce matin|cet apres[- ]midi|tomorrow|today|tonight|"
    rf"this (?:evening|morning|afternoon)|(?:next )?(?:{DAYS_EN})|(?:{DAYS_FR})(?: prochain)?)\b")
CLOCK = re.compile(r"\b(?:(?:a|at|vers|around|for|pour|avant|before|by|des|from|partir de|after|apres)\s+)?"
                   r"(\d{1,2})\s*(?:(h|:)\s*(\d{2})?|(am|pm)|\s(am|pm))(?![a-z0-9])")
DEADLINE = re.compile(r"\b(?:avant|arriver|arrivee|arrive|arriving|before|by|pour etre)\b")
CHOICE = re.compile(r"^\s*(\d{1,2})\s*[.)]?\s*$")
DEPARTURES = re.compile(r"^(?:quels? sont les |what are the |show )?(?:(?:les )?prochains? departs?|departs?|"
                        r"horaires?|(?:the )?next departures?|departures?|next buses|next trams?|board)"
                        r"(?:\s+(?:de|du|d|from|at|a))?\s+(.+)$")
FROM_TO = (
    re.compile(r"^(?:.*?\b)?(?:from)\s+(.+?)\s+to\s+(.+)$"),
    re.compile(r"^(?:.*?\b)?(?:depuis|de|du|d)\s+(.+?)\s+(?:jusqu a|a|au|aux|vers|pour)\s+(.+)$"),
    re.compile(r"^(.+?)\s*(?:->|>|=>| - | to | a | vers )\s*(.+)$"),
)
TO_FROM = re.compile(r"^(?:.*?\b)?(?:a|au|aux|to|vers)\s+(.+?)\s+(?:depuis|from|en partant de)\s+(.+)$")
TO_ONLY = re.compile(r"^(?:.*?\b)?(?:arriver|aller|go|get|arrive|arriving|be)?\s*(?:a|au|to|at|vers|in)\s+(.+)$")
FILLER = re.compile(r"^(?:(?:la|le|les|l|the|station|gare|arret|stop|metro|tram)\s+)+|"
                    r"(?:\s+(?:station|stop|please|svp|stp|merci|thanks|s il vous plait))+$")
EVENING_S = 19 * 3600


@dataclass
class Understanding:
    """What a question asks: kind "plan", "departures", "choice" or "unknown"; place names as
    written (matched later), the date and seconds asked (None: now) and arriveBy."""

    kind: str
    language: str
    origin: str | None = None
    destination: str | None = None
    date: dt.date | None = None
    seconds: int | None = None
    arrive_by: bool = False
    choice: int | None = None
    notes: list[str] = field(default_factory=list)


def plain(text: str) -> str:
    """Lower case without accents, apostrophes as spaces: "Arriver à l'Opéra" -> "arriver a l opera"."""
    return fold(text.replace("->", " -> ").replace(" - ", " ~ ")).replace("~", "-") if text else ""


def language_of(words: list[str], given: str | None) -> str:
    if given in ("fr", "en"):
        return given
    fr = sum(w in FR_WORDS for w in words)
    en = sum(w in EN_WORDS for w in words)
    return "en" if en > fr else "fr"


RAIL_STATION = re.compile(r"^(?:the |la |le )?(?:railway|train|central|main|grande)? ?(?:station|gare)"
                          r"(?: centrale| sncf)?$|"
                          r"^(?:the )?(?:railway|train|central) station$|^gare$")
MAIN_STATION = "@railway-station"  # a landmark: the territory's main railway station (text_places.py)


def _clean_name(name: str) -> str:
    if RAIL_STATION.match(name.strip(" ,.?!")):
        return MAIN_STATION
    name = FILLER.sub("", name.strip(" ,.?!")).strip(" ,.?!")
    return FILLER.sub("", name).strip()


def understand(text: str, now: dt.datetime, language: str | None = None) -> Understanding:
    """The understanding of `text` asked at `now` (the network clock's, in its timezone)."""
    arrows = re.sub(r"\s*(?:->|→|=>|>)\s*", " -> ", re.sub(r"(\d{1,2}):(\d{2})", r"\1h\2", text))
    q = " ".join(fold(arrows.replace("->", " zzarrowzz ")).split()).replace("zzarrowzz", "->")
    lang = language_of(q.split(), language)
    choice = CHOICE.match(q)
    if choice:
        return Understanding("choice", lang, choice=int(choice.group(1)))
    u = Understanding("unknown", lang)
    u.arrive_by = bool(DEADLINE.search(q))
    q = _take_clock(q, u)
    q = _take_date(q, now, u)
    q = " ".join(q.replace(" ,", ",").split()).strip(" ,.?!")
    board = DEPARTURES.match(q)
    if board:
        u.kind, u.origin, u.arrive_by = "departures", _clean_name(board.group(1)), False
        return u
    q = re.sub(r"\b(?:je veux |i want to |i need to |comment |how do i |how to |aller |go |get |itineraire |"
               r"trajet |route |journey |partir |leave |leaving |arriver |arrive |arriving |be )", " ", q)
    q = " ".join(re.sub(r"\b(?:avant|before|by|apres|after|des|at|vers)\s*$", "", q).split())
    for pattern in FROM_TO:
        m = pattern.match(q)
        if m and _clean_name(m.group(1)) and _clean_name(m.group(2)):
            u.kind, u.origin, u.destination = "plan", _clean_name(m.group(1)), _clean_name(m.group(2))
            return u
    m = TO_FROM.match(q)
    if m and _clean_name(m.group(1)) and _clean_name(m.group(2)):
        u.kind, u.origin, u.destination = "plan", _clean_name(m.group(2)), _clean_name(m.group(1))
        return u
    m = TO_ONLY.match(q)
    if m and _clean_name(m.group(1)):
        u.kind, u.destination = "plan", _clean_name(m.group(1))
    return u


def _take_clock(q: str, u: Understanding) -> str:
    m = CLOCK.search(q)
    if not m:
        return q
    hour, minute = int(m.group(1)), int(m.group(3) or 0)
    meridian = m.group(4) or m.group(5)
    if meridian == "pm" and hour < 12:
        hour += 12
    elif meridian == "am" and hour == 12:
        hour = 0
    if not m.group(2) and not meridian:
        return q
    if hour > 23 or minute > 59:
        u.notes.append("time")
        return q
    u.seconds = hour * 3600 + minute * 60
    return (q[:m.start()] + " " + q[m.end():]).strip()


def _take_date(q: str, now: dt.datetime, u: Understanding) -> str:
    m = DATE_WORDS.search(q)
    if not m:
        return q
    words = m.group(0)
    base = now.replace(tzinfo=None)
    if words in ("ce soir", "tonight", "this evening"):
        u.date = base.date()
        if u.seconds is None:
            u.seconds = EVENING_S
    elif words in ("ce matin", "this morning", "cet apres midi", "cet apres-midi", "this afternoon"):
        u.date = base.date()
    else:
        asked = words.replace(" prochain", "").replace("aujourd hui", "aujourd'hui").replace("apres", "après")
        parsed = dateparser.parse(asked, languages=["fr", "en"],
                                  settings={"RELATIVE_BASE": base, "PREFER_DATES_FROM": "future"})
        if parsed is not None:
            day = parsed.date()
            if words.startswith("next ") or words.endswith(" prochain"):
                if day <= base.date():
                    day += dt.timedelta(days=7)
            u.date = day
    return (q[:m.start()] + " " + q[m.end():]).strip()
