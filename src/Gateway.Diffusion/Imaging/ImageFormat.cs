namespace Gateway.Diffusion.Imaging;

public enum ImageFormat
{
    Png,
    Jpeg,
    Webp,
}

public static class ImageFormats
{
    public static bool TryParse(string? name, out ImageFormat format)
    {
        switch (name?.Trim().ToLowerInvariant())
        {
            case "png": format = ImageFormat.Png; return true;
            case "jpeg" or "jpg": format = ImageFormat.Jpeg; return true;
            case "webp": format = ImageFormat.Webp; return true;
            default: format = default; return false;
        }
    }

    /// <summary>The format a file name's extension asks for, if it names one.</summary>
    public static bool TryFromFileName(string path, out ImageFormat format) =>
        TryParse(Path.GetExtension(path).TrimStart('.'), out format);

    public static string Extension(this ImageFormat format) => format switch
    {
        ImageFormat.Png => "png",
        ImageFormat.Jpeg => "jpeg",
        _ => "webp",
    };

    public static string MediaType(this ImageFormat format) => "image/" + format.Extension();
}
