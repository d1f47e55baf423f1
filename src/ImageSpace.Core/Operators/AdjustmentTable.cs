using System.Globalization;
using ImageSpace.Core.Adjust;

namespace ImageSpace.Core.Operators;

/// <summary>One numeric parameter of an operator, as darktable's iop params describe theirs: the recipe key, the CLI
/// flag, the range, the default and the unit. Validation, the CLI help and the UI's sliders are all made from it.</summary>
/// <param name="Min">hard limits: a recipe or a typed value outside them is refused</param>
/// <param name="SoftMin">the slider's range (a typed value may go up to the hard limits)</param>
public sealed record OperatorParameter(string Key, string Flag, string Label, double Min, double Max, double Default, double Step, string Unit,
    string Help, double SoftMin, double SoftMax)
{
    public void Check(double value)
    {
        if (!(value >= Min && value <= Max))
            throw new ArgumentException($"{Label.ToLowerInvariant()} {value.ToString(CultureInfo.InvariantCulture)} is not within {Min.ToString(CultureInfo.InvariantCulture)}..{Max.ToString(CultureInfo.InvariantCulture)}{(Unit.Length > 0 ? " " + Unit : "")}");
    }

    /// <summary>The CLI help line: what it does, its range with unit, its default.</summary>
    public string Describe() =>
        $"{Help} ({Min.ToString(CultureInfo.InvariantCulture)}..{Max.ToString(CultureInfo.InvariantCulture)}{(Unit.Length > 0 ? " " + Unit : "")}, default {Default.ToString(CultureInfo.InvariantCulture)})";
}

/// <summary>What an adjustment operator is made from: the recipe's adjustments, the image's exposure multiplier (as a
/// plan resolved it), the per-image white balance still to apply, and whether the output has an alpha channel.</summary>
public sealed record AdjustmentInputs(AdjustOptions Options, double ExposureMultiplier, WhiteBalanceSetting WhiteBalance, bool Alpha);

/// <summary>An entry of the operator table: its parameters, how it is made, whether the recipe turns it on, and the
/// scratch memory it needs while it runs (in float planes of the image's size) and keeps after (an alpha plane).</summary>
public sealed record AdjustmentOperator(string Id, IReadOnlyList<OperatorParameter> Parameters, Func<AdjustmentInputs, IImageOperator> Create,
    Func<AdjustOptions, bool> Active, int ScratchPlanes, int KeptPlanes = 0);

/// <summary>The adjustments in their one order (darktable's iop_order): exposure → white balance → denoise →
/// shadows/highlights → sharpen → masked export, on linear calibrated data. <see cref="Version"/> changes when the
/// order or an operator's meaning changes, so a recipe knows what it was made with.</summary>
public static class AdjustmentTable
{
    public const int Version = 1;

    public static readonly OperatorParameter Exposure = new("exposureEv", "--exposure", "Exposure", -10, 10, 0, 0.05, "EV",
        "exposure: linear ×2^EV", -4, 4);
    public static readonly OperatorParameter Shadows = new("shadows", "--shadows", "Shadows", -100, 100, 0, 1, "",
        "shadows: + lifts, − deepens, up to 2 EV at the darkest tones", -100, 100);
    public static readonly OperatorParameter Highlights = new("highlights", "--highlights", "Highlights", -100, 100, 0, 1, "",
        "highlights: − recovers, + brightens, up to 2 EV at the brightest tones", -100, 100);
    public static readonly OperatorParameter Denoise = new("denoise", "--denoise", "Denoise", 0, 100, 0, 1, "",
        "denoise: 50 removes the noise the image's own noise estimate predicts, 100 twice that", 0, 100);
    public static readonly OperatorParameter Sharpen = new("sharpen", "--sharpen", "Sharpen", 0, 500, 0, 1, "%",
        "sharpen amount: unsharp mask on lightness", 0, 300);
    public static readonly OperatorParameter SharpenRadius = new("sharpenRadius", "--sharpen", "Sharpen radius", 0.2, 20, 1, 0.1, "px",
        "sharpen radius: Gaussian sigma in full-resolution pixels", 0.3, 5);
    public static readonly OperatorParameter SharpenThreshold = new("sharpenThreshold", "--sharpen", "Sharpen threshold", 0, 50, 1, 0.5, "L*",
        "sharpen threshold: detail below this is left alone", 0, 10);

    public static readonly IReadOnlyList<AdjustmentOperator> Ordered =
    [
        new("exposure", [Exposure], i => new ExposureOperator(Math.Pow(2, i.Options.ExposureEv) * i.ExposureMultiplier),
            a => a.ExposureEv != 0 || a.ExposureMultipliers.Count > 0, ScratchPlanes: 0),
        new("whitebalance", [], i => new WhiteBalanceOperator(i.WhiteBalance), a => a.WhiteBalance != "asshot", ScratchPlanes: 0),
        new("denoise", [Denoise], i => new DenoiseOperator(i.Options.Denoise), a => a.Denoise > 0, ScratchPlanes: 4),
        new("shadowshighlights", [Shadows, Highlights], i => new ShadowsHighlightsOperator(i.Options.Shadows, i.Options.Highlights),
            a => a.Shadows != 0 || a.Highlights != 0, ScratchPlanes: 1),
        new("sharpen", [Sharpen, SharpenRadius, SharpenThreshold], i => new SharpenOperator(i.Options.Sharpen, i.Options.SharpenRadius, i.Options.SharpenThreshold),
            a => a.Sharpen > 0, ScratchPlanes: 2),
        new("maskclipped", [], i => new ClippedMaskOperator(i.Options.Limits, i.Alpha), a => a.MaskClipped, ScratchPlanes: 0, KeptPlanes: 1),
    ];

    /// <summary>Every numeric parameter, in table order.</summary>
    public static IEnumerable<OperatorParameter> Parameters => Ordered.SelectMany(o => o.Parameters);

    /// <summary>The operators the recipe turns on, in order, made for one image.</summary>
    public static IEnumerable<IImageOperator> For(AdjustmentInputs inputs) =>
        Ordered.Where(o => o.Active(inputs.Options) || (o.Id == "exposure" && inputs.ExposureMultiplier != 1)).Select(o => o.Create(inputs));

    /// <summary>Float planes the adjustments need besides the image: the largest scratch of one operator (they run one
    /// after another) plus the planes kept to the end.</summary>
    public static int ScratchPlanes(AdjustOptions a)
    {
        var on = Ordered.Where(o => o.Active(a)).ToList();
        return on.Select(o => o.ScratchPlanes).DefaultIfEmpty(0).Max() + on.Sum(o => o.KeptPlanes);
    }

    /// <summary>The value of <paramref name="p"/> in <paramref name="a"/>.</summary>
    public static double ValueOf(OperatorParameter p, AdjustOptions a) => p.Key switch
    {
        "exposureEv" => a.ExposureEv,
        "shadows" => a.Shadows,
        "highlights" => a.Highlights,
        "denoise" => a.Denoise,
        "sharpen" => a.Sharpen,
        "sharpenRadius" => a.SharpenRadius,
        "sharpenThreshold" => a.SharpenThreshold,
        _ => throw new ArgumentException($"no adjustment parameter '{p.Key}'"),
    };
}
