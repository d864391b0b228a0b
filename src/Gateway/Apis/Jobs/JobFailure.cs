using Gateway.Diffusion.Engine;
using Gateway.Diffusion.Pipelines;
using Gateway.Errors;

namespace Gateway.Apis.Jobs;

/// <summary>How a job that did not succeed is recorded, and what its waiting request answers.</summary>
/// <param name="Answer">Thrown in place of the engine's exception; null rethrows the original, which the error
/// middleware maps (504 deadline exceeded, 500 internal error).</param>
public sealed record JobFailure(JobStatus Status, string Code, string Message, ApiException? Answer)
{
    /// <summary>Engine refusals before the job queued: nothing ran, the job is not kept, and the original error answers
    /// (429 queue full, 503 deadline unreachable or model not ready, 400 a request the engine rejects).</summary>
    public static bool IsRefusal(Exception e) =>
        e is QueueFullException or DeadlineUnreachableException or ModelNotReadyException or UnknownModelException
            or InvalidGenerationRequestException;

    public static JobFailure Classify(Exception e, ActiveJob job)
    {
        if (e is DeadlineExceededException)
            return new(JobStatus.Expired, "deadline_exceeded", e.Message, null);
        // The engine refuses new work and drops waiting work once it is disposed, which only happens on shutdown.
        if (e is ObjectDisposedException || (e is OperationCanceledException && job.Reason == CancelReason.ShuttingDown))
            return new(JobStatus.Failed, "server_shutdown", "The server shut down before the job finished; submit it again with a new job_id.",
                new ApiException(StatusCodes.Status503ServiceUnavailable,
                    "The server is shutting down and stopped the job; submit it again with a new job_id.", null, "server_shutting_down")
                {
                    RetryAfter = TimeSpan.FromSeconds(5),
                });
        if (e is OperationCanceledException && job.Reason == CancelReason.Deleted)
            return new(JobStatus.Cancelled, "job_cancelled", $"Cancelled by DELETE /jobs/{job.JobId}.",
                new ApiException(StatusCodes.Status409Conflict, $"The job '{job.JobId}' was cancelled (DELETE /jobs/{job.JobId}) before it finished.",
                    "job_id", "job_cancelled"));
        if (e is OperationCanceledException)
            return new(JobStatus.Cancelled, "client_disconnected", "The client disconnected before the job finished.", null);
        return new(JobStatus.Failed, "internal_error", "The generation failed; the error is logged on the server.", null);
    }
}
