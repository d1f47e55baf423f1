namespace ImageSpace.Core.Raw;

/// <summary>A file could not be decoded. <see cref="Exception.Message"/> is one line meant for the user: it names the
/// file and the reason.</summary>
public sealed class RawDecodeException(string file, string reason, Exception? inner = null)
    : Exception($"{file}: {reason}", inner)
{
    public string File { get; } = file;
    public string Reason { get; } = reason;
}
