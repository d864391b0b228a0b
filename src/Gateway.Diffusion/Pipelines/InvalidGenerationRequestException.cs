namespace Gateway.Diffusion.Pipelines;

/// <summary>A request the engine cannot run as asked; <see cref="Param"/> names the offending field.</summary>
public sealed class InvalidGenerationRequestException(string param, string message) : Exception(message)
{
    public string Param { get; } = param;
}
