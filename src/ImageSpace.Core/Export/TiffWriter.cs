using BitMiracle.LibTiff.Classic;
using ImageSpace.Core.Imaging;

namespace ImageSpace.Core.Export;

/// <summary>16-bit RGB TIFF through LibTiff.NET. Values are clipped to 0..1 and rounded (not truncated) here, at
/// encode, the only place the pipeline clips.</summary>
public static class TiffWriter
{
    public static void Write16(string path, RgbImage img, string description, Compression compression = Compression.NONE)
    {
        using var tif = Tiff.Open(path, "w") ?? throw new IOException($"{path}: cannot create TIFF");
        int w = img.Width, h = img.Height;
        tif.SetField(TiffTag.IMAGEWIDTH, w);
        tif.SetField(TiffTag.IMAGELENGTH, h);
        tif.SetField(TiffTag.SAMPLESPERPIXEL, 3);
        tif.SetField(TiffTag.BITSPERSAMPLE, 16);
        tif.SetField(TiffTag.SAMPLEFORMAT, SampleFormat.UINT);
        tif.SetField(TiffTag.PHOTOMETRIC, Photometric.RGB);
        tif.SetField(TiffTag.PLANARCONFIG, PlanarConfig.CONTIG);
        tif.SetField(TiffTag.ORIENTATION, BitMiracle.LibTiff.Classic.Orientation.TOPLEFT);
        tif.SetField(TiffTag.COMPRESSION, compression);
        if (compression != Compression.NONE) tif.SetField(TiffTag.PREDICTOR, Predictor.HORIZONTAL);
        tif.SetField(TiffTag.ROWSPERSTRIP, Math.Max(1, (1 << 20) / (w * 6)));
        tif.SetField(TiffTag.SOFTWARE, $"Image Space {typeof(TiffWriter).Assembly.GetName().Version?.ToString(3)}");
        tif.SetField(TiffTag.IMAGEDESCRIPTION, description);

        const int band = 64;
        var rows = new byte[band * w * 6];
        for (int y0 = 0; y0 < h; y0 += band)
        {
            int n = Math.Min(band, h - y0);
            Parallel.For(0, n, r => Encode16(img, y0 + r, rows.AsSpan(r * w * 6, w * 6)));
            for (int r = 0; r < n; r++)
                if (!tif.WriteScanline(rows, r * w * 6, y0 + r, 0)) throw new IOException($"{path}: TIFF write failed at row {y0 + r}");
        }
        tif.WriteDirectory();
    }

    private static void Encode16(RgbImage img, int y, Span<byte> dst)
    {
        int w = img.Width, o = y * w;
        for (int x = 0; x < w; x++)
        {
            WriteU16(dst, 6 * x, img.R[o + x]);
            WriteU16(dst, 6 * x + 2, img.G[o + x]);
            WriteU16(dst, 6 * x + 4, img.B[o + x]);
        }
    }

    private static void WriteU16(Span<byte> dst, int at, float v)
    {
        ushort q = (ushort)(Math.Clamp(v, 0f, 1f) * 65535f + 0.5f);
        dst[at] = (byte)q; dst[at + 1] = (byte)(q >> 8); // TIFF opened little-endian ("II")
    }
}
