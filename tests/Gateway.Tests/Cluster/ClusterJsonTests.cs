using Gateway.Diffusion.Control;
using Gateway.Diffusion.Imaging;
using Gateway.Diffusion.Pipelines;
using Gateway.Redis;

namespace Gateway.Tests.Cluster;

/// <summary>A job and a result cross between nodes as JSON; every field, image byte and mask value must arrive.</summary>
public sealed class ClusterJsonTests
{
    [Fact]
    public void A_job_with_images_mask_loras_and_controlnet_arrives_whole()
    {
        var image = new PixelImage(3, 2, Enumerable.Range(0, 24).Select(i => (byte)(i * 10)).ToArray());
        var job = new ClusterJob
        {
            Owner = "key-0123456789abcdef",
            JobId = "job:with:colons",
            Dialect = "jobs",
            Priority = 7,
            Deadline = DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_123),
            Store = new StoredCompletion(0.25, 20),
            Request = new GenerationRequest
            {
                Model = "tiny-sd",
                Prompt = "a lighthouse",
                NegativePrompt = "fog",
                Prompt2 = "second",
                Width = 64,
                Height = 48,
                Steps = 12,
                Guidance = 6.5,
                Sampler = "Euler a",
                Seed = ulong.MaxValue,
                ImageCount = 2,
                UseRefiner = true,
                InitImage = new InitImage(image, 0.6) { Mask = new InpaintMask(3, 2, [0, 255, 128, 7, 0, 1]) },
                Loras = new Dictionary<string, double> { ["detail"] = -0.5 },
                ControlNet = new ControlNetRequest { Name = "canny", Image = image, Scale = 0.8, Preprocess = false, CannyLow = 50, GuidanceEnd = 0.9 },
            },
        };

        var back = ClusterJson.Deserialize<ClusterJob>(ClusterJson.Serialize(job));

        Assert.Equal(job.Ref, back.Ref);
        Assert.Equal("key-0123456789abcdef:job:with:colons", back.Ref);
        Assert.Equal((job.Priority, job.Deadline, job.Store), (back.Priority, back.Deadline, back.Store));
        var (sent, got) = (job.Request, back.Request);
        Assert.Equal((sent.Prompt, sent.NegativePrompt, sent.Prompt2, sent.Width, sent.Height, sent.Steps, sent.Guidance, sent.Sampler),
            (got.Prompt, got.NegativePrompt, got.Prompt2, got.Width, got.Height, got.Steps, got.Guidance, got.Sampler));
        Assert.Equal((sent.Seed, sent.ImageCount, sent.UseRefiner), (got.Seed, got.ImageCount, got.UseRefiner));
        Assert.Equal(image.Rgba, got.InitImage!.Image.Rgba);
        Assert.Equal((3, 2, 0.6), (got.InitImage.Image.Width, got.InitImage.Image.Height, got.InitImage.Strength));
        Assert.Equal(sent.InitImage!.Mask!.Keep, got.InitImage.Mask!.Keep);
        Assert.Equal(-0.5, got.Loras!["detail"]);
        Assert.Equal(sent.ControlNet! with { Image = got.ControlNet!.Image }, got.ControlNet);
        Assert.Equal(image.Rgba, got.ControlNet.Image.Rgba);
    }

    [Fact]
    public void A_result_arrives_with_its_pixels_seeds_and_timings()
    {
        var result = new GenerationResult
        {
            Images = [new GeneratedImage(new PixelImage(2, 2, [.. Enumerable.Repeat((byte)200, 16)]), 42)],
            Steps = 20,
            Guidance = 7.5,
            Sampler = "PNDM",
            Warnings = ["truncated"],
            Timings = new GenerationTimings(TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(2), TimeSpan.FromMilliseconds(3),
                TimeSpan.FromMilliseconds(4), TimeSpan.FromMilliseconds(5)),
            BatchSize = 3,
            Inpainting = InpaintMethod.MaskedImageToImage,
        };

        var back = ClusterJson.Deserialize<GenerationResult>(ClusterJson.Serialize(result));

        Assert.Equal(result.Images[0].Image.Rgba, back.Images[0].Image.Rgba);
        Assert.Equal(42ul, back.Images[0].Seed);
        Assert.Equal(result with { Images = back.Images, Warnings = back.Warnings }, back);
        Assert.Equal(["truncated"], back.Warnings);
    }

    [Fact]
    public void An_image_whose_bytes_do_not_fit_its_size_is_refused()
    {
        Assert.Throws<System.Text.Json.JsonException>(() =>
            ClusterJson.Deserialize<PixelImage>("""{"width":2,"height":2,"rgba":"AAAA"}"""));
    }
}
