using System.Text.Json;
using System.Text.Json.Serialization;
using ImageSpace.Core.Color;
using ImageSpace.Core.Raw;

namespace ImageSpace.Core.Pipeline;

/// <summary>How processed images are written.</summary>
public sealed record ExportOptions
{
    /// <summary>jpg | png | tiff | exr.</summary>
    public string Format { get; init; } = "tiff";
    /// <summary>8, 16 or 32; null = the format's default (jpg/png 8, tiff 16, exr 32 float; exr 16 = half).</summary>
    public int? BitDepth { get; init; }
    /// <summary>JPEG quality 1..100.</summary>
    public int Quality { get; init; } = 95;
    /// <summary>JPEG chroma subsampling: 444 (none) or 420.</summary>
    public string Chroma { get; init; } = "444";
    /// <summary>Output colour space id (srgb, linear-srgb, display-p3, adobe-rgb, prophoto, rec2020, acescg, linear-…);
    /// null = srgb for integer formats, linear-srgb for float ones.</summary>
    public string? ColorSpace { get; init; }
    /// <summary>TIFF: none | lzw | deflate; EXR: none | zip; auto = none for TIFF, zip for EXR.</summary>
    public string Compression { get; init; } = "auto";
    public bool EmbedIcc { get; init; } = true;
    /// <summary>Copy EXIF/XMP/GPS/maker notes from the RAW (exiftool) into every format that can carry them.</summary>
    public bool CopyMetadata { get; init; } = true;
    /// <summary>Replace existing outputs (never an input).</summary>
    public bool Overwrite { get; init; }
    /// <summary>Keep complete existing outputs and process only the rest (resume).</summary>
    public bool SkipExisting { get; init; }

    [JsonIgnore] public string NormalizedFormat => Format.ToLowerInvariant() switch
    {
        "jpg" or "jpeg" => "jpg", "png" => "png", "tif" or "tiff" => "tiff", "exr" => "exr",
        var f => throw new ArgumentException($"unknown format '{f}' (jpg, png, tiff, exr)"),
    };

    [JsonIgnore] public int ResolvedBitDepth => BitDepth ?? NormalizedFormat switch { "jpg" or "png" => 8, "tiff" => 16, _ => 32 };
    [JsonIgnore] public bool IsFloat => NormalizedFormat == "exr" || ResolvedBitDepth == 32;
    [JsonIgnore] public OutputColorSpace ResolvedColorSpace => OutputColorSpace.ByName(ColorSpace ?? (IsFloat ? "linear-srgb" : "srgb"));
    [JsonIgnore] public string ResolvedCompression => Compression.ToLowerInvariant() is "auto" ? (NormalizedFormat == "exr" ? "zip" : "none") : Compression.ToLowerInvariant();
    [JsonIgnore] public string Extension => NormalizedFormat switch { "jpg" => ".jpg", "png" => ".png", "tiff" => ".tif", _ => ".exr" };

    public void Validate()
    {
        string f = NormalizedFormat;
        int bits = ResolvedBitDepth;
        bool ok = f switch { "jpg" => bits == 8, "png" => bits is 8 or 16, "tiff" => bits is 8 or 16 or 32, _ => bits is 16 or 32 };
        if (!ok) throw new ArgumentException($"{f} cannot be written with bit depth {bits} (jpg: 8; png: 8, 16; tiff: 8, 16, 32; exr: 16 half, 32 float)");
        if (Quality is < 1 or > 100) throw new ArgumentException($"quality {Quality} is not within 1..100");
        if (Chroma is not ("444" or "420")) throw new ArgumentException($"chroma '{Chroma}' is not 444 or 420");
        var cs = ResolvedColorSpace;
        if (cs.Id == "acescg" && !IsFloat) throw new ArgumentException("acescg is for float outputs (exr, or tiff --bit-depth 32)");
        string c = ResolvedCompression;
        bool compOk = f == "exr" ? c is "none" or "zip" : f == "tiff" ? c is "none" or "lzw" or "deflate" : c is "none" or "auto";
        if (!compOk && f is "tiff" or "exr") throw new ArgumentException($"compression '{Compression}' is not available for {f} (tiff: none, lzw, deflate; exr: none, zip)");
        if (Overwrite && SkipExisting) throw new ArgumentException("--overwrite and --skip-existing contradict each other");
    }
}

/// <summary>How output paths are made (see <see cref="Batch.NamingSchema"/>).</summary>
public sealed record NamingOptions
{
    public string Schema { get; init; } = "[s]/[o][e]";
    /// <summary>The text of [c].</summary>
    public string Custom { get; init; } = "";
    /// <summary>[n] counts per group (group) or across the batch (global); auto = per group when [s] is a folder level.</summary>
    public string Counter { get; init; } = "auto";
}

/// <summary>How input files are found and grouped (see <see cref="Batch.DatasetScanner"/>).</summary>
public sealed record GroupingOptions
{
    /// <summary>subfolder (each folder below the input is a group) | prefix (text before the separator) | none.</summary>
    public string By { get; init; } = "subfolder";
    public string Separator { get; init; } = "_";
    /// <summary>Glob patterns (* and ?) matched, case-insensitively, against file names and relative paths.</summary>
    public string[] Ignore { get; init; } = [];
}

/// <summary>Chart colour correction of a batch (see Calibration/). A group uses its own profile (the profile's group,
/// or a chart frame inside the group); a group without one is an error unless <see cref="Fallback"/> is "global"
/// (and a global profile is given) or calibration is disabled. Never another group's chart.</summary>
public sealed record CalibrationOptions
{
    /// <summary>Calibration profile files (JSON from `imagespace calibrate`).</summary>
    public string[] Profiles { get; init; } = [];
    /// <summary>Chart images to calibrate from on the fly; each belongs to the group of its folder/prefix.</summary>
    public string[] Charts { get; init; } = [];
    /// <summary>error | global.</summary>
    public string Fallback { get; init; } = "error";
    /// <summary>Several chart frames in one group: best (lowest mean ΔE2000) | average (patches averaged, one fit).</summary>
    public string Combine { get; init; } = "best";
    /// <summary>Reference: after2014 | before2014 | a CSV file.</summary>
    public string Reference { get; init; } = "after2014";
    [JsonIgnore] public bool Enabled => Profiles.Length > 0 || Charts.Length > 0;
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
        catch (JsonException e) { throw new ArgumentException($"{path}: invalid recipe: {e.Message}", e); }
    }

    public void Validate()
    {
        if (Version != 1) throw new ArgumentException($"recipe version {Version} is not supported (1)");
        Decode.Validate();
        Export.Validate();
        Adjust.Validate();
        ImageSpace.Core.Batch.NamingSchema.Parse(Naming.Schema);
        if (Naming.Counter is not ("auto" or "group" or "global")) throw new ArgumentException($"counter '{Naming.Counter}' is not auto, group or global");
        if (Grouping.By is not ("subfolder" or "prefix" or "none")) throw new ArgumentException($"grouping '{Grouping.By}' is not subfolder, prefix or none");
        if (Grouping.By == "prefix" && string.IsNullOrEmpty(Grouping.Separator)) throw new ArgumentException("prefix grouping needs a separator");
        if (Batch.Threads < 0 || Batch.MemoryMb < 0) throw new ArgumentException("threads and memory must not be negative");
        if (Calibration.Fallback is not ("error" or "global")) throw new ArgumentException($"calibration fallback '{Calibration.Fallback}' is not error or global");
        if (Calibration.Combine is not ("best" or "average")) throw new ArgumentException($"chart combine '{Calibration.Combine}' is not best or average");
    }
}
