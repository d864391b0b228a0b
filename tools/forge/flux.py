"""The tiny Flux family of the forge: tiny-flux-schnell and tiny-flux-dev.

Laid out like optimum's ONNX export of FLUX.1 (FluxPipeline): tokenizer/ + text_encoder/ (CLIP-L-like, whose
`pooler_output` feeds the transformer's pooled_projections), tokenizer_2/ + text_encoder_2/ (a T5 encoder whose
`last_hidden_state` is the transformer's encoder_hidden_states), transformer/, and the 16-channel VAE halves with
Flux's scaling 0.3611 and shift 0.1159. All float32.

The transformer takes the real input names and packed shapes: hidden_states [B, seq, 64] (2×2-packed latents),
encoder_hidden_states [B, T, 32], pooled_projections [B, 16], timestep [B] (σ; ×1000 inside, as FluxTransformer2DModel
does), img_ids [seq, 3] and txt_ids [T, 3], and for dev guidance [B]; it returns out_hidden_states [B, seq, 64]. Inside:
the x/context embedders, the time (+ guidance) + pooled-text embedding, one single-stream block (adaLN-modulated joint
attention over text and image tokens with the 3-axis rotary embedding of the ids, and a GELU MLP) and the modulated
norm_out + proj_out.

  tiny-flux-schnell  FLUX.1-schnell: no guidance input, ids without a batch axis (diffusers ≥ 0.31), shift 1.0.
  tiny-flux-dev      FLUX.1-dev: the embedded `guidance` input, ids with a batch axis ([B, seq, 3], the older
                     convention: the graph reads row 0), dynamic shifting.

The T5 vocabulary is the 1000-piece unigram model of tests/Gateway.Diffusion.Tests/Fixtures/t5 (spiece.model, its
training parameters in that folder's README); the encoder leaves out T5's relative attention bias (the tokens still
differ by content, and the vocabulary is what the tests exercise). The scheduler configs are the real ones.
"""

import math
import os
import shutil

import numpy as np
from onnx import TensorProto

import forge
from forge import Builder, gelu

SEED = 20261204
VARIANTS = ("tiny-flux-schnell", "tiny-flux-dev")

LATENT_CHANNELS = 16
PACKED = 4 * LATENT_CHANNELS       # 2×2 patches of 16 channels
INNER = 32                         # transformer width (the real model: 3072)
HEADS = 2
HEAD_DIM = INNER // HEADS
AXES_DIMS = (4, 6, 6)              # rotary dims per id axis, summing to HEAD_DIM (the real model: 16, 56, 56)
ROPE_THETA = 10000
TIME_PROJ = 32                     # sinusoidal width (the real model: 256)
MLP_RATIO = 4

T5_VOCAB = 1000
T5_HIDDEN = 32                     # joint_attention_dim (the real T5-XXL: 4096)
T5_HEADS = 2
T5_FF = 64
T5_LAYERS = 2

VAE_SCALING_FACTOR = 0.3611
VAE_SHIFT_FACTOR = 0.1159

T5_DIR = os.path.join(forge.HERE, "..", "..", "tests", "Gateway.Diffusion.Tests", "Fixtures", "t5")

SCHEDULER_CONFIGS = {  # the real FLUX.1 scheduler/scheduler_config.json
    "tiny-flux-schnell": {
        "_class_name": "FlowMatchEulerDiscreteScheduler",
        "_diffusers_version": "0.31.0.dev0",
        "base_image_seq_len": 256,
        "base_shift": 0.5,
        "max_image_seq_len": 4096,
        "max_shift": 1.15,
        "num_train_timesteps": 1000,
        "shift": 1.0,
        "use_dynamic_shifting": False,
    },
    "tiny-flux-dev": {
        "_class_name": "FlowMatchEulerDiscreteScheduler",
        "_diffusers_version": "0.30.0.dev0",
        "base_image_seq_len": 256,
        "base_shift": 0.5,
        "max_image_seq_len": 4096,
        "max_shift": 1.15,
        "num_train_timesteps": 1000,
        "shift": 3.0,
        "use_dynamic_shifting": True,
    },
}

MODEL_INDEX = {
    "_class_name": "FluxPipeline",
    "_diffusers_version": "0.30.0.dev0",
    "scheduler": ["diffusers", "FlowMatchEulerDiscreteScheduler"],
    "text_encoder": ["transformers", "CLIPTextModel"],
    "text_encoder_2": ["transformers", "T5EncoderModel"],
    "tokenizer": ["transformers", "CLIPTokenizer"],
    "tokenizer_2": ["transformers", "T5TokenizerFast"],
    "transformer": ["diffusers", "FluxTransformer2DModel"],
    "vae_decoder": ["diffusers", "AutoencoderKL"],
    "vae_encoder": ["diffusers", "AutoencoderKL"],
}


def t5_tokenizer_config(max_length):
    return {
        "add_prefix_space": True,
        "additional_special_tokens": [],
        "clean_up_tokenization_spaces": True,
        "eos_token": "</s>",
        "extra_ids": 0,
        "legacy": True,
        "model_max_length": max_length,
        "pad_token": "<pad>",
        "sp_model_kwargs": {},
        "tokenizer_class": "T5Tokenizer",
        "unk_token": "<unk>",
    }


T5_SPECIAL_TOKENS = {"eos_token": "</s>", "pad_token": "<pad>", "unk_token": "<unk>"}

CLIP_TOKENIZER_CONFIG = {
    "add_prefix_space": False,
    "bos_token": "<|startoftext|>",
    "clean_up_tokenization_spaces": True,
    "do_lower_case": True,
    "eos_token": "<|endoftext|>",
    "errors": "replace",
    "model_max_length": 77,
    "pad_token": "<|endoftext|>",
    "tokenizer_class": "CLIPTokenizer",
    "unk_token": "<|endoftext|>",
}


def text_encoder_config():
    cfg = forge.text_encoder_config("float32")
    cfg["_name_or_path"] = "gateway/tiny-flux"
    return cfg


def t5_config():
    return {
        "architectures": ["T5EncoderModel"],
        "d_ff": T5_FF,
        "d_kv": T5_HIDDEN // T5_HEADS,
        "d_model": T5_HIDDEN,
        "dense_act_fn": "gelu_new",
        "eos_token_id": 1,
        "feed_forward_proj": "gated-gelu",
        "is_gated_act": True,
        "layer_norm_epsilon": 1e-06,
        "model_type": "t5",
        "num_heads": T5_HEADS,
        "num_layers": T5_LAYERS,
        "pad_token_id": 0,
        "torch_dtype": "float32",
        "vocab_size": T5_VOCAB,
    }


def transformer_config(dev):
    return {
        "_class_name": "FluxTransformer2DModel",
        "_diffusers_version": "0.30.0.dev0",
        "attention_head_dim": HEAD_DIM,
        "axes_dims_rope": list(AXES_DIMS),
        "guidance_embeds": dev,
        "in_channels": PACKED,
        "joint_attention_dim": T5_HIDDEN,
        "num_attention_heads": HEADS,
        "num_layers": 0,
        "num_single_layers": 1,
        "patch_size": 1,
        "pooled_projection_dim": forge.TEXT_HIDDEN,
    }


def vae_config():
    return {
        "_class_name": "AutoencoderKL",
        "_diffusers_version": "0.30.0.dev0",
        "act_fn": "silu",
        "block_out_channels": list(forge.VAE_CHANNELS),
        "down_block_types": ["DownEncoderBlock2D"] * len(forge.VAE_CHANNELS),
        "force_upcast": True,
        "in_channels": 3,
        "latent_channels": LATENT_CHANNELS,
        "latents_mean": None,
        "latents_std": None,
        "layers_per_block": 1,
        "mid_block_add_attention": True,
        "norm_num_groups": forge.VAE_GROUPS,
        "out_channels": 3,
        "sample_size": 1024,
        "scaling_factor": VAE_SCALING_FACTOR,
        "shift_factor": VAE_SHIFT_FACTOR,
        "up_block_types": ["UpDecoderBlock2D"] * len(forge.VAE_CHANNELS),
        "use_post_quant_conv": False,
        "use_quant_conv": False,
    }


# --- T5 encoder ----------------------------------------------------------------------------------------
def rms_norm(b, x, leaf, channels, eps=1e-6):
    """T5LayerNorm: x / sqrt(mean(x²) + eps) · weight (no mean subtraction, no bias)."""
    with b.scope(leaf):
        ms = b.op("ReduceMean", b.op("Mul", x, x), axes=[-1], keepdims=1)
        y = b.op("Div", x, b.op("Sqrt", b.op("Add", ms, b.const(eps, b.np_float))))
        return b.op("Mul", y, b.param("weight", [channels], 0.1, mean=1.0))


def build_t5():
    """T5EncoderModel (v1.1): shared embedding, pre-RMSNorm self-attention and gated-GELU feed-forward, final
    RMSNorm → last_hidden_state."""
    b = Builder("text_encoder_2", False, SEED + 1)
    ids = b.input("input_ids", TensorProto.INT64, ["batch_size", "sequence_length"])
    x = b.op("Gather", b.param("shared.weight", [T5_VOCAB, T5_HIDDEN], 1.0), ids)
    with b.scope("encoder"):
        for i in range(T5_LAYERS):
            with b.scope(f"block.{i}"):
                with b.scope("layer.0"):
                    h = rms_norm(b, x, "layer_norm", T5_HIDDEN)
                    h = b.attention(h, h, "SelfAttention", T5_HIDDEN, T5_HIDDEN, T5_HEADS, ("q", "k", "v", "o"),
                                    bias=False)
                    x = b.op("Add", x, h)
                with b.scope("layer.1"):
                    h = rms_norm(b, x, "layer_norm", T5_HIDDEN)
                    with b.scope("DenseReluDense"):
                        g = gelu(b, b.linear(h, "wi_0", T5_HIDDEN, T5_FF, bias=False))
                        h = b.op("Mul", g, b.linear(h, "wi_1", T5_HIDDEN, T5_FF, bias=False))
                        h = b.linear(h, "wo", T5_FF, T5_HIDDEN, bias=False)
                    x = b.op("Add", x, h)
        x = rms_norm(b, x, "final_layer_norm", T5_HIDDEN)
    b.op("Identity", x, out="last_hidden_state")
    b.output("last_hidden_state", b.float, ["batch_size", "sequence_length", T5_HIDDEN])
    return b.model()


# --- transformer ---------------------------------------------------------------------------------------
def timestep_embedding(b, t, leaf):
    """diffusers Timesteps(TIME_PROJ, flip_sin_to_cos=True, shift=0) of t·1000, then TimestepEmbedding's MLP."""
    scaled = b.op("Mul", t, b.const(1000.0, np.float32))
    with b.scope(leaf):
        emb = forge.sinusoidal(b, scaled, TIME_PROJ)
        return b.linear(b.silu(b.linear(emb, "linear_1", TIME_PROJ, INNER)), "linear_2", INNER, INNER)


def rotary(b, ids):
    """FluxPosEmbed: per id axis, angles = id · θ^(−2k/d); cos and sin [N, HEAD_DIM/2] over the axes concatenated."""
    angles = []
    for axis, dim in enumerate(AXES_DIMS):
        omega = [1.0 / ROPE_THETA ** (2 * k / dim) for k in range(dim // 2)]
        pos = b.op("Slice", ids, b.const([axis]), b.const([axis + 1]), b.const([1]))        # [N, 1]
        angles.append(b.op("Mul", pos, b.const([omega], np.float32)))                        # [N, dim/2]
    theta = b.op("Concat", *angles, axis=-1)                                                 # [N, HEAD_DIM/2]
    return b.op("Cos", theta), b.op("Sin", theta)


def apply_rotary(b, x, cos, sin):
    """x [B, h, N, d] with pairs (x₂ₖ, x₂ₖ₊₁) rotated by the angle of k: (a·cos − b·sin, a·sin + b·cos)."""
    pairs = b.op("Reshape", x, b.const([0, 0, 0, HEAD_DIM // 2, 2]))
    even = b.op("Slice", pairs, b.const([0]), b.const([1]), b.const([4]))
    odd = b.op("Slice", pairs, b.const([1]), b.const([2]), b.const([4]))
    c = b.op("Unsqueeze", cos, b.const([2]))                                                 # [N, d/2, 1]
    s = b.op("Unsqueeze", sin, b.const([2]))
    real = b.op("Sub", b.op("Mul", even, c), b.op("Mul", odd, s))
    imag = b.op("Add", b.op("Mul", even, s), b.op("Mul", odd, c))
    return b.op("Reshape", b.op("Concat", real, imag, axis=-1), b.const([0, 0, 0, HEAD_DIM]))


def joint_attention(b, x, cos, sin):
    """FluxAttnProcessor over the joint sequence x [B, N, INNER]: q/k RMS-normed per head, rotary, softmax attention."""
    with b.scope("attn"):
        split = b.const([0, 0, HEADS, HEAD_DIM])
        heads = []
        for leaf, norm in (("to_q", "norm_q"), ("to_k", "norm_k"), ("to_v", None)):
            h = b.op("Transpose", b.op("Reshape", b.linear(x, leaf, INNER, INNER), split), perm=[0, 2, 1, 3])
            if norm:
                h = apply_rotary(b, rms_norm(b, h, norm, HEAD_DIM), cos, sin)
            heads.append(h)
        q, k, v = heads
        q = b.op("Mul", q, b.const(1.0 / math.sqrt(HEAD_DIM), b.np_float))
        probs = b.op("Softmax", b.op("MatMul", q, b.op("Transpose", k, perm=[0, 1, 3, 2])), axis=-1)
        y = b.op("Transpose", b.op("MatMul", probs, v), perm=[0, 2, 1, 3])
        return b.op("Reshape", y, b.const([0, 0, INNER]))


def modulation(b, temb, leaf, count):
    """A linear of SiLU(temb) into `count` [B, 1, INNER] chunks (adaLN shift/scale/gate)."""
    m = b.linear(b.silu(temb), leaf, INNER, count * INNER, gain=0.5)
    m = b.op("Reshape", m, b.const([0, 1, count * INNER]))
    return [b.op("Slice", m, b.const([i * INNER]), b.const([(i + 1) * INNER]), b.const([2])) for i in range(count)]


def modulate(b, x, shift, scale):
    """LayerNorm without affine, then x · (1 + scale) + shift."""
    normed = b.op("LayerNormalization", x, b.const(np.ones(INNER), b.np_float), b.const(np.zeros(INNER), b.np_float),
                  axis=-1, epsilon=1e-6)
    return b.op("Add", b.op("Mul", normed, b.op("Add", scale, b.const(1.0, b.np_float))), shift)


def ids_input(b, name, length, batched):
    """img_ids / txt_ids: [length, 3], or [batch, length, 3] whose first row is used (diffusers' older convention)."""
    if batched:
        ids = b.input(name, b.float, ["batch_size", length, 3])
        return b.op("Gather", ids, b.const(0), axis=0)
    return b.input(name, b.float, [length, 3])


def build_transformer(dev):
    b = Builder("transformer", False, SEED + (3 if dev else 2))
    hidden = b.input("hidden_states", b.float, ["batch_size", "image_sequence_length", PACKED])
    context = b.input("encoder_hidden_states", b.float, ["batch_size", "text_sequence_length", T5_HIDDEN])
    pooled = b.input("pooled_projections", b.float, ["batch_size", forge.TEXT_HIDDEN])
    t = b.input("timestep", b.float, ["batch_size"])
    img_ids = ids_input(b, "img_ids", "image_sequence_length", batched=dev)
    txt_ids = ids_input(b, "txt_ids", "text_sequence_length", batched=dev)

    with b.scope("time_text_embed"):
        temb = timestep_embedding(b, t, "timestep_embedder")
        if dev:
            temb = b.op("Add", temb, timestep_embedding(b, b.input("guidance", b.float, ["batch_size"]),
                                                        "guidance_embedder"))
        with b.scope("text_embedder"):
            p = b.linear(b.silu(b.linear(pooled, "linear_1", forge.TEXT_HIDDEN, INNER)), "linear_2", INNER, INNER)
        temb = b.op("Add", temb, p)

    x = b.linear(hidden, "x_embedder", PACKED, INNER)
    c = b.linear(context, "context_embedder", T5_HIDDEN, INNER)
    cos, sin = rotary(b, b.op("Concat", txt_ids, img_ids, axis=0))

    joint = b.op("Concat", c, x, axis=1)                                        # [B, T + S, INNER]
    with b.scope("single_transformer_blocks.0"):
        shift, scale, gate = modulation(b, temb, "norm.linear", 3)
        h = modulate(b, joint, shift, scale)
        a = joint_attention(b, h, cos, sin)
        m = gelu(b, b.linear(h, "proj_mlp", INNER, MLP_RATIO * INNER))
        out = b.linear(b.op("Concat", a, m, axis=-1), "proj_out", (1 + MLP_RATIO) * INNER, INNER, gain=2.0)
        joint = b.op("Add", joint, b.op("Mul", gate, out))

    text_length = b.op("Shape", context, start=1, end=2)
    x = b.op("Slice", joint, text_length, b.const([2 ** 62]), b.const([1]))     # the image tokens
    with b.scope("norm_out"):
        scale, shift = modulation(b, temb, "linear", 2)                          # AdaLayerNormContinuous: scale first
    out = b.linear(modulate(b, x, shift, scale), "proj_out", INNER, PACKED, gain=1.5)
    b.op("Identity", out, out="out_hidden_states")
    b.output("out_hidden_states", b.float, ["batch_size", "image_sequence_length", PACKED])
    return b.model()


# --- folders -------------------------------------------------------------------------------------------
def write_component(root, name, model, config):
    forge.save(model, os.path.join(root, name))
    forge.write_json(os.path.join(root, name, "config.json"), config)


def forge_flux(root, variant):
    """Writes one Flux variant into the (empty, existing) folder root."""
    dev = variant == "tiny-flux-dev"
    forge.write_json(os.path.join(root, "model_index.json"), MODEL_INDEX)
    forge.write_json(os.path.join(root, "scheduler", "scheduler_config.json"), SCHEDULER_CONFIGS[variant])

    os.makedirs(os.path.join(root, "tokenizer"))
    for name in ("merges.txt", "vocab.json", "special_tokens_map.json"):
        shutil.copyfile(os.path.join(forge.TOKENIZER_DIR, name), os.path.join(root, "tokenizer", name))
    forge.write_json(os.path.join(root, "tokenizer", "tokenizer_config.json"), CLIP_TOKENIZER_CONFIG)
    os.makedirs(os.path.join(root, "tokenizer_2"))
    shutil.copyfile(os.path.join(T5_DIR, "spiece.model"), os.path.join(root, "tokenizer_2", "spiece.model"))
    forge.write_json(os.path.join(root, "tokenizer_2", "special_tokens_map.json"), T5_SPECIAL_TOKENS)
    forge.write_json(os.path.join(root, "tokenizer_2", "tokenizer_config.json"), t5_tokenizer_config(512 if dev else 256))

    b = Builder("text_encoder", False, SEED)
    forge.text_encoder_graph(b, forge.TEXT_HIDDEN, forge.TEXT_HEADS, forge.TEXT_INTERMEDIATE, forge.TEXT_LAYERS,
                             ids_type=TensorProto.INT64)
    write_component(root, "text_encoder", b.model(), text_encoder_config())
    write_component(root, "text_encoder_2", build_t5(), t5_config())
    write_component(root, "transformer", build_transformer(dev), transformer_config(dev))
    write_component(root, "vae_decoder",
                    forge.build_vae_decoder(False, scaling_factor=VAE_SCALING_FACTOR, seed=SEED + 4,
                                            latent_channels=LATENT_CHANNELS, shift_factor=VAE_SHIFT_FACTOR),
                    vae_config())
    write_component(root, "vae_encoder",
                    forge.build_vae_encoder(False, parameters=True, scaling_factor=VAE_SCALING_FACTOR, seed=SEED + 5,
                                            latent_channels=LATENT_CHANNELS, shift_factor=VAE_SHIFT_FACTOR),
                    vae_config())
