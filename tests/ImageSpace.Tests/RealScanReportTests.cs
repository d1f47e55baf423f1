using ImageSpace.Core.Color;
using ImageSpace.Core.Film;
using ImageSpace.Core.Imaging;
using ImageSpace.Core.Pipeline;
using Xunit.Abstractions;

namespace ImageSpace.Tests;

/// <summary>The real colour scan against the positive its author made: aligned on SIFT features, log-luminance
/// correlation, hue and chroma of the clearly coloured matched cells, and how much of our positive is above 1.0 (a night
/// scene must stay low-key). With IMAGESPACE_DOCS set to a folder, the side-by-side picture (negative | ours | given
/// positive) is written there as film-real-scan.png.</summary>
public class RealScanReportTests(ITestOutputHelper log)
{
    [SkippableFact]
    public void Colour_scan_matches_the_given_positive_and_stays_low_key()
    {
        string negativePath = TestData.File(Path.Combine("negatives", "amoslu_Negative_scan.jpg"));
        string positivePath = TestData.File(Path.Combine("negatives", "amoslu_positive_Gamma1.jpg"));
        string flatPath = TestData.File(Path.Combine("negatives", "amoslu_Flat-field.jpg"));
        using var ours = new Pipeline(new Recipe { Film = new FilmOptions { Enabled = true, FlatField = flatPath, CropRebate = true } }).Render(negativePath);
        var (theirs, _) = ImageLoader.Load(positivePath);
        var (negative, _) = ImageLoader.Load(negativePath);
        using (theirs)
        using (negative)
        {
            var m = ImageAlignment.Compare(ours.Image, theirs);
            Assert.NotNull(m);
            double above = Enumerable.Range(0, ours.Image.PixelCount / 7).Count(k => { int i = 7 * k; return ours.Image.R[i] > 1 || ours.Image.G[i] > 1 || ours.Image.B[i] > 1; }) / (double)(ours.Image.PixelCount / 7);
            log.WriteLine($"amoslu (flat-fielded, rebate cropped to {ours.Image.Width}×{ours.Image.Height} of {negative.Width}×{negative.Height}): {m.Inliers}/{m.Candidates} matches; log-luminance correlation {m.LogLuminance:0.000}; hue difference (median over {m.ColourCells} coloured cells) {m.HueDifferenceDeg:0.0}°, chroma ratio ours/theirs {m.ChromaRatio:0.00}; exposure ours/theirs (median cell) {m.ExposureRatio:0.00}, log-luminance spread ours/theirs {m.ContrastRatio:0.00}; {above:P1} of our positive above 1.0");
            log.WriteLine(string.Join(" | ", ours.Warnings));
            Assert.True(m.LogLuminance >= 0.88, $"log-luminance correlation {m.LogLuminance:0.000}");
            // A night scene keeps its key: the exposure comes from the film (a normal mid-grey density above the base), not
            // from the picture, and the matched cells' median is 1.42× the author's (0.5 stop; 1.24× of it is the author's
            // tone scale, see below). A picture-referred exposure (grey from the frame's own neutral estimate) put 35.7 % of
            // it above 1.0; the film-referred one 25.6 %, most of it the scanner's surround (holder and rebate, inverted to
            // the brightest white); with the rebate and holder cropped 9.4 %: the lit signs and shop fronts, 2.5–7 stops
            // above a normal mid-grey on the film (green density 1.1–2.4 above the base). A scene-linear positive keeps
            // them (float outputs hold them); only a tone scale brings them under 1.0.
            Assert.InRange(m.ExposureRatio, 1.15, 1.75);
            Assert.True(above < 0.11, $"{above:P1} above 1.0");
            // The crop took the surround (≈ 4–8 % of each side on this scan) and left the picture.
            Assert.InRange(ours.Image.Width / (double)negative.Width, 0.80, 0.93);
            Assert.InRange(ours.Image.Height / (double)negative.Height, 0.80, 0.95);
            // Hue: 45.5° before the crop, 43.4° with it; a regression guard, not the goal: most of it is the author's
            // tone scale, not the scan (below).
            Assert.True(m.HueDifferenceDeg <= 45, $"hue difference {m.HueDifferenceDeg:0.0}°");
            Assert.True(m.ContrastRatio <= 1.85, $"log-luminance spread ×{m.ContrastRatio:0.00}");
            AuthorsFormulaOnOurDensities(negativePath, flatPath, theirs, m);
            if (Environment.GetEnvironmentVariable("IMAGESPACE_DOCS") is { Length: > 0 } docs) WriteSideBySide(Path.Combine(docs, "film-real-scan.png"), negative, ours.Image, theirs);
        }
    }

    /// <summary>The author's positive is not scene-linear: simple-inversion (amoslu-photo/simple-inversion, README and
    /// invert.py) scales each channel's density above the base by the density of the half-exposed leader (x = D / Dmax,
    /// so the leader's exposed part is white) and writes (10^x − 1) / 9, clipped to 0–1, from the camera's RAW. The same
    /// published formula applied to the densities we read from the Lightroom JPEG (sRGB-decoded, flat-fielded, base from
    /// the rebate, cropped) must reproduce that positive: it checks our reading of the scan independently of our
    /// inversion, and it shows where the rest of the differences come from. Measured: hue 15.2° (ours 43.4°),
    /// log-luminance correlation 0.957, exposure ratio 1.24, spread ×0.85 (ours ×1.66), 0.5 % above 1.0.</summary>
    private void AuthorsFormulaOnOurDensities(string negativePath, string flatPath, RgbImage theirs, ImageAlignment.Match ours)
    {
        string leaderPath = TestData.File(Path.Combine("negatives", "amoslu_Half-exposed_leader.jpg"));
        var film = new FilmOptions { Enabled = true, FlatField = flatPath, CropRebate = true };
        var pipeline = new Pipeline(new Recipe { Film = film });
        using var leader = pipeline.Decode(leaderPath).Decoded;
        // The leader's regions as invert.py takes them: exposed x 1/6–2/6, base x 4/6–5/6, y 1/3–2/3 (medians: the
        // picture carries drawn labels).
        var l = leader.Image;
        double[] Median(int x0, int x1) => Enumerable.Range(0, 3).Select(c => Core.Statistics.Median(
            Enumerable.Range(l.Height / 3, l.Height / 3).Where(y => y % 4 == 0)
                .SelectMany(y => Enumerable.Range(x0, x1 - x0).Where(x => x % 4 == 0).Select(x => (double)l.Plane(c)[y * l.Width + x])))).ToArray();
        double[] exposed = Median(l.Width / 6, l.Width * 2 / 6), unexposed = Median(l.Width * 4 / 6, l.Width * 5 / 6);
        double[] dmax = Enumerable.Range(0, 3).Select(c => Math.Log10(unexposed[c] / exposed[c])).ToArray();
        var stage = pipeline.Decode(negativePath);
        using var decoded = stage.Decoded;
        var p = FilmProcessor.Resolve(decoded.Image, decoded.Metadata, film, null, 1);
        using var img = FrameBorder.Crop(decoded, FrameBorder.Detect(decoded.Image, p.Base)).Image;
        for (int i = 0; i < img.PixelCount; i++)
        {
            var (dr, dg, db) = p.Density(img.R[i], img.G[i], img.B[i]);
            img.R[i] = (float)Math.Clamp((Math.Pow(10, dr / dmax[0]) - 1) / 9, 0, 1);
            img.G[i] = (float)Math.Clamp((Math.Pow(10, dg / dmax[1]) - 1) / 9, 0, 1);
            img.B[i] = (float)Math.Clamp((Math.Pow(10, db / dmax[2]) - 1) / 9, 0, 1);
        }
        // invert.py tags its output linear ProPhoto.
        MatrixOperator.Apply(img, WorkingSpace.Space.FromXyz * RgbColorSpace.ProPhoto.ToXyz);
        var m = ImageAlignment.Compare(img, theirs);
        Assert.NotNull(m);
        double above = Enumerable.Range(0, img.PixelCount / 7).Count(k => { int i = 7 * k; return img.R[i] >= 0.99 || img.G[i] >= 0.99 || img.B[i] >= 0.99; }) / (double)(img.PixelCount / 7);
        log.WriteLine($"the author's formula on our densities (leader Dmax above base {dmax[0]:0.00}, {dmax[1]:0.00}, {dmax[2]:0.00}): log-luminance correlation {m.LogLuminance:0.000}; hue difference {m.HueDifferenceDeg:0.0}°, chroma ratio {m.ChromaRatio:0.00}; exposure ratio {m.ExposureRatio:0.00}, spread ×{m.ContrastRatio:0.00}; {above:P1} at 0.99 or above");
        // The scan's densities (a Lightroom JPEG with its tone curve, against the author's RAW) give the author's
        // positive back far better than our scene-linear inversion does: the JPEG is not what makes the hue differ.
        Assert.True(m.HueDifferenceDeg <= 20 && m.HueDifferenceDeg < ours.HueDifferenceDeg - 15, $"hue difference {m.HueDifferenceDeg:0.0}°");
        Assert.True(m.LogLuminance >= 0.93, $"log-luminance correlation {m.LogLuminance:0.000}");
        Assert.InRange(m.ContrastRatio, 0.7, 1.2);
        Assert.True(above < 0.02, $"{above:P1} at 0.99 or above");
    }

    /// <summary>Three panels 220 px high, sRGB 8-bit: ours scaled so the 99th percentile of its central luminance is 0.9 (the
    /// given positive and the negative are shown as they are; ours only exposed like the others, nothing else).</summary>
    private static void WriteSideBySide(string path, params RgbImage[] panels)
    {
        const int h = 220;
        var scaled = panels.Select(p => Resize(p, Math.Max(1, p.Width * h / p.Height), h)).ToList();
        int w = scaled.Sum(s => s.Width) + 8 * (scaled.Count - 1);
        using var canvas = new RgbImage(w, h);
        var toSrgb = RgbColorSpace.Srgb.FromXyz * WorkingSpace.Space.ToXyz;
        int x0 = 0;
        for (int k = 0; k < scaled.Count; k++)
        {
            var s = scaled[k];
            // Exposure from the central 80 % (the rebate around the frame is not picture).
            var lum = Enumerable.Range(0, s.PixelCount).Where(i => i % s.Width > s.Width / 10 && i % s.Width < s.Width * 9 / 10 && i / s.Width > h / 10 && i / s.Width < h * 9 / 10)
                .Select(i => 0.2627 * s.R[i] + 0.678 * s.G[i] + 0.0593 * s.B[i]).Order().ToArray();
            double gain = k == 1 ? 0.9 / Math.Max(1e-6, lum[(int)(lum.Length * 0.99)]) : 1;
            for (int y = 0; y < h; y++)
                for (int x = 0; x < s.Width; x++)
                {
                    int i = y * s.Width + x, o = y * w + x0 + x;
                    var v = toSrgb * new Vec3(gain * s.R[i], gain * s.G[i], gain * s.B[i]);
                    canvas.R[o] = (float)v.X; canvas.G[o] = (float)v.Y; canvas.B[o] = (float)v.Z;
                }
            x0 += s.Width + 8;
            s.Dispose();
        }
        Core.Export.AtomicFile.Write(path, tmp => Core.Export.JpegPngWriter.WritePng(tmp, canvas, new Core.Export.Quantizer(TransferFunction.Srgb), 8, null));
    }

    private static RgbImage Resize(RgbImage src, int w, int h)
    {
        var dst = new RgbImage(w, h);
        for (int c = 0; c < 3; c++)
        {
            using var s = OpenCvSharp.Mat.FromPixelData(src.Height, src.Width, OpenCvSharp.MatType.CV_32FC1, src.Plane(c));
            using var o = OpenCvSharp.Mat.FromPixelData(h, w, OpenCvSharp.MatType.CV_32FC1, dst.Plane(c));
            OpenCvSharp.Cv2.Resize(s, o, new OpenCvSharp.Size(w, h), 0, 0, OpenCvSharp.InterpolationFlags.Area);
        }
        return dst;
    }
}
