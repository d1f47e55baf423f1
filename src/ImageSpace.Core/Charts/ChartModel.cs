namespace ImageSpace.Core.Charts;

/// <summary>Geometry of the ColorChecker Classic 24 in "chart units": one unit is the patch pitch; patch (col, row),
/// col 0..5 left to right and row 0..3 top to bottom as the chart is printed, has its centre at (col + ½, row + ½)
/// and the grid's outer corners are (0,0), (6,0), (6,4), (0,4). Classic, Passport page, Mini and Nano share these
/// proportions (squares ~82 % of the pitch, black gaps between).</summary>
public static class ChartModel
{
    public const int Columns = 6, Rows = 4, Patches = 24;
    /// <summary>Patch side as a fraction of the pitch.</summary>
    public const double PatchFraction = 0.82;
    /// <summary>Half-width of the sampled square, in pitches: the inner ~50 % of the patch's width.</summary>
    public const double SampleHalfWidth = 0.21;

    public static (double u, double v) PatchCenter(int index) => ((index - 1) % Columns + 0.5, (index - 1) / Columns + 0.5);

    /// <summary>Grid corners at patch 1, patch 6, patch 24, patch 19 (the order of the CLI contract).</summary>
    public static readonly (double u, double v)[] Corners = [(0, 0), (6, 0), (6, 4), (0, 4)];
}
