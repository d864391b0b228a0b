using Gateway.Apis.Shared;
using Gateway.Auth;
using Gateway.Diffusion.Engine;
using Gateway.Storage;

namespace Gateway.Apis.Jobs;

/// <summary><c>POST /submit_job</c>: waits for the image and answers a JSON string holding its absolute URL, which is
/// what the Heurist SDK reads (the response text, quotes stripped).</summary>
public static class SubmitJobEndpoint
{
    /// <summary>A job body is a few fields of text.</summary>
    private const long MaxBodyBytes = 64 * 1024;

    public static async Task<IResult> HandleAsync(HttpContext context, DiffusionEngine engine, JobsOptions options, JobRunner runner,
        ImageUrls urls, IServiceProvider services)
    {
        EngineParamNames.Use(context, EngineParamNames.Jobs);
        var body = await JsonFields.ReadBodyAsync(context.Request, MaxBodyBytes, context.RequestAborted);
        var submission = SubmitJobReader.Read(body, engine.Catalog, options);
        string UrlOf(string file) => urls.For(context.Request, file);
        // On a cluster node the job runs wherever a node serves its model, and completes even if this node dies.
        var fileName = services.GetService<Cluster.ClusterJobRunner>() is { } cluster
            ? await cluster.RunAsync(submission, context.ClientId(), UrlOf, context.RequestAborted)
            : (await runner.RunAsync(submission, context.ClientId(), UrlOf, context.RequestAborted)).FileName;
        DialectResponse.SetSeed(context, submission.Request.Seed);
        Metering.SetChargedHeader(context, submission.Credits);
        return Results.Json(UrlOf(fileName));
    }
}
