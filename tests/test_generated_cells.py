"""The cells every notebook carries for readers outside the repository, and the chapters' cite boxes.

* Every notebook starts (first code cell) with the setup cell of ``scripts/generated_cells.py``:
  it installs emlib from the repository of ``_config.yml`` when emlib cannot be imported (Colab,
  a downloaded notebook), and does nothing in the repository.
* What that install builds (a wheel of the repository) contains emlib with its data.
* No chapter reads a file of the repository; the Performance appendix carries a copy of the
  benchmark results that it displays, so it runs offline too.
* The setup cell stops a notebook with one message if pip fails, and sets one BLAS thread.
* Every chapter ends with a "Cite this chapter" box whose version, year, URL and list of emlib
  functions agree with ``emlib.__version__``, ``CITATION.cff``, ``_config.yml`` and the functions
  the chapter uses; its BibTeX entry parses.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import pathlib
import re
import shutil
import subprocess
import sys

import nbformat
import pytest
import tomllib
import yaml
from pybtex.database import parse_string

import emlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import book_files  # noqa: E402
import generated_cells  # noqa: E402

NOTEBOOKS = generated_cells.book_notebooks()
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
REPOSITORY = CONFIG["repository"]["url"]


def notebook_id(path):
    return path.relative_to(ROOT).as_posix()


def read(path):
    return nbformat.read(path, as_version=4)


CHAPTERS = book_files.chapter_notebooks()


def code_source(notebook) -> str:
    return "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")


# ---------------------------------------------------------------------------------------------
# The setup cell


def test_chapters_are_notebooks():
    assert len(CHAPTERS) >= 6 and all(path.exists() for path in CHAPTERS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_id)
def test_first_code_cell_is_the_setup_cell(path):
    notebook = read(path)
    first = next(cell for cell in notebook.cells if cell.cell_type == "code")
    assert first.source == generated_cells.setup_cell_source(), (
        "the first code cell is not the setup cell: run python scripts/generated_cells.py and make execute"
    )
    assert first.metadata.get("tags") == ["remove-cell"]
    assert f'REPOSITORY = "{REPOSITORY.rstrip("/")}"' in first.source


def run_setup_cell(monkeypatch, emlib_importable: bool) -> list:
    """Execute the setup cell with pip replaced by a recorder; return the recorded calls."""
    calls = []

    def fake_run(command, **kwargs):
        calls.append((command, kwargs))
        return subprocess.CompletedProcess(command, 0)

    real_find_spec = importlib.util.find_spec

    def find_spec(name, *args, **kwargs):
        if name == "emlib" and not emlib_importable:
            return None
        return real_find_spec(name, *args, **kwargs)

    monkeypatch.setattr(subprocess, "run", fake_run)
    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    exec(compile(generated_cells.setup_cell_source(), "<setup cell>", "exec"), {})
    return calls


def test_setup_cell_does_nothing_where_emlib_is_installed(monkeypatch):
    assert run_setup_cell(monkeypatch, emlib_importable=True) == []


def test_setup_cell_installs_emlib_from_the_configured_repository(monkeypatch):
    calls = run_setup_cell(monkeypatch, emlib_importable=False)
    assert calls == [
        (
            [sys.executable, "-m", "pip", "install", "--quiet", f"git+{REPOSITORY.rstrip('/')}"],
            {"capture_output": True, "text": True},
        )
    ]


def test_setup_cell_stops_with_one_message_when_pip_fails(monkeypatch):
    """No cascade of errors in later cells: SystemExit, saying what failed and what to do."""

    def failing_pip(command, **kwargs):
        return subprocess.CompletedProcess(command, 1, stdout="", stderr="ERROR: could not reach github.com")

    monkeypatch.setattr(subprocess, "run", failing_pip)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a, **k: None if name == "emlib" else object())
    with pytest.raises(SystemExit) as stopped:
        exec(compile(generated_cells.setup_cell_source(), "<setup cell>", "exec"), {})
    message = str(stopped.value)
    assert "installing it from" in message and REPOSITORY.rstrip("/") in message
    assert "could not reach github.com" in message and "restart the kernel" in message


def test_setup_cell_sets_one_blas_thread_unless_the_reader_chose(monkeypatch):
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("MKL_NUM_THREADS", "3")
    run_setup_cell(monkeypatch, emlib_importable=True)
    import os

    assert os.environ["OPENBLAS_NUM_THREADS"] == "1" and os.environ["OMP_NUM_THREADS"] == "1"
    assert os.environ["MKL_NUM_THREADS"] == "3"


def test_setup_cell_limits_blas_that_numpy_has_loaded_already():
    """In a kernel where numpy is imported before the cell runs, threadpoolctl sets the limit."""
    script = (
        "import numpy, threadpoolctl\n"
        f"exec(compile({generated_cells.setup_cell_source()!r}, '<setup cell>', 'exec'), {{}})\n"
        "print(sorted({info['num_threads'] for info in threadpoolctl.threadpool_info() if info['user_api'] == 'blas'}))\n"
    )
    env = {key: value for key, value in __import__("os").environ.items() if not key.endswith("_NUM_THREADS")}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[1]"


def test_setup_cell_defines_glue_with_or_without_myst_nb(monkeypatch):
    """The chapters call glue(); in the book it is myst-nb's, in Colab (no myst-nb) a stand-in."""
    import myst_nb

    namespace = {}
    run_setup_cell_into(monkeypatch, namespace)
    assert namespace["glue"] is myst_nb.glue
    monkeypatch.setitem(sys.modules, "myst_nb", None)  # import myst_nb now raises ImportError
    namespace = {}
    run_setup_cell_into(monkeypatch, namespace)
    assert namespace["glue"] is not myst_nb.glue
    assert namespace["glue"]("chapter_value", 1.5, display=False) is None


def run_setup_cell_into(monkeypatch, namespace: dict) -> None:
    monkeypatch.setattr(subprocess, "run", lambda command, **kwargs: subprocess.CompletedProcess(command, 0))
    exec(compile(generated_cells.setup_cell_source(), "<setup cell>", "exec"), namespace)


def test_setup_cell_follows_the_configured_url():
    source = generated_cells.setup_cell_source("https://example.org/someone/fork")
    assert 'REPOSITORY = "https://example.org/someone/fork"' in source
    assert generated_cells.repository_url() == REPOSITORY.rstrip("/")


def test_what_pip_builds_from_the_repository_has_emlib_and_its_data(tmp_path):
    """`pip install git+<repository>` builds a wheel from the repository's pyproject.toml.

    Build one from a copy of the files that the build reads, install it into a folder that is
    first on the path, and use it from outside the repository.
    """
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "emlib", source / "emlib", ignore=shutil.ignore_patterns("__pycache__"))
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    wheels = tmp_path / "wheels"
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "--wheel-dir", str(wheels), str(source)],
        check=True,
        capture_output=True,
    )
    (wheel,) = wheels.glob("emlib-*.whl")
    assert wheel.name.startswith(f"emlib-{emlib.__version__}-")
    target = tmp_path / "site"
    subprocess.run([*pip, "install", "--no-deps", "--target", str(target), str(wheel)], check=True)
    script = (
        "import emlib, pathlib, sys\n"
        f"assert pathlib.Path(emlib.__file__).is_relative_to({str(target)!r}), emlib.__file__\n"
        "X = emlib.datasets.old_faithful()\n"
        "fit = emlib.fit_gmm(X, n_components=2, random_state=0)\n"
        "print(emlib.__version__, X.shape, fit.converged)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [emlib.__version__, "(272,", "2)", "True"]


# ---------------------------------------------------------------------------------------------
# Notebooks outside the repository

RELATIVE_FILE_ACCESS = re.compile(r"""\.\./|open\(|read_text|read_csv|loadtxt|np\.load\(|pathlib\.Path\(""")


@pytest.mark.parametrize("path", CHAPTERS, ids=notebook_id)
def test_chapters_read_no_file_of_the_repository(path):
    """A chapter opened alone (Colab) has only emlib, installed by its setup cell: no local files."""
    lines = [line for line in code_source(read(path)).splitlines() if RELATIVE_FILE_ACCESS.search(line)]
    assert not lines, f"reads files of the repository: {lines}"


def test_performance_page_carries_the_stored_results():
    """The Performance appendix runs offline: its second code cell holds performance.json, unchanged."""
    notebook = read(ROOT / "book" / "performance.ipynb")
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code[1].source == generated_cells.results_cell_source(), (
        "the stored results are out of date: run python scripts/generated_cells.py and make execute"
    )
    assert code[1].metadata.get("tags") == ["remove-cell"]
    namespace = {}
    exec(compile(code[1].source, "<results cell>", "exec"), namespace)
    assert namespace["results"] == json.loads((ROOT / "benchmarks" / "results" / "performance.json").read_text())
    later = "\n".join(cell.source for cell in code[2:])
    assert "urllib" not in later and "performance.json" not in later


# ---------------------------------------------------------------------------------------------
# The cite boxes


def test_versions_agree():
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert emlib.__version__ == project["version"] == str(citation["version"])
    assert generated_cells.emlib_version() == emlib.__version__
    assert citation["repository-code"] == REPOSITORY
    changelog = (ROOT / "CHANGELOG.md").read_text()
    release = re.search(r"^## emlib (\S+) — (\d{4}-\d{2}-\d{2})$", changelog, re.MULTILINE)
    assert release, "CHANGELOG.md has no release heading '## emlib X.Y.Z — YYYY-MM-DD'"
    assert release.groups() == (emlib.__version__, str(citation["date-released"]))
    for example in (ROOT / "README.md", ROOT / "book" / "intro.md"):
        assert f"`emlib.fit_gmm`, emlib {emlib.__version__}" in example.read_text(), example


@pytest.mark.parametrize("path", CHAPTERS, ids=notebook_id)
def test_chapter_ends_with_its_cite_box(path):
    notebook = read(path)
    docname = path.stem
    assert notebook.cells[-1].source == generated_cells.cite_box_source(notebook, docname), (
        "the last cell is not the chapter's cite box: run python scripts/generated_cells.py"
    )
    box = notebook.cells[-1].source
    assert f"version {emlib.__version__}" in box
    assert f"{REPOSITORY.rstrip('/')}/blob/main/book/{docname}.ipynb" in box
    assert generated_cells.chapter_title(notebook) in box


def resolve(target: str):
    module_name, _, attribute = target.rpartition(".")
    return getattr(importlib.import_module(module_name), attribute)


def used_in(obj, code: str) -> bool:
    """The code names `obj`, or (for a base class) a public emlib class derived from it."""
    names = [obj.__name__]
    if isinstance(obj, type):
        names += [
            name
            for name in emlib.__all__
            if isinstance(getattr(emlib, name), type) and issubclass(getattr(emlib, name), obj)
        ]
    return any(re.search(rf"\b{re.escape(name)}\b", code) for name in names)


@pytest.mark.parametrize("path", CHAPTERS, ids=notebook_id)
def test_cited_objects_exist_and_the_chapter_uses_them(path):
    notebook = read(path)
    objects = generated_cells.listed_objects(notebook)
    assert objects, "the chapter lists no emlib functions"
    code = code_source(notebook)
    for role, target in objects:
        obj = resolve(target)
        if role == "func":
            assert callable(obj) and not isinstance(obj, type), f"{target} is not a function"
        elif role == "exc":
            assert isinstance(obj, type) and issubclass(obj, Exception), target
        else:
            assert role == "class" and isinstance(obj, type), f"{target}: role {role}"
        assert used_in(obj, code), f"{target} is cited but not used in the chapter's code"
        assert f"{{py:{role}}}`~{target}`" in notebook.cells[-1].source


@pytest.mark.parametrize("path", CHAPTERS, ids=notebook_id)
def test_cite_box_bibtex_parses(path):
    notebook = read(path)
    box = notebook.cells[-1].source
    bibtex = re.search(r"```bibtex\n(.*?)```", box, re.DOTALL).group(1)
    entries = parse_string(bibtex, "bibtex").entries
    (key,) = entries
    entry = entries[key]
    assert key == f"embook:{path.stem}" and entry.type == "incollection"
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert entry.fields["year"] == str(citation["date-released"])[:4]
    assert entry.fields["edition"] == f"version {emlib.__version__}"
    plain_title = entry.fields["title"].replace("{", "").replace("}", "")
    assert plain_title == generated_cells.chapter_title(notebook)


@pytest.mark.parametrize("path", CHAPTERS, ids=notebook_id)
def test_chapter_has_the_furniture_of_a_textbook(path):
    """Learning goals, a summary, at least three exercises, each with a dropdown solution."""
    text = "\n".join(cell.source for cell in read(path).cells if cell.cell_type == "markdown")
    assert "Learning goals" in text
    assert "\n## Summary\n" in f"\n{text}\n"
    exercises = re.findall(r"^`{3,4}\{exercise\}.*\n:label: (\S+)", text, re.MULTILINE)
    solutions = re.findall(r"^`{3,4}\{solution(?:-start)?\} (\S+)\n:class: dropdown", text, re.MULTILINE)
    assert len(exercises) >= 3, exercises
    assert set(exercises) <= set(solutions), f"exercises without a dropdown solution: {set(exercises) - set(solutions)}"


@pytest.mark.parametrize("path", CHAPTERS, ids=notebook_id)
def test_chapter_has_a_computational_exercise_with_an_executed_solution(path):
    """Some {solution-start} ... {solution-end} block holds executed code cells."""
    executed_solutions, inside, code_cells = 0, False, 0
    for cell in read(path).cells:
        if cell.cell_type == "markdown":
            for marker in re.findall(r"^`{3,4}\{(solution-start|solution-end)\}", cell.source, re.MULTILINE):
                if marker == "solution-start":
                    inside, code_cells = True, 0
                elif inside:
                    executed_solutions += code_cells > 0
                    inside = False
        elif inside and cell.source.strip():
            assert cell.execution_count is not None
            code_cells += 1
    assert executed_solutions >= 1
