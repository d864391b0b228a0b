namespace Gateway.Diffusion.Models;

/// <summary>A model or catalog that cannot be used; the message names the file and what was expected.</summary>
public sealed class ModelLoadException : Exception
{
    public ModelLoadException(string message) : base(message) { }
    public ModelLoadException(string message, Exception inner) : base(message, inner) { }
}
