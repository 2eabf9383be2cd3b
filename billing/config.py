"""Service configuration (TOML): territories, API keys, the cost model and the ledger.

Without a file: one territory ("default", every feed) and anonymous access. A malformed
file raises ConfigError naming the key and, where it can be found, its line.

    [ledger]
    path = "ledger.sqlite"          # default: $TRAJET_LEDGER, else ./trajet-ledger.sqlite
    batch_size = 500                # requests written per transaction at most
    flush_seconds = 1.0             # a batch waits at most this long

    [costs]
    eur_per_cpu_hour = 0.05
    eur_per_gb = 0.09
    instances = 1
    [costs.fixed_monthly_eur]       # fixed costs of the deployment, per month
    hosting = 40
    operations = 400

    [access]
    anonymous = true                # requests without X-Api-Key allowed (as "anonymous")
    cors_origins = ["*"]            # the web origins whose pages may call the API ("https://app.example.org")

    [text]                          # the text channel's webhook (POST /v1/text, a gateway's form)
    twilio_auth_token = "..."       # verify X-Twilio-Signature (HMAC-SHA1 of the URL and the fields)
    hmac_secret = "..."             # or verify X-Signature-256: sha256=<hex HMAC-SHA256 of the body>
    webhook_url = "https://..."     # the URL the gateway calls, as set there (default: as this server sees it)

    [dashboard]
    public = false                  # true: GET /dashboard without an admin key

    [page]                          # the traveller page (GET /) and departure boards (GET /stop/...)
    key = "page-key-change-me"      # with anonymous = false: a declared client key the server writes
                                    # into the pages, public, its quota bounding what they may spend

    [funding]                       # the metered-API model
    free_monthly_requests = 10000   # per key
    price_per_1000_eur = 0.5        # beyond the free quota

    [[territories]]
    name = "helsinki"
    population = 656000
    annual_journeys = 380000000     # public-transport journeys or ticket validations a year
    annual_budget_eur = 30000       # optional
    feeds = ["helsinki"]

    [[keys]]
    key = "change-me"               # or its SHA-256, "sha256:" and 64 hex digits (`trajet key-hash KEY`):
                                    # the file then holds no secret, and the ledger records the hash
    owner = "helsinki"
    owner_kind = "territory"        # territory | app | operator
    territory = "helsinki"          # whose bill its requests go to (default: owner if a territory, else the first)
    role = "admin"                  # client | admin
    monthly_quota = 0               # requests a month, 0 = no limit

`trajet serve` refuses a configuration with a key containing "change-me" (those of the
examples, which are public) unless started with --dev, for a development machine.
"""

from __future__ import annotations

import hashlib
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ANONYMOUS = "anonymous"


class ConfigError(ValueError):
    """A configuration that cannot be used; the message names the file, key and line."""


@dataclass(frozen=True)
class Territory:
    name: str
    population: int
    annual_journeys: int
    annual_budget_eur: float | None
    feeds: tuple[str, ...]


@dataclass(frozen=True)
class ApiKey:
    key: str
    owner: str
    owner_kind: str
    territory: str
    role: str
    monthly_quota: int
    rate_per_second: float = 0.0  # requests a second on average, 0 = no limit (a token bucket: RateLimits)
    burst: int = 1  # requests at once beyond the rate


@dataclass(frozen=True)
class CostModel:
    eur_per_cpu_hour: float = 0.05  # a cloud vCPU-hour, order of magnitude in 2026
    eur_per_gb: float = 0.09  # internet egress of a cloud provider
    fixed_monthly_eur: dict[str, float] = field(default_factory=lambda: {"hosting": 40.0, "operations": 400.0})
    instances: int = 1

    @property
    def fixed_monthly_total(self) -> float:
        return sum(self.fixed_monthly_eur.values()) * self.instances

    def variable_eur(self, cpu_s: float, n_bytes: int) -> float:
        return cpu_s / 3600 * self.eur_per_cpu_hour + n_bytes / 1e9 * self.eur_per_gb


@dataclass(frozen=True)
class Config:
    territories: tuple[Territory, ...]
    keys: dict[str, ApiKey]
    costs: CostModel
    ledger_path: Path
    batch_size: int = 500
    flush_seconds: float = 1.0
    allow_anonymous: bool = True
    free_monthly_requests: int = 10_000
    price_per_1000_eur: float = 0.5
    dashboard_public: bool = False  # the funders' dashboard open to all, not only admin keys
    page_key: str | None = None  # the client key the traveller page's requests carry (public: written into it)
    cors_origins: tuple[str, ...] = ("*",)  # web origins allowed to read the API's answers; "*" any
    webhook: WebhookSecrets | None = None  # how text-channel webhooks are authenticated (None: they are not)

    @property
    def default_territory(self) -> str:
        return self.territories[0].name

    def find_key(self, presented: str | None) -> "ApiKey | None":
        """The key a request presents (X-Api-Key), declared as such or by its SHA-256."""
        if not presented:
            return None
        return self.keys.get(presented) or self.keys.get(key_hash(presented))

    def example_keys(self) -> list[str]:
        """Owners of the keys that are examples (containing "change-me"), public by nature."""
        return [k.owner for value, k in self.keys.items() if EXAMPLE_MARK in value]

    def territory(self, name: str) -> Territory:
        return next(t for t in self.territories if t.name == name)


@dataclass(frozen=True)
class WebhookSecrets:
    """What a text gateway signs its webhooks with (api/signatures.py checks them)."""

    twilio_auth_token: str | None = None
    hmac_secret: str | None = None
    url: str | None = None  # the public URL the gateway calls (a proxy may show this server another)


EXAMPLE_MARK = "change-me"
ORIGIN = re.compile(r"https?://[^/\s?#]+")
HASHED = re.compile(r"sha256:[0-9a-f]{64}")


def key_hash(key: str) -> str:
    """How a key is declared without writing it: "sha256:" and its SHA-256 in hex."""
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def default_ledger_path() -> Path:
    return Path(os.environ.get("TRAJET_LEDGER", "trajet-ledger.sqlite"))


def default_config(feeds: list[str]) -> Config:
    """One territory with every feed, anonymous access, default costs."""
    return Config((Territory("default", 0, 0, None, tuple(feeds)),), {}, CostModel(), default_ledger_path())


def _line_of(text: str, key: str, start: int = 0) -> int | None:
    k = re.escape(key)
    match = re.compile(rf"^[ \t]*(?:{k}[ \t]*=|\[\[?[ \t]*{k}[ \t]*\]\]?)", re.M).search(text, start)  # key = or [key]
    return text.count("\n", 0, match.start()) + 1 if match else None


class _Reader:
    """Typed access to one table of the file, with errors naming the key and its line."""

    def __init__(self, path: Path, text: str, table: dict, where: str, anchor: int = 0):
        self.path, self.text, self.table, self.where, self.anchor = path, text, table, where, anchor

    def fail(self, key: str, problem: str):
        line = _line_of(self.text, key, self.anchor)
        at = f":{line}" if line else ""
        raise ConfigError(f"{self.path}{at}: {self.where}{key}: {problem}")

    def get(self, key: str, kind, default=..., check=None):
        if key not in self.table:
            if default is ...:
                raise ConfigError(f"{self.path}: {self.where.rstrip('.') or 'top level'} lacks {key!r}")
            return default
        value = self.table[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if isinstance(value, bool) and bool not in kinds or not isinstance(value, kinds):
            self.fail(key, f"expected {' or '.join(k.__name__ for k in kinds)}, got {value!r}")
        if check is not None and not check(value):
            self.fail(key, f"value {value!r} is not allowed")
        return value


def load_config(path: str | os.PathLike, feeds: list[str] | None) -> Config:
    """Read and check a TOML configuration; `feeds` are the loaded feed names (None: not checked)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except OSError as e:
        raise ConfigError(f"{path}: cannot read: {e.strerror or e}") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from None
    known = {"ledger", "costs", "access", "funding", "dashboard", "page", "text", "territories", "keys"}
    for key in data:
        if key not in known:
            _Reader(path, text, data, "").fail(key, f"unknown section (known: {', '.join(sorted(known))})")

    ledger = _Reader(path, text, data.get("ledger", {}), "ledger.")
    funding = _Reader(path, text, data.get("funding", {}), "funding.")
    costs_table = data.get("costs", {})
    costs = _Reader(path, text, costs_table, "costs.")
    fixed = costs.get("fixed_monthly_eur", dict, {"hosting": 40.0, "operations": 400.0})
    for name, value in fixed.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            _Reader(path, text, fixed, "costs.fixed_monthly_eur.").fail(name, f"expected euros >= 0, got {value!r}")
    cost_model = CostModel(
        eur_per_cpu_hour=float(costs.get("eur_per_cpu_hour", (int, float), 0.05, lambda v: v >= 0)),
        eur_per_gb=float(costs.get("eur_per_gb", (int, float), 0.09, lambda v: v >= 0)),
        fixed_monthly_eur={k: float(v) for k, v in fixed.items()},
        instances=costs.get("instances", int, 1, lambda v: v >= 1),
    )

    territories = []
    for i, table in enumerate(data.get("territories", [])):
        anchor = _nth_header(text, "territories", i)
        t = _Reader(path, text, table, f"territories[{i}].", anchor)
        names = t.get("feeds", list, list(feeds or []))
        for name in names:
            if feeds is not None and name not in feeds:
                t.fail("feeds", f"feed {name!r} is not loaded (loaded: {', '.join(feeds)})")
        territories.append(Territory(
            name=t.get("name", str),
            population=t.get("population", int, 0, lambda v: v >= 0),
            annual_journeys=t.get("annual_journeys", int, 0, lambda v: v >= 0),
            annual_budget_eur=t.get("annual_budget_eur", (int, float), None, lambda v: v >= 0),
            feeds=tuple(names),
        ))
    if not territories:
        territories.append(Territory("default", 0, 0, None, tuple(feeds or [])))
    names = [t.name for t in territories]
    if len(set(names)) != len(names):
        raise ConfigError(f"{path}: two territories share a name")

    keys: dict[str, ApiKey] = {}
    for i, table in enumerate(data.get("keys", [])):
        k = _Reader(path, text, table, f"keys[{i}].", _nth_header(text, "keys", i))
        kind = k.get("owner_kind", str, "app", lambda v: v in ("territory", "app", "operator"))
        owner = k.get("owner", str)
        default_territory = owner if kind == "territory" else territories[0].name
        territory = k.get("territory", str, default_territory, lambda v: v in names)
        if kind == "territory" and owner not in names:
            k.fail("owner", f"territory {owner!r} is not declared")
        value = k.get("key", str, check=lambda v: len(v) >= 8)
        if value.startswith("sha256:") and not HASHED.fullmatch(value):
            k.fail("key", "a hashed key is sha256: and 64 lowercase hex digits (trajet key-hash KEY)")
        if value in keys or key_hash(value) in keys or value in {key_hash(v) for v in keys} or value == ANONYMOUS:
            k.fail("key", "declared twice (or reserved)")
        rate = float(k.get("rate_per_second", (int, float), 0, lambda v: v >= 0))
        keys[value] = ApiKey(value, owner, kind, territory,
                             k.get("role", str, "client", lambda v: v in ("client", "admin")),
                             k.get("monthly_quota", int, 0, lambda v: v >= 0), rate,
                             k.get("burst", int, max(1, round(2 * rate)), lambda v: v >= 1))
    page = _Reader(path, text, data.get("page", {}), "page.", max(text.find("[page]"), 0))
    page_key = page.get("key", str, None)
    declared = keys.get(page_key) or keys.get(key_hash(page_key)) if page_key is not None else None
    if page_key is not None and declared is None:
        page.fail("key", "is not a declared key ([[keys]])")
    if declared is not None and declared.role != "client":
        page.fail("key", "is written into a public page: it must be a client key, never an admin key")
    access = _Reader(path, text, data.get("access", {}), "access.", max(text.find("[access]"), 0))
    origins = access.get("cors_origins", list, ["*"])
    for origin in origins:
        if not (origin == "*" or isinstance(origin, str) and ORIGIN.fullmatch(origin)):
            access.fail("cors_origins", f"{origin!r} is not \"*\" nor an origin such as \"https://app.example.org\" "
                                        "(scheme and host, no path)")
    hooks = _Reader(path, text, data.get("text", {}), "text.", max(text.find("[text]"), 0))
    for name in set(data.get("text", {})) - {"twilio_auth_token", "hmac_secret", "webhook_url"}:
        hooks.fail(name, "unknown key (known: twilio_auth_token, hmac_secret, webhook_url)")
    secrets = WebhookSecrets(hooks.get("twilio_auth_token", str, None, bool), hooks.get("hmac_secret", str, None, bool),
                             hooks.get("webhook_url", str, None, lambda v: v.startswith(("http://", "https://"))))
    return Config(
        territories=tuple(territories),
        keys=keys,
        costs=cost_model,
        ledger_path=Path(ledger.get("path", str, str(default_ledger_path()))),
        batch_size=ledger.get("batch_size", int, 500, lambda v: v >= 1),
        flush_seconds=float(ledger.get("flush_seconds", (int, float), 1.0, lambda v: v > 0)),
        allow_anonymous=access.get("anonymous", bool, True),
        free_monthly_requests=funding.get("free_monthly_requests", int, 10_000, lambda v: v >= 0),
        price_per_1000_eur=float(funding.get("price_per_1000_eur", (int, float), 0.5, lambda v: v >= 0)),
        dashboard_public=_Reader(path, text, data.get("dashboard", {}), "dashboard.").get("public", bool, False),
        page_key=page_key,
        cors_origins=tuple(origins),
        webhook=secrets if secrets.twilio_auth_token or secrets.hmac_secret else None,
    )


def _nth_header(text: str, table: str, n: int) -> int:
    """Offset of the n-th [[table]] header, so a key's line is looked for after it."""
    headers = [m.start() for m in re.finditer(rf"^[ \t]*\[\[[ \t]*{table}[ \t]*\]\]", text, re.M)]
    return headers[n] if n < len(headers) else 0
