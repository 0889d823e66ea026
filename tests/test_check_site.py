"""The browser check of the site (scripts/check_site.py) catches what it promises, and never skips.

`.ci/run` runs the check itself on the built site in headless Chromium. These tests need no
browser: they feed `check_dom` pages as Chromium would dump them after MathJax ran, with one
fault each, and check that the script fails (exit 2) when Chromium is missing. The way the
script drives Chromium (the DevTools protocol over a pipe) is tested against FAKE_CHROMIUM, a
stand-in that speaks that protocol and serves each page's file as its DOM.
"""

from __future__ import annotations

import contextlib
import html
import json
import pathlib
import subprocess
import sys
import textwrap

import pytest
from bs4 import BeautifulSoup

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import check_site  # noqa: E402

TYPESET = '<div class="math notranslate nohighlight"><mjx-container display="true">x</mjx-container></div>'


@pytest.fixture
def site(tmp_path):
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "other.html").write_text('<html><body><h2 id="there">There</h2></body></html>')
    (tmp_path / "figure.png").write_bytes(b"\x89PNG not empty")
    return tmp_path


def problems(site, body: str) -> list[str]:
    page = site / "book" / "page.html"
    html = f'<html><body><section id="top">{body}</section></body></html>'
    page.write_text(html)
    return check_site.check_dom(page, BeautifulSoup(html, "html.parser"), site, {})


def test_a_clean_page_passes(site):
    body = (
        f"<p>Text.</p>{TYPESET}<img src='../figure.png'>"
        "<a href='other.html#there'>link</a><a href='#top'>up</a>"
        "<div class='cell_input'><pre><code>warnings.warn('x')  # UserWarning: in code</code></pre></div>"
    )
    assert problems(site, body) == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("<p>$$ x^2 $$</p>", "untypeset math"),
        ("<p>\\begin{align} x \\end{align}</p>", "untypeset math"),
        ('<div class="math">x</div>' + TYPESET, "not typeset"),
        ('<div class="math">x</div>', "MathJax did not run"),
        (TYPESET + '<mjx-merror data-mjx-error="Missing }">x</mjx-merror>', "MathJax error"),
        ("<img src='../missing.png'>", "missing image"),
        ("<img src='https://example.org/a.png'>", "image from the network"),
        ("<a href='nowhere.html'>x</a>", "broken <a>"),
        ("<a href='other.html#not-there'>x</a>", "broken anchor"),
        ("<a href='#not-here'>x</a>", "broken anchor"),
        ("<pre>Traceback (most recent call last):\n  File x</pre>", "traceback/warning"),
        ("<div class='output'><pre>RuntimeWarning: overflow</pre></div>", "traceback/warning"),
        ("<div class='system-message'>Unknown target</div>", "docutils system-message"),
    ],
)
def test_each_fault_is_reported(site, body, expected):
    found = problems(site, body)
    assert any(expected in problem for problem in found), found


def test_every_anchor_of_a_page_is_checked_against_its_ids_and_the_other_pages(site):
    """Anchors to this page (ids and <a name>) and to another, rendered, page: only the broken ones fail."""
    body = (
        "<h2 id='a'>A</h2><a name='b'></a>"
        "<a href='#a'>1</a><a href='#b'>2</a><a href='#gone'>3</a><a href='page.html#a'>4</a>"
        "<a href='other.html#rendered'>5</a><a href='other.html#there'>6</a>"
    )
    page = site / "book" / "page.html"
    html = f'<html><body><section id="top">{body}</section></body></html>'
    page.write_text(html)
    other = site / "book" / "other.html"  # rendered by the browser: its ids are those of its DOM
    found = check_site.check_dom(page, BeautifulSoup(html, "html.parser"), site, {other: {"rendered"}})
    assert found == [
        "broken anchor (no such id) -> #gone (in #top)",
        "broken anchor (no such id) -> other.html#there (in #top)",
    ]


def run_script(site, env):
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "check_site.py"), str(site)],
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
    )


def test_without_chromium_the_check_fails_rather_than_skips(site):
    result = run_script(site, {"CHROMIUM": str(site / "no-such-chromium")})
    assert result.returncode == 2
    assert "Chromium not found" in result.stderr


def test_without_a_built_site_the_check_fails(tmp_path):
    fake_chromium = tmp_path / "chromium"
    fake_chromium.write_text("#!/bin/sh\nexit 0\n")
    fake_chromium.chmod(0o755)
    result = run_script(tmp_path / "not-built", {"CHROMIUM": str(fake_chromium)})
    assert result.returncode == 2
    assert "not a folder" in result.stderr


def test_layout_findings_become_problems():
    found = html.escape(json.dumps(["display equation 750 px wide in a 676 px box: 'x'"]))
    soup = BeautifulSoup(f'<html><body {check_site.LAYOUT_ATTRIBUTE}="{found}"></body></html>', "html.parser")
    assert check_site.layout_problems(soup) == [
        "too wide at 1280 px: display equation 750 px wide in a 676 px box: 'x'"
    ]
    clean = BeautifulSoup(f"<html><body {check_site.LAYOUT_ATTRIBUTE}='[]'></body></html>", "html.parser")
    assert check_site.layout_problems(clean) == []


def test_a_page_whose_layout_was_not_measured_fails():
    soup = BeautifulSoup("<html><body><p>x</p></body></html>", "html.parser")
    assert check_site.layout_problems(soup) == ["layout not measured: the measuring script did not finish"]


class FakeTab:
    def __init__(self, dom: str):
        self.dom = dom

    def html(self) -> str:
        return self.dom


class FakeBrowser:
    """Browser.open's contract: a tab that has loaded the URL (here: the file as it is then)."""

    def __init__(self):
        self.urls = []

    @contextlib.contextmanager
    def open(self, url, timeout=check_site.TIMEOUT):
        self.urls.append(url)
        yield FakeTab(pathlib.Path(url.removeprefix("file://")).read_text())


def test_the_measuring_script_is_injected_into_a_copy_that_is_removed(tmp_path):
    """The browser is given a copy of the page that carries the script, removed afterwards."""
    page = tmp_path / "page.html"
    page.write_text("<html><body><p>text</p></body></html>")
    browser = FakeBrowser()
    out, shot_problems = check_site.dump_with_layout(browser, page)
    assert shot_problems == []
    assert browser.urls == [(tmp_path / ".check-site-page.html").as_uri()]
    assert check_site.LAYOUT_SCRIPT in out and out.endswith("</body></html>")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["page.html"]
    assert page.read_text() == "<html><body><p>text</p></body></html>"


# A stand-in for Chromium started with --remote-debugging-pipe: it reads DevTools commands (JSON,
# each ended by a NUL byte) from descriptor 3 and answers on descriptor 4. It serves a page's
# file as its DOM, and only once the page's virtual time budget has run out; it runs the
# measuring script's part by marking the <body> of a page that carries it; its screenshots are
# white, or black when started with --force-dark-mode (or of a page named always-dark). A page
# whose name has "browser-crash" in it kills the whole browser, "renderer-crash" only the tab's
# renderer; "hang" never loads; "shot-stalls-once" never gives its first screenshot (in each
# mode). It
# appends each command it gets (and its own command line) to $FAKE_CHROMIUM_LOG.
FAKE_CHROMIUM = textwrap.dedent(
    """\
    import base64, io, json, os, sys
    from pathlib import Path
    from urllib.parse import unquote, urlsplit
    from PIL import Image

    def log(entry):
        with open(os.environ["FAKE_CHROMIUM_LOG"], "a") as f:
            f.write(json.dumps(entry) + "\\n")

    def send(message):
        data = json.dumps(message).encode() + b"\\0"
        while data:
            data = data[os.write(4, data):]

    def screenshot(path):
        dark = "--force-dark-mode" in sys.argv or "always-dark" in path.name
        buffer = io.BytesIO()
        Image.new("L", (1280, 2400), 0 if dark else 255).save(buffer, "PNG")
        return base64.b64encode(buffer.getvalue()).decode()

    log({"argv": sys.argv[1:]})
    tabs, count, received = {}, 0, b""
    while chunk := os.read(3, 65536):
        received += chunk
        while b"\\0" in received:
            raw, received = received.split(b"\\0", 1)
            command = json.loads(raw)
            method, params, session = command["method"], command.get("params", {}), command.get("sessionId")
            log({"method": method, "params": params})
            result, error, event = {}, None, None
            if method == "Target.createBrowserContext":
                count += 1
                result = {"browserContextId": f"context-{count}"}
            elif method == "Target.createTarget":
                result = {"targetId": f"target-{count}"}
            elif method == "Target.attachToTarget":
                result = {"sessionId": f"session-{count}"}
            elif method == "Page.navigate":
                path = Path(unquote(urlsplit(params["url"]).path))
                if "browser-crash" in path.name:
                    sys.exit(1)
                if not path.is_file():
                    result = {"frameId": "f", "errorText": "net::ERR_FILE_NOT_FOUND"}
                tabs[session] = {"path": path, "loaded": False}
            elif method == "Emulation.setVirtualTimePolicy" and "budget" in params:
                name = tabs[session]["path"].name
                if "renderer-crash" in name:
                    event = {"method": "Inspector.targetCrashed", "params": {}, "sessionId": session}
                elif "hang" not in name:
                    tabs[session]["loaded"] = True
                    event = {"method": "Emulation.virtualTimeBudgetExpired", "params": {}, "sessionId": session}
            elif method == "Runtime.evaluate":
                if not tabs[session]["loaded"]:
                    error = {"code": -32000, "message": "read before the virtual time budget ran out"}
                else:
                    dom = tabs[session]["path"].read_text()
                    if "data-check-site-layout" in dom:
                        dom = dom.replace("<body", "<body data-check-site-layout='[]'", 1)
                    result = {"result": {"type": "string", "value": dom}}
            elif method == "Page.captureScreenshot":
                path = tabs[session]["path"]
                hung = Path(os.environ["FAKE_CHROMIUM_LOG"] + f".{path.name}.{'--force-dark-mode' in sys.argv}")
                if "shot-stalls-once" in path.name and not hung.exists():
                    hung.touch()
                    continue  # no answer, ever
                result = {"data": screenshot(path)}
            reply = {"id": command["id"], "error": error} if error else {"id": command["id"], "result": result}
            send({**reply, **({"sessionId": session} if session else {})})
            if event:
                send(event)
            if method == "Browser.close":
                sys.exit(0)
    """
)


@pytest.fixture
def fake_chromium(tmp_path, monkeypatch):
    path = tmp_path / "fake-chromium"
    path.write_text(f"#!{sys.executable}\n{FAKE_CHROMIUM}")
    path.chmod(0o755)
    monkeypatch.setenv("FAKE_CHROMIUM_LOG", str(tmp_path / "fake-chromium.log"))
    return path


def fake_log(tmp_path) -> list[dict]:
    return [json.loads(line) for line in (tmp_path / "fake-chromium.log").read_text().splitlines()]


def chapter(body: str) -> str:
    return f'<html><body><section id="top">{body}</section></body></html>'


def test_a_page_is_read_after_its_virtual_time_budget_in_a_viewport_of_the_window_size(tmp_path, fake_chromium):
    page = tmp_path / "page.html"
    page.write_text(chapter("<p>" + "long text " * 30000 + "</p>"))  # far more than a pipe holds
    with check_site.Browser(str(fake_chromium), [check_site.WINDOW]) as browser:
        dom, problems = check_site.dump_with_layout(browser, page)
    assert problems == []
    assert dom.count("long text") == 30000
    assert check_site.layout_problems(BeautifulSoup(dom, "html.parser")) == []  # the copy was loaded
    assert browser.status == 0  # it quit when asked to
    log = fake_log(tmp_path)
    assert "--remote-debugging-pipe" in log[0]["argv"] and "--window-size=1280,2400" in log[0]["argv"]
    commands = {entry["method"]: entry["params"] for entry in log[1:]}
    assert commands["Emulation.setDeviceMetricsOverride"] == {
        "width": 1280,
        "height": 2400,
        "deviceScaleFactor": 1,
        "mobile": False,
    }
    assert commands["Emulation.setVirtualTimePolicy"] == {"policy": "pauseIfNetworkFetchesPending", "budget": 15000}
    assert "Target.disposeBrowserContext" in commands  # the tab's context is closed after the page


def test_a_page_that_never_finishes_loading_times_out_and_its_browser_is_replaced(tmp_path, fake_chromium):
    (tmp_path / "hang.html").write_text(chapter("<p>x</p>"))
    (tmp_path / "fine.html").write_text(chapter("<p>fine</p>"))
    with check_site.BrowserPool(str(fake_chromium), []) as pool:
        with pytest.raises(check_site.BrowserError, match="timed out"):
            with pool.borrow() as browser:
                hung = browser
                with browser.open((tmp_path / "hang.html").as_uri(), timeout=1):
                    pass
        assert hung.status is not None  # killed, not left running
        with pool.borrow() as browser:
            assert browser is not hung
            with browser.open((tmp_path / "fine.html").as_uri()) as tab:
                assert "fine" in tab.html()
    assert browser.status == 0


def test_a_crashed_renderer_or_a_missing_file_fails_the_page(tmp_path, fake_chromium):
    (tmp_path / "renderer-crash.html").write_text(chapter("<p>x</p>"))
    with check_site.Browser(str(fake_chromium), []) as browser:
        with pytest.raises(check_site.BrowserError, match="crashed"):
            with browser.open((tmp_path / "renderer-crash.html").as_uri()):
                pass
    with check_site.Browser(str(fake_chromium), []) as browser:
        with pytest.raises(check_site.BrowserError, match="ERR_FILE_NOT_FOUND"):
            with browser.open((tmp_path / "missing.html").as_uri()):
                pass


def make_site(root: pathlib.Path, pages: dict[str, str]) -> pathlib.Path:
    for name, text in pages.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    (root / "figure.png").write_bytes(b"\x89PNG not empty")
    return root


def run_check(site, fake_chromium, tmp_path):
    temp = tmp_path / "temp"
    temp.mkdir()
    env = {
        "CHROMIUM": str(fake_chromium),
        "FAKE_CHROMIUM_LOG": str(tmp_path / "fake-chromium.log"),
        "TMPDIR": str(temp),
    }
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "check_site.py"), str(site), "--screenshots", str(tmp_path / "shots")],
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert list(temp.iterdir()) == []  # every browser profile removed
    return result


def test_the_whole_check_passes_a_good_site_and_saves_both_screenshots(tmp_path, fake_chromium):
    site = make_site(
        tmp_path / "html",
        {
            "book/intro.html": chapter(f"{TYPESET}<img src='../figure.png'><a href='other.html#there'>x</a>"),
            "book/other.html": '<html><body><h2 id="there">There</h2></body></html>',
            "index.html": '<html><head><meta http-equiv="refresh" content="0; url=book/intro.html"></head></html>',
        },
    )
    result = run_check(site, fake_chromium, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3/3 pages OK, 0 problem(s)" in result.stdout
    from PIL import Image

    for mode, grey in (("light", 255), ("dark", 0)):
        for name in ("intro", "other"):
            with Image.open(tmp_path / "shots" / mode / f"{name}.png") as im:
                assert im.size == (1280, 2400) and im.getextrema() == (grey, grey)
    assert not list(site.rglob(".check-site-*"))  # the measuring copies are gone
    log = fake_log(tmp_path)
    browsers = [entry["argv"] for entry in log if "argv" in entry]
    assert 2 <= len(browsers) <= 4  # a few browsers for the whole site, not one per page
    assert sum(1 for entry in log if entry.get("method") == "Page.navigate") == 4  # 2 DOMs, 2 dark shots


def test_the_whole_check_reports_a_fault_and_a_browser_crash_but_checks_the_other_pages(tmp_path, fake_chromium):
    site = make_site(
        tmp_path / "html",
        {
            "book/bad.html": chapter("<p>$$ x^2 $$</p>"),
            "book/browser-crash.html": chapter("<p>x</p>"),
            "book/always-dark.html": chapter("<p>x</p>"),
            "book/fine.html": chapter("<p>fine</p>"),
        },
    )
    result = run_check(site, fake_chromium, tmp_path)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert "OK   book/fine.html" in lines
    assert "FAIL book/bad.html" in lines and "untypeset math" in result.stdout
    assert "FAIL book/always-dark.html" in lines and "light screenshot does not look light" in result.stdout
    assert "FAIL book/browser-crash.html" in lines
    assert "Chromium failed: Chromium exited while waiting for Page.navigate" in result.stdout
    assert "dark screenshot failed: Chromium exited while waiting for Page.navigate" in result.stdout
    retry = "     (loaded again after: Chromium exited while waiting for Page.navigate: (nothing on stderr))"
    assert lines.count(retry) == 2  # its DOM and its dark screenshot were tried twice, each


def test_a_screenshot_that_never_comes_is_taken_again_in_another_browser(tmp_path, fake_chromium, monkeypatch, capsys):
    site = make_site(tmp_path / "html", {"book/shot-stalls-once.html": chapter("<p>x</p>")})
    monkeypatch.setattr(check_site, "SCREENSHOT_TIMEOUT", 1)
    monkeypatch.setenv("CHROMIUM", str(fake_chromium))
    monkeypatch.setattr(sys, "argv", ["check_site.py", str(site), "--screenshots", str(tmp_path / "shots")])
    assert check_site.main() == 0
    lines = capsys.readouterr().out.splitlines()
    retry = "     (loaded again after: timed out waiting for Page.captureScreenshot)"
    assert lines[1:4] == ["OK   book/shot-stalls-once.html", retry, retry]  # light, then dark
    assert (tmp_path / "shots" / "light" / "shot-stalls-once.png").is_file()
    assert (tmp_path / "shots" / "dark" / "shot-stalls-once.png").is_file()
