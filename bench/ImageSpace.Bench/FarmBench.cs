using System.Diagnostics;
using ImageSpace.Core.Batch;
using ImageSpace.Core.Export;
using ImageSpace.Core.Pipeline;
using ImageSpace.Core.Synthetic;
using ImageSpace.Farm;
using ImageSpace.Tests;

namespace ImageSpace.Bench;

/// <summary>`farm`: a PostgreSQL cluster on loopback, the coordinator in this process, worker processes of 1 thread.
/// Throughput of one worker against two on the same batch (goal ≥ 1.8×), and the time from `kill -9` of a worker
/// mid-image to that image starting again on the other (invisibility timeout 10 s here; 30 s by default).</summary>
public static class FarmBench
{
    private const int InvisibilitySeconds = 10;

    public static int Run(string[] args)
    {
        int n = args.Length > 1 && int.TryParse(args[1], out var k) ? k : 24;
        using var pg = new LocalPostgres();
        string tmp = Directory.CreateTempSubdirectory("imagespace-farmbench-").FullName;
        try
        {
            Console.WriteLine($"Writing {n} synthetic 4000x3000 DNGs ...");
            Directory.CreateDirectory(Path.Combine(tmp, "in"));
            Directory.CreateDirectory(Path.Combine(tmp, "warm"));
            for (int i = 0; i < n; i++)
                SyntheticDng.Write(Path.Combine(tmp, "in", $"frame_{i + 1:00}.dng"), new SceneParameters
                {
                    Width = 4000, Height = 3000, PatchPitch = 200, RotationDeg = 7 * i, HasChart = i % 2 == 0, Seed = i + 1,
                }, new DngInfo { Gps = (46.0, 7.0, 500) });
            for (int i = 0; i < 4; i++) File.Copy(Path.Combine(tmp, "in", $"frame_{i + 1:00}.dng"), Path.Combine(tmp, "warm", $"warm_{i + 1:00}.dng"));
            var coordinator = FarmCoordinator.StartAsync(new CoordinatorOptions
            {
                Db = pg.ConnectionString, Listen = "127.0.0.1:0", Invisibility = TimeSpan.FromSeconds(InvisibilitySeconds),
            }).GetAwaiter().GetResult();
            using var client = new FarmClient(coordinator.Url);
            Console.WriteLine($"{Environment.ProcessorCount} cores; JPEG q95 with metadata; workers of 1 thread each");
            double one = Batch(client, pg, tmp, "one", 1, n, kill: false).seconds;
            double two = Batch(client, pg, tmp, "two", 2, n, kill: false).seconds;
            Console.WriteLine($"  1 worker : {one,6:0.0} s  {n / one * 60,6:0.0} images/min");
            Console.WriteLine($"  2 workers: {two,6:0.0} s  {n / two * 60,6:0.0} images/min");
            Console.WriteLine($"  scaling  : {one / two:0.00}x  (goal ≥ 1.8)");
            for (int r = 0; r < 2; r++)
            {
                var (s, restart) = Batch(client, pg, tmp, $"kill{r}", 2, n, kill: true);
                Console.WriteLine($"  kill -9 of a worker mid-image: the image restarted on the other worker {restart:0.0} s later " +
                                  $"(invisibility {InvisibilitySeconds} s); batch {s:0.0} s, every output written once");
            }
            coordinator.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        finally { Directory.Delete(tmp, true); }
        return 0;
    }

    private static (double seconds, double restart) Batch(FarmClient client, LocalPostgres pg, string tmp, string name, int workers, int n, bool kill)
    {
        var procs = Enumerable.Range(1, workers).Select(i => StartWorker(pg.ConnectionString, $"{name}-w{i}")).ToList();
        try
        {
            // Warm-up: a worker's first image costs ~2 s more (first-touch page faults of its pixel buffers, exiftool
            // starting); a farm amortises that over thousands of images, so it is kept out of the throughput.
            Thread.Sleep(2000);
            var jpg = new Recipe { Export = new ExportOptions { Format = "jpg" } };
            var warm = client.SubmitAsync(new PlanResolver().Resolve([Path.Combine(tmp, "warm")], Path.Combine(tmp, name + "-warm"), jpg).Plan).GetAwaiter().GetResult();
            while (!client.ProgressAsync(warm.Id).GetAwaiter().GetResult().Finished) Thread.Sleep(200);
            var sw = Stopwatch.StartNew();
            var batch = client.SubmitAsync(new PlanResolver().Resolve([Path.Combine(tmp, "in")], Path.Combine(tmp, name), jpg).Plan).GetAwaiter().GetResult();
            double restart = double.NaN;
            int? killed = null;
            DateTime killedAt = default;
            var seenOnW1 = new HashSet<int>();
            while (true)
            {
                var p = client.ProgressAsync(batch.Id).GetAwaiter().GetResult();
                var onW1 = p.Items!.Where(i => i.Status == "running" && i.Worker == $"{name}-w1").Select(i => i.Index).ToList();
                // Kill w1 just after it started an image (not just after it finished one), and follow that image.
                if (kill && killed is null && p.Done >= 2 && onW1.FirstOrDefault(i => !seenOnW1.Contains(i), -1) is var fresh and >= 0)
                {
                    procs[0].Kill();
                    killedAt = DateTime.UtcNow;
                    killed = fresh;
                }
                seenOnW1.UnionWith(onW1);
                if (killed is { } ki && double.IsNaN(restart) && p.Items![ki].Worker == $"{name}-w2") restart = (DateTime.UtcNow - killedAt).TotalSeconds;
                if (p.Finished)
                {
                    if (p.Failed > 0) throw new InvalidOperationException($"{p.Failed} image(s) failed");
                    int outputs = Directory.GetFiles(Path.Combine(tmp, name), "*", SearchOption.AllDirectories).Length;
                    if (outputs != n) throw new InvalidOperationException($"{outputs} files for {n} images");
                    return (sw.Elapsed.TotalSeconds, restart);
                }
                Thread.Sleep(kill && killed is null ? 50 : 250);
            }
        }
        finally
        {
            foreach (var p in procs) { try { if (!p.HasExited) p.Kill(true); } catch (InvalidOperationException) { } p.WaitForExit(); p.Dispose(); }
        }
    }

    private static Process StartWorker(string db, string name)
    {
        var psi = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet") psi.ArgumentList.Add(typeof(FarmBench).Assembly.Location);
        foreach (var a in new[] { "--farm-worker", db, name }) psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    /// <summary>The child: one farm worker of 1 thread until killed.</summary>
    public static int Worker(string[] args)
    {
        using var worker = new FarmWorker(new WorkerOptions { Db = args[1], Name = args[2], Threads = 1, Invisibility = TimeSpan.FromSeconds(InvisibilitySeconds) });
        Thread.Sleep(Timeout.Infinite);
        return 0;
    }
}
