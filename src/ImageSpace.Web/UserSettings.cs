using System.Text.Json;

namespace ImageSpace.Web;

/// <summary>UI preferences kept between sessions in $XDG_CONFIG_HOME/imagespace/ui.json (~/.config/…).</summary>
public sealed record UserSettings
{
    public string Theme { get; init; } = "dark";
    public string? LastFolder { get; init; }
    public string? LastOutput { get; init; }
    /// <summary>The opened folder <see cref="LastOutput"/> was chosen for: another folder's images never go there
    /// unasked (the page filled it in for every folder after a reload).</summary>
    public string? LastOutputFor { get; init; }
    public int PreviewSide { get; init; } = 1200;

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static string DefaultPath =>
        Path.Combine(Environment.GetEnvironmentVariable("XDG_CONFIG_HOME") is { Length: > 0 } x ? x
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config"), "imagespace", "ui.json");

    public static UserSettings Load(string path)
    {
        try { return File.Exists(path) ? JsonSerializer.Deserialize<UserSettings>(File.ReadAllText(path), Json) ?? new() : new(); }
        catch (JsonException) { return new(); } // a damaged file is replaced on the next save
    }

    public void Save(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        Core.Export.AtomicFile.WriteAllText(path, JsonSerializer.Serialize(this, Json));
    }
}
