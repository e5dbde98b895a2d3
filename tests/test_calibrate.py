"""How the calibration chooses a threshold from its dev accuracies (no model, no store)."""

from __future__ import annotations

from evals.calibrate import MIN_GAIN, choose

N = 800  # dev cases and their paraphrases
Q = 1 / N  # one question


def test_a_small_win_keeps_the_current_value() -> None:
    assert choose("ood_min", {0.4: 0.900, 0.5: 0.900 + (MIN_GAIN - 1) * Q, 0.6: 0.900}, 0.4, N) == 0.4


def test_a_win_of_min_gain_questions_moves_the_value() -> None:
    assert choose("ood_min", {0.4: 0.900, 0.5: 0.900 + MIN_GAIN * Q, 0.6: 0.901}, 0.4, N) == 0.5


def test_ties_keep_the_current_value() -> None:
    assert choose("relevance_min", {0.35: 0.9, 0.4: 0.9, 0.45: 0.9}, 0.4, N) == 0.4


def test_harmful_takes_the_lowest_value_near_the_best() -> None:
    """A missed harmful purpose is the costlier error."""
    best = 0.910
    assert choose("harmful_min", {0.4: best - (MIN_GAIN - 1) * Q, 0.5: best, 0.6: best}, 0.6, N) == 0.4
    assert choose("harmful_min", {0.4: best - MIN_GAIN * Q, 0.5: best, 0.6: best}, 0.6, N) == 0.5


def test_mitigation_takes_the_highest_value_near_the_best() -> None:
    """Risky data taken for removed when it was not is the costlier error."""
    best = 0.910
    near, far = best - (MIN_GAIN - 1) * Q, best - MIN_GAIN * Q
    assert choose("mitigated_min", {0.5: best, 0.6: best, 0.7: near, 0.8: near}, 0.6, N) == 0.8
    assert choose("mitigated_min", {0.5: best, 0.6: best, 0.7: far, 0.8: far}, 0.6, N) == 0.6
