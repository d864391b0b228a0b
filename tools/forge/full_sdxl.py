"""Full-size random-weight SDXL base (preset `sdxl-full`) for GPU timing with true shapes.

The real SDXL base 1.0 architectures and shapes, from its configs (sdxl-configs/): CLIP ViT-L/14 text model
with hidden_states outputs, OpenCLIP ViT-bigG/14 text model with projection, UNet2DConditionModel with
transformer_layers_per_block [1, 2, 10], linear proj_in/proj_out and the text_time added embedding, and the
AutoencoderKL halves (full.py's, which are SDXL's shapes too). float16, in the tiny-sdxl I/O (int64
input_ids, scalar timestep, latent_parameters) with float16 for every float input and output. Random
weights as in full.py; deterministic. Never committed: ~6.9 GB. The UNet and text_encoder_2 weights go to
external data files (model.onnx_data, as the real export names them).

Parameter counts (initializer elements; the real models' in brackets):
  text_encoder 123,060,480 (123.06 M), text_encoder_2 694,659,840 (694.66 M), unet 2,567,463,684 (2.567 B),
  vae_decoder 49,490,199 (49.49 M), vae_encoder 34,163,664 (34.16 M, with quant_conv).
"""

import os
import shutil

from onnx import TensorProto

import forge
import full
import sdxl
from forge import LATENT_CHANNELS, resnet
from full import FullBuilder, param_count

PRESET = "sdxl-full"
SEED = 20261204

TEXT_HIDDEN, TEXT_HEADS, TEXT_INTERMEDIATE, TEXT_LAYERS = 768, 12, 3072, 12          # CLIP ViT-L/14
TEXT2_HIDDEN, TEXT2_HEADS, TEXT2_INTERMEDIATE, TEXT2_LAYERS = 1280, 20, 5120, 32    # OpenCLIP ViT-bigG/14
PROJECTION_DIM = 1280

UNET_CHANNELS = (320, 640, 1280)
UNET_LAYERS = 2
TRANSFORMER_LAYERS = (1, 2, 10)       # transformer_layers_per_block; 0 for the DownBlock2D/UpBlock2D level
CROSS_ATTENTION = (False, True, True)
HEAD_DIM = 64                         # attention_head_dim [5, 10, 20] heads of 64
UNET_TIME_DIM = 4 * UNET_CHANNELS[0]
UNET_GROUPS = 32
CROSS_DIM = TEXT_HIDDEN + TEXT2_HIDDEN   # 2048
ADD_TIME_DIM = 256
TIME_IDS = 6
ADD_IN = TIME_IDS * ADD_TIME_DIM + PROJECTION_DIM   # projection_class_embeddings_input_dim 2816

COMPONENTS = ("text_encoder", "text_encoder_2", "unet", "vae_decoder", "vae_encoder")
EXTERNAL = ("text_encoder_2", "unet")     # over or near protobuf's 2 GB
DATA_FILE = "model.onnx_data"


# --- text encoders ---------------------------------------------------------------------------------
def build_text_encoder(count_only=False):
    b = FullBuilder("text_encoder", True, SEED + 1, count_only)
    forge.text_encoder_graph(b, TEXT_HIDDEN, TEXT_HEADS, TEXT_INTERMEDIATE, TEXT_LAYERS,
                             ids_type=TensorProto.INT64, hidden_states=True)
    return b.model()


def build_text_encoder_2(count_only=False):
    b = FullBuilder("text_encoder_2", True, SEED + 5, count_only)
    forge.text_encoder_graph(b, TEXT2_HIDDEN, TEXT2_HEADS, TEXT2_INTERMEDIATE, TEXT2_LAYERS,
                             ids_type=TensorProto.INT64, hidden_states=True, projection_dim=PROJECTION_DIM,
                             act="gelu")
    return b.model()


# --- unet --------------------------------------------------------------------------------------------
def transformer(b, x, context, leaf, channels, depth):
    """Transformer2DModel with use_linear_projection: GroupNorm, Linear proj_in, `depth`
    BasicTransformerBlocks (LN-self-attn, LN-cross-attn, LN-GEGLU feed-forward of 4 × channels),
    Linear proj_out, residual."""
    heads = channels // HEAD_DIM
    names = ("to_q", "to_k", "to_v", "to_out.0")
    inner = 4 * channels
    with b.scope(leaf):
        h = b.group_norm(x, "norm", channels, UNET_GROUPS, 1e-6)
        h = b.op("Transpose", b.op("Reshape", h, b.const([0, 0, -1])), perm=[0, 2, 1])   # B HW C
        h = b.linear(h, "proj_in", channels, channels)
        for i in range(depth):
            with b.scope(f"transformer_blocks.{i}"):
                n = b.layer_norm(h, "norm1", channels)
                h = b.op("Add", h, b.attention(n, n, "attn1", channels, channels, heads, names, bias=False))
                n = b.layer_norm(h, "norm2", channels)
                h = b.op("Add", h, b.attention(n, context, "attn2", channels, CROSS_DIM, heads, names,
                                               bias=False))
                n = b.layer_norm(h, "norm3", channels)
                with b.scope("ff"):
                    f = b.linear(n, "net.0.proj", channels, 2 * inner)
                    with b.scope("net.0"):  # GEGLU: hidden · gelu(gate)
                        hidden = b.op("Slice", f, b.const([0]), b.const([inner]), b.const([-1]))
                        gate = b.op("Slice", f, b.const([inner]), b.const([2 * inner]), b.const([-1]))
                        f = b.op("Mul", hidden, forge.gelu(b, gate))
                    f = b.linear(f, "net.2", inner, channels)
                h = b.op("Add", h, f)
        h = b.linear(h, "proj_out", channels, channels)
        h = b.op("Reshape", b.op("Transpose", h, perm=[0, 2, 1]), b.op("Shape", x))      # B C H W
        return b.op("Add", x, h)


def build_unet(count_only=False):
    """UNet2DConditionModel of SDXL base 1.0."""
    b = FullBuilder("unet", True, SEED + 2, count_only)
    c0 = UNET_CHANNELS[0]
    sample = b.input("sample", b.float, ["batch_size", LATENT_CHANNELS, "height", "width"])
    timestep = b.input("timestep", b.float, [])
    context = b.input("encoder_hidden_states", b.float, ["batch_size", "sequence_length", CROSS_DIM])
    text_embeds = b.input("text_embeds", b.float, ["batch_size", PROJECTION_DIM])
    time_ids = b.input("time_ids", b.float, ["batch_size", TIME_IDS])

    # time_proj and add_time_proj in float32 (as diffusers computes them), then cast
    t = b.op("Expand", b.op("Reshape", b.op("Cast", timestep, to=TensorProto.FLOAT), b.const([1])),
             b.op("Shape", sample, end=1))
    emb = b.op("Cast", forge.sinusoidal(b, t, c0), to=TensorProto.FLOAT16)
    with b.scope("time_embedding"):
        temb = b.linear(b.silu(b.linear(emb, "linear_1", c0, UNET_TIME_DIM)), "linear_2",
                        UNET_TIME_DIM, UNET_TIME_DIM)
    with b.scope("add_time_proj"):
        ids = b.op("Reshape", b.op("Cast", time_ids, to=TensorProto.FLOAT), b.const([-1]))
        time_embeds = b.op("Reshape", forge.sinusoidal(b, ids, ADD_TIME_DIM), b.const([-1, TIME_IDS * ADD_TIME_DIM]))
        add_embeds = b.op("Concat", text_embeds, b.op("Cast", time_embeds, to=TensorProto.FLOAT16), axis=-1)
    with b.scope("add_embedding"):
        aug = b.linear(b.silu(b.linear(add_embeds, "linear_1", ADD_IN, UNET_TIME_DIM)), "linear_2",
                       UNET_TIME_DIM, UNET_TIME_DIM)
    temb = b.op("Add", temb, aug)

    def res(h, leaf, cin, cout):
        return resnet(b, h, leaf, cin, cout, UNET_GROUPS, temb, UNET_TIME_DIM)

    last = len(UNET_CHANNELS) - 1
    h = b.conv(sample, "conv_in", LATENT_CHANNELS, c0)
    skips = [(h, c0)]
    cin = c0
    for i, cout in enumerate(UNET_CHANNELS):          # DownBlock2D, CrossAttnDownBlock2D ×2
        with b.scope(f"down_blocks.{i}"):
            for j in range(UNET_LAYERS):
                h = res(h, f"resnets.{j}", cin if j == 0 else cout, cout)
                if CROSS_ATTENTION[i]:
                    h = transformer(b, h, context, f"attentions.{j}", cout, TRANSFORMER_LAYERS[i])
                skips.append((h, cout))
            if i < last:
                h = b.conv(h, "downsamplers.0.conv", cout, cout, stride=2)
                skips.append((h, cout))
        cin = cout

    with b.scope("mid_block"):                       # UNetMidBlock2DCrossAttn
        c = UNET_CHANNELS[-1]
        h = res(h, "resnets.0", c, c)
        h = transformer(b, h, context, "attentions.0", c, TRANSFORMER_LAYERS[-1])
        h = res(h, "resnets.1", c, c)

    prev = UNET_CHANNELS[-1]
    for i, cout in enumerate(reversed(UNET_CHANNELS)):   # CrossAttnUpBlock2D ×2, UpBlock2D
        level = last - i
        with b.scope(f"up_blocks.{i}"):
            for j in range(UNET_LAYERS + 1):
                skip, cskip = skips.pop()
                h = res(b.op("Concat", h, skip, axis=1), f"resnets.{j}", (prev if j == 0 else cout) + cskip, cout)
                if CROSS_ATTENTION[level]:
                    h = transformer(b, h, context, f"attentions.{j}", cout, TRANSFORMER_LAYERS[level])
            if i < last:
                with b.scope("upsamplers.0"):
                    h = full.upsample(b, h, skips[-1][0], cout)
        prev = cout
    h = b.silu(b.group_norm(h, "conv_norm_out", c0, UNET_GROUPS, 1e-5))
    b.conv(h, "conv_out", c0, LATENT_CHANNELS, out="out_sample")
    b.output("out_sample", b.float, ["batch_size", LATENT_CHANNELS, "height", "width"])
    return b.model()


BUILDERS = {
    "text_encoder": build_text_encoder,
    "text_encoder_2": build_text_encoder_2,
    "unet": build_unet,
    "vae_decoder": full.build_vae_decoder,     # SD 1.5's and SDXL's VAE have the same shapes
    "vae_encoder": full.build_vae_encoder,
}


def count_full():
    """Builds each graph with shape-only weights and returns {component: parameter count}; writes nothing."""
    return {comp: param_count(BUILDERS[comp](count_only=True)) for comp in COMPONENTS}


def forge_full(out_dir, components=COMPONENTS, check=True):
    """Writes out_dir/sdxl-full (deleted first). Returns {component: parameter count}."""
    root = os.path.join(out_dir, PRESET)
    if os.path.isdir(root):
        shutil.rmtree(root)
    os.makedirs(root)
    forge.write_json(os.path.join(root, "model_index.json"), sdxl.MODEL_INDEX)
    os.makedirs(os.path.join(root, "scheduler"))
    shutil.copyfile(os.path.join(sdxl.CONFIGS_DIR, "scheduler", "scheduler_config.json"),
                    os.path.join(root, "scheduler", "scheduler_config.json"))
    sdxl.write_tokenizer(root, "tokenizer")
    sdxl.write_tokenizer(root, "tokenizer_2")
    counts = {}
    for comp in components:
        model = BUILDERS[comp]()
        counts[comp] = param_count(model)
        folder = os.path.join(root, comp)
        forge.save(model, folder, external_data=comp in EXTERNAL, location=DATA_FILE)
        del model
        # the real SDXL base's config.json (its sizes are the sizes built here)
        shutil.copyfile(os.path.join(sdxl.CONFIGS_DIR, comp, "config.json"), os.path.join(folder, "config.json"))
        if check:
            full.check_saved(os.path.join(folder, "model.onnx"))
        print(f"  {comp}: {counts[comp]:,} parameters ({counts[comp] / 1e6:.2f} M)", flush=True)
    return counts
