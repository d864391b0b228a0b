using System.Numerics.Tensors;
using Gateway.Diffusion.Engine;
using Gateway.Diffusion.Imaging;
using Gateway.Diffusion.Models;
using Gateway.Diffusion.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace Gateway.Diffusion.Control;

/// <summary>
/// A control-image annotator (depth, openpose, soft edge…) in OnnxStack's feature-extractor contract: one float input
/// [batch, 3, height, width] taking RGB in [0, 1], one float output [batch, height, width] or [batch, 1 | 3, height,
/// width] holding the map. Names vary between exports, so it binds the single input and the first output it declares,
/// checked by type and rank at load.
/// </summary>
internal sealed class Annotator : IDisposable
{
    private readonly OnnxModelFile _file;
    private readonly TensorSignature _input;
    private readonly TensorSignature _output;

    public Annotator(AnnotatorCatalogEntry entry, OnnxModelFile file)
    {
        Entry = entry;
        _file = file;
        var inputs = file.Session.InputMetadata;
        if (inputs.Count != 1)
            throw new ModelLoadException($"{file.DisplayName}: an annotator takes one image input; this one has {inputs.Count} " +
                                         $"({string.Join(", ", inputs.Keys.Select(k => $"'{k}'"))}).");
        _input = file.RequireInput(new TensorExpectation(inputs.Keys.First(), TensorKind.Float, [4], "[batch, 3, height, width] in [0, 1]"));
        if (_input.FixedDimension(1) is { } channels && channels != 3)
            throw new ModelLoadException($"{file.DisplayName}: input '{_input.Name}' has {channels} channels; expected 3 (RGB).");
        _output = file.RequireOutput(new TensorExpectation(file.Session.OutputMetadata.Keys.First(), TensorKind.Float, [3, 4],
            "[batch, height, width] or [batch, 1 | 3, height, width]"));
        if (_output.Rank == 4 && _output.FixedDimension(1) is { } outChannels and not (1 or 3))
            throw new ModelLoadException($"{file.DisplayName}: output '{_output.Name}' has {outChannels} channels; expected 1 or 3.");
    }

    public AnnotatorCatalogEntry Entry { get; }

    /// <summary>The map of <paramref name="image"/>, at the image's size.</summary>
    public PixelImage Annotate(PixelImage image, RunOptions runOptions, OnnxClock clock)
    {
        var side = Entry.SampleSize;
        var (height, width) = (_input.FixedDimension(2) ?? (side > 0 ? side : image.Height), _input.FixedDimension(3) ?? (side > 0 ? side : image.Width));
        var input = ImageCodec.Resize(image, width, height);
        using var tensor = OnnxTensor.Allocate(_input.ElementType, 1, 3, height, width);
        tensor.Write(ControlMaps.ToUnitPlanar(input));
        using var results = clock.Run((this, tensor, runOptions), static s =>
            s.Item1._file.Session.Run(s.runOptions, [s.Item1._input.Name], [s.tensor.Value], [s.Item1._output.Name]));
        var output = results[0];
        var shape = output.GetTensorTypeAndShape().Shape;
        var (channels, mapHeight, mapWidth) = shape.Length == 4 ? ((int)shape[1], (int)shape[2], (int)shape[3]) : (1, (int)shape[1], (int)shape[2]);
        if (channels is not (1 or 3))
            throw new ModelOutputException(Entry.Id, $"{_file.DisplayName}: output '{_output.Name}' has {channels} channels; expected 1 or 3.");
        var values = new float[channels * mapHeight * mapWidth];
        OnnxTensor.ReadFloats(output, values);
        if (Entry.NormalizeOutput) NormalizeMinMax(values);
        return ImageCodec.Resize(ControlMaps.FromUnitPlanar(values, channels, mapWidth, mapHeight), image.Width, image.Height);
    }

    private static void NormalizeMinMax(Span<float> values)
    {
        var (min, max) = (TensorPrimitives.Min(values), TensorPrimitives.Max(values));
        if (!(max > min))
        {
            values.Clear();
            return;
        }
        TensorPrimitives.Subtract(values, min, values);
        TensorPrimitives.Multiply(values, 1f / (max - min), values);
    }

    public void Dispose() => _file.Dispose();
}
