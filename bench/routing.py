"""Routing decisions per second on the routing test table, against a naive substring loop run alongside.

Run: .venv/bin/python -m bench.routing [--seconds 2]
The baseline lower-cases the text and checks `keyword in text` for every keyword of every category,
takes the category with most hits and its default bureau: no rules, no fallbacks, no explanation.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from ticketing.config import PACKAGE_DATA
from ticketing.dataset import Dataset, load_dataset
from ticketing.routing import RoutingRequest, route

TABLE = Path(__file__).resolve().parent.parent / "tests" / "ticketing" / "routing_cases.yaml"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def load_requests() -> list[RoutingRequest]:
    """Return the routing table's rows as requests."""
    cases = yaml.safe_load(TABLE.read_text(encoding="utf-8"))["cases"]
    requests = []
    for case in cases:
        at = None
        if "at" in case:
            at = datetime.strptime(case["at"], "%Y-%m-%d %H:%M").replace(tzinfo=SHANGHAI)
        requests.append(RoutingRequest(case["text"], case.get("given"), case.get("street"), at))
    return requests


def naive_router(dataset: Dataset) -> Callable[[RoutingRequest], str]:
    """Return the baseline: count plain substring hits of every keyword, pick the top category's bureau."""
    keywords = [(code, [k.lower() for k in c.keywords]) for code, c in dataset.categories.items()]
    defaults = {code: c.default_bureau for code, c in dataset.categories.items()}

    def decide(request: RoutingRequest) -> str:
        text = request.text.lower()
        best, best_hits = None, 0
        for code, words in keywords:
            hits = sum(1 for word in words if word in text)
            if hits > best_hits:
                best, best_hits = code, hits
        return defaults[best] if best else dataset.triage_bureau

    return decide


def rate(decide: Callable[[RoutingRequest], object], requests: Sequence[RoutingRequest],
         seconds: float) -> float:
    """Return decisions per second of DECIDE over REQUESTS, repeated for about SECONDS."""
    done, started = 0, time.perf_counter()
    while True:
        for request in requests:
            decide(request)
        done += len(requests)
        elapsed = time.perf_counter() - started
        if elapsed >= seconds:
            return done / elapsed


def main() -> None:
    """Print decisions per second of the routing engine and of the naive baseline, interleaved twice."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="measuring time per run")
    args = parser.parse_args()
    dataset = load_dataset(PACKAGE_DATA / "futian")
    requests = load_requests()
    started = time.perf_counter()
    route(dataset, requests[0])  # builds and caches the keyword matchers
    warmup_ms = (time.perf_counter() - started) * 1000
    engine = lambda request: route(dataset, request)  # noqa: E731
    baseline = naive_router(dataset)
    keyword_count = sum(len(c.keywords) for c in dataset.categories.values())
    print(f"table: {len(requests)} texts; {len(dataset.categories)} categories, {keyword_count} keywords, "
          f"{len(dataset.rules)} rules; first decision (builds matchers) {warmup_ms:.1f} ms")
    runs = []
    for round_ in (1, 2):  # interleaved so that both see the same machine load
        ours, theirs = rate(engine, requests, args.seconds), rate(baseline, requests, args.seconds)
        runs.append((ours, theirs))
        print(f"round {round_}: route() {ours:,.0f} decisions/s   "
              f"naive substring loop {theirs:,.0f} decisions/s   ratio {ours / theirs:.2f}")
    ours, theirs = (max(r[0] for r in runs), max(r[1] for r in runs))
    print(f"best: route() {ours:,.0f}/s ({1e6 / ours:.1f} µs each), baseline {theirs:,.0f}/s "
          f"({1e6 / theirs:.1f} µs each), ratio route/baseline {ours / theirs:.2f}")


if __name__ == "__main__":
    main()
