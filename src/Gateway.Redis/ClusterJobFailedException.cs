namespace Gateway.Redis;

/// <summary>A job ended without images on the node that ran it, for a reason that node answered with
/// <paramref name="httpStatus"/>, <paramref name="code"/> and <paramref name="param"/>; the waiting node answers the same.</summary>
public sealed class ClusterJobFailedException(int httpStatus, string code, string? param, string message) : Exception(message)
{
    public int HttpStatus { get; } = httpStatus;
    public string Code { get; } = code;
    public string? Param { get; } = param;
}
