#!/usr/bin/env bash
# Installs the Debian packages Image Space needs to build, run and test. Only what is missing is installed, so it is
# cheap to run every time (setup.sh and test.sh both do).
#   libraw-dev, gcc, libc6-dev  build the LibRaw helper (native/imagespace-libraw.c) against the installed headers
#   libraw-bin                  dcraw_emu: the reference the bench compares with
#   libimage-exiftool-perl      exiftool: copies EXIF/XMP/GPS from the RAW into outputs (runtime)
#   libgtk-3-0                  needed by OpenCvSharp's native library (chart detection)
#   openexr, libopenexr-dev, g++, pkg-config, imagemagick-6.q16hdri, libtiff-tools
#                               independent readers the tests check our outputs with
#   chromium                    the real browser the UI tests drive (Playwright cannot download one here)
#   postgresql                  the farm tests start a throwaway cluster (initdb + pg_ctl on a loopback port)
#   curl, passwd, util-linux    the security tests act as a second local user (useradd, runuser, curl)
#   rawtherapee (--bench)       rawtherapee-cli: bench `film` runs its Film Negative mode side by side
set -euo pipefail
pkgs=(libraw-dev gcc libc6-dev libraw-bin libimage-exiftool-perl libgtk-3-0)
if [ "${1:-}" = "--test" ]; then
  pkgs+=(openexr libopenexr-dev g++ pkg-config imagemagick-6.q16hdri libtiff-tools chromium postgresql curl passwd util-linux)
fi
if [ "${1:-}" = "--bench" ]; then pkgs+=(rawtherapee); fi
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v dotnet >/dev/null || { echo "error: the .NET 10 SDK (dotnet) is required" >&2; exit 1; }
