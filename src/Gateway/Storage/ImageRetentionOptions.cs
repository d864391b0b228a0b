namespace Gateway.Storage;

/// <summary>The <c>Gateway:Images</c> configuration section: how long stored images are kept and how much space they may use.</summary>
public sealed class ImageRetentionOptions
{
    public const string Section = "Gateway:Images";

    /// <summary>Images older than this are removed by the sweep; 0 keeps them regardless of age.</summary>
    public double MaxAgeHours { get; set; } = 168;

    /// <summary>Total size of stored images; the oldest go first when a new image would exceed it. 0 = no limit.</summary>
    public double MaxTotalMegabytes { get; set; } = 2048;

    /// <summary>How often the background sweep removes images past <see cref="MaxAgeHours"/>.</summary>
    public double SweepIntervalSeconds { get; set; } = 600;

    public TimeSpan? MaxAge => MaxAgeHours > 0 ? TimeSpan.FromHours(MaxAgeHours) : null;

    public long? MaxTotalBytes => MaxTotalMegabytes > 0 ? (long)(MaxTotalMegabytes * 1024 * 1024) : null;

    public TimeSpan SweepInterval => TimeSpan.FromSeconds(SweepIntervalSeconds);

    public ImageRetentionOptions Validated() =>
        MaxAgeHours < 0 || MaxTotalMegabytes < 0 || SweepIntervalSeconds <= 0
            ? throw new InvalidOperationException(
                $"{Section}: MaxAgeHours and MaxTotalMegabytes must be 0 (no limit) or positive, and SweepIntervalSeconds positive.")
            : this;
}
