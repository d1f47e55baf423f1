using ImageSpace.Core.Color;
using ImageSpace.Core.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace ImageSpace.Core.Raw;

/// <summary>Any input a chart can be found in, as a linear working-space image: RAWs through the decoder (half size:
/// no demosaic artefacts, and enough for patches), JPEG/PNG/TIFF photos through ImageSharp as sRGB (their usual
/// encoding; an embedded profile is not interpreted) → linear → working space.</summary>
public static class ImageLoader
{
    private static readonly HashSet<string> PhotoExtensions = new(StringComparer.OrdinalIgnoreCase) { ".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp" };

    public static bool IsPhoto(string path) => PhotoExtensions.Contains(Path.GetExtension(path));

    /// <returns>The image and the scale of its pixel grid relative to the file's full resolution (0.5 for a half-size
    /// RAW decode), so coordinates can be reported in full-resolution pixels.</returns>
    public static (RgbImage image, double scale) Load(string path, DecodeOptions? rawOptions = null)
    {
        if (Directory.Exists(path)) throw new RawDecodeException(path, "is a directory, not an image");
        if (!File.Exists(path)) throw new RawDecodeException(path, "file not found");
        if (!IsPhoto(path))
        {
            var d = RawDecoder.Decode(path, (rawOptions ?? new DecodeOptions()) with { Demosaic = DemosaicMode.Half });
            return (d.Image, 0.5);
        }
        try
        {
            using var image = Image.Load<Rgb48>(path);
            var img = new RgbImage(image.Width, image.Height);
            var lut = new float[65536];
            for (int i = 0; i < lut.Length; i++) lut[i] = (float)TransferFunction.Srgb.Decode(i / 65535.0);
            image.ProcessPixelRows(rows =>
            {
                for (int y = 0; y < rows.Height; y++)
                {
                    var row = rows.GetRowSpan(y);
                    for (int x = 0, i = y * img.Width; x < row.Length; x++, i++)
                    {
                        img.R[i] = lut[row[x].R]; img.G[i] = lut[row[x].G]; img.B[i] = lut[row[x].B];
                    }
                }
            });
            MatrixOperator.Apply(img, WorkingSpace.Space.FromXyz * RgbColorSpace.Srgb.ToXyz);
            return (img, 1);
        }
        catch (Exception e) when (e is UnknownImageFormatException or InvalidImageContentException or NotSupportedException or IOException)
        {
            // First line only: ImageSharp appends its list of decoders on further lines; errors are one line.
            throw new RawDecodeException(path, $"cannot read this image ({e.Message.Split('\n')[0].Trim().TrimEnd('.')})", e);
        }
    }
}
