"""Open every page of the built site in headless Chromium and check what a reader would see.

Usage: python scripts/check_site.py _build/html [--screenshots DIR] [--jobs N]

Each page is loaded from disk (file://, no network) and its DOM is dumped after MathJax has run.
Chromium is driven over its DevTools protocol (see Browser): a few browsers for the whole site,
each loading page after page, every page in a fresh browser context; N pages (--jobs, default
2) load at once. A page fails when it shows
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
import base64
import concurrent.futures
import contextlib
import fcntl
import json
import os
import queue
import re
import select
import shutil
import signal
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
    # No page is treated as in the background (as in Puppeteer's defaults): a page there draws
    # no frame, and its screenshot would wait for one until the page timed out.
    "--disable-backgrounding-occluded-windows",
    "--disable-renderer-backgrounding",
    "--disable-background-timer-throttling",
]
# prefers-color-scheme: dark; the theme's default mode "auto" follows it.
DARK_FLAGS = ["--force-dark-mode", "--blink-settings=preferredColorScheme=0"]
WIDTH, HEIGHT = 1280, 2400  # the window, and the viewport that pages are measured and shot in
WINDOW = f"--window-size={WIDTH},{HEIGHT}"
VIRTUAL_TIME_BUDGET = 15000  # virtual milliseconds a page runs before it is read (see Browser.open)
TIMEOUT = 180  # seconds per page
# Seconds for a screenshot, which takes one; now and then Chromium waits for a frame that never
# comes, and the page is loaded again in another browser (see main).
SCREENSHOT_TIMEOUT = 30
# What Chromium's --dump-dom prints: the doctype, then the <html> element.
DUMP_DOM_SCRIPT = (
    "(document.doctype ? new XMLSerializer().serializeToString(document.doctype) + '\\n' : '')"
    " + document.documentElement.outerHTML"
)

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


def device_metrics(height: int) -> dict:
    """A desktop viewport WIDTH px wide and `height` px high, one device pixel per CSS pixel."""
    return {"width": WIDTH, "height": height, "deviceScaleFactor": 1, "mobile": False}


class BrowserError(Exception):
    """Chromium could not do what was asked of it; the message says why."""


class Browser:
    """One headless Chromium, driven through the DevTools protocol over a pipe.

    Started with --remote-debugging-pipe, Chromium reads commands from its file descriptor 3 and
    writes replies and events to its descriptor 4, each message a JSON object ended by a NUL
    byte. One browser loads page after page, one at a time (a tab in the background draws no
    frame, so it could not be shot), instead of a Chromium process per page, whose start-up
    costs as much as a short page. Use it from one thread at a time; BrowserPool lends them.
    """

    def __init__(self, chromium: str, flags: list[str]):
        self.profile = tempfile.mkdtemp(prefix="check-site-profile-")
        self.log = tempfile.TemporaryFile()  # Chromium's stderr, quoted when it fails
        self.broken = False  # set by any failure: a pool then starts a new browser
        self.status: int | None = None  # the exit status, once it has exited
        to_chromium, self._commands = os.pipe()
        self._replies, from_chromium = os.pipe()
        # Chromium's ends, moved to descriptors 5 and up, so that putting them on 3 and 4 in the
        # child cannot overwrite one with the other.
        theirs = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 5) for fd in (to_chromium, from_chromium)]
        argv = [chromium, *CHROMIUM_FLAGS, *flags, f"--user-data-dir={self.profile}", "--remote-debugging-pipe"]
        try:
            self.pid = os.posix_spawn(
                chromium,
                [*argv, "about:blank"],
                os.environ,
                file_actions=[
                    (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                    (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
                    (os.POSIX_SPAWN_DUP2, self.log.fileno(), 2),
                    (os.POSIX_SPAWN_DUP2, theirs[0], 3),
                    (os.POSIX_SPAWN_DUP2, theirs[1], 4),
                ],
                setsid=True,  # its own process group, which close() may kill whole
            )
        except OSError as error:
            self.status = -1
            self._close_files()
            raise BrowserError(f"cannot start {chromium}: {error}") from error
        finally:
            for fd in (to_chromium, from_chromium, *theirs):
                os.close(fd)
        self._next_id = 0
        self._received = b""  # the start of a message not yet read whole
        self._events: list[dict] = []  # events of the open tab's session, not yet waited for
        self._session: str | None = None

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _fail(self, message: str) -> BrowserError:
        self.broken = True
        return BrowserError(message)

    def _read_message(self, deadline: float, waiting_for: str) -> dict:
        """The next message from Chromium, or BrowserError once deadline (time.monotonic()) passes."""
        while b"\0" not in self._received:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self._replies], [], [], remaining)[0]:
                raise self._fail(f"timed out waiting for {waiting_for}")
            chunk = os.read(self._replies, 1 << 20)
            if not chunk:
                raise self._fail(f"Chromium exited while waiting for {waiting_for}: {self.stderr_tail()}")
            self._received += chunk
        message, self._received = self._received.split(b"\0", 1)
        return json.loads(message)

    def _keep_event(self, message: dict) -> None:
        if "method" in message and message.get("sessionId") == self._session:
            self._events.append(message)  # other sessions' events, and late replies, are of no use

    def send(self, method: str, params: dict | None = None, session: str | None = None, timeout: float = TIMEOUT):
        """Run one DevTools command (in a tab's session, or the browser's) and return its result."""
        self._next_id += 1
        ident = self._next_id
        message = {"id": ident, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        data = json.dumps(message).encode() + b"\0"
        try:
            while data:
                data = data[os.write(self._commands, data) :]
        except OSError as error:
            raise self._fail(f"Chromium is gone ({error}): {self.stderr_tail()}") from error
        deadline = time.monotonic() + timeout
        while (reply := self._read_message(deadline, method)).get("id") != ident:
            self._keep_event(reply)
        if "error" in reply:
            raise self._fail(f"{method} failed: {reply['error'].get('message')}")
        return reply.get("result", {})

    def wait_for_event(self, methods: set[str], timeout: float) -> dict:
        """The next event of the open tab whose method is one of methods."""
        deadline = time.monotonic() + timeout
        while True:
            for i, event in enumerate(self._events):
                if event["method"] in methods:
                    return self._events.pop(i)
            self._keep_event(self._read_message(deadline, " or ".join(sorted(methods))))

    @contextlib.contextmanager
    def open(self, url: str, timeout: float = TIMEOUT):
        """A Tab that has loaded url, in a browser context of its own, closed afterwards.

        The context has its own storage, as the fresh profile of a Chromium per page had. The
        viewport is WINDOW's size. Timers run on virtual time, as with Chromium's
        --virtual-time-budget: it stands still while a file is loading and jumps ahead when the
        page is idle, until VIRTUAL_TIME_BUDGET ms have passed; then the page is read.
        """
        deadline = time.monotonic() + timeout
        context = self.send("Target.createBrowserContext", {"disposeOnDetach": True})["browserContextId"]
        try:
            target = self.send("Target.createTarget", {"url": "about:blank", "browserContextId": context})
            self._session = self.send("Target.attachToTarget", {"targetId": target["targetId"], "flatten": True})[
                "sessionId"
            ]
            self._events = []
            tab = Tab(self, self._session, deadline)
            tab.call("Inspector.enable")  # for Inspector.targetCrashed
            tab.call("Emulation.setDeviceMetricsOverride", device_metrics(HEIGHT))
            tab.call("Emulation.setVirtualTimePolicy", {"policy": "pause"})
            error = tab.call("Page.navigate", {"url": url}).get("errorText")
            if error:
                raise BrowserError(f"cannot load {url}: {error}")
            tab.call(
                "Emulation.setVirtualTimePolicy",
                {"policy": "pauseIfNetworkFetchesPending", "budget": VIRTUAL_TIME_BUDGET},
            )
            event = self.wait_for_event(
                {"Emulation.virtualTimeBudgetExpired", "Inspector.targetCrashed"}, deadline - time.monotonic()
            )
            if event["method"] == "Inspector.targetCrashed":
                raise self._fail("the page crashed the browser's renderer")
            yield tab
        finally:
            self._session, self._events = None, []
            if not self.broken:
                self.send("Target.disposeBrowserContext", {"browserContextId": context}, timeout=30)

    def stderr_tail(self, size: int = 300) -> str:
        length = os.fstat(self.log.fileno()).st_size
        tail = os.pread(self.log.fileno(), size, max(0, length - size)).decode(errors="replace")
        return " ".join(tail.split()) or "(nothing on stderr)"

    def _reap(self, timeout: float) -> bool:
        """Collect Chromium's exit status, waiting up to timeout seconds; False if it still runs."""
        deadline = time.monotonic() + timeout
        while self.status is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = os.waitstatus_to_exitcode(status)
            elif time.monotonic() > deadline:
                return False
            else:
                time.sleep(0.05)
        return True

    def close(self) -> None:
        """Ask Chromium to quit, kill its process group if it will not, and remove its profile."""
        if self.status is not None:
            return
        if not self.broken:
            try:
                self.send("Browser.close", timeout=10)
            except BrowserError:
                pass
        if not self._reap(0 if self.broken else 10):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)  # only the group of the Chromium we started
            self._reap(10)
        self._close_files()

    def _close_files(self) -> None:
        os.close(self._commands)
        os.close(self._replies)
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)


class BrowserPool:
    """Browsers started with the same flags, lent to one thread each; a broken one is replaced."""

    def __init__(self, chromium: str, flags: list[str]):
        self.chromium, self.flags = chromium, flags
        self._idle: queue.SimpleQueue[Browser] = queue.SimpleQueue()
        self._all: list[Browser] = []

    def __enter__(self) -> BrowserPool:
        return self

    def __exit__(self, *exc) -> None:
        for browser in self._all:
            browser.close()

    @contextlib.contextmanager
    def borrow(self):
        """An idle browser (started if none is), given back afterwards unless it broke."""
        try:
            browser = self._idle.get_nowait()
        except queue.Empty:
            browser = Browser(self.chromium, self.flags)
            self._all.append(browser)
        try:
            yield browser
        finally:
            if browser.broken:
                browser.close()  # a page that hung or crashed it must not take the next pages along
            else:
                self._idle.put(browser)


class Tab:
    """A page loaded in a Browser (see Browser.open): its DOM and its screenshot."""

    def __init__(self, browser: Browser, session: str, deadline: float):
        self.browser, self.session, self.deadline = browser, session, deadline

    def call(self, method: str, params: dict | None = None, timeout: float = TIMEOUT) -> dict:
        """Run a command in the tab, within `timeout` seconds and the page's time left."""
        timeout = min(timeout, self.deadline - time.monotonic())
        return self.browser.send(method, params, self.session, timeout=timeout)

    def html(self) -> str:
        """The serialised DOM, as Chromium's --dump-dom prints it (doctype, then the <html> element)."""
        result = self.call("Runtime.evaluate", {"expression": DUMP_DOM_SCRIPT, "returnByValue": True})
        if "exceptionDetails" in result:
            raise BrowserError(f"cannot read the DOM: {result['exceptionDetails'].get('text')}")
        return result["result"]["value"]

    def screenshot(self, hide_scrollbars: bool) -> bytes:
        """A PNG of the viewport; hide_scrollbars for a page loaded with them (else, as it is)."""
        if hide_scrollbars:
            self.call("Emulation.setScrollbarsHidden", {"hidden": True})
            # Hiding them takes effect at the next layout, which a change of the viewport's size
            # forces: one pixel taller, then back (the shot is then pixel for pixel what a page
            # loaded without scrollbars, as with Chromium's --hide-scrollbars, gives).
            for height in (HEIGHT + 1, HEIGHT):
                self.call("Emulation.setDeviceMetricsOverride", device_metrics(height))
        shot = self.call("Page.captureScreenshot", {"format": "png"}, timeout=SCREENSHOT_TIMEOUT)
        return base64.b64decode(shot["data"])


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


def elements(root: Tag) -> list[Tag]:
    """Every element under root, in document order.

    One walk over the tree, which the checks below then filter with plain Python: a page
    typeset by MathJax has tens of thousands of elements, and each BeautifulSoup find_all
    would walk them all again through its (much slower) generic matching.
    """
    return [node for node in root.descendants if isinstance(node, Tag)]


def page_ids(soup: BeautifulSoup, tags: list[Tag] | None = None) -> set[str]:
    """The ids of the page's elements and the names of its <a name=...> anchors."""
    tags = elements(soup) if tags is None else tags
    ids = {t["id"] for t in tags if t.has_attr("id")}
    ids |= {t["name"] for t in tags if t.name == "a" and t.has_attr("name")}
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
    all_tags = elements(soup)
    tags = all_tags if body is soup else elements(body)

    # 1. Math: untypeset delimiters, math elements MathJax left alone, MathJax errors.
    seen = set()
    for string, parent in text_nodes(body, is_code_or_math):
        for delim in MATH_DELIMS:
            if delim in string:
                msg = f"untypeset math: {delim!r} in '{snippet(str(string), delim)}'{where(parent)}"
                if msg not in seen:
                    seen.add(msg)
                    problems.append(msg)
    math = [t for t in tags if t.name in ("span", "div") and "math" in classes(t)]
    untouched = [t for t in math if not t.find("mjx-container")]
    if math and not any(t.name == "mjx-container" for t in tags):
        problems.append(f"MathJax did not run: {len(math)} math elements, no mjx-container")
    elif untouched:
        problems.append(
            f"{len(untouched)} math element(s) not typeset, first: "
            f"'{' '.join(untouched[0].get_text().split())[:80]}'{where(untouched[0])}"
        )
    # Math the build did not turn into a math element (raw $$...$$ or \[...\] in the text),
    # which only MathJax's scan of the whole page typeset.
    for container in (t for t in tags if t.name == "mjx-container"):
        if not container.find_parent(
            lambda t: bool({"math", "output_area", "mathjax_process", "tex2jax_process"} & set(classes(t)))
        ):
            context = " ".join(container.parent.get_text(" ").split())[:80]
            problems.append(
                f"untypeset math: raw TeX outside a math element, typeset only by "
                f"MathJax's page scan, in '{context}'{where(container)}"
            )
    errors = [
        t
        for t in tags
        if t.name == "mjx-merror"
        or t.has_attr("data-mjx-error")
        or any("MathJax_Error" in c or "mjx-merror" in c for c in classes(t))
    ]
    for err in errors[:5]:
        msg = err.get("data-mjx-error") or " ".join(err.get_text().split())
        problems.append(f"MathJax error: {msg[:100]}{where(err)}")
    if "Math input error" in body.get_text():
        problems.append("MathJax error: 'Math input error' shown")
    for tag in (t for t in tags if t.name.startswith("mjx-") and "color: red" in (t.get("style") or "")):
        text = tag.get_text().strip()
        if text.startswith("\\"):
            problems.append(f"undefined TeX macro {text}{where(tag)}")

    # 2. Images must exist on disk and not be empty.
    for img in (t for t in tags if t.name == "img"):
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
    refs = [(t, t.get("href")) for t in all_tags if t.name in ("a", "link", "area")]
    refs += [(t, t.get("src")) for t in all_tags if t.name in ("script", "iframe", "source")]
    seen = set()
    own_ids: set[str] | None = None  # the page's own ids, collected once (a long page has hundreds of #links)
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
            if path == page:
                own_ids = page_ids(soup, all_tags) if own_ids is None else own_ids
                ids = own_ids
            else:
                ids = ids_of(path, rendered_ids)
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
    for tag in (t for t in tags if {"traceback", "system-message", "problematic"} & set(classes(t))):
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


def dump_with_layout(browser: Browser, page: Path, light_screenshot: Path | None = None) -> tuple[str, list[str]]:
    """Chromium's DOM of `page` after its scripts ran, measured by LAYOUT_SCRIPT at WINDOW size.

    The script is injected into a hidden copy of the page next to it (so that every relative
    URL resolves as in the page), which is removed afterwards. With `light_screenshot`, the same
    load also gives the light-mode screenshot, saved there. Returns (DOM, the screenshot's
    problems); raises BrowserError when Chromium cannot load the page, read its DOM or take
    the screenshot.
    """
    html = page.read_text(errors="replace")
    index = html.lower().rfind("</body>")
    if index < 0:
        index = len(html)
    copy = page.with_name(f".check-site-{page.name}")
    copy.write_text(html[:index] + LAYOUT_SCRIPT + html[index:])
    try:
        with browser.open(copy.as_uri()) as tab:
            dom = tab.html()  # first: the layout is measured with the scrollbars that readers have
            if light_screenshot is None:
                return dom, []
            return dom, take_screenshot(tab, light_screenshot, dark=False, hide_scrollbars=True)
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


def take_screenshot(tab: Tab, png: Path, dark: bool, hide_scrollbars: bool) -> list[str]:
    """Save the tab's screenshot as png; its problem if it does not look dark (or light).

    Raises BrowserError when Chromium cannot take it.
    """
    mode = "dark" if dark else "light"
    png.parent.mkdir(parents=True, exist_ok=True)
    png.unlink(missing_ok=True)
    png.write_bytes(tab.screenshot(hide_scrollbars))
    level = mean_brightness(png)
    if level is not None and (level > 128) == dark:
        return [f"{mode} screenshot does not look {mode} (mean grey {level:.0f}/255)"]
    return []


def screenshot(browser: Browser, page: Path, png: Path, dark: bool) -> list[str]:
    """Load the page in `browser` and save its screenshot as png.

    The browser is one started with --hide-scrollbars (and, for dark, DARK_FLAGS).
    """
    with browser.open(page.as_uri()) as tab:
        return take_screenshot(tab, png, dark, hide_scrollbars=False)


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
    parser.add_argument("--jobs", type=int, default=2, help="pages loading at once")
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
    # Browsers of two kinds, one per colour scheme: a light one loads every page once, for its DOM
    # and, for a chapter, its light screenshot; a dark one loads every chapter for its dark one.
    light = BrowserPool(chromium, [WINDOW])
    dark = BrowserPool(chromium, [WINDOW, "--hide-scrollbars", *DARK_FLAGS])

    retried: dict[Path, list[str]] = {p: [] for p in pages}  # why a page was loaded a second time

    def in_browser(pool: BrowserPool, page: Path, work):
        """work(browser) in a browser of the pool, and once more in another if Chromium failed."""
        try:
            with pool.borrow() as browser:
                return work(browser)
        except BrowserError as error:
            retried[page].append(str(error))
        with pool.borrow() as browser:
            return work(browser)

    def dump(page: Path) -> tuple[str, list[str]]:
        png = shots / "light" / shot_name(page) if page in chapters else None
        return in_browser(light, page, lambda browser: dump_with_layout(browser, page, png))

    def shoot_dark(page: Path) -> list[str]:
        png = shots / "dark" / shot_name(page)
        try:
            return in_browser(dark, page, lambda browser: screenshot(browser, page, png, dark=True))
        except BrowserError as error:
            return [f"dark screenshot failed: {error}"]

    with light, dark, concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        # The longest pages first, so that none is left loading alone at the end.
        by_size = sorted(pages, key=lambda p: p.stat().st_size, reverse=True)
        dumps = {pool.submit(dump, p): p for p in by_size if not redirects[p]}
        dark_shots = {pool.submit(shoot_dark, p): p for p in by_size if p in chapters}
        soups: dict[Path, BeautifulSoup] = {}
        for future in concurrent.futures.as_completed(dumps):  # parsing overlaps the loading of the others
            page = dumps[future]
            try:
                out, shot_problems = future.result()
            except BrowserError as error:
                problems[page].append(f"Chromium failed: {error}")
                continue
            problems[page] += shot_problems
            if "<body" not in out:
                problems[page].append(f"Chromium failed: no <body> in its DOM: {out[:200]!r}")
                continue
            soups[page] = BeautifulSoup(out, "html.parser")
        rendered_ids = {p: page_ids(s) for p, s in soups.items()}
        for page, soup in soups.items():
            problems[page] += check_dom(page, soup, root, rendered_ids)
            problems[page] += cap(layout_problems(soup))
        for future, page in dark_shots.items():
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
        for error in retried[page]:
            print(f"     (loaded again after: {error})")
    took = time.monotonic() - start
    total = sum(len(v) for v in problems.values())
    print(
        f"check_site: {len(pages) - failed}/{len(pages)} pages OK, {total} problem(s), "
        f"{took:.0f} s; screenshots of {len(chapters)} chapters in {shots}/{{light,dark}}"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
