namespace ImageSpace.Core.Color;

/// <summary>Linear sRGB-primaries values → 8-bit sRGB codes for pictures people look at (previews, swatches, reports,
/// debug images); exports use the exact quantiser of Export/. One rounding everywhere: the nearest code, values
/// outside 0..1 clipped.</summary>
public static class DisplayEncoding
{
    public static byte SrgbByte(double linear) => (byte)Math.Round(255 * TransferFunction.Srgb.Encode(Math.Clamp(linear, 0, 1)));

    /// <summary>The same through a table in steps of 1/65535 (within one code of <see cref="SrgbByte(double)"/>, and
    /// a look-up a sample: what a preview of a million pixels can afford).</summary>
    public static byte SrgbByte(float linear) => Table[(int)(Math.Clamp(linear, 0f, 1f) * 65535f + 0.5f)];

    private static readonly byte[] Table = Enumerable.Range(0, 65536).Select(i => SrgbByte(i / 65535.0)).ToArray();
}
