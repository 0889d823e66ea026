"""The book's notebooks are complete, listed in the table of contents, and cleanly executed.

nbval (run by `make test`) re-executes every notebook and compares outputs; these checks catch
what nbval does not: a notebook left out of `_toc.yml`, a cell never run, a stored error or
warning, an output that could never match on a fresh run (a memory address).
"""

import json
import pathlib
import re
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from book_files import book_notebooks, notebooks_on_disk, toc_files  # noqa: E402

NOTEBOOKS = book_notebooks()


def notebook_id(path):
    return path.relative_to(ROOT).as_posix()


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found under book/"


def test_every_notebook_is_in_the_toc():
    listed = set(toc_files())
    missing = [notebook_id(p) for p in notebooks_on_disk() if notebook_id(p)[: -len(".ipynb")] not in listed]
    assert not missing, f"notebooks not listed in _toc.yml: {missing}"


def test_every_toc_entry_exists():
    absent = [
        entry for entry in toc_files() if not any((ROOT / f"{entry}{suffix}").exists() for suffix in (".ipynb", ".md"))
    ]
    assert not absent, f"_toc.yml lists files that do not exist: {absent}"


def code_cells(path):
    notebook = json.loads(path.read_text())
    return [
        (index, cell)
        for index, cell in enumerate(notebook["cells"])
        if cell["cell_type"] == "code" and "".join(cell["source"]).strip()
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_id)
def test_cells_executed_in_order(path):
    counts = [cell["execution_count"] for _, cell in code_cells(path)]
    assert None not in counts, (
        f"code cells never executed: {[i for i, c in code_cells(path) if c['execution_count'] is None]}"
    )
    assert counts == list(range(1, len(counts) + 1)), (
        f"execution counts {counts} are not 1..n: run the notebook top to bottom in a fresh kernel (make execute)"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_id)
def test_no_errors_warnings_or_addresses(path):
    problems = []
    for index, cell in code_cells(path):
        for output in cell.get("outputs", []):
            if output["output_type"] == "error":
                problems.append(f"cell {index}: error output {output.get('ename')}")
            if output.get("name") == "stderr":
                problems.append(f"cell {index}: writes to stderr: {''.join(output['text'])[:200]!r}")
            text = "".join(output.get("text", "")) + "".join(output.get("data", {}).get("text/plain", ""))
            if re.search(r" at 0x[0-9a-fA-F]+", text):
                problems.append(f"cell {index}: prints a memory address")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_id)
def test_kernel_is_python3(path):
    metadata = json.loads(path.read_text())["metadata"]
    assert metadata.get("kernelspec", {}).get("name") == "python3"


from book_files import chapter_notebooks  # noqa: E402
from prose_numbers import unglued_numbers  # noqa: E402
from visible_length import RESULTS as VISIBLE_LENGTH_RESULTS  # noqa: E402
from visible_length import chapter_lengths  # noqa: E402


@pytest.mark.parametrize("path", chapter_notebooks(), ids=notebook_id)
def test_numbers_in_prose_are_executed_values(path):
    """A number a chapter reports is glued from a code cell, or allowed with a reason (scripts/prose_numbers.py)."""
    found = unglued_numbers(path)
    assert not found, "numbers typed into markdown (glue them, or allow them with a reason):\n" + "\n".join(
        f"  cell {index}: {number!r} in … {context} …" for index, number, context in found
    )


def test_chapters_show_at_most_three_quarters_of_their_length_before_issue_14():
    """The reader's page: markdown plus visible code of the six chapters, against the stored "before"."""
    before = json.loads(VISIBLE_LENGTH_RESULTS.read_text())["before"]
    now = chapter_lengths()
    total_before = sum(before[name]["visible"] for name in before)
    total_now = sum(now[name]["visible"] for name in before)
    assert total_now <= 0.75 * total_before, (total_now, total_before, total_now / total_before)


from prose_numbers import ALLOWED_KEY, prose_numbers  # noqa: E402


def test_prose_number_rules():
    """What the check reports, and what it leaves alone (scripts/prose_numbers.py)."""
    reported = [number for number, _ in prose_numbers("EM took 57 iterations and reached $\\ell = -1034.0$.")]
    assert reported == ["57", "1034.0"]
    quiet = (
        "In 1977 {cite}`dempster1977` showed it; {glue:text}`n_iter` iterations, two components, "
        "step 3, Table 9.14, `tol=1e-8`, $\\frac{1}{2} x^{2}$, [a link](https://x.org/1234).\n"
        "(some-label)=\n```python\nx = 123.5\n```\n"
    )
    assert prose_numbers(quiet) == []
    assert [n for n, _ in prose_numbers("```{prf:theorem} T\nIt holds for 250 points.\n```")] == ["250"]
    assert [n for n, _ in prose_numbers("$N = 10\\,000$ and $x_{272}$")] == ["10000", "272"]


@pytest.mark.parametrize("path", chapter_notebooks(), ids=notebook_id)
def test_allowed_prose_numbers_have_reasons_and_occur(path):
    """The allow-list is short, each entry says why, and none is stale."""
    notebook = json.loads(path.read_text())
    allowed = notebook["metadata"].get(ALLOWED_KEY, {})
    assert len(allowed) <= 15, f"{len(allowed)} typed numbers allowed: glue them instead"
    typed = set()
    for cell in notebook["cells"]:
        if cell["cell_type"] == "markdown":
            typed |= {number for number, _ in prose_numbers("".join(cell["source"]))}
    for number, reason in allowed.items():
        assert isinstance(reason, str) and len(reason) >= 20, f"{number!r}: say why it may stay typed"
        assert number in typed, f"{number!r} is allowed but no longer typed: remove it from the allow-list"


def test_prose_number_rules_follow_nested_fences():
    """Prose after a directive box is checked; code inside a box is not; a {math} block is mathematics."""
    box = "````{prf:algorithm} EM\n1. Run 250 steps.\n```python\nx = 999\n```\n````\nThen 123 more.\n"
    assert [n for n, _ in prose_numbers(box)] == ["250", "123"]
    assert [n for n, _ in prose_numbers("```{math}\n:label: a\nx = 0.25 + 3\n```\nNext 42.")] == ["42", "0.25"]
