namespace ImageSpace.Core.Raw;

/// <summary>Whether a file starts the way a RAW LibRaw reads does. LibRaw answers "Input/output error" both for a RAW
/// cut short and for any file under 64 bytes (its first read), so a short text file named .nef was called truncated;
/// its first bytes tell the two apart.</summary>
public static class RawSignature
{
    /// <summary>(offset, bytes) of the RAW containers LibRaw knows by their start.</summary>
    private static readonly (int At, byte[] Bytes)[] Signatures =
    [
        (0, "II*\0"u8.ToArray()), (0, "MM\0*"u8.ToArray()), // TIFF: DNG, NEF, CR2, ARW, PEF, SRW, 3FR, ERF, IIQ, GPR…
        (0, "IIRO"u8.ToArray()), (0, "IIRS"u8.ToArray()), (0, "MMOR"u8.ToArray()), // ORF
        (0, "IIU\0"u8.ToArray()), // RW2, RWL
        (0, "II\x1a\0"u8.ToArray()), // CRW
        (0, "IIII"u8.ToArray()), (0, "MMMM"u8.ToArray()), // Phase One
        (4, "ftypcrx "u8.ToArray()), // CR3
        (0, "FUJIFILM"u8.ToArray()), // RAF
        (0, "\0MRM"u8.ToArray()), // MRW
        (0, "FOVb"u8.ToArray()), // X3F
        (0, "ARRI"u8.ToArray()),
        (0, "NOKIARAW"u8.ToArray()),
    ];

    private static readonly int HeadLength = Signatures.Max(s => s.At + s.Bytes.Length);

    /// <summary>True when <paramref name="head"/> (a file's first bytes) starts like a RAW, or, cut shorter than a
    /// signature, like the start of one.</summary>
    public static bool StartsLikeRaw(ReadOnlySpan<byte> head)
    {
        foreach (var (at, bytes) in Signatures)
        {
            if (head.Length <= at) continue;
            int n = Math.Min(head.Length - at, bytes.Length);
            if (head.Slice(at, n).SequenceEqual(bytes.AsSpan(0, n))) return true;
        }
        return false;
    }

    /// <summary><see cref="StartsLikeRaw(ReadOnlySpan{byte})"/> on a file's first bytes; true when it cannot be read
    /// (then it is not known not to be one).</summary>
    public static bool StartsLikeRaw(string file)
    {
        try
        {
            using var f = File.OpenRead(file);
            var head = new byte[HeadLength];
            int n = f.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            return StartsLikeRaw(head.AsSpan(0, n));
        }
        catch (IOException) { return true; }
        catch (UnauthorizedAccessException) { return true; }
    }
}
