namespace Gateway.Tests;

public static class TestPaths
{
    /// <summary>The repository's onnx-models folder, found from the test binaries upwards.</summary>
    public static string ModelsDirectory { get; } = FindModels();

    private static string FindModels()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "onnx-models");
            if (File.Exists(Path.Combine(candidate, "models.json"))) return candidate;
        }
        throw new DirectoryNotFoundException("onnx-models/models.json not found above " + AppContext.BaseDirectory);
    }
}
