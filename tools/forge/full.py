"""Full-size random-weight Stable Diffusion 1.5 (preset `sd15-full`) for GPU timing with true shapes.

The real SD 1.5 architectures and shapes (CLIP ViT-L/14 text model, UNet2DConditionModel, AutoencoderKL
decoder and encoder), float16, in the tiny-sd-fp16 export layout and I/O, with random weights
~ N(0, 1/fan_in) (norm weights ~ N(1, 0.1²)). Not committed: the output is ~2.1 GB. Deterministic (fixed
seeds). The UNet weights go to the external data file unet/weights.pb (all tensors in one file).

Parameter counts (initializer elements; the real models' in brackets):
  text_encoder 123,060,480 (123.06 M), unet 859,520,964 (859.52 M), vae_decoder 49,490,199 (49.49 M),
  vae_encoder 34,163,664 (34.16 M, with quant_conv).
"""

import math
import os
import shutil

import numpy as np
import onnx
import onnx.shape_inference
from onnx import TensorProto, helper

import forge
from forge import Builder, LATENT_CHANNELS, MAX_POSITIONS, VOCAB, gelu, resnet

PRESET = "sd15-full"
SEED = 20261124

TEXT_HIDDEN = 768
TEXT_HEADS = 12
TEXT_INTERMEDIATE = 3072
TEXT_LAYERS = 12

UNET_CHANNELS = (320, 640, 1280, 1280)
UNET_LAYERS = 2
UNET_HEADS = 8
UNET_TIME_DIM = 4 * UNET_CHANNELS[0]
UNET_GROUPS = 32
CROSS_DIM = TEXT_HIDDEN

VAE_CHANNELS = (128, 256, 512, 512)
VAE_LAYERS = 2
VAE_GROUPS = 32

COMPONENTS = ("text_encoder", "unet", "vae_decoder", "vae_encoder")
OPSET = forge.OPSET


class FullBuilder(Builder):
    """A Builder whose model() skips the in-memory checker (the caller checks the saved file instead) and
    moves the initializers into the finished model one by one, so no second copy of the weights is held
    (and no graph over protobuf's 2 GB limit is ever copied as a whole).

    count_only: learned weights are initializers with their shapes but no data (nothing is drawn), to count
    the parameters of a graph that is never saved.
    """

    def __init__(self, name, fp16, seed, count_only=False):
        super().__init__(name, fp16, seed)
        self.count_only = count_only

    def param(self, leaf, shape, std, mean=0.0):
        if not self.count_only:
            return super().param(leaf, shape, std, mean)
        name = ".".join(self._scope + [leaf])
        self.initializers.append(TensorProto(name=name, data_type=self.float, dims=shape))
        return name

    def model(self):
        graph = helper.make_graph(self.nodes, self.name, self.inputs, self.outputs)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                                  ir_version=forge.IR_VERSION, producer_name="gateway-forge",
                                  producer_version="1.0")
        initializers, self.initializers = self.initializers, []
        initializers.reverse()
        while initializers:
            model.graph.initializer.append(initializers.pop())  # copies; ours is released right after
        return model



def param_count(model):
    return sum(int(np.prod(t.dims)) for t in model.graph.initializer)


# --- text encoder ------------------------------------------------------------------------------------
def build_text_encoder(count_only=False):
    """CLIPTextModel (ViT-L/14 text tower): the tiny forge's graph at full size."""
    b = FullBuilder("text_encoder", True, SEED + 1, count_only)
    forge.text_encoder_graph(b, TEXT_HIDDEN, TEXT_HEADS, TEXT_INTERMEDIATE, TEXT_LAYERS)
    return b.model()


# --- unet --------------------------------------------------------------------------------------------
def transformer(b, x, context, leaf, channels):
    """Transformer2DModel (SD 1.5: conv proj_in/proj_out) with one BasicTransformerBlock:
    LN-self-attn, LN-cross-attn, LN-GEGLU feed-forward (inner 4 × channels)."""
    heads = UNET_HEADS
    names = ("to_q", "to_k", "to_v", "to_out.0")
    with b.scope(leaf):
        h = b.conv(b.group_norm(x, "norm", channels, UNET_GROUPS, 1e-6), "proj_in", channels, channels, k=1)
        h = b.op("Transpose", b.op("Reshape", h, b.const([0, 0, -1])), perm=[0, 2, 1])   # B HW C
        with b.scope("transformer_blocks.0"):
            n = b.layer_norm(h, "norm1", channels)
            h = b.op("Add", h, b.attention(n, n, "attn1", channels, channels, heads, names, bias=False))
            n = b.layer_norm(h, "norm2", channels)
            h = b.op("Add", h, b.attention(n, context, "attn2", channels, CROSS_DIM, heads, names, bias=False))
            inner = 4 * channels
            with b.scope("ff"):
                f = b.linear(_ln3(b, h, channels), "net.0.proj", channels, 2 * inner)
                with b.scope("net.0"):  # GEGLU: hidden · gelu(gate)
                    hidden = b.op("Slice", f, b.const([0]), b.const([inner]), b.const([-1]))
                    gate = b.op("Slice", f, b.const([inner]), b.const([2 * inner]), b.const([-1]))
                    f = b.op("Mul", hidden, gelu(b, gate))
                f = b.linear(f, "net.2", inner, channels)
            h = b.op("Add", h, f)
        h = b.op("Reshape", b.op("Transpose", h, perm=[0, 2, 1]), b.op("Shape", x))      # B C H W
        return b.op("Add", x, b.conv(h, "proj_out", channels, channels, k=1))


def _ln3(b, h, channels):
    # norm3 belongs to the block (transformer_blocks.0.norm3), not to ff; step out of the ff scope.
    saved = b._scope.pop()
    try:
        return b.layer_norm(h, "norm3", channels)
    finally:
        b._scope.append(saved)


def upsample(b, h, like, channels):
    """Upsample2D: nearest-resize to the next skip's exact size (×2, odd latent sizes too) + conv."""
    sizes = b.op("Concat", b.op("Shape", h, end=2), b.op("Shape", like, start=2), axis=0)
    h = b.op("Resize", h, "", "", sizes, mode="nearest",
             coordinate_transformation_mode="asymmetric", nearest_mode="floor")
    return b.conv(h, "conv", channels, channels)


def build_unet(count_only=False):
    """UNet2DConditionModel of SD 1.5."""
    b = FullBuilder("unet", True, SEED + 2, count_only)
    c0 = UNET_CHANNELS[0]
    sample = b.input("sample", b.float, ["batch_size", LATENT_CHANNELS, "height", "width"])
    timestep = b.input("timestep", TensorProto.INT64, [])      # optimum: an int64 scalar, as tiny-sd-fp16
    t = b.op("Cast", timestep, to=TensorProto.FLOAT)
    context = b.input("encoder_hidden_states", b.float, ["batch_size", "sequence_length", CROSS_DIM])

    half = c0 // 2   # time_proj: flip_sin_to_cos, freq_shift 0, float32 then cast
    freqs = [math.exp(-math.log(10000.0) * i / half) for i in range(half)]
    args = b.op("Mul", b.op("Reshape", t, b.const([-1, 1])), b.const([freqs], np.float32))
    emb = b.op("Cast", b.op("Concat", b.op("Cos", args), b.op("Sin", args), axis=-1), to=TensorProto.FLOAT16)
    with b.scope("time_embedding"):
        temb = b.linear(b.silu(b.linear(emb, "linear_1", c0, UNET_TIME_DIM)), "linear_2",
                        UNET_TIME_DIM, UNET_TIME_DIM)

    def res(h, leaf, cin, cout):
        return resnet(b, h, leaf, cin, cout, UNET_GROUPS, temb, UNET_TIME_DIM)

    h = b.conv(sample, "conv_in", LATENT_CHANNELS, c0)
    skips = [(h, c0)]
    cin = c0
    for i, cout in enumerate(UNET_CHANNELS):          # CrossAttnDownBlock2D ×3, DownBlock2D
        with b.scope(f"down_blocks.{i}"):
            for j in range(UNET_LAYERS):
                h = res(h, f"resnets.{j}", cin if j == 0 else cout, cout)
                if i < 3:
                    h = transformer(b, h, context, f"attentions.{j}", cout)
                skips.append((h, cout))
            if i < 3:
                h = b.conv(h, "downsamplers.0.conv", cout, cout, stride=2)
                skips.append((h, cout))
        cin = cout

    with b.scope("mid_block"):                       # UNetMidBlock2DCrossAttn
        c = UNET_CHANNELS[-1]
        h = res(h, "resnets.0", c, c)
        h = transformer(b, h, context, "attentions.0", c)
        h = res(h, "resnets.1", c, c)

    prev = UNET_CHANNELS[-1]
    for i, cout in enumerate(reversed(UNET_CHANNELS)):   # UpBlock2D, CrossAttnUpBlock2D ×3
        with b.scope(f"up_blocks.{i}"):
            for j in range(UNET_LAYERS + 1):
                skip, cskip = skips.pop()
                h = res(b.op("Concat", h, skip, axis=1), f"resnets.{j}", (prev if j == 0 else cout) + cskip, cout)
                if i > 0:
                    h = transformer(b, h, context, f"attentions.{j}", cout)
            if i < 3:
                with b.scope("upsamplers.0"):
                    h = upsample(b, h, skips[-1][0], cout)
        prev = cout
    h = b.silu(b.group_norm(h, "conv_norm_out", c0, UNET_GROUPS, 1e-5))
    b.conv(h, "conv_out", c0, LATENT_CHANNELS, out="out_sample")
    b.output("out_sample", b.float, ["batch_size", LATENT_CHANNELS, "height", "width"])
    return b.model()


# --- vae ---------------------------------------------------------------------------------------------
def vae_resnet(b, h, leaf, cin, cout):
    return resnet(b, h, leaf, cin, cout, VAE_GROUPS, eps=1e-6)


def vae_attention(b, x, leaf, channels):
    """The VAE mid block's single-head self-attention (group_norm, to_q/k/v/out.0 with bias), residual."""
    with b.scope(leaf):
        h = b.group_norm(x, "group_norm", channels, VAE_GROUPS, 1e-6)
        h = b.op("Transpose", b.op("Reshape", h, b.const([0, 0, -1])), perm=[0, 2, 1])   # B HW C
    h = b.attention(h, h, leaf, channels, channels, 1, ("to_q", "to_k", "to_v", "to_out.0"))
    with b.scope(leaf):
        h = b.op("Reshape", b.op("Transpose", h, perm=[0, 2, 1]), b.op("Shape", x))
        return b.op("Add", x, h)


def vae_mid(b, h, c):
    with b.scope("mid_block"):
        h = vae_resnet(b, h, "resnets.0", c, c)
        h = vae_attention(b, h, "attentions.0", c)
        return vae_resnet(b, h, "resnets.1", c, c)


def build_vae_decoder(count_only=False):
    """AutoencoderKL decoder with post_quant_conv: conv_in, mid block, 4 up blocks of 3 resnets."""
    b = FullBuilder("vae_decoder", True, SEED + 3, count_only)
    n = LATENT_CHANNELS
    z = b.input("latent_sample", b.float, ["batch_size", n, "latent_height", "latent_width"])
    h = b.conv(z, "post_quant_conv", n, n, k=1)
    channels = list(reversed(VAE_CHANNELS))
    with b.scope("decoder"):
        h = b.conv(h, "conv_in", n, channels[0])
        h = vae_mid(b, h, channels[0])
        prev = channels[0]
        scales = b.const([1.0, 1.0, 2.0, 2.0], np.float32)
        for i, cout in enumerate(channels):
            with b.scope(f"up_blocks.{i}"):
                for j in range(VAE_LAYERS + 1):
                    h = vae_resnet(b, h, f"resnets.{j}", prev if j == 0 else cout, cout)
                if i < 3:
                    with b.scope("upsamplers.0"):
                        h = b.op("Resize", h, "", scales, mode="nearest",
                                 coordinate_transformation_mode="asymmetric", nearest_mode="floor")
                        h = b.conv(h, "conv", cout, cout)
            prev = cout
        h = b.silu(b.group_norm(h, "conv_norm_out", channels[-1], VAE_GROUPS, 1e-6))
        b.conv(h, "conv_out", channels[-1], 3, out="sample")
    b.output("sample", b.float, ["batch_size", 3, "height", "width"])
    return b.model()


def build_vae_encoder(count_only=False):
    """AutoencoderKL encoder + quant_conv; outputs latent_parameters (mean ++ log-variance), as tiny-sd-fp16."""
    b = FullBuilder("vae_encoder", True, SEED + 4, count_only)
    n = LATENT_CHANNELS
    x = b.input("sample", b.float, ["batch_size", 3, "height", "width"])
    with b.scope("encoder"):
        h = b.conv(x, "conv_in", 3, VAE_CHANNELS[0])
        prev = VAE_CHANNELS[0]
        for i, cout in enumerate(VAE_CHANNELS):
            with b.scope(f"down_blocks.{i}"):
                for j in range(VAE_LAYERS):
                    h = vae_resnet(b, h, f"resnets.{j}", prev if j == 0 else cout, cout)
                if i < 3:  # Downsample2D: pad (0, 1, 0, 1), 3×3 conv stride 2, no padding
                    with b.scope("downsamplers.0.conv"):
                        w = b.param("weight", [cout, cout, 3, 3], 1 / math.sqrt(cout * 9))
                        bias = b.param("bias", [cout], 0.02)
                        h = b.op("Conv", h, w, bias, kernel_shape=[3, 3], pads=[0, 0, 1, 1], strides=[2, 2])
            prev = cout
        h = vae_mid(b, h, VAE_CHANNELS[-1])
        h = b.silu(b.group_norm(h, "conv_norm_out", VAE_CHANNELS[-1], VAE_GROUPS, 1e-6))
        h = b.conv(h, "conv_out", VAE_CHANNELS[-1], 2 * n)
    b.conv(h, "quant_conv", 2 * n, 2 * n, k=1, out="latent_parameters")
    b.output("latent_parameters", b.float, ["batch_size", 2 * n, "latent_height", "latent_width"])
    return b.model()


# --- configs -----------------------------------------------------------------------------------------
def text_encoder_config():
    cfg = forge.text_encoder_config("float16")
    cfg.update({"_name_or_path": "gateway/sd15-full", "hidden_size": TEXT_HIDDEN,
                "intermediate_size": TEXT_INTERMEDIATE, "num_attention_heads": TEXT_HEADS,
                "num_hidden_layers": TEXT_LAYERS, "projection_dim": TEXT_HIDDEN})
    return cfg


def unet_config():
    cfg = forge.unet_config()
    cfg.update({"attention_head_dim": UNET_HEADS, "block_out_channels": list(UNET_CHANNELS),
                "cross_attention_dim": CROSS_DIM,
                "down_block_types": ["CrossAttnDownBlock2D"] * 3 + ["DownBlock2D"],
                "layers_per_block": UNET_LAYERS, "norm_num_groups": UNET_GROUPS,
                "up_block_types": ["UpBlock2D"] + ["CrossAttnUpBlock2D"] * 3})
    return cfg


def vae_config():
    cfg = forge.vae_config()
    cfg.update({"block_out_channels": list(VAE_CHANNELS), "layers_per_block": VAE_LAYERS,
                "norm_num_groups": VAE_GROUPS})
    return cfg


BUILDERS = {
    "text_encoder": (build_text_encoder, text_encoder_config, False),
    "unet": (build_unet, unet_config, True),
    "vae_decoder": (build_vae_decoder, vae_config, False),
    "vae_encoder": (build_vae_encoder, vae_config, False),
}


def check_saved(path):
    """onnx.checker by path, so the external data is checked too; no full_check there: onnx 1.12 would write
    the inferred shapes back into the file. Strict shape inference (what full_check adds) runs on a copy in
    memory instead."""
    onnx.checker.check_model(path)
    onnx.shape_inference.infer_shapes(onnx.load(path, load_external_data=False), check_type=True, strict_mode=True)


def count_full():
    """Builds each graph with shape-only weights and returns {component: parameter count}; writes nothing."""
    return {comp: param_count(BUILDERS[comp][0](count_only=True)) for comp in COMPONENTS}


def forge_full(out_dir, components=COMPONENTS, check=True):
    """Writes out_dir/sd15-full (deleted first). Returns {component: parameter count}."""
    root = os.path.join(out_dir, PRESET)
    if os.path.isdir(root):
        shutil.rmtree(root)
    os.makedirs(root)
    forge.write_json(os.path.join(root, "model_index.json"), forge.MODEL_INDEX)
    forge.write_json(os.path.join(root, "scheduler", "scheduler_config.json"), forge.SCHEDULER_CONFIG)
    os.makedirs(os.path.join(root, "tokenizer"))
    for name in forge.TOKENIZER_FILES:
        shutil.copyfile(os.path.join(forge.TOKENIZER_DIR, name), os.path.join(root, "tokenizer", name))
    counts = {}
    for comp in components:
        build, config, external = BUILDERS[comp]
        model = build()
        counts[comp] = param_count(model)
        folder = os.path.join(root, comp)
        forge.save(model, folder, external_data=external)   # external: unet/weights.pb, one file
        del model
        forge.write_json(os.path.join(folder, "config.json"), config())
        if check:
            check_saved(os.path.join(folder, "model.onnx"))
        print(f"  {comp}: {counts[comp]:,} parameters ({counts[comp] / 1e6:.2f} M)", flush=True)
    return counts
