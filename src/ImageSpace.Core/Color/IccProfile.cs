using System.Buffers.Binary;
using System.Text;

namespace ImageSpace.Core.Color;

/// <summary>Builds a matrix/TRC display ICC profile (version 2.4, the form every reader understands) for an output
/// colour space: D50-adapted colorants (Bradford, with the 'chad' tag), the media white point, and the transfer
/// function as a gamma value or a 4096-entry curve.</summary>
public static class IccProfile
{
    public static byte[] For(OutputColorSpace cs)
    {
        var toXyzD50 = cs.Space.ToXyzAt(WhitePoints.D50);
        var chad = Bradford.Adapt(cs.Space.White, WhitePoints.D50);
        var trc = Curve(cs.Transfer);
        var tags = new List<(string sig, byte[] data)>
        {
            ("desc", Desc($"Image Space {cs.Description}")),
            ("cprt", Text("No copyright, use freely")),
            ("wtpt", Xyz(WhitePoints.D50)),
            ("rXYZ", Xyz(new Vec3(toXyzD50.M00, toXyzD50.M10, toXyzD50.M20))),
            ("gXYZ", Xyz(new Vec3(toXyzD50.M01, toXyzD50.M11, toXyzD50.M21))),
            ("bXYZ", Xyz(new Vec3(toXyzD50.M02, toXyzD50.M12, toXyzD50.M22))),
            ("rTRC", trc), ("gTRC", trc), ("bTRC", trc),
            ("chad", Sf32(chad.ToArray())),
        };

        // Layout: 128-byte header, tag table, tag data (4-byte aligned; the three TRC tags share one data block).
        int tableSize = 4 + 12 * tags.Count;
        var offsets = new Dictionary<byte[], int>(ReferenceEqualityComparer.Instance);
        int pos = 128 + tableSize;
        foreach (var (_, data) in tags)
        {
            if (offsets.ContainsKey(data)) continue;
            offsets[data] = pos;
            pos += (data.Length + 3) & ~3;
        }
        var b = new byte[pos];
        BinaryPrimitives.WriteUInt32BigEndian(b, (uint)pos);
        Ascii(b, 4, "none");                                  // preferred CMM: none
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(8), 0x02400000); // version 2.4
        Ascii(b, 12, "mntr"); Ascii(b, 16, "RGB "); Ascii(b, 20, "XYZ ");
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(24), 2024); b[27] = 1; b[29] = 1; // creation date 2024-01-01
        Ascii(b, 36, "acsp");
        BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(64), 0);  // rendering intent: perceptual
        WriteS15(b, 68, WhitePoints.D50.X); WriteS15(b, 72, WhitePoints.D50.Y); WriteS15(b, 76, WhitePoints.D50.Z);
        Ascii(b, 80, "ImSp");
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(128), (uint)tags.Count);
        for (int i = 0; i < tags.Count; i++)
        {
            int at = 132 + 12 * i;
            Ascii(b, at, tags[i].sig);
            BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(at + 4), (uint)offsets[tags[i].data]);
            BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(at + 8), (uint)tags[i].data.Length);
        }
        foreach (var (data, off) in offsets) data.CopyTo(b, off);
        // Profile ID (MD5) is optional in v2; left zero.
        return b;
    }

    private static byte[] Curve(TransferFunction t)
    {
        if (t.IsLinear) return CurveBytes([]);
        if (t is TransferFunction.GammaTransfer g) return CurveGamma(g.Gamma);
        const int n = 4096;
        var v = new ushort[n];
        for (int i = 0; i < n; i++) v[i] = (ushort)Math.Round(Math.Clamp(t.Decode(i / (double)(n - 1)), 0, 1) * 65535);
        return CurveBytes(v);
    }

    private static byte[] CurveGamma(double gamma)
    {
        var b = new byte[14];
        Ascii(b, 0, "curv");
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(8), 1);
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(12), (ushort)Math.Round(gamma * 256)); // u8Fixed8
        return b;
    }

    private static byte[] CurveBytes(ushort[] v)
    {
        var b = new byte[12 + 2 * v.Length];
        Ascii(b, 0, "curv");
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(8), (uint)v.Length);
        for (int i = 0; i < v.Length; i++) BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(12 + 2 * i), v[i]);
        return b;
    }

    private static byte[] Xyz(Vec3 v)
    {
        var b = new byte[20];
        Ascii(b, 0, "XYZ ");
        WriteS15(b, 8, v.X); WriteS15(b, 12, v.Y); WriteS15(b, 16, v.Z);
        return b;
    }

    private static byte[] Sf32(double[] values)
    {
        var b = new byte[8 + 4 * values.Length];
        Ascii(b, 0, "sf32");
        for (int i = 0; i < values.Length; i++) WriteS15(b, 8 + 4 * i, values[i]);
        return b;
    }

    private static byte[] Text(string s)
    {
        var t = Encoding.ASCII.GetBytes(s);
        var b = new byte[8 + t.Length + 1];
        Ascii(b, 0, "text");
        t.CopyTo(b, 8);
        return b;
    }

    /// <summary>v2 textDescriptionType: ASCII part, empty Unicode and ScriptCode parts.</summary>
    private static byte[] Desc(string s)
    {
        var t = Encoding.ASCII.GetBytes(s);
        var b = new byte[8 + 4 + t.Length + 1 + 4 + 4 + 2 + 1 + 67];
        Ascii(b, 0, "desc");
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(8), (uint)(t.Length + 1));
        t.CopyTo(b, 12);
        return b;
    }

    private static void WriteS15(byte[] b, int at, double v) =>
        BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(at), (int)Math.Round(v * 65536));

    private static void Ascii(byte[] b, int at, string s) => Encoding.ASCII.GetBytes(s).CopyTo(b, at);
}
