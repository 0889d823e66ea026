# Reference partitions of R mclust's model-based hierarchical clustering (hc, model "EII"), for
# emlib's "hc" start (emlib/starts.py, emlib/_kmeans.py: ward_labels).
#
# What it is: mclust's hc(X, modelName = "EII", use = U) on Old Faithful and on iris[, 1:4], cut
# by hclass(., 2:5) into 2 to 5 clusters, written to tests/data/mclust_hc_reference.json. "EII"
# (covariances sigma^2 I) is Ward's criterion (Fraley 1998, SIAM J. Sci. Comput. 20, 270-281);
# U is the transformation hc applies to the data before clustering (see ?hc and the body of
# mclust::hc):
#
#   SVD   mclust's default (mclust.options("hcUse")): columns standardised (scale()), rotated to
#         their principal axes and each divided by the square root of its singular value;
#   SPH   centred and sphered by the (biased) covariance: Z = X V diag(1/sqrt(eigenvalues)),
#         which is whitening by emlib's data scale T for "full" covariances;
#   STD   columns standardised (whitening by T for "diag" covariances);
#   VARS  the data as they are (T is a multiple of I for "spherical" covariances).
#
# For each data set and U the JSON holds the labels for G = 2..5 (hclass's, 1-based), and for
# SVD also the transformed data hc clustered (attr(tree, "data")), so that emlib's Ward can be
# checked on exactly mclust's input. The data are read from emlib's copies
# (emlib/datasets/old_faithful.csv and iris.csv), checked equal to R's datasets::faithful and iris.
#
# How to regenerate (Debian/Ubuntu), from the repository root:
#     apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
#         r-base-core r-cran-mclust
#     Rscript scripts/mclust_hc_reference.R
#
# The Python tests (tests/test_starts.py) read the stored JSON; they never need R.

suppressPackageStartupMessages(library(mclust))

script_path <- "scripts/mclust_hc_reference.R"
out_path <- "tests/data/mclust_hc_reference.json"
if (!file.exists(script_path)) stop("run this from the repository root: Rscript ", script_path, call. = FALSE)
source("scripts/json_writer.R")  # to_json(): numbers as %.17g, strings escaped

read_numeric <- function(path, columns) {
  frame <- read.csv(path, header = TRUE, comment.char = "#")
  unname(as.matrix(frame[, columns]))
}
faithful_path <- "emlib/datasets/old_faithful.csv"
iris_path <- "emlib/datasets/iris.csv"
faithful_X <- read_numeric(faithful_path, 1:2)
iris_X <- read_numeric(iris_path, 1:4)
if (!isTRUE(all.equal(faithful_X, unname(as.matrix(datasets::faithful)), tolerance = 0))) {
  stop(faithful_path, " differs from R's datasets::faithful")
}
if (!isTRUE(all.equal(iris_X, unname(as.matrix(datasets::iris[, 1:4])), tolerance = 0))) {
  stop(iris_path, " differs from R's datasets::iris[, 1:4]")
}

rows <- function(m) lapply(seq_len(nrow(m)), function(i) I(unname(m[i, , drop = TRUE])))
G <- 2:5

partitions <- function(X, use) {
  tree <- hc(X, modelName = "EII", use = use)
  classes <- hclass(tree, G)  # n x length(G), labels 1..g
  entry <- list(
    call = sprintf("hclass(hc(X, modelName = \"EII\", use = \"%s\"), 2:5)", use),
    classification = setNames(lapply(seq_along(G), function(j) I(unname(classes[, j]))), as.character(G))
  )
  if (use == "SVD") entry$transformed_data <- rows(attr(tree, "data"))
  entry
}

data_sets <- list(
  faithful = list(path = faithful_path, X = faithful_X, uses = c("SVD", "SPH", "VARS")),
  iris = list(path = iris_path, X = iris_X, uses = c("SVD", "SPH", "STD", "VARS"))
)
results <- lapply(data_sets, function(d) {
  list(
    data = d$path,
    data_md5 = unname(tools::md5sum(d$path)),
    columns = if (ncol(d$X) == 2) "eruptions, waiting" else "Sepal.Length, Sepal.Width, Petal.Length, Petal.Width",
    use = setNames(lapply(d$uses, function(u) partitions(d$X, u)), d$uses)
  )
})
provenance <- list(
  description = paste(
    "R mclust's model-based hierarchical clustering, model EII (Ward's criterion), of Old Faithful",
    "and iris[, 1:4] under several of hc's data transformations (use = SVD, SPH, STD, VARS), cut",
    "into G = 2..5 clusters by hclass; labels 1-based as hclass gives them"),
  R_version = R.version.string,
  platform = R.version$platform,
  mclust_version = as.character(packageVersion("mclust")),
  mclust_hcUse_default = mclust.options("hcUse"),
  date = format(Sys.time(), "%Y-%m-%dT%H:%M:%SZ", tz = "UTC"),
  command = paste("Rscript", script_path)
)
writeLines(to_json(list(provenance = provenance, data_sets = results)), out_path)
cat("wrote", out_path, "\n")
