using System.Runtime.InteropServices;
using Gateway.Diffusion.Imaging;
using OpenCvSharp;

namespace Gateway.Diffusion.Control;

/// <summary>
/// The canny preprocessor as diffusers' ControlNet examples run it: <c>cv2.Canny(rgb, low, high)</c> on the RGB image
/// (OpenCV takes the strongest channel's gradient), the edge map stacked to three channels.
/// </summary>
public static class CannyEdges
{
    /// <summary>White edges on black, the size of <paramref name="image"/>.</summary>
    public static PixelImage Detect(PixelImage image, int low, int high)
    {
        var handle = GCHandle.Alloc(image.Rgba, GCHandleType.Pinned);
        try
        {
            using var rgba = Mat.FromPixelData(image.Height, image.Width, MatType.CV_8UC4, handle.AddrOfPinnedObject());
            using var rgb = new Mat();
            Cv2.CvtColor(rgba, rgb, ColorConversionCodes.RGBA2RGB);
            using var edges = new Mat();
            Cv2.Canny(rgb, edges, low, high);
            var result = new PixelImage(image.Width, image.Height);
            var row = new byte[image.Width];
            for (var y = 0; y < image.Height; y++)
            {
                Marshal.Copy(edges.Ptr(y), row, 0, image.Width);
                for (var x = 0; x < image.Width; x++)
                {
                    var offset = 4 * (y * image.Width + x);
                    result.Rgba[offset] = result.Rgba[offset + 1] = result.Rgba[offset + 2] = row[x];
                    result.Rgba[offset + 3] = 255;
                }
            }
            return result;
        }
        finally
        {
            handle.Free();
        }
    }
}
