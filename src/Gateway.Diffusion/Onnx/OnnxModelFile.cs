using Gateway.Diffusion.Models;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Gateway.Diffusion.Onnx;

/// <summary>
/// One component's <c>model.onnx</c> with its session, and the checks that its inputs and outputs are what the
/// pipeline will feed and read. Every message names the file, the tensor and what was expected.
/// </summary>
internal sealed class OnnxModelFile : IDisposable
{
    public const string FileName = "model.onnx";

    private readonly bool _ownsSession;
    private readonly IReadOnlyList<OrtValue> _initializers;

    private OnnxModelFile(string displayName, (InferenceSession Session, SessionDevice Device) opened, bool ownsSession = true,
        IReadOnlyList<OrtValue>? initializers = null)
    {
        DisplayName = displayName;
        (Session, Device) = opened;
        _ownsSession = ownsSession;
        _initializers = initializers ?? [];
    }

    /// <summary>The path shown in messages: model folder name, component and file.</summary>
    public string DisplayName { get; }

    public InferenceSession Session { get; }

    /// <summary>Where the tensors bound to the session for many runs live (the denoiser's, on a device).</summary>
    public SessionDevice Device { get; }

    public static OnnxModelFile Open(OnnxSessionFactory factory, string modelDirectory, string component, string? provider = null,
        SessionRole role = SessionRole.Component)
    {
        var path = Path.Combine(modelDirectory, component, FileName);
        var displayName = $"{Path.GetFileName(modelDirectory)}/{component}/{FileName}";
        if (!File.Exists(path))
            throw new ModelLoadException($"{displayName}: file not found ({path}).");
        return new OnnxModelFile(displayName, factory.CreateSession(path, displayName, provider, role: role));
    }

    /// <summary>Opens one <c>.onnx</c> file that is no component of a model folder (a ControlNet, an annotator);
    /// <paramref name="displayName"/> is how messages name it.</summary>
    public static OnnxModelFile OpenFile(OnnxSessionFactory factory, string path, string displayName, string? provider = null,
        SessionRole role = SessionRole.Component)
    {
        if (!File.Exists(path))
            throw new ModelLoadException($"{displayName}: file not found ({path}).");
        return new OnnxModelFile(displayName, factory.CreateSession(path, displayName, provider, role: role));
    }

    /// <summary>Opens a component with some initializers replaced (LoRA-merged weights, in the initializer's own element
    /// type); the file keeps their buffers alive as long as its session.</summary>
    public static OnnxModelFile OpenWith(OnnxSessionFactory factory, string modelDirectory, string component,
        IReadOnlyList<Adapters.MergedInitializer> replaced, string? provider = null, SessionRole role = SessionRole.Component)
    {
        var path = Path.Combine(modelDirectory, component, FileName);
        var displayName = $"{Path.GetFileName(modelDirectory)}/{component}/{FileName}";
        var values = new List<OrtValue>();
        try
        {
            var named = new List<(string, OrtValue)>();
            foreach (var weight in replaced)
            {
                var value = weight.DataType == Adapters.OnnxInitializer.Float16
                    ? OrtValue.CreateTensorValueFromMemory(weight.Values.Select(v => (Float16)v).ToArray(), weight.Dims)
                    : OrtValue.CreateTensorValueFromMemory(weight.Values, weight.Dims);
                values.Add(value);
                named.Add((weight.Name, value));
            }
            return new OnnxModelFile(displayName, factory.CreateSession(path, displayName, provider, named, role), ownsSession: true, values);
        }
        catch
        {
            foreach (var value in values) value.Dispose();
            throw;
        }
    }

    /// <summary>This file's session shared with another model (a LoRA variant that leaves this component as it is);
    /// disposing the borrowed file leaves the session open.</summary>
    public OnnxModelFile Borrow() => new(DisplayName, (Session, Device), ownsSession: false);

    public TensorSignature RequireInput(TensorExpectation expected) =>
        OptionalInput(expected) ?? throw Missing("input", expected, Session.InputMetadata.Keys);

    public TensorSignature? OptionalInput(TensorExpectation expected) =>
        Session.InputMetadata.TryGetValue(expected.Name, out var metadata) ? Check("input", expected, metadata) : null;

    /// <summary>The first of <paramref name="alternatives"/> that the model outputs (exporters differ in naming).</summary>
    public TensorSignature RequireOutput(params TensorExpectation[] alternatives)
    {
        foreach (var expected in alternatives)
            if (Session.OutputMetadata.TryGetValue(expected.Name, out var metadata))
                return Check("output", expected, metadata);
        throw Missing("output", alternatives[0], Session.OutputMetadata.Keys,
            alternatives.Length > 1 ? string.Join(" or ", alternatives.Select(a => $"'{a.Name}'")) : null);
    }

    /// <summary>Fails when the model needs an input the pipeline does not feed (e.g. an SDXL UNet loaded as SD 1.5).</summary>
    public void RejectUnfedInputs(IReadOnlyCollection<string> fed, string pipelineDescription)
    {
        var extra = Session.InputMetadata.Keys.Where(name => !fed.Contains(name)).ToList();
        if (extra.Count > 0)
            throw new ModelLoadException(
                $"{DisplayName}: has input{(extra.Count > 1 ? "s" : "")} {string.Join(", ", extra.Select(e => $"'{e}'"))} " +
                $"that the {pipelineDescription} pipeline does not feed; is the model's family in models.json right?");
    }

    private TensorSignature Check(string role, TensorExpectation expected, NodeMetadata metadata)
    {
        if (!metadata.IsTensor)
            throw new ModelLoadException($"{DisplayName}: {role} '{expected.Name}' is not a tensor; expected {expected.KindDescription} {expected.Shape}.");
        var type = metadata.ElementDataType;
        if (!expected.Accepts(type))
            throw new ModelLoadException($"{DisplayName}: {role} '{expected.Name}' is {Describe(type)}; expected {expected.KindDescription} {expected.Shape}.");
        var dims = metadata.Dimensions;
        if (!expected.Ranks.Contains(dims.Length))
            throw new ModelLoadException(
                $"{DisplayName}: {role} '{expected.Name}' has rank {dims.Length}; expected rank {string.Join(" or ", expected.Ranks)} {expected.Shape}.");
        return new TensorSignature(expected.Name, type, dims);
    }

    private ModelLoadException Missing(string role, TensorExpectation expected, IEnumerable<string> present, string? names = null) =>
        new($"{DisplayName}: no {role} {names ?? $"'{expected.Name}'"} ({expected.KindDescription} {expected.Shape}); " +
            $"the model's {role}s are {string.Join(", ", present.Select(p => $"'{p}'"))}.");

    private static string Describe(TensorElementType type) => type switch
    {
        TensorElementType.Float => "float32",
        TensorElementType.Float16 => "float16",
        TensorElementType.Double => "float64",
        TensorElementType.BFloat16 => "bfloat16",
        _ => type.ToString().ToLowerInvariant(),
    };

    public void Dispose()
    {
        if (!_ownsSession) return;
        Session.Dispose();
        foreach (var value in _initializers) value.Dispose();
    }
}
