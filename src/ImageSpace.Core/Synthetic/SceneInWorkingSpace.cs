using ImageSpace.Core.Color;
using ImageSpace.Core.Imaging;

namespace ImageSpace.Core.Synthetic;

/// <summary>A rendered scene as the decoder would deliver it, without writing and reading a DNG: camera RGB through
/// the camera's matrix and the white balance into the working space, with shot-like noise and the sensor's clip.
/// For tests and benchmarks that need hundreds of poses quickly.</summary>
public static class SceneInWorkingSpace
{
    public static RgbImage Render(RenderedScene scene, int seed = 1)
    {
        var xyzToCam = scene.XyzToCamera;
        var camToXyz = xyzToCam.Inverse();
        var white = camToXyz * scene.WhiteCamera;
        var m = WorkingSpace.FromXyzD50 * Bradford.Adapt(white, WhitePoints.D50) * camToXyz;
        // Same exposure convention as the decoder: the white's brightest camera channel at 1.0 has Y = 1.
        double y = (WorkingSpace.ToXyzD50 * (m * scene.WhiteCamera)).Y;
        m = (1 / y) * m;
        var src = scene.CameraRgb;
        var img = new RgbImage(src.Width, src.Height);
        double noise = scene.Parameters.Noise;
        Parallel.For(0, src.Height, Parallelism.Options, row =>
        {
            var rng = new Random(unchecked(seed * 1000003 + row)); // fixed per (seed, row): the same image every run
            for (int x = 0, i = row * src.Width; x < src.Width; x++, i++)
            {
                // Noise and the clip act on the camera channels (1.0 = saturation), before the matrix.
                double r = Math.Min(1, src.R[i] + noise * Sigma(src.R[i]) * Gauss(rng));
                double g = Math.Min(1, src.G[i] + noise * Sigma(src.G[i]) * Gauss(rng));
                double b = Math.Min(1, src.B[i] + noise * Sigma(src.B[i]) * Gauss(rng));
                var w = m * new Vec3(r, g, b);
                img.R[i] = (float)w.X; img.G[i] = (float)w.Y; img.B[i] = (float)w.Z;
            }
        });
        return img;
    }

    /// <summary>Same noise model as <see cref="Mosaicker"/>, in units of saturation.</summary>
    private static double Sigma(double v)
    {
        const double range = Mosaicker.White - Mosaicker.Black;
        return Math.Sqrt(Math.Max(v, 0) * range / 4.0 + 9) / range;
    }

    private static double Gauss(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}
