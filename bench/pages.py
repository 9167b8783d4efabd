"""P5 helpers: time a dashboard page, add up the bytes it makes a browser load, find foreign URLs."""

from __future__ import annotations

import gzip
import html.parser
import re
import time
import urllib.parse
import urllib.request

from common import median
from server import HOST


class AssetLinks(html.parser.HTMLParser):
    """Every URL the page makes the browser load (stylesheets, scripts, images, icons)."""

    def __init__(self) -> None:
        super().__init__()
        self.assets: list[str] = []
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name, value in attrs.items():
            if value and (name in ("src", "href", "action", "srcset", "poster") or name.startswith("data-")):
                self.urls.append(value)
        if tag == "script" and attrs.get("src"):
            self.assets.append(attrs["src"])
        elif tag == "link" and attrs.get("href") and set((attrs.get("rel") or "").split()) & {"stylesheet", "icon", "preload", "modulepreload", "manifest"}:
            self.assets.append(attrs["href"])
        elif tag in ("img", "source", "video", "audio") and attrs.get("src"):
            self.assets.append(attrs["src"])


def foreign_urls(urls: list[str]) -> list[str]:
    out = []
    for url in urls:
        parts = urllib.parse.urlsplit(url.strip())
        if parts.scheme in ("http", "https", "") and parts.netloc and parts.hostname not in (HOST, "localhost"):
            out.append(url)
    return out


def measure_page(opener, base: str, path: str, n: int) -> dict:
    times, html_bytes = [], 0
    page = b""
    for i in range(n + 1):
        started = time.perf_counter()
        resp = opener.open(urllib.request.Request(base + path, headers={"Accept-Encoding": "gzip"}), timeout=30)
        page = resp.read()
        elapsed = (time.perf_counter() - started) * 1000
        if resp.status != 200:
            raise RuntimeError(f"{path} gave {resp.status}")
        final = urllib.parse.urlsplit(resp.geturl()).path
        if i == 0 and final != path:
            raise RuntimeError(f"{path} redirects to {final}")
        if i:  # the first request warms the page's caches
            times.append(elapsed)
        html_bytes = len(page)
    text = page.decode("utf-8", errors="replace")
    if resp.headers.get("Content-Encoding") == "gzip":
        text = gzip.decompress(page).decode("utf-8", errors="replace")
    parser = AssetLinks()
    parser.feed(text)
    assets, total = {}, html_bytes
    css_urls: list[str] = []
    for url in dict.fromkeys(parser.assets):
        if foreign_urls([url]):
            continue
        size, body = _asset(opener, base, urllib.parse.urljoin(base + path, url))
        assets[url] = size
        total += size
        if url.split("?")[0].endswith(".css"):
            for ref in re.findall(r"url\(\s*['\"]?([^'\")]+)", body):
                if not ref.startswith("data:"):
                    css_urls.append(urllib.parse.urljoin(base + url, ref))
    for url in dict.fromkeys(css_urls):
        if foreign_urls([url]) or url in assets:
            continue
        size, _ = _asset(opener, base, url)
        assets[url] = size
        total += size
    times.sort()
    return {
        "p50_ms": median(times), "p90_ms": times[min(len(times) - 1, int(0.9 * len(times)))],
        "html_bytes": html_bytes, "assets": assets, "bytes_total": total,
        "foreign": foreign_urls(parser.urls + css_urls),
    }


def _asset(opener, base: str, url: str) -> tuple[int, str]:
    """Bytes on the wire for one asset (gzip when the server offers it) and its decoded text."""
    resp = opener.open(urllib.request.Request(url, headers={"Accept-Encoding": "gzip"}), timeout=30)
    raw = resp.read()
    text = raw
    if resp.headers.get("Content-Encoding") == "gzip":
        text = gzip.decompress(raw)
    return len(raw), text.decode("utf-8", errors="replace")
