using System.Buffers.Binary;
using System.Text;
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

    /// <summary>Starts exiftool on the RAW now (it runs in its own process while this one works on the pixels).
    /// On a thread of its own: it blocks on exiftool for most of its time, and on the thread pool it waited behind the
    /// other blocking work of a batch's first images (the LibRaw helpers' readers, the kernel warm-up) while exiftool
    /// sat idle: the first images of a 2-thread batch took 2.3 s instead of 1.2 s (issue 17).</summary>
    public static Task<OutputMetadata> PrepareAsync(string format, IReadOnlyList<string> arguments, Color.OutputColorSpace space) =>
        Task.Factory.StartNew(() => Prepare(format, arguments, space), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary><paramref name="space"/>: the output's colour space, whose EXIF ColorSpace the TIFF template carries
    /// (<see cref="MetadataTags.Arguments"/> sets nothing by name for a TIFF).</summary>
    public static OutputMetadata Prepare(string format, IReadOnlyList<string> arguments, Color.OutputColorSpace space)
    {
        OutputMetadata? made = null;
        ExifTool.Use(e => made = Prepare(format, arguments, space, e));
        return made!;
    }

    /// <summary><see cref="Prepare(string, IReadOnlyList{string}, Color.OutputColorSpace)"/> with a given exiftool process.</summary>
    internal static OutputMetadata Prepare(string format, IReadOnlyList<string> arguments, Color.OutputColorSpace space, ExifTool exifTool)
    {
        var template = Templates.For(format, MetadataTags.ExifColorSpace(space).colorSpace);
        string output = Path.Combine(Templates.Folder, $"{Guid.NewGuid():N}{Path.GetExtension(template.Path)}");
        try
        {
            exifTool.WriteCopy(arguments, template.Path, output);
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
        var original = JpegHeaderSegments(Templates.For("jpg", 0).Bytes).Select(Convert.ToBase64String).ToHashSet();
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
        var original = PngChunkList(Templates.For("png", 0).Bytes).Select(c => c.type).ToHashSet();
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
    /// added to the template, and the EXIF IFD's pointer; the file itself must become the first bytes of the output for
    /// the offsets to hold.</summary>
    public IReadOnlyList<TiffIfd.Entry> TiffEntries()
    {
        var structure = TiffIfd.ReadFirst(Templates.For("tiff", 0).Bytes).Select(e => e.Tag).Where(t => t != ExifIfdTag).ToHashSet();
        return TiffIfd.ReadFirst(File).Where(e => !structure.Contains(e.Tag)).ToList();
    }

    private const ushort ExifIfdTag = 0x8769;

    /// <summary>The templates (a 1 × 1 TIFF whose only metadata is an EXIF IFD with the output's ColorSpace, a 1 × 1
    /// PNG and an 8 × 8 JPEG without metadata), written once per process into a private temporary folder.</summary>
    private static class Templates
    {
        public sealed record Template(string Path, byte[] Bytes);

        private static readonly Lazy<string> LazyFolder = new(() =>
        {
            RemoveAbandoned();
            string dir = Directory.CreateTempSubdirectory($"{Prefix}{Environment.ProcessId}-").FullName;
            AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { Directory.Delete(dir, true); } catch (IOException) { } };
            return dir;
        });

        private const string Prefix = "imagespace-metadata-";

        /// <summary>A killed process (SIGKILL, a crash) cannot delete its folder: the next one deletes the folders of
        /// processes that no longer run, once untouched for an hour (another PID namespace sharing /tmp may see a live
        /// process as gone; its folder changes with every image it writes).</summary>
        private static void RemoveAbandoned()
        {
            try
            {
                foreach (var d in new DirectoryInfo(Path.GetTempPath()).EnumerateDirectories(Prefix + "*"))
                {
                    var age = DateTime.UtcNow - d.LastWriteTimeUtc;
                    bool abandoned = d.Name[Prefix.Length..].Split('-') switch
                    {
                        // Versions before the process id was in the name: a day unused (a live one is made again when
                        // its process next needs it, see Templates.For).
                        [_] => age >= TimeSpan.FromDays(1),
                        [var id, _] => int.TryParse(id, out int pid) && !Directory.Exists($"/proc/{pid}") && age >= TimeSpan.FromHours(1),
                        _ => false,
                    };
                    if (!abandoned) continue;
                    try { d.Delete(true); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        public static string Folder => LazyFolder.Value;

        private static readonly Dictionary<string, Template> Made = new();

        /// <summary><paramref name="exifColorSpace"/>: the TIFF template's EXIF ColorSpace (ignored for the others).</summary>
        public static Template For(string format, ushort exifColorSpace)
        {
            lock (Made)
            {
                string name = format == "tiff" ? $"template-{exifColorSpace}.tif" : "template." + format;
                // Checked each time: a long-running farm worker may see /tmp cleaned under it.
                if (Made.TryGetValue(name, out var t) && System.IO.File.Exists(t.Path)) return t;
                Directory.CreateDirectory(Folder);
                string path = System.IO.Path.Combine(Folder, name);
                byte[] bytes = format == "tiff" ? TinyTiff(exifColorSpace) : TinyImage(format);
                System.IO.File.WriteAllBytes(path, bytes);
                return Made[name] = new Template(path, bytes);
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

        /// <summary>A 1 × 1 RGB 8-bit TIFF (TIFF 6.0 §8 baseline entries, little-endian) with an EXIF IFD (EXIF 2.32
        /// §4.6.3) holding ColorSpace and the two tags EXIF requires there (ExifVersion 0232, FlashpixVersion 0100, as
        /// exiftool writes them when it creates the IFD; not ComponentsConfiguration, which exiftool's validator says
        /// is not allowed in TIFF): exiftool adds the copied EXIF tags to that IFD, and no tag has to be set by name
        /// (see <see cref="MetadataTags.Arguments"/>). Written by hand: LibTiff.NET cannot create an EXIF IFD.</summary>
        private static byte[] TinyTiff(ushort exifColorSpace)
        {
            const ushort Undefined = 7, Short = 3, Long = 4;
            const int ifd0 = 8, ifd0Entries = 11, bitsAt = ifd0 + 2 + 12 * ifd0Entries + 4, exifAt = bitsAt + 6,
                pixelsAt = exifAt + 2 + 3 * 12 + 4, length = pixelsAt + 3;
            var b = new byte[length];
            "II"u8.CopyTo(b);
            BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(2), 42);
            BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4), ifd0);
            int p = ifd0;
            void Entry(ushort tag, ushort type, uint count, uint value)
            {
                BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(p), tag);
                BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(p + 2), type);
                BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(p + 4), count);
                // A SHORT value sits in the first two bytes of the value field (TIFF 6.0 §2, "Value/Offset").
                if (type == Short && count == 1) BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(p + 8), (ushort)value);
                else BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(p + 8), value);
                p += 12;
            }
            BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(p), ifd0Entries); p += 2;
            Entry(256, Short, 1, 1);            // ImageWidth
            Entry(257, Short, 1, 1);            // ImageLength
            Entry(258, Short, 3, bitsAt);       // BitsPerSample 8, 8, 8
            Entry(259, Short, 1, 1);            // Compression: none
            Entry(262, Short, 1, 2);            // PhotometricInterpretation: RGB
            Entry(273, Long, 1, pixelsAt);      // StripOffsets
            Entry(277, Short, 1, 3);            // SamplesPerPixel
            Entry(278, Short, 1, 1);            // RowsPerStrip
            Entry(279, Long, 1, 3);             // StripByteCounts
            Entry(284, Short, 1, 1);            // PlanarConfiguration: contiguous
            Entry(ExifIfdTag, Long, 1, exifAt); // ExifIFD
            p += 4;                             // no next IFD
            for (int i = 0; i < 3; i++) BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(bitsAt + 2 * i), 8);
            p = exifAt;
            BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(p), 3); p += 2;
            Entry(0x9000, Undefined, 4, BinaryPrimitives.ReadUInt32LittleEndian("0232"u8)); // ExifVersion
            Entry(0xA000, Undefined, 4, BinaryPrimitives.ReadUInt32LittleEndian("0100"u8)); // FlashpixVersion
            Entry(0xA001, Short, 1, exifColorSpace);                                       // ColorSpace
            return b;
        }
    }
}
