namespace Gateway.Diffusion.Pipelines.Conditioning;

/// <summary>
/// SDXL's <c>time_ids</c> rows, as diffusers' <c>_get_add_time_ids</c> builds them: the base takes original size,
/// crop top-left and target size (h, w, top, left, h, w); the refiner takes original size, crop and an aesthetic
/// score, 6.0 for the positive half and 2.5 for the negative one by default.
/// </summary>
internal abstract record TimeIds
{
    /// <summary>Values per row.</summary>
    public abstract int Length { get; }

    /// <summary>The positive half's row for an image rendered at <paramref name="width"/> × <paramref name="height"/>.</summary>
    public abstract float[] Positive(int width, int height);

    /// <summary>The negative (unconditional) half's row.</summary>
    public abstract float[] Negative(int width, int height);
}

/// <summary>The SDXL base: no crop, original size = target size = the rendered size (diffusers' defaults).</summary>
internal sealed record SizeTimeIds : TimeIds
{
    public static SizeTimeIds Instance { get; } = new();

    public override int Length => 6;

    public override float[] Positive(int width, int height) => [height, width, 0, 0, height, width];

    public override float[] Negative(int width, int height) => Positive(width, height);
}

/// <summary>The SDXL refiner (<c>requires_aesthetics_score</c>): original size, no crop, then the aesthetic score.</summary>
internal sealed record AestheticTimeIds(double Score, double NegativeScore) : TimeIds
{
    public override int Length => 5;

    public override float[] Positive(int width, int height) => [height, width, 0, 0, (float)Score];

    public override float[] Negative(int width, int height) => [height, width, 0, 0, (float)NegativeScore];
}
