using ImageSpace.Core.Color;
using ImageSpace.Core.Export;
using ImageSpace.Core.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;

namespace ImageSpace.Web;

/// <summary>Working-space linear images → sRGB JPEG bytes for the browser (display only; exports go through the
/// pipeline's encoder).</summary>
public static class ImageEncoding
{
    private static readonly Quantizer Srgb = new(TransferFunction.Srgb);
    private static readonly Core.Color.Matrix3 ToSrgb = RgbColorSpace.Srgb.FromXyz * WorkingSpace.Space.ToXyz;

    /// <summary>Encodes a copy; <paramref name="img"/> is left as it is.</summary>
    public static byte[] Jpeg(RgbImage img, int quality = 90)
    {
        using var copy = img.Clone();
        return JpegInPlace(copy, quality);
    }

    /// <summary>Encodes <paramref name="copy"/>, converting it to sRGB in place (for images about to be thrown away).</summary>
    public static byte[] JpegInPlace(RgbImage copy, int quality = 90)
    {
        MatrixOperator.Apply(copy, ToSrgb);
        var rgb = new byte[copy.PixelCount * 3];
        Parallel.For(0, copy.Height, Parallelism.Options, y => Srgb.Row8(copy, y, rgb.AsSpan(y * copy.Width * 3, copy.Width * 3)));
        using var image = Image.LoadPixelData<Rgb24>(rgb, copy.Width, copy.Height);
        using var ms = new MemoryStream();
        image.SaveAsJpeg(ms, new JpegEncoder { Quality = quality, ColorType = JpegColorType.YCbCrRatio420 });
        return ms.ToArray();
    }

    /// <summary>An 8-bit BGR OpenCV matrix (e.g. a rectified chart) as PNG.</summary>
    public static byte[] Png(OpenCvSharp.Mat bgr) => bgr.ImEncode(".png");
}
