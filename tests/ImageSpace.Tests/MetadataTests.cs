using ImageSpace.Core.Synthetic;

namespace ImageSpace.Tests;

public class MetadataTests
{
    [SkippableTheory]
    [InlineData("jpg")]
    [InlineData("png")]
    [InlineData("tiff")]
    public void Exif_and_gps_survive_into_the_output(string format)
    {
        Skip.IfNot(ExternalTools.Has("exiftool"), "exiftool not installed");
        using var dir = new TempDir();
        string dng = dir["shot.dng"];
        SyntheticDng.Write(dng, new SceneParameters { Width = 400, Height = 300, HasChart = false, Camera = "nikon-d5100" }, new DngInfo
        {
            Make = "NIKON CORPORATION", Model = "NIKON D5100", LensModel = "AF-S DX 18-55mm f/3.5-5.6G VR",
            FocalLength = 35, FNumber = 5.6, ExposureTime = 1.0 / 200, Iso = 400,
            DateTimeOriginal = new DateTime(2025, 3, 14, 9, 26, 53), Gps = (-33.8568, 151.2153, 58.5),
        });
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
}
