"""List filters whose values come from a fixed vocabulary: an unknown value is INVALID, never ignored."""

from __future__ import annotations

from collections.abc import Iterable

from domain.errors import DomainError


def one_of(value: str | None, allowed: Iterable[str], *, field: str, prefix: str = "") -> str | None:
    """``value`` lower-cased (and without ``prefix``) if it is one of ``allowed``; None stays None.

    Anything else raises ``INVALID`` on ``field``, naming the allowed values, so a typo never answers an
    empty list that looks like "nothing matched".
    """
    if value is None:
        return None
    choices = list(allowed)
    cleaned = value.strip().lower().removeprefix(prefix)
    if cleaned not in choices:
        shown = value if len(value) <= 40 else value[:40] + "…"
        raise DomainError("INVALID", f"{field} {shown!r} is not one of: {', '.join(choices)}.", field=field)
    return cleaned
