using System.Text.Json;
using BitMiracle.LibTiff.Classic;
using ImageSpace.Core.Synthetic;

namespace ImageSpace.Tests;

public class CliTests
{
    [Fact]
    public void Info_json_reports_exif_basics()
    {
        using var dir = new TempDir();
        string dng = dir["a.dng"];
        SyntheticDng.Write(dng, new SceneParameters { Width = 300, Height = 200, HasChart = false }, new DngInfo
        {
            Make = "Acme", Model = "Scanner 9", ExposureTime = 1.0 / 250, FNumber = 5.6, Iso = 400, FocalLength = 35,
            LensModel = "Acme 35mm f/2", DateTimeOriginal = new DateTime(2023, 7, 1, 14, 15, 16),
        });
        var r = Cli.Run("info", dng, "--json");
        Assert.Equal(0, r.ExitCode);
        var o = JsonDocument.Parse(r.Stdout).RootElement[0];
        Assert.Equal("Acme", o.GetProperty("make").GetString());
        Assert.Equal("Scanner 9", o.GetProperty("model").GetString());
        Assert.Equal("Acme 35mm f/2", o.GetProperty("lens").GetString());
        Assert.Equal(400, o.GetProperty("iso").GetDouble());
        Assert.Equal(0.004, o.GetProperty("exposure_time").GetDouble(), 6);
        Assert.Equal(5.6, o.GetProperty("f_number").GetDouble(), 3);
        Assert.Equal(35, o.GetProperty("focal_length").GetDouble(), 3);
        Assert.Equal("2023-07-01T14:15:16", o.GetProperty("date_time_original").GetString());
        Assert.Equal(300, o.GetProperty("width").GetInt32());
        Assert.Equal("RGGB", o.GetProperty("cfa").GetString());
    }

    [Fact]
    public void Sample_then_process_writes_16_bit_tiffs_with_the_decoded_values()
    {
        using var dir = new TempDir();
        var s = Cli.Run("sample", dir["sample"], "--width", "900", "--height", "600");
        // A folder that is not empty is written into only with --force; a file is no folder.
        var again = Cli.Run("sample", dir["sample"], "--width", "900", "--height", "600");
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("is not empty (use --force", again.Stderr);
        File.WriteAllText(dir["file"], "x");
        Assert.Contains($"{dir["file"]}: is a file, not a folder", Cli.Run("sample", dir["file"]).Stderr);
        Assert.Equal(0, s.ExitCode);
        var truth = JsonDocument.Parse(File.ReadAllText(dir["sample/truth.json"])).RootElement.GetProperty("frames");
        Assert.Equal(5, truth.GetArrayLength());
        Assert.Equal(2, truth.EnumerateArray().Count(f => f.GetProperty("has_chart").GetBoolean()));

        var r = Cli.Run("process", dir["sample"], "-o", dir["out"], "--colorspace", "linear-rec2020");
        Assert.Equal(0, r.ExitCode);
        string tif = dir["out/turntable_A/objA_0001.tif"];
        Assert.True(File.Exists(tif));
        // linear-rec2020 is the working space itself: the file holds the decoded values, clipped and rounded.
        var expected = RawDecoder.Decode(dir["sample/turntable_A/objA_0001.dng"], new DecodeOptions()).Image;
        using var t = Tiff.Open(tif, "r");
        Assert.Equal(16, t.GetField(TiffTag.BITSPERSAMPLE)[0].ToInt());
        Assert.Equal(900, t.GetField(TiffTag.IMAGEWIDTH)[0].ToInt());
        var row = new byte[900 * 6];
        t.ReadScanline(row, 300);
        for (int x = 0; x < 900; x += 37)
        {
            float v = expected.G[300 * 900 + x];
            ushort q = (ushort)(Math.Clamp(v, 0f, 1f) * 65535f + 0.5f);
            Assert.Equal(q, BitConverter.ToUInt16(row, 6 * x + 2));
        }
    }
}
