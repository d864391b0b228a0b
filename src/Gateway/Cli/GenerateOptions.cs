using System.Globalization;
using System.Numerics;
using Gateway.Diffusion.Imaging;
using Gateway.Diffusion.Models;

namespace Gateway.Cli;

/// <summary>The options of <c>generate</c>, parsed from the command line.</summary>
public sealed record GenerateOptions
{
    public const string Usage = """
        Usage: Gateway generate --model ID --prompt TEXT [options]

          --model ID              model id from models.json
          --prompt TEXT           what to draw
          --negative-prompt TEXT  what to avoid
          --prompt-2 TEXT         SDXL: the second text encoder's prompt (default: --prompt)
          --negative-prompt-2 TEXT  SDXL: the second text encoder's negative prompt (default: --negative-prompt)
          --refiner               SDXL: finish with the model's refiner (models.json "refiner")
          --lora NAME[:WEIGHT]    apply a LoRA of models.json "loras" (weight -2..2, default: its default_weight);
                                  repeatable, at most 5
          --size WxH              image size, multiples of 8 (default: the model's native size)
          --steps N               denoising steps (default: the model's)
          --guidance F            classifier-free guidance scale (default: the model's)
          --seed N                0..18446744073709551615 (default: random, printed)
          --sampler NAME          e.g. "Euler a", "DPM++ 2M Karras", "DDIM" (default: the model's)
          --image FILE            start from this PNG/JPEG/WebP (image-to-image)
          --strength F            how much of --image to replace, 0..1 (default 0.8)
          --controlnet NAME       steer with a ControlNet of models.json "controlnets" (an id, or a type: canny,
                                  depth, openpose, softedge); needs --control-image
          --control-image FILE    the PNG/JPEG/WebP the ControlNet follows (its preprocessor makes the map)
          --control-scale F       ControlNet conditioning scale, 0..2 (default: the ControlNet's default_scale)
          --control-raw           --control-image already is the control map: skip the preprocessor
          --out FILE              output file; .png, .jpg or .webp (default: gateway-SEED.png)
          --quality N             JPEG/WebP quality 1..100 (default 90)
        """;

    public required string Model { get; init; }
    public required string Prompt { get; init; }
    public string NegativePrompt { get; init; } = "";
    public string? Prompt2 { get; init; }
    public string? NegativePrompt2 { get; init; }
    public bool Refiner { get; init; }
    /// <summary><c>--lora</c> in order: the LoRA id and its weight, null for the LoRA's default weight.</summary>
    public IReadOnlyList<(string Name, double? Weight)> Loras { get; init; } = [];
    public ImageSize? Size { get; init; }
    public int? Steps { get; init; }
    public double? Guidance { get; init; }
    public ulong? Seed { get; init; }
    public string? Sampler { get; init; }
    public string? ImagePath { get; init; }
    public double Strength { get; init; } = 0.8;
    public string? ControlNet { get; init; }
    public string? ControlImagePath { get; init; }
    public double? ControlScale { get; init; }
    public bool ControlRaw { get; init; }
    public string? OutPath { get; init; }
    public ImageFormat Format { get; init; } = ImageFormat.Png;
    public int Quality { get; init; } = 90;

    /// <summary>Parses the arguments after the verb; a <see cref="CliUsageException"/> says what is wrong.</summary>
    public static GenerateOptions Parse(IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var flags = new HashSet<string>(StringComparer.Ordinal);
        var loras = new List<(string, double?)>();
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (name is "-h" or "--help") throw new CliUsageException(null);
            if (Flags.Contains(name))
            {
                flags.Add(name);
                continue;
            }
            if (!Known.Contains(name)) throw new CliUsageException($"unknown option '{name}'.");
            if (i + 1 >= args.Count) throw new CliUsageException($"option '{name}' needs a value.");
            if (name == "--lora") loras.Add(ParseLora(args[++i]));
            else values[name] = args[++i];
        }

        string? Get(string name) => values.GetValueOrDefault(name);
        string Required(string name) => Get(name) is { Length: > 0 } v ? v : throw new CliUsageException($"{name} is required.");

        if (Get("--controlnet") is null && (Get("--control-image") ?? Get("--control-scale")) is not null)
            throw new CliUsageException($"{(Get("--control-image") is null ? "--control-scale" : "--control-image")} needs --controlnet NAME.");
        if (Get("--controlnet") is { } net && Get("--control-image") is null)
            throw new CliUsageException($"--controlnet {net} needs --control-image FILE.");

        var outPath = Get("--out");
        var format = ImageFormat.Png;
        if (outPath is not null && !ImageFormats.TryFromFileName(outPath, out format))
            throw new CliUsageException($"--out '{outPath}' must end in .png, .jpg, .jpeg or .webp.");

        return new GenerateOptions
        {
            Model = Required("--model"),
            Prompt = Required("--prompt"),
            NegativePrompt = Get("--negative-prompt") ?? "",
            Prompt2 = Get("--prompt-2"),
            NegativePrompt2 = Get("--negative-prompt-2"),
            Refiner = flags.Contains("--refiner"),
            Loras = loras,
            Size = Get("--size") is { } size
                ? ImageSize.TryParse(size, out var parsed) ? parsed : throw new CliUsageException($"--size '{size}' is not WIDTHxHEIGHT, e.g. 512x512.")
                : null,
            Steps = ParseNumber<int>("--steps", Get("--steps")),
            Guidance = ParseNumber<double>("--guidance", Get("--guidance")),
            Seed = ParseNumber<ulong>("--seed", Get("--seed")),
            Sampler = Get("--sampler"),
            ImagePath = Get("--image"),
            Strength = ParseNumber<double>("--strength", Get("--strength")) ?? 0.8,
            ControlNet = Get("--controlnet"),
            ControlImagePath = Get("--control-image"),
            ControlScale = ParseNumber<double>("--control-scale", Get("--control-scale")),
            ControlRaw = flags.Contains("--control-raw"),
            OutPath = outPath,
            Format = format,
            Quality = ParseNumber<int>("--quality", Get("--quality")) ?? 90,
        };
    }

    private static readonly HashSet<string> Known =
    [
        "--model", "--prompt", "--negative-prompt", "--size", "--steps", "--guidance", "--seed", "--sampler",
        "--image", "--strength", "--out", "--quality", "--prompt-2", "--negative-prompt-2", "--lora",
        "--controlnet", "--control-image", "--control-scale",
    ];

    /// <summary><c>NAME</c> or <c>NAME:WEIGHT</c>; the name may itself hold ':' only when a weight follows.</summary>
    private static (string, double?) ParseLora(string text)
    {
        var colon = text.LastIndexOf(':');
        var name = colon < 0 ? text : text[..colon];
        if (name.Length == 0) throw new CliUsageException($"--lora '{text}' needs a LoRA name (NAME or NAME:WEIGHT).");
        return (name, colon < 0 ? null : ParseNumber<double>("--lora", text[(colon + 1)..]));
    }

    /// <summary>Options that take no value.</summary>
    private static readonly HashSet<string> Flags = ["--refiner", "--control-raw"];

    private static T? ParseNumber<T>(string name, string? text) where T : struct, INumberBase<T>
    {
        if (text is null) return null;
        var style = typeof(T) == typeof(double) ? NumberStyles.Float : NumberStyles.Integer;
        return T.TryParse(text, style, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new CliUsageException($"{name} '{text}' is not a valid {(typeof(T) == typeof(double) ? "number" : "whole number")}.");
    }
}

/// <summary>A command line that cannot run; a null message asks for the usage text alone.</summary>
public sealed class CliUsageException(string? message) : Exception(message ?? "");
