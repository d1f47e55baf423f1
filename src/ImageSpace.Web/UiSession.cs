using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ImageSpace.Core.Adjust;
using ImageSpace.Core.Batch;
using ImageSpace.Core.Calibration;
using ImageSpace.Core.Pipeline;
using ImageSpace.Core.Raw;

namespace ImageSpace.Web;

/// <summary>Everything one UI server holds: the opened folders, the dataset, the recipe being edited, the chart
/// calibrations per group, and caches (decoded preview bases, thumbnails). All image maths goes through
/// <see cref="Pipeline"/>, the same code the CLI and the batch use.</summary>
public sealed class UiSession : IDisposable
{
    public PathGuard Guard { get; } = new();
    public string SettingsPath { get; init; } = UserSettings.DefaultPath;
    public UserSettings Settings { get; set; }

    private readonly object _gate = new();
    private Recipe _recipe = new();
    private Dataset _dataset = new([], [], 0);
    private string? _datasetRoot;
    /// <summary>Calibrations chosen in the UI: by group name, and "" for global.</summary>
    private readonly Dictionary<string, CalibrationProfile> _calibrations = [];
    public Core.Film.RollProfile? Roll { get => _roll; set { _roll = value; Interlocked.Increment(ref _rollVersion); } }
    private Core.Film.RollProfile? _roll;
    private int _rollVersion;

    public UiSession(UserSettings? settings = null) { Settings = settings ?? new UserSettings(); }

    public Recipe Recipe { get { lock (_gate) return _recipe; } }
    public Dataset Dataset { get { lock (_gate) return _dataset; } }
    public string? DatasetRoot { get { lock (_gate) return _datasetRoot; } }
    public IReadOnlyDictionary<string, CalibrationProfile> Calibrations { get { lock (_gate) return new Dictionary<string, CalibrationProfile>(_calibrations); } }

    public void SetRecipe(Recipe r)
    {
        r.Validate();
        // Files a recipe names are read by the pipeline: they must lie inside the opened folders as well.
        var named = new[] { r.Film.FlatField, r.Film.Roll }.Concat(r.Calibration.Profiles).Concat(r.Calibration.Charts)
            .Append(r.Calibration.Reference.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) ? r.Calibration.Reference : null);
        foreach (var path in named.OfType<string>().Where(p => p.Length > 0)) Guard.Check(path);
        lock (_gate) _recipe = r;
    }

    public Pipeline NewPipeline(Recipe? r = null) => new(r ?? Recipe) { Roll = Roll };

    // ---- dataset ---------------------------------------------------------------------------------------------

    public Dataset Open(string folder)
    {
        var full = Guard.Check(folder);
        var ds = DatasetScanner.Scan([full], Recipe.Grouping);
        lock (_gate) { _dataset = ds; _datasetRoot = full; }
        Settings = Settings with { LastFolder = full };
        TrySaveSettings();
        foreach (var f in ds.Files) _thumbQueue.Add(f.Path);
        return ds;
    }

    public DatasetFile File(string path)
    {
        var full = Guard.Check(path);
        return Dataset.Files.FirstOrDefault(f => Path.GetFullPath(f.Path) == full) ?? throw new FileNotFoundException($"{path} is not in the opened dataset");
    }

    public void TrySaveSettings()
    {
        try { Settings.Save(SettingsPath); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    // ---- calibration -------------------------------------------------------------------------------------------

    public void Assign(string group, CalibrationProfile profile)
    {
        lock (_gate) { _calibrations[group] = profile with { Group = group.Length == 0 ? null : group }; _calibrationVersion++; }
    }

    public void Unassign(string group) { lock (_gate) if (_calibrations.Remove(group)) _calibrationVersion++; }

    /// <summary>Changes with every (re)assignment, so a preview base made with an earlier calibration is never reused.</summary>
    private int _calibrationVersion;

    /// <summary>The calibration a file of <paramref name="group"/> gets: its group's, else the global one.</summary>
    public CalibrationProfile? CalibrationFor(string group)
    {
        lock (_gate) return _calibrations.TryGetValue(group, out var p) ? p : _calibrations.GetValueOrDefault("");
    }

    // ---- previews ----------------------------------------------------------------------------------------------

    private sealed record CacheEntry(string Key, Pipeline.Prepared Prepared);
    private readonly LinkedList<CacheEntry> _bases = new();
    private const int CachedBases = 4;
    private readonly SemaphoreSlim _decodeSlots = new(2);

    /// <summary>Decode, film, calibration and everything else that a slider move does not change.</summary>
    private string BaseKey(string file, Recipe r, CalibrationProfile? c, int side) =>
        JsonSerializer.Serialize(new { file, r.Decode, r.Film, roll = _rollVersion, kelvin = WhiteBalanceSetting.Parse(r.Adjust.WhiteBalance) is { Mode: WhiteBalanceKind.Kelvin } k ? $"{k.Kelvin},{k.Tint}" : "", c = c is null ? -1 : _calibrationVersion, side });

    /// <summary>The cached preview base for a file at the current recipe (decoded at half size, reduced to the
    /// preview size), decoding it when needed. Callers must not dispose it.</summary>
    public async Task<Pipeline.Prepared> BaseAsync(string file, CancellationToken cancel = default)
    {
        var f = File(file);
        var recipe = Recipe;
        var calibration = CalibrationFor(f.Group);
        string key = BaseKey(f.Path, recipe, calibration, Settings.PreviewSide);
        lock (_bases)
        {
            var hit = _bases.FirstOrDefault(e => e.Key == key);
            if (hit is not null) { _bases.Remove(hit); _bases.AddFirst(hit); return hit.Prepared; }
        }
        await _decodeSlots.WaitAsync(cancel);
        try
        {
            lock (_bases) if (_bases.FirstOrDefault(e => e.Key == key) is { } again) return again.Prepared;
            var prepared = await Task.Run(() => NewPipeline(recipe).Prepare(f.Path, DemosaicMode.Half, calibration, Settings.PreviewSide), cancel);
            lock (_bases)
            {
                _bases.AddFirst(new CacheEntry(key, prepared));
                while (_bases.Count > CachedBases) _bases.RemoveLast(); // left to the GC: a request may still hold it
            }
            return prepared;
        }
        finally { _decodeSlots.Release(); }
    }

    /// <summary>The preview as JPEG: the cached base, a copy, the recipe's adjustments (unless <paramref name="before"/>).
    /// Also returns the base it was made from (its size and warnings go into the response).</summary>
    public async Task<(byte[] jpeg, double renderMs, Pipeline.Prepared prepared)> PreviewAsync(string file, bool before, CancellationToken cancel = default)
    {
        var prepared = await BaseAsync(file, cancel);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        using var img = prepared.Decoded.Image.Clone();
        if (!before) NewPipeline().ApplyAdjustments(img, prepared);
        double ms = sw.Elapsed.TotalMilliseconds;
        return (ImageEncoding.JpegInPlace(img), ms, prepared);
    }

    // ---- thumbnails (made in the background, cached on disk) ----------------------------------------------------

    private readonly BlockingCollection<string> _thumbQueue = new();
    private readonly ConcurrentDictionary<string, byte[]> _thumbs = new();
    private Thread? _thumbWorker;
    public string ThumbCacheDir { get; init; } = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "imagespace", "thumbs");

    public void StartBackgroundWork()
    {
        _thumbWorker = new Thread(() =>
        {
            foreach (var path in _thumbQueue.GetConsumingEnumerable())
                try { Thumbnail(path); } catch (Exception) { /* shown as missing in the list; the preview gives the error */ }
        }) { IsBackground = true, Name = "imagespace-thumbnails", Priority = ThreadPriority.BelowNormal };
        _thumbWorker.Start();
    }

    public byte[]? CachedThumbnail(string path) => _thumbs.GetValueOrDefault(Guard.Check(path));

    /// <summary>A ~240 px JPEG of the file as the current recipe renders it (no chart correction), cached in memory
    /// and on disk by path, size and modification time.</summary>
    public byte[] Thumbnail(string path)
    {
        var full = Guard.Check(path);
        if (_thumbs.TryGetValue(full, out var t)) return t;
        var info = new FileInfo(full);
        string hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes($"{full}|{info.Length}|{info.LastWriteTimeUtc.Ticks}")))[..32];
        string disk = Path.Combine(ThumbCacheDir, hash + ".jpg");
        if (System.IO.File.Exists(disk)) return _thumbs[full] = System.IO.File.ReadAllBytes(disk);
        using var d = NewPipeline(Recipe with { Adjust = new AdjustOptions() }).Render(full, DemosaicMode.Half, maxSide: 240);
        var jpeg = ImageEncoding.Jpeg(d.Image, 80);
        try
        {
            Directory.CreateDirectory(ThumbCacheDir);
            Core.Export.AtomicFile.Write(disk, tmp => System.IO.File.WriteAllBytes(tmp, jpeg));
        }
        catch (IOException) { }
        return _thumbs[full] = jpeg;
    }

    // ---- film ----------------------------------------------------------------------------------------------

    public Core.Film.RollProfile LockRoll()
    {
        var recipe = Recipe;
        var files = Dataset.Files.Select(f => f.Path).ToList();
        Roll = Core.Film.FilmProcessor.Analyze(files, recipe.Film with { Enabled = true });
        return Roll;
    }

    public void UnlockRoll() => Roll = null;

    // ---- batch ---------------------------------------------------------------------------------------------

    public BatchJob? Job { get; private set; }

    /// <summary>Makes a link to a farm coordinator (URL, token); null when this program has no farm support.</summary>
    public Func<string, string?, IFarmLink>? FarmLinks { get; init; }

    public BatchJob StartBatch(string outDir, string? farmUrl = null, string? farmToken = null)
    {
        var output = Guard.Check(outDir);
        if (Job is { Finished: false }) throw new InvalidOperationException("a batch is already running");
        var recipe = Recipe;
        var ds = Dataset;
        if (!ds.Files.Any()) throw new InvalidOperationException("open a folder with RAW files first");
        var plan = BatchPlanner.Plan(ds, output, recipe);
        if (plan.Refused.Count > 0) throw new InvalidOperationException($"{plan.Refused.Count} file(s) cannot be named safely: {plan.Refused[0].Input}: {plan.Refused[0].Reason}");
        var calibrations = ds.Groups.ToDictionary(g => g.Name, g => CalibrationFor(g.Name));
        Settings = Settings with { LastOutput = output };
        TrySaveSettings();
        if (!string.IsNullOrWhiteSpace(farmUrl))
        {
            // The farm plans again with the same rules and refuses what the local plan would refuse.
            var farm = (FarmLinks ?? throw new InvalidOperationException("this build has no farm support"))(farmUrl, string.IsNullOrEmpty(farmToken) ? null : farmToken);
            (string id, int total) submitted;
            try { submitted = farm.Submit([DatasetRoot!], output, recipe, calibrations); }
            catch { farm.Dispose(); throw; }
            Job = BatchJob.StartRemote(farm, submitted.id, submitted.total);
            return Job;
        }
        Job = BatchJob.Start(NewPipeline(recipe), plan.Items, calibrations, recipe.Batch);
        return Job;
    }

    // ---- project -------------------------------------------------------------------------------------------

    public sealed record Project(Recipe Recipe, Dictionary<string, CalibrationProfile> Calibrations, string? Folder, Core.Film.RollProfile? Roll);

    public void SaveProject(string path)
    {
        var full = Guard.Check(path);
        var p = new Project(Recipe, new Dictionary<string, CalibrationProfile>(Calibrations), DatasetRoot, Roll);
        Core.Export.AtomicFile.WriteAllText(full, JsonSerializer.Serialize(p, Recipe.Json));
    }

    public void LoadProject(string path)
    {
        var full = Guard.Check(path);
        Project p;
        try { p = JsonSerializer.Deserialize<Project>(System.IO.File.ReadAllText(full), Recipe.Json) ?? throw new ArgumentException("empty project"); }
        catch (JsonException e) { throw new ArgumentException($"{path}: not a project file: {e.Message}"); }
        SetRecipe(p.Recipe);
        lock (_gate)
        {
            _calibrations.Clear();
            foreach (var (g, c) in p.Calibrations) _calibrations[g] = c;
            _calibrationVersion++;
        }
        Roll = p.Roll;
        if (p.Folder is not null && Directory.Exists(p.Folder)) Open(p.Folder);
    }

    public void Dispose() => _thumbQueue.CompleteAdding();
}
