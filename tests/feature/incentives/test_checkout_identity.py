"""The checkout finds the customer the way the store knows them: e-mail in any case, phones of the
store's own country."""

from __future__ import annotations

from domain.customers.models import Customer
from tests.support.api import ApiClient
from tests.support.automation import give_credit
from tests.support.factories import make_owner, make_store_key


async def quote(client: ApiClient, key: str, customer: dict[str, str], currency: str) -> dict[str, object]:
    answer = await client.http.post(
        "/rest/v1/credit/quote",
        json={"customer": customer, "cart_total": "500", "currency": currency},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


async def test_a_quote_by_upper_case_email_finds_the_customer(client: ApiClient) -> None:
    """SARA@EXAMPLE.IR at the checkout is the sara@example.ir the store sent."""
    # given
    owner = await make_owner()
    key = await make_store_key(owner)
    customer = await Customer.create(tenant_id=owner.tenant.id, email="sara@example.ir")
    await give_credit(customer, 300)
    # when
    found = await quote(client, key, {"email": "  SARA@Example.IR "}, "IRT")
    # then
    assert (found["customer_found"], found["available"]) == (True, "300")


async def test_a_quote_by_national_number_in_a_british_store_finds_the_british_customer(
    client: ApiClient,
) -> None:
    """07911 123456 typed at a London store's checkout is +447911123456, not an Iranian number."""
    # given
    owner = await make_owner(currency="GBP", locale="en", timezone="Europe/London")
    key = await make_store_key(owner)
    customer = await Customer.create(tenant_id=owner.tenant.id, phone="+447911123456")
    await give_credit(customer, 1250)
    # when
    found = await quote(client, key, {"phone": "07911 123456"}, "GBP")
    # then
    assert (found["customer_found"], found["available"]) == (True, "12.50")
