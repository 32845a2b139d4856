"""Personal data of residents: who sees it unmasked, and the masked forms (138****8000, 王**)."""

from __future__ import annotations

from typing import Any

# Roles holding the unmask right; bureau clerks see masked numbers and names.
UNMASK_ROLES = frozenset({"agent", "dispatcher", "supervisor", "admin", "system"})


def may_unmask(role: str) -> bool:
    """Tell whether ROLE may see a resident's full phone number and name."""
    return role in UNMASK_ROLES


def mask_phone(phone: str | None) -> str:
    """Return the phone with its middle hidden: +8613800138000 -> 138****8000 (landlines keep the area)."""
    if not phone:
        return ""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if phone.startswith("+86"):
        national = digits[2:]
        digits = national if national.startswith("1") else "0" + national
    if len(digits) <= 4:
        return "*" * len(digits)
    keep_head = 3 if digits.startswith("1") else 4 if digits.startswith("0") else min(3, len(digits) - 4)
    keep_head = min(keep_head, max(len(digits) - 4 - 1, 0))
    return digits[:keep_head] + "*" * (len(digits) - keep_head - 4) + digits[-4:]


def mask_name(name: str | None) -> str:
    """Return the name's first character and stars for the rest (王先生 -> 王**)."""
    text = (name or "").strip()
    if not text:
        return ""
    return text[0] + "*" * max(len(text) - 1, 1)


def masked_for(role: str, read: Any) -> Any:
    """Return a case read model with phone and name masked unless ROLE holds the unmask right."""
    if may_unmask(role):
        return read
    return read.model_copy(update={"caller_phone": mask_phone(read.caller_phone) or None,
                                   "caller_name": mask_name(read.caller_name)})
