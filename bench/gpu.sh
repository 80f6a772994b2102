#!/bin/sh
# The GPU benchmark in one command: sgemm, training steps under the cpu/gpu/auto policies,
# calibration and TensorFlow.js webgpu, written to RESULTS-gpu.md (bench/README-gpu.md).
#   bench/gpu.sh [--small | --full] [--out FILE]
# Runs either from the repository (Node and node_modules present) or from the folder that
# bench/gpu-pack.sh builds (its own node binary, dawn.node, libvulkan.so.1 and bench.mjs).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)

# Vulkan: the loader brought along (lib/) where the system has none, and the NVIDIA driver's
# ICD where the driver is installed without its Vulkan manifest (common in containers).
if [ -d "$HERE/lib" ]; then LD_LIBRARY_PATH="$HERE/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"; export LD_LIBRARY_PATH; fi
if [ -z "${VK_ICD_FILENAMES:-}" ] && ! ls /usr/share/vulkan/icd.d/nvidia_icd*.json /etc/vulkan/icd.d/nvidia_icd*.json >/dev/null 2>&1; then
  if ldconfig -p 2>/dev/null | grep -q 'libGLX_nvidia.so.0'; then
    ICD="${TMPDIR:-/tmp}/fluxion_nvidia_icd.json"
    printf '{"file_format_version":"1.0.0","ICD":{"library_path":"libGLX_nvidia.so.0","api_version":"1.3.0"}}\n' > "$ICD"
    VK_ICD_FILENAMES="$ICD"; export VK_ICD_FILENAMES
  fi
fi
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"

if [ -f "$HERE/bench.mjs" ]; then            # the packed folder
  NODE="$HERE/node"; [ -x "$NODE" ] || NODE=node
  cd "$HERE" && exec "$NODE" --experimental-wasm-relaxed-simd bench.mjs "$@"
fi
cd "$HERE/.."                                 # the repository
[ -f build/fluxion.wasm ] || npm run asbuild >/dev/null
exec node --experimental-wasm-relaxed-simd --import ./test/_helpers/register.mjs bench/gpu.bench.ts "$@"
