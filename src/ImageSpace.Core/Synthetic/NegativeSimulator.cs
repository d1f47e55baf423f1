using ImageSpace.Core.Color;
using ImageSpace.Core.Imaging;

namespace ImageSpace.Core.Synthetic;

/// <summary>How a synthetic colour negative is made (shared/docs/film-negative-anchors.md §6.1).</summary>
public sealed record NegativeFilm
{
    public double[] Gamma { get; init; } = [0.55, 0.55, 0.64];        // Portra 400 (Status M)
    public double[] BaseDensity { get; init; } = [0.22, 0.65, 0.87];  // orange mask + fog
    /// <summary>Layer spectral overlap: exposure of each layer from scene linear sRGB.</summary>
    public double[] LayerMix { get; init; } = [0.90, 0.10, 0.00, 0.06, 0.88, 0.06, 0.00, 0.10, 0.90];
    /// <summary>Light table as the three camera bands see it.</summary>
    public double[] Light { get; init; } = [0.55, 1.00, 0.75];
    /// <summary>Camera crosstalk: how much of each light band reaches each camera channel.</summary>
    public double[] Crosstalk { get; init; } = [0.80, 0.18, 0.02, 0.07, 0.86, 0.07, 0.01, 0.17, 0.82];
    public double ToeLog { get; init; } = -1.3;
    public double ToeSharpness { get; init; } = 3;
    /// <summary>Brightest camera channel of the film base, as a fraction of saturation (exposing to the right).</summary>
    public double BaseLevel { get; init; } = 0.75;
}

/// <summary>Renders a ColorChecker scene as a colour negative photographed on a light table: scene → layer
/// exposures (with spectral overlap) → characteristic curve with a toe → dye density on the orange base →
/// transmittance → light table → camera crosstalk → noisy CFA DNG. The frame has an unexposed rebate at the sides
/// and sprocket holes (bare light) in it.</summary>
public static class NegativeSimulator
{
    public static RenderedScene Write(string path, SceneParameters scene, NegativeFilm film, DngInfo? info = null)
    {
        var rendered = ChartScene.Render(scene with { Camera = "luther", Illuminant = "D65" });
        var cam = rendered.CameraRgb;
        // Luther camera RGB → XYZ → linear sRGB, with the perfect white at 1 (0 EV).
        var toRgb = RgbColorSpace.Srgb.FromXyz * rendered.XyzToCamera.Inverse();
        double norm = 1 / (toRgb * rendered.WhiteCamera).Y / RenderedScene.WhiteAtZeroEv;
        using var linear = new RgbImage(cam.Width, cam.Height);
        Parallel.For(0, cam.Height, y =>
        {
            for (int x = 0, i = y * cam.Width; x < cam.Width; x++, i++)
            {
                var rgb = norm * (toRgb * new Vec3(cam.R[i], cam.G[i], cam.B[i]));
                linear.R[i] = (float)rgb.X; linear.G[i] = (float)rgb.Y; linear.B[i] = (float)rgb.Z;
            }
        });
        WriteScene(path, linear, film, scene.Noise, scene.Seed, info);
        return rendered;
    }

    /// <summary>Width of the unexposed rebate at each side of a frame <paramref name="width"/> pixels wide.</summary>
    public static int RebateWidth(int width) => width * 7 / 100;

    /// <summary>A scene in linear sRGB (perfect white 1 at the film's normal exposure) as a colour negative on the light
    /// table, photographed: the rebate at the sides (base and fog only) with sprocket holes (bare light), camera
    /// crosstalk, then a noisy CFA DNG at <paramref name="path"/>. Scene values outside the rebate are used as given
    /// (multiply them by 2^EV for an exposure).</summary>
    /// <param name="lensBlur">σ in pixels of the copy lens's blur on the negative (0: none). A real lens does not resolve
    /// single sensor pixels, so the colour sites of one Bayer quad see the same film; without it, fine texture aliases
    /// into false colour.</param>
    public static void WriteScene(string path, RgbImage sceneSrgb, NegativeFilm film, double noise, int seed, DngInfo? info = null, double lensBlur = 0)
    {
        using var img = Expose(sceneSrgb, film);
        if (lensBlur > 0)
            for (int c = 0; c < 3; c++)
            {
                using var m = OpenCvSharp.Mat.FromPixelData(img.Height, img.Width, OpenCvSharp.MatType.CV_32FC1, img.Plane(c));
                OpenCvSharp.Cv2.GaussianBlur(m, m, new OpenCvSharp.Size(0, 0), lensBlur);
            }
        var mosaic = Mosaicker.Mosaic(img, noise, seed);
        var C = Matrix3.FromRows(film.Crosstalk);
        var neutral = C * new Vec3(film.Light[0], film.Light[1], film.Light[2]);
        DngWriter.Write(path, mosaic, img.Width, img.Height, (info ?? new DngInfo()) with
        {
            Model = "Negative scan",
            ColorMatrix = C * RgbColorSpace.Srgb.FromXyz,
            CalibrationIlluminant = 21,
            AsShotNeutral = (1 / neutral.Max) * neutral,
        });
    }

    /// <summary>The noise-free camera RGB of the negative (1.0 = saturation), §6.1 steps 2–7.</summary>
    public static RgbImage Expose(RgbImage sceneSrgb, NegativeFilm film)
    {
        var S = Matrix3.FromRows(film.LayerMix);
        var C = Matrix3.FromRows(film.Crosstalk);
        var baseT = new Vec3(Math.Pow(10, -film.BaseDensity[0]), Math.Pow(10, -film.BaseDensity[1]), Math.Pow(10, -film.BaseDensity[2]));
        var rawBase = C * new Vec3(film.Light[0] * baseT.X, film.Light[1] * baseT.Y, film.Light[2] * baseT.Z);
        double e = film.BaseLevel / rawBase.Max;
        int w = sceneSrgb.Width, h = sceneSrgb.Height, rebate = RebateWidth(w);
        var img = new RgbImage(w, h);
        Parallel.For(0, h, y =>
        {
            for (int x = 0; x < w; x++)
            {
                int i = y * w + x;
                bool inRebate = x < rebate || x >= w - rebate;
                bool hole = inRebate && (y / (h / 12)) % 2 == 0 && Math.Abs(x - (x < rebate ? rebate / 2 : w - rebate / 2)) < rebate / 4;
                Vec3 t;
                if (hole) t = new Vec3(1, 1, 1);
                else
                {
                    var rgb = new Vec3(sceneSrgb.R[i], sceneSrgb.G[i], sceneSrgb.B[i]);
                    var hExp = inRebate ? new Vec3(0, 0, 0) : S * rgb;
                    double D(int c, double hc)
                    {
                        double lh = Math.Log10(Math.Max(hc, 1e-9) / 0.18);
                        double dye = film.Gamma[c] / film.ToeSharpness * Math.Log10(1 + Math.Pow(10, film.ToeSharpness * (lh - film.ToeLog)));
                        return film.BaseDensity[c] + dye;
                    }
                    t = new Vec3(Math.Pow(10, -D(0, hExp.X)), Math.Pow(10, -D(1, hExp.Y)), Math.Pow(10, -D(2, hExp.Z)));
                }
                var raw = e * (C * new Vec3(film.Light[0] * t.X, film.Light[1] * t.Y, film.Light[2] * t.Z));
                img.R[i] = (float)raw.X; img.G[i] = (float)raw.Y; img.B[i] = (float)raw.Z;
            }
        });
        return img;
    }

    /// <summary>The camera's crosstalk as an unmix matrix (what a user measures once per rig).</summary>
    public static double[] Unmix(NegativeFilm film) => Matrix3.FromRows(film.Crosstalk).Inverse().ToArray();
}
