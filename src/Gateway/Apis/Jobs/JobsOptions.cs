namespace Gateway.Apis.Jobs;

/// <summary>The <c>Gateway:Jobs</c> configuration section.</summary>
public sealed class JobsOptions
{
    public const string Section = "Gateway:Jobs";

    /// <summary>Seconds a job may take, queueing included, when the request gives no <c>deadline</c>.</summary>
    public double DefaultDeadlineSeconds { get; set; } = 60;

    /// <summary>The largest <c>deadline</c> accepted.</summary>
    public double MaxDeadlineSeconds { get; set; } = 3600;

    /// <summary>The largest <c>priority</c> accepted (the smallest is 0).</summary>
    public int MaxPriority { get; set; } = 10;

    public JobsOptions Validated() =>
        DefaultDeadlineSeconds <= 0 || MaxDeadlineSeconds < DefaultDeadlineSeconds || MaxPriority < 1
            ? throw new InvalidOperationException(
                $"{Section}: DefaultDeadlineSeconds must be positive and at most MaxDeadlineSeconds, and MaxPriority at least 1.")
            : this;
}
