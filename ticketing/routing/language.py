"""Which language an API answer is written in: a `lang` parameter, else the Accept-Language header."""

from __future__ import annotations

LANGUAGES = ("zh", "en")  # the languages explanations are written in (as the console's)
DEFAULT = "en"  # an API client that asks for none gets the English it always got


def from_accept_language(header: str | None) -> str | None:
    """Return the supported language the header prefers most (zh-CN, zh;q=0.9, en-US...), None if none.

    A malformed part is skipped, never an error: the header is a preference, not an order.
    """
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in LANGUAGES:
            continue
        weight = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if weight > 0:
            ranked.append((-weight, index, primary))
    return min(ranked)[2] if ranked else None


def pick(lang: str | None, accept_language: str | None) -> str:
    """Return the language to answer in: LANG when given (checked by the route), else the header's."""
    return lang or from_accept_language(accept_language) or DEFAULT
