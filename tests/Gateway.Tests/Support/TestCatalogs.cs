using System.Collections.Concurrent;
using System.Text.Json.Nodes;

namespace Gateway.Tests.Support;

/// <summary>
/// Models folders that serve a chosen subset of the committed catalog (a models.json whose folders and LoRA files point
/// back at onnx-models/), so that a test server loads only what its tests use: each started server loads every model it lists.
/// </summary>
public static class TestCatalogs
{
    /// <summary>What most HTTP tests use: the two tiny SD 1.5 exports.</summary>
    public static readonly string[] Sd = ["tiny-sd", "tiny-sd-fp16"];

    /// <summary>The SDXL family with its refiner, and tiny-sd to compare with.</summary>
    public static readonly string[] Sdxl = ["tiny-sd", "tiny-sdxl", "tiny-sdxl-turbo", "tiny-sdxl-refiner"];

    private static readonly ConcurrentDictionary<string, string> Folders = new(StringComparer.Ordinal);

    /// <summary>SD 1.5 and SDXL with the ControlNets of every control type.</summary>
    public static readonly string[] ControlNet =
        ["tiny-sd", "tiny-sdxl", "tiny-sdxl-refiner", "tiny-sd-canny", "tiny-sd-depth", "tiny-sd-openpose", "tiny-sd-softedge", "tiny-sdxl-canny"];

    /// <summary>A folder whose models.json lists the models and ControlNets <paramref name="ids"/> (in the committed catalog's order).</summary>
    public static string For(IReadOnlyCollection<string> ids) => Folders.GetOrAdd(string.Join(",", ids), _ => Write(ids));

    private static string Write(IReadOnlyCollection<string> ids)
    {
        var catalog = JsonNode.Parse(File.ReadAllText(Path.Combine(TestPaths.ModelsDirectory, "models.json")))!.AsObject();
        var models = new JsonArray();
        foreach (var model in catalog["models"]!.AsArray())
        {
            var id = (string)model!["id"]!;
            if (!ids.Contains(id)) continue;
            var copy = model.DeepClone().AsObject();
            copy["folder"] = Path.Combine(TestPaths.ModelsDirectory, (string?)model["folder"] ?? id);
            // A model serves ControlNets (and loads its ControlNet UNet) only when its default ControlNet is listed too.
            if (copy["controlnet"]?["default"] is { } net && !ids.Contains((string)net!)) copy.Remove("controlnet");
            models.Add(copy);
        }
        var controlnets = new JsonArray();
        foreach (var net in catalog["controlnets"]?.AsArray() ?? [])
        {
            if (!ids.Contains((string)net!["id"]!)) continue;
            var copy = net.DeepClone().AsObject();
            copy["folder"] = Path.Combine(TestPaths.ModelsDirectory, (string)net["folder"]!);
            controlnets.Add(copy);
        }
        var annotators = new JsonArray();
        foreach (var annotator in catalog["annotators"]?.AsArray() ?? [])
        {
            var copy = annotator!.DeepClone().AsObject();
            copy["file"] = Path.Combine(TestPaths.ModelsDirectory, (string)annotator["file"]!);
            annotators.Add(copy);
        }
        var loras = new JsonArray();
        foreach (var lora in catalog["loras"]?.AsArray() ?? [])
        {
            var copy = lora!.DeepClone().AsObject();
            copy["file"] = Path.Combine(TestPaths.ModelsDirectory, (string)lora["file"]!);
            loras.Add(copy);
        }
        var folder = Directory.CreateTempSubdirectory("gateway-catalog-").FullName;
        File.WriteAllText(Path.Combine(folder, "models.json"), new JsonObject
        {
            ["models"] = models, ["loras"] = loras, ["controlnets"] = controlnets, ["annotators"] = annotators,
        }.ToJsonString());
        return folder;
    }
}
