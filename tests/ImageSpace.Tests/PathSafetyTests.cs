using System.Text.Json;
using ImageSpace.Core.Batch;
using ImageSpace.Core.Pipeline;
using ImageSpace.Core.Synthetic;

namespace ImageSpace.Tests;

/// <summary>Links do not carry reads or writes outside the folders a run was given (issue 15).</summary>
public class PathSafetyTests
{
    private static void Shoot(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        SyntheticDng.Write(path, new SceneParameters { Width = 200, Height = 150, HasChart = false });
    }

    [Fact]
    public void A_linked_folder_above_a_new_output_folder_cannot_take_outputs_outside_the_root()
    {
        using var dir = new TempDir();
        Shoot(dir["in/A/x.dng"]);
        Shoot(dir["in/B/y.dng"]);
        Directory.CreateDirectory(dir["out"]);
        Directory.CreateDirectory(dir["elsewhere"]);
        File.CreateSymbolicLink(dir["out/A"], dir["elsewhere"]); // "[s]" names the link, "sub" is created through it

        var r = Cli.Run("process", dir["in"], "-o", dir["out"], "--naming", "[s]/sub/[o]", "--format", "jpg", "--no-metadata");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"{dir["in/A/x.dng"]}: name 'A/sub/x.jpg' leads outside the output folder through a link (to {dir["elsewhere/sub"]})", r.Stderr);
        Assert.Contains("nothing was written", r.Stderr);
        Assert.Empty(Directory.GetFileSystemEntries(dir["elsewhere"]));
        Assert.False(Directory.Exists(dir["out/B"]));

        // A root that is itself reached through a link is fine: the check compares real paths on both sides.
        File.CreateSymbolicLink(dir["linked-out"], dir["real-out"]);
        Directory.CreateDirectory(dir["real-out"]);
        Assert.Equal(0, Cli.Run("process", dir["in/B"], "-o", dir["linked-out"], "--naming", "[o]/sub/[o]", "--format", "jpg", "--no-metadata").ExitCode);
        Assert.True(File.Exists(dir["real-out/y/sub/y.jpg"]));
    }

    [Fact]
    public void Resolve_compares_real_paths()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["out"]);
        Directory.CreateDirectory(dir["elsewhere"]);
        File.CreateSymbolicLink(dir["out/link"], dir["elsewhere"]);
        Directory.CreateDirectory(dir["out/real"]);
        Assert.Equal(dir["out/real/new/x.tif"], NamingSchema.Resolve(dir["out"], "real/new/x.tif"));
        var e = Assert.Throws<ArgumentException>(() => NamingSchema.Resolve(dir["out"], "link/new/x.tif"));
        Assert.Contains("through a link", e.Message);
        Assert.Throws<ArgumentException>(() => NamingSchema.Resolve(dir["out"], "link/x.tif"));
    }

    [Fact]
    public void Hidden_and_empty_names_are_refused()
    {
        var ctx = new NamingContext("shoot", "objA", "IMG_1", "", 1, ".jpg");
        Assert.Throws<ArgumentException>(() => NamingSchema.Parse("[c][e]").Render(ctx));          // ".jpg"
        Assert.Throws<ArgumentException>(() => NamingSchema.Parse("[s]/[c]").Render(ctx));         // "objA/.jpg"
        Assert.Throws<ArgumentException>(() => NamingSchema.Parse(".[o][e]").Render(ctx));         // a hidden file
        Assert.Throws<ArgumentException>(() => NamingSchema.Parse("[c].cache/[o]").Render(ctx));   // a hidden folder
        Assert.Equal("objA/IMG_1.jpg", NamingSchema.Parse("[s]/[c][o][e]").Render(ctx));
    }

    [Fact]
    public void Scanning_refuses_links_to_files_outside_the_input_and_does_not_follow_link_loops()
    {
        using var dir = new TempDir();
        Shoot(dir["in/A/x.dng"]);
        Shoot(dir["private/secret.dng"]);
        Shoot(dir["other/z.dng"]);
        File.CreateSymbolicLink(dir["in/A/leak.dng"], dir["private/secret.dng"]);
        File.CreateSymbolicLink(dir["in/A/loop"], dir["in"]);     // in/A/loop/A/loop/… forever
        File.CreateSymbolicLink(dir["in/ext"], dir["other"]);     // a folder elsewhere
        File.CreateSymbolicLink(dir["in/A/same.dng"], dir["in/A/x.dng"]); // a link inside the input: allowed

        var ds = DatasetScanner.Scan([dir["in"]], new GroupingOptions());
        Assert.Equal(["A/same.dng", "A/x.dng"], ds.Files.Select(f => f.RelativePath).Order().ToArray());
        Assert.Equal(2, ds.Errors.Count);
        Assert.Contains($"{dir["in/A/leak.dng"]}: a link to {dir["private/secret.dng"]}, outside the input folder; refused (give the file itself)", ds.Errors);
        Assert.Contains(ds.Errors, e => e.StartsWith($"{dir["in/ext"]}: a link to the folder {dir["other"]} outside the input folder", StringComparison.Ordinal));

        // The CLI: scan lists each file once and says why the others are not taken; process renders only the real ones.
        var scan = Cli.Run("scan", dir["in"], "--json");
        Assert.Equal(1, scan.ExitCode);
        var json = JsonDocument.Parse(scan.Stdout).RootElement;
        Assert.Equal(2, json.GetProperty("total").GetInt32());
        Assert.Contains("leak.dng: a link to", scan.Stderr);
        var p = Cli.Run("process", dir["in"], "-o", dir["out"], "--format", "jpg", "--no-metadata");
        Assert.Equal(1, p.ExitCode);
        Assert.Equal(["same.jpg", "x.jpg"], Directory.GetFiles(dir["out/A"]).Select(f => Path.GetFileName(f)).Order().ToArray());
    }

    [Fact]
    public void A_file_named_on_the_command_line_that_links_elsewhere_is_refused()
    {
        using var dir = new TempDir();
        Shoot(dir["private/secret.dng"]);
        Directory.CreateDirectory(dir["in"]);
        File.CreateSymbolicLink(dir["in/leak.dng"], dir["private/secret.dng"]);
        var ds = DatasetScanner.Scan([dir["in/leak.dng"]], new GroupingOptions());
        Assert.Empty(ds.Files);
        Assert.Equal([$"{dir["in/leak.dng"]}: a link to {dir["private/secret.dng"]}, outside the input folder; refused (give the file itself)"], ds.Errors);
    }
}
