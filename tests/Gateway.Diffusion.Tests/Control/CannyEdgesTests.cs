using Gateway.Diffusion.Control;
using Gateway.Diffusion.Imaging;

namespace Gateway.Diffusion.Tests.Control;

/// <summary>The canny preprocessor against OpenCV's own <c>cv2.Canny</c>: the goldens in Fixtures/canny were written by
/// Debian's python3-opencv 4.6.0 (Fixtures/canny/golden.py), a build independent of OpenCvSharp's bundled 4.13.</summary>
public sealed class CannyEdgesTests
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "Fixtures", "canny");
    private static readonly ImageDecodeLimits Limits = new(MaxPixels: 1 << 20);

    private static PixelImage Load(string name) => ImageCodec.Decode(File.ReadAllBytes(Path.Combine(Folder, name)), Limits);

    [Theory]
    [InlineData(100, 200)]
    [InlineData(50, 150)]
    public void Edges_equal_opencvs_canny_on_the_rgb_image(int low, int high)
    {
        var input = Load("input.png");
        var golden = Load($"canny-{low}-{high}.png");

        var edges = CannyEdges.Detect(input, low, high);

        Assert.Equal((golden.Width, golden.Height), (edges.Width, edges.Height));
        var goldenEdges = 0;
        for (var i = 0; i < golden.Width * golden.Height; i++)
        {
            var expected = golden.Rgba[4 * i];
            goldenEdges += expected > 0 ? 1 : 0;
            Assert.True(expected == edges.Rgba[4 * i] && expected == edges.Rgba[4 * i + 1] && expected == edges.Rgba[4 * i + 2],
                $"pixel ({i % golden.Width}, {i / golden.Width}): OpenCV {expected}, ours {edges.Rgba[4 * i]}/{edges.Rgba[4 * i + 1]}/{edges.Rgba[4 * i + 2]}");
        }
        Assert.True(goldenEdges > 200, $"the golden has {goldenEdges} edge pixels; the picture should have more");
    }
}
