"""Coupon codes: how they are written, compared and drawn.

A code is a prefix the owner chooses (``YALDA-``, optional) and a random part drawn with
:mod:`secrets` from an alphabet a person reads aloud and types without doubt: digits 2–9 and the
capital letters without O and I (so no 0/O or 1/I mix-ups), 32 symbols, 5 bits each. Codes are
compared without regard to case (WooCommerce lower-cases what shoppers type), with Persian and Arabic
digits read as ASCII, and stored normalised: upper case, trimmed.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from typing import Final

from domain.errors import DomainError
from domain.text import identifier_problem

ALPHABET: Final = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
"""The random part's symbols: no 0, O, 1 or I."""
RANDOM_LENGTH: Final = 8
"""Symbols in a code's random part: 32⁸ ≈ 1.1 × 10¹² codes, so a store's 100,000 codes collide about
once in 200 draws of them all; a collision is drawn again."""
MAX_CODE_LENGTH: Final = 64
MAX_PREFIX_LENGTH: Final = 12
PREFIX_PATTERN: Final = re.compile(rf"^[A-Z0-9-]{{0,{MAX_PREFIX_LENGTH}}}$")
"""A prefix the owner types: letters, digits and hyphens (their own word, so any letter is fine)."""

_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "0123456789" * 2)
# 256 is a multiple of 32, so a random byte taken modulo 32 picks every symbol with the same chance.
_BYTE_TO_SYMBOL: Final = bytes(ord(ALPHABET[value % len(ALPHABET)]) for value in range(256))


def normalise(code: str, *, field: str = "code") -> str:
    """``" yalda-7kx3 "`` → ``"YALDA-7KX3"``: trimmed, NFKC, Persian/Arabic digits as ASCII, upper case.

    Raises ``INVALID`` (naming ``field``) for a blank code, one over :data:`MAX_CODE_LENGTH` characters
    or one carrying control characters.
    """
    problem = identifier_problem(code)
    if problem:
        raise DomainError("INVALID", f"{field}: {problem}.", field=field)
    cleaned = unicodedata.normalize("NFKC", code).translate(_DIGITS).strip().upper()
    if not cleaned or len(cleaned) > MAX_CODE_LENGTH:
        raise DomainError("INVALID", f"A coupon code is 1 to {MAX_CODE_LENGTH} characters.", field=field)
    return cleaned


def normalise_prefix(prefix: str, *, field: str = "codePrefix") -> str:
    """The owner's prefix in upper case; ``INVALID`` unless letters, digits and hyphens, at most 12."""
    cleaned = prefix.strip().upper()
    if not PREFIX_PATTERN.fullmatch(cleaned):
        raise DomainError(
            "INVALID",
            f"A code prefix is up to {MAX_PREFIX_LENGTH} letters, digits and hyphens.",
            field=field,
        )
    return cleaned


def draw(count: int, *, prefix: str = "", length: int = RANDOM_LENGTH) -> list[str]:
    """``count`` fresh codes ``prefix`` + ``length`` random symbols (unique among themselves; whether
    they are free in the store is for the insert to find out)."""
    drawn: set[str] = set()
    while len(drawn) < count:
        missing = count - len(drawn)
        symbols = secrets.token_bytes(missing * length).translate(_BYTE_TO_SYMBOL).decode()
        drawn.update(prefix + symbols[i : i + length] for i in range(0, len(symbols), length))
    return list(drawn)
