using Gateway.Diffusion.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace Gateway.Diffusion.Pipelines.Denoising;

/// <summary>
/// The UNet's input and output tensors for one batch shape, allocated once and bound by name to the session, so that
/// every step of a run is one call with no allocation. Rows are batch rows (two per image under classifier-free guidance).
/// On a session that keeps its tensors on the device (<see cref="SessionDevice.Memory"/>), the binding is to device
/// memory: what stays the same over a run (text conditioning, ids) goes to the device once, each step sends what
/// changed (latents, timestep) and brings the prediction back, and a CUDA graph can replay the step.
/// </summary>
internal sealed class DenoiserStepper : IDisposable
{
    private readonly InferenceSession _session;
    private readonly IDeviceMemory? _memory;
    private readonly Dictionary<string, BoundTensor> _inputs;
    private readonly BoundTensor _sample;
    private readonly BoundTensor _timestep;
    private readonly BoundTensor _output;
    private readonly OrtIoBinding _binding;
    private readonly RunOptions? _graphRun;
    private readonly float _timestepDivisor;
    private readonly Dictionary<object, IDisposable> _attachments = new(ReferenceEqualityComparer.Instance);

    /// <param name="sampleInput">The input the latents go to (<c>sample</c>, Flux's <c>hidden_states</c>).</param>
    /// <param name="timestepDivisor">What each timestep is divided by before it is fed (Flux: 1000, for σ).</param>
    /// <param name="memory">The session's device memory, or null to bind the host tensors.</param>
    /// <param name="cudaGraphId">On a session that captures CUDA graphs: the graph of this shape (<c>gpu_graph_id</c>), or
    /// <see cref="CudaGraphs.Skip"/>; null on any other session.</param>
    public DenoiserStepper(InferenceSession session, IReadOnlyList<(string Name, OnnxTensor Tensor)> inputs, (string Name, OnnxTensor Tensor) output,
        string sampleInput = UNetInputs.Sample, float timestepDivisor = 1f, IDeviceMemory? memory = null, int? cudaGraphId = null)
    {
        _session = session;
        _memory = memory;
        _timestepDivisor = timestepDivisor;
        _inputs = new Dictionary<string, BoundTensor>(StringComparer.Ordinal);
        try
        {
            foreach (var (name, tensor) in inputs) _inputs[name] = new BoundTensor(tensor, memory);
            _output = new BoundTensor(output.Tensor, memory);
        }
        catch
        {
            // Out of device memory: the stepper owns the host tensors it was given, bound or not.
            foreach (var (name, tensor) in inputs)
                if (_inputs.TryGetValue(name, out var bound)) bound.Dispose();
                else tensor.Dispose();
            output.Tensor.Dispose();
            throw;
        }
        _sample = _inputs[sampleInput];
        _timestep = _inputs[UNetInputs.Timestep];
        _binding = session.CreateIoBinding();
        foreach (var (name, bound) in _inputs) _binding.BindInput(name, bound.Value);
        _binding.BindOutput(output.Name, _output.Value);
        if (cudaGraphId is { } graph)
        {
            _graphRun = new RunOptions();
            _graphRun.AddRunConfigEntry(CudaGraphs.RunConfigKey, graph.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        CudaGraphId = cudaGraphId;
        RowLength = _output.Host.Length / checked((int)_output.Host.Shape[0]);
        SampleRowLength = _sample.Host.Length / checked((int)_sample.Host.Shape[0]);
    }

    /// <summary>Elements of one batch row of latents.</summary>
    public int RowLength { get; }

    /// <summary>Elements of one batch row of the sample input: <see cref="RowLength"/>, more when the UNet takes inpainting
    /// channels after the latents.</summary>
    public int SampleRowLength { get; }

    /// <summary>The device memory the tensors are bound in, or null when the session reads the host tensors themselves.</summary>
    public IDeviceMemory? Memory => _memory;

    /// <summary>The CUDA graph of this shape (or <see cref="CudaGraphs.Skip"/>) when the session captures graphs.</summary>
    public int? CudaGraphId { get; }

    /// <summary>Host-to-device copies so far, for tests and diagnostics.</summary>
    public long Uploads { get; private set; }

    /// <summary>Whether the UNet has the input <paramref name="name"/>.</summary>
    public bool Has(string name) => _inputs.ContainsKey(name);

    /// <summary>A bound input's host tensor: its element type, its shape and what the engine wrote to it.</summary>
    public OnnxTensor Input(string name) => _inputs[name].Host;

    /// <summary>What the session reads for <paramref name="name"/> (device or host memory), for another session of the same
    /// device to share it (a ControlNet reads the UNet's inputs and writes its residual inputs).</summary>
    public OrtValue InputValue(string name) => _inputs[name].Value;

    /// <summary>Binds an input the stepper was created without (a ControlNet UNet's residuals, whose shapes the ControlNet
    /// decides); the stepper owns the tensor from now on.</summary>
    public void BindExtraInput(string name, OnnxTensor tensor)
    {
        var bound = new BoundTensor(tensor, _memory);
        if (_inputs.Remove(name, out var old)) old.Dispose();
        _inputs[name] = bound;
        _binding.BindInput(name, bound.Value);
    }

    /// <summary>What a step hook keeps per batch shape (e.g. a ControlNet's bound tensors), created on first use and
    /// disposed with the stepper.</summary>
    public T Attachment<T>(object key, Func<T> create) where T : class, IDisposable
    {
        if (_attachments.TryGetValue(key, out var existing)) return (T)existing;
        var created = create();
        _attachments[key] = created;
        return created;
    }

    /// <summary>Writes one batch row of the input <paramref name="name"/> (each row of it is <paramref name="values"/> long).</summary>
    public void WriteRow(string name, ReadOnlySpan<float> values, int row)
    {
        var bound = _inputs[name];
        bound.Host.Write(values, row * values.Length);
        bound.Written();
    }

    /// <summary>Writes the whole input <paramref name="name"/>.</summary>
    public void WriteInput(string name, ReadOnlySpan<float> values) => WriteRow(name, values, 0);

    /// <summary>Sets every element of the input <paramref name="name"/>.</summary>
    public void FillInput(string name, double value)
    {
        var bound = _inputs[name];
        bound.Host.Fill(value);
        bound.Written();
    }

    /// <summary>Says that another session wrote the input <paramref name="name"/>: in place, where the UNet reads it
    /// (<see cref="InputValue"/>), or into its host tensor, which then goes to the device before the next run.</summary>
    public void InputWrittenBy(string name, bool inPlace)
    {
        var bound = _inputs[name];
        if (inPlace) bound.WrittenOnDevice();
        else bound.Written();
    }

    public void WriteSample(ReadOnlySpan<float> latents, int row)
    {
        _sample.Host.Write(latents, row * SampleRowLength);
        _sample.Written();
    }

    /// <summary>Writes <paramref name="values"/> into the sample input's channels after the latents of <paramref name="row"/>,
    /// <paramref name="offset"/> elements in (an SD-inpaint UNet's mask, then the masked image's latents).</summary>
    public void WriteSampleExtra(ReadOnlySpan<float> values, int row, int offset)
    {
        _sample.Host.Write(values, row * SampleRowLength + RowLength + offset);
        _sample.Written();
    }

    /// <summary>Writes the step's timestep (divided as the model takes it), before the step hook sees the inputs.</summary>
    public void SetTimestep(float timestep)
    {
        _timestep.Host.Fill(timestep / _timestepDivisor);
        _timestep.Written();
    }

    /// <summary>Sends what the host wrote since the last run to the device, so that the UNet, or a ControlNet sharing its
    /// inputs, reads it. <see cref="Run"/> does this itself.</summary>
    public void Upload()
    {
        if (_memory is null) return;
        var copied = 0;
        foreach (var bound in _inputs.Values)
            if (bound.Upload()) copied++;
        if (copied == 0) return;
        _memory.CompleteCopies();
        Uploads += copied;
    }

    /// <summary>One UNet evaluation. With a CUDA graph the run goes under the graph's own run options; a cancelled batch
    /// then stops at the next step rather than inside this one.</summary>
    public void Run(RunOptions runOptions, OnnxClock clock)
    {
        Upload();
        clock.Run((this, _graphRun ?? runOptions), static s =>
        {
            s.Item1._session.RunWithBinding(s.Item2, s.Item1._binding);
            return 0;
        });
        _output.Download();
    }

    public void ReadPrediction(Span<float> destination, int row) => _output.Host.Read(destination, row * RowLength);

    public void Dispose()
    {
        foreach (var attachment in _attachments.Values) attachment.Dispose();
        _attachments.Clear();
        _binding.Dispose();
        _graphRun?.Dispose();
        foreach (var bound in _inputs.Values) bound.Dispose();
        _output.Dispose();
    }
}
