# Reference values from R's factanal (package stats) for emlib's factor analysis.
#
# What it is: maximum-likelihood factor analysis with stats::factanal, with its defaults
# (rotation = "varimax" does not change the uniquenesses or the statistic; start
# (1 - q / (2p)) / diag(solve(R)); L-BFGS-B on the uniquenesses with lower bound 0.005), of
#
#   ability   R's datasets::ability.cov (six ability tests, n.obs = 112; Smith and Stanley 1983),
#             for factors = 1 and 2: the example of ?factanal;
#   heywood   a 4 x 4 correlation matrix (n.obs = 100, written below) whose one-factor fit is a
#             Heywood case: the first uniqueness wants to be negative, and factanal reports it at
#             its lower bound 0.005.
#
# For each fit the JSON holds the uniquenesses, the minimised objective
# F = log det(C) - log det(S) + tr(S C^-1) - p (on the correlation scale; factanal's
# criteria["objective"]), Bartlett's chi-squared statistic
# (n.obs - 1 - (2p + 5)/6 - 2q/3) F, its degrees of freedom 0.5 ((p - q)^2 - p - q), the p-value,
# and whether optim reported convergence. The covariance matrices are stored as given (factanal
# rescales them to correlations: the uniquenesses and F do not depend on the divisor or the units).
# Numbers are written with sprintf("%.17g") (scripts/json_writer.R).
#
# How to regenerate (Debian/Ubuntu; stats and datasets come with R), from the repository root:
#     apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends r-base-core
#     Rscript scripts/factanal_reference.R
#
# The Python tests (tests/test_factor_analysis.py) read the stored tests/data/factanal_ability.json;
# they never need R. Re-run this script only to refresh the reference (and commit the new JSON
# with its provenance).

script_path <- "scripts/factanal_reference.R"
out_path <- "tests/data/factanal_ability.json"
if (!file.exists(script_path)) {
  stop("run this from the repository root: Rscript ", script_path, call. = FALSE)
}
source("scripts/json_writer.R")  # to_json(): numbers as %.17g, strings escaped

rows <- function(m) lapply(seq_len(nrow(m)), function(i) I(unname(m[i, ])))

fit_json <- function(covariance, n_obs, factors) {
  fit <- factanal(factors = factors, covmat = covariance, n.obs = n_obs)
  if (!fit$converged) stop("factanal did not converge for factors = ", factors)
  statistic <- if (is.null(fit$STATISTIC)) NULL else unname(fit$STATISTIC)
  p_value <- if (is.null(fit$PVAL)) NULL else unname(fit$PVAL)
  list(
    factors = factors,
    uniquenesses = I(unname(fit$uniquenesses)),
    objective = unname(fit$criteria["objective"]),
    statistic = statistic,
    dof = unname(fit$dof),
    p_value = p_value,
    converged = if (fit$converged) "TRUE" else "FALSE"
  )
}

ability <- datasets::ability.cov
heywood <- matrix(
  c(
    1.00, 0.85, 0.80, 0.70,
    0.85, 1.00, 0.60, 0.50,
    0.80, 0.60, 1.00, 0.45,
    0.70, 0.50, 0.45, 1.00
  ),
  nrow = 4
)
heywood_n <- 100

provenance <- list(
  R_version = R.version.string,
  platform = R.version$platform,
  stats_version = as.character(packageVersion("stats")),
  date = format(Sys.time(), "%Y-%m-%dT%H:%M:%SZ", tz = "UTC"),
  command = paste("Rscript", script_path),
  calls = "factanal(factors = q, covmat = covariance, n.obs = n_obs)"
)
result <- list(
  provenance = provenance,
  ability = list(
    variables = as.list(colnames(ability$cov)),
    n_obs = ability$n.obs,
    covariance = rows(ability$cov),
    fits = lapply(1:2, function(q) fit_json(ability$cov, ability$n.obs, q))
  ),
  heywood = list(
    n_obs = heywood_n,
    covariance = rows(heywood),
    fits = list(fit_json(heywood, heywood_n, 1))
  )
)
writeLines(to_json(result), out_path)
cat("wrote", out_path, "\n")
