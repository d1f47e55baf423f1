using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.RegularExpressions;

namespace ImageSpace.Cli;

/// <summary>Checks the parser does not make (issue 15: a misspelt option, "--colourspace prophoto", was taken as two
/// input paths, the batch ran with defaults and wrote sRGB), and the "did you mean" hints of usage errors.</summary>
public static class CommandLineChecks
{
    /// <summary>One error line per token that looks like an option but was taken as a positional argument: the
    /// commands' positional arguments are paths, and a path starting with '-' must be written after "--" (or as
    /// ./-name). A negative number is not an option.</summary>
    public static IReadOnlyList<(string Token, string Message)> UnknownOptions(ParseResult parsed)
    {
        var errors = new List<(string, string)>();
        int doubleDash = -1;
        for (int i = 0; i < parsed.Tokens.Count; i++)
            if (parsed.Tokens[i].Type == TokenType.DoubleDash) { doubleDash = i; break; }
        var positional = parsed.CommandResult.Children.OfType<ArgumentResult>().SelectMany(a => a.Tokens)
            .Concat(parsed.UnmatchedTokens.Select(t => new Token(t, TokenType.Argument, null!)));
        foreach (var token in positional)
        {
            string v = token.Value;
            if (v.Length < 2 || v[0] != '-' || double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out _)) continue;
            int at = IndexOf(parsed.Tokens, token);
            if (doubleDash >= 0 && at > doubleDash) continue;
            string name = v.Split('=', 2)[0];
            string message = $"unknown option '{name}' for '{CommandPath(parsed.CommandResult)}'";
            if (Suggest(name, OptionNames(parsed.CommandResult)) is { } hint) message += $"; did you mean {hint}?";
            if (!errors.Contains((v, message))) errors.Add((v, message));
        }
        return errors;
    }

    private static int IndexOf(IReadOnlyList<Token> tokens, Token t)
    {
        for (int i = 0; i < tokens.Count; i++) if (ReferenceEquals(tokens[i], t)) return i;
        return -1;
    }

    private static string CommandPath(CommandResult r)
    {
        var names = new List<string>();
        for (SymbolResult? s = r; s is CommandResult c; s = c.Parent) names.Insert(0, c.Command.Name);
        if (names.Count > 1) names.RemoveAt(0); // the root command's name is the program's file name
        return string.Join(' ', names);
    }

    private static IEnumerable<string> OptionNames(CommandResult r)
    {
        for (SymbolResult? s = r; s is CommandResult c; s = c.Parent)
            foreach (var o in c.Command.Options)
            {
                yield return o.Name;
                foreach (var a in o.Aliases) yield return a;
            }
    }

    private static readonly HashSet<string> NotValues = new(StringComparer.Ordinal)
    { "is", "not", "one", "of", "or", "and", "known", "unknown", "available", "for", "a", "the", "with" };

    /// <summary>The parser's "Cannot parse argument 'abc' for option '--quality' as expected type
    /// 'System.Nullable`1[System.Int32]'" as a user reads it ("--quality: 'abc' is not a whole number"); null for
    /// other messages.</summary>
    public static string? TypeError(string message)
    {
        var m = Regex.Match(message, @"^Cannot parse argument '(.*)' for (?:option|argument) '([^']+)' as expected type '([^']+)'");
        if (!m.Success) return null;
        return $"{m.Groups[2].Value}: '{m.Groups[1].Value}' is not {Core.Calibration.SettingsFile.ValueKind(m.Groups[3].Value) ?? "a valid value"}";
    }

    /// <summary>Adds "did you mean X?" to a usage message that quotes an unknown value and lists the known ones
    /// ("unknown colour space 'prophot' (known: srgb, …, prophoto, …)", "grouping 'pre' is not subfolder, prefix or
    /// none"): the candidates are the words after the quoted value.</summary>
    public static string WithHint(string message)
    {
        var m = Regex.Match(message, "'([^']+)'");
        if (!m.Success || message.Contains("did you mean", StringComparison.Ordinal)) return message;
        var candidates = Regex.Matches(message[(m.Index + m.Length)..], "[A-Za-z0-9][A-Za-z0-9._-]*")
            .Select(w => w.Value.TrimEnd('.')).Where(w => w.Length > 1 && !NotValues.Contains(w)).Distinct();
        return Suggest(m.Groups[1].Value, candidates) is { } hint ? $"{message}; did you mean {hint}?" : message;
    }

    /// <summary>The candidates nearest to <paramref name="typed"/>: within an edit distance (with transpositions) of a
    /// third of its length (at least 1), or starting with it when it is 3+ characters; null when none is near.</summary>
    public static string? Suggest(string typed, IEnumerable<string> candidates)
    {
        string t = typed.ToLowerInvariant();
        int limit = Math.Max(1, t.TrimStart('-').Length / 3);
        // The typed text itself is no suggestion (a value refused for another reason: "zip is not available for tiff").
        var scored = candidates.Distinct().Where(c => !c.Equals(typed, StringComparison.Ordinal))
            .Select(c => (c, d: Distance(t, c.ToLowerInvariant()))).ToList();
        var near = scored.Where(s => s.d <= limit && s.d < t.TrimStart('-').Length).ToList();
        if (near.Count == 0)
            near = scored.Where(s => t.TrimStart('-').Length >= 3 && s.c.StartsWith(typed, StringComparison.OrdinalIgnoreCase) && s.c != typed).ToList();
        if (near.Count == 0) return null;
        int best = near.Min(s => s.d);
        var names = near.Where(s => s.d == best || best > limit).Select(s => s.c).Take(4).ToList();
        return names.Count == 1 ? names[0] : string.Join(", ", names[..^1]) + " or " + names[^1];
    }

    /// <summary>Optimal string alignment distance (Levenshtein plus adjacent transpositions).</summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        return d[a.Length, b.Length];
    }
}
