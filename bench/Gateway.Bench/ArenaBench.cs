using Gateway.Diffusion.Engine;
using Gateway.Diffusion.Pipelines;
using Gateway.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Bench;

/// <summary>
/// What ONNX Runtime's CPU memory arena buys in speed, which it pays for by keeping the largest run's memory: the
/// same 512², 20-step image from two engines, one with the arena and one without, in alternation so that both see
/// the same machine.
/// </summary>
public static class ArenaBench
{
    public static async Task<List<(string Name, double Value)>> RunAsync(GatewayOptions gateway, string model, int runs)
    {
        var withArena = new GatewayOptions { ModelsDir = gateway.ModelsDir, ExecutionProvider = gateway.ExecutionProvider, CpuMemoryArena = true };
        var withoutArena = new GatewayOptions { ModelsDir = gateway.ModelsDir, ExecutionProvider = gateway.ExecutionProvider, CpuMemoryArena = false };
        using var arena = EngineFactory.Create(withArena, NullLoggerFactory.Instance);
        using var plain = EngineFactory.Create(withoutArena, NullLoggerFactory.Instance);
        arena.Load(model);
        plain.Load(model);
        var request = new GenerationRequest
        {
            Model = model, Prompt = "a lighthouse on a cliff at dusk", Width = 512, Height = 512, Steps = 20, Guidance = 7.5, Seed = 1,
            Sampler = "Euler a",
        };
        for (var i = 0; i < 3; i++)
        {
            await arena.GenerateAsync(request);
            await plain.GenerateAsync(request);
        }
        var (timesArena, timesPlain) = (new List<double>(), new List<double>());
        for (var i = 0; i < runs; i++)
        {
            timesArena.Add((await arena.GenerateAsync(request)).Timings.Total.TotalMilliseconds);
            timesPlain.Add((await plain.GenerateAsync(request)).Timings.Total.TotalMilliseconds);
        }
        return [("arena_off_time_ratio", CodecBench.Median(timesPlain) / CodecBench.Median(timesArena))];
    }
}
