# The real data sets of emlib's benchmark panel, exported from R to emlib/datasets/*.csv.
#
# What it is: six data sets that ship with R and its recommended/CRAN packages, written as CSV
# files that emlib.datasets reads (iris(), diabetes(), banknote(), thyroid(), wreath(), crabs();
# emlib/datasets/README.md describes each one and its original source):
#
#   iris.csv      datasets::iris           150 x 4, label Species
#   diabetes.csv  mclust::diabetes         145 x 3, label class
#   banknote.csv  mclust::banknote         200 x 6, label Status
#   thyroid.csv   mclust::thyroid          215 x 5, label Diagnosis
#   wreath.csv    mclust::wreath          1000 x 2, no label (simulated from 14 components)
#   crabs.csv     MASS::crabs              200 x 5, labels sp and sex (the column index is dropped)
#
# Format: a header row of R's column names (unquoted), then one row per observation; the numeric
# columns first, in R's order, then the label column(s). Every number is written with the fewest
# significant digits (15, 16 or 17) that read back as the same double, so the files hold R's
# values exactly ("5.1", not "5.0999999999999996"); the script reads each file back and stops if
# any value differs from R's. Labels contain no comma or quote and are written unquoted.
#
# It also writes benchmarks/data/panel_datasets.json: per data set the shape, the column means
# and standard deviations (sd, n - 1 denominator) computed by R, the label counts, the md5 of the
# CSV, and the provenance (R and package versions, date, command). tests/test_datasets.py checks
# the Python loaders against it; the tests never run R.
#
# How to regenerate (Debian/Ubuntu), from the repository root:
#     apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
#         r-base-core r-cran-mclust r-cran-mass
#     Rscript scripts/panel_datasets.R
# The Old Faithful file (emlib/datasets/old_faithful.csv) is not rewritten; the script only
# checks that it equals datasets::faithful.

suppressPackageStartupMessages({
  library(mclust)
  library(MASS)
})

script_path <- "scripts/panel_datasets.R"
out_dir <- "emlib/datasets"
summary_path <- "benchmarks/data/panel_datasets.json"
if (!file.exists(script_path) || !dir.exists(out_dir)) {
  stop("run this from the repository root: Rscript ", script_path, call. = FALSE)
}
source("scripts/json_writer.R")  # to_json(): numbers as %.17g, strings escaped

data(diabetes, package = "mclust", envir = environment())
data(banknote, package = "mclust", envir = environment())
data(thyroid, package = "mclust", envir = environment())
data(wreath, package = "mclust", envir = environment())

sets <- list(
  list(name = "iris", package = "datasets", object = "iris", frame = datasets::iris,
       numeric = c("Sepal.Length", "Sepal.Width", "Petal.Length", "Petal.Width"), labels = "Species"),
  list(name = "diabetes", package = "mclust", object = "diabetes", frame = diabetes,
       numeric = c("glucose", "insulin", "sspg"), labels = "class"),
  list(name = "banknote", package = "mclust", object = "banknote", frame = banknote,
       numeric = c("Length", "Left", "Right", "Bottom", "Top", "Diagonal"), labels = "Status"),
  list(name = "thyroid", package = "mclust", object = "thyroid", frame = thyroid,
       numeric = c("RT3U", "T4", "T3", "TSH", "DTSH"), labels = "Diagnosis"),
  list(name = "wreath", package = "mclust", object = "wreath", frame = as.data.frame(wreath),
       numeric = c("x1", "x2"), labels = character(0)),
  list(name = "crabs", package = "MASS", object = "crabs", frame = MASS::crabs,
       numeric = c("FL", "RW", "CL", "CW", "BD"), labels = c("sp", "sex"))
)

# The shortest of %.15g, %.16g, %.17g that parses back to the same double (%.17g always does).
shortest <- function(x) {
  out <- sprintf("%.15g", x)
  for (digits in 16:17) {
    redo <- as.numeric(out) != x
    out[redo] <- sprintf(paste0("%.", digits, "g"), x[redo])
  }
  stopifnot(all(as.numeric(out) == x))
  out
}

write_csv <- function(set, path) {
  frame <- set$frame
  columns <- c(lapply(set$numeric, function(v) shortest(as.numeric(frame[[v]]))),
               lapply(set$labels, function(v) as.character(frame[[v]])))
  for (v in set$labels) {
    if (any(grepl("[,\"\n]", as.character(frame[[v]])))) stop("label with a comma or quote in ", set$name)
  }
  lines <- c(paste(c(set$numeric, set$labels), collapse = ","), do.call(paste, c(columns, sep = ",")))
  writeLines(lines, path, useBytes = TRUE)
}

check_round_trip <- function(set, path) {
  back <- read.csv(path, header = TRUE, stringsAsFactors = FALSE)
  X <- as.matrix(set$frame[, set$numeric])
  storage.mode(X) <- "double"
  Y <- as.matrix(back[, set$numeric])
  storage.mode(Y) <- "double"  # read.csv reads whole numbers as integers
  if (!identical(unname(Y), unname(X))) stop(path, " does not reproduce R's values")
  for (v in set$labels) {
    if (!identical(back[[v]], as.character(set$frame[[v]]))) stop(path, ": labels differ in ", v)
  }
}

counts <- function(labels) {
  tab <- table(labels)
  out <- lapply(as.vector(tab), function(n) n)
  names(out) <- names(tab)
  out
}

summaries <- list()
for (set in sets) {
  path <- file.path(out_dir, paste0(set$name, ".csv"))
  write_csv(set, path)
  check_round_trip(set, path)
  X <- as.matrix(set$frame[, set$numeric])
  entry <- list(
    file = path,
    source = paste0(set$package, "::", set$object),
    package_version = as.character(packageVersion(set$package)),
    n = nrow(X),
    columns = as.list(set$numeric),
    label_columns = as.list(set$labels),
    column_means = I(unname(colMeans(X))),
    column_sds = I(unname(apply(X, 2, sd))),
    n_duplicated_rows = sum(duplicated(X)),
    md5 = unname(tools::md5sum(path))
  )
  if (length(set$labels) > 0) {
    group <- do.call(paste, c(lapply(set$labels, function(v) as.character(set$frame[[v]])), sep = "/"))
    entry$label_counts <- counts(group)
  }
  summaries[[set$name]] <- entry
  cat(sprintf("%-9s %4d x %d -> %s\n", set$name, nrow(X), ncol(X), path))
}

faithful_csv <- as.matrix(read.csv(file.path(out_dir, "old_faithful.csv"), header = TRUE))
if (!isTRUE(all.equal(unname(faithful_csv), unname(as.matrix(datasets::faithful)), tolerance = 0))) {
  stop("emlib/datasets/old_faithful.csv differs from R's datasets::faithful")
}
summaries[["old_faithful"]] <- list(
  file = file.path(out_dir, "old_faithful.csv"),
  source = "datasets::faithful",
  package_version = as.character(packageVersion("datasets")),
  n = nrow(faithful_csv),
  columns = list("eruptions", "waiting"),
  label_columns = list(),
  column_means = I(unname(colMeans(faithful_csv))),
  column_sds = I(unname(apply(faithful_csv, 2, sd))),
  n_duplicated_rows = sum(duplicated(faithful_csv)),
  md5 = unname(tools::md5sum(file.path(out_dir, "old_faithful.csv")))
)

provenance <- list(
  description = paste(
    "The real data sets of emlib's benchmark panel, exported from R to emlib/datasets/*.csv",
    "(numbers in the shortest form that reads back as R's double); column means and sds",
    "(n - 1 denominator) computed by R from the data frames; label_counts count the label",
    "column(s), joined by '/' when there are two (crabs: sp/sex)."),
  R_version = R.version.string,
  platform = R.version$platform,
  mclust_version = as.character(packageVersion("mclust")),
  MASS_version = as.character(packageVersion("MASS")),
  date = format(Sys.time(), "%Y-%m-%dT%H:%M:%SZ", tz = "UTC"),
  command = paste("Rscript", script_path)
)
dir.create(dirname(summary_path), showWarnings = FALSE, recursive = TRUE)
writeLines(to_json(list(provenance = provenance, datasets = summaries)), summary_path)
cat("wrote", summary_path, "\n")
