# Reference values for Cohen's kappa (tests/test_qual_agreement.py).
# Run from this folder: Rscript cohen_kappa.R   (writes cohen_kappa.json)
# The 3 x 3 table is the SAS example used in statsmodels' tests (rows: coder 1, columns: coder 2).
library(psych)
tab <- matrix(c(0, 4, 1,
                0, 8, 0,
                0, 1, 5), nrow = 3, byrow = TRUE)
r <- cohen.kappa(tab)  # weighted kappa: quadratic weights by default
out <- sprintf(paste0('{\n  "source": "R %s, psych %s, cohen.kappa",\n',
                      '  "table": [[0, 4, 1], [0, 8, 0], [0, 1, 5]],\n',
                      '  "kappa": %.12f,\n  "se_kappa": %.12f,\n',
                      '  "kappa_quadratic": %.12f\n}\n'),
               paste(R.version$major, R.version$minor, sep = "."), packageVersion("psych"),
               r$kappa, sqrt(r$var.kappa), r$weighted.kappa)
cat(out, file = "cohen_kappa.json")
