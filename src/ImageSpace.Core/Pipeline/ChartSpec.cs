using System.Text.Json;
using System.Text.Json.Serialization;

namespace ImageSpace.Core.Pipeline;

/// <summary>A chart frame named in a recipe: the file, and optionally its corners placed by hand and whether it is
/// meant for every group. In JSON a plain string is a file whose chart is detected and that calibrates its own group
/// (or every group when it lies outside the inputs).</summary>
[JsonConverter(typeof(ChartSpecJson))]
public sealed record ChartSpec(string File)
{
    /// <summary>The chart's four corners, x,y × 4 in full-resolution pixels, any order; null = detect.</summary>
    public double[]? Corners { get; init; }
    /// <summary>Calibrates every group (groups without their own chart take it under fallback "global").</summary>
    public bool AllGroups { get; init; }

    public static implicit operator ChartSpec(string file) => new(file);

    public IReadOnlyList<(double x, double y)>? CornerPoints => Corners is { Length: 8 } c ? [(c[0], c[1]), (c[2], c[3]), (c[4], c[5]), (c[6], c[7])] : null;

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(File)) throw new ArgumentException("a chart entry has no file");
        if (Corners is not null && (Corners.Length != 8 || Corners.Any(v => !double.IsFinite(v))))
            throw new ArgumentException($"chart {File}: corners need 8 finite numbers (x,y of four corners)");
    }

    private sealed record Shape(string File, double[]? Corners, bool AllGroups);

    private sealed class ChartSpecJson : JsonConverter<ChartSpec>
    {
        public override ChartSpec Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType == JsonTokenType.String) return new ChartSpec(reader.GetString()!);
            var s = JsonSerializer.Deserialize<Shape>(ref reader, options) ?? throw new JsonException("empty chart entry");
            return new ChartSpec(s.File) { Corners = s.Corners, AllGroups = s.AllGroups };
        }

        public override void Write(Utf8JsonWriter writer, ChartSpec value, JsonSerializerOptions options)
        {
            if (value.Corners is null && !value.AllGroups) writer.WriteStringValue(value.File);
            else JsonSerializer.Serialize(writer, new Shape(value.File, value.Corners, value.AllGroups), options);
        }
    }
}
