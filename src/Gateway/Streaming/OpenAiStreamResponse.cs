using Gateway.Apis.Shared;
using Gateway.Diffusion.Engine.Progress;
using Gateway.Diffusion.Imaging;
using Gateway.Diffusion.Pipelines;
using Gateway.Errors;

namespace Gateway.Streaming;

/// <summary>
/// Runs one OpenAI-dialect generation as a stream: starts the SSE response, sends each partial image as the engine
/// decodes it (the first image's x₀ estimate through the VAE at the scheduled steps), then one completed event per
/// image in order. An error after the stream started goes out as an error frame; the job's events end either way.
/// The same for <c>/v1/images/generations</c> and <c>/v1/images/edits</c>: only the event prefix differs.
/// </summary>
public static class OpenAiStreamResponse
{
    public static async Task RunAsync(HttpContext http, TrackedJob job, string prefix, OpenAiStreamSettings settings, int partialImages,
        TimeSpan heartbeatInterval, Func<Task<GenerationResult>> generate, Func<PixelImage, byte[]> encodePartial,
        Func<GenerationResult, int, byte[]> encodeCompleted)
    {
        var cancel = http.RequestAborted;
        using var subscription = job.Feed.Subscribe(decodeAt: partialImages > 0 ? PartialImageSchedule.For(partialImages) : null);
        // Refusals (402 credits, 429 queue full, 503 deadline) come back at once: they are still plain JSON answers.
        var generation = generate();
        if (generation.IsFaulted) await generation;
        var writer = new SseWriter(http.Response);
        await writer.StartAsync(cancel);
        var stream = new OpenAiImageStream(writer, prefix, settings);
        await using var heartbeat = new SseHeartbeat(writer, heartbeatInterval, cancel);

        var partialIndex = 0;
        try
        {
            while (true)
            {
                var next = subscription.Events.WaitToReadAsync(cancel).AsTask();
                var first = await Task.WhenAny(next, generation);
                while (subscription.Events.TryRead(out var e))
                {
                    if (e is StepEvent { Decoded: { } partial } && partialIndex < partialImages)
                        await stream.WritePartialAsync(await Task.Run(() => encodePartial(partial), cancel), partialIndex++, cancel);
                }
                if (first == generation || !await next) break;
            }
            var result = await generation;
            for (var i = 0; i < result.Images.Count; i++)
                await stream.WriteCompletedAsync(await Task.Run(() => encodeCompleted(result, i), cancel), cancel);
            job.Succeed(null);
        }
        catch (Exception e) when (!cancel.IsCancellationRequested)
        {
            job.Fail(e);
            var answer = job.Answer(e);
            await stream.WriteErrorAsync(EngineParamNames.Rename(ErrorHandlingMiddleware.Map(answer), answer, http), cancel);
        }
    }
}
