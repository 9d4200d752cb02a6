"""The BG/NBD purchase model: it recovers the parameters of stores drawn from it, predicts their held-back
purchases, and matches the paper's formulas and its worked example.

Tolerances come from the spread of the estimates over 40 seeds of 20,000 simulated customers
(365 days of calibration, 180 held back): r and alpha varied by at most 3 % (one standard deviation),
a and b by 9 % (a and b move together, as the shape of a Beta distribution with a fixed mean), the
mean dropout a / (a + b) by 3.4 %, the predicted total holdout by 2.5 %. Each assertion allows about
three of those deviations: r and alpha within 10 %, a and b within 35 %, a / (a + b) within 10 %.
"""

from __future__ import annotations

import numpy as np
import pytest

from domain.intelligence.bgnbd import (
    MIN_CUSTOMERS,
    MIN_REPEATERS,
    PRIORS,
    Parameters,
    Simulated,
    enough_data,
    expected_purchases,
    expected_purchases_new,
    fit,
    probability_alive,
    simulate,
)

FAST_STORE = Parameters(r=0.9, alpha=12.0, a=0.35, b=2.8)  # a purchase every two weeks, few dropouts


def _store(p: Parameters, customers: int, seed: int) -> Simulated:
    return simulate(p, customers, calibration_days=365, holdout_days=180, rng=np.random.default_rng(seed))


@pytest.mark.parametrize(("truth", "seed"), [(PRIORS, 1), (FAST_STORE, 2)], ids=["cdnow-in-days", "fast"])
def test_fit_recovers_the_parameters_of_a_simulated_store(truth: Parameters, seed: int) -> None:
    """Fitting 20,000 customers drawn from known parameters gives those parameters back."""
    # given
    store = _store(truth, 20_000, seed)

    # when
    result = fit(store.x, store.t_x, store.T)

    # then
    found = result.parameters
    assert result.converged
    assert result.customers == 20_000
    assert found.r == pytest.approx(truth.r, rel=0.10)
    assert found.alpha == pytest.approx(truth.alpha, rel=0.10)
    assert found.a == pytest.approx(truth.a, rel=0.35)
    assert found.b == pytest.approx(truth.b, rel=0.35)
    assert found.a / (found.a + found.b) == pytest.approx(truth.a / (truth.a + truth.b), rel=0.10)


def test_weighted_identical_rows_fit_like_the_raw_rows() -> None:
    """Grouping equal (x, t_x, T) rows and passing their counts as weights changes nothing in the fit."""
    # given
    store = _store(PRIORS, 5_000, 3)
    rows = np.column_stack([store.x, np.round(store.t_x), np.round(store.T)])
    unique, counts = np.unique(rows, axis=0, return_counts=True)

    # when
    raw = fit(rows[:, 0], rows[:, 1], rows[:, 2])
    grouped = fit(unique[:, 0], unique[:, 1], unique[:, 2], counts)

    # then
    assert len(unique) < len(rows) / 2
    assert grouped.customers == raw.customers == 5_000
    assert grouped.log_likelihood == pytest.approx(raw.log_likelihood, rel=1e-9)
    for name in ("r", "alpha", "a", "b"):
        assert getattr(grouped.parameters, name) == pytest.approx(getattr(raw.parameters, name), rel=1e-5)


def test_a_store_of_one_time_buyers_does_not_converge() -> None:
    """With no repeat purchase at all the dropout cannot be learnt: the fit says it did not converge."""
    # when
    result = fit(np.zeros(500), np.zeros(500), np.full(500, 200.0))

    # then
    assert not result.converged


def test_enough_data_needs_customers_and_repeaters() -> None:
    """A store is fitted only with MIN_CUSTOMERS customers of whom MIN_REPEATERS came back."""
    # given
    few_repeaters = np.r_[np.ones(MIN_REPEATERS - 1), np.zeros(MIN_CUSTOMERS)]
    enough = np.r_[np.ones(MIN_REPEATERS), np.zeros(MIN_CUSTOMERS - MIN_REPEATERS)]

    # then
    assert not enough_data(few_repeaters)
    assert enough_data(enough)
    assert not enough_data(enough[:-1])
    assert enough_data([0, 1], weights=[MIN_CUSTOMERS - MIN_REPEATERS, MIN_REPEATERS])


def test_a_customer_who_never_came_back_is_alive() -> None:
    """The model lets customers drop out only after a repeat purchase: P(alive) is 1 when x = 0."""
    # when
    alive = probability_alive(PRIORS, [0, 0, 0], [0, 0, 0], [0, 30, 3650])

    # then
    assert alive == pytest.approx([1, 1, 1])


@pytest.mark.parametrize(
    ("p", "x", "t_x", "T", "expected"),
    [
        # 1 / (1 + a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x)) = 1 / (1 + 1 * 1.5 ** 2)
        (Parameters(r=1, alpha=10, a=1, b=1), 1, 10, 20, 1 / 3.25),
        # = 1 / (1 + 2 / 4 * 2 ** 4)
        (Parameters(r=2, alpha=5, a=2, b=3), 2, 5, 15, 1 / 9),
    ],
)
def test_probability_alive_follows_the_paper(
    p: Parameters, x: int, t_x: float, T: float, expected: float
) -> None:
    """P(alive) equals eq. 11 of the paper, worked by hand."""
    assert probability_alive(p, x, t_x, T) == pytest.approx([expected], rel=1e-12)


def test_probability_alive_falls_as_the_silence_grows() -> None:
    """The longer since the last purchase, the less likely the customer is still alive."""
    # when
    alive = probability_alive(PRIORS, np.full(5, 3), np.full(5, 60), [60, 90, 180, 365, 730])

    # then
    assert alive[0] < 1
    assert np.all(np.diff(alive) < 0)


def test_expected_purchases_match_the_papers_example() -> None:
    """The paper's customer (x = 2, t_x = 30.43 weeks, T = 38.86 weeks) expects 1.226 purchases in the
    next 39 weeks under the CDNOW fit; the same in days."""
    # when
    expected = expected_purchases(PRIORS, 39 * 7, 2, 30.43 * 7, 38.86 * 7)

    # then
    assert expected == pytest.approx([1.226], abs=5e-4)


def test_expected_purchases_stay_finite_at_the_limits() -> None:
    """A thousand repeat purchases over ten years neither overflow the likelihood nor the prediction."""
    # given
    x, t_x, T = np.array([0, 1000, 1000]), np.array([0, 3650, 3000]), np.full(3, 3650.0)

    # when
    expected = expected_purchases(PRIORS, 3650, x, t_x, T)
    result = fit(x, t_x, T, weights=[1, 1, 1])

    # then
    assert np.all(np.isfinite(expected)) and np.all(expected >= 0)
    assert np.isfinite(result.log_likelihood)


def test_expected_purchases_past_scipys_range_match_the_exact_series() -> None:
    """Where scipy's hyp2f1 overflows (c = a + b + x - 1 above 171, close to z = 1) the prediction
    still equals eq. 10 summed in 60-digit arithmetic (11.652631578947368 before P(alive))."""
    # given
    p = Parameters(r=3, alpha=30, a=20, b=2.4)

    # when
    expected = expected_purchases(p, 3650, 200, 30, 30)

    # then
    assert expected == pytest.approx(11.652631578947368 * probability_alive(p, 200, 30, 30), rel=1e-9)


def test_expected_purchases_are_continuous_through_a_equal_to_one() -> None:
    """a = 1 divides 0 by 0 in eq. 10; the prediction there lies between its neighbours'."""
    # when
    below, at, above = (
        expected_purchases(Parameters(r=1, alpha=10, a=a, b=1), 30, [0, 2], [0, 5], [0, 10])
        for a in (0.999, 1.0, 1.001)
    )

    # then
    assert np.all(np.isfinite(at))
    assert np.all((above < at) & (at < below))


def test_expected_purchases_of_a_new_customer_match_simulation() -> None:
    """Eq. 9 (a new customer's expected repeat purchases) agrees with the mean of simulated customers
    followed from their first purchase, and with eq. 10 for x = t_x = T = 0."""
    # given
    store = simulate(PRIORS, 200_000, calibration_days=0, holdout_days=180, rng=np.random.default_rng(4))

    # when
    expected = expected_purchases_new(PRIORS, 180)

    # then
    standard_error = store.holdout.std() / np.sqrt(store.holdout.size)
    assert abs(expected - store.holdout.mean()) < 4 * standard_error
    assert expected == pytest.approx(expected_purchases(PRIORS, 180, 0, 0, 0)[0])


def test_predicted_holdout_purchases_match_the_actual_ones() -> None:
    """Fitted on a year of 50,000 customers, the model predicts the next 180 days' repeat purchases
    within 5 % in total (about three standard deviations of the ratio at this size), and by calibration
    frequency 0, 1, …, 7+ each group's mean within four standard errors of its actual mean (Figure 4 of
    the paper)."""
    # given
    store = _store(PRIORS, 50_000, 5)
    fitted = fit(store.x, store.t_x, store.T).parameters

    # when
    predicted = expected_purchases(fitted, 180, store.x, store.t_x, store.T)

    # then
    assert predicted.sum() == pytest.approx(store.holdout.sum(), rel=0.05)
    frequency = np.minimum(store.x, 7)
    for group in range(8):
        actual = store.holdout[frequency == group]
        standard_error = actual.std() / np.sqrt(actual.size)
        assert abs(predicted[frequency == group].mean() - actual.mean()) < 4 * standard_error, group


@pytest.mark.parametrize(
    ("x", "t_x", "T", "message"),
    [
        ([1, 2], [1], [3, 4], "equal lengths"),
        ([1.5], [1], [3], "whole numbers"),
        ([-1], [0], [3], "whole numbers"),
        ([1], [5], [3], "between 0 and T"),
        ([1], [-1], [3], "between 0 and T"),
        ([0], [2], [3], "t_x must be 0"),
        ([1], [np.nan], [3], "finite"),
        ([1], [1], [np.inf], "finite"),
        ([[1]], [[1]], [[3]], "one-dimensional"),
    ],
)
def test_bad_customers_are_refused(x: list[float], t_x: list[float], T: list[float], message: str) -> None:
    """Inconsistent or non-finite customer summaries raise ValueError naming the problem."""
    with pytest.raises(ValueError, match=message):
        fit(x, t_x, T)
    with pytest.raises(ValueError, match=message):
        probability_alive(PRIORS, x, t_x, T)
    with pytest.raises(ValueError, match=message):
        expected_purchases(PRIORS, 30, x, t_x, T)


def test_bad_fit_arguments_are_refused() -> None:
    """No customers, mismatched or negative weights, and impossible parameters raise ValueError."""
    with pytest.raises(ValueError, match="at least one customer"):
        fit([], [], [])
    with pytest.raises(ValueError, match="one entry per customer"):
        fit([1, 0], [1, 0], [2, 2], weights=[1])
    with pytest.raises(ValueError, match="at least 0"):
        fit([1, 0], [1, 0], [2, 2], weights=[1, -1])
    with pytest.raises(ValueError, match="count at least one customer"):
        fit([1, 0], [1, 0], [2, 2], weights=[0, 0])
    with pytest.raises(ValueError, match="days of at least 0"):
        expected_purchases(PRIORS, -1, [1], [1], [2])
    with pytest.raises(ValueError, match="alpha must be"):
        Parameters(r=1, alpha=0, a=1, b=1)
