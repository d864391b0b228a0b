using System.Text.Json;

namespace Gateway.Diffusion.Models;

/// <summary>Reads single values from a component's <c>config.json</c>, which exports may omit.</summary>
internal static class ComponentConfig
{
    public static double? ReadNumber(string modelDirectory, string component, string key)
    {
        var path = Path.Combine(modelDirectory, component, "config.json");
        if (!File.Exists(path)) return null;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            return document.RootElement.TryGetProperty(key, out var value) && value.ValueKind == JsonValueKind.Number
                ? value.GetDouble()
                : null;
        }
        catch (JsonException e)
        {
            throw new ModelLoadException($"{Path.GetFileName(modelDirectory)}/{component}/config.json: not valid JSON: {e.Message}", e);
        }
    }
}
