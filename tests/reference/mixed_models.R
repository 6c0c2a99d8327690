# Reference values for evalkit.analyse.models, computed with R (lme4, MASS, psych).
#
# Run from the repository root:  Rscript tests/reference/mixed_models.R
# Writes tests/reference/mixed_models.json, which tests/test_models.py reads (CI has no R).
#
# Data:
# - dietox.csv: weights of 72 slaughter pigs over 12 weeks (Lauridsen et al. 1999), distributed
#   with the R package geepack (data set `dietox`) and copied here from the test results that
#   statsmodels ships (statsmodels/regression/tests/results/dietox.csv, BSD-3-Clause). The first
#   unnamed column is a row number. 861 rows (one pig has 11 weeks: unbalanced groups); `Feed`
#   has missing values.
# - ologit_ucla.csv: 400 students' intention to apply to graduate school (UCLA Statistical
#   Consulting example for ordinal logistic regression), copied from statsmodels
#   (statsmodels/miscmodels/tests/results/ologit_ucla.csv, BSD-3-Clause).
# - Shrout & Fleiss (1979), Table 2: 6 targets rated by 4 judges (published ICC(1,1) = .17).

suppressPackageStartupMessages({
  library(lme4)
  library(MASS)
  library(psych)
  library(jsonlite)
})

here <- "tests/reference"
out <- list(versions = list(R = R.version.string,
                            lme4 = as.character(packageVersion("lme4")),
                            MASS = as.character(packageVersion("MASS")),
                            psych = as.character(packageVersion("psych"))))

dietox <- read.csv(file.path(here, "dietox.csv"))

lmer_summary <- function(fit) {
  vc <- as.data.frame(VarCorr(fit))
  re <- as.data.frame(ranef(fit, condVar = TRUE))
  list(
    fixef = as.list(fixef(fit)),
    se = as.list(sqrt(diag(as.matrix(vcov(fit))))),
    group_variance = vc$vcov[vc$grp != "Residual"],
    residual_variance = vc$vcov[vc$grp == "Residual"],
    loglik = as.numeric(logLik(fit)),
    aic = AIC(fit),
    bic = BIC(fit),
    nobs = nobs(fit),
    ngroups = as.integer(ngrps(fit)),
    ranef = list(group = as.character(re$grp), condval = re$condval, condsd = re$condsd)
  )
}

# Linear mixed models: random intercept per pig, REML (lme4's default) and ML.
out$dietox_reml <- lmer_summary(lmer(Weight ~ Time + (1 | Pig), data = dietox, REML = TRUE))
out$dietox_ml <- lmer_summary(lmer(Weight ~ Time + (1 | Pig), data = dietox, REML = FALSE))
# With missing values in the outcome (lmer drops incomplete rows, na.action = na.omit).
out$dietox_feed_reml <- lmer_summary(lmer(Feed ~ Time + (1 | Pig), data = dietox, REML = TRUE))
# A fit on the boundary: the raw weight varies within pigs far more than between them, and the
# REML estimate of the between-pig variance is 0 (lme4 reports a singular fit).
out$dietox_boundary <- lmer_summary(suppressMessages(
  lmer(Weight ~ 1 + (1 | Pig), data = dietox, REML = TRUE)))

# ICC within pigs of the weight net of a common growth of 7 kg a week (a pig-level quantity;
# the raw weight is dominated by time). Intercept-only model: the mixed-model ICC.
dietox$net_weight <- dietox$Weight - 7 * dietox$Time
fit0 <- lmer(net_weight ~ 1 + (1 | Pig), data = dietox, REML = TRUE)
vc0 <- as.data.frame(VarCorr(fit0))
out$dietox_icc_mixed <- vc0$vcov[1] / sum(vc0$vcov)

# One-way ANOVA ICC(1) on unbalanced groups (net weight within pigs), from aov's mean squares.
a <- summary(aov(net_weight ~ factor(Pig), data = dietox))[[1]]
msb <- a[1, "Mean Sq"]; msw <- a[2, "Mean Sq"]
df1 <- a[1, "Df"]; df2 <- a[2, "Df"]
sizes <- table(dietox$Pig); N <- sum(sizes); g <- length(sizes)
n0 <- (N - sum(sizes^2) / N) / (g - 1)
f <- msb / msw
fl <- f / qf(0.975, df1, df2); fu <- f * qf(0.975, df2, df1)
out$dietox_icc_anova <- list(icc = (msb - msw) / (msb + (n0 - 1) * msw), n0 = n0,
                             ci_low = (fl - 1) / (fl + n0 - 1), ci_high = (fu - 1) / (fu + n0 - 1))

# Shrout & Fleiss (1979) Table 2, ICC(1,1) with its interval from psych::ICC.
sf <- matrix(c(9, 2, 5, 8,
               6, 1, 3, 2,
               8, 4, 6, 8,
               7, 1, 2, 6,
               10, 5, 6, 9,
               6, 2, 4, 7), ncol = 4, byrow = TRUE)
r <- psych::ICC(sf, lmer = FALSE)$results
icc1 <- r[r$type == "ICC1", ]
out$shrout_fleiss_icc1 <- list(icc = icc1$ICC, ci_low = icc1$`lower bound`,
                               ci_high = icc1$`upper bound`)

# Proportional odds and ordered probit models (MASS::polr).
ucla <- read.csv(file.path(here, "ologit_ucla.csv"))
ucla$apply <- factor(ucla$apply, levels = c("unlikely", "somewhat likely", "very likely"))
polr_summary <- function(method) {
  fit <- polr(apply ~ pared + public + gpa, data = ucla, method = method, Hess = TRUE)
  se <- sqrt(diag(vcov(fit)))
  list(coef = as.list(coef(fit)), coef_se = as.list(se[names(coef(fit))]),
       zeta = as.list(fit$zeta), zeta_se = as.list(se[names(fit$zeta)]),
       loglik = as.numeric(logLik(fit)), aic = AIC(fit), bic = BIC(fit), nobs = nobs(fit))
}
out$polr_logit <- polr_summary("logistic")
out$polr_probit <- polr_summary("probit")

# Unbalanced sites whose covariates differ between sites (as respondents of real sites do):
# the fixed-effect standard errors of lme4 are sqrt(diag(sigma^2 (X' V^-1 X)^-1)), with the
# variance parameters taken as known. Synthetic data, generated here (seeded).
set.seed(20260412)
sizes <- c(4, 9, 15, 22, 31, 48, 70, 110, 6, 160)
site <- rep(sprintf("S%02d", seq_along(sizes)), sizes)
shift <- rep(rnorm(length(sizes), sd = 0.8), sizes)
rung <- pmin(pmax(round(2.5 + shift + rnorm(length(site), sd = 1.1)), 1), 5)
tokenistic <- rbinom(length(site), 1, plogis(-0.3 + 0.6 * shift))
u <- rep(rnorm(length(sizes), sd = 0.35), sizes)
change <- 0.1 + 0.12 * rung - 0.2 * tokenistic + u + rnorm(length(site), sd = 0.6)
unbalanced <- data.frame(site = site, rung = rung, tokenistic = tokenistic,
                         change = round(change, 6))
write.csv(unbalanced, file.path(here, "mixed_unbalanced.csv"), row.names = FALSE)
out$unbalanced_reml <- lmer_summary(lmer(change ~ rung + tokenistic + (1 | site),
                                         data = unbalanced, REML = TRUE))
out$unbalanced_ml <- lmer_summary(lmer(change ~ rung + tokenistic + (1 | site),
                                       data = unbalanced, REML = FALSE))

write_json(out, file.path(here, "mixed_models.json"), auto_unbox = TRUE, digits = NA,
           pretty = TRUE)
