"""The genetic-linkage model of Dempster, Laird and Rubin (1977, §1): EM's opening example.

Rao (1973, *Linear Statistical Inference and its Applications*, 2nd ed., p. 368) classifies
197 animals into four cells with probabilities

    (1/2 + π/4, (1 − π)/4, (1 − π)/4, π/4),   0 < π < 1,

and observed counts y = (125, 18, 20, 34) (``RAO_COUNTS``). The first cell is the union of two
cells of probabilities 1/2 and π/4: had the 125 animals been split between them (x₁ + x₂ = y₁),
the complete data would be multinomial with π entering only through π^(x₂ + y₄) (1 − π)^(y₂ + y₃),
and the maximum-likelihood estimate would be the proportion (x₂ + y₄) / (x₂ + y₂ + y₃ + y₄). The
split is the latent variable: given y₁ and π, x₂ is Binomial(y₁, π / (2 + π)).

On emlib's model interface (:class:`emlib.LatentVariableModel`) each *row* is one animal, its
value the cell it fell in (0, 1, 2 or 3), and a row weight counts animals: the data can be the
four cells with the counts as ``sample_weight``. Every driver of ``emlib.drivers`` then runs on
the model: EM, SQUAREM (π is the one flat coordinate) and ECG (the score is dℓ/dπ).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._validation import as_float_array
from .model import EStep, LatentVariableModel

__all__ = ["DLR_TABLE_1", "RAO_COUNTS", "GeneticLinkage", "LinkageParams", "LinkageStatistics"]

#: Rao's counts of the four cells, 197 animals (DLR 1977, §1).
RAO_COUNTS = (125, 18, 20, 34)

#: Table 1 of DLR (1977, p. 2), "The EM algorithm in a simple case", as the paper prints it (typed here):
#: rows (p, π^(p), π* − π^(p), (π^(p+1) − π*) ÷ (π^(p) − π*)) of the iterates from π^(0) = 0.5, the
#: ratio None where the paper prints a dash. The paper's deviation column heads "π^(p) − π*" but
#: prints its absolute value (every iterate lies below π*). Strings keep the printed digits; five of them
#: differ by one unit in the ninth decimal from exact arithmetic (``tests/test_linkage.py`` lists which).
DLR_TABLE_1 = (
    (0, "0.500000000", "0.126821498", "0.1465"),
    (1, "0.608247423", "0.018574075", "0.1346"),
    (2, "0.624321051", "0.002500447", "0.1330"),
    (3, "0.626488879", "0.000332619", "0.1328"),
    (4, "0.626777323", "0.000044176", "0.1328"),
    (5, "0.626815632", "0.000005866", "0.1328"),
    (6, "0.626820719", "0.000000779", None),
    (7, "0.626821395", "0.000000104", None),
    (8, "0.626821484", "0.000000014", None),
)
_N_CELLS = 4


@dataclass(frozen=True)
class LinkageParams:
    """The one parameter of the linkage model: π in the open interval (0, 1)."""

    pi: float

    def __post_init__(self):
        if isinstance(self.pi, bool) or not isinstance(self.pi, (int, float, np.integer, np.floating)):
            raise TypeError(f"pi must be a real number; got {type(self.pi).__name__}")
        pi = float(self.pi)
        if not 0.0 < pi < 1.0:
            raise ValueError(f"pi must lie strictly between 0 and 1; got {pi!r}")
        object.__setattr__(self, "pi", pi)


@dataclass(frozen=True)
class LinkageStatistics:
    """The E-step's expected complete-data counts, totals over the rows' weights.

    Attributes
    ----------
    split : float
        E[x₂ | y, π] = y₁ π / (2 + π): the expected animals of the first cell in its π/4 part.
    first_cell, second_cell, third_cell, fourth_cell : float
        The weighted counts y₁, y₂, y₃, y₄.
    """

    split: float
    first_cell: float
    second_cell: float
    third_cell: float
    fourth_cell: float

    @property
    def with_pi(self) -> float:
        """x₂ + y₄, the expected count of the complete-data cells whose probability is proportional to π."""
        return self.split + self.fourth_cell

    @property
    def with_one_minus_pi(self) -> float:
        """y₂ + y₃, the count of the cells whose probability is proportional to 1 − π."""
        return self.second_cell + self.third_cell


class GeneticLinkage(LatentVariableModel):
    """Rao's four-cell multinomial with the first cell split by a latent variable (DLR 1977, §1).

    Rows are animals, each the index (0 to 3) of its cell; a row's weight counts animals. The
    log-likelihood is Σ_n w_n log p(c_n | π), the probability of the animals' cells in their
    order (without the multinomial coefficient, which does not depend on π).

    Examples
    --------
    >>> import numpy as np, emlib
    >>> from emlib.linkage import RAO_COUNTS, GeneticLinkage, LinkageParams
    >>> fit = emlib.fit_em(GeneticLinkage(), np.arange(4), LinkageParams(0.5), sample_weight=RAO_COUNTS, tol=0)
    >>> round(fit.params.pi, 7), fit.n_iter
    (0.6268215, 9)
    >>> round(GeneticLinkage.maximum_likelihood(RAO_COUNTS).pi, 10)  # (15 + √53809) / 394
    0.6268214979
    """

    def __repr__(self) -> str:
        return "GeneticLinkage()"

    # --- checks ----------------------------------------------------------------------------

    def check_data(self, X) -> np.ndarray:
        """Cell indices: a 1-D array of N >= 1 whole numbers in 0..3."""
        cells = as_float_array(X, "X", ndim=1)
        if cells.shape[0] < 1:
            raise ValueError("X must hold at least one animal (a cell index 0 to 3)")
        if np.any(cells != np.round(cells)) or np.any((cells < 0) | (cells > _N_CELLS - 1)):
            raise ValueError("X must hold cell indices: whole numbers 0, 1, 2 or 3")
        return cells.astype(np.intp)

    def check_params(self, data, params, name: str = "params") -> None:
        if not isinstance(params, LinkageParams):
            raise TypeError(f"{name} must be an emlib.linkage.LinkageParams; got {type(params).__name__}")

    # --- the model -------------------------------------------------------------------------

    @staticmethod
    def cell_probabilities(params: LinkageParams) -> np.ndarray:
        """(1/2 + π/4, (1 − π)/4, (1 − π)/4, π/4), shape (4,)."""
        pi = params.pi
        return np.array([0.5 + pi / 4, (1 - pi) / 4, (1 - pi) / 4, pi / 4])

    @staticmethod
    def counts(data: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """The weighted cell counts y, shape (4,)."""
        return np.bincount(data, weights=weights, minlength=_N_CELLS).astype(np.float64)

    def expectation(self, data, weights: np.ndarray, params: LinkageParams) -> EStep:
        """E[x₂ | y, π] = y₁ π / (2 + π) (the share π/4 ÷ (1/2 + π/4) of the first cell), and ℓ(π)."""
        y = self.counts(data, weights)
        pi = params.pi
        statistics = LinkageStatistics(float(y[0] * pi / (2 + pi)), *(float(count) for count in y))
        with np.errstate(divide="ignore"):
            terms = np.where(y > 0, y * np.log(self.cell_probabilities(params)), 0.0)
        return EStep(statistics, float(terms.sum()))

    def maximization(self, data, weights: np.ndarray, statistics: LinkageStatistics, previous) -> LinkageParams:
        """π = (x₂ + y₄) / (x₂ + y₂ + y₃ + y₄): the complete-data proportion, with x₂ its expectation.

        Raises a ValueError when the weighted cells leave no interior π: no animal in cells 1
        and 2 (the likelihood rises all the way to π = 1) or none in cells 0 and 3 (to π = 0).
        """
        if statistics.with_one_minus_pi <= 0:
            raise ValueError(
                "X has no animal (of positive weight) in cells 1 and 2, whose probability is (1 - pi)/4:"
                " the likelihood rises all the way to pi = 1, so no interior maximum exists"
            )
        if statistics.with_pi <= 0:
            raise ValueError(
                "X has no animal (of positive weight) in cells 0 and 3, the cells that carry pi:"
                " the likelihood falls all the way from pi = 0, so no interior maximum exists"
            )
        with_pi = statistics.with_pi
        return LinkageParams(with_pi / (with_pi + statistics.with_one_minus_pi))

    # --- pieces for SQUAREM and ECG ---------------------------------------------------------

    def flatten(self, params: LinkageParams) -> np.ndarray:
        return np.array([params.pi])

    def unflatten(self, vector: np.ndarray, like) -> LinkageParams | None:
        pi = float(vector[0])
        return LinkageParams(pi) if 0.0 < pi < 1.0 else None

    def score(self, data, weights: np.ndarray, params: LinkageParams, statistics=None) -> np.ndarray:
        """dℓ/dπ = y₁ / (2 + π) − (y₂ + y₃) / (1 − π) + y₄ / π, shape (1,)."""
        y, pi = self.counts(data, weights), params.pi
        return np.array([y[0] / (2 + pi) - (y[1] + y[2]) / (1 - pi) + y[3] / pi])

    def n_parameters(self, params) -> int:
        return 1

    # --- closed forms of the example ---------------------------------------------------------

    @staticmethod
    def maximum_likelihood(counts) -> LinkageParams:
        """The MLE in closed form: the root in (0, 1) of n π² − b π − 2 y₄ = 0, b = y₁ − 2(y₂ + y₃) − y₄.

        Setting dℓ/dπ = 0 and multiplying by π (2 + π)(1 − π) gives the quadratic, n = Σ y; for
        Rao's counts 197 π² − 15 π − 68 = 0, so π* = (15 + √53809) / 394.
        """
        y = _check_counts(counts)
        n, b = y.sum(), y[0] - 2 * (y[1] + y[2]) - y[3]
        root = math.sqrt(b * b + 8 * n * y[3])
        # the positive root, written so that neither form subtracts nearly equal numbers
        pi = (b + root) / (2 * n) if b >= 0 else 4 * y[3] / (root - b)
        if not 0.0 < pi < 1.0:
            raise ValueError(
                f"counts {y.tolist()} put the maximum of the likelihood at pi = {pi!r}, which float64 cannot"
                " hold strictly between 0 and 1"
            )
        return LinkageParams(float(pi))

    @staticmethod
    def information(counts, params: LinkageParams) -> dict[str, float]:
        """Louis' (1982) identity at π: the complete, missing and observed information.

        With the complete-data score S_c = (x₂ + y₄)/π − (y₂ + y₃)/(1 − π),

        - complete: E[−dS_c/dπ | y] = (E[x₂] + y₄)/π² + (y₂ + y₃)/(1 − π)²;
        - missing: Var(S_c | y) = Var(x₂ | y)/π² = y₁ p (1 − p)/π², p = π/(2 + π);
        - observed = complete − missing, which equals −d²ℓ/dπ² (the chapter checks it with sympy).

        The rate of EM at the maximum is missing / complete, the fraction of missing information.
        """
        y = _check_counts(counts)
        pi = params.pi
        share = pi / (2 + pi)
        complete = float((y[0] * share + y[3]) / pi**2 + (y[1] + y[2]) / (1 - pi) ** 2)
        missing = float(y[0] * share * (1 - share) / pi**2)
        return {"complete": complete, "missing": missing, "observed": complete - missing}


def _check_counts(counts) -> np.ndarray:
    """The four cell counts, checked: non-negative, and with the maximum of ℓ inside (0, 1).

    ℓ is concave in π, with dℓ/dπ → −∞ at π = 1 when y₂ + y₃ > 0, and at π = 0 equal to +∞ when
    y₄ > 0, else y₁/2 − (y₂ + y₃): so the maximum is interior exactly when y₂ + y₃ > 0 and
    (y₄ > 0 or y₁ > 2 (y₂ + y₃)).
    """
    y = as_float_array(counts, "counts", ndim=1)
    if y.shape != (_N_CELLS,):
        raise ValueError(f"counts must hold the {_N_CELLS} cell counts; got shape {y.shape}")
    if np.any(y < 0):
        raise ValueError(f"counts must be non-negative; got {y.tolist()}")
    if not (y[1] + y[2] > 0 and (y[3] > 0 or y[0] > 2 * (y[1] + y[2]))):
        raise ValueError(
            f"counts {y.tolist()} put the maximum of the likelihood on the boundary (pi = 0 or 1):"
            " cells 1 and 2 must hold an animal, and cell 3 must too unless y1 > 2 (y2 + y3)"
        )
    return y
