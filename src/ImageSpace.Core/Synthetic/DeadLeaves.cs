using ImageSpace.Core.Imaging;

namespace ImageSpace.Core.Synthetic;

/// <summary>A "dead leaves" image (Matheron; Lee, Mumford, Huang 2001): opaque discs of random colour with a
/// power-law size distribution dropped on top of each other. It has the scale-invariant edge and texture statistics
/// of natural images, which is why denoising and sharpening are judged on it (e.g. Cao, Guichard, Hornung, "Dead
/// leaves model for measuring texture quality", 2010). Values are linear reflectances in 0.02..0.9.</summary>
public static class DeadLeaves
{
    public static RgbImage Render(int width, int height, int seed, double minRadius = 2, double maxRadius = 200)
    {
        var rng = new Random(seed);
        var img = new RgbImage(width, height);
        var owner = new int[width * height];
        Array.Fill(owner, -1);
        int remaining = owner.Length, leaf = 0;
        var colours = new List<(float r, float g, float b)>();
        // Front to back: each new disc covers only what is still uncovered, until (almost) nothing is.
        while (remaining > owner.Length / 2000 && leaf < 200_000)
        {
            // r ∝ r^-3 between the bounds (inverse-CDF sampling)
            double u = rng.NextDouble();
            double r = 1 / Math.Sqrt(1 / (minRadius * minRadius) - u * (1 / (minRadius * minRadius) - 1 / (maxRadius * maxRadius)));
            double cx = rng.NextDouble() * (width + 2 * r) - r, cy = rng.NextDouble() * (height + 2 * r) - r;
            double grey = 0.02 + 0.88 * Math.Pow(rng.NextDouble(), 2.2);
            float tint() => (float)Math.Clamp(grey * (0.6 + 0.8 * rng.NextDouble()), 0.02, 0.9);
            colours.Add((tint(), tint(), tint()));
            int x0 = Math.Max(0, (int)(cx - r)), x1 = Math.Min(width - 1, (int)(cx + r)), y0 = Math.Max(0, (int)(cy - r)), y1 = Math.Min(height - 1, (int)(cy + r));
            for (int y = y0; y <= y1; y++)
                for (int x = x0; x <= x1; x++)
                {
                    int i = y * width + x;
                    if (owner[i] >= 0 || (x - cx) * (x - cx) + (y - cy) * (y - cy) > r * r) continue;
                    owner[i] = leaf;
                    remaining--;
                }
            leaf++;
        }
        for (int i = 0; i < owner.Length; i++)
        {
            var (r, g, b) = owner[i] >= 0 ? colours[owner[i]] : (0.18f, 0.18f, 0.18f);
            img.R[i] = r; img.G[i] = g; img.B[i] = b;
        }
        return img;
    }

    /// <summary>Adds Poisson–Gaussian noise, variance = <paramref name="shot"/>·x + <paramref name="read"/>², per
    /// channel and pixel (deterministic for a seed).</summary>
    public static void AddNoise(RgbImage img, double shot, double read, int seed)
    {
        Parallel.For(0, img.Height, y =>
        {
            var rng = new Random(seed * 1000003 + y);
            for (int c = 0; c < 3; c++)
            {
                var p = img.Plane(c);
                for (int x = 0, i = y * img.Width; x < img.Width; x++, i++)
                {
                    double sd = Math.Sqrt(Math.Max(0, shot * p[i]) + read * read);
                    double g = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
                    p[i] = (float)(p[i] + sd * g);
                }
            }
        });
    }
}
