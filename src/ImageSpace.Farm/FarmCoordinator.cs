using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Hangfire;
using Hangfire.Common;
using Hangfire.Dashboard;
using Hangfire.States;
using ImageSpace.Core.Batch;
using ImageSpace.Core.Export;
using ImageSpace.Core.Pipeline;
using ImageSpace.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ImageSpace.Farm;

public sealed record CoordinatorOptions
{
    public required string Db { get; init; }
    /// <summary>ADDR:PORT; loopback unless a token is given.</summary>
    public string Listen { get; init; } = "127.0.0.1:5080";
    public string? Token { get; init; }
    /// <summary>With in-memory storage no other process can take jobs, so the coordinator runs a worker itself.</summary>
    public int LocalThreads { get; init; } = Environment.ProcessorCount;
    public TimeSpan Invisibility { get; init; } = TimeSpan.FromSeconds(30);
    public bool AllowPlaintextDb { get; init; }
    /// <summary>The folders batches may read from and write to (links resolved on both sides); empty = anywhere the
    /// workers can reach (the CLI's `farm serve` defaults both to the folder it was started in).</summary>
    public IReadOnlyList<string> InputRoots { get; init; } = [];
    public IReadOnlyList<string> OutputRoots { get; init; } = [];
    /// <summary>Serve HTTPS with this certificate (PKCS#12: .pfx/.p12). Its password comes from
    /// <see cref="CertificatePasswordVariable"/> or a file (the CLI), never from the command line.</summary>
    public string? CertificatePath { get; init; }
    public string? CertificatePassword { get; init; }
    /// <summary>Listen beyond loopback over plain HTTP (the token and every path would cross the network readable).</summary>
    public bool AllowPlaintextHttp { get; init; }

    public const string CertificatePasswordVariable = "IMAGESPACE_CERT_PASSWORD";

    public (string host, int port) ParseListen()
    {
        int colon = Listen.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(Listen[(colon + 1)..], out int port) || port is < 0 or > 65535)
            throw new ArgumentException($"--listen '{Listen}' is not ADDR:PORT");
        return (Listen[..colon].Trim('[', ']'), port);
    }

    public void Validate()
    {
        var (host, _) = ParseListen();
        if (CertificatePath is null && !AllowPlaintextHttp && !AccessGuard.IsLoopback(host))
            throw new ArgumentException($"--listen {Listen} is reachable from other machines: serve HTTPS (--https-cert FILE.pfx, its password in " +
                                        $"{CertificatePasswordVariable} or --https-cert-password-file) or pass --allow-plaintext-http on a network you trust");
        if (CertificatePath is not null && !File.Exists(CertificatePath)) throw new ArgumentException($"--https-cert '{CertificatePath}': no such file");
        foreach (var (list, what) in new[] { (InputRoots, "--input-root"), (OutputRoots, "--output-root") })
            foreach (var r in list)
                if (!Directory.Exists(r)) throw new ArgumentException($"{what} '{r}': no such folder");
    }
}

/// <summary>The coordinator: plans submitted batches with the local naming rules, queues one job per image, and
/// serves the monitor page, a JSON API and Hangfire's dashboard.</summary>
public sealed class FarmCoordinator : IAsyncDisposable
{
    public JobStorage Storage { get; }
    public string Url { get; private set; } = "";
    /// <summary>Fires when the host is asked to stop (SIGTERM, Ctrl-C).</summary>
    public CancellationToken Stopping => _app.Lifetime.ApplicationStopping;
    private readonly WebApplication _app;
    private readonly FarmWorker? _localWorker;
    private readonly BackgroundJobClient _client;

    private readonly string[] _inputRoots, _outputRoots;

    private FarmCoordinator(JobStorage storage, WebApplication app, FarmWorker? local, CoordinatorOptions o)
    {
        Storage = storage; _app = app; _localWorker = local;
        _client = new BackgroundJobClient(storage);
        _inputRoots = o.InputRoots.Select(r => RealPath.OfFuture(r)).ToArray();
        _outputRoots = o.OutputRoots.Select(r => RealPath.OfFuture(r)).ToArray();
    }

    /// <param name="storage">an open storage to use instead of <see cref="CoordinatorOptions.Db"/>'s (a coordinator
    /// restarted over the same in-memory queue, as after an outage)</param>
    public static async Task<FarmCoordinator> StartAsync(CoordinatorOptions o, JobStorage? storage = null)
    {
        o.Validate();
        var (host, port) = o.ParseListen();
        storage ??= FarmStorage.Open(o.Db, o.Invisibility, o.AllowPlaintextDb);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"{(o.CertificatePath is null ? "http" : "https")}://{(host.Contains(':') ? $"[{host}]" : host)}:{port}");
        if (o.CertificatePath is not null)
        {
            X509Certificate2 certificate;
            try { certificate = X509CertificateLoader.LoadPkcs12FromFile(o.CertificatePath, o.CertificatePassword); }
            catch (CryptographicException e) { throw new ArgumentException($"--https-cert '{o.CertificatePath}': {e.Message.TrimEnd('.')} (wrong password, or not a PKCS#12 file?)"); }
            builder.WebHost.UseKestrelHttpsConfiguration(); // the slim builder leaves HTTPS out unless asked
            builder.WebHost.ConfigureKestrel(k => k.ConfigureHttpsDefaults(h => h.ServerCertificate = certificate));
        }
        builder.Services.AddHangfire(c => c.UseStorage(storage));
        builder.Services.AddAntiforgery(); // Hangfire's dashboard then guards its own buttons (retry, delete) against forged posts
        var app = builder.Build();
        app.Services.GetRequiredService<IGlobalConfiguration>(); // runs AddHangfire's set-up now, so that the next line wins
        FarmStorage.QuietLogging();
        FarmWorker? local = o.Db == FarmStorage.MemoryDb
            ? new FarmWorker(new WorkerOptions { Db = o.Db, Threads = o.LocalThreads, Name = "local", Invisibility = o.Invisibility }, storage)
            : null;
        var coordinator = new FarmCoordinator(storage, app, local, o);
        AccessGuard.Use(app, AccessGuard.IsLoopback(host), o.Token ?? TokenStore.ForServer());
        AccessGuard.UseJsonErrors(app);
        RideDatabaseRestarts(app);
        // Our own guard has already admitted the request (loopback, or the token).
        app.UseHangfireDashboard("/hangfire", new DashboardOptions { Authorization = [new Admitted()], DisplayStorageConnectionString = false, AppPath = "/" }, storage);
        coordinator.Map(app);
        coordinator.HoldUnfinished();
        coordinator._lockSweep = new Timer(_ =>
        {
            try { coordinator.ReleaseFinished(); }
            catch (Exception e) when (e is not OutOfMemoryException) { } // the database is away: next time
        }, null, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2));
        await app.StartAsync();
        coordinator.Url = AccessGuard.DisplayUrl(app.Urls.First()) + "/";
        return coordinator;
    }

    /// <summary>A reading request that meets a database restart (a dead pooled connection, or the server still coming
    /// up) is answered again on fresh connections for a few seconds, then with 503 and the reason, never a bare 500:
    /// the monitor, the submitter and the workers poll through an outage instead of seeing errors after it.</summary>
    private static void RideDatabaseRestarts(WebApplication app) => app.Use(async (ctx, next) =>
    {
        bool reading = HttpMethods.IsGet(ctx.Request.Method) || HttpMethods.IsHead(ctx.Request.Method);
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await next(ctx);
                return;
            }
            catch (Exception e) when (FarmStorage.IsDatabaseOutage(e) && !ctx.Response.HasStarted)
            {
                FarmStorage.DropIdleConnections();
                if (reading && attempt < 6)
                {
                    await Task.Delay(250 * attempt, ctx.RequestAborted);
                    continue;
                }
                ctx.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                ctx.Response.Headers.RetryAfter = "5";
                await ctx.Response.WriteAsJsonAsync(new { error = $"the job database is unreachable ({e.Message.TrimEnd('.')}); try again shortly" });
                return;
            }
        }
    });

    private sealed class Admitted : IDashboardAuthorizationFilter
    {
        public bool Authorize(DashboardContext context) => true;
    }

    private void Map(WebApplication app)
    {
        app.MapPost("/api/batches", async (HttpContext ctx) =>
        {
            var plan = await JsonSerializer.DeserializeAsync<RenderPlan>(ctx.Request.Body, Recipe.Json, ctx.RequestAborted)
                       ?? throw new ArgumentException("empty submission");
            var (info, refused) = Submit(plan, ctx.Request.Query["id"].FirstOrDefault(), ctx.RequestAborted);
            return refused.Count > 0
                ? Results.Json(new { error = $"{refused.Select(r => r.Input).Distinct().Count()} file(s) refused; nothing was queued", refused = refused.Select(r => new { r.Input, r.Reason }) }, statusCode: 400)
                : Results.Json(new { id = info!.Id, total = info.Total, monitor = $"{Url}batches/{info.Id}" });
        });
        app.MapGet("/api/batches", () => FarmRecords.AllBatches(Storage).Select(Json));
        app.MapGet("/api/batches/{id}", (string id) =>
        {
            if (FarmRecords.Summary(Storage, id) is not { } b) return Results.NotFound();
            if (b.Finished) _folderLocks.Release(id); // before the submitter hears of it: its folder is free when it exits
            return Results.Json(Json(b, items: true));
        });
        app.MapPost("/api/batches/{id}/cancel", (string id) => Results.Json(new { cancelled = Cancel(id) }));
        app.MapGet("/api/workers", () => FarmRecords.AllWorkers(Storage));
        app.MapGet("/", () => Results.Content(MonitorPage.Render(FarmRecords.AllWorkers(Storage), FarmRecords.AllBatches(Storage), null), "text/html; charset=utf-8"));
        app.MapGet("/batches/{id}", (string id) => FarmRecords.Summary(Storage, id) is { } b
            ? Results.Content(MonitorPage.Render(FarmRecords.AllWorkers(Storage), [b], b), "text/html; charset=utf-8") : Results.NotFound());
    }

    private static object Json(BatchSummary b) => Json(b, items: false);

    private static object Json(BatchSummary b, bool items) => new
    {
        id = b.Info.Id, created = b.Info.CreatedUtc, inputRoot = b.Info.InputRoot, outputRoot = b.Info.OutputRoot, total = b.Info.Total,
        queued = b.Queued, running = b.Running, retrying = b.Retrying, done = b.Done, failed = b.Failed, cancelled = b.Cancelled, finished = b.Finished,
        imagesPerMinute = Math.Round(b.ImagesPerMinute, 1),
        items = items ? b.Items.Select(t => new { index = t.index, t.item.Input, t.item.Output, t.item.Status, t.item.Worker, t.item.Error, t.item.Attempt, t.item.Seconds }) : null,
    };

    /// <summary>Checks a submitted plan and queues one job per image, as the plan says (the submitter resolved the
    /// calibrations, the roll, the multipliers and the names with the same code as a local run; the coordinator
    /// decides nothing of its own). Nothing is queued when the plan is not whole (<see cref="RenderPlan.Verify"/>: a
    /// group whose calibration is missing, an output outside the output folder or named twice…), when it has no
    /// images, when a path lies outside the coordinator's roots, when an output exists without overwrite/skip-existing
    /// in the recipe, or when another run is writing into one of its output folders.
    ///
    /// All or nothing: the jobs are first created invisible (expired, in no queue: a coordinator that dies here leaves
    /// only those, which Hangfire deletes after a day), then the batch's records and every job's queue entry are
    /// written in one storage transaction (one PostgreSQL transaction), so a batch either exists whole or not at all.
    /// <paramref name="id"/> is the submitter's own id for the batch: a submission sent again after a lost answer finds
    /// its batch instead of making a second one.</summary>
    public (BatchInfo? info, IReadOnlyList<BatchFailure> refused) Submit(RenderPlan plan, string? id = null, CancellationToken cancel = default)
    {
        if (id is not null && (id.Length is < 6 or > 32 || !id.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9'))))
            throw new ArgumentException($"batch id '{id}' is not 6 to 32 lower-case letters and digits");
        lock (_submitting)
        {
            if (id is not null && FarmRecords.Summary(Storage, id) is { } existing) return (existing.Info, []);
            return SubmitNew(plan, id ?? Guid.NewGuid().ToString("N")[..10], cancel);
        }
    }

    /// <summary>One submission at a time: a resent one waits for its first attempt, then finds its batch.</summary>
    private readonly object _submitting = new();

    private (BatchInfo? info, IReadOnlyList<BatchFailure> refused) SubmitNew(RenderPlan plan, string id, CancellationToken cancel)
    {
        plan.Verify();
        var recipe = plan.Recipe;
        if (plan.Images.Length == 0) return (null, [new BatchFailure(string.Join(", ", plan.Inputs), "the plan has no images")]);
        var refused = new List<BatchFailure>();
        foreach (var item in plan.Images)
        {
            // Links resolved: a link inside a root that leads out of it is outside.
            if (Outside(item.Input, _inputRoots) is { } realIn)
                refused.Add(new BatchFailure(item.Input, $"input {realIn} is outside the coordinator's input roots ({string.Join(", ", _inputRoots)})"));
            if (Outside(item.Output, _outputRoots) is { } realOut)
                refused.Add(new BatchFailure(item.Input, $"output {realOut} is outside the coordinator's output roots ({string.Join(", ", _outputRoots)})"));
        }
        if (refused.Count > 0) return (null, refused);
        foreach (var item in plan.Images)
            if (!recipe.Export.Overwrite && !recipe.Export.SkipExisting && File.Exists(item.Output))
                refused.Add(new BatchFailure(item.Input, $"output {item.Output} exists (use --overwrite to replace it, or --skip-existing to resume)"));
        if (refused.Count > 0) return (null, refused);
        if (BusyFolder(plan) is { } busy) return (null, [busy]);

        string outRoot = Path.GetFullPath(plan.Output);
        string inRoot = CommonFolder(plan.Images.Select(i => Path.GetDirectoryName(Path.GetFullPath(i.Input))!));
        var info = new BatchInfo { Id = id, CreatedUtc = DateTime.UtcNow, InputRoot = inRoot, OutputRoot = outRoot, Total = plan.Images.Length };
        // Serialised once: every job of a group carries the same text.
        string recipeJson = recipe.ToJson();
        var rollJson = plan.Groups.ToDictionary(g => g.Name, g => plan.RollOf(g.Name)?.ToJson());
        var calibrationJson = plan.Groups.ToDictionary(g => g.Name, g => plan.CalibrationOf(g.Name)?.ToJson());
        var specs = plan.Images.Select((item, i) => new FarmJobSpec(info.Id, i, recipeJson, inRoot, outRoot,
            Path.GetRelativePath(inRoot, item.Input).Replace('\\', '/'), Path.GetRelativePath(outRoot, item.Output).Replace('\\', '/'),
            item.Group, calibrationJson[item.Group], Roll: rollJson[item.Group], ExposureMultiplier: item.ExposureMultiplier)).ToList();
        using var connection = Storage.GetConnection();
        var jobs = new List<(int index, string jobId, string queue)>();
        foreach (var (spec0, item) in specs.Zip(plan.Images))
        {
            cancel.ThrowIfCancellationRequested(); // the submitter went away: nothing is queued
            // Very large images go to their own queue, taken only by workers with the memory for them.
            long? pixels;
            try { pixels = BatchRunner.PixelCount(item.Input); }
            catch (Exception e) when (e is Core.Raw.RawDecodeException or IOException or InvalidDataException or UnauthorizedAccessException) { pixels = null; } // the worker reports it
            var spec = spec0 with { Pixels = pixels };
            string queue = pixels is { } px && MemoryGate.EstimateBytes(px, recipe.Adjust) > FarmQueues.BigImageBytes ? FarmQueues.Big : FarmQueues.Images;
            // The queue goes into the job itself, so that its retries come back to the same queue (not "default").
            var job = Job.FromExpression<ImageJob>(j => j.Process(spec, null, CancellationToken.None), queue);
            jobs.Add((spec.Index, connection.CreateExpiredJob(job, new Dictionary<string, string?>(), DateTime.UtcNow, TimeSpan.FromDays(1)), queue));
        }
        cancel.ThrowIfCancellationRequested();
        using (var t = connection.CreateWriteTransaction())
        {
            FarmRecords.CreateBatch(t, info, specs.Select(j => (j.Index, new ItemState { Input = j.Input, Output = j.Output })), jobs.Select(j => (j.index, j.jobId)));
            foreach (var (_, jobId, queue) in jobs)
            {
                t.PersistJob(jobId);
                t.SetJobState(jobId, new EnqueuedState(queue) { Reason = $"batch {info.Id}" });
                t.AddToQueue(queue, jobId);
            }
            t.Commit();
        }
        _folderLocks.Hold(info.Id, OutputFolders(info.OutputRoot, specs.Select(j => j.Output)));
        return (info, []);
    }

    /// <summary>One run per output folder, the farm's batches included (issue 15: two runs into one folder swept each
    /// other's temporary files and rendered the same images twice). Refused when an unfinished batch writes into one of
    /// this plan's output folders, or when a local run holds one (<see cref="OutputLock"/>; tried, not kept).</summary>
    private BatchFailure? BusyFolder(RenderPlan plan)
    {
        ReleaseFinished();
        var folders = plan.Images.Select(i => RealPath.OfFuture(Path.GetDirectoryName(Path.GetFullPath(i.Output))!)).ToHashSet(StringComparer.Ordinal);
        foreach (var b in FarmRecords.AllBatches(Storage).Where(b => !b.Finished))
        {
            var theirs = b.Items.Select(t => RealPath.OfFuture(Path.GetDirectoryName(Path.Combine(b.Info.OutputRoot, t.item.Output))!));
            if (theirs.FirstOrDefault(folders.Contains) is { } shared)
                return new BatchFailure(shared, $"farm batch {b.Info.Id} is writing into this folder ({b.Done + b.Failed + b.Cancelled}/{b.Info.Total} finished); wait for it or cancel it");
        }
        try { OutputLock.Acquire(folders, TimeSpan.Zero).Dispose(); }
        catch (OutputFolderBusyException e) { return new BatchFailure(e.Folder, e.Message); }
        return null;
    }

    /// <summary>Deletes the batch's jobs that have not started (queued, or waiting for a retry); images being processed
    /// finish. Returns how many were cancelled.</summary>
    public int Cancel(string id)
    {
        var summary = FarmRecords.Summary(Storage, id) ?? throw new FileNotFoundException($"no batch {id}");
        var jobs = FarmRecords.JobIds(Storage, id);
        int n = 0;
        foreach (var (index, item) in summary.Items.Where(t => t.item.Status is "queued" or "retrying"))
        {
            if (!jobs.TryGetValue(index, out var jobId)) continue;
            // Deleted only from the state the job is in: one a worker has just taken stays its to finish.
            if (!_client.ChangeState(jobId, new DeletedState(), item.Status == "queued" ? EnqueuedState.StateName : ScheduledState.StateName)) continue;
            FarmRecords.SetItem(Storage, id, index, item with { Status = "cancelled", FinishedUtc = DateTime.UtcNow });
            n++;
        }
        return n;
    }

    private readonly FarmFolderLocks _folderLocks = new();

    private static IEnumerable<string> OutputFolders(string outputRoot, IEnumerable<string> relativeOutputs) =>
        relativeOutputs.Select(o => Path.GetDirectoryName(Path.GetFullPath(Path.Combine(outputRoot, o)))!).Distinct(StringComparer.Ordinal);

    /// <summary>Holds the output folders of the unfinished batches (at start: again after a restart).</summary>
    private void HoldUnfinished()
    {
        foreach (var b in FarmRecords.AllBatches(Storage).Where(b => !b.Finished))
            _folderLocks.Hold(b.Info.Id, OutputFolders(b.Info.OutputRoot, b.Items.Select(t => t.item.Output)));
    }

    /// <summary>Lets go of the held batches that finished; takes the folders the workers made since.</summary>
    private void ReleaseFinished()
    {
        foreach (var id in _folderLocks.Batches)
            if (FarmRecords.Summary(Storage, id) is not { Finished: false }) _folderLocks.Release(id);
        _folderLocks.Refresh();
    }

    /// <summary>The real path of <paramref name="path"/> when it lies in none of <paramref name="roots"/> (none = anywhere).</summary>
    private static string? Outside(string path, string[] roots)
    {
        if (roots.Length == 0) return null;
        string real = RealPath.OfFuture(path);
        return roots.Any(r => RealPath.IsInside(real, r)) ? null : real;
    }

    private static string CommonFolder(IEnumerable<string> folders)
    {
        string[]? common = null;
        foreach (var f in folders)
        {
            var parts = f.Split(Path.DirectorySeparatorChar);
            if (common is null) { common = parts; continue; }
            int n = 0;
            while (n < common.Length && n < parts.Length && common[n] == parts[n]) n++;
            common = common[..n];
        }
        var joined = string.Join(Path.DirectorySeparatorChar, common ?? []);
        return joined.Length == 0 ? Path.DirectorySeparatorChar.ToString() : joined;
    }

    private int _disposed;
    private Timer? _lockSweep;

    /// <summary>Stops the server (and the built-in worker); a second call does nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        if (_lockSweep is not null) await _lockSweep.DisposeAsync();
        _localWorker?.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _folderLocks.Dispose();
    }
}
