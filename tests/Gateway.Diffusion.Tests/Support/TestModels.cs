namespace Gateway.Diffusion.Tests.Support;

/// <summary>The committed tiny models, found from the test binaries upwards.</summary>
public static class TestModels
{
    public static string Directory { get; } = Find();

    public static string Folder(string id) => Path.Combine(Directory, id);

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "onnx-models");
            if (File.Exists(Path.Combine(candidate, "models.json"))) return candidate;
        }
        throw new DirectoryNotFoundException("onnx-models/models.json not found above " + AppContext.BaseDirectory);
    }
}
