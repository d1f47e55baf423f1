using ImageSpace.Core.Calibration;
using ImageSpace.Core.Film;
using ImageSpace.Core.Raw;

namespace ImageSpace.Core.Pipeline;

/// <summary>Measurements on files, each taking its pixels from the pipeline's decode stage
/// (<see cref="Pipeline.Decode"/>: the recipe's decode and white balance, flat-fielded negatives), at half size: the
/// same pixels whichever front end asks, and the same as the images the measurement is applied to.</summary>
public static class Measurement
{
    /// <summary>A positive chart frame → its calibration.</summary>
    public static ChartCalibration.Outcome Chart(Pipeline pipeline, string path, CalibrateOptions options)
    {
        var stage = pipeline.Decode(path, DemosaicMode.Half, calibrated: true);
        using (stage.Decoded)
            return ChartCalibration.FromStage(stage.Decoded.Image, stage.Context.Scale, Metadata(stage), path, options);
    }

    /// <summary>A chart frame of a negative roll → the roll profile (base, slopes, grey, and the colour correction
    /// fitted on the inverted patches): one measurement for the film and the colour fitter.</summary>
    public static (RollProfile roll, Charts.ChartDetection detection) FilmChart(Pipeline pipeline, string path,
        IReadOnlyList<(double x, double y)>? corners = null, ModelKind? model = null)
    {
        if (!pipeline.Recipe.Film.Enabled) throw new ArgumentException("film chart measurement needs a recipe with film enabled");
        var stage = pipeline.Decode(path, DemosaicMode.Half);
        using (stage.Decoded)
            return FilmProcessor.CalibrateFromChart(stage.Decoded.Image, stage.Context.Scale, stage.Decoded.Metadata, path, pipeline.Recipe.Film,
                pipeline.Recipe.Calibration.Reference, model, corners);
    }

    /// <summary>A roll profile from its frames without a chart (film analyze, the UI's Lock roll).</summary>
    public static RollProfile FilmRoll(Pipeline pipeline, IReadOnlyList<string> frames, Action<string>? progress = null)
    {
        if (!pipeline.Recipe.Film.Enabled) throw new ArgumentException("roll analysis needs a recipe with film enabled");
        return FilmProcessor.Analyze(frames, f =>
        {
            var stage = pipeline.Decode(f, DemosaicMode.Half);
            return (stage.Decoded, stage.Context.Scale);
        }, pipeline.Recipe.Film, progress);
    }

    // ---- the same on a file with default settings (tools, tests, benches) ----------------------------------------

    /// <summary><see cref="Chart(Pipeline, string, CalibrateOptions)"/> with <paramref name="recipe"/>'s decode (default
    /// settings when null) and the options' reference.</summary>
    public static ChartCalibration.Outcome Chart(string path, CalibrateOptions options, Recipe? recipe = null)
    {
        recipe ??= new Recipe();
        return Chart(new Pipeline(recipe with { Calibration = recipe.Calibration with { Reference = options.Reference } }), path, options);
    }

    /// <summary><see cref="FilmChart(Pipeline, string, IReadOnlyList{ValueTuple{double, double}}?, ModelKind?)"/> with
    /// these film settings and default decoding.</summary>
    public static (RollProfile roll, Charts.ChartDetection detection) FilmChart(string path, FilmOptions film, string reference = "after2014",
        ModelKind? model = null, IReadOnlyList<(double x, double y)>? corners = null) =>
        FilmChart(FilmPipeline(film, reference), path, corners, model);

    /// <summary><see cref="FilmRoll(Pipeline, IReadOnlyList{string}, Action{string}?)"/> with these film settings.</summary>
    public static RollProfile FilmRoll(IReadOnlyList<string> frames, FilmOptions film, Action<string>? progress = null) =>
        FilmRoll(FilmPipeline(film, "after2014"), frames, progress);

    private static Pipeline FilmPipeline(FilmOptions film, string reference) =>
        new(new Recipe { Film = film with { Enabled = true }, Calibration = new CalibrationOptions { Reference = reference } });

    private static RawMetadata? Metadata(Pipeline.Prepared stage) => Raw.ImageLoader.IsPhoto(stage.Input) ? null : stage.Decoded.Metadata;
}
