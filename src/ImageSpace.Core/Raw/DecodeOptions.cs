using System.Text.Json.Serialization;

namespace ImageSpace.Core.Raw;

[JsonConverter(typeof(JsonStringEnumConverter<WhiteBalanceMode>))]
/// <summary>AsShot: the camera's neutral; None: raw channels; Custom: given multipliers; Light: the neutral the
/// camera's matrices predict for a light of chromaticity <see cref="DecodeOptions.LightXy"/> (Kelvin white balance).</summary>
public enum WhiteBalanceMode { AsShot, None, Custom, Light }

[JsonConverter(typeof(JsonStringEnumConverter<DemosaicMode>))]
public enum DemosaicMode
{
    /// <summary>One pixel per 2×2 cell, half the width and height: previews, thumbnails, chart sampling.</summary>
    Half,
    /// <summary>Full resolution with the default method: RCD on Bayer sensors (see <see cref="Rcd"/>).</summary>
    Full,
    /// <summary>Full resolution, patterned pixel grouping: cheaper than RCD, about 1.5–3 dB lower PSNR (bench
    /// <c>demosaic</c>).</summary>
    Ppg,
    /// <summary>Full resolution, ratio corrected demosaicing with green equilibration (<see cref="Imaging.RcdDemosaic"/>).</summary>
    Rcd,
    /// <summary>Full resolution, directional LMMSE (<see cref="Imaging.LmmseDemosaic"/>): the "quality" choice, slower
    /// than RCD. Bayer only; other sensors get their full method as with <see cref="Full"/>.</summary>
    Lmmse,
}

[JsonConverter(typeof(JsonStringEnumConverter<HighlightMode>))]
public enum HighlightMode
{
    /// <summary>Clip every channel where the least-amplified one saturates: blown areas are neutral white.</summary>
    Clip,
    /// <summary>Keep values above saturation (may turn magenta; for users who reconstruct highlights themselves).</summary>
    Unclipped,
}

[JsonConverter(typeof(JsonStringEnumConverter<ColorOutput>))]
public enum ColorOutput
{
    /// <summary>Linear Rec.2020, D65 white: the pipeline's working space.</summary>
    Working,
    /// <summary>White-balanced camera RGB, no matrix (for comparisons with LibRaw and for fitting calibrations).</summary>
    Camera,
}

/// <summary>How a RAW file becomes a linear image. Part of the <see cref="Pipeline.Recipe"/>.</summary>
/// <remarks>White balance is not part of a recipe's decode section: the recipe has one setting
/// (<see cref="Adjust.AdjustOptions.WhiteBalance"/>), which the pipeline turns into these fields where it is a decode
/// option. They stay settable for code that decodes directly (tests, comparisons with LibRaw).</remarks>
public sealed record DecodeOptions
{
    [JsonIgnore] public WhiteBalanceMode WhiteBalance { get; init; } = WhiteBalanceMode.AsShot;
    /// <summary>R, G, B multipliers for <see cref="WhiteBalanceMode.Custom"/>.</summary>
    [JsonIgnore] public float[]? Multipliers { get; init; }
    /// <summary>CIE xy of the light for <see cref="WhiteBalanceMode.Light"/>.</summary>
    [JsonIgnore] public double[]? LightXy { get; init; }
    public DemosaicMode Demosaic { get; init; } = DemosaicMode.Full;
    public HighlightMode Highlights { get; init; } = HighlightMode.Clip;
    public ColorOutput Output { get; init; } = ColorOutput.Working;
    /// <summary>When the brightest sample lies above this fraction of the nominal white level (but below it), it is
    /// taken as the real saturation level. Some cameras saturate below their nominal white, which would otherwise
    /// leave blown highlights tinted. 0 disables. Same heuristic and default as LibRaw.</summary>
    public double AdjustMaximumThreshold { get; init; } = 0.75;
    public bool ApplyOrientation { get; init; } = true;

    public void Validate()
    {
        if (WhiteBalance == WhiteBalanceMode.Custom &&
            (Multipliers is not { Length: 3 } || Multipliers.Any(m => !(m > 0) || float.IsInfinity(m))))
            throw new ArgumentException("custom white balance needs three positive multipliers (R,G,B)");
        if (WhiteBalance == WhiteBalanceMode.Light && (LightXy is not { Length: 2 } || !(LightXy[0] > 0) || !(LightXy[1] > 0) || LightXy[0] + LightXy[1] >= 1))
            throw new ArgumentException("light white balance needs the light's chromaticity x,y");
        if (AdjustMaximumThreshold is < 0 or > 1) throw new ArgumentException("adjust-maximum threshold must be within 0..1");
    }
}
