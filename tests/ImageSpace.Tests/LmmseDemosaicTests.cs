using BitMiracle.LibTiff.Classic;
using ImageSpace.Core.Imaging;
using ImageSpace.Core.Synthetic;
using Xunit.Abstractions;

namespace ImageSpace.Tests;

/// <summary>The LMMSE "quality" demosaic (issue 17 item 1) against the full-colour truth it was mosaiced from.</summary>
public class LmmseDemosaicTests(ITestOutputHelper log)
{
    private static DecodeOptions Camera(DemosaicMode mode) => new()
    {
        Demosaic = mode, Output = ColorOutput.Camera, WhiteBalance = WhiteBalanceMode.None, AdjustMaximumThreshold = 0, ApplyOrientation = false,
    };

    private static CfaNormalization Unit(BayerMosaic m) => CfaNormalization.For(m, m.White, [1f, 1f, 1f], clip: true);

    /// <summary>The outer rows and columns (mirrored mosaic) are as good as the interior, and carry no colour cast: the
    /// mean signed error of each channel in the frame is as small as in the interior.</summary>
    [Fact]
    public void LMMSE_border_is_as_good_as_the_interior()
    {
        using var truth = DemosaicTests.Scene(261, 203, seed: 11);
        var mosaic = DemosaicTests.MosaicOf(truth, Mosaicker.Rggb);
        using var img = LmmseDemosaic.Full(mosaic, Unit(mosaic));
        int w = truth.Width, h = truth.Height;
        (double mse, double[] bias) Error(Func<int, int, bool> where)
        {
            double se = 0; long n = 0;
            var bias = new double[3];
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    if (where(x, y))
                    {
                        for (int c = 0; c < 3; c++) { double e = img.Plane(c)[y * w + x] - truth.Plane(c)[y * w + x]; se += e * e; bias[c] += e; }
                        n++;
                    }
            return (se / (3 * n), bias.Select(b => b / n).ToArray());
        }
        bool Frame(int x, int y) => x < 3 || y < 3 || x >= w - 3 || y >= h - 3;
        var frame = Error(Frame);
        var inner = Error((x, y) => !Frame(x, y));
        log.WriteLine($"RMS error: frame {Math.Sqrt(frame.mse):0.0000}, interior {Math.Sqrt(inner.mse):0.0000}; frame bias {string.Join(" ", frame.bias.Select(b => b.ToString("0.00000")))}");
        Assert.True(frame.mse <= 2 * inner.mse, $"frame MSE {frame.mse:0.00000} > 2 × interior {inner.mse:0.00000}");
        Assert.True(inner.mse > 0, "the scene has edges: the interior cannot be exact");
        // A coloured frame would show as a channel bias of the order of the RMS error; allow a tenth of it.
        foreach (var b in frame.bias) Assert.True(Math.Abs(b) < 0.1 * Math.Sqrt(inner.mse) + 1e-4, $"frame bias {b:0.00000}");
    }

    /// <summary>A flat neutral field (different raw levels per channel, balanced by the white-balance gains) comes out
    /// grey at its level everywhere, corners included, also on a frame of 9×8; a field above the clip level comes out
    /// white at 1.</summary>
    [Theory]
    [InlineData(0.3, 203, 157)]
    [InlineData(0.004, 203, 157)]
    [InlineData(1.4, 203, 157)]
    [InlineData(0.3, 9, 8)] // smaller than the tile halo: every neighbour is a mirrored one
    public void A_flat_grey_field_stays_grey(double level, int w, int h)
    {
        float[] gains = [2.1f, 1f, 1.6f];
        var cfa = Mosaicker.Rggb;
        var data = new ushort[w * h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int c = cfa[((y & 1) << 1) | (x & 1)];
                double raw = Math.Min(1, level / gains[c]);
                data[y * w + x] = (ushort)Math.Round(Mosaicker.Black + (Mosaicker.White - Mosaicker.Black) * raw);
            }
        var mosaic = new BayerMosaic(w, h, data, cfa, [Mosaicker.Black, Mosaicker.Black, Mosaicker.Black, Mosaicker.Black], Mosaicker.White);
        var norm = CfaNormalization.For(mosaic, mosaic.White, gains, clip: true);
        using var img = LmmseDemosaic.Full(mosaic, norm);
        // What each channel's own samples read after 14-bit rounding and the gains: the grey the demosaic must keep
        // (within float rounding of the gamma encoding it works in).
        var expected = new double[3];
        for (int c = 0; c < 3; c++)
        {
            double raw = Math.Round(Mosaicker.Black + (Mosaicker.White - Mosaicker.Black) * Math.Min(1, level / gains[c]));
            expected[c] = Math.Min(1, (raw - Mosaicker.Black) / (Mosaicker.White - Mosaicker.Black) * gains[c]);
            Assert.True(Math.Abs(expected[c] - Math.Min(1, level)) < 2.1 / (Mosaicker.White - Mosaicker.Black)); // the field is grey
        }
        double worst = 0;
        for (int c = 0; c < 3; c++)
        {
            var plane = img.Plane(c);
            for (int i = 0; i < img.PixelCount; i++) worst = Math.Max(worst, Math.Abs(plane[i] - expected[c]) / Math.Max(expected[c], 0.01));
        }
        log.WriteLine($"level {level}: worst relative deviation from the channel's own level {worst:0.0e0}");
        Assert.True(worst < 1e-5, $"a pixel moved {worst:0.0e0} (relative) from its channel's level");
    }

    /// <summary>The colour matrix applied as tiles are stored gives bit for bit what the separate matrix pass gives,
    /// on a size that is no multiple of the tile or the vector width.</summary>
    [Fact]
    public void Lmmse_with_the_colour_matrix_fused_equals_the_separate_matrix_pass()
    {
        using var truth = DemosaicTests.Scene(437, 251, seed: 5);
        var mosaic = DemosaicTests.MosaicOf(truth, Mosaicker.Rggb);
        var m = new Core.Color.Matrix3(1.62, -0.45, -0.17, -0.21, 1.38, -0.17, 0.03, -0.52, 1.49);
        using var separate = LmmseDemosaic.Full(mosaic, Unit(mosaic));
        MatrixOperator.Apply(separate, m);
        using var fused = LmmseDemosaic.Full(mosaic, Unit(mosaic), toOutput: m);
        for (int c = 0; c < 3; c++)
            Assert.True(separate.Plane(c).AsSpan(0, separate.PixelCount).SequenceEqual(fused.Plane(c).AsSpan(0, fused.PixelCount)), $"plane {c} differs");
    }

    /// <summary>A real camera file (Blackmagic Pocket 4K DNG, with its noise and unbalanced raw channels): every
    /// value finite, and each channel's mean and its large-scale picture the same as RCD's (both reconstruct one
    /// scene; they may differ only in fine detail).</summary>
    [SkippableFact]
    public void A_real_camera_file_decodes_like_RCD_at_large_scale()
    {
        string dng = TestData.File("raw/imageio_Blackmagic_PocketCinema4K.dng");
        using var rcd = RawDecoder.Decode(dng, Camera(DemosaicMode.Rcd));
        using var lmmse = RawDecoder.Decode(dng, Camera(DemosaicMode.Lmmse));
        Assert.Equal((rcd.Image.Width, rcd.Image.Height), (lmmse.Image.Width, lmmse.Image.Height));
        int w = rcd.Image.Width, h = rcd.Image.Height, cell = 16;
        for (int c = 0; c < 3; c++)
        {
            float[] a = rcd.Image.Plane(c), b = lmmse.Image.Plane(c);
            int notFinite = 0;
            for (int i = 0; i < w * h; i++) if (!float.IsFinite(b[i])) notFinite++;
            Assert.Equal(0, notFinite);
            double sa = 0, sb = 0, cellDiff = 0, level = 0;
            for (int cy = 0; cy + cell <= h; cy += cell)
                for (int cx = 0; cx + cell <= w; cx += cell)
                {
                    double ma = 0, mb = 0;
                    for (int y = cy; y < cy + cell; y++)
                        for (int x = cx; x < cx + cell; x++) { ma += a[y * w + x]; mb += b[y * w + x]; }
                    sa += ma; sb += mb; cellDiff += Math.Abs(ma - mb); level += Math.Abs(ma);
                }
            log.WriteLine($"channel {c}: mean RCD {sa / (w * h):0.00000}, LMMSE {sb / (w * h):0.00000}; mean |difference| of {cell}-pixel cells {cellDiff / level:P3} of the level");
            Assert.True(Math.Abs(sb - sa) <= 0.002 * Math.Abs(sa), $"channel {c}: mean {sb / (w * h):0.00000} against RCD's {sa / (w * h):0.00000}");
            Assert.True(cellDiff <= 0.01 * level, $"channel {c}: {cell}-pixel cells differ by {cellDiff / level:P3} of the level");
        }
    }

    /// <summary>LMMSE is a Bayer method: an X-Trans file decoded with it gets the sensor's full method, exactly what
    /// <see cref="DemosaicMode.Full"/> gives.</summary>
    [Fact]
    public void XTrans_with_lmmse_gets_the_full_XTrans_demosaic()
    {
        using var dir = new TempDir();
        using var truth = DemosaicTests.Scene(192, 132, seed: 4);
        string dng = dir["xtrans.dng"];
        DngWriter.Write(dng, Mosaicker.Mosaic(truth, noise: 0, seed: 1, Mosaicker.XTrans), truth.Width, truth.Height, new DngInfo { CfaPattern = Mosaicker.XTrans });
        using var full = RawDecoder.Decode(dng, Camera(DemosaicMode.Full));
        using var lmmse = RawDecoder.Decode(dng, Camera(DemosaicMode.Lmmse));
        Assert.Equal("xtrans", lmmse.Metadata.Payload);
        Assert.Equal((truth.Width, truth.Height), (lmmse.Image.Width, lmmse.Image.Height));
        for (int c = 0; c < 3; c++)
            Assert.True(full.Image.Plane(c).AsSpan(0, full.Image.PixelCount).SequenceEqual(lmmse.Image.Plane(c).AsSpan(0, lmmse.Image.PixelCount)), $"plane {c} differs");
        var s = DemosaicScore.Compare(truth, lmmse.Image, border: 6);
        log.WriteLine($"X-Trans decoded with lmmse: {s.PsnrDb:0.00} dB");
        Assert.True(s.PsnrDb > 25, $"{s.PsnrDb:0.00} dB: not a demosaiced image of the scene");
    }

    /// <summary>`imagespace process --demosaic lmmse` (and its second name `quality`) writes the full-size frame with
    /// the LMMSE decode's values, which are not RCD's.</summary>
    [Theory]
    [InlineData("lmmse")]
    [InlineData("quality")]
    public void Cli_demosaic_lmmse_writes_the_full_size_LMMSE_decode(string name)
    {
        using var dir = new TempDir();
        using var truth = DemosaicTests.Scene(322, 214, seed: 9); // no chart: nothing to calibrate from
        string dng = dir["a.dng"];
        DngWriter.Write(dng, Mosaicker.Mosaic(truth, noise: 0, seed: 1), truth.Width, truth.Height, new DngInfo());
        var r = Cli.Run("process", dng, "-o", dir["out"], "--demosaic", name, "--colorspace", "linear-rec2020", "--no-metadata", "--naming", "[o][e]");
        Assert.True(r.ExitCode == 0, r.Stderr);
        string tif = Assert.Single(Directory.GetFiles(dir["out"], "*.tif*"));

        using var lmmse = RawDecoder.Decode(dng, new DecodeOptions { Demosaic = DemosaicMode.Lmmse });
        using var rcd = RawDecoder.Decode(dng, new DecodeOptions { Demosaic = DemosaicMode.Rcd });
        int w = truth.Width, h = truth.Height;
        Assert.Equal(w, lmmse.Image.Width);
        Assert.Equal(h, lmmse.Image.Height);
        using var t = Tiff.Open(tif, "r");
        Assert.Equal(w, t.GetField(TiffTag.IMAGEWIDTH)[0].ToInt());
        Assert.Equal(h, t.GetField(TiffTag.IMAGELENGTH)[0].ToInt());
        Assert.Equal(16, t.GetField(TiffTag.BITSPERSAMPLE)[0].ToInt());
        var row = new byte[w * 6];
        int matches = 0, differsFromRcd = 0, samples = 0, worst = 0;
        foreach (int y in new[] { 0, 1, h / 2, h - 1 })
        {
            t.ReadScanline(row, y);
            for (int x = 0; x < w; x++)
            {
                int i = y * w + x;
                ushort Q(float v) => (ushort)(Math.Clamp(v, 0f, 1f) * 65535f + 0.5f);
                ushort written = BitConverter.ToUInt16(row, 6 * x + 2);
                samples++;
                if (written == Q(lmmse.Image.G[i])) matches++;
                worst = Math.Max(worst, Math.Abs(written - Q(lmmse.Image.G[i])));
                if (Q(lmmse.Image.R[i]) != Q(rcd.Image.R[i]) || Q(lmmse.Image.G[i]) != Q(rcd.Image.G[i])) differsFromRcd++;
            }
        }
        log.WriteLine($"{matches}/{samples} green samples as decoded by LMMSE (worst {worst} codes off); {differsFromRcd} pixels differ from RCD");
        // The writer's quantiser may round a sample lying on a code boundary the other way (float order of operations).
        Assert.True(worst <= 1, $"a written sample is {worst} codes from the LMMSE decode");
        Assert.True(matches >= samples * 99 / 100, $"only {matches} of {samples} samples are the LMMSE decode's");
        Assert.True(differsFromRcd > samples / 4, $"only {differsFromRcd} of {samples} pixels differ from RCD's decode");
    }
}
