using System.Text.Json;
using System.Text.Json.Serialization;
using ImageSpace.Core.Raw;

namespace ImageSpace.Core.Pipeline;

/// <summary>Export settings (grows with the export issue: formats, colour spaces, naming).</summary>
public sealed record ExportOptions
{
    public string Format { get; init; } = "tiff";
    public int BitDepth { get; init; } = 16;
    /// <summary>none | lzw | deflate.</summary>
    public string Compression { get; init; } = "none";
    /// <summary>Replace an existing output file (never an input).</summary>
    public bool Overwrite { get; init; }

    public void Validate()
    {
        if (Format != "tiff") throw new ArgumentException($"unsupported format '{Format}' (this version writes: tiff)");
        if (BitDepth != 16) throw new ArgumentException($"unsupported bit depth {BitDepth} for tiff (this version writes: 16)");
        if (Compression is not ("none" or "lzw" or "deflate")) throw new ArgumentException($"unknown compression '{Compression}' (none, lzw, deflate)");
    }
}

/// <summary>Everything that decides how a RAW becomes an output, in one JSON document. The CLI, the UI, the batch
/// runner and farm workers all read the same recipe and hand it to the same <see cref="Pipeline"/>.</summary>
public sealed record Recipe
{
    public int Version { get; init; } = 1;
    public DecodeOptions Decode { get; init; } = new();
    public ExportOptions Export { get; init; } = new();

    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static Recipe FromJson(string json) =>
        JsonSerializer.Deserialize<Recipe>(json, Json) ?? throw new ArgumentException("empty recipe");

    public static Recipe Load(string path)
    {
        try { return FromJson(File.ReadAllText(path)); }
        catch (JsonException e) { throw new ArgumentException($"{path}: invalid recipe: {e.Message}", e); }
    }

    public void Validate()
    {
        if (Version != 1) throw new ArgumentException($"recipe version {Version} is not supported (1)");
        Decode.Validate();
        Export.Validate();
    }
}
