namespace Gateway.Diffusion.Pipelines;

/// <summary>
/// The guidance-scale embedding that guidance-distilled UNets (LCM) take as <c>timestep_cond</c>; diffusers'
/// <c>get_guidance_scale_embedding(w = guidance − 1)</c>.
/// </summary>
internal static class GuidanceEmbedding
{
    public static void Write(double guidance, Span<float> destination)
    {
        var dimension = destination.Length;
        var half = dimension / 2;
        var w = (float)((guidance - 1.0) * 1000.0);
        var exponent = MathF.Log(10000f) / (half - 1);
        for (var i = 0; i < half; i++)
        {
            var angle = w * MathF.Exp(i * -exponent);
            destination[i] = MathF.Sin(angle);
            destination[half + i] = MathF.Cos(angle);
        }
        if (dimension % 2 == 1) destination[^1] = 0f;
    }
}
