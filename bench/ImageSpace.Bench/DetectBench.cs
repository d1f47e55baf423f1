using System.Diagnostics;
using ImageSpace.Core.Charts;
using ImageSpace.Core.Synthetic;

namespace ImageSpace.Bench;

/// <summary>Chart detection time on a 24 MP linear image (issue 4 goal: ≤ 300 ms on 2 cores), for a large, a
/// mid-sized and a small chart, and for a chart-free frame (which searches every scale).</summary>
public static class DetectBench
{
    public static int Run()
    {
        Console.WriteLine($"{Environment.ProcessorCount} cores; median of 5 runs after one warm-up");
        foreach (var (name, pitch, hasChart) in new[] { ("large chart (pitch 400 px)", 400.0, true), ("mid chart (pitch 120 px)", 120.0, true), ("small chart (pitch 40 px)", 40.0, true), ("no chart", 100.0, false) })
        {
            var p = new SceneParameters { Width = 6000, Height = 4000, PatchPitch = pitch, RotationDeg = 17, TiltDeg = 20, HasChart = hasChart };
            using var img = SceneInWorkingSpace.Render(ChartScene.Render(p));
            ChartDetection d = ChartDetector.Detect(img);
            var times = new List<double>();
            for (int i = 0; i < 5; i++)
            {
                var sw = Stopwatch.StartNew();
                d = ChartDetector.Detect(img);
                times.Add(sw.Elapsed.TotalMilliseconds);
            }
            times.Sort();
            Console.WriteLine($"{name,-28} {times[2],7:0} ms  found={d.Found}  {d.Note}");
        }
        Console.WriteLine("goal: ≤ 300 ms per 24 MP image with a chart");
        return 0;
    }
}
