namespace Gateway.Hosting;

/// <summary>Finds the models folder so that the server and CLI work from the repository root or from a build output.</summary>
public static class ModelsDirectory
{
    public static string Resolve(string configured)
    {
        if (Path.IsPathRooted(configured)) return configured;
        var fromWorkingDirectory = Path.GetFullPath(configured);
        if (Directory.Exists(fromWorkingDirectory)) return fromWorkingDirectory;
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, configured);
            if (Directory.Exists(candidate)) return candidate;
        }
        return fromWorkingDirectory;
    }
}
