using System.Collections.Concurrent;
using System.Text.Json;
using ImageSpace.Core.Calibration;
using ImageSpace.Core.Charts;
using ImageSpace.Core.Film;
using ImageSpace.Core.Pipeline;
using ImageSpace.Core.Raw;

namespace ImageSpace.Core.Batch;

/// <summary>(inputs, recipe) → <see cref="RenderPlan"/>: the one place where groups, calibrations, the film roll,
/// exposure multipliers and output names are decided, and where their rules and errors live.
/// <para>Calibration of positives, per group: 1. its own profiles and chart frames (a profile's group; a chart frame
/// inside the group, named or, with <see cref="CalibrationOptions.Auto"/>, the most confident detection among the
/// group's frames); several frames are combined (best or average); 2. otherwise the fallback: "global" takes the
/// global calibration (a profile without group, a chart outside the inputs or marked for all groups) — automatically
/// when no group has its own — "none" processes the group without chart correction, "error" stops the batch. Never
/// another group's chart.</para>
/// <para>Negatives, a roll: a roll profile file, else a named chart frame, whose measurement on the negative gives
/// base, slopes, grey and the colour correction on the inverted patches; else, with
/// <see cref="CalibrationOptions.Auto"/>, each group's own roll from the chart frame found among its frames, as for
/// positives (never another group's chart); for the groups still without one, with <see cref="FilmOptions.LockRoll"/>,
/// an analysis of all frames together; else each frame is inverted on its own. Calibration profiles still apply per
/// group on top.</para>
/// <para>All pixels come from the pipeline's decode stage of the recipe being planned (<see cref="Measurement"/>), so
/// a chart is measured exactly as the frames it corrects are decoded. Measurements are cached in a
/// <see cref="PlanCache"/> (the UI keeps one) keyed by the file and every setting that changes them.</para></summary>
public sealed class PlanResolver(PlanCache? cache = null)
{
    private readonly PlanCache _cache = cache ?? new PlanCache();

    /// <summary>A roll given as it is (the content of a roll file kept with a saved project); it takes precedence over
    /// every other source.</summary>
    public RollProfile? PinnedRoll { get; init; }

    /// <summary>Called with a line per measurement made (chart fits, frames scanned, roll analysis).</summary>
    public Action<string>? Progress { get; init; }

    /// <param name="outDir">the output folder; null plans no outputs (the UI's previews need only the colour)</param>
    public PlanOutcome Resolve(IReadOnlyList<string> inputs, string? outDir, Recipe recipe, Dataset? dataset = null)
    {
        recipe.Validate();
        dataset ??= DatasetScanner.Scan(inputs, recipe.Grouping);
        var errors = new List<string>();
        var notes = new List<string>();
        var refused = new List<BatchFailure>();
        var images = new List<PlannedImage>();
        if (outDir is not null)
        {
            var batch = BatchPlanner.Plan(dataset, outDir, recipe);
            refused.AddRange(batch.Refused);
            images.AddRange(batch.Items.Select(i => new PlannedImage(i.Input, i.Output, i.Group, recipe.Adjust.MultiplierFor(i.Input))));
        }
        var pipeline = new Pipeline.Pipeline(recipe);
        RollProfile? roll = null;
        string? rollChart = null;
        var groupRolls = new Dictionary<string, (RollProfile roll, string file, double confidence)>();
        if (recipe.Film.Enabled) roll = ResolveRoll(dataset, recipe, pipeline, errors, notes, out rollChart, groupRolls);
        var groups = ResolveCalibrations(dataset, recipe, pipeline, errors, notes, out var calibrations);
        groups = groups.Select(g => groupRolls.TryGetValue(g.Name, out var own)
                ? g with { Roll = own.roll, ChartFrame = own.file, ChartConfidence = own.confidence, Source = g.Calibration is null ? "its own roll (chart frame found automatically)" : g.Source }
                : rollChart is not null ? g with { ChartFrame = rollChart } : g)
            .ToList();
        var wb = Adjust.WhiteBalanceSetting.Parse(recipe.Adjust.WhiteBalance);
        if (wb.Mode != Adjust.WhiteBalanceKind.AsShot)
            foreach (var g in groups.Where(g => g.Calibration is not null || (g.Roll ?? roll)?.Calibration is not null))
                notes.Add($"group '{DatasetGroup.Display(g.Name)}': white balance '{recipe.Adjust.WhiteBalance}' is not applied, its chart calibration sets the balance");
        var plan = new RenderPlan
        {
            Recipe = recipe with { Film = recipe.Film with { Roll = null } },
            Inputs = inputs.Select(Path.GetFullPath).ToArray(),
            Output = outDir is null ? "" : Path.GetFullPath(outDir),
            Groups = groups.ToArray(), Calibrations = calibrations, Roll = roll, Images = images.ToArray(), Notes = notes.ToArray(),
        };
        return new PlanOutcome(plan, refused, errors, dataset.Errors);
    }

    // ---- negatives: the roll ----------------------------------------------------------------------------------

    /// <returns>the roll of every group without its own; <paramref name="groupRolls"/> gets the groups' own rolls (chart
    /// frames found automatically), <paramref name="chartFrame"/> the named chart frame the returned roll comes from.</returns>
    private RollProfile? ResolveRoll(Dataset dataset, Recipe recipe, Pipeline.Pipeline pipeline, List<string> errors, List<string> notes,
        out string? chartFrame, Dictionary<string, (RollProfile roll, string file, double confidence)> groupRolls)
    {
        chartFrame = null;
        var film = recipe.Film;
        IEnumerable<DatasetGroup> pooled = dataset.Groups; // the groups a locked roll is measured on and applies to
        if (PinnedRoll is not null) return PinnedRoll;
        if (film.Roll is { } rollPath)
        {
            try { return RollProfile.Load(rollPath); }
            catch (ArgumentException e) { errors.Add(e.Message); return null; }
        }
        if (recipe.Calibration.Charts.FirstOrDefault() is { } chart)
        {
            var roll = RollFromChart(chart, null, null, pipeline, errors, notes);
            if (roll is not null) chartFrame = chart.File;
            return roll;
        }
        if (recipe.Calibration.Auto)
        {
            foreach (var (g, file, confidence) in FoundChartFrames(dataset.Groups, pipeline, negative: true))
                if (RollFromChart(new ChartSpec(file), confidence, g.Name, pipeline, errors, notes) is { } own) groupRolls[g.Name] = (own, file, confidence);
            var without = dataset.Groups.Where(g => !groupRolls.ContainsKey(g.Name)).ToList();
            foreach (var g in without)
                notes.Add($"group '{DatasetGroup.Display(g.Name)}': no chart frame found: its frames are inverted " + (film.LockRoll ? "with the locked roll" : "without a chart"));
            if (without.Count == 0) return null; // every group has its own roll
            pooled = without; // never another group's frames in a locked roll either
        }
        if (film.LockRoll)
        {
            var frames = pooled.SelectMany(g => g.Files).Where(f => film.RollGroup is null || f.Group == film.RollGroup).Select(f => f.Path).ToList();
            if (frames.Count == 0) { errors.Add($"the roll's group '{film.RollGroup}' has no frames in the opened folder"); return null; }
            try
            {
                var roll = Cached("roll-analysis", new ChartSpec(string.Join("|", frames)), pipeline.Recipe, () => Measurement.FilmRoll(pipeline, frames, f => Progress?.Invoke($"analysed {f}")),
                    frames);
                notes.Add($"roll locked from {roll.Frames.Length} frame(s)" + (film.RollGroup is { } g ? $" of group '{g}'" : "") + (roll.RejectedFrames.Length > 0 ? $"; outliers not used: {string.Join(", ", roll.RejectedFrames)}" : ""));
                return roll;
            }
            catch (Exception e) when (e is RawDecodeException or ArgumentException) { errors.Add(e.Message); return null; }
        }
        return null;
    }

    /// <summary>The roll measured on a chart frame (for <paramref name="group"/> alone, or null: every group); null when
    /// it cannot be measured (the error is reported).</summary>
    private RollProfile? RollFromChart(ChartSpec chart, double? confidence, string? group, Pipeline.Pipeline pipeline, List<string> errors, List<string> notes)
    {
        try
        {
            var roll = Cached("roll-chart", chart, pipeline.Recipe, () => Measurement.FilmChart(pipeline, chart.File, chart.CornerPoints).roll);
            notes.Add($"{(group is null ? "roll" : $"group '{DatasetGroup.Display(group)}': its roll")} calibrated from {chart.File}" +
                      $"{(confidence is { } c ? $" (found automatically, confidence {c:0.00})" : "")}: slopes " +
                      $"{string.Join("/", roll.Gamma.Select(g => g.ToString("0.000")))}, {roll.Calibration!.Model}, mean ΔE2000 {roll.Calibration.DeltaE.Mean:0.00}");
            return roll;
        }
        catch (Exception e) when (e is RawDecodeException or ArgumentException) { errors.Add(e.Message); return null; }
    }

    // ---- calibrations --------------------------------------------------------------------------------------------

    private List<PlannedGroup> ResolveCalibrations(Dataset dataset, Recipe recipe, Pipeline.Pipeline pipeline, List<string> errors, List<string> notes,
        out Dictionary<string, CalibrationProfile> calibrations)
    {
        var o = recipe.Calibration;
        bool film = recipe.Film.Enabled;
        calibrations = [];
        var groupProfiles = new Dictionary<string, (CalibrationProfile profile, string source, string? chart, double? confidence)>();
        CalibrationProfile? global = null;
        string globalSource = "";
        foreach (var path in o.Profiles)
        {
            try
            {
                var p = CalibrationProfile.Load(path);
                if (p.Group is null) (global, globalSource) = (p, $"global profile {Path.GetFileName(path)}");
                else groupProfiles[p.Group] = (p, $"profile {Path.GetFileName(path)}", null, null);
            }
            catch (ArgumentException e) { errors.Add(e.Message); }
        }
        if (!film)
        {
            // Chart frames: their own group, or every group when outside the inputs or marked so.
            var fileGroup = dataset.Files.ToDictionary(f => Path.GetFullPath(f.Path), f => f.Group);
            var perGroup = new Dictionary<string, List<(ChartSpec chart, ChartCalibration.Outcome outcome)>>();
            var globalCharts = new List<ChartCalibration.Outcome>();
            foreach (var chart in o.Charts)
            {
                string? group = chart.AllGroups ? null : fileGroup.GetValueOrDefault(Path.GetFullPath(chart.File));
                var outcome = FitChart(chart, group, pipeline, o, errors);
                if (outcome is null) continue;
                if (group is null) globalCharts.Add(outcome);
                else (perGroup.TryGetValue(group, out var list) ? list : perGroup[group] = []).Add((chart, outcome));
            }
            if (o.Auto)
                foreach (var (g, file, confidence) in FoundChartFrames(dataset.Groups.Where(g => !perGroup.ContainsKey(g.Name) && !groupProfiles.ContainsKey(g.Name)), pipeline, negative: false))
                {
                    var outcome = FitChart(new ChartSpec(file), g.Name, pipeline, o, errors);
                    if (outcome is null) continue;
                    perGroup[g.Name] = [(new ChartSpec(file), outcome)];
                    groupProfiles[g.Name] = (outcome.Profile, "chart frame found automatically", file, confidence);
                }
            foreach (var (group, list) in perGroup)
            {
                if (groupProfiles.TryGetValue(group, out var auto) && auto.confidence is not null) continue;
                var combined = ChartCalibration.Combine(list.Select(t => t.outcome).ToList(), o.Combine, new CalibrateOptions { Reference = o.Reference, Group = group });
                groupProfiles[group] = (combined.Profile, list.Count == 1 ? "own chart frame" : $"{list.Count} chart frames ({o.Combine})", list[0].chart.File, null);
            }
            if (globalCharts.Count > 0)
                (global, globalSource) = (ChartCalibration.Combine(globalCharts, o.Combine, new CalibrateOptions { Reference = o.Reference }).Profile, "global chart");
        }

        bool anyOwn = groupProfiles.Count > 0;
        var groups = new List<PlannedGroup>();
        foreach (var g in dataset.Groups)
        {
            var planned = new PlannedGroup { Name = g.Name, Files = g.Files.Count };
            string display = DatasetGroup.Display(g.Name);
            if (groupProfiles.TryGetValue(g.Name, out var own))
                planned = planned with { Calibration = Add(calibrations, own.profile), Source = own.source, ChartFrame = own.chart, ChartConfidence = own.confidence };
            else if (global is not null && (!anyOwn || o.Fallback == "global"))
            {
                planned = planned with { Calibration = Add(calibrations, global), Source = anyOwn ? $"{globalSource} (fallback global)" : globalSource };
                if (anyOwn) notes.Add($"group '{display}' has no chart: using the global calibration (fallback global)");
            }
            else if (film || !o.Enabled || o.Fallback == "none")
            {
                if (o.Enabled && !film) notes.Add($"group '{display}' has no chart: processed without chart correction (fallback none)");
                planned = planned with { Source = film ? (o.Profiles.Length > 0 ? "the roll's (no profile for this group)" : "the roll's") : "none" };
            }
            else
            {
                errors.Add($"group '{display}' has no chart or calibration of its own ({g.Files.Count} file(s)); add a chart frame, " +
                           "or choose fallback global (with a global profile) or none");
            }
            groups.Add(planned);
        }
        return groups;
    }

    private static string Add(Dictionary<string, CalibrationProfile> calibrations, CalibrationProfile p)
    {
        string key = RenderPlan.KeyOf(p);
        calibrations[key] = p;
        return key;
    }

    private ChartCalibration.Outcome? FitChart(ChartSpec chart, string? group, Pipeline.Pipeline pipeline, CalibrationOptions o, List<string> errors)
    {
        try
        {
            var outcome = Cached("chart", chart, pipeline.Recipe,
                () => Measurement.Chart(pipeline, chart.File, new CalibrateOptions { Reference = o.Reference, Corners = chart.CornerPoints }));
            // The fit does not depend on the group; the profile records it.
            outcome = outcome with { Profile = outcome.Profile with { Group = group } };
            Progress?.Invoke($"{chart.File}: chart calibrated for {(group is null ? "all groups" : $"group '{DatasetGroup.Display(group)}'")}, " +
                             $"mean ΔE2000 {outcome.Profile.DeltaE.Mean:0.00} ({outcome.Profile.Model})");
            return outcome;
        }
        catch (Exception e) when (e is RawDecodeException or ArgumentException) { errors.Add(e.Message); return null; }
    }

    // ---- chart frames found automatically ------------------------------------------------------------------------

    /// <summary>Each group's chart frame for <see cref="CalibrationOptions.Auto"/>, positives and negatives alike: the
    /// most confident detection among the group's own frames, so that no group gets another group's chart. Groups
    /// without one are left out.</summary>
    private IEnumerable<(DatasetGroup group, string file, double confidence)> FoundChartFrames(IEnumerable<DatasetGroup> groups, Pipeline.Pipeline pipeline, bool negative)
    {
        foreach (var g in groups)
            if (BestChartFrame(g.Files.Select(f => f.Path), pipeline, negative) is { } found) yield return (g, found.file, found.confidence);
    }

    /// <summary>The most confident chart detection among <paramref name="files"/>, on the decode stage at half size;
    /// null when none has a chart. Unreadable files are skipped (the batch reports them).</summary>
    private (string file, double confidence)? BestChartFrame(IEnumerable<string> files, Pipeline.Pipeline pipeline, bool negative)
    {
        (string file, double confidence)? best = null;
        foreach (var f in files)
        {
            var confidence = Cached("scan", new ChartSpec(f), pipeline.Recipe, () =>
            {
                try
                {
                    var stage = pipeline.Decode(f, DemosaicMode.Half);
                    using (stage.Decoded)
                    {
                        var d = ChartDetector.Detect(stage.Decoded.Image, new DetectorOptions { Negative = negative });
                        // Only a detection trusted enough to pick a chart frame unattended counts (chart-free frames score 0).
                        return d.Found && d.Confidence >= ChartDetection.TrustedConfidence ? d.Confidence : (double?)null;
                    }
                }
                catch (Exception e) when (e is RawDecodeException or ArgumentException or IOException) { return null; }
            });
            Progress?.Invoke($"scanned {f}: {(confidence is { } c ? $"chart, confidence {c:0.00}" : "no chart")}");
            if (confidence is { } conf && (best is null || conf > best.Value.confidence)) best = (f, conf);
        }
        return best;
    }

    private T Cached<T>(string kind, ChartSpec chart, Recipe recipe, Func<T> make, IReadOnlyList<string>? files = null)
    {
        var stamps = (files ?? [chart.File]).Select(Stamp);
        // Everything that changes what the decode stage gives and how it is measured; per-frame film settings do not.
        string key = JsonSerializer.Serialize(new
        {
            // (Not the white balance: a calibrated image, and so its chart, is decoded as shot.)
            kind, stamps, chart.Corners, chart.AllGroups, recipe.Decode,
            film = recipe.Film with { ExposureEv = 0, Trims = [0, 0, 0], Unlocked = false, LockRoll = false }, recipe.Calibration.Reference,
        }, Recipe.Json);
        var entry = _cache.Entries.GetOrAdd(key, _ => new Lazy<object?>(() => make()));
        try { return (T)entry.Value!; }
        catch
        {
            _cache.Entries.TryRemove(key, out _); // a file fixed or replaced is measured again next time
            throw;
        }
    }

    private static string Stamp(string path)
    {
        var info = new FileInfo(path);
        return info.Exists ? $"{info.FullName}|{info.Length}|{info.LastWriteTimeUtc.Ticks}" : path;
    }
}

/// <summary>Measurements made while resolving plans, kept so that resolving again after a change that does not affect
/// them (a slider, another output folder) costs nothing. Failed measurements are not kept.</summary>
public sealed class PlanCache
{
    internal ConcurrentDictionary<string, Lazy<object?>> Entries { get; } = new();

    public void Clear() => Entries.Clear();
}
