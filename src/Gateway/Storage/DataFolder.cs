using Gateway.Hosting;

namespace Gateway.Storage;

/// <summary>Creates the folders storage needs, or says in one line which path is in the way and what it should be.</summary>
public static class DataFolder
{
    /// <summary>Returns the full path of <paramref name="path"/>, created when missing; <paramref name="role"/> names it in errors.</summary>
    public static string Prepare(string path, string role = "Gateway:DataDir")
    {
        var full = Path.GetFullPath(path);
        if (File.Exists(full))
            throw new StartupException($"{role} '{full}' is a file; it must be a folder (it is created when missing).");
        try
        {
            Directory.CreateDirectory(full);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StartupException($"{role} '{full}' cannot be created as a folder: {e.Message}", e);
        }
        return full;
    }
}
