# Reference values for evalkit.analyse.weights, computed with R's survey package (Lumley).
#
# Run from this folder:  Rscript weights.R
# Writes: weights_sample.csv and weights_population.csv (the small stored dataset and its
# margins), weights_raked.csv (raked weights), weights_estimates.csv (svymean / svyciprop with
# the raked design and with a fixed-weight design) and weights_chisq.csv (chisq.test of the
# respondents' profile against the margins).
suppressPackageStartupMessages(library(survey))
options(digits = 15)
set.seed(20261122)

make_site <- function(site, n) {
  age <- sample(c("18-44", "45-64", "65+"), n, replace = TRUE, prob = c(0.2, 0.3, 0.5))
  age[1:3] <- c("18-44", "45-64", "65+")          # no empty cell
  sex <- sample(c("F", "M"), n, replace = TRUE, prob = c(0.65, 0.35))
  sex[1:2] <- c("F", "M")
  group <- sample(c("user", "carer"), n, replace = TRUE, prob = c(0.7, 0.3))
  group[1:4] <- c("user", "carer", "user", "carer")
  y <- rbinom(n, 1, ifelse(age == "65+", 0.6, 0.35))
  x <- round(rnorm(n, 50 + 5 * (sex == "F"), 10), 1)
  data.frame(id = sprintf("%s%02d", site, seq_len(n)), site = site, age = age, sex = sex,
             group = group, y = y, x = x)
}
respondents <- rbind(make_site("A", 40), make_site("B", 30), make_site("C", 15))
population <- data.frame(
  site = rep(c("A", "B", "C"), each = 5),
  dimension = rep(c("age", "age", "age", "sex", "sex"), 3),
  level = rep(c("18-44", "45-64", "65+", "F", "M"), 3),
  count = c(300, 400, 300, 520, 480,
            250, 150, 100, 260, 240,
            80, 120, 100, 150, 150))
write.csv(respondents, "weights_sample.csv", row.names = FALSE)
write.csv(population, "weights_population.csv", row.names = FALSE)

margin <- function(pop, dim) {
  m <- pop[pop$dimension == dim, ]
  out <- data.frame(m$level, m$count)
  names(out) <- c(dim, "Freq")
  out
}

estimates <- list()
raked_weights <- list()
chisq <- list()
add_estimates <- function(design, site, group, kind, n, w) {
  m <- svymean(~x, design)
  ci_m <- confint(m)
  p <- svyciprop(~y, design, method = "logit")
  ci_p <- confint(p)
  deff <- length(w) * sum(w^2) / sum(w)^2
  rbind(
    data.frame(site = site, group = group, design = kind, variable = "x", n = n,
               estimate = unname(coef(m)), se = unname(SE(m)),
               ci_low = ci_m[1, 1], ci_high = ci_m[1, 2], deff_kish = deff),
    data.frame(site = site, group = group, design = kind, variable = "y", n = n,
               estimate = unname(unclass(p)[1]), se = unname(sqrt(attr(p, "var"))[1]),
               ci_low = unname(ci_p[1]), ci_high = unname(ci_p[2]), deff_kish = deff))
}

for (s in c("A", "B", "C")) {
  d <- respondents[respondents$site == s, ]
  pop <- population[population$site == s, ]
  total <- sum(pop$count[pop$dimension == "age"])
  d$w0 <- total / nrow(d)
  start <- svydesign(ids = ~1, weights = ~w0, data = d)
  raked <- rake(start, list(~age, ~sex), list(margin(pop, "age"), margin(pop, "sex")),
                control = list(maxit = 1000, epsilon = 1e-12))
  d$weight <- weights(raked)
  raked_weights[[s]] <- d[, c("id", "site", "weight")]
  estimates[[length(estimates) + 1]] <- add_estimates(raked, s, "", "raked", nrow(d), d$weight)
  fixed <- svydesign(ids = ~1, weights = ~weight, data = d)
  estimates[[length(estimates) + 1]] <- add_estimates(fixed, s, "", "fixed", nrow(d), d$weight)
  for (g in c("carer", "user")) {
    dg <- d[d$group == g, ]
    fg <- svydesign(ids = ~1, weights = ~weight, data = dg)
    estimates[[length(estimates) + 1]] <- add_estimates(fg, s, g, "fixed", nrow(dg), dg$weight)
  }
  for (dim in c("age", "sex")) {
    m <- pop[pop$dimension == dim, ]
    observed <- table(factor(d[[dim]], levels = m$level))
    test <- suppressWarnings(chisq.test(as.vector(observed), p = m$count / sum(m$count)))
    chisq[[length(chisq) + 1]] <- data.frame(site = s, dimension = dim,
                                             chi2 = unname(test$statistic),
                                             df = unname(test$parameter),
                                             p_value = test$p.value)
  }
}

write.csv(do.call(rbind, raked_weights), "weights_raked.csv", row.names = FALSE)
write.csv(do.call(rbind, estimates), "weights_estimates.csv", row.names = FALSE)
write.csv(do.call(rbind, chisq), "weights_chisq.csv", row.names = FALSE)
