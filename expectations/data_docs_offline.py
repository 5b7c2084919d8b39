"""GX's Data Docs, readable without the internet.

GX's page templates load Bootstrap, jQuery, Font Awesome, Vega and GX's logo from CDNs, so on a
ministry's machine without internet access the pages were empty and unstyled. The same files,
at the versions GX names, are kept in data_docs_assets/ (fetch.sh made them from the npm
registry); they are copied into the site once, and every page written is pointed at them.
"""

from __future__ import annotations

import filecmp
import os
import re
import shutil
from pathlib import Path

ASSETS = Path(__file__).with_name("data_docs_assets")
SITE_COPY = Path("static") / "offline"  # inside the Data Docs site

# Each address a page loads from, and the file of data_docs_assets that stands for it.
LOCAL_COPIES = {
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": "bootstrap.min.css",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": "bootstrap.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": "bootstrap-table.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": "bootstrap-table.min.js",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css":
        "bootstrap-table-filter-control.min.css",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css":
        "bootstrap-table-filter-control.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js":
        "bootstrap-table-filter-control.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css":
        "bootstrap-datepicker.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js":
        "bootstrap-datepicker.min.js",
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css":
        "bootstrap-prefers-dark.min.css",
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": "popper.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": "fontawesome/css/all.min.css",
    "https://cdn.jsdelivr.net/npm/vega@5": "vega.min.js",
    "https://cdn.jsdelivr.net/npm/vega-lite@5": "vega-lite.min.js",
    "https://cdn.jsdelivr.net/npm/vega-embed@6": "vega-embed.min.js",
}
# GX's logo, which the site already holds among its own static images.
REMOTE_LOGO = re.compile(r"https://great-expectations-web-assets\.s3\.us-east-2\.amazonaws\.com/[\w.-]+(\?[^\"']*)?")
SITE_LOGO = Path("static") / "images" / "logo-long.png"
# The subresource-integrity hashes name the CDN's bytes; a local copy is trusted as it is.
INTEGRITY = re.compile(r'\s(integrity="[^"]*"|crossorigin="anonymous")')


def install(site: Path) -> None:
    """Copy the assets into the site, once (again only when zonestat's copies changed)."""
    target = site / SITE_COPY
    for source in ASSETS.rglob("*"):
        if source.is_file() and source.suffix in (".css", ".js", ".woff2"):
            copy = target / source.relative_to(ASSETS)
            if not (copy.exists() and filecmp.cmp(source, copy, shallow=False)):
                copy.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, copy)


def localise(page: Path, site: Path) -> None:
    """Point one page at the site's copies instead of the CDNs."""
    html = page.read_text(encoding="utf-8")
    if "https://" not in html:
        return
    up = os.path.relpath(site, page.parent)
    for remote, local in LOCAL_COPIES.items():
        html = html.replace(f'"{remote}"', f'"{up}/{SITE_COPY.as_posix()}/{local}"')
    html = REMOTE_LOGO.sub(f"{up}/{SITE_LOGO.as_posix()}", html)
    html = INTEGRITY.sub("", html)
    page.write_text(html, encoding="utf-8")


def localise_pages_since(site: Path, since_ns: int) -> None:
    """Every page of the site written since `since_ns` (a time.time_ns()): a run's new pages and the
    index. The assets are in place already (`install`, once per validator)."""
    if not site.exists():
        return
    for page in site.rglob("*.html"):
        if page.stat().st_mtime_ns >= since_ns and not page.is_relative_to(site / SITE_COPY):
            localise(page, site)
