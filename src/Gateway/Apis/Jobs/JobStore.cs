using Gateway.Storage;
using Microsoft.Data.Sqlite;

namespace Gateway.Apis.Jobs;

/// <summary>Jobs in the database, unique per (API key, job_id).</summary>
public sealed class JobStore
{
    /// <summary>Why a job found unfinished at start-up failed.</summary>
    public const string InterruptedCode = "server_restarted";

    private readonly GatewayDatabase _database;

    /// <summary>Opening the store is the start of a new server process: any job still in progress belonged to one that
    /// stopped without finishing it, so it is marked failed (with the reason) rather than left queued forever.</summary>
    public JobStore(GatewayDatabase database, ILogger<JobStore> logger)
    {
        _database = database;
        var interrupted = FailInterrupted();
        if (interrupted > 0)
            logger.LogWarning("Marked {Count} job(s) failed: they were unfinished when the server last stopped", interrupted);
    }

    /// <summary>Inserts a new queued job; false when the key already has a job with that id.</summary>
    public Task<bool> TryCreateAsync(JobRecord job) => _database.WriteAsync(write =>
    {
        var inserted = write.Execute("""
            INSERT INTO jobs (owner, job_id, status, model, width, height, steps, seed, priority, credits, created_at, deadline_at, prompt)
            VALUES ($owner, $job, $status, $model, $width, $height, $steps, $seed, $priority, $credits, $created, $deadline, $prompt)
            ON CONFLICT (owner, job_id) DO NOTHING
            """,
            ("$owner", job.Owner), ("$job", job.JobId), ("$status", job.Status.ToName()), ("$model", job.Model),
            ("$width", job.Width), ("$height", job.Height), ("$steps", job.Steps), ("$seed", (long)job.Seed),
            ("$priority", job.Priority), ("$credits", job.Credits), ("$created", Timestamps.ToText(job.CreatedAt)),
            ("$deadline", Timestamps.ToText(job.DeadlineAt)), ("$prompt", job.Prompt));
        write.Commit();
        return inserted == 1;
    });

    /// <summary>Drops a job the engine refused before it queued (queue full, deadline unreachable, model not ready):
    /// nothing ran, so the client may send the same job_id again.</summary>
    public Task ForgetAsync(string owner, string jobId) => _database.WriteAsync(write =>
    {
        write.Execute("DELETE FROM jobs WHERE owner = $owner AND job_id = $job", ("$owner", owner), ("$job", jobId));
        write.Commit();
    });

    /// <summary>Records the final state inside <paramref name="write"/> (with the ledger's charge, on success).</summary>
    public static void Finish(SqliteSession write, string owner, string jobId, JobOutcome outcome) =>
        write.Execute("""
            UPDATE jobs SET status = $status, progress_step = $step, image_file = $image, error_message = $message,
                error_code = $code, started_at = $started, finished_at = $finished
            WHERE owner = $owner AND job_id = $job
            """,
            ("$status", outcome.Status.ToName()), ("$step", outcome.ProgressStep), ("$image", outcome.ImageFile),
            ("$message", outcome.ErrorMessage), ("$code", outcome.ErrorCode),
            ("$started", outcome.StartedAt is { } started ? Timestamps.ToText(started) : null),
            ("$finished", Timestamps.ToText(outcome.FinishedAt)), ("$owner", owner), ("$job", jobId));

    public JobRecord? Find(string owner, string jobId)
    {
        using var read = _database.Read();
        // The image index says whether retention has removed the job's image since.
        return read.Query("""
            SELECT j.owner, j.job_id, j.status, j.model, j.width, j.height, j.steps, j.seed, j.priority, j.credits,
                   j.created_at, j.deadline_at, j.progress_step, i.file_name, j.error_message, j.error_code, j.started_at, j.finished_at,
                   j.prompt
            FROM jobs j LEFT JOIN images i ON i.file_name = j.image_file
            WHERE j.owner = $owner AND j.job_id = $job
            """, ReadJob, ("$owner", owner), ("$job", jobId)).FirstOrDefault();
    }

    private int FailInterrupted() => _database.WriteAsync(write =>
    {
        var count = write.Execute("""
            UPDATE jobs SET status = $failed, error_code = $code, finished_at = $now,
                error_message = 'The server stopped before this job finished; submit it again with a new job_id.'
            WHERE status = $queued
            """,
            ("$failed", JobStatus.Failed.ToName()), ("$code", InterruptedCode), ("$now", Timestamps.ToText(DateTimeOffset.UtcNow)),
            ("$queued", JobStatus.Queued.ToName()));
        write.Commit();
        return count;
    }).GetAwaiter().GetResult();

    private static JobRecord ReadJob(SqliteDataReader r) =>
        new(r.GetString(0), r.GetString(1), JobStatuses.Parse(r.GetString(2)), r.GetString(3), r.GetInt32(4), r.GetInt32(5),
            r.GetInt32(6), (ulong)r.GetInt64(7), r.GetInt32(8), r.GetDouble(9), Timestamps.Parse(r.GetString(10)),
            Timestamps.Parse(r.GetString(11)))
        {
            ProgressStep = r.GetInt32(12),
            ImageFile = r.IsDBNull(13) ? null : r.GetString(13),
            ErrorMessage = r.IsDBNull(14) ? null : r.GetString(14),
            ErrorCode = r.IsDBNull(15) ? null : r.GetString(15),
            StartedAt = r.IsDBNull(16) ? null : Timestamps.Parse(r.GetString(16)),
            FinishedAt = r.IsDBNull(17) ? null : Timestamps.Parse(r.GetString(17)),
            Prompt = r.GetString(18),
        };
}
