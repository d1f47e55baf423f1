using BitMiracle.LibTiff.Classic;
using ImageSpace.Core.Imaging;

namespace ImageSpace.Core.Export;

/// <summary>Writes a working-space image in the format, depth and colour space of <see cref="ExportOptions"/>, with
/// ICC profile (or EXR chromaticities) and the RAW's metadata, atomically.</summary>
public static class OutputEncoder
{
    /// <summary>Starts exiftool on the RAW's metadata for this output now, in its own process: a caller that knows the
    /// output before decoding (the pipeline) can hide exiftool's ~0.4 s behind the decode by passing the result to
    /// <see cref="Write"/>. Null when no metadata is copied or the format takes it another way.</summary>
    public static Task<OutputMetadata>? StartMetadata(string sourcePath, ExportOptions o)
    {
        if (MetadataRequest(sourcePath, o) is not { } r) return null;
        return Early.Take(r.key) ?? OutputMetadata.PrepareAsync(r.format, r.arguments, o.ResolvedColorSpace);
    }

    /// <summary>Starts the metadata of a file that is about to be processed before its turn (the batch's first RAW,
    /// while the inputs are scanned): the first <see cref="StartMetadata"/> for the same file and options takes it
    /// over instead of running exiftool again. Only the latest one is kept.</summary>
    public static Task<OutputMetadata>? StartMetadataEarly(string sourcePath, ExportOptions o)
    {
        if (MetadataRequest(sourcePath, o) is not { } r) return null;
        return Early.Put(r.key, OutputMetadata.PrepareAsync(r.format, r.arguments, o.ResolvedColorSpace));
    }

    private static readonly EarlyStart<string, OutputMetadata> Early = new();

    /// <summary>What exiftool is asked for a file's output metadata, and a key that is equal exactly when two requests
    /// would give the same result; null when no metadata is copied or the format takes it another way.</summary>
    private static (string format, List<string> arguments, string key)? MetadataRequest(string sourcePath, ExportOptions o)
    {
        string format = o.NormalizedFormat;
        if (!o.CopyMetadata || !ExifTool.IsAvailable || !OutputMetadata.Supports(format)) return null;
        var arguments = Arguments(sourcePath, o);
        return (format, arguments, string.Join('\n', [format, o.ResolvedColorSpace.Description, .. arguments]));
    }

    /// <summary>The exiftool arguments for the metadata of <paramref name="sourcePath"/>'s output (one place for both
    /// the early start and the write, so that a started request is the one the write would make).</summary>
    private static List<string> Arguments(string sourcePath, ExportOptions o) =>
        MetadataTags.Arguments(Path.GetFullPath(sourcePath), o.NormalizedFormat, o.ResolvedColorSpace, Description(sourcePath, o));

    private static string Description(string sourcePath, ExportOptions o) =>
        $"Image Space: {o.ResolvedColorSpace.Description}, from {Path.GetFileName(sourcePath)}";

    /// <summary>Encodes <paramref name="image"/> (the caller hands it over: float outputs convert it in place)
    /// to <paramref name="output"/>; <paramref name="started"/> is what <see cref="StartMetadata"/> returned for it.</summary>
    public static void Write(RgbImage image, string sourcePath, string output, ExportOptions o, Task<OutputMetadata>? started = null)
    {
        var cs = o.ResolvedColorSpace;
        string format = o.NormalizedFormat;
        string description = Description(sourcePath, o);
        bool copyMetadata = o.CopyMetadata && format != "exr";
        if (copyMetadata && !ExifTool.IsAvailable)
            throw new IOException("exiftool is not installed (apt install libimage-exiftool-perl), so metadata cannot be copied; install it or use --no-metadata");
        var tags = copyMetadata ? Arguments(sourcePath, o) : null;
        // exiftool lays out the metadata in its own process while this one converts and encodes the pixels.
        var metadata = tags is not null && OutputMetadata.Supports(format) ? started ?? OutputMetadata.PrepareAsync(format, tags, cs) : null;
        bool rewrite = false;
        try
        {
            // Integer outputs convert each row as they quantise it (one pass over the image less); float ones first.
            bool integer = format is "jpg" or "png" || (format == "tiff" && o.ResolvedBitDepth != 32);
            if (!integer) MatrixOperator.Apply(image, cs.FromWorking);
            var q = new Quantizer(cs.Transfer, integer ? cs.FromWorking : null);
            byte[]? icc = o.EmbedIcc ? Color.IccProfile.For(cs) : null;
            AtomicFile.Write(output, tmp =>
            {
                switch (format)
                {
                    case "jpg":
                        JpegPngWriter.WriteJpeg(tmp, image, q, o.Quality, o.Chroma == "420", icc, metadata is null ? null : () =>
                        {
                            // A JPEG segment holds at most 64 KB: metadata that does not fit (large maker notes) is
                            // written by exiftool into the finished file instead, as it always was (a JPEG is small).
                            try { return Await(metadata).JpegSegments(); }
                            catch (IOException) { rewrite = true; return []; }
                        });
                        break;
                    case "png":
                        JpegPngWriter.WritePng(tmp, image, q, o.ResolvedBitDepth, icc, metadata is null ? null : () => Await(metadata).PngChunks());
                        break;
                    case "tiff":
                        var comp = o.ResolvedCompression switch { "lzw" => Compression.LZW, "deflate" => Compression.ADOBE_DEFLATE, _ => Compression.NONE };
                        TiffWriter.Write(tmp, image, q, o.ResolvedBitDepth, comp, icc, description, metadata is null ? null : Await(metadata));
                        break;
                    default:
                        ExrWriter.Write(tmp, image, cs, o.ResolvedBitDepth == 16 ? ExrWriter.PixelType.Half : ExrWriter.PixelType.Float,
                            o.ResolvedCompression == "zip", description);
                        break;
                }
                if (tags is not null && (metadata is null || rewrite)) ExifTool.Use(e => e.CopyMetadata(tags, tmp));
            });
        }
        finally
        {
            // Never leave the exiftool job running unobserved (its process is needed by the next image).
            if (metadata is not null) try { metadata.Wait(); } catch (AggregateException) { }
        }
    }

    private static OutputMetadata Await(Task<OutputMetadata> t)
    {
        try { return t.GetAwaiter().GetResult(); }
        catch (Exception e) when (e is not IOException) { throw new IOException($"exiftool could not copy metadata: {e.Message}", e); }
    }
}
