using Gateway.Diffusion.Engine;

namespace Gateway.Hosting;

/// <summary>Loads the catalog's models after the server starts listening, so /healthz answers while they load.</summary>
public sealed class ModelLoaderService(DiffusionEngine engine) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.Factory.StartNew(engine.LoadAll, stoppingToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
}
