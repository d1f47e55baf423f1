using ImageSpace.Core.Batch;
using ImageSpace.Core.Pipeline;

namespace ImageSpace.Tests;

public class NamingTests
{
    private static NamingContext Ctx(string stem = "IMG_0042", string group = "objA", int n = 7) =>
        new("shoot", group, stem, "calib", n, ".tif");

    [Theory]
    [InlineData("[o][e]", "IMG_0042.tif")]
    [InlineData("[o]", "IMG_0042.tif")]
    [InlineData("[s]/[o][e]", "objA/IMG_0042.tif")]
    [InlineData("[r]/[s]/[c]_[n4][e]", "shoot/objA/calib_0007.tif")]
    [InlineData("[oc]_[n][e]", "IMG_7.tif")]
    [InlineData("[o]-\"_\"[e]", "IMG.tif")]
    [InlineData("[o]+\"_\"[e]", "0042.tif")]
    [InlineData("[s]/[o]+\"x\"_[n][e]", "objA/_7.tif")] // text after a missing separator is empty
    public void Placeholders_render(string schema, string expected) =>
        Assert.Equal(expected, NamingSchema.Parse(schema).Render(Ctx()));

    /// <summary>A schema that ends with the output format's own extension (any spelling, any case) has it once: a
    /// new user's "[o].jpg" gave "x.jpg.jpg".</summary>
    [Theory]
    [InlineData("[o].jpg", ".jpg", "IMG_0042.jpg")]
    [InlineData("[o].JPEG", ".jpg", "IMG_0042.JPEG")]
    [InlineData("[o].tiff", ".tif", "IMG_0042.tiff")]
    [InlineData("[s]/[o].TIF", ".tif", "objA/IMG_0042.TIF")]
    [InlineData("[o].png", ".png", "IMG_0042.png")]
    [InlineData("[c]_[n4].exr", ".exr", "calib_0007.exr")]
    [InlineData("[o].v2", ".jpg", "IMG_0042.v2.jpg")] // not an image extension: the format's is added
    [InlineData("[o].jpg/[o]", ".jpg", "IMG_0042.jpg/IMG_0042.jpg")] // a folder's name is not the file's extension
    public void A_schema_ending_with_the_formats_own_extension_has_it_once(string schema, string extension, string expected) =>
        Assert.Equal(expected, NamingSchema.Parse(schema).Render(Ctx() with { Extension = extension }));

    /// <summary>A schema that ends with another format's extension would name a JPEG ".png": refused by the recipe's
    /// check (command line, recipe files, farm jobs), naming the schema and the format, and by rendering too.</summary>
    [Theory]
    [InlineData("[o].png", "jpeg")]
    [InlineData("[s]/[o].JPG", "tiff")]
    [InlineData("[o].tif", "exr")]
    [InlineData("[o][e].png", "jpg")]
    public void A_schema_ending_with_another_formats_extension_is_refused_naming_both(string schema, string format)
    {
        var recipe = new Recipe { Export = new ExportOptions { Format = format }, Naming = new NamingOptions { Schema = schema } };
        var e = Assert.Throws<ArgumentException>(recipe.Validate);
        Assert.Contains($"naming schema '{schema}'", e.Message);
        Assert.Contains($"output format is {recipe.Export.NormalizedFormat}", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Throws<ArgumentException>(() => NamingSchema.Parse(schema).Render(Ctx() with { Extension = recipe.Export.Extension }));
        new Recipe { Export = recipe.Export, Naming = new NamingOptions { Schema = "[s]/[o]" + recipe.Export.Extension } }.Validate();
    }

    /// <summary>An extension written next to [e] would be doubled ("x.jpg.jpg"): refused, saying so.</summary>
    [Theory]
    [InlineData("[o][e].jpg", "jpg")]
    [InlineData("[o].jpg[e]", "jpg")]
    [InlineData("[s]/[o].tif[e]", "tiff")]
    public void An_extension_next_to_e_is_refused(string schema, string format)
    {
        var recipe = new Recipe { Export = new ExportOptions { Format = format }, Naming = new NamingOptions { Schema = schema } };
        var e = Assert.Throws<ArgumentException>(recipe.Validate);
        Assert.Contains($"naming schema '{schema}' has ", e.Message);
        Assert.Contains("keep one of them", e.Message);
        Assert.Equal("IMG_0042.jpg.bak.jpg", NamingSchema.Parse("[o].jpg.bak[e]").Render(Ctx() with { Extension = ".jpg" })); // not an extension just before
    }

    [Theory]
    [InlineData("IMG_0012", "IMG")]
    [InlineData("scan-7", "scan")]
    [InlineData("roll12", "roll")]
    [InlineData("1234", "1234")]
    [InlineData("objA", "objA")]
    public void Counter_is_stripped_from_oc(string stem, string expected) => Assert.Equal(expected, NamingSchema.WithoutCounter(stem));

    [Theory]
    [InlineData("../[o]")]
    [InlineData("a/../../[o]")]
    [InlineData("/abs/[o]")]
    [InlineData("C:[o]")]
    [InlineData("[o]:x")]
    [InlineData("[o]|x")]
    [InlineData("[o]*")]
    [InlineData("[q]")]
    [InlineData("[o")]
    [InlineData("o]")]
    [InlineData("[n4")]
    [InlineData("[e3]")]
    [InlineData("[c]-\"_\"")]
    public void Unsafe_or_malformed_schemas_are_rejected(string schema) =>
        Assert.Throws<ArgumentException>(() => NamingSchema.Parse(schema));

    [Theory]
    [InlineData("CON")]
    [InlineData("bad:name")]
    [InlineData("trail.")]
    [InlineData("space ")]
    public void Names_invalid_on_Windows_are_rejected(string stem) =>
        Assert.Throws<ArgumentException>(() => NamingSchema.Parse("[o]/f[e]").Render(Ctx(stem)));

    [Fact]
    public void A_group_value_cannot_escape_the_output_folder()
    {
        Assert.Throws<ArgumentException>(() => NamingSchema.Parse("[s]/[o][e]").Render(Ctx(group: "../../etc")));
        Assert.Throws<ArgumentException>(() => NamingSchema.Resolve("/tmp/out", "../x.tif"));
        Assert.Equal("/tmp/out/a/x.tif", NamingSchema.Resolve("/tmp/out", "a/x.tif"));
    }

    private static Dataset TwoGroups(TempDir dir)
    {
        foreach (var f in new[] { "A/IMG_1.dng", "A/IMG_10.dng", "A/IMG_2.dng", "B/IMG_1.dng", "root_3.dng", "A/skip_me.dng", "A/notes.txt" })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(dir[f])!);
            File.WriteAllText(dir[f], "x");
        }
        return DatasetScanner.Scan([dir.Path], new GroupingOptions { Ignore = ["skip_*"] });
    }

    [Fact]
    public void Subfolder_grouping_is_stable_and_natural()
    {
        using var dir = new TempDir();
        var ds = TwoGroups(dir);
        Assert.Equal(["", "A", "B"], ds.Groups.Select(g => g.Name).ToArray());
        Assert.Equal(["A/IMG_1.dng", "A/IMG_2.dng", "A/IMG_10.dng"], ds.Groups[1].Files.Select(f => f.RelativePath).ToArray());
        Assert.Equal(1, ds.Ignored);
    }

    /// <summary>A folder and its subfolder both given (a tester's "s1 s1/turntable_A"): the subfolder's files are
    /// listed once, and it is not reported as a folder without RAW files.</summary>
    [Fact]
    public void A_folder_given_again_inside_another_input_adds_nothing_and_is_no_error()
    {
        using var dir = new TempDir();
        var once = TwoGroups(dir);
        var twice = DatasetScanner.Scan([dir.Path, dir["A"]], new GroupingOptions { Ignore = ["skip_*"] });
        Assert.Empty(twice.Errors);
        Assert.Equal(once.Files.Select(f => (f.Path, f.Group)), twice.Files.Select(f => (f.Path, f.Group)));
        Directory.CreateDirectory(dir["empty"]); // a folder with none is still one
        Assert.Contains("no RAW files", Assert.Single(DatasetScanner.Scan([dir.Path, dir["empty"]], new GroupingOptions()).Errors));
    }

    [Fact]
    public void Prefix_grouping_uses_the_text_before_the_separator()
    {
        using var dir = new TempDir();
        foreach (var f in new[] { "objA_001.nef", "objA_002.nef", "objB_001.nef", "loose.nef" }) File.WriteAllText(dir[f], "x");
        var ds = DatasetScanner.Scan([dir.Path], new GroupingOptions { By = "prefix", Separator = "_" });
        Assert.Equal(["", "objA", "objB"], ds.Groups.Select(g => g.Name).ToArray());
        Assert.Equal(2, ds.Groups[1].Files.Count);
    }

    [Fact]
    public void Collisions_across_groups_are_refused_before_writing()
    {
        using var dir = new TempDir();
        var ds = TwoGroups(dir);
        var plan = BatchPlanner.Plan(ds, dir["out"], new Recipe { Naming = new NamingOptions { Schema = "[o][e]" } });
        var refused = Assert.Single(plan.Refused);
        Assert.Contains("B/IMG_1.dng", refused.Input.Replace('\\', '/'));
        Assert.Contains("also the output of", refused.Reason);
        Assert.False(Directory.Exists(dir["out"]));

        var perGroup = BatchPlanner.Plan(ds, dir["out"], new Recipe { Naming = new NamingOptions { Schema = "[s]/[c]_[n3][e]", Custom = "obj" } });
        Assert.Empty(perGroup.Refused);
        Assert.Equal(["out/obj_001.tif", "out/A/obj_001.tif", "out/A/obj_002.tif", "out/A/obj_003.tif", "out/B/obj_001.tif"],
            perGroup.Items.Select(i => Path.GetRelativePath(dir.Path, i.Output).Replace('\\', '/')).ToArray());
        var global = BatchPlanner.Plan(ds, dir["out"], new Recipe { Naming = new NamingOptions { Schema = "[c]_[n3][e]", Custom = "obj" } });
        Assert.Equal(Enumerable.Range(1, 5).Select(n => $"obj_{n:000}.tif"), global.Items.Select(i => Path.GetFileName(i.Output)));
    }
}
