namespace Gateway.Errors;

/// <summary>
/// An error every API dialect answers in the same envelope, <c>{"error":{"message","type","param","code"}}</c>.
/// Thrown by dialects while validating; the error middleware writes it.
/// </summary>
public sealed class ApiException(int status, string message, string? param = null, string? code = null, string? type = null)
    : Exception(message)
{
    public int Status { get; } = status;
    public string? Param { get; } = param;
    public string? Code { get; } = code;
    public string Type { get; } = type ?? ApiErrorTypes.For(status);
    /// <summary>Sent as <c>Retry-After</c> (429, 503).</summary>
    public TimeSpan? RetryAfter { get; init; }
    /// <summary>Extra response headers, e.g. <c>WWW-Authenticate</c> on 401.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    public static ApiException BadRequest(string param, string message, string code = "invalid_value") =>
        new(StatusCodes.Status400BadRequest, message, param, code);
}

/// <summary>The <c>type</c> field of the envelope, as OpenAI names its error types.</summary>
public static class ApiErrorTypes
{
    public static string For(int status) => status switch
    {
        StatusCodes.Status401Unauthorized => "authentication_error",
        StatusCodes.Status402PaymentRequired => "insufficient_quota",
        StatusCodes.Status429TooManyRequests => "rate_limit_error",
        >= 500 => "server_error",
        _ => "invalid_request_error",
    };
}
