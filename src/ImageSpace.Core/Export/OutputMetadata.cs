using System.Buffers.Binary;
using System.Text;
using BitMiracle.LibTiff.Classic;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace ImageSpace.Core.Export;

/// <summary>The metadata of one output, laid out by exiftool for the output's format before the pixels are written,
/// so the writers embed it as they write (issue 17: exiftool used to rewrite each 144 MB TIFF afterwards, ~285 ms).
/// exiftool writes the tags into a copy of a tiny template file of the same format; what it added to the template is
/// the metadata: JPEG APPn segments, PNG chunks, or for TIFF the whole small file, which becomes the head of the
/// output (its IFD offsets stay valid there) and whose IFD0 tags are merged into the image's IFD0.</summary>
public sealed class OutputMetadata
{
    public string Format { get; }
    /// <summary>The template with the metadata, as exiftool wrote it.</summary>
    public byte[] File { get; }

    private OutputMetadata(string format, byte[] file) { Format = format; File = file; }

    /// <summary>Formats whose metadata can be embedded while writing.</summary>
    public static bool Supports(string format) => format is "jpg" or "png" or "tiff";

    /// <summary>Starts exiftool on the RAW now (it runs in its own process while this one works on the pixels).</summary>
    public static Task<OutputMetadata> PrepareAsync(string format, IReadOnlyList<string> arguments) =>
        Task.Run(() => Prepare(format, arguments));

    public static OutputMetadata Prepare(string format, IReadOnlyList<string> arguments)
    {
        var template = Templates.For(format);
        string output = Path.Combine(Templates.Folder, $"{Guid.NewGuid():N}{Path.GetExtension(template.Path)}");
        try
        {
            ExifTool.Use(e => e.WriteCopy(arguments, template.Path, output));
            return new OutputMetadata(format, System.IO.File.ReadAllBytes(output));
        }
        finally
        {
            if (System.IO.File.Exists(output)) System.IO.File.Delete(output);
        }
    }

    /// <summary>JPEG: the APPn and COM segments (marker, length and payload) exiftool added to the template.</summary>
    public IReadOnlyList<byte[]> JpegSegments()
    {
        var original = JpegHeaderSegments(Templates.For("jpg").Bytes).Select(Convert.ToBase64String).ToHashSet();
        return JpegHeaderSegments(File).Where(s => !original.Contains(Convert.ToBase64String(s))).ToList();
    }

    /// <summary>The APPn/COM segments of a JPEG before its first other marker.</summary>
    public static List<byte[]> JpegHeaderSegments(byte[] jpeg)
    {
        var list = new List<byte[]>();
        int p = 2;
        while (p + 4 <= jpeg.Length && jpeg[p] == 0xFF)
        {
            byte marker = jpeg[p + 1];
            if (marker is not ((>= 0xE0 and <= 0xEF) or 0xFE)) break;
            int len = BinaryPrimitives.ReadUInt16BigEndian(jpeg.AsSpan(p + 2));
            list.Add(jpeg.AsSpan(p, 2 + len).ToArray());
            p += 2 + len;
        }
        return list;
    }

    /// <summary>PNG: the chunks (length, type, data, CRC) of types exiftool added to the template.</summary>
    public IReadOnlyList<byte[]> PngChunks()
    {
        var original = PngChunkList(Templates.For("png").Bytes).Select(c => c.type).ToHashSet();
        return PngChunkList(File).Where(c => !original.Contains(c.type) && c.type is not ("IDAT" or "IEND")).Select(c => c.bytes).ToList();
    }

    public static List<(string type, byte[] bytes)> PngChunkList(byte[] png)
    {
        var list = new List<(string, byte[])>();
        for (int p = 8; p + 12 <= png.Length;)
        {
            int len = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(p));
            list.Add((Encoding.ASCII.GetString(png, p + 4, 4), png.AsSpan(p, 12 + len).ToArray()));
            p += 12 + len;
        }
        return list;
    }

    /// <summary>TIFF: the IFD0 entries (12 raw bytes each, little-endian, offsets into <see cref="File"/>) exiftool
    /// added to the template; the file itself must become the first bytes of the output for the offsets to hold.</summary>
    public IReadOnlyList<TiffIfd.Entry> TiffEntries()
    {
        var structure = TiffIfd.ReadFirst(Templates.For("tiff").Bytes).Select(e => e.Tag).ToHashSet();
        return TiffIfd.ReadFirst(File).Where(e => !structure.Contains(e.Tag)).ToList();
    }

    /// <summary>The templates (a 1 × 1 TIFF, PNG and 8 × 8 JPEG without metadata), written once per process into a
    /// private temporary folder.</summary>
    private static class Templates
    {
        public sealed record Template(string Path, byte[] Bytes);

        private static readonly Lazy<string> LazyFolder = new(() =>
        {
            string dir = Directory.CreateTempSubdirectory("imagespace-metadata-").FullName;
            AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { Directory.Delete(dir, true); } catch (IOException) { } };
            return dir;
        });
        public static string Folder => LazyFolder.Value;

        private static readonly Dictionary<string, Template> Made = new();

        public static Template For(string format)
        {
            lock (Made)
            {
                // Checked each time: a long-running farm worker may see /tmp cleaned under it.
                if (Made.TryGetValue(format, out var t) && System.IO.File.Exists(t.Path)) return t;
                Directory.CreateDirectory(Folder);
                string path = System.IO.Path.Combine(Folder, "template." + (format == "tiff" ? "tif" : format));
                byte[] bytes = format == "tiff" ? TinyTiff() : TinyImage(format);
                System.IO.File.WriteAllBytes(path, bytes);
                return Made[format] = new Template(path, bytes);
            }
        }

        private static byte[] TinyImage(string format)
        {
            int side = format == "jpg" ? 8 : 1;
            using var image = new Image<Rgb24>(side, side);
            using var ms = new MemoryStream();
            if (format == "jpg") image.SaveAsJpeg(ms); else image.SaveAsPng(ms);
            return ms.ToArray();
        }

        private static byte[] TinyTiff()
        {
            using var ms = new MemoryStream();
            using (var tif = Tiff.ClientOpen("template", "w", ms, new TiffStream()))
            {
                tif.SetField(TiffTag.IMAGEWIDTH, 1);
                tif.SetField(TiffTag.IMAGELENGTH, 1);
                tif.SetField(TiffTag.SAMPLESPERPIXEL, 3);
                tif.SetField(TiffTag.BITSPERSAMPLE, 8);
                tif.SetField(TiffTag.PHOTOMETRIC, Photometric.RGB);
                tif.SetField(TiffTag.PLANARCONFIG, PlanarConfig.CONTIG);
                tif.SetField(TiffTag.COMPRESSION, Compression.NONE);
                tif.SetField(TiffTag.ROWSPERSTRIP, 1);
                tif.WriteScanline(new byte[3], 0);
                tif.WriteDirectory();
            }
            return ms.ToArray();
        }
    }
}
