#!/usr/bin/env python3
"""Forge tiny, random-weight Stable Diffusion (1.x and XL) and Flux ONNX models for Gateway's tests.

The models use the real diffusers/optimum ONNX export layout (model_index.json, scheduler/, tokenizer/,
text_encoder/, unet/, vae_decoder/, vae_encoder/) and the real input/output names, element types and
symbolic dims, so the server's loading code runs on them unchanged. Graphs are small but structurally
faithful (CLIP text transformer, UNet with time embedding, ResNet blocks, cross-attention and a skip
connection, KL-VAE decoder/encoder), with random weights scaled so activations stay O(1). The VAE halves
also carry the colour on fixed-weight shortcuts, so decode(encode(x)) ≈ x (img2img at strength 0).

Eight variants, two SD 1.x:
  tiny-sd       float32 everywhere; unet `timestep` is float32 [batch_size] (diffusers converter style);
                vae_encoder outputs `latent_sample` (the mean); weights inline.
  tiny-sd-fp16  float16 for every float input, output and weight; unet `timestep` is an int64 scalar
                (optimum style); vae_encoder outputs `latent_parameters` (mean ++ log-variance); the unet
                weights live in the external data file unet/weights.pb.
and three SDXL (float32; see sdxl.py):
  tiny-sdxl          StableDiffusionXLPipeline, optimum ≥ 1.24 I/O: int64 input_ids, two text encoders
                     with hidden_states outputs (text_encoder_2 with text_embeds), unet `timestep` a float32
                     scalar plus `text_embeds` and `time_ids` [B, 6], vae_encoder `latent_parameters`.
  tiny-sdxl-legacy   the same weights in the 2023 optimum I/O: int32 input_ids, `timestep` float32
                     [batch_size], vae_encoder `latent_sample`.
  tiny-sdxl-refiner  StableDiffusionXLImg2ImgPipeline: tokenizer_2/text_encoder_2 only, `time_ids` [B, 5].
one SD 1.5 inpainting model:
  tiny-sd-inpaint  tiny-sd's text encoder and VAE with a UNet of its own whose `sample` has 9 channels
                   (latents ‖ mask ‖ masked-image latents, as StableDiffusionInpaintPipeline feeds it);
and two Flux (float32; see flux.py): tiny-flux-schnell and tiny-flux-dev (CLIP + T5 encoders, a transformer
on 2×2-packed 16-channel latents, the 16-channel VAE halves with Flux's scaling and shift).

With all variants it also writes loras/: tiny LoRA files for tiny-sd and tiny-sdxl in kohya and PEFT key
layouts (see lora.py).

The output is deterministic (fixed seeds, no timestamps, fixed JSON key order), so CI can regenerate it
and `diff -r` it against the committed copy. Needs only numpy and onnx (Debian: python3-numpy python3-onnx).

It also writes small broken models (--fixtures) for the load-time validation tests.

With --preset sd15-full (or sdxl-full) it writes instead a full-size random-weight SD 1.5 (or SDXL base):
real architectures and shapes, fp16, ~2.1 GB (~6.9 GB); see full.py (full_sdxl.py). For GPU timing; never
into the repository. --count-only builds a preset's graphs without weights and prints parameter counts.

Usage: /usr/bin/python3 tools/forge/forge.py [--out DIR [--variant VARIANT|all]] [--fixtures DIR]
       /usr/bin/python3 tools/forge/forge.py --preset sd15-full|sdxl-full (--out /tmp/models | --count-only)
  --out onnx-models                                                 the tiny models
  --fixtures tests/Gateway.Diffusion.Tests/Fixtures/broken-models   the broken-model fixtures
"""

import argparse
import contextlib
import json
import math
import os
import shutil

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
IR_VERSION = 8
SEED = 20261123
VARIANTS = ("tiny-sd", "tiny-sd-fp16", "tiny-sdxl", "tiny-sdxl-legacy", "tiny-sdxl-refiner", "tiny-flux-schnell",
            "tiny-flux-dev", "tiny-sd-inpaint")

HERE = os.path.dirname(os.path.abspath(__file__))
TOKENIZER_DIR = os.path.join(HERE, "..", "..", "tests", "Gateway.Diffusion.Tests", "Fixtures", "clip")
TOKENIZER_FILES = ("merges.txt", "special_tokens_map.json", "tokenizer_config.json", "vocab.json")

# --- sizes ---------------------------------------------------------------------------------------
VOCAB = 49408            # real CLIP vocabulary (ids 0..49407, EOS = 49407 is the highest id)
MAX_POSITIONS = 77
TEXT_HIDDEN = 16         # the token embedding [49408, H] dominates the file size
TEXT_HEADS = 2
TEXT_INTERMEDIATE = 64
TEXT_LAYERS = 2

LATENT_CHANNELS = 4
UNET_CHANNELS = (16, 32)          # full and half latent resolution
UNET_TIME_DIM = 4 * UNET_CHANNELS[0]
UNET_GROUPS = 8
UNET_HEADS = 2

VAE_CHANNELS = (8, 8, 16, 16)     # encoder order: 1/1, 1/2, 1/4, 1/8 of the image size
VAE_GROUPS = 4
VAE_SCALING_FACTOR = 0.18215

# --- configs written next to the models (embedded so CI needs nothing outside the repo) -----------
SCHEDULER_CONFIG = {  # the real SD 1.5 scheduler/scheduler_config.json
    "_class_name": "PNDMScheduler",
    "_diffusers_version": "0.6.0",
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "beta_start": 0.00085,
    "num_train_timesteps": 1000,
    "set_alpha_to_one": False,
    "skip_prk_steps": True,
    "steps_offset": 1,
    "trained_betas": None,
    "clip_sample": False,
}

INPAINT_CHANNELS = 2 * LATENT_CHANNELS + 1   # latents ‖ mask ‖ masked-image latents

MODEL_INDEX = {  # like the real SD 1.5 onnx branch, without safety checker and feature extractor
    "_class_name": "OnnxStableDiffusionPipeline",
    "_diffusers_version": "0.6.0",
    "scheduler": ["diffusers", "PNDMScheduler"],
    "text_encoder": ["diffusers", "OnnxRuntimeModel"],
    "tokenizer": ["transformers", "CLIPTokenizer"],
    "unet": ["diffusers", "OnnxRuntimeModel"],
    "vae_decoder": ["diffusers", "OnnxRuntimeModel"],
    "vae_encoder": ["diffusers", "OnnxRuntimeModel"],
}


def text_encoder_config(torch_dtype):
    return {
        "_name_or_path": "gateway/tiny-sd",
        "architectures": ["CLIPTextModel"],
        "attention_dropout": 0.0,
        "bos_token_id": 49406,
        "dropout": 0.0,
        "eos_token_id": 49407,
        "hidden_act": "quick_gelu",
        "hidden_size": TEXT_HIDDEN,
        "initializer_factor": 1.0,
        "initializer_range": 0.02,
        "intermediate_size": TEXT_INTERMEDIATE,
        "layer_norm_eps": 1e-05,
        "max_position_embeddings": MAX_POSITIONS,
        "model_type": "clip_text_model",
        "num_attention_heads": TEXT_HEADS,
        "num_hidden_layers": TEXT_LAYERS,
        "pad_token_id": 1,
        "projection_dim": TEXT_HIDDEN,
        "torch_dtype": torch_dtype,
        "transformers_version": "4.22.0.dev0",
        "vocab_size": VOCAB,
    }


def unet_config(in_channels=LATENT_CHANNELS):
    return {
        "_class_name": "UNet2DConditionModel",
        "_diffusers_version": "0.6.0",
        "act_fn": "silu",
        "attention_head_dim": UNET_HEADS,  # like SD 1.5, where this field holds the number of heads
        "block_out_channels": list(UNET_CHANNELS),
        "center_input_sample": False,
        "cross_attention_dim": TEXT_HIDDEN,
        "down_block_types": ["DownBlock2D", "CrossAttnDownBlock2D"],
        "downsample_padding": 1,
        "flip_sin_to_cos": True,
        "freq_shift": 0,
        "in_channels": in_channels,
        "layers_per_block": 1,
        "mid_block_scale_factor": 1,
        "norm_eps": 1e-05,
        "norm_num_groups": UNET_GROUPS,
        "out_channels": LATENT_CHANNELS,
        "sample_size": 64,
        "up_block_types": ["UpBlock2D", "UpBlock2D"],
    }


def vae_config():
    return {
        "_class_name": "AutoencoderKL",
        "_diffusers_version": "0.6.0",
        "act_fn": "silu",
        "block_out_channels": list(VAE_CHANNELS),
        "down_block_types": ["DownEncoderBlock2D"] * len(VAE_CHANNELS),
        "in_channels": 3,
        "latent_channels": LATENT_CHANNELS,
        "layers_per_block": 1,
        "norm_num_groups": VAE_GROUPS,
        "out_channels": 3,
        "sample_size": 512,
        "scaling_factor": VAE_SCALING_FACTOR,
        "up_block_types": ["UpDecoderBlock2D"] * len(VAE_CHANNELS),
    }


# --- graph builder ---------------------------------------------------------------------------------
class Builder:
    """Collects nodes, weights and I/O of one ONNX graph.

    Learned weights become initializers named like the PyTorch parameters (scope + leaf); constants
    that an exporter would fold (shapes, masks, frequencies) become Constant nodes. Node names follow
    the torch exporter's "/scope/OpType" style.
    """

    def __init__(self, name, fp16, seed):
        self.name = name
        self.np_float = np.float16 if fp16 else np.float32
        self.float = TensorProto.FLOAT16 if fp16 else TensorProto.FLOAT
        # Weights are drawn in float32 and then cast, so both variants hold the same model.
        self.rng = np.random.default_rng(seed)
        self.nodes, self.initializers, self.inputs, self.outputs = [], [], [], []
        self._scope = []
        self._node_names = set()

    @contextlib.contextmanager
    def scope(self, name):
        self._scope.append(name)
        try:
            yield
        finally:
            self._scope.pop()

    def _unique_node_name(self, op_type):
        base = "/" + "/".join(self._scope + [op_type])
        name, i = base, 0
        while name in self._node_names:
            i += 1
            name = f"{base}_{i}"
        self._node_names.add(name)
        return name

    def op(self, op_type, *inputs, out=None, **attrs):
        """Adds a node with one output and returns the output's name."""
        name = self._unique_node_name(op_type)
        output = out or f"{name}_output_0"
        self.nodes.append(helper.make_node(op_type, list(inputs), [output], name=name, **attrs))
        return output

    def param(self, leaf, shape, std, mean=0.0):
        """A learned weight ~ N(mean, std²) (std and mean may broadcast), stored in the model's float type."""
        values = (self.rng.standard_normal(shape, dtype=np.float32) * np.asarray(std, np.float32)
                  + np.asarray(mean, np.float32))
        name = ".".join(self._scope + [leaf])
        self.initializers.append(numpy_helper.from_array(values.astype(self.np_float), name))
        return name

    def draw(self, shape, std):
        """Random float32 values ~ N(0, std²) from the model's generator, for weights edited before storing."""
        return self.rng.standard_normal(shape, dtype=np.float32) * np.float32(std)

    def tensor(self, leaf, values):
        """A weight with the given values, stored in the model's float type."""
        name = ".".join(self._scope + [leaf])
        self.initializers.append(numpy_helper.from_array(np.asarray(values).astype(self.np_float), name))
        return name

    def const(self, values, dtype=np.int64):
        """A Constant node (int64 by default; pass self.np_float for the model's float type)."""
        tensor = numpy_helper.from_array(np.asarray(values, dtype=dtype), "value")
        return self.op("Constant", value=tensor)

    def input(self, name, elem_type, dims):
        self.inputs.append(helper.make_tensor_value_info(name, elem_type, dims))
        return name

    def output(self, name, elem_type, dims):
        self.outputs.append(helper.make_tensor_value_info(name, elem_type, dims))

    def model(self):
        graph = helper.make_graph(self.nodes, self.name, self.inputs, self.outputs, self.initializers)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                                  ir_version=IR_VERSION, producer_name="gateway-forge",
                                  producer_version="1.0")
        onnx.checker.check_model(model, full_check=True)
        return model

    # --- layers (each scoped like the PyTorch module it mimics) -----------------------------------
    def conv(self, x, leaf, cin, cout, k=3, stride=1, gain=1.0, out=None):
        with self.scope(leaf):
            w = self.param("weight", [cout, cin, k, k], gain / math.sqrt(cin * k * k))
            b = self.param("bias", [cout], 0.02)
            return self.op("Conv", x, w, b, kernel_shape=[k, k], pads=[k // 2] * 4,
                           strides=[stride, stride], dilations=[1, 1], group=1, out=out)

    def linear(self, x, leaf, cin, cout, bias=True, gain=1.0):
        with self.scope(leaf):
            w = self.param("weight", [cin, cout], gain / math.sqrt(cin))  # stored transposed, as exported
            y = self.op("MatMul", x, w)
            return self.op("Add", y, self.param("bias", [cout], 0.02)) if bias else y

    def group_norm(self, x, leaf, channels, groups, eps):
        """GroupNorm the way opset < 18 exports it: Reshape → InstanceNormalization → Reshape → affine."""
        with self.scope(leaf):
            grouped = self.op("Reshape", x, self.const([0, groups, -1]))
            normed = self.op("InstanceNormalization", grouped,
                             self.const(np.ones(groups), self.np_float),
                             self.const(np.zeros(groups), self.np_float), epsilon=eps)
            y = self.op("Reshape", normed, self.op("Shape", x))
            y = self.op("Mul", y, self.param("weight", [channels, 1, 1], 0.1, mean=1.0))
            return self.op("Add", y, self.param("bias", [channels, 1, 1], 0.1))

    def layer_norm(self, x, leaf, channels, out=None):
        with self.scope(leaf):
            return self.op("LayerNormalization", x, self.param("weight", [channels], 0.1, mean=1.0),
                           self.param("bias", [channels], 0.1), axis=-1, epsilon=1e-5, out=out)

    def silu(self, x):
        return self.op("Mul", x, self.op("Sigmoid", x))

    def attention(self, x, context, leaf, dim, context_dim, heads, names, mask=None, bias=True, out_gain=1.0):
        """Multi-head attention, x [B, N, dim] attending to context [B, M, context_dim].

        names = (q, k, v, out) projection names (CLIP: q_proj…out_proj; diffusers: to_q…to_out.0).
        """
        head_dim = dim // heads
        with self.scope(leaf):
            q = self.linear(x, names[0], dim, dim, bias=bias)
            k = self.linear(context, names[1], context_dim, dim, bias=bias)
            v = self.linear(context, names[2], context_dim, dim, bias=bias)
            split = self.const([0, 0, heads, head_dim])
            q = self.op("Transpose", self.op("Reshape", q, split), perm=[0, 2, 1, 3])   # B h N d
            k = self.op("Transpose", self.op("Reshape", k, split), perm=[0, 2, 3, 1])   # B h d M
            v = self.op("Transpose", self.op("Reshape", v, split), perm=[0, 2, 1, 3])   # B h M d
            q = self.op("Mul", q, self.const(1.0 / math.sqrt(head_dim), self.np_float))
            scores = self.op("MatMul", q, k)                                            # B h N M
            if mask is not None:
                scores = self.op("Add", scores, mask)
            probs = self.op("Softmax", scores, axis=-1)
            y = self.op("Transpose", self.op("MatMul", probs, v), perm=[0, 2, 1, 3])    # B N h d
            y = self.op("Reshape", y, self.const([0, 0, dim]))
            return self.linear(y, names[3], dim, dim, gain=out_gain)


def save(model, folder, external_data=False, location="weights.pb"):
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "model.onnx")
    if external_data:
        # onnx appends to an existing data file, so the variant folder must start empty (see forge()).
        onnx.save_model(model, path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location=location, size_threshold=0, convert_attribute=False)
    else:
        onnx.save_model(model, path)


def write_json(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps(obj, indent=2, ensure_ascii=False) + "\n")


# --- text encoder ------------------------------------------------------------------------------------
def build_text_encoder(fp16):
    """CLIPTextModel: token + position embedding, pre-LN causal transformer, final LayerNorm, EOS pooling."""
    b = Builder("text_encoder", fp16, SEED + 1)
    text_encoder_graph(b, TEXT_HIDDEN, TEXT_HEADS, TEXT_INTERMEDIATE, TEXT_LAYERS)
    return b.model()


def gelu(b, x):
    """Exact GELU as the torch exporter writes it: x · 0.5 · (1 + erf(x / √2))."""
    erf = b.op("Erf", b.op("Mul", x, b.const(1 / math.sqrt(2), b.np_float)))
    return b.op("Mul", b.op("Mul", x, b.const(0.5, b.np_float)), b.op("Add", erf, b.const(1.0, b.np_float)))


def text_encoder_graph(b, hidden, heads, intermediate, layers, ids_type=TensorProto.INT32,
                       hidden_states=False, projection_dim=None, act="quick_gelu"):
    """The CLIP text model into builder b, at any size (the full-size presets build it too).

    hidden_states: also output `hidden_states.0` (the embeddings) … `hidden_states.{layers}` (each encoder
    layer's output, before final_layer_norm), as optimum exports SDXL's encoders. projection_dim: a
    CLIPTextModelWithProjection, whose `text_embeds` (the EOS state @ text_projection, no bias) comes first
    and replaces `pooler_output`. act: "quick_gelu" (CLIP ViT-L) or "gelu" (OpenCLIP bigG).
    """
    ids = b.input("input_ids", ids_type, ["batch_size", "sequence_length"])
    with b.scope("text_model"):
        with b.scope("embeddings"):
            tokens = b.op("Gather", b.param("token_embedding.weight", [VOCAB, hidden], 1.0), ids)
            seq_len = b.op("Shape", ids, start=1, end=2)
            positions = b.op("Slice", b.param("position_embedding.weight", [MAX_POSITIONS, hidden], 0.5),
                             b.const([0]), seq_len, b.const([0]))
            x = b.op("Add", tokens, positions, out="hidden_states.0" if hidden_states else None)

        # Causal mask: position i may attend to positions ≤ i. -1e4 is "minus infinity" for fp16 and fp32.
        causal = np.triu(np.full((MAX_POSITIONS, MAX_POSITIONS), -1e4), k=1)
        mask = b.op("Slice", b.const(causal, b.np_float), b.const([0, 0]),
                    b.op("Concat", seq_len, seq_len, axis=0), b.const([0, 1]))

        with b.scope("encoder"):
            for i in range(layers):
                with b.scope(f"layers.{i}"):
                    h = b.layer_norm(x, "layer_norm1", hidden)
                    h = b.attention(h, h, "self_attn", hidden, hidden, heads,
                                    ("q_proj", "k_proj", "v_proj", "out_proj"), mask=mask)
                    x = b.op("Add", x, h)
                    h = b.layer_norm(x, "layer_norm2", hidden)
                    with b.scope("mlp"):
                        h = b.linear(h, "fc1", hidden, intermediate)
                        if act == "gelu":
                            h = gelu(b, h)
                        else:  # quick_gelu: x · sigmoid(1.702 x)
                            h = b.op("Mul", h, b.op("Sigmoid", b.op("Mul", h, b.const(1.702, b.np_float))))
                        h = b.linear(h, "fc2", intermediate, hidden)
                    x = b.op("Add", x, h, out=f"hidden_states.{i + 1}" if hidden_states else None)

        last = b.layer_norm(x, "final_layer_norm", hidden, out="last_hidden_state")
        # The pooled state: the hidden state at the EOS token, which CLIP finds as the highest token id.
        eos = b.op("ArgMax", ids, axis=-1, keepdims=1)                        # [B, 1]
        pooled = b.op("GatherND", last, eos, batch_dims=1,
                      out=None if projection_dim else "pooler_output")        # [B, H]
    if projection_dim:
        with b.scope("text_projection"):
            b.op("MatMul", pooled, b.param("weight", [hidden, projection_dim], 1 / math.sqrt(hidden)),
                 out="text_embeds")
        b.output("text_embeds", b.float, ["batch_size", projection_dim])
    b.output("last_hidden_state", b.float, ["batch_size", "sequence_length", hidden])
    if not projection_dim:
        b.output("pooler_output", b.float, ["batch_size", hidden])
    if hidden_states:
        for i in range(layers + 1):
            b.output(f"hidden_states.{i}", b.float, ["batch_size", "sequence_length", hidden])


# --- unet --------------------------------------------------------------------------------------------
def resnet(b, x, leaf, cin, cout, groups, temb=None, temb_dim=0, eps=1e-5):
    """diffusers ResnetBlock2D: GN-SiLU-conv (+ time embedding) GN-SiLU-conv, plus a (1×1) shortcut."""
    with b.scope(leaf):
        h = b.conv(b.silu(b.group_norm(x, "norm1", cin, groups, eps)), "conv1", cin, cout, gain=1.4)
        if temb is not None:
            t = b.linear(b.silu(temb), "time_emb_proj", temb_dim, cout)
            h = b.op("Add", h, b.op("Unsqueeze", t, b.const([2, 3])))
        h = b.conv(b.silu(b.group_norm(h, "norm2", cout, groups, eps)), "conv2", cout, cout, gain=1.4)
        shortcut = x if cin == cout else b.conv(x, "conv_shortcut", cin, cout, k=1)
        return b.op("Add", shortcut, h)


def transformer(b, x, context, leaf, channels, groups, context_dim=TEXT_HIDDEN, linear_projection=False):
    """diffusers Transformer2DModel with one block of cross-attention and a GELU feed-forward.

    The self-attention of the real block is left out: over 32×32 = 1024 tokens it would cost more than
    the rest of the tiny UNet together, and cross-attention alone already makes the output text-dependent.
    linear_projection: proj_in/proj_out are Linear layers on the flattened tokens (SDXL's
    use_linear_projection) instead of 1×1 convs (SD 1.5).
    """
    def tokens(h):  # B C H W → B HW C
        return b.op("Transpose", b.op("Reshape", h, b.const([0, 0, -1])), perm=[0, 2, 1])

    with b.scope(leaf):
        h = b.group_norm(x, "norm", channels, groups, 1e-6)
        if linear_projection:
            h = b.linear(tokens(h), "proj_in", channels, channels)
        else:
            h = tokens(b.conv(h, "proj_in", channels, channels, k=1))
        with b.scope("transformer_blocks.0"):
            a = b.attention(b.layer_norm(h, "norm2", channels), context, "attn2", channels, context_dim,
                            UNET_HEADS, ("to_q", "to_k", "to_v", "to_out.0"), bias=False, out_gain=4.0)
            h = b.op("Add", h, a)
            with b.scope("ff"):
                f = b.linear(b.layer_norm(h, "norm3", channels), "net.0.proj", channels, 2 * channels)
                f = b.linear(gelu(b, f), "net.2", 2 * channels, channels)
            h = b.op("Add", h, f)
        if linear_projection:
            h = b.linear(h, "proj_out", channels, channels)
        h = b.op("Reshape", b.op("Transpose", h, perm=[0, 2, 1]), b.op("Shape", x))      # B C H W
        if not linear_projection:
            h = b.conv(h, "proj_out", channels, channels, k=1)
        return b.op("Add", x, h)


def sinusoidal(b, t, dim):
    """diffusers get_timestep_embedding(t, dim, flip_sin_to_cos=True, downscale_freq_shift=0) in float32:
    t [N] (or a scalar) → [N, dim] = cos ‖ sin of t · 10000^(-i / (dim / 2))."""
    half = dim // 2
    freqs = [math.exp(-math.log(10000.0) * i / half) for i in range(half)]
    args = b.op("Mul", b.op("Reshape", t, b.const([-1, 1])), b.const([freqs], np.float32))   # [N, half]
    return b.op("Concat", b.op("Cos", args), b.op("Sin", args), axis=-1)


def build_unet(fp16):
    """The tiny SD UNet: tiny-sd has diffusers' converter I/O, tiny-sd-fp16 optimum's (int64 scalar timestep)."""
    b = Builder("unet", fp16, SEED + 2)
    return unet_graph(b, "int64-scalar" if fp16 else "float-batch", TEXT_HIDDEN)


def build_inpaint_unet():
    """tiny-sd-inpaint's UNet: tiny-sd's I/O with the 9-channel sample of SD-inpaint exports (other weights)."""
    b = Builder("unet", False, SEED + 7)
    return unet_graph(b, "float-batch", TEXT_HIDDEN, in_channels=INPAINT_CHANNELS)


def unet_graph(b, timestep, context_dim, time_ids=0, text_embeds_dim=0, add_time_dim=0,
               linear_projection=False, in_channels=LATENT_CHANNELS):
    """A two-level UNet2DConditionModel: any latent height/width (odd sizes too), dynamic batch.

    timestep: "float-batch" (float32 [batch_size], diffusers' converter and old optimum), "int64-scalar"
    (optimum, tiny-sd-fp16) or "float-scalar" (optimum ≥ 1.24). With time_ids > 0 it is an SDXL UNet: the
    inputs `text_embeds` [B, text_embeds_dim] and `time_ids` [B, time_ids] feed diffusers' "text_time"
    added embedding (each id through a sinusoidal embedding of add_time_dim, flattened, after text_embeds,
    through add_embedding's Linear-SiLU-Linear), which is added to the time embedding. in_channels 9 makes
    the SD-inpaint UNet, whose `sample` is latents ‖ mask ‖ masked-image latents (out_sample stays 4 channels).
    """
    c0, c1 = UNET_CHANNELS
    sample = b.input("sample", b.float, ["batch_size", in_channels, "height", "width"])
    if timestep == "int64-scalar":  # optimum: an int64 scalar, shared by the whole batch
        t = b.op("Cast", b.input("timestep", TensorProto.INT64, []), to=TensorProto.FLOAT)
    elif timestep == "float-scalar":
        # expanded to the batch as diffusers' UNet does, so the graph computes from here on exactly
        # what the float-batch variant computes
        t = b.op("Expand", b.op("Reshape", b.input("timestep", TensorProto.FLOAT, []), b.const([1])),
                 b.op("Shape", sample, end=1))
    else:                           # diffusers converter: float32, one per batch item
        t = b.input("timestep", TensorProto.FLOAT, ["batch_size"])
    context = b.input("encoder_hidden_states", b.float, ["batch_size", "sequence_length", context_dim])
    if time_ids:
        text_embeds = b.input("text_embeds", b.float, ["batch_size", text_embeds_dim])
        ids = b.input("time_ids", b.float, ["batch_size", time_ids])

    # time_proj computed in float32 like the real export and then cast to the model's type.
    emb = sinusoidal(b, t, c0)
    if b.float == TensorProto.FLOAT16:
        emb = b.op("Cast", emb, to=TensorProto.FLOAT16)
    with b.scope("time_embedding"):
        temb = b.linear(b.silu(b.linear(emb, "linear_1", c0, UNET_TIME_DIM)), "linear_2",
                        UNET_TIME_DIM, UNET_TIME_DIM)
    if time_ids:
        with b.scope("add_time_proj"):
            time_embeds = sinusoidal(b, b.op("Reshape", ids, b.const([-1])), add_time_dim)     # [B·n, d]
            time_embeds = b.op("Reshape", time_embeds, b.const([-1, time_ids * add_time_dim]))  # [B, n·d]
            add_embeds = b.op("Concat", text_embeds, time_embeds, axis=-1)
        with b.scope("add_embedding"):
            aug = b.linear(b.silu(b.linear(add_embeds, "linear_1", text_embeds_dim + time_ids * add_time_dim,
                                           UNET_TIME_DIM)), "linear_2", UNET_TIME_DIM, UNET_TIME_DIM, gain=2.0)
        temb = b.op("Add", temb, aug)

    h = b.conv(sample, "conv_in", in_channels, c0)
    with b.scope("down_blocks.0"):
        skip = resnet(b, h, "resnets.0", c0, c0, UNET_GROUPS, temb, UNET_TIME_DIM)
        h = b.conv(skip, "downsamplers.0.conv", c0, c0, stride=2)      # ceil(size / 2)
    with b.scope("down_blocks.1"):
        h = resnet(b, h, "resnets.0", c0, c1, UNET_GROUPS, temb, UNET_TIME_DIM)
        h = transformer(b, h, context, "attentions.0", c1, UNET_GROUPS, context_dim, linear_projection)
    with b.scope("up_blocks.0.upsamplers.0"):
        # Upsample2D with output_size: nearest-resize to the skip's exact size, so odd latent sizes work.
        sizes = b.op("Concat", b.op("Shape", h, end=2), b.op("Shape", skip, start=2), axis=0)
        h = b.op("Resize", h, "", "", sizes, mode="nearest",
                 coordinate_transformation_mode="asymmetric", nearest_mode="floor")
        h = b.conv(h, "conv", c1, c0)
    with b.scope("up_blocks.1"):
        h = resnet(b, b.op("Concat", h, skip, axis=1), "resnets.0", 2 * c0, c0, UNET_GROUPS, temb,
                   UNET_TIME_DIM)
    h = b.silu(b.group_norm(h, "conv_norm_out", c0, UNET_GROUPS, 1e-5))
    b.conv(h, "conv_out", c0, LATENT_CHANNELS, gain=1.6, out="out_sample")

    b.output("out_sample", b.float, ["batch_size", LATENT_CHANNELS, "height", "width"])
    return b.model()


# --- vae ---------------------------------------------------------------------------------------------
# Random VAE weights would make decode(encode(x)) unrelated to x, and img2img at strength 0 must give the
# input back. So both halves carry the colour on a shortcut with fixed weights, and the random trunk only
# adds a small residual: the encoder's latent channels 0..2 are ≈ avgpool8(x) / scaling_factor (channel 3
# is a random feature), and the decoder's output is ≈ linear-upsample8(latent channels 0..2 × scaling_factor)
# plus a low-amplitude random texture. The pipeline's × / ÷ scaling_factor cancel, so a round trip returns
# a slightly blurred x.
VAE_COLOUR = 3                   # latent channels 0..2 carry RGB
VAE_ENC_COLOUR_RESIDUAL = 0.1    # quant_conv row gain on the colour channels: residual ≈ 0.025 (pixel units)
VAE_ENC_FEATURE_GAIN = 3.6       # latent channel 3: a random feature, std ≈ 0.5 after × scaling_factor
VAE_DEC_TEXTURE = 0.15           # decoder texture = 0.15 · tanh(trunk's conv_out): |·| < 0.15, mean ≈ 0.03


def build_vae_decoder(fp16, scaling_factor=VAE_SCALING_FACTOR, seed=SEED + 3, latent_channels=LATENT_CHANNELS,
                      shift_factor=0.0):
    """AutoencoderKL decoder: post_quant_conv, conv_in, a ResNet block, three (nearest ×2 + conv) ups, plus
    a colour shortcut.

    post_quant_conv's rows 0..2 are scaling_factor × identity, so the colour leaves it in pixel units (the
    encoder's avgpool8 of the image). The shortcut normalises it per image (identity when its mean |value|
    is ≤ 1, which holds for any encoded [-1, 1] image; larger latents, like those this random UNet drifts
    to in txt2img, are scaled to about std 0.5), soft-clips it (identity on [-1, 1], tanh shoulder up to
    ±1.25), and linearly resizes it ×8. The random trunk adds a texture of std ≈ 0.05 on top.
    With a shift_factor (Flux: the pipeline decodes latents / scaling_factor + shift_factor) the colour rows
    subtract it again, so the colour still leaves post_quant_conv in pixel units.
    """
    b = Builder("vae_decoder", fp16, seed)
    n = latent_channels
    z = b.input("latent_sample", b.float, ["batch_size", n, "latent_height", "latent_width"])
    channels = list(reversed(VAE_CHANNELS))          # 16, 16, 8, 8 for 1/8, 1/4, 1/2, 1/1

    with b.scope("post_quant_conv"):
        w = b.draw([n, n, 1, 1], 1 / math.sqrt(n))
        w[:VAE_COLOUR] = 0.0
        w[:VAE_COLOUR, :VAE_COLOUR, 0, 0] = scaling_factor * np.eye(VAE_COLOUR, dtype=np.float32)
        bias = b.draw([n], 0.02)
        bias[:VAE_COLOUR] = -scaling_factor * shift_factor if shift_factor else 0.0
        h = b.op("Conv", z, b.tensor("weight", w), b.tensor("bias", bias), kernel_shape=[1, 1])

    with b.scope("colour_shortcut"):
        c = b.op("Slice", h, b.const([0]), b.const([VAE_COLOUR]), b.const([1]))
        # per-image scale s = max(1, 2.5 · mean|c| - 1.5): 1 for any encoded image, ≈ 2 std for big latents
        m = b.op("ReduceMean", b.op("Abs", c), axes=[1, 2, 3], keepdims=1)
        s = b.op("Max", b.op("Sub", b.op("Mul", m, b.const(2.5, b.np_float)), b.const(1.5, b.np_float)),
                 b.const(1.0, b.np_float))
        c = b.op("Div", c, s)
        # soft clip: clip(c, -1, 1) + 0.25 · tanh(4 · (c - clip(c, -1, 1)))
        clipped = b.op("Clip", c, b.const(-1.0, b.np_float), b.const(1.0, b.np_float))
        excess = b.op("Tanh", b.op("Mul", b.op("Sub", c, clipped), b.const(4.0, b.np_float)))
        c = b.op("Add", clipped, b.op("Mul", excess, b.const(0.25, b.np_float)))
        colour = b.op("Resize", c, "", b.const([1.0, 1.0, 8.0, 8.0], np.float32), mode="linear",
                      coordinate_transformation_mode="half_pixel")

    with b.scope("decoder"):
        h = b.conv(h, "conv_in", n, channels[0])
        h = resnet(b, h, "mid_block.resnets.0", channels[0], channels[0], VAE_GROUPS)
        scales = b.const([1.0, 1.0, 2.0, 2.0], np.float32)
        for i in range(3):
            with b.scope(f"up_blocks.{i}.upsamplers.0"):
                h = b.op("Resize", h, "", scales, mode="nearest",
                         coordinate_transformation_mode="asymmetric", nearest_mode="floor")
                h = b.conv(h, "conv", channels[i], channels[i + 1], gain=1.4)
            norm = "conv_norm_out" if i == 2 else f"up_blocks.{i + 1}.norm"
            h = b.silu(b.group_norm(h, norm, channels[i + 1], VAE_GROUPS, 1e-6))
        texture = b.op("Tanh", b.conv(h, "conv_out", channels[3], 3, gain=0.8))
    texture = b.op("Mul", texture, b.const(VAE_DEC_TEXTURE, b.np_float))
    b.op("Add", colour, texture, out="sample")
    b.output("sample", b.float, ["batch_size", 3, "height", "width"])
    return b.model()


def build_vae_encoder(fp16, parameters, scaling_factor=VAE_SCALING_FACTOR, seed=SEED + 4,
                      latent_channels=LATENT_CHANNELS, shift_factor=0.0):
    """AutoencoderKL encoder: conv_in, three stride-2 convs (÷8), conv_out to mean ++ log-variance, quant_conv,
    plus a colour shortcut.

    The shortcut (AveragePool 8×8 + a fixed 1×1 conv) puts avgpool8(x) / scaling_factor on mean channels
    0..2; the random trunk adds a small residual there, a random feature on channel 3, and the
    log-variance (≈ -8, like a real VAE's, so sampling barely moves the mean). Without `parameters` it
    returns the mean only (`latent_sample`, deterministic, instead of the old converter's random sample;
    tiny-sd), with it both (`latent_parameters`, as newer optimum exports do; tiny-sd-fp16). Channels past
    the colour are random features; a shift_factor is added to the colour (Flux's pipeline encodes as
    (latents − shift_factor) · scaling_factor).
    """
    b = Builder("vae_encoder", fp16, seed)
    n = latent_channels
    x = b.input("sample", b.float, ["batch_size", 3, "height", "width"])
    with b.scope("encoder"):
        h = b.conv(x, "conv_in", 3, VAE_CHANNELS[0])
        for i in range(3):
            with b.scope(f"down_blocks.{i}"):
                h = b.silu(b.group_norm(h, "norm", VAE_CHANNELS[i], VAE_GROUPS, 1e-6))
                h = b.conv(h, "downsamplers.0.conv", VAE_CHANNELS[i], VAE_CHANNELS[i + 1], stride=2, gain=1.4)
        h = b.silu(b.group_norm(h, "conv_norm_out", VAE_CHANNELS[3], VAE_GROUPS, 1e-6))
        h = b.conv(h, "conv_out", VAE_CHANNELS[3], 2 * n, gain=1.4)
    # quant_conv (1×1): small colour residual rows, a modest random feature on channel 3, and
    # log-variance rows biased to about -8.
    row_gain = [VAE_ENC_COLOUR_RESIDUAL] * VAE_COLOUR + [VAE_ENC_FEATURE_GAIN] * (n - VAE_COLOUR) + [0.5] * n
    with b.scope("quant_conv"):
        w = b.param("weight", [2 * n, 2 * n, 1, 1], np.reshape(row_gain, [-1, 1, 1, 1]) / math.sqrt(2 * n))
        bias = b.param("bias", [2 * n], 0.02, mean=[0.0] * n + [-8.0] * n)
        moments = b.op("Conv", h, w, bias, kernel_shape=[1, 1])
    with b.scope("colour_shortcut"):
        # ceil_mode: ceil(size / 8) like the trunk's three stride-2 convs, for sizes that are no multiple of 8
        pooled = b.op("AveragePool", x, kernel_shape=[8, 8], strides=[8, 8], ceil_mode=1)
        w = np.zeros([2 * n, 3, 1, 1], np.float32)
        w[:VAE_COLOUR, :, 0, 0] = np.eye(VAE_COLOUR, dtype=np.float32) / scaling_factor
        if shift_factor:
            shift = np.zeros([2 * n], np.float32)
            shift[:VAE_COLOUR] = shift_factor
            shortcut = b.op("Conv", pooled, b.tensor("weight", w), b.tensor("bias", shift), kernel_shape=[1, 1])
        else:
            shortcut = b.op("Conv", pooled, b.tensor("weight", w), kernel_shape=[1, 1])
    if parameters:
        b.op("Add", moments, shortcut, out="latent_parameters")
        b.output("latent_parameters", b.float, ["batch_size", 2 * n, "latent_height", "latent_width"])
    else:
        moments = b.op("Add", moments, shortcut)
        b.op("Slice", moments, b.const([0]), b.const([n]), b.const([1]), out="latent_sample")
        b.output("latent_sample", b.float, ["batch_size", n, "latent_height", "latent_width"])
    return b.model()


# --- broken-model fixtures ---------------------------------------------------------------------------
# Tiny graphs with exactly one thing wrong for an SD 1.5 pipeline, for the load-time validation tests
# (tests/Gateway.Diffusion.Tests/Fixtures/broken-models). Each is a valid ONNX model that ONNX Runtime
# loads; every input is consumed, so no runtime prunes one away.
def _reduce_to_batch(b, x, rank):
    """x [B, ...] → [B, 1, 1, 1] (the mean over all but the batch axis)."""
    m = b.op("ReduceMean", x, axes=list(range(1, rank)), keepdims=0)                       # [B]
    return b.op("Reshape", m, b.const([-1, 1, 1, 1]))


def build_fixture_unet(sample_type=TensorProto.FLOAT, sample_rank=4, xl_inputs=False):
    """out_sample = float(sample) + mean(encoder_hidden_states) + timestep (+ mean(text_embeds, time_ids))."""
    b = Builder("unet", False, SEED)
    if sample_rank == 4:
        dims = ["batch_size", LATENT_CHANNELS, "height", "width"]
    else:
        dims = ["batch_size", LATENT_CHANNELS, "length"]
    sample = b.input("sample", sample_type, dims)
    timestep = b.input("timestep", TensorProto.FLOAT, ["batch_size"])
    context = b.input("encoder_hidden_states", TensorProto.FLOAT,
                      ["batch_size", "sequence_length", TEXT_HIDDEN])
    extras = []
    if xl_inputs:  # SDXL's added conditioning (pooled text embedding and size/crop ids)
        extras.append((b.input("text_embeds", TensorProto.FLOAT, ["batch_size", 1280]), 2))
        extras.append((b.input("time_ids", TensorProto.FLOAT, ["batch_size", 6]), 2))
    h = sample if sample_type == TensorProto.FLOAT else b.op("Cast", sample, to=TensorProto.FLOAT)
    if sample_rank == 3:   # [B, 4, L] → [B, 4, L, 1], so the output is still a rank-4 out_sample
        h = b.op("Unsqueeze", h, b.const([3]))
        dims = dims + [1]
    cond = b.op("Add", b.op("Reshape", timestep, b.const([-1, 1, 1, 1])), _reduce_to_batch(b, context, 3))
    for x, rank in extras:
        cond = b.op("Add", cond, _reduce_to_batch(b, x, rank))
    b.op("Add", h, cond, out="out_sample")
    b.output("out_sample", TensorProto.FLOAT, dims)
    return b.model()


def build_fixture_text_encoder_float_ids():
    """last_hidden_state = input_ids[..., None] × ones(16), with float input_ids."""
    b = Builder("text_encoder", False, SEED)
    ids = b.input("input_ids", TensorProto.FLOAT, ["batch_size", "sequence_length"])
    b.op("Mul", b.op("Unsqueeze", ids, b.const([2])), b.const(np.ones(TEXT_HIDDEN), np.float32),
         out="last_hidden_state")
    b.output("last_hidden_state", TensorProto.FLOAT, ["batch_size", "sequence_length", TEXT_HIDDEN])
    return b.model()


def build_fixture_vae_decoder_nan():
    """A VAE decoder with the real I/O whose pixels are NaN, as an fp16 SDXL VAE's overflow gives them:
    sample = sqrt(-1 - |resize8(latent_sample[:, :3])|)."""
    b = Builder("vae_decoder", False, SEED)
    z = b.input("latent_sample", TensorProto.FLOAT, ["batch_size", LATENT_CHANNELS, "latent_height", "latent_width"])
    c = b.op("Slice", z, b.const([0]), b.const([3]), b.const([1]))
    c = b.op("Resize", c, "", b.const([1.0, 1.0, 8.0, 8.0], np.float32), mode="nearest")
    negative = b.op("Sub", b.const(-1.0, np.float32), b.op("Abs", c))
    b.op("Sqrt", negative, out="sample")
    b.output("sample", TensorProto.FLOAT, ["batch_size", 3, "height", "width"])
    return b.model()


FIXTURES = {
    # sample is int64 instead of float
    "unet-int-sample.onnx": lambda: build_fixture_unet(sample_type=TensorProto.INT64),
    # sample is float [batch_size, 4, length] (rank 3) instead of rank 4
    "unet-rank3-sample.onnx": lambda: build_fixture_unet(sample_rank=3),
    # an SD 1.5-shaped UNet that also requires SDXL's text_embeds and time_ids
    "unet-xl-inputs.onnx": lambda: build_fixture_unet(xl_inputs=True),
    # input_ids is float instead of int32/int64
    "text-encoder-float-ids.onnx": build_fixture_text_encoder_float_ids,
    # a VAE decoder that outputs NaN pixels
    "vae-decoder-nan.onnx": build_fixture_vae_decoder_nan,
}


def forge_fixtures(out_dir):
    """Writes the broken-model fixtures into out_dir (other files there are left alone)."""
    os.makedirs(out_dir, exist_ok=True)
    for name, build in FIXTURES.items():
        onnx.save_model(build(), os.path.join(out_dir, name))


# --- folders -----------------------------------------------------------------------------------------
def forge(out_dir, variant):
    fp16 = variant == "tiny-sd-fp16"
    root = os.path.join(out_dir, variant)
    if os.path.isdir(root):
        shutil.rmtree(root)
    os.makedirs(root)
    if variant.startswith("tiny-sdxl"):
        import sdxl  # tools/forge/sdxl.py
        sdxl.forge_sdxl(root, variant)
        return
    if variant.startswith("tiny-flux"):
        import flux  # tools/forge/flux.py
        flux.forge_flux(root, variant)
        return

    inpaint = variant == "tiny-sd-inpaint"
    # The inpainting export of runwayml/stable-diffusion-inpainting's onnx branch names its own pipeline class.
    index = dict(MODEL_INDEX, _class_name="OnnxStableDiffusionInpaintPipeline") if inpaint else MODEL_INDEX
    write_json(os.path.join(root, "model_index.json"), index)
    write_json(os.path.join(root, "scheduler", "scheduler_config.json"), SCHEDULER_CONFIG)
    os.makedirs(os.path.join(root, "tokenizer"))
    for name in TOKENIZER_FILES:
        shutil.copyfile(os.path.join(TOKENIZER_DIR, name), os.path.join(root, "tokenizer", name))

    dtype = "float16" if fp16 else "float32"
    save(build_text_encoder(fp16), os.path.join(root, "text_encoder"))
    write_json(os.path.join(root, "text_encoder", "config.json"), text_encoder_config(dtype))
    save(build_inpaint_unet() if inpaint else build_unet(fp16), os.path.join(root, "unet"), external_data=fp16)
    write_json(os.path.join(root, "unet", "config.json"), unet_config(INPAINT_CHANNELS if inpaint else LATENT_CHANNELS))
    save(build_vae_decoder(fp16), os.path.join(root, "vae_decoder"))
    write_json(os.path.join(root, "vae_decoder", "config.json"), vae_config())
    save(build_vae_encoder(fp16, parameters=fp16), os.path.join(root, "vae_encoder"))
    write_json(os.path.join(root, "vae_encoder", "config.json"), vae_config())


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Give --out, --fixtures or both, e.g. `--out onnx-models --fixtures "
               "tests/Gateway.Diffusion.Tests/Fixtures/broken-models`.")
    parser.add_argument("--out", metavar="DIR",
                        help="write the tiny models into DIR/<variant> "
                             "(each deleted and rewritten)")
    parser.add_argument("--variant", choices=VARIANTS + ("all",), default="all",
                        help="which model variant --out writes (default: all)")
    parser.add_argument("--fixtures", metavar="DIR",
                        help="write the broken-model fixtures (" + ", ".join(FIXTURES) + ") into DIR")
    parser.add_argument("--preset", choices=("sd15-full", "sdxl-full"),
                        help="instead of the tiny models, write a full-size random-weight SD 1.5 (fp16, "
                             "~2.1 GB) or SDXL base (fp16, ~6.9 GB) into DIR/<preset>; needs --out (or "
                             "--count-only), excludes --variant and --fixtures")
    parser.add_argument("--no-check", action="store_true",
                        help="with --preset: skip onnx.checker on the written files")
    parser.add_argument("--count-only", action="store_true",
                        help="with --preset: build the graphs with shape-only weights and print their "
                             "parameter counts; writes nothing")
    args = parser.parse_args()
    if args.count_only and not args.preset:
        parser.error("--count-only goes with --preset")
    if args.preset:
        if not (args.out or args.count_only) or args.fixtures or args.variant != "all":
            parser.error("--preset needs --out DIR (or --count-only) and takes no --variant or --fixtures")
        if args.preset == "sdxl-full":
            import full_sdxl as preset  # tools/forge/full_sdxl.py
        else:
            import full as preset       # tools/forge/full.py
        if args.count_only:
            counts = preset.count_full()
            for comp, n in counts.items():
                print(f"  {comp}: {n:,} parameters ({n / 1e6:.2f} M)")
            print(f"{preset.PRESET}: {sum(counts.values()):,} parameters in all")
            return
        print(f"writing {os.path.join(args.out, preset.PRESET)}", flush=True)
        counts = preset.forge_full(args.out, check=not args.no_check)
        print(f"wrote {os.path.join(args.out, preset.PRESET)}: {sum(counts.values()):,} parameters in all")
        return
    if not args.out and not args.fixtures:
        parser.error("nothing to do: give --out DIR and/or --fixtures DIR")
    if args.out:
        for variant in VARIANTS if args.variant == "all" else (args.variant,):
            forge(args.out, variant)
            print(f"wrote {os.path.join(args.out, variant)}")
        if args.variant == "all":
            import lora  # tools/forge/lora.py
            names = lora.forge_loras(os.path.join(args.out, "loras"))
            print(f"wrote {len(names)} LoRA files to {os.path.join(args.out, 'loras')}")
    if args.fixtures:
        forge_fixtures(args.fixtures)
        print(f"wrote {len(FIXTURES)} fixtures to {args.fixtures}")


if __name__ == "__main__":
    main()
