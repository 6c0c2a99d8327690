"""The quantitative core together at scale: 200 sites × 1,000 respondents × 2 waves.

Times, on the same data: SWEMWBS scale scores, Cronbach's alpha with a Feldt and a
2,000-resample bootstrap interval, tokenism rates by site with Wilson intervals, funnel limits
with the overdispersion check, and the mixed model relating outcome change to involvement.
Target: all of them together in under 20 s and 2 GB. When R is installed, ``psych::alpha`` and
``lme4::lmer`` are timed inside R on the same data (file reading excluded) and the ratios printed.

Run from the repository root:  python -m benchmarks.quant [--sites 200] [--per-site 1000]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from benchmarks._timing import Stopwatch
from evalkit.analyse.funnel import funnel_limits, overdispersion
from evalkit.analyse.involvement import tokenism_rates
from evalkit.analyse.models import involvement_change_data, mixed_model
from evalkit.analyse.reliability import cronbach_alpha
from evalkit.analyse.scales import score_scale
from evalkit.config.study import load_study
from evalkit.datasets import make_demo_study, simulate_responses
from evalkit.datasets.demo import LADDER_ITEMS, WELLBEING_ITEMS

R_SCRIPT = r"""
suppressPackageStartupMessages({library(psych); library(lme4)})
items <- read.csv(commandArgs(TRUE)[1])
change <- read.csv(commandArgs(TRUE)[2])
change <- change[complete.cases(change), ]
a <- system.time(res <- psych::alpha(items, check.keys = FALSE, warnings = FALSE))[["elapsed"]]
m <- system.time(fit <- lmer(outcome_change ~ rung + tokenistic + (1 | site), data = change,
                             REML = TRUE))[["elapsed"]]
cat(sprintf("%.4f %.6f %.4f %.6f\n", a, res$total$raw_alpha, m, fixef(fit)[["rung"]]))
"""


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=200)
    parser.add_argument("--per-site", type=int, default=1000)
    parser.add_argument("--bootstrap", type=int, default=2000)
    args = parser.parse_args(argv)
    timed = Stopwatch(width=56)
    times = timed.times

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        study = load_study(make_demo_study(folder / "s", n_sites=2, n_per_site=20,
                                           formats="plain"))
        inv = study.measures.involvement
        start = time.perf_counter()
        responses = simulate_responses(n_sites=args.sites, n_per_site=args.per_site).responses
        responses[LADDER_ITEMS] = responses[LADDER_ITEMS].mask(responses[LADDER_ITEMS] >= 8)
        before = _peak_mb()
        print(f"Data: {args.sites} sites x {args.per_site} respondents x 2 waves = "
              f"{len(responses):,} rows, generated in {time.perf_counter() - start:.1f} s "
              f"(not counted); process at {before:,.0f} MB\n")
        baseline = responses[responses["wave"] == 1]
        answered = baseline.dropna(subset=WELLBEING_ITEMS, how="all")
        with timed("scale scores (SWEMWBS, Rasch conversion)"):
            score_scale(answered, instrument="swemwbs", items=WELLBEING_ITEMS,
                        id="respondent_id")
        with timed(f"Cronbach's alpha, Feldt + {args.bootstrap:,} bootstrap resamples"):
            alpha = cronbach_alpha(answered, items=WELLBEING_ITEMS, n_boot=args.bootstrap,
                                   seed=1)
        users = baseline[baseline["respondent_type"] == "user"]
        with timed("tokenism rates by site (Wilson intervals)"):
            rates = tokenism_rates(users, voice=inv.tokenism.voice,
                                   influence=inv.tokenism.influence, agree_at=inv.agree_at,
                                   site="site")
        with timed("funnel limits (95%, 99.8%) and overdispersion"):
            spec = dict(site="site", kind="proportion", numerator="n_tokenistic",
                        denominator="n_consulted")
            funnel_limits(rates, **spec)
            overdispersion(rates, **spec)
        with timed("mixed model: outcome change ~ rung + tokenism + (1|site)"):
            change = involvement_change_data(responses, study=study)
            fit = mixed_model(change, formula="outcome_change ~ rung + tokenistic",
                              group="site")
        total = sum(times.values())
        peak = _peak_mb()
        print(f"\n  total: {total:.2f} s (target under 20 s); peak memory of the process "
              f"{peak:,.0f} MB, of which {peak - before:,.0f} MB during the analyses "
              "(target under 2 GB)")
        alpha_value = float(alpha.loc[alpha["ci_method"] == "feldt", "estimate"].iloc[0])
        slope = float(fit.coefficients.set_index("term").loc["rung", "estimate"])
        if shutil.which("Rscript") is None:
            print("  Rscript not found: no comparison with psych::alpha and lme4::lmer")
            return 0
        answered[WELLBEING_ITEMS].dropna().to_csv(folder / "items.csv", index=False)
        change[["site", "rung", "tokenistic", "outcome_change"]].to_csv(folder / "change.csv",
                                                                        index=False)
        (folder / "bench.R").write_text(R_SCRIPT, encoding="utf-8")
        run = subprocess.run(["Rscript", str(folder / "bench.R"), str(folder / "items.csv"),
                              str(folder / "change.csv")], capture_output=True, text=True)
        if run.returncode != 0:
            print("  R comparison failed: " + (run.stderr.strip().splitlines() or ["?"])[-1])
            return 0
        r_alpha_s, r_alpha, r_lmer_s, r_slope = map(float, run.stdout.split())
        name_alpha = next(k for k in times if k.startswith("Cronbach"))
        name_model = next(k for k in times if k.startswith("mixed model"))
        print(f"  R psych::alpha (no bootstrap): {r_alpha_s:.2f} s, alpha {r_alpha:.6f} "
              f"(evalkit {alpha_value:.6f}); evalkit with {args.bootstrap:,} resamples / R "
              f"without: {times[name_alpha] / r_alpha_s:.2f}")
        print(f"  R lme4::lmer: {r_lmer_s:.2f} s, rung slope {r_slope:.5f} (evalkit "
              f"{slope:.5f}); evalkit / R time ratio: {times[name_model] / r_lmer_s:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
