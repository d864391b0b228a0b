using System.Text.Json;
using Gateway.Apis.Shared;
using Gateway.Credits;
using Gateway.Diffusion.Imaging;
using Gateway.Diffusion.Pipelines;
using Gateway.Errors;
using Gateway.Redis;
using Gateway.Storage;

namespace Gateway.Cluster;

/// <summary>Stores a cluster job's image in the image store every node shares, as the single-node job runner does,
/// and describes failures in the error vocabulary the waiting node answers with.</summary>
public sealed class ClusterJobCompletion(IImageStore images, ImageOutput output, ILogger<ClusterJobCompletion> logger) : IJobCompletion
{
    public async Task<string> StoreAsync(ClusterJob job, GenerationResult result)
    {
        var request = job.Request;
        var parameters = GenerationParameters.Of(request, result, 0, request.Width, request.Height);
        var png = output.Encode(result.Images[0].Image, ImageFormat.Png, parameters);
        return (await images.SaveAsync(png, ImageFormat.Png, job.Owner, parameters, CancellationToken.None)).FileName;
    }

    public Task DiscardAsync(string fileName) => images.DeleteAsync(fileName);

    public (int Status, string Code, string? Param, string Message) Describe(Exception error)
    {
        var answer = ErrorHandlingMiddleware.Map(error);
        if (answer.Status >= 500 && answer.Code == "internal_error")
        {
            logger.LogError(error, "A cluster job failed");
            return (answer.Status, "internal_error", null, "The generation failed; the error is logged on the node that ran it.");
        }
        return (answer.Status, answer.Code ?? "error", answer.Param, answer.Message);
    }

    public string LedgerEntry(ClusterJob job, DateTimeOffset chargedAt) =>
        JsonSerializer.Serialize(new LedgerEntry(job.Owner, job.JobId, job.Request.Model, job.Request.Width, job.Request.Height,
            job.Store?.Steps ?? 0, job.Store?.Credits ?? 0, Timestamps.ToText(chargedAt)));
}
