namespace Gateway.Streaming;

/// <summary>Sends <c>: ping</c> on a writer every interval until disposed, so idle streams survive proxies' timeouts.</summary>
public sealed class SseHeartbeat : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop;
    private readonly Task _loop;

    public SseHeartbeat(SseWriter writer, TimeSpan interval, CancellationToken cancel)
    {
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        _loop = RunAsync(writer, interval, _stop.Token);
    }

    private static async Task RunAsync(SseWriter writer, TimeSpan interval, CancellationToken cancel)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancel)) await writer.WriteCommentAsync("ping", cancel);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
            // Stopped, or the client left: the stream's owner notices on its next write.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
