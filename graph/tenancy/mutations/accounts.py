"""Sign up and sign in."""

from __future__ import annotations

import strawberry
from tortoise.transactions import in_transaction

from domain.tenancy import service as tenancy
from domain.tenancy.login_limits import RateLimited
from domain.tenancy.security import issue_access_token
from graph.core.context import Info
from graph.core.errors import errors_as_data
from graph.tenancy.inputs import EMAIL_HELP, NAME_HELP, check_login, check_registration
from graph.tenancy.login_guard import login_guard
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
class LoginPayload:
    access_token: str | None = None
    expires_in: int | None = strawberry.field(default=None, description="Seconds until the token expires.")
    retry_after: int | None = strawberry.field(
        default=None, description="With RATE_LIMITED: seconds until another attempt is allowed."
    )
    errors: list[AccountError] = strawberry.field(default_factory=list)


def _token(info: Info, user_id: object) -> str:
    settings = info.context.settings
    return issue_access_token(
        user_id,  # type: ignore[arg-type]
        secret=settings.resolved_secret_key(),
        minutes=settings.access_token_minutes,
    )


@strawberry.type
class AccountMutations:
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
        return RegisterPayload(access_token=_token(info, user.id), tenant=Tenant.from_model(tenant))

    @strawberry.mutation(
        description=(
            "Exchange e-mail and password for a short-lived access token (Bearer). Failed attempts are "
            "limited per account and per client address; past the limit the answer is RATE_LIMITED "
            "with retryAfter, whatever the password."
        ),
        extensions=errors_as_data(LoginPayload, AccountError, AccountErrorCode),
    )
    async def login(self, info: Info, email: str, password: str) -> LoginPayload:
        check_login(email=email)
        try:
            user = await tenancy.authenticate(
                email=email,
                password=password,
                guard=login_guard(info),
                address=info.context.client_address,
            )
        except RateLimited as refused:
            error = AccountError(code=AccountErrorCode.RATE_LIMITED, field=None, message=refused.message)
            return LoginPayload(retry_after=refused.retry_after, errors=[error])
        return LoginPayload(
            access_token=_token(info, user.id), expires_in=info.context.settings.access_token_minutes * 60
        )
