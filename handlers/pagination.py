"""Headers of a page of a list: the true total and RFC 8288 links to the other pages."""

from __future__ import annotations

from urllib.parse import urlencode


def page_headers(path: str, offset: int, limit: int, total: int, **filters) -> dict[str, str]:
    def link(page_offset: int, rel: str) -> str:
        query = urlencode({**filters, "offset": page_offset, "limit": limit})
        return f'<{path}?{query}>; rel="{rel}"'

    last = max((total - 1) // limit * limit, 0)
    links = [link(0, "first")]
    if offset > 0:
        links.append(link(max(min(offset - limit, last), 0), "prev"))
    if offset + limit < total:
        links.append(link(offset + limit, "next"))
    links.append(link(last, "last"))
    return {"X-Total-Count": str(total), "Link": ", ".join(links)}
