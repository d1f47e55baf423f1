using System.Text.Json.Serialization;
using ImageSpace.Core.Color;

namespace ImageSpace.Core.Export;

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

    [JsonIgnore]
    public string NormalizedFormat => FormatOf(Format) ?? throw new ArgumentException($"unknown format '{Format.ToLowerInvariant()}' (jpg, png, tiff, exr)");

    /// <summary>The format a name stands for, any case: "jpeg" or "JPG" → "jpg", "tif" → "tiff"; null for a name that
    /// is none of the formats written. The names are also their files' extensions (without the dot).</summary>
    public static string? FormatOf(string name) => name.ToLowerInvariant() switch
    {
        "jpg" or "jpeg" => "jpg",
        "png" => "png",
        "tif" or "tiff" => "tiff",
        "exr" => "exr",
        _ => null,
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
