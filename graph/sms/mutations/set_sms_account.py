"""setSmsAccount: send the store's SMS through its own Kavenegar or sms.ir account."""

from __future__ import annotations

import strawberry
from tortoise.transactions import in_transaction

from domain.messaging import accounts
from graph.core.context import Info
from graph.core.ids import optional_uuid
from graph.sms.types import (
    WRITE,
    SmsAccount,
    SmsAccountPayload,
    SmsProviderName,
    account_errors,
    callback_secret,
)


@strawberry.input(description="A provider account: its API key (kept sealed, never shown again) and line.")
class SmsAccountInput:
    provider: SmsProviderName
    api_key: str = strawberry.field(
        description=f"8 to {accounts.MAX_API_KEY_LENGTH} letters, digits or . _ ~ + / = -, from the "
        "provider's panel."
    )
    line: str | None = strawberry.field(
        default=None,
        description="The sender line (3 to 19 digits); sms.ir needs one. Null: the account's default.",
    )


@strawberry.type
class SetSmsAccountMutation:
    @strawberry.mutation(
        description=(
            "Use the store's own provider account for its SMS from now on, replacing any earlier one. "
            "Setting the same account again changes nothing but its time. The key is never readable back."
        ),
        permission_classes=WRITE,
        extensions=account_errors(),
    )
    async def set_sms_account(
        self, info: Info, input: SmsAccountInput, tenant_id: strawberry.ID | None = None
    ) -> SmsAccountPayload:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        settings = info.context.settings
        async with in_transaction():
            account = await accounts.set_account(
                tenant_id=scope,
                provider=input.provider.value,
                api_key=input.api_key,
                line=input.line,
                encryption_key=accounts.encryption_key(settings.resolved_secret_key()),
            )
        return SmsAccountPayload(sms_account=SmsAccount.from_model(account, secret=callback_secret(settings)))
