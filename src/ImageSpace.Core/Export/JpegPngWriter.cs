using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using ImageSpace.Core.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace ImageSpace.Core.Export;

/// <summary>JPEG and PNG through ImageSharp 2.1: encoded exactly once, from our quantised samples.</summary>
public static class JpegPngWriter
{
    /// <param name="segments">APPn segments to embed (EXIF, XMP, IPTC: <see cref="OutputMetadata.JpegSegments"/>),
    /// placed after ImageSharp's JFIF segment, where exiftool puts them.</param>
    public static void WriteJpeg(string path, RgbImage img, Quantizer q, int quality, bool subsample420, byte[]? icc,
        Func<IReadOnlyList<byte[]>>? segments = null)
    {
        if (quality is < 1 or > 100) throw new ArgumentException($"JPEG quality {quality} (1..100)");
        var buffer = Interleave(img, q, 8);
        try
        {
            using var image = Image.WrapMemory<Rgb24>(buffer.AsMemory(0, img.PixelCount * 3), img.Width, img.Height);
            if (icc is not null) image.Metadata.IccProfile = new SixLabors.ImageSharp.Metadata.Profiles.Icc.IccProfile(icc);
            var encoder = new JpegEncoder
            {
                Quality = quality,
                ColorType = subsample420 ? JpegColorType.YCbCrRatio420 : JpegColorType.YCbCrRatio444,
            };
            using var fs = AtomicFile.Create(path, FileAccess.Write, 1 << 20);
            if (segments is null) { image.SaveAsJpeg(fs, encoder); return; }
            using var ms = new MemoryStream();
            image.SaveAsJpeg(ms, encoder);
            var jpeg = ms.GetBuffer().AsSpan(0, (int)ms.Length);
            // SOI, then JFIF APP0 when there is one, then ours.
            int at = 2;
            if (jpeg.Length > 6 && jpeg[2] == 0xFF && jpeg[3] == 0xE0) at = 4 + BinaryPrimitives.ReadUInt16BigEndian(jpeg[4..]);
            fs.Write(jpeg[..at]);
            foreach (var s in segments()) fs.Write(s);
            fs.Write(jpeg[at..]);
        }
        finally { LargeArrayPool<byte>.Return(buffer); }
    }

    /// <param name="chunks">Metadata chunks to embed (eXIf, XMP iTXt, …: <see cref="OutputMetadata.PngChunks"/>),
    /// placed before the image data.</param>
    public static void WritePng(string path, RgbImage img, Quantizer q, int bits, byte[]? icc, Func<IReadOnlyList<byte[]>>? chunks = null)
    {
        using var ms = new MemoryStream();
        var encoder = new PngEncoder
        {
            BitDepth = bits == 16 ? PngBitDepth.Bit16 : PngBitDepth.Bit8,
            ColorType = img.Alpha is null ? PngColorType.Rgb : PngColorType.RgbWithAlpha,
            CompressionLevel = PngCompressionLevel.BestSpeed,
        };
        if (bits is not (8 or 16)) throw new ArgumentException($"PNG bit depth {bits} (8 or 16)");
        int channels = img.Alpha is null ? 3 : 4;
        var buffer = Interleave(img, q, bits, channels);
        try
        {
            var memory = buffer.AsMemory(0, img.PixelCount * channels * bits / 8);
            using Image image = (bits, channels) switch
            {
                (16, 4) => Image.WrapMemory<Rgba64>(memory, img.Width, img.Height),
                (16, _) => Image.WrapMemory<Rgb48>(memory, img.Width, img.Height),
                (_, 4) => Image.WrapMemory<Rgba32>(memory, img.Width, img.Height),
                _ => Image.WrapMemory<Rgb24>(memory, img.Width, img.Height),
            };
            image.SaveAsPng(ms, encoder);
        }
        finally { LargeArrayPool<byte>.Return(buffer); }
        byte[] png = ms.ToArray();
        if (icc is not null || chunks is not null)
            png = InsertAfterHeader(png, [.. icc is null ? [] : new[] { IccpChunk(icc) }, .. chunks?.Invoke() ?? []]);
        File.WriteAllBytes(path, png);
    }

    /// <summary>Interleaved samples in a pooled buffer (ImageSharp wraps it without copying); 16-bit samples in
    /// machine byte order, as ImageSharp's Rgb48 expects.</summary>
    private static byte[] Interleave(RgbImage img, Quantizer q, int bits, int channels = 3)
    {
        int rowBytes = img.Width * channels * bits / 8;
        var buf = LargeArrayPool<byte>.Rent(rowBytes * img.Height);
        Parallel.For(0, img.Height, Parallelism.Options, y =>
        {
            var row = buf.AsSpan(y * rowBytes, rowBytes);
            if (bits == 8) q.Row8(img, y, row, channels);
            else q.Row16(img, y, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(row), channels);
        });
        return buf;
    }

    /// <summary>ImageSharp 2.1 does not write iCCP; add it right after IHDR, as the PNG specification requires
    /// (before PLTE and IDAT), and drop any sRGB/gAMA chunk that would contradict it.</summary>
    public static byte[] InsertIccp(byte[] png, byte[] icc) => InsertAfterHeader(png, [IccpChunk(icc)]);

    private static byte[] IccpChunk(byte[] icc)
    {
        using var z = new MemoryStream();
        using (var zs = new ZLibStream(z, CompressionLevel.Optimal, true)) zs.Write(icc);
        var data = new MemoryStream();
        data.Write(Encoding.ASCII.GetBytes("ICC Profile")); data.WriteByte(0); data.WriteByte(0);
        data.Write(z.ToArray());
        return Chunk("iCCP", data.ToArray());
    }

    /// <summary>Puts <paramref name="chunks"/> (complete chunks) right after IHDR; when one is an iCCP, any sRGB/gAMA
    /// chunk that would contradict it goes.</summary>
    private static byte[] InsertAfterHeader(byte[] png, IReadOnlyList<byte[]> chunks)
    {
        bool hasIcc = chunks.Any(c => Encoding.ASCII.GetString(c, 4, 4) == "iCCP");
        var output = new MemoryStream(png.Length + chunks.Sum(c => c.Length));
        output.Write(png, 0, 8);
        int pos = 8;
        while (pos < png.Length)
        {
            int len = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(pos));
            string type = Encoding.ASCII.GetString(png, pos + 4, 4);
            int total = 12 + len;
            if (!hasIcc || type is not ("sRGB" or "gAMA" or "iCCP")) output.Write(png, pos, total);
            if (type == "IHDR") foreach (var c in chunks) output.Write(c);
            pos += total;
        }
        return output.ToArray();
    }

    private static byte[] Chunk(string type, byte[] data)
    {
        var b = new byte[12 + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(b, data.Length);
        Encoding.ASCII.GetBytes(type).CopyTo(b, 4);
        data.CopyTo(b, 8);
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(8 + data.Length), Crc32(b.AsSpan(4, 4 + data.Length)));
        return b;
    }

    private static readonly uint[] CrcTable = Enumerable.Range(0, 256).Select(n =>
    {
        uint c = (uint)n;
        for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        return c;
    }).ToArray();

    /// <summary>The CRC-32 of the PNG specification (ISO 3309).</summary>
    private static uint Crc32(ReadOnlySpan<byte> s)
    {
        uint c = 0xFFFFFFFFu;
        foreach (byte b in s) c = CrcTable[(c ^ b) & 0xFF] ^ (c >> 8);
        return c ^ 0xFFFFFFFFu;
    }
}
