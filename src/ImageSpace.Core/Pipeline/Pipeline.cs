using ImageSpace.Core.Export;
using ImageSpace.Core.Imaging;
using ImageSpace.Core.Raw;

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
    public DecodedImage Render(string input, DemosaicMode? demosaic = null, Calibration.CalibrationProfile? calibration = null)
    {
        var options = demosaic is { } d ? Recipe.Decode with { Demosaic = d } : Recipe.Decode;
        var film = Recipe.Film;
        if (film.Enabled) options = Film.FilmProcessor.DecodeFor(options);
        var decoded = film.Enabled && Imaging.ImageLoader.IsPhoto(input) ? PhotoAsCamera(input) : RawDecoder.Decode(input, options);
        double scale = options.Demosaic == DemosaicMode.Half ? 0.5 : 1.0;
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
        ops.AddRange(Operators);
        foreach (var op in ops.Where(o => !o.IsIdentity)) op.Apply(decoded.Image, ctx);
        if (film.Enabled) ReportHeadroom(decoded);
        return decoded;
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
