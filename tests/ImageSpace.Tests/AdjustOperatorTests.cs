using ImageSpace.Core.Adjust;
using ImageSpace.Core.Color;
using ImageSpace.Core.Imaging;
using ImageSpace.Core.Pipeline;
using ImageSpace.Core.Synthetic;
using OpenCvSharp;
using Xunit.Abstractions;

namespace ImageSpace.Tests;

/// <summary>Each adjustment operator's defining property, on synthetic images with known truth.</summary>
public class AdjustOperatorTests(ITestOutputHelper log)
{
    private static readonly OperatorContext Full = new(new RawMetadata(), 1);

    private static byte[] Srgb8(RgbImage im)
    {
        var b = new byte[im.PixelCount * 3];
        var q = new Core.Export.Quantizer(TransferFunction.Srgb);
        for (int y = 0; y < im.Height; y++) q.Row8(im, y, b.AsSpan(y * im.Width * 3, im.Width * 3));
        return b;
    }

    private static double Psnr(byte[] a, byte[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) { double d = a[i] - b[i]; s += d * d; }
        return 10 * Math.Log10(255.0 * 255 / (s / a.Length));
    }

    [Fact]
    public void Denoise_beats_opencv_non_local_means_on_psnr()
    {
        // Dead leaves with photon + read noise (linear), judged on 8-bit sRGB as a user sees it. OpenCV's
        // fastNlMeansDenoisingColored gets the same noisy picture in 8-bit sRGB and its best h of five.
        using var clean = DeadLeaves.Render(480, 320, 7);
        using var noisy = clean.Clone();
        DeadLeaves.AddNoise(noisy, 0.01, 0.01, 3);
        var truth = Srgb8(clean);
        double before = Psnr(Srgb8(noisy), truth);
        using var ours = noisy.Clone();
        new DenoiseOperator(50).Apply(ours, Full);
        double oursPsnr = Psnr(Srgb8(ours), truth);
        var rgb = Srgb8(noisy);
        double best = 0, bestH = 0;
        foreach (float h in new[] { 3f, 5, 7, 10, 14 })
        {
            using var src = Mat.FromPixelData(noisy.Height, noisy.Width, MatType.CV_8UC3, rgb);
            using var dst = new Mat();
            Cv2.FastNlMeansDenoisingColored(src, dst, h, h, 7, 21);
            dst.GetArray(out Vec3b[] px);
            var outBytes = new byte[px.Length * 3];
            for (int i = 0; i < px.Length; i++) { outBytes[3 * i] = px[i].Item0; outBytes[3 * i + 1] = px[i].Item1; outBytes[3 * i + 2] = px[i].Item2; }
            double p = Psnr(outBytes, truth);
            if (p > best) (best, bestH) = (p, h);
        }
        log.WriteLine($"PSNR: noisy {before:0.00} dB, ours (strength 50) {oursPsnr:0.00} dB, OpenCV fastNlMeans best (h={bestH}) {best:0.00} dB");
        Assert.True(oursPsnr > before + 3, "denoise should gain at least 3 dB");
        Assert.True(oursPsnr >= best, $"ours {oursPsnr:0.00} dB < non-local means {best:0.00} dB");
    }

    [Fact]
    public void Denoise_strength_scales_the_smoothing_and_the_noise_model_follows_the_image()
    {
        using var clean = DeadLeaves.Render(600, 400, 5, minRadius: 8);
        using var noisy = clean.Clone();
        DeadLeaves.AddNoise(noisy, 0.004, 0.004, 9);
        var model = NoiseModel.Estimate(noisy.G, noisy.Width, noisy.Height);
        log.WriteLine($"noise model: variance = {model.A:0.00000}·x + {model.B:0.0000000} (true 0.004·x + 0.000016)");
        // The noise it predicts where the picture has signal (the intercept alone is poorly determined there).
        foreach (double x in new[] { 0.05, 0.18, 0.5 })
        {
            double predicted = Math.Sqrt(model.A * x + model.B), truth = Math.Sqrt(0.004 * x + 0.004 * 0.004);
            Assert.True(Math.Abs(predicted / truth - 1) < 0.2, $"at {x}: σ {predicted:0.00000} vs {truth:0.00000}");
        }
        double Residual(double strength)
        {
            using var x = noisy.Clone();
            new DenoiseOperator(strength).Apply(x, Full);
            double s = 0;
            for (int i = 0; i < x.PixelCount; i++) s += Math.Abs(x.G[i] - noisy.G[i]);
            return s / x.PixelCount;
        }
        double weak = Residual(20), strong = Residual(80);
        Assert.True(strong > weak * 1.2, $"strength 80 changes {strong:0.00000}, strength 20 {weak:0.00000}");
    }

    /// <summary>A flat grey field with faint texture (±0.3 L*) and one vertical step edge.</summary>
    private static RgbImage EdgeAndTexture()
    {
        var img = new RgbImage(200, 100);
        for (int y = 0; y < 100; y++)
            for (int x = 0; x < 200; x++)
            {
                double l = x < 100 ? 50 : 70; // L*
                l += 0.3 * Math.Sin(x * 0.9) * Math.Cos(y * 0.7);
                float v = (float)Core.Color.Lab.ToXyz(new Vec3(l, 0, 0), new Vec3(1, 1, 1)).Y;
                img.R[y * 200 + x] = img.G[y * 200 + x] = img.B[y * 200 + x] = v;
            }
        return img;
    }

    [Fact]
    public void Sharpen_threshold_leaves_flat_areas_alone_and_steepens_edges()
    {
        using var img = EdgeAndTexture();
        using var sharp = img.Clone();
        new SharpenOperator(100, 1.5, threshold: 1.0).Apply(sharp, Full);
        double flatChange = 0;
        for (int y = 10; y < 90; y++)
            foreach (int x in new[] { 20, 40, 60, 140, 160, 180 })
                flatChange = Math.Max(flatChange, Math.Abs(sharp.G[y * 200 + x] / img.G[y * 200 + x] - 1));
        Assert.True(flatChange < 1e-6, $"texture below the threshold changed by {flatChange:E2}");
        // Across the edge: darker just left of it, brighter just right (the unsharp-mask overshoot).
        int row = 50 * 200;
        Assert.True(sharp.G[row + 98] < img.G[row + 98] * 0.97 && sharp.G[row + 101] > img.G[row + 101] * 1.03,
            $"edge {img.G[row + 98]:0.0000}/{img.G[row + 101]:0.0000} → {sharp.G[row + 98]:0.0000}/{sharp.G[row + 101]:0.0000}");
        // Without the threshold the texture is sharpened too.
        using var all = img.Clone();
        new SharpenOperator(100, 1.5, threshold: 0).Apply(all, Full);
        Assert.True(Math.Abs(all.G[50 * 200 + 40] / img.G[50 * 200 + 40] - 1) > 1e-4);
    }

    [Fact]
    public void Shadows_lift_a_dark_area_evenly_without_halos()
    {
        // A dark square (5 % grey, −1.85 EV) on a bright field (0.6): the whole square is lifted alike, right up to
        // its edge, and the bright field next to the edge is left as it is far from it.
        var img = new RgbImage(400, 400);
        for (int y = 0; y < 400; y++)
            for (int x = 0; x < 400; x++)
            {
                bool inside = x >= 100 && x < 300 && y >= 100 && y < 300;
                float v = inside ? 0.05f : 0.6f;
                img.R[y * 400 + x] = img.G[y * 400 + x] = img.B[y * 400 + x] = v;
            }
        using var lifted = img.Clone();
        var op = new ShadowsHighlightsOperator(100, 0);
        op.Apply(lifted, Full);
        double Gain(int x, int y) => lifted.G[y * 400 + x] / img.G[y * 400 + x];
        double centre = Gain(200, 200), nearEdge = Gain(102, 200), outsideNear = Gain(97, 200), outsideFar = Gain(20, 200);
        log.WriteLine($"gain: square centre {centre:0.000}, 2 px inside the edge {nearEdge:0.000}; field 3 px outside {outsideNear:0.000}, far {outsideFar:0.000}");
        Assert.True(centre > Math.Pow(2, 0.8), $"shadows +100 lifted the square only ×{centre:0.000}");
        Assert.True(Math.Abs(nearEdge / centre - 1) < 0.03, "halo inside the dark square");
        Assert.True(Math.Abs(outsideNear / outsideFar - 1) < 0.03, "halo on the bright side");
        // Mirror-image controls: shadows +100 at −x EV equals highlights −100 at +x EV, negated.
        var s = new ShadowsHighlightsOperator(100, 0);
        var h = new ShadowsHighlightsOperator(0, -100);
        foreach (double ev in new[] { 0.5, 2, 4, 6 }) Assert.Equal(s.GainEv(-ev), -h.GainEv(ev), 9);
    }

    [Fact]
    public void Preview_looks_like_the_export()
    {
        // The same recipe at full size and as a 300 px preview: the export, reduced to the preview's size, must match
        // it closely (radii and noise scale with the image).
        using var dir = new TempDir();
        SyntheticDng.Write(dir["a.dng"], new SceneParameters { Width = 1200, Height = 800, PatchPitch = 90, Noise = 1 });
        var recipe = new Recipe { Adjust = new AdjustOptions { Denoise = 60, Sharpen = 80, SharpenRadius = 2, Shadows = 40, Highlights = -30, ExposureEv = 0.3 } };
        var p = new Pipeline(recipe);
        using var full = p.Render(dir["a.dng"]);
        using var preview = p.Render(dir["a.dng"], DemosaicMode.Half, maxSide: 300);
        Assert.Equal(300, Math.Max(preview.Image.Width, preview.Image.Height));
        double diff = 0, level = 0;
        for (int c = 0; c < 3; c++)
        {
            using var src = Mat.FromPixelData(full.Image.Height, full.Image.Width, MatType.CV_32FC1, full.Image.Plane(c));
            using var small = new Mat();
            Cv2.Resize(src, small, new OpenCvSharp.Size(preview.Image.Width, preview.Image.Height), 0, 0, InterpolationFlags.Area);
            small.GetArray(out float[] reduced);
            var pv = preview.Image.Plane(c);
            for (int i = 0; i < reduced.Length; i++) { diff += Math.Abs(reduced[i] - pv[i]); level += reduced[i]; }
        }
        double relative = diff / level;
        log.WriteLine($"preview vs reduced export: mean |difference| {relative:P2} of the mean level");
        Assert.True(relative < 0.02, $"{relative:P2}");
    }

    [SkippableFact]
    public void Masked_export_makes_clipped_and_black_pixels_transparent()
    {
        using var dir = new TempDir();
        var scene = SyntheticDng.Write(dir["a.dng"], new SceneParameters { Width = 600, Height = 400, PatchPitch = 50, Noise = 0.2, ExposureEv = 1.2 });
        var r = Cli.Run("process", dir["a.dng"], "-o", dir["out"], "--mask-clipped", "--format", "png", "--no-metadata", "--naming", "[o][e]");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Skip.IfNot(ExternalTools.Has(ExternalTools.Magick), "ImageMagick not installed");
        var (code, bytes, err) = ExternalTools.Run(ExternalTools.Magick, dir["out/a.png"], "-depth", "8", "rgba:-");
        Assert.True(code == 0, err);
        byte Alpha(double[] c) => bytes[4 * ((int)c[1] * 600 + (int)c[0]) + 3];
        byte Red(double[] c) => bytes[4 * ((int)c[1] * 600 + (int)c[0])];
        var white = scene.Chart!.PatchCenters[18];
        var grey = scene.Chart.PatchCenters[21];
        Assert.Equal(0, Alpha(white)); // +1.2 EV: the white patch is blown
        Assert.Equal(0, Red(white));
        Assert.Equal(255, Alpha(grey));
        Assert.True(Red(grey) > 50);
        // JPEG has no alpha: blown pixels are black.
        r = Cli.Run("process", dir["a.dng"], "-o", dir["jpg"], "--mask-clipped", "--format", "jpg", "--no-metadata", "--naming", "[o][e]");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var jpg = ExternalTools.MagickSamples(dir["jpg/a.jpg"], 8);
        Assert.True(jpg[3 * ((int)white[1] * 600 + (int)white[0])] < 10);
    }

    [Fact]
    public void Cli_takes_every_adjustment_and_rejects_bad_values()
    {
        using var dir = new TempDir();
        SyntheticDng.Write(dir["a.dng"], new SceneParameters { Width = 300, Height = 200, PatchPitch = 25, Noise = 0.5 });
        var ok = Cli.Run("process", dir["a.dng"], "-o", dir["out"], "--exposure", "0.5", "--wb", "3200,10", "--shadows", "20", "--highlights", "-20",
            "--denoise", "30", "--sharpen", "50,1.5,2", "--format", "tiff", "--no-metadata");
        Assert.True(ok.ExitCode == 0, ok.Stderr);
        foreach (var (flag, value, words) in new[] { ("--shadows", "150", "shadows 150"), ("--wb", "pick:5", "pick"), ("--sharpen", "1,2", "--sharpen"), ("--denoise", "-1", "denoise") })
        {
            var bad = Cli.Run("process", dir["a.dng"], "-o", dir["bad"], flag, value);
            Assert.Equal(2, bad.ExitCode);
            Assert.Contains(words, bad.Stderr);
            Assert.False(Directory.Exists(dir["bad"]) && Directory.EnumerateFiles(dir["bad"]).Any());
        }
    }
}
