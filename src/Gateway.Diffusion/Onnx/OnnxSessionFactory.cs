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

    /// <summary>On CUDA: bind the UNet's inputs and output in device memory for a whole run instead of letting ONNX Runtime
    /// copy every input to the device on every step. <c>enable_cuda_graph</c> in <see cref="CudaProviderOptions"/>
    /// turns it on for the UNet, which graphs need.</summary>
    public bool DeviceIoBinding { get; init; }
}

/// <summary>What a session is for. The models that run every step keep their tensors bound on the device; only the
/// denoiser's steps are replayed as CUDA graphs.</summary>
internal enum SessionRole
{
    /// <summary>Runs once a request or less (text encoders, VAE, annotators): host tensors, copied by ONNX Runtime.</summary>
    Component,

    /// <summary>The UNet or Flux transformer.</summary>
    Denoiser,

    /// <summary>A model that runs beside the denoiser every step and shares its device tensors (a ControlNet).</summary>
    StepAdapter,
}

/// <summary>Creates the ONNX Runtime sessions; the only place that knows execution providers.</summary>
public sealed class OnnxSessionFactory
{
    private const string EnableCudaGraph = "enable_cuda_graph";

    private readonly OnnxOptions _options;
    private readonly ILogger _logger;
    private readonly IDeviceMemory? _stepMemory;
    private CudaDeviceMemory? _cudaMemory;
    private bool _cudaUnavailable;

    public OnnxSessionFactory(OnnxOptions options, ILogger? logger = null)
    {
        _options = options;
        _logger = logger ?? NullLogger.Instance;
        if (!IsCuda && !options.ExecutionProvider.Equals("cpu", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"Unknown execution provider '{options.ExecutionProvider}': use 'cpu' or 'cuda'.", nameof(options));
        CudaGraphsRequested = options.CudaProviderOptions.TryGetValue(EnableCudaGraph, out var graphs) && graphs.Trim() is "1" or "true" or "True";
    }

    /// <param name="stepMemory">Binds the tensors of every denoiser and ControlNet in this memory, whatever the provider: a
    /// stand-in for a device's memory, so that the device-bound step path runs on the CPU.</param>
    internal OnnxSessionFactory(OnnxOptions options, ILogger? logger, IDeviceMemory stepMemory) : this(options, logger) =>
        _stepMemory = stepMemory;

    /// <summary><c>enable_cuda_graph</c> is set: denoiser sessions on CUDA capture graphs; other sessions never do, as
    /// their inputs are not bound at fixed device addresses.</summary>
    public bool CudaGraphsRequested { get; }

    /// <summary>The provider sessions actually run on: <c>cuda</c> only once a session got it.</summary>
    public string ActiveProvider { get; private set; } = "cpu";

    private bool IsCuda => IsCudaName(_options.ExecutionProvider);

    private static bool IsCudaName(string provider) => provider.Equals("cuda", StringComparison.OrdinalIgnoreCase);

    /// <param name="provider">A model's own <c>execution_provider</c> (e.g. a small model kept on the CPU of a CUDA
    /// server); null: the server's.</param>
    /// <param name="initializers">Weights that replace the file's initializers of the same name (merged LoRA weights);
    /// their buffers must outlive the session.</param>
    /// <param name="role">A denoiser or ControlNet on CUDA gets device-bound tensors when they are configured (or CUDA
    /// graphs are, which need them); a denoiser gets CUDA graphs.</param>
    internal (InferenceSession Session, SessionDevice Device) CreateSession(string path, string displayName, string? provider = null,
        IReadOnlyList<(string Name, OrtValue Value)>? initializers = null, SessionRole role = SessionRole.Component)
    {
        var cuda = IsCudaName(provider ?? _options.ExecutionProvider);
        var graphs = cuda && role == SessionRole.Denoiser && CudaGraphsRequested;
        InferenceSession session;
        bool onCuda;
        try
        {
            (session, onCuda) = Open(path, displayName, cuda, graphs, initializers);
        }
        catch (ModelLoadException e) when (graphs && !_cudaUnavailable)
        {
            // ONNX Runtime refuses graph capture for a model with nodes outside the CUDA provider or with control flow.
            _logger.LogWarning("{Model}: no CUDA graphs for it ({Reason}); its steps run without.", displayName, e.InnerException?.Message ?? e.Message);
            graphs = false;
            (session, onCuda) = Open(path, displayName, cuda, graphs: false, initializers);
        }
        if (role == SessionRole.Component) return (session, SessionDevice.Host);
        if (_stepMemory is not null) return (session, new SessionDevice(_stepMemory));
        // A ControlNet binds on the device with the UNet it feeds, so both follow the same settings.
        if (!onCuda || !(CudaGraphsRequested || _options.DeviceIoBinding)) return (session, SessionDevice.Host);
        // One instance for the device: a ControlNet shares the UNet's tensors only when both bind in the same memory.
        var memory = LazyInitializer.EnsureInitialized(ref _cudaMemory, () => new CudaDeviceMemory(_options.DeviceId));
        return (session, new SessionDevice(memory, graphs ? new CudaGraphs() : null));
    }

    private (InferenceSession Session, bool OnCuda) Open(string path, string displayName, bool cuda, bool graphs,
        IReadOnlyList<(string Name, OrtValue Value)>? initializers)
    {
        var (options, onCuda) = CreateSessionOptions(cuda, graphs);
        using (options)
        {
            foreach (var (name, value) in initializers ?? []) options.AddInitializer(name, value);
            try
            {
                return (new InferenceSession(path, options), onCuda);
            }
            catch (OnnxRuntimeException e)
            {
                throw new ModelLoadException($"{displayName}: ONNX Runtime cannot load it: {e.Message}", e);
            }
        }
    }

    /// <summary>The CUDA provider of the GPU package (libonnxruntime_providers_cuda.so beside libonnxruntime.so).</summary>
    private void AppendCuda(SessionOptions options, bool graphs)
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
            [EnableCudaGraph] = graphs ? "1" : "0",
        });
        options.AppendExecutionProvider_CUDA(cuda);
    }

    private (SessionOptions Options, bool OnCuda) CreateSessionOptions(bool cuda, bool graphs)
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
                AppendCuda(options, graphs);
                ActiveProvider = "cuda";
                return (options, true);
            }
            catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException)
            {
                _cudaUnavailable = true;
                _logger.LogWarning("CUDA execution provider is not available ({Reason}); running on the CPU.",
                    CudaProviderDiagnosis.Explain(e));
            }
        }
        return (options, false);
    }
}
