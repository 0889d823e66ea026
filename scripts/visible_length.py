"""How much of each chapter a reader sees on the website: markdown plus visible code, in characters.

A code cell is visible unless it is tagged ``remove-cell``, ``remove-input``, ``hide-input`` or
``hide-cell`` (the hidden kinds stay one click away and still run under nbval). Outputs are not
counted. The measure is the one of the issue "The book reads like a textbook" (#14): together the
six chapters should show at most three quarters of their length before it.

Usage::

    python scripts/visible_length.py                 # the working tree
    python scripts/visible_length.py --at COMMIT     # the chapters as committed at COMMIT
    python scripts/visible_length.py --record COMMIT # write benchmarks/results/visible_length.json

``--record`` stores the chapters' lengths at COMMIT ("before") and in the working tree ("after");
``tests/test_notebooks.py`` checks the working tree against the stored "before".
"""

from __future__ import annotations

import argparse
import json
import pathlib
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from book_files import ROOT, chapter_notebooks  # noqa: E402

__all__ = ["HIDING_TAGS", "RESULTS", "chapter_lengths", "visible_length"]

HIDING_TAGS = frozenset({"remove-cell", "remove-input", "hide-input", "hide-cell"})
RESULTS = ROOT / "benchmarks" / "results" / "visible_length.json"


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def visible_length(notebook: dict) -> dict[str, int]:
    """Characters of markdown and of visible code in a notebook (its JSON, as a dict)."""
    markdown = code = 0
    for cell in notebook["cells"]:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if cell["cell_type"] == "markdown":
            markdown += len(_source(cell))
        elif cell["cell_type"] == "code" and not tags & HIDING_TAGS:
            code += len(_source(cell))
    return {"markdown": markdown, "visible_code": code, "visible": markdown + code}


def _notebook_at(path: pathlib.Path, commit: str | None) -> dict:
    if commit is None:
        return json.loads(path.read_text())
    relative = path.relative_to(ROOT).as_posix()
    text = subprocess.run(
        ["git", "show", f"{commit}:{relative}"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    return json.loads(text)


def chapter_lengths(commit: str | None = None) -> dict[str, dict[str, int]]:
    """:func:`visible_length` of every chapter (the numbered parts of ``_toc.yml``)."""
    return {path.stem: visible_length(_notebook_at(path, commit)) for path in chapter_notebooks()}


def _print(lengths: dict[str, dict[str, int]], before: dict[str, dict[str, int]] | None = None) -> None:
    print(f"{'chapter':<12} {'markdown':>9} {'code':>8} {'visible':>8}" + ("  before   ratio" if before else ""))
    for name, row in lengths.items():
        line = f"{name:<12} {row['markdown']:>9} {row['visible_code']:>8} {row['visible']:>8}"
        if before and name in before:
            line += f" {before[name]['visible']:>8} {row['visible'] / before[name]['visible']:>7.2f}"
        print(line)
    total = sum(row["visible"] for row in lengths.values())
    line = f"{'total':<12} {'':>9} {'':>8} {total:>8}"
    if before:
        total_before = sum(before[name]["visible"] for name in lengths if name in before)
        line += f" {total_before:>8} {total / total_before:>7.2f}"
    print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--at", metavar="COMMIT", help="measure the chapters as committed at COMMIT")
    parser.add_argument("--record", metavar="COMMIT", help="store COMMIT's lengths and the working tree's")
    args = parser.parse_args()
    if args.record:
        before, after = chapter_lengths(args.record), chapter_lengths()
        commit = subprocess.run(
            ["git", "rev-parse", args.record], cwd=ROOT, check=True, capture_output=True, text=True
        ).stdout.strip()
        RESULTS.write_text(json.dumps({"before_commit": commit, "before": before, "after": after}, indent=1) + "\n")
        _print(after, before)
    else:
        _print(chapter_lengths(args.at))


if __name__ == "__main__":
    main()
