"""Check the book's PDF (make pdf) the way a reader would see it, page by page.

Usage: python scripts/check_pdf.py _build/pdf/em-book.pdf --latex _build/latex [--pages DIR]

The PDF is read with poppler-utils (Debian's package of that name): pdftoppm, pdftohtml, pdfimages,
pdfinfo. A check fails when
  * a page does not render (pdftoppm), or renders blank;
  * the text shows untypeset TeX or MyST: a control word such as \\frac or \\mathbf, $$, a $...$
    pair, {eq}, {prf:...}, {cite}, {ref}, {doc}, {glue...}, a code fence, "??" (an unresolved
    reference), "[?]" (an unresolved citation) or "Undefined" -- anywhere but in the monospaced
    text of code and outputs, where such strings belong;
  * a chapter has fewer embedded images (pdfimages) than its notebook has PNG outputs that the
    book shows (cells not tagged remove-cell, remove-output, hide-cell or hide-output);
  * a labelled equation of the sources ($$ ... $$ (label)) has no number in the LaTeX build, or
    its number "(n.m)" is not in the text;
  * a numbered sphinx-proof box ({prf:theorem}, {prf:algorithm}, ...) or exercise of the sources
    has no numbered title in the text ("Theorem 2.1.1 (...)"), or a title has no number;
  * the bibliography is missing: fewer "[ABC99]" entries than distinct keys cited in the sources;
  * the LaTeX log has a missing character ("Missing character: There is no ... in font"), an
    undefined reference or citation, asks for a rerun, or has a line or table wider than the text
    by more than the page margin (an overfull box of more than 1 in), which runs off the paper.

Exit status: 0 when every check passes, 1 when a problem is found, 2 when the PDF, the LaTeX
files or poppler-utils are missing.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import book_files  # noqa: E402

TOOLS = ("pdfinfo", "pdftoppm", "pdftohtml", "pdfimages")
MAX_SHOWN = 8  # problems listed per check before "... and N more"
MARGIN_PT = 72.27  # Sphinx's default hmargin, 1 in: an overfull box wider than this leaves the paper

# Untypeset TeX or MyST in the prose (text outside monospaced fonts).
UNTYPESET = [
    (re.compile(r"\\[A-Za-z]+"), "a TeX control word"),
    (re.compile(r"\$\$"), "$$"),
    (re.compile(r"\$[^$\s][^$]*\$"), "a $...$ pair"),
    (
        re.compile(r"\{(?:eq|prf:[a-z]+|cite(?::[a-z]+)?|ref|numref|doc|term|math|glue(?::[a-z]+)?|download)\}"),
        "a MyST role",
    ),
    (re.compile(r"```|^:::", re.MULTILINE), "a MyST fence"),
    (re.compile(r"\?\?"), "?? (an unresolved reference)"),
    (re.compile(r"\[\?\]"), "[?] (an unresolved citation)"),
    (re.compile(r"\bUndefined\b"), "Undefined"),
]
# sphinx-proof's directives and the titles they print; proof boxes have no number.
PROOF_TYPES = (
    "algorithm axiom conjecture corollary criterion definition example lemma observation property "
    "proposition remark assumption theorem"
).split()
DIRECTIVE = re.compile(
    r"^[ \t]*(?:`{3,}|:{3,})\{(prf:[a-z]+|exercise|exercise-start)\}[^\n]*\n((?:[ \t]*:[a-z-]+:[^\n]*\n)*)",
    re.MULTILINE,
)
EQUATION_LABEL = re.compile(r"\$\$[ \t]*\(([A-Za-z0-9_:-]+)\)[ \t]*$", re.MULTILINE)
CITE = re.compile(r"\{cite(?::[a-z]+)?\}`([^`]+)`")
BIB_ENTRY = re.compile(r"^\[[A-Z][A-Za-z+]*\d{2}[a-z]?\]", re.MULTILINE)
HIDDEN_TAGS = {"remove-cell", "remove-output", "hide-cell", "hide-output"}
IMAGE_MIMES = ("application/pdf", "image/png", "image/jpeg")


class ToolError(RuntimeError):
    """A poppler tool failed."""


def run(cmd: list[str]) -> str:
    """Run a tool and return its standard output; raise ToolError when it fails."""
    proc = subprocess.run(cmd, capture_output=True, text=True, errors="replace")
    if proc.returncode != 0:
        raise ToolError(f"{' '.join(cmd[:2])} ... failed (status {proc.returncode}): {proc.stderr.strip()[-300:]}")
    return proc.stdout


def cap(problems: list[str]) -> list[str]:
    if len(problems) <= MAX_SHOWN:
        return problems
    return problems[:MAX_SHOWN] + [f"... and {len(problems) - MAX_SHOWN} more"]


# ---------------------------------------------------------------------------------------------
# The sources: what the PDF must show


def source_texts() -> dict[str, str]:
    """Docname (book/x) -> the MyST text of the page: a .md file, or a notebook's markdown cells."""
    texts = {}
    for doc in book_files.toc_files():
        md, nb = ROOT / f"{doc}.md", ROOT / f"{doc}.ipynb"
        if md.exists():
            texts[doc] = md.read_text()
        elif nb.exists():
            cells = json.loads(nb.read_text())["cells"]
            texts[doc] = "\n\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    return texts


def numbered_boxes(text: str) -> Counter:
    """Title word -> how many numbered boxes of that kind (Theorem, Algorithm, Exercise...) the text has."""
    counts: Counter = Counter()
    for match in DIRECTIVE.finditer(text):
        name, options = match.group(1), match.group(2)
        if ":nonumber:" in options:
            continue
        if name.startswith("prf:"):
            kind = name[4:]
            if kind in PROOF_TYPES:
                counts[kind.title()] += 1
        else:
            counts["Exercise"] += 1
    return counts


def equation_labels(text: str) -> list[str]:
    return EQUATION_LABEL.findall(text)


def cited_keys(texts) -> set[str]:
    return {key.strip() for text in texts for group in CITE.findall(text) for key in group.split(",") if key.strip()}


def shown_images(notebook: dict) -> int:
    """The image outputs the book shows for one notebook (PNG, JPEG or PDF; glue outputs excluded)."""
    count = 0
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code" or HIDDEN_TAGS & set(cell.get("metadata", {}).get("tags", [])):
            continue
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "scrapbook" in output.get("metadata", {}):
                continue
            if any(mime in data for mime in IMAGE_MIMES):
                count += 1
    return count


def expected_images() -> dict[str, int]:
    """Docname -> images its notebook shows, for the book's notebooks."""
    return {
        path.relative_to(ROOT).with_suffix("").as_posix(): shown_images(json.loads(path.read_text()))
        for path in book_files.book_notebooks()
    }


# ---------------------------------------------------------------------------------------------
# The PDF and the LaTeX files: what it shows


def unwrap_log(log: str) -> str:
    """TeX breaks log lines at 79 characters; join the pieces again."""
    out, pending = [], ""
    for line in log.splitlines():
        pending += line
        if len(line) >= 79 or len(line.encode()) >= 79:
            continue
        out.append(pending)
        pending = ""
    if pending:
        out.append(pending)
    return "\n".join(out)


def log_problems(log: str) -> list[str]:
    text = unwrap_log(log)
    problems = []
    missing = Counter(
        (m.group(1), m.group(2), m.group(3).split("/")[0])
        for m in re.finditer(r"Missing character: There is no (.) \(U\+([0-9A-Fa-f]+)\) in font (\S+)", text)
    )
    for (char, code, font), n in sorted(missing.items()):
        problems.append(f"missing character {char} (U+{code}) in font {font}, {n} time(s)")
    refs = sorted(set(re.findall(r"(?:Hyper r|R)eference `([^']+)' on page \S+ undefined", text)))
    problems += [f"undefined reference {ref}" for ref in refs]
    cites = sorted(set(re.findall(r"Citation `([^']+)' on page \S+ undefined", text)))
    problems += [f"undefined citation {cite}" for cite in cites]
    if not refs and "There were undefined references" in text:
        problems.append("LaTeX: there were undefined references")
    if "Rerun to get" in text or "Label(s) may have changed" in text:
        problems.append("LaTeX asks for a rerun: cross-references may be wrong")
    for width, where in re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide\) (in [a-z]+ at lines \d+--\d+)", text):
        if float(width) > MARGIN_PT:
            problems.append(
                f"{float(width):.0f} pt wider than the text, past the edge of the page ({where} of the .tex)"
            )
    return problems


def text_runs(xml: str) -> list[tuple[int, str, str]]:
    """(page, font family, text) for every text line of `pdftohtml -xml` output."""
    fonts = {m.group(1): m.group(2) for m in re.finditer(r'<fontspec id="([^"]+)"[^>]*?family="([^"]*)"', xml)}
    runs, page = [], 0
    for line in xml.splitlines():
        m = re.match(r'<page number="(\d+)"', line)
        if m:
            page = int(m.group(1))
            continue
        m = re.match(r'<text [^>]*?font="([^"]+)"[^>]*>(.*)</text>\s*$', line)
        if m:
            runs.append((page, fonts.get(m.group(1), ""), html.unescape(re.sub(r"<[^>]+>", "", m.group(2)))))
    return runs


def is_monospaced(family: str) -> bool:
    return bool(re.search(r"mono|courier|typewriter|code", family, re.IGNORECASE))


def untypeset_problems(runs) -> list[str]:
    problems, seen = [], set()
    for page, family, text in runs:
        if is_monospaced(family):
            continue
        for pattern, what in UNTYPESET:
            m = pattern.search(text)
            if m and (page, what, text) not in seen:
                seen.add((page, what, text))
                problems.append(f"page {page}: untypeset {what} {m.group(0)!r} in '{text.strip()[:80]}'")
    return problems


def page_text(runs) -> str:
    return "\n".join(text for _, _, text in runs)


def title_problems(expected: Counter, text: str) -> list[str]:
    """Each numbered box of the sources needs a numbered title in the text; no title may lack its number."""
    problems = []
    for kind, n in sorted(expected.items()):
        numbers = set(re.findall(rf"^{kind} ((?:\d+|[A-Z])(?:\.\d+)*)(?: \(|$)", text, re.MULTILINE))
        if len(numbers) < n:
            problems.append(f"{kind}: {n} numbered in the sources, {len(numbers)} numbered titles in the PDF")
        bare = re.findall(rf"^{kind} \((.{{0,60}})", text, re.MULTILINE)
        problems += [f"{kind} without a number: '{kind} ({title}'" for title in bare]
    return problems


def aux_equations(aux: str) -> dict[str, str]:
    """Equation label (doc:label) -> its number, from the LaTeX .aux file."""
    return dict(re.findall(r"\\newlabel\{equation:([^}]+)\}\{\{([^}]*)\}", aux))


def equation_problems(labels: dict[str, list[str]], numbers: dict[str, str], text: str) -> list[str]:
    shown = set(re.findall(r"\(((?:\d+|[A-Z])\.\d+)\)", text))
    problems = []
    for doc, names in labels.items():
        for name in names:
            number = numbers.get(f"{doc}:{name}")
            if not number:
                problems.append(f"equation {name} ({doc}) has no number in the LaTeX build")
            elif number not in shown:
                problems.append(f"equation {name} ({doc}): its number ({number}) is not in the text")
    return problems


def bibliography_problems(keys: set[str], text: str) -> list[str]:
    entries = BIB_ENTRY.findall(text)
    if len(entries) < len(keys):
        return [f"bibliography: {len(keys)} works cited in the sources, {len(entries)} entries in the PDF"]
    return []


def doc_pages(aux: str, dests: str) -> dict[str, int]:
    """Docname -> physical page where it starts (the .aux's doc labels, pdfinfo -dests's pages)."""
    anchors = {}
    for line in aux.splitlines():
        m = re.match(r"\\newlabel\{(?:\\detokenize\{)?([^{}]+)::doc\}?\}.*\{([^{}]+)\}\{[^{}]*\}\}\s*$", line)
        if m:
            anchors[m.group(1)] = m.group(2)
    pages = {}
    for line in dests.splitlines():
        m = re.match(r'\s*(\d+)\s+\[.*\]\s+"(.*)"\s*$', line)
        if m:
            pages.setdefault(m.group(2), int(m.group(1)))
    return {doc: pages[anchor] for doc, anchor in anchors.items() if anchor in pages}


def image_pages(listing: str) -> list[int]:
    """The page of every image (not soft masks) in `pdfimages -list` output."""
    pages = []
    for line in listing.splitlines():
        fields = line.split()
        if len(fields) > 3 and fields[0].isdigit() and fields[2] == "image":
            pages.append(int(fields[0]))
    return pages


def figure_problems(expected: dict[str, int], starts: dict[str, int], images: list[int], n_pages: int) -> list[str]:
    problems = []
    total = sum(expected.values())
    if len(images) < total:
        problems.append(f"figures: the notebooks show {total} images, the PDF has {len(images)}")
    order = sorted(starts.items(), key=lambda item: item[1])
    for i, (doc, start) in enumerate(order):
        end = order[i + 1][1] if i + 1 < len(order) else n_pages + 1
        found = sum(start <= page < end for page in images)
        if doc in expected and found < expected[doc]:
            problems.append(f"figures: {doc} shows {expected[doc]} images, its pages {start}-{end - 1} have {found}")
    missing = sorted(set(expected) - set(starts))
    problems += [f"figures: no chapter start found for {doc} in the PDF" for doc in missing]
    return problems


def blank_pages(pngs: list[Path]) -> list[int]:
    """Pages (1-based, in file order) whose image is blank white."""
    from PIL import Image

    blank = []
    for i, png in enumerate(pngs, start=1):
        with Image.open(png) as im:
            if im.convert("L").getextrema()[0] >= 250:
                blank.append(i)
    return blank


def render_problems(pdf: Path, n_pages: int, folder: Path, resolution: int) -> list[str]:
    run(["pdftoppm", "-r", str(resolution), "-png", str(pdf), str(folder / "page")])
    pngs = sorted(folder.glob("page-*.png"))
    problems = []
    if len(pngs) != n_pages:
        problems.append(f"pdftoppm rendered {len(pngs)} of {n_pages} pages")
    empty = [p.name for p in pngs if p.stat().st_size == 0]
    problems += [f"empty page image {name}" for name in empty]
    problems += [f"page {page} is blank" for page in blank_pages([p for p in pngs if p.stat().st_size])]
    return problems


# ---------------------------------------------------------------------------------------------


def check(pdf: Path, latex: Path, pages_dir: Path | None, resolution: int) -> tuple[dict[str, list[str]], str]:
    """Every check, by name -> its problems (empty when it passes), and a one-line summary."""
    stem = pdf.stem
    log = (latex / f"{stem}.log").read_text(errors="replace")
    aux = (latex / f"{stem}.aux").read_text(errors="replace")
    info = run(["pdfinfo", str(pdf)])
    n_pages = int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE).group(1))
    texts = source_texts()
    results: dict[str, list[str]] = {}

    folder = pages_dir or Path(tempfile.mkdtemp(prefix="check-pdf-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        results["pages render"] = render_problems(pdf, n_pages, folder, resolution)
    finally:
        if pages_dir is None:
            shutil.rmtree(folder, ignore_errors=True)

    runs = text_runs(run(["pdftohtml", "-xml", "-i", "-q", "-stdout", str(pdf)]))
    text = page_text(runs)
    results["no untypeset TeX"] = untypeset_problems(runs)
    expected_boxes = sum((numbered_boxes(t) for t in texts.values()), Counter())
    results["theorems, algorithms and exercises numbered"] = title_problems(expected_boxes, text)
    labels = {doc: equation_labels(t) for doc, t in texts.items()}
    results["equations numbered"] = equation_problems(labels, aux_equations(aux), text)
    results["bibliography"] = bibliography_problems(cited_keys(texts.values()), text)
    starts = doc_pages(aux, run(["pdfinfo", "-dests", str(pdf)]))
    images = image_pages(run(["pdfimages", "-list", str(pdf)]))
    results["figures"] = figure_problems(expected_images(), starts, images, n_pages)
    results["LaTeX log"] = log_problems(log)
    summary = (
        f"{n_pages} pages, {len(images)} images, {sum(map(len, labels.values()))} labelled equations, "
        f"{sum(expected_boxes.values())} numbered boxes, {len(cited_keys(texts.values()))} works cited"
    )
    return results, summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pdf", type=Path, help="the PDF, e.g. _build/pdf/em-book.pdf")
    parser.add_argument(
        "--latex", type=Path, default=ROOT / "_build" / "latex", help="the LaTeX build folder (.log, .aux)"
    )
    parser.add_argument("--pages", type=Path, help="keep the page images (PNG) in this folder")
    parser.add_argument("--resolution", type=int, default=20, help="dpi of the page images (default 20)")
    args = parser.parse_args(argv)

    missing_tools = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing_tools:
        print(f"check_pdf: FAIL: {', '.join(missing_tools)} not found (apt-get install poppler-utils)", file=sys.stderr)
        return 2
    for path in (args.pdf, args.latex / f"{args.pdf.stem}.log", args.latex / f"{args.pdf.stem}.aux"):
        if not path.is_file():
            print(f"check_pdf: FAIL: {path} not found (run make pdf)", file=sys.stderr)
            return 2
    try:
        results, summary = check(args.pdf, args.latex, args.pages, args.resolution)
    except ToolError as err:
        print(f"check_pdf: FAIL: {err}", file=sys.stderr)
        return 1
    failed = 0
    for name, problems in results.items():
        if problems:
            failed += 1
            print(f"FAIL {name}")
            for problem in cap(problems):
                print(f"     - {problem}")
        else:
            print(f"OK   {name}")
    print(f"check_pdf: {args.pdf}: {summary}; {len(results) - failed}/{len(results)} checks OK")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
