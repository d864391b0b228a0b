"""Golden values for VaeTilingTests: diffusers' own AutoencoderKL.tiled_decode / _tiled_encode / blend_v / blend_h,
taken from the diffusers source (autoencoder_kl.py, read with ast and run unchanged on torch), around stand-in
"decoder" and "encoder" functions simple enough to write again in C#, and tile-dependent as a real VAE's group norms are.

usage: /usr/bin/python3 make_golden.py PATH/TO/autoencoder_kl.py DIFFUSERS_REVISION
writes beside this file golden.json (shapes, origin), decoded.bin (every second row and column of the decoded
image) and encoded.bin, little-endian float32.
"""
import ast
import json
import os
import sys
import types

import torch

SOURCE, REVISION = sys.argv[1], sys.argv[2]
WANTED = {"blend_v", "blend_h", "tiled_decode", "_tiled_encode"}


class DecoderOutput:
    def __init__(self, sample):
        self.sample = sample


def diffusers_methods():
    tree = ast.parse(open(SOURCE).read())
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "AutoencoderKL")
    methods = [n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name in WANTED]
    for m in methods:
        m.decorator_list = []
    module = ast.Module(body=methods, type_ignores=[])
    namespace = {"torch": torch, "DecoderOutput": DecoderOutput}
    exec(compile(ast.fix_missing_locations(module), SOURCE, "exec"), namespace)
    return {name: namespace[name] for name in WANTED}


def stand_in_decoder(z):
    # Nearest 8x upsampling of the first three channels, scaled by the tile's mean of channel 3 (the tile dependence).
    up = z[:, :3].repeat_interleave(8, dim=2).repeat_interleave(8, dim=3)
    return up * (1 + z[:, 3:4].mean())


def stand_in_encoder(x):
    # 8x8 average pooling of the three channels, plus their mean as a fourth, doubled to "moments", scaled by the tile mean.
    pooled = torch.nn.functional.avg_pool2d(x, 8)
    moments = torch.cat([pooled, pooled.mean(dim=1, keepdim=True)], dim=1)
    return torch.cat([moments, -moments], dim=1) * (1 + x.mean())


def pattern(shape, a, b):
    n = 1
    for s in shape:
        n *= s
    i = torch.arange(n, dtype=torch.float64)
    return torch.sin(i * a + b).to(torch.float32).reshape(shape)


methods = diffusers_methods()
tile = 64  # pixels; latent tile 8
vae = types.SimpleNamespace(tile_sample_min_size=tile, tile_latent_min_size=tile // 8, tile_overlap_factor=0.25,
                            config=types.SimpleNamespace(use_post_quant_conv=False, use_quant_conv=False),
                            decoder=stand_in_decoder, encoder=stand_in_encoder)
for name, fn in methods.items():
    setattr(vae, name, types.MethodType(fn, vae))

latents = pattern((1, 4, 14, 20), 0.37, 0.1)
decoded = vae.tiled_decode(latents, return_dict=False)[0]
pixels = pattern((1, 3, 112, 160), 0.011, 0.3)
encoded = vae._tiled_encode(pixels)

here = os.path.dirname(os.path.abspath(__file__))
golden = {
    "origin": "diffusers " + REVISION + " AutoencoderKL.tiled_decode/_tiled_encode, torch " + torch.__version__ + ", make_golden.py",
    "tile_size": tile,
    "latent_shape": list(latents.shape), "latent_pattern": [0.37, 0.1],
    "pixel_shape": list(pixels.shape), "pixel_pattern": [0.011, 0.3],
    "decoded_shape": list(decoded.shape),
    "encoded_shape": list(encoded.shape),
}
with open(os.path.join(here, "golden.json"), "w") as f:
    json.dump(golden, f, indent=1)
# Every second pixel of every second row keeps the file small; the blends are 16 pixels wide.
decoded[0, :, ::2, ::2].contiguous().numpy().astype("<f4").tofile(os.path.join(here, "decoded.bin"))
encoded[0].contiguous().numpy().astype("<f4").tofile(os.path.join(here, "encoded.bin"))
print("decoded", tuple(decoded.shape), "encoded", tuple(encoded.shape))
