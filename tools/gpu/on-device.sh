#!/usr/bin/env bash
# On the GPU machine, from the checkout root, in `device` calls made back to back (a machine is given back 30 s
# after its last call, and everything on it with it):
#
#   carry [".gpu/c1"]: bash tools/gpu/on-device.sh receive     … the same for c2 … cN-1
#   carry [".gpu/cN"]: bash tools/gpu/on-device.sh run [--model ID]
#   (no carry):        bash tools/gpu/on-device.sh bench [--model ID]    again, e.g. with other provider options
#
# `receive` keeps the carried chunk in /opt/gw/chunks. `run` takes the last chunk too, assembles and unpacks them
# (../shared/gpu/unpack-on-device.sh), forges the full-size SD 1.5 model unless --model names one under
# onnx-models/, then benches as `bench` does: one image rendered on CUDA, then `bench --gpu`. Gateway reads its
# configuration from the environment, so `Gateway__CudaProviderOptions__cudnn_conv_algo_search=HEURISTIC bash …`
# measures a provider option. Everything lands in $OUT: nvidia-smi.txt, generate.log, cuda.png, bench-gpu.txt.
set -euo pipefail
cd "$(dirname "$0")/../.."
gw=/opt/gw  # where ../shared/gpu/unpack-on-device.sh puts the runtime and ONNX Runtime
out=${OUT:-/tmp/gw-out}
mkdir -p "$gw/chunks" "$out"
shopt -s nullglob
carried=(.gpu/c*/stage.tar.part-*)
if (( ${#carried[@]} )); then cp "${carried[@]}" "$gw/chunks/"; fi
command=${1:-}
[[ $command == receive ]] && { ls "$gw/chunks"; exit 0; }
[[ $command == run || $command == bench ]] || { echo "usage: on-device.sh receive | run [--model ID] | bench [--model ID]" >&2; exit 2; }
shift
model=sd15-full
while [[ $# -gt 0 ]]; do
  case $1 in
    --model) model=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

models=$PWD/onnx-models
[[ $model == sd15-full ]] && models=/tmp/gw-models
if [[ $command == run ]]; then
  rm -rf "$gw/stage" && mkdir -p "$gw/stage" "$gw/parts"
  cat "$gw"/chunks/stage.tar.part-* | tar -C "$gw/stage" -xf -
  cp "$gw"/stage/p[234]/native.tar.zst.part-* "$gw/parts/"
  bash "$gw/stage/p1/unpack-on-device.sh" "$gw/stage"
  if [[ $model == sd15-full ]]; then
    python3 tools/forge/forge.py --preset sd15-full --out "$models"
    cat > "$models/models.json" <<'JSON'
{ "models": [ { "id": "sd15-full", "family": "sd15", "native_size": "512x512", "render": "exact",
                "default_steps": 20, "default_guidance": 7.5 } ] }
JSON
  fi
fi
[[ -f $gw/env.sh ]] || { echo "nothing unpacked on this machine: carry the chunks and use run first" >&2; exit 1; }
# shellcheck disable=SC1091
source "$gw/env.sh"
nvidia-smi > "$out/nvidia-smi.txt" 2>&1 || true
export Gateway__ModelsDir=$models Gateway__ExecutionProvider=cuda
export Gateway__CudaProviderLibrary=${CUDA_PROVIDER_LIBRARY:-$gw/ort/libonnxruntime_providers_cuda.so}
dotnet "$gw/stage/bench/Gateway.dll" generate --model "$model" --prompt "a lighthouse on a cliff at dusk" \
  --size 512x512 --steps 20 --seed 42 --out "$out/cuda.png" 2>&1 | tee "$out/generate.log"
# A full-size model on the CPU would outrun the call's time limit: stop, with the reason in generate.log.
# REHEARSE_ON_CPU=1 goes on regardless, to rehearse the flow on a machine without a GPU (with --model tiny-sd-fp16).
if grep -q "running on the CPU" "$out/generate.log" && [[ ${REHEARSE_ON_CPU:-0} != 1 ]]; then
  echo "CUDA did not load: see generate.log" >&2
  exit 1
fi
dotnet "$gw/stage/bench/Gateway.Bench.dll" --gpu --model "$model" 2>&1 | tee "$out/bench-gpu.txt"
