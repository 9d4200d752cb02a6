"""How many SMS parts a body costs, by the rules phones and operators actually apply.

An SMS carries 140 bytes of user data. Text that fits the GSM 03.38 7-bit alphabet travels as
GSM-7 (160 septets in one message); anything else travels as UCS-2 (70 UTF-16 code units). A longer
text is split into concatenated parts, and each part gives up 6 bytes to the concatenation header:
153 septets or 67 code units per part.

Two details decide edge cases and are honoured here:

- Characters from the GSM-7 *extension table* (``^ { } \\ [ ~ ] | €`` and form feed) are sent as an
  escape plus the character, so they cost two septets, and the pair is never split across parts.
- Characters outside the Basic Multilingual Plane (most emoji) are two UTF-16 code units, a
  surrogate pair, and the pair is never split across parts either.

So parts are counted by filling each part greedily, not by ``ceil(length / 153)``: 152 plain letters,
a ``€`` and 152 more letters are 306 septets, yet need three parts.

Persian text is always UCS-2. A marketing message carries the «لغو۱۱» footer and is therefore always
UCS-2 as well.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from domain.errors import DomainError

Encoding = Literal["GSM-7", "UCS-2"]

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
"""The GSM 03.38 default alphabet (one septet each). The escape code 0x1B itself is not text."""

GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")
"""The GSM 03.38 extension table: escape + character, two septets each."""

GSM7_SINGLE, GSM7_PER_PART = 160, 153
UCS2_SINGLE, UCS2_PER_PART = 70, 67


@dataclass(frozen=True)
class SmsParts:
    """The encoding a body travels in, its length in that encoding's units, and the parts it costs.

    ``characters`` counts septets for GSM-7 (extension characters count two) and UTF-16 code units
    for UCS-2 (characters outside the BMP count two): the units the limits are expressed in.
    """

    encoding: Encoding
    characters: int
    parts: int


def is_gsm7(body: str) -> bool:
    """True when every character of ``body`` can be sent in the GSM-7 alphabet."""
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in body)


def count_parts(body: str) -> SmsParts:
    """Count the parts ``body`` costs. An empty body is not a message: ``DomainError("EMPTY_MESSAGE")``."""
    if not body:
        raise DomainError("EMPTY_MESSAGE", "The message is empty.", field="body")
    if is_gsm7(body):
        units = [2 if ch in GSM7_EXTENSION else 1 for ch in body]
        return SmsParts("GSM-7", sum(units), _fill(units, GSM7_SINGLE, GSM7_PER_PART))
    units = [2 if ord(ch) > 0xFFFF else 1 for ch in body]
    return SmsParts("UCS-2", sum(units), _fill(units, UCS2_SINGLE, UCS2_PER_PART))


def _fill(units: Iterable[int], single: int, per_part: int) -> int:
    """Parts needed for characters of the given unit sizes, never splitting one character."""
    sizes = list(units)
    if sum(sizes) <= single:
        return 1
    parts, used = 1, 0
    for size in sizes:
        if used + size > per_part:
            parts, used = parts + 1, 0
        used += size
    return parts
