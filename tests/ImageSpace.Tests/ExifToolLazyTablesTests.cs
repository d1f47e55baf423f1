using ImageSpace.Core.Color;

namespace ImageSpace.Tests;

/// <summary>exiftool started through imagespace-exiftool.pl (which skips compiling tag tables a copy cannot use) must
/// lay out exactly the metadata plain exiftool does: same bytes for every source and output format, one process each
/// serving all of them in turn, as in a batch.</summary>
public class ExifToolLazyTablesTests
{
    [SkippableFact]
    public void Lazy_tag_tables_give_the_same_metadata_bytes_as_plain_exiftool()
    {
        Skip.IfNot(ExternalTools.Has("exiftool"), "exiftool not installed");
        using var dir = new TempDir();
        string dng = dir["synthetic.dng"];
        MetadataTests.WriteNikonDng(dng, 64, 48);
        var sources = new List<string> { dng };
        // Cameras of many makes (their maker notes load their own modules), a JPEG and a TIFF scan, when present.
        if (TestData.Root is { } root)
        {
            sources.AddRange(Directory.EnumerateFiles(Path.Combine(root, "raw"), "*", SearchOption.AllDirectories).Order());
            sources.AddRange(new[] { "charts/karnehen_Canon350D_ClassicMini_seeds.jpg", "charts/isetcam_FruitMCC_6500.tif" }
                .Select(f => Path.Combine(root, f)).Where(File.Exists));
        }
        var cases = sources.SelectMany(_ => new[] { ("tiff", "srgb"), ("tiff", "prophoto"), ("jpg", "srgb"), ("jpg", "adobe-rgb"), ("png", "display-p3") },
            (source, c) => (source, format: c.Item1, space: OutputColorSpace.ByName(c.Item2))).ToList();

        using var plain = new ExifTool(lazyTables: false);
        using var lazy = new ExifTool(lazyTables: true);
        Assert.False(plain.UsesLazyTables);
        Assert.True(lazy.UsesLazyTables, $"{ExifTool.LazyTablesLauncher} should be beside the tests and exiftool a Perl script");
        int compared = 0;
        foreach (var (source, format, space) in cases)
        {
            var arguments = MetadataTags.Arguments(source, format, space, $"Image Space: {space.Description}, from {Path.GetFileName(source)}");
            byte[]? expected = Try(() => OutputMetadata.Prepare(format, arguments, space, plain).File);
            byte[]? actual = Try(() => OutputMetadata.Prepare(format, arguments, space, lazy).File);
            Assert.True((expected is null) == (actual is null), $"{Path.GetFileName(source)} → {format}: one exiftool failed, the other did not");
            if (expected is null) continue; // both refused the file (a truncated sample): equal as well
            Assert.True(expected.AsSpan().SequenceEqual(actual), $"{Path.GetFileName(source)} → {format} {space.Id}: metadata differs from plain exiftool's");
            compared++;
        }
        Assert.True(compared >= 5, $"only {compared} outputs compared");
    }

    private static byte[]? Try(Func<byte[]> f)
    {
        try { return f(); }
        catch (IOException) { return null; }
    }
}
