# Reference values from R's mixtools and mclust for the Old Faithful data, the book's example.
#
# What it is: the two Old Faithful fits that the book's chapters show, made with the R packages
# that published them, and written to tests/data/faithful_reference.json:
#
#   waiting_mixtools  normalmixEM(waiting, lambda = 0.5, mu = c(55, 80), sigma = c(5, 5)), the
#                     two-component univariate mixture of the waiting times with a variance per
#                     component: the example with which Benaglia, Chauveau, Hunter & Young (2009,
#                     J. Statist. Software 32(6), section 3.1) introduce mixtools (latent_mle);
#   faithful_mclust   Mclust(faithful, G = 2, modelNames = "VVV"), the two-component mixture of
#                     both columns with a covariance matrix per component (soft_em), with mclust's
#                     default start (model-based hierarchical agglomeration), then em() from its
#                     parameters with a tight tolerance, so that the stored values are the
#                     converged optimum rather than where mclust's default tolerance stops.
#
# Each entry holds the parameters (weights, means, covariance matrices, in emlib's layout: G,
# G x D, G x D x D) and the log-likelihood re-scored from them: for mixtools with dnorm, for mclust
# with sum(dens(..., logarithm = TRUE)) (mclust's reported loglik can lag its parameters by one
# M-step: see scripts/mclust_reference.R). The data are read from emlib's copy,
# emlib/datasets/old_faithful.csv, which is R's datasets::faithful (checked below).
#
# How to regenerate (Debian/Ubuntu), from the repository root:
#     apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
#         r-base-core r-cran-mclust r-cran-mixtools
#     Rscript scripts/faithful_reference.R
#
# The Python tests (tests/test_reference_faithful.py) read the stored JSON; they never need R.

suppressPackageStartupMessages({
  library(mixtools)
  library(mclust)
})

script_path <- "scripts/faithful_reference.R"
data_path <- "emlib/datasets/old_faithful.csv"
out_path <- "tests/data/faithful_reference.json"
if (!file.exists(data_path) || !file.exists(script_path)) {
  stop("run this from the repository root: Rscript ", script_path, call. = FALSE)
}
source("scripts/json_writer.R")  # to_json(): numbers as %.17g, strings escaped

X <- as.matrix(read.csv(data_path, header = TRUE, colClasses = "numeric", comment.char = "#"))
if (!identical(dim(X), c(272L, 2L))) stop("expected a 272 x 2 matrix in ", data_path)
if (!isTRUE(all.equal(unname(X), unname(as.matrix(datasets::faithful)), tolerance = 0))) {
  stop(data_path, " differs from R's datasets::faithful")
}
waiting <- X[, 2]

rows <- function(m) lapply(seq_len(nrow(m)), function(i) I(unname(m[i, , drop = TRUE])))

# ---- mixtools: the waiting times, two components, a variance each ---------------------------
# epsilon: normalmixEM stops when the loglik rises by less than epsilon; 1e-12 runs it to the
# optimum (its default, 1e-8, stops a few iterations earlier).
set.seed(1)  # normalmixEM draws nothing when every start value is given; set anyway
wait_fit <- normalmixEM(waiting, lambda = 0.5, mu = c(55, 80), sigma = c(5, 5),
                        epsilon = 1e-12, maxit = 100000L)
wait_loglik <- sum(log(wait_fit$lambda[1] * dnorm(waiting, wait_fit$mu[1], wait_fit$sigma[1]) +
                       wait_fit$lambda[2] * dnorm(waiting, wait_fit$mu[2], wait_fit$sigma[2])))
cat(sprintf("mixtools waiting: loglik %.10f (reported %.10f), %d iterations\n",
            wait_loglik, wait_fit$loglik, length(wait_fit$all.loglik) - 1L))

# ---- mclust: both columns, VVV, G = 2 ----------------------------------------------------------
G <- 2L
mclust_fit <- Mclust(X, G = G, modelNames = "VVV", verbose = FALSE)
tight <- emControl(tol = c(1e-14, sqrt(.Machine$double.eps)), itmax = c(100000L, 100000L))
converged <- em(data = X, modelName = "VVV", parameters = mclust_fit$parameters, control = tight)
if (is.null(attr(converged, "returnCode")) || attr(converged, "returnCode") != 0) {
  stop("em did not converge from Mclust's fit")
}
mclust_loglik <- sum(dens(data = X, modelName = "VVV", parameters = converged$parameters, logarithm = TRUE))
mclust_default_loglik <- sum(dens(data = X, modelName = "VVV", parameters = mclust_fit$parameters,
                                  logarithm = TRUE))
cat(sprintf("mclust VVV G=2: loglik %.10f converged, %.10f at Mclust's own stop, BIC %.6f\n",
            mclust_loglik, mclust_default_loglik, mclust_fit$bic))
sigma <- converged$parameters$variance$sigma  # D x D x G

results <- list(
  waiting_mixtools = list(
    call = "normalmixEM(waiting, lambda = 0.5, mu = c(55, 80), sigma = c(5, 5), epsilon = 1e-12)",
    column = "waiting",
    weights = I(unname(wait_fit$lambda)),
    means = lapply(wait_fit$mu, function(m) I(m)),
    covariances = lapply(wait_fit$sigma, function(s) list(I(s^2))),
    loglik = wait_loglik,
    iterations = length(wait_fit$all.loglik) - 1L
  ),
  faithful_mclust = list(
    call = "em(faithful, 'VVV', parameters = Mclust(faithful, G = 2, modelNames = 'VVV')$parameters, tol 1e-14)",
    column = "eruptions, waiting",
    weights = I(unname(converged$parameters$pro)),
    means = rows(t(converged$parameters$mean)),
    covariances = lapply(seq_len(G), function(k) rows(sigma[, , k])),
    loglik = mclust_loglik,
    loglik_at_mclust_stop = mclust_default_loglik,
    bic_mclust = mclust_fit$bic
  )
)
provenance <- list(
  description = paste(
    "Old Faithful (emlib/datasets/old_faithful.csv = R datasets::faithful): mixtools normalmixEM",
    "fit of the waiting times (two components, unequal variances, the example of Benaglia et al.",
    "2009), and mclust's VVV, G = 2 fit of both columns run to convergence by em();",
    "log-likelihoods re-scored from the returned parameters"),
  R_version = R.version.string,
  platform = R.version$platform,
  mixtools_version = as.character(packageVersion("mixtools")),
  mclust_version = as.character(packageVersion("mclust")),
  date = format(Sys.time(), "%Y-%m-%dT%H:%M:%SZ", tz = "UTC"),
  command = paste("Rscript", script_path),
  data = data_path,
  data_md5 = unname(tools::md5sum(data_path))
)
writeLines(to_json(list(provenance = provenance, fits = results)), out_path)
cat("wrote", out_path, "\n")
