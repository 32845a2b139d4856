"""Caller numbers: normalise what residents and Asterisk give us to E.164 (region CN by default)."""

from __future__ import annotations

from functools import lru_cache

import phonenumbers

DEFAULT_REGION = "CN"


class InvalidPhone(ValueError):
    """A phone number that does not parse or is not a valid number."""


@lru_cache(maxsize=4096)  # the same callers come back; a parse and validity check costs ~20 µs
def normalize_phone(raw: str, region: str = DEFAULT_REGION) -> str:
    """Return `raw` (e.g. '13800138000', '0755-83212345', '+8613800138000') in E.164 form.

    Results are kept (a pure function of its arguments; a number that does not parse raises, uncached).
    """
    text = (raw or "").strip()
    if not text:
        raise InvalidPhone("phone number is empty")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as err:
        raise InvalidPhone(f"phone number {raw!r} does not parse: {err}") from err
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(f"phone number {raw!r} is not a valid number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def national_phone(e164: str, region: str = DEFAULT_REGION) -> str:
    """Return a stored E.164 number as people write it at home (+8613800138000 -> 138 0013 8000)."""
    try:
        number = phonenumbers.parse(e164, region)
    except phonenumbers.NumberParseException:
        return e164
    if phonenumbers.region_code_for_number(number) != region:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
