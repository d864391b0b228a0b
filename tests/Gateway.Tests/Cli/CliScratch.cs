using Gateway.Cli;
using Gateway.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Tests.Cli;

/// <summary>Runs <c>generate</c> in-process on the committed models, writing into a scratch folder removed afterwards.</summary>
public abstract class CliScratch : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gateway-cli-").FullName;

    public void Dispose()
    {
        Directory.Delete(_dir, recursive: true);
        GC.SuppressFinalize(this);
    }

    protected async Task<(int Code, string Out, string Err)> Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var gateway = new GatewayOptions { ModelsDir = TestPaths.ModelsDirectory };
        var code = await GenerateCommand.RunAsync(args, gateway, NullLoggerFactory.Instance, stdout, stderr, CancellationToken.None);
        return (code, stdout.ToString(), stderr.ToString());
    }

    protected string PathOf(string name) => Path.Combine(_dir, name);
}
