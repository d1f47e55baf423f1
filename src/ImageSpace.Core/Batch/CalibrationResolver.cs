using ImageSpace.Core.Calibration;
using ImageSpace.Core.Pipeline;

namespace ImageSpace.Core.Batch;

/// <summary>Which calibration each group of a batch gets, decided before anything is processed:
/// 1. profiles and chart frames that belong to the group (a profile's "group", or a chart file inside the group);
/// 2. otherwise the global profile (a profile without group, or a chart outside the dataset) — automatically when
///    no group has its own, and only with fallback "global" when some do;
/// 3. otherwise an error naming the group. Never another group's chart.</summary>
public static class CalibrationResolver
{
    public sealed record Resolution(Dictionary<string, CalibrationProfile?> ByGroup, List<string> Errors, List<string> Notes);

    public static Resolution Resolve(Dataset dataset, CalibrationOptions o)
    {
        var byGroup = new Dictionary<string, CalibrationProfile?>();
        var errors = new List<string>();
        var notes = new List<string>();
        if (!o.Enabled)
        {
            foreach (var g in dataset.Groups) byGroup[g.Name] = null;
            return new(byGroup, errors, notes);
        }
        var perGroup = new Dictionary<string, List<ChartCalibration.Outcome>>();
        var groupProfiles = new Dictionary<string, CalibrationProfile>();
        CalibrationProfile? global = null;
        foreach (var path in o.Profiles)
        {
            try
            {
                var p = CalibrationProfile.Load(path);
                if (p.Group is null) global = p;
                else groupProfiles[p.Group] = p;
            }
            catch (ArgumentException e) { errors.Add(e.Message); }
        }
        var fileGroup = dataset.Files.ToDictionary(f => Path.GetFullPath(f.Path), f => f.Group);
        var globalCharts = new List<ChartCalibration.Outcome>();
        foreach (var chart in o.Charts)
        {
            string? group = fileGroup.TryGetValue(Path.GetFullPath(chart), out var g) ? g : null;
            try
            {
                var outcome = ChartCalibration.FromImage(chart, new CalibrateOptions { Reference = o.Reference, Group = group });
                if (group is null) globalCharts.Add(outcome);
                else (perGroup.TryGetValue(group, out var list) ? list : perGroup[group] = []).Add(outcome);
                notes.Add($"{chart}: chart calibrated for {(group is null ? "all groups" : $"group '{DatasetGroup.Display(group)}'")}, mean ΔE2000 {outcome.Profile.DeltaE.Mean:0.00} ({outcome.Profile.Model})");
            }
            catch (Exception e) when (e is Raw.RawDecodeException or ArgumentException) { errors.Add(e.Message); }
        }
        foreach (var (group, outcomes) in perGroup)
            groupProfiles[group] = ChartCalibration.Combine(outcomes, o.Combine, new CalibrateOptions { Reference = o.Reference, Group = group }).Profile;
        if (globalCharts.Count > 0) global = ChartCalibration.Combine(globalCharts, o.Combine, new CalibrateOptions { Reference = o.Reference }).Profile;

        bool anyGroupSpecific = groupProfiles.Count > 0;
        foreach (var g in dataset.Groups)
        {
            if (groupProfiles.TryGetValue(g.Name, out var own)) byGroup[g.Name] = own;
            else if (global is not null && (!anyGroupSpecific || o.Fallback == "global"))
            {
                byGroup[g.Name] = global;
                if (anyGroupSpecific) notes.Add($"group '{DatasetGroup.Display(g.Name)}' has no chart: using the global calibration (--calibration-fallback global)");
            }
            else errors.Add($"group '{DatasetGroup.Display(g.Name)}' has no chart or calibration of its own ({g.Files.Count} file(s)); add a chart frame, " +
                            "or choose --calibration-fallback global (with a global profile) or --no-calibration");
        }
        return new(byGroup, errors, notes);
    }
}
