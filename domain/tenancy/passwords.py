"""Password strength: long enough, not blank, and hard to guess by zxcvbn's estimate."""

from __future__ import annotations

from collections.abc import Iterable

from zxcvbn import zxcvbn

from domain.errors import DomainError

MIN_LENGTH = 10
DEFAULT_MIN_SCORE = 3  # zxcvbn: 3 is "safely unguessable", 4 "very unguessable"
# zxcvbn refuses to judge more than 72 characters (its cost grows with length); a longer password is
# judged by its first 72, which are long enough to tell.
_JUDGED_LENGTH = 72


def ensure_strong(
    password: str, *, user_inputs: Iterable[str] = (), min_score: int = DEFAULT_MIN_SCORE
) -> None:
    """Refuse a password that is blank, shorter than ``MIN_LENGTH`` or scores below ``min_score``.

    ``user_inputs`` are words the person is known by (e-mail, name), which make a password guessable.
    The error is ``WEAK_PASSWORD`` on the ``password`` field, with zxcvbn's warning and suggestions.
    """
    if not password.strip():
        raise DomainError("WEAK_PASSWORD", "A password cannot be blank or only spaces.", field="password")
    if len(password) < MIN_LENGTH:
        raise DomainError(
            "WEAK_PASSWORD", f"A password needs at least {MIN_LENGTH} characters.", field="password"
        )
    words = [word for value in user_inputs for word in _words(value)]
    verdict = zxcvbn(password[:_JUDGED_LENGTH], user_inputs=words)
    if verdict["score"] < min_score:
        feedback = verdict["feedback"]
        advice = " ".join(
            part for part in [feedback.get("warning"), *feedback.get("suggestions", [])] if part
        )
        raise DomainError(
            "WEAK_PASSWORD",
            f"This password is too easy to guess. {advice or 'Use a longer, less common one.'}".strip(),
            field="password",
        )


def _words(value: str) -> list[str]:
    """The value and its parts: ``sara.kh@shop.ir`` gives itself, ``sara``, ``kh``, ``shop`` and ``ir``."""
    cleaned = value.strip().lower()
    parts = [part for part in cleaned.replace("@", " ").replace(".", " ").split() if len(part) > 1]
    return [cleaned, *parts] if cleaned else []
