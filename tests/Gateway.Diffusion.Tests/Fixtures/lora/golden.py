#!/usr/bin/env python3
"""Writes merged.json: weights of named layers of the tiny exports with a forged LoRA merged in, computed with numpy
straight from the files (the ONNX initializer via onnx.numpy_helper, the LoRA pair via json + np.frombuffer) by the
formula kohya's and diffusers' loaders use: W + strength · (alpha / rank) · up @ down (no alpha: scale 1), with W in
torch's [out, in(, kh, kw)] layout; the JSON holds it in the export's stored layout (MatMul weights [in, out]).

Run from the repository root: /usr/bin/python3 tests/Gateway.Diffusion.Tests/Fixtures/lora/golden.py
"""
import json
import os

import numpy as np
import onnx
from onnx import numpy_helper

CASES = [
    # (LoRA file, key prefix, model folder, component, initializer, strength)
    ("tiny-sd-kohya", "lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn2_to_k", "tiny-sd", "unet",
     "down_blocks.1.attentions.0.transformer_blocks.0.attn2.to_k.weight", 0.8),
    ("tiny-sd-kohya", "lora_unet_down_blocks_1_resnets_0_conv1", "tiny-sd", "unet",
     "down_blocks.1.resnets.0.conv1.weight", -1.5),
    ("tiny-sd-peft", "text_encoder.text_model.encoder.layers.1.mlp.fc1", "tiny-sd", "text_encoder",
     "text_model.encoder.layers.1.mlp.fc1.weight", 0.7),
    ("tiny-sdxl-kohya", "lora_te2_text_model_encoder_layers_1_self_attn_q_proj", "tiny-sdxl", "text_encoder_2",
     "text_model.encoder.layers.1.self_attn.q_proj.weight", 1.0),
]


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    dtypes = {"F32": np.float32, "F16": np.float16}
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        out[name] = np.frombuffer(body[begin:end], dtype=dtypes[info["dtype"]]).reshape(info["shape"]).astype(np.float32)
    return out


def main():
    root = os.getcwd()
    cases = []
    for lora, prefix, folder, component, initializer, strength in CASES:
        tensors = read_safetensors(os.path.join(root, "onnx-models", "loras", lora + ".safetensors"))
        down = tensors.get(prefix + ".lora_down.weight", tensors.get(prefix + ".lora_A.weight"))
        up = tensors.get(prefix + ".lora_up.weight", tensors.get(prefix + ".lora_B.weight"))
        rank = down.shape[0]
        alpha = tensors.get(prefix + ".alpha")
        scale = float(alpha.reshape(())) / rank if alpha is not None else 1.0
        model = onnx.load(os.path.join(root, "onnx-models", folder, component, "model.onnx"))
        stored = next(numpy_helper.to_array(t) for t in model.graph.initializer if t.name == initializer).astype(np.float32)
        delta = (up.reshape(up.shape[0], rank) @ down.reshape(rank, -1))
        if stored.ndim == 2:   # MatMul weight, stored [in, out]
            merged = stored + strength * scale * delta.T
        else:                  # Conv weight [out, in, kh, kw]
            merged = stored + strength * scale * delta.reshape(stored.shape)
        cases.append({"lora": lora, "key": prefix, "model": folder, "component": component, "initializer": initializer,
                      "strength": strength, "dims": list(stored.shape), "merged": [float(v) for v in merged.reshape(-1)]})
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "merged.json"), "w") as f:
        json.dump({"cases": cases}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
