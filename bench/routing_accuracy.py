"""Routing accuracy on held-out texts written before tuning (tests/ticketing/routing_heldout.yaml).

Run: .venv/bin/python -m bench.routing_accuracy [--show-misses] [--file OTHER_HELD_OUT.yaml]
Prints the share of texts sent to the expected bureau, the share whose urgency was right, and the misses.
The table tests never read this file: it measures how routing does on complaints it was not tuned on.
"""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from ticketing.config import PACKAGE_DATA
from ticketing.dataset import load_dataset
from ticketing.routing import RoutingRequest, route

HELD_OUT = Path(__file__).resolve().parent.parent / "tests" / "ticketing" / "routing_heldout.yaml"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def evaluate(rows: list[dict]) -> tuple[list[tuple[dict, str, bool]], int, int]:
    """Return (row, bureau, urgent) per row, the count of right bureaus and of right urgency flags."""
    dataset = load_dataset(PACKAGE_DATA / "futian")
    results, bureaus_right, urgency_right = [], 0, 0
    for row in rows:
        at = datetime.strptime(row["at"], "%Y-%m-%d %H:%M").replace(tzinfo=SHANGHAI) if "at" in row else None
        decision = route(dataset, RoutingRequest(row["text"], street=row.get("street"), at=at))
        bureaus_right += decision.bureau == row["bureau"]
        urgency_right += decision.urgent == row.get("urgent", False)
        results.append((row, decision.bureau, decision.urgent))
    return results, bureaus_right, urgency_right


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--show-misses", action="store_true")
    parser.add_argument("--file", type=Path, default=HELD_OUT,
                        help="held-out texts (default: tests/ticketing/routing_heldout.yaml; a second set: "
                             "tests/ticketing/routing_heldout_desk12.yaml)")
    args = parser.parse_args()
    rows = yaml.safe_load(args.file.read_text(encoding="utf-8"))["texts"]
    results, bureaus_right, urgency_right = evaluate(rows)
    urgent_rows = [r for r in results if r[0].get("urgent")]
    urgent_found = sum(1 for _, _, urgent in urgent_rows if urgent)
    print(f"held-out texts: {len(rows)}")
    print(f"right bureau:   {bureaus_right}/{len(rows)} = {bureaus_right / len(rows):.1%}")
    print(f"right urgency:  {urgency_right}/{len(rows)} = {urgency_right / len(rows):.1%} "
          f"(urgent texts flagged: {urgent_found}/{len(urgent_rows)})")
    if args.show_misses:
        for row, bureau, urgent in results:
            if bureau != row["bureau"] or urgent != row.get("urgent", False):
                print(f"  {row['text']}: got {bureau}{' urgent' if urgent else ''}, "
                      f"expected {row['bureau']}{' urgent' if row.get('urgent') else ''}")


if __name__ == "__main__":
    main()
