# Reference values for tests/test_reliability.py, computed with R and psych.
#
# Run from the repository root:   Rscript tests/reference/reliability.R
# Writes: tests/reference/reliability_items.csv          (synthetic Likert items, complete)
#         tests/reference/reliability_items_missing.csv  (the same with values removed at random)
#         tests/reference/reliability.json               (the values the tests compare to)
#
# The data are synthetic (seeded, generated below): no third-party data set is redistributed.
# Six items answered on 1-5, generated from one normal latent factor cut at item thresholds;
# item q6 never takes the value 1 (an empty category), so that its handling is checked too.

suppressPackageStartupMessages({
  library(psych)
  library(jsonlite)
})

set.seed(20261122)
n <- 500
loadings <- c(0.75, 0.70, 0.65, 0.60, 0.55, 0.50)
cuts <- c(-1.6, -0.7, 0.2, 1.1)
shift <- c(-0.3, -0.15, 0, 0.1, 0.2, 0.3)
z <- rnorm(n)
items <- sapply(seq_along(loadings), function(i) {
  y <- loadings[i] * z + sqrt(1 - loadings[i]^2) * rnorm(n)
  findInterval(y, cuts + shift[i]) + 1
})
colnames(items) <- paste0("q", seq_along(loadings))
items[items[, "q6"] == 1, "q6"] <- 2          # empty category 1 for q6
x <- as.data.frame(items)

# The same data with about 6% of the answers removed completely at random.
xm <- x
holes <- matrix(runif(n * ncol(x)) < 0.06, n, ncol(x))
xm[holes] <- NA

write.csv(x, "tests/reference/reliability_items.csv", row.names = FALSE)
write.csv(xm, "tests/reference/reliability_items_missing.csv", row.names = FALSE, na = "")

out <- list(psych_version = as.character(packageVersion("psych")),
            r_version = R.version.string)

# --- Cronbach's alpha, complete data -------------------------------------------------------
a <- psych::alpha(x, check.keys = FALSE, warnings = FALSE)
out$alpha <- list(
  n = nrow(x),
  raw_alpha = a$total$raw_alpha,
  std_alpha = a$total$std.alpha,
  feldt_lower = as.numeric(a$feldt$lower.ci),   # psych::alpha.ci: 1 - (1 - alpha) * qf(...), 95%
  feldt_upper = as.numeric(a$feldt$upper.ci),
  item_mean = a$item.stats$mean,
  item_sd = a$item.stats$sd,
  item_total_r = a$item.stats$raw.r,
  item_rest_r = a$item.stats$r.drop,
  alpha_if_dropped = a$alpha.drop$raw_alpha,
  std_alpha_if_dropped = a$alpha.drop$std.alpha
)
# Feldt interval at 90% from the same formula (psych's alpha.ci, p.val = 0.10).
f90 <- psych::alpha.ci(a$total$raw_alpha, nrow(x), ncol(x), p.val = 0.10)
out$alpha$feldt90_lower <- as.numeric(f90$lower.ci)
out$alpha$feldt90_upper <- as.numeric(f90$upper.ci)

# --- Cronbach's alpha, missing data: listwise and pairwise ---------------------------------
complete <- xm[stats::complete.cases(xm), ]
al <- psych::alpha(complete, check.keys = FALSE, warnings = FALSE)
ap <- psych::alpha(xm, check.keys = FALSE, warnings = FALSE, use = "pairwise")
out$alpha_missing <- list(
  n_listwise = nrow(complete),
  listwise_raw_alpha = al$total$raw_alpha,
  listwise_std_alpha = al$total$std.alpha,
  pairwise_raw_alpha = ap$total$raw_alpha,
  pairwise_std_alpha = ap$total$std.alpha,
  pairwise_alpha_if_dropped = ap$alpha.drop$raw_alpha,
  pairwise_std_alpha_if_dropped = ap$alpha.drop$std.alpha
)

# --- Polychoric correlations ---------------------------------------------------------------
# psych::polychoric: two-step (thresholds from each item's marginal, then ML for rho), optimised
# by optimize() with its default tolerance (about 1e-4). The matrix is smoothed only when it is
# not positive definite (it is positive definite here).
pc <- psych::polychoric(x)
# The same two-step likelihood (psych's own polyF, bivariate normal by mnormt::sadmvn),
# maximised to a tight tolerance: the reference for a 1e-5 comparison.
tau <- pc$tau
tight <- diag(ncol(x))
for (i in 2:ncol(x)) for (j in 1:(i - 1)) {
  tab <- table(factor(x[[i]], levels = 1:5), factor(x[[j]], levels = 1:5))
  tab <- unclass(tab) / sum(tab)
  opt <- optimize(psych:::polyF, interval = c(-1, 1), rc = tau[i, ], cc = tau[j, ], tab = tab,
                  tol = 1e-10)
  tight[i, j] <- tight[j, i] <- opt$minimum
}
tau_out <- tau
tau_out[!is.finite(tau_out)] <- NA       # JSON has no infinities: -Inf is written as null
out$polychoric <- list(rho = unname(pc$rho), rho_tight = unname(tight), tau = unname(tau_out))

pcm <- psych::polychoric(xm)
taum <- pcm$tau
tightm <- diag(ncol(xm))
for (i in 2:ncol(xm)) for (j in 1:(i - 1)) {
  ok <- !is.na(xm[[i]]) & !is.na(xm[[j]])
  tab <- table(factor(xm[[i]][ok], levels = 1:5), factor(xm[[j]][ok], levels = 1:5))
  tab <- unclass(tab) / sum(tab)
  opt <- optimize(psych:::polyF, interval = c(-1, 1), rc = taum[i, ], cc = taum[j, ], tab = tab,
                  tol = 1e-10)
  tightm[i, j] <- tightm[j, i] <- opt$minimum
}
taum[!is.finite(taum)] <- NA
out$polychoric_missing <- list(rho = unname(pcm$rho), rho_tight = unname(tightm),
                               tau = unname(taum))

# --- Ordinal alpha: alpha of the polychoric matrix (Zumbo, Gadermann & Zeisser 2007) ------
out$ordinal_alpha <- list(
  psych = psych::alpha(pc$rho, check.keys = FALSE, warnings = FALSE)$total$raw_alpha,
  tight = psych::alpha(tight, check.keys = FALSE, warnings = FALSE)$total$raw_alpha
)

# --- McDonald's omega total from one factor ------------------------------------------------
# psych::omega(nfactors = 1) fits fa(fm = "minres") and reports omega.tot = 1 - sum(u2) / sum(R).
# minres minimises the off-diagonal squared residuals (unweighted least squares); psych's
# optimiser stops at a loose tolerance, so the same criterion is also minimised here tightly.
uls_loadings <- function(R) {
  k <- ncol(R)
  low <- lower.tri(R)
  f <- function(l) sum(((R - tcrossprod(l))[low])^2)
  start <- sqrt(pmax(0.05, 1 - 1 / diag(solve(R))))
  opt <- optim(start, f, method = "BFGS", control = list(reltol = 1e-16, maxit = 10000))
  opt <- optim(opt$par, f, method = "Nelder-Mead", control = list(reltol = 1e-16, maxit = 20000))
  opt <- optim(opt$par, f, method = "BFGS", control = list(reltol = 1e-16, maxit = 10000))
  opt$par
}
omega_tot <- function(R, l) 1 - sum(1 - l^2) / sum(R)

R <- cor(x)
om <- psych::omega(x, nfactors = 1, plot = FALSE)
fa1 <- psych::fa(x, nfactors = 1, fm = "minres")
lt <- uls_loadings(R)
out$omega <- list(
  psych_omega_tot = om$omega.tot,
  psych_minres_loadings = as.vector(fa1$loadings),
  tight_loadings = lt,
  tight_omega_tot = omega_tot(R, lt)
)

omp <- psych::omega(x, nfactors = 1, poly = TRUE, plot = FALSE)
ltp <- uls_loadings(pc$rho)
out$omega_polychoric <- list(
  psych_omega_tot = omp$omega.tot,
  tight_loadings = ltp,
  tight_omega_tot = omega_tot(pc$rho, ltp),
  tight_omega_tot_tight_rho = omega_tot(tight, uls_loadings(tight))
)

writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null"),
           "tests/reference/reliability.json")
cat("written tests/reference/reliability.json\n")
