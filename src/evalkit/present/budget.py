"""Page budgets of the 1:3:25 brief, estimated without a browser.

The estimate counts lines of A4 text as the shared style sheet prints them: paragraphs by their
length in characters, tables by their rows (a row as tall as its longest cell once wrapped),
figures by their height at full text width, headings and spacing by fixed amounts. The
constants below were calibrated on the demo brief printed by Chromium (the tests print it
again and check that the estimate stays close to the pages measured).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from evalkit.present._text import plain
from evalkit.present.document import Block, Bullets, Figure, Heading, Paragraph, Part, Quote, Table

__all__ = ["BUDGETS", "budget_report", "estimate_lines", "estimate_pages", "part_pages"]

#: The pages each part may take (1:3:25).
BUDGETS: dict[str, int] = {"main": 1, "summary": 3, "report": 25}

# A4 printed with evalkit.css: 297 mm less 38 mm of margins, 10.5 pt text at line-height 1.5.
LINES_PER_PAGE = 46.0
#: Characters of running text per line (178 mm of DejaVu Sans at 10.5 pt).
CHARS_PER_LINE = 78
#: Table text is set at 0.86 of the body size; rows carry padding.
TABLE_CHARS_PER_LINE = 100
TABLE_ROW_LINES = 1.2
TABLE_LINE = 0.8
#: Spacing after a paragraph, a list item, a table, a figure (in lines).
PARAGRAPH_GAP = 0.7
ITEM_GAP = 0.35
BLOCK_GAP = 1.6
#: Headings by level (h3, h4, h5 in the brief), including the space around them.
HEADING_LINES = {0: 3.4, 1: 2.1, 2: 1.7, 3: 1.5}
#: Text width in pixels at 96 dpi (178 mm): figures are scaled to it.
TEXT_WIDTH_PX = 673
LINE_PX = 21.0


def _wrapped(text: str, per_line: float) -> int:
    return max(1, math.ceil(len(plain(text)) / per_line))


def _table_lines(table: Table) -> float:
    n_cols = max(1, len(table.columns))
    widths = [max([len(c)] + [len(r[j]) for r in table.rows]) for j, c in
              enumerate(table.columns)]
    total = sum(widths) or 1
    # Columns get width in proportion to their longest content, as browsers do, within limits.
    per_col = [max(6.0, TABLE_CHARS_PER_LINE * w / total) for w in widths]
    if sum(per_col) > TABLE_CHARS_PER_LINE * 1.3:
        per_col = [TABLE_CHARS_PER_LINE / n_cols] * n_cols

    def row(cells: Iterable[str]) -> float:
        return max(_wrapped(c, per_col[j]) for j, c in enumerate(cells)) * TABLE_LINE + \
            (TABLE_ROW_LINES - TABLE_LINE)

    lines = _wrapped(table.caption, CHARS_PER_LINE) + row(table.columns)
    lines += sum(row(r) for r in table.rows)
    lines += sum(_wrapped(n, CHARS_PER_LINE * 1.15) * 0.85 for n in table.notes if n)
    lines += 1.6 if table.non_validated else 0
    return lines + BLOCK_GAP


def estimate_lines(block: Block) -> float:
    """The printed height of ``block`` in lines of body text."""
    if isinstance(block, Heading):
        return HEADING_LINES.get(block.level, 1.8) + _wrapped(block.text, CHARS_PER_LINE * 0.8) - 1
    if isinstance(block, Paragraph):
        if block.kind == "non_validated":
            return 2.0
        extra = 1.0 if block.kind == "note" else 0.0
        return _wrapped(block.text, CHARS_PER_LINE) + PARAGRAPH_GAP + extra
    if isinstance(block, Bullets):
        # Main messages (lists with details) are set tighter: line-height 1.42, small gaps.
        tight, gap = (0.95, 0.2) if block.details else (1.0, ITEM_GAP)
        lines = sum(_wrapped(item, CHARS_PER_LINE + 4) * tight + gap for item in block.items)
        lines += sum(_wrapped(d, (CHARS_PER_LINE + 4) * 1.25) * 0.7 for d in block.details if d)
        return lines + PARAGRAPH_GAP
    if isinstance(block, Table):
        return _table_lines(block)
    if isinstance(block, Figure):
        height = (TEXT_WIDTH_PX * block.height / block.width) if block.width else 300.0
        if block.width and block.width < TEXT_WIDTH_PX:
            height = block.height
        label = 1.6 if block.non_validated else 0
        return height / LINE_PX + _wrapped(block.caption, CHARS_PER_LINE * 1.1) + label + \
            BLOCK_GAP
    if isinstance(block, Quote):
        return _wrapped(block.text, CHARS_PER_LINE - 14) + 1.2 + 2 * PARAGRAPH_GAP + 0.6
    raise TypeError(f"unknown block {type(block).__name__}")


def estimate_pages(blocks: Iterable[Block], *, extra_lines: float = 0.0,
                   exact: bool = False) -> float:
    """Estimated printed pages of ``blocks`` (A4, evalkit.css), to one decimal.

    Blocks are not split across pages here; the small waste at page ends is part of the
    calibration of the constants.

    Examples
    --------
    >>> from evalkit.present.document import Paragraph
    >>> estimate_pages([Paragraph("x" * 78 * 45)])
    1.0
    """
    lines = extra_lines + sum(estimate_lines(b) for b in blocks)
    return lines / LINES_PER_PAGE if exact else round(lines / LINES_PER_PAGE, 1)


def budget_report(parts: Iterable[Part], *, header_lines: float = 0.0) -> dict[str, tuple]:
    """``{part: (estimated_pages, budget, ok)}`` for the parts that have a budget; the first
    part also carries the title block (``header_lines``). ``ok`` compares the unrounded
    estimate with the budget."""
    out = {}
    for i, part in enumerate(parts):
        if not part.budget:
            continue
        pages = part_pages(part, extra_lines=header_lines if i == 0 else 0.0)
        out[part.key] = (round(pages, 1), part.budget, pages <= part.budget)
    return out


def part_pages(part: Part, *, extra_lines: float = 0.0) -> float:
    """The unrounded estimate of a part's pages (its title included)."""
    return estimate_pages([Heading(part.title, 0), *part.blocks], extra_lines=extra_lines,
                          exact=True)
