using BitMiracle.LibTiff.Classic;
using ImageSpace.Core.Imaging;

namespace ImageSpace.Core.Export;

/// <summary>Writes a working-space image in the format, depth and colour space of <see cref="ExportOptions"/>, with
/// ICC profile (or EXR chromaticities) and the RAW's metadata, atomically.</summary>
public static class OutputEncoder
{
    /// <summary>Encodes <paramref name="image"/> (converted in place to the output space: the caller hands it over)
    /// to <paramref name="output"/>.</summary>
    public static void Write(RgbImage image, string sourcePath, string output, ExportOptions o)
    {
        var cs = o.ResolvedColorSpace;
        MatrixOperator.Apply(image, cs.FromWorking);
        var q = new Quantizer(cs.Transfer);
        byte[]? icc = o.EmbedIcc ? Color.IccProfile.For(cs) : null;
        string description = $"Image Space: {cs.Description}, from {Path.GetFileName(sourcePath)}";
        bool copyMetadata = o.CopyMetadata && o.NormalizedFormat != "exr";
        if (copyMetadata && !ExifTool.IsAvailable)
            throw new IOException("exiftool is not installed (apt install libimage-exiftool-perl), so metadata cannot be copied; install it or use --no-metadata");
        AtomicFile.Write(output, tmp =>
        {
            switch (o.NormalizedFormat)
            {
                case "jpg": JpegPngWriter.WriteJpeg(tmp, image, q, o.Quality, o.Chroma == "420", icc); break;
                case "png": JpegPngWriter.WritePng(tmp, image, q, o.ResolvedBitDepth, icc); break;
                case "tiff":
                    var comp = o.ResolvedCompression switch { "lzw" => Compression.LZW, "deflate" => Compression.ADOBE_DEFLATE, _ => Compression.NONE };
                    TiffWriter.Write(tmp, image, q, o.ResolvedBitDepth, comp, icc, description);
                    break;
                default:
                    ExrWriter.Write(tmp, image, cs, o.ResolvedBitDepth == 16 ? ExrWriter.PixelType.Half : ExrWriter.PixelType.Float,
                        o.ResolvedCompression == "zip", description);
                    break;
            }
            if (copyMetadata) ExifTool.Use(e => e.CopyMetadata(sourcePath, tmp));
        });
    }
}
