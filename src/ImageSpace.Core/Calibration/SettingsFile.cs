using System.Text.Json;

namespace ImageSpace.Core.Calibration;

/// <summary>The JSON files a user hands to Image Space (recipe, calibration profile, roll profile) are told apart by
/// the fields only each kind has, so a file given to the wrong option is named for what it is (issue 15: a
/// calibration profile or "{}" given as --roll was accepted and gave near-black output).</summary>
public static class SettingsFile
{
    public const string Recipe = "recipe", Calibration = "calibration profile", Roll = "roll profile";

    /// <summary>What a parsed JSON document is, or null when it is none of the known kinds.</summary>
    public static string? KindOf(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object) return null;
        bool Has(string name) => root.TryGetProperty(name, out _);
        // Roll first: a roll profile carries a "calibration" object, which is also a recipe section name.
        if (Has("base_normalized") || Has("gamma")) return Roll;
        if (Has("coefficients") || Has("model")) return Calibration;
        if (new[] { "decode", "export", "naming", "grouping", "batch", "calibration", "film", "adjust" }.Any(Has)) return Recipe;
        return null;
    }

    /// <summary>Reads <paramref name="path"/> and checks it is a JSON object of kind <paramref name="kind"/>. Every
    /// failure is an <see cref="ArgumentException"/> with one line that starts with the path.</summary>
    public static JsonDocument Read(string path, string kind, bool emptyIsValid = false)
    {
        string text;
        if (Directory.Exists(path)) throw new ArgumentException($"{path}: is a folder, not a {kind} file");
        try { text = File.ReadAllText(path); }
        catch (FileNotFoundException) { throw new ArgumentException($"{path}: {kind} not found"); }
        catch (DirectoryNotFoundException) { throw new ArgumentException($"{path}: {kind} not found"); }
        catch (UnauthorizedAccessException) { throw new ArgumentException($"{path}: permission denied reading the {kind}"); }
        catch (IOException e) { throw new ArgumentException($"{path}: cannot read the {kind} ({e.Message})", e); }
        JsonDocument doc;
        try { doc = JsonDocument.Parse(text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }); }
        catch (JsonException e) { throw new ArgumentException($"{path}: not a {kind}: malformed JSON ({FirstSentence(e.Message)})", e); }
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
            throw new ArgumentException($"{path}: not a {kind}: a JSON {root.ValueKind.ToString().ToLowerInvariant()}, not an object");
        string? actual = KindOf(root);
        if (actual is not null && actual != kind) throw new ArgumentException($"{path}: is a {actual}, not a {kind}");
        if (actual is null && !(emptyIsValid && !root.EnumerateObject().Any()))
            throw new ArgumentException($"{path}: not a {kind}: {(root.EnumerateObject().Any() ? "none of its fields belongs to one" : "an empty JSON object")}");
        return doc;
    }

    /// <summary>The shape a calibration profile must have to be applied: a known model, 3 rows of that model's term
    /// count, finite numbers, a positive exposure gain.</summary>
    public static void Check(string path, CalibrationProfile p)
    {
        int terms = CorrectionModel.Terms(p.Model);
        if (p.Coefficients.Length != 3 || p.Coefficients.Any(r => r is null || r.Length != terms))
            throw new ArgumentException($"{path}: damaged calibration profile: model {p.Model} needs 3 rows of {terms} coefficients");
        if (p.Coefficients.SelectMany(r => r).Any(v => !double.IsFinite(v)) || !double.IsFinite(p.ExposureGain) || p.ExposureGain <= 0)
            throw new ArgumentException($"{path}: damaged calibration profile: coefficients or exposure gain are not finite positive numbers");
    }

    private static string FirstSentence(string s) => s.Split(". ", 2)[0].TrimEnd('.');

    /// <summary>A deserialisation error as a user can act on it: the setting by its place in the file, and what it must
    /// be, instead of System.Text.Json's .NET type names ("could not be converted to System.Int32. Path: $.export…").</summary>
    public static string Describe(JsonException e, JsonSerializerOptions options)
    {
        string at = e.Path is { Length: > 2 } p && p.StartsWith("$.", StringComparison.Ordinal) ? p[2..] : e.Path ?? "";
        string line = e.LineNumber is { } n ? $" (line {n + 1})" : "";
        var unmapped = System.Text.RegularExpressions.Regex.Match(e.Message, "could not be mapped to any .NET member contained in type '([^']+)'");
        if (unmapped.Success)
        {
            int dot = at.LastIndexOf('.');
            string key = at[(dot + 1)..], section = dot > 0 ? $" in {at[..dot]}" : "";
            var type = typeof(SettingsFile).Assembly.GetType(unmapped.Groups[1].Value);
            string known = type is null ? "" : $"; its settings: {string.Join(", ", options.GetTypeInfo(type).Properties.Where(x => x.Set is not null).Select(x => x.Name))}";
            return $"unknown setting '{key}'{section}{line}{known}";
        }
        var converted = System.Text.RegularExpressions.Regex.Match(e.Message, @"could not be converted to ([\w.`\[\]]+)");
        if (converted.Success)
        {
            return $"{(at.Length > 0 ? at : "the file")} must be {ValueKind(converted.Groups[1].Value) ?? "of another kind"}{line}";
        }
        return FirstSentence(e.Message);
    }

    /// <summary>What a value of the .NET type <paramref name="typeName"/> is, in a user's words ("System.Int32",
    /// "System.Nullable`1[System.Double]" → "a whole number", "a number"); null for a type without such words. For the
    /// recipe reader above and the command line's parse errors alike.</summary>
    public static string? ValueKind(string typeName) =>
        typeName.Contains("Int") ? "a whole number" : typeName.Contains("Double") || typeName.Contains("Single") ? "a number"
        : typeName.Contains("Boolean") ? "true or false" : typeName.Contains("String") ? "a text in quotes"
        : typeName.Contains("[]") || typeName.Contains("List") ? "a list [ … ]" : null;
}
