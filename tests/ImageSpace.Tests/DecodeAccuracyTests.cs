using ImageSpace.Core.Color;
using ImageSpace.Core.Synthetic;
using Xunit.Abstractions;

namespace ImageSpace.Tests;

public class DecodeAccuracyTests(ITestOutputHelper log)
{
    private static (RenderedScene scene, string dng) Shoot(TempDir dir, SceneParameters p, string name = "chart.dng")
    {
        string path = dir[name];
        return (SyntheticDng.Write(path, p), path);
    }

    [Theory]
    [InlineData("D50")]
    [InlineData("D65")]
    [InlineData("A")]
    public void Luther_camera_decodes_to_true_colour(string illuminant)
    {
        using var dir = new TempDir();
        var (scene, dng) = Shoot(dir, new SceneParameters { Camera = "luther", Illuminant = illuminant, RotationDeg = 8, Noise = 1 });
        foreach (var mode in new[] { DemosaicMode.Full, DemosaicMode.Half })
        {
            var img = RawDecoder.Decode(dng, new DecodeOptions { Demosaic = mode });
            var de = Patches.DeltaE(Patches.Sample(img.Image, scene.Chart!, mode == DemosaicMode.Half ? 0.5 : 1), scene);
            log.WriteLine($"Luther {illuminant} {mode}: mean ΔE2000 {de.Average():0.000}, max {de.Max():0.000}");
            Assert.True(de.Average() <= 0.5, $"mean ΔE2000 {de.Average():0.000} > 0.5 ({mode})");
            Assert.True(de.Max() <= 1.5, $"max ΔE2000 {de.Max():0.000} > 1.5 ({mode})");
        }
    }

    [Theory]
    [InlineData("nikon-d5100", "D65")]
    [InlineData("canon-5d2", "D65")]
    [InlineData("nikon-d5100", "A")]
    public void Real_camera_sensitivities_give_a_reported_matrix_error(string camera, string illuminant)
    {
        using var dir = new TempDir();
        var (scene, dng) = Shoot(dir, new SceneParameters { Camera = camera, Illuminant = illuminant });
        var img = RawDecoder.Decode(dng, new DecodeOptions { Demosaic = DemosaicMode.Half });
        var de = Patches.DeltaE(Patches.Sample(img.Image, scene.Chart!, 0.5), scene);
        log.WriteLine($"{camera} under {illuminant} through its own 3x3 DNG matrix: mean ΔE2000 {de.Average():0.00}, max {de.Max():0.00} " +
                      $"(patches: {string.Join(" ", de.Select(d => d.ToString("0.0")))})");
        // A non-Luther camera cannot be matched by any 3×3: the error must be there, and of the known size.
        Assert.InRange(de.Average(), 0.3, 5.0);
    }

    [SkippableFact]
    public void Agrees_with_LibRaw_linear_output_on_a_real_DNG()
    {
        string dng = TestData.File("raw/imageio_Blackmagic_PocketCinema4K.dng");
        var options = new DecodeOptions { Output = ColorOutput.Camera, AdjustMaximumThreshold = 0, ApplyOrientation = false };
        var ours = RawDecoder.Decode(dng, options);
        var m = ours.Multipliers;
        var theirs = LibRawHelper.Run(dng, "rgb", "--mul", F(m[0]), F(m[1]), F(m[2]), F(m[1]), "--quality", "3", "--no-adjust-maximum");
        Assert.Equal(ours.Image.Width, theirs.Metadata.OutWidth);
        Assert.Equal(ours.Image.Height, theirs.Metadata.OutHeight);
        double sum = 0, sumRef = 0;
        long n = 0;
        var img = ours.Image;
        for (int i = 0; i < img.PixelCount; i++)
            for (int c = 0; c < 3; c++)
            {
                // LibRaw clamps negative noise at black; our float path keeps it, so compare the clamped value.
                double a = Math.Clamp(img.Plane(c)[i], 0f, 1f), b = theirs.Payload[3 * i + c] / 65535.0;
                sum += Math.Abs(a - b); sumRef += b; n++;
            }
        double meanDiff = sum / n;
        log.WriteLine($"mean |ours − LibRaw AHD| = {meanDiff * 100:0.000} % of white (LibRaw mean level {sumRef / n * 100:0.0} %)");
        Assert.True(meanDiff < 0.01, $"mean difference {meanDiff * 100:0.000} % of white ≥ 1 %");
    }

    private static string F(float v) => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void Blown_highlights_are_neutral_not_magenta()
    {
        using var dir = new TempDir();
        var (scene, dng) = Shoot(dir, new SceneParameters { Illuminant = "A", ExposureEv = 2.5, Noise = 0.5 });
        var img = RawDecoder.Decode(dng, new DecodeOptions()).Image;
        var white = Patches.Sample(img, scene.Chart!)[18]; // patch 19, white: all channels saturated at +2.5 EV
        Assert.Equal(1.0, white.X, 3); Assert.Equal(1.0, white.Y, 3); Assert.Equal(1.0, white.Z, 3);
        var unclipped = RawDecoder.Decode(dng, new DecodeOptions { Highlights = HighlightMode.Unclipped }).Image;
        var w2 = Patches.Sample(unclipped, scene.Chart!)[18];
        Assert.True(Math.Abs(w2.X - w2.Z) > 0.05, "unclipped mode should show the raw channel imbalance");
    }

    [Fact]
    public void Orientation_tag_rotates_pixels_once()
    {
        using var dir = new TempDir();
        var p = new SceneParameters { Width = 300, Height = 200, PatchPitch = 30, Noise = 0 };
        var scene = ChartScene.Render(p);
        var mosaic = Mosaicker.Mosaic(scene.CameraRgb, 0, 1);
        DngWriter.Write(dir["up.dng"], mosaic, p.Width, p.Height, new DngInfo { ColorMatrix = scene.XyzToCamera, AsShotNeutral = scene.WhiteCamera });
        DngWriter.Write(dir["cw.dng"], mosaic, p.Width, p.Height, new DngInfo { ColorMatrix = scene.XyzToCamera, AsShotNeutral = scene.WhiteCamera, Orientation = 6 });
        var up = RawDecoder.Decode(dir["up.dng"], new DecodeOptions()).Image;
        var cw = RawDecoder.Decode(dir["cw.dng"], new DecodeOptions()).Image;
        Assert.Equal((200, 300), (cw.Width, cw.Height));
        // 90° clockwise: output (x, y) shows source (y, H − 1 − x).
        foreach (var (x, y) in new[] { (0, 0), (50, 120), (199, 299), (10, 290) })
            Assert.Equal(up.G[(p.Height - 1 - x) * p.Width + y], cw.G[y * cw.Width + x]);
    }

    [Fact]
    public void Full_resolution_demosaic_reconstructs_the_scene()
    {
        using var dir = new TempDir();
        var (scene, dng) = Shoot(dir, new SceneParameters { Width = 600, Height = 400, PatchPitch = 40, Noise = 0, RotationDeg = 20 });
        var img = RawDecoder.Decode(dng, new DecodeOptions { Output = ColorOutput.Camera, WhiteBalance = WhiteBalanceMode.None }).Image;
        // With no WB and no matrix the output is the rendered camera RGB itself (1.0 = saturation).
        double se = 0; long n = 0;
        for (int y = 4; y < img.Height - 4; y++)
            for (int x = 4; x < img.Width - 4; x++)
                for (int c = 0; c < 3; c++)
                {
                    double d = img.Plane(c)[y * img.Width + x] - scene.CameraRgb.Plane(c)[y * img.Width + x];
                    se += d * d; n++;
                }
        double psnr = 10 * Math.Log10(1 / (se / n));
        log.WriteLine($"PPG demosaic PSNR against the noiseless scene: {psnr:0.0} dB");
        Assert.True(psnr > 38, $"PSNR {psnr:0.0} dB");
    }
}

public class FallbackDecodeTests(ITestOutputHelper log)
{
    [SkippableFact]
    public void Non_bayer_files_use_LibRaw_processing_and_keep_their_range()
    {
        // An 8-bit RGB film-scanner "NEF": no CFA, so LibRaw's own processing path. With dcraw's defaults it comes out
        // almost all white; scaled by its real white level it must look like a photo.
        string nef = TestData.File("raw/imageio_Nikon_COOLSCAN_IV_ED_film_scan.nef");
        using var d = RawDecoder.Decode(nef, new DecodeOptions());
        Assert.Equal((869, 593), (d.Image.Width, d.Image.Height));
        double sum = 0, clipped = 0;
        int n = d.Image.PixelCount;
        for (int i = 0; i < n; i++)
        {
            double y = (WorkingSpace.ToXyzD50 * new Vec3(d.Image.R[i], d.Image.G[i], d.Image.B[i])).Y;
            sum += y;
            if (d.Image.R[i] >= 0.999f && d.Image.G[i] >= 0.999f && d.Image.B[i] >= 0.999f) clipped++;
        }
        log.WriteLine($"Coolscan NEF: mean Y {sum / n:0.000}, clipped {clipped / n:P1}");
        Assert.InRange(sum / n, 0.03, 0.8);
        Assert.True(clipped / n < 0.05, $"{clipped / n:P1} of the pixels are clipped white");
    }
}
