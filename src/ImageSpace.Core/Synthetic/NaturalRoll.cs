using ImageSpace.Core.Color;
using ImageSpace.Core.Imaging;

namespace ImageSpace.Core.Synthetic;

/// <summary>A roll of natural-looking synthetic negatives with their truth: a separate ColorChecker frame and frames of
/// textured dead-leaves scenes (the scale-invariant statistics of natural images) with a smooth sky-like gradient and
/// near-neutral surfaces (walls, paper, tarmac: lightly tinted, unevenly lit), shot at several exposures, all through
/// the §6.1 forward model (layer overlap, toe, orange base, light table, camera crosstalk, rebate with sprocket holes,
/// sensor noise, a slightly soft copy lens) of shared/docs/film-negative-anchors.md.</summary>
public static class NaturalRoll
{
    /// <summary>Film exposures of the natural frames (EV relative to normal): under- to overexposed, as on a real roll.</summary>
    public static readonly double[] Exposures = [-1.3, -1.0, -0.6, -0.3, 0, 0.3, 0.5, 0.8, 1.0];

    public sealed record Frame(string Path, double ExposureEv, RgbImage Truth);

    public sealed record Roll(string ChartPath, RenderedScene Chart, IReadOnlyList<Frame> Frames, NegativeFilm Film) : IDisposable
    {
        public void Dispose() { foreach (var f in Frames) f.Truth.Dispose(); }
    }

    /// <summary>Writes chart.dng and frame_NN.dng into <paramref name="dir"/>; the truth of each frame is its scene in
    /// linear sRGB (reflectance, perfect white 1), independent of the frame's exposure.</summary>
    public static Roll Write(string dir, NegativeFilm film, int width = 1200, int height = 800, int seed = 100, double[]? exposures = null)
    {
        Directory.CreateDirectory(dir);
        string chartPath = Path.Combine(dir, "chart.dng");
        var chart = Export.AtomicFile.Write(chartPath, tmp => NegativeSimulator.Write(tmp,
            new SceneParameters { Width = width, Height = height, PatchPitch = width / 16.0, RotationDeg = 3, Seed = seed }, film));
        var frames = new List<Frame>();
        int n = 0;
        foreach (double ev in exposures ?? Exposures)
        {
            n++;
            var truth = Scene(width, height, seed + n);
            using var exposed = new RgbImage(width, height);
            float k = (float)Math.Pow(2, ev);
            for (int c = 0; c < 3; c++)
            {
                var src = truth.Plane(c); var dst = exposed.Plane(c);
                for (int i = 0; i < src.Length; i++) dst[i] = k * src[i];
            }
            string path = Path.Combine(dir, $"frame_{n:00}.dng");
            Export.AtomicFile.Write(path, tmp => { NegativeSimulator.WriteScene(tmp, exposed, film, 1, seed + 50 + n, lensBlur: 0.6); return 0; });
            frames.Add(new Frame(path, ev, truth));
        }
        return new Roll(chartPath, chart, frames, film);
    }

    /// <summary>One scene in linear sRGB: dead leaves (reflectances 0.02–0.9, moderately saturated), a sky-like
    /// gradient across the top, and three near-neutral surfaces (chroma C* below ~3) of different lightness under a
    /// smooth light fall-off, all seen through a taking lens (σ 1.5 px).</summary>
    public static RgbImage Scene(int width, int height, int seed)
    {
        var img = DeadLeaves.Render(width, height, seed, 4, Math.Max(width, height) / 8.0);
        var rng = new Random(seed * 7919);
        // Sky: the top 20–30 % of the frame, a smooth vertical gradient from a deeper to a paler blue, slightly tilted.
        int skyRows = (int)(height * (0.2 + 0.1 * rng.NextDouble()));
        double tilt = (rng.NextDouble() - 0.5) * 0.3;
        var top = new Vec3(0.16 + 0.06 * rng.NextDouble(), 0.26 + 0.06 * rng.NextDouble(), 0.55 + 0.1 * rng.NextDouble());
        var bottom = new Vec3(0.55, 0.60, 0.68);
        for (int y = 0; y < skyRows; y++)
            for (int x = 0; x < width; x++)
            {
                double t = Math.Clamp((double)y / skyRows + tilt * (x / (double)width - 0.5), 0, 1);
                var v = (1 - t) * top + t * bottom;
                Set(img, x, y, v);
            }
        // Near-neutral surfaces: light grey, mid grey, dark grey, each tinted by at most ±2 % per channel.
        double[] levels = [0.7 + 0.15 * rng.NextDouble(), 0.16 + 0.1 * rng.NextDouble(), 0.04 + 0.03 * rng.NextDouble()];
        foreach (double level in levels)
        {
            int rw = (int)(width * (0.12 + 0.1 * rng.NextDouble())), rh = (int)(height * (0.12 + 0.12 * rng.NextDouble()));
            int rx = rng.Next(0, width - rw), ry = skyRows + rng.Next(0, Math.Max(1, height - skyRows - rh));
            var tint = new Vec3(1 + 0.04 * (rng.NextDouble() - 0.5), 1, 1 + 0.04 * (rng.NextDouble() - 0.5));
            for (int y = ry; y < ry + rh; y++)
                for (int x = rx; x < rx + rw; x++)
                {
                    double light = 0.85 + 0.25 * (x - rx) / (double)rw; // light falling off across the surface
                    Set(img, x, y, level * light * tint);
                }
        }
        // The taking lens: the film records the scene slightly soft (σ 1.5 px); the truth is this softened scene.
        for (int c = 0; c < 3; c++)
        {
            using var m = OpenCvSharp.Mat.FromPixelData(img.Height, img.Width, OpenCvSharp.MatType.CV_32FC1, img.Plane(c));
            OpenCvSharp.Cv2.GaussianBlur(m, m, new OpenCvSharp.Size(0, 0), 1.5);
        }
        return img;
    }

    private static void Set(RgbImage img, int x, int y, Vec3 v)
    {
        int i = y * img.Width + x;
        img.R[i] = (float)v.X; img.G[i] = (float)v.Y; img.B[i] = (float)v.Z;
    }
}
