using System.Diagnostics;
using Gateway.Diffusion.Engine;
using Gateway.Diffusion.Pipelines;

namespace Gateway.Bench;

/// <summary>What LoRA support costs: preparing a set once (merge + session creation), an image with the set, and a plain
/// image before and after LoRA requests (the base model's sessions are never touched, so the ratio should be 1).</summary>
public static class LoraBench
{
    public static async Task<List<(string Name, double Value)>> RunAsync(DiffusionEngine engine, string model, int runs)
    {
        engine.Load(model);
        engine.Catalog.TryGet(model, out var entry);
        var lora = engine.Catalog.Loras.FirstOrDefault(l => l.AppliesToFamily(entry.Family));
        if (lora is null) return [];
        var loras = new Dictionary<string, double> { [lora.Id] = lora.DefaultWeight };

        async Task<double> Ms(IReadOnlyDictionary<string, double>? set, int run)
        {
            var started = Stopwatch.GetTimestamp();
            await engine.GenerateAsync(new GenerationRequest
            {
                Model = model, Prompt = "a lighthouse at dusk", Width = 512, Height = 512, Steps = 20, Guidance = 7.5,
                Seed = (ulong)run, Sampler = "Euler a", Loras = set,
            });
            return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }
        async Task<double> Median(IReadOnlyDictionary<string, double>? set)
        {
            var times = new List<double>();
            for (var i = 0; i < runs; i++) times.Add(await Ms(set, i));
            return CodecBench.Median(times);
        }

        for (var i = 0; i < 10; i++) await Ms(null, i);
        var plainBefore = await Median(null);
        var first = await Ms(loras, 0);
        var withLora = await Median(loras);
        var plainAfter = await Median(null);
        return
        [
            ("lora_prepare_ms", first - withLora),
            ("lora_image_ratio", withLora / plainBefore),
            ("plain_after_lora_ratio", plainAfter / plainBefore),
        ];
    }
}
