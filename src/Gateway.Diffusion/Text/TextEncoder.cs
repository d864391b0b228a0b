using Gateway.Diffusion.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace Gateway.Diffusion.Text;

/// <summary>The CLIP text encoder: token ids to the per-token hidden states the UNet attends to.</summary>
internal sealed class TextEncoder : IDisposable
{
    private static readonly TensorExpectation InputIds = new("input_ids", TensorKind.Integer, [2], "[batch, sequence]");
    private static readonly TensorExpectation LastHiddenState = new("last_hidden_state", TensorKind.Float, [3], "[batch, sequence, hidden]");

    private readonly OnnxModelFile _file;
    private readonly TensorSignature _input;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;

    public TextEncoder(OnnxModelFile file)
    {
        _file = file;
        _input = file.RequireInput(InputIds);
        file.RequireOutput(LastHiddenState);
        file.RejectUnfedInputs([InputIds.Name], "text encoder");
        _inputNames = [InputIds.Name];
        _outputNames = [LastHiddenState.Name];
    }

    /// <summary>Encodes <paramref name="batch"/> rows of <paramref name="sequenceLength"/> ids; returns [batch, sequence, hidden] and the hidden size.</summary>
    public (float[] HiddenStates, int HiddenSize) Encode(ReadOnlySpan<int> ids, int batch, int sequenceLength, RunOptions runOptions, OnnxClock clock)
    {
        using var input = OnnxTensor.Allocate(_input.ElementType, batch, sequenceLength);
        input.WriteIds(ids);
        using var outputs = clock.Run((this, input, runOptions),
            static s => s.Item1._file.Session.Run(s.runOptions, s.Item1._inputNames, [s.input.Value], s.Item1._outputNames));
        var output = outputs[0];
        var shape = output.GetTensorTypeAndShape().Shape;
        var hidden = checked((int)shape[2]);
        var result = new float[batch * sequenceLength * hidden];
        OnnxTensor.ReadFloats(output, result);
        return (result, hidden);
    }

    public void Dispose() => _file.Dispose();
}
