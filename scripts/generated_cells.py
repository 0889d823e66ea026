"""Cells that the book's notebooks carry and that are written by this script, not by hand.

1. **The setup cell**, the first code cell of every notebook. A notebook opened from the book's
   launch button in Google Colab (or downloaded on its own) runs where `emlib` is not
   installed; the cell then installs it with pip from the repository named in `_config.yml`
   (``repository: url:``). Inside the repository (`make lab`, `make test`) `emlib` is
   importable and the cell does not install anything. If pip fails, the cell stops the notebook
   with one message (``SystemExit``) instead of letting every later cell fail. Everywhere, it
   sets one BLAS thread unless the reader chose a number (emlib's many small BLAS calls run
   faster so, and sums come in a fixed order), and it defines ``glue`` (myst-nb's, which passes
   executed values to the text, or where myst-nb is missing a stand-in that only shows them,
   so that the chapters' glue calls run in Colab too). It is tagged ``remove-cell``: the website does
   not show it, the downloaded and the Colab notebook keep it.
2. **The stored benchmark results** of the Performance appendix, its second code cell: a copy
   of ``benchmarks/results/performance.json`` and a summary of ``benchmarks/results/panel.json``
   (the panel of real data sets), so that the page runs without the repository and without a
   network (tagged ``remove-cell``).
3. **The "Cite this chapter" box**, the last cell of every chapter (a notebook with a section
   "emlib functions used in this chapter"). It gives a citation of the chapter, the `emlib`
   version and links to the API entries of the functions the chapter lists in that section,
   and a BibTeX entry. The version comes from `emlib.__version__`, the year from
   ``CITATION.cff``, the URL from `_config.yml`.

Usage: ``python scripts/generated_cells.py`` writes or refreshes them in every notebook under
``book/``; run `make execute` afterwards. ``tests/test_generated_cells.py`` fails if a notebook's
cells differ from what this script would write.
"""

from __future__ import annotations

import json
import pathlib
import re
import sys

import nbformat
import yaml

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from book_files import BOOK, ROOT, book_notebooks  # noqa: E402, F401  (book_notebooks: the notebooks to refresh)

# ---------------------------------------------------------------------------------------------
# The setup cell

# The first line of the cell; it identifies an existing setup cell, which is then replaced.
SETUP_MARKER = "# Outside the book's repository (Google Colab, a downloaded notebook): install emlib."
SETUP_TAGS = ["remove-cell"]
SETUP_TEMPLATE = """{marker}
# In the repository emlib is installed already, and the cell only sets one BLAS thread.
import importlib
import importlib.util
import os
import subprocess
import sys

# One BLAS thread, unless you chose otherwise: emlib makes many small BLAS calls, which extra
# threads slow down, and one thread adds floating-point sums in a fixed order.
for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")
loaded = "numpy" in sys.modules and importlib.util.find_spec("threadpoolctl") is not None
if loaded and os.environ["OPENBLAS_NUM_THREADS"] == "1":
    import threadpoolctl  # numpy is loaded already: limit its BLAS now

    threadpoolctl.threadpool_limits(1)

try:  # glue() hands executed values to the book's text (myst-nb); without myst-nb it only shows them
    from myst_nb import glue
except ImportError:

    def glue(name, value, display=True):
        if display:
            from IPython.display import display as show

            show(value)


REPOSITORY = "{repository}"
if importlib.util.find_spec("emlib") is None:
    command = [sys.executable, "-m", "pip", "install", "--quiet", f"git+{{REPOSITORY}}"]
    pip = subprocess.run(command, capture_output=True, text=True)
    if pip.returncode != 0:  # stop here, with one message, rather than fail in every later cell
        raise SystemExit(
            f"This notebook needs emlib, and installing it from {{REPOSITORY}} failed:\\n"
            f"{{pip.stderr.strip()[-1500:]}}\\n"
            f"Install it yourself (pip install git+{{REPOSITORY}}), restart the kernel and run the notebook again."
        )
    importlib.invalidate_caches()"""

# ---------------------------------------------------------------------------------------------
# The stored benchmark results of the Performance appendix

RESULTS_NOTEBOOK = "performance"
RESULTS_FILE = "benchmarks/results/performance.json"
RESULTS_MARKER = "# The stored results of make bench-performance, copied here by scripts/generated_cells.py"
RESULTS_TAGS = ["remove-cell"]
PANEL_FILE = "benchmarks/results/panel.json"
FRONTIER_FILE = "benchmarks/results/panel_frontier.json"
#: The strategies whose every case the page shows (the others only as summaries).
PANEL_CASES_OF = ("emlib-default", "sklearn-default")
RESULTS_TEMPLATE = """{marker}
# from {file}, so that the page runs anywhere, offline too; and the summaries of {panel_file}
# and {frontier_file}.
import json

results = json.loads(
    {text}
)
panel = json.loads(
    {panel_text}
)"""


def _compact(value) -> str:
    return repr(json.dumps(value, separators=(",", ":"), ensure_ascii=True, sort_keys=True))


def panel_summary() -> dict:
    """Of ``benchmarks/results/panel.json``: its provenance, each strategy's summary, and the gap of
    every case for the two defaults (None where the fit raised or was inadmissible); of
    ``benchmarks/results/panel_frontier.json``: each strategy's summary and E-steps, against the
    best known and against the issue's reference (mclust and scikit-learn only)."""
    stored = json.loads((ROOT / PANEL_FILE).read_text())
    strategies = stored["strategies"]
    cases = {
        name: {
            key: row["gap"] if row["status"] == "ok" and row["admissible"] else None
            for key, row in strategies[name]["cases"].items()
        }
        for name in PANEL_CASES_OF
    }
    frontier = json.loads((ROOT / FRONTIER_FILE).read_text())["strategies"]
    return {
        "provenance": stored["provenance"],
        "summaries": {name: {"kwargs": entry["kwargs"], **entry["summary"]} for name, entry in strategies.items()},
        "cases": cases,
        "frontier": {
            name: {
                "summary": entry["summary"],
                "n_estep": entry["n_estep"],
                "summary_issue_reference": entry["summary_issue_reference"],
                "worst_case": _worst_case(entry.get("cases")),
            }
            for name, entry in frontier.items()
        },
    }


def _worst_case(rows: dict | None) -> str | None:
    """The case whose admissible fit ends furthest below the best known (None without the cases)."""
    if not rows:
        return None
    admissible = {key: row["gap"] for key, row in rows.items() if row["status"] == "ok" and row["admissible"]}
    return max(admissible, key=admissible.get)


def results_cell_source() -> str:
    """The cell that holds ``benchmarks/results/performance.json`` and the panel's summary (compact JSON)."""
    stored = json.loads((ROOT / RESULTS_FILE).read_text())
    return RESULTS_TEMPLATE.format(
        marker=RESULTS_MARKER,
        file=RESULTS_FILE,
        panel_file=PANEL_FILE,
        frontier_file=FRONTIER_FILE,
        text=_compact(stored),
        panel_text=_compact(panel_summary()),
    )


# ---------------------------------------------------------------------------------------------
# The "Cite this chapter" box

CITE_MARKER = ":::{admonition} Cite this chapter"
FUNCTIONS_HEADING = "## emlib functions used in this chapter"
BOOK_TITLE = "Expectation–Maximization: an executable textbook"
BOOK_TITLE_BIBTEX = "Expectation--Maximization: an executable textbook"
AUTHORS = "The EM book authors"
CITE_TEMPLATE = """{marker}
:class: tip

{authors} ({year}). {title}. In *{book}*, version {version}.
[`{url}`]({url})

The code this chapter runs is `emlib` {version}, in the same repository: cite it with the
names of the functions you use. This chapter calls {objects}.

```bibtex
@incollection{{{key},
  author    = {{{{{authors}}}}},
  title     = {{{bibtex_title}}},
  booktitle = {{{book_bibtex}}},
  year      = {{{year}}},
  edition   = {{version {version}}},
  url       = {{{url}}},
  note      = {{Code: emlib {version}}},
}}
```
:::"""


def _config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text())


def repository_url() -> str:
    """The repository URL of the book, from ``_config.yml`` (``repository: url:``)."""
    url = _config()["repository"]["url"]
    if not isinstance(url, str) or not url.startswith("https://"):
        raise ValueError(f"_config.yml: repository.url must be an https URL, got {url!r}")
    return url.rstrip("/")


def repository_branch() -> str:
    return _config()["repository"].get("branch", "main")


def emlib_version() -> str:
    """``__version__`` of emlib, read from its source (no import, so no stale installed copy)."""
    text = (ROOT / "emlib" / "__init__.py").read_text()
    return re.search(r'^__version__ = "([^"]+)"$', text, re.MULTILINE).group(1)


def citation_year() -> str:
    """The year of ``date-released`` in ``CITATION.cff``."""
    released = str(yaml.safe_load((ROOT / "CITATION.cff").read_text())["date-released"])
    return released[:4]


def setup_cell_source(repository: str | None = None) -> str:
    """The source of the setup cell for the given repository URL (default: ``_config.yml``'s)."""
    return SETUP_TEMPLATE.format(marker=SETUP_MARKER, repository=repository or repository_url())


def chapter_title(notebook) -> str:
    """The text of the notebook's first level-1 heading."""
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    raise ValueError("the notebook has no level-1 heading")


def listed_objects(notebook) -> list[tuple[str, str]]:
    """``(role, target)`` of each item of the list in the "emlib functions used" section.

    An item starts with the objects it describes, then a colon, as in
    ``- {py:func}`emlib.fit_gmm`: ...`` or ``- {py:class}`A` and {py:class}`B`: ...``;
    in the order of the list, without repeats.
    """
    for cell in notebook.cells:
        if cell.cell_type == "markdown" and FUNCTIONS_HEADING in cell.source:
            section = cell.source.split(FUNCTIONS_HEADING, 1)[1].split("\n## ", 1)[0]
            found = []
            for item in re.findall(r"^- (\{py:.*?`):", section, re.MULTILINE):
                found += re.findall(r"\{py:(\w+)\}`([^`]+)`", item)
            return list(dict.fromkeys(found))
    return []


def is_chapter(notebook) -> bool:
    return bool(listed_objects(notebook))


def _bibtex_title(title: str) -> str:
    """Protect the capitals of names and acronyms ("Gaussian", "EM", "ELBO") from BibTeX styles."""
    words = title.split(" ")
    protected = [
        f"{{{word}}}" if any(c.isupper() for c in (word[1:] if i == 0 else word)) else word
        for i, word in enumerate(words)
    ]
    return " ".join(protected)


def cite_box_source(notebook, docname: str) -> str:
    """The source of the "Cite this chapter" box of the chapter `docname` (e.g. ``"soft_em"``)."""
    title = chapter_title(notebook)
    objects = listed_objects(notebook)
    if not objects:
        raise ValueError(f"{docname}: no section {FUNCTIONS_HEADING!r} with API links")
    version = emlib_version()
    return CITE_TEMPLATE.format(
        marker=CITE_MARKER,
        authors=AUTHORS,
        year=citation_year(),
        title=title,
        bibtex_title=_bibtex_title(title),
        book=BOOK_TITLE,
        book_bibtex=BOOK_TITLE_BIBTEX,
        version=version,
        url=f"{repository_url()}/blob/{repository_branch()}/book/{docname}.ipynb",
        key=f"embook:{docname}",
        objects=", ".join(f"{{py:{role}}}`~{target}`" for role, target in objects),
    )


# ---------------------------------------------------------------------------------------------
# Writing the cells


def _write_setup_cell(notebook) -> bool:
    source = setup_cell_source()
    code_indices = [i for i, cell in enumerate(notebook.cells) if cell.cell_type == "code"]
    first = notebook.cells[code_indices[0]] if code_indices else None
    if first is not None and first.source.startswith(SETUP_MARKER):
        if first.source == source and first.metadata.get("tags") == SETUP_TAGS:
            return False
        first.source = source
        first.metadata["tags"] = list(SETUP_TAGS)
        return True
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": list(SETUP_TAGS)})
    notebook.cells.insert(code_indices[0] if code_indices else len(notebook.cells), cell)
    return True


def _write_cite_box(notebook, docname: str) -> bool:
    if not is_chapter(notebook):
        return False
    source = cite_box_source(notebook, docname)
    last = notebook.cells[-1]
    if last.cell_type == "markdown" and last.source.startswith(CITE_MARKER):
        if last.source == source:
            return False
        last.source = source
        return True
    notebook.cells.append(nbformat.v4.new_markdown_cell(source))
    return True


def _write_results_cell(notebook, docname: str) -> bool:
    if docname != RESULTS_NOTEBOOK:
        return False
    source = results_cell_source()
    code_indices = [i for i, cell in enumerate(notebook.cells) if cell.cell_type == "code"]
    second = notebook.cells[code_indices[1]]
    if second.source.startswith(RESULTS_MARKER):
        if second.source == source and second.metadata.get("tags") == RESULTS_TAGS:
            return False
        second.source = source
        second.metadata["tags"] = list(RESULTS_TAGS)
        return True
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": list(RESULTS_TAGS)})
    notebook.cells.insert(code_indices[1], cell)
    return True


def write_cells(path: pathlib.Path) -> bool:
    """Write or refresh the generated cells of the notebook at `path`; True if it changed."""
    notebook = nbformat.read(path, as_version=4)
    docname = path.relative_to(BOOK).with_suffix("").as_posix()
    changed = _write_setup_cell(notebook)
    changed = _write_results_cell(notebook, docname) or changed
    changed = _write_cite_box(notebook, docname) or changed
    if changed:
        nbformat.write(notebook, path)
    return changed


def main() -> int:
    for path in book_notebooks():
        if write_cells(path):
            print(f"generated cells written: {path.relative_to(ROOT)} (run make execute)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
