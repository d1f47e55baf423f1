using ImageSpace.Core.Synthetic;

namespace ImageSpace.Tests;

public class MetadataTests
{
    /// <summary>A synthetic DNG with a camera's usual EXIF: make, model, lens, exposure, date and GPS.</summary>
    internal static void WriteNikonDng(string path, int width, int height) =>
        SyntheticDng.Write(path, new SceneParameters { Width = width, Height = height, HasChart = false, Camera = "nikon-d5100" }, new DngInfo
        {
            Make = "NIKON CORPORATION", Model = "NIKON D5100", LensModel = "AF-S DX 18-55mm f/3.5-5.6G VR",
            FocalLength = 35, FNumber = 5.6, ExposureTime = 1.0 / 200, Iso = 400,
            DateTimeOriginal = new DateTime(2025, 3, 14, 9, 26, 53), Gps = (-33.8568, 151.2153, 58.5),
        });

    [SkippableTheory]
    [InlineData("jpg")]
    [InlineData("png")]
    [InlineData("tiff")]
    public void Exif_and_gps_survive_into_the_output(string format)
    {
        Skip.IfNot(ExternalTools.Has("exiftool"), "exiftool not installed");
        using var dir = new TempDir();
        string dng = dir["shot.dng"];
        WriteNikonDng(dng, 400, 300);
        var r = Cli.Run("process", dng, "-o", dir["out"], "--format", format);
        Assert.True(r.ExitCode == 0, r.Stderr);
        string output = Directory.GetFiles(dir["out"]).Single();
        var t = ExternalTools.ExifTags(output, "Make", "Model", "LensModel", "FocalLength", "FNumber", "ExposureTime", "ISO",
            "DateTimeOriginal", "GPSLatitude", "GPSLongitude", "GPSAltitude", "Orientation", "Software", "DNGVersion", "ColorMatrix1");
        Assert.Equal("NIKON CORPORATION", t["Make"]);
        Assert.Equal("NIKON D5100", t["Model"]);
        Assert.Equal("AF-S DX 18-55mm f/3.5-5.6G VR", t["LensModel"]);
        Assert.Equal(35, double.Parse(t["FocalLength"]), 3);
        Assert.Equal(5.6, double.Parse(t["FNumber"]), 3);
        Assert.Equal(0.005, double.Parse(t["ExposureTime"]), 6);
        Assert.Equal("400", t["ISO"]);
        Assert.Equal("2025:03:14 09:26:53", t["DateTimeOriginal"]);
        Assert.Equal(-33.8568, double.Parse(t["GPSLatitude"]), 4);
        Assert.Equal(151.2153, double.Parse(t["GPSLongitude"]), 4);
        Assert.Equal(58.5, double.Parse(t["GPSAltitude"]), 2);
        Assert.Equal("1", t["Orientation"]);
        Assert.StartsWith("Image Space", t["Software"]);
        Assert.False(t.ContainsKey("DNGVersion"), "DNG structure tags must not be copied into outputs");
        Assert.False(t.ContainsKey("ColorMatrix1"));
    }

    /// <summary>Issue 15: a RAW whose tags describe itself or another tool's rendering (a camera ImageDescription,
    /// ColorSpace sRGB, Orientation 6, Adobe Camera Raw develop settings, a Lightroom edit history) gives outputs whose
    /// tags describe the output: our description, the EXIF colour space of the output's space, Orientation 1, none of
    /// the develop settings; the user's own tags (title, artist, rating, keywords) stay. Read back by exiftool.</summary>
    [SkippableTheory]
    [InlineData("jpg", "prophoto", 65535, null)]
    [InlineData("jpg", "adobe-rgb", 65535, "R03")]
    [InlineData("jpg", "srgb", 1, "R98")]
    [InlineData("tiff", "adobe-rgb", 65535, null)]
    [InlineData("tiff", "srgb", 1, null)]
    [InlineData("png", "display-p3", 65535, null)]
    public void Metadata_is_fitted_to_the_output(string format, string space, int exifColorSpace, string? interop)
    {
        Skip.IfNot(ExternalTools.Has("exiftool"), "exiftool not installed");
        using var dir = new TempDir();
        string dng = dir["shot.dng"];
        SyntheticDng.Write(dng, new SceneParameters { Width = 300, Height = 200, HasChart = false }, new DngInfo { Make = "NIKON CORPORATION", Model = "NIKON D5100" });
        var tag = ExternalTools.Run("exiftool", "-q", "-overwrite_original", "-ImageDescription=OLYMPUS DIGITAL CAMERA", "-ExifIFD:ColorSpace=sRGB",
            "-IFD0:Orientation#=6", "-XMP-crs:Exposure2012=+1.0", "-XMP-crs:WhiteBalance=Custom", "-XMP-xmpMM:HistoryAction=saved",
            "-XMP-xmpMM:HistorySoftwareAgent=Adobe Photoshop Lightroom Classic", "-XMP-dc:Title=Vase, front", "-Artist=Jane Doe",
            "-XMP-xmp:Rating=3", "-IPTC:Keywords=turntable", dng);
        Assert.True(tag.code == 0, tag.stderr);
        var r = Cli.Run("process", dng, "-o", dir["out"], "--format", format, "--colorspace", space);
        Assert.True(r.ExitCode == 0, r.Stderr);
        string output = Directory.GetFiles(dir["out"]).Single();
        var t = ExternalTools.ExifTags(output, "ImageDescription", "ColorSpace", "InteropIndex", "Orientation", "Exposure2012", "WhiteBalance",
            "HistoryAction", "HistorySoftwareAgent", "Title", "Artist", "Rating", "Make", "Software");
        Assert.Equal($"Image Space: {Core.Color.OutputColorSpace.ByName(space).Description}, from shot.dng", t["ImageDescription"]);
        Assert.Equal(exifColorSpace.ToString(), t["ColorSpace"]);
        if (interop is null) Assert.False(t.ContainsKey("InteropIndex"), $"InteropIndex {t.GetValueOrDefault("InteropIndex")}");
        else Assert.Equal(interop, t["InteropIndex"]);
        Assert.Equal("1", t["Orientation"]);
        foreach (var other in new[] { "Exposure2012", "WhiteBalance", "HistoryAction", "HistorySoftwareAgent" })
            Assert.False(t.ContainsKey(other), $"{other} = {t.GetValueOrDefault(other)} was copied from another tool's development");
        Assert.Equal("Vase, front", t["Title"]);
        Assert.Equal("Jane Doe", t["Artist"]);
        Assert.Equal("3", t["Rating"]);
        Assert.Equal("NIKON CORPORATION", t["Make"]);
        Assert.StartsWith("Image Space", t["Software"]);
        if (format != "png") // exiftool reads PNG keywords as XMP only when written there
            Assert.Equal("turntable", ExternalTools.ExifTags(output, "Keywords").GetValueOrDefault("Keywords"));
    }

    /// <summary>Embedding the metadata while writing (instead of exiftool rewriting the file) leaves the pixels and
    /// the file's structure alone: ImageMagick reads the same samples as from the file written without metadata, and
    /// exiftool's validator finds no structural error.</summary>
    [SkippableTheory]
    [InlineData("tiff", "none")]
    [InlineData("tiff", "lzw")]
    [InlineData("jpg", "auto")]
    [InlineData("png", "auto")]
    public void Embedded_metadata_leaves_the_pixels_alone(string format, string compression)
    {
        Skip.IfNot(ExternalTools.Has("exiftool"), "exiftool not installed");
        using var dir = new TempDir();
        string dng = dir["shot.dng"];
        SyntheticDng.Write(dng, new SceneParameters { Width = 320, Height = 240 }, new DngInfo { Gps = (46.0, 7.0, 500) });
        string[] options = compression == "auto" ? ["--format", format] : ["--format", format, "--compression", compression];
        var with = Cli.Run(["process", dng, "-o", dir["with"], .. options]);
        var without = Cli.Run(["process", dng, "-o", dir["without"], .. options, "--no-metadata"]);
        Assert.True(with.ExitCode == 0 && without.ExitCode == 0, with.Stderr + without.Stderr);
        string a = Directory.GetFiles(dir["with"]).Single(), b = Directory.GetFiles(dir["without"]).Single();
        int depth = format == "jpg" ? 8 : 16;
        Assert.Equal(ExternalTools.MagickSamples(b, depth), ExternalTools.MagickSamples(a, depth));
        var v = System.Text.Encoding.UTF8.GetString(ExternalTools.Run("exiftool", "-validate", "-warning", "-a", "-s", "-s", a).stdout);
        Assert.DoesNotContain("Error", v);
        Assert.DoesNotContain("offset", v, StringComparison.OrdinalIgnoreCase);
        // The TIFF's EXIF IFD comes from our template (issue 17): it must hold what EXIF requires and nothing TIFF forbids.
        if (format == "tiff") Assert.DoesNotContain("ExifIFD", v);
        Assert.Equal("46", ExternalTools.ExifTags(a, "GPSLatitude")["GPSLatitude"]);
    }

    /// <summary>A process killed with SIGKILL cannot delete its private metadata folder in /tmp (the test suite's killed
    /// servers left hundreds): the next run deletes those of processes that no longer run, once an hour old, and keeps
    /// a live process's folder and a recently used one.</summary>
    [SkippableFact]
    public void A_killed_process_metadata_folder_is_removed_by_the_next_run()
    {
        Skip.IfNot(ExternalTools.Has("exiftool"), "exiftool not installed");
        using var dir = new TempDir();
        string tmp = dir["tmp"];
        var gone = Enumerable.Range(4_000_000, 1000).Where(p => !Directory.Exists($"/proc/{p}")).Take(2).ToArray();
        string abandoned = Path.Combine(tmp, $"imagespace-metadata-{gone[0]}-abc123");
        string recent = Path.Combine(tmp, $"imagespace-metadata-{gone[1]}-def456");
        string live = Path.Combine(tmp, $"imagespace-metadata-{Environment.ProcessId}-ghi789");
        // Folders of earlier versions have no process id in their name: removed once a day unused.
        string oldFormat = Path.Combine(tmp, "imagespace-metadata-jkl012"), oldFormatRecent = Path.Combine(tmp, "imagespace-metadata-mno345");
        foreach (var d in new[] { abandoned, recent, live, oldFormat, oldFormatRecent })
        {
            Directory.CreateDirectory(d);
            File.WriteAllBytes(Path.Combine(d, "template.jpg"), [1, 2, 3]);
        }
        Directory.SetLastWriteTimeUtc(abandoned, DateTime.UtcNow.AddHours(-2));
        Directory.SetLastWriteTimeUtc(live, DateTime.UtcNow.AddHours(-2));
        Directory.SetLastWriteTimeUtc(oldFormat, DateTime.UtcNow.AddDays(-2));
        Directory.SetLastWriteTimeUtc(oldFormatRecent, DateTime.UtcNow.AddHours(-2));
        string dng = dir["shot.dng"];
        SyntheticDng.Write(dng, new SceneParameters { Width = 64, Height = 48, HasChart = false });

        var r = Cli.RunWithEnv(new Dictionary<string, string> { ["TMPDIR"] = tmp }, "process", dng, "-o", dir["out"], "--format", "jpg");

        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal("ImageSpace", ExternalTools.ExifTags(Directory.GetFiles(dir["out"]).Single(), "Make")["Make"]);
        Assert.False(Directory.Exists(abandoned), "the folder of a process that no longer runs was kept");
        Assert.False(Directory.Exists(oldFormat), "an earlier version's folder unused for two days was kept");
        // What is left: the recent and the live folders; the run's own folder was deleted when it ended.
        Assert.Equal(new[] { live, recent, oldFormatRecent }.Order(), Directory.GetDirectories(tmp, "imagespace-metadata-*").Order());
    }

    /// <summary>exiftool is the first executable one on PATH, as a shell finds it: a file of that name without the
    /// execute permission earlier on PATH is passed over (the launcher used to run it with perl).</summary>
    [SkippableFact]
    public void A_non_executable_exiftool_earlier_on_the_path_is_not_run()
    {
        Skip.IfNot(ExternalTools.Has("exiftool"), "exiftool not installed");
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["bin"]);
        string marker = dir["ran"];
        File.WriteAllText(dir["bin/exiftool"], $"#!/usr/bin/perl\nopen my $f, '>', '{marker}'; close $f; exec '/usr/bin/exiftool', @ARGV;\n");
        File.SetUnixFileMode(dir["bin/exiftool"], UnixFileMode.UserRead | UnixFileMode.UserWrite);
        string dng = dir["shot.dng"];
        WriteNikonDng(dng, 64, 48);
        string path = dir["bin"] + ":" + Environment.GetEnvironmentVariable("PATH");

        var r = Cli.RunWithEnv(new Dictionary<string, string> { ["PATH"] = path }, "process", dng, "-o", dir["out"], "--format", "jpg");

        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.False(File.Exists(marker), "the non-executable exiftool was run");
        Assert.Equal("NIKON D5100", ExternalTools.ExifTags(Directory.GetFiles(dir["out"]).Single(), "Model")["Model"]);
    }
}
