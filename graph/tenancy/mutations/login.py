"""login: e-mail and password for a short-lived access token."""

from __future__ import annotations

import strawberry

from domain.tenancy import service as tenancy
from domain.tenancy.login_limits import RateLimited
from graph.core.context import Info
from graph.core.errors import errors_as_data
from graph.tenancy.inputs import check_login
from graph.tenancy.login_guard import login_guard
from graph.tenancy.tokens import access_token
from graph.tenancy.types import AccountError, AccountErrorCode


@strawberry.type
class LoginPayload:
    access_token: str | None = None
    expires_in: int | None = strawberry.field(default=None, description="Seconds until the token expires.")
    retry_after: int | None = strawberry.field(
        default=None, description="With RATE_LIMITED: seconds until another attempt is allowed."
    )
    errors: list[AccountError] = strawberry.field(default_factory=list)


@strawberry.type
class LoginMutation:
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
            access_token=access_token(info, user.id),
            expires_in=info.context.settings.access_token_minutes * 60,
        )
