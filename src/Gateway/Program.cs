using Gateway.Cli;
using Gateway.Hosting;

if (args.Length > 0 && args[0] == "generate")
{
    var configuration = new ConfigurationBuilder()
        .SetBasePath(AppContext.BaseDirectory)
        .AddJsonFile("appsettings.json", optional: true)
        .AddEnvironmentVariables()
        .Build();
    var gateway = configuration.GetSection(GatewayOptions.Section).Get<GatewayOptions>() ?? new GatewayOptions();
    // Logs go to standard error: standard output carries only the command's result.
    using var loggerFactory = LoggerFactory.Create(logging => logging
        .AddSimpleConsole(o => o.SingleLine = true)
        .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace)
        .SetMinimumLevel(LogLevel.Warning));
    using var cancel = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
    return await GenerateCommand.RunAsync(args[1..], gateway, loggerFactory, Console.Out, Console.Error, cancel.Token);
}

if (args.Length > 0 && args[0] == "openapi")
    return await OpenApiCommand.RunAsync(args[1..], Console.Out, Console.Error);

return await GatewayServer.RunAsync(args);
