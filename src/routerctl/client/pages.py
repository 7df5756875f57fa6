"""Paginated lists: every page of a list endpoint, concurrently when the server says how many."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, NamedTuple
from urllib.parse import parse_qs, urlsplit

from routerctl.bounds import kind_of as _describe  # one wording for JSON kinds
from routerctl.client.connection import (
    _display,
    _is_error_body,
    _keys,
    _one_line,
    _Reply,
)
from routerctl.client.session import Session
from routerctl.errors import ApiResponseError
from routerctl.pacing import as_int

PER_PAGE = 200  # the documented maximum; the server may still cap it lower
# Absolute cap on the pages of one list (200,000 items at the documented page size); below it,
# a list stops at the pages its own meta.total accounts for, plus PAGE_SLACK for growth.
MAX_PAGES = 1_000
PAGE_SLACK = 2


class _Item(NamedTuple):
    display: str  # the page it came from, e.g. "/v2/gen-ai/models/routers?page=2"
    where: str  # its place in the page, e.g. "model_routers[3]"
    data: dict[str, Any]


def _page_of(url: str) -> int | None:
    values = parse_qs(urlsplit(url).query).get("page")
    number = as_int(values[0]) if values else None
    return number if number is not None and number > 0 else None


class Pages(Session):
    """Paginated GETs on top of a Session (see RouterClient)."""

    #: A list call stops with ApiResponseError after this many pages (a pagination loop).
    max_pages: int = MAX_PAGES

    def _paginate(self, path: str, key: str) -> list[_Item]:
        """Every item of a paginated list. The next page comes from `links.pages.next` (only
        its page number is used, against our base URL, so a rewritten link cannot send the
        token to another host), else from `meta` (`page` < `pages`, or fewer items than
        `total`), else from `links.pages.last`. The page size is whatever the server chose.

        When page 1 says how many pages there are, pages 2..N are fetched concurrently
        (`parallelism` at a time); the sequential walk then continues from the last one, so
        a list that grew meanwhile, or a server without `meta.pages`, still ends correctly.
        """
        items: list[_Item] = []
        fetched: set[int] = set()
        page = 1
        page_size = 0
        total: int | None = None  # the largest meta.total seen (a list may grow meanwhile)
        while True:
            fetched.add(page)
            reply, display, page_items = self._fetch_page(path, key, page)
            items += page_items
            page_size = page_size or len(page_items)
            reported = self._meta_total(reply.data)
            if reported is not None:
                total = max(total or 0, reported)
            ahead = self._pages_ahead(reply.data, page, fetched)
            if ahead:
                fetched.update(ahead)
                pool = ThreadPoolExecutor(
                    max_workers=min(self._parallelism, len(ahead)),
                    thread_name_prefix="routerctl-page",
                )
                try:
                    results = list(pool.map(partial(self._fetch_page, path, key), ahead))
                finally:
                    pool.shutdown(wait=True, cancel_futures=True)
                for _, _, more in results:
                    items += more
                page = ahead[-1]
                reply, display, page_items = results[-1]
            next_page = self._next_page(reply.data, page, len(page_items), len(items), display)
            if next_page is None:
                return items
            if next_page in fetched:
                raise ApiResponseError(
                    "GET",
                    display,
                    reply.status,
                    f"pagination loops: the next page ({next_page}) was already fetched",
                )
            if len(fetched) >= self.max_pages:
                raise ApiResponseError(
                    "GET",
                    display,
                    reply.status,
                    f"more than {self.max_pages} pages; stopping (is pagination looping?)",
                )
            expected = -(-(total or 0) // max(page_size, 1)) + PAGE_SLACK
            if total is not None and len(fetched) >= expected:
                raise ApiResponseError(
                    "GET",
                    display,
                    reply.status,
                    f"meta.total says {total} items ({expected - PAGE_SLACK} pages of "
                    f"{max(page_size, 1)}), but the server offers more after {len(fetched)} "
                    "pages; stopping (is pagination looping?)",
                )
            page = next_page

    @staticmethod
    def _meta_total(data: Any) -> int | None:
        meta = data.get("meta") if isinstance(data, dict) else None
        value = as_int(meta.get("total")) if isinstance(meta, dict) else None
        return None if value is None else max(value, 0)

    def _fetch_page(self, path: str, key: str, page: int) -> tuple[_Reply, str, list[_Item]]:
        params = {"page": page, "per_page": PER_PAGE}
        display = _display(path, params)
        reply = self._call("GET", path, params=params)
        return reply, display, self._page_items(reply, display, key)

    def _pages_ahead(self, data: Any, page: int, fetched: set[int]) -> list[int]:
        """Pages to fetch concurrently after `page`: only when the server confirmed it is on
        `page` and reported `meta.pages` (a server that ignores `page` must not trigger a
        burst of identical requests; the loop guard handles it one page at a time)."""
        if page != 1 or not isinstance(data, dict):
            return []
        meta = data.get("meta")
        if not isinstance(meta, dict) or as_int(meta.get("page")) != page:
            return []
        total_pages = as_int(meta.get("pages"))
        if total_pages is None or total_pages <= page or total_pages > self.max_pages:
            return []
        return [p for p in range(page + 1, total_pages + 1) if p not in fetched]

    def _page_items(self, reply: _Reply, display: str, key: str) -> list[_Item]:
        data = reply.data
        if not isinstance(data, dict):
            got = "an empty body" if data is None else _describe(data)
            raise ApiResponseError(
                "GET", display, reply.status, f"expected a JSON object with {key!r}, got {got}"
            )
        if key not in data:
            if _is_error_body(data):
                raise ApiResponseError(
                    "GET",
                    display,
                    reply.status,
                    f"response is an error ({_one_line(data['id'])}: "
                    f"{_one_line(data['message'])}) instead of {key!r}",
                )
            # gRPC-gateway APIs omit empty lists: `{}` or a body with only links/meta is an
            # empty page. Any other key means this is not the response we asked for.
            if set(data) - {"links", "meta"}:
                keys = _keys(data)
                raise ApiResponseError(
                    "GET", display, reply.status, f"response has no {key!r} (keys: {keys})"
                )
            return []
        raw_items = data[key]
        if raw_items is None:  # Go's nil slice
            return []
        if not isinstance(raw_items, list):
            raise ApiResponseError(
                "GET", display, reply.status, f"{key!r} is {_describe(raw_items)}, not a list"
            )
        items: list[_Item] = []
        for index, item in enumerate(raw_items):
            if not isinstance(item, dict):
                raise ApiResponseError(
                    "GET",
                    display,
                    reply.status,
                    f"{key}[{index}] is {_describe(item)}, not an object",
                )
            items.append(_Item(display, f"{key}[{index}]", item))
        return items

    def _next_page(
        self, data: dict[str, Any], page: int, on_page: int, so_far: int, display: str
    ) -> int | None:
        links = data.get("links")
        pages = links.get("pages") if isinstance(links, dict) else None
        pages = pages if isinstance(pages, dict) else {}
        next_url = pages.get("next")
        if isinstance(next_url, str) and next_url.strip():
            next_page = _page_of(next_url)
            if next_page is None:
                raise ApiResponseError("GET", display, 200, "links.pages.next has no page number")
            return next_page
        meta = data.get("meta")
        meta = meta if isinstance(meta, dict) else {}
        # Trust the server's own idea of the current page: if it ignores `page`, the loop
        # guard then stops us instead of silently collecting the same page again.
        current = as_int(meta.get("page")) or page
        total_pages = as_int(meta.get("pages"))
        if total_pages is not None and current < total_pages:
            return current + 1
        total = as_int(meta.get("total"))
        if total is not None and on_page > 0 and so_far < total:
            return current + 1
        last_url = pages.get("last")
        last = _page_of(last_url) if isinstance(last_url, str) else None
        if last is not None and current < last:
            return current + 1
        return None
