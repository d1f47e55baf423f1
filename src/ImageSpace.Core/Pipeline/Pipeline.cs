using ImageSpace.Core.Export;
using ImageSpace.Core.Imaging;
using ImageSpace.Core.Raw;
using ImageSpace.Core.Imaging;

namespace ImageSpace.Core.Pipeline;

/// <summary>One step of the pipeline on the linear working-space image. Operators are small and self-contained
/// (darktable's iop idea): parameters come from the recipe, sizes scale with the image so a preview matches the
/// export.</summary>
public interface IImageOperator
{
    string Name { get; }
    /// <summary>True when the operator's parameters make it do nothing; such operators are skipped.</summary>
    bool IsIdentity { get; }
    void Apply(RgbImage image, OperatorContext context);
}

/// <summary>What an operator may know besides the pixels.</summary>
/// <param name="Scale">Size of this image relative to the full-resolution output (0.5 for a half-size preview).</param>
public sealed record OperatorContext(RawMetadata Metadata, double Scale);

/// <summary>RAW → decoded working-space image → operators → encoded file. The only implementation of the maths;
/// previews run it with <see cref="DemosaicMode.Half"/>.</summary>
public sealed class Pipeline
{
    public Recipe Recipe { get; }
    public IReadOnlyList<IImageOperator> Operators { get; }

    public Pipeline(Recipe recipe)
    {
        recipe.Validate();
        Recipe = recipe;
        Operators = [];
        if (recipe.Film.Enabled && recipe.Film.Roll is { } roll) Roll = Film.RollProfile.Load(roll);
    }

    /// <param name="calibration">The chart calibration of the image's group, if any: applied right after decoding,
    /// before every adjustment (it defines colour and exposure; adjustments work on calibrated data).</param>
    /// <param name="maxSide">Preview: the decoded image is reduced (area average) to at most this many pixels on its
    /// long side before any operator runs; operators scale their radii to it, so it looks like the export.</param>
    public DecodedImage Render(string input, DemosaicMode? demosaic = null, Calibration.CalibrationProfile? calibration = null, int? maxSide = null)
    {
        var prepared = Prepare(input, demosaic, calibration, maxSide);
        ApplyAdjustments(prepared.Decoded.Image, prepared);
        if (Recipe.Film.Enabled) ReportHeadroom(prepared.Decoded);
        return prepared.Decoded;
    }

    /// <summary>An image decoded, reduced, inverted (film) and chart-corrected: everything before the adjustments.
    /// The UI keeps it and re-runs only <see cref="ApplyAdjustments"/> on a copy when a slider moves.</summary>
    public sealed record Prepared(DecodedImage Decoded, OperatorContext Context, Adjust.WhiteBalanceSetting WhiteBalance, string Input);

    /// <summary>The adjustments (<see cref="AdjustmentsFor"/>) on <paramref name="image"/>, in place.</summary>
    public void ApplyAdjustments(RgbImage image, Prepared prepared)
    {
        foreach (var op in AdjustmentsFor(prepared.Input, prepared.WhiteBalance).Where(o => !o.IsIdentity)) op.Apply(image, prepared.Context);
    }

    public Prepared Prepare(string input, DemosaicMode? demosaic = null, Calibration.CalibrationProfile? calibration = null, int? maxSide = null)
    {
        var options = demosaic is { } d ? Recipe.Decode with { Demosaic = d } : Recipe.Decode;
        var film = Recipe.Film;
        var adjust = Recipe.Adjust;
        var wb = Adjust.WhiteBalanceSetting.Parse(adjust.WhiteBalance);
        var warnings = new List<string>();
        if (wb.Mode != Adjust.WhiteBalanceKind.AsShot && (calibration ?? Roll?.Calibration) is not null)
        {
            // The chart fit already maps this light to the reference; a per-image balance on top would undo the
            // consistency the chart gives a group.
            warnings.Add($"white balance '{adjust.WhiteBalance}' ignored: the chart calibration sets the white balance");
            wb = new Adjust.WhiteBalanceSetting(Adjust.WhiteBalanceKind.AsShot);
        }
        if (film.Enabled) options = Film.FilmProcessor.DecodeFor(options);
        else if (wb.Mode == Adjust.WhiteBalanceKind.Kelvin)
        {
            // RAW: through the camera's own matrices for that light, as a raw converter's temperature slider does.
            var (x, y) = Adjust.WhiteBalanceSetting.LightChromaticity(wb.Kelvin, wb.Tint);
            options = options with { WhiteBalance = WhiteBalanceMode.Light, LightXy = [x, y] };
            wb = new Adjust.WhiteBalanceSetting(Adjust.WhiteBalanceKind.AsShot);
        }
        var decoded = film.Enabled && Imaging.ImageLoader.IsPhoto(input) ? PhotoAsCamera(input) : RawDecoder.Decode(input, options);
        decoded.Warnings.AddRange(warnings);
        double scale = options.Demosaic == DemosaicMode.Half ? 0.5 : 1.0;
        if (maxSide is { } side && Math.Max(decoded.Image.Width, decoded.Image.Height) > side)
            (decoded, scale) = (Reduce(decoded, side, out double f), scale * f);
        var ctx = new OperatorContext(decoded.Metadata, scale);
        var ops = new List<IImageOperator>();
        if (film.Enabled)
        {
            // Negative → scene-linear positive, then the roll's chart correction (measured on inverted patches), else
            // the positive read as linear sRGB primaries.
            if (film.FlatField is { } flatPath) FlatFor(flatPath, options).Apply(decoded.Image);
            var p = Film.FilmProcessor.Resolve(decoded.Image, decoded.Metadata, film, Roll, scale);
            ops.Add(new Film.NegativeInverter(p));
            calibration ??= Roll?.Calibration;
            if (calibration is null) ops.Add(new MatrixStep(Film.FilmProcessor.PositiveToWorking));
        }
        if (calibration is not null) ops.Add(new Calibration.CalibrationOperator(calibration));
        foreach (var op in ops.Where(o => !o.IsIdentity)) op.Apply(decoded.Image, ctx);
        if (ops.OfType<Film.NegativeInverter>().FirstOrDefault()?.FloorWarning(decoded.Image.PixelCount) is { } floorWarning) decoded.Warnings.Add(floorWarning);
        return new Prepared(decoded, ctx, wb, input);
    }

    /// <summary>The adjustment operators in their fixed order: exposure (EV × the image's normalisation multiplier),
    /// white balance, denoise, shadows/highlights, sharpen, masked export.</summary>
    private IEnumerable<IImageOperator> AdjustmentsFor(string input, Adjust.WhiteBalanceSetting wb)
    {
        var a = Recipe.Adjust;
        yield return new Adjust.ExposureOperator(Math.Pow(2, a.ExposureEv) * a.MultiplierFor(input));
        yield return new Adjust.WhiteBalanceOperator(wb);
        yield return new Adjust.DenoiseOperator(a.Denoise);
        yield return new Adjust.ShadowsHighlightsOperator(a.Shadows, a.Highlights);
        yield return new Adjust.SharpenOperator(a.Sharpen, a.SharpenRadius, a.SharpenThreshold);
        if (a.MaskClipped) yield return new Adjust.ClippedMaskOperator(a.Limits, withAlpha: Recipe.Export.NormalizedFormat != "jpg");
    }

    /// <summary>Area-averaged reduction of a decoded image to <paramref name="side"/> pixels on its long side.</summary>
    private static DecodedImage Reduce(DecodedImage d, int side, out double factor)
    {
        var src = d.Image;
        factor = side / (double)Math.Max(src.Width, src.Height);
        int w = Math.Max(1, (int)Math.Round(src.Width * factor)), h = Math.Max(1, (int)Math.Round(src.Height * factor));
        var dst = new RgbImage(w, h);
        for (int c = 0; c < 3; c++)
        {
            using var s = OpenCvSharp.Mat.FromPixelData(src.Height, src.Width, OpenCvSharp.MatType.CV_32FC1, src.Plane(c));
            using var o = OpenCvSharp.Mat.FromPixelData(h, w, OpenCvSharp.MatType.CV_32FC1, dst.Plane(c));
            OpenCvSharp.Cv2.Resize(s, o, new OpenCvSharp.Size(w, h), 0, 0, OpenCvSharp.InterpolationFlags.Area);
        }
        src.Dispose();
        var reduced = new DecodedImage
        {
            SourcePath = d.SourcePath, Image = dst, Metadata = d.Metadata, Multipliers = d.Multipliers, CameraToWorking = d.CameraToWorking,
            ColorSource = d.ColorSource, WhiteLevel = d.WhiteLevel, Timings = d.Timings,
        };
        reduced.Warnings.AddRange(d.Warnings);
        return reduced;
    }

    private Film.FlatField? _flat;
    private Film.FlatField FlatFor(string path, DecodeOptions options)
    {
        lock (this)
        {
            if (_flat is not null) return _flat;
            var flat = Imaging.ImageLoader.IsPhoto(path) ? PhotoAsCamera(path) : RawDecoder.Decode(path, options);
            using (flat) _flat = new Film.FlatField(flat.Image);
            return _flat;
        }
    }

    /// <summary>A positive keeps its headroom; say how much of it an integer output will clip.</summary>
    private static void ReportHeadroom(DecodedImage d)
    {
        var img = d.Image;
        long above = 0;
        for (int i = 0; i < img.PixelCount; i += 7)
            if (img.R[i] > 1 || img.G[i] > 1 || img.B[i] > 1) above++;
        double fraction = above / (double)((img.PixelCount + 6) / 7);
        if (fraction > 0.001) d.Warnings.Add($"{fraction:P1} of the positive is above 1.0 (kept in float outputs, clipped in 8/16-bit ones; lower the exposure to keep it)");
    }

    /// <summary>A negative that is a photo (a camera JPEG or TIFF of a film scan): its sRGB-decoded linear values stand in
    /// for camera RGB. The camera's tone curve, if any, remains, so density slopes are less exact than from a RAW.</summary>
    private static DecodedImage PhotoAsCamera(string input)
    {
        var (img, _) = Imaging.ImageLoader.Load(input);
        Imaging.MatrixOperator.Apply(img, Color.RgbColorSpace.Srgb.FromXyz * Color.WorkingSpace.Space.ToXyz);
        return new DecodedImage
        {
            SourcePath = input, Image = img, Metadata = new RawMetadata(), Multipliers = [1, 1, 1], CameraToWorking = Color.Matrix3.Identity,
            ColorSource = "sRGB photo", WhiteLevel = 1, Timings = new DecodeTimings(TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero),
        };
    }

    /// <summary>The roll profile of negative processing (from the recipe's film.roll file, or set by the caller).</summary>
    public Film.RollProfile? Roll { get; set; }

    private sealed class MatrixStep(Color.Matrix3 m) : IImageOperator
    {
        public string Name => "matrix";
        public bool IsIdentity => false;
        public void Apply(Imaging.RgbImage image, OperatorContext context) => Imaging.MatrixOperator.Apply(image, m);
    }

    /// <summary>Writes <paramref name="image"/> to <paramref name="output"/> atomically, in the recipe's format and
    /// colour space, with the RAW's metadata. The image is converted in place (it is consumed).</summary>
    public void Encode(DecodedImage image, string output) =>
        Export.OutputEncoder.Write(image.Image, image.SourcePath, output, Recipe.Export);
}
