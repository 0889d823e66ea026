# A minimal JSON writer for the reference scripts (scripts/*_reference.R), so that the stored
# reference values round-trip every double exactly: numbers are written with sprintf("%.17g")
# (jsonlite's toJSON stops at 15 significant digits). Used with source("scripts/json_writer.R").
#
# ---- a minimal JSON writer: numbers as %.17g, strings escaped --------------------------------
# A named list is an object, an unnamed list an array (one element per line); a numeric vector
# is a number if it has length 1 and is not wrapped in I(), otherwise an array on one line.
json_string <- function(s) {
  s <- gsub("\\", "\\\\", s, fixed = TRUE)
  s <- gsub("\"", "\\\"", s, fixed = TRUE)
  s <- gsub("\n", "\\n", s, fixed = TRUE)
  s <- gsub("\t", "\\t", s, fixed = TRUE)
  paste0("\"", s, "\"")
}
json_number <- function(x) {
  if (!is.finite(x)) stop("a non-finite number cannot be written to JSON: ", x)
  if (x == round(x) && abs(x) < 2^53) sprintf("%.0f", x) else sprintf("%.17g", x)
}
to_json <- function(x, indent = "") {
  inner <- paste0(indent, "  ")
  if (is.list(x)) {
    parts <- vapply(x, to_json, "", indent = inner)
    if (!is.null(names(x))) {
      parts <- paste0(json_string(names(x)), ": ", parts)
      return(paste0("{\n", paste0(inner, parts, collapse = ",\n"), "\n", indent, "}"))
    }
    return(paste0("[\n", paste0(inner, parts, collapse = ",\n"), "\n", indent, "]"))
  }
  if (is.null(x)) return("null")
  if (is.character(x) && length(x) == 1) return(json_string(x))
  if (is.numeric(x)) {
    numbers <- vapply(as.vector(x), json_number, "")
    if (length(x) == 1 && !inherits(x, "AsIs")) return(numbers)
    return(paste0("[", paste(numbers, collapse = ", "), "]"))
  }
  stop("cannot write a ", class(x)[1], " to JSON")
}
