"""Errors as data for automation mutations, with the definition's own error codes kept."""

from __future__ import annotations

from typing import Any

from strawberry.extensions import FieldExtension

from graph.automation.types import AutomationError, AutomationErrorCode
from graph.core.errors import DomainErrorsAsData


class DefinitionErrorsAsData(DomainErrorsAsData):
    """Like ``errors_as_data``, for mutations that take a definition as JSON.

    A pydantic error whose type names one of the codes (``unknown_variable`` → UNKNOWN_VARIABLE)
    keeps that code, and every path starts at ``definition`` (``definition.steps.1.send_sms.template``),
    so the client can point at the step at fault.
    """

    def _from_pydantic(self, item: Any) -> Any:
        code = str(item.get("type", "")).upper()
        path = ".".join(str(part) for part in ("definition", *item.get("loc", ())))
        return self.error(
            code=self.codes[code] if code in self.codes.__members__ else self.codes["INVALID"],
            field=path,
            message=item.get("msg", "Invalid."),
        )


def definition_errors_as_data(payload: type) -> list[FieldExtension]:
    """``extensions=`` for an automation mutation returning ``payload``."""
    return [DefinitionErrorsAsData(payload, AutomationError, AutomationErrorCode)]
