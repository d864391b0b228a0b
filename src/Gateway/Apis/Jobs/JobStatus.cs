namespace Gateway.Apis.Jobs;

public enum JobStatus
{
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
    /// <summary>Its deadline passed while it waited or ran.</summary>
    Expired,
}

public static class JobStatuses
{
    public static string ToName(this JobStatus status) => status.ToString().ToLowerInvariant();

    public static JobStatus Parse(string name) => Enum.Parse<JobStatus>(name, ignoreCase: true);

    public static bool IsFinal(this JobStatus status) => status is not (JobStatus.Queued or JobStatus.Running);
}
