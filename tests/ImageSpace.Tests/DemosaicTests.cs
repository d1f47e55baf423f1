using ImageSpace.Core.Imaging;
using ImageSpace.Core.Synthetic;
using Xunit.Abstractions;

namespace ImageSpace.Tests;

/// <summary>Full-resolution demosaics against the full-colour truth they were mosaiced from.</summary>
public class DemosaicTests(ITestOutputHelper log)
{
    /// <summary>A dead-leaves scene (edges and texture at every scale) in 0.02..0.9, rendered at 4× and area-averaged
    /// so its edges are those a lens and a pixel's area make.</summary>
    internal static RgbImage Scene(int w = 512, int h = 384, int seed = 7)
    {
        using var sharp = DeadLeaves.Render(4 * w, 4 * h, seed, minRadius: 4, maxRadius: 400);
        return AreaDownscale.By(sharp, 4);
    }

    private static DecodeOptions Camera(DemosaicMode mode) => new()
    {
        Demosaic = mode, Output = ColorOutput.Camera, WhiteBalance = WhiteBalanceMode.None, AdjustMaximumThreshold = 0, ApplyOrientation = false,
    };

    /// <summary>A rendered chart scene (spectral renderer, Luther camera) seen at an angle, 4× supersampled: sharp
    /// coloured edges at every orientation, where PPG's zipper and false colour show.</summary>
    internal static RgbImage ChartRender(int w = 480, int h = 360)
    {
        var chart = ChartScene.Render(new SceneParameters { Width = 4 * w, Height = 4 * h, PatchPitch = 4 * w / 16.0, RotationDeg = 12, TiltDeg = 20, Noise = 0, Camera = "luther" });
        using (chart.CameraRgb) return AreaDownscale.By(chart.CameraRgb, 4);
    }

    /// <summary>The default (RCD) and the "quality" choice (LMMSE) against PPG, through the whole decode.</summary>
    [Theory]
    [InlineData(DemosaicMode.Full, "chart")]
    [InlineData(DemosaicMode.Lmmse, "chart")]
    [InlineData(DemosaicMode.Lmmse, "leaves")]
    public void A_full_resolution_demosaic_beats_PPG_by_1_5_dB_on_a_rendered_scene(DemosaicMode mode, string sceneName)
    {
        using var dir = new TempDir();
        using var truth = sceneName == "chart" ? ChartRender() : Scene(480, 360, seed: 3);
        string dng = dir["scene.dng"];
        DngWriter.Write(dng, Mosaicker.Mosaic(truth, noise: 0, seed: 1), truth.Width, truth.Height, new DngInfo());
        using var ppg = RawDecoder.Decode(dng, Camera(DemosaicMode.Ppg));
        using var tested = RawDecoder.Decode(dng, Camera(mode));
        var p = DemosaicScore.Compare(truth, ppg.Image);
        var d = DemosaicScore.Compare(truth, tested.Image);
        log.WriteLine($"{sceneName}: PPG {p.PsnrDb:0.00} dB, {p.ArtefactShare:P2} artefacts; {mode} {d.PsnrDb:0.00} dB, {d.ArtefactShare:P2}");
        Assert.True(d.PsnrDb >= p.PsnrDb + 1.5, $"{mode} {d.PsnrDb:0.00} dB is not 1.5 dB above PPG's {p.PsnrDb:0.00} dB");
        Assert.True(d.ArtefactShare <= p.ArtefactShare, $"{mode} has more artefacts ({d.ArtefactShare:P2}) than PPG ({p.ArtefactShare:P2})");
    }

    /// <summary>Every Bayer phase gives the same quality (a wrong phase anywhere would cost many dB).</summary>
    [Theory]
    [InlineData(DemosaicMode.Rcd, 0, 1, 1, 2)]
    [InlineData(DemosaicMode.Rcd, 2, 1, 1, 0)]
    [InlineData(DemosaicMode.Rcd, 1, 0, 2, 1)]
    [InlineData(DemosaicMode.Rcd, 1, 2, 0, 1)]
    [InlineData(DemosaicMode.Lmmse, 0, 1, 1, 2)]
    [InlineData(DemosaicMode.Lmmse, 2, 1, 1, 0)]
    [InlineData(DemosaicMode.Lmmse, 1, 0, 2, 1)]
    [InlineData(DemosaicMode.Lmmse, 1, 2, 0, 1)]
    public void Every_Bayer_phase_is_demosaiced_alike(DemosaicMode mode, int c0, int c1, int c2, int c3)
    {
        using var truth = ChartRender(320, 240);
        var mosaic = MosaicOf(truth, [c0, c1, c2, c3]);
        using var img = mode == DemosaicMode.Lmmse ? LmmseDemosaic.Full(mosaic, Unit(mosaic)) : RcdDemosaic.Full(mosaic, Unit(mosaic));
        using var ppg = BayerDemosaic.Full(mosaic, Unit(mosaic));
        var s = DemosaicScore.Compare(truth, img);
        var p = DemosaicScore.Compare(truth, ppg);
        log.WriteLine($"[{c0}{c1}{c2}{c3}] {mode} {s.PsnrDb:0.00} dB, {s.ArtefactShare:P2}; PPG {p.PsnrDb:0.00} dB");
        // A phase mix-up anywhere costs far more than the lead over PPG.
        Assert.True(s.PsnrDb > p.PsnrDb + 1, $"{mode} {s.PsnrDb:0.00} dB, PPG {p.PsnrDb:0.00} dB");
    }

    /// <summary>The edge rows and columns are demosaiced like the rest (mirrored mosaic), not left as a frame of
    /// averaged colours.</summary>
    [Fact]
    public void RCD_border_is_as_good_as_the_interior()
    {
        using var truth = Scene(256, 200, seed: 11);
        var mosaic = MosaicOf(truth, Mosaicker.Rggb);
        using var img = RcdDemosaic.Full(mosaic, Unit(mosaic));
        double Mse(Func<int, int, bool> where)
        {
            double se = 0; long n = 0;
            for (int y = 0; y < truth.Height; y++)
                for (int x = 0; x < truth.Width; x++)
                    if (where(x, y))
                        for (int c = 0; c < 3; c++) { double e = img.Plane(c)[y * truth.Width + x] - truth.Plane(c)[y * truth.Width + x]; se += e * e; n++; }
            return se / n;
        }
        bool Frame(int x, int y) => x < 3 || y < 3 || x >= truth.Width - 3 || y >= truth.Height - 3;
        double frame = Mse(Frame), inner = Mse((x, y) => !Frame(x, y));
        log.WriteLine($"RMS error: frame {Math.Sqrt(frame):0.0000}, interior {Math.Sqrt(inner):0.0000}");
        Assert.True(frame <= 2 * inner, $"frame MSE {frame:0.00000} > 2 × interior {inner:0.00000}");
    }

    /// <summary>The colour matrix RCD applies as it stores its tiles (issue 17) gives bit for bit what the separate
    /// matrix pass gives after it, on a size that is no multiple of the tile or the vector width.</summary>
    [Fact]
    public void Rcd_with_the_colour_matrix_fused_equals_the_separate_matrix_pass()
    {
        using var truth = Scene(437, 251, seed: 5);
        var mosaic = MosaicOf(truth, Mosaicker.Rggb);
        var m = new Core.Color.Matrix3(1.62, -0.45, -0.17, -0.21, 1.38, -0.17, 0.03, -0.52, 1.49);
        using var separate = RcdDemosaic.Full(mosaic, Unit(mosaic));
        MatrixOperator.Apply(separate, m);
        using var fused = RcdDemosaic.Full(mosaic, Unit(mosaic), toOutput: m);
        for (int c = 0; c < 3; c++)
            Assert.True(separate.Plane(c).AsSpan(0, separate.PixelCount).SequenceEqual(fused.Plane(c).AsSpan(0, fused.PixelCount)), $"plane {c} differs");
        Assert.NotEqual(separate.R[1000], truth.R[1000]); // the matrix did change the values
    }

    /// <summary>A 2 % gain difference between the two green sites on a smooth scene: without equilibration the
    /// green plane carries a fine maze; with it, hardly anything.</summary>
    [Fact]
    public void Green_equilibration_removes_the_maze_of_mismatched_greens()
    {
        int w = 256, h = 192;
        using var truth = new RgbImage(w, h);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int i = y * w + x;
                truth.R[i] = 0.2f + 0.3f * x / w; truth.G[i] = 0.3f + 0.2f * y / h; truth.B[i] = 0.25f;
            }
        var mosaic = MosaicOf(truth, Mosaicker.Rggb);
        for (int y = 1; y < h; y += 2) // the greens on the blue rows read 2 % high
            for (int x = 0; x < w; x += 2)
                mosaic.Data[y * w + x] = (ushort)Math.Round(Mosaicker.Black + (mosaic.Data[y * w + x] - Mosaicker.Black) * 1.02);
        double Maze(RgbImage img)
        {
            double sum = 0; long n = 0;
            for (int y = 8; y < h - 8; y++)
                for (int x = 8; x < w - 8; x++)
                {
                    int i = y * w + x;
                    double around = (img.G[i - 1] + img.G[i + 1] + img.G[i - w] + img.G[i + w]) / 4;
                    sum += Math.Abs(img.G[i] - around); n++;
                }
            return sum / n;
        }
        using var plain = RcdDemosaic.Full(mosaic, Unit(mosaic), equilibrateGreens: false);
        using var equal = RcdDemosaic.Full(mosaic, Unit(mosaic), equilibrateGreens: true);
        double before = Maze(plain), after = Maze(equal);
        log.WriteLine($"mean |G − neighbours| without equilibration {before:0.00000}, with {after:0.00000}");
        Assert.True(before > 1e-3, $"the mismatch should show without equilibration ({before:0.00000})");
        Assert.True(after < before / 4, $"equilibration left {after:0.00000} of {before:0.00000}");
    }

    /// <summary>Mosaic of a 0..1 image in 14-bit units with the given 2×2 pattern, no noise.</summary>
    internal static BayerMosaic MosaicOf(RgbImage img, int[] cfa)
    {
        int w = img.Width, h = img.Height;
        var data = new ushort[w * h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int c = cfa[((y & 1) << 1) | (x & 1)];
                data[y * w + x] = (ushort)Math.Round(Mosaicker.Black + (Mosaicker.White - Mosaicker.Black) * Math.Clamp(img.Plane(c)[y * w + x], 0f, 1f));
            }
        return new BayerMosaic(w, h, data, cfa, [Mosaicker.Black, Mosaicker.Black, Mosaicker.Black, Mosaicker.Black], Mosaicker.White);
    }

    private static CfaNormalization Unit(BayerMosaic m) => CfaNormalization.For(m, m.White, [1f, 1f, 1f], clip: true);
}

/// <summary>X-Trans: synthetic 6×6-CFA DNGs from our writer, decoded by our demosaic and by LibRaw's own X-Trans
/// processing (Markesteijn, 3 passes at its default quality), both scored against the rendered truth.</summary>
public class XTransTests(ITestOutputHelper log)
{
    private static DecodeOptions Camera => new()
    {
        Output = ColorOutput.Camera, WhiteBalance = WhiteBalanceMode.None, AdjustMaximumThreshold = 0, ApplyOrientation = false,
    };

    /// <remarks>At least 512 px each way: LibRaw's X-Trans interpolation refuses smaller frames (its tile size).
    /// "soft"/"softer": the saturated squares seen through a lens (one or two 3×3 binomial passes), whose red and blue
    /// ramps into the dark ground are where Markesteijn's directional passes used to beat our colour differences.</remarks>
    [Theory]
    [InlineData("chart")]
    [InlineData("leaves")]
    [InlineData("saturated")]
    [InlineData("soft")]
    [InlineData("softer")]
    public void Synthetic_XTrans_DNG_decodes_at_least_as_well_as_LibRaw(string sceneName)
    {
        using var dir = new TempDir();
        using var truth = sceneName switch
        {
            "chart" => DemosaicTests.ChartRender(600, 540),
            "leaves" => DemosaicTests.Scene(600, 540, seed: 5),
            "soft" => Blurred(SaturatedPatches(600, 540), passes: 1),
            "softer" => Blurred(SaturatedPatches(600, 540), passes: 2),
            _ => SaturatedPatches(600, 540),
        };
        string dng = dir["xtrans.dng"];
        DngWriter.Write(dng, Mosaicker.Mosaic(truth, noise: 0, seed: 1, Mosaicker.XTrans), truth.Width, truth.Height,
                        new DngInfo { CfaPattern = Mosaicker.XTrans });

        using var ours = RawDecoder.Decode(dng, Camera);
        // LibRaw read our DNG as X-Trans with our pattern: the writer's 6×6 CFA tags are standard.
        Assert.Equal("xtrans", ours.Metadata.Payload);
        Assert.Equal(Mosaicker.XTrans, ours.Metadata.XTrans);

        var theirs = LibRawHelper.Run(dng, "rgb", "--quality", "3", "--no-adjust-maximum");
        using var libraw = new RgbImage(theirs.Metadata.OutWidth, theirs.Metadata.OutHeight);
        for (int i = 0; i < libraw.PixelCount; i++)
        {
            libraw.R[i] = theirs.Payload[3 * i] / 65535f; libraw.G[i] = theirs.Payload[3 * i + 1] / 65535f; libraw.B[i] = theirs.Payload[3 * i + 2] / 65535f;
        }
        LargeArrayPool<ushort>.Return(theirs.Payload);

        var o = DemosaicScore.Compare(truth, ours.Image, border: 6);
        var l = DemosaicScore.Compare(truth, libraw, border: 6);
        log.WriteLine($"{sceneName}: ours {o.PsnrDb:0.00} dB, {o.ArtefactShare:P2}; LibRaw X-Trans {l.PsnrDb:0.00} dB, {l.ArtefactShare:P2}");
        Assert.True(o.PsnrDb >= l.PsnrDb, $"ours {o.PsnrDb:0.00} dB < LibRaw's {l.PsnrDb:0.00} dB");
        Assert.True(o.ArtefactShare <= l.ArtefactShare, $"ours {o.ArtefactShare:P2} artefacts > LibRaw's {l.ArtefactShare:P2}");
    }

    /// <summary>The interior's eight-pixel groups (AVX2 gathers) do the per-pixel steps' arithmetic in the same order:
    /// every output float is bit for bit the per-pixel code's, for two phases of the pattern, white balance and a clip,
    /// on a size that leaves a ragged right end (the groups cover 48 columns at a time).</summary>
    [SkippableTheory]
    [InlineData(0, 0)]
    [InlineData(1, 4)]
    public void XTrans_groups_equal_the_per_pixel_steps_bit_for_bit(int shiftX, int shiftY)
    {
        Skip.IfNot(System.Runtime.Intrinsics.X86.Avx2.IsSupported, "no AVX2 here: the per-pixel steps are the only path");
        using var truth = DemosaicTests.Scene(331, 97, seed: 3);
        int w = truth.Width, h = truth.Height;
        var pattern = new int[36];
        for (int p = 0; p < 36; p++) pattern[p] = Mosaicker.XTrans[(p / 6 + shiftY) % 6 * 6 + (p % 6 + shiftX) % 6];
        var black = Enumerable.Range(0, 36).Select(p => 500f + p % 5).ToArray();
        var data = new ushort[w * h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                data[y * w + x] = (ushort)Math.Round(512 + 15000 * Math.Clamp(truth.Plane(pattern[y % 6 * 6 + x % 6])[y * w + x], 0f, 1.05f));
        var mosaic = new XTransMosaic(w, h, data, pattern, black, 16383);
        using var fast = XTransDemosaic.Full(mosaic, 16383, [1.9f, 1f, 1.4f], 1f, groups: true);
        using var slow = XTransDemosaic.Full(mosaic, 16383, [1.9f, 1f, 1.4f], 1f, groups: false);
        for (int c = 0; c < 3; c++)
        {
            var a = fast.Plane(c); var b = slow.Plane(c);
            int differ = Enumerable.Range(0, w * h).Count(i => BitConverter.SingleToInt32Bits(a[i]) != BitConverter.SingleToInt32Bits(b[i]));
            Assert.True(differ == 0, $"channel {c}: {differ} of {w * h} values differ from the per-pixel steps");
        }
        // Not trivially equal: the scene has detail, and the three planes differ.
        Assert.True(Enumerable.Range(0, w * h).Count(i => fast.R[i] != fast.G[i]) > w * h / 2);
    }

    /// <summary>Edge pixels are interpolated by the same rules from the samples that exist (window, lines and
    /// refinement all check the image bounds): the outer 6 pixels (the reach of the colour-difference lines) are no
    /// worse than the interior, i.e. no coloured frame, on a size that is no multiple of the 6×6 tile.</summary>
    [Fact]
    public void XTrans_border_is_as_good_as_the_interior()
    {
        using var truth = DemosaicTests.Scene(257, 203, seed: 11);
        int w = truth.Width, h = truth.Height;
        var data = new ushort[w * h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int c = Mosaicker.XTrans[y % 6 * 6 + x % 6];
                data[y * w + x] = (ushort)Math.Round(Mosaicker.Black + (Mosaicker.White - Mosaicker.Black) * Math.Clamp(truth.Plane(c)[y * w + x], 0f, 1f));
            }
        var mosaic = new XTransMosaic(w, h, data, Mosaicker.XTrans, Enumerable.Repeat((float)Mosaicker.Black, 36).ToArray(), Mosaicker.White);
        using var img = XTransDemosaic.Full(mosaic, Mosaicker.White, [1f, 1f, 1f], 1f);
        double Mse(Func<int, int, bool> where)
        {
            double se = 0; long n = 0;
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    if (where(x, y))
                        for (int c = 0; c < 3; c++) { double e = img.Plane(c)[y * w + x] - truth.Plane(c)[y * w + x]; se += e * e; n++; }
            return se / n;
        }
        bool Frame(int x, int y) => x < 6 || y < 6 || x >= w - 6 || y >= h - 6;
        double frame = Mse(Frame), inner = Mse((x, y) => !Frame(x, y));
        log.WriteLine($"RMS error: frame {Math.Sqrt(frame):0.0000}, interior {Math.Sqrt(inner):0.0000}");
        Assert.True(frame <= 2 * inner, $"frame MSE {frame:0.00000} > 2 × interior {inner:0.00000}");
    }

    /// <summary>A lens's softening, in place: passes of the 3×3 binomial kernel ([1 2 1]/4 each way, edge samples repeated).</summary>
    private static RgbImage Blurred(RgbImage src, int passes)
    {
        int w = src.Width, h = src.Height;
        for (int n = 0; n < passes; n++)
            for (int c = 0; c < 3; c++)
            {
                var p = src.Plane(c);
                var t = new float[w * h];
                for (int y = 0; y < h; y++)
                    for (int x = 0; x < w; x++)
                        t[y * w + x] = (p[y * w + Math.Max(x - 1, 0)] + 2 * p[y * w + x] + p[y * w + Math.Min(x + 1, w - 1)]) / 4;
                for (int y = 0; y < h; y++)
                    for (int x = 0; x < w; x++)
                        p[y * w + x] = (t[Math.Max(y - 1, 0) * w + x] + 2 * t[y * w + x] + t[Math.Min(y + 1, h - 1) * w + x]) / 4;
            }
        return src;
    }

    /// <summary>Saturated red, orange, magenta and blue squares, rotated, on a dark grey ground (a chart's red patches
    /// in its black frame), 4× supersampled: their edges show in one colour only and green is nearly flat across them,
    /// so an interpolation of red or blue guided by green alone smears them into the dark ground, where the sRGB
    /// encoding magnifies every error (the kind of edge where the bench's chart photo showed our artefacts).</summary>
    private static RgbImage SaturatedPatches(int w, int h)
    {
        const int s = 4;
        (float r, float g, float b)[] colours = [(0.55f, 0.03f, 0.02f), (0.6f, 0.12f, 0.01f), (0.45f, 0.03f, 0.3f), (0.02f, 0.05f, 0.5f)];
        using var sharp = new RgbImage(s * w, s * h);
        double angle = 17 * Math.PI / 180, cos = Math.Cos(angle), sin = Math.Sin(angle), pitch = s * 90.0, half = s * 36.0;
        for (int y = 0; y < sharp.Height; y++)
            for (int x = 0; x < sharp.Width; x++)
            {
                // rotated grid coordinates; a square of side 2·half in each pitch cell
                double u = (x * cos + y * sin) / pitch, v = (-x * sin + y * cos) / pitch;
                double fu = (u - Math.Floor(u) - 0.5) * pitch, fv = (v - Math.Floor(v) - 0.5) * pitch;
                int i = y * sharp.Width + x;
                var (r, g, b) = Math.Abs(fu) < half && Math.Abs(fv) < half
                    ? colours[(int)(((long)Math.Floor(u) * 3 + (long)Math.Floor(v) * 5) % 4 + 4) % 4]
                    : (0.035f, 0.035f, 0.035f);
                sharp.R[i] = r; sharp.G[i] = g; sharp.B[i] = b;
            }
        return AreaDownscale.By(sharp, s);
    }
}
