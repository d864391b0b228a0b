namespace Gateway.Apis.Jobs;

/// <summary>
/// Opens the job store when the server starts (hosted services start before the server listens), so that jobs a
/// previous process left unfinished are marked failed before any request is served — and not when the app is merely
/// built, as the <c>openapi</c> verb does.
/// </summary>
public sealed class JobRecoveryService(IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        services.GetRequiredService<JobStore>();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
