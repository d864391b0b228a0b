using Gateway.Diffusion.Control;
using Gateway.Diffusion.Models;
using Gateway.Diffusion.Onnx;
using Gateway.Diffusion.Tests.Support;
using Microsoft.ML.OnnxRuntime;

namespace Gateway.Diffusion.Tests.Control;

/// <summary>The ONNX annotators: bound by type and rank at load, maps at the image's size, depth stretched to [0, 1].</summary>
public sealed class AnnotatorTests : IDisposable
{
    private readonly OnnxSessionFactory _sessions = new(new OnnxOptions());
    private readonly RunOptions _run = new();

    private Annotator Open(string id, bool normalize = false, int sampleSize = 0)
    {
        var path = Path.Combine(TestModels.Directory, "controlnets", "annotators", $"{id}.onnx");
        var entry = new AnnotatorCatalogEntry { Id = id, File = path, NormalizeOutput = normalize, SampleSize = sampleSize };
        return new Annotator(entry, OnnxModelFile.OpenFile(_sessions, path, $"annotators/{id}.onnx"));
    }

    [Theory]
    [InlineData("depth", true, 0)]
    [InlineData("softedge", false, 0)]
    [InlineData("openpose", false, 64)]
    public void A_map_has_the_images_size_and_follows_its_content(string id, bool normalize, int sampleSize)
    {
        using var annotator = Open(id, normalize, sampleSize);
        var image = ControlNetEngineTests.Shapes(96, 80);

        var map = annotator.Annotate(image, _run, new OnnxClock(CancellationToken.None));

        Assert.Equal((96, 80), (map.Width, map.Height));
        var reds = Enumerable.Range(0, 96 * 80).Select(i => map.Rgba[4 * i]).ToList();
        Assert.True(reds.Distinct().Count() > 10, $"{id}: a flat map");
        if (normalize) Assert.Equal((0, 255), (reds.Min(), reds.Max()));
        if (id != "openpose") Assert.All(Enumerable.Range(0, 96 * 80), i => Assert.Equal(map.Rgba[4 * i], map.Rgba[4 * i + 2]));
    }

    [Fact]
    public void A_model_with_more_than_one_input_is_refused_naming_them()
    {
        var path = Path.Combine(TestModels.Folder("tiny-sd"), "unet", OnnxModelFile.FileName);
        var entry = new AnnotatorCatalogEntry { Id = "unet", File = path };
        using var file = OnnxModelFile.OpenFile(_sessions, path, "tiny-sd/unet/model.onnx");
        var error = Assert.Throws<ModelLoadException>(() => new Annotator(entry, file));
        Assert.Contains("tiny-sd/unet/model.onnx: an annotator takes one image input; this one has 3 ('sample', 'timestep', 'encoder_hidden_states')", error.Message);
    }

    public void Dispose() => _run.Dispose();
}
