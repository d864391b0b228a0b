using Gateway.Diffusion.Engine;
using Gateway.Diffusion.Onnx;

namespace Gateway.Hosting;

/// <summary>Builds the engine from the Gateway configuration section, for the server and the CLI alike.</summary>
public static class EngineFactory
{
    public static DiffusionEngine Create(GatewayOptions options, ILoggerFactory loggerFactory) =>
        DiffusionEngine.Create(new EngineOptions
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
