"""Every page a signed-in account can reach, found the way a user finds them: its home page, then every
same-site link and htmx fragment (``hx-get``) on the pages it opens, breadth first.

Used by the query-plan guard (tests/perf/test_query_plans.py) and the scale benchmark
(bench/pages_scale.py). Downloads, sign-out and language switches are left out; each endpoint is kept
with at most ``per_endpoint`` distinct addresses (a list page and one of its later pages, two records),
so a list of ten thousand rows is not opened ten thousand times.
"""

import html
import logging
import re
import urllib.parse
from dataclasses import dataclass, field

from werkzeug.exceptions import HTTPException

LINK = re.compile(r'(<a\s[^>]*?href|hx-get)="(/[^"#]*)"')
SKIP = re.compile(r"^/(static/|logout|language|session/)|\.(pdf|xlsx|csv|ics|json)(\?|$)|/download|/export")


@dataclass
class Page:
    path: str
    endpoint: str
    fragment: bool = False  # reached through hx-get: served to htmx, not as a whole page


@dataclass
class Statements:
    """The SQL statements (text, parameters) peewee ran while recording."""

    recorded: list = field(default_factory=list)

    def __enter__(self):
        self.recorded.clear()
        self._logger = logging.getLogger("peewee")
        self._level = self._logger.level
        self._handler = _Collector(self.recorded)
        self._logger.setLevel(logging.DEBUG)
        self._logger.addHandler(self._handler)
        return self

    def __exit__(self, *exc):
        self._logger.removeHandler(self._handler)
        self._logger.setLevel(self._level)


class _Collector(logging.Handler):
    def __init__(self, into):
        super().__init__(level=logging.DEBUG)
        self.into = into

    def emit(self, record):
        if isinstance(record.msg, tuple) and len(record.msg) == 2:
            self.into.append(record.msg)


def endpoint_of(app, path):
    adapter = app.url_map.bind("localhost")
    try:
        endpoint, _args = adapter.match(urllib.parse.urlsplit(path).path, method="GET")
    except HTTPException:
        return None
    return endpoint


def links_in(body):
    """[(path, is an htmx fragment)] in the order they appear."""
    return [(html.unescape(path), attribute == "hx-get") for attribute, path in LINK.findall(body)]


def crawl(app, client, per_endpoint=2, limit=300, depth=3):
    """[Page] reachable from the account's home page that answer 200, in the order found."""
    response = client.get("/")
    start = (
        urllib.parse.urlsplit(response.headers.get("Location", "/")).path
        if response.status_code in (301, 302, 303)
        else "/"
    )
    queue = [(start, False, 0)]
    seen, kept, per = set(), [], {}
    while queue and len(kept) < limit:
        path, fragment, level = queue.pop(0)
        if path in seen or SKIP.search(path):
            continue
        seen.add(path)
        endpoint = endpoint_of(app, path)
        if endpoint is None or per.get(endpoint, 0) >= per_endpoint:
            continue
        headers = {"HX-Request": "true"} if fragment else {}
        response = client.get(path, headers=headers)
        if response.status_code != 200 or not response.mimetype.startswith("text/html"):
            continue
        per[endpoint] = per.get(endpoint, 0) + 1
        kept.append(Page(path, endpoint, fragment))
        if level < depth:
            for found, is_fragment in links_in(response.get_data(as_text=True)):
                queue.append((found, is_fragment, level + 1))
    return kept
