using System.Buffers.Binary;

namespace ImageSpace.Core.Batch;

/// <summary>Is an existing output complete? Used by --skip-existing: a complete file is kept, a truncated one (from
/// another tool, or a copy that was interrupted) is redone. Checks the format's end structure, not the pixels.</summary>
public static class OutputValidator
{
    public static bool IsComplete(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists || info.Length < 16) return false;
            using var fs = info.OpenRead();
            Span<byte> head = stackalloc byte[8];
            fs.ReadExactly(head);
            return Path.GetExtension(path).ToLowerInvariant() switch
            {
                ".jpg" or ".jpeg" => head[0] == 0xFF && head[1] == 0xD8 && EndsWith(fs, [0xFF, 0xD9]),
                ".png" => head[1] == 'P' && EndsWith(fs, [0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82]),
                ".tif" or ".tiff" => Tiff(fs, head),
                ".exr" => Exr(fs),
                _ => true,
            };
        }
        catch (IOException) { return false; }
    }

    private static bool EndsWith(FileStream fs, byte[] tail)
    {
        var b = new byte[tail.Length];
        fs.Seek(-tail.Length, SeekOrigin.End);
        fs.ReadExactly(b);
        return b.AsSpan().SequenceEqual(tail);
    }

    /// <summary>The first IFD, every tag's out-of-line data and every strip lie within the file (classic TIFF).</summary>
    private static bool Tiff(FileStream fs, ReadOnlySpan<byte> head)
    {
        bool le = head[0] == 'I';
        if (!(le ? head[1] == 'I' : head[0] == 'M' && head[1] == 'M')) return false;
        var data = new byte[fs.Length];
        fs.Seek(0, SeekOrigin.Begin);
        fs.ReadExactly(data);
        long len = data.Length;
        uint U32(long at) => le ? BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan((int)at)) : BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan((int)at));
        ushort U16(long at) => le ? BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan((int)at)) : BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan((int)at));
        long ifd = U32(4);
        if (ifd + 2 > len) return false;
        int n = U16(ifd);
        if (ifd + 2 + 12L * n + 4 > len) return false;
        long[]? offsets = null, counts = null;
        for (int e = 0; e < n; e++)
        {
            long at = ifd + 2 + 12L * e;
            ushort tag = U16(at), type = U16(at + 2);
            long count = U32(at + 4);
            int size = type switch { 1 or 2 or 6 or 7 => 1, 3 or 8 => 2, 4 or 9 or 11 => 4, 5 or 10 or 12 => 8, _ => 1 };
            long bytes = count * size, valueAt = bytes <= 4 ? at + 8 : U32(at + 8);
            if (valueAt + bytes > len) return false;
            if (tag is 273 or 279)
            {
                var v = new long[count];
                for (int i = 0; i < count; i++) v[i] = size == 2 ? U16(valueAt + 2L * i) : U32(valueAt + 4L * i);
                if (tag == 273) offsets = v; else counts = v;
            }
        }
        if (offsets is null || counts is null || offsets.Length != counts.Length) return false;
        for (int i = 0; i < offsets.Length; i++) if (offsets[i] + counts[i] > len) return false;
        return true;
    }

    /// <summary>The last chunk of the offset table lies within the file.</summary>
    private static bool Exr(FileStream fs)
    {
        var all = new byte[Math.Min(fs.Length, 1 << 16)];
        fs.Seek(0, SeekOrigin.Begin);
        fs.ReadExactly(all);
        if (BinaryPrimitives.ReadInt32LittleEndian(all) != 20000630) return false;
        int pos = 8, ymax = -1, ymin = 0, linesPerChunk = 1;
        while (pos < all.Length && all[pos] != 0)
        {
            int nameEnd = Array.IndexOf(all, (byte)0, pos);
            string name = System.Text.Encoding.ASCII.GetString(all, pos, nameEnd - pos);
            int typeEnd = Array.IndexOf(all, (byte)0, nameEnd + 1);
            int size = BinaryPrimitives.ReadInt32LittleEndian(all.AsSpan(typeEnd + 1));
            int value = typeEnd + 5;
            if (name == "dataWindow") { ymin = BinaryPrimitives.ReadInt32LittleEndian(all.AsSpan(value + 4)); ymax = BinaryPrimitives.ReadInt32LittleEndian(all.AsSpan(value + 12)); }
            if (name == "compression") linesPerChunk = all[value] switch { 0 or 1 or 2 => 1, 3 or 5 => 16, _ => 32 };
            pos = value + size;
        }
        if (ymax < ymin) return false;
        int chunks = (ymax - ymin + linesPerChunk) / linesPerChunk;
        long tableAt = pos + 1, lastEntry = tableAt + 8L * (chunks - 1);
        var entry = new byte[8];
        fs.Seek(lastEntry, SeekOrigin.Begin);
        fs.ReadExactly(entry);
        long last = BinaryPrimitives.ReadInt64LittleEndian(entry);
        if (last + 8 > fs.Length) return false;
        var hdr = new byte[8];
        fs.Seek(last, SeekOrigin.Begin);
        fs.ReadExactly(hdr);
        return last + 8 + BinaryPrimitives.ReadInt32LittleEndian(hdr.AsSpan(4)) <= fs.Length;
    }
}
