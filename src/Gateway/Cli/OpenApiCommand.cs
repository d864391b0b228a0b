using Gateway.Hosting;

namespace Gateway.Cli;

/// <summary>
/// <c>openapi</c>: writes the server's OpenAPI document (YAML, as served at <c>/swagger/v1/swagger.yaml</c>) to standard
/// output, e.g. <c>dotnet run --project src/Gateway -c Release -- openapi &gt; openapi.yaml</c>. It builds the server
/// without starting it: nothing listens and no model loads.
/// </summary>
public static class OpenApiCommand
{
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        if (args.Length > 0)
        {
            await error.WriteLineAsync("usage: openapi   (writes the OpenAPI document as YAML to standard output)");
            return 2;
        }
        // Logging off: standard output carries only the document.
        await using var app = GatewayServer.Build(["--Logging:LogLevel:Default", "None"]);
        await output.WriteLineAsync(await SwaggerSetup.DocumentYamlAsync(app));
        return 0;
    }
}
