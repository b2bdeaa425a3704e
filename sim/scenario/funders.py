"""The `funders:` block of a scenario: outside funders of NGOs and pilot mechanisms, with terms.

Schema only; the behaviour is :mod:`sim.core.funders`. Each funder (a name) funds NGOs (their
whole yearly budget) and/or mechanisms paid by a funder (``paid_by: funder``), for terms of
``term_years`` from ``start_week``; at the end of each term it renews with
``renewal_probability``, or exits. A ``start_week`` before the run began means the funder is
funding when the run begins (its terms keep their calendar). Without the block, nothing here changes a run.
"""

from __future__ import annotations

from pydantic import Field

from sim.scenario.mechanisms import FUNDER, KINDS
from sim.scenario.schema import WEEKS_PER_YEAR, OrgKind, Share, Strict


class FunderParams(Strict):
    """One funder: what it funds, its term and renewal chance, and what its exit costs in trust."""

    funds: list[str] = Field(min_length=1, max_length=4096)
    term_years: float = Field(3.0, gt=0.0, le=50.0)
    renewal_probability: Share = 0.5
    start_week: int = Field(0, ge=-10_000_000, le=10_000_000)
    trust_loss: Share = 0.2

    @property
    def term_weeks(self) -> int:
        """Weeks in one term (at least one)."""
        return max(1, round(self.term_years * WEEKS_PER_YEAR))

    def check(self, scenario, name: str) -> None:
        """Each funded name is an NGO or a mechanism kind (if on, one paid by a funder)."""
        where = f"funders.{name}"
        for funded in self.funds:
            org = scenario.organisations.get(funded)
            if org is not None:
                if org.kind != OrgKind.NGO:
                    raise ValueError(f"{where}.funds: {funded!r} is a {org.kind.value}; funders "
                                     "fund NGOs and mechanisms (departments are the city's)")
                continue
            if funded not in KINDS:
                raise ValueError(f"{where}.funds: {funded!r} is neither an NGO of this scenario "
                                 f"nor a mechanism ({', '.join(KINDS)})")
            block = getattr(scenario.coordination, funded)
            if block is not None and block.enabled and block.paid_by != FUNDER:
                raise ValueError(f"{where}.funds: coordination.{funded} is paid by "
                                 f"{block.paid_by!r}, not by a funder (expected its paid_by: "
                                 f"{FUNDER})")


def check_funders(scenario) -> None:
    """Check every funder, and that no NGO or mechanism has two funders."""
    owner: dict[str, str] = {}
    for name, funder in scenario.funders.items():
        funder.check(scenario, name)
        for funded in funder.funds:
            if funded in owner:
                raise ValueError(f"funders.{name}.funds: {funded!r} is already funded by "
                                 f"{owner[funded]!r} (one funder each)")
            owner[funded] = name
