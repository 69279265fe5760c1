#!/usr/bin/env bash
# The browser replica (vitrine-web in headless Chromium, over WebDriver)
# against a native vitrine replica and redis-server, same machine, same
# data: KEYS keys `SET key:N value` (default 1,000,000). Full sync time
# (tab / native), change-event latency at 1,000 and 10,000 writes/s,
# memory per key (tab wasm memory / redis-server used_memory), the served
# wasm and JS glue gzipped, and the apply rate under a write flood. See
# native/benches/browser.rs.
#
# Usage: benches/browser.sh [KEYS]     (default 1000000)
# PROFILE=ci benches/browser.sh builds with the ci profile (no LTO:
# faster to build on a shared machine) instead of cargo bench's release.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in redis-server redis-benchmark chromium chromedriver gzip; do
    command -v "$tool" >/dev/null 2>&1 || { echo "$tool is missing: scripts/test installs it" >&2; exit 1; }
done
cargo bench -q -p vitrine-server --profile "${PROFILE:-bench}" --bench browser -- "$@"
