"""GraphQL types of a store's SMS providers: its own account, inbound SMS and delivery counts."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.extensions import FieldExtension

from domain.messaging import models
from domain.messaging.accounts import callback_key
from domain.messaging.reports import DeliveryCounts as DeliveryCountsRow
from graph.core.errors import errors_as_data
from graph.core.permissions import Can
from graph.rest.sms_callbacks import callback_paths

READ = [Can("sms_accounts", "read")]
WRITE = [Can("sms_accounts", "write")]


@strawberry.enum(description="Who delivers a store's SMS when it uses its own account.")
class SmsProviderName(Enum):
    KAVENEGAR = "kavenegar"
    SMSIR = "smsir"


@strawberry.type(description="Paths to append to Revisit's address, for the provider's panel.")
class SmsCallbacks:
    delivery_path: str = strawberry.field(description="Where the provider posts delivery reports.")
    inbound_path: str = strawberry.field(
        description="Where the provider posts SMS customers send to the line."
    )

    @classmethod
    def for_scope(cls, *, secret: str, scope: str) -> SmsCallbacks:
        delivery, inbound = callback_paths(scope=scope, key=callback_key(secret=secret, scope=scope))
        return cls(delivery_path=delivery, inbound_path=inbound)


@strawberry.type(description="The store's own SMS provider account, used instead of the platform's line.")
class SmsAccount:
    id: strawberry.ID
    provider: SmsProviderName
    api_key_last4: str = strawberry.field(
        description="The key's last four characters; the key is never shown."
    )
    line: str | None = strawberry.field(description="The sender line; null: the account's default line.")
    created_at: datetime
    updated_at: datetime
    callbacks: SmsCallbacks | None = strawberry.field(
        description="Kavenegar only (sms.ir is polled): the callback paths to set on the line in its panel."
    )

    @classmethod
    def from_model(cls, account: models.SmsAccount, *, secret: str) -> SmsAccount:
        callbacks = (
            SmsCallbacks.for_scope(secret=secret, scope=str(account.id))
            if account.provider == "kavenegar"
            else None
        )
        return cls(
            id=strawberry.ID(str(account.id)),
            provider=SmsProviderName(account.provider),
            api_key_last4=account.api_key_last4,
            line=account.line,
            created_at=account.created_at,
            updated_at=account.updated_at,
            callbacks=callbacks,
        )


@strawberry.type(
    description="One SMS a customer sent to the store's line (or to the platform's, about this store)."
)
class InboundMessage:
    id: strawberry.ID
    provider: str
    phone: str = strawberry.field(description="The sender, E.164 when it reads as a phone number.")
    line: str
    body: str
    received_at: datetime
    source: str = strawberry.field(description="poll or callback.")
    opt_out: bool = strawberry.field(description="It was an opt-out keyword: marketing to the phone stopped.")

    @classmethod
    def from_model(cls, row: models.InboundMessage) -> InboundMessage:
        return cls(
            id=strawberry.ID(str(row.id)),
            provider=row.provider,
            phone=row.phone,
            line=row.line,
            body=row.body,
            received_at=row.received_at,
            source=row.source,
            opt_out=row.opt_out,
        )


@strawberry.type(description="How the store's messages created in a period fared.")
class SmsDeliveryCounts:
    sent: int = strawberry.field(description="Taken by the provider.")
    delivered: int
    failed: int = strawberry.field(description="Never left the provider or the operator.")
    undeliverable: int = strawberry.field(description="The operator tried and the phone did not take it.")
    awaiting_report: int = strawberry.field(description="Sent, no final report yet.")
    outcome_unknown: int = strawberry.field(description="Queued after an unanswered send, being looked up.")

    @classmethod
    def from_row(cls, row: DeliveryCountsRow) -> SmsDeliveryCounts:
        return cls(
            sent=row.sent,
            delivered=row.delivered,
            failed=row.failed,
            undeliverable=row.undeliverable,
            awaiting_report=row.awaiting_report,
            outcome_unknown=row.outcome_unknown,
        )


@strawberry.enum
class SmsAccountErrorCode(Enum):
    INVALID_PROVIDER = "INVALID_PROVIDER"
    INVALID_API_KEY = "INVALID_API_KEY"
    INVALID_LINE = "INVALID_LINE"
    TENANT_REQUIRED = "TENANT_REQUIRED"


@strawberry.type
class SmsAccountError:
    code: SmsAccountErrorCode
    field: str | None = strawberry.field(description="The input at fault: provider, apiKey or line.")
    message: str


@strawberry.type
class SmsAccountPayload:
    sms_account: SmsAccount | None = None
    errors: list[SmsAccountError] = strawberry.field(default_factory=list)


@strawberry.type
class ClearSmsAccountPayload:
    cleared: bool = strawberry.field(default=False, description="Whether there was an account to clear.")
    errors: list[SmsAccountError] = strawberry.field(default_factory=list)


def account_errors() -> list[FieldExtension]:
    return errors_as_data(SmsAccountPayload, SmsAccountError, SmsAccountErrorCode)


def clear_errors() -> list[FieldExtension]:
    return errors_as_data(ClearSmsAccountPayload, SmsAccountError, SmsAccountErrorCode)


def callback_secret(settings: object) -> str:
    """The deployment's callback secret: its own, or the server's secret key."""
    return getattr(settings, "sms_callback_secret", None) or settings.resolved_secret_key()  # type: ignore[attr-defined]
