using ImageSpace.Core.Synthetic;
using ImageSpace.Web;

namespace ImageSpace.Tests;

/// <summary>Review item 10: "Lock roll" in a folder of two rolls (two subfolders: groups) pooled both into one
/// roll. A roll is a group: it is locked from the shown image's group only, and the answer names it.</summary>
public class UiRollGroupTests
{
    [Fact]
    public void Lock_roll_measures_the_shown_images_group_only_and_names_it()
    {
        using var dir = new TempDir();
        var p = new SceneParameters { Width = 480, Height = 320, PatchPitch = 30, Seed = 1 };
        // Two rolls of different film (bases of another colour), two frames each, one subfolder per roll.
        var films = new[] { new NegativeFilm(), new NegativeFilm { BaseDensity = [0.35, 0.80, 1.05] } };
        foreach (var (name, k) in new[] { ("first", 0), ("second", 1) })
        {
            Directory.CreateDirectory(dir[$"data/{name}"]);
            for (int i = 1; i <= 2; i++) NegativeSimulator.Write(dir[$"data/{name}/{name}_{i}.dng"], p with { Seed = 10 * k + i, DominantPatch = 3 + i }, films[k]);
        }
        using var s = new UiSession(new UserSettings { PreviewSide = 400 }) { SettingsPath = dir["ui.json"], ThumbCacheDir = dir["thumbs"] };
        s.Guard.AddRoot(dir["data"]);
        s.Open(dir["data"]);
        Assert.Equal(2, s.Dataset.Groups.Count);
        s.SetRecipe(s.Recipe with { Film = s.Recipe.Film with { Enabled = true } });

        // Without an image to say which roll (an API call as `process --lock-roll`): all frames, and the answer says
        // that it pooled the two groups.
        var (all, pooled, none) = s.LockRoll();
        Assert.Equal(4, all.Frames.Length);
        Assert.Contains("2 groups pooled", pooled);
        Assert.Equal("", none);

        string shown = dir["data/second/second_2.dng"];
        var (roll, source, group) = s.LockRoll(shown);
        string expected = s.Dataset.Groups.Single(g => g.Files.Any(f => Path.GetFullPath(f.Path) == shown)).DisplayName;
        Assert.Equal(expected, group);
        Assert.Contains($"'{group}'", source);
        Assert.Equal(2, roll.Frames.Length);
        Assert.All(roll.Frames, f => Assert.StartsWith("second_", Path.GetFileName(f)));
        // The resolved plan says which group the roll was locked from.
        Assert.Contains(s.ColourPlan().Plan.Notes, n => n.Contains("of group"));
    }
}
