using BitMiracle.LibTiff.Classic;
using ImageSpace.Core.Color;
using ImageSpace.Core.Imaging;

namespace ImageSpace.Tests;

/// <summary>How outputs are opened and patched: a new file without the truncate that made ext4 write it back on close,
/// an existing one replaced whole, and a TIFF's new first IFD on a word boundary without truncating the file.</summary>
public class OutputFileTests
{
    [Fact]
    public void Create_makes_a_new_file_and_replaces_an_existing_one_whole()
    {
        string dir = Directory.CreateTempSubdirectory("imagespace-create-").FullName;
        try
        {
            string path = Path.Combine(dir, "a.bin");
            using (var fs = AtomicFile.Create(path, FileAccess.Write, 4096)) fs.Write(new byte[] { 1, 2, 3, 4, 5 });
            Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, File.ReadAllBytes(path));
            using (var fs = AtomicFile.Create(path, FileAccess.Write, 4096)) fs.Write(new byte[] { 9, 8 });
            Assert.Equal(new byte[] { 9, 8 }, File.ReadAllBytes(path));
        }
        finally { Directory.Delete(dir, true); }
    }

    /// <summary>The batch's first RAW has its metadata started while the inputs are scanned; that file's own request
    /// takes the started work over (one exiftool command, not two), and any other file or option starts its own.</summary>
    [SkippableFact]
    public void Metadata_started_early_is_taken_over_by_the_same_request_only()
    {
        Skip.IfNot(ExifTool.IsAvailable, "exiftool is not installed");
        using var dir = new TempDir();
        ImageSpace.Core.Synthetic.DngWriter.Write(dir["a.dng"], new ushort[16 * 16], 16, 16, new() { Model = "first" });
        ImageSpace.Core.Synthetic.DngWriter.Write(dir["b.dng"], new ushort[16 * 16], 16, 16, new() { Model = "second" });
        var tiff = new ExportOptions { Format = "tiff" };
        var early = OutputEncoder.StartMetadataEarly(dir["a.dng"], tiff);
        var other = OutputEncoder.StartMetadata(dir["b.dng"], tiff);
        var otherOptions = OutputEncoder.StartMetadata(dir["a.dng"], tiff with { ColorSpace = "adobe-rgb" });
        var taken = OutputEncoder.StartMetadata(Path.Combine(dir.Path, ".", "a.dng"), tiff);
        var again = OutputEncoder.StartMetadata(dir["a.dng"], tiff);
        Assert.NotNull(early);
        Assert.Same(early, taken);
        Assert.NotSame(taken, again);
        Assert.NotSame(taken, other);
        Assert.NotSame(taken, otherOptions);
        // The early result is the file's own metadata, byte for byte what a fresh request gives.
        Assert.Equal(again!.Result.File, taken!.Result.File);
        Assert.NotEqual(other!.Result.File, otherOptions!.Result.File);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void A_new_first_IFD_lands_on_a_word_boundary_and_LibTiff_reads_the_added_entry(int trailingBytes)
    {
        string dir = Directory.CreateTempSubdirectory("imagespace-ifd-").FullName;
        try
        {
            string path = Path.Combine(dir, "a.tif");
            using (var img = new RgbImage(2, 1, [0.25f, 1f], [0.5f, 0f], [0.75f, 0f]))
                TiffWriter.Write(path, img, new Quantizer(TransferFunction.Linear), 16, Compression.NONE, null, "test");
            using (var fs = new FileStream(path, FileMode.Append)) fs.Write(new byte[(fs.Length & 1) + trailingBytes]);
            long before = new FileInfo(path).Length;
            Assert.Equal(trailingBytes, (int)(before & 1));

            // Copyright (33432), ASCII, 3 bytes held in the entry itself: "ab\0".
            var entry = new byte[12];
            BitConverter.GetBytes((ushort)33432).CopyTo(entry, 0);
            BitConverter.GetBytes((ushort)2).CopyTo(entry, 2);
            BitConverter.GetBytes(3u).CopyTo(entry, 4);
            "ab\0"u8.ToArray().CopyTo(entry, 8);
            using (var fs = new FileStream(path, FileMode.Open, FileAccess.ReadWrite))
                TiffIfd.AddToFirst(fs, [new TiffIfd.Entry(33432, entry)]);

            var bytes = File.ReadAllBytes(path);
            uint ifd = BitConverter.ToUInt32(bytes, 4);
            Assert.Equal(0u, ifd & 1);
            Assert.Equal((before + 1) & ~1L, ifd); // appended after the old end, padded by one byte only when odd
            using var tif = Tiff.Open(path, "r")!;
            Assert.Equal("ab", tif.GetField(TiffTag.COPYRIGHT)[0].ToString());
            Assert.Equal("test", tif.GetField(TiffTag.IMAGEDESCRIPTION)[0].ToString());
            var row = new byte[2 * 3 * 2];
            Assert.True(tif.ReadScanline(row, 0));
            Assert.Equal((ushort)Math.Round(0.25 * 65535), BitConverter.ToUInt16(row, 0));
            Assert.Equal((ushort)65535, BitConverter.ToUInt16(row, 6));
        }
        finally { Directory.Delete(dir, true); }
    }
}
