using System.Diagnostics;
using Gateway.Diffusion.Engine;
using Gateway.Diffusion.Pipelines;
using Gateway.Diffusion.Text;

namespace Gateway.Bench;

/// <summary>Where one image's time goes, measured in the engine without HTTP: tokenizer, text encoder, UNet step, VAE.</summary>
public static class StageBench
{
    public static async Task<List<(string Name, double Value)>> RunAsync(DiffusionEngine engine, string model, int runs)
    {
        engine.Load(model);
        engine.Catalog.TryGet(model, out var entry);
        var tokenizer = ClipTokenizer.Load(Path.Combine(entry.Directory, "tokenizer"));

        const string prompt = "a lighthouse on a cliff at dusk, dramatic sky, photograph";
        for (var i = 0; i < 200; i++) tokenizer.Encode(prompt + i);
        var started = Stopwatch.GetTimestamp();
        const int tokenizations = 2000;
        for (var i = 0; i < tokenizations; i++) tokenizer.Encode(prompt + i);
        var tokenizeMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds / tokenizations;

        const int steps = 20;
        var timings = new List<GenerationTimings>();
        const int warmup = 10; // the JIT tiers the step loop up over the first runs
        for (var i = 0; i < warmup + runs; i++)
        {
            // A new prompt each run, so the text encoder runs instead of the embedding cache answering.
            var result = await engine.GenerateAsync(new GenerationRequest
            {
                Model = model, Prompt = $"{prompt} {i}", Width = 512, Height = 512, Steps = steps, Guidance = 7.5, Seed = (ulong)i,
                Sampler = "Euler a",
            });
            if (i >= warmup) timings.Add(result.Timings);
        }
        double Median(Func<GenerationTimings, double> pick) => CodecBench.Median(timings.Select(pick).ToList());
        return
        [
            ("tokenize_ms", tokenizeMs),
            ("text_encoder_ms", Median(t => t.TextEncoding.TotalMilliseconds)),
            ("unet_step_ms", Median(t => t.Denoising.TotalMilliseconds) / steps), // batch 2: guidance on
            ("vae_decode_512_ms", Median(t => t.Decoding.TotalMilliseconds)),
            ("image_512_20_steps_ms", Median(t => t.Total.TotalMilliseconds)),
            ("engine_overhead_ratio", Median(t => t.Total / t.InsideOnnx)),
        ];
    }
}
