"""Coupon templates as the owner edits them: create, update, archive, get, list.

A template says what its codes give (percent off, a fixed amount off, free shipping) and on what terms
(minimum cart, maximum discount, products and categories, first order only, uses in all and per
customer, when codes start and stop working). Its terms are read when a code is checked, so an edit
applies to codes already issued; only a code's expiry is fixed when it is issued.

Terms are validated by :class:`TemplateIn` at the boundary. Creating the same template twice (same name,
same terms) answers with the first, so a client may retry; the same name with other terms is
``NAME_TAKEN``. An archived template issues no more codes; codes already issued keep working until they
expire or are revoked, since customers were promised them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Final, Literal
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from tortoise.exceptions import IntegrityError
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from domain.coupons.codes import MAX_PREFIX_LENGTH, normalise_prefix
from domain.coupons.models import CouponTemplate
from domain.errors import DomainError, NotFound
from domain.text import free_text_problem, identifier_problem

MAX_AMOUNT: Final = 10**15
"""The largest fixed amount, cap or minimum in minor units (a thousand trillion rials)."""
MAX_IDS: Final = 1_000
"""Products or categories a template may name in each list."""
MAX_USES: Final = 1_000_000_000
MAX_USES_PER_CUSTOMER: Final = 10_000
MAX_VALID_DAYS: Final = 3_650

Kind = Literal["percent", "fixed", "free_shipping"]


def _identifier(value: str) -> str:
    problem = identifier_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _free_text(value: str) -> str:
    problem = free_text_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _prefix(value: str) -> str:
    try:
        return normalise_prefix(value)
    except DomainError as exc:
        raise ValueError(exc.message) from None


Name = Annotated[str, Field(min_length=1, max_length=120), AfterValidator(_identifier)]
Description = Annotated[str, Field(max_length=500), AfterValidator(_free_text)]
ItemId = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_identifier)]
ItemIds = Annotated[list[ItemId], Field(max_length=MAX_IDS)]
Amount = Annotated[int, Field(ge=0, le=MAX_AMOUNT)]


class TemplateIn(BaseModel):
    """A template's terms. Amounts are minor units of the store's currency."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    name: Name
    description: Description = ""
    kind: Kind
    value: Amount = Field(
        default=0, description="percent: 1–100; fixed: minor units, at least 1; free_shipping: 0."
    )
    minimum_cart: Amount = Field(default=0, description="The cart total a code needs; 0 for none.")
    maximum_discount: Annotated[int, Field(ge=1, le=MAX_AMOUNT)] | None = Field(
        default=None, description="The most a code takes off one order; null for no cap."
    )
    product_ids: ItemIds = Field(default_factory=list, description="Only these products count; [] for all.")
    excluded_product_ids: ItemIds = Field(default_factory=list, description="These products never count.")
    category_ids: ItemIds = Field(
        default_factory=list, description="Only these categories count; [] for all."
    )
    excluded_category_ids: ItemIds = Field(default_factory=list, description="These categories never count.")
    first_order_only: bool = False
    usage_limit: Annotated[int, Field(ge=1, le=MAX_USES)] | None = Field(
        default=None, description="Orders one code may be used on in all; null for no limit."
    )
    usage_limit_per_customer: Annotated[int, Field(ge=1, le=MAX_USES_PER_CUSTOMER)] | None = Field(
        default=None, description="Orders one customer may use one code on; null for no limit."
    )
    starts_at: AwareDatetime | None = None
    expires_at: AwareDatetime | None = None
    valid_days: Annotated[int, Field(ge=1, le=MAX_VALID_DAYS)] | None = Field(
        default=None, description="A code stops working this many days after it is issued."
    )
    code_prefix: Annotated[str, Field(max_length=MAX_PREFIX_LENGTH), AfterValidator(_prefix)] = ""

    @model_validator(mode="after")
    def _consistent(self) -> TemplateIn:
        if self.kind == "percent" and not 1 <= self.value <= 100:
            raise ValueError("value: a percent coupon takes 1 to 100 percent off")
        if self.kind == "fixed" and self.value < 1:
            raise ValueError("value: a fixed coupon takes at least 1 minor unit off")
        if self.kind == "free_shipping" and self.value != 0:
            raise ValueError("value: a free-shipping coupon has no value (0)")
        if self.starts_at and self.expires_at and self.expires_at <= self.starts_at:
            raise ValueError("expires_at: must be after startsAt")
        for included, excluded in (
            (self.product_ids, self.excluded_product_ids),
            (self.category_ids, self.excluded_category_ids),
        ):
            both = sorted(set(included) & set(excluded))
            if both:
                name = (
                    "excluded_product_ids"
                    if excluded is self.excluded_product_ids
                    else "excluded_category_ids"
                )
                raise ValueError(f"{name}: both included and excluded: {', '.join(both[:5])}")
        return self

    def terms(self) -> dict[str, Any]:
        """The columns of the template, lists without repeats in their given order."""
        data = self.model_dump()
        for key in ("product_ids", "excluded_product_ids", "category_ids", "excluded_category_ids"):
            data[key] = list(dict.fromkeys(data[key]))
        return data


EDITABLE: Final = tuple(TemplateIn.model_fields)


def parse(data: dict[str, Any]) -> TemplateIn:
    """``data`` as valid terms, or ``INVALID`` naming the first field at fault as the API spells it
    (``maximumDiscount``, ``productIds.3``)."""
    try:
        return TemplateIn.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        message = str(error.get("msg", "Invalid.")).removeprefix("Value error, ")
        location = [str(part) for part in error.get("loc", ())]
        if not location and ":" in message:  # a rule across fields names the field it is about
            named, _, rest = message.partition(":")
            if named in TemplateIn.model_fields:
                location, message = [named], rest.strip()
        field = ".".join(_camel(part) for part in location) or None
        raise DomainError("INVALID", f"{field}: {message}" if field else message, field=field) from None


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def terms_of(template: CouponTemplate) -> dict[str, Any]:
    """A stored template's terms, as :meth:`TemplateIn.terms` writes them."""
    return {key: getattr(template, key) for key in EDITABLE}


async def get(*, tenant_id: UUID, template_id: UUID) -> CouponTemplate:
    template = await CouponTemplate.get_or_none(tenant_id=tenant_id, id=template_id)
    if template is None:
        raise NotFound("Coupon template", field="templateId")
    return template


async def create(*, tenant_id: UUID, template_in: TemplateIn) -> CouponTemplate:
    """Create a template; the same name and terms again answer with the first (``NAME_TAKEN`` if the
    terms differ). Runs in the caller's transaction; a lost race leaves it usable."""
    terms = template_in.terms()
    earlier = await CouponTemplate.get_or_none(tenant_id=tenant_id, name=template_in.name)
    if earlier is not None:
        return _same_or_refuse(earlier, terms)
    try:
        async with in_transaction():  # a savepoint
            return await CouponTemplate.create(tenant_id=tenant_id, **terms)
    except IntegrityError:  # a concurrent request made it first
        return _same_or_refuse(await CouponTemplate.get(tenant_id=tenant_id, name=template_in.name), terms)


def _same_or_refuse(earlier: CouponTemplate, terms: dict[str, Any]) -> CouponTemplate:
    if _comparable(terms_of(earlier)) != _comparable(terms):
        raise DomainError("NAME_TAKEN", "Another coupon template has that name.", field="name")
    return earlier


def _comparable(terms: dict[str, Any]) -> dict[str, Any]:
    return {key: value.timestamp() if isinstance(value, datetime) else value for key, value in terms.items()}


async def update(*, tenant_id: UUID, template_id: UUID, changes: dict[str, Any]) -> CouponTemplate:
    """Change some of a template's terms (``changes`` names them; a key set to None clears it). The result
    is validated as a whole, so a percent template cannot be given a value of 150. Editing an archived
    template is refused (``TEMPLATE_ARCHIVED``)."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise DomainError("INVALID", f"Not a template term: {', '.join(unknown)}.", field=unknown[0])
    template = await get(tenant_id=tenant_id, template_id=template_id)
    if template.archived_at is not None:
        raise DomainError("TEMPLATE_ARCHIVED", "An archived template cannot be edited.", field="id")
    merged = {**terms_of(template), **changes}
    for key in ("description", "code_prefix"):
        merged[key] = merged[key] if merged[key] is not None else ""
    for key in ("product_ids", "excluded_product_ids", "category_ids", "excluded_category_ids"):
        merged[key] = merged[key] if merged[key] is not None else []
    terms = parse(merged).terms()
    if terms["name"] != template.name:
        clash = await CouponTemplate.filter(tenant_id=tenant_id, name=terms["name"]).exclude(id=template.id)
        if clash:
            raise DomainError("NAME_TAKEN", "Another coupon template has that name.", field="name")
    template.update_from_dict(terms)
    try:
        async with in_transaction():
            await template.save()
    except IntegrityError as exc:
        raise DomainError("NAME_TAKEN", "Another coupon template has that name.", field="name") from exc
    return template


async def archive(*, tenant_id: UUID, template_id: UUID, now: datetime) -> CouponTemplate:
    """Stop issuing codes from the template; archiving again changes nothing."""
    template = await get(tenant_id=tenant_id, template_id=template_id)
    if template.archived_at is None:
        template.archived_at = now
        await template.save(update_fields=["archived_at", "updated_at"])
    return template


def listing(*, tenant_id: UUID, archived: bool | None = None) -> QuerySet[CouponTemplate]:
    """The store's templates (a queryset, for pagination), optionally only archived or only live ones."""
    queryset = CouponTemplate.filter(tenant_id=tenant_id)
    if archived is not None:
        queryset = queryset.filter(archived_at__isnull=not archived)
    return queryset
