using Gateway.Diffusion.Imaging;
using Gateway.Diffusion.Models;
using Gateway.Errors;

namespace Gateway.Apis.OpenAi;

/// <summary>
/// The sizes of <c>/v1/images/generations</c>: one per aspect ratio (the SDXL training buckets, about one megapixel),
/// plus the native and extra sizes a model declares in models.json.
/// </summary>
public static class OpenAiSizes
{
    public const string DefaultAspectRatio = "1:1";

    /// <summary>Each aspect ratio with its size, in the order the API documents them.</summary>
    public static IReadOnlyList<(string AspectRatio, ImageSize Size)> Table { get; } =
    [
        ("16:9", new ImageSize(1344, 768)),
        ("1:1", new ImageSize(1024, 1024)),
        ("21:9", new ImageSize(1536, 640)),
        ("2:3", new ImageSize(832, 1216)),
        ("3:2", new ImageSize(1216, 832)),
        ("4:5", new ImageSize(896, 1088)),
        ("5:4", new ImageSize(1088, 896)),
        ("9:16", new ImageSize(768, 1344)),
        ("9:21", new ImageSize(640, 1536)),
    ];

    public static IReadOnlyList<string> AspectRatios { get; } = Table.Select(t => t.AspectRatio).ToList();

    /// <summary>The list sizes in <c>WxH</c> form, in the table's order.</summary>
    public static IReadOnlyList<string> Sizes { get; } = Table.Select(t => t.Size.ToString()).ToList();

    /// <summary>The output size for <paramref name="model"/>: <paramref name="size"/> when given (a list size or one the model
    /// declares), else the size of <paramref name="aspectRatio"/>, else 1024x1024. A size whose nearest aspect ratio is not
    /// the given one is refused.</summary>
    public static ImageSize Resolve(ModelCatalogEntry model, string? size, string? aspectRatio)
    {
        if (size is null) return SizeOf(aspectRatio ?? DefaultAspectRatio);

        var accepted = AcceptedBy(model);
        if (!ImageSize.TryParse(size, out var parsed) || !accepted.Contains(parsed))
            throw ApiException.BadRequest("size",
                $"'size' must be one of {string.Join(", ", accepted)} for model '{model.Id}'; got '{size}'.");
        if (aspectRatio is not null && NearestAspectRatio(parsed) != aspectRatio)
            throw ApiException.BadRequest("aspect_ratio",
                $"'size' {parsed} and 'aspect_ratio' {aspectRatio} disagree: {aspectRatio} is {SizeOf(aspectRatio)}. Send one of them, or both agreeing.");
        return parsed;
    }

    /// <summary>The output size of an edit or variation of <paramref name="image"/>: the image's own size (each side
    /// rounded to a multiple of 8 within 64 and the model's max side) when <paramref name="size"/> is absent, <c>auto</c>
    /// or that size; otherwise a size <see cref="Resolve"/> accepts.</summary>
    public static ImageSize ResolveForImage(ModelCatalogEntry model, string? size, PixelImage image)
    {
        var own = new ImageSize(Side(image.Width, model.MaxSide), Side(image.Height, model.MaxSide));
        if (size is null || size.Equals(ImageEditFields.AutoSize, StringComparison.OrdinalIgnoreCase)) return own;
        if (ImageSize.TryParse(size, out var parsed) && parsed == own) return own;
        try
        {
            return Resolve(model, size, null);
        }
        catch (ApiException e)
        {
            throw ApiException.BadRequest("size", $"{e.Message} Or send 'auto' (or nothing) for the image's own size, {own}.");
        }
    }

    private static int Side(int pixels, int maxSide) => Math.Clamp((int)Math.Round(pixels / 8.0) * 8, 64, maxSide);

    /// <summary>The list sizes, then the model's native and extra sizes.</summary>
    public static IReadOnlyList<ImageSize> AcceptedBy(ModelCatalogEntry model) =>
        Table.Select(t => t.Size).Append(model.NativeSize).Concat(model.ExtraSizes).Distinct().ToList();

    private static ImageSize SizeOf(string aspectRatio) => Table.First(t => t.AspectRatio == aspectRatio).Size;

    /// <summary>The listed ratio closest to the size's own (by |ln|): how a model's extra size, e.g. 768x512, gets its ratio.</summary>
    private static string NearestAspectRatio(ImageSize size)
    {
        var ratio = Math.Log((double)size.Width / size.Height);
        return Table.MinBy(t => Math.Abs(Math.Log((double)t.Size.Width / t.Size.Height) - ratio)).AspectRatio;
    }
}
