namespace Gateway.Diffusion.Imaging;

/// <summary>Input bytes that are not an acceptable image; the message is safe to show to the client.</summary>
public sealed class InvalidImageException(string message) : Exception(message);
