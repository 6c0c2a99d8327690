# Reference values for the intervals of evalkit.analyse.involvement and evalkit.analyse.outcomes, from base R.
#
# Run from the repository root:  Rscript tests/reference/intervals.R
# Writes tests/reference/intervals.json, which tests/test_involvement.py and
# tests/test_outcomes.py read (CI has no R).
#
# Data: R's `sleep` data set (Student 1908; Cushny & Peebles 1905): extra hours of sleep of 10
# patients under two drugs, copied into the Python tests as literal numbers.

suppressPackageStartupMessages(library(jsonlite))
here <- "tests/reference"
out <- list(R = R.version.string)

# Wilson score intervals: prop.test without continuity correction gives Wilson's interval.
cases <- list(c(81, 263), c(15, 148), c(0, 20), c(1, 29), c(29, 29), c(7, 40), c(18, 65))
out$wilson <- lapply(cases, function(xn) {
  ci <- prop.test(xn[1], xn[2], correct = FALSE, conf.level = 0.95)$conf.int
  ci99 <- prop.test(xn[1], xn[2], correct = FALSE, conf.level = 0.99)$conf.int
  list(x = xn[1], n = xn[2], low = ci[1], high = ci[2], low99 = ci99[1], high99 = ci99[2])
})

drug1 <- sleep$extra[sleep$group == 1]
drug2 <- sleep$extra[sleep$group == 2]

# Paired t interval of the mean change (drug 2 minus drug 1).
tp <- t.test(drug2, drug1, paired = TRUE, conf.level = 0.95)
out$paired <- list(mean = unname(tp$estimate), low = tp$conf.int[1], high = tp$conf.int[2],
                   p_value = tp$p.value)

# Welch interval of a difference of means (drug 2 minus drug 1, as independent groups).
tw <- t.test(drug2, drug1, var.equal = FALSE, conf.level = 0.95)
out$welch <- list(difference = unname(tw$estimate[1] - tw$estimate[2]), low = tw$conf.int[1],
                  high = tw$conf.int[2], df = unname(tw$parameter))

# Standardised mean change d_z = mean / sd of the changes, interval by inverting the noncentral
# t distribution (pt with ncp) with uniroot. R's pnt warns that far-tail probabilities met during
# the search lack full precision; the roots are unaffected (same to 1e-12 with other brackets).
d <- drug2 - drug1
n <- length(d)
dz <- mean(d) / sd(d)
tobs <- dz * sqrt(n)
ncp_for <- function(p) suppressWarnings(
  uniroot(function(ncp) pt(tobs, n - 1, ncp) - p, c(tobs - 10, tobs + 10), tol = 1e-12)$root)
out$d_z <- list(d_z = dz, low = ncp_for(0.975) / sqrt(n), high = ncp_for(0.025) / sqrt(n),
                low90 = ncp_for(0.95) / sqrt(n), high90 = ncp_for(0.05) / sqrt(n))

write_json(out, file.path(here, "intervals.json"), auto_unbox = TRUE, digits = NA,
           pretty = TRUE)
