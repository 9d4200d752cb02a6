"""Zarinpal (zarinpal.com), the payment gateway of Iranian stores: its REST API v4.

A payment takes three steps:

1. ``POST {base}/pg/v4/payment/request.json`` with JSON ``merchant_id``, ``amount``, ``currency``,
   ``description`` (at most 500 characters), ``callback_url`` and ``metadata`` (``order_id``, optional
   ``mobile`` and ``email``). Zarinpal answers ``{"data": {"code": 100, "message": "Success", "authority":
   "A0000…", "fee_type": "Merchant", "fee": 100}, "errors": []}``.
2. The payer's browser goes to ``{base}/pg/StartPay/{authority}``, pays (or not), and Zarinpal sends it back
   to ``callback_url`` with ``?Authority=…&Status=OK`` (or ``NOK``: not paid).
3. ``POST {base}/pg/v4/payment/verify.json`` with ``merchant_id``, ``amount`` and ``authority`` settles it:
   ``data.code`` 100 (verified now) or 101 (verified before), with ``ref_id``, ``card_pan`` (masked) and
   ``card_hash``. Only a verified payment is money: a callback's ``Status=OK`` proves nothing by itself.

Amounts: Zarinpal takes IRR or IRT (toman) per ``currency``. This adapter always sends ``currency: "IRR"``
and amounts in rials, the wallet's unit, so no conversion happens anywhere.

Errors come as ``{"data": [], "errors": {"code": -9, "message": "…", "validations": […]}}`` (with a 4xx
HTTP status); the adapter reads that envelope whatever the HTTP status, and an answer that is not
Zarinpal's JSON (a proxy's HTML page, a 502) by its status. Each code becomes a :class:`GatewayError`
outcome:

==========================  =========================================================  ===================
code                        Zarinpal's meaning                                         outcome
==========================  =========================================================  ===================
100                         success (request) / verified (verify)                      —
101                         verified before: the same payment, its ref_id again        —, ``already``
-9                          validation error (merchant id, callback URL, description,  invalid_request
                            amount below or above the limits, referrer id)
-10                         terminal not valid (merchant_id or IP)                     merchant_rejected
-11                         terminal not active                                        merchant_rejected
-12                         too many attempts in a short time                          unavailable
-13                         terminal limit reached                                     merchant_rejected
-14                         callback URL's domain is not the terminal's                merchant_rejected
-15                         terminal user suspended                                    merchant_rejected
-16, -17                    terminal user level not valid (below silver, blue limit)   merchant_rejected
-30 … -35                   wages (floating, bank account, limits, recipients)         invalid_request
-40, -41                    invalid extra params, amount over 100,000,000 toman        invalid_request
-50                         session not valid: amounts are not the same                amount_mismatch
-51                         session not valid: not a paid session (failed payment)     not_paid
-52                         oops, contact support                                      unavailable
-53                         session is not this merchant_id's                          invalid_authority
-54                         invalid authority                                          invalid_authority
-55                         manual payment request not found                           invalid_authority
any other code              not documented                                             unavailable
5xx, no JSON, no answer     Zarinpal (or the way to it) is down                        unavailable
==========================  =========================================================  ===================

"unavailable" is never final: the top-up stays pending and is verified again (verify is idempotent: 101).
"""

from __future__ import annotations

import logging
from typing import Any, Final

import httpx

from domain.payments.gateway import GatewayError, Outcome, StartedPayment, VerifiedPayment

logger = logging.getLogger("revisit.payments")

NAME: Final = "zarinpal"
CURRENCY: Final = "IRR"
MAX_DESCRIPTION: Final = 500
VERIFIED: Final = 100
ALREADY_VERIFIED: Final = 101

OUTCOMES: Final[dict[int, Outcome]] = {
    -9: "invalid_request",
    -10: "merchant_rejected",
    -11: "merchant_rejected",
    -12: "unavailable",
    -13: "merchant_rejected",
    -14: "merchant_rejected",
    -15: "merchant_rejected",
    -16: "merchant_rejected",
    -17: "merchant_rejected",
    **dict.fromkeys((-30, -31, -32, -33, -34, -35, -40, -41), "invalid_request"),
    -50: "amount_mismatch",
    -51: "not_paid",
    -52: "unavailable",
    -53: "invalid_authority",
    -54: "invalid_authority",
    -55: "invalid_authority",
}
"""Zarinpal's documented error codes and what each means for a top-up (see the module docstring)."""


class ZarinpalGateway:
    """Requests and verifies payments through Zarinpal. Pass ``client`` to share a connection pool; a client
    created here is closed by :meth:`aclose`."""

    name = NAME

    def __init__(
        self,
        merchant_id: str,
        *,
        base_url: str = "https://payment.zarinpal.com",
        timeout: float = 15.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        if not merchant_id.strip():
            raise ValueError("Zarinpal needs a merchant id")
        self._merchant_id = merchant_id.strip()
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._client = client if client is not None else httpx.AsyncClient()
        self._owns_client = client is None

    def __repr__(self) -> str:
        return f"ZarinpalGateway(base_url={self.base_url!r})"

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    def start_pay_url(self, authority: str) -> str:
        """Where the payer's browser pays this authority."""
        return f"{self.base_url}/pg/StartPay/{authority}"

    async def request_payment(
        self,
        *,
        amount: int,
        callback_url: str,
        description: str,
        order_id: str,
        mobile: str | None = None,
        email: str | None = None,
    ) -> StartedPayment:
        """Open a payment of ``amount`` rials; the payer is sent back to ``callback_url``."""
        metadata: dict[str, str] = {"order_id": order_id}
        if mobile:
            metadata["mobile"] = mobile
        if email:
            metadata["email"] = email
        body = {
            "merchant_id": self._merchant_id,
            "amount": amount,
            "currency": CURRENCY,
            "description": description[:MAX_DESCRIPTION],
            "callback_url": callback_url,
            "metadata": metadata,
        }
        data = await self._call("request", body)
        authority = data.get("authority")
        if data.get("code") != VERIFIED or not isinstance(authority, str) or not authority:
            raise GatewayError(NAME, "unavailable", "Zarinpal accepted the request but sent no authority.")
        logger.info("Zarinpal opened %s for %s rials (order %s)", authority, amount, order_id)
        return StartedPayment(authority=authority, payment_url=self.start_pay_url(authority))

    async def verify(self, *, authority: str, amount: int) -> VerifiedPayment:
        """Settle the payment ``authority`` of ``amount`` rials: verified now, or verified before."""
        data = await self._call(
            "verify", {"merchant_id": self._merchant_id, "amount": amount, "authority": authority}
        )
        code, ref_id = data.get("code"), data.get("ref_id")
        if code not in (VERIFIED, ALREADY_VERIFIED) or ref_id in (None, ""):
            raise GatewayError(
                NAME, "unavailable", f"Zarinpal's verify answer is not readable (code {code})."
            )
        card = data.get("card_pan")
        logger.info("Zarinpal verified %s (code %s, ref %s)", authority, code, ref_id)
        return VerifiedPayment(
            authority=authority,
            amount=amount,
            ref_id=str(ref_id),
            card_mask=str(card)[:32] if card else None,
            already=code == ALREADY_VERIFIED,
        )

    async def _call(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        url = f"{self.base_url}/pg/v4/payment/{method}.json"
        try:
            response = await self._client.post(
                url, json=body, headers={"Accept": "application/json"}, timeout=self.timeout
            )
        except httpx.HTTPError as exc:
            logger.warning("Zarinpal %s unreachable: %s", method, type(exc).__name__)
            raise GatewayError(
                NAME, "unavailable", f"Could not reach Zarinpal ({type(exc).__name__})."
            ) from None
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            raise GatewayError(
                NAME, "unavailable", f"Zarinpal answered HTTP {response.status_code} without its JSON."
            )
        errors, data = answer.get("errors"), answer.get("data")
        if isinstance(errors, dict) and errors.get("code") is not None:
            raise _refusal(errors)
        if not isinstance(data, dict) or response.status_code >= 500:
            raise GatewayError(NAME, "unavailable", f"Zarinpal answered HTTP {response.status_code}.")
        return data


def _refusal(errors: dict[str, Any]) -> GatewayError:
    try:
        code = int(errors["code"])
    except (TypeError, ValueError):
        return GatewayError(NAME, "unavailable", "Zarinpal sent an error without a readable code.")
    outcome = OUTCOMES.get(code, "unavailable")
    message = str(errors.get("message") or "")[:200]
    logger.warning("Zarinpal refused: %s %s (%s)", code, message, outcome)
    return GatewayError(NAME, outcome, f"Zarinpal {code}: {message}".strip(), code=code)
