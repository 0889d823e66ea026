"""Write the book's execution page, ``book/execution.md``, from the stored notebooks.

When nbclient executes a notebook (`make execute`, ``scripts/execute_notebooks.py``) it records
in each code cell's metadata when the kernel started and finished running it. This script reads
those timestamps and the stored outputs of every notebook listed in ``_toc.yml`` and writes one
table row per notebook: code cells, run time, the slowest cell and its section, and a status
("ok" when every code cell ran in order, with timings, and no output holds an error or a write
to stderr, which is where warnings go). A line below the table says when the runs finished and
in which Python version.

Usage: ``python scripts/execution_report.py [--check]``. `make execute` runs it after the
notebooks; ``--check`` writes nothing and exits 1 if the page is out of date (the tests do this).
"""

from __future__ import annotations

import datetime
import pathlib
import sys
from dataclasses import dataclass

import nbformat

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from book_files import ROOT, book_notebooks  # noqa: E402

PAGE = ROOT / "book" / "execution.md"

INTRO = """\
# Execution

Every chapter of this book is a Jupyter notebook stored *with* its outputs: what you read is
what the code printed. `make execute` runs each notebook top to bottom in a fresh kernel (one
BLAS thread, `PYTHONHASHSEED=0`), and `make test` runs every notebook again under `nbval` and
fails if any output differs from the stored one, so the stored outputs are reproducible.

The table describes the stored run of each notebook. The run time is the time from the start of
the first code cell to the end of the last, on the machine that ran `make execute`. A notebook
is *ok* when every code cell ran, in order, and no output holds an error or a warning. The page
is written by `scripts/execution_report.py` from the timestamps that the notebook runner
records in each cell's metadata; `make execute` rewrites it, and a test fails when it is out of
date.
"""


@dataclass(frozen=True)
class NotebookRun:
    """What the stored run of one notebook says about itself."""

    docname: str  # e.g. "latent_mle", relative to book/
    title: str
    code_cells: int
    seconds: float | None
    slowest_section: str | None  # where the slowest code cell is
    slowest_seconds: float | None
    finished: datetime.datetime | None
    python: str
    problems: tuple[str, ...]

    @property
    def status(self) -> str:
        return "ok" if not self.problems else "; ".join(self.problems)


def _timestamp(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def read_run(path: pathlib.Path) -> NotebookRun:
    """Summarise the stored run of the notebook at `path`."""
    notebook = nbformat.read(path, as_version=4)
    cells = [cell for cell in notebook.cells if cell.cell_type == "code" and cell.source.strip()]
    problems = []
    counts = [cell.execution_count for cell in cells]
    if counts != list(range(1, len(cells) + 1)):
        problems.append("cells not run in order from a fresh kernel")
    errors = sum(output.output_type == "error" for cell in cells for output in cell.outputs)
    warnings = sum(output.get("name") == "stderr" for cell in cells for output in cell.outputs)
    if errors:
        problems.append(f"{errors} error output(s)")
    if warnings:
        problems.append(f"{warnings} output(s) on stderr")

    timings = [cell.metadata.get("execution", {}) for cell in cells]
    timed = [t for t in timings if "iopub.execute_input" in t and "shell.execute_reply" in t]
    seconds = slowest_section = slowest_seconds = finished = None
    if cells and len(timed) == len(cells):
        starts = [_timestamp(t["iopub.execute_input"]) for t in timings]
        ends = [_timestamp(t["shell.execute_reply"]) for t in timings]
        finished = ends[-1]
        seconds = (ends[-1] - starts[0]).total_seconds()
        durations = [(end - start).total_seconds() for start, end in zip(starts, ends)]
        slowest_index = max(range(len(durations)), key=durations.__getitem__)
        slowest_seconds = durations[slowest_index]
        slowest_section = section_of(notebook, cells[slowest_index])
    else:
        problems.append("no timings recorded (run make execute)")

    title = next(
        (
            line[2:].strip()
            for cell in notebook.cells
            if cell.cell_type == "markdown"
            for line in cell.source.splitlines()
            if line.startswith("# ")
        ),
        path.stem,
    )
    return NotebookRun(
        docname=path.relative_to(ROOT / "book").with_suffix("").as_posix(),
        title=title,
        code_cells=len(cells),
        seconds=seconds,
        slowest_section=slowest_section,
        slowest_seconds=slowest_seconds,
        finished=finished,
        python=notebook.metadata.get("language_info", {}).get("version", "unknown"),
        problems=tuple(problems),
    )


def section_of(notebook, target) -> str:
    """Where the cell `target` is: 'in "<the last heading above it>"', or 'before the first section'."""
    heading = None
    for cell in notebook.cells:
        if cell is target:
            return "before the first section" if heading is None else f'in "{heading}"'
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("## ") or line.startswith("### "):
                    heading = line.lstrip("#").strip()
    raise ValueError("the cell is not in the notebook")


def _seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}&nbsp;s"


def render(runs: list[NotebookRun]) -> str:
    """The Markdown text of the execution page."""
    lines = [
        INTRO,
        "| Notebook | Code cells | Run time | Slowest cell | Status |",
        "| --- | ---: | ---: | --- | --- |",
    ]
    for run in runs:
        slowest = "n/a" if run.slowest_section is None else f"{_seconds(run.slowest_seconds)}, {run.slowest_section}"
        lines.append(
            f"| {{doc}}`{run.title} <{run.docname}>` | {run.code_cells} | {_seconds(run.seconds)}"
            f" | {slowest} | {run.status} |"
        )
    timed = [run.seconds for run in runs if run.seconds is not None]
    cells = sum(run.code_cells for run in runs)
    lines.append(f"| **All {len(runs)} notebooks** | {cells} | {_seconds(sum(timed))} | | |")
    finished = sorted(run.finished for run in runs if run.finished is not None)
    if finished:
        pythons = ", ".join(sorted({run.python for run in runs}))
        first, last = (time.strftime("%Y-%m-%d %H:%M") for time in (finished[0], finished[-1]))
        lines += ["", f"The stored runs finished between {first} and {last} UTC, in Python {pythons}."]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    text = render([read_run(path) for path in book_notebooks()])
    if argv == ["--check"]:
        if PAGE.exists() and PAGE.read_text() == text:
            return 0
        print(f"{PAGE.relative_to(ROOT)} is out of date: run python scripts/execution_report.py")
        return 1
    if argv:
        print(__doc__)
        return 2
    PAGE.write_text(text)
    print(f"wrote {PAGE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
