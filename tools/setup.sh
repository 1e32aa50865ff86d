#!/usr/bin/env bash
# Installs the system libraries Zoetrope builds against (Debian / Ubuntu):
#   libopenblas-dev (GEMM), libncursesw5-dev (the studio), libpng-dev (frames),
#   libsqlite3-dev (the history index), libdnnl-dev (oneDNN: `--precision bf16`'s GEMMs, opened
#   at run time, so fp32 runs do without it), tmux (the studio's end-to-end test), and for the
#   studio's pixel tests real terminals on a virtual X server: xvfb, xterm, kitty with
#   libgl1-mesa-dri (Mesa's software OpenGL, which kitty draws with where there is no GPU),
#   xdotool (keys), x11-apps (xwd, screenshots), fonts-dejavu-core (the font they draw with).
# Uses sudo only when not already root. Safe to run again: installs only what is missing.
set -euo pipefail

packages=(libopenblas-dev libncursesw5-dev libpng-dev libsqlite3-dev libdnnl-dev pkg-config tmux
          xvfb xterm kitty libgl1-mesa-dri xdotool x11-apps fonts-dejavu-core)
missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "setup: all system packages present (${packages[*]})"
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
echo "setup: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
