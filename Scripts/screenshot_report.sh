#!/usr/bin/env bash
# Renders an HTML feedback report (from `grade check --format html` or `grade batch`) to a PNG
# with headless Chromium, to check how it looks without a desktop browser.
#
#   Scripts/screenshot_report.sh <report.html> <out.png> [width] [height]
#
# Needs Chromium (Debian: apt-get install chromium). Network access is switched off for the page,
# so the picture also shows that the report loads nothing from elsewhere. Exit 0 when the PNG was
# written, 2 when no Chromium is installed, 1 otherwise.
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "Usage: $0 <report.html> <out.png> [width] [height]" >&2
  exit 64
fi
report="$1"; out="$2"; width="${3:-1100}"; height="${4:-3200}"

browser=""
for candidate in chromium chromium-browser google-chrome google-chrome-stable; do
  if command -v "$candidate" > /dev/null; then browser="$candidate"; break; fi
done
if [ -z "$browser" ]; then
  echo "screenshot_report.sh: no Chromium found (apt-get install chromium)" >&2
  exit 2
fi

absolute="$(cd "$(dirname "$report")" && pwd)/$(basename "$report")"
out_abs="$(cd "$(dirname "$out")" && pwd)/$(basename "$out")"
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT

"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
  --user-data-dir="$profile" --proxy-server="127.0.0.1:9" --proxy-bypass-list="<-loopback>" \
  --window-size="${width},${height}" --screenshot="$out_abs" "file://$absolute" > /dev/null 2>&1 || true

if [ ! -s "$out_abs" ]; then
  echo "screenshot_report.sh: $browser wrote no screenshot for $report" >&2
  exit 1
fi
echo "$out_abs"
