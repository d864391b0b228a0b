namespace Gateway.Errors;

public static class ErrorResponseMetadata
{
    /// <summary>Declares, for the OpenAPI document, that the endpoint answers these statuses with the shared error envelope.</summary>
    public static RouteHandlerBuilder ProducesErrors(this RouteHandlerBuilder builder, params int[] statuses)
    {
        foreach (var status in statuses) builder.Produces<ApiErrorWriter.ErrorEnvelope>(status, "application/json");
        return builder;
    }
}
