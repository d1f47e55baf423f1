using System.Text.Json;
using System.Text.Json.Serialization;
using ImageSpace.Core.Export;
using ImageSpace.Core.Raw;

namespace ImageSpace.Core.Pipeline;

/// <summary>How output paths are made (see <see cref="Export.NamingSchema"/>).</summary>
public sealed record NamingOptions
{
    public string Schema { get; init; } = "[s]/[o][e]";
    /// <summary>The text of [c].</summary>
    public string Custom { get; init; } = "";
    /// <summary>[n] counts per group (group) or across the batch (global); auto = per group when [s] is a folder level.</summary>
    public string Counter { get; init; } = "auto";
}

/// <summary>How input files are found and grouped (see Batch/DatasetScanner).</summary>
public sealed record GroupingOptions
{
    /// <summary>subfolder (each folder below the input is a group) | prefix (text before the separator) | none.</summary>
    public string By { get; init; } = "subfolder";
    public string Separator { get; init; } = "_";
    /// <summary>Glob patterns (* and ?) matched, case-insensitively, against file names and relative paths.</summary>
    public string[] Ignore { get; init; } = [];
}

/// <summary>Chart colour correction of a batch (see Calibration/ and Batch/PlanResolver). A group uses its own
/// calibration (a profile with its group, or a chart frame inside the group, named or found with <see cref="Auto"/>);
/// a group without one follows <see cref="Fallback"/>. Never another group's chart.</summary>
public sealed record CalibrationOptions
{
    /// <summary>Calibration profile files (JSON from `imagespace calibrate`).</summary>
    public string[] Profiles { get; init; } = [];
    /// <summary>Chart frames to calibrate from; each belongs to the group of its folder/prefix (or every group when
    /// it lies outside the inputs or says so).</summary>
    public ChartSpec[] Charts { get; init; } = [];
    /// <summary>Find the chart frame of every group without one: each frame is scanned at preview size and the most
    /// confident detection becomes the group's chart frame.</summary>
    public bool Auto { get; init; }
    /// <summary>error (a group without a calibration stops the batch) | global (it takes the global calibration) |
    /// none (it is processed without chart correction).</summary>
    public string Fallback { get; init; } = "error";
    /// <summary>Several chart frames in one group: best (lowest mean ΔE2000) | average (patches averaged, one fit).</summary>
    public string Combine { get; init; } = "best";
    /// <summary>Reference: after2014 | before2014 | a CSV file.</summary>
    public string Reference { get; init; } = "after2014";
    [JsonIgnore] public bool Enabled => Profiles.Length > 0 || Charts.Length > 0 || Auto;
}

/// <summary>Parallelism and memory of a local batch.</summary>
public sealed record BatchOptions
{
    /// <summary>Worker threads; 0 = one per core.</summary>
    public int Threads { get; init; }
    /// <summary>Memory budget for images in flight, MB; 0 = half of the memory available at start.</summary>
    public int MemoryMb { get; init; }
}

/// <summary>Everything that decides how a RAW becomes an output, in one JSON document. The CLI, the UI, the batch
/// runner and farm workers all read the same recipe and hand it to the same <see cref="Pipeline"/>.</summary>
public sealed record Recipe
{
    public int Version { get; init; } = 1;
    public DecodeOptions Decode { get; init; } = new();
    public ExportOptions Export { get; init; } = new();
    public NamingOptions Naming { get; init; } = new();
    public GroupingOptions Grouping { get; init; } = new();
    public BatchOptions Batch { get; init; } = new();
    public CalibrationOptions Calibration { get; init; } = new();
    public Film.FilmOptions Film { get; init; } = new();
    public Adjust.AdjustOptions Adjust { get; init; } = new();

    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static Recipe FromJson(string json) =>
        JsonSerializer.Deserialize<Recipe>(json, Json) ?? throw new ArgumentException("empty recipe");

    public static Recipe Load(string path)
    {
        // Kind first (a profile given as a recipe is named for what it is), then the strict reader ({} = defaults).
        using var doc = ImageSpace.Core.Calibration.SettingsFile.Read(path, ImageSpace.Core.Calibration.SettingsFile.Recipe, emptyIsValid: true);
        try { return doc.Deserialize<Recipe>(Json) ?? throw new ArgumentException($"{path}: empty recipe"); }
        catch (JsonException e) { throw new ArgumentException($"{path}: invalid recipe: {ImageSpace.Core.Calibration.SettingsFile.Describe(e, Json)}", e); }
    }

    public void Validate()
    {
        if (Version != 1) throw new ArgumentException($"recipe version {Version} is not supported (1)");
        Decode.Validate();
        Export.Validate();
        Adjust.Validate();
        Film.Validate();
        // Ranges are the operators' own, the same ones the CLI help and the UI's sliders show.
        foreach (var a in Adjust.Images.Values.Prepend(Adjust))
            foreach (var p in Operators.AdjustmentTable.Parameters) p.Check(Operators.AdjustmentTable.ValueOf(p, a));
        NamingSchema.Parse(Naming.Schema).CheckExtension(Export.Extension);
        if (Naming.Counter is not ("auto" or "group" or "global")) throw new ArgumentException($"counter '{Naming.Counter}' is not auto, group or global");
        if (Grouping.By is not ("subfolder" or "prefix" or "none")) throw new ArgumentException($"grouping '{Grouping.By}' is not subfolder, prefix or none");
        if (Grouping.By == "prefix" && string.IsNullOrEmpty(Grouping.Separator)) throw new ArgumentException("prefix grouping needs a separator");
        if (Batch.Threads < 0 || Batch.MemoryMb < 0) throw new ArgumentException("threads and memory must not be negative");
        if (Calibration.Fallback is not ("error" or "global" or "none")) throw new ArgumentException($"calibration fallback '{Calibration.Fallback}' is not error, global or none");
        foreach (var c in Calibration.Charts) c.Validate();
        if (Calibration.Combine is not ("best" or "average")) throw new ArgumentException($"chart combine '{Calibration.Combine}' is not best or average");
    }
}
