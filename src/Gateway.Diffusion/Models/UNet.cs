using Gateway.Diffusion.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace Gateway.Diffusion.Models;

/// <summary>The denoising UNet of an SD 1.x / 2.x export, with the input variants exporters produce.</summary>
internal sealed class UNet : IDisposable
{
    private static readonly TensorExpectation Sample = new("sample", TensorKind.Float, [4], "[batch, channels, height/8, width/8]");
    private static readonly TensorExpectation Timestep = new("timestep", TensorKind.Number, [0, 1], "scalar or [batch]");
    private static readonly TensorExpectation EncoderHiddenStates = new("encoder_hidden_states", TensorKind.Float, [3], "[batch, sequence, hidden]");
    private static readonly TensorExpectation TimestepCond = new("timestep_cond", TensorKind.Float, [2], "[batch, time_cond_proj_dim]");
    private static readonly TensorExpectation OutSample = new("out_sample", TensorKind.Float, [4], "[batch, channels, height/8, width/8]");

    private readonly OnnxModelFile _file;
    private readonly TensorSignature _sample;
    private readonly TensorSignature _timestep;
    private readonly TensorSignature _hidden;
    private readonly TensorSignature? _timestepCond;
    private readonly TensorSignature _out;
    // Most recently used first. A handful of shapes cover a server's traffic (batch sizes × image sizes).
    private readonly List<(StepperShape Shape, UNetStepper Stepper)> _steppers = [];
    private const int MaxCachedSteppers = 4;

    public UNet(OnnxModelFile file, int? guidanceEmbeddingSize)
    {
        _file = file;
        _sample = file.RequireInput(Sample);
        _timestep = file.RequireInput(Timestep);
        _hidden = file.RequireInput(EncoderHiddenStates);
        _timestepCond = file.OptionalInput(TimestepCond);
        _out = file.RequireOutput(OutSample);
        List<string> fed = [Sample.Name, Timestep.Name, EncoderHiddenStates.Name];
        if (_timestepCond is not null) fed.Add(TimestepCond.Name);
        file.RejectUnfedInputs(fed, "Stable Diffusion 1.x/2.x");
        LatentChannels = _sample.FixedDimension(1) ?? 4;
        GuidanceEmbeddingSize = _timestepCond is null ? null : _timestepCond.FixedDimension(1) ?? guidanceEmbeddingSize
            ?? throw new ModelLoadException($"{file.DisplayName}: input 'timestep_cond' has no fixed size and unet/config.json gives no time_cond_proj_dim.");
    }

    public int LatentChannels { get; }

    /// <summary>Set for guidance-distilled UNets (LCM), which take the guidance scale as an embedding instead of a second batch half.</summary>
    public int? GuidanceEmbeddingSize { get; }

    public string DisplayName => _file.DisplayName;

    /// <summary>
    /// The UNet's bound tensors for one batch shape, kept for later runs (the last four shapes): a run of a shape
    /// already seen allocates no UNet tensors, and their addresses stay fixed, as device-side replay (CUDA graphs)
    /// will need. The UNet owns the stepper; one caller uses it at a time (the worker).
    /// </summary>
    public UNetStepper Stepper(int batch, int latentHeight, int latentWidth, int sequenceLength, int hiddenSize)
    {
        var shape = new StepperShape(batch, latentHeight, latentWidth, sequenceLength, hiddenSize);
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

    private UNetStepper CreateStepper(StepperShape shape)
    {
        var (batch, latentHeight, latentWidth, sequenceLength, hiddenSize) = shape;
        if (_hidden.FixedDimension(2) is { } expected && expected != hiddenSize)
            throw new ModelLoadException($"{_file.DisplayName}: input 'encoder_hidden_states' wants hidden size {expected}, but the text encoder gives {hiddenSize}.");
        var timestepShape = _timestep.Rank == 0 ? Array.Empty<long>() : [_timestep.FixedDimension(0) ?? batch];
        var inputs = new List<(string, OnnxTensor)>
        {
            (Sample.Name, OnnxTensor.Allocate(_sample.ElementType, batch, LatentChannels, latentHeight, latentWidth)),
            (Timestep.Name, OnnxTensor.Allocate(_timestep.ElementType, timestepShape)),
            (EncoderHiddenStates.Name, OnnxTensor.Allocate(_hidden.ElementType, batch, sequenceLength, hiddenSize)),
        };
        if (_timestepCond is not null)
            inputs.Add((TimestepCond.Name, OnnxTensor.Allocate(_timestepCond.ElementType, batch, GuidanceEmbeddingSize!.Value)));
        var output = OnnxTensor.Allocate(_out.ElementType, batch, LatentChannels, latentHeight, latentWidth);
        return new UNetStepper(_file.Session, inputs, (OutSample.Name, output));
    }

    public void Dispose()
    {
        foreach (var (_, stepper) in _steppers) stepper.Dispose();
        _steppers.Clear();
        _file.Dispose();
    }

    private readonly record struct StepperShape(int Batch, int LatentHeight, int LatentWidth, int SequenceLength, int HiddenSize);
}

/// <summary>
/// The UNet's input and output tensors for one batch shape, allocated once and bound to the session, so that every
/// step of a run is one call with no allocation.
/// </summary>
internal sealed class UNetStepper : IDisposable
{
    private readonly InferenceSession _session;
    private readonly OnnxTensor[] _inputs;
    private readonly OnnxTensor _output;
    private readonly OrtIoBinding _binding;

    public UNetStepper(InferenceSession session, IReadOnlyList<(string Name, OnnxTensor Tensor)> inputs, (string Name, OnnxTensor Tensor) output)
    {
        _session = session;
        _inputs = inputs.Select(i => i.Tensor).ToArray();
        _output = output.Tensor;
        _binding = session.CreateIoBinding();
        foreach (var (name, tensor) in inputs) _binding.BindInput(name, tensor.Value);
        _binding.BindOutput(output.Name, output.Tensor.Value);
        RowLength = _output.Length / checked((int)_output.Shape[0]);
    }

    /// <summary>Elements of one batch row of latents.</summary>
    public int RowLength { get; }

    private OnnxTensor SampleTensor => _inputs[0];
    private OnnxTensor TimestepTensor => _inputs[1];
    private OnnxTensor HiddenTensor => _inputs[2];

    /// <summary>Writes one batch row's text embeddings ([sequence, hidden]).</summary>
    public void SetTextEmbeddings(ReadOnlySpan<float> hiddenStates, int row) => HiddenTensor.Write(hiddenStates, row * hiddenStates.Length);

    public void SetGuidanceEmbeddings(ReadOnlySpan<float> embeddings) => _inputs[3].Write(embeddings);

    public void WriteSample(ReadOnlySpan<float> latents, int row) => SampleTensor.Write(latents, row * RowLength);

    public void Run(float timestep, RunOptions runOptions, OnnxClock clock)
    {
        TimestepTensor.Fill(timestep);
        clock.Run((this, runOptions), static s =>
        {
            s.Item1._session.RunWithBinding(s.runOptions, s.Item1._binding);
            return 0;
        });
    }

    public void ReadPrediction(Span<float> destination, int row) => _output.Read(destination, row * RowLength);

    public void Dispose()
    {
        _binding.Dispose();
        foreach (var tensor in _inputs) tensor.Dispose();
        _output.Dispose();
    }
}
