namespace Gateway.Diffusion.Schedulers;

/// <summary>A scheduler name that <see cref="SchedulerFactory"/> does not know; the message lists the valid names.</summary>
public sealed class UnknownSchedulerException : ArgumentException
{
    /// <summary>Creates the exception for <paramref name="name"/>.</summary>
    public UnknownSchedulerException(string? name, string paramName)
        : base(
            $"Unknown scheduler '{name}'. Valid names: {string.Join(", ", SchedulerFactory.Names)} " +
            $"(or the diffusers class names {string.Join(", ", SchedulerFactory.ClassNames)}).",
            paramName)
    {
        SchedulerName = name;
    }

    /// <summary>The name that was asked for.</summary>
    public string? SchedulerName { get; }
}
