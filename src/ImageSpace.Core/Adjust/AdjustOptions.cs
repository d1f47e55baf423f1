using System.Text.Json.Serialization;

namespace ImageSpace.Core.Adjust;

/// <summary>The adjustments of a recipe. Every value at its default leaves the image untouched (each operator is then
/// skipped). Sizes are in full-resolution pixels; operators scale them to the image they get, so a preview matches the
/// export.</summary>
public sealed record AdjustOptions
{
    /// <summary>Exposure in EV: ×2^EV on linear data.</summary>
    public double ExposureEv { get; init; }
    /// <summary>The one white-balance setting (<see cref="WhiteBalanceSetting"/>): asshot | auto | KELVIN[,TINT] |
    /// pick:X,Y[,SIZE] (full-resolution pixels; SIZE×SIZE average, default 11) | none | m:R,G,B.</summary>
    public string WhiteBalance { get; init; } = "asshot";
    /// <summary>−100…100: lifts (+) or deepens (−) shadows, up to ±2 EV at the darkest tones.</summary>
    public double Shadows { get; init; }
    /// <summary>−100…100: brightens (+) or recovers (−) highlights, up to ±2 EV at the brightest tones.</summary>
    public double Highlights { get; init; }
    /// <summary>0…100; 50 removes the noise the image's own noise estimate predicts, 100 twice that.</summary>
    public double Denoise { get; init; }
    /// <summary>Unsharp-mask amount 0…100 (100 adds the full high-pass once more).</summary>
    public double Sharpen { get; init; }
    /// <summary>Unsharp-mask Gaussian sigma, full-resolution pixels.</summary>
    public double SharpenRadius { get; init; } = 1.0;
    /// <summary>Detail below this many L* units is left alone (keeps flat areas and noise flat).</summary>
    public double SharpenThreshold { get; init; } = 1.0;
    /// <summary>Write pixels beyond the limits black (transparent where the format has alpha), for photogrammetry.</summary>
    public bool MaskClipped { get; init; }
    /// <summary>Highlight and shadow limits in percent, as the original's UI: of display (sRGB-encoded) luminance for
    /// masked export; as percentiles of each image's pixels for exposure normalisation.</summary>
    public ExposureLimits Limits { get; init; } = new();
    /// <summary>Per-image exposure multipliers from `imagespace exposure analyze` (relative path → linear factor).</summary>
    public Dictionary<string, double> ExposureMultipliers { get; init; } = [];
    /// <summary>Images with their own adjustments (relative path → adjustments used instead of these for that image;
    /// the normalisation multipliers stay these). Set in the UI ("this image only", paste settings).</summary>
    public Dictionary<string, AdjustOptions> Images { get; init; } = [];

    public void Validate()
    {
        // (The numeric ranges are the operators' own: Recipe.Validate checks them against Operators/AdjustmentTable.)
        Limits.Validate();
        WhiteBalanceSetting.Parse(WhiteBalance);
        foreach (var (k, v) in ExposureMultipliers)
            if (!(v > 0) || double.IsInfinity(v)) throw new ArgumentException($"exposure multiplier of '{k}' is not a positive number");
        foreach (var (k, own) in Images)
        {
            if (own.Images.Count > 0 || own.ExposureMultipliers.Count > 0)
                throw new ArgumentException($"the adjustments of image '{k}' cannot have images or exposure multipliers of their own");
            try { own.Validate(); }
            catch (ArgumentException e) { throw new ArgumentException($"image '{k}': {e.Message}", e); }
        }
    }

    /// <summary>The adjustments <paramref name="input"/> gets: its own (<see cref="Images"/>) with these multipliers,
    /// or these.</summary>
    public AdjustOptions For(string input)
    {
        if (Images.Count == 0) return this;
        foreach (var (k, own) in Images)
            if (PathMatches(input, k)) return own with { ExposureMultipliers = ExposureMultipliers, Images = [] };
        return this;
    }

    /// <summary>A key relative to the analysed folder names <paramref name="input"/> when it is its path or its tail.</summary>
    private static bool PathMatches(string input, string key)
    {
        string p = input.Replace('\\', '/'), k = key.Replace('\\', '/');
        return p == k || p.EndsWith("/" + k, StringComparison.Ordinal);
    }

    /// <summary>The normalisation multiplier for <paramref name="input"/>: the entry whose key is the input's path or
    /// its tail (keys are relative to the analysed folder); 1 when there is none.</summary>
    public double MultiplierFor(string input)
    {
        if (ExposureMultipliers.Count == 0) return 1;
        foreach (var (k, v) in ExposureMultipliers)
            if (PathMatches(input, k)) return v;
        return 1;
    }
}

/// <summary>Limits in percent of sRGB-encoded luminance (the original's defaults: highlights 96 %, shadows 6 %).</summary>
public sealed record ExposureLimits
{
    public double HighlightPercent { get; init; } = 96;
    public double ShadowPercent { get; init; } = 6;

    /// <summary>The limits as linear luminance (sRGB decoding of the percentages: 96 % → 0.913, 6 % → 0.0049).</summary>
    [JsonIgnore] public double HighLinear => Color.TransferFunction.Srgb.Decode(HighlightPercent / 100);
    [JsonIgnore] public double LowLinear => Color.TransferFunction.Srgb.Decode(ShadowPercent / 100);

    public void Validate()
    {
        if (!(ShadowPercent >= 0 && ShadowPercent < HighlightPercent && HighlightPercent <= 100))
            throw new ArgumentException($"limits need 0 <= shadow ({ShadowPercent}) < highlight ({HighlightPercent}) <= 100 percent");
    }
}
