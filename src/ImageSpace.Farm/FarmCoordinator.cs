using System.Text.Json;
using Hangfire;
using Hangfire.Common;
using Hangfire.Dashboard;
using Hangfire.States;
using ImageSpace.Core.Batch;
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

    public (string host, int port) ParseListen()
    {
        int colon = Listen.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(Listen[(colon + 1)..], out int port) || port is < 0 or > 65535)
            throw new ArgumentException($"--listen '{Listen}' is not ADDR:PORT");
        return (Listen[..colon].Trim('[', ']'), port);
    }

    public void Validate()
    {
        ParseListen();
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

    private FarmCoordinator(JobStorage storage, WebApplication app, FarmWorker? local)
    {
        Storage = storage; _app = app; _localWorker = local;
        _client = new BackgroundJobClient(storage);
    }

    public static async Task<FarmCoordinator> StartAsync(CoordinatorOptions o)
    {
        o.Validate();
        var (host, port) = o.ParseListen();
        var storage = FarmStorage.Open(o.Db, o.Invisibility, o.AllowPlaintextDb);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://{(host.Contains(':') ? $"[{host}]" : host)}:{port}");
        builder.Services.AddHangfire(c => c.UseStorage(storage));
        builder.Services.AddAntiforgery(); // Hangfire's dashboard then guards its own buttons (retry, delete) against forged posts
        var app = builder.Build();
        app.Services.GetRequiredService<IGlobalConfiguration>(); // runs AddHangfire's set-up now, so that the next line wins
        FarmStorage.QuietLogging();
        FarmWorker? local = o.Db == FarmStorage.MemoryDb
            ? new FarmWorker(new WorkerOptions { Db = o.Db, Threads = o.LocalThreads, Name = "local", Invisibility = o.Invisibility }, storage)
            : null;
        var coordinator = new FarmCoordinator(storage, app, local);
        AccessGuard.Use(app, AccessGuard.IsLoopback(host), o.Token ?? TokenStore.ForServer());
        AccessGuard.UseJsonErrors(app);
        // Our own guard has already admitted the request (loopback, or the token).
        app.UseHangfireDashboard("/hangfire", new DashboardOptions { Authorization = [new Admitted()], DisplayStorageConnectionString = false, AppPath = "/" }, storage);
        coordinator.Map(app);
        await app.StartAsync();
        coordinator.Url = AccessGuard.DisplayUrl(app.Urls.First()) + "/";
        return coordinator;
    }

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
            var (info, refused) = Submit(plan);
            return refused.Count > 0
                ? Results.Json(new { error = $"{refused.Count} file(s) refused; nothing was queued", refused = refused.Select(r => new { r.Input, r.Reason }) }, statusCode: 400)
                : Results.Json(new { id = info!.Id, total = info.Total, monitor = $"{Url}batches/{info.Id}" });
        });
        app.MapGet("/api/batches", () => FarmRecords.AllBatches(Storage).Select(Json));
        app.MapGet("/api/batches/{id}", (string id) => FarmRecords.Summary(Storage, id) is { } b ? Results.Json(Json(b, items: true)) : Results.NotFound());
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
    /// images, or when an output exists without overwrite/skip-existing in the recipe.</summary>
    public (BatchInfo? info, IReadOnlyList<BatchFailure> refused) Submit(RenderPlan plan)
    {
        plan.Verify();
        var recipe = plan.Recipe;
        if (plan.Images.Length == 0) return (null, [new BatchFailure(string.Join(", ", plan.Inputs), "the plan has no images")]);
        var refused = new List<BatchFailure>();
        foreach (var item in plan.Images)
            if (!recipe.Export.Overwrite && !recipe.Export.SkipExisting && File.Exists(item.Output))
                refused.Add(new BatchFailure(item.Input, $"output {item.Output} exists (overwrite or skip-existing in the recipe)"));
        if (refused.Count > 0) return (null, refused);

        string outRoot = Path.GetFullPath(plan.Output);
        string inRoot = CommonFolder(plan.Images.Select(i => Path.GetDirectoryName(Path.GetFullPath(i.Input))!));
        var info = new BatchInfo { Id = Guid.NewGuid().ToString("N")[..10], CreatedUtc = DateTime.UtcNow, InputRoot = inRoot, OutputRoot = outRoot, Total = plan.Images.Length };
        // Serialised once: every job of a group carries the same text.
        string recipeJson = recipe.ToJson();
        string? rollJson = plan.Roll is null ? null : plan.Roll.ToJson();
        var calibrationJson = plan.Groups.ToDictionary(g => g.Name, g => plan.CalibrationOf(g.Name)?.ToJson());
        var specs = plan.Images.Select((item, i) => new FarmJobSpec(info.Id, i, recipeJson, inRoot, outRoot,
            Path.GetRelativePath(inRoot, item.Input).Replace('\\', '/'), Path.GetRelativePath(outRoot, item.Output).Replace('\\', '/'),
            item.Group, calibrationJson[item.Group], Roll: rollJson, ExposureMultiplier: item.ExposureMultiplier)).ToList();
        FarmRecords.CreateBatch(Storage, info, specs.Select(j => (j.Index, new ItemState { Input = j.Input, Output = j.Output })));
        var jobIds = new List<(int, string)>();
        foreach (var (spec0, item) in specs.Zip(plan.Images))
        {
            // Very large images go to their own queue, taken only by workers with the memory for them.
            long? pixels;
            try { pixels = BatchRunner.PixelCount(item.Input); }
            catch (Exception e) when (e is Core.Raw.RawDecodeException or IOException or InvalidDataException or UnauthorizedAccessException) { pixels = null; } // the worker reports it
            var spec = spec0 with { Pixels = pixels };
            string queue = pixels is { } px && MemoryGate.EstimateBytes(px, recipe.Adjust) > FarmQueues.BigImageBytes ? FarmQueues.Big : FarmQueues.Images;
            // The queue goes into the job itself, so that its retries come back to the same queue (not "default").
            jobIds.Add((spec.Index, _client.Create(Job.FromExpression<ImageJob>(j => j.Process(spec, null, CancellationToken.None), queue), new EnqueuedState(queue))));
        }
        FarmRecords.SetJobIds(Storage, info.Id, jobIds);
        return (info, []);
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

    public async ValueTask DisposeAsync()
    {
        _localWorker?.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
