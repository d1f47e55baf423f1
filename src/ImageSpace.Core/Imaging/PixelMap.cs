namespace ImageSpace.Core.Imaging;

/// <summary>Runs a per-pixel colour function over an image, in place, parallel by rows (for operators that are not a
/// single matrix).</summary>
public static class PixelMap
{
    public static void Apply(RgbImage img, Func<double, double, double, (double r, double g, double b)> f)
    {
        Parallel.For(0, img.Height, Parallelism.Options, y =>
        {
            for (int x = 0, i = y * img.Width; x < img.Width; x++, i++)
            {
                var (r, g, b) = f(img.R[i], img.G[i], img.B[i]);
                img.R[i] = (float)r; img.G[i] = (float)g; img.B[i] = (float)b;
            }
        });
    }
}
