using Gateway.Diffusion.Models;
using Gateway.Diffusion.Onnx;
using Gateway.Diffusion.Pipelines.Denoising;

namespace Gateway.Diffusion.Control;

/// <summary>
/// A ControlNet export (OnnxStack / TensorStack layout) bound by name from its session's metadata: <c>sample</c>,
/// <c>timestep</c>, <c>encoder_hidden_states</c>, SDXL's <c>text_embeds</c> and <c>time_ids</c>, <c>controlnet_cond</c>
/// [batch, 3, height, width] in [0, 1] at pixel size, <c>conditioning_scale</c>; outputs the residuals of
/// <see cref="ControlNetResiduals"/>. Validated at load; created once, reused by every request that names it.
/// </summary>
internal sealed class ControlNetModel : IDisposable
{
    public const string ControlNetCond = "controlnet_cond";
    public const string ConditioningScale = "conditioning_scale";

    private static readonly TensorExpectation Sample = new(UNetInputs.Sample, TensorKind.Float, [4], "[batch, channels, height/8, width/8]");
    private static readonly TensorExpectation Timestep = new(UNetInputs.Timestep, TensorKind.Number, [0, 1], "scalar or [batch]");
    private static readonly TensorExpectation EncoderHiddenStates = new(UNetInputs.EncoderHiddenStates, TensorKind.Float, [3], "[batch, sequence, hidden]");
    private static readonly TensorExpectation TextEmbeds = new(UNetInputs.TextEmbeds, TensorKind.Float, [2], "[batch, pooled]");
    private static readonly TensorExpectation TimeIds = new(UNetInputs.TimeIds, TensorKind.Float, [2], "[batch, 6]");
    private static readonly TensorExpectation Cond = new(ControlNetCond, TensorKind.Float, [4], "[batch, 3, height, width] in [0, 1]");
    private static readonly TensorExpectation Scale = new(ConditioningScale, TensorKind.Number, [0, 1], "scalar or [1]");

    private readonly OnnxModelFile _file;

    public ControlNetModel(ControlNetCatalogEntry entry, OnnxModelFile file)
    {
        Entry = entry;
        _file = file;
        var inputs = new List<TensorSignature>
        {
            file.RequireInput(Sample), file.RequireInput(Timestep), file.RequireInput(EncoderHiddenStates),
        };
        if (entry.Family == CatalogControlNets.SdxlFamily)
        {
            inputs.Add(file.RequireInput(TextEmbeds));
            inputs.Add(file.RequireInput(TimeIds));
        }
        SharedInputs = inputs;
        CondInput = file.RequireInput(Cond);
        if (CondInput.FixedDimension(1) is { } channels && channels != 3)
            throw new ModelLoadException($"{file.DisplayName}: input '{ControlNetCond}' has {channels} channels; expected 3 (RGB) [batch, 3, height, width].");
        ScaleInput = file.RequireInput(Scale);
        file.RejectUnfedInputs([.. inputs.Select(i => i.Name), ControlNetCond, ConditioningScale],
            entry.Family == CatalogControlNets.SdxlFamily ? "SDXL ControlNet" : "SD 1.5 ControlNet");
        Residuals = ControlNetResiduals.BindOutputs(file);
    }

    public ControlNetCatalogEntry Entry { get; }

    public string DisplayName => _file.DisplayName;

    internal Microsoft.ML.OnnxRuntime.InferenceSession Session => _file.Session;

    /// <summary>The memory its long-lived tensors are bound in (the UNet's, on a device), or null for host tensors.</summary>
    internal IDeviceMemory? Memory => _file.Device.Memory;

    /// <summary>The inputs that take what the UNet takes (latents, timestep, text conditioning), in binding order.</summary>
    public IReadOnlyList<TensorSignature> SharedInputs { get; }

    public TensorSignature CondInput { get; }

    public TensorSignature ScaleInput { get; }

    public IReadOnlyList<TensorSignature> Residuals { get; }

    /// <summary>Why this ControlNet cannot feed <paramref name="unet"/> (residual names or element types, text width), or null.</summary>
    public string? Misfit(Denoiser unet)
    {
        var wanted = unet.ResidualInputs;
        if (!wanted.Select(r => r.Name).SequenceEqual(Residuals.Select(r => r.Name)))
            return $"{DisplayName} outputs {Residuals.Count - 1} down-block residuals + mid, but {unet.DisplayName} takes " +
                   $"{wanted.Count - 1} + mid: they are not a ControlNet and ControlNet UNet of the same architecture.";
        for (var i = 0; i < wanted.Count; i++)
        {
            var (output, input) = (Residuals[i], wanted[i]);
            if (output.ElementType != input.ElementType)
                return $"{DisplayName}: output '{output.Name}' is {output.ElementType}, but {unet.DisplayName} takes {input.ElementType}.";
            if (output.FixedDimension(1) is { } c && input.FixedDimension(1) is { } d && c != d)
                return $"{DisplayName}: output '{output.Name}' has {c} channels, but {unet.DisplayName} takes {d}.";
        }
        var hidden = SharedInputs.First(i => i.Name == UNetInputs.EncoderHiddenStates).FixedDimension(2);
        if (hidden is { } h && unet.HiddenSize is { } u && h != u)
            return $"{DisplayName}: input '{UNetInputs.EncoderHiddenStates}' wants hidden size {h}, but {unet.DisplayName} takes {u}.";
        return null;
    }

    /// <summary>This ControlNet's tensors for one UNet batch shape, kept with the UNet's stepper.</summary>
    public ControlNetStepper Stepper(DenoiserStepper unet) => unet.Attachment(this, () => new ControlNetStepper(this, unet));

    public void Dispose() => _file.Dispose();
}
