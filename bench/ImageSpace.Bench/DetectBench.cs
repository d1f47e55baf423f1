using System.Diagnostics;
using ImageSpace.Core.Charts;
using ImageSpace.Core.Imaging;
using ImageSpace.Core.Synthetic;

namespace ImageSpace.Bench;

/// <summary>Chart detection time on a 24 MP linear image (issue 4 goal: ≤ 300 ms on 2 cores), for a large, a
/// mid-sized and a small chart, and for chart-free frames (which search every scale), at full size and at the
/// half-size preview a chart scan of every frame works on (issues 13/17 goal: ≤ 500 ms per chart-free 24 MP frame).
/// Wall and CPU time: on a shared machine the CPU time is the steadier of the two.</summary>
public static class DetectBench
{
    public static int Run()
    {
        Console.WriteLine($"{Environment.ProcessorCount} cores; median of 5 runs after one warm-up (wall ms / process CPU ms)");
        var cases = new (string name, double pitch, bool hasChart, bool preview, int seed)[]
        {
            ("large chart (pitch 400 px)", 400, true, false, 0), ("mid chart (pitch 120 px)", 120, true, false, 0),
            ("small chart (pitch 40 px)", 40, true, false, 0),
            ("no chart, 24 MP", 100, false, false, 0), ("no chart, 24 MP, other scene", 100, false, false, 5),
            ("no chart, 24 MP at preview size", 100, false, true, 0), ("mid chart at preview size", 120, true, true, 0),
        };
        foreach (var (name, pitch, hasChart, preview, seed) in cases)
        {
            var p = new SceneParameters { Width = 6000, Height = 4000, PatchPitch = pitch, RotationDeg = 17 + 11 * seed, TiltDeg = 20, HasChart = hasChart, Seed = seed };
            using var full = SceneInWorkingSpace.Render(ChartScene.Render(p));
            using var img = preview ? HalfSize(full) : full.Clone();
            ChartDetection d = ChartDetector.Detect(img);
            var times = new List<(double wall, double cpu)>();
            for (int i = 0; i < 5; i++)
            {
                double cpu0 = Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds;
                var sw = Stopwatch.StartNew();
                d = ChartDetector.Detect(img);
                times.Add((sw.Elapsed.TotalMilliseconds, Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds - cpu0));
            }
            double wall = times.Select(t => t.wall).Order().ElementAt(2), cpu = times.Select(t => t.cpu).Order().ElementAt(2);
            Console.WriteLine($"{name,-34} {wall,7:0} / {cpu,5:0} ms  found={d.Found} confidence={d.Confidence:0.00}  {d.Note}");
        }
        Console.WriteLine("goals: ≤ 300 ms per 24 MP image with a chart; ≤ 500 ms per chart-free 24 MP frame");
        return 0;
    }

    /// <summary>A 2 × 2 box downscale, as a half-size decode gives the preview.</summary>
    private static RgbImage HalfSize(RgbImage img)
    {
        int w = img.Width / 2, h = img.Height / 2;
        var half = new RgbImage(w, h);
        for (int c = 0; c < 3; c++)
        {
            float[] src = img.Plane(c), dst = half.Plane(c);
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    int i = 2 * y * img.Width + 2 * x;
                    dst[y * w + x] = 0.25f * (src[i] + src[i + 1] + src[i + img.Width] + src[i + img.Width + 1]);
                }
        }
        return half;
    }
}
