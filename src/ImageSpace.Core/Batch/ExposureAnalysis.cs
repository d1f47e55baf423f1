using ImageSpace.Core.Adjust;

namespace ImageSpace.Core.Batch;

/// <summary>Exposure normalisation of a dataset group, from files to multipliers: the one path the CLI's
/// `exposure analyze` and the UI's "Normalise" button both take.</summary>
public static class ExposureAnalysis
{
    public sealed record Measured(DatasetFile File, ExposureHistogram Histogram, ExposureNormalization.Result Result);

    /// <summary>The pipeline images are measured with: no adjustments and no chart correction (a linear correction
    /// scales every image alike), half-size decode.</summary>
    /// <param name="roll">a roll locked elsewhere (the UI's); the recipe's own roll file is loaded by the pipeline</param>
    public static Pipeline.Pipeline MeasuringPipeline(Pipeline.Recipe r, Film.RollProfile? roll = null)
    {
        roll ??= r.Film.Enabled && r.Film.Roll is { } file ? Film.RollProfile.Load(file) : null;
        return new Pipeline.Pipeline(r with { Adjust = new AdjustOptions { Limits = r.Adjust.Limits }, Calibration = new Pipeline.CalibrationOptions() }) { Roll = roll };
    }

    /// <summary>Measures every file of <paramref name="group"/> and solves its multipliers. A file that cannot be read
    /// goes to <paramref name="onError"/> and is left out; the rest carry on.</summary>
    /// <param name="referencePath">full path of the image the others follow, or null for the group's average</param>
    /// <exception cref="ArgumentException">the group cannot be normalised (too few usable pixels in common)</exception>
    public static IReadOnlyList<Measured> Group(Pipeline.Pipeline measure, DatasetGroup group, string? referencePath,
        Action<DatasetFile, string> onError, Action<DatasetFile>? onMeasured = null)
    {
        var histograms = new List<(DatasetFile file, ExposureHistogram histogram)>();
        foreach (var f in group.Files)
        {
            try
            {
                using var d = measure.Render(f.Path, Raw.DemosaicMode.Half);
                histograms.Add((f, ExposureHistogram.Measure(f.Path, d.Image)));
            }
            catch (Exception e) when (e is Raw.RawDecodeException or IOException or InvalidDataException or ArgumentException)
            {
                onError(f, e.Message);
            }
            onMeasured?.Invoke(f);
        }
        string? reference = histograms.FirstOrDefault(h => referencePath is not null && Path.GetFullPath(h.file.Path) == referencePath).file?.Path;
        var solved = ExposureNormalization.Solve(histograms.Select(h => h.histogram).ToList(), measure.Recipe.Adjust.Limits, reference);
        return histograms.Zip(solved, (h, s) => new Measured(h.file, h.histogram, s)).ToList();
    }

    /// <summary>The recipe's multipliers: keyed by path relative to the analysed folder, as
    /// <see cref="AdjustOptions.MultiplierFor"/> looks them up.</summary>
    public static Dictionary<string, double> Multipliers(IEnumerable<Measured> measured) =>
        measured.ToDictionary(m => m.File.RelativePath.Replace('\\', '/'), m => Math.Round(m.Result.Multiplier, 6));
}
