"""Open every page of the built site in headless Chromium and check what a reader would see.

Usage: python scripts/check_site.py _build/html [--screenshots DIR] [--jobs N]

Each page is loaded from disk (file://, no network) and its DOM is dumped after MathJax has run.
A page fails when it shows
  * untypeset math (raw $$, \\[, \\( or \\begin{ in visible text, a math element MathJax did not
    replace) or a MathJax error (mjx-merror, "Math input error", an undefined macro in red);
  * an image whose file is missing or empty;
  * a relative link, stylesheet or script pointing to a missing file, or a #fragment with no
    element of that id in the target page;
  * a Python traceback or a warning ("Traceback (most recent call last)", "SomethingWarning:")
    anywhere but in the code of a cell input or an API signature, a notebook error output, or a
    docutils system message / unresolved reference left in the page.
  * at a 1280 px wide window, a display equation wider than its box (it would scroll sideways),
    or an equation, table or image that reaches past the right edge of the text column.
It also saves screenshots of every chapter (pages under book/) in light and in dark mode, into
DIR/light and DIR/dark (default: the folder next to the site, _build/screenshots).

Exit status: 0 when every page passes, 1 when a problem is found, 2 when Chromium is missing
(never a skip) or the site is not built. Set CHROMIUM=/path/to/chromium to choose the browser.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import Comment, Declaration, Doctype, ProcessingInstruction

CHROMIUM_NAMES = ("chromium", "chromium-browser")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--mute-audio",
    # No network: any host name fails to resolve at once instead of hanging.
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--virtual-time-budget=15000",
]
# prefers-color-scheme: dark; the theme's default mode "auto" follows it.
DARK_FLAGS = ["--force-dark-mode", "--blink-settings=preferredColorScheme=0"]
WINDOW = "--window-size=1280,2400"
TIMEOUT = 180  # seconds per Chromium run

# Injected into a copy of each page before its DOM is dumped: once MathJax has typeset the page
# and the web fonts are loaded, it measures the layout at the WINDOW size and writes what is too
# wide into <body data-check-site-layout="[...]">. A table or a code cell may scroll sideways
# inside its own box (the theme's choice); an equation or a table may not reach past the text column.
LAYOUT_ATTRIBUTE = "data-check-site-layout"
LAYOUT_SCRIPT = (
    """<script>
(async () => {
  try { if (window.MathJax && MathJax.startup) { await MathJax.startup.promise; } } catch (e) {}
  await document.fonts.ready;
  await new Promise((resolve) => setTimeout(resolve, 2000));
  await document.fonts.ready;
  const found = [];
  const text = (el) => (el.textContent || "").replace(/\\s+/g, " ").trim().slice(0, 60);
  const article = document.querySelector("article.bd-article") || document.querySelector("article");
  const right = article ? article.getBoundingClientRect().right + 1 : Infinity;
  for (const el of document.querySelectorAll('mjx-container[display="true"]')) {
    const box = el.getBoundingClientRect();
    if (el.scrollWidth > el.clientWidth + 1) {
      found.push(`display equation ${el.scrollWidth} px wide in a ${el.clientWidth} px box: '${text(el)}'`);
    } else if (box.right > right) {
      found.push(`display equation reaches ${Math.round(box.right - right)} px past the text column: '${text(el)}'`);
    }
  }
  for (const el of document.querySelectorAll("article table, article img")) {
    const box = el.getBoundingClientRect();
    if (box.right > right) {
      found.push(`${el.tagName.toLowerCase()} reaches ${Math.round(box.right - right)} px past the text column: '${text(el) || el.getAttribute("src")}'`);
    }
  }
  document.body.setAttribute("%s", JSON.stringify(found));
})();
</script>"""
    % LAYOUT_ATTRIBUTE
)

SKIP_TEXT_TAGS = {"script", "style", "code", "pre", "noscript", "template", "textarea", "svg"}
MATH_DELIMS = ("$$", "\\[", "\\(", "\\begin{")
WARNING_RE = re.compile(r"\b\w*Warning:")
TRACEBACK = "Traceback (most recent call last)"


def find_chromium() -> str | None:
    """$CHROMIUM if set (and only it), else /usr/bin/chromium, chromium, chromium-browser."""
    if "CHROMIUM" in os.environ:
        path = shutil.which(os.environ["CHROMIUM"])
        return path if path and os.access(path, os.X_OK) else None
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


def run_chromium(chromium: str, args: list[str]) -> tuple[int, str, str]:
    """Run Chromium once with a fresh profile; return (status, stdout, stderr)."""
    profile = tempfile.mkdtemp(prefix="check-site-profile-")
    cmd = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args]
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=TIMEOUT)
        status = proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # only the group of the Chromium we started
        out, err = proc.communicate()
        status = -1
        err = f"timed out after {TIMEOUT} s\n{err}"
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    return status, out, err


def classes(tag: Tag) -> list[str]:
    value = tag.get("class") or []
    return value.split() if isinstance(value, str) else list(value)


def text_nodes(root: Tag, skip):
    """Yield the visible strings under root, skipping subtrees for which skip(tag) is true."""
    stack = [root]
    while stack:
        node = stack.pop()
        for child in reversed(list(node.children)):
            if isinstance(child, (Comment, Declaration, Doctype, ProcessingInstruction)):
                continue
            if isinstance(child, NavigableString):
                yield child, node
            elif isinstance(child, Tag) and not skip(child):
                stack.append(child)


def is_code_or_math(tag: Tag) -> bool:
    name = tag.name or ""
    cls = classes(tag)
    return (
        name in SKIP_TEXT_TAGS
        or name.startswith("mjx-")
        or "highlight" in cls
        or any(c.startswith("highlight-") for c in cls)
    )


def is_input_code(tag: Tag) -> bool:
    name = tag.name or ""
    cls = classes(tag)
    return (
        name in {"script", "style", "noscript", "template", "textarea", "svg"}
        or name.startswith("mjx-")
        or "cell_input" in cls
        or (name == "dt" and "sig" in cls)  # autodoc signatures on the API page
        or (
            name == "div" and "highlight-python" in " ".join(cls) and not tag.find_parent(class_="cell_output")
        )  # literal code blocks in the prose
    )


def snippet(text: str, needle: str) -> str:
    i = text.find(needle)
    start = max(0, i - 30)
    return " ".join(text[start : i + len(needle) + 30].split())


def where(parent: Tag) -> str:
    """The nearest section id above an element, to say where a problem is."""
    section = (
        parent
        if parent.name == "section" and parent.get("id")
        else parent.find_parent(lambda t: t.name == "section" and t.get("id"))
    )
    return f" (in #{section['id']})" if section else ""


def local_target(page: Path, url: str, root: Path) -> tuple[Path | None, str]:
    """(file, fragment) for a relative or file: URL, (None, '') for anything else."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        return Path(unquote(parts.path)), unquote(parts.fragment)
    if parts.scheme or parts.netloc:
        return None, ""
    if not parts.path:
        return page, unquote(parts.fragment)
    target = (page.parent / unquote(parts.path)).resolve()
    if target.is_dir():
        target = target / "index.html"
    return target, unquote(parts.fragment)


def page_ids(soup: BeautifulSoup) -> set[str]:
    ids = {t["id"] for t in soup.find_all(id=True)}
    ids |= {t["name"] for t in soup.find_all("a", attrs={"name": True})}
    return ids


_static_ids: dict[Path, set[str]] = {}


def ids_of(path: Path, rendered: dict[Path, set[str]]) -> set[str]:
    if path in rendered:
        return rendered[path]
    if path not in _static_ids:
        try:
            _static_ids[path] = page_ids(BeautifulSoup(path.read_text(errors="replace"), "html.parser"))
        except OSError:
            _static_ids[path] = set()
    return _static_ids[path]


def check_dom(page: Path, soup: BeautifulSoup, root: Path, rendered_ids: dict[Path, set[str]]) -> list[str]:
    problems: list[str] = []
    body = soup.body or soup

    # 1. Math: untypeset delimiters, math elements MathJax left alone, MathJax errors.
    seen = set()
    for string, parent in text_nodes(body, is_code_or_math):
        for delim in MATH_DELIMS:
            if delim in string:
                msg = f"untypeset math: {delim!r} in '{snippet(str(string), delim)}'{where(parent)}"
                if msg not in seen:
                    seen.add(msg)
                    problems.append(msg)
    math = [t for t in body.find_all(class_="math") if t.name in ("span", "div")]
    untouched = [t for t in math if not t.find("mjx-container")]
    if math and not body.find("mjx-container"):
        problems.append(f"MathJax did not run: {len(math)} math elements, no mjx-container")
    elif untouched:
        problems.append(
            f"{len(untouched)} math element(s) not typeset, first: "
            f"'{' '.join(untouched[0].get_text().split())[:80]}'{where(untouched[0])}"
        )
    # Math the build did not turn into a math element (raw $$...$$ or \[...\] in the text),
    # which only MathJax's scan of the whole page typeset.
    for container in body.find_all("mjx-container"):
        if not container.find_parent(
            lambda t: bool({"math", "output_area", "mathjax_process", "tex2jax_process"} & set(classes(t)))
        ):
            context = " ".join(container.parent.get_text(" ").split())[:80]
            problems.append(
                f"untypeset math: raw TeX outside a math element, typeset only by "
                f"MathJax's page scan, in '{context}'{where(container)}"
            )
    errors = body.find_all(
        lambda t: (
            t.name == "mjx-merror"
            or t.has_attr("data-mjx-error")
            or any("MathJax_Error" in c or "mjx-merror" in c for c in classes(t))
        )
    )
    for err in errors[:5]:
        msg = err.get("data-mjx-error") or " ".join(err.get_text().split())
        problems.append(f"MathJax error: {msg[:100]}{where(err)}")
    if "Math input error" in body.get_text():
        problems.append("MathJax error: 'Math input error' shown")
    for tag in body.find_all(lambda t: (t.name or "").startswith("mjx-") and "color: red" in (t.get("style") or "")):
        text = tag.get_text().strip()
        if text.startswith("\\"):
            problems.append(f"undefined TeX macro {text}{where(tag)}")

    # 2. Images must exist on disk and not be empty.
    for img in body.find_all("img"):
        src = (img.get("src") or "").strip()
        if not src:
            problems.append("image without src")
            continue
        if src.startswith("data:"):
            continue
        path, _ = local_target(page, src, root)
        if path is None:
            problems.append(f"image from the network (not available offline): {src}")
        elif not path.is_file():
            problems.append(f"missing image: {src}{where(img)}")
        elif path.stat().st_size == 0:
            problems.append(f"empty image file: {src}")

    # 3. Links, anchors, stylesheets and scripts must point somewhere.
    refs = [(a, a.get("href")) for a in soup.find_all(["a", "link", "area"])]
    refs += [(s, s.get("src")) for s in soup.find_all(["script", "iframe", "source"])]
    seen = set()
    for tag, url in refs:
        url = (url or "").strip()
        if not url or url == "#" or url.startswith(("javascript:", "mailto:", "data:")):
            continue
        path, fragment = local_target(page, url, root)
        if path is None or (tag.name, url) in seen:
            continue
        seen.add((tag.name, url))
        if not path.exists():
            problems.append(f"broken <{tag.name}> -> {url}{where(tag)}")
        elif fragment and tag.name in ("a", "area") and path.suffix == ".html":
            ids = page_ids(soup) if path == page else ids_of(path, rendered_ids)
            if fragment not in ids:
                problems.append(f"broken anchor (no such id) -> {url}{where(tag)}")

    # 4. Tracebacks, warnings, errors shown to the reader.
    seen = set()
    for string, parent in text_nodes(body, is_input_code):
        text = str(string)
        hits = [TRACEBACK] if TRACEBACK in text else []
        hits += WARNING_RE.findall(text)
        for hit in hits:
            msg = f"shows traceback/warning: {hit!r} in '{snippet(text, hit)}'{where(parent)}"
            if msg not in seen:
                seen.add(msg)
                problems.append(msg)
    for tag in body.find_all(class_=["traceback", "system-message", "problematic"]):
        kind = "error output" if "traceback" in classes(tag) else "docutils " + classes(tag)[0]
        problems.append(f"{kind}: '{' '.join(tag.get_text().split())[:100]}'{where(tag)}")
    return cap(problems)


def layout_problems(soup: BeautifulSoup) -> list[str]:
    """What the injected LAYOUT_SCRIPT found too wide, as "too wide at 1280 px: ..." messages."""
    body = soup.body
    if body is None or not body.has_attr(LAYOUT_ATTRIBUTE):
        return ["layout not measured: the measuring script did not finish"]
    found = json.loads(body[LAYOUT_ATTRIBUTE])
    width = WINDOW.split("=")[1].split(",")[0]
    return [f"too wide at {width} px: {item}" for item in found]


def dump_with_layout(chromium: str, page: Path) -> tuple[int, str, str]:
    """Chromium's DOM of `page` after its scripts ran, measured by LAYOUT_SCRIPT at WINDOW size.

    The script is injected into a hidden copy of the page next to it (so that every relative
    URL resolves as in the page), which is removed afterwards.
    """
    html = page.read_text(errors="replace")
    index = html.lower().rfind("</body>")
    if index < 0:
        index = len(html)
    copy = page.with_name(f".check-site-{page.name}")
    copy.write_text(html[:index] + LAYOUT_SCRIPT + html[index:])
    try:
        return run_chromium(chromium, [WINDOW, "--dump-dom", copy.as_uri()])
    finally:
        copy.unlink(missing_ok=True)


def cap(problems: list[str], keep: int = 5) -> list[str]:
    """At most `keep` messages of each kind (the text before the first ':' or '->')."""
    kept, counts = [], {}
    for p in problems:
        kind = re.split(r":| ->", p, maxsplit=1)[0]
        counts[kind] = counts.get(kind, 0) + 1
        if counts[kind] <= keep:
            kept.append(p)
    kept += [f"... and {n - keep} more '{kind}'" for kind, n in counts.items() if n > keep]
    return kept


def mean_brightness(png: Path) -> float | None:
    """Mean grey level (0-255) of the screenshot's top 600 px, or None without Pillow."""
    try:
        from PIL import Image, ImageStat
    except ImportError:
        return None
    with Image.open(png) as im:
        band = im.convert("L").crop((0, 0, im.width, min(600, im.height)))
        return ImageStat.Stat(band).mean[0]


def screenshot(chromium: str, page: Path, png: Path, dark: bool) -> list[str]:
    png.parent.mkdir(parents=True, exist_ok=True)
    png.unlink(missing_ok=True)
    args = [*(DARK_FLAGS if dark else []), "--hide-scrollbars", WINDOW, f"--screenshot={png}", page.as_uri()]
    status, _, err = run_chromium(chromium, args)
    mode = "dark" if dark else "light"
    if status != 0 or not png.is_file():
        return [f"{mode} screenshot failed (status {status}): {err.strip()[-200:]}"]
    level = mean_brightness(png)
    if level is not None and (level > 128) == dark:
        return [f"{mode} screenshot does not look {mode} (mean grey {level:.0f}/255)"]
    return []


REFRESH_RE = re.compile(
    r"""<meta[^>]*http-equiv=["']?refresh["']?[^>]*content=["']?\s*\d+\s*;\s*url=([^"'>\s]+)""", re.IGNORECASE
)


def redirect_target(page: Path) -> str | None:
    """The URL of a meta-refresh redirect page (like the site's index.html), else None."""
    head = page.read_text(errors="replace")[:4000]
    match = REFRESH_RE.search(head)
    return match.group(1) if match and "<body" not in head.lower() else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", type=Path, help="the built site, e.g. _build/html")
    parser.add_argument("--screenshots", type=Path, help="where to save screenshots (default: <site>/../screenshots)")
    parser.add_argument("--jobs", type=int, default=2, help="Chromium processes at once")
    args = parser.parse_args()

    chromium = find_chromium()
    if chromium is None:
        print(
            "check_site: FAIL: Chromium not found (looked for $CHROMIUM, else /usr/bin/chromium, "
            "chromium and chromium-browser on PATH); install it, e.g. apt-get install -y "
            "chromium; the site check fails rather than skips without it",
            file=sys.stderr,
        )
        return 2
    root = args.site.resolve()
    if not root.is_dir():
        print(f"check_site: FAIL: {args.site} is not a folder (run make book first)", file=sys.stderr)
        return 2
    shots = (args.screenshots or root.parent / "screenshots").resolve()
    pages = sorted(p for p in root.rglob("*.html") if not ({"_static", "_sources"} & set(p.relative_to(root).parts)))
    if not pages:
        print(f"check_site: FAIL: no .html pages under {root}", file=sys.stderr)
        return 2
    chapters = [p for p in pages if p.relative_to(root).parts[0] == "book"]
    print(f"check_site: {len(pages)} pages, {len(chapters)} chapters, Chromium {chromium}")
    start = time.monotonic()

    def dump(page: Path):
        return dump_with_layout(chromium, page)

    def shot_name(page: Path) -> str:
        return "_".join(page.relative_to(root / "book").with_suffix("").parts) + ".png"

    problems: dict[Path, list[str]] = {p: [] for p in pages}
    # A redirect page only has to point to an existing page, which is checked on its own.
    redirects = {p: redirect_target(p) for p in pages}
    for page, url in redirects.items():
        if url:
            target, _ = local_target(page, url, root)
            if target is not None and not target.is_file():
                problems[page].append(f"redirect to a missing page: {url}")
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        dumps = {p: pool.submit(dump, p) for p in pages if not redirects[p]}
        shot_jobs = [
            (p, pool.submit(screenshot, chromium, p, shots / mode / shot_name(p), mode == "dark"))
            for p in chapters
            for mode in ("light", "dark")
        ]
        soups: dict[Path, BeautifulSoup] = {}
        for page, future in dumps.items():
            status, out, err = future.result()
            if status != 0 or "<body" not in out:
                problems[page].append(f"Chromium failed (status {status}): {err.strip()[-300:]}")
                continue
            soups[page] = BeautifulSoup(out, "html.parser")
        rendered_ids = {p: page_ids(s) for p, s in soups.items()}
        for page, soup in soups.items():
            problems[page] += check_dom(page, soup, root, rendered_ids)
            problems[page] += cap(layout_problems(soup))
        for page, future in shot_jobs:
            problems[page] += future.result()

    failed = 0
    for page in pages:
        rel = page.relative_to(root)
        if problems[page]:
            failed += 1
            print(f"FAIL {rel}")
            for problem in problems[page]:
                print(f"     - {problem}")
        else:
            print(f"OK   {rel}")
    took = time.monotonic() - start
    total = sum(len(v) for v in problems.values())
    print(
        f"check_site: {len(pages) - failed}/{len(pages)} pages OK, {total} problem(s), "
        f"{took:.0f} s; screenshots of {len(chapters)} chapters in {shots}/{{light,dark}}"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
