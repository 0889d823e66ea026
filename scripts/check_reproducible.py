"""Check that the book is reproducible: notebooks re-run identically, and two builds give the same HTML.

1. Runs nbval over every notebook twice in a row (each run re-executes every notebook and
   compares every stored text output with the fresh one).
2. Builds the site twice from the same sources into two temporary folders and compares every
   HTML, JavaScript and CSS file, after removing what legitimately differs between builds
   (timestamps). Any other difference fails, and the first differing lines are printed.

Usage: ``make reproducible`` (or ``python scripts/check_reproducible.py``). Exit status 0 when
both checks pass.
"""

from __future__ import annotations

import difflib
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
BIN = pathlib.Path(sys.executable).parent
COMPARED = (".html", ".js", ".css", ".txt")
#: What may differ between two builds of the same sources.
VOLATILE = [
    re.compile(r"Last updated on [^<\n]*"),
    re.compile(r"\b\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?\b"),
    re.compile(r"[?&]digest=[0-9a-f]+"),
]


def run_nbval_twice() -> bool:
    command = [
        str(BIN / "python"),
        "-m",
        "pytest",
        "--nbval",
        "--nbval-current-env",
        "--nbval-sanitize-with",
        "tests/nbval_sanitize.cfg",
        "-p",
        "no:cacheprovider",
        "-q",
        "book",
    ]
    environment = dict(os.environ, PYTHONHASHSEED="0", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    for attempt in (1, 2):
        print(f"nbval, run {attempt} of 2", flush=True)
        if subprocess.run(command, cwd=ROOT, env=environment).returncode != 0:
            return False
    return True


def build(destination: pathlib.Path) -> pathlib.Path:
    source = destination / "source"
    ignore = shutil.ignore_patterns(".venv", "_build", ".git", ".hypothesis", "__pycache__", ".pytest_cache")
    shutil.copytree(ROOT, source, ignore=ignore)
    subprocess.run(
        [str(BIN / "jupyter-book"), "build", str(source), "-W", "-n", "--keep-going", "--all"],
        check=True,
        stdout=subprocess.DEVNULL,
        env=dict(os.environ, OPENBLAS_NUM_THREADS="1"),
    )
    return source / "_build" / "html"


def normalised(path: pathlib.Path) -> list[str]:
    text = path.read_text(errors="replace")
    for pattern in VOLATILE:
        text = pattern.sub("<volatile>", text)
    return text.splitlines()


def compare_builds() -> bool:
    with tempfile.TemporaryDirectory() as first_dir, tempfile.TemporaryDirectory() as second_dir:
        print("building the site twice", flush=True)
        # both copies live at the same depth in differently named folders: paths must not leak into the HTML
        first, second = build(pathlib.Path(first_dir)), build(pathlib.Path(second_dir))
        names = sorted(p.relative_to(first) for p in first.rglob("*") if p.suffix in COMPARED)
        other = sorted(p.relative_to(second) for p in second.rglob("*") if p.suffix in COMPARED)
        if names != other:
            print("the two builds contain different files:", sorted(set(names) ^ set(other))[:10])
            return False
        different = []
        for name in names:
            a, b = normalised(first / name), normalised(second / name)
            if a != b:
                different.append(name)
                diff = list(difflib.unified_diff(a, b, lineterm="", n=0))[:8]
                print(f"differs: {name}\n  " + "\n  ".join(line[:200] for line in diff))
        print(f"compared {len(names)} files: {len(different)} differ")
        return not different


def main() -> int:
    notebooks_ok = run_nbval_twice()
    builds_ok = compare_builds()
    print(f"notebooks reproducible: {notebooks_ok}; builds reproducible: {builds_ok}")
    return 0 if notebooks_ok and builds_ok else 1


if __name__ == "__main__":
    sys.exit(main())
