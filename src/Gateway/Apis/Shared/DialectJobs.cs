using Gateway.Auth;
using Gateway.Diffusion.Engine;

namespace Gateway.Apis.Shared;

/// <summary>The job id of an OpenAI or Hyperbolic request: the client's <c>X-Job-Id</c> or a new one, answered in
/// <c>X-Job-Id</c>, tracked so that <c>GET /jobs/{id}/events</c> and <c>DELETE /jobs/{id}</c> find the generation.</summary>
public static class DialectJobs
{
    public static TrackedJob Begin(HttpContext http, TrackedJobs tracked, string dialect, GenerationOptions options)
    {
        var id = JobIds.FromHeaderOrNew(http.Request, dialect);
        http.Response.Headers[JobIds.Header] = id;
        return tracked.Start(http.ClientId(), id, dialect, options, http.RequestAborted, JobIds.Header);
    }
}
