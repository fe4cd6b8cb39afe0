#!/bin/sh
# Install what the tests need from Debian's packages when it is missing:
# the PostgreSQL server (the test run starts a throwaway cluster), Chromium and CJK fonts.
set -eu
missing=""
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$missing postgresql"
[ -x /usr/bin/chromium ] || missing="$missing chromium"
[ -d /usr/share/fonts/opentype/noto ] && ls /usr/share/fonts/opentype/noto/NotoSansCJK* >/dev/null 2>&1 \
  || missing="$missing fonts-noto-cjk"
if [ -z "$missing" ]; then
  echo "system packages present: postgresql, chromium, fonts-noto-cjk"
  exit 0
fi
echo "installing:$missing"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
