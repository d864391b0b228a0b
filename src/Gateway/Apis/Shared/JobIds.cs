using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Gateway.Errors;

namespace Gateway.Apis.Shared;

/// <summary>Job ids, one rule for every dialect: the Jobs dialect's <c>job_id</c> field and the <c>X-Job-Id</c>
/// header of the OpenAI and Hyperbolic dialects.</summary>
public static partial class JobIds
{
    public const string Header = "X-Job-Id";
    public const string Rule = "letters, digits and . _ : - (1 to 128 characters)";

    [GeneratedRegex("^[A-Za-z0-9._:-]{1,128}$")]
    private static partial Regex Pattern();

    public static bool IsValid(string id) => Pattern().IsMatch(id);

    /// <summary>The client's <c>X-Job-Id</c> (400 naming it when malformed), or a new id made here.</summary>
    public static string FromHeaderOrNew(HttpRequest request, string prefix)
    {
        var values = request.Headers[Header];
        if (values.Count == 0) return New(prefix);
        if (values.Count > 1 || values[0] is not { } id || !IsValid(id))
            throw ApiException.BadRequest(Header, $"The {Header} header must be one job id of {Rule}.");
        return id;
    }

    private static string New(string prefix) => $"{prefix}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12))}";
}
