"""Execute book notebooks in place, so that their stored outputs are those of a fresh run.

Usage: ``python scripts/execute_notebooks.py [NOTEBOOK ...]`` (default: every notebook under
``book/``). Each notebook runs top to bottom in a fresh kernel of the current environment,
with ``PYTHONHASHSEED=0``, one BLAS thread and its own folder as working directory, exactly
as ``nbval`` re-runs it in ``make test``. A cell that raises stops that notebook and the script fails.
Before it runs, the notebook's generated cells (the setup cell, a chapter's cite box) are
refreshed (``scripts/generated_cells.py``). Afterwards the execution page ``book/execution.md`` is rewritten from the notebooks' new timings
(``scripts/execution_report.py``).
"""

import os
import pathlib
import sys

import execution_report
import generated_cells
import nbformat
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parent.parent


def execute(path: pathlib.Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    nbformat.write(notebook, path)


def main(argv: list[str]) -> int:
    os.environ["PYTHONHASHSEED"] = "0"
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = "1"  # as in `make test`: see the Makefile
    paths = [pathlib.Path(a).resolve() for a in argv] or generated_cells.book_notebooks()
    for path in paths:
        print(f"executing {path.relative_to(ROOT)}", flush=True)
        generated_cells.write_cells(path)
        execute(path)
    return execution_report.main([])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
