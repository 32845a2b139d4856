#!/usr/bin/env bash
# Install the Debian packages the hotline needs, only those missing (fast when all are present).
set -euo pipefail
need=()
have() { command -v "$1" >/dev/null 2>&1; }
have psql || need+=(postgresql)
[ -d /etc/postgresql ] || need+=(postgresql)
have redis-server || need+=(redis-server)
have debootstrap || need+=(debootstrap)
have espeak-ng || need+=(espeak-ng)
have sox || need+=(sox)
have chromium || need+=(chromium)
[ -d /usr/share/fonts/truetype/wqy ] || need+=(fonts-wqy-microhei)
python3 -c 'import ensurepip, venv' 2>/dev/null || need+=(python3-venv)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
echo "installing system packages: ${need[*]}"
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
