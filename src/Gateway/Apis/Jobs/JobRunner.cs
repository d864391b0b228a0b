using Gateway.Credits;
using Gateway.Diffusion.Engine;
using Gateway.Diffusion.Imaging;
using Gateway.Diffusion.Pipelines;
using Gateway.Errors;
using Gateway.Storage;

namespace Gateway.Apis.Jobs;

/// <summary>
/// Runs one submitted job to its end: reserve its credits (402), record it (409 on a duplicate id), queue it in the
/// engine, store the image, then record the outcome and, on success, its charge, in one transaction.
/// </summary>
public sealed class JobRunner(
    DiffusionEngine engine, JobStore jobs, ActiveJobs active, CreditLedger credits, IImageStore images, GatewayDatabase database)
{
    /// <summary>The stored image, or an exception the error middleware answers.</summary>
    public async Task<StoredImage> RunAsync(JobSubmission submission, string owner, CancellationToken requestAborted)
    {
        using var reservation = credits.Reserve(owner, submission.Credits);
        var createdAt = DateTimeOffset.UtcNow;
        var deadline = createdAt + submission.Deadline;
        using var job = new ActiveJob(owner, submission.JobId, submission.Priority, deadline, requestAborted);
        // The active registry catches a duplicate of a job in progress; the database's key, one of a finished job.
        if (!active.TryAdd(job)) throw Duplicate(submission.JobId);
        try
        {
            if (!jobs.TryCreate(Queued(submission, owner, createdAt, deadline))) throw Duplicate(submission.JobId);
            return await GenerateAndStoreAsync(submission, job);
        }
        finally
        {
            active.Remove(job);
            job.MarkFinished();
        }
    }

    private async Task<StoredImage> GenerateAndStoreAsync(JobSubmission submission, ActiveJob job)
    {
        GenerationResult result;
        try
        {
            result = await engine.GenerateAsync(submission.Request, job.Options, job.Token);
        }
        catch (Exception e) when (JobFailure.IsRefusal(e))
        {
            jobs.Forget(job.Owner, job.JobId);
            throw;
        }
        catch (Exception e)
        {
            var failure = JobFailure.Classify(e, job);
            Record(job, Outcome(job, failure.Status, job.Step) with { ErrorCode = failure.Code, ErrorMessage = failure.Message });
            if (failure.Answer is { } answer) throw answer;
            throw;
        }

        // The image exists now: keep it even if the client has left, so GET /jobs can still hand it out.
        StoredImage stored;
        try
        {
            var png = ImageCodec.Encode(result.Images[0].Image, ImageFormat.Png);
            stored = await images.SaveAsync(png, ImageFormat.Png, job.Owner, CancellationToken.None);
        }
        catch (Exception)
        {
            Record(job, Outcome(job, JobStatus.Failed, submission.Steps) with
            {
                ErrorCode = "internal_error", ErrorMessage = "The image could not be stored; the error is logged on the server.",
            });
            throw;
        }

        var outcome = Outcome(job, JobStatus.Succeeded, submission.Steps) with { ImageFile = stored.FileName };
        var request = submission.Request;
        Record(job, outcome, new LedgerEntry(job.Owner, job.JobId, request.Model, request.Width, request.Height, submission.Steps,
            submission.Credits, Timestamps.ToText(outcome.FinishedAt)));
        return stored;
    }

    private void Record(ActiveJob job, JobOutcome outcome, LedgerEntry? charge = null)
    {
        using var write = database.Write();
        JobStore.Finish(write, job.Owner, job.JobId, outcome);
        if (charge is not null) CreditLedger.Charge(write, charge);
        write.Commit();
    }

    private static JobOutcome Outcome(ActiveJob job, JobStatus status, int step) => new(status, step, job.StartedAt, DateTimeOffset.UtcNow);

    private static JobRecord Queued(JobSubmission submission, string owner, DateTimeOffset createdAt, DateTimeOffset deadline)
    {
        var request = submission.Request;
        return new JobRecord(owner, submission.JobId, JobStatus.Queued, request.Model, request.Width, request.Height, submission.Steps,
            request.Seed, submission.Priority, submission.Credits, createdAt, deadline);
    }

    private static ApiException Duplicate(string jobId) =>
        new(StatusCodes.Status409Conflict, $"This API key already has a job with job_id '{jobId}'; job ids must be unique per key.",
            "job_id", "duplicate_job_id");
}
