using System.Net.Http.Json;
using System.Text.Json;
using ImageSpace.Core.Batch;
using ImageSpace.Core.Pipeline;
using ImageSpace.Core.Synthetic;
using Xunit.Abstractions;

namespace ImageSpace.Tests;

/// <summary>The plan's rules as the user meets them: chart frames found automatically, one chart measurement for
/// `calibrate --negative`, `film analyze` and `process --negative`, hand-placed corners, and the UI's state.</summary>
public class PlanTests(ITestOutputHelper log)
{
    private static JsonElement Json(string s) => JsonDocument.Parse(s).RootElement;

    [Fact]
    public void Chart_auto_finds_each_groups_chart_frame_and_gives_the_same_files_as_naming_them()
    {
        using var dir = new TempDir();
        SampleDataset.Write(dir["data"], null, 600, 400);
        File.Delete(dir["data/truth.json"]);
        var plan = Cli.Run("process", dir["data"], "-o", dir["auto"], "--chart", "auto", "--plan", "--json");
        Assert.True(plan.ExitCode == 0, plan.Stderr);
        var groups = Json(plan.Stdout).GetProperty("groups").EnumerateArray().ToDictionary(g => g.GetProperty("name").GetString()!);
        Assert.Equal(Path.GetFullPath(dir["data/turntable_A/objA_0001.dng"]), Path.GetFullPath(groups["turntable_A"].GetProperty("chartFrame").GetString()!));
        Assert.Equal(Path.GetFullPath(dir["data/turntable_B/objB_0001.dng"]), Path.GetFullPath(groups["turntable_B"].GetProperty("chartFrame").GetString()!));
        foreach (var g in groups.Values) log.WriteLine($"{g.GetProperty("name")}: {g.GetProperty("chartFrame")} confidence {g.GetProperty("chartConfidence")}");

        var scan = Cli.Run("scan", dir["data"], "--find-charts", "--json");
        Assert.Contains("objA_0001.dng", Json(scan.Stdout).GetProperty("groups")[0].GetProperty("chartFrame").GetString());

        var auto = Cli.Run("process", dir["data"], "-o", dir["auto"], "--chart", "auto", "--format", "png");
        Assert.True(auto.ExitCode == 0, auto.Stderr);
        var named = Cli.Run("process", dir["data"], "-o", dir["named"], "--format", "png",
            "--chart", dir["data/turntable_A/objA_0001.dng"], "--chart", dir["data/turntable_B/objB_0001.dng"]);
        Assert.True(named.ExitCode == 0, named.Stderr);
        Assert.Equal(FileTree.Hashes(dir["named"]), FileTree.Hashes(dir["auto"]));
        Assert.Equal(5, FileTree.Hashes(dir["auto"]).Count);
    }

    [Fact]
    public async Task Chart_auto_on_negatives_gives_each_group_the_roll_of_its_own_chart_frame()
    {
        // Two rolls (groups), each with a chart frame and a frame without one. With one roll for the whole batch, the
        // most confident chart of all groups calibrated every group: a group got another group's chart.
        using var dir = new TempDir();
        var film = new NegativeFilm();
        var frames = new (string file, SceneParameters scene)[]
        {
            ("data/A/a_scene.dng", new() { Width = 900, Height = 600, HasChart = false, Seed = 41 }),
            ("data/A/a_chart.dng", new() { Width = 900, Height = 600, PatchPitch = 900 / 17.0, RotationDeg = 4, Seed = 31 }),
            ("data/B/b_chart.dng", new() { Width = 900, Height = 600, PatchPitch = 900 / 17.0, RotationDeg = -20, ExposureEv = 0.5, Seed = 32 }),
            ("data/B/b_scene.dng", new() { Width = 900, Height = 600, HasChart = false, ExposureEv = -0.5, Seed = 42 }),
        };
        foreach (var (file, scene) in frames)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(dir[file])!);
            NegativeSimulator.Write(dir[file], scene, film);
        }

        var plan = Cli.Run("process", dir["data"], "-o", dir["auto"], "--negative", "--chart", "auto", "--plan", "--json");
        Assert.True(plan.ExitCode == 0, plan.Stderr);
        var groups = Json(plan.Stdout).GetProperty("groups").EnumerateArray().ToDictionary(g => g.GetProperty("name").GetString()!);
        var scan = Json(Cli.Run("scan", dir["data"], "--find-charts", "--negative", "--json").Stdout).GetProperty("groups").EnumerateArray()
            .ToDictionary(g => g.GetProperty("name").GetString()!);
        static double[] Gamma(JsonElement roll) => roll.GetProperty("gamma").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        foreach (var (group, chart) in new[] { ("A", "a_chart.dng"), ("B", "b_chart.dng") })
        {
            string own = Path.GetFullPath(dir[$"data/{group}/{chart}"]);
            log.WriteLine($"{group}: {groups[group].GetProperty("chartFrame")} confidence {groups[group].GetProperty("chartConfidence")}");
            Assert.Equal(own, Path.GetFullPath(groups[group].GetProperty("chartFrame").GetString()!));
            Assert.Equal(own, Path.GetFullPath(scan[group].GetProperty("chartFrame").GetString()!));
            // The group's roll is the one its chart frame gives when named for that group alone.
            var roll = groups[group].GetProperty("roll");
            Assert.Equal(chart, roll.GetProperty("source").GetString());
            var alone = Cli.Run("process", dir[$"data/{group}"], "-o", dir["alone"], "--negative", "--chart", own, "--plan", "--json");
            Assert.True(alone.ExitCode == 0, alone.Stderr);
            Assert.Equal(Gamma(Json(alone.Stdout).GetProperty("roll")), Gamma(roll));
        }
        Assert.NotEqual(Gamma(groups["A"].GetProperty("roll")), Gamma(groups["B"].GetProperty("roll")));

        // The UI tells which roll each group is inverted with (its summary showed only a plan-wide roll, none here).
        await using (var server = await TestUi.StartAsync(dir))
        {
            using var http = TestToken.Client(server.Url);
            (await http.PostAsJsonAsync("/api/open", new { path = dir["data"] })).EnsureSuccessStatusCode();
            var recipe = new Recipe { Film = new Core.Film.FilmOptions { Enabled = true }, Calibration = new() { Auto = true } };
            (await http.PutAsJsonAsync("/api/recipe", recipe, Recipe.Json)).EnsureSuccessStatusCode();
            var state = Json(await http.GetStringAsync("/api/state"));
            Assert.Equal(JsonValueKind.Null, state.GetProperty("roll").ValueKind);
            var uiRolls = state.GetProperty("groupRolls").EnumerateArray().ToDictionary(r => r.GetProperty("group").GetString()!);
            Assert.Equal(["A", "B"], uiRolls.Keys.Order());
            foreach (var group in uiRolls.Keys)
                Assert.Equal(Gamma(groups[group].GetProperty("roll")), Gamma(uiRolls[group]));
            Assert.Equal("a_chart.dng", uiRolls["A"].GetProperty("source").GetString());
        }

        // And the frames are rendered with their group's roll: the same files as naming each group's chart frame.
        var auto = Cli.Run("process", dir["data"], "-o", dir["auto"], "--negative", "--chart", "auto", "--format", "png", "--no-metadata");
        Assert.True(auto.ExitCode == 0, auto.Stderr);
        foreach (var (group, chart) in new[] { ("A", "a_chart.dng"), ("B", "b_chart.dng") })
        {
            var named = Cli.Run("process", dir[$"data/{group}"], "-o", dir[$"named/{group}"], "--negative", "--chart", dir[$"data/{group}/{chart}"], "--format", "png", "--no-metadata");
            Assert.True(named.ExitCode == 0, named.Stderr);
        }
        static Dictionary<string, string> ByName(string root) => FileTree.Hashes(root).ToDictionary(kv => Path.GetFileName(kv.Key), kv => kv.Value);
        Assert.Equal(4, ByName(dir["auto"]).Count);
        Assert.Equal(ByName(dir["named"]), ByName(dir["auto"]));
    }

    [Fact]
    public void Calibrate_negative_film_analyze_and_process_negative_make_one_roll_fit_with_or_without_corners()
    {
        using var dir = new TempDir();
        SampleDataset.WriteNegatives(dir["neg"], null, 900, 600);
        string chart = dir["neg/roll/neg_0001.dng"];

        var calibrate = Cli.Run("calibrate", chart, "--negative", "--json", "-o", dir["cal.json"]);
        Assert.True(calibrate.ExitCode == 0, calibrate.Stderr);
        double calibrated = Json(calibrate.Stdout).GetProperty("deltaE").GetProperty("mean").GetDouble();
        var plan = Cli.Run("process", dir["neg/roll"], "-o", dir["out"], "--negative", "--chart", chart, "--plan", "--json");
        Assert.True(plan.ExitCode == 0, plan.Stderr);
        var roll = Json(plan.Stdout).GetProperty("roll");
        double processed = roll.GetProperty("calibration").GetProperty("deltaE").GetProperty("mean").GetDouble();
        log.WriteLine($"calibrate --negative: mean ΔE2000 {calibrated:0.000}; process --negative --chart: {processed:0.000}");
        Assert.Equal(processed, calibrated, 9);
        // (It was 24 ΔE2000 when calibrate --negative fitted the uninverted negative.)
        Assert.True(calibrated < 4, $"the roll's chart fit is {calibrated:0.00} ΔE2000 (the chart measured on the negative, fitted on the inverted patches)");
        // What calibrate -o wrote is the roll itself: process --roll with it gives what process --chart gives.
        static double[] Gamma(JsonElement e) => e.GetProperty("gamma").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        Assert.Equal(Gamma(roll), Gamma(Json(File.ReadAllText(dir["cal.json"]))));

        // Corners placed by hand (here: where detection put them) go through the same measurement in all three commands.
        var detect = Cli.Run("detect", chart, "--negative", "--json");
        var corners = string.Join(",", Json(detect.Stdout)[0].GetProperty("corners").EnumerateArray().SelectMany(p => p.EnumerateArray()).Select(v => v.GetDouble().ToString("R", System.Globalization.CultureInfo.InvariantCulture)));
        var cal2 = Cli.Run("calibrate", chart, "--negative", "--json", "--corners", corners);
        var plan2 = Cli.Run("process", dir["neg/roll"], "-o", dir["out"], "--negative", "--chart", chart, "--corners", corners, "--plan", "--json");
        var film2 = Cli.Run("film", "analyze", dir["neg/roll"], "-o", dir["roll.json"], "--chart", chart, "--corners", corners);
        Assert.True(cal2.ExitCode == 0 && plan2.ExitCode == 0 && film2.ExitCode == 0, cal2.Stderr + plan2.Stderr + film2.Stderr);
        double byHand = Json(cal2.Stdout).GetProperty("deltaE").GetProperty("mean").GetDouble();
        Assert.Equal(Json(plan2.Stdout).GetProperty("roll").GetProperty("calibration").GetProperty("deltaE").GetProperty("mean").GetDouble(), byHand, 9);
        Assert.Equal(Json(File.ReadAllText(dir["roll.json"])).GetProperty("calibration").GetProperty("delta_e").GetProperty("mean").GetDouble(), byHand, 9); // (profile files are snake_case)
        Assert.InRange(byHand, 0, 4);
    }

    [Fact]
    public async Task The_ui_forgets_film_mode_roll_and_charts_when_another_folder_opens_and_lock_keeps_a_chart_fitted_roll()
    {
        using var dir = new TempDir();
        SampleDataset.WriteNegatives(dir["neg"], null, 900, 600);
        SampleDataset.Write(dir["pos"], null, 600, 400);
        await using var server = await TestUi.StartAsync(dir);
        using var http = TestToken.Client(server.Url);
        async Task<JsonElement> State() => Json(await http.GetStringAsync("/api/state"));

        (await http.PostAsJsonAsync("/api/open", new { path = dir["neg"] })).EnsureSuccessStatusCode();
        (await http.PutAsJsonAsync("/api/recipe", new Recipe { Film = new Core.Film.FilmOptions { Enabled = true } }, Recipe.Json)).EnsureSuccessStatusCode();
        var assign = await http.PostAsJsonAsync("/api/chart/assign", new { file = dir["neg/roll/neg_0001.dng"], corners = (double[]?)null, global = false });
        Assert.True(assign.IsSuccessStatusCode, await assign.Content.ReadAsStringAsync());
        var before = (await State()).GetProperty("roll");
        Assert.True(before.GetProperty("calibrated").GetBoolean());

        // Lock roll after a chart frame: the chart-fitted roll stays (it is not replaced by a stock-slope analysis).
        var locked = Json(await (await http.PostAsJsonAsync("/api/film/lock", new { })).Content.ReadAsStringAsync());
        Assert.True(locked.GetProperty("calibrated").GetBoolean());
        Assert.Contains("kept", locked.GetProperty("source").GetString());
        var after = (await State()).GetProperty("roll");
        Assert.Equal(before.GetProperty("gamma").ToString(), after.GetProperty("gamma").ToString());
        Assert.True(after.GetProperty("calibrated").GetBoolean());

        // Another folder: positives, shown as positives, nothing of the roll or its chart left.
        (await http.PostAsJsonAsync("/api/open", new { path = dir["pos"] })).EnsureSuccessStatusCode();
        var state = await State();
        Assert.False(state.GetProperty("recipe").GetProperty("film").GetProperty("enabled").GetBoolean());
        Assert.False(state.GetProperty("recipe").GetProperty("film").GetProperty("lockRoll").GetBoolean());
        Assert.Equal(JsonValueKind.Null, state.GetProperty("roll").ValueKind);
        Assert.Empty(state.GetProperty("calibrations").EnumerateObject());
        Assert.Equal(0, state.GetProperty("recipe").GetProperty("calibration").GetProperty("charts").GetArrayLength());

        // A chart of this folder, then a third folder: its calibrations are not listed there.
        (await http.PostAsJsonAsync("/api/chart/assign", new { file = dir["pos/turntable_A/objA_0001.dng"], corners = (double[]?)null, global = false })).EnsureSuccessStatusCode();
        Assert.Single((await State()).GetProperty("calibrations").EnumerateObject());
        (await http.PostAsJsonAsync("/api/open", new { path = dir["neg"] })).EnsureSuccessStatusCode();
        Assert.Empty((await State()).GetProperty("calibrations").EnumerateObject());
    }

    [Fact]
    public async Task The_ui_checks_the_output_folder_before_naming_and_remembers_it_only_for_the_folder_it_was_chosen_for()
    {
        using var dir = new TempDir();
        SampleDataset.Write(dir["a"], null, 600, 400);
        SampleDataset.Write(dir["b"], null, 600, 400);
        await using var server = await TestUi.StartAsync(dir);
        using var http = TestToken.Client(server.Url);
        (await http.PostAsJsonAsync("/api/open", new { path = dir["a"] })).EnsureSuccessStatusCode();
        async Task<JsonElement> Plan(string output) =>
            Json(await (await http.PostAsJsonAsync("/api/plan", new { schema = "[s]/[o][e]", custom = "", output })).Content.ReadAsStringAsync());

        // Refused where the names are shown, not only when Process is pressed: a relative folder (it went to the
        // server's working folder), a file, a folder outside the opened ones.
        foreach (var (output, words) in new[] { ("relative/out", "is not a full path"), (dir["a/turntable_A/objA_0001.dng"], "is a file"), ("/etc/imagespace-out", "outside the opened folders") })
        {
            var refused = await Plan(output);
            log.WriteLine(refused.GetProperty("error").GetString());
            Assert.False(refused.GetProperty("ok").GetBoolean());
            Assert.Contains(words, refused.GetProperty("error").GetString());
            Assert.Equal(0, refused.GetProperty("items").GetArrayLength());
        }
        Assert.True((await Plan(dir["a-out"])).GetProperty("ok").GetBoolean());
        var asFile = await http.PostAsJsonAsync("/api/process", new { path = dir["a/turntable_A/objA_0001.dng"] });
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, asFile.StatusCode);
        Assert.Contains("is a file", await asFile.Content.ReadAsStringAsync());

        // A value that does not bind says which setting and what it must be (it was a bare 400).
        var recipe = Json(await http.GetStringAsync("/api/state")).GetProperty("recipe").GetRawText().Replace("\"quality\":95", "\"quality\":72.5");
        Assert.Contains("72.5", recipe);
        var fraction = await http.PutAsync("/api/recipe", new StringContent(recipe, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, fraction.StatusCode);
        Assert.Contains("export.quality must be a whole number", await fraction.Content.ReadAsStringAsync());

        // The last output folder is remembered for the folder it was chosen for only.
        (await http.PostAsJsonAsync("/api/process", new { path = dir["a-out"] })).EnsureSuccessStatusCode();
        await TestUi.BatchFinished(server);
        // The page's theme toggle sends its (older) copy of the settings: what the server remembers stays.
        (await http.PutAsJsonAsync("/api/settings", new ImageSpace.Web.UserSettings { Theme = "light" })).EnsureSuccessStatusCode();
        var settings = Json(await http.GetStringAsync("/api/state")).GetProperty("settings");
        Assert.Equal("light", settings.GetProperty("theme").GetString());
        Assert.Equal(dir["a-out"], settings.GetProperty("lastOutput").GetString());
        Assert.Equal(Path.GetFullPath(dir["a"]), Path.GetFullPath(settings.GetProperty("lastOutputFor").GetString()!));
        (await http.PostAsJsonAsync("/api/project/save", new { path = dir["a.json"] })).EnsureSuccessStatusCode();
        Assert.Equal(dir["a-out"], Json(File.ReadAllText(dir["a.json"])).GetProperty("output").GetString());
        (await http.PostAsJsonAsync("/api/open", new { path = dir["b"] })).EnsureSuccessStatusCode();
        (await http.PostAsJsonAsync("/api/project/save", new { path = dir["b.json"] })).EnsureSuccessStatusCode();
        Assert.Equal(Path.Combine(dir["b"], "processed"), Json(File.ReadAllText(dir["b.json"])).GetProperty("output").GetString());
        var empty = await Plan(""); // left empty: beside the images, for the names and for Process alike
        Assert.True(empty.GetProperty("ok").GetBoolean(), empty.ToString());
        Assert.Equal(Directory.GetFiles(dir["b"], "*.dng", SearchOption.AllDirectories).Length, empty.GetProperty("total").GetInt32());

        // A project the recipe check refuses (hand-edited: a naming ending in .jpg for TIFFs) leaves the session on
        // its folder, not half switched to the project's.
        string project = File.ReadAllText(dir["b.json"]).Replace("\"schema\": \"[s]/[o][e]\"", "\"schema\": \"[s]/[o].jpg\"");
        Assert.Contains("[s]/[o].jpg", project);
        File.WriteAllText(dir["b-bad.json"], project);
        (await http.PostAsJsonAsync("/api/open", new { path = dir["a"] })).EnsureSuccessStatusCode();
        var load = await http.PostAsJsonAsync("/api/project/load", new { path = dir["b-bad.json"] });
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, load.StatusCode);
        Assert.Contains("ends in '.jpg'", await load.Content.ReadAsStringAsync());
        Assert.Equal(Path.GetFullPath(dir["a"]), Path.GetFullPath(Json(await http.GetStringAsync("/api/state")).GetProperty("folder").GetString()!));
    }

    [Fact]
    public async Task A_poor_chart_fit_is_refused_unless_confirmed_and_graded_in_the_state()
    {
        using var dir = new TempDir();
        SampleDataset.Write(dir["data"], null, 600, 400);
        await using var server = await TestUi.StartAsync(dir);
        using var http = TestToken.Client(server.Url);
        (await http.PostAsJsonAsync("/api/open", new { path = dir["data"] })).EnsureSuccessStatusCode();
        string chart = dir["data/turntable_A/objA_0001.dng"];
        // Four "corners" on plain background, away from the chart: a grid of 24 patches that are not a ColorChecker.
        double[] background = [10, 10, 120, 10, 120, 80, 10, 80];
        var refused = await http.PostAsJsonAsync("/api/chart/assign", new { file = chart, corners = background, global = false });
        var body = Json(await refused.Content.ReadAsStringAsync());
        log.WriteLine(body.ToString());
        Assert.Equal(System.Net.HttpStatusCode.Conflict, refused.StatusCode);
        Assert.True(body.GetProperty("needsConfirm").GetBoolean());
        Assert.Contains("poor fit", body.GetProperty("error").GetString());
        Assert.Empty(Json(await http.GetStringAsync("/api/state")).GetProperty("calibrations").EnumerateObject()); // nothing assigned

        // Confirmed, it is assigned, and the state says how poor it is.
        var confirmed = await http.PostAsJsonAsync("/api/chart/assign", new { file = chart, corners = background, global = false, confirm = true });
        Assert.True(confirmed.IsSuccessStatusCode, await confirmed.Content.ReadAsStringAsync());
        var cal = Json(await http.GetStringAsync("/api/state")).GetProperty("calibrations").GetProperty("turntable_A");
        Assert.Equal("poor", cal.GetProperty("quality").GetProperty("grade").GetString());

        // The real chart (detected) is good, and assigned without a question.
        var good = await http.PostAsJsonAsync("/api/chart/assign", new { file = chart, corners = (double[]?)null, global = false });
        Assert.True(good.IsSuccessStatusCode, await good.Content.ReadAsStringAsync());
        Assert.Equal("good", Json(await good.Content.ReadAsStringAsync()).GetProperty("calibration").GetProperty("quality").GetProperty("grade").GetString());
    }

    [Fact]
    public async Task Re_exporting_lists_the_outputs_that_exist_and_follows_the_choice()
    {
        using var dir = new TempDir();
        SampleDataset.Write(dir["data"], null, 300, 200);
        await using var server = await TestUi.StartAsync(dir);
        using var http = TestToken.Client(server.Url);
        (await http.PostAsJsonAsync("/api/open", new { path = dir["data"] })).EnsureSuccessStatusCode();
        var recipe = new Recipe { Export = new ExportOptions { Format = "png", CopyMetadata = false } };
        (await http.PutAsJsonAsync("/api/recipe", recipe, Recipe.Json)).EnsureSuccessStatusCode();
        async Task<JsonElement> Plan() => Json(await (await http.PostAsJsonAsync("/api/plan", new { schema = "[s]/[o][e]", custom = "", output = dir["out"] })).Content.ReadAsStringAsync());
        Assert.Equal(0, (await Plan()).GetProperty("existing").GetArrayLength());
        // The page's own naming field: the format's extension is kept once, another format's is refused by name.
        async Task<JsonElement> PlanFor(string schema) => Json(await (await http.PostAsJsonAsync("/api/plan", new { schema, custom = "", output = dir["out"] })).Content.ReadAsStringAsync());
        var own = await PlanFor("[s]/[o].PNG");
        Assert.True(own.GetProperty("ok").GetBoolean());
        Assert.Contains("turntable_A/objA_0001.PNG", own.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("output").GetString()));
        var other = await PlanFor("[s]/[o].jpg");
        Assert.False(other.GetProperty("ok").GetBoolean());
        Assert.Contains("naming schema", other.GetProperty("error").GetString());
        Assert.Contains("png", other.GetProperty("error").GetString());
        async Task Export()
        {
            (await http.PostAsJsonAsync("/api/process", new { path = dir["out"] })).EnsureSuccessStatusCode();
            await TestUi.BatchFinished(server);
        }
        await Export();
        var existing = (await Plan()).GetProperty("existing");
        Assert.Equal(5, existing.GetArrayLength()); // the page lists them and offers overwrite / keep / another folder
        Assert.Contains("turntable_A/objA_0001.png", existing.EnumerateArray().Select(e => e.GetString()));
        // "Keep them, do the rest": nothing fails, nothing is rewritten.
        var stamp = File.GetLastWriteTimeUtc(dir["out/turntable_A/objA_0001.png"]);
        (await http.PutAsJsonAsync("/api/recipe", recipe with { Export = recipe.Export with { SkipExisting = true } }, Recipe.Json)).EnsureSuccessStatusCode();
        await Export();
        Assert.Empty(server.Session.Job!.Result!.Failures);
        Assert.Equal(5, server.Session.Job.Result.Skipped);
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(dir["out/turntable_A/objA_0001.png"]));
    }

    [Fact]
    public void A_plan_round_trips_through_json_and_a_forged_one_is_refused()
    {
        using var dir = new TempDir();
        SampleDataset.Write(dir["data"], null, 600, 400);
        var outcome = new PlanResolver().Resolve([dir["data"]], dir["out"], new Recipe
        {
            Calibration = new CalibrationOptions { Charts = [new ChartSpec(dir["data/turntable_A/objA_0001.dng"]), dir["data/turntable_B/objB_0001.dng"]] },
        });
        Assert.True(outcome.CanRun, string.Join("; ", outcome.Errors));
        var again = RenderPlan.FromJson(outcome.Plan.ToJson());
        Assert.Equal(outcome.Plan.ToJson(), again.ToJson());
        Assert.Equal(2, again.Calibrations.Count);
        Assert.NotNull(again.CalibrationOf("turntable_A"));
        Assert.NotEqual(RenderPlan.KeyOf(again.CalibrationOf("turntable_A")!), RenderPlan.KeyOf(again.CalibrationOf("turntable_B")!));
        var missing = again with { Groups = [.. again.Groups.Select(g => g with { Calibration = "0000000000000000" })] };
        Assert.Throws<ArgumentException>(missing.Verify);
        var twice = again with { Images = [.. again.Images, again.Images[0] with { Input = again.Images[1].Input }] };
        Assert.Contains("twice", Assert.Throws<ArgumentException>(twice.Verify).Message);
    }
}
