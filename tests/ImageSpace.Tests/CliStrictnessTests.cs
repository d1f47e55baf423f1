using System.Diagnostics;
using ImageSpace.Core.Calibration;
using ImageSpace.Core.Film;
using ImageSpace.Core.Pipeline;
using ImageSpace.Core.Synthetic;

namespace ImageSpace.Tests;

/// <summary>No typo runs a batch, no wrong file is silently accepted, no stack trace (issue 15, CLI part).</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class CliStrictnessTests
{
    private static string Shoot(TempDir dir, string name = "in/a.dng")
    {
        Directory.CreateDirectory(Path.GetDirectoryName(dir[name])!);
        SyntheticDng.Write(dir[name], new SceneParameters { Width = 200, Height = 150, HasChart = false });
        return dir[name];
    }

    /// <summary>A usage error: exit 2, one "error:" line naming the problem (plus the --help pointer for parse errors),
    /// nothing written, no stack trace.</summary>
    private static string[] AssertUsageError(Cli.Result r, string outDir)
    {
        Assert.Equal(2, r.ExitCode);
        var errors = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("error: ", StringComparison.Ordinal)).ToArray();
        Assert.Single(errors);
        Assert.DoesNotContain("   at ", r.Stderr);
        Assert.False(Directory.Exists(outDir), "something was written");
        return errors;
    }

    [Theory]
    [InlineData("--colourspace", "prophoto", "--colorspace")]
    [InlineData("--formt", "jpg", "--format")]
    [InlineData("--overwite", null, "--overwrite")]
    public void A_misspelt_option_is_a_usage_error_with_a_suggestion(string option, string? value, string suggestion)
    {
        using var dir = new TempDir();
        Shoot(dir);
        var args = new List<string> { "process", dir["in"], "-o", dir["out"], "--no-metadata", option };
        if (value is not null) args.Add(value);
        var line = AssertUsageError(Cli.Run([.. args]), dir["out"])[0];
        Assert.Contains($"unknown option '{option}'", line);
        Assert.Contains($"did you mean {suggestion}?", line);
    }

    [Fact]
    public void Unknown_options_are_caught_on_every_command_but_values_after_a_double_dash_and_negative_numbers_are_not()
    {
        using var dir = new TempDir();
        string dng = Shoot(dir);
        var scan = Cli.Run("scan", dir["in"], "--jsn");
        Assert.Equal(2, scan.ExitCode);
        Assert.Contains("unknown option '--jsn' for 'scan'; did you mean --json?", scan.Stderr);
        var info = Cli.Run("info", "--bogus", dng);
        Assert.Equal(2, info.ExitCode);
        Assert.Contains("unknown option '--bogus'", info.Stderr);
        // A negative number is a value, not an option; --name=value is a known option's other spelling.
        Assert.Equal(0, Cli.Run("process", dir["in"], "-o", dir["out"], "--exposure", "-1", "--plan").ExitCode);
        Assert.Equal(0, Cli.Run("process", dir["in"], "-o", dir["out"], "--format=jpg", "--plan").ExitCode);
        // After "--" a name starting with '-' is a path (here a missing one: reported as a missing input, not an option).
        var dashed = Cli.Run("scan", "--", "-odd-name.dng");
        Assert.DoesNotContain("unknown option", dashed.Stderr);
        Assert.Contains("-odd-name.dng: no such file or folder", dashed.Stderr);
    }

    [Theory]
    [InlineData("--colorspace", "prophot", "prophoto")]
    [InlineData("--format", "jpgg", "jpg")]
    [InlineData("--group-by", "prefx", "prefix")]
    [InlineData("--chroma", "44", "444")]
    public void An_unknown_value_is_a_usage_error_with_a_suggestion(string option, string value, string suggestion)
    {
        using var dir = new TempDir();
        Shoot(dir);
        var line = AssertUsageError(Cli.Run("process", dir["in"], "-o", dir["out"], option, value), dir["out"])[0];
        Assert.Contains($"'{value}'", line);
        Assert.EndsWith($"did you mean {suggestion}?", line);
    }

    [Fact]
    public void Suggestions_are_near_misses_only()
    {
        Assert.Equal("--colorspace", ImageSpace.Cli.CommandLineChecks.Suggest("--colourspace", ["--colorspace", "--compression", "--counter"]));
        Assert.Equal("prophoto", ImageSpace.Cli.CommandLineChecks.Suggest("porphoto", ["prophoto", "srgb"])); // a transposition
        Assert.Null(ImageSpace.Cli.CommandLineChecks.Suggest("x", ["auto", "group", "global"]));
        Assert.Null(ImageSpace.Cli.CommandLineChecks.Suggest("--zebra", ["--format", "--quality"]));
        Assert.Null(ImageSpace.Cli.CommandLineChecks.Suggest("zip", ["none", "lzw", "deflate", "zip"])); // not the value itself
    }

    [Fact]
    public void A_misspelt_command_is_one_line_with_the_nearest_command()
    {
        var r = Cli.Run("proces", "in", "-o", "out");
        Assert.Equal(2, r.ExitCode);
        Assert.Equal(["error: unknown command 'proces'; did you mean process?", "Run 'imagespace --help' for usage."],
            r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    /// <summary>Values of the wrong type, on the command line or in a recipe, are named as the user wrote them, with
    /// no .NET type names ("System.Nullable`1[System.Int32]", "could not be mapped to any .NET member").</summary>
    [Fact]
    public void Values_of_the_wrong_type_and_unknown_recipe_settings_are_told_in_the_users_terms()
    {
        using var dir = new TempDir();
        Shoot(dir);
        File.WriteAllText(dir["typo.json"], "{\"export\": {\"fromat\": \"jpg\"}}");
        File.WriteAllText(dir["type.json"], "{\"export\": {\"quality\": \"high\"}}");
        var cases = new (string[] Args, string Expected)[]
        {
            (["--quality", "abc"], "error: --quality: 'abc' is not a whole number"),
            (["--exposure", "bright"], "error: --exposure: 'bright' is not a number"),
            (["--recipe", dir["typo.json"]], $"error: {dir["typo.json"]}: invalid recipe: unknown setting 'fromat' in export (line 1); its settings: format, bitDepth,"),
            (["--recipe", dir["type.json"]], $"error: {dir["type.json"]}: invalid recipe: export.quality must be a whole number (line 1)"),
        };
        foreach (var (args, expected) in cases)
        {
            var line = AssertUsageError(Cli.Run(["process", dir["in"], "-o", dir["out"], .. args]), dir["out"])[0];
            Assert.StartsWith(expected, line);
            Assert.DoesNotContain("System.", line);
        }
        Assert.EndsWith("did you mean format?", AssertUsageError(Cli.Run("process", dir["in"], "-o", dir["out"], "--recipe", dir["typo.json"]), dir["out"])[0]);
    }

    [Fact]
    public void Every_settings_file_is_checked_for_kind_and_shape_before_anything_runs()
    {
        using var dir = new TempDir();
        Shoot(dir);
        string cal = dir["cal.json"], roll = dir["roll.json"], recipe = dir["recipe.json"], empty = dir["empty.json"], broken = dir["broken.json"],
            shortRoll = dir["short-roll.json"], badCal = dir["bad-cal.json"], array = dir["array.json"];
        File.WriteAllText(cal, new CalibrationProfile { Model = ModelKind.Matrix, Coefficients = [[1, 0, 0], [0, 1, 0], [0, 0, 1]] }.ToJson());
        File.WriteAllText(roll, new RollProfile().ToJson());
        File.WriteAllText(recipe, new Recipe().ToJson());
        File.WriteAllText(empty, "{}");
        File.WriteAllText(broken, "{ \"gamma\": [0.6, ");
        File.WriteAllText(shortRoll, new RollProfile { Gamma = [0.6, 0.6] }.ToJson());
        File.WriteAllText(badCal, new CalibrationProfile { Model = ModelKind.RootPolynomial2, Coefficients = [[1, 0, 0], [0, 1, 0], [0, 0, 1]] }.ToJson());
        File.WriteAllText(array, "[1, 2]");
        var cases = new (string[] Args, string Expected)[]
        {
            (["--calibration", roll], $"{roll}: is a roll profile, not a calibration profile"),
            (["--calibration", recipe], $"{recipe}: is a recipe, not a calibration profile"),
            (["--calibration", empty], $"{empty}: not a calibration profile: an empty JSON object"),
            (["--calibration", badCal], $"{badCal}: damaged calibration profile: model RootPolynomial2 needs 3 rows of 6 coefficients"),
            (["--calibration", dir["missing.json"]], $"{dir["missing.json"]}: calibration profile not found"),
            (["--negative", "--roll", cal], $"{cal}: is a calibration profile, not a roll profile"),
            (["--negative", "--roll", recipe], $"{recipe}: is a recipe, not a roll profile"),
            (["--negative", "--roll", empty], $"{empty}: not a roll profile: an empty JSON object"),
            (["--negative", "--roll", broken], $"{broken}: not a roll profile: malformed JSON"),
            (["--negative", "--roll", shortRoll], $"{shortRoll}: damaged roll profile: gamma is not 3 positive numbers"),
            (["--negative", "--roll", dir["missing.json"]], $"{dir["missing.json"]}: roll profile not found"),
            (["--negative", "--roll", dir.Path], $"{dir.Path}: is a folder, not a roll profile file"),
            (["--recipe", cal], $"{cal}: is a calibration profile, not a recipe"),
            (["--recipe", array], $"{array}: not a recipe: a JSON array, not an object"),
            (["--negative", "--flat-field", dir["nope.dng"]], $"{dir["nope.dng"]}: flat-field frame not found"),
            (["--crop-rebate"], "--crop-rebate applies to negatives: add --negative"),
            (["--flat-field", dir["nope.dng"]], "--flat-field applies to negatives: add --negative"),
            (["--roll", roll], "--roll applies to negatives: add --negative"),
            (["--film-trims", "0,0,0.1"], "--film-trims applies to negatives: add --negative"),
            (["--stock", "ektar100"], "--stock applies to negatives: add --negative"),
            (["--negative", "--film-base", "1,2"], "film base '1,2' is not auto, r,g,b (three positive values) or x,y,w,h"),
            (["--negative", "--film-base", "abc"], "film base 'abc' is not auto"),
            (["--negative", "--film-base", "0.2,0,0.1"], "film base '0.2,0,0.1' is not auto"),
        };
        foreach (var (args, expected) in cases)
        {
            var r = Cli.Run(["process", dir["in"], "-o", dir["out"], "--no-metadata", .. args]);
            var line = AssertUsageError(r, dir["out"])[0];
            Assert.StartsWith($"error: {expected}", line);
        }
        // The right files pass (a recipe of {} is all defaults).
        Assert.Equal(0, Cli.Run("process", dir["in"], "-o", dir["out"], "--recipe", empty, "--calibration", cal, "--no-metadata").ExitCode);
    }

    [Theory]
    [InlineData("0,0,10,10,20,20,30,30")]      // collinear
    [InlineData("0,0,100,0,100,100,100,100")]  // a corner twice
    [InlineData("0,0,100,0,0,100,20,20")]      // one corner inside the other three
    public void Degenerate_corners_are_one_line_usage_errors(string corners)
    {
        using var dir = new TempDir();
        string dng = Shoot(dir);
        var r = Cli.Run("detect", dng, "--corners", corners);
        Assert.Equal(2, r.ExitCode);
        Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: --corners:", r.Stderr);
        Assert.DoesNotContain("found", r.Stdout);
        var cal = Cli.Run("calibrate", dng, "-o", dir["cal.json"], "--corners", corners);
        Assert.Equal(2, cal.ExitCode);
        Assert.False(File.Exists(dir["cal.json"]));
    }

    [Fact]
    public void Detect_exits_1_when_there_is_no_chart_and_0_when_there_is()
    {
        using var dir = new TempDir();
        string none = Shoot(dir);
        var r = Cli.Run("detect", none);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("no chart", r.Stdout);
        SyntheticDng.Write(dir["chart.dng"], new SceneParameters { Width = 900, Height = 600, PatchPitch = 60 });
        var found = Cli.Run("detect", dir["chart.dng"]);
        Assert.Equal(0, found.ExitCode);
        Assert.Contains("chart found", found.Stdout);
        Assert.Equal(1, Cli.Run("detect", dir["chart.dng"], none).ExitCode); // one of two without a chart
    }

    [Fact]
    public void Scan_and_process_agree_on_exit_codes()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["empty"]);
        Shoot(dir, "full/a.dng");
        Assert.Equal(2, Cli.Run("scan", dir["empty"]).ExitCode);
        Assert.Equal(2, Cli.Run("process", dir["empty"], "-o", dir["out"]).ExitCode);
        Assert.Equal(1, Cli.Run("scan", dir["empty"], dir["full"]).ExitCode);
        Assert.Equal(1, Cli.Run("process", dir["empty"], dir["full"], "-o", dir["out"], "--no-metadata").ExitCode);
        Assert.Equal(0, Cli.Run("scan", dir["full"]).ExitCode);
    }

    [Fact]
    public void Output_folder_problems_are_reported_before_any_decode()
    {
        using var dir = new TempDir();
        Shoot(dir);
        File.WriteAllText(dir["file"], "x");
        Assert.Equal("error: the output folder is an empty path", AssertUsageError(Cli.Run("process", dir["in"], "-o", ""), dir["nothing"])[0]);
        Assert.Equal($"error: {dir["file"]}: is a file, not a folder", AssertUsageError(Cli.Run("process", dir["in"], "-o", dir["file"]), dir["nothing"])[0]);
        Assert.Equal($"error: {dir["file/sub"]}: cannot be created, {dir["file"]} is a file",
            AssertUsageError(Cli.Run("process", dir["in"], "-o", dir["file/sub"]), dir["nothing"])[0]);
    }

    [SkippableFact]
    public void A_read_only_output_folder_is_refused_up_front()
    {
        using var dir = new TempDir();
        Shoot(dir);
        Directory.CreateDirectory(dir["ro"]);
        File.SetUnixFileMode(dir["ro"], UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        var r = RunAsUnprivileged(dir, "process", dir["in"], "-o", dir["ro/out"], "--no-metadata");
        Assert.Equal(2, r.ExitCode);
        Assert.Equal($"error: {dir["ro/out"]}: cannot be created, {dir["ro"]} is not writable by this user", r.Stderr.Trim());
        Assert.Equal("", r.Stdout.Trim()); // no progress, no "0 done": nothing was decoded
    }

    /// <summary>root may write anywhere, so as root the check is exercised as "nobody" (setpriv).</summary>
    private static Cli.Result RunAsUnprivileged(TempDir dir, params string[] args)
    {
        if (Environment.UserName != "root") return Cli.Run(args);
        Skip.IfNot(File.Exists("/usr/bin/setpriv"), "running as root without setpriv: cannot test permissions");
        File.SetUnixFileMode(dir.Path, (UnixFileMode)0b111_101_101);
        foreach (var f in Directory.GetFiles(dir.Path, "*", SearchOption.AllDirectories)) File.SetUnixFileMode(f, (UnixFileMode)0b110_100_100);
        foreach (var d in Directory.GetDirectories(dir.Path, "*", SearchOption.AllDirectories).Where(d => !d.EndsWith("/ro", StringComparison.Ordinal)))
            File.SetUnixFileMode(d, (UnixFileMode)0b111_101_101);
        var psi = new ProcessStartInfo("/usr/bin/setpriv") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "--reuid=65534", "--regid=65534", "--clear-groups", "env", $"HOME={dir.Path}", $"DOTNET_CLI_HOME={dir.Path}", "dotnet", Path.Combine(AppContext.BaseDirectory, "imagespace.dll") })
            psi.ArgumentList.Add(a);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return new Cli.Result(p.ExitCode, stdout, err.GetAwaiter().GetResult());
    }

    /// <summary>"--naming '[o].jpg'" names the output x.jpg, not x.jpg.jpg; "[o].png" for a JPEG is a usage error
    /// naming the schema and the format, not a file named .png holding JPEG bytes.</summary>
    [Fact]
    public void A_naming_schema_ending_with_the_formats_extension_has_it_once_and_another_formats_is_a_usage_error()
    {
        using var dir = new TempDir();
        Shoot(dir);
        var line = AssertUsageError(Cli.Run("process", dir["in"], "-o", dir["out"], "--naming", "[o].png", "--format", "jpeg"), dir["out"])[0];
        Assert.Contains("naming schema '[o].png'", line);
        Assert.Contains("output format is jpg", line);
        Assert.Equal(0, Cli.Run("process", dir["in"], "-o", dir["out"], "--naming", "[o].JPEG", "--format", "jpeg", "--no-metadata").ExitCode);
        Assert.Equal(["a.JPEG"], Directory.GetFiles(dir["out"]).Select(Path.GetFileName));
    }

    [Fact]
    public void Hidden_or_empty_output_names_are_refused_at_planning()
    {
        using var dir = new TempDir();
        Shoot(dir);
        var r = Cli.Run("process", dir["in"], "-o", dir["out"], "--naming", "[c][e]", "--format", "jpg");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("name '.jpg' is hidden or empty", r.Stderr);
        Assert.Contains("nothing was written", r.Stderr);
        Assert.False(Directory.Exists(dir["out"]));
        Assert.Equal(0, Cli.Run("process", dir["in"], "-o", dir["out"], "--naming", "[c][e]", "--name", "scan", "--format", "jpg", "--no-metadata").ExitCode);
        Assert.True(File.Exists(dir["out/scan.jpg"]));
    }

    [Fact]
    public void Unexpected_errors_are_one_line_and_the_trace_is_behind_IMAGESPACE_DEBUG()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["not-an-image.jpg"], "hello");
        var r = Cli.Run("detect", dir["not-an-image.jpg"]);
        Assert.Equal(1, r.ExitCode);
        Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"error: {dir["not-an-image.jpg"]}: cannot read this image", r.Stderr);

        // recipe init into /proc fails with an IOException no command catches: the global handler's one line.
        var io = Cli.Run("recipe", "init", "/proc/imagespace-test/recipe.json");
        Assert.Equal(1, io.ExitCode);
        Assert.Single(io.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", io.Stderr);
        var debug = Cli.RunWithEnv(new Dictionary<string, string> { ["IMAGESPACE_DEBUG"] = "1" }, "recipe", "init", "/proc/imagespace-test/recipe.json");
        Assert.Equal(1, debug.ExitCode);
        Assert.Contains("   at ", debug.Stderr);
    }
}
