# Reference values from R's mclust for MAP-EM under the conjugate prior of Fraley and Raftery (2007),
# "Bayesian regularization for normal mixture estimation and model-based clustering", Journal of
# Classification 24, 155-181: mclust's priorControl() / defaultPrior().
#
# What it is: for Old Faithful (emlib/datasets/old_faithful.csv = R's datasets::faithful, 272 x 2) and
# iris (emlib/datasets/iris.csv, the four measurements of R's datasets::iris, 150 x 4; both checked
# below), for G = 2 and 3 components and the four mclust models that emlib also has,
#
#     emlib covariance_type   mclust model
#     "full"                  VVV
#     "tied"                  EEE
#     "diag"                  VVI
#     "spherical"             VII
#
# it stores
#   starts[[data_G]]  z: fixed responsibilities, the hierarchical-agglomeration classification
#                     unmap(hclass(hc(X), G)) softened to 0.9 z + 0.1 / G (every entry positive);
#   prior             defaultPrior(X, G, model): shrinkage, mean, dof and scale (a D x D matrix for
#                     VVV and EEE, a number for VVI and VII);
#   mstep             mstep(modelName = model, data = X, z = z, prior = priorControl()): one MAP
#                     M-step from z (pro, mean as G x D, sigma as G x D x D);
#   me_fixed          me(modelName = model, data = X, z = z, prior = priorControl(),
#                     control = emControl(tol = 0, itmax = 5)): exactly five M-steps (the first one
#                     from z, each later one from the E-step of the previous parameters), with
#                     me's loglik (the log-likelihood of the returned parameters, no prior term)
#                     and loglik_rescored = sum(dens(..., logarithm = TRUE)) of them;
#   me_converged      the same call with emControl(tol = 0, itmax = 100000): me stops when the
#                     log-likelihood no longer changes at all (err = 0), at the MAP fixed point to
#                     rounding; residual is the largest relative change of a mean or covariance
#                     entry in one more iteration (me from the returned z, itmax = 1).
# mclust puts no prior on the mixing proportions (pro = N_k / N: a Dirichlet(1) prior).
# Numbers are written with sprintf("%.17g") (scripts/json_writer.R), which round-trips every double.
#
# How to regenerate (Debian/Ubuntu), from the repository root:
#     apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends r-base-core r-cran-mclust
#     Rscript scripts/mclust_prior_reference.R
#
# The Python tests (tests/test_prior.py) read the stored tests/data/mclust_prior_reference.json; they
# never need R.

suppressPackageStartupMessages(library(mclust))

script_path <- "scripts/mclust_prior_reference.R"
out_path <- "tests/data/mclust_prior_reference.json"
faithful_path <- "emlib/datasets/old_faithful.csv"
iris_path <- "emlib/datasets/iris.csv"
if (!file.exists(script_path) || !file.exists(faithful_path) || !file.exists(iris_path)) {
  stop("run this from the repository root: Rscript ", script_path, call. = FALSE)
}

read_numeric <- function(path, columns) {
  table <- read.csv(path, header = TRUE, comment.char = "#")
  as.matrix(table[, columns])
}
faithful_X <- read_numeric(faithful_path, 1:2)
iris_X <- read_numeric(iris_path, 1:4)
if (!isTRUE(all.equal(unname(faithful_X), unname(as.matrix(datasets::faithful)), tolerance = 0))) {
  stop(faithful_path, " differs from datasets::faithful")
}
if (!isTRUE(all.equal(unname(iris_X), unname(as.matrix(datasets::iris[, 1:4])), tolerance = 0))) {
  stop(iris_path, " differs from datasets::iris[, 1:4]")
}
data_sets <- list(faithful = faithful_X, iris = iris_X)

models <- list(
  list(emlib = "full", mclust = "VVV"),
  list(emlib = "tied", mclust = "EEE"),
  list(emlib = "diag", mclust = "VVI"),
  list(emlib = "spherical", mclust = "VII")
)
components <- c(2L, 3L)
softening <- 0.1
fixed_itmax <- 5L
converged_itmax <- 100000L

source("scripts/json_writer.R")  # to_json(): numbers as %.17g, strings escaped
rows <- function(m) lapply(seq_len(nrow(m)), function(i) I(unname(m[i, ])))
parameters_json <- function(parameters, G) {
  sigma <- parameters$variance$sigma                          # mclust stores D x D x G
  list(
    pro = I(unname(parameters$pro)),
    mean = rows(t(parameters$mean)),                          # mclust stores D x G
    sigma = lapply(seq_len(G), function(k) rows(sigma[, , k]))
  )
}
prior_json <- function(prior) {
  scale <- prior$scale
  list(
    shrinkage = prior$shrinkage,
    mean = I(unname(prior$mean)),
    dof = prior$dof,
    scale = if (is.matrix(scale)) rows(unname(scale)) else unname(scale)
  )
}
rescore <- function(X, model, parameters) {
  sum(dens(data = X, modelName = model, parameters = parameters, logarithm = TRUE))
}
relative_change <- function(before, after) {
  means <- max(abs(after$mean - before$mean) / max(abs(before$mean)))
  sigmas <- max(abs(after$variance$sigma - before$variance$sigma) / max(abs(before$variance$sigma)))
  max(means, sigmas)
}

starts <- list()
cases <- list()
for (data_name in names(data_sets)) {
  X <- data_sets[[data_name]]
  for (G in components) {
    hard <- unmap(hclass(hc(X), G))
    if (ncol(hard) != G) stop("hclass gave ", ncol(hard), " classes for G = ", G)
    z <- (1 - softening) * hard + softening / G
    start_name <- paste0(data_name, "_", G)
    starts[[start_name]] <- rows(unname(z))
    for (model in models) {
      m <- model$mclust
      prior <- defaultPrior(X, G, m)
      step <- mstep(modelName = m, data = X, z = z, prior = priorControl())
      if (attr(step, "returnCode") != 0) stop("mstep failed for ", m, " on ", start_name)

      fixed <- me(modelName = m, data = X, z = z, prior = priorControl(),
                  control = emControl(tol = 0, itmax = fixed_itmax), warn = FALSE)
      fixed_iterations <- abs(unname(attr(fixed, "info")["iterations"]))
      if (fixed_iterations != fixed_itmax) stop("me stopped before itmax for ", m, " on ", start_name)

      converged <- me(modelName = m, data = X, z = z, prior = priorControl(),
                      control = emControl(tol = 0, itmax = converged_itmax), warn = FALSE)
      if (attr(converged, "returnCode") != 0) stop("me did not converge for ", m, " on ", start_name)
      iterations <- unname(attr(converged, "info")["iterations"])
      one_more <- me(modelName = m, data = X, z = converged$z, prior = priorControl(),
                     control = emControl(tol = 0, itmax = 1L), warn = FALSE)
      residual <- relative_change(converged$parameters, one_more$parameters)

      cat(sprintf("%-8s G=%d %s: me loglik %.12f after %d iterations (residual %.1e)\n",
                  data_name, G, m, converged$loglik, as.integer(iterations), residual))
      cases[[length(cases) + 1]] <- list(
        data = data_name,
        start = start_name,
        covariance_type = model$emlib,
        mclust_model = m,
        G = G,
        n = nrow(X),
        d = ncol(X),
        prior = prior_json(prior),
        mstep = parameters_json(step$parameters, G),
        me_fixed = list(
          itmax = fixed_itmax,
          loglik = fixed$loglik,
          loglik_rescored = rescore(X, m, fixed$parameters),
          parameters = parameters_json(fixed$parameters, G)
        ),
        me_converged = list(
          iterations = iterations,
          loglik = converged$loglik,
          loglik_rescored = rescore(X, m, converged$parameters),
          residual = residual,
          parameters = parameters_json(converged$parameters, G)
        )
      )
    }
  }
}

provenance <- list(
  description = paste(
    "mclust MAP-EM under the Fraley-Raftery (2007) conjugate prior, priorControl() =",
    "defaultPrior(), on Old Faithful and iris[, 1:4], G = 2 and 3, models VVV, EEE, VVI, VII:",
    "the defaultPrior hyperparameters, one mstep from fixed z, me() for exactly itmax = 5",
    "iterations, and me() with tol = 0 to its fixed point (see the script's header)"),
  R_version = R.version.string,
  platform = R.version$platform,
  mclust_version = as.character(packageVersion("mclust")),
  date = format(Sys.time(), "%Y-%m-%dT%H:%M:%SZ", tz = "UTC"),
  command = paste("Rscript", script_path),
  script = script_path,
  data = list(faithful = faithful_path, iris = iris_path),
  data_md5 = list(faithful = unname(tools::md5sum(faithful_path)), iris = unname(tools::md5sum(iris_path))),
  start = "z <- 0.9 * unmap(hclass(hc(X), G)) + 0.1 / G",
  hc_use = mclust.options("hcUse"),
  hc_model = mclust.options("hcModelName"),
  calls = list(
    prior = "defaultPrior(X, G, modelName)",
    mstep = "mstep(modelName = m, data = X, z = z, prior = priorControl())",
    me_fixed = "me(modelName = m, data = X, z = z, prior = priorControl(), control = emControl(tol = 0, itmax = 5))",
    me_converged = "me(modelName = m, data = X, z = z, prior = priorControl(), control = emControl(tol = 0, itmax = 100000))",
    loglik_rescored = "sum(dens(data = X, modelName = m, parameters = fit$parameters, logarithm = TRUE))"
  )
)

writeLines(to_json(list(provenance = provenance, starts = starts, cases = cases)), out_path)
cat("wrote", out_path, "\n")
