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

    /// <summary>The CUDA device to run on.</summary>
    public int DeviceId { get; init; }

    /// <summary>Threads for one operator; 0 lets ONNX Runtime use every core.</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>ONNX Runtime's CPU arena: reuses activation buffers between runs, but keeps the largest run's memory
    /// for the session's lifetime (one 2048² image keeps gigabytes). Off (the default), each run's buffers go back to
    /// the system allocator; the bench's <c>arena_off_time_ratio</c> says what that costs.</summary>
    public bool CpuMemoryArena { get; init; }

    /// <summary>ONNX Runtime's memory pattern: plans one block per run from the first run's shapes.</summary>
    public bool MemoryPattern { get; init; } = true;

    /// <summary>CUDA execution provider options, passed to ONNX Runtime as given (e.g. <c>cudnn_conv_algo_search</c>,
    /// <c>gpu_mem_limit</c>, <c>prefer_nhwc</c>); ONNX Runtime refuses unknown names.</summary>
    public IReadOnlyDictionary<string, string> CudaProviderOptions { get; init; } = new Dictionary<string, string>();
}

/// <summary>Creates the ONNX Runtime sessions; the only place that knows execution providers.</summary>
public sealed class OnnxSessionFactory
{
    private readonly OnnxOptions _options;
    private readonly ILogger _logger;
    private bool _cudaUnavailable;

    public OnnxSessionFactory(OnnxOptions options, ILogger? logger = null)
    {
        _options = options;
        _logger = logger ?? NullLogger.Instance;
        if (!IsCuda && !options.ExecutionProvider.Equals("cpu", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"Unknown execution provider '{options.ExecutionProvider}': use 'cpu' or 'cuda'.", nameof(options));
    }

    /// <summary>The provider sessions actually run on: <c>cuda</c> only once a session got it.</summary>
    public string ActiveProvider { get; private set; } = "cpu";

    private bool IsCuda => IsCudaName(_options.ExecutionProvider);

    private static bool IsCudaName(string provider) => provider.Equals("cuda", StringComparison.OrdinalIgnoreCase);

    /// <param name="provider">A model's own <c>execution_provider</c> (e.g. a small model kept on the CPU of a CUDA
    /// server); null: the server's.</param>
    /// <param name="initializers">Weights that replace the file's initializers of the same name (merged LoRA weights);
    /// their buffers must outlive the session.</param>
    internal InferenceSession CreateSession(string path, string displayName, string? provider = null,
        IReadOnlyList<(string Name, OrtValue Value)>? initializers = null)
    {
        using var options = CreateSessionOptions(IsCudaName(provider ?? _options.ExecutionProvider));
        foreach (var (name, value) in initializers ?? []) options.AddInitializer(name, value);
        try
        {
            return new InferenceSession(path, options);
        }
        catch (OnnxRuntimeException e)
        {
            throw new ModelLoadException($"{displayName}: ONNX Runtime cannot load it: {e.Message}", e);
        }
    }

    /// <summary>The CUDA provider of the GPU package (libonnxruntime_providers_cuda.so beside libonnxruntime.so).</summary>
    private void AppendCuda(SessionOptions options)
    {
        if (_options.CudaProviderOptions.Count == 0)
        {
            options.AppendExecutionProvider_CUDA(_options.DeviceId);
            return;
        }
        using var cuda = new OrtCUDAProviderOptions();
        cuda.UpdateOptions(new Dictionary<string, string>(_options.CudaProviderOptions)
        {
            ["device_id"] = _options.DeviceId.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        options.AppendExecutionProvider_CUDA(cuda);
    }

    private SessionOptions CreateSessionOptions(bool cuda)
    {
        var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = _options.IntraOpThreads,
            EnableCpuMemArena = _options.CpuMemoryArena,
            EnableMemoryPattern = _options.MemoryPattern,
        };
        if (cuda && !_cudaUnavailable)
        {
            try
            {
                AppendCuda(options);
                ActiveProvider = "cuda";
            }
            catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException)
            {
                _cudaUnavailable = true;
                _logger.LogWarning("CUDA execution provider is not available ({Reason}); running on the CPU.",
                    CudaProviderDiagnosis.Explain(e));
            }
        }
        return options;
    }
}
