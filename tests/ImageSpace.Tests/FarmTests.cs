using System.Diagnostics;
using System.Net;
using System.Text.Json;
using ImageSpace.Core.Batch;
using ImageSpace.Core.Pipeline;
using ImageSpace.Core.Synthetic;
using ImageSpace.Farm;
using Xunit.Abstractions;

namespace ImageSpace.Tests;

/// <summary>Farm pieces in one process with in-memory storage (one farm worker per process: these run one at a time).</summary>
[Collection("farm")]
public class FarmTests(ITestOutputHelper log)
{
    private static async Task<FarmClient.Progress> WaitFinished(FarmClient client, string id, TimeSpan limit)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            var p = await client.ProgressAsync(id);
            if (p.Finished) return p;
            if (sw.Elapsed > limit) throw new TimeoutException($"batch {id}: {p.Done} done, {p.Failed} failed, {p.Running} running, {p.Queued} queued after {limit}");
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task In_memory_farm_processes_a_batch_reports_a_bad_file_after_bounded_retries_and_escapes_the_monitor()
    {
        using var dir = new TempDir();
        SampleDataset.Write(dir["data"], null, 600, 400);
        // A broken RAW (truncated DNG) and a name that is markup.
        var good = File.ReadAllBytes(dir["data/turntable_A/objA_0002.dng"]);
        File.WriteAllBytes(dir["data/turntable_A/objA_0009.dng"], good[..4000]);
        // (< and > are refused in output names, which must be valid on Windows too; & and ' are allowed.)
        File.Copy(dir["data/turntable_B/objB_0002.dng"], dir["data/turntable_B/objB_a&b'onmouseover='x.dng"]);
        await using var farm = await FarmCoordinator.StartAsync(new CoordinatorOptions { Db = FarmStorage.MemoryDb, Listen = "127.0.0.1:0", LocalThreads = 2 });
        using var client = new FarmClient(farm.Url);
        var batch = await client.SubmitAsync(FarmPlans.Of(dir["data"], dir["out"], new Recipe { Export = new ExportOptions { Format = "png" } }));
        Assert.Equal(7, batch.Total);
        var p = await WaitFinished(client, batch.Id, TimeSpan.FromSeconds(120));
        log.WriteLine(string.Join("\n", p.Items!.Select(i => $"{i.Input}: {i.Status} attempt {i.Attempt} {i.Error}")));
        Assert.Equal(6, p.Done);
        Assert.Equal(1, p.Failed);
        var failed = p.Items!.Single(i => i.Status == "failed");
        Assert.Equal("turntable_A/objA_0009.dng", failed.Input);
        // A file that cannot be decoded fails the same way every time: reported after one attempt, not retried.
        Assert.Equal(1, failed.Attempt);
        Assert.False(string.IsNullOrEmpty(failed.Error));
        var outputs = Directory.GetFiles(dir["out"], "*.png", SearchOption.AllDirectories);
        Assert.Equal(6, outputs.Length);
        foreach (var f in outputs) Assert.Equal(600, SixLabors.ImageSharp.Image.Identify(f).Width);
        Assert.Empty(Directory.GetFiles(dir["out"], "*imagespace-tmp*", SearchOption.AllDirectories));

        using var http = TestToken.Client();
        string page = await http.GetStringAsync($"{farm.Url}batches/{batch.Id}");
        Assert.Contains("objB_a&amp;b&#x27;onmouseover=&#x27;x.dng", page);
        Assert.DoesNotContain("b'onmouseover='x", page);
        Assert.Contains("local", page); // the built-in worker's row
        Assert.Contains("turntable_A/objA_0009.dng", page);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"{farm.Url}hangfire")).StatusCode);
    }

    [Fact]
    public async Task Submissions_whose_outputs_leave_the_root_or_exist_are_refused_and_nothing_is_queued()
    {
        using var dir = new TempDir();
        SampleDataset.Write(dir["data"], null, 600, 400);
        await using var farm = await FarmCoordinator.StartAsync(new CoordinatorOptions { Db = FarmStorage.MemoryDb, Listen = "127.0.0.1:0", LocalThreads = 1 });
        using var client = new FarmClient(farm.Url);
        var e = await Assert.ThrowsAsync<ArgumentException>(() => client.SubmitAsync(FarmPlans.Escaping(dir["data"], dir["out"])));
        log.WriteLine(e.Message);
        Assert.Contains("refused", e.Message);
        Directory.CreateDirectory(dir["out/turntable_A"]);
        File.WriteAllText(dir["out/turntable_A/objA_0001.tif"], "an earlier result");
        var exists = await Assert.ThrowsAsync<ArgumentException>(() => client.SubmitAsync(FarmPlans.Of(dir["data"], dir["out"], new Recipe())));
        Assert.Contains("exists", exists.Message);
        Assert.Empty(FarmRecords.AllBatches(farm.Storage));
        Assert.Equal("an earlier result", File.ReadAllText(dir["out/turntable_A/objA_0001.tif"]));
        Assert.False(Directory.Exists(dir["escaped"]));
    }

    [Fact]
    public async Task A_job_run_twice_leaves_one_valid_file_and_clears_a_dead_attempts_temp_file()
    {
        using var dir = new TempDir();
        SampleDataset.Write(dir["data"], null, 600, 400);
        await using var farm = await FarmCoordinator.StartAsync(new CoordinatorOptions { Db = FarmStorage.MemoryDb, Listen = "127.0.0.1:0", LocalThreads = 1 });
        var spec = new FarmJobSpec("b1", 0, new Recipe { Export = new ExportOptions { Format = "jpg" } }.ToJson(), dir["data"], dir["out"],
            "turntable_A/objA_0002.dng", "A/objA_0002.jpg", "turntable_A", null);
        // What a worker killed while writing leaves behind.
        Directory.CreateDirectory(dir["out/A"]);
        File.WriteAllText(dir["out/A/.objA_0002" + Core.Export.AtomicFile.TempMarker + "0123abcd.jpg"], "half");
        new ImageJob().Process(spec, null, CancellationToken.None);
        var first = File.ReadAllBytes(dir["out/A/objA_0002.jpg"]);
        new ImageJob().Process(spec, null, CancellationToken.None); // the same job again (at-least-once delivery)
        Assert.Equal(first, File.ReadAllBytes(dir["out/A/objA_0002.jpg"]));
        Assert.Equal(["objA_0002.jpg"], Directory.GetFiles(dir["out/A"]).Select(f => Path.GetFileName(f)).ToArray());
        Assert.Equal(600, SixLabors.ImageSharp.Image.Identify(dir["out/A/objA_0002.jpg"]).Width);
        Assert.Equal("skipped", FarmRecords.GetItem(farm.Storage, "b1", 0)!.Status);

        // A job naming a path outside its roots is refused by the worker, whatever the database says.
        var evil = spec with { Index = 1, Output = "../../../tmp/imagespace-farm-escape.jpg" };
        // Refused for good (another attempt would be refused the same way): failed at once, not queued for a retry.
        new ImageJob().Process(evil, null, CancellationToken.None);
        Assert.False(File.Exists("/tmp/imagespace-farm-escape.jpg"));
        var refused = FarmRecords.GetItem(farm.Storage, "b1", 1)!;
        Assert.Equal("failed", refused.Status);
        Assert.Contains("leaves the batch's root", refused.Error);
    }

    [Fact]
    public void A_remote_database_needs_a_verified_tls_connection()
    {
        // Refused before any connection is tried (nothing here reaches the network).
        var require = Assert.Throws<ArgumentException>(() => FarmStorage.Open("Host=db.invalid;Database=f;Username=u;SSL Mode=Require"));
        Assert.Contains("VerifyFull", require.Message);
        Assert.Throws<ArgumentException>(() => FarmStorage.Open("Host=db.invalid;Database=f;Username=u"));
    }

    [Fact]
    public async Task The_coordinator_needs_its_token_on_every_interface()
    {
        await using var farm = await FarmCoordinator.StartAsync(new CoordinatorOptions { Db = FarmStorage.MemoryDb, Listen = "0.0.0.0:0", Token = "farm-secret", LocalThreads = 1, AllowPlaintextHttp = true });
        int port = new Uri(farm.Url).Port;
        using var http = TestToken.Client();
        foreach (var path in new[] { "/", "/api/batches", "/hangfire" })
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync($"http://127.0.0.1:{port}{path}")).StatusCode);
        var post = await http.PostAsync($"http://127.0.0.1:{port}/api/batches", new StringContent("{}"));
        Assert.Equal(HttpStatusCode.Unauthorized, post.StatusCode);
        using var bare = new HttpClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await bare.GetAsync($"http://127.0.0.1:{port}/api/batches")).StatusCode);
        using var withToken = new FarmClient($"http://127.0.0.1:{port}", "farm-secret");
        var e = await Assert.ThrowsAsync<ArgumentException>(() => withToken.SubmitAsync(FarmPlans.Of("/nonexistent", "/tmp/x", new Recipe())));
        Assert.DoesNotContain("401", e.Message); // admitted, then refused for its content
    }

    [Fact]
    public async Task A_cross_site_post_cannot_queue_a_batch_on_a_loopback_coordinator()
    {
        // Any page in the user's browser can post text/plain or a form to 127.0.0.1: refused, nothing queued.
        using var http = TestToken.Client();
        await using var local = await FarmCoordinator.StartAsync(new CoordinatorOptions { Db = FarmStorage.MemoryDb, Listen = "127.0.0.1:0", LocalThreads = 1 });
        var forged = await http.PostAsync($"{local.Url}api/batches", new StringContent("{\"inputs\":[\"/tmp\"],\"output\":\"/tmp/x\"}", System.Text.Encoding.UTF8, "text/plain"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, forged.StatusCode);
        Assert.Empty(FarmRecords.AllBatches(local.Storage));
    }

    [Fact]
    public async Task The_UI_submits_to_the_farm_and_follows_its_progress()
    {
        using var dir = new TempDir();
        SampleDataset.Write(dir["data"], null, 600, 400);
        await using var farm = await FarmCoordinator.StartAsync(new CoordinatorOptions { Db = FarmStorage.MemoryDb, Listen = "127.0.0.1:0", LocalThreads = 1 });
        await using var ui = await Web.UiServer.StartAsync(new Web.UiOptions
        {
            Folders = [dir["data"]], SettingsPath = dir["ui.json"], ThumbCacheDir = dir["thumbs"], FarmLinks = (url, token) => new FarmClient(url, token),
        });
        using var http = TestToken.Client(ui.Url);
        var recipe = new Recipe { Export = new ExportOptions { Format = "jpg" }, Naming = new NamingOptions { Schema = "[s]/farm_[n4][e]" } };
        (await http.PutAsync("/api/recipe", new StringContent(recipe.ToJson(), System.Text.Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
        var start = await http.PostAsync("/api/process", new StringContent(JsonSerializer.Serialize(new { path = dir["data/out"], farm = farm.Url }), System.Text.Encoding.UTF8, "application/json"));
        Assert.True(start.IsSuccessStatusCode, await start.Content.ReadAsStringAsync());
        // The page's event stream: one "file" event per image, then "end".
        using var stream = await http.GetStreamAsync("/api/events");
        using var reader = new StreamReader(stream);
        var events = new List<JsonElement>();
        var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        while (await reader.ReadLineAsync(cancel.Token) is { } line)
        {
            if (!line.StartsWith("data: ")) continue;
            var e = JsonDocument.Parse(line[6..]).RootElement.Clone();
            events.Add(e);
            if (e.GetProperty("kind").GetString() is "end" or "cancelled") break;
        }
        var files = events.Where(e => e.GetProperty("kind").GetString() == "file").ToList();
        Assert.Equal(5, files.Count);
        Assert.All(files, f => Assert.Equal("done", f.GetProperty("status").GetString()));
        Assert.Contains(files, f => f.GetProperty("file").GetString() == dir["data/turntable_A/objA_0001.dng"]);
        Assert.Equal("end", events[^1].GetProperty("kind").GetString());
        Assert.True(File.Exists(dir["data/out/turntable_B/farm_0002.jpg"]));
        Assert.Single(FarmRecords.AllBatches(farm.Storage));

        // Cancel in the UI cancels on the farm: a second batch, cancelled at once, ends "cancelled" with images dropped.
        (await http.PutAsync("/api/recipe", new StringContent((recipe with { Naming = new NamingOptions { Schema = "[s]/again_[n4][e]" } }).ToJson(),
            System.Text.Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
        (await http.PostAsync("/api/process", new StringContent(JsonSerializer.Serialize(new { path = dir["data/out"], farm = farm.Url }), System.Text.Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
        (await http.PostAsync("/api/cancel", new StringContent("{}", System.Text.Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
        using var stream2 = await http.GetStreamAsync("/api/events");
        using var reader2 = new StreamReader(stream2);
        string? last = null;
        while (last is null && await reader2.ReadLineAsync(cancel.Token) is { } line)
        {
            if (!line.StartsWith("data: ")) continue;
            string? kind = JsonDocument.Parse(line[6..]).RootElement.GetProperty("kind").GetString();
            if (kind is "end" or "cancelled") last = kind;
        }
        Assert.Equal("cancelled", last);
        var second = FarmRecords.AllBatches(farm.Storage).OrderBy(b => b.Info.CreatedUtc).Last();
        log.WriteLine($"second batch: {second.Done} done, {second.Cancelled} cancelled");
        Assert.True(second.Cancelled > 0);
        Assert.Equal(second.Done, Directory.GetFiles(dir["data/out"], "again_*", SearchOption.AllDirectories).Length);
    }

    [Fact]
    public async Task Cancelling_a_batch_drops_the_images_not_started_and_the_rest_finish_whole()
    {
        using var dir = new TempDir();
        for (int s = 0; s < 3; s++) SampleDataset.Write(dir[$"data/s{s}"], null, 1500, 1000);
        await using var farm = await FarmCoordinator.StartAsync(new CoordinatorOptions { Db = FarmStorage.MemoryDb, Listen = "127.0.0.1:0", LocalThreads = 1 });
        using var client = new FarmClient(farm.Url);
        var batch = await client.SubmitAsync(FarmPlans.Of(dir["data"], dir["out"], new Recipe { Export = new ExportOptions { Format = "jpg" } }));
        Assert.Equal(15, batch.Total);
        int cancelled = await client.CancelAsync(batch.Id);
        var p = await WaitFinished(client, batch.Id, TimeSpan.FromSeconds(120));
        log.WriteLine($"cancelled {cancelled}; finished with {p.Done} done, {p.Cancelled} cancelled, {p.Failed} failed");
        Assert.True(cancelled >= 10, $"only {cancelled} of 15 cancelled right after the submission");
        Assert.Equal(cancelled, p.Cancelled);
        Assert.Equal(15, p.Done + p.Cancelled);
        // Exactly the done images have outputs, each complete; the cancelled ones none; no temp files.
        var files = Directory.Exists(dir["out"]) ? Directory.GetFiles(dir["out"], "*", SearchOption.AllDirectories) : [];
        Assert.Equal(p.Done, files.Length);
        foreach (var f in files) Assert.Equal(1500, SixLabors.ImageSharp.Image.Identify(f).Width);
        foreach (var i in p.Items!.Where(i => i.Status == "cancelled")) Assert.False(File.Exists(Path.Combine(dir["out"], i.Output)));
        Assert.Equal(0, await client.CancelAsync(batch.Id)); // nothing left to cancel
    }

    [Fact]
    public void Workers_take_the_big_image_queue_only_with_memory_for_two_big_images()
    {
        using (var small = new FarmWorker(new WorkerOptions { Db = FarmStorage.MemoryDb, Threads = 1, MaxMemoryGb = 2 }))
        {
            Assert.Equal([FarmQueues.Images], small.Queues);
            Assert.Equal(2L << 30, small.Gate.Budget);
        }
        using (var big = new FarmWorker(new WorkerOptions { Db = FarmStorage.MemoryDb, Threads = 2, MaxMemoryGb = 8 }))
            Assert.Equal([FarmQueues.Images, FarmQueues.Big], big.Queues);
        // What the coordinator sends to the big queue: a 100 MP image with denoise is over 3 GB.
        Assert.True(Core.Batch.MemoryGate.EstimateBytes(100_000_000, new Core.Adjust.AdjustOptions { Denoise = 50 }) > FarmQueues.BigImageBytes);
        Assert.True(Core.Batch.MemoryGate.EstimateBytes(24_000_000) < FarmQueues.BigImageBytes);
        Assert.Throws<ArgumentException>(() => new FarmWorker(new WorkerOptions { Db = FarmStorage.MemoryDb, Threads = 0 }));
    }

    [Fact]
    public void A_database_on_another_machine_needs_tls()
    {
        // Refused before any connection is tried (.invalid names never resolve).
        var e = Assert.Throws<ArgumentException>(() => FarmStorage.Open("Host=db.example.invalid;Database=x;Username=u;Password=p"));
        Assert.Contains("SSL Mode", e.Message);
        Assert.Throws<ArgumentException>(() => FarmStorage.Open("Host=db.example.invalid;Database=x;Username=u;Password=p;SSL Mode=Prefer"));
        Assert.Throws<ArgumentException>(() => FarmStorage.Open("not a connection string at all"));
    }

    [Fact]
    public void Path_maps_translate_roots_and_refuse_escapes()
    {
        var map = new PathMap(["/mnt/studio=/Volumes/studio", "/mnt/studio/raw=/data/raw"]);
        Assert.Equal("/data/raw/set1", map.MapRoot("/mnt/studio/raw/set1"));
        Assert.Equal("/Volumes/studio/out", map.MapRoot("/mnt/studio/out"));
        Assert.Equal("/elsewhere", map.MapRoot("/elsewhere"));
        Assert.Equal("/Volumes/studio/out/a/b.jpg", map.Resolve("/mnt/studio/out", "a/b.jpg", "output"));
        Assert.Throws<UnauthorizedAccessException>(() => map.Resolve("/mnt/studio/out", "../secret.jpg", "output"));
        Assert.Throws<UnauthorizedAccessException>(() => map.Resolve("/mnt/studio/out", "/etc/passwd", "output"));
        Assert.Throws<ArgumentException>(() => new PathMap(["nonsense"]));
    }
}

/// <summary>The real thing: PostgreSQL started from apt's binaries on a loopback port, a coordinator and two worker
/// processes of the built `imagespace`, 30 images, one worker killed by its PID mid-batch, then a database outage.</summary>
[Collection("farm")]
public class FarmClusterTests(ITestOutputHelper log)
{
    internal static Process Start(string name, List<string> output, params string[] args)
    {
        // `dotnet imagespace.dll` is one process (the host runs the app in it), so its PID is the worker's.
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "imagespace.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.Add($"[{name}] {e.Data}"); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.Add($"[{name}] {e.Data}"); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    [SkippableFact]
    public async Task Two_workers_process_30_images_exactly_once_when_one_is_killed_mid_batch()
    {
        Skip.If(LocalPostgres.FindBin() is null, "PostgreSQL is not installed (apt postgresql); .ci/run installs it");
        using var pg = new LocalPostgres();
        using var dir = new TempDir();
        for (int s = 0; s < 6; s++) SampleDataset.Write(dir[$"data/set{s}"], null, 1500, 1000);
        foreach (var truth in Directory.GetFiles(dir["data"], "truth.json", SearchOption.AllDirectories)) File.Delete(truth);
        var output = new List<string>();
        var procs = new List<Process>();
        int port = LocalPostgres.FreePort();
        string url = $"http://127.0.0.1:{port}";
        try
        {
            procs.Add(Start("coordinator", output, "farm", "serve", "--db", pg.ConnectionString, "--listen", $"127.0.0.1:{port}", "--invisibility-timeout", "5",
                "--input-root", dir["data"], "--output-root", dir.Path));
            var w1 = Start("w1", output, "farm", "worker", "--db", pg.ConnectionString, "--threads", "1", "--name", "w1", "--invisibility-timeout", "5");
            var w2 = Start("w2", output, "farm", "worker", "--db", pg.ConnectionString, "--threads", "1", "--name", "w2", "--invisibility-timeout", "5");
            procs.AddRange([w1, w2]);
            using var http = TestToken.Client();
            for (int i = 0; i < 100; i++)
            {
                try { if ((await http.GetAsync($"{url}/api/workers")).IsSuccessStatusCode) break; } catch (HttpRequestException) { }
                await Task.Delay(200);
            }
            // A submission whose outputs escape the root is refused by the coordinator before anything is queued.
            using (var direct = new FarmClient(url))
            {
                var refused = await Assert.ThrowsAsync<ArgumentException>(() => direct.SubmitAsync(FarmPlans.Escaping(dir["data"], dir["out"])));
                Assert.Contains("refused", refused.Message);
                Assert.Equal(0, JsonDocument.Parse(await http.GetStringAsync($"{url}/api/batches")).RootElement.GetArrayLength());
            }

            var submit = Start("submit", output, "process", dir["data"], "-o", dir["out"], "--format", "jpg", "--farm", url, "--json");
            procs.Add(submit);
            // Kill w1 by its PID while it is processing an image: right after it started one (a poll is 100 ms, an
            // image ~0.5 s), so the kill lands mid-image rather than just after w1 finished it.
            string? batch = null;
            DateTime killedAt = default;
            bool killed = false;
            var runningOnW1 = new HashSet<int>();
            var sw = Stopwatch.StartNew();
            async Task<JsonElement> Items() => JsonDocument.Parse(await http.GetStringAsync($"{url}/api/batches/{batch}")).RootElement.GetProperty("items");
            static IEnumerable<int> OnW1(JsonElement items) => items.EnumerateArray()
                .Where(i => i.GetProperty("status").GetString() == "running" && i.GetProperty("worker").GetString() == "w1").Select(i => i.GetProperty("index").GetInt32());
            while (!killed && sw.Elapsed < TimeSpan.FromSeconds(120))
            {
                await Task.Delay(100);
                var batches = JsonDocument.Parse(await http.GetStringAsync($"{url}/api/batches")).RootElement;
                if (batches.GetArrayLength() == 0) continue;
                batch = batches[0].GetProperty("id").GetString();
                var items = await Items();
                int done = items.EnumerateArray().Count(x => x.GetProperty("status").GetString() == "done");
                var now = OnW1(items).ToList();
                if (done >= 2 && now.Any(i => !runningOnW1.Contains(i)))
                {
                    w1.Kill();
                    killedAt = DateTime.UtcNow;
                    killed = true;
                }
                runningOnW1 = [.. now];
            }
            Assert.True(killed, "w1 never started an image");
            // What w1 was doing when it died stays "running on w1" (a dead worker reports nothing) until another takes it.
            await Task.Delay(500);
            var interrupted = OnW1(await Items()).ToList();
            Assert.NotEmpty(interrupted);
            int killedIndex = interrupted[0];
            // The killed image runs again on w2 once the dead worker's fetch is seen as abandoned (5 s here; on a slow
            // machine later, as w2 may first take the jobs nobody has fetched yet).
            double restartSeconds = double.NaN;
            while (sw.Elapsed < TimeSpan.FromSeconds(240))
            {
                var item = (await Items())[killedIndex];
                if (item.GetProperty("worker").GetString() == "w2") { restartSeconds = (DateTime.UtcNow - killedAt).TotalSeconds; break; }
                await Task.Delay(100);
            }
            // And the database goes away for a few seconds: workers, coordinator and the following CLI carry on.
            var outage = Stopwatch.StartNew();
            pg.Restart(TimeSpan.FromSeconds(3));
            log.WriteLine($"PostgreSQL was down for {outage.Elapsed.TotalSeconds:0.0} s mid-batch");
            // Right after the restart every pooled connection of the coordinator is a dead socket: reads still answer.
            using (var after = await http.GetAsync($"{url}/api/batches/{batch}"))
                Assert.True(after.IsSuccessStatusCode, $"{(int)after.StatusCode}: {await after.Content.ReadAsStringAsync()}");
            Assert.True(submit.WaitForExit(240_000), "the batch did not finish");
            submit.WaitForExit();
            lock (output) log.WriteLine(string.Join("\n", output.Where(l => !l.Contains("\"progress\""))));
            log.WriteLine($"w1 killed while processing image {killedIndex}; it restarted on w2 {restartSeconds:0.0} s later");
            Assert.Equal(0, submit.ExitCode);
            Assert.False(double.IsNaN(restartSeconds), $"image {killedIndex}, killed on w1, never ran again on w2");
            Assert.InRange(restartSeconds, 0.5, 180);

            var files = Directory.GetFiles(dir["out"], "*", SearchOption.AllDirectories);
            Assert.Equal(30, files.Length); // exactly once: no temp files, no duplicates
            Assert.All(files, f => Assert.EndsWith(".jpg", f));
            Assert.Equal(30, files.Select(f => Path.GetRelativePath(dir["out"], f)).Distinct().Count());
            foreach (var f in files)
            {
                using var img = SixLabors.ImageSharp.Image.Load(f);
                Assert.Equal((1500, 1000), (img.Width, img.Height));
            }
            var final = JsonDocument.Parse(await http.GetStringAsync($"{url}/api/batches/{batch}")).RootElement;
            Assert.Equal(30, final.GetProperty("done").GetInt32());
            var monitor = await http.GetStringAsync(url + "/");
            Assert.Contains("w2", monitor);
        }
        finally
        {
            foreach (var p in procs) { try { if (!p.HasExited) p.Kill(true); } catch (InvalidOperationException) { } p.Dispose(); }
        }
    }
}

[CollectionDefinition("farm", DisableParallelization = true)]
public class FarmCollection;

/// <summary>Plans for farm submissions.</summary>
internal static class FarmPlans
{
    /// <summary>The plan the CLI or the UI would submit.</summary>
    public static RenderPlan Of(string input, string output, Recipe recipe) => new PlanResolver().Resolve([input], output, recipe).Plan;

    /// <summary>A forged plan whose first output escapes the output folder (a client that skipped the local checks).</summary>
    public static RenderPlan Escaping(string input, string output)
    {
        var p = Of(input, output, new Recipe());
        return p with { Images = [p.Images[0] with { Output = Path.GetFullPath(Path.Combine(output, "../../x/escaped.tif")) }, .. p.Images[1..]] };
    }
}
