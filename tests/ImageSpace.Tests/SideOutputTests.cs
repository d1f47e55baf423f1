using ImageSpace.Core.Synthetic;

namespace ImageSpace.Tests;

/// <summary>Profiles, LUTs, matrices, roll profiles and exposure recipes are written only where nothing is, or with
/// --force, and never over an input (a tester's RAWs were replaced by `calibrate x.dng --cube x.dng` and by
/// `film analyze DIR -o DIR/frame.dng`).</summary>
public class SideOutputTests
{
    [Fact]
    public void Side_outputs_never_replace_an_input_and_replace_other_files_only_with_force()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["set"]);
        string chart = dir["set/chart.dng"], plain = dir["set/plain.dng"];
        SyntheticDng.Write(chart, new SceneParameters { Width = 900, Height = 600, PatchPitch = 50, Seed = 3 });
        SyntheticDng.Write(plain, new SceneParameters { Width = 600, Height = 400, HasChart = false, Seed = 4 });
        byte[] chartBytes = File.ReadAllBytes(chart), plainBytes = File.ReadAllBytes(plain);

        // An input, named as it is or as a file of an input folder: refused even with --force, before any work.
        foreach (var args in new[]
        {
            new[] { "calibrate", chart, "--cube", chart, "--force" },
            ["calibrate", chart, "--matrix", dir["set/../set/chart.dng"]],
            ["calibrate", chart, "-o", chart],
            ["film", "analyze", dir["set"], "-o", plain, "--force"],
            ["exposure", "analyze", dir["set"], "-o", plain, "--force"],
        })
        {
            var r = Cli.Run(args);
            Assert.Equal(2, r.ExitCode);
            Assert.Contains("is one of the inputs", r.Stderr);
        }
        Assert.Equal(chartBytes, File.ReadAllBytes(chart));
        Assert.Equal(plainBytes, File.ReadAllBytes(plain));

        // Another existing file: only with --force.
        File.WriteAllText(dir["keep.json"], "precious");
        var refused = Cli.Run("calibrate", chart, "-o", dir["keep.json"]);
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("keep.json exists (use --force to replace it)", refused.Stderr);
        Assert.Equal("precious", File.ReadAllText(dir["keep.json"]));
        var forced = Cli.Run("calibrate", chart, "-o", dir["keep.json"], "--force");
        Assert.Equal(0, forced.ExitCode);
        Assert.Contains("\"model\"", File.ReadAllText(dir["keep.json"]));

        // Two outputs of one run on one file.
        var twice = Cli.Run("calibrate", chart, "--cube", dir["x.txt"], "--matrix", dir["x.txt"]);
        Assert.Equal(2, twice.ExitCode);
        Assert.Contains("named for two outputs", twice.Stderr);
    }
}
