using ImageSpace.Core.Imaging;
using ImageSpace.Core.Raw;

namespace ImageSpace.Core.Operators;

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
public sealed record OperatorContext(RawMetadata Metadata, double Scale)
{
    /// <summary>The full-resolution output's size (what an export writes; 0 × 0 when not known): a reduced image's
    /// size divided by <see cref="Scale"/> is off by the reduction's rounding.</summary>
    public (int Width, int Height) FullSize { get; init; }
}
