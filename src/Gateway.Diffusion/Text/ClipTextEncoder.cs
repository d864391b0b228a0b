using Gateway.Diffusion.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace Gateway.Diffusion.Text;

/// <summary>
/// A CLIP text encoder export: token ids to one chosen per-token hidden-state output (the last layer for SD 1.x,
/// a penultimate <c>hidden_states.N</c> for SDXL) and, optionally, a pooled embedding (<c>text_embeds</c> of a
/// CLIP with projection). Flux's T5 encoder has the same I/O (<c>input_ids</c> → <c>last_hidden_state</c>) and is read with it.
/// </summary>
internal sealed class ClipTextEncoder : IDisposable
{
    private const string HiddenStatesPrefix = "hidden_states.";
    private static readonly TensorExpectation InputIds = new("input_ids", TensorKind.Integer, [2], "[batch, sequence]");

    private readonly OnnxModelFile _file;
    private readonly TensorSignature _input;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;

    /// <param name="hiddenOutput">The [batch, sequence, hidden] output that conditions the UNet.</param>
    /// <param name="pooledOutput">A [batch, size] output to read too, or null.</param>
    public ClipTextEncoder(OnnxModelFile file, string hiddenOutput, string? pooledOutput)
    {
        _file = file;
        _input = file.RequireInput(InputIds);
        var hidden = file.RequireOutput(new TensorExpectation(hiddenOutput, TensorKind.Float, [3], "[batch, sequence, hidden]"));
        HiddenSize = hidden.FixedDimension(2);
        if (pooledOutput is not null)
            PooledSize = file.RequireOutput(new TensorExpectation(pooledOutput, TensorKind.Float, [2], "[batch, size]")).FixedDimension(1);
        file.RejectUnfedInputs([InputIds.Name], "text encoder");
        _inputNames = [InputIds.Name];
        _outputNames = pooledOutput is null ? [hiddenOutput] : [hiddenOutput, pooledOutput];
    }

    public string DisplayName => _file.DisplayName;

    /// <summary>Whether a pooled output is read.</summary>
    public bool Pools => _outputNames.Length == 2;

    /// <summary>The hidden size the export declares, when it is not symbolic.</summary>
    public int? HiddenSize { get; }

    /// <summary>The pooled size the export declares, when a pooled output is read and its size is not symbolic.</summary>
    public int? PooledSize { get; }

    /// <summary>
    /// The name of the hidden-state output <paramref name="fromLast"/> layers before the last one that the export
    /// gives (<c>hidden_states.0</c> is the embeddings, <c>hidden_states.L</c> the last layer's output): 1 is the
    /// penultimate layer SDXL uses, as diffusers' <c>hidden_states[-2]</c>.
    /// </summary>
    /// <exception cref="Models.ModelLoadException">The export has no such output.</exception>
    public static string HiddenStateOutput(OnnxModelFile file, int fromLast)
    {
        var layers = file.Session.OutputMetadata.Keys
            .Select(name => name.StartsWith(HiddenStatesPrefix, StringComparison.Ordinal)
                && int.TryParse(name.AsSpan(HiddenStatesPrefix.Length), out var index) ? index : -1)
            .Where(index => index >= 0)
            .DefaultIfEmpty(-1)
            .Max();
        if (layers < 0)
            throw new Models.ModelLoadException(
                $"{file.DisplayName}: no 'hidden_states.N' outputs; SDXL needs the encoder's per-layer hidden states " +
                "(export it with output_hidden_states, as optimum does for SDXL). " +
                $"The model's outputs are {string.Join(", ", file.Session.OutputMetadata.Keys.Select(k => $"'{k}'"))}.");
        var index = layers - fromLast;
        if (index < 0)
            throw new Models.ModelLoadException($"{file.DisplayName}: has {layers} layers; cannot skip {fromLast} of them.");
        return HiddenStatesPrefix + index.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Encodes <paramref name="batch"/> rows of <paramref name="sequenceLength"/> ids: hidden states
    /// [batch, sequence, hidden] with the hidden size, and the pooled rows [batch, size] when a pooled output is read.</summary>
    public EncodedBatch Encode(ReadOnlySpan<int> ids, int batch, int sequenceLength, RunOptions runOptions, OnnxClock clock)
    {
        using var input = OnnxTensor.Allocate(_input.ElementType, batch, sequenceLength);
        input.WriteIds(ids);
        using var outputs = clock.Run((this, input, runOptions),
            static s => s.Item1._file.Session.Run(s.runOptions, s.Item1._inputNames, [s.input.Value], s.Item1._outputNames));
        var hiddenState = outputs[0];
        var hidden = checked((int)hiddenState.GetTensorTypeAndShape().Shape[2]);
        var hiddenStates = new float[batch * sequenceLength * hidden];
        OnnxTensor.ReadFloats(hiddenState, hiddenStates);
        if (outputs.Count == 1) return new EncodedBatch(hiddenStates, hidden, null, 0);
        var pooledSize = checked((int)outputs[1].GetTensorTypeAndShape().Shape[1]);
        var pooled = new float[batch * pooledSize];
        OnnxTensor.ReadFloats(outputs[1], pooled);
        return new EncodedBatch(hiddenStates, hidden, pooled, pooledSize);
    }

    public void Dispose() => _file.Dispose();
}

/// <summary>One text-encoder call's result for a batch of prompts.</summary>
internal sealed record EncodedBatch(float[] HiddenStates, int HiddenSize, float[]? Pooled, int PooledSize);
