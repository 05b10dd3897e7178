#!/usr/bin/env bash
# Set-up on a fresh Debian machine: system packages, then the npm packages (gl builds from source).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== system packages: headless-gl build deps, Mesa's software renderer, Xvfb, a font for the PNGs, Fashion-MNIST, Chromium (browser tests)"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends \
  xvfb xauth libgl1-mesa-dri fonts-dejavu-core dataset-fashion-mnist \
  libxi-dev libxext-dev libx11-dev pkg-config libgl1-mesa-dev \
  python3 make g++ chromium python3-torch python3-numpy \
  python3-torchvision python3-onnx python3-protobuf protobuf-compiler python3-pil

echo "== node $(node --version), npm $(npm --version)"
# gl builds from source here (about 2 minutes); package.json's allowScripts lets its install script run.
npm ci --no-audit --no-fund
node -e "require('gl')" || { echo "the gl addon did not build: see the npm ci output above"; exit 1; }
# The `alexnet` command and the package run compiled JavaScript: dist/ (tsc) and the bundled page.
npm run build
