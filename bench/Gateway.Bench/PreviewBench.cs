using System.Diagnostics;
using Gateway.Diffusion.Engine;
using Gateway.Diffusion.Engine.Progress;
using Gateway.Diffusion.Pipelines;

namespace Gateway.Bench;

/// <summary>What progress costs at 512², 20 steps: an image followed by a subscriber of step previews (latent→RGB JPEG
/// every step), and one with OpenAI's two partial images (two VAE decodes), each against the same image unobserved.</summary>
public static class PreviewBench
{
    public static async Task<List<(string Name, double Value)>> RunAsync(DiffusionEngine engine, string model, int runs)
    {
        engine.Load(model);
        async Task<double> Ms(Func<GenerationFeed, FeedSubscription>? subscribe, int run)
        {
            var feed = new GenerationFeed();
            using var subscription = subscribe?.Invoke(feed);
            var started = Stopwatch.GetTimestamp();
            await engine.GenerateAsync(new GenerationRequest
            {
                Model = model, Prompt = "a lighthouse at dusk", Width = 512, Height = 512, Steps = 20, Guidance = 7.5,
                Seed = (ulong)run, Sampler = "Euler a",
            }, new GenerationOptions(), subscribe is null ? null : feed);
            return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }
        async Task<double> Median(Func<GenerationFeed, FeedSubscription>? subscribe)
        {
            var times = new List<double>();
            for (var i = 0; i < runs; i++) times.Add(await Ms(subscribe, i));
            return CodecBench.Median(times);
        }

        for (var i = 0; i < 5; i++) await Ms(null, i);
        var plain = await Median(null);
        var previews = await Median(feed => feed.Subscribe(previews: true));
        var partials = await Median(feed => feed.Subscribe(decodeAt: (step, steps) => step == steps / 3 || step == 2 * steps / 3));
        return
        [
            ("preview_every_step_ratio", previews / plain),
            ("partial_images2_ratio", partials / plain),
        ];
    }
}
