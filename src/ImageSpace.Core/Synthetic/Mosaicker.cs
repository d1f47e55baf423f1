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

    public static ushort[] Mosaic(RgbImage cam, double noise, int seed)
    {
        int w = cam.Width, h = cam.Height;
        var data = new ushort[w * h];
        double range = White - Black;
        Parallel.For(0, h, Parallelism.Options, y =>
        {
            var rng = new Random(unchecked(seed * 1000003 + y)); // fixed per (seed, row): the same file every run
            for (int x = 0; x < w; x++)
            {
                int i = y * w + x;
                int c = Rggb[((y & 1) << 1) | (x & 1)];
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
