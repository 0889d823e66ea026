"""Input checks shared by every public function.

Each checker either returns a clean ``float64`` array / Python scalar or raises a
``ValueError`` / ``TypeError`` whose message names the offending argument and says what
was expected, so that bad input never turns into a NaN result or a raw numpy traceback.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = [
    "COVARIANCE_TYPES",
    "as_float_array",
    "check_count",
    "check_covariance_type",
    "check_data",
    "check_flag",
    "check_labels",
    "check_missing",
    "check_mixture_weights",
    "check_nonnegative_real",
    "check_positive_real",
    "check_random_state",
    "check_representable",
    "check_responsibilities",
    "check_sample_weight",
    "check_seed",
    "input_precision",
]

COVARIANCE_TYPES = ("full", "diag", "spherical", "tied")
#: What a NaN entry of X means: "error" (the default: a NaN is an error) or "em" (missing at random,
#: marginalised exactly in the E-step, ``emlib.missing``).
MISSING = ("error", "em")
#: How far mixture weights may sum from one before they are rejected (they are then renormalised):
#: 1e-8, or, for weights given in a lower precision (float32, float16), the rounding of a sum of K
#: such numbers, so that weights normalised in float32 are accepted.
WEIGHT_SUM_TOLERANCE = 1e-8


def as_float_array(value, name: str, ndim: int, copy: bool = False, missing: str | None = None) -> np.ndarray:
    """Convert ``value`` to a finite, C-contiguous float64 array with ``ndim`` dimensions.

    Integer (and float) arrays and nested lists are accepted and converted; complex, boolean,
    object and string data are rejected with a ``TypeError``. With ``copy=True`` the result
    never shares memory with ``value``. ``missing`` is the ``missing`` option of the function
    called (None: it has none): with ``"em"`` a NaN is allowed (a missing entry) and only ±inf is
    an error; with ``"error"`` the message of a NaN says to pass ``missing="em"``.
    """
    _reject_masked_or_sparse(value, name)
    try:
        array = np.asarray(value)
    except ValueError as error:  # ragged nested lists
        raise ValueError(f"{name} must be a rectangular {ndim}-D array of numbers: {error}") from None
    if array.dtype.kind not in "iuf":
        raise TypeError(f"{name} must hold real numbers (integer or float); got an array of dtype {array.dtype}")
    if array.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-D array; got {array.ndim}-D with shape {array.shape}")
    array = (
        np.array(array, dtype=np.float64, order="C", copy=True)
        if copy
        else np.ascontiguousarray(array, dtype=np.float64)
    )
    if not np.all(np.isfinite(array)):
        _check_nonfinite(array, name, missing)
    return array


def _check_nonfinite(array: np.ndarray, name: str, missing: str | None) -> None:
    """The error for the non-finite entries of ``array`` (none if they are NaN and ``missing="em"``)."""
    infinite = np.isinf(array)
    if missing == "em":
        if np.any(infinite):
            where = tuple(int(i) for i in np.argwhere(infinite)[0])
            raise ValueError(
                f"{name} contains infinite values (at index {where}); with missing='em' only NaN marks a missing"
                " entry: replace ±inf by NaN if the entry is missing"
            )
        return
    if missing == "error" and not np.any(infinite):
        where = tuple(int(i) for i in np.argwhere(np.isnan(array))[0])
        raise ValueError(
            f"{name} contains NaN or infinite values (NaN at index {where}): a NaN is an error unless you pass"
            " missing='em', which treats every NaN entry as missing at random and marginalises it exactly"
        )
    raise ValueError(f"{name} contains NaN or infinite values")


def check_missing(missing) -> str:
    """The ``missing`` option, "error" or "em", or a ValueError naming it."""
    if not isinstance(missing, str) or missing not in MISSING:
        raise ValueError(f"missing must be one of {MISSING}; got {missing!r}")
    return missing


def _reject_masked_or_sparse(value, name: str) -> None:
    """A masked array with masked entries, or a scipy sparse matrix, is refused with a clear error.

    ``np.asarray`` would silently drop a mask (a masked −999 would be fitted as data) and turn a
    sparse matrix into a 0-d object array.
    """
    if np.ma.isMaskedArray(value) and np.any(np.ma.getmaskarray(value)):
        raise ValueError(
            f"{name} is a masked array with masked entries; emlib does not ignore masks: remove"
            f" the masked rows (e.g. {name}[~{name}.mask.any(axis=1)]) or fill them"
        )
    if type(value).__module__.startswith("scipy.sparse"):
        raise TypeError(f"{name} is a scipy sparse matrix; emlib needs a dense array: pass {name}.toarray()")


def input_precision(value) -> float:
    """The machine epsilon of ``value``'s floating dtype (float64's for integers and lists)."""
    dtype = getattr(value, "dtype", None)
    if dtype is not None and np.issubdtype(dtype, np.floating):
        return float(np.finfo(dtype).eps)
    return float(np.finfo(np.float64).eps)


def check_data(X, name: str = "X", missing: str | None = None) -> np.ndarray:
    """Return ``X`` as a finite float64 array of shape (N, D) with N >= 1 and D >= 1.

    ``missing`` as in :func:`as_float_array`: ``"em"`` lets NaN entries through (missing values).
    """
    if not isinstance(X, np.ndarray):
        try:
            shape = np.shape(X)
        except ValueError:
            shape = None
        if shape is not None and len(shape) != 2:
            raise ValueError(
                f"{name} must be a 2-D array of shape (n_samples, n_features); got {len(shape)}-D"
                " input (reshape a single feature with X.reshape(-1, 1))"
            )
    elif X.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D array of shape (n_samples, n_features); got {X.ndim}-D array"
            f" with shape {X.shape} (reshape a single feature with X.reshape(-1, 1))"
        )
    array = as_float_array(X, name, ndim=2, missing=missing)
    n_samples, n_features = array.shape
    if n_samples < 1 or n_features < 1:
        raise ValueError(f"{name} must have at least one row and one column; got shape {array.shape}")
    return array


def check_sample_weight(sample_weight, n_samples: int) -> np.ndarray:
    """Return per-row weights of shape (N,): finite, non-negative, with a positive sum.

    ``None`` means every row has weight one.
    """
    if sample_weight is None:
        return np.ones(n_samples)
    weights = as_float_array(sample_weight, "sample_weight", ndim=1)
    if weights.shape[0] != n_samples:
        raise ValueError(f"sample_weight must have one entry per row of X ({n_samples}); got {weights.shape[0]}")
    if np.any(weights < 0):
        raise ValueError("sample_weight must be non-negative")
    with np.errstate(over="ignore"):
        total = weights.sum()
    if not total > 0:
        raise ValueError("sample_weight must have a positive sum (all weights are zero)")
    if not np.isfinite(total):
        raise ValueError("sample_weight sums beyond the range of float64; rescale sample_weight")
    return weights


def check_responsibilities(responsibilities, n_samples: int, name: str = "responsibilities") -> np.ndarray:
    """Return an (N, K) array whose rows lie on the probability simplex (to 1e-6)."""
    array = as_float_array(responsibilities, name, ndim=2)
    if array.shape[0] != n_samples:
        raise ValueError(f"{name} must have one row per row of X ({n_samples}); got {array.shape[0]}")
    if array.shape[1] < 1:
        raise ValueError(f"{name} must have at least one column (one per component)")
    if np.any(array < 0):
        raise ValueError(f"{name} must be non-negative")
    row_sums = array.sum(axis=1)
    if not np.allclose(row_sums, 1.0, rtol=0.0, atol=1e-6):
        worst = int(np.argmax(np.abs(row_sums - 1.0)))
        raise ValueError(f"each row of {name} must sum to 1; row {worst} sums to {row_sums[worst]:.6g}")
    return array / row_sums[:, np.newaxis]  # exactly on the simplex from here on


def check_covariance_type(covariance_type) -> str:
    if not isinstance(covariance_type, str) or covariance_type not in COVARIANCE_TYPES:
        raise ValueError(f"covariance_type must be one of {COVARIANCE_TYPES}; got {covariance_type!r}")
    return covariance_type


def check_nonnegative_real(value, name: str) -> float:
    """A finite real number >= 0 (booleans are rejected)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0; got {value}")
    return value


def check_count(value, name: str, minimum: int) -> int:
    """An integer >= ``minimum`` (booleans and floats such as 2.5 are rejected)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer; got {type(value).__name__} {value!r}")
    value = int(value)
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}; got {value}")
    return value


def check_labels(labels, n_samples: int, n_components: int, name: str = "z") -> np.ndarray:
    """Return hard labels as an int array of shape (N,) with values in 0..K-1."""
    array = np.asarray(labels)
    if array.dtype.kind not in "iu":
        raise TypeError(f"{name} must be an array of integer labels; got dtype {array.dtype}")
    if array.shape != (n_samples,):
        raise ValueError(f"{name} must have shape ({n_samples},), one label per row of X; got {array.shape}")
    if n_samples and (array.min() < 0 or array.max() >= n_components):
        raise ValueError(
            f"{name} must hold labels in 0..{n_components - 1}; got values in {array.min()}..{array.max()}"
        )
    return array.astype(np.intp)


def check_mixture_weights(weights: np.ndarray, precision: float = float(np.finfo(np.float64).eps)) -> np.ndarray:
    """Mixing proportions: non-negative and summing to one, returned renormalised.

    The sum may miss one by 1e-8, or by 4 K ε for weights given with machine epsilon
    ``precision`` (float32 weights normalised in float32 sum to one only to about K·6e-8).
    """
    if weights.shape[0] < 1:
        raise ValueError("weights must have at least one entry (one per component)")
    if np.any(weights < 0):
        raise ValueError("weights must be non-negative")
    total = weights.sum()
    tolerance = max(WEIGHT_SUM_TOLERANCE, 4.0 * weights.shape[0] * precision)
    if abs(total - 1.0) > tolerance:
        raise ValueError(f"weights must sum to 1; they sum to {total:.12g}")
    return weights / total


def check_positive_real(value, name: str) -> float:
    """A finite real number > 0 (booleans are rejected)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0; got {value}")
    return value


def check_random_state(value, name: str) -> np.random.Generator:
    """None, a non-negative integer seed, or a numpy Generator, as a Generator."""
    if isinstance(value, np.random.Generator):
        return value
    if value is None:
        return np.random.default_rng()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be None, a non-negative integer seed or a numpy.random.Generator; got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be a non-negative integer seed; got {value}")
    return np.random.default_rng(int(value))


def check_representable(value: float, what: str) -> float:
    """``value`` if it is finite; a ValueError saying so if a sum of finite terms overflowed float64."""
    if not np.isfinite(value):
        raise ValueError(f"{what} is beyond the range of float64 ({value}); rescale X")
    return value


def check_seed(value, name: str) -> np.random.Generator:
    """A numpy Generator or a non-negative integer seed, as a Generator: a sample must be reproducible, so None is refused."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (np.random.Generator, numbers.Integral)):
        raise TypeError(f"{name} must be a numpy.random.Generator or a non-negative integer seed; got {value!r}")
    return check_random_state(value, name)


def check_flag(value, name: str) -> bool:
    """``value`` as a bool if it is one (Python's or numpy's), else a TypeError naming ``name``."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False; got {type(value).__name__} {value!r}")
    return bool(value)
