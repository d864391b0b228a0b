namespace Gateway.Diffusion.Noise;

/// <summary>A stream of standard normal samples; one per request so that a seed fixes every draw.</summary>
public interface INoiseSource
{
    /// <summary>Fills <paramref name="destination"/> exactly as one <c>torch.randn</c> call of that many elements would.</summary>
    void NextGaussian(Span<float> destination);
}
