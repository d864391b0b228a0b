using Gateway.Diffusion.Control;
using Gateway.Diffusion.Models;
using Gateway.Diffusion.Onnx;
using Gateway.Diffusion.Pipelines.Flux;

namespace Gateway.Diffusion.Pipelines.Denoising;

/// <summary>What a family feeds its UNet besides sample, timestep and text hidden states.</summary>
/// <param name="TimeIdsLength">SDXL's <c>time_ids</c> width (6 for the base, 5 for the refiner), or null for none;
/// SDXL families also feed <c>text_embeds</c>.</param>
/// <param name="Inpainting">The family is an SD-inpaint one (<c>sd15-inpaint</c>, <c>sdxl-inpaint</c>): <c>sample</c> takes the
/// latents, the mask and the masked image's latents on its channels.</param>
internal sealed record UNetConditioningInputs(int? TimeIdsLength, bool Inpainting = false)
{
    public static UNetConditioningInputs StableDiffusion { get; } = new((int?)null);

    public bool AddedConditioning => TimeIdsLength is not null;
}

/// <summary>
/// A UNet export bound by input name, read from the session's metadata with each input's element type and rank:
/// <c>sample</c>, <c>timestep</c>, <c>encoder_hidden_states</c>, and what the family adds (SDXL's <c>text_embeds</c>
/// and <c>time_ids</c>, LCM's <c>timestep_cond</c>). An input the family does not feed is a load error, so a model
/// listed under the wrong family fails at load and not mid-run. <see cref="FluxTransformer"/> binds Flux's
/// transformer the same way: packed <c>hidden_states</c>, σ as <c>timestep</c>, <c>pooled_projections</c>,
/// <c>img_ids</c>/<c>txt_ids</c> and dev's <c>guidance</c>.
/// </summary>
internal sealed class Denoiser : IDisposable
{
    private static readonly TensorExpectation Sample = new(UNetInputs.Sample, TensorKind.Float, [4], "[batch, channels, height/8, width/8]");
    private static readonly TensorExpectation Timestep = new(UNetInputs.Timestep, TensorKind.Number, [0, 1], "scalar or [batch]");
    private static readonly TensorExpectation EncoderHiddenStates = new(UNetInputs.EncoderHiddenStates, TensorKind.Float, [3], "[batch, sequence, hidden]");
    private static readonly TensorExpectation TextEmbeds = new(UNetInputs.TextEmbeds, TensorKind.Float, [2], "[batch, pooled]");
    private static readonly TensorExpectation TimeIds = new(UNetInputs.TimeIds, TensorKind.Float, [2], "[batch, time ids]");
    private static readonly TensorExpectation TimestepCond = new(UNetInputs.TimestepCond, TensorKind.Float, [2], "[batch, time_cond_proj_dim]");
    private static readonly TensorExpectation OutSample = new(UNetInputs.OutSample, TensorKind.Float, [4], "[batch, channels, height/8, width/8]");
    private static readonly TensorExpectation HiddenStates = new(UNetInputs.HiddenStates, TensorKind.Float, [3], "[batch, (height/16)·(width/16), 4·channels]");
    private static readonly TensorExpectation TransformerTimestep = new(UNetInputs.Timestep, TensorKind.Float, [1], "[batch] (σ)");
    private static readonly TensorExpectation PooledProjections = new(UNetInputs.PooledProjections, TensorKind.Float, [2], "[batch, pooled]");
    private static readonly TensorExpectation ImgIds = new(UNetInputs.ImgIds, TensorKind.Float, [2, 3], "[image sequence, 3] or [batch, image sequence, 3]");
    private static readonly TensorExpectation TxtIds = new(UNetInputs.TxtIds, TensorKind.Float, [2, 3], "[text sequence, 3] or [batch, text sequence, 3]");
    private static readonly TensorExpectation Guidance = new(UNetInputs.Guidance, TensorKind.Float, [1], "[batch]");
    private static readonly TensorExpectation[] TransformerOutputs =
        [.. UNetInputs.TransformerOutputs.Select(name => new TensorExpectation(name, TensorKind.Float, [3], "[batch, image sequence, 4·channels]"))];

    private readonly OnnxModelFile _file;
    private readonly Dictionary<string, TensorSignature> _inputs = new(StringComparer.Ordinal);
    private readonly TensorSignature _out;
    private readonly string _sampleInput = UNetInputs.Sample;
    // Most recently used first. A handful of shapes cover a server's traffic (batch sizes × image sizes).
    private readonly List<(StepperShape Shape, DenoiserStepper Stepper)> _steppers = [];
    private const int MaxCachedSteppers = 4;

    /// <param name="controlNetResiduals">A ControlNet UNet: it also takes diffusers' residual inputs
    /// (<c>down_block_{i}_additional_residual</c>, <c>mid_block_additional_residual</c>), which a ControlNet fills.</param>
    public Denoiser(OnnxModelFile file, UNetConditioningInputs conditioning, int? guidanceEmbeddingSize, string pipelineDescription,
        bool controlNetResiduals = false)
    {
        _file = file;
        Add(file.RequireInput(Sample));
        Add(file.RequireInput(Timestep));
        Add(file.RequireInput(EncoderHiddenStates));
        if (file.OptionalInput(TimestepCond) is { } cond) Add(cond);
        if (controlNetResiduals) ResidualInputs = ControlNetResiduals.Bind(file);
        if (conditioning.TimeIdsLength is { } timeIdsLength)
        {
            Add(file.RequireInput(TextEmbeds));
            var timeIds = Add(file.RequireInput(TimeIds));
            if (timeIds.FixedDimension(1) is { } declared && declared != timeIdsLength)
                throw new ModelLoadException(
                    $"{file.DisplayName}: input '{UNetInputs.TimeIds}' has {declared} values a row; the {pipelineDescription} pipeline " +
                    $"feeds {timeIdsLength} (is the model's family in models.json right?).");
        }
        _out = file.RequireOutput(OutSample);
        file.RejectUnfedInputs([.. _inputs.Keys, .. ResidualInputs.Select(r => r.Name)], pipelineDescription);

        TimeIdsLength = conditioning.TimeIdsLength;
        var sampleChannels = _inputs[UNetInputs.Sample].FixedDimension(1);
        LatentChannels = _out.FixedDimension(1) ?? (conditioning.Inpainting ? (sampleChannels - 1) / 2 : sampleChannels) ?? 4;
        SampleChannels = conditioning.Inpainting ? 2 * LatentChannels + 1 : LatentChannels;
        if (sampleChannels is { } declaredChannels && declaredChannels != SampleChannels)
            throw new ModelLoadException(conditioning.Inpainting
                ? $"{file.DisplayName}: input '{UNetInputs.Sample}' has {declaredChannels} channels; an inpainting UNet takes {SampleChannels} " +
                  $"(latents ‖ mask ‖ masked-image latents, {LatentChannels} + 1 + {LatentChannels}). Is the model's family in models.json right?"
                : $"{file.DisplayName}: input '{UNetInputs.Sample}' has {declaredChannels} channels but '{UNetInputs.OutSample}' {LatentChannels}; " +
                  "an SD-inpaint export is listed with family sd15-inpaint or sdxl-inpaint.");
        HiddenSize = _inputs[UNetInputs.EncoderHiddenStates].FixedDimension(2);
        PooledInput = _inputs.ContainsKey(UNetInputs.TextEmbeds) ? UNetInputs.TextEmbeds : null;
        PooledSize = _inputs.TryGetValue(UNetInputs.TextEmbeds, out var embeds) ? embeds.FixedDimension(1) : null;
        GuidanceEmbeddingSize = !_inputs.TryGetValue(UNetInputs.TimestepCond, out var timestepCond) ? null
            : timestepCond.FixedDimension(1) ?? guidanceEmbeddingSize
              ?? throw new ModelLoadException($"{file.DisplayName}: input 'timestep_cond' has no fixed size and unet/config.json gives no time_cond_proj_dim.");
    }

    private Denoiser(OnnxModelFile file, bool guidance, string pipelineDescription)
    {
        _file = file;
        _sampleInput = UNetInputs.HiddenStates;
        var hidden = Add(file.RequireInput(HiddenStates));
        Add(file.RequireInput(TransformerTimestep));
        Add(file.RequireInput(EncoderHiddenStates));
        Add(file.RequireInput(PooledProjections));
        Add(file.RequireInput(ImgIds));
        Add(file.RequireInput(TxtIds));
        if (guidance) Add(file.RequireInput(Guidance));
        _out = file.RequireOutput(TransformerOutputs);
        file.RejectUnfedInputs(_inputs.Keys, pipelineDescription);

        var packed = hidden.FixedDimension(2) ?? 4 * FluxLatentChannels;
        if (packed % 4 != 0)
            throw new ModelLoadException($"{file.DisplayName}: input '{UNetInputs.HiddenStates}' has {packed} values a token; 2×2 packing needs a multiple of 4.");
        LatentChannels = packed / 4;
        SampleChannels = LatentChannels;
        HiddenSize = _inputs[UNetInputs.EncoderHiddenStates].FixedDimension(2);
        PooledInput = UNetInputs.PooledProjections;
        PooledSize = _inputs[UNetInputs.PooledProjections].FixedDimension(1);
        Layout = PackedLatents.Instance;
        TimestepDivisor = 1000f;
        ClassifierFreeGuidance = false;
    }

    /// <summary>Flux's latent channels (16) when the export leaves hidden_states' last axis symbolic.</summary>
    private const int FluxLatentChannels = 16;

    /// <summary>Binds a Flux transformer; <paramref name="guidance"/>: it takes dev's embedded <c>guidance</c> input.</summary>
    public static Denoiser FluxTransformer(OnnxModelFile file, bool guidance, string pipelineDescription) =>
        new(file, guidance, pipelineDescription);

    public string DisplayName => _file.DisplayName;

    /// <summary>A ControlNet UNet's residual inputs in diffusers' order (down blocks, then mid); empty for any other UNet.
    /// Their tensors are bound per batch shape by the ControlNet that fills them (<see cref="DenoiserStepper.BindExtraInput"/>).</summary>
    public IReadOnlyList<TensorSignature> ResidualInputs { get; } = [];

    /// <summary>How the latents are laid out for this denoiser.</summary>
    public LatentLayout Layout { get; } = LatentLayout.Spatial;

    /// <summary>What the scheduler's timesteps are divided by before they are fed: 1, or 1000 for Flux's σ.</summary>
    public float TimestepDivisor { get; } = 1f;

    /// <summary>Whether a guidance scale above 1 means a second, unconditional batch half (not for Flux).</summary>
    public bool ClassifierFreeGuidance { get; } = true;

    /// <summary>The input that takes the pooled text embedding (SDXL's <c>text_embeds</c>, Flux's <c>pooled_projections</c>), if any.</summary>
    public string? PooledInput { get; }

    /// <summary>Whether the guidance scale goes in as an input (LCM's <c>timestep_cond</c>, FLUX.1-dev's <c>guidance</c>).</summary>
    public bool EmbedsGuidance => GuidanceEmbeddingSize is not null || _inputs.ContainsKey(UNetInputs.Guidance);

    public int LatentChannels { get; }

    /// <summary>Channels of the <c>sample</c> input: <see cref="LatentChannels"/>, or for an SD-inpaint UNet 2·latent + 1
    /// (latents ‖ mask ‖ masked-image latents, as diffusers' <c>StableDiffusionInpaintPipeline</c> concatenates them).</summary>
    public int SampleChannels { get; }

    /// <summary>Whether the UNet takes the mask and the masked image's latents besides the latents.</summary>
    public bool TakesInpaintInputs => SampleChannels != LatentChannels;

    /// <summary>The text hidden size the export declares, when not symbolic.</summary>
    public int? HiddenSize { get; }

    /// <summary>The <see cref="PooledInput"/> width the export declares, when it has that input and the size is not symbolic.</summary>
    public int? PooledSize { get; }

    /// <summary>The <c>time_ids</c> width fed, or null when the family feeds none.</summary>
    public int? TimeIdsLength { get; }

    /// <summary>Set for guidance-distilled UNets (LCM), which take the guidance scale as an embedding instead of a second batch half.</summary>
    public int? GuidanceEmbeddingSize { get; }

    /// <summary>
    /// The UNet's bound tensors for one batch shape, kept for later runs (the last four shapes): a run of a shape
    /// already seen allocates no UNet tensors, and their addresses stay fixed, as CUDA graph replay needs. The
    /// denoiser owns the stepper; one caller uses it at a time (the worker).
    /// </summary>
    public DenoiserStepper Stepper(int batch, int latentHeight, int latentWidth, int sequenceLength, int hiddenSize, int pooledSize = 0)
    {
        var shape = new StepperShape(batch, latentHeight, latentWidth, sequenceLength, hiddenSize, pooledSize);
        var index = _steppers.FindIndex(s => s.Shape == shape);
        var entry = index >= 0 ? _steppers[index] : (Shape: shape, Stepper: CreateStepper(shape));
        if (index >= 0) _steppers.RemoveAt(index);
        _steppers.Insert(0, entry);
        if (_steppers.Count > MaxCachedSteppers)
        {
            _steppers[^1].Stepper.Dispose();
            _steppers.RemoveAt(_steppers.Count - 1);
        }
        return entry.Stepper;
    }

    private DenoiserStepper CreateStepper(StepperShape shape)
    {
        var (batch, latentHeight, latentWidth, sequenceLength, hiddenSize, pooledSize) = shape;
        if (HiddenSize is { } expected && expected != hiddenSize)
            throw new ModelLoadException($"{_file.DisplayName}: input '{UNetInputs.EncoderHiddenStates}' wants hidden size {expected}, but the text encoders give {hiddenSize}.");
        if (PooledSize is { } pooled && pooled != pooledSize)
            throw new ModelLoadException($"{_file.DisplayName}: input '{PooledInput}' wants {pooled} values, but the pooling text encoder gives {pooledSize}.");

        var imageSequence = Layout.ImageSequenceLength(latentHeight, latentWidth) ?? 0;
        var inputs = new List<(string, OnnxTensor)>();
        foreach (var (name, signature) in _inputs)
        {
            long[] dims = name switch
            {
                UNetInputs.Sample => [batch, SampleChannels, latentHeight, latentWidth],
                UNetInputs.Timestep => signature.Rank == 0 ? [] : [signature.FixedDimension(0) ?? batch],
                UNetInputs.EncoderHiddenStates => [batch, sequenceLength, hiddenSize],
                UNetInputs.TextEmbeds => [batch, pooledSize],
                UNetInputs.TimeIds => [batch, TimeIdsLength!.Value],
                UNetInputs.TimestepCond => [batch, GuidanceEmbeddingSize!.Value],
                UNetInputs.HiddenStates => [batch, imageSequence, 4 * LatentChannels],
                UNetInputs.PooledProjections => [batch, pooledSize],
                UNetInputs.ImgIds => Positions(signature, batch, imageSequence),
                UNetInputs.TxtIds => Positions(signature, batch, sequenceLength),
                UNetInputs.Guidance => [batch],
                _ => throw new InvalidOperationException($"No shape rule for UNet input '{name}'."),
            };
            var tensor = OnnxTensor.Allocate(signature.ElementType, dims);
            if (name == UNetInputs.ImgIds) WriteRows(tensor, PackedLatents.ImageIds(latentHeight, latentWidth));
            inputs.Add((name, tensor));
        }
        var output = _sampleInput == UNetInputs.HiddenStates
            ? OnnxTensor.Allocate(_out.ElementType, batch, imageSequence, 4 * LatentChannels)
            : OnnxTensor.Allocate(_out.ElementType, batch, LatentChannels, latentHeight, latentWidth);
        var device = _file.Device;
        return new DenoiserStepper(_file.Session, inputs, (_out.Name, output), _sampleInput, TimestepDivisor, device.Memory, device.Graphs?.Next());
    }

    /// <summary>img_ids / txt_ids: [length, 3], or with the batch axis older exports declare.</summary>
    private static long[] Positions(TensorSignature signature, int batch, int length) =>
        signature.Rank == 2 ? [length, 3] : [signature.FixedDimension(0) ?? batch, length, 3];

    /// <summary>Writes <paramref name="row"/> into every batch row of <paramref name="tensor"/>.</summary>
    private static void WriteRows(OnnxTensor tensor, float[] row)
    {
        for (var offset = 0; offset < tensor.Length; offset += row.Length) tensor.Write(row, offset);
    }

    private TensorSignature Add(TensorSignature signature) => _inputs[signature.Name] = signature;

    public void Dispose()
    {
        foreach (var (_, stepper) in _steppers) stepper.Dispose();
        _steppers.Clear();
        _file.Dispose();
    }

    private readonly record struct StepperShape(int Batch, int LatentHeight, int LatentWidth, int SequenceLength, int HiddenSize, int PooledSize);
}
