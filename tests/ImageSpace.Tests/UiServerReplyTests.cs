using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ImageSpace.Core.Calibration;
using ImageSpace.Core.Charts;
using ImageSpace.Core.Color;
using ImageSpace.Web;

namespace ImageSpace.Tests;

/// <summary>The UI server's replies, called over HTTP as the page calls them (no browser).</summary>
public class UiServerReplyTests
{
    /// <summary>Every number anywhere in a JSON reply (JSON has no NaN or ∞: a reply that has one broke off).</summary>
    private static IEnumerable<double> Numbers(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Number => [e.GetDouble()],
        JsonValueKind.Array => e.EnumerateArray().SelectMany(Numbers),
        JsonValueKind.Object => e.EnumerateObject().SelectMany(p => Numbers(p.Value)),
        _ => [],
    };

    /// <summary>A clipped patch (patch 19, the white, made brighter than the sensor's white here) is left out of the
    /// fit and flagged, and its ΔE is the model's error on it: a finite number, not NaN. The summary is over the
    /// fitted patches only: a fit on 23 patches gives the same mean when the clipped patch is absent.</summary>
    [Fact]
    public void A_clipped_patch_is_flagged_left_out_of_the_fit_and_every_number_of_the_profile_is_finite()
    {
        var reference = ColorCheckerReference.After2014.XyzD50;
        // A camera whose RGB is a fixed 3×3 mix of XYZ (so a matrix fits the unclipped patches exactly).
        Vec3 Camera(Vec3 xyz) => new(0.9 * xyz.X + 0.2 * xyz.Y - 0.1 * xyz.Z, -0.2 * xyz.X + 1.1 * xyz.Y + 0.1 * xyz.Z, 0.05 * xyz.X - 0.1 * xyz.Y + 1.0 * xyz.Z);
        var patches = reference.Select((xyz, i) => new PatchSample(i + 1, 0, 0, i == 18 ? new Vec3(1, 1, 1) : Camera(xyz), 0.001, i == 18, 100)).ToList();
        var r = Calibrator.Calibrate(patches, reference);
        var profile = CalibrationProfile.From(r, patches, reference, "synthetic", "after2014", null, null, false);

        var white = profile.Patches[18];
        Assert.True(white.Clipped);
        Assert.True(double.IsFinite(white.DeltaE) && double.IsFinite(white.LooDeltaE), $"clipped patch ΔE {white.DeltaE}, leave-one-out {white.LooDeltaE}");
        Assert.Equal(white.DeltaE, white.LooDeltaE); // not in the fit: held out already
        Assert.True(white.DeltaE > 1, $"the clipped white (1,1,1) is far from the reference white: ΔE {white.DeltaE}");
        Assert.All(profile.Patches.Where(p => !p.Clipped), p => Assert.True(p.DeltaE < 0.5, $"patch {p.Index}: {p.DeltaE}"));
        // The summary counts only the fitted patches: the clipped patch's large error is not in the mean or the max.
        Assert.True(profile.DeltaE.Max < 0.5, $"max {profile.DeltaE.Max}");
        Assert.All(Numbers(JsonDocument.Parse(profile.ToJson()).RootElement), v => Assert.True(double.IsFinite(v)));
    }

    /// <summary>Review item 1: a chart with an overexposed patch answered "400" (the reply broke off with "infinity
    /// cannot be written as valid JSON"). Detect must answer 200 with the clipped patch flagged and every number
    /// finite, on the two real charts that have one.</summary>
    [SkippableTheory]
    [InlineData("charts/syoyo_colorchart-iphone7plus-cloudy.jpg")]
    [InlineData("charts/plantcv_source1_img.png")]
    public async Task Detect_on_a_chart_with_a_clipped_patch_answers_with_finite_numbers(string file)
    {
        string source = TestData.File(file);
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["data"]);
        string copy = dir["data/" + Path.GetFileName(file)];
        File.Copy(source, copy);
        await using var server = await UiServer.StartAsync(new UiOptions { Folders = [dir["data"]], SettingsPath = dir["ui.json"], ThumbCacheDir = dir["thumbs"] });
        using var http = TestToken.Client(server.BaseUrl);
        var reply = await http.PostAsJsonAsync("api/chart/detect", new { file = copy });
        string body = await reply.Content.ReadAsStringAsync();
        Assert.True(reply.StatusCode == HttpStatusCode.OK, $"{reply.StatusCode}: {body}");
        var json = JsonDocument.Parse(body).RootElement;
        var patches = json.GetProperty("calibration").GetProperty("patches").EnumerateArray().ToList();
        Assert.Equal(24, patches.Count);
        Assert.Contains(patches, p => p.GetProperty("clipped").GetBoolean());
        Assert.All(patches, p => Assert.Equal(JsonValueKind.Number, p.GetProperty("deltaE").ValueKind));
        Assert.All(Numbers(json), v => Assert.True(double.IsFinite(v)));
    }

    /// <summary>The serialiser of the UI's replies writes a number that is not finite as null (a reply never breaks
    /// off part-way), and reads numbers as numbers.</summary>
    [Fact]
    public void Non_finite_numbers_are_written_as_null()
    {
        var options = new JsonSerializerOptions { Converters = { new FiniteOrNull() } };
        Assert.Equal("[1.5,null,null,null]", JsonSerializer.Serialize(new[] { 1.5, double.NaN, double.PositiveInfinity, double.NegativeInfinity }, options));
        Assert.Equal([2.25], JsonSerializer.Deserialize<double[]>("[2.25]", options)!);
    }

    /// <summary>The full-resolution size the preview says (X-Full-Size) and the one the tiles and an export have.</summary>
    private static async Task<(string preview, string tile)> FullSizes(string folder, string file, TempDir dir)
    {
        new UserSettings { PreviewSide = 500 }.Save(dir["ui.json"]);
        await using var server = await UiServer.StartAsync(new UiOptions { Folders = [folder], SettingsPath = dir["ui.json"], ThumbCacheDir = dir["thumbs"] });
        using var http = TestToken.Client(server.BaseUrl);
        var preview = await http.GetAsync($"api/preview?file={Uri.EscapeDataString(file)}");
        Assert.True(preview.IsSuccessStatusCode, await preview.Content.ReadAsStringAsync());
        var tile = await http.GetAsync($"api/tile?file={Uri.EscapeDataString(file)}&level=0&x=0&y=0");
        Assert.True(tile.IsSuccessStatusCode, await tile.Content.ReadAsStringAsync());
        return (preview.Headers.GetValues("X-Full-Size").Single(), tile.Headers.GetValues("X-Full-Size").Single());
    }

    /// <summary>Review item 3: the preview's full size was its size over an assumed scale of 0.5, off by the
    /// reduction's rounding (a 1004 × 650 RAW, half-size 502 × 325, reduced to 500 × 324, was said to be 1004 × 649).
    /// The preview, the tiles and the synthetic truth must agree.</summary>
    [Fact]
    public async Task The_preview_states_the_full_size_the_tiles_have()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["data"]);
        string dng = dir["data/odd.dng"];
        Core.Synthetic.SyntheticDng.Write(dng, new Core.Synthetic.SceneParameters { Width = 1004, Height = 650, HasChart = false, Seed = 5 });
        var (preview, tile) = await FullSizes(dir["data"], dng, dir);
        Assert.Equal("1004x650", tile);
        Assert.Equal("1004x650", preview);
    }

    /// <summary>A scanner's NEF holds RGB already (LibRaw payload "rgb"): a half-size decode is not halved, so the
    /// preview of the 869 × 593 scan stood for 1738 × 1186 while tiles and export were 869 × 593.</summary>
    [SkippableFact]
    public async Task A_scanner_nef_that_is_rgb_already_is_not_said_to_be_twice_its_size()
    {
        string source = TestData.File("raw/imageio_Nikon_COOLSCAN_IV_ED_film_scan.nef");
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["data"]);
        string copy = dir["data/scan.nef"];
        File.Copy(source, copy);
        var (preview, tile) = await FullSizes(dir["data"], copy, dir);
        Assert.Equal("869x593", tile); // the manifest's size (LibRaw's and a TIFF reader's)
        Assert.Equal("869x593", preview);
    }
}
