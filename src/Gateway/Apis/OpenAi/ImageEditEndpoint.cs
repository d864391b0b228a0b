using Gateway.Apis.Shared;
using Gateway.Auth;
using Gateway.Diffusion.Engine;
using Gateway.Diffusion.Imaging;
using Gateway.Diffusion.Pipelines;
using Gateway.Hosting;
using Gateway.Storage;

namespace Gateway.Apis.OpenAi;

/// <summary>
/// <c>POST /v1/images/edits</c> and <c>POST /v1/images/variations</c>: multipart bodies with the image (and a mask) as
/// file parts, run as image-to-image or inpainting, answered like <c>/v1/images/generations</c>.
/// </summary>
public static class ImageEditEndpoint
{
    /// <summary>How a masked edit was inpainted: <c>inpaint-model</c> or <c>masked-img2img</c>.</summary>
    public const string InpaintMethodHeader = "X-Inpaint-Method";

    public static Task<IResult> EditAsync(HttpContext http, DiffusionEngine engine, IImageStore store, OpenAiSettings settings,
        GatewayOptions options, Metering metering, ImageUrls urls, ImageOutput output) =>
        HandleAsync(http, engine, store, settings, options, metering, urls, output, variation: false);

    public static Task<IResult> VariationAsync(HttpContext http, DiffusionEngine engine, IImageStore store, OpenAiSettings settings,
        GatewayOptions options, Metering metering, ImageUrls urls, ImageOutput output) =>
        HandleAsync(http, engine, store, settings, options, metering, urls, output, variation: true);

    private static async Task<IResult> HandleAsync(HttpContext http, DiffusionEngine engine, IImageStore store, OpenAiSettings settings,
        GatewayOptions options, Metering metering, ImageUrls urls, ImageOutput output, bool variation)
    {
        // The client's disconnect cancels the body read, the queued or running generation and the encoding.
        var cancel = http.RequestAborted;
        EngineParamNames.Use(http, EngineParamNames.OpenAi);
        var form = await FormFields.ReadBodyAsync(http.Request, options.MaxRequestBytes, ImageEditFields.MaxTextBytes, cancel);
        var call = variation ? ImageEditFields.ReadVariation(form, settings.DefaultModel) : ImageEditFields.ReadEdit(form, settings.DefaultModel);
        var model = DialectModels.Find(engine.Catalog, call.Model, "model");
        // Broken storage answers 503 before the generation, not after it.
        if (call.ResponseAsUrl) await store.EnsureWritableAsync();
        var image = await UploadedImages.DecodeImageAsync(call.Image, cancel);
        var mask = call.Mask is { } maskFile ? await UploadedImages.DecodeMaskAsync(maskFile, cancel) : null;
        var size = OpenAiSizes.ResolveForImage(model, call.Size, image);
        var render = Diffusion.Models.RenderSizePlanner.Plan(model, size);

        var request = new GenerationRequest
        {
            Model = model.Id,
            Prompt = call.Prompt,
            NegativePrompt = call.NegativePrompt,
            Width = render.Width,
            Height = render.Height,
            Seed = call.Seed,
            ImageCount = call.Count,
            InitImage = new InitImage(image, call.Strength) { Mask = mask },
        };
        // Priced as the generation of the same images.
        var price = Metering.Price(size.Width, size.Height, model.DefaultSteps, model.CreditMultiplier, call.Count);
        var result = await metering.RunAsync(http, "openai", request, size.Width, size.Height, model.DefaultSteps, price,
            () => engine.GenerateAsync(request, new GenerationOptions { Client = http.ClientId() }, cancel));

        var parameters = result.Images.Select((_, i) => GenerationParameters.Of(request, result, i, size.Width, size.Height)).ToList();
        var encoded = await DialectImages.EncodeAsync(result.Images.Select((generated, i) => (Pixels: generated.Image, Parameters: parameters[i])),
            generated => output.Encode(ImageCodec.Resize(generated.Pixels, size.Width, size.Height), call.OutputFormat, generated.Parameters), cancel);
        var data = new List<GeneratedImageData>(encoded.Length);
        for (var i = 0; i < encoded.Length; i++)
        {
            var seed = result.Images[i].Seed;
            data.Add(call.ResponseAsUrl
                ? new GeneratedImageData(null, urls.For(http.Request, (await store.SaveAsync(encoded[i], call.OutputFormat, http.ClientId(), parameters[i], cancel)).FileName), "", seed)
                : new GeneratedImageData(encoded[i], null, "", seed));
        }

        DialectResponse.SetSeed(http, result.Images[0].Seed);
        DialectResponse.SetWarnings(http, result.Warnings);
        if (call.IgnoredParams.Count > 0) http.Response.Headers["X-Ignored-Params"] = string.Join(", ", call.IgnoredParams);
        if (result.Inpainting is { } method)
            http.Response.Headers[InpaintMethodHeader] = method == InpaintMethod.InpaintModel ? "inpaint-model" : "masked-img2img";
        return Results.Json(new ImageGenerationResponse(DateTimeOffset.UtcNow.ToUnixTimeSeconds(), data));
    }
}
