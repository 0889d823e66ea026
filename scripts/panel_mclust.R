# mclust's fits of the benchmark panel: every data set x G = 2..5 x the four covariance models.
#
# What it is: for each data set of emlib.datasets.panel() (read from emlib/datasets/*.csv, the
# numeric columns only), each G in 2, 3, 4, 5 and each covariance model that emlib also has,
#
#     emlib covariance_type   mclust model
#     "full"                  VVV
#     "tied"                  EEE
#     "diag"                  VVI
#     "spherical"             VII
#
# runs Mclust(X, G = G, modelNames = m, verbose = FALSE) with mclust's defaults (its start by
# model-based hierarchical agglomeration, hc on the SVD-transformed data, no prior, emControl()
# tolerances) and writes benchmarks/data/panel_mclust.json with, per case:
#   pro, mean (G x D), sigma (G x D x D)  the returned parameters, in emlib's layout;
#   loglik_reported   fit$loglik as Mclust reports it (for some models it belongs to the
#                     parameters one M-step before the returned ones: see scripts/mclust_reference.R);
#   loglik_rescored   sum(dens(..., logarithm = TRUE)): the log-likelihood of the returned parameters;
#   bic               fit$bic (mclust's sign: 2 loglik - npar log n, larger is better);
#   error             instead of the above when Mclust returned NULL or failed (e.g. a singular
#                     covariance: mclust then reports no fit for that model and G).
# benchmarks/panel_reference.py reads this file, re-scores the parameters with emlib and runs EM
# on from them to convergence; it never runs R.
#
# How to regenerate (Debian/Ubuntu), from the repository root:
#     apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
#         r-base-core r-cran-mclust
#     Rscript scripts/panel_mclust.R
# (after scripts/panel_datasets.R, which writes the CSV files). Run time: about half a minute.

suppressPackageStartupMessages(library(mclust))

script_path <- "scripts/panel_mclust.R"
out_path <- "benchmarks/data/panel_mclust.json"
if (!file.exists(script_path)) stop("run this from the repository root: Rscript ", script_path, call. = FALSE)
source("scripts/json_writer.R")  # to_json(): numbers as %.17g, strings escaped

# name -> number of numeric columns (the first columns of each CSV; the rest are labels)
panel <- list(old_faithful = 2L, iris = 4L, diabetes = 3L, banknote = 6L, thyroid = 5L, wreath = 2L, crabs = 5L)
models <- c(full = "VVV", tied = "EEE", diag = "VVI", spherical = "VII")
components <- 2:5

rows <- function(m) lapply(seq_len(nrow(m)), function(i) I(unname(m[i, ])))

parameters_json <- function(parameters, D, G) {
  sigma <- parameters$variance$sigma  # D x D x G for every model
  mean <- matrix(parameters$mean, nrow = D, ncol = G)
  list(
    pro = I(unname(parameters$pro)),
    mean = rows(t(mean)),
    sigma = lapply(seq_len(G), function(k) rows(matrix(sigma[, , k], D, D)))
  )
}

fit_case <- function(X, G, model) {
  fit <- tryCatch(Mclust(X, G = G, modelNames = model, verbose = FALSE), error = function(e) e)
  if (inherits(fit, "error")) return(list(error = paste("Mclust raised:", conditionMessage(fit))))
  if (is.null(fit)) return(list(error = "Mclust returned NULL (no fit for this model and G)"))
  rescored <- sum(dens(data = X, modelName = model, parameters = fit$parameters, logarithm = TRUE))
  c(parameters_json(fit$parameters, ncol(X), G),
    list(loglik_reported = fit$loglik, loglik_rescored = rescored, bic = fit$bic))
}

started <- Sys.time()
results <- list()
for (name in names(panel)) {
  path <- file.path("emlib/datasets", paste0(name, ".csv"))
  frame <- read.csv(path, header = TRUE)
  X <- as.matrix(frame[, seq_len(panel[[name]])])
  storage.mode(X) <- "double"
  cases <- list()
  for (type in names(models)) {
    for (G in components) {
      entry <- fit_case(X, G, models[[type]])
      cases[[paste0(type, "/", G)]] <- entry
      status <- if (is.null(entry$error)) sprintf("loglik %.6f", entry$loglik_rescored) else entry$error
      cat(sprintf("%-12s %-9s G=%d %s\n", name, type, G, status))
    }
  }
  results[[name]] <- list(file = path, md5 = unname(tools::md5sum(path)), cases = cases)
}
seconds <- as.numeric(difftime(Sys.time(), started, units = "secs"))

provenance <- list(
  description = paste(
    "Mclust(X, G = G, modelNames = m, verbose = FALSE) with mclust's defaults on each data set of",
    "the panel (numeric columns of emlib/datasets/<name>.csv), G = 2..5, m in VVV (full), EEE",
    "(tied), VVI (diag), VII (spherical); the returned parameters, the reported loglik, the loglik",
    "re-scored from the returned parameters with dens(), and the BIC. Case keys: '<emlib",
    "covariance_type>/<G>'."),
  call = "Mclust(X, G = G, modelNames = m, verbose = FALSE)",
  R_version = R.version.string,
  platform = R.version$platform,
  mclust_version = as.character(packageVersion("mclust")),
  date = format(Sys.time(), "%Y-%m-%dT%H:%M:%SZ", tz = "UTC"),
  seconds = seconds,
  command = paste("Rscript", script_path)
)
writeLines(to_json(list(provenance = provenance, datasets = results)), out_path)
cat("wrote", out_path, sprintf("(%.1f s)\n", seconds))
