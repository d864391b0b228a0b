using System.Globalization;
using Gateway.Apis.Shared;
using Gateway.Auth;
using Gateway.Diffusion.Engine.Progress;
using Gateway.Errors;
using Gateway.Hosting;
using Gateway.Storage;
using Gateway.Streaming;

namespace Gateway.Apis.Jobs;

/// <summary>
/// <c>GET /jobs/{job_id}/events</c>: a job's progress as Server-Sent Events, for a job of any dialect, to its own
/// key only (another key's job is the same 404 as none). Resumes after <c>Last-Event-ID</c>, sends <c>: ping</c>
/// while idle, and closes after the final event; a job that has already ended answers that event at once.
/// </summary>
public static class JobEventsEndpoint
{
    /// <summary>How long a job id not known yet is waited for: the client may subscribe before its request arrives.</summary>
    private static readonly TimeSpan UnknownJobWait = TimeSpan.FromSeconds(5);

    public static async Task HandleAsync(string jobId, HttpContext context, TrackedJobs tracked, JobStore jobs, ImageUrls urls,
        GatewayOptions options)
    {
        var cancel = context.RequestAborted;
        var owner = context.ClientId();
        var previews = ReadPreview(context.Request);
        var afterId = ReadLastEventId(context.Request);

        var job = tracked.Find(owner, jobId);
        GenerationEvent? recorded = null;
        if (job is null)
        {
            // A job of the Jobs dialect that ended before this process kept its events is answered from its record.
            if (jobs.Find(owner, jobId) is { } record && record.Status.IsFinal()) recorded = FinalEventOf(record, urls, context.Request, afterId);
            else job = await tracked.WaitForAsync(owner, jobId, UnknownJobWait, cancel);
        }
        if (job is null && recorded is null)
            throw new ApiException(StatusCodes.Status404NotFound, $"No job with job_id '{jobId}' for this API key.", "job_id", "job_not_found");

        if (recorded is not null)
        {
            var writer = new SseWriter(context.Response);
            await writer.StartAsync(cancel);
            await WriteAsync(writer, recorded, jobId, cancel);
            return;
        }
        await StreamAsync(context, job!.Feed, jobId, afterId, previews, options);
    }

    /// <summary>Streams <paramref name="feed"/>'s events after <paramref name="afterId"/> until its final one or the client leaves.</summary>
    public static async Task StreamAsync(HttpContext context, GenerationFeed feed, string jobId, long afterId, bool previews, GatewayOptions options)
    {
        var cancel = context.RequestAborted;
        var writer = new SseWriter(context.Response);
        await writer.StartAsync(cancel);
        using var subscription = feed.Subscribe(afterId, previews);
        await using var heartbeat = new SseHeartbeat(writer, TimeSpan.FromSeconds(Math.Max(0.05, options.EventsHeartbeatSeconds)), cancel);
        try
        {
            await foreach (var e in subscription.Events.ReadAllAsync(cancel))
                await WriteAsync(writer, e, jobId, cancel);
        }
        catch (Exception e) when (cancel.IsCancellationRequested && e is OperationCanceledException or IOException)
        {
            // The client closed the stream; the job goes on.
        }
    }

    private static Task WriteAsync(SseWriter writer, GenerationEvent e, string jobId, CancellationToken cancel) =>
        writer.WriteEventAsync(JobEventFrames.TypeOf(e), JobEventFrames.For(e, jobId), SseJson.Options, e.Id, cancel);

    private static GenerationEvent FinalEventOf(JobRecord record, ImageUrls urls, HttpRequest request, long afterId)
    {
        // The record keeps no event numbers: the final event is numbered after the last one the client saw.
        var id = afterId + 1;
        if (record.Status == JobStatus.Succeeded)
            return new FinishedEvent(record.ImageFile is { } file ? urls.For(request, file) : null) { Id = id };
        var status = record.Status switch
        {
            JobStatus.Cancelled => FailureStatus.Cancelled,
            JobStatus.Expired => FailureStatus.Expired,
            _ => FailureStatus.Failed,
        };
        return new FailedEvent(status, record.ErrorCode ?? "failed", record.ErrorMessage ?? "") { Id = id };
    }

    public static bool ReadPreview(HttpRequest request)
    {
        var value = request.Query["preview"];
        if (value.Count == 0) return false;
        return value[0]?.ToLowerInvariant() switch
        {
            "true" or "1" => true,
            "false" or "0" => false,
            _ => throw ApiException.BadRequest("preview", "'preview' must be true or false."),
        };
    }

    public static long ReadLastEventId(HttpRequest request)
    {
        var value = request.Headers["Last-Event-ID"];
        if (value.Count == 0 || string.IsNullOrWhiteSpace(value[0])) return 0;
        if (!long.TryParse(value[0], NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            throw ApiException.BadRequest("Last-Event-ID", "The Last-Event-ID header must be the id of an event of this stream (a whole number).");
        return id;
    }
}
