"""A page of codes names their templates in one look-up, however many codes and templates it holds."""

from __future__ import annotations

from tests.support.api import ApiClient
from tests.support.coupons import make_coupon, make_template
from tests.support.factories import make_owner
from tests.support.statements import recorded_statements

PAGE = "query { coupons(first: 20) { nodes { code template { name kind } } } }"


async def _page_statements(client: ApiClient, codes_per_template: int) -> tuple[int, list[dict[str, object]]]:
    owner = await make_owner()
    for _ in range(2):
        template = await make_template(owner.tenant)
        for _ in range(codes_per_template):
            await make_coupon(template)
    with recorded_statements() as statements:
        result = await client.graphql(PAGE, token=owner.token)
    return len(statements), result.ok()["coupons"]["nodes"]


async def test_the_templates_of_a_page_of_codes_are_read_in_one_statement(client: ApiClient) -> None:
    """Twenty codes of two templates cost the same statements as two codes of the same two templates:
    the templates are batched by the request's loader, not read once per code."""
    # given / when
    few, few_nodes = await _page_statements(client, 1)
    many, many_nodes = await _page_statements(client, 10)
    # then
    assert (len(few_nodes), len(many_nodes)) == (2, 20)
    assert all(node["template"]["kind"] == "PERCENT" for node in many_nodes)  # type: ignore[index]
    assert many == few
