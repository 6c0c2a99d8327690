# The same random-intercept model as benchmarks/mixed.py, fitted by lme4::lmer on the data the
# benchmark wrote. Prints one line per repeat with the fit's elapsed seconds (reading the file
# is not timed), then the fixed effects and their standard errors.
# Usage: Rscript benchmarks/mixed_lme4.R DATA.csv REPEATS
suppressPackageStartupMessages(library(lme4))
args <- commandArgs(trailingOnly = TRUE)
data <- read.csv(args[1])
data$site <- factor(data$site)
repeats <- as.integer(args[2])
for (k in seq_len(repeats)) {
  elapsed <- system.time(
    fit <- lmer(outcome_change ~ rung + tokenistic + (1 | site), data = data, REML = TRUE)
  )[["elapsed"]]
  cat(sprintf("time %.6f\n", elapsed))
}
coefs <- summary(fit)$coefficients
for (term in rownames(coefs)) {
  cat(sprintf("coef %s %.12g %.12g\n", term, coefs[term, "Estimate"], coefs[term, "Std. Error"]))
}
