using ImageSpace.Core.Synthetic;
using ImageSpace.Web;

namespace ImageSpace.Tests;

/// <summary>Review item 9 / issue 16: film stock, base, trims and exposure re-run only from their stage. The full-
/// resolution view (/api/tile) keeps the decoded, flat-fielded negative (stage 1) and re-runs the inversion from it;
/// its pixels must be those of a fresh render with the same settings (a session that never saw another stock).</summary>
public class UiFilmStageTests
{
    private static UiSession Session(TempDir dir, string name)
    {
        var s = new UiSession(new UserSettings { PreviewSide = 400 }) { SettingsPath = dir[name + ".json"], ThumbCacheDir = dir["thumbs"] };
        s.Guard.AddRoot(dir["data"]);
        s.Open(dir["data"]);
        return s;
    }

    [Fact]
    public async Task A_stock_or_base_change_at_full_resolution_reinverts_the_kept_negative_and_gives_a_fresh_renders_pixels()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["data"]);
        string neg = dir["data/neg.dng"];
        NegativeSimulator.Write(neg, new SceneParameters { Width = 1100, Height = 700, PatchPitch = 50, Seed = 4 }, new NegativeFilm());
        var steps = new Func<Core.Film.FilmOptions, Core.Film.FilmOptions>[]
        {
            f => f with { Stock = "portra160" },
            f => f with { Stock = "ektar100", Base = "0.55,0.32,0.21" },
            f => f with { Stock = "ektar100", Base = "0.55,0.32,0.21", Trims = [0.05, 0, -0.03], ExposureEv = 0.4 },
        };
        using var live = Session(dir, "live");
        var film = live.Recipe.Film with { Enabled = true };
        live.SetRecipe(live.Recipe with { Film = film });
        var first = await live.TileAsync(neg, 1, 0, 0, Look.Edit);
        Assert.Equal(0, live.FullStageReuses);
        byte[] previous = first.png;
        for (int i = 0; i < steps.Length; i++)
        {
            var settings = steps[i](film);
            live.SetRecipe(live.Recipe with { Film = settings });
            var fast = await live.TileAsync(neg, 1, 0, 0, Look.Edit);
            Assert.Equal(i + 1, live.FullStageReuses); // made from the kept stage, not decoded again

            using var fresh = Session(dir, "fresh" + i);
            fresh.SetRecipe(fresh.Recipe with { Film = settings });
            var expected = await fresh.TileAsync(neg, 1, 0, 0, Look.Edit);
            Assert.Equal((expected.width, expected.height), (fast.width, fast.height));
            Assert.True(expected.png.AsSpan().SequenceEqual(fast.png), $"step {i}: the tile differs from a fresh render's");
            Assert.False(previous.AsSpan().SequenceEqual(fast.png), $"step {i}: the tile did not change with the film settings");
            previous = fast.png;
        }
    }

    /// <summary>The preview after a stock change (the auto base kept per decoded frame, the rest of the analysis and
    /// the inversion re-run) equals the pipeline run from the file with that stock.</summary>
    [Fact]
    public async Task A_stock_change_in_the_preview_equals_a_fresh_inversion()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["data"]);
        string neg = dir["data/neg.dng"];
        NegativeSimulator.Write(neg, new SceneParameters { Width = 900, Height = 600, PatchPitch = 50, Seed = 6 }, new NegativeFilm());
        using var s = Session(dir, "live");
        float[]? previous = null;
        foreach (var stock in new[] { "portra400", "ektar100", "portra800" })
        {
            var recipe = s.Recipe with { Film = s.Recipe.Film with { Enabled = true, Stock = stock } };
            s.SetRecipe(recipe);
            var preview = (await s.BaseAsync(neg)).Decoded.Image;
            using var fresh = new Core.Pipeline.Pipeline(recipe) { Roll = s.Roll }.Prepare(neg, Core.Raw.DemosaicMode.Half, maxSide: s.Settings.PreviewSide).Decoded;
            Assert.Equal((fresh.Image.Width, fresh.Image.Height), (preview.Width, preview.Height));
            for (int c = 0; c < 3; c++) Assert.True(fresh.Image.Plane(c).AsSpan(0, fresh.Image.PixelCount).SequenceEqual(preview.Plane(c).AsSpan(0, preview.PixelCount)), $"{stock}: channel {c} differs from a fresh inversion");
            var green = preview.Plane(1).AsSpan(0, preview.PixelCount).ToArray();
            if (previous is not null) Assert.False(previous.AsSpan().SequenceEqual(green), $"{stock}: the preview did not change with the stock");
            previous = green;
        }
    }
}
