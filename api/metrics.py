"""Prometheus metrics of one app: requests, latency, and the routing work done."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class Metrics:
    """One registry per app, so several apps (tests) never clash."""

    def __init__(self):
        self.registry = CollectorRegistry()
        self.requests = Counter("trajet_requests", "HTTP requests answered", ["endpoint", "status"],
                                registry=self.registry)
        self.latency = Histogram("trajet_request_seconds", "Time to answer a request", ["endpoint"],
                                 buckets=LATENCY_BUCKETS, registry=self.registry)
        self.work = Counter("trajet_routing_work", "Work of the routing kernel", ["counter"], registry=self.registry)
        self.cpu = Counter("trajet_routing_cpu_seconds", "Thread CPU time spent planning", registry=self.registry)
        self._children: dict[tuple, object] = {}  # labelled series, looked up once

    def watch(self, backlog, live) -> None:
        """Gauges read when scraped: the routing queue (billing.accounting.Backlog) and the
        reloads of the feeds (service.reload.LiveNetwork)."""
        for name, text, read in [
            ("trajet_routing_jobs", "Routing jobs running or waiting", lambda: backlog.n),
            ("trajet_routing_expected_wait_seconds", "Expected wait of a new routing job", backlog.expected_wait_s),
            ("trajet_timetable_swaps", "Timetables swapped in by reloads since start", lambda: live.n_swaps),
            ("trajet_reload_failed", "1 when the last reload of the feeds failed",
             lambda: live.status["state"] == "failed"),
        ]:
            Gauge(name, text, registry=self.registry).set_function(read)

    def _child(self, metric, *labels):
        key = (metric._name, *labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child

    def observe_request(self, endpoint: str, status: int, seconds: float) -> None:
        self._child(self.requests, endpoint, str(status)).inc()
        self._child(self.latency, endpoint).observe(seconds)

    def observe_plan(self, work: dict, cpu_s: float) -> None:
        for name, value in work.items():
            self._child(self.work, name).inc(value)
        self.cpu.inc(cpu_s)

    def exposition(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
