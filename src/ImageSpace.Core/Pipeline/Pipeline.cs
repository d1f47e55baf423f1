using ImageSpace.Core.Adjust;
using ImageSpace.Core.Imaging;
using ImageSpace.Core.Operators;
using ImageSpace.Core.Raw;

namespace ImageSpace.Core.Pipeline;

/// <summary>RAW → decoded working-space image → operators → encoded file. The only implementation of the maths;
/// previews run it with <see cref="DemosaicMode.Half"/>, and measurement (chart detection and calibration, film
/// analysis, exposure analysis) takes its pixels from its stages:
/// <list type="number">
/// <item><see cref="Decode"/>: the decoded image (camera RGB for negatives, the working space otherwise), white
///   balance applied at decode where it is a decode setting, reduced for previews, flat-fielded (film);</item>
/// <item><see cref="Develop"/>: film inverted, chart calibration applied;</item>
/// <item><see cref="ApplyAdjustments"/>: exposure, per-image white balance, denoise, shadows/highlights, sharpen, mask.</item>
/// </list></summary>
public sealed class Pipeline
{
    public Recipe Recipe { get; }

    /// <summary>The roll profile of negative processing, as a plan resolved it (a roll file, a chart frame, a locked
    /// roll); null inverts each frame on its own. The pipeline reads no files of the recipe's itself.</summary>
    public Film.RollProfile? Roll { get; set; }

    /// <summary>How a RAW file is decoded; null: <see cref="RawDecoder.Decode(string, DecodeOptions)"/>. The UI passes
    /// one that keeps the file's unpacked sensor data, so a white-balance change does not unpack it again.</summary>
    public Func<string, DecodeOptions, DecodedImage>? RawDecode { get; init; }

    public Pipeline(Recipe recipe)
    {
        recipe.Validate();
        Recipe = recipe;
    }

    /// <summary>An image at a stage of the pipeline with what the later stages need to know about it. The UI keeps
    /// the developed one and re-runs only <see cref="ApplyAdjustments"/> on a copy when a slider moves.</summary>
    /// <param name="WhiteBalance">the per-image white balance still to apply in the adjustments (decode-level
    /// settings are already applied, and a calibrated image gets none)</param>
    public sealed record Prepared(DecodedImage Decoded, OperatorContext Context, WhiteBalanceSetting WhiteBalance, string Input);

    /// <param name="calibration">The chart calibration of the image's group, if any: applied right after decoding
    /// (and inversion), before every adjustment (it defines colour and exposure; adjustments work on calibrated
    /// data).</param>
    /// <param name="maxSide">Preview: the decoded image is reduced (area average) to at most this many pixels on its
    /// long side before any operator runs; operators scale their radii to it, so it looks like the export.</param>
    /// <param name="exposureMultiplier">the image's exposure-normalisation multiplier as a plan resolved it; null looks
    /// it up in the recipe</param>
    public DecodedImage Render(string input, DemosaicMode? demosaic = null, Calibration.CalibrationProfile? calibration = null, int? maxSide = null,
        double? exposureMultiplier = null)
    {
        var prepared = Prepare(input, demosaic, calibration, maxSide);
        try
        {
            ApplyAdjustments(prepared.Decoded.Image, prepared, exposureMultiplier);
            if (Recipe.Film.Enabled) ReportHeadroom(prepared.Decoded);
            return prepared.Decoded;
        }
        catch { prepared.Decoded.Dispose(); throw; }
    }

    /// <summary>Decoded and developed: everything before the adjustments.</summary>
    public Prepared Prepare(string input, DemosaicMode? demosaic = null, Calibration.CalibrationProfile? calibration = null, int? maxSide = null)
    {
        bool calibrated = calibration is not null || (Recipe.Film.Enabled && Roll?.Calibration is not null);
        var stage = Decode(input, demosaic, maxSide, calibrated);
        try { return Develop(stage, calibration); }
        catch { stage.Decoded.Dispose(); throw; }
    }

    /// <summary>Stage 1, what measurement looks at: decoded (negatives: linear camera RGB without white balance;
    /// positives: the working space with the decode-level white balance), reduced to <paramref name="maxSide"/>, and
    /// flat-fielded (negatives).</summary>
    /// <param name="calibrated">the image will get a chart calibration (or is a chart being measured for one): the
    /// white-balance setting is not applied, with a warning. The chart maps the light to the reference; a balance on
    /// top would undo the consistency it gives a group, and measuring the chart as shot keeps chart and frames
    /// decoded alike whatever the setting.</param>
    public Prepared Decode(string input, DemosaicMode? demosaic = null, int? maxSide = null, bool calibrated = false)
    {
        var options = demosaic is { } d ? Recipe.Decode with { Demosaic = d } : Recipe.Decode;
        var film = Recipe.Film;
        var adjust = Recipe.Adjust.For(input); // an image's own adjustments (its white balance too)
        var wb = WhiteBalanceSetting.Parse(adjust.WhiteBalance);
        var warnings = new List<string>();
        if (calibrated && wb.Mode != WhiteBalanceKind.AsShot)
        {
            warnings.Add($"white balance '{adjust.WhiteBalance}' not applied: the chart calibration sets the white balance");
            wb = new WhiteBalanceSetting(WhiteBalanceKind.AsShot);
        }
        bool photo = ImageLoader.IsPhoto(input);
        if (film.Enabled) options = Film.FilmProcessor.DecodeFor(options);
        else if (wb.AppliesAtDecode(photo))
        {
            options = wb.DecodeOptions(options);
            wb = new WhiteBalanceSetting(WhiteBalanceKind.AsShot);
        }
        var decoded = photo ? DecodePhoto(input, asCamera: film.Enabled) : (RawDecode ?? RawDecoder.Decode)(input, options);
        decoded.Warnings.AddRange(warnings);
        var full = photo || options.Demosaic != DemosaicMode.Half ? (decoded.Image.Width, decoded.Image.Height) : FullSizeOf(decoded.Metadata, decoded.Image.Width, decoded.Image.Height);
        double scale = Math.Max(decoded.Image.Width, decoded.Image.Height) / (double)Math.Max(full.Item1, full.Item2);
        if (maxSide is { } side && Math.Max(decoded.Image.Width, decoded.Image.Height) > side)
            (decoded, scale) = (Reduce(decoded, side, out double f), scale * f);
        if (film.Enabled && film.FlatField is { } flatPath)
        {
            var flat = FlatFor(flatPath, options);
            if (flat.MismatchWith(decoded.Image, CameraName(decoded.Metadata)) is { } mismatch)
            {
                decoded.Dispose();
                throw new ArgumentException($"flat field {flatPath}: {mismatch}");
            }
            flat.Apply(decoded.Image);
        }
        return new Prepared(decoded, new OperatorContext(decoded.Metadata, scale) { FullSize = full }, wb, input);
    }

    /// <summary>The size a full decode of a RAW gives, for a half-size decode of <paramref name="width"/> ×
    /// <paramref name="height"/>: the metadata's image size, turned as the decode turned it. Not twice the half size:
    /// a payload that is RGB already (a scanner's NEF) is not halved by LibRaw, and an odd side is rounded up.</summary>
    public static (int Width, int Height) FullSizeOf(Raw.RawMetadata meta, int width, int height)
    {
        if (meta.Width <= 0 || meta.Height <= 0) return (2 * width, 2 * height);
        var (w, h) = (meta.Width, meta.Height);
        return (width >= height) == (w >= h) ? (w, h) : (h, w);
    }

    /// <summary>Stage 2, in place: a negative becomes a scene-linear positive (the roll's, or the frame's own,
    /// inversion), then the chart calibration; an uncalibrated positive of film is read through the typical layer
    /// overlap.</summary>
    public Prepared Develop(Prepared stage, Calibration.CalibrationProfile? calibration) => Calibrate(Invert(stage), calibration);

    /// <summary>Stage 2a, in place: a negative inverted (nothing for positives), cut to the picture when the recipe crops
    /// the rebate (a new image then). Film exposure and trims act only in
    /// its last step, as a gain per channel (0.18·2^EV·10^−trim), which the UI applies to a frame it inverted at zero.</summary>
    public Prepared Invert(Prepared stage)
    {
        if (!Recipe.Film.Enabled) return stage;
        var (decoded, ctx) = (stage.Decoded, stage.Context);
        var p = Film.FilmProcessor.Resolve(decoded.Image, decoded.Metadata, Recipe.Film, Roll, ctx.Scale);
        // The base is measured (above) with the rebate; the positive is cut to the picture before the inversion.
        bool cropped = false;
        if (Recipe.Film.CropRebate && Film.FrameBorder.Detect(decoded.Image, p.Base) is var area && !area.IsWhole(decoded.Image.Width, decoded.Image.Height))
        {
            // The picture is smaller now, at full resolution too: what an export of the cropped positive writes.
            stage = stage with
            {
                Decoded = decoded = Film.FrameBorder.Crop(decoded, area),
                Context = ctx = ctx with { FullSize = ((int)Math.Round(area.Width / ctx.Scale), (int)Math.Round(area.Height / ctx.Scale)) },
            };
            cropped = true;
        }
        try
        {
            var inverter = new NegativeInverter(p);
            inverter.Apply(decoded.Image, ctx);
            if (inverter.FloorWarning(decoded.Image.PixelCount) is { } floorWarning) decoded.Warnings.Add(floorWarning);
            return stage;
        }
        // The caller disposes the image it handed in; a crop made here (Crop released the original) is ours to release.
        catch
        {
            if (cropped) decoded.Dispose();
            throw;
        }
    }

    /// <summary>Stage 2b, in place: the chart calibration (the roll's for negatives without one of their group); an
    /// uncalibrated film positive is read through the typical layer overlap.</summary>
    public Prepared Calibrate(Prepared stage, Calibration.CalibrationProfile? calibration)
    {
        var ops = new List<IImageOperator>();
        if (Recipe.Film.Enabled)
        {
            calibration ??= Roll?.Calibration;
            if (calibration is null) ops.Add(new MatrixStep(Film.FilmProcessor.PositiveToWorking));
        }
        if (calibration is not null) ops.Add(new CalibrationOperator(calibration));
        foreach (var op in ops.Where(o => !o.IsIdentity)) op.Apply(stage.Decoded.Image, stage.Context);
        return stage;
    }

    /// <summary>The adjustments on <paramref name="image"/>, in place: the operators of <see cref="AdjustmentTable"/>
    /// that the recipe turns on, in the table's order; operators whose parameters make them do nothing are skipped.</summary>
    /// <param name="exposureMultiplier">the image's normalisation multiplier as a plan resolved it; null looks it up in
    /// the recipe</param>
    public void ApplyAdjustments(RgbImage image, Prepared prepared, double? exposureMultiplier = null)
    {
        var inputs = new AdjustmentInputs(Recipe.Adjust.For(prepared.Input), exposureMultiplier ?? Recipe.Adjust.MultiplierFor(prepared.Input), prepared.WhiteBalance,
            Alpha: Recipe.Export.NormalizedFormat != "jpg");
        foreach (var op in AdjustmentTable.For(inputs).Where(o => !o.IsIdentity)) op.Apply(image, prepared.Context);
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

    private readonly Lock _flatLock = new();
    private Film.FlatField? _flat;
    private Film.FlatField FlatFor(string path, DecodeOptions options)
    {
        lock (_flatLock)
        {
            if (_flat is not null) return _flat;
            var flat = ImageLoader.IsPhoto(path) ? DecodePhoto(path, asCamera: true) : RawDecoder.Decode(path, options);
            using (flat) _flat = new Film.FlatField(flat.Image) { Camera = CameraName(flat.Metadata) };
            return _flat;
        }
    }

    private static string CameraName(RawMetadata m) => $"{m.Make} {m.Model}".Trim();

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

    /// <summary>A JPEG/PNG/TIFF input, read as sRGB and linearised. A negative that is a photo (a camera JPEG or TIFF
    /// of a film scan) stays in those linear sRGB values, which stand in for camera RGB; the camera's tone curve, if
    /// any, remains, so density slopes are less exact than from a RAW. A positive goes to the working space.</summary>
    private static DecodedImage DecodePhoto(string input, bool asCamera)
    {
        var (img, _) = ImageLoader.Load(input);
        if (asCamera) MatrixOperator.Apply(img, Color.RgbColorSpace.Srgb.FromXyz * Color.WorkingSpace.Space.ToXyz);
        return new DecodedImage
        {
            SourcePath = input, Image = img, Metadata = new RawMetadata(), Multipliers = [1, 1, 1],
            CameraToWorking = asCamera ? Color.Matrix3.Identity : Color.WorkingSpace.Space.FromXyz * Color.RgbColorSpace.Srgb.ToXyz,
            ColorSource = "sRGB photo", WhiteLevel = 1, Timings = new DecodeTimings(TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero),
        };
    }

    private sealed class MatrixStep(Color.Matrix3 m) : IImageOperator
    {
        public string Name => "matrix";
        public bool IsIdentity => false;
        public void Apply(RgbImage image, OperatorContext context) => MatrixOperator.Apply(image, m);
    }

    /// <summary>Writes <paramref name="image"/> to <paramref name="output"/> atomically, in the recipe's format and
    /// colour space, with the RAW's metadata (<paramref name="metadata"/>: from <see cref="Export.OutputEncoder.StartMetadata"/>
    /// before the decode, to overlap exiftool with it). The image is converted in place (it is consumed).</summary>
    public void Encode(DecodedImage image, string output, Task<Export.OutputMetadata>? metadata = null) =>
        Export.OutputEncoder.Write(image.Image, image.SourcePath, output, Recipe.Export, metadata);
}
