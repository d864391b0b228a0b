using Gateway.Apis.Shared;
using Gateway.Credits;
using Gateway.Diffusion.Engine;
using Gateway.Diffusion.Engine.Progress;
using Gateway.Diffusion.Imaging;
using Gateway.Diffusion.Pipelines;
using Gateway.Errors;
using Gateway.Storage;

namespace Gateway.Apis.Jobs;

/// <summary>
/// Runs one submitted job to its end: reserve its credits (402), check storage and record the job (503, 409 on a
/// duplicate id) before any GPU time is spent, queue it in the engine, then store the image together with the outcome
/// and its charge, in one transaction.
/// </summary>
public sealed class JobRunner(
    DiffusionEngine engine, JobStore jobs, ActiveJobs active, TrackedJobs tracked, CreditLedger credits, IImageStore images,
    GatewayDatabase database, ImageOutput output, ILogger<JobRunner> logger)
{
    /// <summary>The stored image, or an exception the error middleware answers. The job's events end with the
    /// image's URL, made by <paramref name="urlOf"/> from its file name.</summary>
    public async Task<StoredImage> RunAsync(JobSubmission submission, string owner, Func<string, string> urlOf, CancellationToken requestAborted)
    {
        using var reservation = credits.Reserve(owner, submission.Credits);
        var createdAt = DateTimeOffset.UtcNow;
        var deadline = createdAt + submission.Deadline;
        using var job = new ActiveJob(owner, submission.JobId, submission.Priority, deadline, requestAborted);
        // The active registry catches a duplicate of a job in progress; the database's key, one of a finished job.
        if (!active.TryAdd(job)) throw Duplicate(submission.JobId);
        try
        {
            using var events = tracked.Start(owner, submission.JobId, "jobs", job.Options, job.Token, "job_id");
            try
            {
                await images.EnsureWritableAsync();
                if (!await jobs.TryCreateAsync(Queued(submission, owner, createdAt, deadline))) throw Duplicate(submission.JobId);
                var image = await GenerateAndStoreAsync(submission, job, events);
                events.Succeed(urlOf(image.FileName));
                return image;
            }
            catch (Exception e)
            {
                events.Fail(e);
                throw;
            }
        }
        finally
        {
            active.Remove(job);
            job.MarkFinished();
        }
    }

    private async Task<StoredImage> GenerateAndStoreAsync(JobSubmission submission, ActiveJob job, TrackedJob events)
    {
        GenerationResult result;
        try
        {
            result = await engine.GenerateAsync(submission.Request, job.Options, events.Feed, job.Token);
        }
        catch (Exception e) when (JobFailure.IsRefusal(e))
        {
            await ForgetAsync(job);
            throw;
        }
        catch (Exception e)
        {
            var failure = JobFailure.Classify(e, job);
            await RecordAsync(job, Outcome(job, failure.Status, job.Step) with { ErrorCode = failure.Code, ErrorMessage = failure.Message });
            events.Fail(failure.Status switch
            {
                JobStatus.Cancelled => FailureStatus.Cancelled,
                JobStatus.Expired => FailureStatus.Expired,
                _ => FailureStatus.Failed,
            }, failure.Code, failure.Message);
            if (failure.Answer is { } answer) throw answer;
            throw;
        }

        // The image exists now: keep it even if the client has left, so GET /jobs can still hand it out.
        var outcome = Outcome(job, JobStatus.Succeeded, submission.Steps);
        var request = submission.Request;
        var charge = new LedgerEntry(job.Owner, job.JobId, request.Model, request.Width, request.Height, submission.Steps,
            submission.Credits, Timestamps.ToText(outcome.FinishedAt));
        try
        {
            var parameters = GenerationParameters.Of(request, result, 0, request.Width, request.Height);
            var png = output.Encode(result.Images[0].Image, ImageFormat.Png, parameters);
            return await images.SaveAsync(png, ImageFormat.Png, job.Owner, parameters, CancellationToken.None, (write, image) =>
            {
                JobStore.Finish(write, job.Owner, job.JobId, outcome with { ImageFile = image.FileName });
                CreditLedger.Charge(write, charge);
            });
        }
        catch (Exception e)
        {
            await RecordAsync(job, Outcome(job, JobStatus.Failed, submission.Steps) with
            {
                ErrorCode = e is StorageUnavailableException ? "storage_unavailable" : "internal_error",
                ErrorMessage = "The image could not be stored; the error is logged on the server.",
            });
            throw;
        }
    }

    /// <summary>Drops a refused job so its id can be sent again; when storage fails, the refusal still answers and the
    /// job is marked failed when the server next starts.</summary>
    private async Task ForgetAsync(ActiveJob job)
    {
        try
        {
            await jobs.ForgetAsync(job.Owner, job.JobId);
        }
        catch (StorageUnavailableException e)
        {
            logger.LogError("Could not drop refused job {JobId}: {Reason}", job.JobId, e.Message);
        }
    }

    /// <summary>Records a final state; when storage is what failed, this may fail too, and the job is then marked
    /// failed when the server next starts.</summary>
    private async Task RecordAsync(ActiveJob job, JobOutcome outcome)
    {
        try
        {
            await database.WriteAsync(write =>
            {
                JobStore.Finish(write, job.Owner, job.JobId, outcome);
                write.Commit();
            });
        }
        catch (StorageUnavailableException e)
        {
            logger.LogError("Could not record job {JobId} as {Status}: {Reason}", job.JobId, outcome.Status.ToName(), e.Message);
        }
    }

    private static JobOutcome Outcome(ActiveJob job, JobStatus status, int step) => new(status, step, job.StartedAt, DateTimeOffset.UtcNow);

    private static JobRecord Queued(JobSubmission submission, string owner, DateTimeOffset createdAt, DateTimeOffset deadline)
    {
        var request = submission.Request;
        return new JobRecord(owner, submission.JobId, JobStatus.Queued, request.Model, request.Width, request.Height, submission.Steps,
            request.Seed, submission.Priority, submission.Credits, createdAt, deadline) { Prompt = request.Prompt };
    }

    private static ApiException Duplicate(string jobId) =>
        new(StatusCodes.Status409Conflict, $"This API key already has a job with job_id '{jobId}'; job ids must be unique per key.",
            "job_id", "duplicate_job_id");
}
