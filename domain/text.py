"""What text may reach PostgreSQL: the rules every boundary (GraphQL, REST, event schema) applies.

Two kinds of text arrive from outside:

- **Free text** (an SMS template, a refund reason, a product name) may carry tabs and line breaks.
- **Identifiers and names** (ids, e-mail addresses, people's and stores' names, key names) may not carry
  any control character at all.

Neither may carry the NUL character (PostgreSQL refuses it in ``text`` and ``jsonb``) or an unpaired
surrogate (it cannot be encoded as UTF-8), nor the other C0 control characters, which no person types.
The checks answer a short message for people, or None when the text is fine. Walking JSON is iterative,
so a deeply nested value cannot exhaust the stack.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Final

import orjson
from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

NUL_MESSAGE: Final = "Text may not contain the NUL character (\\u0000)"
SURROGATE_MESSAGE: Final = "Text may not contain unpaired surrogates (\\ud800-\\udfff)"
CONTROL_MESSAGE: Final = "Text may not contain control characters (\\u0001-\\u001f, \\u007f)"
FREE_TEXT_CONTROL_MESSAGE: Final = (
    "Text may not contain control characters other than tab and line breaks (\\u0001-\\u001f, \\u007f)"
)

_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x01-\x1f\x7f]")
_FREE_TEXT_CONTROL = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]")


def unstorable(text: str) -> str | None:
    """Why PostgreSQL could not store ``text`` at all (NUL, unpaired surrogate), or None."""
    if "\x00" in text:
        return NUL_MESSAGE
    if _SURROGATE.search(text):
        return SURROGATE_MESSAGE
    return None


def free_text_problem(text: str) -> str | None:
    """Why ``text`` is not acceptable free text, or None. Tab, line feed and carriage return are fine."""
    problem = unstorable(text)
    if problem is None and _FREE_TEXT_CONTROL.search(text):
        return FREE_TEXT_CONTROL_MESSAGE
    return problem


def identifier_problem(text: str) -> str | None:
    """Why ``text`` is not acceptable as an identifier, name or e-mail address, or None."""
    problem = unstorable(text)
    if problem is None and _CONTROL.search(text):
        return CONTROL_MESSAGE
    return problem


@dataclass(frozen=True)
class TextRule:
    """A pydantic annotation: refuse text ``check`` finds fault with, and say so as a JSON-schema pattern.

    Put it after any ``StringConstraints``: ``Annotated[str, StringConstraints(max_length=100), IDENTIFIER]``.
    """

    check: Callable[[str], str | None]
    pattern: str
    suspect: re.Pattern[str]
    """Matches any character ``check`` could object to: text without one is passed at once."""

    def _validate(self, value: str) -> str:
        if self.suspect.search(value) is None:
            return value
        problem = self.check(value)
        if problem:
            raise PydanticCustomError("invalid_text", problem)
        return value

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_after_validator_function(self._validate, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        documented = handler(schema)
        documented.setdefault("pattern", self.pattern)
        return documented


FREE_TEXT: Final = TextRule(
    free_text_problem,
    "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f]*$",
    re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]"),
)
"""Refuses NUL, unpaired surrogates and control characters other than tab and line breaks."""

IDENTIFIER: Final = TextRule(
    identifier_problem, "^[^\\u0000-\\u001f\\u007f]*$", re.compile("[\x00-\x1f\x7f\ud800-\udfff]")
)
"""Refuses NUL, unpaired surrogates and every control character."""

FreeText = Annotated[str, FREE_TEXT]
"""A pydantic ``str`` that refuses NUL, unpaired surrogates and control characters but tab and line breaks."""

IdentifierText = Annotated[str, IDENTIFIER]
"""A pydantic ``str`` that refuses NUL, unpaired surrogates and every control character."""


Path = tuple[str | int, ...]

# A path while walking: (last part, the rest) links, so going one level deeper costs the same at any depth.
_Link = tuple[str | int, "_Link"] | None


def _path(link: _Link) -> Path:
    parts: list[str | int] = []
    while link is not None:
        part, link = link
        parts.append(part)
    return tuple(reversed(parts))


def _walk(value: Any) -> Iterator[tuple[_Link, Any, bool]]:
    """Every string in a JSON value with its path, depth first; ``True`` marks an object's key."""
    stack: list[tuple[_Link, Any]] = [(None, value)]
    while stack:
        link, current = stack.pop()
        if isinstance(current, str):
            yield link, current, False
        elif isinstance(current, Mapping):
            items = list(current.items())
            for key, item in reversed(items):
                if isinstance(key, str):
                    yield link, key, True
                stack.append(((str(key), link), item))
        elif isinstance(current, list | tuple):
            stack.extend(((index, link), item) for index, item in reversed(list(enumerate(current))))


def find_unstorable(value: Any) -> tuple[Path, str] | None:
    """The path of the first string (or key) in a JSON value that PostgreSQL cannot store, and why.

    A bad key is reported at the object that holds it, so its text is never echoed back.
    """
    if storable_json(value) is not None:
        return None
    for link, text, is_key in _walk(value):
        problem = unstorable(text)
        if problem:
            return _path(link), f"Keys: {problem}" if is_key else problem
    return None


def storable_json(value: Any) -> str | None:
    """``value`` as JSON text when a quick look shows every key and string in it is storable: no NUL
    (written ``\\u0000``) and no unpaired surrogate (orjson refuses to encode one). None when unsure
    (a backslash-u-0000 typed as text also matches; a value that is not plain JSON, is too deep or holds
    an integer beyond 64 bits is not encoded): :func:`find_unstorable` then walks it."""
    try:
        text = orjson.dumps(value).decode()
    except (orjson.JSONEncodeError, TypeError):
        return None
    return text if "\\u0000" not in text else None


def describe_path(path: Path) -> str:
    """``("data", "items", 0, "name")`` → ``data.items.0.name``."""
    return ".".join(str(part) for part in path)
