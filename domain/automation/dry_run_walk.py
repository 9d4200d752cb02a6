"""Walking one would-be run through a journey's steps on the store's history, in memory.

:class:`Walker` holds what the history says about the customers who would have entered (their
orders since the window began, their segment stays, what segment checks say of them now, the
coupon templates the journey issues from) and moves each run from its entry through the steps as the
engine would: every goal checked before every step (and a win-back lapse re-checked: an order since
the lapse's purchase ends the run), waits moving the run's clock, branches taken on the history.
A run whose clock passes the end of the window stops there, *waiting*. Nothing is written: texts are
rendered through the messaging templates, costs priced through ``domain.messaging.pricing``, coupon
codes drawn but never stored.

What the history cannot answer is counted, not guessed: a coupon this journey would have issued was
never redeemed (it never existed), so ``redeemed_coupon`` is false and counted as *unknown* at its step.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final
from uuid import UUID
from zoneinfo import ZoneInfo

from domain.automation.definition import (
    END,
    AnyCheck,
    AnyStep,
    BranchStep,
    ExitIfStep,
    GrantCashbackStep,
    GrantCreditStep,
    InSegmentCheck,
    IssueCouponStep,
    JourneyDefinition,
    MatchesCheck,
    OrderedSinceEnrolment,
    RedeemedCoupon,
    SendSmsStep,
    WaitStep,
)
from domain.automation.dry_run_entries import Entry
from domain.automation.waits import CustomerDates, wait_end
from domain.coupons.codes import draw
from domain.coupons.issuing import expiry, value_text
from domain.coupons.models import CouponTemplate
from domain.errors import DomainError
from domain.messaging.formatting import with_footer
from domain.messaging.pricing import Estimate, estimate
from domain.messaging.templates import MessageFacts, render, sample_facts, variables
from domain.tenancy.models import Tenant

MAX_SAMPLES: Final = 5


@dataclass(frozen=True)
class Person:
    """What the walk needs to know of one customer."""

    first_name: str
    phone: str | None
    marketing_allowed: bool
    balance: int
    birth_month: int | None
    birth_day: int | None
    first_order_at: datetime | None
    last_order_at: datetime | None


@dataclass
class StepTally:
    """What the would-be runs did at one step."""

    step_id: str
    type: str
    reached: int = 0
    done: int = 0
    skipped: int = 0
    failed: int = 0
    exited: int = 0
    waiting: int = 0
    unknown: int = 0
    messages: int = 0
    parts: int = 0
    cost: int = 0
    credit: int = 0
    coupons: int = 0


@dataclass(frozen=True)
class Sample:
    """One message a would-be run would have sent."""

    customer_id: UUID
    step_id: str
    at: datetime
    body: str
    encoding: str
    parts: int
    cost: int


@dataclass
class Outcome:
    """How one would-be run ended: completed, exited (a goal), failed, or still waiting; ``until`` is
    when it stopped being open (None while it waits)."""

    state: str
    until: datetime | None


@dataclass
class _Run:
    entry: Entry
    person: Person
    at: datetime
    credit: int = 0
    coupon_code: str | None = None
    coupon_value: str | None = None
    coupon_expiry: datetime | None = None
    credit_expiry: datetime | None = None


@dataclass
class Walker:
    """Walks would-be runs of one journey through its steps, tallying each step."""

    tenant: Tenant
    definition: JourneyDefinition
    end: datetime
    people: dict[UUID, Person]
    orders: dict[UUID, list[datetime]]
    stays: dict[tuple[UUID, UUID], list[tuple[datetime, datetime | None]]]
    matching: dict[int, set[UUID]]
    templates: dict[UUID, CouponTemplate]
    expiring_coupons: dict[str, CouponTemplate]
    part_price: int | None = None
    """What an SMS part costs the store now (its tariff); None: the platform's default."""
    tallies: dict[str, StepTally] = field(default_factory=dict)
    samples: list[Sample] = field(default_factory=list)
    notes: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.tallies = {step.id: StepTally(step.id, step.type) for step in self.definition.steps}
        self._positions = {step.id: index for index, step in enumerate(self.definition.steps)}
        self._goals = self.definition.goals()
        self._zone = ZoneInfo(self.tenant.timezone)
        self._sample_values = variables(sample_facts(self.tenant, now=self.end), self.tenant)
        self._priced: dict[tuple[str, str], tuple[str, Estimate]] = {}
        self._texts: dict[tuple[str, tuple[tuple[str, str], ...]], str] = {}
        self._used: dict[str, set[str]] = {}

    def walk(self, entry: Entry) -> Outcome:
        """Move one run from its entry through the steps until it ends or the window does."""
        person = self.people[entry.customer_id]
        run = _Run(entry=entry, person=person, at=entry.at)
        steps = self.definition.steps
        index = 0
        while index < len(steps):
            step = steps[index]
            tally = self.tallies[step.id]
            if run.at > self.end:
                tally.waiting += 1
                return Outcome("waiting", None)
            if self._goal_met(run, tally):
                tally.exited += 1
                return Outcome("exited", run.at)
            tally.reached += 1
            try:
                jump = self._step(step, run, tally)
            except DomainError as exc:
                tally.failed += 1
                self.notes.add(f"Step {step.id}: {exc.message}")
                return Outcome("failed", run.at)
            if jump == _WAITING:
                tally.waiting += 1
                return Outcome("waiting", None)
            if jump == END:
                return Outcome("completed", run.at)
            index = index + 1 if jump is None else self._positions[jump]
        return Outcome("completed", run.at)

    # --- steps ------------------------------------------------------------------------------------

    def _step(self, step: AnyStep, run: _Run, tally: StepTally) -> str | None:
        """Carry out one step on the run; the id to go to next, END, _WAITING or None (the next)."""
        if isinstance(step, WaitStep):
            due = self._due(step, run)
            if due > self.end:
                return _WAITING
            run.at = max(run.at, due)
            tally.done += 1
            return None
        if isinstance(step, BranchStep):
            tally.done += 1
            return step.then if self._holds(step.if_, run, tally) else step.else_
        if isinstance(step, ExitIfStep):
            tally.done += 1
            return None  # checked as a goal before every step
        if isinstance(step, SendSmsStep):
            self._send(step, run, tally)
            return None
        if isinstance(step, GrantCashbackStep):
            amount = step.cashback(
                total=run.entry.total,
                shipping_total=run.entry.shipping_total,
                refunded_total=run.entry.refunded_total,
            )
            self._granted(run, tally, amount, step.expires_after_days)
            return None
        if isinstance(step, GrantCreditStep):
            self._granted(run, tally, step.amount, step.expires_after_days)
            return None
        if isinstance(step, IssueCouponStep):
            self._issue(step, run, tally)
            return None
        tally.done += 1  # add_tag / remove_tag
        return None

    def _granted(self, run: _Run, tally: StepTally, amount: int, expires_after_days: int | None) -> None:
        if amount <= 0:
            tally.skipped += 1
            return
        run.credit += amount
        tally.credit += amount
        tally.done += 1
        if expires_after_days:
            run.credit_expiry = run.at + timedelta(days=expires_after_days)

    def _issue(self, step: IssueCouponStep, run: _Run, tally: StepTally) -> None:
        template = self.templates.get(step.template_id)
        if template is None:
            raise DomainError("NOT_FOUND", "The coupon template no longer exists.")
        if template.archived_at is not None:
            raise DomainError("TEMPLATE_ARCHIVED", "The coupon template is archived.")
        run.coupon_code = draw(1, prefix=template.code_prefix)[0]
        run.coupon_value = value_text(template, self.tenant)
        run.coupon_expiry = expiry(template, run.at)
        tally.coupons += 1
        tally.done += 1

    def _send(self, step: SendSmsStep, run: _Run, tally: StepTally) -> None:
        person = run.person
        if not person.phone or (step.purpose == "marketing" and not person.marketing_allowed):
            tally.skipped += 1
            return
        used = self._used.get(step.id)
        if used is None:
            used = self._used[step.id] = step.variables()
        values = self._variables(run, used)
        key = (step.template, tuple(sorted(values.items())))
        text = self._texts.get(key)
        if text is None:
            text = self._texts[key] = render(step.template, values)
        priced = self._priced.get((text, step.purpose))
        if priced is None:  # names repeat: most texts of a step are priced once
            body = with_footer(text, step.purpose)  # as queue_sms sends it
            priced = (body, estimate(body, step.purpose, self.tenant, price=self.part_price))
            self._priced[(text, step.purpose)] = priced
        body, estimated = priced
        tally.done += 1
        tally.messages += 1
        tally.parts += estimated.parts
        tally.cost += estimated.cost_minor
        if len(self.samples) < MAX_SAMPLES:
            self.samples.append(
                Sample(
                    run.entry.customer_id,
                    step.id,
                    run.at,
                    body,
                    estimated.encoding,
                    estimated.parts,
                    estimated.cost_minor,
                )
            )

    def _variables(self, run: _Run, used: set[str]) -> dict[str, str]:
        """The values of the variables ``used``, as the engine would give them for this run."""
        facts = run.entry.facts
        code, value, coupon_expiry = run.coupon_code, run.coupon_value, run.coupon_expiry
        if code is None and facts.get("coupon_id"):
            template = self.expiring_coupons.get(str(facts["coupon_id"]))
            code = str(facts.get("code"))
            value = value_text(template, self.tenant) if template is not None else None
            coupon_expiry = datetime.fromisoformat(str(facts["expires_at"]))
        days_since = None
        if "days_since_last_order" in used:
            last_order_at = _moment(facts.get("last_order_at")) or run.person.last_order_at
            days_since = max((run.at - last_order_at).days, 0) if last_order_at is not None else None
        credit = run.credit if run.credit else facts.get("amount")
        values = variables(
            MessageFacts(
                first_name=run.person.first_name if "first_name" in used else None,
                credit=int(credit or 0) if "credit" in used else None,
                balance=run.person.balance + run.credit if "balance" in used else None,
                coupon_code=code if "coupon_code" in used else None,
                coupon_value=value if "coupon_value" in used else None,
                coupon_expiry=coupon_expiry.astimezone(self._zone)
                if coupon_expiry and "coupon_expiry" in used
                else None,
                days_since_last_order=days_since,
            ),
            self.tenant,
        )
        # What the history cannot give (a link made when the message is sent) reads as a sample would.
        for name in used - values.keys():
            if name in self._sample_values:
                values[name] = self._sample_values[name]
        return values

    # --- time -------------------------------------------------------------------------------------

    def _due(self, step: WaitStep, run: _Run) -> datetime:
        """When the wait ends for this run, by the engine's own rule (:func:`waits.wait_end`); a wait
        on a date the run does not know is skipped, as the engine skips it."""
        person, facts = run.person, run.entry.facts
        coupon = run.coupon_expiry or (_moment(facts.get("expires_at")) if facts.get("coupon_id") else None)
        credit = run.credit_expiry or (
            _moment(facts.get("expires_at")) if facts.get("trigger") == "credit_expiring" else None
        )
        end = wait_end(
            step,
            now=run.at,
            timezone=self.tenant.timezone,
            calendar=self.tenant.calendar,
            dates=CustomerDates(
                birth_month=person.birth_month,
                birth_day=person.birth_day,
                first_order_at=person.first_order_at,
                coupon_expires_at=coupon,
                credit_expires_at=credit,
            ),
        )
        if end.until is None:
            self.notes.add(f"Step {step.id}: {end.reason} Such runs go on at once.")
            return run.at
        return end.until

    # --- checks -----------------------------------------------------------------------------------

    def _goal_met(self, run: _Run, tally: StepTally) -> bool:
        lapse = run.entry.facts.get("last_order_at")
        if lapse is not None and self._ordered_between(run.entry.customer_id, _moment(lapse), run.at):
            return True  # the win-back lapse ended: they ordered again
        return any(self._holds(goal.if_, run, tally, counting=False) for goal in self._goals)

    def _holds(self, check: AnyCheck, run: _Run, tally: StepTally, *, counting: bool = True) -> bool:
        customer_id = run.entry.customer_id
        if isinstance(check, OrderedSinceEnrolment):
            return self._ordered_between(customer_id, run.entry.at, run.at)
        if isinstance(check, RedeemedCoupon):
            if counting:
                tally.unknown += 1
            return False
        if isinstance(check, InSegmentCheck):
            return _stayed(self.stays.get((check.segment_id, customer_id), []), run.at)
        if isinstance(check, MatchesCheck):
            return customer_id in self.matching.get(id(check), set())
        raise AssertionError(f"no replay for check {type(check).__name__}")

    def _ordered_between(self, customer_id: UUID, after: datetime | None, until: datetime) -> bool:
        times = self.orders.get(customer_id, [])
        if after is None:
            return False
        position = bisect.bisect_right(times, after)
        return position < len(times) and times[position] <= until


_WAITING: Final = "\x00waiting"
"""A step's answer meaning: the run waits past the end of the window."""


def _stayed(stays: list[tuple[datetime, datetime | None]], at: datetime) -> bool:
    return any(entered <= at and (left is None or left > at) for entered, left in stays)


def _moment(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None
