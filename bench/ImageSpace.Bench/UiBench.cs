using System.Diagnostics;
using ImageSpace.Core.Synthetic;
using ImageSpace.Web;

namespace ImageSpace.Bench;

/// <summary>`ui`: what a slider move costs on the server. A 24 MP DNG is decoded once at half size and reduced to the
/// preview size (the cached base); each move then copies the base, runs the recipe's adjustments and encodes the JPEG
/// the page shows. Medians of 15 warm moves. Goal (issue 8): ≤ 50 ms per move.</summary>
public static class UiBench
{
    public static int Run()
    {
        using var tmp = new Program.TempFolder();
        string file = Path.Combine(tmp.Path, "frame.dng");
        Console.WriteLine("Writing a synthetic 6000x4000 DNG ...");
        SyntheticDng.Write(file, new SceneParameters { Width = 6000, Height = 4000, PatchPitch = 300, RotationDeg = 10, TiltDeg = 15 });
        using var session = new UiSession { ThumbCacheDir = Path.Combine(tmp.Path, "thumbs") };
        session.Guard.AddRoot(tmp.Path);
        session.Open(tmp.Path);
        var sw = Stopwatch.StartNew();
        var prepared = session.BaseAsync(file).GetAwaiter().GetResult();
        Console.WriteLine($"{Environment.ProcessorCount} cores; preview base {prepared.Decoded.Image.Width}x{prepared.Decoded.Image.Height} " +
            $"(long side {session.Settings.PreviewSide}) decoded and prepared once in {sw.ElapsedMilliseconds} ms");
        var cases = new (string name, Func<int, Core.Adjust.AdjustOptions> adjust)[]
        {
            ("exposure + picked WB + shadows/highlights + sharpen", i => new()
            {
                ExposureEv = 0.1 * (i % 10), WhiteBalance = "pick:3000,2000,31", Shadows = 30 + i % 5, Highlights = -20, Sharpen = 60,
            }),
            ("the same + auto WB", i => new() { ExposureEv = 0.1 * (i % 10), WhiteBalance = "auto", Shadows = 30 + i % 5, Highlights = -20, Sharpen = 60 }),
            ("exposure", i => new() { ExposureEv = 0.1 * (i % 10) }),
            ("denoise 50", i => new() { Denoise = 50 + i % 3 }),
            // White balance is a decode setting on RAWs: each move decodes the kept unpack again (no LibRaw run).
            ("white balance Kelvin (decoded again from the kept unpack)", i => new() { WhiteBalance = $"{4000 + 250 * (i % 8)},{i % 3}" }),
        };
        // Warm-up: .NET compiles hot methods again (tier 1) after ~30 calls, so the first moves of a session are slower.
        var warm = Stopwatch.StartNew();
        foreach (var (_, adjust) in cases)
            for (int i = 0; i < 10; i++)
            {
                session.SetRecipe(session.Recipe with { Adjust = adjust(i) });
                session.PreviewAsync(file, Look.Edit).GetAwaiter().GetResult();
            }
        Console.WriteLine($"warm-up: {cases.Length * 10} moves in {warm.ElapsedMilliseconds} ms");
        Console.WriteLine($"{"slider move",-52} {"adjust",8} {"+ JPEG",8}   goal ≤ 50 ms");
        foreach (var (name, adjust) in cases)
        {
            var adjustMs = new List<double>();
            var totalMs = new List<double>();
            for (int i = 0; i < 16; i++)
            {
                session.SetRecipe(session.Recipe with { Adjust = adjust(i) });
                var t = Stopwatch.StartNew();
                var (_, ms, _) = session.PreviewAsync(file, Look.Edit).GetAwaiter().GetResult();
                if (i == 0) continue; // warm-up
                totalMs.Add(t.Elapsed.TotalMilliseconds);
                adjustMs.Add(ms);
            }
            double a = Median(adjustMs), total = Median(totalMs);
            Console.WriteLine($"{name,-52} {a,6:0.0} ms {total,6:0.0} ms   ratio to goal {total / 50:0.00}");
        }
        // Film exposure: the frame is kept inverted at zero exposure; each move is a gain per channel on it.
        session.SetRecipe(session.Recipe with { Adjust = new(), Film = new Core.Film.FilmOptions { Enabled = true } });
        var film = new List<double>();
        for (int i = 0; i < 16; i++)
        {
            session.SetRecipe(session.Recipe with { Film = session.Recipe.Film with { ExposureEv = 0.1 * (i % 6) } });
            var t = Stopwatch.StartNew();
            session.PreviewAsync(file, Look.Edit).GetAwaiter().GetResult();
            if (i > 0) film.Add(t.Elapsed.TotalMilliseconds);
        }
        Console.WriteLine($"{"film exposure (negative mode; gain on the kept inverted frame)",-52} {"",9} {Median(film),6:0.0} ms   ratio to goal {Median(film) / 50:0.00}");
        return 0;
    }

    private static double Median(List<double> v) { v.Sort(); return v[v.Count / 2]; }
}
