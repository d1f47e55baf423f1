using System.Text.Json;
using ImageSpace.Core.Charts;
using ImageSpace.Core.Synthetic;
using Xunit.Abstractions;

namespace ImageSpace.Tests;

public class DetectionTests(ITestOutputHelper log)
{
    /// <summary>Random poses as the issue asks: any rotation, tilt up to 45°, patch 12–80 px, noise, vignetting,
    /// exposure −2…+2 EV, daylight or tungsten.</summary>
    public static SceneParameters Pose(int k)
    {
        var rng = new Random(1000 + k);
        double patch = 12 + rng.NextDouble() * 68;
        return new SceneParameters
        {
            Width = 1200, Height = 900, PatchPitch = patch / ChartScene.PatchFraction, RotationDeg = rng.NextDouble() * 360,
            TiltDeg = rng.NextDouble() * 45, TiltAxisDeg = rng.NextDouble() * 180, ExposureEv = rng.NextDouble() * 4 - 2,
            Vignetting = rng.NextDouble() * 0.5, CenterX = 0.4 + 0.2 * rng.NextDouble(), CenterY = 0.4 + 0.2 * rng.NextDouble(),
            Illuminant = k % 3 == 0 ? "A" : "D65", Camera = k % 2 == 0 ? "nikon-d5100" : "canon-5d2", Seed = k,
        };
    }

    private static double MaxCentreError(ChartDetection d, RenderedScene scene) =>
        d.Patches.Select((p, i) => Math.Sqrt(Math.Pow(p.X - scene.Chart!.PatchCenters[i][0], 2) + Math.Pow(p.Y - scene.Chart.PatchCenters[i][1], 2))).Max()
        / scene.Chart!.PatchPitchPx;

    [Fact]
    public void Finds_every_chart_in_200_random_poses_with_the_right_orientation()
    {
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        double worst = 0;
        var sw = System.Diagnostics.Stopwatch.StartNew();
        Parallel.For(0, 200, new ParallelOptions { MaxDegreeOfParallelism = 2 }, k =>
        {
            var p = Pose(k);
            var scene = ChartScene.Render(p);
            using var img = SceneInWorkingSpace.Render(scene, k);
            var d = ChartDetector.Detect(img);
            if (!d.Found) { failures.Add($"#{k} not found ({d.Note}) {p}"); return; }
            double err = MaxCentreError(d, scene);
            lock (failures) worst = Math.Max(worst, err);
            // An orientation error moves centres by a whole pitch or more.
            if (err > 0.25) failures.Add($"#{k} centre error {err:0.00} pitch {p}");
        });
        log.WriteLine($"200 poses in {sw.Elapsed.TotalSeconds:0.0} s; worst patch-centre error {worst:0.000} pitch; failures {failures.Count}");
        Assert.Empty(failures);
    }

    [Fact]
    public void Chart_free_scenes_give_no_chart()
    {
        for (int k = 0; k < 12; k++)
        {
            var p = Pose(k) with { HasChart = false };
            using var img = SceneInWorkingSpace.Render(ChartScene.Render(p), k);
            var d = ChartDetector.Detect(img);
            Assert.False(d.Found, $"false chart in chart-free scene #{k}: {d.Note}");
        }
    }

    /// <summary>Picking a group's chart frame automatically needs a confidence that separates frames with a chart from
    /// frames without one: rendered chart poses (any rotation, tilt, exposure, light) all reach
    /// <see cref="ChartDetection.TrustedConfidence"/>; chart-free renders of the same scenes and dead-leaves images
    /// (random discs of every colour) all stay below it.</summary>
    [Fact]
    public void Confidence_separates_chart_frames_from_chart_free_frames()
    {
        var charts = new System.Collections.Concurrent.ConcurrentBag<(int k, double c)>();
        var free = new System.Collections.Concurrent.ConcurrentBag<(string what, double c)>();
        Parallel.For(0, 24, new ParallelOptions { MaxDegreeOfParallelism = 2 }, k =>
        {
            var p = Pose(k);
            using (var img = SceneInWorkingSpace.Render(ChartScene.Render(p), k)) charts.Add((k, ChartDetector.Detect(img).Confidence));
            using (var img = SceneInWorkingSpace.Render(ChartScene.Render(p with { HasChart = false }), k)) free.Add(($"scene #{k}", ChartDetector.Detect(img).Confidence));
            if (k % 3 == 0)
                using (var leaves = DeadLeaves.Render(1200, 900, k, minRadius: 4, maxRadius: 120)) free.Add(($"dead leaves #{k}", ChartDetector.Detect(leaves).Confidence));
        });
        log.WriteLine($"charts: min confidence {charts.Min(x => x.c):0.000}; chart-free: max {free.Max(x => x.c):0.000}");
        Assert.All(charts, x => Assert.True(x.c >= ChartDetection.TrustedConfidence, $"chart pose #{x.k}: confidence {x.c:0.000}"));
        Assert.All(free, x => Assert.True(x.c < ChartDetection.TrustedConfidence, $"{x.what}: confidence {x.c:0.000}"));
    }

    /// <summary>The same separation on the real photos: every X-Rite chart found in the right orientation is trusted;
    /// the chart-free photo, the partial chart, the narrow-band and the raw-mosaic images are not.</summary>
    [SkippableFact]
    public void Confidence_separates_real_chart_photos_from_the_rest()
    {
        Skip.If(TestData.Root is null, TestData.MissingReason);
        foreach (var (file, kind, expected) in RealPhotos)
        {
            string path = Path.Combine(TestData.Root!, "charts", file);
            if (!File.Exists(path) || kind == "printed replica") continue;
            var (img, _) = ImageLoader.Load(path);
            ChartDetection d;
            using (img) d = ChartDetector.Detect(img);
            log.WriteLine($"{file,-44} {kind,-17} {d.Confidence:0.000}");
            if (kind == "x-rite")
            {
                if (!d.Found) continue; // counted by Real_chart_photos
                var c = d.Corners;
                int topLeft = new[] { 1, 6, 24, 19 }[Enumerable.Range(0, 4).MinBy(i => c[i].x + c[i].y)];
                if (topLeft == expected) Assert.True(d.Trusted, $"{file}: confidence {d.Confidence:0.000}");
            }
            else Assert.False(d.Trusted, $"{file} ({kind}): confidence {d.Confidence:0.000}");
        }
    }

    [Fact]
    public void A_negative_chart_is_found_with_the_negative_option()
    {
        var p = Pose(7) with { ExposureEv = 0, TiltDeg = 20 };
        var scene = ChartScene.Render(p);
        using var positive = SceneInWorkingSpace.Render(scene, 7);
        // A colour negative: transmittance falls as a power of exposure, per layer, over an orange base.
        double[] baseTint = [0.85, 0.55, 0.3];
        var neg = positive.Clone();
        for (int c = 0; c < 3; c++)
        {
            var plane = neg.Plane(c);
            for (int i = 0; i < plane.Length; i++) plane[i] = (float)(0.03 * baseTint[c] * Math.Pow(Math.Max(plane[i], 0) + 0.004, -0.6));
        }
        var d = ChartDetector.Detect(neg, new DetectorOptions { Negative = true });
        Assert.True(d.Found, d.Note);
        Assert.True(MaxCentreError(d, scene) < 0.25);
    }

    [Fact]
    public void Manual_corners_in_any_order_give_the_oriented_chart()
    {
        var p = Pose(3) with { RotationDeg = 120, TiltDeg = 25 };
        var scene = ChartScene.Render(p);
        using var img = SceneInWorkingSpace.Render(scene, 3);
        var c = scene.Chart!.Corners;
        var shuffled = new[] { c[2], c[0], c[3], c[1] }.Select(v => (v[0] + 1.5, v[1] - 1.0)).ToArray(); // a user's clicks are off a little
        var d = ChartDetector.FromCorners(img, shuffled);
        Assert.True(MaxCentreError(d, scene) < 0.1);
        // The corner at patch 1 comes first, whatever order the clicks came in.
        Assert.InRange(d.Corners[0].x - c[0][0], -2, 2);
        Assert.InRange(d.Corners[0].y - c[0][1], -2, 2);
    }

    [Fact]
    public void Overexposed_patches_are_flagged_clipped()
    {
        var p = Pose(11) with { ExposureEv = 2, Vignetting = 0 };
        var scene = ChartScene.Render(p);
        using var img = SceneInWorkingSpace.Render(scene, 11);
        var d = ChartDetector.Detect(img);
        Assert.True(d.Found);
        Assert.True(d.Patches[18].Clipped, "the white patch at +2 EV is clipped");
        Assert.False(d.Patches[23].Clipped, "the black patch is not");
        Assert.Contains(d.Warnings, w => w.StartsWith("clipped patches: ") && w.Contains("19"));
    }

    /// <summary>The real photos of shared/data/charts. Expected: where the corner at patch 1 lies, as MANIFEST.md
    /// describes each chart's rotation (normal: patch 1 top-left; rotated 90° clockwise: white patch 19 top-left;
    /// 90° counter-clockwise: bluish-green patch 6 top-left).</summary>
    public static readonly (string file, string kind, int topLeftPatch)[] RealPhotos =
    [
        ("jtvd_color_checker1.jpg", "x-rite", 6), ("jtvd_color_checker2.jpg", "x-rite", 6), ("jtvd_color_checker3.jpg", "x-rite", 6),
        ("jtvd_color_checker4.jpg", "x-rite", 6), ("jtvd_color_checker5.jpg", "x-rite", 6), ("jtvd_color_checker6.jpg", "x-rite", 19),
        ("jtvd_color_checker7.jpg", "x-rite", 19), ("jtvd_color_checker_mini1.jpg", "x-rite", 19), ("jtvd_color_checker_mini2.jpg", "x-rite", 6),
        ("jtvd_color_checker_mini3.jpg", "x-rite", 6), ("jtvd_color_checker_mini4.jpg", "x-rite", 6), ("plantcv_source1_img.png", "x-rite", 19),
        ("plantcv_target_img.png", "x-rite", 19), ("pedrodiamel_img-colorchecker.jpg", "x-rite", 1), ("syoyo_colorchart-iphone7plus-cloudy.jpg", "x-rite", 1),
        ("isetcam_FruitMCC_6500.tif", "x-rite", 1), ("luimoli_d65_colorchecker.jpg", "x-rite", 1), ("luimoli_TL84_colorchecker.jpg", "x-rite", 1),
        ("luimoli_CWF_colorchecker.jpg", "x-rite", 1), ("karnehen_Canon350D_ClassicMini_seeds.jpg", "x-rite", 6),
        ("jarrelscy_IMG_20140613_203438.jpg", "printed replica", 0), ("jarrelscy_IMG_20140613_203444.jpg", "printed replica", 0),
        ("jarrelscy_IMG_20140613_203500.jpg", "printed replica", 0), ("jarrelscy_IMG_20140613_203507.jpg", "printed replica", 0),
        ("jarrelscy_IMG_20140613_203518.jpg", "printed replica", 0),
        ("plantcv_source2_img.png", "partial", 0),
        ("jtvd_normal_example.jpg", "chart-free", 0),
        ("bllanos_CFA_colorChecker_550nm_500ms.tif", "narrow-band mono", 0), ("isetcam_mccGBRGsensor.tif", "raw CFA mosaic", 0),
    ];

    [SkippableFact]
    public void Real_chart_photos()
    {
        Skip.If(TestData.Root is null, TestData.MissingReason);
        int xrite = 0, xriteRight = 0;
        log.WriteLine($"{"file",-44} {"kind",-17} {"found",-6} {"conf",5} {"patch at top-left",17}  note");
        foreach (var (file, kind, expected) in RealPhotos)
        {
            string path = Path.Combine(TestData.Root!, "charts", file);
            if (!File.Exists(path)) { log.WriteLine($"{file,-44} missing"); continue; }
            var (img, _) = ImageLoader.Load(path);
            ChartDetection d;
            using (img) d = ChartDetector.Detect(img);
            int topLeft = 0;
            if (d.Found)
            {
                var c = d.Corners;
                int k = Enumerable.Range(0, 4).MinBy(i => c[i].x + c[i].y);
                topLeft = new[] { 1, 6, 24, 19 }[k];
            }
            log.WriteLine($"{file,-44} {kind,-17} {(d.Found ? "yes" : "no"),-6} {d.Confidence,5:0.00} {(d.Found ? topLeft.ToString() : "-"),17}  {d.Note}");
            if (kind == "x-rite") { xrite++; if (d.Found && topLeft == expected) xriteRight++; }
            if (kind is "chart-free" or "partial") Assert.False(d.Found, $"{file}: {kind} image reported a chart");
        }
        log.WriteLine($"real X-Rite charts found with the right orientation: {xriteRight}/{xrite}");
        Assert.True(xriteRight >= 0.9 * xrite, $"{xriteRight}/{xrite} real charts found with the right orientation");
    }

    [Fact]
    public void Detect_cli_prints_the_json_contract()
    {
        using var dir = new TempDir();
        var p = Pose(5) with { Width = 900, Height = 600, PatchPitch = 50, ExposureEv = 0 };
        SyntheticDng.Write(dir["chart.dng"], p);
        var r = Cli.Run("detect", dir["chart.dng"], "--json", "--debug", dir["debug"]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var o = JsonDocument.Parse(r.Stdout).RootElement[0];
        Assert.True(o.GetProperty("found").GetBoolean());
        Assert.Equal(4, o.GetProperty("corners").GetArrayLength());
        var patches = o.GetProperty("patches");
        Assert.Equal(24, patches.GetArrayLength());
        var truth = ChartScene.Render(p).Chart!;
        for (int i = 0; i < 24; i++)
        {
            var pt = patches[i];
            Assert.Equal(i + 1, pt.GetProperty("index").GetInt32());
            // Full-resolution coordinates even though the RAW is decoded at half size for detection.
            Assert.True(Math.Abs(pt.GetProperty("x").GetDouble() - truth.PatchCenters[i][0]) < 0.25 * truth.PatchPitchPx);
            Assert.True(Math.Abs(pt.GetProperty("y").GetDouble() - truth.PatchCenters[i][1]) < 0.25 * truth.PatchPitchPx);
            Assert.Equal(3, pt.GetProperty("rgb").GetArrayLength());
        }
        var white = patches[18].GetProperty("rgb").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        var black = patches[23].GetProperty("rgb").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        Assert.True(white.Average() > 10 * black.Average(), "patch 19 is the white one, 24 the black one");
        Assert.Equal(["chart_mask.png", "chart_overlay.png", "chart_rectified.png", "chart_swatches.png"],
            Directory.GetFiles(dir["debug"]).Select(f => Path.GetFileName(f)!).Order().ToArray());
        var none = Cli.Run("detect", dir["nothing.jpg"], "--json");
        Assert.Equal(1, none.ExitCode);
        Assert.Contains("nothing.jpg: file not found", none.Stderr);
    }
}
