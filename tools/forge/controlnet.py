"""Tiny ControlNets, "ControlNet UNets" and control-image annotators for tiny-sd and tiny-sdxl.

The layout is OnnxStack / TensorStack's, which lets a request pick its ControlNet: a ControlNet per control type
(onnx-models/controlnets/<id>/model.onnx) and the base model's ControlNet UNet (<model>/controlnet/model.onnx),
the usual UNet plus diffusers' residual inputs.

ControlNet (diffusers ControlNetModel, at the tiny UNet's sizes): inputs `sample`, `timestep` (the base UNet's
style), `encoder_hidden_states`, SDXL's `text_embeds` / `time_ids`, `controlnet_cond` [B, 3, 8h, 8w] in [0, 1],
`conditioning_scale` (float scalar). controlnet_cond_embedding (conv stack, three stride-2 convs: pixel → latent
size) is added to conv_in(sample); the down path is the tiny UNet's (ResNet + downsampler, ResNet + cross-attention);
each down-path sample goes through its controlnet_down_blocks.{i} 1×1 conv, the bottom through controlnet_mid_block,
all times conditioning_scale. Outputs, as diffusers names them for this block structure (2 down blocks, 1 layer
each: conv_in, resnet, downsampler, resnet+attention; SD 1.5's 4 blocks × 2 layers give 12, SDXL's 3 give 9):
  down_block_0_additional_residual  [B, 16, h, w]      conv_in
  down_block_1_additional_residual  [B, 16, h, w]      down_blocks.0.resnets.0
  down_block_2_additional_residual  [B, 16, h/2, w/2]  down_blocks.0.downsamplers.0
  down_block_3_additional_residual  [B, 32, h/2, w/2]  down_blocks.1.attentions.0
  mid_block_additional_residual     [B, 32, h/2, w/2]  the bottom (the tiny UNet has no mid block)

ControlNet UNet: the base UNet's graph and weights (same seed) with those five inputs. As in diffusers'
UNet2DConditionModel, residual 1 is added to the skip connection the up path concatenates and the mid residual to the
bottom state. The tiny UNet's simplified up path has no consumer of down-path samples 0, 2 and 3, so their residuals
enter through fixed 1×1 convs without bias (`controlnet_skip.{i}`) at the matching resolution: every residual steers
the output, and with zero residuals the ControlNet UNet computes exactly what the base UNet computes.

Annotators (OnnxStack's feature-extractor contract: one image input [B, 3, H, W] in [0, 1], one map output of the
same size): depth (`pixel_values` → `predicted_depth` [B, H, W], unnormalised inverse depth, as DPT/MiDaS exports),
softedge (HED: `input` → `output` [B, 1, H, W] in (0, 1)) and openpose (`input` → `output` [B, 3, H, W], a rendered
pose map in (0, 1)). Random convs, so the maps follow the image's structure without meaning anything.
"""

import math
import os

import numpy as np
from onnx import TensorProto

import onnx

import forge
import sdxl as sdxl_module
from forge import Builder

SD_SEED = 20261210
SDXL_SEED = 20261220
ANNOTATOR_SEED = 20261230
CONTROL_TYPES = ("canny", "depth", "openpose", "softedge")
COND_CHANNELS = (8, 8, 16, 16)   # conditioning_embedding_out_channels (real: 16, 32, 96, 256)
RESIDUAL_GAIN = 0.5              # the "zero convs" are trained away from zero; random ones at half gain
SDXL_ADD_TIME_DIM = sdxl_module.ADD_TIME_DIM
RESIDUAL_NAMES = [f"down_block_{i}_additional_residual" for i in range(4)] + ["mid_block_additional_residual"]


class UNetResiduals:
    """The ControlNet UNet's residual inputs and where they join the tiny UNet (see the module docstring)."""

    def __init__(self, b, seed, elem_type):
        c0, c1 = forge.UNET_CHANNELS
        self.b = b
        self.rng = np.random.default_rng(seed)
        full, half = ["height", "width"], ["half_height", "half_width"]
        shapes = [[c0] + full, [c0] + full, [c0] + half, [c1] + half, [c1] + half]
        self.inputs = [b.input(name, elem_type, ["batch_size"] + shape) for name, shape in zip(RESIDUAL_NAMES, shapes)]

    def _skip_conv(self, x, i, channels):
        w = self.rng.standard_normal([channels, channels, 1, 1], dtype=np.float32) / math.sqrt(channels)
        with self.b.scope(f"controlnet_skip.{i}"):
            return self.b.op("Conv", x, self.b.tensor("weight", w), kernel_shape=[1, 1])

    def add_to_skip(self, skip):
        return self.b.op("Add", skip, self.inputs[1])

    def add_to_bottom(self, h):
        b = self.b
        h = b.op("Add", h, self.inputs[4])
        return b.op("Add", h, self._skip_conv(self.inputs[3], 3, forge.UNET_CHANNELS[1]))

    def add_to_up(self, h, skip):
        b = self.b
        c0 = forge.UNET_CHANNELS[0]
        sizes = b.op("Concat", b.op("Shape", self.inputs[2], end=2), b.op("Shape", skip, start=2), axis=0)
        r2 = b.op("Resize", self.inputs[2], "", "", sizes, mode="nearest",
                  coordinate_transformation_mode="asymmetric", nearest_mode="floor")
        h = b.op("Add", h, self._skip_conv(self.inputs[0], 0, c0))
        return b.op("Add", h, self._skip_conv(r2, 2, c0))


def controlnet_graph(b, timestep, context_dim, time_ids=0, text_embeds_dim=0, add_time_dim=0, linear_projection=False):
    c0, c1 = forge.UNET_CHANNELS
    sample = b.input("sample", b.float, ["batch_size", forge.LATENT_CHANNELS, "height", "width"])
    t, context, added = forge.unet_conditioning_inputs(b, sample, timestep, context_dim, time_ids, text_embeds_dim)
    cond = b.input("controlnet_cond", b.float, ["batch_size", 3, "image_height", "image_width"])
    scale = b.input("conditioning_scale", b.float, [])
    temb = forge.unet_time_embedding(b, t, added, time_ids, text_embeds_dim, add_time_dim)

    h = b.conv(sample, "conv_in", forge.LATENT_CHANNELS, c0)
    with b.scope("controlnet_cond_embedding"):
        e = b.silu(b.conv(cond, "conv_in", 3, COND_CHANNELS[0]))
        for i in range(len(COND_CHANNELS) - 1):
            cin, cout = COND_CHANNELS[i], COND_CHANNELS[i + 1]
            e = b.silu(b.conv(e, f"blocks.{2 * i}", cin, cin, gain=1.4))
            e = b.silu(b.conv(e, f"blocks.{2 * i + 1}", cin, cout, stride=2, gain=1.4))   # ceil(size / 2)
        e = b.conv(e, "conv_out", COND_CHANNELS[-1], c0, gain=2.0)
    h = b.op("Add", h, e)
    samples = [h]
    with b.scope("down_blocks.0"):
        h = forge.resnet(b, h, "resnets.0", c0, c0, forge.UNET_GROUPS, temb, forge.UNET_TIME_DIM)
        samples.append(h)
        h = b.conv(h, "downsamplers.0.conv", c0, c0, stride=2)
        samples.append(h)
    with b.scope("down_blocks.1"):
        h = forge.resnet(b, h, "resnets.0", c0, c1, forge.UNET_GROUPS, temb, forge.UNET_TIME_DIM)
        h = forge.transformer(b, h, context, "attentions.0", c1, forge.UNET_GROUPS, context_dim, linear_projection)
        samples.append(h)

    dims = [["height", "width"]] * 2 + [["half_height", "half_width"]] * 3
    for i, x in enumerate(samples + [h]):
        channels = c1 if i >= 3 else c0
        leaf = "controlnet_mid_block" if i == 4 else f"controlnet_down_blocks.{i}"
        residual = b.conv(x, leaf, channels, channels, k=1, gain=RESIDUAL_GAIN)
        b.op("Mul", residual, scale, out=RESIDUAL_NAMES[i])
        b.output(RESIDUAL_NAMES[i], b.float, ["batch_size", channels] + dims[i])
    return b.model()


def controlnet_config(sdxl, context_dim):
    """diffusers' ControlNetModel config.json at the tiny sizes."""
    config = {
        "_class_name": "ControlNetModel",
        "_diffusers_version": "0.19.0.dev0" if sdxl else "0.16.0.dev0",
        "act_fn": "silu",
        "addition_embed_type": "text_time" if sdxl else None,
        "addition_time_embed_dim": SDXL_ADD_TIME_DIM if sdxl else None,
        "attention_head_dim": [forge.UNET_HEADS] * 2 if sdxl else forge.UNET_HEADS,
        "block_out_channels": list(forge.UNET_CHANNELS),
        "conditioning_channels": 3,
        "conditioning_embedding_out_channels": list(COND_CHANNELS),
        "controlnet_conditioning_channel_order": "rgb",
        "cross_attention_dim": context_dim,
        "down_block_types": ["DownBlock2D", "CrossAttnDownBlock2D"],
        "downsample_padding": 1,
        "flip_sin_to_cos": True,
        "freq_shift": 0,
        "in_channels": forge.LATENT_CHANNELS,
        "layers_per_block": 1,
        "mid_block_scale_factor": 1,
        "norm_eps": 1e-05,
        "norm_num_groups": forge.UNET_GROUPS,
        "use_linear_projection": sdxl,
    }
    if sdxl:
        config["projection_class_embeddings_input_dim"] = 6 * SDXL_ADD_TIME_DIM + sdxl_module.PROJECTION_DIM
    return config


def _sd_args():
    return dict(timestep="float-batch", context_dim=forge.TEXT_HIDDEN)


def _sdxl_args():
    return dict(timestep="float-scalar", context_dim=sdxl_module.context_dim(False), time_ids=6,
                text_embeds_dim=sdxl_module.PROJECTION_DIM, add_time_dim=SDXL_ADD_TIME_DIM, linear_projection=True)


def build_controlnet_unet(family):
    """tiny-sd's (or tiny-sdxl's) UNet, same seed and weights, with the residual inputs."""
    if family == "sdxl":
        return forge.unet_graph(Builder("unet", False, sdxl_module.SEED + 2), control_seed=SDXL_SEED, **_sdxl_args())
    return forge.unet_graph(Builder("unet", False, forge.SEED + 2), control_seed=SD_SEED, **_sd_args())


def build_controlnet(family, index):
    seed = (SDXL_SEED if family == "sdxl" else SD_SEED) + 1 + index
    args = _sdxl_args() if family == "sdxl" else _sd_args()
    return controlnet_graph(Builder("controlnet", False, seed), **args)


# --- annotators ----------------------------------------------------------------------------------------
def _annotator_trunk(b, x, channels_out, stride):
    h = b.silu(b.conv(x, "conv_in", 3, 8, stride=stride, gain=1.4))
    h = b.silu(b.conv(h, "conv_mid", 8, 8, gain=1.4))
    h = b.conv(h, "conv_out", 8, channels_out, gain=1.4)
    if stride > 1:  # back to the input's exact size
        sizes = b.op("Concat", b.op("Shape", h, end=2), b.op("Shape", x, start=2), axis=0)
        h = b.op("Resize", h, "", "", sizes, mode="linear", coordinate_transformation_mode="half_pixel")
    return h


def build_depth():
    b = Builder("depth", False, ANNOTATOR_SEED)
    x = b.input("pixel_values", TensorProto.FLOAT, ["batch_size", 3, "height", "width"])
    h = b.op("Softplus", _annotator_trunk(b, x, 1, stride=2))
    b.op("Squeeze", h, b.const([1]), out="predicted_depth")
    b.output("predicted_depth", TensorProto.FLOAT, ["batch_size", "height", "width"])
    return b.model()


def build_softedge():
    b = Builder("hed", False, ANNOTATOR_SEED + 1)
    x = b.input("input", TensorProto.FLOAT, ["batch_size", 3, "height", "width"])
    b.op("Sigmoid", _annotator_trunk(b, x, 1, stride=1), out="output")
    b.output("output", TensorProto.FLOAT, ["batch_size", 1, "height", "width"])
    return b.model()


def build_openpose():
    b = Builder("openpose", False, ANNOTATOR_SEED + 2)
    x = b.input("input", TensorProto.FLOAT, ["batch_size", 3, "height", "width"])
    b.op("Sigmoid", _annotator_trunk(b, x, 3, stride=2), out="output")
    b.output("output", TensorProto.FLOAT, ["batch_size", 3, "height", "width"])
    return b.model()


ANNOTATORS = {"depth": build_depth, "softedge": build_softedge, "openpose": build_openpose}


def write_controlnet_unet(root, family):
    """<model>/controlnet/: the ControlNet UNet beside the model's own unet/ (its config is the UNet's)."""
    forge.save(build_controlnet_unet(family), os.path.join(root, "controlnet"))
    config = sdxl_module.unet_config(False) if family == "sdxl" else forge.unet_config()
    forge.write_json(os.path.join(root, "controlnet", "config.json"), config)


def forge_controlnets(out_dir):
    """Writes out_dir/<family>-<type>/ for every control type and out_dir/annotators/; returns the folder names."""
    names = []
    for family, prefix, context_dim in (("sd", "tiny-sd", forge.TEXT_HIDDEN),
                                        ("sdxl", "tiny-sdxl", sdxl_module.context_dim(False))):
        for index, control in enumerate(CONTROL_TYPES):
            folder = os.path.join(out_dir, f"{prefix}-{control}")
            forge.save(build_controlnet(family, index), folder)
            forge.write_json(os.path.join(folder, "config.json"), controlnet_config(family == "sdxl", context_dim))
            names.append(f"{prefix}-{control}")
    os.makedirs(os.path.join(out_dir, "annotators"), exist_ok=True)
    for name, build in ANNOTATORS.items():
        onnx.save_model(build(), os.path.join(out_dir, "annotators", f"{name}.onnx"))
    return names
