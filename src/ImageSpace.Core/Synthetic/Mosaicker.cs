using ImageSpace.Core.Imaging;

namespace ImageSpace.Core.Synthetic;

/// <summary>Camera RGB (1.0 = saturation) → RGGB Bayer mosaic in sensor units with shot and read noise, the way a
/// sensor records it.</summary>
public static class Mosaicker
{
    public const int Black = 512, White = 16383;
    /// <summary>Electrons per DN at noise scale 1 (shot noise σ = √(DN / gain)).</summary>
    private const double ConversionGain = 4.0, ReadNoiseDn = 3.0;
    public static readonly int[] Rggb = [0, 1, 1, 2];
    /// <summary>Fujifilm's X-Trans 6×6 layout (as LibRaw gives it for the X-Pro1; other bodies use shifts of it):
    /// every row and column holds all three colours, greens are 20 of 36.</summary>
    public static readonly int[] XTrans =
    [
        1, 1, 0, 1, 1, 2,
        1, 1, 2, 1, 1, 0,
        2, 0, 1, 0, 2, 1,
        1, 1, 2, 1, 1, 0,
        1, 1, 0, 1, 1, 2,
        0, 2, 1, 2, 0, 1,
    ];

    public static ushort[] Mosaic(RgbImage cam, double noise, int seed) => Mosaic(cam, noise, seed, Rggb);

    /// <param name="pattern">2×2 (4 entries) or 6×6 (36 entries) colour pattern, row-major.</param>
    public static ushort[] Mosaic(RgbImage cam, double noise, int seed, int[] pattern)
    {
        int side = pattern.Length == 36 ? 6 : 2;
        int w = cam.Width, h = cam.Height;
        var data = new ushort[w * h];
        double range = White - Black;
        Parallel.For(0, h, Parallelism.Options, y =>
        {
            var rng = new Random(unchecked(seed * 1000003 + y)); // fixed per (seed, row): the same file every run
            for (int x = 0; x < w; x++)
            {
                int i = y * w + x;
                int c = pattern[y % side * side + x % side];
                double signal = range * cam.Plane(c)[i];
                double v = Black + signal;
                if (noise > 0)
                {
                    double sigma = noise * Math.Sqrt(Math.Max(signal, 0) / ConversionGain + ReadNoiseDn * ReadNoiseDn);
                    v += sigma * Gaussian(rng);
                }
                data[i] = (ushort)Math.Clamp(Math.Round(v), 0, White);
            }
        });
        return data;
    }

    private static double Gaussian(Random rng)
    {
        double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
