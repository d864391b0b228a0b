using Gateway.Diffusion.Models;
using Gateway.Diffusion.Onnx;
using Gateway.Diffusion.Pipelines;
using Gateway.Diffusion.Tests.Support;

namespace Gateway.Diffusion.Tests.Models;

public sealed class UNetStepperCacheTests
{
    [Fact]
    public void A_shape_seen_before_gets_the_same_bound_tensors_and_only_the_last_four_shapes_are_kept()
    {
        var sessions = new OnnxSessionFactory(new OnnxOptions());
        var catalog = ModelCatalog.Load(TestModels.Directory);
        Assert.True(catalog.TryGet("tiny-sd", out var entry));
        using var model = ModelLoader.Load(entry, sessions);
        const int hidden = 16; // tiny-sd's text_encoder hidden_size

        var first = model.UNet.Stepper(2, 64, 64, 77, hidden);
        Assert.Same(first, model.UNet.Stepper(2, 64, 64, 77, hidden));
        Assert.NotSame(first, model.UNet.Stepper(4, 64, 64, 77, hidden));
        Assert.Same(first, model.UNet.Stepper(2, 64, 64, 77, hidden)); // still kept, and now the most recent again

        // Four other shapes push the batch-2 one out: asking again builds it anew.
        foreach (var batch in new[] { 1, 3, 5, 6 }) model.UNet.Stepper(batch, 64, 64, 77, hidden);
        Assert.NotSame(first, model.UNet.Stepper(2, 64, 64, 77, hidden));
    }
}
