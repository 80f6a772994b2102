#!/usr/bin/env bash
# Installs what the WebGPU tests need on a fresh Debian 12 machine (run as root by .ci/run):
# libvulkan1 (the Vulkan loader Dawn opens) and Debian's chromium, which ships SwiftShader,
# a CPU Vulkan driver (/usr/lib/chromium/vk_swiftshader_icd.json). Idempotent: does nothing
# when both are installed. Use with
#   VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json XDG_RUNTIME_DIR=/tmp
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
PKGS=(libvulkan1 chromium)
ICD=/usr/lib/chromium/vk_swiftshader_icd.json

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  apt-get update -q
  apt-get install -y -q "${missing[@]}"
fi
[[ -f "$ICD" ]] || { echo "install-gpu: $ICD missing after install" >&2; exit 1; }
echo "install-gpu: ok (${PKGS[*]}; ICD $ICD)"
