using Gateway.Diffusion.Engine;
using Gateway.Diffusion.Onnx;

namespace Gateway.Hosting;

/// <summary>Builds the engine from the Gateway configuration section, for the server and the CLI alike.</summary>
public static class EngineFactory
{
    /// <summary>Refuses engine settings the engine would throw on later, in the words of the configuration.</summary>
    public static void Check(GatewayOptions options)
    {
        if (options.VaeTileSize is { } tile && !EngineOptions.IsValidVaeTileSize(tile))
            throw new StartupException($"Gateway:VaeTileSize must be a multiple of 32 pixels, at least 64 (it is {tile}); leave it unset for whole images.");
        Cluster.ClusterNode.From(options);
    }

    /// <summary>The ids of <c>Gateway:LoadModels</c>, or null for every model.</summary>
    public static IReadOnlySet<string>? LoadModels(GatewayOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.LoadModels)) return null;
        if (options.LoadModels.Trim().Equals("none", StringComparison.OrdinalIgnoreCase)) return new HashSet<string>();
        return options.LoadModels.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
    }

    public static DiffusionEngine Create(GatewayOptions options, ILoggerFactory loggerFactory)
    {
        Check(options);
        var engine = DiffusionEngine.Create(new EngineOptions
        {
            ModelsDirectory = ModelsDirectory.Resolve(options.ModelsDir),
            Onnx = new OnnxOptions
            {
                ExecutionProvider = options.ExecutionProvider,
                DeviceId = options.DeviceId,
                IntraOpThreads = options.IntraOpThreads,
                CpuMemoryArena = options.CpuMemoryArena,
                MemoryPattern = options.MemoryPattern,
                CudaProviderOptions = options.CudaProviderOptions,
                DeviceIoBinding = options.DeviceIoBinding,
            },
            MaxQueueLength = options.MaxQueueLength,
            MaxBatchImages = options.MaxBatchImages,
            MaxPixelsPerRequest = options.MaxPixelsPerRequest,
            VaeTileSize = options.VaeTileSize,
            BatchWindow = TimeSpan.FromMilliseconds(options.BatchWindowMs),
            LoadModels = LoadModels(options),
        }, loggerFactory);
        if (LoadModels(options)?.FirstOrDefault(id => !engine.Catalog.TryGet(id, out _)) is { } unknown)
        {
            engine.Dispose();
            throw new StartupException($"Gateway:LoadModels names '{unknown}', which models.json does not list " +
                                       $"(it lists {string.Join(", ", engine.Catalog.Models.Select(m => m.Id))}).");
        }
        return engine;
    }
}
