"""Progress reports of long work (``verbose=True``): one line rewritten in place on a terminal.

On a terminal (standard output is a tty) :meth:`ProgressLine.report` rewrites a single line, so
a long fit shows a live counter; elsewhere (a notebook, a log file, a captured stream) only the
lines passed to :meth:`ProgressLine.keep` and :meth:`ProgressLine.report_or_keep` are written, one per line.
Nothing is written unless a caller asked for progress, so the book's stored outputs never hold any.
"""

from __future__ import annotations

import sys

__all__ = ["ProgressLine"]


class ProgressLine:
    """A progress line on standard output (looked up when made, so a redirected stdout is used)."""

    def __init__(self):
        self.stream = sys.stdout
        self.live = bool(getattr(self.stream, "isatty", lambda: False)())
        self.width = 0

    def report(self, text: str) -> None:
        """A passing state (an iteration): shown, in place, on a terminal only."""
        if self.live:
            self._rewrite(text)

    def report_or_keep(self, text: str) -> None:
        """A step worth a line of its own in a log (a fit): in place on a terminal, a new line elsewhere."""
        if self.live:
            self._rewrite(text)
        else:
            self.keep(text)

    def keep(self, text: str) -> None:
        """A line that stays (a result)."""
        if self.live:
            text = "\r" + text.ljust(self.width)
            self.width = 0
        self.stream.write(text + "\n")
        self.stream.flush()

    def _rewrite(self, text: str) -> None:
        self.stream.write("\r" + text.ljust(self.width))
        self.width = max(self.width, len(text))
        self.stream.flush()
