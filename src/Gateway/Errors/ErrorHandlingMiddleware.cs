using System.Text.Json;
using Gateway.Diffusion.Engine;
using Gateway.Diffusion.Imaging;
using Gateway.Diffusion.Pipelines;
using Gateway.Redis;
using Gateway.Storage;

namespace Gateway.Errors;

/// <summary>
/// Turns every failure into the shared error envelope with the right status; nothing a client sends gives a 500.
/// Engine exceptions map here once, so the dialects only validate and translate.
/// </summary>
public sealed class ErrorHandlingMiddleware(RequestDelegate next, ILogger<ErrorHandlingMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
            if (context.Response is { HasStarted: false, StatusCode: >= 400 } response && response.ContentLength is null &&
                string.IsNullOrEmpty(response.ContentType))
                await ApiErrorWriter.WriteAsync(context, ForBareStatus(context, response.StatusCode));
        }
        catch (Exception e) when (context.RequestAborted.IsCancellationRequested && e is OperationCanceledException or IOException)
        {
            // The client went away; its generation was cancelled with the request. Nobody is left to answer.
            logger.LogInformation("Client disconnected from {Path}", context.Request.Path);
        }
        catch (Exception e)
        {
            var error = Apis.Shared.EngineParamNames.Rename(Map(e), e, context);
            if (error.Status >= 500 && error.Code == "internal_error")
                logger.LogError(e, "Unhandled error on {Method} {Path}", context.Request.Method, context.Request.Path);
            if (context.Response.HasStarted)
            {
                logger.LogWarning("Cannot report {Status} on {Path}: the response has started", error.Status, context.Request.Path);
                return;
            }
            await ApiErrorWriter.WriteAsync(context, error);
        }
    }

    public static ApiException Map(Exception e) => e switch
    {
        ApiException api => api,
        InvalidGenerationRequestException invalid => ApiException.BadRequest(invalid.Param, invalid.Message, invalid.Code),
        InvalidImageException image => ApiException.BadRequest("image", image.Message, "invalid_image"),
        UnknownModelException unknown => new ApiException(StatusCodes.Status404NotFound, unknown.Message, "model", "model_not_found"),
        ModelNotReadyException notReady => new ApiException(StatusCodes.Status503ServiceUnavailable, notReady.Message, "model", "model_not_ready")
        {
            RetryAfter = TimeSpan.FromSeconds(5),
        },
        QueueFullException full => new ApiException(StatusCodes.Status429TooManyRequests, full.Message, null, "queue_full") { RetryAfter = full.RetryAfter },
        DeadlineUnreachableException unreachable => new ApiException(StatusCodes.Status503ServiceUnavailable, unreachable.Message, "deadline", "deadline_unreachable")
        {
            RetryAfter = unreachable.RetryAfter,
        },
        StorageUnavailableException storage => new ApiException(StatusCodes.Status503ServiceUnavailable, storage.Message, null, "storage_unavailable")
        {
            RetryAfter = StorageUnavailableException.RetryAfter,
        },
        ClusterJobFailedException failed => new ApiException(failed.HttpStatus, failed.Message, failed.Param, failed.Code)
        {
            RetryAfter = failed.HttpStatus is StatusCodes.Status429TooManyRequests or StatusCodes.Status503ServiceUnavailable
                ? TimeSpan.FromSeconds(5) : null,
        },
        _ when RedisOutage.Is(e) => new ApiException(StatusCodes.Status503ServiceUnavailable,
            "The cluster's Redis cannot be reached; try again shortly.", null, "cluster_unavailable")
        {
            RetryAfter = TimeSpan.FromSeconds(2),
        },
        DeadlineExceededException exceeded => new ApiException(StatusCodes.Status504GatewayTimeout, exceeded.Message, "deadline", "deadline_exceeded"),
        BadHttpRequestException bad when bad.StatusCode == StatusCodes.Status413PayloadTooLarge =>
            new ApiException(StatusCodes.Status413PayloadTooLarge, "The request body is too large.", null, "request_too_large"),
        BadHttpRequestException bad => new ApiException(bad.StatusCode, bad.Message, null, "bad_request"),
        // Not the client's own abort (that is handled before mapping): the server stopped the run, e.g. while it stops.
        OperationCanceledException => new ApiException(StatusCodes.Status503ServiceUnavailable,
            "The generation was stopped before it finished (the server may be stopping); try again.", null, "generation_stopped")
        {
            RetryAfter = TimeSpan.FromSeconds(5),
        },
        JsonException json => ApiException.BadRequest(json.Path?.TrimStart('$', '.') ?? "", $"The body is not valid JSON: {json.Message}", "invalid_json"),
        _ => new ApiException(StatusCodes.Status500InternalServerError, "The server failed to handle the request; the error is logged.", null, "internal_error"),
    };

    private static ApiException ForBareStatus(HttpContext context, int status) => status switch
    {
        StatusCodes.Status404NotFound => new ApiException(status, $"No such endpoint: {context.Request.Method} {context.Request.Path}.", null, "not_found"),
        StatusCodes.Status405MethodNotAllowed => new ApiException(status, $"{context.Request.Method} is not allowed on {context.Request.Path}.", null, "method_not_allowed"),
        StatusCodes.Status415UnsupportedMediaType => new ApiException(status, "The body must be JSON (Content-Type: application/json).", null, "unsupported_media_type"),
        _ => new ApiException(status, $"The request failed with status {status}.", null, "error"),
    };
}
