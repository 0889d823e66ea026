# Reference values from R's mclust for the Wisconsin diagnostic breast-cancer data (WDBC).
#
# What it is: fits a two-component Gaussian mixture (G = 2) to tests/data/wdbc.csv (569 x 30,
# see tests/data/README.md) with mclust for the four covariance models that emlib also has,
#
#     emlib covariance_type   mclust model
#     "tied"                  EEE
#     "full"                  VVV
#     "diag"                  VVI
#     "spherical"             VII
#
# using Mclust(X, G = 2, modelNames = m) with mclust's defaults (its model-based hierarchical
# agglomeration start, no prior, emControl() tolerances), and writes tests/data/mclust_wdbc.json.
#
# For each model the JSON holds four log-likelihoods:
#   loglik_reported  fit$loglik as Mclust reports it. For EEE, VVI and VII (mclust 6.0.0) it is
#                    the log-likelihood from the E-step before the last M-step, so it belongs to
#                    the parameters one M-step before the returned ones (VVV's equals the
#                    re-scored value to rounding);
#   loglik_rescored  sum(dens(..., logarithm = TRUE)): the log-likelihood of the parameters
#                    Mclust actually returned;
#   loglik_after_em  em(X, m, parameters = fit$parameters) run on from there to convergence
#                    (emControl() default tol), and its returned parameters re-scored the same way.
#                    That tolerance is relative (1e-5 of |loglik|), so em stops after a couple of
#                    iterations: this is where mclust's defaults stop, not the exact optimum;
#   loglik_converged em(X, m, parameters = fit$parameters) run again from Mclust's returned
#                    parameters, this time with a tight tolerance (tol_converged, relative
#                    loglik change 1e-14) and a generous itmax (converged_itmax), and its returned
#                    parameters re-scored the same way: the converged EM optimum from Mclust's
#                    start. em_iterations_converged is the number of EM iterations it took.
# Two parameter sets are stored (pro, mean as G x D, sigma as G x D x D):
#   parameters_after_em    the ones that loglik_after_em belongs to (default tolerance);
#   parameters_converged   the ones that loglik_converged belongs to (tight tolerance).
# em_iterations and em_iterations_converged count the EM iterations of the two em runs.
# Numbers are written with sprintf("%.17g"), which round-trips every double exactly (jsonlite's
# toJSON stops at 15 significant digits).
#
# How to regenerate (Debian/Ubuntu), from the repository root:
#     apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends r-base-core r-cran-mclust
#     Rscript scripts/mclust_reference.R
#
# The Python tests read the stored tests/data/mclust_wdbc.json; they never need R. Re-run this
# script only to refresh the reference (and commit the new JSON with its provenance).

suppressPackageStartupMessages(library(mclust))

script_path <- "scripts/mclust_reference.R"
data_path <- "tests/data/wdbc.csv"
out_path <- "tests/data/mclust_wdbc.json"
if (!file.exists(data_path) || !file.exists(script_path)) {
  stop("run this from the repository root: Rscript ", script_path, call. = FALSE)
}

X <- as.matrix(read.csv(data_path, header = TRUE, colClasses = "numeric", check.names = FALSE))
if (!identical(dim(X), c(569L, 30L))) stop("expected a 569 x 30 matrix in ", data_path)
n <- nrow(X)
G <- 2L

models <- list(
  list(emlib = "tied", mclust = "EEE"),
  list(emlib = "full", mclust = "VVV"),
  list(emlib = "diag", mclust = "VVI"),
  list(emlib = "spherical", mclust = "VII")
)

# The tight tolerance of the converged em run: tol[1] bounds the relative change of the loglik
# between iterations (1e-14 * |loglik| is 4e-11 to 1e-9 for these fits, the rounding noise of a
# loglik summed over 569 points), tol[2] is emControl()'s default for the M-step's iterative
# parts. itmax is generous; a fit that used it all up counts as not converged.
converged_tol <- c(1e-14, sqrt(.Machine$double.eps))
converged_itmax <- 100000L

rescore <- function(modelName, parameters) {
  sum(dens(data = X, modelName = modelName, parameters = parameters, logarithm = TRUE))
}

source("scripts/json_writer.R")  # to_json(): numbers as %.17g, strings escaped
rows <- function(m) lapply(seq_len(nrow(m)), function(i) I(unname(m[i, ])))
parameters_json <- function(parameters) {
  sigma <- parameters$variance$sigma                          # mclust stores D x D x G
  list(
    pro = I(unname(parameters$pro)),
    mean = rows(t(parameters$mean)),                          # mclust stores D x G
    sigma = lapply(seq_len(G), function(k) rows(sigma[, , k]))
  )
}

# ---- the fits -------------------------------------------------------------------------------
results <- list()
for (model in models) {
  m <- model$mclust
  fit <- Mclust(X, G = G, modelNames = m, verbose = FALSE)
  if (is.null(fit)) stop("Mclust returned no fit for model ", m)
  loglik_reported <- fit$loglik
  loglik_rescored <- rescore(m, fit$parameters)

  refined <- em(data = X, modelName = m, parameters = fit$parameters)
  code <- attr(refined, "returnCode")
  if (is.null(code) || code != 0) stop("em did not converge for model ", m, " (returnCode ", code, ")")
  iterations <- unname(attr(refined, "info")["iterations"])
  loglik_after_em <- rescore(m, refined$parameters)

  converged <- em(data = X, modelName = m, parameters = fit$parameters,
                  control = emControl(tol = converged_tol, itmax = c(converged_itmax, converged_itmax)))
  code <- attr(converged, "returnCode")
  if (is.null(code) || code != 0) {
    stop("tight-tolerance em did not converge for model ", m, " (returnCode ", code, ")")
  }
  iterations_converged <- unname(attr(converged, "info")["iterations"])
  if (iterations_converged >= converged_itmax) {
    stop("tight-tolerance em used up itmax (", converged_itmax, ") for model ", m)
  }
  loglik_converged <- rescore(m, converged$parameters)

  cat(sprintf("%-4s (%-9s) reported %.10f  rescored %.10f  after em %.10f  (em: %d iterations)\n",
              m, model$emlib, loglik_reported, loglik_rescored, loglik_after_em, as.integer(iterations)))
  cat(sprintf("%-4s (%-9s) converged %.10f  (em loglik %.10f, tol %g: %d iterations)\n",
              m, model$emlib, loglik_converged, converged$loglik, converged_tol[1],
              as.integer(iterations_converged)))

  results[[m]] <- list(
    covariance_type = model$emlib,
    mclust_model = m,
    G = G,
    n = n,
    loglik_reported = loglik_reported,
    loglik_rescored = loglik_rescored,
    loglik_after_em = loglik_after_em,
    em_iterations = iterations,
    parameters_after_em = parameters_json(refined$parameters),
    loglik_converged = loglik_converged,
    em_iterations_converged = iterations_converged,
    tol_converged = I(converged_tol),
    parameters_converged = parameters_json(converged$parameters)
  )
}

control <- emControl()
provenance <- list(
  description = paste(
    "mclust fits, G = 2, of tests/data/wdbc.csv (569 x 30, WDBC); Mclust defaults",
    "(hierarchical-agglomeration start, no prior); log-likelihoods re-scored with",
    "sum(dens(..., logarithm = TRUE)); parameters_after_em are those after em() from Mclust's",
    "fit with emControl() defaults, parameters_converged those after em() from Mclust's fit with",
    "tol_converged (relative loglik change 1e-14) and itmax converged_itmax"),
  R_version = R.version.string,
  platform = R.version$platform,
  mclust_version = as.character(packageVersion("mclust")),
  date = format(Sys.time(), "%Y-%m-%dT%H:%M:%SZ", tz = "UTC"),
  command = paste("Rscript", script_path),
  script = script_path,
  data = data_path,
  data_md5 = unname(tools::md5sum(data_path)),
  em_tol = I(control$tol),
  em_tol_converged = I(converged_tol),
  converged_itmax = converged_itmax,
  hc_use = mclust.options("hcUse"),
  hc_model = mclust.options("hcModelName")
)

writeLines(to_json(list(provenance = provenance, models = results)), out_path)
cat("wrote", out_path, "\n")
