"""The PDF check (scripts/check_pdf.py) catches what it promises, on small synthetic inputs.

`make pdf` runs the check on the real PDF, which needs TeX Live and poppler-utils. These tests need
neither: they feed each check a log, an .aux, `pdftohtml -xml`, `pdfinfo -dests` or `pdfimages -list`
output written by hand, with one fault each, and run the whole check with the tools faked.
"""

from __future__ import annotations

import pathlib
import sys
from collections import Counter

import pytest
from PIL import Image

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import check_pdf  # noqa: E402

CLEAN_LOG = """This is XeTeX, Version 3.141592653-2.6-0.999994 (TeX Live 2022/Debian)
(./em-book.aux)
[1] [2]
Output written on em-book.pdf (2 pages).
"""


def xml(*lines: tuple[int, str, str]) -> str:
    """pdftohtml -xml output: (page, font id, text) lines; font 0 is FreeSerif, 1 is FreeMono."""
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        "<pdf2xml>",
        '<fontspec id="0" size="11" family="SZCRYS+FreeSerif-Identity-H" color="#000000"/>',
        '<fontspec id="1" size="9" family="FZTZMS+FreeMono-Identity-H" color="#000000"/>',
    ]
    page = 0
    for number, font, text in lines:
        if number != page:
            if page:
                out.append("</page>")
            out.append(f'<page number="{number}" position="absolute" top="0" left="0" height="842" width="595">')
            page = number
        out.append(f'<text top="100" left="72" width="400" height="12" font="{font}">{text}</text>')
    out += ["</page>", "</pdf2xml>"]
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------
# The LaTeX log


def test_a_clean_log_passes():
    assert check_pdf.log_problems(CLEAN_LOG) == []
    within_the_margin = "Overfull \\hbox (60.2071pt too wide) in paragraph at lines 16821--16821\n"
    assert check_pdf.log_problems(CLEAN_LOG + within_the_margin) == []


def test_a_missing_character_is_found_even_when_tex_wrapped_the_line():
    line = "Missing character: There is no ᵀ (U+1D40) in font [FreeMonoOblique.otf]/OT:script=latn;language=dflt;!"
    log = CLEAN_LOG + line[:79] + "\n" + line[79:] + "\n" + line[:79] + "\n" + line[79:] + "\n"
    assert check_pdf.log_problems(log) == ["missing character ᵀ (U+1D40) in font [FreeMonoOblique.otf], 2 time(s)"]


def test_undefined_references_are_found_across_wrapped_lines():
    log = (
        CLEAN_LOG
        + "LaTeX Warning: Hyper reference `book/jensen:jensen-thm-jensen' on page 38 undef\n"
        + "ined on input line 2837.\n\n"
        + "LaTeX Warning: Reference `book/jensen:jensen-ex-kl' on page 59 undefined on inp\n"
        + "ut line 4482.\n\n"
        + "LaTeX Warning: There were undefined references.\n"
    )
    assert check_pdf.log_problems(log) == [
        "undefined reference book/jensen:jensen-ex-kl",
        "undefined reference book/jensen:jensen-thm-jensen",
    ]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("LaTeX Warning: Citation `dempster1977' on page 3 undefined on input line 12.", "undefined citation"),
        ("LaTeX Warning: There were undefined references.", "undefined references"),
        ("LaTeX Warning: Label(s) may have changed. Rerun to get cross-references right.", "rerun"),
        ("Overfull \\hbox (1760.64pt too wide) in alignment at lines 11428--11441", "past the edge of the page"),
    ],
)
def test_other_log_faults_are_found(line, expected):
    problems = check_pdf.log_problems(CLEAN_LOG + line + "\n")
    assert len(problems) == 1 and expected in problems[0]


# ---------------------------------------------------------------------------------------------
# Untypeset TeX and MyST in the text


def test_clean_text_passes_and_code_may_hold_tex():
    runs = check_pdf.text_runs(
        xml(
            (1, 0, "The log-likelihood ℓ(θ) never decreases (3.2); see [Dempster et al., 1977]."),
            (1, 1, 'sp.Symbol(r"\\frac{a}{b}")  # $$ and {eq} and ?? are fine in code'),
            (2, 0, "Options are {“full”, “diag”}, default “full”."),
        )
    )
    assert [run[0] for run in runs] == [1, 1, 2]
    assert check_pdf.untypeset_problems(runs) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("the ratio \\frac{a}{b} of two", "TeX control word"),
        ("bold \\mathbf x here", "TeX control word"),
        ("math $$ x^2 $$ left raw", "$$"),
        ("inline $\\theta$ math", "TeX control word"),
        ("inline $x_n$ math", "a $...$ pair"),
        ("see {eq}`gmm-density` above", "MyST role"),
        ("by {prf:ref}`thm-jensen`", "MyST role"),
        ("as shown in {cite}`dempster1977`", "MyST role"),
        ("the value {glue:text}`x:.3f` here", "MyST role"),
        ("```{prf:theorem} Jensen", "MyST fence"),
        ("the sum of Exercise ??.", "??"),
        ("as in [?], the", "[?]"),
        ("Undefined control sequence", "Undefined"),
    ],
)
def test_untypeset_text_is_found(text, expected):
    problems = check_pdf.untypeset_problems(check_pdf.text_runs(xml((7, 0, text))))
    assert problems and all(p.startswith("page 7: untypeset") for p in problems)
    assert any(expected in p for p in problems), problems


def test_the_same_fault_on_two_pages_is_reported_twice():
    runs = check_pdf.text_runs(xml((3, 0, "Exercise ??"), (9, 0, "Exercise ??")))
    assert [p.split(":")[0] for p in check_pdf.untypeset_problems(runs)] == ["page 3", "page 9"]


def test_text_runs_unescape_entities_and_drop_inline_tags():
    runs = check_pdf.text_runs(xml((1, 0, "<b>a &lt; b &amp; c</b>")))
    assert runs == [(1, "SZCRYS+FreeSerif-Identity-H", "a < b & c")]


# ---------------------------------------------------------------------------------------------
# Numbered boxes, equations, bibliography

SOURCE = """# A chapter

```{prf:theorem} Jensen's inequality
:label: thm-jensen

Text $$ f(\\mathbb E X) \\le \\mathbb E f(X) $$ (jensen-ineq)
```

```{prf:proof}
Obvious.
```

:::{prf:algorithm} EM
:label: alg-em
:::

```{prf:remark} Unnumbered
:nonumber:
```

```{exercise} Bias
:label: ex-bias
```

```{exercise-start} Gated
:label: ex-gated
```

$$
\\ell(\\theta) = \\sum_n \\log p(x_n) $$ (log-lik)

See {cite}`dempster1977` and {cite:t}`wu1983, bishop2006`.
"""


def test_numbered_boxes_of_the_sources():
    assert check_pdf.numbered_boxes(SOURCE) == Counter({"Theorem": 1, "Algorithm": 1, "Exercise": 2})


def test_titles_with_numbers_pass_and_missing_numbers_fail():
    text = "Theorem 2.2.1 (Jensen’s inequality)\nprose citing\nTheorem 2.2.1 (again) at a line start\nAlgorithm A.1\n"
    assert check_pdf.title_problems(Counter({"Theorem": 1, "Algorithm": 1}), text) == []
    problems = check_pdf.title_problems(Counter({"Theorem": 2}), text)
    assert problems == ["Theorem: 2 numbered in the sources, 1 numbered titles in the PDF"]
    bare = check_pdf.title_problems(Counter({"Lemma": 1}), "Lemma (Supporting line)\n")
    assert bare == [
        "Lemma: 1 numbered in the sources, 0 numbered titles in the PDF",
        "Lemma without a number: 'Lemma (Supporting line)'",
    ]


def test_labelled_equations_must_be_numbered_and_shown():
    labels = {"book/x": check_pdf.equation_labels(SOURCE)}
    assert labels == {"book/x": ["jensen-ineq", "log-lik"]}
    aux = (
        "\\newlabel{equation:book/x:jensen-ineq}{{2.3}{30}{Jensen’s inequality}{equation.2.2.3}{}}\n"
        "\\newlabel{equation:book/x:log-lik}{{2.4}{31}{Jensen’s inequality}{equation.2.2.4}{}}\n"
    )
    numbers = check_pdf.aux_equations(aux)
    assert numbers == {"book/x:jensen-ineq": "2.3", "book/x:log-lik": "2.4"}
    assert check_pdf.equation_problems(labels, numbers, "f(x) (2.3)\ng (2.4)") == []
    assert check_pdf.equation_problems(labels, numbers, "f(x) (2.3)") == [
        "equation log-lik (book/x): its number (2.4) is not in the text"
    ]
    assert (
        check_pdf.equation_problems(labels, {}, "")[0]
        == "equation jensen-ineq (book/x) has no number in the LaTeX build"
    )


def test_the_bibliography_needs_an_entry_per_cited_work():
    keys = check_pdf.cited_keys([SOURCE])
    assert keys == {"dempster1977", "wu1983", "bishop2006"}
    text = "BIBLIOGRAPHY\n[Bis06]\nChristopher M. Bishop.\n[DLR77] A. P. Dempster\n[Wu83] C. F. Jeff Wu.\n"
    assert check_pdf.bibliography_problems(keys, text) == []
    assert check_pdf.bibliography_problems(keys, "[Bis06]\n[DLR77]\n") == [
        "bibliography: 3 works cited in the sources, 2 entries in the PDF"
    ]


# ---------------------------------------------------------------------------------------------
# Figures

AUX = """\\relax
\\newlabel{book/intro::doc}{{}{1}{Introduction}{section*.3}{}}
\\newlabel{\\detokenize{book/latent_mle::doc}}{{1}{5}{Maximum likelihood with latent variables}{chapter.1}{}}
\\newlabel{book/jensen::doc}{{2}{28}{Jensen’s inequality}{chapter.2}{}}
\\newlabel{book/notation::doc}{{A}{133}{Notation}{appendix.A}{}}
"""
DESTS = """Page  Destination                 Name
   1 [ XYZ   72  770 null      ] "Doc-Start"
   5 [ XYZ   72  604 null      ] "section*.3"
   9 [ XYZ   72  770 null      ] "chapter.1"
  32 [ XYZ   72  770 null      ] "chapter.2"
  40 [ XYZ   72  770 null      ] "appendix.A"
"""
IMAGES = """page   num  type   width height color comp bpc  enc interp  object ID x-ppi y-ppi size ratio
--------------------------------------------------------------------------------------------
  13     0 image     989   310  rgb     3   8  image  no       206  0   165   165 48.2K 5.4%
  13     1 smask     989   310  gray    1   8  image  no       206  0   165   165  724B 0.2%
  20     2 image     790   350  rgb     3   8  image  no       269  0   132   132 36.6K 4.5%
  35     3 image     999   338  rgb     3   8  image  no       315  0   167   167 30.4K 3.1%
"""


def test_chapters_start_pages_and_images():
    starts = check_pdf.doc_pages(AUX, DESTS)
    assert starts == {"book/intro": 5, "book/latent_mle": 9, "book/jensen": 32, "book/notation": 40}
    assert check_pdf.image_pages(IMAGES) == [13, 20, 35]


def test_each_chapter_needs_its_images():
    starts = check_pdf.doc_pages(AUX, DESTS)
    images = check_pdf.image_pages(IMAGES)
    assert check_pdf.figure_problems({"book/latent_mle": 2, "book/jensen": 1}, starts, images, 50) == []
    problems = check_pdf.figure_problems({"book/latent_mle": 1, "book/jensen": 2}, starts, images, 50)
    assert problems == ["figures: book/jensen shows 2 images, its pages 32-39 have 1"]
    problems = check_pdf.figure_problems({"book/latent_mle": 4, "book/gone": 0}, starts, images, 50)
    assert problems == [
        "figures: the notebooks show 4 images, the PDF has 3",
        "figures: book/latent_mle shows 4 images, its pages 9-31 have 2",
        "figures: no chapter start found for book/gone in the PDF",
    ]


def test_shown_images_skip_hidden_outputs_and_glue():
    png = {"output_type": "display_data", "data": {"image/png": "iVBOR", "text/plain": "<Figure>"}, "metadata": {}}
    glued = {**png, "metadata": {"scrapbook": {"name": "fig"}}}
    text = {"output_type": "stream", "name": "stdout", "text": "hi"}

    def cell(outputs, tags=()):
        return {"cell_type": "code", "metadata": {"tags": list(tags)}, "outputs": outputs, "source": ""}

    notebook = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": "# T"},
            cell([png, text]),
            cell([png], ["hide-input"]),
            cell([png], ["remove-output"]),
            cell([png], ["remove-cell"]),
            cell([png], ["hide-output"]),
            cell([glued]),
        ]
    }
    assert check_pdf.shown_images(notebook) == 2


# ---------------------------------------------------------------------------------------------
# Page images and the whole check


def test_blank_pages_are_found(tmp_path):
    white, page = tmp_path / "page-1.png", tmp_path / "page-2.png"
    Image.new("L", (20, 30), 255).save(white)
    im = Image.new("L", (20, 30), 255)
    im.putpixel((5, 5), 0)
    im.save(page)
    assert check_pdf.blank_pages([white, page]) == [1]


def fake_tools(tmp_path, monkeypatch, *, text, pages=2, images=IMAGES, log=CLEAN_LOG):
    """A PDF and LaTeX folder on disk, and the poppler tools replaced by canned answers."""
    latex = tmp_path / "latex"
    latex.mkdir()
    (latex / "em-book.log").write_text(log)
    equations = "".join(
        f"\\newlabel{{equation:book/x:{label}}}{{{{1.{i}}}{{6}}{{T}}{{equation.1.1.{i}}}{{}}}}\n"
        for i, label in enumerate(["jensen-ineq", "log-lik"], start=1)
    )
    (latex / "em-book.aux").write_text(AUX + equations)
    pdf = tmp_path / "em-book.pdf"
    pdf.write_bytes(b"%PDF-1.5 fake")

    def run(cmd):
        tool = cmd[0]
        if tool == "pdfinfo":
            return DESTS if "-dests" in cmd else f"Title: x\nPages:          {pages}\n"
        if tool == "pdftoppm":
            prefix = pathlib.Path(cmd[-1])
            for i in range(1, 3):
                im = Image.new("L", (20, 30), 255)
                im.putpixel((3, 3), 0)
                im.save(prefix.parent / f"{prefix.name}-{i}.png")
            return ""
        if tool == "pdftohtml":
            return text
        if tool == "pdfimages":
            return images
        raise AssertionError(cmd)

    monkeypatch.setattr(check_pdf, "run", run)
    monkeypatch.setattr(check_pdf, "source_texts", lambda: {"book/x": SOURCE.replace("prf:algorithm", "prf:proof")})
    monkeypatch.setattr(check_pdf, "expected_images", lambda: {"book/latent_mle": 2, "book/jensen": 1})
    monkeypatch.setattr(check_pdf.shutil, "which", lambda tool: f"/usr/bin/{tool}")
    return pdf, latex


GOOD_TEXT = xml(
    (1, 0, "Theorem 1.1.1 (Jensen’s inequality)"),
    (1, 0, "Jensen’s inequality (1.1)"),
    (1, 0, "the log-likelihood (1.2)"),
    (2, 0, "Exercise 1.2.1 (Bias)"),
    (2, 0, "Exercise 1.2.2 (Gated)"),
    (2, 0, "[Bis06] Christopher M. Bishop."),
    (2, 0, "[DLR77] A. P. Dempster, N. M. Laird and D. B. Rubin."),
    (2, 0, "[Wu83] C. F. Jeff Wu."),
)


def test_the_whole_check_passes_on_a_good_pdf(tmp_path, monkeypatch, capsys):
    pdf, latex = fake_tools(tmp_path, monkeypatch, text=GOOD_TEXT)
    assert check_pdf.main([str(pdf), "--latex", str(latex)]) == 0
    out = capsys.readouterr().out
    assert "FAIL" not in out and "7/7 checks OK" in out


def test_the_whole_check_fails_on_each_fault(tmp_path, monkeypatch, capsys):
    bad_text = GOOD_TEXT.replace("Theorem 1.1.1 (", "Theorem (").replace("(1.1)", "(see Exercise ??)")
    pdf, latex = fake_tools(
        tmp_path,
        monkeypatch,
        text=bad_text,
        pages=3,
        images=IMAGES.splitlines()[0],
        log=CLEAN_LOG + "Missing character: There is no ᵀ (U+1D40) in font [FreeMono.otf]/OT:script=latn;!\n",
    )
    assert check_pdf.main([str(pdf), "--latex", str(latex)]) == 1
    out = capsys.readouterr().out
    for name in (
        "pages render",
        "no untypeset TeX",
        "theorems, algorithms and exercises numbered",
        "equations numbered",
    ):
        assert f"FAIL {name}" in out
    assert "FAIL figures" in out and "FAIL LaTeX log" in out and "OK   bibliography" in out
    assert "pdftoppm rendered 2 of 3 pages" in out


def test_missing_tools_or_files_exit_2(tmp_path, monkeypatch, capsys):
    pdf, latex = fake_tools(tmp_path, monkeypatch, text=GOOD_TEXT)
    assert check_pdf.main([str(tmp_path / "none.pdf"), "--latex", str(latex)]) == 2
    assert "run make pdf" in capsys.readouterr().err
    monkeypatch.setattr(check_pdf.shutil, "which", lambda tool: None)
    assert check_pdf.main([str(pdf), "--latex", str(latex)]) == 2
    assert "poppler-utils" in capsys.readouterr().err
