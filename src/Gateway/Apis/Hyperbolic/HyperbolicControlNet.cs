using System.Text.Json;
using Gateway.Diffusion.Control;
using Gateway.Diffusion.Models;
using Gateway.Errors;

namespace Gateway.Apis.Hyperbolic;

/// <summary>
/// Hyperbolic's ControlNet fields: <c>controlnet_name</c> (a ControlNet id of <c>GET /v1/image/controlnets</c>, or a
/// control type such as <c>canny</c>), <c>controlnet_image</c> (base64), <c>controlnet_conditioning_scale</c> (0–2) and
/// <c>controlnet_preprocess</c>; Gateway adds diffusers' <c>control_guidance_start</c> / <c>_end</c> and the canny
/// thresholds. A model alias such as <c>SD1.5-ControlNet</c> means its model with its default ControlNet. The engine
/// checks names and families; this reads the JSON and refuses what cannot be meant.
/// </summary>
internal static class HyperbolicControlNet
{
    private static readonly string[] Settings =
        ["controlnet_conditioning_scale", "controlnet_preprocess", "control_guidance_start", "control_guidance_end", "controlnet_canny_low", "controlnet_canny_high"];

    /// <summary>The model a <c>model_name</c> means, and the ControlNet its alias implies (null for a plain model id).</summary>
    public static (string ModelId, string? DefaultControlNet) ResolveAlias(ModelCatalog catalog, string modelName) =>
        !catalog.TryGet(modelName, out _) && catalog.TryGetControlNetAlias(modelName, out var model)
            ? (model.Id, model.ControlNet!.DefaultControlNet)
            : (modelName, null);

    /// <summary>The request's ControlNet, or null; its image is decoded later (<see cref="PendingControlNet.Decode"/>), once
    /// every other field is known to be right.</summary>
    public static PendingControlNet? Read(JsonFields body, ModelCatalogEntry model, string? aliasControlNet)
    {
        var name = body.String("controlnet_name");
        var image = body.Raw("controlnet_image") is { ValueKind: not JsonValueKind.Null } raw ? raw : (JsonElement?)null;
        var scale = body.Number("controlnet_conditioning_scale", ControlNetRequest.MinScale, ControlNetRequest.MaxScale);
        var preprocess = body.Boolean("controlnet_preprocess");
        var start = body.Number("control_guidance_start", 0, 1);
        var end = body.Number("control_guidance_end", 0, 1);
        var low = (int?)body.Integer("controlnet_canny_low", 0, 1000);
        var high = (int?)body.Integer("controlnet_canny_high", 0, 1000);

        var used = new List<string>();
        if (!string.IsNullOrEmpty(name)) used.Add("controlnet_name");
        if (image is { ValueKind: JsonValueKind.String } text && text.GetString() != "") used.Add("controlnet_image");
        var settings = new object?[] { scale, preprocess, start, end, low, high };
        used.AddRange(Settings.Where((_, i) => settings[i] is not null));
        if (used.Count == 0 && aliasControlNet is null) return null;

        if (model.ControlNet is null)
            throw ApiException.BadRequest(used[0],
                $"'{used[0]}' needs a ControlNet, which model '{model.Id}' ({model.Family.ToName()}) does not have (models.json names no ControlNet UNet for it).",
                "unsupported_parameter");
        var chosen = string.IsNullOrEmpty(name) ? aliasControlNet : name;
        if (chosen is null)
            throw ApiException.BadRequest("controlnet_name",
                $"'{used[0]}' needs 'controlnet_name': a ControlNet of GET /v1/image/controlnets or a control type (canny, depth, openpose, softedge).");
        if (!used.Contains("controlnet_image"))
            throw ApiException.BadRequest("controlnet_image",
                $"ControlNet '{chosen}' needs 'controlnet_image': the base64 picture (or, with controlnet_preprocess false, the control map) it follows.");
        if (low is not null && high is not null && low > high)
            throw ApiException.BadRequest("controlnet_canny_low", $"'controlnet_canny_low' ({low}) must not exceed 'controlnet_canny_high' ({high}).");
        return new PendingControlNet(chosen, image!.Value, scale, preprocess ?? true, start ?? 0, end ?? 1,
            low ?? ControlNetRequest.DefaultCannyLow, high ?? ControlNetRequest.DefaultCannyHigh);
    }
}

/// <summary>A ControlNet request read but for its image.</summary>
internal sealed record PendingControlNet(string Name, JsonElement Image, double? Scale, bool Preprocess, double GuidanceStart,
    double GuidanceEnd, int CannyLow, int CannyHigh)
{
    public ControlNetRequest Decode() => new()
    {
        Name = Name,
        Image = Base64Image.Decode(Image, "controlnet_image"),
        Scale = Scale,
        Preprocess = Preprocess,
        GuidanceStart = GuidanceStart,
        GuidanceEnd = GuidanceEnd,
        CannyLow = CannyLow,
        CannyHigh = CannyHigh,
    };
}
