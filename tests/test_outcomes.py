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


# ------------------------------------------------------------------ needs as states
ENTITLEMENT = {"time": {"years": 14},
               "sectors": {"health": {"need_arises": "entering_band", "need_rate_per_year": None,
                                      "service_weeks": "while_eligible", "lapse_weeks": "never"}}}


def weeks_to_age_out(model) -> int:
    """Weeks until the one child of the hand-built family turns 13 (leaves the [0, 13) band)."""
    return 13 * 52 - int(model.pop.children.ages(np.array([0]), model.week)[0, 0])


def test_an_entitlement_stays_open_until_taken_up_and_the_place_lasts_until_the_band_ends():
    model = CoordinationModel(hand_built(**ENTITLEMENT), check=True)
    left = weeks_to_age_out(model)
    assert left > 40, "the seed's child must be young enough for this test"
    model.step()
    assert model.pop.need_start[0, 0] == 0  # opened the week the (already present) child is in it
    for _ in range(30):  # nobody applies: an entitlement not taken up does not lapse
        model.step()
    assert model.pop.need_start[0, 0] == 0 and model.ledger.needs_lapsed == 0
    model.book.apply(np.array([0]), np.array([0]), np.array([0]), SOURCE_SEEKING)
    for _ in range(5):
        model.step()
    assert len(model.book.cases) == 1 and model.ledger.needs_met == 0  # a place, held
    while model.week < left:
        model.step()
    model.step()
    assert model.ledger.needs_met == 1 and len(model.book.cases) == 0  # held until the band ended
    assert model.pop.need_start[0, 0] < 0
    assert model.pop.next_need[0, 0] > model.params.time.steps  # no further need event


def test_a_second_place_of_a_lasting_service_is_left_after_one_week():
    model = CoordinationModel(hand_built(**ENTITLEMENT), check=True)
    model.step()
    both = np.array([0, 1])
    model.book.apply(np.array([0, 0]), np.array([0, 0]), both, SOURCE_SEEKING)
    model.step()  # both providers place the child in the same week: one place is a duplicate
    assert model.ledger.service_weeks_duplicate == 1 and model.ledger.service_weeks == 2
    for _ in range(3):
        model.step()
    assert len(model.book.cases) == 1 and model.pop.need_start[0, 0] >= 0  # kept one, still open
    assert model.ledger.service_weeks_duplicate == 1 and model.ledger.needs_met == 0


@pytest.mark.parametrize("effect", [0.0, 1.0])
def test_treatment_protects_against_a_new_need_for_the_protection_weeks(effect):
    condition = {"time": {"years": 3},
                 "sectors": {"health": {"need_rate_per_year": 1.0, "service_weeks": 1,
                                        "lapse_weeks": "never", "protection_weeks": 1000,
                                        "protection_effect": effect}}}
    model = CoordinationModel(hand_built(**condition), check=True)
    left = weeks_to_age_out(model)
    model.step()
    model.book.apply(np.array([0]), np.array([0]), np.array([0]), SOURCE_SEEKING)
    for _ in range(4):
        model.step()
    assert model.ledger.needs_met == 1  # treated
    while model.week < left - 1:  # the child still in the band
        model.step()
    started_again = model.pop.need_start[0, 0] >= 0
    assert started_again == (effect == 0.0)  # a need event is near certain each week after
    assert (model.ledger.needs_prevented > 0) == (effect == 1.0)


def test_an_untreated_condition_never_lapses():
    condition = {"time": {"years": 3},
                 "sectors": {"health": {"need_rate_per_year": 1.0, "lapse_weeks": "never"}}}
    model = CoordinationModel(hand_built(**condition), check=True)
    left = weeks_to_age_out(model)
    while model.week < left - 1:  # the child still in the band: the need stays open
        model.step()
    assert model.pop.need_start[0, 0] == 0 and model.ledger.needs_lapsed == 0
    model.run()  # the child leaves the band: only then does the need end unmet
    assert model.pop.need_start[0, 0] < 0 and model.ledger.needs_lapsed == 1


@pytest.mark.parametrize("sector, message", [
    ({"need_arises": "entering_band"}, "need_rate_per_year does not apply"),
    ({"need_rate_per_year": None}, "need_rate_per_year is required"),
    ({"need_arises": "entering_band", "need_rate_per_year": None, "marginalised_multiplier": 2.0},
     "marginalised_multiplier does not apply"),
])
def test_how_a_need_arises_and_its_rate_must_agree(sector, message):
    with pytest.raises(Exception, match=message):
        hand_built(sectors={"health": sector})
