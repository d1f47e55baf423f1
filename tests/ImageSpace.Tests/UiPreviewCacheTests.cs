using ImageSpace.Core.Film;
using ImageSpace.Core.Imaging;
using ImageSpace.Core.Pipeline;
using ImageSpace.Core.Synthetic;
using ImageSpace.Web;

namespace ImageSpace.Tests;

/// <summary>The UI's fast paths for white balance (a kept unpack) and film exposure/trims (the frame kept inverted at zero exposure and trims)
/// must give the picture a fresh decode gives: preview/export parity. Each case is checked against the pipeline run
/// from the file with the same settings, and against the setting before it (the caches must not return a stale
/// picture).</summary>
public class UiPreviewCacheTests
{
    private static void AssertSame(RgbImage expected, RgbImage actual, string what)
    {
        Assert.Equal((expected.Width, expected.Height), (actual.Width, actual.Height));
        for (int c = 0; c < 3; c++)
        {
            float[] e = expected.Plane(c), a = actual.Plane(c);
            for (int i = 0; i < expected.PixelCount; i++)
                if (Math.Abs(e[i] - a[i]) > 1e-6f * Math.Max(1f, Math.Abs(e[i])))
                    Assert.Fail($"{what}: channel {c} pixel {i}: {a[i]} where a fresh decode gives {e[i]}");
        }
    }

    private static double MeanAbsDifference(RgbImage x, RgbImage y)
    {
        double sum = 0;
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < x.PixelCount; i++) sum += Math.Abs(x.Plane(c)[i] - y.Plane(c)[i]);
        return sum / (3.0 * x.PixelCount);
    }

    private static UiSession Session(TempDir dir)
    {
        var s = new UiSession(new UserSettings { PreviewSide = 500 }) { SettingsPath = dir["ui.json"], ThumbCacheDir = dir["thumbs"] };
        s.Guard.AddRoot(dir["data"]);
        s.Open(dir["data"]);
        return s;
    }

    [Fact]
    public void Unpacked_raw_decodes_like_the_file_for_every_white_balance()
    {
        using var dir = new TempDir();
        string dng = dir["a.dng"];
        SyntheticDng.Write(dng, new SceneParameters { Width = 600, Height = 400, HasChart = false, Seed = 11, Illuminant = "A" });
        var cache = new UnpackedRawCache();
        var half = new DecodeOptions { Demosaic = DemosaicMode.Half };
        var light = new Core.Adjust.WhiteBalanceSetting(Core.Adjust.WhiteBalanceKind.Kelvin, 3200, 15).DecodeOptions(half);
        foreach (var options in new[] { half, light, half with { WhiteBalance = WhiteBalanceMode.None }, half with { Highlights = HighlightMode.Unclipped } })
        {
            using var cached = cache.Decode(dng, options);
            using var fresh = RawDecoder.Decode(dng, options);
            AssertSame(fresh.Image, cached.Image, $"{options.WhiteBalance}/{options.Highlights}");
            Assert.Equal(fresh.Multipliers, cached.Multipliers);
        }
        Assert.Equal(1, cache.Unpacks);
    }

    /// <summary>Largest and mean difference, relative to max(1, |expected|) (values are scene-linear, white near 1).</summary>
    private static (double max, double mean) Difference(RgbImage expected, RgbImage actual)
    {
        Assert.Equal((expected.Width, expected.Height), (actual.Width, actual.Height));
        double max = 0, sum = 0;
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < expected.PixelCount; i++)
            {
                double e = expected.Plane(c)[i], d = Math.Abs(actual.Plane(c)[i] - e) / Math.Max(1, Math.Abs(e));
                (max, sum) = (Math.Max(max, d), sum + d);
            }
        return (max, sum / (3.0 * expected.PixelCount));
    }

    /// <summary>A Kelvin/tint move after the first decode is made from the file's <see cref="WhiteBalancePreview"/>
    /// (unit-balance preview × multipliers, clipped pixels rebuilt from the raw samples), not by decoding again: it
    /// must equal the pipeline run from the file. At +2 EV the scene's bright half is clipped after the multipliers
    /// (and which samples clip changes with the balance), so the clipped-pixel path is checked too. Tolerance 1e-4
    /// relative: the fast path sums the area weights in another order than OpenCV (float rounding, ~1e-7 measured).</summary>
    [Theory]
    [InlineData(0.0)]
    [InlineData(2.0)]
    public async Task Kelvin_and_tint_previews_equal_a_fresh_decode(double exposureEv)
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["data"]);
        string dng = dir["data/a.dng"];
        SyntheticDng.Write(dng, new SceneParameters { Width = 900, Height = 600, HasChart = false, Seed = 12, Illuminant = "A", ExposureEv = exposureEv });
        using var session = Session(dir);
        var previous = (RgbImage?)null;
        double worst = 0, meanSum = 0;
        foreach (string wb in new[] { "asshot", "3200", "5600,25", "5600,-40", "m:2,1,1.6", "none", "9000,10" })
        {
            var recipe = session.Recipe with { Adjust = session.Recipe.Adjust with { WhiteBalance = wb } };
            session.SetRecipe(recipe);
            var preview = await session.BaseAsync(dng);
            using var fresh = new Pipeline(recipe).Prepare(dng, DemosaicMode.Half, maxSide: session.Settings.PreviewSide).Decoded;
            var (max, mean) = Difference(fresh.Image, preview.Decoded.Image);
            Assert.True(max <= 1e-4, $"{wb}: differs from a fresh decode by up to {max:G3} (mean {mean:G3})");
            (worst, meanSum) = (Math.Max(worst, max), meanSum + mean);
            Assert.Equal(fresh.Multipliers, preview.Decoded.Multipliers);
            // A new balance is a new picture (the cache did not hand back the last one).
            if (previous is not null) Assert.True(MeanAbsDifference(previous, preview.Decoded.Image) > 1e-3, $"{wb} looks like the setting before it");
            previous = preview.Decoded.Image;
            if (exposureEv > 0 && wb != "none") // unit multipliers: only saturated sensor samples clip, none here
            {
                // The frame has highlights that clip at this balance: without the clip the preview is another one.
                using var unclipped = new Pipeline(recipe with { Decode = recipe.Decode with { Highlights = HighlightMode.Unclipped } })
                    .Prepare(dng, DemosaicMode.Half, maxSide: session.Settings.PreviewSide).Decoded;
                Assert.True(Difference(unclipped.Image, fresh.Image).mean > 1e-3, $"{wb}: nothing clipped");
            }
        }
        // All moves but the first came from the kept preview (one unpack, no decode of the file again).
        Assert.Equal(6, session.WhiteBalanceMoves);
        Console.WriteLine($"Kelvin/tint fast path at {exposureEv} EV: largest relative difference {worst:G3}, mean {meanSum / 7:G3}");
    }

    [Fact]
    public async Task Film_exposure_and_trims_previews_equal_a_fresh_inversion()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["data"]);
        string neg = dir["data/neg_1.dng"];
        var film = new NegativeFilm();
        NegativeSimulator.Write(neg, new SceneParameters { Width = 900, Height = 600, PatchPitch = 60, Seed = 13 }, film);
        using var session = Session(dir);
        var options = new FilmOptions { Enabled = true, Unmix = NegativeSimulator.Unmix(film) };
        var previous = (RgbImage?)null;
        foreach (var (ev, trims) in new[] { (0.0, new double[] { 0, 0, 0 }), (1.5, [0, 0, 0]), (-0.7, [0.05, -0.025, 0.1]) })
        {
            var recipe = session.Recipe with { Film = options with { ExposureEv = ev, Trims = trims } };
            session.SetRecipe(recipe);
            var preview = await session.BaseAsync(neg);
            using var fresh = new Pipeline(recipe) { Roll = session.Roll }.Prepare(neg, DemosaicMode.Half, maxSide: session.Settings.PreviewSide).Decoded;
            AssertSame(fresh.Image, preview.Decoded.Image, $"{ev} EV, trims {string.Join(",", trims)}");
            if (previous is not null) Assert.True(MeanAbsDifference(previous, preview.Decoded.Image) > 1e-3, $"{ev} EV looks like the setting before it");
            previous = preview.Decoded.Image;
        }
    }
}
