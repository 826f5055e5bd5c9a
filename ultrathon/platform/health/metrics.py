"""GET /metrics in the Prometheus text format: gauges read at scrape time, counters from Redis."""

from __future__ import annotations

from ipaddress import ip_address

from flask import current_app, request
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

from .. import telemetry
from ..extensions import db
from ..models import Submission, SubmissionStatus
from ..queueing import WORKER_QUEUES, get_queue, get_redis

COUNTERS = {  # telemetry name -> (metric name, help, label names)
    "scoring_failures": ("ultrathon_scoring_failures", "Submissions that ended failed, by reason", ["reason"]),
    "agent_leases": ("ultrathon_agent_leases", "Jobs leased by scoring agents", ["agent"]),
    "agent_heartbeats": ("ultrathon_agent_heartbeats", "Lease heartbeats from scoring agents", ["agent"]),
    "leaderboard_cache": ("ultrathon_leaderboard_cache", "Leaderboard cache lookups, by result", ["result"]),
}


FORWARDING_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-IP")


def metrics_allowed() -> bool:
    """Return whether this request may read /metrics: an allow-listed address or the bearer token."""
    settings = current_app.config["ULTRATHON"]
    token = settings.metrics_token
    sent = request.headers.get("Authorization", "")
    if token and sent.startswith("Bearer ") and _same(sent.removeprefix("Bearer ").strip(), token):
        return True
    if any(request.headers.get(h) for h in FORWARDING_HEADERS):
        return False  # relayed by a proxy: its address says nothing of the caller, so only the token will do
    try:
        caller = ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(caller == ip_address(allowed) for allowed in settings.metrics_allow)


def _same(a: str, b: str) -> bool:
    import hmac

    return hmac.compare_digest(a.encode(), b.encode())


class PlatformCollector:
    """Read the platform's figures once per scrape."""

    def collect(self):
        """Yield every metric family."""
        depth = GaugeMetricFamily("ultrathon_queue_depth", "Jobs waiting, per queue", labels=["queue"])
        redis = get_redis()
        for name in WORKER_QUEUES:
            depth.add_metric([name], get_queue(redis, name).count)
        depth.add_metric(["agent"], _agent_waiting())
        yield depth
        counters, latency = telemetry.totals()
        families = {key: CounterMetricFamily(name, text, labels=labels) for key, (name, text, labels) in COUNTERS.items()}
        for key, amount in sorted(counters.items()):
            name, *pairs = key.split("|")
            if name in families:
                labels = dict(pair.split("=", 1) for pair in pairs)
                families[name].add_metric([labels.get(label, "") for label in COUNTERS[name][2]], amount)
        yield from families.values()
        yield _histogram(latency)


def _agent_waiting() -> int:
    from ..agents.challenges import agent_challenge_ids

    waiting = db.session.execute(
        db.select(db.func.count()).select_from(Submission)
        .where(Submission.status == SubmissionStatus.QUEUED.value, Submission.challenge_id.in_(agent_challenge_ids()))
    ).scalar_one()
    db.session.rollback()
    return int(waiting)


def _histogram(latency: dict[str, int]) -> HistogramMetricFamily:
    running, buckets = 0, []
    for edge in (*map(str, telemetry.LATENCY_BUCKETS), "+Inf"):
        running += latency.get(edge, 0)
        buckets.append((edge, running))
    return HistogramMetricFamily("ultrathon_upload_to_scored_seconds", "Seconds from upload to a stored score",
                                 buckets=buckets, sum_value=latency.get("sum_ms", 0) / 1000)


def exposition() -> bytes:
    """Return the scrape body."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(PlatformCollector())
    return generate_latest(registry)
