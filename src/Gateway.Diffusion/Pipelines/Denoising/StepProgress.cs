using Gateway.Diffusion.Pipelines.Vae;

namespace Gateway.Diffusion.Pipelines.Denoising;

/// <summary>
/// Reports progress in requested steps, as diffusers' progress bar does: PNDM's extra warm-up evaluation
/// (steps + 1 timesteps) is not a step of its own. Counts the evaluations of every stage of the run (base, then refiner).
/// </summary>
internal sealed class StepProgress(int evaluations, int warmup)
{
    private readonly int _reported = Math.Max(1, evaluations - warmup);
    private int _done;

    /// <summary>The step the evaluation running now completes; 0 or less during the warm-up.</summary>
    public int Next => _done + 1 - warmup;

    /// <summary>The number of steps reported.</summary>
    public int Steps => _reported;

    /// <summary>One more evaluation is done for <paramref name="members"/>; a member's feed gets the x₀ estimate that
    /// its first image's lane made for this step, if it wanted one.</summary>
    public void Completed(List<BatchMember> members, List<DenoiseLane> lanes, StagePreviewer previewer)
    {
        var step = ++_done - warmup;
        if (step <= 0) return;
        var progress = new GenerationProgress(Math.Min(step, _reported), _reported);
        foreach (var member in members)
        {
            member.Progress?.Invoke(progress);
            if (member.Feed is not { } feed) continue;
            var original = OriginalOf(lanes, member, step);
            feed.Step(progress.Step, progress.Steps, original is null ? null : previewer.For(original));
        }
    }

    // A plain loop: a lambda's captures would allocate on every step, and the step loop allocates nothing.
    private static float[]? OriginalOf(List<DenoiseLane> lanes, BatchMember member, int step)
    {
        foreach (var lane in lanes)
            if (lane.Member == member && lane.Original is not null && lane.OriginalStep == step) return lane.Original;
        return null;
    }
}
