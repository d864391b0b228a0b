namespace Gateway.Hosting;

/// <summary>The <c>Gateway</c> configuration section (appsettings.json, <c>Gateway__…</c> environment variables, command line).</summary>
public sealed class GatewayOptions
{
    public const string Section = "Gateway";

    /// <summary>Folder with models.json; a relative path is looked up from the working directory, then from the application's folder upwards.</summary>
    public string ModelsDir { get; set; } = "onnx-models";

    /// <summary>Folder for jobs, the ledger and stored images.</summary>
    public string DataDir { get; set; } = "data";

    /// <summary>The absolute URL clients reach the server at (e.g. <c>https://images.example.com</c>); image URLs are
    /// built from it. Unset, they are built from each request's scheme and Host header.</summary>
    public string? PublicBaseUrl { get; set; }

    /// <summary>Addresses (<c>10.0.0.5</c>) or networks (<c>10.0.0.0/8</c>) of reverse proxies whose
    /// <c>X-Forwarded-For</c>, <c>-Proto</c> and <c>-Host</c> headers are believed; from anyone else they are ignored.</summary>
    public List<string> TrustedProxies { get; set; } = [];

    /// <summary>How long a stop (SIGTERM, Ctrl+C) waits for requests in progress before it ends them.</summary>
    public double ShutdownTimeoutSeconds { get; set; } = 15;

    /// <summary><c>cpu</c> (default) or <c>cuda</c>.</summary>
    public string ExecutionProvider { get; set; } = "cpu";

    /// <summary>With <c>cuda</c>: the GPU to use.</summary>
    public int DeviceId { get; set; }

    /// <summary>With <c>cuda</c>: ONNX Runtime CUDA provider options by name, e.g.
    /// <c>Gateway__CudaProviderOptions__cudnn_conv_algo_search=HEURISTIC</c>.</summary>
    public Dictionary<string, string> CudaProviderOptions { get; set; } = [];

    /// <summary>With <c>cuda</c>: keep the UNet's inputs and output bound in device memory for a whole run (see
    /// OnnxOptions.DeviceIoBinding); <c>enable_cuda_graph</c> turns it on for the UNet.</summary>
    public bool DeviceIoBinding { get; set; }

    /// <summary>Threads for one ONNX operator; 0 uses every core.</summary>
    public int IntraOpThreads { get; set; }

    /// <summary>ONNX Runtime's CPU memory arena (see OnnxOptions.CpuMemoryArena).</summary>
    public bool CpuMemoryArena { get; set; }

    /// <summary>ONNX Runtime's memory pattern planning (see OnnxOptions.MemoryPattern).</summary>
    public bool MemoryPattern { get; set; } = true;

    /// <summary>Accepted Bearer keys, plain or <c>sha256:&lt;hex&gt;</c>.</summary>
    public List<string> ApiKeys { get; set; } = [];

    /// <summary>Generations that may wait; more are answered 429.</summary>
    public int MaxQueueLength { get; set; } = 64;

    /// <summary>Most images denoised together when compatible requests wait (same model, size, steps, sampler); 1 = no
    /// batching; unset: 8 on CUDA, 1 on the CPU.</summary>
    public int? MaxBatchImages { get; set; }

    /// <summary>The most pixels one request may render, width × height × images (see EngineOptions).</summary>
    public long MaxPixelsPerRequest { get; set; } = Diffusion.Engine.EngineOptions.DefaultMaxPixelsPerRequest;

    /// <summary>Tile edge in pixels for the VAE on images larger than it (see EngineOptions.VaeTileSize); unset: whole images.</summary>
    public int? VaeTileSize { get; set; }

    /// <summary>Milliseconds the worker waits for compatible requests before a run that has room; 0 batches only what already waits.</summary>
    public int BatchWindowMs { get; set; }

    /// <summary>Whether PNG output carries its parameters (prompt, steps, sampler, seed, …) in a <c>tEXt</c> chunk named
    /// <c>parameters</c>, as A1111 writes them.</summary>
    public bool PngParameters { get; set; } = true;

    /// <summary>Seconds between the <c>: ping</c> comments that keep an idle event stream (SSE) open through proxies.</summary>
    public double EventsHeartbeatSeconds { get; set; } = 15;

    /// <summary>A StackExchange.Redis configuration string (e.g. <c>redis:6379</c>): the node joins the cluster on that
    /// Redis, whose queue, job records, events and credits every node shares. Unset: a single node.</summary>
    public string? Redis { get; set; }

    /// <summary>With <see cref="Redis"/>: <c>api</c> (serves the APIs, runs nothing), <c>worker</c> (runs jobs) or <c>both</c>.</summary>
    public string Role { get; set; } = "both";

    /// <summary>With <see cref="Redis"/>: leases, deliveries, heartbeat, node name (the <c>Gateway:Cluster</c> section).</summary>
    public Cluster.ClusterOptions Cluster { get; set; } = new();

    /// <summary>Comma-separated ids of the catalog models this node loads (with the refiners and inpainting models they
    /// name); <c>none</c> loads none. Unset: every model.</summary>
    public string? LoadModels { get; set; }

    /// <summary>The largest request body the server reads (image-to-image bodies carry base64 images).</summary>
    public long MaxRequestBytes { get; set; } = 32L * 1024 * 1024;
}
