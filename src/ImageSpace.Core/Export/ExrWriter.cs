using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using ImageSpace.Core.Color;
using ImageSpace.Core.Imaging;

namespace ImageSpace.Core.Export;

/// <summary>OpenEXR 2 single-part scanline writer (no OpenEXR package exists for .NET here). RGB in HALF or FLOAT,
/// uncompressed or ZIP (16 lines per chunk, the format's byte-split + delta predictor + zlib), with the
/// chromaticities attribute naming the colour space, so readers know what the linear values mean. Values are written
/// as they are: above 1.0 and negative values survive.</summary>
public static class ExrWriter
{
    public enum PixelType { Half = 1, Float = 2 }

    public static void Write(string path, RgbImage img, OutputColorSpace cs, PixelType type, bool zip, string comment)
    {
        int w = img.Width, h = img.Height, bytesPer = type == PixelType.Half ? 2 : 4;
        int linesPerChunk = zip ? 16 : 1, chunks = (h + linesPerChunk - 1) / linesPerChunk;
        var q = new Quantizer(cs.Transfer);
        // Channels in alphabetical order, as the format requires: (A,) B, G, R. Alpha is coverage, never encoded.
        var planes = img.Alpha is { } alpha ? new[] { ("A", alpha, false), ("B", img.B, true), ("G", img.G, true), ("R", img.R, true) }
            : new[] { ("B", img.B, true), ("G", img.G, true), ("R", img.R, true) };
        var payloads = new byte[chunks][];
        Parallel.For(0, chunks, Parallelism.Options, c =>
        {
            int y0 = c * linesPerChunk, n = Math.Min(linesPerChunk, h - y0);
            var raw = new byte[n * w * planes.Length * bytesPer];
            int o = 0;
            for (int y = y0; y < y0 + n; y++)
                foreach (var (_, plane, encoded) in planes)
                    for (int x = 0, i = y * w; x < w; x++, i++)
                    {
                        float v = encoded ? q.Encode(plane[i]) : plane[i];
                        if (bytesPer == 2) BinaryPrimitives.WriteHalfLittleEndian(raw.AsSpan(o), (Half)v);
                        else BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan(o), v);
                        o += bytesPer;
                    }
            payloads[c] = zip ? Zip(raw) : raw;
        });

        using var fs = AtomicFile.Create(path, FileAccess.Write, 1 << 20);
        var bw = new BinaryWriter(fs);
        bw.Write(20000630); bw.Write(2); // magic, version 2, single-part scanline
        var ch = new MemoryStream();
        foreach (var (name, _, _) in planes)
        {
            ch.Write(Encoding.ASCII.GetBytes(name)); ch.WriteByte(0);
            ch.Write(Ints((int)type, 0, 1, 1)); // pixel type, pLinear + reserved, xSampling, ySampling
        }
        ch.WriteByte(0);
        Attr(bw, "channels", "chlist", ch.ToArray());
        Attr(bw, "chromaticities", "chromaticities", Floats(
            (float)cs.Space.Red.x, (float)cs.Space.Red.y, (float)cs.Space.Green.x, (float)cs.Space.Green.y,
            (float)cs.Space.Blue.x, (float)cs.Space.Blue.y, (float)WhitePoints.ToXy(cs.Space.White).x, (float)WhitePoints.ToXy(cs.Space.White).y));
        Attr(bw, "comments", "string", Encoding.UTF8.GetBytes(comment));
        Attr(bw, "compression", "compression", [(byte)(zip ? 3 : 0)]);
        Attr(bw, "dataWindow", "box2i", Ints(0, 0, w - 1, h - 1));
        Attr(bw, "displayWindow", "box2i", Ints(0, 0, w - 1, h - 1));
        Attr(bw, "lineOrder", "lineOrder", [0]);
        Attr(bw, "pixelAspectRatio", "float", Floats(1f));
        Attr(bw, "screenWindowCenter", "v2f", Floats(0f, 0f));
        Attr(bw, "screenWindowWidth", "float", Floats(1f));
        bw.Write((byte)0);
        long table = fs.Position;
        long offset = table + 8L * chunks;
        for (int c = 0; c < chunks; c++) { bw.Write(offset); offset += 8 + payloads[c].Length; }
        for (int c = 0; c < chunks; c++) { bw.Write(c * linesPerChunk); bw.Write(payloads[c].Length); bw.Write(payloads[c]); }
        bw.Flush();
    }

    private static byte[] Zip(byte[] raw)
    {
        // Bytes split into two halves (even / odd positions), then a delta predictor, then zlib; kept uncompressed
        // when that is not smaller, as the format allows.
        var t = new byte[raw.Length];
        int h1 = 0, h2 = (raw.Length + 1) / 2;
        for (int i = 0; i < raw.Length; i++) { if ((i & 1) == 0) t[h1++] = raw[i]; else t[h2++] = raw[i]; }
        for (int i = t.Length - 1; i > 0; i--) t[i] = (byte)(t[i] - t[i - 1] + 128);
        using var ms = new MemoryStream();
        // Not CompressionLevel.Fastest: .NET's zlib-ng makes that "deflate_quick" with fixed Huffman codes only, which
        // cannot shorten the near-random low mantissa bytes of float samples, so every 32-bit chunk came out no
        // smaller and was stored raw. Level 3 (deflate_fast, dynamic codes) saves what the format allows.
        using (var z = new ZLibStream(ms, new ZLibCompressionOptions { CompressionLevel = 3 }, true)) z.Write(t);
        return ms.Length < raw.Length ? ms.ToArray() : raw;
    }

    private static void Attr(BinaryWriter bw, string name, string type, byte[] value)
    {
        bw.Write(Encoding.ASCII.GetBytes(name)); bw.Write((byte)0);
        bw.Write(Encoding.ASCII.GetBytes(type)); bw.Write((byte)0);
        bw.Write(value.Length); bw.Write(value);
    }

    private static byte[] Ints(params int[] v)
    {
        var b = new byte[4 * v.Length];
        for (int i = 0; i < v.Length; i++) BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(4 * i), v[i]);
        return b;
    }

    private static byte[] Floats(params float[] v)
    {
        var b = new byte[4 * v.Length];
        for (int i = 0; i < v.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(4 * i), v[i]);
        return b;
    }
}
