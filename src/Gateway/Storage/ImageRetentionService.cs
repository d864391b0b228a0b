namespace Gateway.Storage;

/// <summary>Runs the image store's retention sweep at start-up and then every <see cref="ImageRetentionOptions.SweepInterval"/>;
/// the size limit is also enforced on every write.</summary>
public sealed class ImageRetentionService(SqliteImageStore store, ImageRetentionOptions options, ILogger<ImageRetentionService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.SweepInterval);
        do
        {
            try
            {
                await store.SweepAsync();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A failed sweep (disk or database trouble) must not stop the server; the next one tries again.
                logger.LogError(e, "Image retention sweep failed");
            }
        } while (await WaitAsync(timer, stoppingToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
