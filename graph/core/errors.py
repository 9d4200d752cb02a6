"""Errors as data: a mutation's DomainError becomes its payload's typed ``errors`` list."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Any

from pydantic import ValidationError
from strawberry.extensions import FieldExtension
from strawberry.types import Info

from domain.errors import DomainError


class DomainErrorsAsData(FieldExtension):
    """Catch ``DomainError`` (and pydantic ``ValidationError``) and return ``payload(errors=[error(...)])``.

    ``codes`` is the mutation's error-code enum; a domain code it does not list is a bug and is re-raised,
    so it reaches the client masked and the log in full. A pydantic error whose type names one of the
    codes (``unknown_variable`` → UNKNOWN_VARIABLE) keeps it; others are INVALID. ``field_prefix`` starts
    every pydantic path (``definition`` → ``definition.steps.1.template``) for inputs taken as JSON.
    """

    def __init__(
        self, payload: type, error: type, codes: type[Enum], field_prefix: str | None = None
    ) -> None:
        self.payload = payload
        self.error = error
        self.codes = codes
        self.field_prefix = field_prefix

    async def resolve_async(
        self, next_: Callable[..., Awaitable[Any]], source: Any, info: Info, **kwargs: Any
    ) -> Any:
        try:
            return await next_(source, info, **kwargs)
        except DomainError as exc:
            if exc.code not in self.codes.__members__:
                raise
            return self.payload(
                errors=[self.error(code=self.codes[exc.code], field=exc.field, message=exc.message)]
            )
        except ValidationError as exc:
            if "INVALID" not in self.codes.__members__:
                raise
            return self.payload(errors=[self._from_pydantic(item) for item in exc.errors()])

    def _from_pydantic(self, item: Any) -> Any:
        code = str(item.get("type", "")).upper()
        prefix = (self.field_prefix,) if self.field_prefix else ()
        path = ".".join(str(part) for part in (*prefix, *item.get("loc", ())))
        return self.error(
            code=self.codes[code] if code in self.codes.__members__ else self.codes["INVALID"],
            field=path or None,
            message=item.get("msg", "Invalid."),
        )


def errors_as_data(
    payload: type, error: type, codes: type[Enum], *, field_prefix: str | None = None
) -> list[FieldExtension]:
    """Shorthand for ``extensions=[DomainErrorsAsData(...)]`` on a mutation."""
    return [DomainErrorsAsData(payload, error, codes, field_prefix)]
