using ImageSpace.Core.Color;
using ImageSpace.Core.Imaging;

namespace ImageSpace.Tests;

public class ExportTests
{
    /// <summary>A working-space image with smooth gradients, dark values, values above 1 and below 0.</summary>
    private static RgbImage TestImage(int w = 160, int h = 48)
    {
        var img = new RgbImage(w, h);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int i = y * w + x;
                float t = x / (float)(w - 1);
                img.R[i] = t * t * 1.2f;               // reaches 1.2 (clipped in integer formats, kept in float)
                img.G[i] = t * (y / (float)(h - 1));   // 0..1, dense near black
                img.B[i] = (y % 7) * 0.16f - 0.05f;    // includes -0.05
            }
        return img;
    }

    private static string Write(TempDir dir, string name, ExportOptions o, RgbImage img)
    {
        string path = dir[name];
        OutputEncoder.Write(img, "synthetic", path, o with { CopyMetadata = false });
        return path;
    }

    /// <summary>What our encoder computed for each sample (output space, transfer, clip, round).</summary>
    private static ushort[] Expected(RgbImage working, OutputColorSpace cs, int bits)
    {
        var img = working.Clone();
        MatrixOperator.Apply(img, cs.FromWorking);
        var q = new Quantizer(cs.Transfer);
        var e = new ushort[img.PixelCount * 3];
        for (int i = 0; i < img.PixelCount; i++)
            for (int c = 0; c < 3; c++)
                e[3 * i + c] = bits == 8 ? q.To8(img.Plane(c)[i]) : q.To16(img.Plane(c)[i]);
        return e;
    }

    [SkippableTheory]
    [InlineData("png", 8, "srgb")]
    [InlineData("png", 16, "srgb")]
    [InlineData("png", 16, "linear-rec2020")]
    [InlineData("tiff", 8, "adobe-rgb")]
    [InlineData("tiff", 16, "prophoto")]
    [InlineData("tiff", 16, "display-p3")]
    public void Integer_formats_read_back_bit_exact_by_ImageMagick(string format, int bits, string space)
    {
        using var dir = new TempDir();
        var src = TestImage();
        var expected = Expected(src, OutputColorSpace.ByName(space), bits);
        foreach (var compression in format == "tiff" ? new[] { "none", "lzw", "deflate" } : new[] { "auto" })
        {
            string f = Write(dir, $"x_{compression}.{format}", new ExportOptions { Format = format, BitDepth = bits, ColorSpace = space, Compression = compression }, src.Clone());
            var read = ExternalTools.MagickSamples(f, bits);
            Assert.Equal(expected, read);
        }
    }

    [Fact]
    public void Quantizer_matches_the_exact_transfer_functions()
    {
        foreach (var cs in OutputColorSpace.All)
        {
            var q = new Quantizer(cs.Transfer);
            int mismatches = 0;
            for (int i = 0; i <= 200000; i++)
            {
                float v = i / 200000f;
                int exact = (int)Math.Round(Math.Clamp(cs.Transfer.Encode(v), 0, 1) * 65535, MidpointRounding.AwayFromZero);
                int got = q.To16(v);
                Assert.True(Math.Abs(exact - got) <= 1, $"{cs.Id}: {v} → {got}, exact {exact}");
                if (exact != got) mismatches++;
            }
            Assert.True(mismatches < 10, $"{cs.Id}: {mismatches} of 200001 samples off by one");
        }
    }

    /// <summary>The row path (8 samples at a time from a table, issue 17) gives exactly the per-sample rule's codes:
    /// random values over the whole range on a log scale, the values right at each code's rounding boundary and one
    /// float step either side (where the row path must hand over to the per-sample rule), and NaN, ±∞, 0, negatives,
    /// values below 2^-24 and above 1.</summary>
    [Fact]
    public void Row_quantisation_is_bit_identical_to_the_per_sample_rule()
    {
        var rng = new Random(17);
        var values = new List<float> { float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0f, -0f, -1e-30f, -0.5f, 1e-30f, 1e-8f, 5.96e-8f, 1f, 1.0000001f, 0.99999994f, 3f };
        for (int i = 0; i < 60000; i++) values.Add(MathF.Pow(2, -26 + 27 * (float)rng.NextDouble()));
        foreach (var cs in OutputColorSpace.All)
        {
            for (int c = 0; c < 65535; c += 7)
            {
                float edge = (float)cs.Transfer.Decode((c + 0.5) / 65535);
                values.AddRange([edge, MathF.BitDecrement(edge), MathF.BitIncrement(edge)]);
            }
            for (int c = 0; c < 255; c++) values.Add((float)cs.Transfer.Decode((c + 0.5) / 255));
        }
        int w = 4099, h = (values.Count + w - 1) / w;
        var img = new RgbImage(w, h);
        for (int i = 0; i < w * h; i++)
        {
            img.R[i] = values[i % values.Count];
            img.G[i] = values[(i + 1) % values.Count];
            img.B[i] = values[(i * 7 + 3) % values.Count];
        }
        foreach (var cs in OutputColorSpace.All)
        {
            var q = new Quantizer(cs.Transfer);
            var row16 = new ushort[3 * w];
            var row8 = new byte[3 * w];
            for (int y = 0; y < h; y++)
            {
                q.Row16(img, y, row16);
                q.Row8(img, y, row8);
                for (int x = 0; x < w; x++)
                    for (int k = 0; k < 3; k++)
                    {
                        float v = img.Plane(k)[y * w + x];
                        if (row16[3 * x + k] != q.To16(v)) Assert.Fail($"{cs.Id}: 16-bit code of {v:R} is {row16[3 * x + k]}, the per-sample rule gives {q.To16(v)}");
                        if (row8[3 * x + k] != q.To8(v)) Assert.Fail($"{cs.Id}: 8-bit code of {v:R} is {row8[3 * x + k]}, the per-sample rule gives {q.To8(v)}");
                    }
            }
        }
    }

    [Theory]
    [InlineData("srgb", 0.0031308, 0.04045)]
    [InlineData("srgb", 0.18, 0.461356)]
    [InlineData("srgb", 1.0, 1.0)]
    [InlineData("rec2020", 0.018, 0.081)]
    [InlineData("adobe-rgb", 0.5, 0.729658)]
    [InlineData("prophoto", 1.0 / 512, 0.03125)]
    [InlineData("prophoto", 0.5, 0.680395)]
    public void Transfer_functions_have_their_published_values(string space, double linear, double encoded)
    {
        var tf = OutputColorSpace.ByName(space).Transfer;
        Assert.Equal(encoded, tf.Encode(linear), 4);
        Assert.Equal(linear, tf.Decode(encoded), 4);
    }

    [Fact]
    public void Working_white_is_white_in_every_output_space()
    {
        foreach (var cs in OutputColorSpace.All)
        {
            var w = cs.FromWorking * new Vec3(1, 1, 1);
            Assert.Equal(1, w.X, 4); Assert.Equal(1, w.Y, 4); Assert.Equal(1, w.Z, 4);
        }
    }

    [SkippableTheory]
    [InlineData(16)]
    [InlineData(32)]
    public void Exr_is_read_by_OpenEXR_with_values_outside_0_1_kept(int bits)
    {
        using var dir = new TempDir();
        var src = TestImage();
        var linear = src.Clone();
        MatrixOperator.Apply(linear, OutputColorSpace.ByName("acescg").FromWorking);
        foreach (var comp in new[] { "none", "zip" })
        {
            string f = Write(dir, $"x_{comp}.exr", new ExportOptions { Format = "exr", BitDepth = bits, ColorSpace = "acescg", Compression = comp }, src.Clone());
            var (w, h, rgb) = ExternalTools.ExrPixels(f);
            Assert.Equal((src.Width, src.Height), (w, h));
            double maxRel = 0;
            for (int i = 0; i < w * h; i++)
                for (int c = 0; c < 3; c++)
                {
                    float e = linear.Plane(c)[i], got = rgb[3 * i + c];
                    if (bits == 32) Assert.Equal(e, got);
                    else maxRel = Math.Max(maxRel, Math.Abs(got - e) / Math.Max(Math.Abs(e), 6.1e-5));
                }
            if (bits == 16) Assert.True(maxRel <= 1.0 / 1024, $"half error {maxRel}"); // 10-bit mantissa
            Assert.True(rgb.Max() > 1.1f && rgb.Min() < 0, "values above 1 and below 0 must survive");
            var header = System.Text.Encoding.ASCII.GetString(ExternalTools.Run("exrheader", f).stdout);
            Assert.Contains("red   (0.713 0.293)", header);     // ACEScg AP1 primaries
            Assert.Contains("white (0.32168 0.33767)", header);
            Assert.Contains(comp == "zip" ? "compression (type compression): zip" : "compression (type compression): none", header);
        }
    }

    /// <summary>Issue 15: a 32-bit ZIP EXR of a noisy linear image (as every decoded photo is) was no smaller than the
    /// uncompressed one: each chunk fell back to raw storage. The float samples' low mantissa bytes are noise, so the
    /// format's ZIP cannot do much; it must do at least what OpenEXR's own ZIP does with the same pixels (exrmaketiled
    /// re-compresses them), and OpenEXR must read the same values back.</summary>
    [SkippableFact]
    public void Exr_zip_compresses_32_bit_float_samples_as_well_as_OpenEXR()
    {
        Skip.IfNot(ExternalTools.Has("exrmaketiled"), "exrmaketiled not installed (apt openexr)");
        using var dir = new TempDir();
        using var src = Core.Synthetic.DeadLeaves.Render(320, 240, 3);
        Core.Synthetic.DeadLeaves.AddNoise(src, 0.01, 0.01, 5);
        var o = new ExportOptions { Format = "exr", BitDepth = 32, ColorSpace = "linear-rec2020" };
        string none = Write(dir, "none.exr", o with { Compression = "none" }, src.Clone());
        string zip = Write(dir, "zip.exr", o with { Compression = "zip" }, src.Clone());
        var (code, _, err) = ExternalTools.Run("exrmaketiled", "-z", "zip", none, dir["openexr.exr"]);
        Assert.True(code == 0, err);
        long ours = new FileInfo(zip).Length, reference = new FileInfo(dir["openexr.exr"]).Length, raw = new FileInfo(none).Length;
        Assert.True(ours < raw && ours <= reference, $"ours {ours} bytes, OpenEXR's ZIP {reference}, uncompressed {raw}");
        var a = ExternalTools.ExrPixels(none);
        var b = ExternalTools.ExrPixels(zip);
        Assert.Equal(a.rgb, b.rgb);
    }

    [SkippableFact]
    public void Float_tiff_keeps_values_above_one()
    {
        using var dir = new TempDir();
        var src = TestImage();
        var expected = src.Clone();
        MatrixOperator.Apply(expected, OutputColorSpace.ByName("linear-srgb").FromWorking);
        string f = Write(dir, "f.tif", new ExportOptions { Format = "tiff", BitDepth = 32, ColorSpace = "linear-srgb", Compression = "deflate" }, src.Clone());
        var read = ExternalTools.MagickFloats(f);
        for (int i = 0; i < src.PixelCount; i++)
            for (int c = 0; c < 3; c++)
                Assert.Equal(expected.Plane(c)[i], read[3 * i + c], 1e-6f);
        Assert.True(read.Max() > 1.1f);
    }

    [SkippableTheory]
    [InlineData(90, "444", "1x1,1x1,1x1")]
    [InlineData(75, "420", "2x2,1x1,1x1")]
    public void Jpeg_honours_quality_and_subsampling(int quality, string chroma, string sampling)
    {
        Skip.IfNot(ExternalTools.Has(ExternalTools.Identify), "ImageMagick HDRI not installed");
        using var dir = new TempDir();
        // Smooth gradients only: chroma subsampling is meant to lose detail at colour edges, not in smooth areas.
        var src = new RgbImage(256, 64);
        for (int i = 0; i < src.PixelCount; i++)
        {
            float x = (i % 256) / 255f, y = (i / 256) / 63f;
            src.R[i] = x * x; src.G[i] = 0.2f + 0.6f * y; src.B[i] = 0.5f * (1 - x) + 0.3f * y;
        }
        var expected = Expected(src, OutputColorSpace.ByName("srgb"), 8);
        string f = Write(dir, "x.jpg", new ExportOptions { Format = "jpg", Quality = quality, Chroma = chroma }, src.Clone());
        var id = System.Text.Encoding.ASCII.GetString(ExternalTools.Run(ExternalTools.Identify, "-format", "%Q %[jpeg:sampling-factor]", f).stdout);
        Assert.Equal($"{quality} {sampling}", id.Trim());
        var read = ExternalTools.MagickSamples(f, 8);
        double mae = expected.Zip(read, (a, b) => Math.Abs(a - b)).Average();
        Assert.True(mae < (quality >= 90 ? 1.0 : 2.5), $"mean abs error {mae:0.00} codes");
    }

    [SkippableTheory]
    [InlineData("jpg", "srgb")]
    [InlineData("png", "display-p3")]
    [InlineData("tiff", "prophoto")]
    public void Icc_profile_is_embedded_and_describes_the_space(string format, string space)
    {
        using var dir = new TempDir();
        string f = Write(dir, "x." + format, new ExportOptions { Format = format, ColorSpace = space }, TestImage());
        var t = ExternalTools.ExifTags(f, "ProfileDescription", "ColorSpaceData", "ProfileConnectionSpace", "RedMatrixColumn", "MediaWhitePoint");
        var cs = OutputColorSpace.ByName(space);
        Assert.Equal($"Image Space {cs.Description}", t["ProfileDescription"]);
        Assert.Equal("RGB", t["ColorSpaceData"].Trim());
        Assert.Equal("XYZ", t["ProfileConnectionSpace"].Trim());
        var red = t["RedMatrixColumn"].Split(' ').Select(double.Parse).ToArray();
        var m = cs.Space.ToXyzAt(WhitePoints.D50);
        Assert.Equal(m.M00, red[0], 3); Assert.Equal(m.M10, red[1], 3); Assert.Equal(m.M20, red[2], 3);
    }
}
