"""Outcomes for children (sim/core/outcomes.py): the full package, harm while a protection concern
is unmet, and indicators read as states."""

import numpy as np
import pytest

from sim.core.model import CoordinationModel
from sim.core.phases.finding import SOURCE_SEEKING
from tests.conftest import hand_built

TWO_SECTORS = {
    "time": {"years": 2, "follow_up_weeks": 4},
    # needs arise at once and a service lasts past the first year: one episode per sector in it
    "sectors": {"health": {"need_rate_per_year": 1.0, "service_weeks": 60, "lapse_weeks": 1e6},
                "nutrition": {"ages": [0, 13], "need_rate_per_year": 1.0, "service_weeks": 60,
                              "lapse_weeks": 1e6}},
    "organisations": {"clinic_b": {"sectors": ["nutrition"]}},
}


def first_week_needs(model) -> np.ndarray:
    """Run the first week without applications: the family's needs arise (a chance of 1 a year
    starts them at once)."""
    model.step()
    assert (model.pop.need_start[0] >= 0).all()
    return model.pop.need_start[0].copy()


def judged(model) -> None:
    """Run until the first year's window is judged."""
    while model.ledger.package.windows == 0:
        model.step()


@pytest.mark.parametrize("serve, fully", [((0, 1), 1.0), ((0,), 0.0), ((), 0.0)])
def test_a_family_is_fully_served_only_when_every_need_is_served_in_time(serve, fully):
    model = CoordinationModel(hand_built(**TWO_SECTORS), check=True)
    first_week_needs(model)
    for sector in serve:  # apply to the provider of each sector to be served
        model.book.apply(np.array([0]), np.array([sector]), np.array([sector]), SOURCE_SEEKING)
    judged(model)
    package = model.ledger.package
    assert package.families.sum() == 1  # one family, with a need in the first year
    assert model.summary()["full_package_share"] == fully
    served = [model.summary()[f"children_reached.{s}"] for s in ("health", "nutrition")]
    assert [v > 0 for v in served] == [s in serve for s in (0, 1)]  # each sector that served it


def test_an_unmet_protection_concern_accrues_harm_and_never_counts_as_met():
    harm = {"time": {"years": 2, "follow_up_weeks": 4},
            "sectors": {"health": {"need_rate_per_year": 1.0, "lapse_weeks": 10.0,
                                   "unmet_outcome": "harm"}}}
    model = CoordinationModel(hand_built(**harm), check=True)
    model.run()
    led, summary = model.ledger, model.summary()
    assert led.harm_weeks > 0 and summary["protection_harm_weeks"] > 0
    assert led.needs_met == 0 and summary["coverage"] == 0.0
    assert led.severe_outcomes > 0  # unmet concerns end in severe outcomes
    assert summary["severe_outcomes"] > 0


def test_indicators_count_children_in_their_ages_and_state():
    states = {"time": {"years": 1, "follow_up_weeks": 0},
              "sectors": {"health": {"need_rate_per_year": 1.0, "service_weeks": 520,
                                     "indicator": "benefit_receipt"}}}
    model = CoordinationModel(hand_built(**states), check=True)
    first_week_needs(model)
    model.book.apply(np.array([0]), np.array([0]), np.array([0]), SOURCE_SEEKING)
    model.run()  # served (a case for the rest of the run) from week 1
    summary = model.summary()
    surveys = model.ledger.indicators
    assert surveys.children["benefit_receipt"] == 4  # one child, a survey each quarter
    assert summary["benefit_receipt"] == 0.75  # not yet served at the week-0 survey, then always
    assert np.isnan(summary["early_learning_participation"])  # no sector carries it
