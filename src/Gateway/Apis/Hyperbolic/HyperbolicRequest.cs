using Gateway.Diffusion.Imaging;
using Gateway.Diffusion.Models;
using Gateway.Diffusion.Pipelines;
using Gateway.Diffusion.Prompts;
using Gateway.Diffusion.Schedulers;
using Gateway.Errors;

namespace Gateway.Apis.Hyperbolic;

/// <summary><c>POST /v1/image/generation</c>'s fields, defaults and limits, read into the shared <see cref="GenerationRequest"/>.</summary>
public static class HyperbolicRequest
{
    public const int DefaultSide = 1024;
    public const int DefaultSteps = 30;
    public const double DefaultCfgScale = 5.0;
    public const double DefaultStrength = 0.8;
    public const int MaxImages = 4;

    /// <summary>Hyperbolic's backend names. Every one runs on this server's ONNX Runtime engine, which the response names.</summary>
    public static IReadOnlyList<string> Backends { get; } = ["auto", "torch", "tvm"];

    /// <exception cref="ApiException">400 naming the field at fault; 404 for an unknown model.</exception>
    public static GenerationRequest Read(JsonFields body, ModelCatalog catalog)
    {
        var modelName = body.String("model_name", required: true, minLength: 1)!;
        if (!catalog.TryGet(modelName, out var model))
            throw new ApiException(StatusCodes.Status404NotFound,
                $"The model '{modelName}' does not exist. Available models: {string.Join(", ", catalog.Models.Select(m => m.Id))}.",
                "model_name", "model_not_found");
        var prompt = body.String("prompt", required: true)!;
        if (string.IsNullOrWhiteSpace(prompt)) throw ApiException.BadRequest("prompt", "'prompt' must not be blank.");
        var negativePrompt = body.String("negative_prompt") ?? "";
        var width = Side(body, "width", model);
        var height = Side(body, "height", model);
        var steps = (int)(body.Integer("steps", 1, 150) ?? DefaultSteps);
        var cfgScale = body.Number("cfg_scale", 0, 30) ?? DefaultCfgScale;
        var seed = body.Integer("seed", 0, uint.MaxValue) is { } chosen ? (ulong)chosen : Seeds.Random();
        var sampler = Sampler(body);
        var count = (int)(body.Integer("n", 1, MaxImages) ?? 1);
        body.Choice("backend", Backends); // checked only: see Backends
        var preset = body.Choice("style_preset", StylePresets.Names);
        var image = body.Raw("image");
        var strength = body.Number("strength", 0, 1);
        if (image is null && strength is not null)
            throw ApiException.BadRequest("strength", "'strength' applies only with 'image' (image-to-image).");
        UnservedFeatures.Refuse(body, model);
        var loras = HyperbolicLoras.Read(body);
        RefuseUnknownFields(body);

        if (StylePresets.TryGet(preset, out var style)) (prompt, negativePrompt) = style.Apply(prompt, negativePrompt);
        InitImage? init = null;
        // Decoded last: it is the costly part, and any other mistake in the request should answer first.
        if (image is { } encoded)
        {
            var pixels = Base64Image.Decode(encoded, "image");
            init = new InitImage(pixels, strength ?? DefaultStrength);
            width ??= KeptSide(pixels, pixels.Width, model);
            height ??= KeptSide(pixels, pixels.Height, model);
        }
        return new GenerationRequest
        {
            Model = model.Id,
            Prompt = prompt,
            NegativePrompt = negativePrompt,
            Width = width ?? DefaultSide,
            Height = height ?? DefaultSide,
            Steps = steps,
            Guidance = cfgScale,
            Sampler = sampler,
            Seed = seed,
            ImageCount = count,
            InitImage = init,
            Loras = loras,
        };
    }

    private static int? Side(JsonFields body, string name, ModelCatalogEntry model)
    {
        if (body.Integer(name, 64, model.MaxSide) is not { } side) return null;
        return side % 8 == 0 ? (int)side : throw ApiException.BadRequest(name, $"'{name}' must be a multiple of 8; got {side}.");
    }

    /// <summary>An input image's side rounded down to a multiple of 8, the size image-to-image keeps when none is asked for.</summary>
    private static int KeptSide(PixelImage image, int side, ModelCatalogEntry model)
    {
        var kept = side / 8 * 8;
        if (kept >= 64 && kept <= model.MaxSide) return kept;
        throw ApiException.BadRequest("image",
            $"The image is {image.Width}x{image.Height}. Without 'width' and 'height' the output keeps that size rounded down to " +
            $"multiples of 8, but model '{model.Id}' makes 64 to {model.MaxSide} pixels a side: send 'width' and 'height' to resize it.");
    }

    private static string? Sampler(JsonFields body)
    {
        var name = body.String("sampler");
        if (name is null || SchedulerFactory.IsKnown(name)) return name;
        throw ApiException.BadRequest("sampler",
            $"Unknown sampler '{name}'. Valid samplers: {string.Join(", ", SchedulerFactory.Names)} " +
            $"(diffusers class names such as {SchedulerFactory.ClassNames[0]} work too).");
    }

    private static void RefuseUnknownFields(JsonFields body)
    {
        if (body.UnreadFields is not [var first, ..] unknown) return;
        throw ApiException.BadRequest(first, unknown.Count == 1
            ? $"Unknown parameter '{first}'."
            : $"Unknown parameters: {string.Join(", ", unknown.Select(name => $"'{name}'"))}.", "unknown_parameter");
    }
}
