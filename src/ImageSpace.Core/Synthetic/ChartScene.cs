using ImageSpace.Core.Color;
using ImageSpace.Core.Imaging;

namespace ImageSpace.Core.Synthetic;

/// <summary>What to render: image size, chart pose and the capture conditions.</summary>
public sealed record SceneParameters
{
    public int Width { get; init; } = 1200;
    public int Height { get; init; } = 800;
    public bool HasChart { get; init; } = true;
    /// <summary>Chart centre as a fraction of the image size.</summary>
    public double CenterX { get; init; } = 0.5;
    public double CenterY { get; init; } = 0.5;
    /// <summary>Distance between neighbouring patch centres, in pixels (before perspective).</summary>
    public double PatchPitch { get; init; } = 60;
    /// <summary>In-plane rotation, degrees, clockwise on screen.</summary>
    public double RotationDeg { get; init; }
    /// <summary>Out-of-plane tilt, degrees, about an in-plane axis at <see cref="TiltAxisDeg"/>.</summary>
    public double TiltDeg { get; init; }
    public double TiltAxisDeg { get; init; }
    public double ExposureEv { get; init; }
    /// <summary>Light fall-off at the image corners (0 none, 0.4 = 40 % darker).</summary>
    public double Vignetting { get; init; }
    /// <summary>Noise scale: 1 is a base-ISO sensor (shot + read noise), 0 is noiseless.</summary>
    public double Noise { get; init; } = 1;
    public string Illuminant { get; init; } = "D65";
    public string Camera { get; init; } = "nikon-d5100";
    public int Seed { get; init; } = 1;
    /// <summary>Fill the surround with this ColorChecker patch's colour (a frame dominated by one colour), or 0.</summary>
    public int DominantPatch { get; init; }
}

/// <summary>Ground truth of a rendered chart.</summary>
public sealed record ChartTruth
{
    /// <summary>Chart grid corners in image pixels: at patch 1, patch 6, patch 24, patch 19.</summary>
    public required double[][] Corners { get; init; }
    /// <summary>Patch centres in image pixels, patch 1..24.</summary>
    public required double[][] PatchCenters { get; init; }
    /// <summary>Mean distance between neighbouring patch centres in the image.</summary>
    public required double PatchPitchPx { get; init; }
}

/// <summary>A rendered scene: linear camera RGB (1.0 = sensor saturation) and its truth.</summary>
public sealed class RenderedScene
{
    public required RgbImage CameraRgb { get; init; }
    public required SceneParameters Parameters { get; init; }
    public required SpectralCamera Camera { get; init; }
    public ChartTruth? Chart { get; init; }
    /// <summary>Patch XYZ under the scene light, Bradford-adapted to ICC D50, perfect white Y = 1.</summary>
    public required Vec3[] PatchXyzD50 { get; init; }
    /// <summary>Camera RGB of the patches relative to the perfect white's largest channel.</summary>
    public required Vec3[] PatchCamera { get; init; }
    /// <summary>Camera RGB of the perfect white (largest channel 1): the as-shot neutral.</summary>
    public required Vec3 WhiteCamera { get; init; }
    /// <summary>Fraction of sensor saturation the perfect white's largest channel reaches at 0 EV.</summary>
    public const double WhiteAtZeroEv = 0.8;
    /// <summary>Y a decoded image gives the perfect white (exposure scale of the truth).</summary>
    public double DecodedWhiteY => WhiteAtZeroEv * Math.Pow(2, Parameters.ExposureEv);
    /// <summary>XYZ → camera matrix a profiling tool would store for this camera (least squares on the 24
    /// patches; exact for a Luther camera).</summary>
    public required Matrix3 XyzToCamera { get; init; }
}

/// <summary>Renders a ColorChecker Classic 24 from spectral data (reflectance × illuminant × camera sensitivity) into
/// a camera-RGB image, with pose, exposure and vignetting; noise is added when the image is mosaicked.</summary>
public static class ChartScene
{
    /// <summary>Patch squares are this fraction of the pitch; the chart's black body extends this far (in pitches)
    /// beyond the outer patch centres' cells. Proportions of the Classic: 6×4 patches with narrow black gaps.</summary>
    public const double PatchFraction = 0.82, BodyMargin = 0.30;
    private const double BodyReflectance = 0.035;

    public static RenderedScene Render(SceneParameters p)
    {
        var camera = SpectralCamera.ByName(p.Camera);
        var light = SpectralData.Illuminant(p.Illuminant);
        Vec3 white = camera.Render(SpectralCamera.Flat(1), light);
        double norm = 1 / white.Max;
        Vec3 Cam(double[] refl) => norm * camera.Render(refl, light);

        Vec3 lightWhiteXyz = SpectralCamera.Xyz(SpectralCamera.Flat(1), light);
        Matrix3 toD50 = Bradford.Adapt(lightWhiteXyz, WhitePoints.D50);
        var patchCam = new Vec3[24];
        var patchXyz = new Vec3[24];
        var rawXyz = new Vec3[24];
        for (int i = 0; i < 24; i++)
        {
            var r = SpectralData.Patch(i + 1);
            patchCam[i] = Cam(r);
            rawXyz[i] = SpectralCamera.Xyz(r, light);
            patchXyz[i] = toD50 * rawXyz[i];
        }

        var img = new RgbImage(p.Width, p.Height);
        Vec3 bodyCam = Cam(SpectralCamera.Flat(BodyReflectance));
        Vec3 bgA = Cam(SpectralCamera.Flat(0.28)), bgB = Cam(SpectralData.Patch(4).Select(v => v * 1.3).ToArray());
        if (p.DominantPatch is >= 1 and <= 24) bgA = bgB = Cam(SpectralData.Patch(p.DominantPatch));
        Vec3[] objects = p.HasChart ? [] : [Cam(SpectralData.Patch(7)), Cam(SpectralData.Patch(13)), Cam(SpectralData.Patch(2)), Cam(SpectralData.Patch(11))];
        double gain = RenderedScene.WhiteAtZeroEv * Math.Pow(2, p.ExposureEv);

        Homography? toImage = null, toChart = null;
        ChartTruth? truth = null;
        (int x0, int y0, int x1, int y1) box = (0, 0, -1, -1);
        if (p.HasChart)
        {
            toImage = ChartToImage(p);
            toChart = toImage.Inverse();
            truth = Truth(toImage);
            var bodyCorners = new[] { (-BodyMargin, -BodyMargin), (6 + BodyMargin, -BodyMargin), (6 + BodyMargin, 4 + BodyMargin), (-BodyMargin, 4 + BodyMargin) }
                .Select(c => toImage.Map(c.Item1, c.Item2)).ToArray();
            box = ((int)Math.Floor(bodyCorners.Min(c => c.x)) - 1, (int)Math.Floor(bodyCorners.Min(c => c.y)) - 1,
                   (int)Math.Ceiling(bodyCorners.Max(c => c.x)) + 1, (int)Math.Ceiling(bodyCorners.Max(c => c.y)) + 1);
        }

        double cx = p.Width / 2.0, cy = p.Height / 2.0, rmax2 = cx * cx + cy * cy;
        Parallel.For(0, p.Height, Parallelism.Options, y =>
        {
            for (int x = 0; x < p.Width; x++)
            {
                Vec3 c;
                if (toChart is not null && x >= box.x0 && x <= box.x1 && y >= box.y0 && y <= box.y1)
                {
                    // 3×3 supersampling: patch edges are anti-aliased like a real lens would blur them.
                    Vec3 sum = default;
                    for (int sy = 0; sy < 3; sy++)
                        for (int sx = 0; sx < 3; sx++)
                        {
                            var (u, v) = toChart.Map(x + (sx + 0.5) / 3, y + (sy + 0.5) / 3);
                            sum += ChartColor(u, v, patchCam, bodyCam) ?? Background(x, y, bgA, bgB, objects, p);
                        }
                    c = (1.0 / 9) * sum;
                }
                else c = Background(x, y, bgA, bgB, objects, p);
                double dx = x + 0.5 - cx, dy = y + 0.5 - cy;
                double k = gain * (1 - p.Vignetting * (dx * dx + dy * dy) / rmax2);
                int i = y * p.Width + x;
                img.R[i] = (float)(k * c.X); img.G[i] = (float)(k * c.Y); img.B[i] = (float)(k * c.Z);
            }
        });

        return new RenderedScene
        {
            CameraRgb = img, Parameters = p, Camera = camera, Chart = truth, PatchXyzD50 = patchXyz, PatchCamera = patchCam,
            WhiteCamera = norm * white, XyzToCamera = FitXyzToCamera(rawXyz, patchCam, camera.Name == "Luther"),
        };
    }

    /// <summary>Chart coordinates (u right along a row, v down the columns, in pitches; patch 1 spans [0,1]²) → image.</summary>
    public static Homography ChartToImage(SceneParameters p)
    {
        double f = 1.5 * Math.Max(p.Width, p.Height);
        double rot = p.RotationDeg * Math.PI / 180, tilt = p.TiltDeg * Math.PI / 180, axis = p.TiltAxisDeg * Math.PI / 180;
        (double, double) Project(double u, double v)
        {
            double x = (u - 3) * p.PatchPitch, y = (v - 2) * p.PatchPitch, z = 0;
            (x, y) = (x * Math.Cos(rot) - y * Math.Sin(rot), x * Math.Sin(rot) + y * Math.Cos(rot));
            // Rodrigues rotation about the in-plane unit axis k = (cos a, sin a, 0).
            double kx = Math.Cos(axis), ky = Math.Sin(axis), c = Math.Cos(tilt), s = Math.Sin(tilt);
            double dot = kx * x + ky * y;
            double rx = x * c + (ky * z - 0 * y) * s + kx * dot * (1 - c);
            double ry = y * c + (0 * x - kx * z) * s + ky * dot * (1 - c);
            double rz = z * c + (kx * y - ky * x) * s;
            return (p.CenterX * p.Width + f * rx / (f + rz), p.CenterY * p.Height + f * ry / (f + rz));
        }
        (double, double)[] src = [(0, 0), (6, 0), (6, 4), (0, 4)];
        return Homography.FromPoints(src, src.Select(c => Project(c.Item1, c.Item2)).ToArray());
    }

    private static ChartTruth Truth(Homography h)
    {
        var centers = new double[24][];
        for (int i = 0; i < 24; i++)
        {
            var (x, y) = h.Map(i % 6 + 0.5, i / 6 + 0.5);
            centers[i] = [x, y];
        }
        double pitch = 0; int n = 0;
        for (int i = 0; i < 24; i++)
        {
            if (i % 6 < 5) { pitch += Dist(centers[i], centers[i + 1]); n++; }
            if (i < 18) { pitch += Dist(centers[i], centers[i + 6]); n++; }
        }
        var corners = new[] { (0.0, 0.0), (6.0, 0.0), (6.0, 4.0), (0.0, 4.0) }
            .Select(c => { var (x, y) = h.Map(c.Item1, c.Item2); return new[] { x, y }; }).ToArray();
        return new ChartTruth { Corners = corners, PatchCenters = centers, PatchPitchPx = pitch / n };
    }

    private static double Dist(double[] a, double[] b) => Math.Sqrt((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]));

    private static Vec3? ChartColor(double u, double v, Vec3[] patches, Vec3 body)
    {
        if (u < -BodyMargin || v < -BodyMargin || u > 6 + BodyMargin || v > 4 + BodyMargin) return null;
        int col = (int)Math.Floor(u), row = (int)Math.Floor(v);
        if (col is < 0 or > 5 || row is < 0 or > 3) return body;
        double fu = u - col - 0.5, fv = v - row - 0.5, half = PatchFraction / 2;
        return Math.Abs(fu) <= half && Math.Abs(fv) <= half ? patches[row * 6 + col] : body;
    }

    /// <summary>A smooth, non-uniform surround (two materials blended), plus a few coloured discs in chart-free frames
    /// so that "no chart" is tested against colourful content, not a flat wall.</summary>
    private static Vec3 Background(int x, int y, Vec3 a, Vec3 b, Vec3[] objects, SceneParameters p)
    {
        double t = 0.5 + 0.5 * Math.Sin(x / 97.0 + 1.3 * Math.Sin(y / 61.0));
        Vec3 c = (1 - t) * a + t * b;
        for (int i = 0; i < objects.Length; i++)
        {
            double ox = p.Width * (0.2 + 0.2 * i), oy = p.Height * (0.35 + 0.1 * (i % 2)), r = Math.Min(p.Width, p.Height) * 0.12;
            if ((x - ox) * (x - ox) + (y - oy) * (y - oy) < r * r) return objects[i];
        }
        return c;
    }

    private static Matrix3 FitXyzToCamera(Vec3[] xyz, Vec3[] cam, bool luther)
    {
        if (luther) return SpectralCamera.LutherMix;
        var a = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(24, 3, (i, j) => xyz[i][j]);
        var b = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(24, 3, (i, j) => cam[i][j]);
        var m = a.Solve(b); // 3×3 with cam ≈ xyz · m
        return new Matrix3(m[0, 0], m[1, 0], m[2, 0], m[0, 1], m[1, 1], m[2, 1], m[0, 2], m[1, 2], m[2, 2]);
    }
}
