using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ImageSpace.Core.Adjust;
using ImageSpace.Core.Batch;
using ImageSpace.Core.Calibration;
using ImageSpace.Core.Operators;
using ImageSpace.Core.Pipeline;
using ImageSpace.Core.Raw;
using ImageSpace.Hosting;

namespace ImageSpace.Web;

/// <summary>Everything one UI server holds: the opened folders, the dataset, the recipe being edited, and caches
/// (measurements, decoded preview bases, thumbnails). Chart assignments and the locked roll are part of the recipe
/// (its chart frames with their corners, film.lockRoll); calibrations and the roll are what
/// <see cref="PlanResolver"/> makes of it, the same resolution the CLI and the farm use. All image maths goes through
/// <see cref="Pipeline"/>.</summary>
public sealed class UiSession : IDisposable
{
    public PathGuard Guard { get; } = new();
    public string SettingsPath { get; init; } = UserSettings.DefaultPath;
    public UserSettings Settings { get; set; }

    private readonly object _gate = new();
    private Recipe _recipe = new();
    private Dataset _dataset = new([], [], 0);
    private string? _datasetRoot;
    /// <summary>Measurements (chart fits, roll analyses) of this session's plans; cleared with the folder.</summary>
    private readonly PlanCache _measurements = new();
    /// <summary>A roll that came with a loaded project and has no source left in its recipe (a roll file's content).</summary>
    private Core.Film.RollProfile? _projectRoll;
    private (string key, PlanOutcome outcome)? _colour;

    public UiSession(UserSettings? settings = null) { Settings = settings ?? new UserSettings(); }

    public Recipe Recipe { get { lock (_gate) return _recipe; } }
    public Dataset Dataset { get { lock (_gate) return _dataset; } }
    public string? DatasetRoot { get { lock (_gate) return _datasetRoot; } }

    /// <summary>The roll the current recipe resolves to (null: each frame inverted on its own, or not film).</summary>
    public Core.Film.RollProfile? Roll => ColourPlan().Plan.Roll;

    /// <summary>The roll a group's frames are inverted with (its own from its chart frame, else <see cref="Roll"/>).</summary>
    public Core.Film.RollProfile? RollOf(string group) => ColourPlan().Plan.RollOf(group);

    public void SetRecipe(Recipe r)
    {
        r.Validate();
        // Files a recipe names are read by the pipeline: they must lie inside the opened folders as well.
        var named = new[] { r.Film.FlatField, r.Film.Roll }.Concat(r.Calibration.Profiles).Concat(r.Calibration.Charts.Select(c => c.File))
            .Append(r.Calibration.Reference.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) ? r.Calibration.Reference : null);
        foreach (var path in named.OfType<string>().Where(p => p.Length > 0)) Guard.Check(path);
        lock (_gate) _recipe = r;
    }

    /// <summary>The pipeline previews and measurements run: the recipe with the resolved roll.</summary>
    public Pipeline NewPipeline(Recipe? r = null) => new(r ?? Recipe) { Roll = Roll };

    // ---- dataset ---------------------------------------------------------------------------------------------

    /// <summary>Opens a folder. What belonged to the previous one goes: film mode and its roll, chart assignments,
    /// exposure multipliers, picked white balance, cached measurements and previews. Output and naming settings
    /// stay.</summary>
    public Dataset Open(string folder)
    {
        var full = Guard.Check(folder);
        var ds = DatasetScanner.Scan([full], Recipe.Grouping);
        lock (_gate)
        {
            bool same = _datasetRoot == full;
            _dataset = ds;
            _datasetRoot = full;
            if (!same)
            {
                var r = _recipe;
                string wb = Core.Adjust.WhiteBalanceSetting.Parse(r.Adjust.WhiteBalance).Mode == WhiteBalanceKind.Pick ? "asshot" : r.Adjust.WhiteBalance;
                _recipe = r with
                {
                    Film = new Core.Film.FilmOptions(),
                    Calibration = new CalibrationOptions { Reference = r.Calibration.Reference },
                    Adjust = r.Adjust with { ExposureMultipliers = [], Images = [], WhiteBalance = wb },
                };
                _projectRoll = null;
                _colour = null;
                _measurements.Clear();
            }
        }
        lock (_bases) { _bases.Clear(); _decoded.Clear(); }
        lock (_bases) _inverted.Clear();
        _raws.Clear();
        _full.Clear();
        lock (_fullStageGate) { _fullStage?.stage.Decoded.Dispose(); _fullStage = null; }
        Settings = Settings with { LastFolder = full };
        TrySaveSettings();
        foreach (var f in ds.Files) { _thumbErrors.TryRemove(f.Path, out _); _thumbQueue.Add(f.Path); }
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

    // ---- calibration and roll: in the recipe, resolved like any plan ---------------------------------------------

    /// <summary>The calibrations and roll the current recipe gives the opened folder (no outputs), resolved with the
    /// session's measurement cache and kept until the recipe changes what they depend on.</summary>
    public PlanOutcome ColourPlan()
    {
        var recipe = Recipe;
        string? root = DatasetRoot;
        // Adjustments (the white balance too: calibrated images are decoded as shot) and export settings do not change
        // calibrations or the roll.
        string key = JsonSerializer.Serialize(new { root, recipe.Decode, recipe.Film, recipe.Calibration, recipe.Grouping, roll = _projectRoll is not null }, Recipe.Json);
        lock (_gate) if (_colour is { } c && c.key == key) return c.outcome;
        var outcome = Resolver().Resolve(root is null ? [] : [root], null, recipe, Dataset);
        lock (_gate) _colour = (key, outcome);
        return outcome;
    }

    private PlanResolver Resolver() => new(_measurements) { PinnedRoll = _projectRoll };

    /// <summary>The calibration a file of <paramref name="group"/> gets under the current recipe.</summary>
    public CalibrationProfile? CalibrationFor(string group) => ColourPlan().Plan.CalibrationOf(group);

    /// <summary>Makes <paramref name="file"/> (with hand-placed corners, or detected) the chart frame of its group, or
    /// of every group (<paramref name="global"/>: groups without their own chart then take it), or, in film mode, of
    /// the roll. Returns the resolved calibration of that group (the roll's for film).</summary>
    /// <exception cref="ArgumentException">the chart cannot be measured; the recipe is left as it was</exception>
    /// <exception cref="PoorFitException">the fit is poor (<see cref="FitQuality"/>) and <paramref name="confirm"/> is
    /// false; the recipe is left as it was</exception>
    public CalibrationProfile Assign(string file, double[]? corners, bool global, bool confirm = false)
    {
        var f = File(file);
        var before = Recipe;
        var spec = new ChartSpec(f.Path) { Corners = corners, AllGroups = global && !before.Film.Enabled };
        var charts = before.Film.Enabled ? [spec]
            : before.Calibration.Charts.Where(c => global ? !c.AllGroups : c.AllGroups || GroupOf(c.File) != f.Group).Append(spec).ToArray();
        var recipe = before with
        {
            Calibration = before.Calibration with { Charts = charts, Fallback = global ? "global" : before.Calibration.Fallback },
        };
        SetRecipe(recipe);
        var outcome = ColourPlan();
        if (outcome.Errors.FirstOrDefault(e => e.Contains(f.Path, StringComparison.Ordinal)) is { } error)
        {
            SetRecipe(before);
            throw new ArgumentException(error);
        }
        var profile = before.Film.Enabled ? outcome.Plan.RollOf(f.Group)?.Calibration : outcome.Plan.CalibrationOf(f.Group);
        if (profile is null)
        {
            SetRecipe(before);
            throw new ArgumentException($"{f.Path}: no calibration resulted ({string.Join("; ", outcome.Errors)})");
        }
        if (!confirm && FitQuality.Of(profile.DeltaE) is { Grade: FitGrade.Poor } poor)
        {
            SetRecipe(before);
            throw new PoorFitException(poor.Words);
        }
        return profile;
    }

    /// <summary>Removes the chart frames of <paramref name="group"/> ("": those for all groups).</summary>
    public void Unassign(string group)
    {
        var r = Recipe;
        var charts = r.Calibration.Charts.Where(c => group.Length == 0 ? !c.AllGroups : c.AllGroups || GroupOf(c.File) != group).ToArray();
        SetRecipe(r with { Calibration = r.Calibration with { Charts = charts } });
    }

    private string? GroupOf(string path) => Dataset.Files.FirstOrDefault(f => Path.GetFullPath(f.Path) == Path.GetFullPath(path))?.Group;

    // ---- previews ----------------------------------------------------------------------------------------------

    private sealed record CacheEntry(string Key, Pipeline.Prepared Prepared);
    /// <summary>Developed bases (what the adjustments start from) and decoded stages (what development starts from).</summary>
    private readonly LinkedList<CacheEntry> _bases = new(), _decoded = new();
    private const int CachedBases = 4;
    private readonly SemaphoreSlim _decodeSlots = new(2);
    /// <summary>What a white-balance change (decode) and a film exposure/trim change (inversion) start from.</summary>
    private readonly UnpackedRawCache _raws = new();
    /// <summary>Negatives inverted at zero film exposure and trims (<see cref="DevelopNegative"/>).</summary>
    private readonly LinkedList<CacheEntry> _inverted = new();

    /// <summary>The decode stage's settings: what a change of must decode the file again.</summary>
    private static string DecodeKey(string file, Recipe r, bool calibrated, int side) =>
        JsonSerializer.Serialize(new { file, r.Decode, wb = r.Adjust.For(file).WhiteBalance, film = r.Film.Enabled, flat = r.Film.FlatField, calibrated, side });

    /// <summary>The develop stage's settings on top (inversion, roll, calibration by content): a change of only these
    /// re-runs from the cached decoded image (film exposure, trims, stock, base, a new chart), not from the file.</summary>
    private static string DevelopKey(string decodeKey, Recipe r, CalibrationProfile? c, Core.Film.RollProfile? roll) =>
        JsonSerializer.Serialize(new { decodeKey, film = r.Film with { Roll = null }, roll = roll?.ToJson(), c = c is null ? null : RenderPlan.KeyOf(c) });

    private static void Remember(LinkedList<CacheEntry> cache, CacheEntry e)
    {
        cache.AddFirst(e);
        while (cache.Count > CachedBases) cache.RemoveLast(); // left to the GC: a request may still hold it
    }

    private static Pipeline.Prepared? Find(LinkedList<CacheEntry> cache, string key)
    {
        var hit = cache.FirstOrDefault(e => e.Key == key);
        if (hit is null) return null;
        cache.Remove(hit);
        cache.AddFirst(hit);
        return hit.Prepared;
    }

    /// <summary>The recipe, pipeline and calibration a file is shown with in <paramref name="look"/>: the edit; its
    /// chart calibration alone (no adjustments); or as shot (no calibration, no roll, no adjustments: a negative is
    /// still inverted, on its own).</summary>
    private (Recipe recipe, Pipeline pipeline, CalibrationProfile? calibration, bool calibrated) Setup(DatasetFile f, Look look)
    {
        var recipe = Recipe;
        var plan = ColourPlan().Plan;
        var calibration = plan.CalibrationOf(f.Group);
        var roll = plan.RollOf(f.Group);
        if (look != Look.Edit) recipe = recipe with { Adjust = new AdjustOptions() };
        if (look == Look.AsShot) (calibration, roll) = (null, null);
        bool calibrated = calibration is not null || (recipe.Film.Enabled && roll?.Calibration is not null);
        return (recipe, new Pipeline(recipe) { Roll = roll }, calibration, calibrated);
    }

    /// <summary>The cached preview base for a file at the current recipe (decoded at half size, reduced to the
    /// preview size, developed), made from the cached decoded stage when only develop settings changed. Callers must
    /// not dispose it.</summary>
    public async Task<Pipeline.Prepared> BaseAsync(string file, CancellationToken cancel = default, Look look = Look.Edit, PreviewTimings? timings = null)
    {
        var f = File(file);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var (recipe, pipeline, calibration, calibrated) = Setup(f, look);
        if (timings is not null) timings.Plan = sw.Elapsed.TotalMilliseconds;
        string decodeKey = DecodeKey(f.Path, recipe, calibrated, Settings.PreviewSide);
        string key = DevelopKey(decodeKey, recipe, calibration, pipeline.Roll);
        lock (_bases) if (Find(_bases, key) is { } hit) return hit;
        pipeline = new Pipeline(recipe) { Roll = pipeline.Roll, RawDecode = _raws.Decode };
        await _decodeSlots.WaitAsync(cancel);
        try
        {
            lock (_bases) if (Find(_bases, key) is { } again) return again;
            Pipeline.Prepared? decoded;
            lock (_bases) decoded = Find(_decoded, decodeKey);
            if (decoded is null)
            {
                sw.Restart();
                decoded = await Task.Run(() => WhiteBalanceMove(f.Path, recipe, calibrated) ?? pipeline.Decode(f.Path, DemosaicMode.Half, Settings.PreviewSide, calibrated), cancel);
                lock (_bases) Remember(_decoded, new CacheEntry(decodeKey, decoded));
                if (timings is not null) timings.Decode = sw.Elapsed.TotalMilliseconds;
            }
            var stage = decoded;
            sw.Restart();
            var prepared = await Task.Run(() => recipe.Film.Enabled ? DevelopNegative(stage, decodeKey, recipe, pipeline, calibration)
                : pipeline.Develop(stage with { Decoded = Copy(stage.Decoded) }, calibration), cancel);
            if (timings is not null) timings.Develop = sw.Elapsed.TotalMilliseconds;
            lock (_bases) Remember(_bases, new CacheEntry(key, prepared));
            return prepared;
        }
        finally { _decodeSlots.Release(); }
    }

    /// <summary>Per RAW file and decode settings, the preview that any white balance is made from (last two files).</summary>
    private readonly LinkedList<(UnpackedRaw raw, string key, WhiteBalancePreview? preview)> _wbPreviews = new();

    /// <summary>The decoded stage of a RAW positive when only its white balance changed: made from the file's
    /// <see cref="WhiteBalancePreview"/> (a few ms) instead of a half-size decode and reduction (what
    /// <see cref="Pipeline.Decode"/> does, and what this falls back to: null). Only for a file decoded before (its unpack
    /// is kept): the first look at a file pays no more than it did.</summary>
    private int _whiteBalanceMoves;
    /// <summary>How many decoded stages were made by <see cref="WhiteBalancePreview"/> (tests: the fast path ran).</summary>
    public int WhiteBalanceMoves => Volatile.Read(ref _whiteBalanceMoves);

    private Pipeline.Prepared? WhiteBalanceMove(string path, Recipe recipe, bool calibrated)
    {
        if (recipe.Film.Enabled || calibrated || ImageLoader.IsPhoto(path)) return null;
        var wb = Core.Adjust.WhiteBalanceSetting.Parse(recipe.Adjust.For(path).WhiteBalance);
        var options = recipe.Decode with { Demosaic = DemosaicMode.Half };
        // As Pipeline.Decode: a balance applied at decode is in the decoded image; any other is left to the adjustments.
        if (wb.AppliesAtDecode(photo: false)) (options, wb) = (wb.DecodeOptions(options), new Core.Adjust.WhiteBalanceSetting(WhiteBalanceKind.AsShot));
        var raw = _raws.Get(path, out bool kept);
        if (!kept) return null;
        string key = JsonSerializer.Serialize(new { recipe.Decode, side = Settings.PreviewSide });
        WhiteBalancePreview? preview;
        lock (_wbPreviews)
        {
            var hit = _wbPreviews.FirstOrDefault(e => ReferenceEquals(e.raw, raw) && e.key == key);
            preview = hit.preview;
            if (hit.raw is null)
            {
                preview = WhiteBalancePreview.TryCreate(raw, options, Settings.PreviewSide);
                _wbPreviews.AddFirst((raw, key, preview));
                while (_wbPreviews.Count > 2) _wbPreviews.RemoveLast();
            }
        }
        if (preview is null) return null;
        var decoded = preview.Render(options);
        Interlocked.Increment(ref _whiteBalanceMoves);
        return new Pipeline.Prepared(decoded, new OperatorContext(decoded.Metadata, preview.Scale) { FullSize = Pipeline.FullSizeOf(raw.Metadata, decoded.Image.Width, decoded.Image.Height) }, wb, path);
    }

    /// <summary>A negative's develop stage from the frame as inverted at zero film exposure and trims, kept per decoded
    /// frame and per the film settings the inversion's analysis reads. Exposure and trims enter the inversion only in
    /// its last step, positive = 0.18·2^EV · 10^(e − grey − trim) per layer (NegativeInverter.Apply,
    /// InversionParameters.Invert): a gain per channel on the kept positive, so a move of them re-runs neither the
    /// frame's analysis (base, slopes, grey, floor) nor the per-pixel inversion; the calibration follows as in export.</summary>
    private Pipeline.Prepared DevelopNegative(Pipeline.Prepared stage, string decodeKey, Recipe recipe, Pipeline pipeline, CalibrationProfile? calibration)
    {
        var film = recipe.Film;
        var neutralFilm = film with { ExposureEv = 0, Trims = [0, 0, 0] };
        // The auto base is measured on the frame alone (FilmAnalysis.EstimateBase: the rebate), not on the stock: kept
        // per decoded frame, so a stock change re-runs the rest of the analysis and the inversion only. Given as the
        // numbers ("r,g,b", round-trip format), which is what ParseBase returns for them.
        if (pipeline.Roll is null && film.Base == "auto") neutralFilm = neutralFilm with { Base = AutoBase(stage) };
        var neutral = recipe with { Film = neutralFilm };
        string key = JsonSerializer.Serialize(new { decodeKey, film = neutral.Film with { Roll = null }, roll = pipeline.Roll?.ToJson() });
        Pipeline.Prepared? inverted;
        lock (_bases) inverted = Find(_inverted, key);
        if (inverted is null)
        {
            inverted = new Pipeline(neutral) { Roll = pipeline.Roll }.Invert(stage with { Decoded = Copy(stage.Decoded) });
            lock (_bases) Remember(_inverted, new CacheEntry(key, inverted));
        }
        var developed = inverted with { Decoded = Copy(inverted.Decoded) };
        var img = developed.Decoded.Image;
        for (int c = 0; c < 3; c++)
        {
            float gain = (float)(Math.Pow(2, film.ExposureEv) * Math.Pow(10, -film.Trims[c]));
            if (gain == 1) continue;
            var plane = img.Plane(c).AsSpan(0, img.PixelCount);
            for (int i = 0; i < plane.Length; i++) plane[i] *= gain;
        }
        return pipeline.Calibrate(developed, calibration);
    }

    /// <summary>The automatic film base of each decoded frame, kept as long as the frame itself is (the decoded-stage
    /// cache returns the same object for the same file and decode settings).</summary>
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<DecodedImage, string> _autoBases = new();

    private string AutoBase(Pipeline.Prepared stage) => _autoBases.GetValue(stage.Decoded, d =>
        string.Join(",", Core.Film.FilmAnalysis.EstimateBase(d.Image).Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture))));

    private static DecodedImage Copy(DecodedImage d)
    {
        var copy = new DecodedImage
        {
            SourcePath = d.SourcePath, Image = d.Image.Clone(), Metadata = d.Metadata, Multipliers = d.Multipliers, CameraToWorking = d.CameraToWorking,
            ColorSource = d.ColorSource, WhiteLevel = d.WhiteLevel, Timings = d.Timings,
        };
        copy.Warnings.AddRange(d.Warnings);
        return copy;
    }

    /// <summary>The preview as JPEG: the cached base, a copy, the recipe's adjustments (unless <paramref name="before"/>).
    /// Also returns the base it was made from (its size and warnings go into the response).</summary>
    /// <summary>Whether the preview base of <paramref name="file"/> at the current recipe is made already.</summary>
    public bool HasBase(string file, Look look = Look.Edit)
    {
        var f = File(file);
        var (recipe, pipeline, calibration, calibrated) = Setup(f, look);
        string key = DevelopKey(DecodeKey(f.Path, recipe, calibrated, Settings.PreviewSide), recipe, calibration, pipeline.Roll);
        lock (_bases) return _bases.Any(e => e.Key == key);
    }

    private int _prefetching;

    /// <summary>Makes the preview base of <paramref name="file"/> in the background (the image the user will most
    /// likely open next), one at a time and only while a decode slot is free, so it never delays what is asked for.</summary>
    public void Prefetch(string file)
    {
        File(file); // inside the dataset, or the caller hears why
        if (Interlocked.Exchange(ref _prefetching, 1) == 1) return;
        _ = Task.Run(async () =>
        {
            try { if (_decodeSlots.CurrentCount == 2) await BaseAsync(file); }
            catch (Exception) { /* a file that cannot be decoded says so when it is opened */ }
            finally { Volatile.Write(ref _prefetching, 0); }
        });
    }

    public async Task<(byte[] jpeg, double renderMs, Pipeline.Prepared prepared)> PreviewAsync(string file, Look look, CancellationToken cancel = default, PreviewTimings? timings = null)
    {
        var prepared = await BaseAsync(file, cancel, look, timings);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        using var img = prepared.Decoded.Image.Clone();
        if (look == Look.Edit) NewPipeline().ApplyAdjustments(img, prepared);
        double ms = sw.Elapsed.TotalMilliseconds;
        sw.Restart();
        var jpeg = ImageEncoding.JpegInPlace(img);
        if (timings is not null) (timings.Adjust, timings.Encode) = (ms, sw.Elapsed.TotalMilliseconds);
        return (jpeg, ms, prepared);
    }

    private readonly FullResolution _full = new();

    /// <summary>A tile of the full-resolution image as an export renders it (<see cref="FullResolution"/>), PNG.</summary>
    public Task<(byte[] png, int width, int height)> TileAsync(string file, int level, int tx, int ty, Look look, CancellationToken cancel = default)
    {
        var f = File(file);
        var (recipe, pipeline, calibration, calibrated) = Setup(f, look);
        string decodeKey = DecodeKey(f.Path, recipe, calibrated, side: 0);
        string baseKey = DevelopKey(decodeKey, recipe, calibration, pipeline.Roll);
        string adjustKey = look == Look.Edit ? JsonSerializer.Serialize(new { adjust = recipe.Adjust.For(f.Path), alpha = recipe.Export.NormalizedFormat != "jpg" }, Recipe.Json) : "";
        // As pipeline.Prepare (Decode, then Develop), from the kept decoded stage when only develop settings changed.
        return _full.TileAsync(baseKey, adjustKey, () => pipeline.Develop(FullStage(decodeKey, () => pipeline.Decode(f.Path, calibrated: calibrated)), calibration),
            look == Look.Edit ? (img, p) => pipeline.ApplyAdjustments(img, p) : null, level, tx, ty, cancel);
    }

    /// <summary>The full-resolution decoded stage (stage 1: camera RGB, flat-fielded, for a negative) of the last file
    /// tiles were asked for, kept so that film stock, base, trims, exposure or a new chart re-run only the inversion and
    /// calibration (<see cref="Pipeline.Develop"/>), not the RAW's decode. Returns a copy: developing works in place.</summary>
    private Pipeline.Prepared FullStage(string decodeKey, Func<Pipeline.Prepared> decode)
    {
        Pipeline.Prepared stage;
        lock (_fullStageGate)
        {
            if (_fullStage?.key == decodeKey) { stage = _fullStage.Value.stage; Interlocked.Increment(ref _fullStageReuses); }
            else
            {
                _fullStage?.stage.Decoded.Dispose();
                _fullStage = null;
                stage = decode();
                _fullStage = (decodeKey, stage);
            }
            return stage with { Decoded = Copy(stage.Decoded) };
        }
    }

    private readonly object _fullStageGate = new();
    private (string key, Pipeline.Prepared stage)? _fullStage;
    private int _fullStageReuses;
    /// <summary>How many full-resolution renders started from the kept decoded stage (tests: the fast path ran).</summary>
    public int FullStageReuses => Volatile.Read(ref _fullStageReuses);

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
                try { Thumbnail(path); }
                catch (Exception e) { _thumbErrors[path] = e is RawDecodeException ? e.Message : $"{path}: {e.Message}"; }
        })
        { IsBackground = true, Name = "imagespace-thumbnails", Priority = ThreadPriority.BelowNormal };
        _thumbWorker.Start();
    }

    public byte[]? CachedThumbnail(string path) => _thumbs.GetValueOrDefault(Guard.Check(path));

    /// <summary>Why the thumbnail of <paramref name="path"/> could not be made (null: made, or not yet).</summary>
    public string? ThumbnailError(string path) => _thumbErrors.GetValueOrDefault(Guard.Check(path));

    private readonly ConcurrentDictionary<string, string> _thumbErrors = new();

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
        // A negative's thumbnail is inverted with the roll of its group (its own from its chart frame, or the plan's).
        string? group = Dataset.Files.FirstOrDefault(f => f.Path == full)?.Group;
        using var d = new Pipeline(Recipe with { Adjust = new AdjustOptions() }) { Roll = group is null ? Roll : RollOf(group) }
            .Render(full, DemosaicMode.Half, maxSide: 240);
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

    /// <summary>Locks the roll: measured once on the frames of one group (subfolder: a roll), the group of
    /// <paramref name="file"/> (the image shown; film.lockRoll, film.rollGroup). Without a file, on all frames, as
    /// `process --lock-roll` does, and the answer says when that pooled several groups. A roll already fitted on a chart
    /// frame is kept (the chart frame takes precedence in the plan), and the answer says so.</summary>
    /// <returns>the roll, the words for where it came from, and the group it was measured on ("" for all)</returns>
    public (Core.Film.RollProfile roll, string source, string group) LockRoll(string? file = null)
    {
        var r = Recipe;
        if (!r.Film.Enabled) throw new ArgumentException("turn on negative mode first");
        var groups = Dataset.Groups;
        string? group = file is { Length: > 0 } ? File(file).Group : null;
        string shown = group is null ? "" : groups.FirstOrDefault(g => g.Name == group)?.DisplayName ?? group;
        SetRecipe(r with { Film = r.Film with { LockRoll = true, RollGroup = group } });
        var outcome = ColourPlan();
        if (outcome.Plan.Roll is not { } roll)
        {
            SetRecipe(r);
            throw new ArgumentException(outcome.Errors.Count > 0 ? string.Join("; ", outcome.Errors)
                : outcome.Plan.Groups.Any(g => g.Roll is not null) ? "each group already keeps the roll of its own chart frame (charts are found per group): there is no roll to lock"
                : "the roll could not be measured");
        }
        string frames = group is not null ? $"of group '{shown}'"
            : groups.Count > 1 ? $"of all {groups.Count} groups pooled ({string.Join(", ", groups.Select(g => g.DisplayName))}): lock from an image to measure its roll alone"
            : "";
        string source = r.Calibration.Charts.Length > 0 || r.Film.Roll is not null || _projectRoll is not null
            ? $"kept: the roll is calibrated from its chart frame ({roll.Source})" : $"measured on {roll.Frames.Length} frame(s) {frames}".TrimEnd();
        return (roll, source, shown);
    }

    /// <summary>Each frame inverted on its own again: no lock, no chart frame for the roll, no roll from a project.</summary>
    public void UnlockRoll()
    {
        var r = Recipe;
        lock (_gate) _projectRoll = null;
        SetRecipe(r with { Film = r.Film with { LockRoll = false, RollGroup = null, Roll = null }, Calibration = r.Calibration with { Charts = r.Film.Enabled ? [] : r.Calibration.Charts } });
    }

    // ---- batch ---------------------------------------------------------------------------------------------

    public BatchJob? Job { get; private set; }

    /// <summary>Makes a link to a farm coordinator (URL, token); null when this program has no farm support.</summary>
    public Func<string, string?, IFarmLink>? FarmLinks { get; init; }

    /// <summary>The full plan for exporting into <paramref name="outDir"/>: what Process runs here or sends to a farm,
    /// and what a project file holds.</summary>
    public PlanOutcome Plan(string outDir) => Resolver().Resolve(DatasetRoot is null ? [] : [DatasetRoot], outDir, Recipe, Dataset);

    /// <summary>The output folder the page typed, checked before names are shown and before a batch: a full path (a
    /// relative one would land in the server's working folder, which the page never shows), inside the opened
    /// folders, and not a file.</summary>
    public string OutputFolder(string? outDir)
    {
        // Left empty: beside the images, as the page shows it.
        if (string.IsNullOrWhiteSpace(outDir)) outDir = DefaultOutput("/");
        if (!Path.IsPathFullyQualified(outDir))
            throw new ArgumentException($"output folder '{outDir}' is not a full path: give it from / (like {DefaultOutput("/home/you/photos")})");
        var full = Guard.Check(outDir);
        if (System.IO.File.Exists(full)) throw new ArgumentException($"output folder {full} is a file: choose a folder for the outputs");
        return full;
    }

    /// <summary>The output folder last used for the opened folder, if it was this one.</summary>
    public string? RememberedOutput => Settings.LastOutputFor is { } f && f == DatasetRoot ? Settings.LastOutput : null;

    /// <summary>processed/ beside the images (in <paramref name="noFolder"/> while no folder is open).</summary>
    private string DefaultOutput(string noFolder) => Path.Combine(DatasetRoot ?? noFolder, "processed");

    public BatchJob StartBatch(string outDir, string? farmUrl = null, string? farmToken = null)
    {
        var output = OutputFolder(outDir);
        if (Job is { Finished: false }) throw new InvalidOperationException("a batch is already running");
        if (!Dataset.Files.Any()) throw new InvalidOperationException("open a folder with images first");
        var outcome = Plan(output);
        if (outcome.Refused.Count > 0) throw new InvalidOperationException($"{outcome.Refused.Count} file(s) cannot be named safely: {outcome.Refused[0].Input}: {outcome.Refused[0].Reason}");
        if (outcome.Errors.Count > 0) throw new InvalidOperationException(string.Join("; ", outcome.Errors));
        Settings = Settings with { LastOutput = output, LastOutputFor = DatasetRoot };
        TrySaveSettings();
        if (!string.IsNullOrWhiteSpace(farmUrl))
        {
            // The farm gets the plan itself: the same calibrations, roll and names as a local run.
            var farm = (FarmLinks ?? throw new InvalidOperationException("this build has no farm support"))(farmUrl, string.IsNullOrEmpty(farmToken) ? null : farmToken);
            (string id, int total) submitted;
            try { submitted = farm.Submit(outcome.Plan); }
            catch { farm.Dispose(); throw; }
            Job = BatchJob.StartRemote(farm, submitted.id, submitted.total);
            return Job;
        }
        Job = BatchJob.Start(outcome.Plan);
        return Job;
    }

    // ---- project -------------------------------------------------------------------------------------------

    /// <summary>A project is the plan: recipe, folder, calibrations and roll inline, outputs into the last output
    /// folder (or processed/ beside the images).</summary>
    public void SaveProject(string path)
    {
        var full = Guard.Check(path);
        string outDir = RememberedOutput ?? DefaultOutput(Path.GetDirectoryName(full)!);
        var plan = Plan(outDir).Plan;
        Core.Export.AtomicFile.WriteAllText(full, plan.ToJson());
    }

    public void LoadProject(string path)
    {
        var full = Guard.Check(path);
        RenderPlan plan;
        try { plan = RenderPlan.FromJson(System.IO.File.ReadAllText(full)); }
        catch (JsonException e) { throw new ArgumentException($"{path}: not a project file: {e.Message}"); }
        // Checked before the folder opens: a refused project leaves the session as it was, not half switched.
        try { plan.Recipe.Validate(); }
        catch (ArgumentException e) { throw new ArgumentException($"{path}: {e.Message}"); }
        if (plan.Inputs.FirstOrDefault() is { } folder && Directory.Exists(folder)) Open(folder);
        SetRecipe(plan.Recipe);
        // A roll that no chart frame or lock in the recipe reproduces came from a roll file: keep its content.
        bool reproducible = plan.Recipe.Calibration.Charts.Length > 0 || plan.Recipe.Calibration.Auto || plan.Recipe.Film.LockRoll;
        lock (_gate) { _projectRoll = reproducible ? null : plan.Roll; _colour = null; }
    }

    public void Dispose() { _thumbQueue.CompleteAdding(); _full.Dispose(); }
}

/// <summary>What the viewer shows of an image: the edit, its chart calibration alone, or the file as shot (Before).</summary>
public enum Look { Edit, CalibrationOnly, AsShot }

/// <summary>A chart fit too poor to assign without the user's confirmation (the page asks, then sends confirm).</summary>
public sealed class PoorFitException(string message) : ArgumentException(message);

/// <summary>Where a preview's server time went, in ms: resolving the plan (calibrations, roll), decoding (0: the
/// decoded stage was cached), developing (film inversion, calibration; 0: the developed base was cached), the
/// adjustments, the JPEG encoding; the total is the whole request as the server saw it.</summary>
public sealed class PreviewTimings
{
    public double Plan { get; set; }
    public double Decode { get; set; }
    public double Develop { get; set; }
    public double Adjust { get; set; }
    public double Encode { get; set; }
    public double Total { get; set; }

    /// <summary>The X-Timing header: "total=…;plan=…;decode=…;film=…;adjust=…;encode=…" (film: the develop stage,
    /// inversion and calibration, for positives too).</summary>
    public override string ToString() => FormattableString.Invariant(
        $"total={Total:0.0};plan={Plan:0.0};decode={Decode:0.0};film={Develop:0.0};adjust={Adjust:0.0};encode={Encode:0.0}");
}
