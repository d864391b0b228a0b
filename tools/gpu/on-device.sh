#!/usr/bin/env bash
# On the GPU machine, from the checkout root, in `device` calls made back to back (the machine, and everything on it,
# goes back when it has been idle a while):
#
#   carry [".gpu/c1"]: bash tools/gpu/on-device.sh receive     … the same for c2 … cN-1
#   carry [".gpu/cN"]: bash tools/gpu/on-device.sh run [--model ID]
#   (no carry):        bash tools/gpu/on-device.sh bench [--model ID]    again, e.g. with other provider options
#
# `receive` keeps the carried part in /opt/gw/parts. `run` takes the last part too, checks and unpacks them
# (tools/gpu/stage.sh made them), forges the full-size SD 1.5 model unless --model names one under onnx-models/,
# then does what `bench` does: finds the machine's CUDA 13 and cuDNN 9 libraries and puts their folders on
# LD_LIBRARY_PATH, renders one 512² image on CUDA, and runs `bench --gpu`. Gateway reads its configuration from the
# environment, so `Gateway__CudaProviderOptions__cudnn_conv_algo_search=HEURISTIC bash …` measures a provider option.
# Everything lands in $OUT: nvidia-smi.txt, cuda-libraries.txt, provider-ldd.txt, generate.log, cuda.png, the same
# image with device-bound UNet tensors and with CUDA graphs (cuda-device-io.png, cuda-cuda-graph.png, their logs and
# device-binding.txt), bench-gpu.txt. REHEARSE_ON_CPU=1 lets the flow go on without CUDA, to rehearse it on a CPU machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
gw=${GW_DIR:-/opt/gw}
out=${OUT:-/tmp/gw-out}
rehearse=${REHEARSE_ON_CPU:-0}
mkdir -p "$gw/parts" "$out"
shopt -s nullglob
carried=(.gpu/c*/stage.tar.zst.part-*)
if (( ${#carried[@]} )); then cp "${carried[@]}" .gpu/c*/stage.sha256 "$gw/parts/"; fi
command=${1:-}
[[ $command == receive ]] && { ls "$gw/parts"; exit 0; }
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
[[ $model == sd15-full ]] && models=$gw/models
if [[ $command == run ]]; then
  parts=("$gw"/parts/stage.tar.zst.part-*)
  (( ${#parts[@]} )) || { echo "no parts in $gw/parts: carry .gpu/c1 … first" >&2; exit 1; }
  cat "${parts[@]}" > "$gw/stage.tar.zst"
  (cd "$gw" && sha256sum -c parts/stage.sha256) || { echo "the parts do not add up: were all of them received?" >&2; exit 1; }
  rm -rf "$gw/app"
  zstd -d -q -c "$gw/stage.tar.zst" | tar -C "$gw" -xf -
  rm "$gw/stage.tar.zst"
  if [[ $model == sd15-full ]]; then
    python3 tools/forge/forge.py --preset sd15-full --out "$models"
    cat > "$models/models.json" <<'JSON'
{ "models": [ { "id": "sd15-full", "family": "sd15", "native_size": "512x512", "render": "exact",
                "default_steps": 20, "default_guidance": 7.5 } ] }
JSON
  fi
fi
[[ -x $gw/app/Gateway ]] || { echo "nothing unpacked on this machine: carry the parts and use run first" >&2; exit 1; }

# The provider needs these (its NEEDED entries, and cuDNN, which it opens when a session starts). The GPU machine
# has them under PyTorch's site-packages (nvidia/*/lib) or a CUDA install: search instead of assuming a path.
needed=(libcublasLt.so.13 libcublas.so.13 libcurand.so.10 libcudart.so.13 libcudnn.so.9)
roots=(/usr/local /usr/lib /opt)
if site=$(python3 -c 'import nvidia, os; print(os.path.dirname(nvidia.__path__[0]))' 2>/dev/null); then roots=("$site" "${roots[@]}"); fi
library_path=()
: > "$out/cuda-libraries.txt"
for library in "${needed[@]}"; do
  found=$(find "${roots[@]}" -name "$library*" \( -type f -o -type l \) 2>/dev/null | head -n 1 || true)
  echo "$library: ${found:-not found}" >> "$out/cuda-libraries.txt"
  if [[ -n $found && ! " ${library_path[*]} " == *" $(dirname "$found") "* ]]; then library_path+=("$(dirname "$found")"); fi
done
if (( ${#library_path[@]} )); then
  LD_LIBRARY_PATH=$(IFS=:; echo "${library_path[*]}")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  export LD_LIBRARY_PATH
fi
echo "LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}" >> "$out/cuda-libraries.txt"
cat "$out/cuda-libraries.txt"
ldd "$gw/app/libonnxruntime_providers_cuda.so" > "$out/provider-ldd.txt" 2>&1 || true
nvidia-smi > "$out/nvidia-smi.txt" 2>&1 || true

export Gateway__ModelsDir=$models Gateway__ExecutionProvider=cuda
"$gw/app/Gateway" generate --model "$model" --prompt "a lighthouse on a cliff at dusk" \
  --size 512x512 --steps 20 --seed 42 --out "$out/cuda.png" 2>&1 | tee "$out/generate.log"
# A full-size model on the CPU would outrun the call's time limit: stop, with the reason in generate.log.
if grep -q "running on the CPU" "$out/generate.log" && [[ $rehearse != 1 ]]; then
  echo "CUDA did not load: see generate.log, cuda-libraries.txt and provider-ldd.txt" >&2
  exit 1
fi
# The same image with the UNet's tensors bound in device memory, then with CUDA graphs on top: CUDA may differ from
# the CPU, but each of these must give the bytes of the plain CUDA run (device-binding.txt says whether they do).
: > "$out/device-binding.txt"
for variant in device-io cuda-graph; do
  (
    export Gateway__DeviceIoBinding=true
    [[ $variant == cuda-graph ]] && export Gateway__CudaProviderOptions__enable_cuda_graph=1
    "$gw/app/Gateway" generate --model "$model" --prompt "a lighthouse on a cliff at dusk" \
      --size 512x512 --steps 20 --seed 42 --out "$out/cuda-$variant.png"
  ) > "$out/generate-$variant.log" 2>&1 || true
  if cmp -s "$out/cuda.png" "$out/cuda-$variant.png"; then verdict=same; else verdict=DIFFERENT; fi
  echo "$variant: $verdict bytes as cuda.png" | tee -a "$out/device-binding.txt"
done
"$gw/app/Gateway.Bench" --gpu --model "$model" 2>&1 | tee "$out/bench-gpu.txt"
