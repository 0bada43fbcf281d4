"""Link headers: on every grid of offsets, ``next`` never passes ``last``, which holds the last item."""

import itertools
import re

from web.pagination import page_headers


def offsets(link: str) -> dict[str, int]:
    return {
        rel: int(offset) for offset, rel in re.findall(r'offset=(\d+)[^>]*>; rel="(\w+)"', link)
    }


def test_links_stay_on_the_grid_of_the_asked_offset():
    for offset, limit, total in itertools.product(range(12), range(1, 5), range(9)):
        links = offsets(page_headers("/x/", offset, limit, total)["Link"])
        last = links["last"]
        assert links["first"] == 0
        assert 0 <= last < max(total, 1)
        if offset < total:
            assert (last - offset) % limit == 0 and last + limit >= total
        if "next" in links:
            assert links["next"] == offset + limit <= last
        if "prev" in links:
            assert 0 <= links["prev"] < offset and links["prev"] <= last
