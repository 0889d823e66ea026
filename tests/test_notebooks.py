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
