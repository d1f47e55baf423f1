using System.Buffers.Binary;
using System.Text;
using ImageSpace.Core.Color;

namespace ImageSpace.Core.Synthetic;

/// <summary>What goes into a synthetic DNG besides the pixels.</summary>
public sealed record DngInfo
{
    public string Make { get; init; } = "ImageSpace";
    public string Model { get; init; } = "Synthetic";
    public int Black { get; init; } = Mosaicker.Black;
    public int White { get; init; } = Mosaicker.White;
    /// <summary>XYZ → camera (DNG ColorMatrix1).</summary>
    public Matrix3 ColorMatrix { get; init; } = Matrix3.Identity;
    /// <summary>EXIF LightSource code of the matrix (21 = D65, 23 = D50, 17 = A).</summary>
    public int CalibrationIlluminant { get; init; } = 21;
    public Vec3 AsShotNeutral { get; init; } = new(1, 1, 1);
    public double ExposureTime { get; init; } = 1.0 / 125;
    public double FNumber { get; init; } = 8;
    public int Iso { get; init; } = 100;
    public double FocalLength { get; init; } = 50;
    public string LensModel { get; init; } = "Synthetic 50mm F1.8";
    public DateTime DateTimeOriginal { get; init; } = new(2024, 5, 17, 10, 30, 0);
    /// <summary>Latitude, longitude (degrees, signed) and altitude (m), or null for no GPS block.</summary>
    public (double lat, double lon, double alt)? Gps { get; init; }
    /// <summary>EXIF Orientation (1 = as stored).</summary>
    public int Orientation { get; init; } = 1;
    /// <summary>Colours (0 R, 1 G, 2 B) of the repeating CFA pattern, row-major: 4 entries for a 2×2 Bayer cell, 36
    /// for a 6×6 X-Trans tile.</summary>
    public int[] CfaPattern { get; init; } = Mosaicker.Rggb;
}

/// <summary>Writes an uncompressed CFA DNG 1.4 (2×2 Bayer or 6×6 X-Trans pattern) (little-endian TIFF): IFD0 with the CFA image and DNG colour tags, an
/// EXIF IFD and optionally a GPS IFD. Enough for LibRaw, exiftool and every DNG reader to treat it as a camera file,
/// with every value known exactly.</summary>
public static class DngWriter
{
    private enum T : ushort { Byte = 1, Ascii = 2, Short = 3, Long = 4, Rational = 5, SRational = 10 }
    private sealed record Entry(ushort Tag, T Type, int Count, byte[] Value);

    public static void Write(string path, ushort[] mosaic, int width, int height, DngInfo info)
    {
        using var fs = Export.AtomicFile.Create(path, FileAccess.Write, 1 << 20);
        Write(fs, mosaic, width, height, info);
    }

    public static void Write(Stream output, ushort[] mosaic, int width, int height, DngInfo info)
    {
        if (mosaic.Length != width * height) throw new ArgumentException("mosaic size does not match width × height");
        int side = info.CfaPattern.Length switch { 4 => 2, 36 => 6, _ => throw new ArgumentException("CFA pattern must be 2×2 or 6×6") };
        var exif = new List<Entry>
        {
            R(33434, T.Rational, Rational(info.ExposureTime)),
            R(33437, T.Rational, Rational(info.FNumber)),
            Shorts(34855, (ushort)info.Iso),
            Ascii(36867, info.DateTimeOriginal.ToString("yyyy:MM:dd HH:mm:ss")),
            R(37386, T.Rational, Rational(info.FocalLength)),
            Ascii(42036, info.LensModel),
        };
        List<Entry>? gps = null;
        if (info.Gps is { } g)
        {
            gps =
            [
                new(0, T.Byte, 4, [2, 3, 0, 0]),
                Ascii(1, g.lat >= 0 ? "N" : "S"),
                R(2, T.Rational, Dms(Math.Abs(g.lat))),
                Ascii(3, g.lon >= 0 ? "E" : "W"),
                R(4, T.Rational, Dms(Math.Abs(g.lon))),
                new(5, T.Byte, 1, [(byte)(g.alt < 0 ? 1 : 0)]),
                R(6, T.Rational, Rational(Math.Abs(g.alt))),
            ];
        }
        long stripBytes = (long)width * height * 2;
        var ifd0 = new List<Entry>
        {
            Longs(254, 0), Longs(256, (uint)width), Longs(257, (uint)height), Shorts(258, 16), Shorts(259, 1),
            Shorts(262, 32803), Ascii(271, info.Make), Ascii(272, info.Model), Longs(273, 0),
            Shorts(274, (ushort)info.Orientation), Shorts(277, 1), Longs(278, (uint)height), Longs(279, (uint)stripBytes),
            Shorts(284, 1), Ascii(305, "Image Space synthetic DNG writer"),
            Ascii(306, info.DateTimeOriginal.ToString("yyyy:MM:dd HH:mm:ss")),
            Shorts(33421, (ushort)side, (ushort)side), new(33422, T.Byte, side * side, info.CfaPattern.Select(c => (byte)c).ToArray()),
            Longs(34665, 0),
            new(50706, T.Byte, 4, [1, 4, 0, 0]), new(50707, T.Byte, 4, [1, 1, 0, 0]),
            Ascii(50708, $"{info.Make} {info.Model}"),
            Longs(50714, (uint)info.Black), Longs(50717, (uint)info.White),
            R(50721, T.SRational, SRationals(info.ColorMatrix.ToArray())),
            R(50728, T.Rational, Rational(info.AsShotNeutral.X, info.AsShotNeutral.Y, info.AsShotNeutral.Z)),
            Shorts(50778, (ushort)info.CalibrationIlluminant),
        };
        if (gps is not null) ifd0.Add(Longs(34853, 0));

        // Layout: header, IFD0 (+ its data), EXIF IFD, GPS IFD, pixels. Sizes do not depend on offsets, so offsets are
        // computed first and patched into the pointer tags.
        uint ifd0Offset = 8;
        uint exifOffset = ifd0Offset + (uint)IfdSize(ifd0);
        uint gpsOffset = exifOffset + (uint)IfdSize(exif);
        uint stripOffset = gpsOffset + (uint)(gps is null ? 0 : IfdSize(gps));
        Replace(ifd0, 273, Longs(273, stripOffset));
        Replace(ifd0, 34665, Longs(34665, exifOffset));
        if (gps is not null) Replace(ifd0, 34853, Longs(34853, gpsOffset));

        var bw = new BinaryWriter(output, Encoding.ASCII, leaveOpen: true);
        bw.Write((byte)'I'); bw.Write((byte)'I'); bw.Write((ushort)42); bw.Write(ifd0Offset);
        WriteIfd(bw, ifd0, ifd0Offset);
        WriteIfd(bw, exif, exifOffset);
        if (gps is not null) WriteIfd(bw, gps, gpsOffset);
        if (output.Position != stripOffset) throw new InvalidOperationException("DNG layout error");
        var row = new byte[width * 2];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++) BinaryPrimitives.WriteUInt16LittleEndian(row.AsSpan(2 * x), mosaic[y * width + x]);
            bw.Write(row);
        }
        bw.Flush();
    }

    private static void Replace(List<Entry> l, ushort tag, Entry e) => l[l.FindIndex(x => x.Tag == tag)] = e;

    private static int IfdSize(List<Entry> entries) =>
        2 + 12 * entries.Count + 4 + entries.Where(e => e.Value.Length > 4).Sum(e => (e.Value.Length + 1) & ~1);

    private static void WriteIfd(BinaryWriter bw, List<Entry> entries, uint offset)
    {
        entries.Sort((a, b) => a.Tag.CompareTo(b.Tag));
        uint data = offset + 2 + 12 * (uint)entries.Count + 4;
        bw.Write((ushort)entries.Count);
        foreach (var e in entries)
        {
            bw.Write(e.Tag); bw.Write((ushort)e.Type); bw.Write(e.Count);
            if (e.Value.Length <= 4)
            {
                bw.Write(e.Value);
                for (int i = e.Value.Length; i < 4; i++) bw.Write((byte)0);
            }
            else
            {
                bw.Write(data);
                data += (uint)((e.Value.Length + 1) & ~1);
            }
        }
        bw.Write(0u); // no next IFD
        foreach (var e in entries.Where(e => e.Value.Length > 4))
        {
            bw.Write(e.Value);
            if ((e.Value.Length & 1) != 0) bw.Write((byte)0);
        }
    }

    private static Entry Ascii(ushort tag, string s)
    {
        var b = Encoding.ASCII.GetBytes(s + "\0");
        return new(tag, T.Ascii, b.Length, b);
    }

    private static Entry Shorts(ushort tag, params ushort[] v)
    {
        var b = new byte[v.Length * 2];
        for (int i = 0; i < v.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(2 * i), v[i]);
        return new(tag, T.Short, v.Length, b);
    }

    private static Entry Longs(ushort tag, params uint[] v)
    {
        var b = new byte[v.Length * 4];
        for (int i = 0; i < v.Length; i++) BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4 * i), v[i]);
        return new(tag, T.Long, v.Length, b);
    }

    private static Entry R(ushort tag, T type, byte[] v) => new(tag, type, v.Length / 8, v);

    private static byte[] Rational(params double[] v)
    {
        var b = new byte[v.Length * 8];
        for (int i = 0; i < v.Length; i++)
        {
            uint den = 1000000;
            while (den > 1 && v[i] * den > uint.MaxValue) den /= 10;
            BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(8 * i), (uint)Math.Round(v[i] * den));
            BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(8 * i + 4), den);
        }
        return b;
    }

    private static byte[] SRationals(double[] v)
    {
        var b = new byte[v.Length * 8];
        for (int i = 0; i < v.Length; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(8 * i), (int)Math.Round(v[i] * 1000000));
            BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(8 * i + 4), 1000000);
        }
        return b;
    }

    private static byte[] Dms(double deg)
    {
        double d = Math.Floor(deg), m = Math.Floor((deg - d) * 60), s = ((deg - d) * 60 - m) * 60;
        return Rational(d, m, s);
    }
}
