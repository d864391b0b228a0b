using Gateway.Diffusion.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace Gateway.Diffusion.Pipelines.Denoising;

/// <summary>
/// The UNet's input and output tensors for one batch shape, allocated once and bound by name to the session, so that
/// every step of a run is one call with no allocation. Rows are batch rows (two per image under classifier-free guidance).
/// </summary>
internal sealed class DenoiserStepper : IDisposable
{
    private readonly InferenceSession _session;
    private readonly Dictionary<string, OnnxTensor> _inputs;
    private readonly OnnxTensor _sample;
    private readonly OnnxTensor _timestep;
    private readonly OnnxTensor _output;
    private readonly OrtIoBinding _binding;
    private readonly float _timestepDivisor;

    /// <param name="sampleInput">The input the latents go to (<c>sample</c>, Flux's <c>hidden_states</c>).</param>
    /// <param name="timestepDivisor">What each timestep is divided by before it is fed (Flux: 1000, for σ).</param>
    public DenoiserStepper(InferenceSession session, IReadOnlyList<(string Name, OnnxTensor Tensor)> inputs, (string Name, OnnxTensor Tensor) output,
        string sampleInput = UNetInputs.Sample, float timestepDivisor = 1f)
    {
        _session = session;
        _timestepDivisor = timestepDivisor;
        _inputs = inputs.ToDictionary(i => i.Name, i => i.Tensor, StringComparer.Ordinal);
        _sample = _inputs[sampleInput];
        _timestep = _inputs[UNetInputs.Timestep];
        _output = output.Tensor;
        _binding = session.CreateIoBinding();
        foreach (var (name, tensor) in inputs) _binding.BindInput(name, tensor.Value);
        _binding.BindOutput(output.Name, output.Tensor.Value);
        RowLength = _output.Length / checked((int)_output.Shape[0]);
        SampleRowLength = _sample.Length / checked((int)_sample.Shape[0]);
    }

    /// <summary>Elements of one batch row of latents.</summary>
    public int RowLength { get; }

    /// <summary>Elements of one batch row of the sample input: <see cref="RowLength"/>, more when the UNet takes inpainting
    /// channels after the latents.</summary>
    public int SampleRowLength { get; }

    /// <summary>Whether the UNet has the input <paramref name="name"/>.</summary>
    public bool Has(string name) => _inputs.ContainsKey(name);

    /// <summary>A bound input, for what a step hook feeds (e.g. ControlNet residuals) and for inspection.</summary>
    public OnnxTensor Input(string name) => _inputs[name];

    /// <summary>Writes one batch row of the input <paramref name="name"/> (each row of it is <paramref name="values"/> long).</summary>
    public void WriteRow(string name, ReadOnlySpan<float> values, int row) => _inputs[name].Write(values, row * values.Length);

    public void WriteSample(ReadOnlySpan<float> latents, int row) => _sample.Write(latents, row * SampleRowLength);

    /// <summary>Writes <paramref name="values"/> into the sample input's channels after the latents of <paramref name="row"/>,
    /// <paramref name="offset"/> elements in (an SD-inpaint UNet's mask, then the masked image's latents).</summary>
    public void WriteSampleExtra(ReadOnlySpan<float> values, int row, int offset) =>
        _sample.Write(values, row * SampleRowLength + RowLength + offset);

    /// <summary>Writes the step's timestep (divided as the model takes it), before the step hook sees the inputs.</summary>
    public void SetTimestep(float timestep) => _timestep.Fill(timestep / _timestepDivisor);

    public void Run(RunOptions runOptions, OnnxClock clock)
    {
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
        foreach (var tensor in _inputs.Values) tensor.Dispose();
        _output.Dispose();
    }
}
