"""A customer's consent through GraphQL: what was said, who said it, and whether the store's consent
rule lets marketing reach them — a customer who never said follows the store's opt-out or opt-in mode."""

from __future__ import annotations

import pytest

from domain.customers.models import Customer
from tests.support.api import ApiClient
from tests.support.factories import make_owner

CONSENT = """
query($id: ID!) { customer(id: $id) { marketingConsent consentSource consentsToMarketing } }
"""


@pytest.mark.parametrize(
    ("consent_mode", "said", "source", "reaches"),
    [
        ("opt_out", True, "unknown", True),
        ("opt_in", True, "unknown", False),
        ("opt_in", True, "store", True),
        ("opt_out", False, "customer", False),
    ],
)
async def test_consents_to_marketing_follows_the_stores_rule_for_customers_who_never_said(
    client: ApiClient, consent_mode: str, said: bool, source: str, reaches: bool
) -> None:
    """Under opt-out a customer who never said may get marketing, under opt-in not; a recorded answer
    wins either way."""
    # given
    owner = await make_owner()
    owner.tenant.consent_mode = consent_mode
    await owner.tenant.save(update_fields=["consent_mode"])
    customer = await Customer.create(
        tenant_id=owner.tenant.id, external_id="c1", marketing_consent=said, consent_source=source
    )
    # when
    result = await client.graphql(CONSENT, {"id": str(customer.id)}, token=owner.token)
    # then
    assert result.ok()["customer"] == {
        "marketingConsent": said,
        "consentSource": source,
        "consentsToMarketing": reaches,
    }
