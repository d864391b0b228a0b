using Gateway.Auth;
using Gateway.Credits;
using Gateway.Errors;

namespace Gateway.Apis.Jobs;

/// <summary>The Heurist / Xalora job dialect: <c>POST /submit_job</c>, <c>GET|DELETE /jobs/{job_id}</c>, <c>GET /models</c>,
/// <c>GET /credits</c>. Needs <see cref="Storage.StorageServices.AddGatewayStorage"/>.</summary>
public static class JobsApi
{
    private const string Tag = "Jobs";

    public static IServiceCollection AddJobsApi(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton((configuration.GetSection(JobsOptions.Section).Get<JobsOptions>() ?? new JobsOptions()).Validated());
        services.AddCredits(configuration);
        services.AddSingleton<JobStore>();
        services.AddSingleton<ActiveJobs>();
        services.AddSingleton<JobRunner>();
        services.AddHostedService<JobRecoveryService>();
        return services;
    }

    /// <param name="clustered">GET, DELETE and events of a job are answered from the cluster's records in Redis.</param>
    public static IEndpointRouteBuilder MapJobsApi(this IEndpointRouteBuilder app, bool clustered = false)
    {
        app.MapPost("/submit_job", SubmitJobEndpoint.HandleAsync)
            .RequireApiKey()
            .WithTags(Tag)
            .WithName("submitJob")
            .WithSummary("Run a job and answer the URL of its image")
            .WithDescription("Waits for the image and answers a JSON string: its absolute URL. The seed used is in the X-Seed header.")
            .Accepts<SubmitJobSchema>("application/json")
            .Produces<string>()
            .ProducesErrors(400, 401, 402, 404, 409, 413, 415, 429, 503, 504);

        (clustered ? app.MapGet("/jobs/{jobId}", Cluster.ClusterJobEndpoints.GetAsync) : app.MapGet("/jobs/{jobId}", JobEndpoints.Get))
            .RequireApiKey()
            .WithTags(Tag)
            .WithName("getJob")
            .WithSummary("A job's status, queue position, ETA, progress, image URL, seed and credits")
            .WithDescription("For the job id of an OpenAI or Hyperbolic request (X-Job-Id), while the server tracks it, a short " +
                             "view: job_id, dialect, status, queue_position, eta_seconds, progress, error.")
            .Produces<JobView>()
            .ProducesErrors(401, 404);

        (clustered ? app.MapGet("/jobs/{jobId}/events", Cluster.ClusterJobEndpoints.EventsAsync)
                : app.MapGet("/jobs/{jobId}/events", JobEventsEndpoint.HandleAsync))
            .RequireApiKey()
            .WithTags(Tag)
            .WithName("getJobEvents")
            .WithSummary("A job's progress as Server-Sent Events: queued, started, step (with ?preview=true a JPEG preview), finished or failed")
            .WithDescription("Works for a job of any dialect (OpenAI and Hyperbolic requests name theirs in X-Job-Id). Resumes after " +
                "Last-Event-ID, sends ': ping' comments while idle, closes after the final event. A job id not known yet is waited for up to 5 s.")
            .Produces(StatusCodes.Status200OK, contentType: "text/event-stream")
            .ProducesErrors(400, 401, 404);

        (clustered ? app.MapDelete("/jobs/{jobId}", Cluster.ClusterJobEndpoints.DeleteAsync)
                : app.MapDelete("/jobs/{jobId}", JobEndpoints.DeleteAsync))
            .RequireApiKey()
            .WithTags(Tag)
            .WithName("cancelJob")
            .WithSummary("Cancel a queued or running job of any dialect; its request answers 409 job_cancelled")
            .Produces<JobView>()
            .ProducesErrors(401, 404, 409);

        app.MapGet("/models", ModelsEndpoint.Handle)
            .WithTags(Tag)
            .WithName("listJobModels")
            .WithSummary("The served models in Heurist's list shape, with the defaults submit_job applies")
            .Produces<List<ModelsEndpoint.JobModelView>>();

        app.MapCreditsEndpoint()
            .WithTags(Tag)
            .WithName("getCredits")
            .WithSummary("The caller's credit balance and recent charges")
            .Produces<CreditStatement>()
            .ProducesErrors(401);
        return app;
    }
}
