"""Coverage of the agreement intervals, simulated: ``python -m benchmarks.agreement_coverage``.

For each number of units, of coders and true agreement, many studies are simulated: coders give
the true category of a unit with probability ``a``, else a category drawn from the same
distribution (0.4, 0.3, 0.2, 0.1), so that the population's kappa and alpha equal ``a**2``
(Fleiss 1971; the pairs of coders agree beyond chance with probability ``a**2``). Each study's
95% interval is computed by evalkit (BCa below 100 units, percentile from 100) and, for
comparison, by the percentile method from the same resamples; the share of intervals that hold
the true value is printed as a Markdown table (``docs/agreement.md`` shows it). With the default
500 studies per setting, a share near 95% has a Monte Carlo standard error of about 1 point.
Same seed, same table.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from evalkit.analyse.qual.agreement import BCA_BELOW_UNITS, _block, _ratings, _run

CATEGORIES = np.array([0.4, 0.3, 0.2, 0.1])


def simulate(n_units: int, n_coders: int, agreement: float, generator) -> pd.DataFrame:
    """Long agreement data of one simulated study (no missing values)."""
    accuracy = np.sqrt(agreement)
    truth = generator.choice(4, size=n_units, p=CATEGORIES)
    random = generator.choice(4, size=(n_coders, n_units), p=CATEGORIES)
    keep = generator.random((n_coders, n_units)) < accuracy
    values = np.where(keep, truth, random)
    return pd.DataFrame({"unit": np.tile(np.arange(n_units), n_coders),
                         "coder": np.repeat(np.arange(n_coders), n_units),
                         "value": values.ravel()})


def intervals(data: pd.DataFrame, measure: str, *, n_boot: int, seed: int
              ) -> dict[str, tuple[float, float]]:
    """evalkit's interval and the percentile interval, from the same resamples."""
    ratings = _ratings(data, unit="unit", coder="coder", value="value")
    block = _block(ratings.pooled(), measure)
    out = {}
    for method in ("evalkit", "percentile"):
        row = _run([block], ratings.n_units, n_boot=n_boot, confidence=0.95, seed=seed,
                   method=None if method == "evalkit" else "percentile")[0]
        out[method] = (row[3], row[4])
    return out


def coverage(n_units: int, n_coders: int, agreement: float, *, n_sim: int, n_boot: int,
             seed: int) -> dict[str, float]:
    generator = np.random.default_rng([seed, n_units, n_coders, int(agreement * 100)])
    measures = ["cohen_kappa" if n_coders == 2 else "fleiss_kappa", "krippendorff_alpha_nominal"]
    hits = {(m, k): 0 for m in measures for k in ("evalkit", "percentile")}
    widths = {m: 0.0 for m in measures}
    for i in range(n_sim):
        data = simulate(n_units, n_coders, agreement, generator)
        for measure in measures:
            found = intervals(data, measure, n_boot=n_boot, seed=i)
            for method, (low, high) in found.items():
                hits[measure, method] += bool(low <= agreement <= high)
            widths[measure] += found["evalkit"][1] - found["evalkit"][0]
    out = {"units": n_units, "coders": n_coders, "agreement": agreement}
    for measure in measures:
        label = "kappa" if "kappa" in measure else "alpha"
        out[label] = hits[measure, "evalkit"] / n_sim
        out[f"{label}_percentile"] = hits[measure, "percentile"] / n_sim
        out[f"{label}_width"] = widths[measure] / n_sim
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, nargs="+", default=[10, 20, 30, 50, 100])
    parser.add_argument("--coders", type=int, nargs="+", default=[2, 3, 5])
    parser.add_argument("--agreement", type=float, nargs="+", default=[0.5, 0.7, 0.9])
    parser.add_argument("--n-sim", type=int, default=500)
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=20261122)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    rows = [coverage(u, c, a, n_sim=args.n_sim, n_boot=args.n_boot, seed=args.seed)
            for u in args.units for c in args.coders for a in args.agreement]
    print(f"{args.n_sim} studies per setting, {args.n_boot} resamples, seed {args.seed}; "
          f"evalkit: BCa below {BCA_BELOW_UNITS} units, percentile from {BCA_BELOW_UNITS} "
          f"({time.perf_counter() - started:.0f} s)\n")
    print("| units | coders | true agreement | kappa (Cohen, Fleiss) | alpha | "
          "kappa, percentile | alpha, percentile | width of kappa's interval |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['units']} | {r['coders']} | {r['agreement']:.1f} | {r['kappa']:.1%} | "
              f"{r['alpha']:.1%} | {r['kappa_percentile']:.1%} | {r['alpha_percentile']:.1%} | "
              f"{r['kappa_width']:.2f} |")


if __name__ == "__main__":
    main()
