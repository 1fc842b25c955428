"""Serve a copy of the built demo site (web/dist) on a free local port.

The copy's pages point the widget at a given Rasa server (data-server), so
the browser tests talk to the real stack started for them.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DIST = REPO / "web" / "dist"
DEMO_SERVER_ATTR = 'data-server="http://localhost:5005"'


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()


@contextmanager
def serve_directory(root: Path) -> Iterator[str]:
    """Serve root at http://127.0.0.1:<free port>; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def copy_site(target: Path) -> Path:
    """Copy web/dist to target; fails if the build is missing."""
    if not (DIST / "widget.js").exists() or not (DIST / "index.html").exists():
        raise RuntimeError(f"{DIST} is not built: run `make web-build`")
    shutil.copytree(DIST, target, dirs_exist_ok=True)
    return target


def point_pages_at(root: Path, rasa_url: str) -> None:
    """Rewrite data-server in every demo page to rasa_url."""
    pages = sorted(root.glob("*.html"))
    for page in pages:
        html = page.read_text(encoding="utf-8")
        if DEMO_SERVER_ATTR not in html:
            raise AssertionError(f"{page.name} has no {DEMO_SERVER_ATTR}")
        page.write_text(html.replace(DEMO_SERVER_ATTR, f'data-server="{rasa_url}"'),
                        encoding="utf-8")
    if not pages:
        raise AssertionError(f"no demo pages in {root}")
