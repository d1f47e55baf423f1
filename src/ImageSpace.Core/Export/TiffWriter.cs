using BitMiracle.LibTiff.Classic;
using ImageSpace.Core.Imaging;

namespace ImageSpace.Core.Export;

/// <summary>RGB TIFF through LibTiff.NET: 8 or 16-bit unsigned, or 32-bit IEEE float; uncompressed, LZW or Deflate;
/// the ICC profile in tag 34675. With <see cref="OutputMetadata"/>, exiftool's small TIFF goes first in the file, so the
/// EXIF/GPS/XMP/IPTC data it holds stays at the offsets its entries name, and those entries join our IFD0 at the end
/// (the image is written once; no rewrite of 144 MB by exiftool).</summary>
public static class TiffWriter
{
    public static void Write(string path, RgbImage img, Quantizer q, int bits, Compression compression, byte[]? icc, string description,
        OutputMetadata? metadata = null)
    {
        if (bits is not (8 or 16 or 32)) throw new ArgumentException($"TIFF bit depth {bits} (8, 16 or 32)");
        // Uncompressed strips are written straight from our band buffer, so the stream needs no buffer of its own
        // (a buffered stream would copy every strip once more); compressed ones pass through LibTiff's codecs.
        using (var fs = AtomicFile.Create(path, FileAccess.ReadWrite, compression == Compression.NONE ? 1 << 14 : 1 << 20))
        {
            // LibTiff writes its header over the first 8 bytes and appends strips and its IFD at the end of the file.
            if (metadata is not null) fs.Write(metadata.File);
            WritePixels(path, fs, img, q, bits, compression, icc, description);
        }
        if (metadata is null) return;
        using var patch = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
        TiffIfd.AddToFirst(patch, metadata.TiffEntries());
    }

    private static void WritePixels(string path, FileStream fs, RgbImage img, Quantizer q, int bits, Compression compression, byte[]? icc, string description)
    {
        using var tif = Tiff.ClientOpen(path, "w", fs, new TiffStream()) ?? throw new IOException($"{path}: cannot create TIFF");
        int channels = img.Alpha is null ? 3 : 4;
        int w = img.Width, h = img.Height, bytesPerSample = bits / 8, rowBytes = w * channels * bytesPerSample;
        tif.SetField(TiffTag.IMAGEWIDTH, w);
        tif.SetField(TiffTag.IMAGELENGTH, h);
        tif.SetField(TiffTag.SAMPLESPERPIXEL, channels);
        if (channels == 4) tif.SetField(TiffTag.EXTRASAMPLES, 1, new short[] { (short)ExtraSample.UNASSALPHA });
        tif.SetField(TiffTag.BITSPERSAMPLE, bits);
        tif.SetField(TiffTag.SAMPLEFORMAT, bits == 32 ? SampleFormat.IEEEFP : SampleFormat.UINT);
        tif.SetField(TiffTag.PHOTOMETRIC, Photometric.RGB);
        tif.SetField(TiffTag.PLANARCONFIG, PlanarConfig.CONTIG);
        tif.SetField(TiffTag.ORIENTATION, BitMiracle.LibTiff.Classic.Orientation.TOPLEFT);
        tif.SetField(TiffTag.COMPRESSION, compression);
        if (compression != Compression.NONE && bits != 32) tif.SetField(TiffTag.PREDICTOR, Predictor.HORIZONTAL);
        int rowsPerStrip = Math.Max(1, (1 << 18) / rowBytes); // strips of about 256 KB
        tif.SetField(TiffTag.ROWSPERSTRIP, rowsPerStrip);
        tif.SetField(TiffTag.SOFTWARE, Versions.Software);
        tif.SetField(TiffTag.IMAGEDESCRIPTION, description);
        if (icc is not null) tif.SetField(TiffTag.ICCPROFILE, icc.Length, icc);

        // Bands of whole strips, about 64 rows: quantised in parallel, then written.
        int band = rowsPerStrip * Math.Max(1, 64 / rowsPerStrip);
        var rows = new byte[band * rowBytes];
        bool raw = compression == Compression.NONE && BitConverter.IsLittleEndian && !tif.IsBigEndian();
        for (int y0 = 0; y0 < h; y0 += band)
        {
            int n = Math.Min(band, h - y0);
            Parallel.For(0, n, Parallelism.Options, r =>
            {
                var dst = rows.AsSpan(r * rowBytes, rowBytes);
                switch (bits)
                {
                    case 8: q.Row8(img, y0 + r, dst, channels); break;
                    case 16: q.Row16(img, y0 + r, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(dst), channels); break;
                    default: q.RowFloat(img, y0 + r, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(dst), channels); break;
                }
            });
            if (raw)
            {
                // Uncompressed: the quantised rows are already the strips' bytes (little-endian, as LibTiff's "II"
                // file), so they go to the file as they are instead of being copied row by row into LibTiff's strip
                // buffer first (issue 17: two images encoding at once were bound by these copies).
                for (int r = 0; r < n; r += rowsPerStrip)
                {
                    int count = Math.Min(rowsPerStrip, n - r) * rowBytes;
                    if (tif.WriteRawStrip((y0 + r) / rowsPerStrip, rows, r * rowBytes, count) != count)
                        throw new IOException($"{path}: TIFF write failed at row {y0 + r}");
                }
            }
            else
                for (int r = 0; r < n; r++)
                    if (!tif.WriteScanline(rows, r * rowBytes, y0 + r, 0)) throw new IOException($"{path}: TIFF write failed at row {y0 + r}");
        }
        tif.WriteDirectory();
    }
}
