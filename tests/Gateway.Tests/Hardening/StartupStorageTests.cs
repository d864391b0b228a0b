using Gateway.Tests.Support;

namespace Gateway.Tests.Hardening;

/// <summary>A data folder that cannot be used stops start-up with one line naming the path, and exit code 1.</summary>
public sealed class StartupStorageTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("gateway-startup-").FullName;

    public static TheoryData<string, string, string> BrokenLayouts => new()
    {
        // What to make a file or folder, relative to the data folder ("" is the data folder itself); what the line says.
        { "", "file", "must be a folder" },
        { "images", "file", "must be a folder" },
        { "gateway.db", "folder", "must be the SQLite database file" },
        { "gateway.db", "file", "Cannot open the database" },
    };

    [Theory]
    [MemberData(nameof(BrokenLayouts))]
    public async Task A_broken_data_folder_exits_1_with_one_line_naming_the_path(string relative, string kind, string expected)
    {
        var data = Path.Combine(_root, "data");
        Directory.CreateDirectory(data);
        var broken = relative.Length == 0 ? data : Path.Combine(data, relative);
        if (kind == "file")
        {
            if (Directory.Exists(broken)) Directory.Delete(broken);
            await File.WriteAllTextAsync(broken, new string('x', 4096));
        }
        else
        {
            Directory.CreateDirectory(broken);
        }

        using var gateway = GatewayProcess.Start(data);
        Assert.Equal(1, await gateway.ExitCodeAsync(TimeSpan.FromSeconds(60)));
        var lines = gateway.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var line = Assert.Single(lines);
        Assert.Contains($"'{broken}'", line);
        Assert.Contains(expected, line);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
