#!/bin/sh
# Gathers everything bench/gpu.sh needs on a Linux x64 machine with a GPU, no Node and no
# internet into one folder and one .tar.xz (bench/README-gpu.md): the node binary running this
# script, dawn.node from the `webgpu` package, the Vulkan loader from Debian's libvulkan1, and
# the benchmark bundled by esbuild with fluxion, its Wasm and WGSL, and TensorFlow.js inside.
#   bench/gpu-pack.sh [OUT_DIR]      (default: fluxion-gpu-bench, beside the repository)
set -eu
cd "$(dirname "$0")/.."
OUT=${1:-../fluxion-gpu-bench}
VULKAN=${VULKAN:-/usr/lib/x86_64-linux-gnu/libvulkan.so.1}
[ "$(uname -m)" = x86_64 ] || { echo "gpu-pack: build the pack on Linux x64 (its node binary is copied)" >&2; exit 1; }
[ -f "$VULKAN" ] || { echo "gpu-pack: no $VULKAN (apt-get install libvulkan1, or set VULKAN=path)" >&2; exit 1; }
[ -f node_modules/webgpu/dist/linux-x64/dawn.node ] || { echo "gpu-pack: npm install first (the webgpu package)" >&2; exit 1; }

npm run asbuild >/dev/null
rm -rf "$OUT"
mkdir -p "$OUT/lib" "$OUT/node_modules/webgpu/dist/linux-x64"
node --input-type=module -e "
import { build } from 'esbuild';
await build({ entryPoints: ['bench/gpu.bench.ts'], bundle: true, format: 'esm', platform: 'node', target: 'node20',
  outfile: process.argv[1], loader: { '.wasm': 'binary', '.wgsl': 'text' }, external: ['webgpu'], logLevel: 'warning',
  // tfjs's CommonJS files call require(); an ESM bundle gets one from createRequire
  banner: { js: \"import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);\" } });
" "$OUT/bench.mjs"
cp "$(command -v node)" "$OUT/node"
cp node_modules/webgpu/package.json node_modules/webgpu/index.js "$OUT/node_modules/webgpu/"
cp node_modules/webgpu/dist/linux-x64/dawn.node "$OUT/node_modules/webgpu/dist/linux-x64/"
cp -L "$VULKAN" "$OUT/lib/libvulkan.so.1"
cp bench/gpu.sh "$OUT/gpu.sh"
tar -C "$(dirname "$OUT")" -cf - "$(basename "$OUT")" | xz -T0 -6 > "$OUT.tar.xz"
du -sh "$OUT" "$OUT.tar.xz"
echo "copy $OUT.tar.xz to the GPU machine, then: tar xJf $(basename "$OUT").tar.xz && $(basename "$OUT")/gpu.sh"
