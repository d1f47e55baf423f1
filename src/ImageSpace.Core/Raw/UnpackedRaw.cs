namespace ImageSpace.Core.Raw;

/// <summary>A RAW file's sensor data as LibRaw unpacked it, before any of our processing (levels, white balance,
/// demosaic, colour). <see cref="RawDecoder.Decode(UnpackedRaw, DecodeOptions)"/> makes a decoded image of it, as
/// often as wanted: the UI keeps the current file's so a white-balance change re-runs only what follows the unpack.
/// The payload is read, never written.</summary>
/// <param name="Half">unpacked for <see cref="DemosaicMode.Half"/> (the helper's --half mode)</param>
/// <param name="UnpackTime">how long the caller waited for the unpack (less than the unpack itself when it was started
/// early, <see cref="EarlyUnpack"/>)</param>
public sealed record UnpackedRaw(string Path, RawMetadata Metadata, ushort[] Payload, bool Half, TimeSpan UnpackTime);
