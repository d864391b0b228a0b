#!/usr/bin/env bash
# Here, on the development machine: packs what the GPU machine needs for one measuring session into carry folders
# .gpu/c1 … .gpu/cN, each small enough to travel beside the checkout in one `device` call (the tool caps the working
# tree plus what is carried at 64 MiB a call).
#
#   usage: bash tools/gpu/stage.sh       (from any folder; GPU_CHUNK_MB=46, GPU_ZSTD_LEVEL=19 by default)
#
# Contents: the benchmark published self-contained for linux-x64 (it holds the Gateway CLI too, the .NET runtime,
# and ONNX Runtime's GPU package: libonnxruntime.so and its CUDA provider), as one tar, zstd-compressed, split.
# Each folder also holds stage.sha256, the sum of the whole compressed tar, which on-device.sh checks.
set -euo pipefail
cd "$(dirname "$0")/../.."
chunk_mb=${GPU_CHUNK_MB:-46}
level=${GPU_ZSTD_LEVEL:-19}
limit_mb=64
git check-ignore -q .gpu/ || { echo ".gpu/ must be ignored by git, or the device tool would carry it all" >&2; exit 1; }

rm -rf .gpu/app .gpu/c[0-9]* .gpu/stage.tar.zst
echo "== publish (self-contained, linux-x64)"
dotnet publish bench/Gateway.Bench -c Release -r linux-x64 --self-contained -o .gpu/app -v quiet -nologo
[[ -f .gpu/app/libonnxruntime_providers_cuda.so ]] || { echo "the publish has no CUDA provider: is OnnxRuntimeFlavor=Cpu set?" >&2; exit 1; }

echo "== compress (zstd -$level)"
start=$SECONDS
tar -C .gpu -cf - app | zstd "-$level" -T0 -q -o .gpu/stage.tar.zst
echo "$(du -sm .gpu/app | cut -f1) MiB -> $(du -sm .gpu/stage.tar.zst | cut -f1) MiB in $((SECONDS - start)) s"
sum=$(cd .gpu && sha256sum stage.tar.zst)
split -b "${chunk_mb}m" -d -a 2 .gpu/stage.tar.zst .gpu/stage.tar.zst.part-
rm .gpu/stage.tar.zst

# What the tool carries besides a folder: tracked files and untracked ones git does not ignore (those that exist: a
# folder moved out of the working tree for the calls does not count).
checkout_bytes=$({ git ls-files -z --cached --others --exclude-standard | xargs -0 stat -c %s 2>/dev/null || true; } | awk '{s += $1} END {print s + 0}')
n=0
for part in .gpu/stage.tar.zst.part-*; do
  n=$((n + 1))
  mkdir -p ".gpu/c$n"
  mv "$part" ".gpu/c$n/"
  echo "$sum" > ".gpu/c$n/stage.sha256"
  call_bytes=$((checkout_bytes + $(du -sb ".gpu/c$n" | cut -f1)))
  if (( call_bytes > limit_mb * 1024 * 1024 )); then
    echo ".gpu/c$n plus the checkout is $((call_bytes / 1048576)) MiB, over $limit_mb MiB: lower GPU_CHUNK_MB" >&2
    models_bytes=$({ git ls-files -z onnx-models | xargs -0 stat -c %s 2>/dev/null || true; } | awk '{s += $1} END {print s + 0}')
    echo "The tiny models in onnx-models/ are $((models_bytes / 1048576)) MiB of the checkout, and on-device.sh's default" \
      "(sd15-full, forged on the device) reads none of them: move onnx-models/ out of the working tree for the" \
      "device calls and stage again." >&2
    exit 1
  fi
done
echo "$n carry folders, one per device call, in this order (checkout: $((checkout_bytes / 1048576)) MiB):"
du -sh .gpu/c[0-9]*
