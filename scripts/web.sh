#!/usr/bin/env bash
# Builds the web app (web/) into web/dist, which the API's build copies beside it as webapp/ and serves at /.
#   scripts/web.sh          npm ci when the lock file changed, then a build when a source changed
#   scripts/web.sh --test   the same, then the app's unit tests (vitest); prints "N passed, N failed" last
# Needs Node.js 20.19 or later with npm (the machine image has 20.20); as root it installs Debian's nodejs and
# npm when node is missing, and says so when the Node.js it finds is too old for the toolchain (Vite 8).
set -euo pipefail
cd "$(dirname "$0")/../web"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Node.js and npm (apt-get install nodejs npm)..." >&2
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >&2
  fi
fi
command -v node >/dev/null 2>&1 || { echo "Node.js is missing: install Node.js 20.19 or later with npm, then run $0 again" >&2; exit 1; }
if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 22 || (a === 22 && b >= 12) || (a === 20 && b >= 19) ? 0 : 1)'; then
  echo "Node.js $(node --version) is too old for the web app's toolchain (Vite 8 needs 20.19+ or 22.12+)" >&2
  exit 1
fi

# npm ci from the committed lock file, only when it changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "Installing the web app's packages (npm ci)..." >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi

# A build only when something it is made from is newer than the last one.
if [ ! -f dist/index.html ] || [ -n "$(find src public openapi index.html package.json package-lock.json vite.config.ts tsconfig.json api-types.mjs \
    -newer dist/index.html -print -quit)" ]; then
  echo "Building the web app (npm run build)..." >&2
  npm run build --silent >&2
fi

if [ "${1:-}" = "--test" ]; then
  report=$(mktemp)
  status=0
  npx vitest run --reporter=default --reporter=json --outputFile="$report" >&2 || status=$?
  node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed`)' "$report" 2>/dev/null \
    || echo "0 passed, 1 failed"
  rm -f "$report"
  exit "$status"
fi
