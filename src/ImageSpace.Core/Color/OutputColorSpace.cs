namespace ImageSpace.Core.Color;

/// <summary>A colour space files are written in: primaries + white + transfer function, and the name the CLI uses.</summary>
public sealed record OutputColorSpace(string Id, RgbColorSpace Space, TransferFunction Transfer)
{
    /// <summary>Working space (linear Rec.2020, D65) → this space's linear RGB, Bradford-adapted when the whites differ.</summary>
    public Matrix3 FromWorking => Space.FromXyzAt(WhitePoints.D65) * WorkingSpace.Space.ToXyz;

    public string Description => $"{Space.Name}{(Transfer.IsLinear ? " (linear)" : "")}";

    public static readonly IReadOnlyList<OutputColorSpace> All =
    [
        new("srgb", RgbColorSpace.Srgb, TransferFunction.Srgb),
        new("linear-srgb", RgbColorSpace.Srgb, TransferFunction.Linear),
        new("display-p3", RgbColorSpace.DisplayP3, TransferFunction.Srgb),
        new("linear-display-p3", RgbColorSpace.DisplayP3, TransferFunction.Linear),
        new("adobe-rgb", RgbColorSpace.AdobeRgb, TransferFunction.AdobeRgb),
        new("linear-adobe-rgb", RgbColorSpace.AdobeRgb, TransferFunction.Linear),
        new("prophoto", RgbColorSpace.ProPhoto, TransferFunction.Romm),
        new("linear-prophoto", RgbColorSpace.ProPhoto, TransferFunction.Linear),
        new("rec2020", RgbColorSpace.Rec2020, TransferFunction.Rec709),
        new("linear-rec2020", RgbColorSpace.Rec2020, TransferFunction.Linear),
        new("acescg", RgbColorSpace.AcesCg, TransferFunction.Linear),
    ];

    public static OutputColorSpace ByName(string name) =>
        All.FirstOrDefault(s => s.Id.Equals(name.Trim(), StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"unknown colour space '{name}' (known: {string.Join(", ", All.Select(s => s.Id))})");
}
