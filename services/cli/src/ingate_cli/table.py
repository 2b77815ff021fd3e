"""The plain-text tables of the report commands: `ingate usage`, `ingate requests list`, `ingate audit`."""

from collections.abc import Sequence


def text_table(headers: Sequence[str], rows: Sequence[Sequence[str]], text_columns: int) -> list[str]:
    """A table's lines: the first `text_columns` columns left-aligned, the numbers after right-aligned."""
    grid = [tuple(headers), *(tuple(row) for row in rows)]
    widths = [max(len(line[i]) for line in grid) for i in range(len(headers))]
    return [
        "  ".join(
            cell.ljust(width) if i < text_columns else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(line, widths, strict=True))
        ).rstrip()
        for line in grid
    ]
