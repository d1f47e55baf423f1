using System.Text.Json.Serialization;

namespace ImageSpace.Core.Raw;

/// <summary>What LibRaw tells about a RAW file, as emitted by the imagespace-libraw helper (snake_case JSON).</summary>
public sealed class RawMetadata
{
    [JsonPropertyName("libraw")] public string LibRawVersion { get; init; } = "";
    [JsonPropertyName("make")] public string Make { get; init; } = "";
    [JsonPropertyName("model")] public string Model { get; init; } = "";
    [JsonPropertyName("lens")] public string Lens { get; init; } = "";
    [JsonPropertyName("dng_version")] public uint DngVersion { get; init; }
    [JsonPropertyName("colors")] public int Colors { get; init; }
    [JsonPropertyName("filters")] public uint Filters { get; init; }
    [JsonPropertyName("raw_width")] public int RawWidth { get; init; }
    [JsonPropertyName("raw_height")] public int RawHeight { get; init; }
    [JsonPropertyName("width")] public int Width { get; init; }
    [JsonPropertyName("height")] public int Height { get; init; }
    [JsonPropertyName("top_margin")] public int TopMargin { get; init; }
    [JsonPropertyName("left_margin")] public int LeftMargin { get; init; }
    [JsonPropertyName("flip")] public int Flip { get; init; }
    [JsonPropertyName("iso")] public double Iso { get; init; }
    [JsonPropertyName("shutter")] public double ExposureTime { get; init; }
    [JsonPropertyName("aperture")] public double FNumber { get; init; }
    [JsonPropertyName("focal_length")] public double FocalLength { get; init; }
    [JsonPropertyName("date")] public string DateTimeOriginal { get; init; } = "";
    [JsonPropertyName("black")] public float[] Black { get; init; } = new float[4];
    [JsonPropertyName("white")] public float White { get; init; }
    [JsonPropertyName("cfa")] public int[] Cfa { get; init; } = [-1, -1, -1, -1];
    /// <summary>X-Trans only: colour of each position of the 6×6 pattern (row-major, visible-area coordinates).</summary>
    [JsonPropertyName("xtrans")] public int[]? XTrans { get; init; }
    /// <summary>X-Trans only: black level per position of the 6×6 pattern.</summary>
    [JsonPropertyName("black6")] public float[]? Black6 { get; init; }
    [JsonPropertyName("cam_mul")] public float[] CamMul { get; init; } = new float[4];
    [JsonPropertyName("pre_mul")] public float[] PreMul { get; init; } = new float[4];
    [JsonPropertyName("rgb_cam")] public float[] RgbCam { get; init; } = new float[12];
    [JsonPropertyName("cam_xyz")] public float[] CamXyz { get; init; } = new float[12];
    [JsonPropertyName("dng_color")] public DngColor[] DngColors { get; init; } = [];
    [JsonPropertyName("as_shot_neutral")] public float[] AsShotNeutral { get; init; } = new float[3];
    [JsonPropertyName("has_as_shot_neutral")] public bool HasAsShotNeutral { get; init; }
    [JsonPropertyName("payload")] public string Payload { get; init; } = "";
    [JsonPropertyName("out_width")] public int OutWidth { get; init; }
    [JsonPropertyName("out_height")] public int OutHeight { get; init; }
    [JsonPropertyName("samples")] public int Samples { get; init; }
    [JsonPropertyName("payload_bytes")] public long PayloadBytes { get; init; }

    [JsonIgnore] public bool IsDng => DngVersion != 0;
    /// <summary>Image size after orientation (what the output will be).</summary>
    [JsonIgnore] public (int width, int height) OrientedSize => (Flip & 4) != 0 ? (Height, Width) : (Width, Height);
    [JsonIgnore] public string CfaDescription => Cfa.All(c => c >= 0) ? string.Concat(Cfa.Select(c => "RGB"[c])) : "none";

    public sealed class DngColor
    {
        [JsonPropertyName("illuminant")] public int Illuminant { get; init; }
        [JsonPropertyName("has_color_matrix")] public bool HasColorMatrix { get; init; }
        [JsonPropertyName("has_forward_matrix")] public bool HasForwardMatrix { get; init; }
        [JsonPropertyName("color_matrix")] public float[] ColorMatrix { get; init; } = new float[9];
        [JsonPropertyName("forward_matrix")] public float[] ForwardMatrix { get; init; } = new float[9];
    }
}

/// <summary>Compiled (source-generated) reader of the helper's metadata line: the reflection-based serializer spent
/// 60–100 ms building its converters on the first file of every run, on that image's own thread (issue 17).</summary>
[JsonSourceGenerationOptions(GenerationMode = JsonSourceGenerationMode.Metadata)]
[JsonSerializable(typeof(RawMetadata))]
internal sealed partial class RawMetadataJson : JsonSerializerContext
{
    /// <summary>Reads one metadata line of every field's type, so the reader's first use (its generic instantiations are
    /// compiled then: 60–90 ms) happens in <see cref="Batch.KernelWarmup"/> on another core, not on the first image.</summary>
    public static void WarmUp()
    {
        var sample = new RawMetadata { DngColors = [new()], XTrans = new int[36], Black6 = new float[36] };
        _ = System.Text.Json.JsonSerializer.Deserialize(System.Text.Json.JsonSerializer.Serialize(sample, Default.RawMetadata), Default.RawMetadata);
    }
}
