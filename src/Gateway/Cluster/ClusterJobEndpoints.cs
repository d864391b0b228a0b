using Gateway.Apis.Jobs;
using Gateway.Apis.Shared;
using Gateway.Auth;
using Gateway.Diffusion.Engine.Progress;
using Gateway.Errors;
using Gateway.Hosting;
using Gateway.Redis;
using Gateway.Storage;
using Gateway.Streaming;

namespace Gateway.Cluster;

/// <summary>
/// <c>GET</c> and <c>DELETE /jobs/{job_id}</c> and <c>GET /jobs/{job_id}/events</c> on a cluster node: answered from
/// the job's record and event stream in Redis, so any node shows any job of the key, wherever it runs and whichever
/// node took it.
/// </summary>
public static class ClusterJobEndpoints
{
    private static readonly TimeSpan CancelWait = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan UnknownJobWait = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);

    public static async Task<IResult> GetAsync(string jobId, HttpContext context, ClusterGenerationService cluster, ImageUrls urls)
    {
        var state = await cluster.Queue.FindAsync(ClusterJob.RefOf(context.ClientId(), jobId)) ?? throw NotFound(jobId);
        return await ViewAsync(state, jobId, cluster, urls, context.Request);
    }

    public static async Task<IResult> DeleteAsync(string jobId, HttpContext context, ClusterGenerationService cluster, ImageUrls urls)
    {
        var reference = ClusterJob.RefOf(context.ClientId(), jobId);
        var answer = await cluster.Queue.CancelAsync(reference, "job_cancelled", $"Cancelled by DELETE /jobs/{jobId}.");
        if (answer == "missing") throw NotFound(jobId);
        if (answer is not ("dropped" or "running"))
            throw new ApiException(StatusCodes.Status409Conflict,
                $"The job '{jobId}' already finished ({answer}); only queued or running jobs can be cancelled.", "job_id", "job_finished");
        var until = DateTimeOffset.UtcNow + CancelWait;
        var state = await cluster.Queue.FindAsync(reference) ?? throw NotFound(jobId);
        // The node running it stops at the end of its current step.
        while (!state.IsFinal && DateTimeOffset.UtcNow < until)
        {
            await Task.Delay(Poll, context.RequestAborted);
            state = await cluster.Queue.FindAsync(reference) ?? throw NotFound(jobId);
        }
        return await ViewAsync(state, jobId, cluster, urls, context.Request);
    }

    /// <summary>The job's events as Server-Sent Events, relayed from its Redis stream (from the start, or after
    /// <c>Last-Event-ID</c>), closing after the final one.</summary>
    public static async Task EventsAsync(string jobId, HttpContext context, ClusterGenerationService cluster, TrackedJobs tracked,
        ImageUrls urls, GatewayOptions options)
    {
        var cancel = context.RequestAborted;
        var owner = context.ClientId();
        var afterId = JobEventsEndpoint.ReadLastEventId(context.Request);
        var previews = JobEventsEndpoint.ReadPreview(context.Request);
        var reference = ClusterJob.RefOf(owner, jobId);
        var until = DateTimeOffset.UtcNow + UnknownJobWait;
        // The client may subscribe before its request has reached any node.
        while (await cluster.Queue.FindAsync(reference) is null)
        {
            if (DateTimeOffset.UtcNow >= until) throw NotFound(jobId);
            await Task.Delay(Poll, cancel);
        }
        // The node that took the request relays the events into its own feed; every other node replays the stream.
        var feed = tracked.FindActive(owner, jobId)?.Feed ?? new GenerationFeed();
        using var relay = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var relaying = tracked.FindActive(owner, jobId) is null
            ? RelayAsync(cluster, reference, feed, file => file is null ? null : urls.For(context.Request, file), relay.Token)
            : Task.CompletedTask;
        try
        {
            await JobEventsEndpoint.StreamAsync(context, feed, jobId, afterId, previews, options);
        }
        finally
        {
            await relay.CancelAsync();
            await relaying;
        }
    }

    private static async Task RelayAsync(ClusterGenerationService cluster, string reference, GenerationFeed feed,
        Func<string?, string?> urlOf, CancellationToken cancel)
    {
        var last = "0";
        try
        {
            while (!cancel.IsCancellationRequested)
            {
                foreach (var (id, e) in await cluster.Events.ReadAsync(reference, last, urlOf))
                {
                    last = id;
                    switch (e)
                    {
                        case FinishedEvent finished:
                            feed.Finish(finished.Url);
                            return;
                        case FailedEvent failed:
                            feed.Fail(failed.Status, failed.Code, failed.Message);
                            return;
                        default:
                            feed.Relay(e);
                            break;
                    }
                }
                await Task.Delay(Poll, cancel);
            }
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            // The subscriber left.
        }
    }

    private static async Task<IResult> ViewAsync(ClusterJobState state, string jobId, ClusterGenerationService cluster, ImageUrls urls,
        HttpRequest request)
    {
        var standing = state.Status == ClusterQueue.StatusQueued ? await cluster.StandingAsync(state) : null;
        var job = state.Job;
        if (state.Dialect != "jobs")
        {
            var steps = job.Request.Steps;
            return Results.Json(new LiveJobView(jobId, state.Dialect, state.Status, standing?.Position, LiveJobView.Seconds(standing?.Eta),
                state.Status == ClusterQueue.StatusQueued || steps is null ? null : new JobProgress(state.Step, steps.Value),
                state.ErrorCode is { } code ? new JobError(state.ErrorMessage ?? "", code) : null));
        }
        var status = JobStatuses.Parse(state.Status);
        var credits = job.Store?.Credits ?? 0;
        return Results.Json(new JobView(
            jobId,
            state.Status,
            job.Request.Model,
            job.Request.Prompt,
            standing?.Position,
            LiveJobView.Seconds(standing?.Eta),
            new JobProgress(status == JobStatus.Succeeded ? job.Store?.Steps ?? state.Step : state.Step, job.Store?.Steps ?? 0),
            state.Image is { } file ? urls.For(request, file) : null,
            job.Request.Seed,
            job.Request.Width,
            job.Request.Height,
            job.Priority,
            status is JobStatus.Failed or JobStatus.Cancelled or JobStatus.Expired ? 0 : credits,
            Timestamps.ToText(state.CreatedAt),
            Timestamps.ToText(state.DeadlineAt ?? state.CreatedAt),
            state.StartedAt is { } started ? Timestamps.ToText(started) : null,
            state.FinishedAt is { } finished ? Timestamps.ToText(finished) : null,
            state.ErrorCode is { } error ? new JobError(state.ErrorMessage ?? "", error) : null));
    }

    private static ApiException NotFound(string jobId) =>
        new(StatusCodes.Status404NotFound, $"No job with job_id '{jobId}' for this API key.", "job_id", "job_not_found");
}
