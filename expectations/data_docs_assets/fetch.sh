#!/usr/bin/env bash
# Writes the files in this folder: the styles, scripts and fonts that GX's Data Docs pages load
# from CDNs, at the versions GX names, taken from the npm registry (`npm pack`). zonestat links the
# pages to these copies (expectations/data_docs_offline.py), so the Data Docs work offline.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
packages=(bootstrap@4.3.1 bootstrap-table@1.19.1 bootstrap-datepicker@1.9.0 @forevolve/bootstrap-dark@1.1.0
          jquery@3.7.1 popper.js@1.12.9 @fortawesome/fontawesome-free@6.6.0 vega@5 vega-lite@5 vega-embed@6)
for package in "${packages[@]}"; do
  npm pack --silent "$package" >/dev/null
done
for tarball in *.tgz; do
  mkdir -p "${tarball%.tgz}" && tar xzf "$tarball" -C "${tarball%.tgz}"
done
take() {  # take PACKAGE_TARBALL_PREFIX PATH_IN_PACKAGE [NAME_HERE]
  src=$(ls -d "$1"*/package)/"$2"
  dest="$here/${3:-$(basename "$2")}"
  mkdir -p "$(dirname "$dest")"
  cp "$src" "$dest"
}
take bootstrap-4 dist/css/bootstrap.min.css
take bootstrap-4 dist/js/bootstrap.min.js
take bootstrap-table-1 dist/bootstrap-table.min.css
take bootstrap-table-1 dist/bootstrap-table.min.js
take bootstrap-table-1 dist/extensions/filter-control/bootstrap-table-filter-control.min.css
take bootstrap-table-1 dist/extensions/filter-control/bootstrap-table-filter-control.min.js
take bootstrap-datepicker-1 dist/css/bootstrap-datepicker.min.css
take bootstrap-datepicker-1 dist/js/bootstrap-datepicker.min.js
take forevolve-bootstrap-dark-1 dist/css/bootstrap-prefers-dark.min.css
take jquery-3 dist/jquery.min.js
take popper.js-1 dist/umd/popper.min.js
take fortawesome-fontawesome-free-6 css/all.min.css fontawesome/css/all.min.css
for font in fa-brands-400 fa-regular-400 fa-solid-900 fa-v4compatibility; do  # woff2: every current browser
  take fortawesome-fontawesome-free-6 "webfonts/$font.woff2" "fontawesome/webfonts/$font.woff2"
done
take vega-5 build/vega.min.js
take vega-lite-5 build/vega-lite.min.js
take vega-embed-6 build/vega-embed.min.js
ls "$work"/*.tgz | xargs -n1 basename > "$here/PACKAGES"
