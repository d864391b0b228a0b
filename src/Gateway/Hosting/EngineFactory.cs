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
    }

    public static DiffusionEngine Create(GatewayOptions options, ILoggerFactory loggerFactory)
    {
        Check(options);
        return DiffusionEngine.Create(new EngineOptions
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
            },
            MaxQueueLength = options.MaxQueueLength,
            MaxBatchImages = options.MaxBatchImages,
            MaxPixelsPerRequest = options.MaxPixelsPerRequest,
            VaeTileSize = options.VaeTileSize,
            BatchWindow = TimeSpan.FromMilliseconds(options.BatchWindowMs),
        }, loggerFactory);
    }
}
