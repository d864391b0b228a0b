namespace Gateway.Diffusion.Pipelines;

/// <summary>A request the engine cannot run as asked; <see cref="Param"/> names the offending field.</summary>
public sealed class InvalidGenerationRequestException(string param, string message, string code = InvalidGenerationRequestException.InvalidValue)
    : Exception(message)
{
    /// <summary>A value out of range or of the wrong form.</summary>
    public const string InvalidValue = "invalid_value";

    /// <summary>A field the request's model has no use for (a second prompt on a one-encoder model, a refiner it lacks).</summary>
    public const string UnsupportedParameter = "unsupported_parameter";

    public string Param { get; } = param;

    /// <summary>The machine-readable reason, <see cref="InvalidValue"/> or <see cref="UnsupportedParameter"/>.</summary>
    public string Code { get; } = code;
}
