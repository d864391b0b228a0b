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

    public static IResult Get(string jobId, HttpContext context, JobStore jobs, ActiveJobs active, DiffusionEngine engine,
        ImageUrls urls)
    {
        var owner = context.ClientId();
        // Looked up before the record: a job leaves the registry only after its final record is written, so one of
        // the two is always current.
        var live = active.Find(owner, jobId);
        var job = jobs.Find(owner, jobId) ?? throw NotFound(jobId);
        return Results.Json(JobView.Of(job, live, engine, urls, context.Request));
    }

    /// <summary>Cancels a queued or running job and answers 200 with its final state (normally <c>cancelled</c>; a job that
    /// finished in the meantime keeps its own), or with its state so far if it has not stopped within
    /// <see cref="CancelWait"/>. 409 <c>job_finished</c> when it had already ended.</summary>
    public static async Task<IResult> DeleteAsync(string jobId, HttpContext context, JobStore jobs, ActiveJobs active, DiffusionEngine engine,
        ImageUrls urls)
    {
        var owner = context.ClientId();
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

    private static ApiException NotFound(string jobId) =>
        new(StatusCodes.Status404NotFound, $"No job with job_id '{jobId}' for this API key.", "job_id", "job_not_found");
}
