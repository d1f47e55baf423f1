using ImageSpace.Core.Synthetic;

namespace ImageSpace.Tests;

public class BadInputTests
{
    [SkippableFact]
    public void Every_bad_file_gets_one_line_and_the_batch_carries_on()
    {
        Skip.If(TestData.Root is null, TestData.MissingReason);
        using var dir = new TempDir();
        string inDir = Directory.CreateDirectory(dir["in"]).FullName;
        string good = Path.Combine(inDir, "good.dng");
        SyntheticDng.Write(good, new SceneParameters { Width = 400, Height = 300, PatchPitch = 30 });
        File.WriteAllText(Path.Combine(inDir, "text.NEF"), "this is not a raw file\n");
        File.WriteAllBytes(Path.Combine(inDir, "empty.CR2"), []);
        string emptyFolder = Directory.CreateDirectory(dir["no-raws"]).FullName;
        File.WriteAllText(Path.Combine(emptyFolder, "notes.txt"), "hello");
        var bad = Directory.GetFiles(Path.Combine(TestData.Root!, "raw", "metadata-only"))
            .Append(Path.Combine(TestData.Root!, "raw", "gopro_HERO6_GOPR0024.GPR")).ToList();
        string outDir = dir["out"];

        // [n] keeps the three Canon test files (same stem) apart: colliding names would stop the whole batch.
        var r = Cli.Run(["process", inDir, emptyFolder, .. bad, "-o", outDir, "--naming", "[o]_[n2]", "--no-metadata"]);

        Assert.Equal(1, r.ExitCode);
        var errorLines = r.Stderr.Split('\n').Where(l => l.StartsWith("error:")).ToList();
        foreach (var f in bad.Append(Path.Combine(inDir, "text.NEF")).Append(Path.Combine(inDir, "empty.CR2")))
        {
            // Exactly one line per file, naming it and giving a reason.
            var line = Assert.Single(errorLines, l => l.StartsWith($"error: {f}: "));
            Assert.True(line.Length > $"error: {f}: ".Length + 5, $"no reason in: {line}");
        }
        Assert.Single(errorLines, l => l.Contains(emptyFolder) && l.Contains("no RAW files"));
        var written = Directory.GetFiles(outDir, "*", SearchOption.AllDirectories);
        var only = Assert.Single(written); // no partial outputs, no temp files
        Assert.Matches(@"good_\d\d\.tif$", only);
    }

    /// <summary>A short text file named .nef was called "truncated or unreadable" (LibRaw answers "Input/output
    /// error" for any file under 64 bytes): it is not a RAW, and says so; a RAW cut short still says truncated. Each
    /// gets one line naming it, and the rest of the batch is written.</summary>
    [Fact]
    public void A_text_file_named_nef_is_not_a_raw_and_a_cut_raw_is_truncated_each_on_its_line()
    {
        using var dir = new TempDir();
        string inDir = Directory.CreateDirectory(dir["in"]).FullName;
        SyntheticDng.Write(Path.Combine(inDir, "good.dng"), new SceneParameters { Width = 200, Height = 150, HasChart = false });
        string cut = Path.Combine(inDir, "cut.dng"), text = Path.Combine(inDir, "notes.nef"), junk = Path.Combine(inDir, "junk.NEF");
        SyntheticDng.Write(cut, new SceneParameters { Width = 200, Height = 150, HasChart = false, Seed = 2 });
        File.WriteAllBytes(cut, File.ReadAllBytes(cut)[..40]); // an interrupted copy: only the start of the header
        File.WriteAllText(text, "this is not a raw file\n");
        File.WriteAllBytes(junk, [.. Enumerable.Range(0, 50).Select(i => (byte)(i * 37 + 11))]);

        var r = Cli.Run("process", inDir, "-o", dir["out"], "--format", "jpg", "--no-metadata");

        Assert.Equal(1, r.ExitCode);
        var errorLines = r.Stderr.Split('\n').Where(l => l.StartsWith("error:", StringComparison.Ordinal)).ToList();
        foreach (var notRaw in new[] { text, junk })
        {
            var line = Assert.Single(errorLines, l => l.StartsWith($"error: {notRaw}: ", StringComparison.Ordinal));
            Assert.Contains("not a RAW file", line);
            Assert.DoesNotContain("truncated", line);
        }
        Assert.Contains("truncated", Assert.Single(errorLines, l => l.StartsWith($"error: {cut}: ", StringComparison.Ordinal)));
        Assert.Equal(["good.jpg"], Directory.GetFiles(dir["out"], "*", SearchOption.AllDirectories).Select(Path.GetFileName));
    }

    [Fact]
    public void A_crashing_decoder_fails_only_its_file()
    {
        using var dir = new TempDir();
        string fake = dir["crash.sh"];
        File.WriteAllText(fake, "#!/bin/sh\nkill -SEGV $$\n");
        File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string dng = dir["x.dng"];
        SyntheticDng.Write(dng, new SceneParameters { Width = 200, Height = 200, HasChart = false });
        var r = Cli.RunWithEnv(new Dictionary<string, string> { ["IMAGESPACE_LIBRAW_HELPER"] = fake }, "process", dng, "-o", dir["out"]);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("decoder crashed (signal 11)", r.Stdout + r.Stderr);
    }

    [Fact]
    public void Usage_errors_exit_2_and_version_prints()
    {
        Assert.Equal(2, Cli.Run("process", "--no-such-option").ExitCode);
        Assert.Equal(2, Cli.Run("process", "x.dng", "-o", "/tmp/x", "--wb", "purple").ExitCode);
        var v = Cli.Run("--version");
        Assert.Equal(0, v.ExitCode);
        Assert.Matches(@"^\d+\.\d+\.\d+", v.Stdout.Trim());
        foreach (var cmd in new[] { "info", "process", "sample" })
        {
            var h = Cli.Run(cmd, "--help");
            Assert.Equal(0, h.ExitCode);
            Assert.Contains("Usage:", h.Stdout);
        }
    }

    /// <summary>--overwrite never replaces an input, also when the output folder is the input folder through a link,
    /// or the inputs are given through one (a tester's scans were replaced that way).</summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void An_output_folder_that_is_the_input_folder_through_a_link_is_refused(bool linkedOutput)
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["scans"]);
        // A folder of scans (no RAW in it): a DNG named .tif, whose output name is its own.
        SyntheticDng.Write(dir["scans/frame.tif"], new SceneParameters { Width = 200, Height = 200, HasChart = false });
        byte[] before = File.ReadAllBytes(dir["scans/frame.tif"]);
        File.CreateSymbolicLink(dir["link"], dir["scans"]);
        var r = linkedOutput
            ? Cli.Run("process", dir["scans"], "-o", dir["link"], "--overwrite", "--no-metadata")
            : Cli.Run("process", dir["link"], "-o", dir["scans"], "--overwrite", "--no-metadata");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("would overwrite an input", r.Stderr);
        Assert.Equal(before, File.ReadAllBytes(dir["scans/frame.tif"]));
    }

    [Fact]
    public void Inputs_and_existing_outputs_are_never_overwritten()
    {
        using var dir = new TempDir();
        // A DNG named .tif: its output name equals the input itself.
        string input = dir["frame.tif"];
        SyntheticDng.Write(input, new SceneParameters { Width = 200, Height = 200, HasChart = false });
        byte[] before = File.ReadAllBytes(input);
        var r = Cli.Run("process", input, "-o", dir.Path, "--no-metadata");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("would overwrite an input", r.Stderr);
        Assert.Equal(before, File.ReadAllBytes(input));

        string dng = dir["a.dng"];
        File.Copy(input, dng);
        string outDir = dir["out"];
        Assert.Equal(0, Cli.Run("process", dng, "-o", outDir, "--no-metadata").ExitCode);
        var stamp = File.GetLastWriteTimeUtc(Path.Combine(outDir, "a.tif"));
        var again = Cli.Run("process", dng, "-o", outDir, "--no-metadata");
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("exists", again.Stdout + again.Stderr);
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(Path.Combine(outDir, "a.tif")));
        Assert.Equal(0, Cli.Run("process", dng, "-o", outDir, "--overwrite", "--no-metadata").ExitCode);
    }

    [Fact]
    public void Decoder_reports_missing_and_empty_files_by_name()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir["zero.nef"], []);
        var e = Assert.Throws<RawDecodeException>(() => RawDecoder.Decode(dir["zero.nef"], new DecodeOptions()));
        Assert.Equal($"{dir["zero.nef"]}: empty file (0 bytes)", e.Message);
        var e2 = Assert.Throws<RawDecodeException>(() => RawDecoder.Decode(dir["missing.nef"], new DecodeOptions()));
        Assert.Contains("file not found", e2.Message);
    }
}
