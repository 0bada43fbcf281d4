"""Headers of a page of a list: the true total and RFC 8288 links to the other pages.

Pages are unaligned: they step by ``limit`` from the offset asked for, so that ``next`` and
``prev`` never overlap the current page, and ``last`` is the last page on that same grid (it
starts at or before the last item). ``first`` is offset 0; ``prev`` stops at offset 0 too.
"""

from __future__ import annotations

from urllib.parse import urlencode


def last_offset(offset: int, limit: int, total: int) -> int:
    """The offset of the last page on the grid of ``offset``: the one that holds the last item."""
    if total == 0:
        return 0
    if offset < total:
        return offset + (total - 1 - offset) // limit * limit
    return max(offset - ((offset - total) // limit + 1) * limit, 0)  # past the end: step back


def page_headers(path: str, offset: int, limit: int, total: int, **filters) -> dict[str, str]:
    def link(page_offset: int, rel: str) -> str:
        query = urlencode({**filters, "offset": page_offset, "limit": limit})
        return f'<{path}?{query}>; rel="{rel}"'

    last = last_offset(offset, limit, total)
    links = [link(0, "first")]
    if offset > 0:
        links.append(link(max(min(offset - limit, last), 0), "prev"))
    if offset + limit < total:
        links.append(link(offset + limit, "next"))
    links.append(link(last, "last"))
    return {"X-Total-Count": str(total), "Link": ", ".join(links)}
