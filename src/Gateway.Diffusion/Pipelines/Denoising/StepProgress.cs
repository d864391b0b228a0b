namespace Gateway.Diffusion.Pipelines.Denoising;

/// <summary>
/// Reports progress in requested steps, as diffusers' progress bar does: PNDM's extra warm-up evaluation
/// (steps + 1 timesteps) is not a step of its own. Counts the evaluations of every stage of the run (base, then refiner).
/// </summary>
internal sealed class StepProgress(int evaluations, int warmup)
{
    private readonly int _reported = Math.Max(1, evaluations - warmup);
    private int _done;

    /// <summary>One more evaluation is done for <paramref name="members"/>.</summary>
    public void Completed(List<BatchMember> members)
    {
        var step = ++_done - warmup;
        if (step <= 0) return;
        var progress = new GenerationProgress(Math.Min(step, _reported), _reported);
        foreach (var member in members) member.Progress?.Invoke(progress);
    }
}
