#!/usr/bin/env bash
# Here, on the development machine: packs everything the GPU machine needs for one measuring session into carry
# folders .gpu/c1 … .gpu/cN, each small enough to travel with the checkout in one `device` call (the tool caps the
# working tree plus what is carried at 64 MiB; the checkout itself takes about 11 MB).
#
#   usage: bash tools/gpu/stage.sh            (from the checkout root; .gpu must be ignored: see docs/gpu.md)
#
# Contents: ../shared/gpu's parts (the .NET runtime, ONNX Runtime 1.29's core and CUDA provider, its unpack script)
# and the benchmark published with the Plugin flavour, which also holds the Gateway CLI. One tar, split.
set -euo pipefail
cd "$(dirname "$0")/../.."
chunk_mb=${GPU_CHUNK_MB:-46}
grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || echo /.gpu/ >> .git/info/exclude
if [[ ! -f .gpu/p1/dotnet.tar.zst || ! -f .gpu/p4/native.tar.zst.part-2 ]]; then
  bash ../shared/gpu/pack-ort-cuda.sh .gpu
fi
rm -rf .gpu/bench
dotnet publish bench/Gateway.Bench -c Release -p:OnnxRuntimeFlavor=Plugin -r linux-x64 --self-contained false \
  -o .gpu/bench -v quiet -nologo
rm -rf .gpu/c[0-9]* .gpu/stage.tar
tar -C .gpu -cf .gpu/stage.tar p1/dotnet.tar.zst p1/unpack-on-device.sh p2 p3 p4 bench
split -b "${chunk_mb}m" -d -a 2 .gpu/stage.tar .gpu/stage.tar.part-
rm .gpu/stage.tar
n=0
for part in .gpu/stage.tar.part-*; do
  n=$((n + 1))
  mkdir -p ".gpu/c$n"
  mv "$part" ".gpu/c$n/"
done
echo "$n carry folders, one per device call, in this order:"
du -sh .gpu/c[0-9]*
