"""Timing of the cross-site analyses at scale: 200 sites × 1,000 respondents × 2 waves.

Run from the repository root:  python -m benchmarks.sites
Prints the seconds of each analysis (the data generation is not counted) and the peak memory
of the process. Target: the cross-site analyses together in 1-2 s (they share a 20 s / 2 GB
budget with the other analyses at this scale).
"""

from __future__ import annotations

import resource
import sys
import warnings
from contextlib import contextmanager
from time import perf_counter

import pandas as pd

from evalkit.analyse.funnel import funnel_limits, overdispersion
from evalkit.analyse.network import traffic_light_distribution
from evalkit.analyse.shrinkage import shrunken_estimates
from evalkit.analyse.weights import rake_weights, representativeness, weighted_proportion
from evalkit.datasets import simulate_responses

N_SITES, N_PER_SITE, WAVES = 200, 1000, 2


@contextmanager
def timed(label: str, timings: dict[str, float]):
    start = perf_counter()
    yield
    timings[label] = perf_counter() - start


def main() -> None:
    start = perf_counter()
    demo = simulate_responses(n_sites=N_SITES, n_per_site=N_PER_SITE, waves=WAVES, seed=1)
    responses = demo.responses
    print(f"generated {len(responses):,} responses ({N_SITES} sites × {N_PER_SITE} × {WAVES} "
          f"waves) in {perf_counter() - start:.1f} s (not counted)")
    users = responses[responses["respondent_type"] == "user"]
    consulted = users[users["inv_consulted"].between(4, 5) & (users["inv_influence"] <= 5)]
    tokenism = consulted.assign(tokenistic=(consulted["inv_influence"] < 4).astype(int))
    timings: dict[str, float] = {}
    with timed("funnel limits (tokenism, exact binomial)", timings):
        funnel_limits(tokenism, site="site", y="tokenistic")
    with timed("overdispersion (tokenism)", timings):
        od = overdispersion(tokenism, site="site", y="tokenistic")
    with timed("funnel limits widened by tau2", timings):
        funnel_limits(tokenism, site="site", y="tokenistic", tau2=float(od["tau2"].iloc[0]))
    with timed("funnel limits (wellbeing item, mean)", timings):
        funnel_limits(users, site="site", kind="mean", y="wb_1")
    with timed("shrinkage (beta-binomial)", timings):
        shrunken_estimates(tokenism, site="site", y="tokenistic")
    with timed("shrinkage (normal-normal)", timings):
        shrunken_estimates(tokenism, site="site", y="tokenistic", method="normal")
    with timed("representativeness (users, 2 dimensions)", timings):
        representativeness(users, population=demo.population, site="site",
                           dimensions=["age_group", "sex"])
    weights = []
    with timed("raking (users, each wave, 2 dimensions)", timings), warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # every site must converge
        for _, wave in users.groupby("wave"):
            weights.append(rake_weights(wave, population=demo.population, site="site",
                                        dimensions=["age_group", "sex"])["weight"])
    weighted = users.assign(weight=pd.concat(weights),
                            consulted=users["inv_consulted"].between(4, 5).astype(int))
    with timed("weighted proportion per site × wave", timings):
        weighted_proportion(weighted, y="consulted", weight="weight", site="site", group="wave")
    with timed("traffic light distribution per site", timings):
        traffic_light_distribution(users, site="site", paid="net_paid", peers="net_peers",
                                   community="net_community")
    width = max(map(len, timings))
    for label, seconds in timings.items():
        print(f"  {label:<{width}}  {seconds:6.3f} s")
    print(f"  {'total':<{width}}  {sum(timings.values()):6.3f} s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    peak_mb = peak / 1e6 if sys.platform == "darwin" else peak / 1e3
    print(f"peak memory of the process (generation included): {peak_mb:,.0f} MB")


if __name__ == "__main__":
    main()
