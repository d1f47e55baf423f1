using System.CommandLine;
using System.Globalization;
using ImageSpace.Core.Operators;
using ImageSpace.Core.Pipeline;
using ImageSpace.Core.Raw;

namespace ImageSpace.Cli.Commands;

/// <summary>The command-line options that map onto <see cref="Recipe"/> fields. A flag given on the command line
/// overrides the recipe file; a flag not given leaves the recipe's value.</summary>
public sealed class RecipeFlags
{
    public Option<string?> Recipe { get; } = new("--recipe") { Description = "recipe JSON (see 'imagespace recipe init'); flags override it" };
    public Option<string?> Format { get; } = new("--format") { Description = "jpg | png | tiff | exr (default: tiff, 16-bit)" };
    public Option<int?> BitDepth { get; } = new("--bit-depth") { Description = "8 | 16 | 32 (jpg 8; png 8/16; tiff 8/16/32 float; exr 16 half/32 float)" };
    public Option<int?> Quality { get; } = new("--quality") { Description = "JPEG quality 1-100 (default 95)" };
    public Option<string?> Chroma { get; } = new("--chroma") { Description = "JPEG chroma subsampling: 444 | 420" };
    public Option<string?> ColorSpace { get; } = new("--colorspace") { Description = "srgb, linear-srgb, display-p3, adobe-rgb, prophoto, rec2020, acescg, linear-display-p3, linear-adobe-rgb, linear-prophoto, linear-rec2020" };
    public Option<string?> Compression { get; } = new("--compression") { Description = "tiff: none | lzw | deflate; exr: none | zip" };
    public Option<bool> NoIcc { get; } = new("--no-icc") { Description = "do not embed an ICC profile" };
    public Option<bool> NoMetadata { get; } = new("--no-metadata") { Description = "do not copy EXIF/XMP/GPS from the RAW" };
    public Option<string?> Naming { get; } = new("--naming") { Description = "output naming schema: [r] [s] [o] [oc] [c] [n] [nK] [e], / for folders (default [s]/[o][e])" };
    public Option<string?> Name { get; } = new("--name") { Description = "custom text for [c]" };
    public Option<string?> Counter { get; } = new("--counter") { Description = "[n] counts per group | global | auto (per group when [s] is a folder)" };
    public Option<string?> GroupBy { get; } = new("--group-by") { Description = "subfolder | prefix | none" };
    public Option<string?> Separator { get; } = new("--separator") { Description = "prefix grouping separator (default _)" };
    public Option<string[]> Ignore { get; } = new("--ignore") { Description = "skip files whose name or relative path matches this pattern: * any text, ? one character (repeatable)", AllowMultipleArgumentsPerToken = false };
    public Option<int?> Threads { get; } = new("--threads") { Description = "images processed at once (default: one per core)" };
    public Option<int?> Memory { get; } = new("--memory") { Description = "memory budget for images in flight, MB (default: half the available memory)" };
    public Option<bool> Overwrite { get; } = new("--overwrite") { Description = "replace existing outputs (inputs are never replaced)" };
    public Option<bool> SkipExisting { get; } = new("--skip-existing") { Description = "resume: keep complete existing outputs, redo incomplete ones" };
    public Option<string?> Wb { get; } = new("--wb") { Description = "white balance: asshot | auto | KELVIN[,TINT] | pick:X,Y[,SIZE] (full-resolution pixels) | none (raw channels) | m:R,G,B (camera multipliers)" };
    public Option<string?> Demosaic { get; } = new("--demosaic") { Description = "full (default: RCD on Bayer, our X-Trans demosaic on X-Trans) | rcd | lmmse (or quality: slower, sharper on fine colour detail) | ppg | half (2x2 cells, half size)" };
    public Option<string?> HighlightMode { get; } = new("--highlight-mode") { Description = "decode: clip (neutral blown highlights) | unclipped" };
    // The adjustments' help comes from the operators' own parameter table (ranges, defaults, units).
    public Option<double?> Exposure { get; } = new("--exposure") { Description = AdjustmentTable.Exposure.Describe() };
    public Option<double?> Shadows { get; } = new("--shadows") { Description = AdjustmentTable.Shadows.Describe() };
    public Option<double?> Highlights { get; } = new("--highlights") { Description = AdjustmentTable.Highlights.Describe() };
    public Option<double?> Denoise { get; } = new("--denoise") { Description = AdjustmentTable.Denoise.Describe() };
    public Option<string?> Sharpen { get; } = new("--sharpen")
    {
        Description = $"AMOUNT[,RADIUS,THRESHOLD]: {AdjustmentTable.Sharpen.Describe()}; {AdjustmentTable.SharpenRadius.Describe()}; {AdjustmentTable.SharpenThreshold.Describe()}",
    };
    public Option<bool> MaskClipped { get; } = new("--mask-clipped") { Description = "write pixels beyond the highlight/shadow limits black (transparent in png/tiff/exr)" };
    public Option<string?> Limits { get; } = new("--limits") { Description = "HIGHLIGHT,SHADOW limits in percent of display luminance (default 96,6)" };
    public Option<string?> ExposureMultipliers { get; } = new("--exposure-multipliers") { Description = "recipe JSON from 'imagespace exposure analyze' whose per-image multipliers to apply" };
    public Option<string[]> Calibration { get; } = new("--calibration") { Description = "calibration profile JSON (repeatable; a profile's group decides where it applies)" };
    public Option<string[]> Chart { get; } = new("--chart") { Description = "chart frame to calibrate from (repeatable; applies to its own group, or to all when outside the inputs); auto: find each group's chart frame" };
    public Option<string?> ChartCorners { get; } = new("--corners") { Description = "the --chart frame's corners placed by hand: x1,y1,…,x4,y4 in full-resolution pixels, any order" };
    public Option<string?> CalibrationFallback { get; } = new("--calibration-fallback") { Description = "a group without its own chart: error (default) | global (the global calibration) | none (no chart correction)" };
    public Option<bool> NoCalibration { get; } = new("--no-calibration") { Description = "process without chart correction even if the recipe has one" };
    public Option<string?> ChartCombine { get; } = new("--chart-combine") { Description = "several chart frames in a group: best | average" };
    public Option<bool> Negative { get; } = new("--negative") { Description = "colour (or B&W with --stock bw) negative film: invert to a scene-linear positive" };
    public Option<string?> Stock { get; } = new("--stock") { Description = "film stock preset: portra160, portra400, portra800, ektar100, gold200, ultramax400, fuji400h, superia400, fujic200, cinestill800t, bw" };
    public Option<string?> FilmBase { get; } = new("--film-base") { Description = "film base: auto (rebate) | x,y,w,h (rectangle) | r,g,b" };
    public Option<string?> Roll { get; } = new("--roll") { Description = "roll profile JSON (from 'imagespace film analyze' or a chart frame): locks base, slopes and grey for every frame" };
    public Option<double?> FilmExposure { get; } = new("--film-exposure") { Description = "negative: exposure of the positive, EV (per frame)" };
    public Option<string?> FilmTrims { get; } = new("--film-trims") { Description = "negative: cyan,magenta,yellow trims in log exposure (0.025 = one printer point)" };
    public Option<bool> LockRoll { get; } = new("--lock-roll") { Description = "negative without --roll or --chart: measure base, slopes and grey once on all frames together" };
    public Option<bool> UnlockFrame { get; } = new("--unlock-frame") { Description = "negative with --roll: keep the roll's base and slopes, but estimate this frame's grey" };
    public Option<string?> FlatField { get; } = new("--flat-field") { Description = "negative: a blank light-table frame to even out the light" };
    public Option<bool> CropRebate { get; } = new("--crop-rebate") { Description = "negative: crop the film's rebate, sprocket holes and holder around the frame" };
    public Option<string?> Unmix { get; } = new("--unmix") { Description = "camera crosstalk unmix matrix, 9 numbers row by row (measured per camera and light)" };
    public Option<string?> Reference { get; } = new("--reference") { Description = "chart reference: after2014 (default) | before2014 | CSV file" };

    public IEnumerable<Option> All => [Recipe, Format, BitDepth, Quality, Chroma, ColorSpace, Compression, NoIcc, NoMetadata,
        Naming, Name, Counter, GroupBy, Separator, Ignore, Threads, Memory, Overwrite, SkipExisting, Wb, Demosaic, HighlightMode, Exposure, Shadows, Highlights, Denoise, Sharpen, MaskClipped, Limits, ExposureMultipliers,
        Calibration, Chart, ChartCorners, CalibrationFallback, NoCalibration, ChartCombine, Reference, Negative, Stock, FilmBase, Roll, Unmix, FilmExposure, FilmTrims, FlatField, LockRoll, UnlockFrame, CropRebate];

    /// <summary>Options that only act on negatives.</summary>
    private Option[] FilmOnly => [Stock, FilmBase, Roll, Unmix, FilmExposure, FilmTrims, FlatField, LockRoll, UnlockFrame, CropRebate];

    public void AddTo(Command cmd) { foreach (var o in All) cmd.Options.Add(o); }

    public Recipe Build(ParseResult pr)
    {
        Recipe r;
        if (pr.GetValue(Recipe) is { } path)
        {
            try { r = Core.Pipeline.Recipe.Load(path); }
            catch (Exception e) when (e is ArgumentException or IOException) { throw new UsageException(e.Message); }
        }
        else r = new Recipe();
        var ex = r.Export;
        r = r with
        {
            Decode = ApplyDecode(r.Decode, pr.GetValue(Demosaic), pr.GetValue(HighlightMode)),
            Adjust = ApplyAdjust(r.Adjust, pr),
            Export = ex with
            {
                Format = pr.GetValue(Format) ?? ex.Format,
                BitDepth = pr.GetValue(BitDepth) ?? (pr.GetValue(Format) is not null ? null : ex.BitDepth),
                Quality = pr.GetValue(Quality) ?? ex.Quality,
                Chroma = pr.GetValue(Chroma) ?? ex.Chroma,
                ColorSpace = pr.GetValue(ColorSpace) ?? ex.ColorSpace,
                Compression = pr.GetValue(Compression) ?? ex.Compression,
                EmbedIcc = ex.EmbedIcc && !pr.GetValue(NoIcc),
                CopyMetadata = ex.CopyMetadata && !pr.GetValue(NoMetadata),
                Overwrite = ex.Overwrite || pr.GetValue(Overwrite),
                SkipExisting = ex.SkipExisting || pr.GetValue(SkipExisting),
            },
            Naming = r.Naming with
            {
                Schema = pr.GetValue(Naming) ?? r.Naming.Schema,
                Custom = pr.GetValue(Name) ?? r.Naming.Custom,
                Counter = pr.GetValue(Counter) ?? r.Naming.Counter,
            },
            Grouping = r.Grouping with
            {
                By = pr.GetValue(GroupBy) ?? r.Grouping.By,
                Separator = pr.GetValue(Separator) ?? r.Grouping.Separator,
                Ignore = [.. r.Grouping.Ignore, .. pr.GetValue(Ignore) ?? []],
            },
            Batch = r.Batch with
            {
                Threads = pr.GetValue(Threads) ?? r.Batch.Threads,
                MemoryMb = pr.GetValue(Memory) ?? r.Batch.MemoryMb,
            },
            Film = r.Film with
            {
                Enabled = r.Film.Enabled || pr.GetValue(Negative),
                Stock = pr.GetValue(Stock) ?? r.Film.Stock,
                Base = pr.GetValue(FilmBase) ?? r.Film.Base,
                Roll = pr.GetValue(Roll) ?? r.Film.Roll,
                Unmix = pr.GetValue(Unmix) is { } u ? ParseNumbers(u, 9, "--unmix") : r.Film.Unmix,
                ExposureEv = pr.GetValue(FilmExposure) ?? r.Film.ExposureEv,
                Trims = pr.GetValue(FilmTrims) is { } t ? ParseNumbers(t, 3, "--film-trims") : r.Film.Trims,
                FlatField = pr.GetValue(FlatField) ?? r.Film.FlatField,
                Unlocked = r.Film.Unlocked || pr.GetValue(UnlockFrame),
                LockRoll = r.Film.LockRoll || pr.GetValue(LockRoll),
                CropRebate = r.Film.CropRebate || pr.GetValue(CropRebate),
            },
            Calibration = pr.GetValue(NoCalibration) ? new CalibrationOptions() : r.Calibration with
            {
                Profiles = [.. r.Calibration.Profiles, .. pr.GetValue(Calibration) ?? []],
                Charts = [.. r.Calibration.Charts, .. Charts(pr)],
                Auto = r.Calibration.Auto || (pr.GetValue(Chart) ?? []).Any(c => c == "auto"),
                Fallback = pr.GetValue(CalibrationFallback) ?? r.Calibration.Fallback,
                Combine = pr.GetValue(ChartCombine) ?? r.Calibration.Combine,
                Reference = pr.GetValue(Reference) ?? r.Calibration.Reference,
            },
        };
        // Film options on positives would be dropped without a word (a user who forgot --negative): say so instead.
        if (!r.Film.Enabled && FilmOnly.FirstOrDefault(o => pr.GetResult(o) is { Implicit: false }) is { } filmOnly)
            throw new UsageException($"{filmOnly.Name} applies to negatives: add --negative (or leave it out)");
        try
        {
            r.Validate();
            if (r.Film.Enabled) Core.Film.FilmStocks.ByName(r.Film.Stock);
            InputFiles.Check(r);
        }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
        return r;
    }

    private static DecodeOptions ApplyDecode(DecodeOptions d, string? demosaic, string? highlights)
    {
        if (demosaic is not null)
            d = d with
            {
                Demosaic = demosaic.ToLowerInvariant() switch
                {
                    "full" => DemosaicMode.Full,
                    "half" => DemosaicMode.Half,
                    "rcd" => DemosaicMode.Rcd,
                    "ppg" => DemosaicMode.Ppg,
                    "lmmse" or "quality" => DemosaicMode.Lmmse,
                    _ => throw new UsageException($"--demosaic: '{demosaic}' is not one of full, rcd, lmmse (quality), ppg, half"),
                },
            };
        if (highlights is not null)
            d = d with
            {
                Highlights = highlights.ToLowerInvariant() switch
                {
                    "clip" => Core.Raw.HighlightMode.Clip,
                    "unclipped" => Core.Raw.HighlightMode.Unclipped,
                    _ => throw new UsageException($"--highlight-mode: '{highlights}' is not one of clip, unclipped"),
                },
            };
        return d;
    }

    private Core.Adjust.AdjustOptions ApplyAdjust(Core.Adjust.AdjustOptions a, ParseResult pr)
    {
        if (pr.GetValue(Wb) is { } wb)
        {
            // One setting; the pipeline applies it at decode where it is a decode option (see WhiteBalanceSetting).
            try { Core.Adjust.WhiteBalanceSetting.Parse(wb); }
            catch (ArgumentException e) { throw new UsageException($"--wb: {e.Message}"); }
            a = a with { WhiteBalance = wb };
        }
        a = a with
        {
            ExposureEv = pr.GetValue(Exposure) ?? a.ExposureEv,
            Shadows = pr.GetValue(Shadows) ?? a.Shadows,
            Highlights = pr.GetValue(Highlights) ?? a.Highlights,
            Denoise = pr.GetValue(Denoise) ?? a.Denoise,
            MaskClipped = a.MaskClipped || pr.GetValue(MaskClipped),
        };
        if (pr.GetValue(Sharpen) is { } sharpen)
        {
            int count = sharpen.Split(',').Length;
            if (count is not (1 or 3)) throw new UsageException($"--sharpen: '{sharpen}' is not AMOUNT or AMOUNT,RADIUS,THRESHOLD");
            var v = ParseNumbers(sharpen, count, "--sharpen");
            a = a with { Sharpen = v[0], SharpenRadius = count == 3 ? v[1] : a.SharpenRadius, SharpenThreshold = count == 3 ? v[2] : a.SharpenThreshold };
        }
        if (pr.GetValue(Limits) is { } limits)
        {
            var v = ParseNumbers(limits, 2, "--limits");
            a = a with { Limits = new Core.Adjust.ExposureLimits { HighlightPercent = v[0], ShadowPercent = v[1] } };
        }
        if (pr.GetValue(ExposureMultipliers) is { } path)
        {
            try { a = a with { ExposureMultipliers = Core.Pipeline.Recipe.Load(path).Adjust.ExposureMultipliers }; }
            catch (ArgumentException e) { throw new UsageException(e.Message); }
        }
        return a;
    }

    /// <summary>The --chart frames (auto is not a file), the single one with --corners placed by hand.</summary>
    private ChartSpec[] Charts(ParseResult pr)
    {
        var files = (pr.GetValue(Chart) ?? []).Where(c => c != "auto").ToArray();
        var corners = pr.GetValue(ChartCorners);
        if (corners is null) return files.Select(f => new ChartSpec(f)).ToArray();
        if (files.Length != 1) throw new UsageException("--corners places the chart of one --chart frame: give exactly one --chart FILE");
        var c = ParseCorners(corners)!;
        return [new ChartSpec(files[0]) { Corners = c.SelectMany(p => new[] { p.Item1, p.Item2 }).ToArray() }];
    }

    /// <summary>--corners x1,y1,…,x4,y4 (full-resolution pixels, any order).</summary>
    internal static (double, double)[]? ParseCorners(string? s)
    {
        if (s is null) return null;
        var v = ParseNumbers(s, 8, "--corners");
        var corners = Enumerable.Range(0, 4).Select(i => (v[2 * i], v[2 * i + 1])).ToArray();
        InputFiles.CheckCorners(corners, s);
        return corners;
    }

    internal static double[] ParseNumbers(string s, int count, string option)
    {
        var v = s.Split(',').Select(p => double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : double.NaN).ToArray();
        if (v.Length != count || v.Any(double.IsNaN)) throw new UsageException($"{option}: '{s}' is not {count} comma-separated numbers");
        return v;
    }
}
