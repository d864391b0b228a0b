using Gateway.Diffusion.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;

namespace Gateway.Diffusion.Onnx;

/// <summary>Options for the sessions of every model on one execution device.</summary>
public sealed record OnnxOptions
{
    /// <summary><c>cpu</c> (default) or <c>cuda</c>.</summary>
    public string ExecutionProvider { get; init; } = "cpu";

    /// <summary>Threads for one operator; 0 lets ONNX Runtime use every core.</summary>
    public int IntraOpThreads { get; init; }
}

/// <summary>Creates the ONNX Runtime sessions; the only place that knows execution providers.</summary>
public sealed class OnnxSessionFactory
{
    private readonly OnnxOptions _options;
    private readonly ILogger _logger;
    private bool _warnedAboutProvider;

    public OnnxSessionFactory(OnnxOptions options, ILogger? logger = null)
    {
        _options = options;
        _logger = logger ?? NullLogger.Instance;
    }

    public string ActiveProvider => "cpu";

    internal InferenceSession CreateSession(string path, string displayName)
    {
        using var options = CreateSessionOptions();
        try
        {
            return new InferenceSession(path, options);
        }
        catch (OnnxRuntimeException e)
        {
            throw new ModelLoadException($"{displayName}: ONNX Runtime cannot load it: {e.Message}", e);
        }
    }

    private SessionOptions CreateSessionOptions()
    {
        var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = _options.IntraOpThreads,
        };
        if (!_options.ExecutionProvider.Equals("cpu", StringComparison.OrdinalIgnoreCase) && !_warnedAboutProvider)
        {
            _warnedAboutProvider = true;
            _logger.LogWarning(
                "Execution provider '{Provider}' is not available in this build of Gateway; running on the CPU.",
                _options.ExecutionProvider);
        }
        return options;
    }
}
