using Gateway.Apis.Shared;
using Gateway.Auth;
using Gateway.Diffusion.Engine;
using Gateway.Errors;
using Gateway.Storage;

namespace Gateway.Apis.Jobs;

/// <summary><c>GET</c> and <c>DELETE /jobs/{job_id}</c>. A key sees only its own jobs: another key's job is a 404, the
/// same answer as no job at all, so ids cannot be probed.</summary>
public static class JobEndpoints
{
    /// <summary>How long DELETE waits for the cancelled job's final record; the engine stops a run at its next step.</summary>
    private static readonly TimeSpan CancelWait = TimeSpan.FromSeconds(30);

    public static IResult Get(string jobId, HttpContext context, JobStore jobs, ActiveJobs active, TrackedJobs tracked,
        DiffusionEngine engine, ImageUrls urls)
    {
        var owner = context.ClientId();
        if (OtherDialect(tracked, owner, jobId) is { } other) return Results.Json(LiveJobView.Of(other, engine));
        // Looked up before the record: a job leaves the registry only after its final record is written, so one of
        // the two is always current.
        var live = active.Find(owner, jobId);
        var job = jobs.Find(owner, jobId) ?? throw NotFound(jobId);
        return Results.Json(JobView.Of(job, live, engine, urls, context.Request));
    }

    /// <summary>Cancels a queued or running job and answers 200 with its final state (normally <c>cancelled</c>; a job that
    /// finished in the meantime keeps its own), or with its state so far if it has not stopped within
    /// <see cref="CancelWait"/>. 409 <c>job_finished</c> when it had already ended.</summary>
    public static async Task<IResult> DeleteAsync(string jobId, HttpContext context, JobStore jobs, ActiveJobs active, TrackedJobs tracked,
        DiffusionEngine engine, ImageUrls urls)
    {
        var owner = context.ClientId();
        if (OtherDialect(tracked, owner, jobId) is { } other) return await DeleteOtherAsync(other, engine, context.RequestAborted);
        var live = active.Find(owner, jobId);
        var job = jobs.Find(owner, jobId) ?? throw NotFound(jobId);
        if (live is null || job.Status.IsFinal())
            throw new ApiException(StatusCodes.Status409Conflict,
                $"The job '{jobId}' already finished ({job.Status.ToName()}); only queued or running jobs can be cancelled.",
                "job_id", "job_finished");
        live.Cancel(CancelReason.Deleted);
        try
        {
            await live.Finished.WaitAsync(CancelWait, context.RequestAborted);
        }
        catch (TimeoutException)
        {
            // One denoising step of a large model on a CPU can be slow; the job still stops at its end.
        }
        return Results.Json(JobView.Of(jobs.Find(owner, jobId)!, live, engine, urls, context.Request));
    }

    /// <summary>An OpenAI or Hyperbolic job this process tracks (in progress, or ended within the retention); those
    /// keep no record, so they take precedence over a finished Jobs record with the same id.</summary>
    private static TrackedJob? OtherDialect(TrackedJobs tracked, string owner, string jobId) =>
        tracked.Find(owner, jobId) is { Dialect: not "jobs" } job ? job : null;

    private static async Task<IResult> DeleteOtherAsync(TrackedJob job, DiffusionEngine engine, CancellationToken cancel)
    {
        if (job.Ended.IsCompleted)
            throw new ApiException(StatusCodes.Status409Conflict,
                $"The job '{job.JobId}' already finished ({LiveJobView.Of(job, engine).Status}); only queued or running jobs can be cancelled.",
                "job_id", "job_finished");
        job.Delete();
        try
        {
            await job.Ended.WaitAsync(CancelWait, cancel);
        }
        catch (TimeoutException)
        {
            // As for a Jobs job: it still stops at the end of its current step.
        }
        return Results.Json(LiveJobView.Of(job, engine));
    }

    private static ApiException NotFound(string jobId) =>
        new(StatusCodes.Status404NotFound, $"No job with job_id '{jobId}' for this API key.", "job_id", "job_not_found");
}
