# Reference values for reverse-keyed items (tests/test_reverse_keying.py), computed with R and psych.
#
# Run from the repository root:   Rscript tests/reference/reverse_keying.R
# Writes: tests/reference/reverse_keying_items.csv  (synthetic 1-5 items, two negatively worded,
#                                                     about 5% of answers missing)
#         tests/reference/reverse_keying.json       (the values the tests compare to)
#
# The data are synthetic (seeded, generated below). Seven items on 1-5 from one normal latent
# factor; items r3 and r6 are worded the other way (their answers fall as the factor rises), as
# a negatively worded wellbeing item does. Every statistic is computed on the listwise-complete
# respondents with r3 and r6 reversed (6 - x), the way psych::alpha's `keys` reverses them.

suppressPackageStartupMessages({
  library(psych)
  library(jsonlite)
})

set.seed(20260412)
n <- 600
loadings <- c(0.75, 0.70, 0.65, 0.70, 0.60, 0.55, 0.65)
cuts <- c(-1.5, -0.6, 0.3, 1.2)
z <- rnorm(n)
items <- sapply(seq_along(loadings), function(i) {
  y <- loadings[i] * z + sqrt(1 - loadings[i]^2) * rnorm(n)
  findInterval(y, cuts) + 1
})
colnames(items) <- paste0("r", seq_along(loadings))
negative <- c("r3", "r6")
items[, negative] <- 6 - items[, negative]      # worded the other way
holes <- matrix(runif(n * ncol(items)) < 0.05, n, ncol(items))
x <- as.data.frame(items)
x[holes] <- NA
write.csv(x, "tests/reference/reverse_keying_items.csv", row.names = FALSE, na = "")

complete <- x[stats::complete.cases(x), ]
reversed <- complete
reversed[, negative] <- 6 - reversed[, negative]

out <- list(psych_version = as.character(packageVersion("psych")),
            r_version = R.version.string, reverse = negative, n_complete = nrow(complete))

# --- Cronbach's alpha and item statistics, with keys (listwise) ------------------------------
a <- psych::alpha(complete, keys = negative, check.keys = FALSE, warnings = FALSE)
ignored <- psych::alpha(complete, check.keys = FALSE, warnings = FALSE)
out$alpha <- list(
  raw_alpha = a$total$raw_alpha,
  std_alpha = a$total$std.alpha,
  feldt_lower = as.numeric(a$feldt$lower.ci),
  feldt_upper = as.numeric(a$feldt$upper.ci),
  raw_alpha_keys_ignored = ignored$total$raw_alpha,
  item_mean = a$item.stats$mean,
  item_sd = a$item.stats$sd,
  item_total_r = a$item.stats$raw.r,
  item_rest_r = a$item.stats$r.drop,
  alpha_if_dropped = a$alpha.drop$raw_alpha
)

# --- Omega total (one factor, minres), on the reversed items ---------------------------------
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
R <- cor(reversed)
om <- psych::omega(reversed, nfactors = 1, plot = FALSE)
out$omega <- list(psych_omega_tot = om$omega.tot,
                  tight_omega_tot = omega_tot(R, uls_loadings(R)))

# --- Ordinal alpha: alpha of the polychoric matrix of the reversed items ---------------------
tau <- psych::polychoric(reversed)$tau
tight <- diag(ncol(reversed))
for (i in 2:ncol(reversed)) for (j in 1:(i - 1)) {
  tab <- table(factor(reversed[[i]], levels = 1:5), factor(reversed[[j]], levels = 1:5))
  tab <- unclass(tab) / sum(tab)
  opt <- optimize(psych:::polyF, interval = c(-1, 1), rc = tau[i, ], cc = tau[j, ], tab = tab,
                  tol = 1e-10)
  tight[i, j] <- tight[j, i] <- opt$minimum
}
out$ordinal_alpha <- list(
  tight = psych::alpha(tight, check.keys = FALSE, warnings = FALSE)$total$raw_alpha)

# --- Scale scores: the mean of the items answered, negative items reversed -------------------
keys <- psych::make.keys(colnames(x), list(scale = c("r1", "r2", "-r3", "r4", "r5", "-r6",
                                                      "r7")))
scores <- psych::scoreItems(keys, x, totals = FALSE, min = 1, max = 5, impute = "none",
                            missing = TRUE)
answered <- rowSums(!is.na(x))
out$scores <- list(mean_score = as.numeric(scores$scores[, 1]), n_answered = answered)

writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null"),
           "tests/reference/reverse_keying.json")
cat("written tests/reference/reverse_keying.json\n")
