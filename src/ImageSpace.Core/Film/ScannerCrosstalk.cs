using ImageSpace.Core.Color;

namespace ImageSpace.Core.Film;

/// <summary>The crosstalk of a typical DSLR scanning rig (a Bayer camera over a white light table), assumed by a
/// chartless roll analysis of raw frames when the user gives no <c>--unmix</c> (a JPEG/TIFF scan's converter has mixed
/// the channels already): each camera channel also sees the light of the other
/// two bands, so every channel's density mixes dyes and colours come out flat (shared/docs/film-negative-anchors.md
/// §5.1 step 2, §6.1 step 7). Not fitted to any simulator: derived from published camera sensitivities — Canon EOS 5D
/// Mark II (A.M.P.A.S. RAW to ACES) and Nikon D5100 (NPL), as extracted by colour-science into
/// shared/data/reference — under CIE D50 (a high-CRI 5000 K light table), 400–700 nm. Each wavelength is given to the
/// band of the channel that sees it most (channels balanced on the light, as a white balance does), and row i is the
/// share of channel i's signal that comes from each band; the two cameras' matrices are averaged (they differ by
/// ≤ 0.1 per entry). A chart frame replaces this with a measured fit. The test
/// ScannerCrosstalkTests recomputes it from the reference data.</summary>
public static class ScannerCrosstalk
{
    /// <summary>Rows: camera R, G, B; columns: the red, green and blue bands of the light; rows sum to 1.</summary>
    public static readonly double[] Typical = [0.809, 0.151, 0.040, 0.154, 0.633, 0.213, 0.013, 0.164, 0.823];

    /// <summary>The unmix (3×3 row-major) that undoes <see cref="Typical"/>.</summary>
    public static double[] TypicalUnmix => Matrix3.FromRows(Typical).Inverse().ToArray();
}
