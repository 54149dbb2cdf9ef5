#!/usr/bin/env bash
# The HTML report in a real browser (tests/browser/check.mjs): installs Debian's
# Chromium when it is missing and playwright-core from the npm registry (no browser
# download), writes the sample report with the binary under test, and checks it.
set -euo pipefail
cd "$(dirname "$0")/../.."
svcq=${SVCQ:-target/debug/svcq}
if [[ ! -x /usr/bin/chromium ]]; then
    if [[ $(id -u) -eq 0 ]]; then apt=(apt-get); else apt=(sudo apt-get); fi
    "${apt[@]}" update -qq
    DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y -qq chromium >/dev/null
fi
(cd tests/browser && npm ci --silent --no-audit --no-fund)
out=target/browser
rm -rf "$out/sample"
"$svcq" report --data sample-data --html "$out/sample" --quiet >/dev/null
node tests/browser/check.mjs "$out/sample/index.html"
# The committed sample report must pass too (it is what the README links).
node tests/browser/check.mjs reports/sample/index.html
