"""Tiny LoRA files for tiny-sd and tiny-sdxl, in the two key layouts users bring (see forge_loras).

safetensors is written by hand (8-byte little-endian header length, a JSON header of
{name: {dtype, shape, data_offsets}} padded with spaces to 8 bytes, then the raw little-endian data), so the forge
needs no safetensors package and the bytes are deterministic (sorted keys, fixed seeds).

The layers' shapes follow the tiny exports (forge.py / sdxl.py sizes); the random A/B are scaled so that the
merged change of each weight is about a third of the weight itself, which moves the images visibly.
"""

import json
import math
import os

import numpy as np

SEED = 20261202

# (module path, in features, out features, kernel) of the tiny exports' layers the LoRAs adapt.
SD_UNET = [
    ("down_blocks.1.attentions.0.transformer_blocks.0.attn2.to_q", 32, 32, None),
    ("down_blocks.1.attentions.0.transformer_blocks.0.attn2.to_k", 16, 32, None),
    ("down_blocks.1.attentions.0.transformer_blocks.0.attn2.to_v", 16, 32, None),
    ("down_blocks.1.attentions.0.transformer_blocks.0.attn2.to_out.0", 32, 32, None),
    ("down_blocks.1.attentions.0.proj_in", 32, 32, 1),       # LoCon 1×1
    ("down_blocks.1.resnets.0.conv1", 16, 32, 3),            # LoCon 3×3
]
SD_TEXT = [
    ("text_model.encoder.layers.0.self_attn.q_proj", 16, 16, None),
    ("text_model.encoder.layers.0.self_attn.v_proj", 16, 16, None),
    ("text_model.encoder.layers.1.mlp.fc1", 16, 64, None),
]
SDXL_UNET = [
    ("down_blocks.1.attentions.0.transformer_blocks.0.attn2.to_q", 32, 32, None),
    ("down_blocks.1.attentions.0.transformer_blocks.0.attn2.to_k", 40, 32, None),
    ("down_blocks.1.attentions.0.transformer_blocks.0.attn2.to_v", 40, 32, None),
    ("down_blocks.1.attentions.0.proj_in", 32, 32, None),    # SDXL's linear projection
]
SDXL_TEXT_1 = [("text_model.encoder.layers.0.self_attn.k_proj", 16, 16, None)]
SDXL_TEXT_2 = [("text_model.encoder.layers.1.self_attn.q_proj", 24, 24, None),
               ("text_model.encoder.layers.0.mlp.fc1", 24, 64, None)]

RANK = 4
ALPHA = 2.0


def write_safetensors(path, tensors, metadata=None):
    """tensors: {name: numpy array} (float16, float32); written in sorted name order."""
    dtypes = {np.dtype(np.float32): "F32", np.dtype(np.float16): "F16"}
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        array = np.asarray(tensors[name])  # ascontiguousarray would make a 0-d alpha 1-d
        data = array.astype(array.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": dtypes[array.dtype], "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":"), sort_keys=True).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(len(text).to_bytes(8, "little"))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def pair(rng, cin, cout, kernel):
    """LoRA down (A) [r, in(, k, k)] and up (B) [out, r(, 1, 1)]; ΔW = (α/r)·B·A has std ≈ 0.3/√(in·k²)."""
    fan_in = cin * (kernel or 1) ** 2
    down = rng.standard_normal((RANK, fan_in), dtype=np.float32) / np.float32(math.sqrt(fan_in))
    up = rng.standard_normal((cout, RANK), dtype=np.float32) * np.float32(0.6 / math.sqrt(RANK))
    if kernel is not None:
        return down.reshape(RANK, cin, kernel, kernel), up.reshape(cout, RANK, 1, 1)
    return down, up


def kohya(rng, prefix, layers, dtype):
    tensors = {}
    for module, cin, cout, kernel in layers:
        down, up = pair(rng, cin, cout, kernel)
        key = prefix + module.replace(".", "_")
        tensors[key + ".lora_down.weight"] = down.astype(dtype)
        tensors[key + ".lora_up.weight"] = up.astype(dtype)
        tensors[key + ".alpha"] = np.asarray(ALPHA, dtype=dtype)
    return tensors


def peft(rng, prefix, layers):
    """diffusers' save_lora_weights layout: no alpha (scale 1)."""
    tensors = {}
    for module, cin, cout, kernel in layers:
        down, up = pair(rng, cin, cout, kernel)
        tensors[f"{prefix}{module}.lora_A.weight"] = down * np.float32(math.sqrt(ALPHA / RANK))
        tensors[f"{prefix}{module}.lora_B.weight"] = up * np.float32(math.sqrt(ALPHA / RANK))
    return tensors


def forge_loras(out_dir):
    """Writes DIR/tiny-sd-kohya, tiny-sd-peft, tiny-sdxl-kohya, tiny-sdxl-peft (.safetensors); kohya ones in float16
    with alpha (as kohya's trainer saves), PEFT ones in float32 without."""
    os.makedirs(out_dir, exist_ok=True)
    rng = np.random.default_rng(SEED)
    files = {
        "tiny-sd-kohya": {**kohya(rng, "lora_unet_", SD_UNET, np.float16), **kohya(rng, "lora_te_", SD_TEXT, np.float16)},
        "tiny-sd-peft": {**peft(rng, "unet.", SD_UNET[:4]), **peft(rng, "text_encoder.", SD_TEXT)},
        "tiny-sdxl-kohya": {**kohya(rng, "lora_unet_", SDXL_UNET, np.float16), **kohya(rng, "lora_te1_", SDXL_TEXT_1, np.float16),
                            **kohya(rng, "lora_te2_", SDXL_TEXT_2, np.float16)},
        "tiny-sdxl-peft": {**peft(rng, "unet.", SDXL_UNET), **peft(rng, "text_encoder_2.", SDXL_TEXT_2)},
    }
    for name, tensors in files.items():
        write_safetensors(os.path.join(out_dir, name + ".safetensors"), tensors, {"format": "pt"})
    return list(files)
