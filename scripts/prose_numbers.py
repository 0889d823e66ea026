"""Numbers typed into the book's prose: each should come from an executed value instead.

A number a chapter reports (a log-likelihood, an iteration count, a speed-up, a sample size)
belongs in a code cell, and reaches the prose through myst-nb's ``glue`` (``{glue:text}`name:.3f```),
or is asserted in the cell just before the sentence and allowed, with that reason, in the notebook's
metadata. This module finds the others. It reads a markdown cell as the website does, drops what
holds no typed result (code, roles such as ``{cite}`` or ``{glue}``, link targets, labels,
directive options) and reports:

* in prose, every decimal number and every integer above 10 that is not a year (1600–2099) and
  does not follow a reference word (``ch.``, ``p.``, ``Table``, ``§``, ...): the small integers are
  counts a sentence states in words' place ("two components", "step 3");
* in mathematics, every decimal number and every integer of three digits or more (``$N = 272$``);
  constants of the mathematics (``\\frac{1}{2}``, ``2\\pi``, exponents) are small integers.

Each notebook lists in its metadata, under ``allowed_prose_numbers``, the numbers that stay typed
and why (each is asserted by an executed cell, or is a fact of the mathematics or of a cited
work): a short allow-list beside the text it concerns.
``tests/test_notebooks.py`` fails on any number outside these rules.

Usage: ``python scripts/prose_numbers.py [NOTEBOOK ...]`` prints what it finds.
"""

from __future__ import annotations

import json
import pathlib
import re
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from book_files import chapter_notebooks  # noqa: E402

__all__ = ["ALLOWED_KEY", "GENERATED_MARKER", "prose_numbers", "unglued_numbers"]

# The "Cite this chapter" box is written by scripts/generated_cells.py (its numbers are a version).
GENERATED_MARKER = ":::{admonition} Cite this chapter"

# Each notebook lists the numbers that stay typed, with the reason, in its own metadata:
# "allowed_prose_numbers": {"272": "the size of the Old Faithful data, asserted in cell ..."}.
ALLOWED_KEY = "allowed_prose_numbers"

_NUMBER = re.compile(r"(?<![\w.])[-−]?\d+(?:[.,]\d+)*(?:[eE][-+−]?\d+)?(?![\w])")
_REFERENCE_WORDS = re.compile(
    r"(?:\b(?:ch|chs|sec|p|pp|eq|eqs|no|vol|fig|ex)\.|\b(?:chapter|chapters|section|sections|table|tables|"
    r"figure|figures|exercise|exercises|theorem|lemma|page|pages|appendix|step|steps|issue|issues|edition|ed)|§|#)\s*$",
    re.IGNORECASE,
)
_FENCE = re.compile(r"^(```+|~~~+)(.*)$")
_ROLE = re.compile(r"\{[\w:.+-]+\}`[^`]*`")
_CODE = re.compile(r"``[^`]+``|`[^`]+`")
_LINK_TARGET = re.compile(r"\]\([^)]*\)")
_LABEL_LINE = re.compile(r"^\s*\([\w:.-]+\)=\s*$")
_OPTION_LINE = re.compile(r"^\s*:[\w-]+:.*$")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_DISPLAY_MATH = re.compile(r"\$\$.*?\$\$|\\begin\{(\w+\*?)\}.*?\\end\{\1\}", re.DOTALL)
_INLINE_MATH = re.compile(r"(?<![\\$])\$(?!\$)(.+?)(?<![\\$])\$")
_MATH_NOISE = re.compile(r"\\(?:label|tag|ref|eqref|text|mathrm|operatorname)\{[^}]*\}")
_THIN_SPACE = re.compile(r"(?<=\d)\\,(?=\d)")  # 10\,000 is one number
_YEAR = re.compile(r"^(1[6-9]|20)\d\d$")


def _fence_kind(info: str) -> str:
    """What a fenced block holds: a {math} directive mathematics, another {directive} prose
    (a theorem, an algorithm box), a plain fence code."""
    if info.startswith("{math}"):
        return "math"
    return "prose" if info.startswith("{") else "code"


def _prose_and_math(markdown: str) -> tuple[str, list[str]]:
    """The markdown's prose (code, roles, link targets, labels removed) and its mathematics."""
    kept, math_blocks, fences = [], [], []  # fences: the open blocks, as (marker, kind)
    for line in markdown.splitlines():
        fence = _FENCE.match(line.strip())
        inside = fences[-1][1] if fences else "prose"
        if fence:
            marker, info = fence.group(1), fence.group(2).strip()
            if fences and not info and marker[0] == fences[-1][0][0] and len(marker) >= len(fences[-1][0]):
                fences.pop()  # a closing fence
                continue
            if inside != "code":  # in code, a fence-like line is text
                fences.append((marker, _fence_kind(info)))
                if fences[-1][1] == "math":
                    math_blocks.append([])
                continue
        if inside == "code" or _LABEL_LINE.match(line) or _OPTION_LINE.match(line):
            continue
        if inside == "math":
            math_blocks[-1].append(line)
            continue
        kept.append(line)
    text = _COMMENT.sub(" ", "\n".join(kept))
    text = _ROLE.sub(" ", text)
    text = _CODE.sub(" ", text)
    text = _LINK_TARGET.sub("] ", text)
    maths = ["\n".join(block) for block in math_blocks] + [m.group(0) for m in _DISPLAY_MATH.finditer(text)]
    text = _DISPLAY_MATH.sub(" ", text)
    maths += [m.group(1) for m in _INLINE_MATH.finditer(text)]
    text = _INLINE_MATH.sub(" ", text)
    return text, [_THIN_SPACE.sub("", _MATH_NOISE.sub(" ", math)) for math in maths]


def _digits(number: str) -> str:
    return re.sub(r"[^\d]", "", number.split("e")[0].split("E")[0])


def prose_numbers(markdown: str) -> list[tuple[str, str]]:
    """``(number, context)`` for every number in a markdown cell that the rules above report."""
    prose, maths = _prose_and_math(markdown)
    found = []
    for match in _NUMBER.finditer(prose):
        number = match.group(0).lstrip("-−")
        before = prose[max(0, match.start() - 12) : match.start()]
        is_decimal = "." in number or "e" in number.lower()
        if not is_decimal and (int(_digits(number)) <= 10 or _YEAR.match(number)):
            continue
        if _REFERENCE_WORDS.search(before):
            continue
        context = prose[max(0, match.start() - 40) : match.end() + 20].replace("\n", " ")
        found.append((number, context.strip()))
    for math in maths:
        for match in _NUMBER.finditer(math):
            number = match.group(0).lstrip("-−")
            is_decimal = "." in number or "e" in number.lower()
            if is_decimal or len(_digits(number)) >= 3:
                context = math[max(0, match.start() - 30) : match.end() + 15].replace("\n", " ")
                found.append((number, f"${context.strip()}$"))
    return found


def unglued_numbers(path: pathlib.Path) -> list[tuple[int, str, str]]:
    """``(cell index, number, context)`` for the numbers of a notebook that its allow-list does not list."""
    notebook = json.loads(path.read_text())
    allowed = notebook.get("metadata", {}).get(ALLOWED_KEY, {})
    found = []
    for index, cell in enumerate(notebook["cells"]):
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] != "markdown" or source.startswith(GENERATED_MARKER):
            continue
        found += [(index, number, context) for number, context in prose_numbers(source) if number not in allowed]
    return found


def main(paths: list[str]) -> None:
    notebooks = [pathlib.Path(p) for p in paths] or chapter_notebooks()
    total = 0
    for path in notebooks:
        found = unglued_numbers(path)
        total += len(found)
        for index, number, context in found:
            print(f"{path.stem} cell {index}: {number!r:>12}  … {context} …")
    print(f"{total} numbers typed into prose")


if __name__ == "__main__":
    main(sys.argv[1:])
