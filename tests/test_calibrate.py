"""How the calibration chooses a threshold from its dev accuracies (no model, no store)."""

from __future__ import annotations

from evals.calibrate import choose

N = 200  # one case is 0.005


def test_a_one_case_win_keeps_the_current_value() -> None:
    assert choose("ood_min", {0.4: 0.900, 0.5: 0.905, 0.6: 0.900}, 0.4, N) == 0.4


def test_a_two_case_win_moves_the_value() -> None:
    assert choose("ood_min", {0.4: 0.900, 0.5: 0.910, 0.6: 0.905}, 0.4, N) == 0.5


def test_ties_keep_the_current_value() -> None:
    assert choose("relevance_min", {0.35: 0.9, 0.4: 0.9, 0.45: 0.9}, 0.4, N) == 0.4


def test_harmful_takes_the_lowest_value_within_one_case_of_the_best() -> None:
    """A missed harmful purpose is the costlier error."""
    assert choose("harmful_min", {0.4: 0.905, 0.5: 0.910, 0.6: 0.910}, 0.6, N) == 0.4
    assert choose("harmful_min", {0.4: 0.895, 0.5: 0.910, 0.6: 0.910}, 0.6, N) == 0.5


def test_mitigation_takes_the_highest_value_within_one_case_of_the_best() -> None:
    """Risky data taken for removed when it was not is the costlier error."""
    assert choose("mitigated_min", {0.5: 0.910, 0.6: 0.910, 0.7: 0.905, 0.8: 0.905}, 0.6, N) == 0.8
    assert choose("mitigated_min", {0.5: 0.910, 0.6: 0.910, 0.7: 0.900, 0.8: 0.900}, 0.6, N) == 0.6
