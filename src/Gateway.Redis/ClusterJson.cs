using System.Text.Json;
using System.Text.Json.Serialization;
using Gateway.Diffusion.Imaging;

namespace Gateway.Redis;

/// <summary>The JSON that jobs and results travel in between nodes; images as their raw RGBA bytes, so what a node
/// runs is exactly what was asked for.</summary>
public static class ClusterJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Converters = { new PixelImageConverter(), new InpaintMaskConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static T Deserialize<T>(string json) =>
        JsonSerializer.Deserialize<T>(json, Options) ?? throw new JsonException($"Empty {typeof(T).Name} in the cluster's data.");

    private sealed class PixelImageConverter : JsonConverter<PixelImage>
    {
        public override PixelImage Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            var (width, height, bytes) = ReadPlane(ref reader, "rgba");
            if (bytes.Length != checked(width * height * 4)) throw new JsonException($"A {width}x{height} image needs {width * height * 4} bytes.");
            return new PixelImage(width, height, bytes);
        }

        public override void Write(Utf8JsonWriter writer, PixelImage value, JsonSerializerOptions options) =>
            WritePlane(writer, value.Width, value.Height, "rgba", value.Rgba);
    }

    private sealed class InpaintMaskConverter : JsonConverter<InpaintMask>
    {
        public override InpaintMask Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            var (width, height, keep) = ReadPlane(ref reader, "keep");
            return new InpaintMask(width, height, keep);
        }

        public override void Write(Utf8JsonWriter writer, InpaintMask value, JsonSerializerOptions options) =>
            WritePlane(writer, value.Width, value.Height, "keep", value.Keep);
    }

    private static void WritePlane(Utf8JsonWriter writer, int width, int height, string name, byte[] bytes)
    {
        writer.WriteStartObject();
        writer.WriteNumber("width", width);
        writer.WriteNumber("height", height);
        writer.WriteBase64String(name, bytes);
        writer.WriteEndObject();
    }

    private static (int Width, int Height, byte[] Bytes) ReadPlane(ref Utf8JsonReader reader, string name)
    {
        if (reader.TokenType != JsonTokenType.StartObject) throw new JsonException("An image must be an object.");
        int? width = null, height = null;
        byte[]? bytes = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var property = reader.GetString();
            reader.Read();
            if (property == "width") width = reader.GetInt32();
            else if (property == "height") height = reader.GetInt32();
            else if (property == name) bytes = reader.GetBytesFromBase64();
            else reader.Skip();
        }
        if (width is null || height is null || bytes is null) throw new JsonException($"An image needs width, height and {name}.");
        return (width.Value, height.Value, bytes);
    }
}
