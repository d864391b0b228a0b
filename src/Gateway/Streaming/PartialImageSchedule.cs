namespace Gateway.Streaming;

/// <summary>
/// Where OpenAI's <c>partial_images</c> (0–3) fall: spread evenly over the denoising steps, k of K at step
/// ⌊steps·(k+1)/(K+1)⌋, never at the last step (that is the final image). With fewer steps than partial images some
/// coincide and fewer are sent, as OpenAI allows ("the final image may be sent before the full number of partial images").
/// </summary>
public static class PartialImageSchedule
{
    public const int Max = 3;

    public static Func<int, int, bool> For(int partialImages) => (step, steps) =>
    {
        if (step < 1 || step >= steps) return false;
        for (var k = 0; k < partialImages; k++)
            if (Math.Max(1, steps * (k + 1) / (partialImages + 1)) == step) return true;
        return false;
    };
}
