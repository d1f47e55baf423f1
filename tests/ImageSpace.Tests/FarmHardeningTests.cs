using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ImageSpace.Core.Pipeline;
using ImageSpace.Core.Synthetic;
using ImageSpace.Farm;
using ImageSpace.Hosting;
using Xunit.Abstractions;

namespace ImageSpace.Tests;

/// <summary>Issue 15 on the farm: the coordinator's roots, HTTPS, whole batches, outages, stopping workers, one run per
/// output folder, the monitor's numbers.</summary>
[Collection("farm")]
public class FarmHardeningTests(ITestOutputHelper log)
{
    private static int FreePort() => LocalPostgres.FreePort();

    [Fact]
    public async Task The_coordinator_refuses_inputs_and_outputs_outside_its_roots_with_links_resolved()
    {
        using var dir = new TempDir();
        SampleDataset.Write(dir["in"], null, 600, 400);
        SampleDataset.Write(dir["other"], null, 600, 400);
        Directory.CreateDirectory(dir["private"]);
        File.Copy(dir["other/turntable_A/objA_0002.dng"], dir["private/secret.dng"]);
        // A link inside the input root to a file outside it, and a linked folder inside the output root leading out.
        File.CreateSymbolicLink(dir["in/turntable_A/secret.dng"], dir["private/secret.dng"]);
        Directory.CreateDirectory(dir["out"]);
        Directory.CreateDirectory(dir["elsewhere"]);
        File.CreateSymbolicLink(dir["out/linked"], dir["elsewhere"]);
        await using var farm = await FarmCoordinator.StartAsync(new CoordinatorOptions
        {
            Db = FarmStorage.MemoryDb, Listen = "127.0.0.1:0", LocalThreads = 1, InputRoots = [dir["in"]], OutputRoots = [dir["out"]],
        });
        using var client = new FarmClient(farm.Url);

        var input = await Assert.ThrowsAsync<ArgumentException>(() => client.SubmitAsync(FarmPlans.Of(dir["other"], dir["out"], new Recipe())));
        log.WriteLine(input.Message);
        Assert.Contains($"input {dir["other/turntable_A/objA_0001.dng"]} is outside the coordinator's input roots ({dir["in"]})", input.Message);

        var output = await Assert.ThrowsAsync<ArgumentException>(() => client.SubmitAsync(FarmPlans.Of(dir["in"], dir["elsewhere"], new Recipe())));
        Assert.Contains("is outside the coordinator's output roots", output.Message);
        var linkedOut = await Assert.ThrowsAsync<ArgumentException>(() => client.SubmitAsync(FarmPlans.Of(dir["in"], dir["out/linked"], new Recipe())));
        Assert.Contains($"output {dir["elsewhere"]}/", linkedOut.Message); // named by where it really lands

        // A forged plan naming the link (the local scan would have refused it): refused by its real path.
        var plan = FarmPlans.Of(dir["in"], dir["out"], new Recipe());
        var forged = plan with { Images = [.. plan.Images, plan.Images[0] with { Input = dir["in/turntable_A/secret.dng"], Output = dir["out/turntable_A/secret.tif"] }] };
        var link = await Assert.ThrowsAsync<ArgumentException>(() => client.SubmitAsync(forged));
        Assert.Contains($"input {dir["private/secret.dng"]} is outside", link.Message);
        Assert.Contains("1 file(s) refused; nothing was queued", link.Message);
        Assert.Empty(FarmRecords.AllBatches(farm.Storage));

        // Inside both roots: queued.
        var ok = await client.SubmitAsync(plan);
        Assert.Equal(5, ok.Total);
    }

    [Fact]
    public void A_worker_compares_real_paths_so_a_link_above_the_file_or_the_file_itself_cannot_lead_out()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["root/real/deep"]);
        Directory.CreateDirectory(dir["outside/deep"]);
        File.WriteAllText(dir["outside/secret.dng"], "private");
        File.WriteAllText(dir["outside/deep/x.dng"], "private");
        File.CreateSymbolicLink(dir["root/up"], dir["outside"]);                     // a folder two levels above the file
        File.CreateSymbolicLink(dir["root/real/file.dng"], dir["outside/secret.dng"]); // the file itself
        File.CreateSymbolicLink(dir["root/inside"], dir["root/real"]);                // a link that stays inside: fine
        var map = new PathMap([]);
        var above = Assert.Throws<UnauthorizedAccessException>(() => map.Resolve(dir["root"], "up/deep/x.dng", "input"));
        Assert.Contains($"leads out of the batch's root through a link (to {dir["outside/deep/x.dng"]})", above.Message);
        Assert.Throws<UnauthorizedAccessException>(() => map.Resolve(dir["root"], "real/file.dng", "input"));
        Assert.Throws<UnauthorizedAccessException>(() => map.Resolve(dir["root"], "up/new/out.jpg", "output")); // to be created through the link
        Assert.Equal(dir["root/inside/deep/new.jpg"], map.Resolve(dir["root"], "inside/deep/new.jpg", "output"));

        // A worker's own roots hold whatever root a job names (a job forged in the database naming "/").
        var fenced = new PathMap([], [dir["root/real"]]);
        Assert.Equal(dir["root/real/deep/a.jpg"], fenced.Resolve(dir["root/real"], "deep/a.jpg", "output"));
        var forged = Assert.Throws<UnauthorizedAccessException>(() => fenced.Resolve("/", dir["outside/secret.dng"][1..], "input"));
        Assert.Contains($"input {dir["outside/secret.dng"]} is outside this worker's --root folders ({dir["root/real"]})", forged.Message);
    }

    private static (string pfx, string der) SelfSignedCertificate(TempDir dir, string password)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=imagespace-farm-test", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllBytes(dir["farm.pfx"], cert.Export(X509ContentType.Pfx, password));
        File.WriteAllBytes(dir["farm.cer"], cert.Export(X509ContentType.Cert));
        return (dir["farm.pfx"], dir["farm.cer"]);
    }

    [Fact]
    public async Task The_coordinator_serves_https_with_its_certificate_and_refuses_plain_http_beyond_loopback()
    {
        // Beyond loopback, plain HTTP would carry the token and every path readable: refused unless asked for.
        var open = Assert.Throws<ArgumentException>(() => new CoordinatorOptions { Db = "memory", Listen = "0.0.0.0:5080" }.Validate());
        Assert.Contains("--https-cert", open.Message);
        new CoordinatorOptions { Db = "memory", Listen = "0.0.0.0:5080", AllowPlaintextHttp = true }.Validate();
        new CoordinatorOptions { Db = "memory", Listen = "127.0.0.1:5080" }.Validate();

        using var dir = new TempDir();
        var (pfx, der) = SelfSignedCertificate(dir, "s3cret");
        var wrong = await Assert.ThrowsAsync<ArgumentException>(() => FarmCoordinator.StartAsync(new CoordinatorOptions
        { Db = FarmStorage.MemoryDb, Listen = "127.0.0.1:0", LocalThreads = 1, CertificatePath = pfx, CertificatePassword = "wrong" }));
        Assert.Contains("wrong password", wrong.Message);

        await using var farm = await FarmCoordinator.StartAsync(new CoordinatorOptions
        { Db = FarmStorage.MemoryDb, Listen = "127.0.0.1:0", LocalThreads = 1, CertificatePath = pfx, CertificatePassword = "s3cret" });
        Assert.StartsWith("https://127.0.0.1:", farm.Url);
        // A client that trusts this certificate gets through TLS and the token check (then: no such batch).
        using var pinned = new FarmClient(farm.Url, trust: X509CertificateLoader.LoadCertificateFromFile(der));
        var unknown = await Assert.ThrowsAsync<HttpRequestException>(() => pinned.ProgressAsync("nosuchbatch"));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        // One that does not is stopped at the handshake (a self-signed certificate proves nothing to it).
        using var untrusting = new FarmClient(farm.Url);
        var handshake = await Assert.ThrowsAsync<HttpRequestException>(() => untrusting.ProgressAsync("nosuchbatch"));
        Assert.Null(handshake.StatusCode);
        Assert.IsType<System.Security.Authentication.AuthenticationException>(handshake.InnerException);
        // Plain HTTP to the HTTPS port gets no answer of the API.
        using var http = TestToken.Client();
        HttpStatusCode? plain = null;
        try { plain = (await http.GetAsync(farm.Url.Replace("https://", "http://") + "api/batches")).StatusCode; }
        catch (HttpRequestException) { }
        Assert.NotEqual(HttpStatusCode.OK, plain);
    }

    [Fact]
    public async Task A_resent_submission_finds_its_batch_and_every_item_is_queued_with_its_job()
    {
        using var dir = new TempDir();
        SampleDataset.Write(dir["data"], null, 600, 400);
        await using var farm = await FarmCoordinator.StartAsync(new CoordinatorOptions { Db = FarmStorage.MemoryDb, Listen = "127.0.0.1:0", LocalThreads = 1 });
        using var client = new FarmClient(farm.Url);
        var plan = FarmPlans.Of(dir["data"], dir["out"], new Recipe { Export = new ExportOptions { Format = "jpg" } });
        string id = FarmClient.NewBatchId();
        var first = await client.SubmitAsync(plan, id);
        var again = await client.SubmitAsync(plan, id); // the answer to the first was lost: sent again
        Assert.Equal(id, first.Id);
        Assert.Equal(id, again.Id);
        Assert.Single(FarmRecords.AllBatches(farm.Storage));
        // Whole: every item has its job, and every job is past creation (enqueued, or already taken).
        var jobs = FarmRecords.JobIds(farm.Storage, id);
        Assert.Equal(Enumerable.Range(0, 5), jobs.Keys.Order());
        using (var c = farm.Storage.GetConnection())
            foreach (var jobId in jobs.Values)
                Assert.Contains(c.GetStateData(jobId)?.Name, new[] { "Enqueued", "Processing", "Succeeded" });
        var bad = await Assert.ThrowsAsync<ArgumentException>(() => client.SubmitAsync(plan, "../x"));
        Assert.Contains("is not 6 to 32 lower-case letters and digits", bad.Message);
    }

    /// <summary>A running coordinator process, its output collected.</summary>
    private static Process Coordinator(List<string> output, string db, int port, string inputRoot, string outputRoot) =>
        FarmClusterTests.Start("coordinator", output, "farm", "serve", "--db", db, "--listen", $"127.0.0.1:{port}",
            "--input-root", inputRoot, "--output-root", outputRoot);

    private static async Task WaitUp(string url)
    {
        using var http = TestToken.Client();
        for (int i = 0; i < 150; i++)
        {
            try { if ((await http.GetAsync($"{url}/api/workers")).IsSuccessStatusCode) return; } catch (HttpRequestException) { }
            await Task.Delay(200);
        }
        throw new TimeoutException($"{url} did not come up");
    }

    private static long Count(string connection, string sql)
    {
        using var c = new Npgsql.NpgsqlConnection(connection);
        c.Open();
        using var cmd = new Npgsql.NpgsqlCommand(sql, c);
        return Convert.ToInt64(cmd.ExecuteScalar());
    }

    [SkippableFact]
    public async Task A_coordinator_killed_mid_submission_leaves_no_half_batch_and_the_resent_batch_is_whole()
    {
        Skip.If(LocalPostgres.FindBin() is null, "PostgreSQL is not installed (apt postgresql); .ci/run installs it");
        using var pg = new LocalPostgres();
        using var dir = new TempDir();
        SampleDataset.Write(dir["data"], null, 300, 200);
        File.Delete(dir["data/truth.json"]);
        // Enough images that the submission takes seconds (one header read and one insert per image).
        var one = dir["data/turntable_A/objA_0002.dng"];
        Directory.CreateDirectory(dir["data/many"]);
        for (int i = 0; i < 400; i++) File.Copy(one, dir[$"data/many/m{i:000}.dng"]);
        Directory.CreateDirectory(dir["out"]);
        var plan = FarmPlans.Of(dir["data"], dir["out"], new Recipe { Export = new ExportOptions { Format = "jpg" } });
        int total = plan.Images.Length;
        var output = new List<string>();
        int port = FreePort();
        string url = $"http://127.0.0.1:{port}";
        var coordinator = Coordinator(output, pg.ConnectionString, port, dir["data"], dir["out"]);
        try
        {
            await WaitUp(url);
            using var client = new FarmClient(url) { Patience = TimeSpan.Zero };
            string id = FarmClient.NewBatchId();
            var submitting = client.SubmitAsync(plan, id);
            // Killed (SIGKILL: nothing of ours runs) once a part of the jobs exist.
            var sw = Stopwatch.StartNew();
            long created = 0;
            while (sw.Elapsed < TimeSpan.FromSeconds(60) && (created = Count(pg.ConnectionString, "SELECT count(*) FROM imagespace.job")) < total / 4)
                await Task.Delay(20);
            coordinator.Kill();
            coordinator.WaitForExit();
            log.WriteLine($"killed with {created} of {total} jobs created, {sw.Elapsed.TotalSeconds:0.0} s into the submission");
            Assert.InRange(created, total / 4, total - 1); // mid-submission, not after it
            await Assert.ThrowsAnyAsync<Exception>(() => submitting);

            // Nothing half: no batch record, nothing in a queue; the jobs made so far are invisible and expire.
            Assert.Equal(0, Count(pg.ConnectionString, "SELECT count(*) FROM imagespace.jobqueue"));
            Assert.Equal(0, Count(pg.ConnectionString, "SELECT count(*) FROM imagespace.job WHERE expireat IS NULL"));
            var storage = FarmStorage.Open(pg.ConnectionString);
            Assert.Empty(FarmRecords.AllBatches(storage));

            // The submitter sends it again under its id: one whole batch.
            coordinator = Coordinator(output, pg.ConnectionString, port, dir["data"], dir["out"]);
            await WaitUp(url);
            var batch = await client.SubmitAsync(plan, id);
            Assert.Equal((id, total), (batch.Id, batch.Total));
            var b = Assert.Single(FarmRecords.AllBatches(storage));
            Assert.Equal(total, b.Queued);
            Assert.Equal(total, FarmRecords.JobIds(storage, id).Count);
            Assert.Equal(total, Count(pg.ConnectionString, "SELECT count(*) FROM imagespace.jobqueue"));
        }
        finally
        {
            try { if (!coordinator.HasExited) coordinator.Kill(true); } catch (InvalidOperationException) { }
            lock (output) log.WriteLine(string.Join("\n", output));
        }
    }

    [Fact]
    public async Task Process_farm_rides_out_a_coordinator_outage_and_reports_the_truth_when_it_lasts_too_long()
    {
        using var dir = new TempDir();
        SampleDataset.Write(dir["data"], null, 1500, 1000);
        int port = FreePort();
        var options = new CoordinatorOptions { Db = FarmStorage.MemoryDb, Listen = $"127.0.0.1:{port}", LocalThreads = 1 };
        var storage = FarmStorage.Open(FarmStorage.MemoryDb); // the queue outlives the coordinator, as a database would
        var farm = await FarmCoordinator.StartAsync(options, storage);
        try
        {
            async Task<(Process cli, List<string> output)> Submit(string outDir, string patience)
            {
                var output = new List<string>();
                var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
                foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "imagespace.dll"), "process", dir["data"], "-o", outDir, "--format", "jpg", "--farm", farm.Url, "--json" })
                    psi.ArgumentList.Add(a);
                psi.Environment[FarmClient.PatienceVariable] = patience;
                var p = Process.Start(psi)!;
                p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.Add(e.Data); };
                p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.Add(e.Data); };
                p.BeginOutputReadLine();
                p.BeginErrorReadLine();
                // Until the batch runs.
                var sw = Stopwatch.StartNew();
                while (sw.Elapsed < TimeSpan.FromSeconds(60) && !FarmRecords.AllBatches(storage).Any(b => b.Info.OutputRoot == outDir && b.Done >= 1))
                    await Task.Delay(100);
                return (p, output);
            }

            // An outage the client's patience (60 s) covers: it carries on and ends as the batch did.
            var (cli, output) = await Submit(dir["out1"], "60");
            await farm.DisposeAsync();
            var outage = Stopwatch.StartNew();
            await Task.Delay(TimeSpan.FromSeconds(6));
            farm = await FarmCoordinator.StartAsync(options, storage);
            outage.Stop();
            Assert.True(cli.WaitForExit(120_000), "process --farm did not finish");
            cli.WaitForExit();
            lock (output) log.WriteLine(string.Join("\n", output.Where(l => !l.Contains("\"progress\""))));
            log.WriteLine($"coordinator away for {outage.Elapsed.TotalSeconds:0.0} s");
            Assert.Equal(0, cli.ExitCode);
            Assert.Equal(5, Directory.GetFiles(dir["out1"], "*.jpg", SearchOption.AllDirectories).Length);
            lock (output) Assert.Contains(output, l => l.StartsWith("warning: ") && l.Contains("unreachable for"));

            // An outage longer than its patience (2 s here; 30 min by default): it says what it knows and leaves, exit 1,
            // no stack trace; the batch itself carries on.
            var (cli2, output2) = await Submit(dir["out2"], "2");
            await farm.DisposeAsync();
            Assert.True(cli2.WaitForExit(60_000), "process --farm did not give up");
            cli2.WaitForExit();
            lock (output2) log.WriteLine(string.Join("\n", output2.Where(l => !l.Contains("\"progress\""))));
            Assert.Equal(1, cli2.ExitCode);
            string all;
            lock (output2) all = string.Join("\n", output2);
            Assert.Matches(@"error: http://127\.0\.0\.1:\d+/: .*\(still unreachable after retrying; patience 2 s, IMAGESPACE_FARM_PATIENCE\); batch \w+ was last seen with \d done, 0 failed, \d running of 5; a coordinator that keeps its queue in PostgreSQL carries on with it", all);
            Assert.DoesNotContain("Unhandled exception", all);
        }
        finally
        {
            await farm.DisposeAsync();
        }
    }

    [SkippableFact]
    public async Task The_coordinator_answers_reads_right_after_the_database_restarted()
    {
        Skip.If(LocalPostgres.FindBin() is null, "PostgreSQL is not installed (apt postgresql); .ci/run installs it");
        using var pg = new LocalPostgres();
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["out"]);
        await using var farm = await FarmCoordinator.StartAsync(new CoordinatorOptions
        {
            Db = pg.ConnectionString, Listen = "127.0.0.1:0", Token = "t0ken-restart", InputRoots = [dir.Path], OutputRoots = [dir.Path],
        });
        using var http = new HttpClient { BaseAddress = new Uri(farm.Url!) };
        http.DefaultRequestHeaders.Add(AccessGuard.Header, "t0ken-restart");
        // Several requests at once leave several connections in the pool; after the restart each one is a dead socket.
        async Task<HttpStatusCode[]> Reads() => await Task.WhenAll(Enumerable.Range(0, 6).Select(async i =>
        {
            using var r = await http.GetAsync(i % 2 == 0 ? "api/batches" : "api/workers");
            return r.StatusCode;
        }));
        Assert.All(await Reads(), s => Assert.Equal(HttpStatusCode.OK, s));
        pg.Restart(TimeSpan.FromSeconds(1));
        Assert.All(await Reads(), s => Assert.Equal(HttpStatusCode.OK, s));

        // While it is down, a read is answered 503 with the reason after a few seconds of trying, not a bare 500.
        pg.Stop();
        var sw = Stopwatch.StartNew();
        using var down = await http.GetAsync("api/batches");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
        Assert.Contains("database is unreachable", await down.Content.ReadAsStringAsync());
        log.WriteLine($"503 after {sw.Elapsed.TotalSeconds:0.0} s with the database down");
        pg.Start();
        Assert.All(await Reads(), s => Assert.Equal(HttpStatusCode.OK, s));
    }

    [SkippableFact]
    public async Task Sigterm_on_a_worker_finishes_its_image_takes_no_new_one_and_exits()
    {
        Skip.If(LocalPostgres.FindBin() is null, "PostgreSQL is not installed (apt postgresql); .ci/run installs it");
        using var pg = new LocalPostgres();
        using var dir = new TempDir();
        SampleDataset.Write(dir["data"], null, 1800, 1200);
        await using var farm = await FarmCoordinator.StartAsync(new CoordinatorOptions { Db = pg.ConnectionString, Listen = "127.0.0.1:0" });
        var output = new List<string>();
        var w1 = FarmClusterTests.Start("w1", output, "farm", "worker", "--db", pg.ConnectionString, "--threads", "1", "--name", "w1", "--stop-grace", "60");
        Process? w2 = null;
        try
        {
            using var client = new FarmClient(farm.Url);
            var batch = await client.SubmitAsync(FarmPlans.Of(dir["data"], dir["out"], new Recipe { Export = new ExportOptions { Format = "jpg" } }));
            // SIGTERM while w1 is in the middle of an image.
            var sw = Stopwatch.StartNew();
            FarmClient.Progress p;
            while (true)
            {
                p = await client.ProgressAsync(batch.Id);
                if (p.Items!.Any(i => i.Status == "running" && i.Worker == "w1")) break;
                Assert.True(sw.Elapsed < TimeSpan.FromSeconds(90), "w1 never started an image");
                await Task.Delay(30);
            }
            var before = p.Items!.Where(i => i.Worker == "w1" && i.Status is "running" or "done").Select(i => i.Index).ToHashSet();
            int running = p.Items!.First(i => i.Status == "running" && i.Worker == "w1").Index;
            using (var kill = Process.Start("kill", ["-TERM", w1.Id.ToString()])) kill.WaitForExit();
            var signalled = Stopwatch.StartNew();
            Assert.True(w1.WaitForExit(90_000), "w1 did not stop");
            w1.WaitForExit();
            log.WriteLine($"w1 stopped {signalled.Elapsed.TotalSeconds:0.0} s after SIGTERM, exit {w1.ExitCode}");
            Assert.Equal(0, w1.ExitCode);

            p = await client.ProgressAsync(batch.Id);
            log.WriteLine(string.Join("\n", p.Items!.Select(i => $"{i.Index} {i.Input}: {i.Status} on {i.Worker}")));
            // The image in progress was finished, whole; nothing was started after the signal; nothing is left "running".
            Assert.Equal("done", p.Items!.Single(i => i.Index == running).Status);
            Assert.True(File.Exists(Path.Combine(dir["out"], p.Items!.Single(i => i.Index == running).Output)));
            var byW1 = p.Items!.Where(i => i.Worker == "w1").Select(i => i.Index).ToHashSet();
            // (One more is tolerated: an image w1 took in the few ms between our last look and the signal.)
            Assert.True(byW1.Except(before).Count() <= 1, $"w1 took {string.Join(", ", byW1.Except(before))} after the signal");
            Assert.DoesNotContain(p.Items!, i => i.Status == "running");
            Assert.True(p.Queued > 0, "nothing was left for another worker");
            Assert.Empty(Directory.GetFiles(dir["out"], "*imagespace-tmp*", SearchOption.AllDirectories));

            // What w1 left is done by another worker, each image once.
            w2 = FarmClusterTests.Start("w2", output, "farm", "worker", "--db", pg.ConnectionString, "--threads", "1", "--name", "w2");
            sw.Restart();
            while (!(p = await client.ProgressAsync(batch.Id)).Finished && sw.Elapsed < TimeSpan.FromSeconds(120)) await Task.Delay(200);
            Assert.Equal(5, p.Done);
            Assert.Equal(5, Directory.GetFiles(dir["out"], "*", SearchOption.AllDirectories).Length);
        }
        finally
        {
            foreach (var w in new[] { w1, w2 }.OfType<Process>()) { try { if (!w.HasExited) w.Kill(true); } catch (InvalidOperationException) { } }
            lock (output) log.WriteLine(string.Join("\n", output));
        }
    }

    [Fact]
    public void Throughput_is_counted_from_the_batch_start_over_a_sliding_window()
    {
        var t0 = new DateTime(2026, 1, 1, 12, 0, 0, DateTimeKind.Utc);
        // Issue 15: two images finishing 0.2 s apart, 5 s after the batch started, read as 547.8 images/min.
        var two = new[] { t0.AddSeconds(5), t0.AddSeconds(5.2) };
        Assert.Equal(2 / (5.2 / 60), Throughput.ImagesPerMinute(two, t0, t0.AddSeconds(6), finished: true), 6);   // 23.1: the whole batch
        Assert.Equal(2 / (10 / 60.0), Throughput.ImagesPerMinute(two, t0, t0.AddSeconds(6), finished: false), 6); // at least 10 s: 12
        // A steady 1 image/s after a slow start (nothing for 5 minutes): the rate now, over the last minute.
        var steady = Enumerable.Range(0, 120).Select(i => t0.AddSeconds(300 + i)).ToArray();
        Assert.Equal(60, Throughput.ImagesPerMinute(steady, t0, t0.AddSeconds(420), finished: false), 6);
        Assert.Equal(120 / (419 / 60.0), Throughput.ImagesPerMinute(steady, t0, t0.AddSeconds(420), finished: true), 6);
        Assert.Equal(0, Throughput.ImagesPerMinute([], t0, t0.AddSeconds(30), finished: false));
    }

    [Fact]
    public void Dead_workers_leave_the_list_after_the_timeout_and_lost_ones_are_marked()
    {
        var storage = FarmStorage.Open(FarmStorage.MemoryDb);
        var now = DateTime.UtcNow;
        FarmRecords.Heartbeat(storage, new WorkerInfo { Name = "alive", HeartbeatUtc = now });
        FarmRecords.Heartbeat(storage, new WorkerInfo { Name = "lost", HeartbeatUtc = now - FarmRecords.LostAfter - TimeSpan.FromSeconds(5) });
        FarmRecords.Heartbeat(storage, new WorkerInfo { Name = "gone", HeartbeatUtc = now - FarmRecords.ForgetAfter - TimeSpan.FromSeconds(5) });
        Assert.Equal(["alive", "lost"], FarmRecords.AllWorkers(storage).Select(w => w.Name));
        Assert.DoesNotContain("gone", storage.GetSet(FarmRecords.Workers)); // its records are deleted, not only hidden
        string page = MonitorPage.Render(FarmRecords.AllWorkers(storage), [], null);
        Assert.Matches(@"<td>lost</td>.*<span class=""lost"">lost \([3-9]\d s\)</span>", page);
        Assert.DoesNotContain("gone", page);
    }

    [Fact]
    public async Task Process_farm_with_skip_existing_reports_kept_outputs_as_skipped_not_done()
    {
        using var dir = new TempDir();
        SampleDataset.Write(dir["data"], null, 600, 400);
        await using var farm = await FarmCoordinator.StartAsync(new CoordinatorOptions { Db = FarmStorage.MemoryDb, Listen = "127.0.0.1:0", LocalThreads = 1 });
        var first = Cli.Run("process", dir["data"], "-o", dir["out"], "--format", "jpg", "--farm", farm.Url);
        Assert.Equal(0, first.ExitCode);
        int n = Directory.GetFiles(dir["out"], "*.jpg", SearchOption.AllDirectories).Length;
        Assert.Matches($@"^{n} done, 0 skipped, 0 failed on the farm \(", first.Stdout.Trim().Split('\n')[^1]);
        var again = Cli.Run("process", dir["data"], "-o", dir["out"], "--format", "jpg", "--farm", farm.Url, "--skip-existing");
        Assert.Equal(0, again.ExitCode);
        Assert.Equal($"0 done, {n} skipped, 0 failed on the farm", again.Stdout.Trim().Split('\n')[^1]);
    }

    [Fact]
    public async Task A_batch_into_a_folder_another_run_is_writing_into_is_refused_farm_or_local()
    {
        using var dir = new TempDir();
        // Frames large enough that the batch (one thread) is still running when the local run below starts.
        for (int s = 0; s < 3; s++) SampleDataset.Write(dir[$"data/s{s}"], null, 3600, 2400);
        await using var farm = await FarmCoordinator.StartAsync(new CoordinatorOptions { Db = FarmStorage.MemoryDb, Listen = "127.0.0.1:0", LocalThreads = 1 });
        using var client = new FarmClient(farm.Url);
        var recipe = new Recipe { Export = new ExportOptions { Format = "jpg" } };
        var first = await client.SubmitAsync(FarmPlans.Of(dir["data"], dir["out"], recipe));
        // A second batch into the same folders while the first runs (other names, so no output exists yet).
        var second = FarmPlans.Of(dir["data"], dir["out"], recipe with { Naming = new NamingOptions { Schema = "[s]/again_[o][e]" } });
        var busy = await Assert.ThrowsAsync<ArgumentException>(() => client.SubmitAsync(second));
        log.WriteLine(busy.Message);
        Assert.Contains($"farm batch {first.Id} is writing into this folder", busy.Message);
        Assert.Single(FarmRecords.AllBatches(farm.Storage));

        // A folder a local `process` run holds.
        using (Core.Export.OutputLock.Acquire([dir["local/turntable_A"]]))
        {
            var local = await Assert.ThrowsAsync<ArgumentException>(() => client.SubmitAsync(FarmPlans.Of(dir["data/s0"], dir["local"], recipe)));
            Assert.Contains("another imagespace run", local.Message);
        }

        // And the other way round: a local run into folders the unfinished batch writes into is refused (the coordinator
        // holds them; a folder the workers just made is held within 2 s).
        var sw = Stopwatch.StartNew();
        while ((await client.ProgressAsync(first.Id)).Done < 1 && sw.Elapsed < TimeSpan.FromSeconds(60)) await Task.Delay(100);
        await Task.Delay(2500);
        Assert.False((await client.ProgressAsync(first.Id)).Finished, "the batch finished before the local run: the test's batch is too short for this machine");
        var run = Cli.Run("process", dir["data"], "-o", dir["out"], "--format", "jpg");
        log.WriteLine(run.Stderr);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("another imagespace run is writing into this folder", run.Stderr);
        Assert.DoesNotContain("done,", run.Stdout);

        await client.CancelAsync(first.Id);
        sw.Restart();
        while (!(await client.ProgressAsync(first.Id)).Finished && sw.Elapsed < TimeSpan.FromSeconds(60)) await Task.Delay(200);
        // Once it is finished the folders are free again, and hold outputs only (no lock file left).
        Assert.Empty(Directory.GetFiles(dir["out"], Core.Export.OutputLock.FileName, SearchOption.AllDirectories));
        Assert.Equal(0, Cli.Run("process", dir["data/s0"], "-o", dir["out/s0"], "--format", "jpg", "--skip-existing").ExitCode);
    }

    [Fact]
    public async Task A_job_sweeps_what_dead_attempts_left_but_not_a_live_runs_temporary_file()
    {
        using var dir = new TempDir();
        SampleDataset.Write(dir["data"], null, 600, 400);
        await using var farm = await FarmCoordinator.StartAsync(new CoordinatorOptions { Db = FarmStorage.MemoryDb, Listen = "127.0.0.1:0", LocalThreads = 1 });
        var spec = new FarmJobSpec("b2", 0, new Recipe { Export = new ExportOptions { Format = "jpg" } }.ToJson(), dir["data"], dir["out"],
            "turntable_A/objA_0002.dng", "A/objA_0002.jpg", "turntable_A", null);
        Directory.CreateDirectory(dir["out/A"]);
        using var live = Process.Start("sleep", "60")!; // another run on this machine, alive
        try
        {
            string Temp(string runId) => dir[$"out/A/.objA_0002{Core.Export.AtomicFile.TempMarker}{runId}.0123.jpg"];
            string liveFile = Temp(Core.Export.RunId.Make(Environment.MachineName, live.Id, Core.Export.RunId.StartTicks(live.Id)!.Value));
            string deadFile = Temp(Core.Export.RunId.Make(Environment.MachineName, live.Id, 1)); // that pid, started at another time: dead
            File.WriteAllText(liveFile, "a live run's");
            File.WriteAllText(deadFile, "a dead attempt's");
            new ImageJob().Process(spec, null, CancellationToken.None);
            Assert.True(File.Exists(liveFile));
            Assert.False(File.Exists(deadFile));
            Assert.True(File.Exists(dir["out/A/objA_0002.jpg"]));
        }
        finally { live.Kill(); }
    }
}
