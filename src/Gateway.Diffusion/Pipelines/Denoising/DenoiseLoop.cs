using System.Numerics.Tensors;
using Gateway.Diffusion.Onnx;
using Gateway.Diffusion.Pipelines.Vae;
using Microsoft.ML.OnnxRuntime;

namespace Gateway.Diffusion.Pipelines.Denoising;

/// <summary>The UNet of one stage and the evaluations it runs: [<paramref name="Start"/>, <paramref name="End"/>) of the
/// lanes' schedule (the whole schedule, or the base's and the refiner's parts of it).</summary>
internal sealed record DenoiseStage(Denoiser Denoiser, int Start, int End);

/// <summary>What every stage of one run shares.</summary>
internal sealed record DenoiseContext(GuidanceMode Guidance, int LatentHeight, int LatentWidth, int SequenceLength,
    RunOptions RunOptions, OnnxClock Clock, StepProgress Progress, IDenoiseStepHook? Hook, CancellationToken CancellationToken)
{
    /// <summary>Renders the current stage's x₀ estimates for previews.</summary>
    public required StagePreviewer Previewer { get; init; }
}

/// <summary>
/// The one denoising loop of every family. Each step is one UNet call over all lanes of the batch (two rows a lane
/// under classifier-free guidance); each lane then takes its own guidance and scheduler step, so its pixels are the
/// same as when it runs alone. Lanes of members cancelled mid-run leave the batch between steps.
/// </summary>
internal static class DenoiseLoop
{
    public static void Run(DenoiseStage stage, List<DenoiseLane> lanes, DenoiseContext context)
    {
        var active = lanes.Where(l => !l.Member.Dropped).ToList();
        if (active.Count == 0 || stage.Start >= stage.End) return;

        var rowsPerLane = context.Guidance.RowsPerImage();
        var rowLength = active[0].Latents.Length;
        var scaled = new float[rowLength];
        var unconditional = new float[rowLength];
        var conditional = new float[rowLength];
        var members = active.Select(l => l.Member).Distinct().ToList();
        DenoiserStepper? stepper = null;
        for (var i = stage.Start; i < stage.End; i++)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            if (DropCancelled(ref active, members) || stepper is null)
            {
                if (active.Count == 0) throw new OperationCanceledException(context.CancellationToken);
                stepper = PrepareStepper(stage.Denoiser, active, rowsPerLane, context);
            }

            var timestep = active[0].Scheduler.Timesteps[i];
            var (previewStep, previewSteps) = (context.Progress.Next, context.Progress.Steps);
            foreach (var lane in active)
            {
                lane.Scheduler.ScaleModelInput(lane.Latents, i, scaled);
                for (var r = 0; r < rowsPerLane; r++) stepper.WriteSample(scaled, lane.FirstRow + r);
            }
            stepper.SetTimestep(timestep);
            var step = new DenoiseStep(i, timestep, stepper, active, context.Guidance);
            context.Hook?.BeforeUNet(step);

            stepper.Run(context.RunOptions, context.Clock);

            foreach (var lane in active)
            {
                if (rowsPerLane == 2)
                {
                    // ε = ε_uncond + g · (ε_cond − ε_uncond)
                    stepper.ReadPrediction(unconditional, lane.FirstRow);
                    stepper.ReadPrediction(conditional, lane.FirstRow + 1);
                    TensorPrimitives.Subtract(conditional, unconditional, conditional);
                    TensorPrimitives.MultiplyAdd(conditional, (float)lane.Guidance, unconditional, conditional);
                }
                else
                {
                    stepper.ReadPrediction(conditional, lane.FirstRow);
                }
                if (previewStep > 0 && lane.ImageIndex == 0 && lane.Member.Feed?.WantsPreview(previewStep, previewSteps) == true)
                {
                    lane.Original ??= new float[rowLength];
                    lane.Scheduler.EstimateOriginal(conditional, i, lane.Latents, lane.Original);
                    lane.OriginalStep = previewStep;
                }
                lane.Scheduler.Step(conditional, i, lane.Latents, lane.Noise);
            }
            context.Hook?.AfterStep(step);
            context.Progress.Completed(members, active, context.Previewer);
        }
    }

    /// <summary>Takes the lanes of members cancelled or expired since the last step out of the batch; true when any left.</summary>
    private static bool DropCancelled(ref List<DenoiseLane> active, List<BatchMember> members)
    {
        // Checked every step, so the common case (nobody left) must not allocate.
        if (!members.Exists(static m => m.ShouldStop)) return false;
        var cancelled = members.Where(m => m.ShouldStop).ToList();
        foreach (var member in cancelled)
        {
            member.Dropped = true;
            members.Remove(member);
        }
        active = active.Where(l => !l.Member.Dropped).ToList();
        return true;
    }

    /// <summary>UNet tensors for the current lanes: rows assigned in lane order, conditioning written once.</summary>
    private static DenoiserStepper PrepareStepper(Denoiser denoiser, List<DenoiseLane> lanes, int rowsPerLane, DenoiseContext context)
    {
        var first = lanes[0].Conditioning.Positive;
        var sequence = context.SequenceLength;
        var batch = lanes.Count * rowsPerLane;
        var stepper = denoiser.Stepper(batch, context.LatentHeight, context.LatentWidth, sequence, first.Hidden.Length / sequence,
            first.Pooled?.Length ?? 0);
        var guidanceEmbedding = denoiser.GuidanceEmbeddingSize is { } size ? new float[size] : null;
        var guidanceScale = stepper.Has(UNetInputs.Guidance) ? new float[1] : null;
        for (var l = 0; l < lanes.Count; l++)
        {
            var lane = lanes[l];
            var conditioning = lane.Conditioning;
            lane.FirstRow = l * rowsPerLane;
            if (rowsPerLane == 2) WriteConditioning(stepper, denoiser, conditioning.Negative!, conditioning.NegativeTimeIds, lane.FirstRow);
            WriteConditioning(stepper, denoiser, conditioning.Positive, conditioning.TimeIds, lane.FirstRow + rowsPerLane - 1);
            if (guidanceEmbedding is not null)
            {
                GuidanceEmbedding.Write(lane.Guidance, guidanceEmbedding);
                for (var r = 0; r < rowsPerLane; r++) stepper.WriteRow(UNetInputs.TimestepCond, guidanceEmbedding, lane.FirstRow + r);
            }
            if (guidanceScale is not null)
            {
                // FLUX.1-dev: the scale itself, once per row (the transformer embeds it).
                guidanceScale[0] = (float)lane.Guidance;
                for (var r = 0; r < rowsPerLane; r++) stepper.WriteRow(UNetInputs.Guidance, guidanceScale, lane.FirstRow + r);
            }
        }
        return stepper;
    }

    private static void WriteConditioning(DenoiserStepper stepper, Denoiser denoiser, Conditioning.TextConditioning text, float[]? timeIds, int row)
    {
        stepper.WriteRow(UNetInputs.EncoderHiddenStates, text.Hidden, row);
        if (text.Pooled is { } pooled && denoiser.PooledInput is { } pooledInput) stepper.WriteRow(pooledInput, pooled, row);
        if (timeIds is not null) stepper.WriteRow(UNetInputs.TimeIds, timeIds, row);
    }
}
