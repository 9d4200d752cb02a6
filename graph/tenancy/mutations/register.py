"""register: a new store owner and their store."""

from __future__ import annotations

import strawberry
from tortoise.transactions import in_transaction

from domain.tenancy import service as tenancy
from graph.core.context import Info
from graph.core.errors import errors_as_data
from graph.tenancy.inputs import EMAIL_HELP, NAME_HELP, check_registration
from graph.tenancy.tokens import access_token
from graph.tenancy.types import AccountError, AccountErrorCode, Tenant


@strawberry.input(description="A new store owner and their store.")
class RegisterInput:
    email: str = strawberry.field(description=EMAIL_HELP)
    password: str = strawberry.field(
        description="At least 10 characters, not blank, and hard to guess (zxcvbn score, see WEAK_PASSWORD)."
    )
    full_name: str = strawberry.field(default="", description=NAME_HELP)
    store_name: str = strawberry.field(description=NAME_HELP)
    currency: str = "IRR"
    timezone: str = "Asia/Tehran"
    locale: str = "fa"
    country: str | None = strawberry.field(
        default=None,
        description=(
            "ISO 3166-1 alpha-2 code, such as IR or GB: how customers' phone numbers written without a "
            "country code are read. Left out: the country of `timezone`."
        ),
    )


@strawberry.type
class RegisterPayload:
    access_token: str | None = None
    tenant: Tenant | None = None
    errors: list[AccountError] = strawberry.field(default_factory=list)


@strawberry.type
class RegisterMutation:
    @strawberry.mutation(
        description="Create an account and its store; the new user owns the store.",
        extensions=errors_as_data(RegisterPayload, AccountError, AccountErrorCode),
    )
    async def register(self, info: Info, input: RegisterInput) -> RegisterPayload:
        check_registration(email=input.email, full_name=input.full_name, store_name=input.store_name)
        async with in_transaction():
            user, tenant = await tenancy.register_owner(
                email=input.email,
                password=input.password,
                full_name=input.full_name,
                min_score=info.context.settings.password_min_score,
                tenant_in=tenancy.TenantIn(
                    name=input.store_name,
                    currency=input.currency,
                    timezone=input.timezone,
                    locale=input.locale,
                    country=input.country,
                ),
            )
        return RegisterPayload(access_token=access_token(info, user.id), tenant=Tenant.from_model(tenant))
