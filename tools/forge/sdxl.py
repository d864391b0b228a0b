"""The tiny SDXL family of the forge: tiny-sdxl, tiny-sdxl-legacy and tiny-sdxl-refiner.

Same building blocks as tiny-sd (forge.py), laid out and wired like SDXL: two text encoders (CLIP-L-like
with hidden_states outputs, and an OpenCLIP-bigG-like CLIPTextModelWithProjection), a UNet whose
cross-attention reads both encoders' penultimate hidden states concatenated and whose time embedding gets
diffusers' "text_time" added embedding (pooled text_embeds and the size/crop time_ids), and the VAE halves
with SDXL's scaling factor 0.13025. All float32.

  tiny-sdxl          optimum ≥ 1.24 I/O: int64 input_ids, float32 scalar timestep, vae_encoder
                     `latent_parameters` (mean ‖ log-variance).
  tiny-sdxl-legacy   the same weights in the 2023 optimum I/O of stabilityai's SDXL export: int32
                     input_ids, float32 timestep [batch_size], vae_encoder `latent_sample` (the mean).
                     Both folders give the same images.
  tiny-sdxl-refiner  StableDiffusionXLImg2ImgPipeline: tokenizer_2/text_encoder_2 only (other weights),
                     a UNet (other weights) with cross-attention width 24 and time_ids [B, 5] (sizes,
                     crop, aesthetic score); tiny-sdxl's VAE.

The scheduler and tokenizer JSON files are the real SDXL base's, kept in sdxl-configs/.
"""

import os
import shutil

from onnx import TensorProto

import forge
from forge import Builder

SEED = 20261202
REFINER_SEED = 20261203

TEXT2_HIDDEN = 24            # text_encoder_2 (bigG-like); text_encoder is tiny-sd's size (16)
TEXT2_HEADS = 2
TEXT2_INTERMEDIATE = 64
TEXT2_LAYERS = 3
PROJECTION_DIM = 20          # text_embeds width
ADD_TIME_DIM = 8             # addition_time_embed_dim
VAE_SCALING_FACTOR = 0.13025

VARIANTS = ("tiny-sdxl", "tiny-sdxl-legacy", "tiny-sdxl-refiner")

CONFIGS_DIR = os.path.join(forge.HERE, "sdxl-configs")   # verbatim copies of the real SDXL base's files
TOKENIZER_VOCAB = ("merges.txt", "vocab.json")            # from forge.TOKENIZER_DIR, shared by both tokenizers
TOKENIZER_CONFIGS = ("special_tokens_map.json", "tokenizer_config.json")

MODEL_INDEX = {  # the real SDXL base's, with the ONNX export's vae_decoder/vae_encoder instead of vae
    "_class_name": "StableDiffusionXLPipeline",
    "_diffusers_version": "0.19.0.dev0",
    "force_zeros_for_empty_prompt": True,
    "add_watermarker": None,
    "scheduler": ["diffusers", "EulerDiscreteScheduler"],
    "text_encoder": ["transformers", "CLIPTextModel"],
    "text_encoder_2": ["transformers", "CLIPTextModelWithProjection"],
    "tokenizer": ["transformers", "CLIPTokenizer"],
    "tokenizer_2": ["transformers", "CLIPTokenizer"],
    "unet": ["diffusers", "UNet2DConditionModel"],
    "vae_decoder": ["diffusers", "AutoencoderKL"],
    "vae_encoder": ["diffusers", "AutoencoderKL"],
}

REFINER_MODEL_INDEX = {
    "_class_name": "StableDiffusionXLImg2ImgPipeline",
    "_diffusers_version": "0.19.0.dev0",
    "force_zeros_for_empty_prompt": False,
    "add_watermarker": None,
    "requires_aesthetics_score": True,
    "scheduler": ["diffusers", "EulerDiscreteScheduler"],
    "text_encoder_2": ["transformers", "CLIPTextModelWithProjection"],
    "tokenizer_2": ["transformers", "CLIPTokenizer"],
    "unet": ["diffusers", "UNet2DConditionModel"],
    "vae_decoder": ["diffusers", "AutoencoderKL"],
    "vae_encoder": ["diffusers", "AutoencoderKL"],
}


def text_encoder_config(with_projection, hidden, layers, intermediate, heads, projection_dim, act):
    """The real SDXL text encoders' config.json (including their bos/eos ids 0/2), at the tiny sizes."""
    return {
        "architectures": ["CLIPTextModelWithProjection" if with_projection else "CLIPTextModel"],
        "attention_dropout": 0.0,
        "bos_token_id": 0,
        "dropout": 0.0,
        "eos_token_id": 2,
        "hidden_act": act,
        "hidden_size": hidden,
        "initializer_factor": 1.0,
        "initializer_range": 0.02,
        "intermediate_size": intermediate,
        "layer_norm_eps": 1e-05,
        "max_position_embeddings": forge.MAX_POSITIONS,
        "model_type": "clip_text_model",
        "num_attention_heads": heads,
        "num_hidden_layers": layers,
        "pad_token_id": 1,
        "projection_dim": projection_dim,
        "torch_dtype": "float32",
        "transformers_version": "4.32.0.dev0",
        "vocab_size": forge.VOCAB,
    }


TEXT_ENCODER_CONFIG = text_encoder_config(False, forge.TEXT_HIDDEN, forge.TEXT_LAYERS, forge.TEXT_INTERMEDIATE,
                                          forge.TEXT_HEADS, forge.TEXT_HIDDEN, "quick_gelu")
TEXT_ENCODER_2_CONFIG = text_encoder_config(True, TEXT2_HIDDEN, TEXT2_LAYERS, TEXT2_INTERMEDIATE, TEXT2_HEADS,
                                            PROJECTION_DIM, "gelu")


def unet_config(refiner):
    """The real SDXL base UNet's config.json at the tiny sizes (the refiner's: + aesthetic score)."""
    time_ids = 5 if refiner else 6
    cfg = {
        "_class_name": "UNet2DConditionModel",
        "_diffusers_version": "0.19.0.dev0",
        "act_fn": "silu",
        "addition_embed_type": "text_time",
        "addition_embed_type_num_heads": 64,
        "addition_time_embed_dim": ADD_TIME_DIM,
        "attention_head_dim": [forge.UNET_HEADS] * len(forge.UNET_CHANNELS),
        "block_out_channels": list(forge.UNET_CHANNELS),
        "center_input_sample": False,
        "class_embed_type": None,
        "class_embeddings_concat": False,
        "conv_in_kernel": 3,
        "conv_out_kernel": 3,
        "cross_attention_dim": context_dim(refiner),
        "cross_attention_norm": None,
        "down_block_types": ["DownBlock2D", "CrossAttnDownBlock2D"],
        "downsample_padding": 1,
        "dual_cross_attention": False,
        "encoder_hid_dim": None,
        "encoder_hid_dim_type": None,
        "flip_sin_to_cos": True,
        "freq_shift": 0,
        "in_channels": forge.LATENT_CHANNELS,
        "layers_per_block": 1,
        "mid_block_only_cross_attention": None,
        "mid_block_scale_factor": 1,
        "mid_block_type": None,
        "norm_eps": 1e-05,
        "norm_num_groups": forge.UNET_GROUPS,
        "num_attention_heads": None,
        "num_class_embeds": None,
        "only_cross_attention": False,
        "out_channels": forge.LATENT_CHANNELS,
        "projection_class_embeddings_input_dim": time_ids * ADD_TIME_DIM + PROJECTION_DIM,
        "resnet_out_scale_factor": 1.0,
        "resnet_skip_time_act": False,
        "resnet_time_scale_shift": "default",
        "sample_size": 128,
        "time_cond_proj_dim": None,
        "time_embedding_act_fn": None,
        "time_embedding_dim": None,
        "time_embedding_type": "positional",
        "timestep_post_act": None,
        "transformer_layers_per_block": [1] * len(forge.UNET_CHANNELS),
        "up_block_types": ["UpBlock2D", "UpBlock2D"],
        "upcast_attention": None,
        "use_linear_projection": True,
    }
    if refiner:
        cfg["requires_aesthetics_score"] = True
    return cfg


def vae_config():
    """The real SDXL VAE halves' config.json at the tiny sizes."""
    return {
        "_class_name": "AutoencoderKL",
        "_diffusers_version": "0.19.0.dev0",
        "act_fn": "silu",
        "block_out_channels": list(forge.VAE_CHANNELS),
        "down_block_types": ["DownEncoderBlock2D"] * len(forge.VAE_CHANNELS),
        "force_upcast": True,
        "in_channels": 3,
        "latent_channels": forge.LATENT_CHANNELS,
        "layers_per_block": 1,
        "norm_num_groups": forge.VAE_GROUPS,
        "out_channels": 3,
        "sample_size": 1024,
        "scaling_factor": VAE_SCALING_FACTOR,
        "up_block_types": ["UpDecoderBlock2D"] * len(forge.VAE_CHANNELS),
    }


def context_dim(refiner):
    """encoder_hidden_states width: both encoders' penultimate states concatenated; the refiner's only."""
    return TEXT2_HIDDEN if refiner else forge.TEXT_HIDDEN + TEXT2_HIDDEN


# --- models ------------------------------------------------------------------------------------------
def ids_type(legacy):
    return TensorProto.INT32 if legacy else TensorProto.INT64


def build_text_encoder(legacy):
    """CLIPTextModel (CLIP-L-like, tiny-sd's sizes) with hidden_states.0 … hidden_states.2."""
    b = Builder("text_encoder", False, SEED + 1)
    forge.text_encoder_graph(b, forge.TEXT_HIDDEN, forge.TEXT_HEADS, forge.TEXT_INTERMEDIATE, forge.TEXT_LAYERS,
                             ids_type=ids_type(legacy), hidden_states=True)
    return b.model()


def build_text_encoder_2(legacy, seed):
    """CLIPTextModelWithProjection (OpenCLIP-bigG-like: exact GELU) with text_embeds and hidden_states."""
    b = Builder("text_encoder_2", False, seed + 5)
    forge.text_encoder_graph(b, TEXT2_HIDDEN, TEXT2_HEADS, TEXT2_INTERMEDIATE, TEXT2_LAYERS,
                             ids_type=ids_type(legacy), hidden_states=True, projection_dim=PROJECTION_DIM,
                             act="gelu")
    return b.model()


def build_unet(legacy, refiner):
    b = Builder("unet", False, (REFINER_SEED if refiner else SEED) + 2)
    return forge.unet_graph(b, "float-batch" if legacy else "float-scalar", context_dim(refiner),
                            time_ids=5 if refiner else 6, text_embeds_dim=PROJECTION_DIM,
                            add_time_dim=ADD_TIME_DIM, linear_projection=True)


def build_vae_decoder():
    return forge.build_vae_decoder(False, scaling_factor=VAE_SCALING_FACTOR, seed=SEED + 3)


def build_vae_encoder(legacy):
    return forge.build_vae_encoder(False, parameters=not legacy, scaling_factor=VAE_SCALING_FACTOR,
                                   seed=SEED + 4)


# --- folders -----------------------------------------------------------------------------------------
def write_tokenizer(root, name):
    folder = os.path.join(root, name)
    os.makedirs(folder)
    for file in TOKENIZER_VOCAB:
        shutil.copyfile(os.path.join(forge.TOKENIZER_DIR, file), os.path.join(folder, file))
    for file in TOKENIZER_CONFIGS:
        shutil.copyfile(os.path.join(CONFIGS_DIR, name, file), os.path.join(folder, file))


def write_component(root, name, model, config):
    forge.save(model, os.path.join(root, name))
    forge.write_json(os.path.join(root, name, "config.json"), config)


def forge_sdxl(root, variant):
    """Writes one SDXL variant into the (empty, existing) folder root."""
    legacy = variant == "tiny-sdxl-legacy"
    refiner = variant == "tiny-sdxl-refiner"
    forge.write_json(os.path.join(root, "model_index.json"), REFINER_MODEL_INDEX if refiner else MODEL_INDEX)
    os.makedirs(os.path.join(root, "scheduler"))
    shutil.copyfile(os.path.join(CONFIGS_DIR, "scheduler", "scheduler_config.json"),
                    os.path.join(root, "scheduler", "scheduler_config.json"))
    if not refiner:
        write_tokenizer(root, "tokenizer")
        write_component(root, "text_encoder", build_text_encoder(legacy), TEXT_ENCODER_CONFIG)
    write_tokenizer(root, "tokenizer_2")
    write_component(root, "text_encoder_2", build_text_encoder_2(legacy, REFINER_SEED if refiner else SEED),
                    TEXT_ENCODER_2_CONFIG)
    write_component(root, "unet", build_unet(legacy, refiner), unet_config(refiner))
    write_component(root, "vae_decoder", build_vae_decoder(), vae_config())
    write_component(root, "vae_encoder", build_vae_encoder(legacy), vae_config())
    if variant == "tiny-sdxl":
        import controlnet  # tools/forge/controlnet.py
        controlnet.write_controlnet_unet(root, "sdxl")
