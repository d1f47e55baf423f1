using System.Diagnostics;
using ImageSpace.Core.Batch;
using ImageSpace.Core.Pipeline;
using Xunit.Abstractions;

namespace ImageSpace.Tests;

/// <summary>Hostile RAW files do not take a batch down (issue 15): a few hundred copies of the shared DNG/NEF/CR2
/// files with mutated headers or cut short, processed as one batch through the same runner the CLI uses. Every file
/// ends either done (a complete output) or failed with one line naming the reason; a failed file leaves no output and
/// no temporary file. Deterministic: the mutations come from a fixed seed.</summary>
public class FuzzTests(ITestOutputHelper log)
{
    private const int Seed = 1515;

    [SkippableFact]
    public void Mutated_and_truncated_raws_fail_one_by_one_without_stopping_the_batch()
    {
        Skip.If(TestData.Root is null, TestData.MissingReason);
        var sources = Directory.GetFiles(Path.Combine(TestData.Root!, "raw"), "*", SearchOption.AllDirectories)
            .Where(f => Path.GetExtension(f).ToLowerInvariant() is ".dng" or ".nef" or ".cr2").Order(StringComparer.Ordinal).ToList();
        Skip.If(sources.Count == 0, "no DNG/NEF/CR2 files in the shared test data");

        using var dir = new TempDir();
        Directory.CreateDirectory(dir["in"]);
        var rng = new Random(Seed);
        int n = 0;
        var controls = new List<string>();
        var cuts = new Dictionary<string, (int Length, int Full)>();
        foreach (var src in sources)
        {
            byte[] data = File.ReadAllBytes(src);
            string ext = Path.GetExtension(src).ToLowerInvariant();
            string stem = Path.GetFileNameWithoutExtension(src);
            bool large = data.Length > 1 << 20; // a full image: decoding a surviving mutant costs a full decode
            // The untouched file: shows the harness can succeed (a metadata-only file fails, as it should).
            string control = dir[$"in/{stem}-original{ext}"];
            File.WriteAllBytes(control, data);
            controls.Add(control);
            // Truncations: inside the header, and at fractions of the file.
            foreach (int len in new[] { 1, 8, 16, 64, 512, 4096 }.Concat(new[] { 0.05, 0.25, 0.5, 0.9, 0.999 }.Select(f => (int)(data.Length * f))))
                if (len < data.Length)
                {
                    File.WriteAllBytes(dir[$"in/{stem}-cut{len}{ext}"], data[..len]);
                    cuts[dir[$"in/{stem}-cut{len}{ext}"]] = (len, data.Length);
                }
            // Header mutations: random bytes, and 32-bit fields set to the values that break offset/count arithmetic.
            int mutants = large ? 8 : 30;
            int header = Math.Min(data.Length, 64 << 10);
            for (int m = 0; m < mutants; m++)
            {
                byte[] copy = (byte[])data.Clone();
                if (m % 2 == 0)
                {
                    int flips = 1 + rng.Next(8);
                    for (int k = 0; k < flips; k++) copy[rng.Next(header)] = (byte)rng.Next(256);
                }
                else
                {
                    uint value = new uint[] { 0, 0xFFFFFFFF, 0x7FFFFFFF, 0x80000000, 0x0000FFFF, (uint)data.Length }[rng.Next(6)];
                    int at = rng.Next(Math.Max(1, Math.Min(header, 4096) - 4)); // the IFDs live near the start
                    BitConverter.TryWriteBytes(copy.AsSpan(at, 4), value);
                }
                File.WriteAllBytes(dir[$"in/{stem}-mut{m:00}{ext}"], copy);
            }
            n++;
        }

        var recipe = new Recipe
        {
            Decode = new DecodeOptions { Demosaic = DemosaicMode.Half },
            Export = new ExportOptions { Format = "jpg", CopyMetadata = false },
            Naming = new NamingOptions { Schema = "[o][e]" },
        };
        var dataset = DatasetScanner.Scan([dir["in"]], recipe.Grouping);
        var outcome = new PlanResolver().Resolve([dir["in"]], dir["out"], recipe, dataset);
        Assert.Empty(outcome.Refused);
        var plan = outcome.Plan;
        Assert.InRange(plan.Images.Length, 200, 600);

        var previousTimeout = LibRawHelper.Timeout;
        LibRawHelper.Timeout = TimeSpan.FromSeconds(60); // a hung decoder must fail its file, not the test run
        var results = new List<ItemResult>();
        var sw = Stopwatch.StartNew();
        BatchResult batch;
        try { batch = new BatchRunner(plan, threads: 2).Run(r => { lock (results) results.Add(r); }); }
        finally { LibRawHelper.Timeout = previousTimeout; }
        log.WriteLine($"{plan.Images.Length} files from {n} sources: {batch.Done} done, {batch.Failures.Count} failed in {sw.Elapsed.TotalSeconds:0.0} s");

        // Every file got exactly one result, and the batch ran to the end.
        Assert.Equal(plan.Images.Length, results.Count);
        Assert.Equal(plan.Images.Select(i => i.Input).Order(), results.Select(r => r.Item.Input).Order());
        Assert.Equal(plan.Images.Length, batch.Done + batch.Failures.Count);
        Assert.False(batch.Cancelled);
        foreach (var r in results)
        {
            if (r.Status == ItemStatus.Failed)
            {
                Assert.False(string.IsNullOrWhiteSpace(r.Error), r.Item.Input);
                Assert.DoesNotContain('\n', r.Error!);
                Assert.False(File.Exists(r.Item.Output), $"{r.Item.Input} failed but left {r.Item.Output}");
            }
            else
            {
                Assert.Equal(ItemStatus.Done, r.Status);
                Assert.True(OutputValidator.IsComplete(r.Item.Output), $"{r.Item.Output} is incomplete");
            }
        }
        // A file cut to half or less never passes for an image. (Cut near its end, an uncompressed file can: LibRaw
        // reads past the end as zeros without reporting it, and its C API does not tell where the data starts, so
        // the helper can only require the data's own size. Compressed data reports the damage.)
        Assert.All(results.Where(r => cuts.TryGetValue(r.Item.Input, out var c) && c.Length <= c.Full / 2),
            r => Assert.Equal(ItemStatus.Failed, r.Status));
        Assert.Contains(results, r => r.Status == ItemStatus.Done && controls.Contains(r.Item.Input));
        Assert.True(batch.Failures.Count > plan.Images.Length / 2, "most mutants should fail");
        // Nothing but complete outputs: no temporary files, no lock file.
        var left = Directory.Exists(dir["out"]) ? Directory.GetFiles(dir["out"], "*", SearchOption.AllDirectories) : [];
        Assert.DoesNotContain(left, f => Path.GetFileName(f).StartsWith('.'));
        Assert.Equal(batch.Done, left.Length);
    }
}
