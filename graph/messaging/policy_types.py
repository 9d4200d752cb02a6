"""GraphQL types of the sending policy: the store's settings, its suppression list, message previews and
their typed errors."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.extensions import FieldExtension

from domain.messaging import consent, policy
from domain.messaging.models import SmsSuppression as SmsSuppressionModel
from domain.tenancy.countries import default_consent_mode
from domain.tenancy.models import Tenant
from graph.core.errors import errors_as_data
from graph.core.permissions import Can
from graph.core.scalars import Money

SETTINGS_READ = [Can("tenant", "read")]
SETTINGS_WRITE = [Can("tenant", "write")]
MESSAGES_READ = [Can("messages", "read")]
MESSAGES_WRITE = [Can("messages", "write")]


@strawberry.enum(
    description=(
        "OPT_OUT: a customer who never said gets marketing until they opt out (the Iranian norm, with "
        "«لغو۱۱» in every message). OPT_IN: only customers who said yes get marketing."
    )
)
class ConsentMode(Enum):
    OPT_IN = "opt_in"
    OPT_OUT = "opt_out"


@strawberry.enum(
    description="What a message is for: marketing follows the whole policy, transactional none of it."
)
class MessagePurpose(Enum):
    MARKETING = "marketing"
    TRANSACTIONAL = "transactional"


@strawberry.enum(
    description="What a journey step does with a marketing SMS a frequency cap leaves no room for."
)
class WhenCapped(Enum):
    SKIP = "skip"
    DEFER = "defer"


@strawberry.type(
    description="When and to whom the store's marketing SMS may go. Times are the store's wall clock."
)
class SendingPolicy:
    quiet_hours_start: str = strawberry.field(description="HH:MM: marketing stops (22:00 by default).")
    quiet_hours_end: str = strawberry.field(
        description="HH:MM: marketing resumes (08:00 by default). Equal to the start: no quiet hours."
    )
    timezone: str = strawberry.field(description="The store's time zone, which the hours are read in.")
    daily_cap: int | None = strawberry.field(
        description="Most marketing SMS one customer gets on one local day; null: no cap."
    )
    weekly_cap: int | None = strawberry.field(
        description="Most on any 7 consecutive local days; null: no cap."
    )
    consent_mode: ConsentMode = strawberry.field(
        description="The rule in force for customers who never said."
    )
    chosen_consent_mode: ConsentMode | None = strawberry.field(
        description="The store's own choice; null: it follows its country."
    )
    country_consent_mode: ConsentMode = strawberry.field(description="The norm of the store's country.")

    @classmethod
    def from_tenant(cls, tenant: Tenant) -> SendingPolicy:
        return cls(
            quiet_hours_start=policy.format_time(tenant.quiet_hours_start),
            quiet_hours_end=policy.format_time(tenant.quiet_hours_end),
            timezone=tenant.timezone,
            daily_cap=tenant.marketing_daily_cap,
            weekly_cap=tenant.marketing_weekly_cap,
            consent_mode=ConsentMode(consent.mode(tenant)),
            chosen_consent_mode=ConsentMode(tenant.consent_mode) if tenant.consent_mode else None,
            country_consent_mode=ConsentMode(default_consent_mode(tenant.country)),
        )


@strawberry.type(description="A phone that gets no marketing SMS from the store (its receipts still go).")
class SmsSuppression:
    id: strawberry.ID
    phone: str = strawberry.field(description="E.164.")
    source: str = strawberry.field(description="owner, or the channel the opt-out SMS came by.")
    keyword: str | None = strawberry.field(description="The opt-out text as received.")
    suppressed_at: datetime
    added_by_user_id: strawberry.ID | None = strawberry.field(description="Who added it by hand.")
    lifted_at: datetime | None = strawberry.field(description="When it was removed; null while in force.")
    lifted_by_user_id: strawberry.ID | None

    @classmethod
    def from_model(cls, row: SmsSuppressionModel) -> SmsSuppression:
        def _id(value: object) -> strawberry.ID | None:
            return strawberry.ID(str(value)) if value else None

        return cls(
            id=strawberry.ID(str(row.id)),
            phone=row.phone,
            source=row.source,
            keyword=row.keyword,
            suppressed_at=row.suppressed_at,
            added_by_user_id=_id(row.added_by_user_id),
            lifted_at=row.lifted_at,
            lifted_by_user_id=_id(row.lifted_by_user_id),
        )


@strawberry.type(description="A template as the customer would read it, and what it costs.")
class MessagePreview:
    text: str = strawberry.field(description="The rendered text as sent, the opt-out footer included.")
    encoding: str = strawberry.field(description="GSM-7 or UCS-2.")
    characters: int = strawberry.field(description="Length in the encoding's units.")
    parts: int = strawberry.field(description="SMS parts it costs.")
    cost: Money = strawberry.field(description="parts × the price of a part, in rials (IRR).")
    variables: list[str] = strawberry.field(description="The placeholders the template uses.")


@strawberry.enum
class MessagingErrorCode(Enum):
    INVALID = "INVALID"
    INVALID_PHONE = "INVALID_PHONE"
    INVALID_TEMPLATE = "INVALID_TEMPLATE"
    UNKNOWN_VARIABLE = "UNKNOWN_VARIABLE"
    MISSING_VALUE = "MISSING_VALUE"
    EMPTY_MESSAGE = "EMPTY_MESSAGE"
    INVALID_PURPOSE = "INVALID_PURPOSE"
    UNSUPPORTED_CURRENCY = "UNSUPPORTED_CURRENCY"
    UNSUPPORTED_LOCALE = "UNSUPPORTED_LOCALE"
    NOT_FOUND = "NOT_FOUND"
    TENANT_REQUIRED = "TENANT_REQUIRED"


@strawberry.type
class MessagingError:
    code: MessagingErrorCode
    field: str | None = strawberry.field(description="The input at fault, e.g. quietHoursStart or template.")
    message: str


@strawberry.type
class SendingPolicyPayload:
    policy: SendingPolicy | None = None
    errors: list[MessagingError] = strawberry.field(default_factory=list)


@strawberry.type
class SmsSuppressionPayload:
    suppression: SmsSuppression | None = None
    errors: list[MessagingError] = strawberry.field(default_factory=list)


@strawberry.type
class MessagePreviewPayload:
    preview: MessagePreview | None = None
    errors: list[MessagingError] = strawberry.field(default_factory=list)


def policy_errors() -> list[FieldExtension]:
    return errors_as_data(SendingPolicyPayload, MessagingError, MessagingErrorCode)


def suppression_errors() -> list[FieldExtension]:
    return errors_as_data(SmsSuppressionPayload, MessagingError, MessagingErrorCode)


def preview_errors() -> list[FieldExtension]:
    return errors_as_data(MessagePreviewPayload, MessagingError, MessagingErrorCode)
