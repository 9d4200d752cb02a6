"""A small Casbin adapter over the ``access_rules`` table, layered on the default policy file."""

from __future__ import annotations

from pathlib import Path

from casbin import persist
from casbin.model import Model
from casbin.persist.adapters.asyncio import AsyncAdapter

from domain.tenancy.models import AccessRule

DEFAULT_POLICY = Path(__file__).with_name("policy.csv")


class TortoiseAdapter(AsyncAdapter):
    """Loads the default policy file, then every rule stored in the database. Writes go to the database."""

    def __init__(self, policy_file: Path = DEFAULT_POLICY) -> None:
        self.policy_file = policy_file

    async def load_policy(self, model: Model) -> None:
        for line in self._policy_lines():
            persist.load_policy_line(line, model)
        async for rule in AccessRule.all().order_by("id"):
            values = [rule.v0, rule.v1, rule.v2, rule.v3, rule.v4, rule.v5]
            while values and values[-1] == "":
                values.pop()
            persist.load_policy_line(", ".join([rule.ptype, *values]), model)

    async def add_policy(self, sec: str, ptype: str, rule: list[str]) -> None:
        await _rule(ptype, rule).save()

    async def remove_policy(self, sec: str, ptype: str, rule: list[str]) -> None:
        filters = {f"v{i}": value for i, value in enumerate(rule)}
        await AccessRule.filter(ptype=ptype, **filters).delete()

    async def save_policy(self, model: Model) -> bool:
        """Replace the stored rules with the model's rules, leaving out those the policy file provides."""
        shipped = {tuple(part.strip() for part in line.split(",")) for line in self._policy_lines()}
        rows: list[AccessRule] = []
        for sec in ("p", "g"):
            for ptype, assertion in model.model.get(sec, {}).items():
                for rule in assertion.policy:
                    if (ptype, *rule) not in shipped:
                        rows.append(_rule(ptype, rule))
        await AccessRule.all().delete()
        await AccessRule.bulk_create(rows)
        return True

    def _policy_lines(self) -> list[str]:
        lines = self.policy_file.read_text().splitlines()
        return [line for line in lines if line.strip() and not line.lstrip().startswith("#")]

    async def remove_filtered_policy(
        self, sec: str, ptype: str, field_index: int, *field_values: str
    ) -> None:
        filters = {f"v{field_index + i}": value for i, value in enumerate(field_values) if value}
        await AccessRule.filter(ptype=ptype, **filters).delete()


def _rule(ptype: str, values: list[str]) -> AccessRule:
    padded = (list(values) + [""] * 6)[:6]
    return AccessRule(
        ptype=ptype, v0=padded[0], v1=padded[1], v2=padded[2], v3=padded[3], v4=padded[4], v5=padded[5]
    )
