"""The browser check of the site (scripts/check_site.py) catches what it promises, and never skips.

`.ci/run` runs the check itself on the built site in headless Chromium. These tests need no
browser: they feed `check_dom` pages as Chromium would dump them after MathJax ran, with one
fault each, and check that the script fails (exit 2) when Chromium is missing.
"""

from __future__ import annotations

import html
import json
import pathlib
import subprocess
import sys

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


def test_the_measuring_script_is_injected_into_a_copy_that_is_removed(tmp_path):
    """A stand-in for Chromium prints the file it was asked to dump; the copy carries the script."""
    fake_chromium = tmp_path / "chromium"
    fake_chromium.write_text('#!/bin/sh\nfor last; do :; done\ncat "${last#file://}"\n')
    fake_chromium.chmod(0o755)
    page = tmp_path / "page.html"
    page.write_text("<html><body><p>text</p></body></html>")
    status, out, _ = check_site.dump_with_layout(str(fake_chromium), page)
    assert status == 0
    assert check_site.LAYOUT_SCRIPT in out and out.endswith("</body></html>")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chromium", "page.html"]
    assert page.read_text() == "<html><body><p>text</p></body></html>"
