"""The book's files as ``_toc.yml`` lists them: the one place that says which notebooks the book has.

Every script and test that needs the notebooks (execution, generated cells, the execution page,
the notebook checks) calls :func:`book_notebooks`; :func:`chapter_notebooks` is its numbered part.
"""

from __future__ import annotations

import pathlib

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"

__all__ = ["BOOK", "ROOT", "book_notebooks", "chapter_notebooks", "notebooks_on_disk", "toc_entries", "toc_files"]


def toc_entries(node):
    """Every ``file:`` / ``root:`` entry of a jb-book table of contents, recursively, in order."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("file", "root") and isinstance(value, str):
                yield value
            else:
                yield from toc_entries(value)
    elif isinstance(node, list):
        for item in node:
            yield from toc_entries(item)


def _toc() -> dict:
    return yaml.safe_load((ROOT / "_toc.yml").read_text())


def toc_files() -> list[str]:
    """The entries of ``_toc.yml`` without suffixes (e.g. ``book/soft_em``), in reading order."""
    return [pathlib.PurePosixPath(entry).with_suffix("").as_posix() for entry in toc_entries(_toc())]


def book_notebooks() -> list[pathlib.Path]:
    """The book's notebooks: the ``_toc.yml`` entries that are notebooks, in reading order."""
    paths = (ROOT / f"{entry}.ipynb" for entry in toc_files())
    return [path for path in paths if path.exists()]


def chapter_notebooks() -> list[pathlib.Path]:
    """The notebooks of the numbered parts of ``_toc.yml``: the chapters, in order."""
    return [
        ROOT / f"{chapter['file']}.ipynb"
        for part in _toc()["parts"]
        if part.get("numbered")
        for chapter in part["chapters"]
    ]


def notebooks_on_disk() -> list[pathlib.Path]:
    """Every notebook under ``book/`` (only to check that :func:`book_notebooks` misses none)."""
    return sorted(p for p in BOOK.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts and "_build" not in p.parts)
