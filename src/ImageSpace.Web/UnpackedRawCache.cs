using ImageSpace.Core.Raw;

namespace ImageSpace.Web;

/// <summary>The unpacked sensor data of the last few RAW files previewed (half size). White balance is applied at
/// decode, before the demosaic (as in export), so a Kelvin, tint or picked balance means decoding again; with the
/// unpack kept, that is levels + white balance + half-size demosaic + colour matrix on data in memory, not a new run
/// of LibRaw's helper on the file. <see cref="RawDecoder.Decode(UnpackedRaw, DecodeOptions)"/> is the decoder export
/// uses, so the picture is the same.</summary>
public sealed class UnpackedRawCache
{
    /// <summary>The current image, the one prefetched and one more: ~48 MB each at 24 MP.</summary>
    private const int Kept = 3;
    private readonly LinkedList<(string key, UnpackedRaw raw)> _items = new();
    private int _unpacks;

    /// <summary>How many times a file was unpacked (the rest were decoded from a kept unpack).</summary>
    public int Unpacks => Volatile.Read(ref _unpacks);

    /// <summary>As <see cref="RawDecoder.Decode(string, DecodeOptions)"/>; half-size decodes reuse the kept unpack.</summary>
    public DecodedImage Decode(string path, DecodeOptions options)
    {
        if (options.Demosaic != DemosaicMode.Half) return RawDecoder.Decode(path, options);
        options.Validate();
        return RawDecoder.Decode(Get(path, out _), options);
    }

    /// <summary>The file's half-size unpack, kept (unpacked now when it was not: <paramref name="kept"/> false).</summary>
    public UnpackedRaw Get(string path, out bool kept)
    {
        var info = new FileInfo(path);
        // A file rewritten in place (same path) is unpacked again.
        string key = $"{Path.GetFullPath(path)}|{(info.Exists ? info.Length : -1)}|{(info.Exists ? info.LastWriteTimeUtc.Ticks : 0)}";
        UnpackedRaw? raw = null;
        lock (_items)
        {
            var node = _items.First;
            while (node is not null && node.Value.key != key) node = node.Next;
            if (node is not null) { _items.Remove(node); _items.AddFirst(node); raw = node.Value.raw; }
        }
        kept = raw is not null;
        if (raw is null)
        {
            raw = RawDecoder.Unpack(path, half: true);
            Interlocked.Increment(ref _unpacks);
            lock (_items)
            {
                _items.AddFirst((key, raw));
                // Not returned to the pool: a decode on another thread may still be reading it.
                while (_items.Count > Kept) _items.RemoveLast();
            }
        }
        return raw;
    }

    public void Clear() { lock (_items) _items.Clear(); }
}
