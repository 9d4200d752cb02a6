"""Purchase-prediction benchmark: the BG/NBD model (:mod:`domain.intelligence.bgnbd`) on simulated stores.

    uv run python -m bench.bench_prediction [--calibration 365] [--holdout 180] [--seed 1]

Three stores of different sizes and habits are drawn from known parameters: a year of calibration
(first purchases spread over it) and a held-back period after it. Each store's customers are rounded
to days and grouped into equal ``(x, t_x, T)`` rows, as the refresh does, and fitted; the fit then
predicts every customer's repeat purchases in the held-back period. The baseline is the same
prediction with the true parameters: the best any fit could do, so "MAE ÷ true" is the figure that
travels. No database is needed. Prints Markdown for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

import numpy as np

from domain.intelligence.bgnbd import PRIORS, Parameters, Simulated, expected_purchases, fit, simulate


@dataclass(frozen=True)
class Store:
    name: str
    customers: int
    truth: Parameters


STORES = (
    Store("boutique (CDNOW in days)", 5_000, PRIORS),
    Store("grocer (every two weeks)", 50_000, Parameters(r=0.9, alpha=12.0, a=0.35, b=2.8)),
    Store("marketplace", 200_000, Parameters(r=0.5, alpha=45.0, a=1.2, b=5.0)),
)
GROUPS = ("0", "1", "2", "3", "4", "5", "6", "7+")


@dataclass(frozen=True)
class Outcome:
    store: Store
    fitted: Parameters
    converged: bool
    rows: int
    fit_seconds: float
    actual: np.ndarray
    predicted: np.ndarray
    ideal: np.ndarray
    frequency: np.ndarray


def _run(store: Store, calibration: float, holdout: float, seed: int) -> Outcome:
    simulated: Simulated = simulate(
        store.truth,
        store.customers,
        calibration_days=calibration,
        holdout_days=holdout,
        rng=np.random.default_rng(seed),
    )
    days = np.column_stack([simulated.x, np.round(simulated.t_x), np.round(simulated.T)])
    rows, counts = np.unique(days, axis=0, return_counts=True)
    started = time.perf_counter()
    result = fit(rows[:, 0], rows[:, 1], rows[:, 2], counts)
    fit_seconds = time.perf_counter() - started
    x, t_x, T = days.T
    return Outcome(
        store=store,
        fitted=result.parameters,
        converged=result.converged,
        rows=len(rows),
        fit_seconds=fit_seconds,
        actual=simulated.holdout,
        predicted=expected_purchases(result.parameters, holdout, x, t_x, T),
        ideal=expected_purchases(store.truth, holdout, x, t_x, T),
        frequency=np.minimum(simulated.x, len(GROUPS) - 1),
    )


def _parameters(p: Parameters) -> str:
    return f"{p.r:.3f} / {p.alpha:.1f} / {p.a:.3f} / {p.b:.3f}"


def report(calibration: float, holdout: float, seed: int) -> str:
    outcomes = [_run(store, calibration, holdout, seed + n) for n, store in enumerate(STORES)]
    lines = [
        f"Calibration {calibration:g} days (first purchases uniform over it), holdout {holdout:g} days, "
        f"seeds {seed}–{seed + len(STORES) - 1}.",
        "",
        "| store | customers | grouped rows | true r / alpha / a / b | fitted r / alpha / a / b | converged "
        "| fit (s) | holdout predicted ÷ actual | MAE per customer (fitted) | MAE (true parameters) "
        "| MAE ÷ true |",
        "|---|---:|---:|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for outcome in outcomes:
        error = np.abs(outcome.predicted - outcome.actual).mean()
        ideal_error = np.abs(outcome.ideal - outcome.actual).mean()
        lines.append(
            f"| {outcome.store.name} | {outcome.store.customers:,} | {outcome.rows:,} "
            f"| {_parameters(outcome.store.truth)} | {_parameters(outcome.fitted)} "
            f"| {'yes' if outcome.converged else 'no'} | {outcome.fit_seconds:.2f} "
            f"| {outcome.predicted.sum():,.0f} ÷ {outcome.actual.sum():,} = "
            f"{outcome.predicted.sum() / outcome.actual.sum():.3f} "
            f"| {error:.3f} | {ideal_error:.3f} | {error / ideal_error:.3f} |"
        )
    lines += [
        "",
        f"Mean repeat purchases in the {holdout:g} held-back days by repeat purchases in the calibration "
        "(actual / predicted, customers in brackets):",
        "",
        "| x in calibration | " + " | ".join(outcome.store.name for outcome in outcomes) + " |",
        "|---|" + "---:|" * len(outcomes),
    ]
    for group, label in enumerate(GROUPS):
        cells = []
        for outcome in outcomes:
            members = outcome.frequency == group
            cells.append(
                f"{outcome.actual[members].mean():.3f} / {outcome.predicted[members].mean():.3f} "
                f"({members.sum():,})"
            )
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calibration", type=float, default=365)
    parser.add_argument("--holdout", type=float, default=180)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(report(args.calibration, args.holdout, args.seed))


if __name__ == "__main__":
    main()
