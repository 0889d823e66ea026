"""The execution page (book/execution.md) is up to date and reports every notebook as ok."""

from __future__ import annotations

import pathlib
import sys

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import execution_report  # noqa: E402


def test_page_is_up_to_date(capsys):
    assert execution_report.main(["--check"]) == 0, capsys.readouterr().out


def test_every_notebook_of_the_toc_is_listed_and_ok():
    runs = [execution_report.read_run(path) for path in execution_report.book_notebooks()]
    notebooks = sorted(p for p in (ROOT / "book").glob("*.ipynb"))
    assert sorted(ROOT / "book" / f"{run.docname}.ipynb" for run in runs) == notebooks
    page = execution_report.PAGE.read_text()
    for run in runs:
        assert run.status == "ok", (run.docname, run.problems)
        assert run.seconds is not None and run.seconds > 0
        assert f"<{run.docname}>` | {run.code_cells} | {run.seconds:.1f}&nbsp;s |" in page


def timed_cell(source, count, start, end, outputs=()):
    cell = nbformat.v4.new_code_cell(source, execution_count=count, outputs=list(outputs))
    cell.metadata["execution"] = {
        "iopub.execute_input": f"2026-01-01T00:00:{start:06.3f}Z",
        "shell.execute_reply": f"2026-01-01T00:00:{end:06.3f}Z",
    }
    return cell


def write(tmp_path, cells):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# A title"), *cells])
    path = tmp_path / "example.ipynb"
    nbformat.write(notebook, path)
    return path


@pytest.fixture
def book_root(tmp_path, monkeypatch):
    (tmp_path / "book").mkdir()
    monkeypatch.setattr(execution_report, "ROOT", tmp_path)
    return tmp_path / "book"


def test_a_clean_run_is_ok_and_timed(book_root):
    path = write(
        book_root,
        [
            timed_cell("a = 1", 1, 1.0, 1.5),
            nbformat.v4.new_markdown_cell("## Slow part"),
            timed_cell("b = 2", 2, 1.5, 4.0),
        ],
    )
    run = execution_report.read_run(path)
    assert run.status == "ok" and run.title == "A title" and run.code_cells == 2
    assert run.seconds == pytest.approx(3.0)
    assert run.slowest_seconds == pytest.approx(2.5)
    assert run.slowest_section == 'in "Slow part"'


def test_problems_are_reported(book_root):
    error = nbformat.v4.new_output("error", ename="ValueError", evalue="bad", traceback=[])
    warning = nbformat.v4.new_output("stream", name="stderr", text="UserWarning: careful\n")
    untimed = nbformat.v4.new_code_cell("c = 3", execution_count=2)
    path = write(book_root, [timed_cell("a = 1", 1, 0, 1, [error, warning]), untimed, timed_cell("d", 5, 2, 3)])
    run = execution_report.read_run(path)
    assert run.problems == (
        "cells not run in order from a fresh kernel",
        "1 error output(s)",
        "1 output(s) on stderr",
        "no timings recorded (run make execute)",
    )
    assert run.seconds is None
    row = next(line for line in execution_report.render([run]).splitlines() if "<example>" in line)
    assert "| n/a | n/a |" in row and "error output" in row
