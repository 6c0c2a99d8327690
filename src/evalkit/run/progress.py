"""Progress bars on stderr: one for the batch of notebooks, one per running notebook (cells).

Quiet when stderr is not a terminal (logs, CI) or with ``--quiet``.
"""

from __future__ import annotations

import sys
from typing import Any

from evalkit.i18n import t

__all__ = ["Progress"]


class Progress:
    """Bars fed by the executor's events (``start``, ``cell``, ``end``) and results."""

    def __init__(self, total: int, *, lang: str = "en", quiet: bool = False) -> None:
        self.enabled = not quiet and sys.stderr.isatty() and total > 0
        self.lang = lang
        self._bars: dict[str, Any] = {}
        self._batch = None
        if self.enabled:
            from tqdm import tqdm

            self._tqdm = tqdm
            self._batch = tqdm(total=total, desc=t("runner.progress.batch", lang),
                               unit="nb", file=sys.stderr, position=0, leave=True)

    def event(self, event: tuple) -> None:
        """Handle a worker's event."""
        if not self.enabled:
            return
        kind, key = event[0], event[1]
        if kind == "start":
            used = {bar.pos for bar in self._bars.values()}
            line = next(n for n in range(1, len(used) + 2) if n not in used and -n not in used)
            self._bars[key] = self._tqdm(total=event[2], desc=key, unit="cell", file=sys.stderr,
                                         position=line, leave=False)
        elif kind == "cell" and key in self._bars:
            self._bars[key].update(1)
        elif kind == "end" and key in self._bars:
            self._bars.pop(key).close()

    def result(self, result: Any) -> None:
        """A notebook finished."""
        if self._batch is not None:
            self._batch.update(1)

    def close(self) -> None:
        for bar in self._bars.values():
            bar.close()
        self._bars.clear()
        if self._batch is not None:
            self._batch.close()
            self._batch = None
