using System.Text.Json;
using ImageSpace.Core.Adjust;
using ImageSpace.Core.Batch;
using ImageSpace.Core.Calibration;
using ImageSpace.Core.Charts;
using ImageSpace.Core.Operators;
using ImageSpace.Core.Pipeline;
using ImageSpace.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Logging;

namespace ImageSpace.Web;

/// <summary>How the UI server listens. Loopback unless an address and a token are both given.</summary>
public sealed record UiOptions
{
    public IReadOnlyList<string> Folders { get; init; } = [];
    public int Port { get; init; }
    public string Listen { get; init; } = "127.0.0.1";
    public string? Token { get; init; }
    public string? SettingsPath { get; init; }
    public string? ThumbCacheDir { get; init; }
    /// <summary>Links to farm coordinators for "Process on the farm" (null: local batches only).</summary>
    public Func<string, string?, IFarmLink>? FarmLinks { get; init; }

    public bool IsLoopback => AccessGuard.IsLoopback(Listen);

    public void Validate()
    {
        if (Port is < 0 or > 65535) throw new ArgumentException($"port {Port} is not 0..65535");
    }
}

/// <summary>The local web UI: one ASP.NET Core app serving the page (wwwroot) and a small JSON API over
/// <see cref="UiSession"/>.</summary>
public static class UiServer
{
    public sealed class Running(WebApplication app, UiSession session, string baseUrl, string token) : IAsyncDisposable
    {
        public WebApplication App { get; } = app;
        public UiSession Session { get; } = session;
        /// <summary>http://ADDR:PORT/</summary>
        public string BaseUrl { get; } = baseUrl;
        /// <summary>The link to open: the page with the token once (it then lives in an HttpOnly cookie, as Jupyter's link does).</summary>
        public string Url { get; } = baseUrl + $"?token={Uri.EscapeDataString(token)}";
        public async ValueTask DisposeAsync() { await App.StopAsync(); await App.DisposeAsync(); Session.Dispose(); }
    }

    public static async Task<Running> StartAsync(UiOptions o)
    {
        o.Validate();
        var settingsPath = o.SettingsPath ?? UserSettings.DefaultPath;
        var session = new UiSession(UserSettings.Load(settingsPath)) { SettingsPath = settingsPath, FarmLinks = o.FarmLinks, ThumbCacheDir = o.ThumbCacheDir ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "imagespace", "thumbs") };
        foreach (var f in o.Folders) session.Guard.AddRoot(Directory.Exists(f) ? f : Path.GetDirectoryName(Path.GetFullPath(f))!);
        if (session.Guard.Roots.Count == 0 && session.Settings.LastFolder is { } last && Directory.Exists(last)) session.Guard.AddRoot(last);
        // Open the first folder given (or the last one used) so the page starts on the dataset.
        if (session.Guard.Roots.Count > 0) session.Open(o.Folders.Count > 0 && Directory.Exists(o.Folders[0]) ? o.Folders[0] : session.Guard.Roots[0]);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://{(o.Listen.Contains(':') ? $"[{o.Listen}]" : o.Listen)}:{o.Port}");
        // A request body that does not bind (72.5 for a whole number) throws, so the reply can say which setting; by
        // default it was a bare 400.
        builder.Services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(r => r.ThrowOnBadRequest = true);
        builder.Services.ConfigureHttpJsonOptions(j =>
        {
            j.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
            foreach (var c in Recipe.Json.Converters) j.SerializerOptions.Converters.Add(c);
            // NaN and ±∞ are no JSON numbers: the serialiser would throw part-way through a reply (the page then saw
            // a bare "400"). A number that is not finite is sent as null, "not known".
            j.SerializerOptions.Converters.Add(new FiniteOrNull());
        });
        var app = builder.Build();
        // Every request carries the token, loopback included (another local account could otherwise drive the UI).
        string token = o.Token ?? TokenStore.ForServer();
        AccessGuard.Use(app, o.IsLoopback, token);
        AccessGuard.UseJsonErrors(app);
        // Errors whose words are the CLI's are answered in the page's (else AccessGuard's answer above stands).
        app.Use(async (ctx, next) =>
        {
            try { await next(); }
            catch (Microsoft.AspNetCore.Http.BadHttpRequestException e) when (e.InnerException is JsonException json)
            {
                ctx.Response.StatusCode = 400;
                await ctx.Response.WriteAsJsonAsync(new { error = Core.Calibration.SettingsFile.Describe(json, Recipe.Json) });
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or Core.Raw.RawDecodeException
                                      && UiWords.Of(e.Message) is var words && words != e.Message)
            {
                ctx.Response.StatusCode = 400;
                await ctx.Response.WriteAsJsonAsync(new { error = words });
            }
        });
        var web = new PhysicalFileProvider(Path.Combine(AppContext.BaseDirectory, "wwwroot"));
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = web });
        app.UseStaticFiles(new StaticFileOptions { FileProvider = web });
        Map(app, session);
        session.StartBackgroundWork();
        await app.StartAsync();
        var address = AccessGuard.DisplayUrl(app.Urls.First());
        return new Running(app, session, address + "/", token);
    }

    private static void Map(WebApplication app, UiSession s)
    {
        app.MapGet("/api/state", () =>
        {
            var colour = s.ColourPlan();
            var plan = colour.Plan;
            return new
            {
                roots = s.Guard.Roots, folder = s.DatasetRoot, recipe = s.Recipe, settings = s.Settings, rememberedOutput = s.RememberedOutput,
                calibrations = Calibrations(plan),
                roll = plan.Roll is null ? null : new { plan.Roll.Stock, gamma = plan.Roll.Gamma, source = plan.Roll.Source, calibrated = plan.Roll.Calibration is not null },
                // Negatives with charts found per group: each of those groups is inverted with the roll of its own chart frame.
                groupRolls = plan.Groups.Where(g => g.Roll is not null).Select(g => new { group = g.Name, source = g.Roll!.Source, gamma = g.Roll.Gamma }),
                notes = plan.Notes.Select(UiWords.Of), errors = colour.Errors.Select(UiWords.Of),
                stocks = Core.Film.FilmStocks.All.Select(f => new { id = f.Id, name = f.Name }),
                // The sliders' ranges, steps, defaults and units: the operators' own parameter table.
                parameters = AdjustmentTable.Parameters.Select(p => new { p.Key, p.Label, p.Min, p.Max, p.SoftMin, p.SoftMax, p.Step, p.Default, p.Unit }),
            };
        });
        app.MapGet("/api/browse", (string? path) =>
        {
            if (string.IsNullOrEmpty(path)) return Results.Json(new { path = "", parent = (string?)null, folders = s.Guard.Roots.Select(r => new { name = r, path = r }), files = Array.Empty<string>() });
            var full = s.Guard.Check(path);
            var dir = new DirectoryInfo(full);
            string? parent = dir.Parent is { } p && TryCheck(s, p.FullName) ? p.FullName : null;
            return Results.Json(new
            {
                path = full, parent,
                folders = dir.EnumerateDirectories().Where(d => !d.Name.StartsWith('.')).OrderBy(d => d.Name, NaturalComparer.Instance).Select(d => new { name = d.Name, path = d.FullName }),
                // What opening this folder would take: its RAW files, or its scans when it has none (as the scanner does).
                files = dir.EnumerateFiles().Where(f => !f.Name.StartsWith('.') && (InputScanner.RawExtensions.Contains(f.Extension) || InputScanner.PhotoExtensions.Contains(f.Extension)))
                    .Select(f => f.Name).Order(NaturalComparer.Instance),
            });
        });
        app.MapPost("/api/open", (PathBody b) => DatasetJson(s, s.Open(b.Path)));
        app.MapGet("/api/dataset", () => DatasetJson(s, s.Dataset));
        app.MapPut("/api/recipe", (Recipe r) => { s.SetRecipe(r); return Results.Json(new { ok = true }); });
        // The page's preferences only: what the server remembers itself (last folder and output) is not the page's to
        // set, and the page's copy of it may be older than the last batch.
        app.MapPut("/api/settings", (UserSettings u) =>
        {
            s.Settings = s.Settings with { Theme = u.Theme, PreviewSide = u.PreviewSide };
            s.TrySaveSettings();
            return Results.Json(s.Settings);
        });
        app.MapGet("/api/thumb", (string file) =>
        {
            var cached = s.CachedThumbnail(file);
            if (cached is not null) return Results.Bytes(cached, "image/jpeg");
            // A file that cannot be decoded: said once, so the page marks it and stops asking.
            return s.ThumbnailError(file) is { } error ? Results.Json(new { error }, statusCode: 422) : Results.StatusCode(202);
        });
        app.MapGet("/api/preview", async (HttpContext ctx, string file, bool? before, string? look) =>
        {
            var total = System.Diagnostics.Stopwatch.StartNew();
            var timings = new PreviewTimings();
            bool cached = s.HasBase(file, LookOf(look, before));
            var (jpeg, ms, prepared) = await s.PreviewAsync(file, LookOf(look, before), ctx.RequestAborted, timings);
            timings.Total = total.Elapsed.TotalMilliseconds;
            ctx.Response.Headers["X-Base-Cached"] = cached ? "1" : "0";
            ctx.Response.Headers["X-Render-Ms"] = ms.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture);
            // The whole request's server time and its parts (the page shows these, not just the adjustments').
            ctx.Response.Headers["X-Server-Ms"] = timings.Total.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture);
            ctx.Response.Headers["X-Timing"] = timings.ToString();
            ctx.Response.Headers["X-Full-Size"] = FullSize(prepared) is var (fw, fh) ? $"{fw}x{fh}" : "";
            ctx.Response.Headers["Cache-Control"] = "no-store";
            foreach (var w in prepared.Decoded.Warnings) ctx.Response.Headers.Append("X-Warning", Uri.EscapeDataString(w));
            return Results.Bytes(jpeg, "image/jpeg");
        });
        // 1:1 and beyond: a tile of the full-resolution image an export writes (level L: 2^L pixels per tile pixel).
        app.MapGet("/api/tile", async (HttpContext ctx, string file, int level, int x, int y, string? look) =>
        {
            var sw = System.Diagnostics.Stopwatch.StartNew();
            var (png, w, h) = await s.TileAsync(file, level, x, y, LookOf(look, null), ctx.RequestAborted);
            ctx.Response.Headers["X-Full-Size"] = $"{w}x{h}";
            ctx.Response.Headers["X-Render-Ms"] = sw.Elapsed.TotalMilliseconds.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture);
            ctx.Response.Headers["Cache-Control"] = "no-store";
            return Results.Bytes(png, "image/png");
        });
        app.MapPost("/api/prefetch", (PathBody b) => { s.Prefetch(b.Path); return Results.Json(new { ok = true }); });
        app.MapPost("/api/chart/detect", (ChartBody b) => ChartJson(s, b));
        // The crop box step: the chart searched for inside the box, then measured at the corners found there.
        app.MapPost("/api/chart/detect-box", (BoxBody b) =>
            ChartJson(s, new ChartBody(b.File, ChartBox.Detect(s, b.File, b.Box).SelectMany(c => new[] { c.x, c.y }).ToArray())));
        app.MapPost("/api/chart/assign", (AssignBody b) =>
        {
            // The chart frame goes into the recipe (with its corners); the plan resolves it as `process --chart` would.
            // In film mode it is the roll's chart frame: base, slopes, grey and the correction on the inverted patches.
            CalibrationProfile profile;
            try { profile = s.Assign(b.File, b.Corners is { Length: 8 } ? b.Corners : null, b.Global, b.Confirm); }
            catch (PoorFitException e) { return Results.Json(new { error = e.Message, needsConfirm = true }, statusCode: 409); }
            string group = s.Recipe.Film.Enabled || b.Global ? "" : s.File(b.File).Group;
            return Results.Json(new { group, calibration = Summary(profile) });
        });
        app.MapPost("/api/chart/unassign", (GroupBody b) => { s.Unassign(b.Group); return Results.Json(new { ok = true }); });
        app.MapPost("/api/chart/flattened", async (HttpContext ctx, ChartBody b) =>
        {
            if (b.Corners is not { Length: 8 }) throw new ArgumentException("four corners (8 numbers) are needed");
            var prepared = await s.BaseAsync(b.File);
            var img = prepared.Decoded.Image;
            double k = prepared.Context.Scale;
            // The page draws the sampled squares on it: their half-width in pitches (the image is 6 × 4 pitches).
            ctx.Response.Headers["X-Sample-Half-Width"] = ChartModel.SampleHalfWidth.ToString(System.Globalization.CultureInfo.InvariantCulture);
            using (var small = await Task.Run(() => ChartBox.FlattenedSmall(s, b.File, b.Corners, k)))
                if (small is not null) return Results.Bytes(ImageEncoding.Png(small), "image/png");
            var corners = Enumerable.Range(0, 4).Select(i => (b.Corners[2 * i] * k, b.Corners[2 * i + 1] * k)).ToArray();
            var d = ChartDetector.FromCorners(img, corners);
            if (d.ChartToImage is null) throw new ArgumentException($"these corners do not make a chart ({d.Note})");
            // The preview is display-ready already: the flattened chart shows the same exposure and correction.
            using var flat = ChartDebug.Rectified(img, d.ChartToImage, 1, 1);
            return Results.Bytes(ImageEncoding.Png(flat), "image/png");
        });
        app.MapPost("/api/plan", (PlanBody b) =>
        {
            var recipe = s.Recipe with { Naming = s.Recipe.Naming with { Schema = b.Schema, Custom = b.Custom ?? "" } };
            try { recipe.Validate(); } // the typed naming, by the rule every front end uses
            catch (ArgumentException e) { return Results.Json(new { ok = false, error = UiWords.Of(e.Message), items = Array.Empty<object>() }); }
            string outDir;
            try { outDir = s.OutputFolder(b.Output); }
            catch (Exception e) when (e is ArgumentException or UnauthorizedAccessException)
            {
                string words = UiWords.Of(e.Message);
                return Results.Json(new { ok = false, error = words, outputError = words, items = Array.Empty<object>() });
            }
            var plan = BatchPlanner.Plan(s.Dataset, outDir, recipe);
            // What the recipe cannot resolve (a group without a chart under automatic detection…) refuses Process:
            // the page says so before it is pressed.
            var errors = s.ColourPlan().Errors.Select(UiWords.Of).ToArray();
            return Results.Json(new
            {
                ok = plan.Refused.Count == 0,
                error = plan.Refused.Count > 0 ? UiWords.Of($"{plan.Refused[0].Input}: {plan.Refused[0].Reason}") : null,
                errors,
                items = plan.Items.Take(200).Select(i => new { input = Path.GetFileName(i.Input), output = Path.GetRelativePath(outDir, i.Output) }),
                total = plan.Items.Count,
                // Outputs already there, for the page to offer overwrite / keep / another folder before starting.
                existing = plan.Items.Where(i => File.Exists(i.Output)).Select(i => Path.GetRelativePath(outDir, i.Output)).Take(1000),
            });
        });
        app.MapPost("/api/process", (ProcessBody b) =>
        {
            var job = s.StartBatch(b.Path, b.Farm, b.FarmToken);
            return Results.Json(new { total = job.Total });
        });
        app.MapPost("/api/farm/status", async (FarmBody b, CancellationToken cancel) => Results.Json(await FarmPanel.StatusAsync(b.Url, b.Token, cancel)));
        app.MapPost("/api/cancel", () => { s.Job?.Cancel(); return Results.Json(new { ok = true }); });
        app.MapGet("/api/events", async (HttpContext ctx) =>
        {
            ctx.Response.Headers["Content-Type"] = "text/event-stream";
            ctx.Response.Headers["Cache-Control"] = "no-store";
            int seq = 0;
            while (!ctx.RequestAborted.IsCancellationRequested)
            {
                var job = s.Job;
                if (job is null) { await Task.Delay(200, ctx.RequestAborted); continue; }
                var events = await Task.Run(() => job.Since(seq, TimeSpan.FromSeconds(1)));
                foreach (var e in events)
                {
                    await ctx.Response.WriteAsync($"data: {JsonSerializer.Serialize(e, JsonSerializerOptions.Web)}\n\n", ctx.RequestAborted);
                    seq = e.Seq + 1;
                }
                await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
                if (job.Finished && events.Count == 0) break;
            }
        });
        app.MapPost("/api/exposure/normalise", async (NormaliseBody b) =>
        {
            string? reference = b.Reference is null ? null : s.Guard.Check(b.Reference);
            var measured = new List<ExposureAnalysis.Measured>();
            var errors = new List<string>();
            foreach (var g in s.Dataset.Groups)
            {
                // Each group measured with the roll its frames are inverted with (its own, from its chart frame, or the plan's).
                var measure = ExposureAnalysis.MeasuringPipeline(s.Recipe, s.RollOf(g.Name));
                measured.AddRange(await Task.Run(() => ExposureAnalysis.Group(measure, g, reference, (f, reason) => errors.Add($"{f.Path}: {reason}"))));
            }
            s.SetRecipe(s.Recipe with { Adjust = s.Recipe.Adjust with { ExposureMultipliers = ExposureAnalysis.Multipliers(measured) } });
            var rows = measured.Select(m => new { file = m.File.Path, group = m.File.Group, ev = m.Result.Ev, mean = m.Result.Mean });
            return Results.Json(new { rows, errors, recipe = s.Recipe });
        });
        app.MapGet("/api/exposure/mask", async (string file) =>
        {
            var prepared = await s.BaseAsync(file);
            var recipe = s.Recipe;
            double k = recipe.Adjust.MultiplierFor(file);
            var hist = ExposureHistogram.Measure(file, prepared.Decoded.Image);
            var (lo, hi) = ExposureNormalization.LuminanceLimits(hist, k, ExposureNormalization.Window([hist], recipe.Adjust.Limits));
            using var pic = ExposureNormalization.MaskPicture(prepared.Decoded.Image, k, lo, hi);
            // MaskPicture is display-referred grey/red/blue already; encode without the working→sRGB matrix change.
            return Results.Bytes(ImageEncoding.Jpeg(pic), "image/jpeg");
        });
        // ?file= the image shown: the roll is measured on its group's frames only (a folder of several rolls).
        app.MapPost("/api/film/lock", (string? file) =>
        {
            var (r, source, group) = s.LockRoll(file);
            return Results.Json(new { r.Stock, gamma = r.Gamma, rejected = r.RejectedFrames, source, group, frames = r.Frames.Length, calibrated = r.Calibration is not null });
        });
        app.MapPost("/api/film/unlock", () => { s.UnlockRoll(); return Results.Json(new { ok = true }); });
        app.MapPost("/api/project/save", (PathBody b) => { s.SaveProject(b.Path); return Results.Json(new { ok = true }); });
        app.MapPost("/api/project/load", (PathBody b) => { s.LoadProject(b.Path); return Results.Json(new { ok = true }); });
    }

    public sealed record PathBody(string Path);
    public sealed record ProcessBody(string Path, string? Farm, string? FarmToken);
    public sealed record ChartBody(string File, double[]? Corners);
    public sealed record BoxBody(string File, double[] Box);
    public sealed record AssignBody(string File, double[]? Corners, bool Global, bool Confirm = false);
    public sealed record GroupBody(string Group);
    public sealed record FarmBody(string Url, string? Token);
    public sealed record PlanBody(string Schema, string? Custom, string? Output);
    public sealed record NormaliseBody(string? Reference);

    /// <summary>The full-resolution size a preview stands for (what /api/tile and an export give): the pipeline's
    /// (<see cref="OperatorContext.FullSize"/>, kept up to date by a rebate crop), else the preview's size over its scale.</summary>
    private static (int, int) FullSize(Pipeline.Prepared p) =>
        p.Context.FullSize is var (fw, fh) && fw > 0 && fh > 0 ? (fw, fh)
            : ((int)Math.Round(p.Decoded.Image.Width / p.Context.Scale), (int)Math.Round(p.Decoded.Image.Height / p.Context.Scale));

    /// <summary>look=edit|calibration|asshot; the older before=true is as shot.</summary>
    private static Look LookOf(string? look, bool? before) => look switch
    {
        "calibration" => Look.CalibrationOnly,
        "asshot" => Look.AsShot,
        null or "" or "edit" => before == true ? Look.AsShot : Look.Edit,
        _ => throw new ArgumentException($"look '{look}' is not edit, calibration or asshot"),
    };

    private static bool TryCheck(UiSession s, string path)
    {
        try { s.Guard.Check(path); return true; } catch (UnauthorizedAccessException) { return false; }
    }

    private static object DatasetJson(UiSession s, Dataset ds) => new
    {
        root = s.DatasetRoot,
        groups = ds.Groups.Select(g => new { name = g.Name, display = g.DisplayName, files = g.Files.Select(f => new { path = f.Path, name = f.RelativePath }) }),
        errors = ds.Errors.Select(UiWords.Of),
    };

    /// <summary>The chart on a frame, measured through the pipeline's decode stage as a plan would: on the negative
    /// in film mode (detected or at the given corners), on the decoded positive otherwise.</summary>
    private static object ChartJson(UiSession s, ChartBody b)
    {
        var f = s.File(b.File);
        var recipe = s.Recipe;
        var corners = b.Corners is { Length: 8 } c ? Enumerable.Range(0, 4).Select(i => (c[2 * i], c[2 * i + 1])).ToList() : null;
        var pipeline = new Pipeline(recipe);
        ChartDetection detection;
        CalibrationProfile profile;
        if (recipe.Film.Enabled)
        {
            var (roll, d) = Measurement.FilmChart(pipeline, f.Path, corners);
            (detection, profile) = (d, roll.Calibration!);
        }
        else
        {
            var o = Measurement.Chart(pipeline, f.Path, new CalibrateOptions { Corners = corners, Reference = recipe.Calibration.Reference, Group = f.Group });
            (detection, profile) = (o.Detection, o.Profile);
        }
        return new
        {
            found = true,
            corners = detection.Corners.Select(p => new[] { p.x, p.y }),
            patches = detection.Patches.Select(p => new { index = p.Index, x = p.X, y = p.Y, clipped = p.Clipped }),
            calibration = Summary(profile),
        };
    }

    /// <summary>Each group's calibration for the page: by group name, or under "" when it is the global one.</summary>
    private static Dictionary<string, object> Calibrations(RenderPlan plan)
    {
        var result = new Dictionary<string, object>();
        foreach (var g in plan.Groups.Where(g => g.Calibration is not null))
        {
            bool global = g.Source.Contains("global", StringComparison.Ordinal);
            result[global ? "" : g.Name] = Summary(plan.Calibrations[g.Calibration!]);
        }
        return result;
    }

    private static object Summary(CalibrationProfile p) => new
    {
        p.Source, p.Group, model = p.Model.ToString(), deltaE = p.DeltaE, p.Warnings,
        quality = FitQuality.Of(p.DeltaE) is var q ? new { grade = q.Grade.ToString().ToLowerInvariant(), words = q.Words } : null,
        patches = p.Patches.Select(x => new { x.Index, x.DeltaE, x.LooDeltaE, x.Clipped, corrected = SrgbOfLab(x.Corrected), reference = SrgbOfLab(x.ReferenceLab) }),
    };

    /// <summary>Display sRGB (0–255) of a corrected XYZ D50 and of a reference Lab, for the swatches.</summary>
    private static int[] SrgbOf(double[] xyzD50)
    {
        var rgb = Core.Color.RgbColorSpace.Srgb.FromXyzAt(Core.Color.WhitePoints.D50) * new Core.Color.Vec3(xyzD50[0], xyzD50[1], xyzD50[2]);
        return [Enc(rgb.X), Enc(rgb.Y), Enc(rgb.Z)];
    }

    private static int[] SrgbOfLab(double[] lab) =>
        SrgbOf(Core.Color.Lab.ToXyz(new Core.Color.Vec3(lab[0], lab[1], lab[2]), Core.Color.WhitePoints.D50) is var v ? [v.X, v.Y, v.Z] : []);

    private static int Enc(double v) => Core.Color.DisplayEncoding.SrgbByte(v);
}

/// <summary>Writes a double that is not finite (NaN, ±∞) as null, so no reply breaks off in the middle of its JSON;
/// reads numbers as usual.</summary>
public sealed class FiniteOrNull : System.Text.Json.Serialization.JsonConverter<double>
{
    public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.GetDouble();

    public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options)
    {
        if (double.IsFinite(value)) writer.WriteNumberValue(value);
        else writer.WriteNullValue();
    }
}
