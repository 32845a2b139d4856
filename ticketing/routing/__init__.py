"""Routing engine: suggest a category from free text and route a request to a bureau by ordered rules."""

from ticketing.routing.engine import RoutingDecision, RoutingError, RoutingRequest, prepare, route, segment
from ticketing.routing.keywords import KeywordMatcher, normalise
from ticketing.routing.suggest import CategorySuggestion, suggest_category

__all__ = [
    "CategorySuggestion",
    "KeywordMatcher",
    "RoutingDecision",
    "RoutingError",
    "RoutingRequest",
    "normalise",
    "prepare",
    "route",
    "segment",
    "suggest_category",
]
