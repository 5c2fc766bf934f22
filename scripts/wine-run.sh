#!/usr/bin/env bash
# Run a Windows program under Wine with a private, quiet prefix (CTest's
# emulator and every script use this). WINEPREFIX defaults to one inside the
# build tree so nothing outside the checkout is touched.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export WINEPREFIX="${WINEPREFIX:-$here/build/wineprefix}"
export WINEDEBUG="${WINEDEBUG:--all}"
export WINEDLLOVERRIDES="${WINEDLLOVERRIDES:-mscoree,mshtml=}"
wine=$(command -v wine64 || command -v wine || true)
[ -x /usr/lib/wine/wine64 ] && wine=/usr/lib/wine/wine64
if [ -z "$wine" ]; then echo "wine-run.sh: wine is not installed" >&2; exit 127; fi
exec "$wine" "$@"
