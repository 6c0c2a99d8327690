# Reference values for evalkit.analyse.shrinkage, computed with R (metafor; optim).
#
# Run from this folder:  Rscript shrinkage.R
# Writes shrinkage_normal.csv (DerSimonian-Laird tau2 and BLUPs from metafor::rma / blup) and
# shrinkage_betabinomial.csv (beta-binomial maximum likelihood by optim, posterior summaries).
suppressPackageStartupMessages(library(metafor))
options(digits = 15)

# Two small examples, also written in tests/test_shrinkage.py.
means <- data.frame(site = c("A", "B", "C", "D"), mean = c(3.0, 3.5, 2.5, 4.0),
                    sd = c(1.0, 1.2, 0.8, 1.1), n = c(25, 100, 4, 16))
props <- data.frame(site = c("A", "B", "C", "D", "E", "F", "G", "H"),
                    x = c(3, 10, 22, 5, 30, 12, 8, 40), n = c(20, 50, 60, 30, 80, 40, 25, 90))

blups <- function(example, yi, vi, site) {
  fit <- rma(yi = yi, vi = vi, method = "DL")
  b <- blup(fit)
  data.frame(example = example, site = site, tau2 = fit$tau2, mu = as.numeric(fit$beta),
             shrunken = b$pred, se = b$se, ci_low = b$pi.lb, ci_high = b$pi.ub)
}
pooled <- sum(props$x) / sum(props$n)
normal <- rbind(
  blups("means", means$mean, means$sd^2 / means$n, means$site),
  blups("proportions", props$x / props$n, pooled * (1 - pooled) / props$n, props$site))
write.csv(normal, "shrinkage_normal.csv", row.names = FALSE)

# Beta-binomial: maximise sum(lbeta(x + a, n - x + b) - lbeta(a, b)) over (logit mu, log M).
negll <- function(theta, x, n) {
  mu <- plogis(theta[1]); m <- exp(theta[2])
  a <- mu * m; b <- (1 - mu) * m
  -sum(lbeta(x + a, n - x + b) - lbeta(a, b))
}
fit <- optim(c(qlogis(pooled), log(20)), negll, x = props$x, n = props$n, method = "BFGS",
             control = list(reltol = 1e-15, maxit = 10000))
mu <- plogis(fit$par[1]); m <- exp(fit$par[2])
a <- mu * m + props$x; b <- (1 - mu) * m + props$n - props$x
bb <- data.frame(site = props$site, mu = mu, m = m, loglik = -fit$value,
                 shrunken = a / (a + b), ci_low = qbeta(0.025, a, b),
                 ci_high = qbeta(0.975, a, b))
write.csv(bb, "shrinkage_betabinomial.csv", row.names = FALSE)
