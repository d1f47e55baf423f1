using ImageSpace.Core.Batch;
using ImageSpace.Core.Imaging;
using ImageSpace.Core.Pipeline;
using ImageSpace.Core.Synthetic;

namespace ImageSpace.Tests;

public class ParallelismTests
{
    [Fact]
    public void A_changing_degree_reaches_the_loops_started_after_the_change_and_the_scope_restores_the_outer_one()
    {
        int degree = 1;
        using (Parallelism.Use(3))
        {
            using (Parallelism.Use(() => degree))
            {
                Assert.Equal(1, Parallelism.Options.MaxDegreeOfParallelism);
                degree = 2;
                Assert.Equal(2, Parallelism.Options.MaxDegreeOfParallelism);
                // Inherited by the threads and tasks a flow starts (the batch's threads, a loop's workers).
                int inherited = 0;
                var thread = new Thread(() => inherited = Parallelism.MaxDegree);
                thread.Start();
                thread.Join();
                Assert.Equal(2, inherited);
                degree = 0; // a share rounded down to nothing still leaves the loop its own thread
                Assert.Equal(1, Parallelism.MaxDegree);
            }
            Assert.Equal(3, Parallelism.MaxDegree);
        }
        Assert.Equal(Environment.ProcessorCount, Parallelism.MaxDegree);
    }

    [Fact]
    public void A_batch_thread_that_runs_out_of_images_leaves_its_core_to_the_image_still_running()
    {
        using var dir = new TempDir();
        // Thread A gets the two small frames and then has nothing left; thread B is still on the large one.
        var sizes = new[] { (320, 240), (2400, 1600), (320, 240) };
        Directory.CreateDirectory(dir["in"]);
        for (int i = 0; i < sizes.Length; i++)
            SyntheticDng.Write(dir[$"in/f{i + 1}.dng"], new SceneParameters { Width = sizes[i].Item1, Height = sizes[i].Item2, HasChart = false, Seed = i + 1 });
        var recipe = new Recipe { Export = new ExportOptions { Format = "tiff", CopyMetadata = false } };
        var plan = new PlanResolver().Resolve([dir["in"]], dir["out"], recipe).Plan;
        var seen = new Dictionary<string, int>();
        var result = new BatchRunner(plan, threads: 2).Run(r =>
        {
            // Read on the image's own thread, where its loops read it; the large frame waits (at most 10 s) for the
            // other thread to finish its frames.
            var wait = System.Diagnostics.Stopwatch.StartNew();
            bool large = r.Item.Input.EndsWith("f2.dng", StringComparison.Ordinal);
            while (large && Parallelism.MaxDegree < 2 && wait.Elapsed < TimeSpan.FromSeconds(10)) Thread.Sleep(5);
            lock (seen) seen[Path.GetFileName(r.Item.Input)] = Parallelism.MaxDegree;
        });
        Assert.Equal(3, result.Done);
        Assert.Equal(1, seen["f1.dng"]); // both threads had an image: one core each
        Assert.Equal(2, seen["f2.dng"]);
    }
}
