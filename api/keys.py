"""What the application holds, by typed key (aiohttp AppKey)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from aiohttp import web

from trajet.billing.accounting import Backlog
from trajet.billing.config import Config
from trajet.billing.ledger import Ledger
from trajet.service.network import Network
from trajet.service.params import MAX_SEARCH_WINDOW_S
from trajet.service.reload import LiveNetwork

from .metrics import Metrics


@dataclass(frozen=True)
class ServiceConfig:
    workers: int = 2  # routing threads
    # a routing job is admitted when those ahead of it are expected to be done within
    # max_queue_wait_s (at their kinds' typical durations), else 503 busy; max_pending
    # bounds their count whatever the estimate (billing.accounting.Backlog)
    max_queue_wait_s: float = 2.0
    max_pending: int = 1024
    time_budget_s: float = 10.0  # a plan request answers 503 past this
    # routing seconds of a travel-time map or a matrix: past them it answers what it found,
    # flagged partial (below time_budget_s, past which any request answers 503)
    analysis_budget_s: float = 5.0
    gzip_min_bytes: int = 1024
    metering: bool = True  # off only to measure what metering itself costs (benchmarks)
    max_search_window_s: int = MAX_SEARCH_WINDOW_S  # the largest searchWindow a plan may ask
    headers_timeout_s: float = 10.0  # a connection whose request headers take longer is closed (408)
    body_timeout_s: float = 30.0  # a request body that takes longer to arrive is refused (408)
    upload_timeout_s: float = 600.0  # the same for a feed uploaded by an admin
    keepalive_timeout_s: float = 75.0  # an idle kept-alive connection is closed after this


LIVE = web.AppKey("live", LiveNetwork)  # the network served, replaced by reloads
NETWORK = web.RequestKey("network", Network)  # the network a request started on, which answers it
CONFIG = web.AppKey("config", ServiceConfig)
EXECUTOR = web.AppKey("executor", ThreadPoolExecutor)
BACKLOG = web.AppKey("backlog", Backlog)  # routing jobs in flight, abandoned ones included
METRICS = web.AppKey("metrics", Metrics)
SETUP = web.AppKey("setup", Config)  # territories, keys, cost model
LEDGER = web.AppKey("ledger", Ledger)
