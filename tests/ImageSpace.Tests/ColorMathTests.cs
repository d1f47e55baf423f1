using ImageSpace.Core.Color;

namespace ImageSpace.Tests;

public class ColorMathTests
{
    // Sharma, Wu & Dalal (2005), Table 1: Lab pairs and their CIEDE2000 differences.
    [Theory]
    [InlineData(50.0000, 2.6772, -79.7751, 50.0000, 0.0000, -82.7485, 2.0425)]
    [InlineData(50.0000, 3.1571, -77.2803, 50.0000, 0.0000, -82.7485, 2.8615)]
    [InlineData(50.0000, 2.8361, -74.0200, 50.0000, 0.0000, -82.7485, 3.4412)]
    [InlineData(50.0000, -1.3802, -84.2814, 50.0000, 0.0000, -82.7485, 1.0000)]
    [InlineData(50.0000, 0.0000, 0.0000, 50.0000, -1.0000, 2.0000, 2.3669)]
    [InlineData(50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0009, 7.1792)]
    [InlineData(50.0000, 2.5000, 0.0000, 73.0000, 25.0000, -18.0000, 27.1492)]
    [InlineData(50.0000, 2.5000, 0.0000, 61.0000, -5.0000, 29.0000, 22.8977)]
    [InlineData(60.2574, -34.0099, 36.2677, 60.4626, -34.1751, 39.4387, 1.2644)]
    [InlineData(22.7233, 20.0904, -46.6940, 23.0331, 14.9730, -42.5619, 2.0373)]
    [InlineData(2.0776, 0.0795, -1.1350, 0.9033, -0.0636, -0.5514, 0.9082)]
    public void Ciede2000_matches_Sharma_test_pairs(double l1, double a1, double b1, double l2, double a2, double b2, double expected)
    {
        Assert.Equal(expected, DeltaE.Ciede2000(new(l1, a1, b1), new(l2, a2, b2)), 4);
        Assert.Equal(expected, DeltaE.Ciede2000(new(l2, a2, b2), new(l1, a1, b1)), 4);
    }

    [Fact]
    public void Srgb_matrix_matches_IEC_61966_2_1()
    {
        var m = RgbColorSpace.Srgb.ToXyz;
        double[] expected = [0.4124, 0.3576, 0.1805, 0.2126, 0.7152, 0.0722, 0.0193, 0.1192, 0.9505];
        for (int i = 0; i < 9; i++) Assert.Equal(expected[i], m.ToArray()[i], 0.0005);
    }

    [Fact]
    public void Bradford_maps_white_to_white_and_matches_Lindbloom()
    {
        var m = Bradford.Adapt(WhitePoints.D65, WhitePoints.D50);
        var w = m * WhitePoints.D65;
        Assert.Equal(WhitePoints.D50.X, w.X, 6); Assert.Equal(1.0, w.Y, 6); Assert.Equal(WhitePoints.D50.Z, w.Z, 6);
        // Lindbloom's D65→D50 Bradford matrix (his D65 = 0.95047, 1, 1.08883; ours differs in the 5th digit).
        Assert.Equal(1.0478, m.M00, 3); Assert.Equal(0.0229, m.M01, 3); Assert.Equal(-0.0501, m.M02, 3);
        Assert.Equal(0.7521, m.M22, 3);
    }

    [Fact]
    public void Working_space_round_trips_and_white_is_neutral()
    {
        var white = WorkingSpace.ToXyzD50 * new Vec3(1, 1, 1);
        Assert.Equal(WhitePoints.D50.X, white.X, 4); Assert.Equal(1, white.Y, 6); Assert.Equal(WhitePoints.D50.Z, white.Z, 4);
        var back = WorkingSpace.FromXyzD50 * WorkingSpace.ToXyzD50 * new Vec3(0.2, 0.5, 0.7);
        Assert.Equal(0.2, back.X, 9); Assert.Equal(0.5, back.Y, 9); Assert.Equal(0.7, back.Z, 9);
    }

    [Fact]
    public void Lab_round_trips()
    {
        var xyz = new Vec3(0.3, 0.2, 0.5);
        var back = Lab.ToXyz(Lab.FromXyz(xyz, WhitePoints.D50), WhitePoints.D50);
        Assert.Equal(xyz.X, back.X, 9); Assert.Equal(xyz.Y, back.Y, 9); Assert.Equal(xyz.Z, back.Z, 9);
    }
}

public class StatisticsTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(1001)]
    [InlineData(20000)]
    public void Selection_median_equals_the_sorted_median(int n)
    {
        var rng = new Random(n);
        // Many ties (values rounded to 0.01) as in clipped or quantised data.
        var values = Enumerable.Range(0, n).Select(_ => (float)Math.Round(rng.NextDouble(), 2)).ToArray();
        double expected = Core.Statistics.Median(values.Select(v => (double)v));
        Assert.Equal(expected, Core.Statistics.MedianInPlace(values.ToArray()), 6);
        var copy = values.ToArray();
        int k = n / 3;
        Assert.Equal(values.Order().ElementAt(k), Core.Statistics.SelectInPlace(copy, k));
    }
}
