using Gateway.Apis.Shared;
using Gateway.Diffusion.Imaging;
using Gateway.Diffusion.Models;
using Gateway.Diffusion.Pipelines;
using Gateway.Diffusion.Prompts;
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
        var (modelId, aliasControlNet) = HyperbolicControlNet.ResolveAlias(catalog, body.String("model_name", required: true, minLength: 1)!);
        var model = DialectModels.Find(catalog, modelId, "model_name");
        var prompt = DialectFields.Text(body, "prompt", required: true)!;
        if (string.IsNullOrWhiteSpace(prompt)) throw ApiException.BadRequest("prompt", "'prompt' must not be blank.");
        var negativePrompt = DialectFields.Text(body, "negative_prompt") ?? "";
        var prompt2 = DialectFields.Text(body, "prompt_2");
        var negativePrompt2 = DialectFields.Text(body, "negative_prompt_2");
        var refiner = body.Boolean("enable_refiner") ?? false;
        var width = Side(body, "width", model);
        var height = Side(body, "height", model);
        var steps = (int)(body.Integer("steps", 1, 150) ?? DefaultSteps);
        var cfgScale = body.Number("cfg_scale", 0, 30) ?? DefaultCfgScale;
        var chosenSeed = body.Integer("seed", 0, DialectSeeds.MaxSeed);
        var sampler = body.String("sampler"); // checked by the engine, as every dialect's
        var count = (int)(body.Integer("n", 1, MaxImages) ?? 1);
        var seed = DialectSeeds.ForBatch(chosenSeed, count, "seed", "n");
        body.Choice("backend", Backends); // checked only: see Backends
        var preset = body.Choice("style_preset", StylePresets.Names);
        var image = body.Raw("image");
        var strength = body.Number("strength", 0, 1);
        if (image is null && strength is not null)
            throw ApiException.BadRequest("strength", "'strength' applies only with 'image' (image-to-image).");
        var controlNet = HyperbolicControlNet.Read(body, model, aliasControlNet);
        var loras = HyperbolicLoras.Read(body);
        DialectFields.RefuseUnread(body);

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
        var control = controlNet?.Decode();
        return new GenerationRequest
        {
            Model = model.Id,
            Prompt = prompt,
            NegativePrompt = negativePrompt,
            // An empty second prompt means "not given", as on Hyperbolic's own service.
            Prompt2 = string.IsNullOrEmpty(prompt2) ? null : prompt2,
            NegativePrompt2 = string.IsNullOrEmpty(negativePrompt2) ? null : negativePrompt2,
            UseRefiner = refiner,
            Width = width ?? DefaultSide,
            Height = height ?? DefaultSide,
            Steps = steps,
            Guidance = cfgScale,
            Sampler = sampler,
            Seed = seed,
            ImageCount = count,
            InitImage = init,
            Loras = loras,
            ControlNet = control,
        };
    }

    /// <summary>A side within the model's range; the engine checks that it is a multiple of 8.</summary>
    private static int? Side(JsonFields body, string name, ModelCatalogEntry model) => (int?)body.Integer(name, 64, model.MaxSide);

    /// <summary>An input image's side rounded down to a multiple of 8, the size image-to-image keeps when none is asked for.</summary>
    private static int KeptSide(PixelImage image, int side, ModelCatalogEntry model)
    {
        var kept = side / 8 * 8;
        if (kept >= 64 && kept <= model.MaxSide) return kept;
        throw ApiException.BadRequest("image",
            $"The image is {image.Width}x{image.Height}. Without 'width' and 'height' the output keeps that size rounded down to " +
            $"multiples of 8, but model '{model.Id}' makes 64 to {model.MaxSide} pixels a side: send 'width' and 'height' to resize it.");
    }
}
