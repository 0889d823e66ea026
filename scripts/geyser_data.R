# The Old Faithful series of Azzalini and Bowman (1990), exported from R's MASS::geyser to
# emlib/datasets/geyser.csv, for the hidden-Markov-model chapter.
#
# What it is: 299 consecutive eruptions of the Old Faithful geyser, continuous measurement from
# August 1 to August 15, 1985, in their order of time: `duration`, the eruption time (minutes),
# and `waiting`, the waiting time *for this eruption* (minutes; MASS 7.3-30 corrected the earlier
# description "time to the next eruption"). Some nocturnal durations were recorded only as
# short, medium or long and are coded 2, 3 or 4 minutes (MASS's documentation). This is the
# series Zucchini, MacDonald and Langrock (2016, Hidden Markov Models for Time Series, 2nd ed.)
# analyse as a hidden Markov model; R's datasets::faithful (272 eruptions, emlib's old_faithful())
# is a different recording.
#
# Format: a header row "duration,waiting", then one row per eruption in time order. Numbers are
# written with the fewest significant digits (15, 16 or 17) that read back as the same double; the
# script reads the file back and stops if any value differs from R's.
#
# How to regenerate (Debian/Ubuntu), from the repository root:
#     apt-get install -y --no-install-recommends r-base-core r-cran-mass
#     Rscript scripts/geyser_data.R
library(MASS)

shortest <- function(x) {
  vapply(x, function(value) {
    for (digits in 15:17) {
      text <- formatC(value, digits = digits, format = "g")
      if (as.numeric(text) == value) return(sub("^ +", "", text))
    }
    stop("no exact representation")
  }, character(1))
}

data <- MASS::geyser[, c("duration", "waiting")]
stopifnot(nrow(data) == 299, !anyNA(data))
path <- "emlib/datasets/geyser.csv"
lines <- c("duration,waiting", paste(shortest(data$duration), shortest(data$waiting), sep = ","))
writeLines(lines, path)
back <- read.csv(path)
stopifnot(identical(back$duration, data$duration), all(back$waiting == data$waiting))
cat(sprintf("wrote %s: %d eruptions (R %s, MASS %s)\n", path, nrow(data),
            paste(R.version$major, R.version$minor, sep = "."), as.character(packageVersion("MASS"))))
