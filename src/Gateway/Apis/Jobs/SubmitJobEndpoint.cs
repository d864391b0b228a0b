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
        ImageUrls urls)
    {
        EngineParamNames.Use(context, EngineParamNames.Jobs);
        var body = await JsonFields.ReadBodyAsync(context.Request, MaxBodyBytes, context.RequestAborted);
        var submission = SubmitJobReader.Read(body, engine.Catalog, options);
        var image = await runner.RunAsync(submission, context.ClientId(), file => urls.For(context.Request, file), context.RequestAborted);
        DialectResponse.SetSeed(context, submission.Request.Seed);
        Metering.SetChargedHeader(context, submission.Credits);
        return Results.Json(urls.For(context.Request, image.FileName));
    }
}
