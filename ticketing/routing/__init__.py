"""Routing engine: suggest a category from free text and route a request to a bureau by ordered rules."""

from ticketing.routing.engine import (
    Reason,
    RoutingDecision,
    RoutingError,
    RoutingRequest,
    describe,
    name_in,
    prepare,
    route,
    segment,
    urgency_text,
)
from ticketing.routing.keywords import KeywordMatcher, normalise
from ticketing.routing.suggest import CategorySuggestion, suggest_category

__all__ = [
    "CategorySuggestion",
    "KeywordMatcher",
    "Reason",
    "RoutingDecision",
    "RoutingError",
    "RoutingRequest",
    "describe",
    "name_in",
    "normalise",
    "prepare",
    "route",
    "segment",
    "suggest_category",
    "urgency_text",
]
