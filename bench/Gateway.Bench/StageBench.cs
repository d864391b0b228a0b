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
        // A new prompt each run, so the text encoder runs instead of the embedding cache answering.
        Task<GenerationResult> Generate(int run) => engine.GenerateAsync(new GenerationRequest
        {
            Model = model, Prompt = $"{prompt} {run}", Width = 512, Height = 512, Steps = steps, Guidance = 7.5, Seed = (ulong)run,
            Sampler = "Euler a",
        });

        // Runs of the first 3 seconds (10 at least) are not counted: the JIT tiers the pipeline up over them.
        var warming = Stopwatch.GetTimestamp();
        var runsDone = 0;
        while (runsDone < 10 || Stopwatch.GetElapsedTime(warming) < TimeSpan.FromSeconds(3)) await Generate(runsDone++);
        var timings = new List<GenerationTimings>();
        for (var i = 0; i < runs; i++) timings.Add((await Generate(runsDone++)).Timings);
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
