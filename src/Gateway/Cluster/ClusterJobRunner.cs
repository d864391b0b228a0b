using System.Globalization;
using Gateway.Apis.Jobs;
using Gateway.Apis.Shared;
using Gateway.Credits;
using Gateway.Diffusion.Engine;
using Gateway.Errors;
using Gateway.Redis;
using Gateway.Storage;

namespace Gateway.Cluster;

/// <summary>
/// <c>POST /submit_job</c> on a cluster node: reserves the job's credits in the cluster's ledger (402), checks the
/// shared image store (503), and queues the job in Redis, where the node that runs it stores the image and charges
/// it; then waits for its end. The job completes even when this node dies; its record is readable from any node.
/// </summary>
public sealed class ClusterJobRunner(
    ClusterGenerationService cluster, ClusterCredits credits, CreditAccounts accounts, TrackedJobs tracked, IImageStore images,
    ILogger<ClusterJobRunner> logger)
{
    /// <summary>How long after its deadline a reservation is dropped if its job never reached the queue.</summary>
    private static readonly TimeSpan ReservationSlack = TimeSpan.FromMinutes(1);

    /// <summary>The stored image's file name, or an exception the error middleware answers.</summary>
    public async Task<string> RunAsync(JobSubmission submission, string owner, Func<string, string> urlOf, CancellationToken requestAborted)
    {
        var reference = ClusterJob.RefOf(owner, submission.JobId);
        var deadline = DateTimeOffset.UtcNow + submission.Deadline;
        var reservation = await credits.ReserveAsync(owner, reference, submission.Credits, accounts.GrantOf(owner), deadline + ReservationSlack);
        if (reservation.Duplicate) throw Duplicate(submission.JobId);
        if (reservation.Left is { } left)
            throw new ApiException(StatusCodes.Status402PaymentRequired,
                $"Insufficient credits: this job costs {Show(submission.Credits)} credits and the key has {Show(left)} left.",
                null, "insufficient_credits");
        try
        {
            await images.EnsureWritableAsync();
            var options = new GenerationOptions { Priority = submission.Priority, Client = owner, Deadline = deadline };
            using var events = tracked.Start(owner, submission.JobId, "jobs", options, requestAborted, "job_id");
            try
            {
                var job = new ClusterJob
                {
                    Owner = owner,
                    JobId = submission.JobId,
                    Dialect = "jobs",
                    Request = submission.Request,
                    Priority = submission.Priority,
                    Deadline = deadline,
                    Store = new StoredCompletion(submission.Credits, submission.Steps),
                };
                var state = await cluster.RunAsync(job, events.Options, events.Feed, events.Token);
                var file = state.Image ?? throw new ClusterJobFailedException(500, "image_lost", null, "The job succeeded without an image.");
                events.Succeed(urlOf(file));
                return file;
            }
            catch (Exception e)
            {
                events.Fail(e);
                throw;
            }
        }
        catch
        {
            // A job that ended has released its reservation already, and one refused before it was queued never will;
            // a charge never needs the reservation, so releasing twice is harmless. Without Redis the reservation
            // expires by itself.
            try
            {
                await credits.ReleaseAsync(owner, reference);
            }
            catch (Exception e) when (RedisOutage.Is(e))
            {
                logger.LogWarning("Could not release the reservation of job {Job}: {Reason}", submission.JobId, e.Message);
            }
            throw;
        }
    }

    private static ClusterJobFailedException Duplicate(string jobId) =>
        new(StatusCodes.Status409Conflict, "duplicate_job_id", "job_id",
            $"This API key already has a job with job_id '{jobId}'; job ids must be unique per key.");

    private static string Show(double credits) =>
        Math.Round(Math.Max(0, credits), 6, MidpointRounding.AwayFromZero).ToString("0.######", CultureInfo.InvariantCulture);
}
