# Reference values from R's mclust for choosing K and the covariance structure on Old Faithful.
#
# What it is: mclust's model selection on both columns of Old Faithful, for the four covariance
# models emlib also has,
#
#     emlib covariance_type   mclust model
#     "full"                  VVV
#     "tied"                  EEE
#     "diag"                  VVI
#     "spherical"             VII
#
# with G = 1, ..., 9 components: Mclust(faithful, G = 1:9, modelNames = c("VVV", "EEE", "VVI",
# "VII")) with mclust's defaults (its model-based hierarchical agglomeration start, no prior,
# emControl() tolerances), its BIC table (mclustBIC) and mclustICL's ICL table, written to
# tests/data/mclust_bic_faithful.json. mclust's sign convention: larger is better,
#     BIC = 2 loglik - npar log n,   ICL = BIC + 2 sum_n sum_k c_nk log z_nk
# (c the MAP classification, z the posterior probabilities; Fraley & Raftery 2002; Biernacki,
# Celeux & Govaert 2000), npar = nMclustParams(model, d, G).
#
# For each (G, model) the JSON also holds the fit Mclust(faithful, G = g, modelNames = m, x = BIC)
# (the same fit as the table's entry, checked below): its parameters (pro, mean as G x D, sigma
# as G x D x D, in emlib's layout), its MAP classification (0-based, as in Python), and
#   bic_mclust, icl_mclust, loglik_mclust  the table's values and fit$loglik as Mclust reports
#                  them. Mclust's loglik comes from the E-step before its last M-step, so it can
#                  lag the returned parameters by one M-step, and with it the table's BIC and ICL;
#   loglik_rescored, bic_rescored, icl_rescored  the same criteria recomputed from the returned
#                  parameters: estep(faithful, m, parameters) gives the log-likelihood and the
#                  posterior z at exactly those parameters, and BIC and ICL follow from them by
#                  the formulas above. These are the values a function of the parameters alone
#                  (emlib.selection.bic and icl) must reproduce to rounding.
# n_parameters is nMclustParams(m, d, G). An entry mclust could not fit (NA in its table) is
# written with null values (none for these data with mclust 6.0.0).
#
# How to regenerate (Debian/Ubuntu), from the repository root:
#     apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
#         r-base-core r-cran-mclust
#     Rscript scripts/mclust_bic_reference.R
#
# The Python tests (tests/test_selection.py) read the stored JSON; they never need R.

suppressPackageStartupMessages(library(mclust))

script_path <- "scripts/mclust_bic_reference.R"
data_path <- "emlib/datasets/old_faithful.csv"
out_path <- "tests/data/mclust_bic_faithful.json"
if (!file.exists(data_path) || !file.exists(script_path)) {
  stop("run this from the repository root: Rscript ", script_path, call. = FALSE)
}
source("scripts/json_writer.R")  # to_json(): numbers as %.17g, strings escaped

X <- as.matrix(read.csv(data_path, header = TRUE, colClasses = "numeric", comment.char = "#"))
if (!identical(dim(X), c(272L, 2L))) stop("expected a 272 x 2 matrix in ", data_path)
if (!isTRUE(all.equal(unname(X), unname(as.matrix(datasets::faithful)), tolerance = 0))) {
  stop(data_path, " differs from R's datasets::faithful")
}
n <- nrow(X)
d <- ncol(X)
G_range <- 1:9
models <- c(VVV = "full", EEE = "tied", VVI = "diag", VII = "spherical")
model_names <- names(models)

selection <- Mclust(X, G = G_range, modelNames = model_names, verbose = FALSE)
bic_table <- selection$BIC
icl_table <- mclustICL(X, G = G_range, modelNames = model_names, verbose = FALSE)
print(bic_table)
print(icl_table)

rows <- function(m) lapply(seq_len(nrow(m)), function(i) I(unname(m[i, , drop = TRUE])))
as_number_or_null <- function(x) if (is.na(x)) NULL else x

icl_at <- function(bic_value, z) {
  # mclust's icl(): the MAP classification c of z, then BIC + 2 sum(c log z) (0 log 0 = 0)
  C <- matrix(0, nrow(z), ncol(z))
  C[cbind(seq_len(nrow(z)), max.col(z, ties.method = "first"))] <- 1
  bic_value + 2 * sum(ifelse(C > 0 & z > 0, C * log(z), 0))
}

fit_entry <- function(g, m) {
  npar <- nMclustParams(m, d, g)
  bic_value <- bic_table[as.character(g), m]
  icl_value <- icl_table[as.character(g), m]
  entry <- list(G = g, mclust = m, emlib = unname(models[m]), n_parameters = npar,
                bic_mclust = as_number_or_null(bic_value), icl_mclust = as_number_or_null(icl_value))
  if (is.na(bic_value)) return(entry)
  fit <- Mclust(X, G = g, modelNames = m, x = bic_table, verbose = FALSE)
  if (!isTRUE(all.equal(unname(fit$bic), unname(bic_value), tolerance = 1e-12))) stop("refit of ", m, ", G = ", g, " differs")
  if (!isTRUE(all.equal(unname(icl(fit)), unname(icl_value), tolerance = 1e-12))) stop("ICL of ", m, ", G = ", g, " differs")
  rescored <- estep(data = X, modelName = m, parameters = fit$parameters)
  z <- if (is.null(rescored$z)) matrix(1, n, 1) else rescored$z
  bic_rescored <- 2 * rescored$loglik - npar * log(n)
  sigma <- fit$parameters$variance$sigma  # D x D x G
  c(entry, list(
    loglik_mclust = fit$loglik,
    loglik_rescored = rescored$loglik,
    bic_rescored = bic_rescored,
    icl_rescored = icl_at(bic_rescored, z),
    weights = I(unname(as.vector(fit$parameters$pro))),
    means = rows(t(matrix(fit$parameters$mean, nrow = d))),
    covariances = lapply(seq_len(g), function(k) rows(matrix(sigma[, , k], nrow = d))),
    classification = I(unname(fit$classification) - 1L)
  ))
}

fits <- list()
for (m in model_names) for (g in G_range) fits[[length(fits) + 1L]] <- fit_entry(g, m)
best <- summary(bic_table, X)  # the top model by BIC
table_json <- function(tab) {
  out <- lapply(model_names, function(m) lapply(G_range, function(g) as_number_or_null(tab[as.character(g), m])))
  names(out) <- model_names
  out
}

provenance <- list(
  description = paste(
    "Old Faithful (emlib/datasets/old_faithful.csv = R datasets::faithful): mclust's BIC and ICL",
    "tables for G = 1..9 and models VVV, EEE, VVI, VII (larger is better), each fit's parameters",
    "and classification, and the criteria re-scored from those parameters with estep()"),
  call = "Mclust(faithful, G = 1:9, modelNames = c('VVV', 'EEE', 'VVI', 'VII')); mclustICL(same)",
  R_version = R.version.string,
  platform = R.version$platform,
  mclust_version = as.character(packageVersion("mclust")),
  date = format(Sys.time(), "%Y-%m-%dT%H:%M:%SZ", tz = "UTC"),
  command = paste("Rscript", script_path),
  data = data_path,
  data_md5 = unname(tools::md5sum(data_path))
)
output <- list(
  provenance = provenance,
  n = n,
  d = d,
  G = I(G_range),
  models = as.list(models),
  bic = table_json(bic_table),
  icl = table_json(icl_table),
  best = list(mclust = best$modelName, emlib = unname(models[best$modelName]), G = best$G, bic = best$bic),
  fits = fits
)
writeLines(to_json(output), out_path)
cat(sprintf("best: %s, G = %d, BIC %.6f\n", best$modelName, best$G, best$bic))
cat("wrote", out_path, "\n")
