using System.Text;
using System.Text.RegularExpressions;

namespace ImageSpace.Core.Export;

/// <summary>What a name is made of, for one file.</summary>
/// <param name="Root">Name of the input folder ([r]).</param>
/// <param name="Group">Group, '/'-separated when it is a folder path ([s]).</param>
/// <param name="Stem">Original file name without extension ([o]).</param>
/// <param name="Custom">User text ([c]).</param>
/// <param name="Counter">1-based number ([n], [nK]).</param>
/// <param name="Extension">Output extension with the dot ([e]).</param>
public sealed record NamingContext(string Root, string Group, string Stem, string Custom, int Counter, string Extension);

/// <summary>Output naming: <c>[r]</c> root folder, <c>[s]</c> subfolder/group, <c>[o]</c> original stem, <c>[oc]</c>
/// stem without a trailing counter, <c>[c]</c> custom text, <c>[n]</c>/<c>[nK]</c> counter zero-padded to K,
/// <c>[e]</c> extension; <c>/</c> separates folders; <c>[o]-"_"</c> is the text before the first "_" (all of it when
/// there is none), <c>[o]+"_"</c> the text after it (empty when there is none); the same forms work on r, s, oc.
/// Schemas and the names they produce are checked: no "..", no absolute paths, no characters or names invalid on
/// Windows, nothing outside the output folder. A schema that ends with the output format's own extension
/// (<c>[o].jpg</c>, <c>[o].JPEG</c> for JPEG; <c>.tif</c>/<c>.tiff</c> for TIFF) has that as its extension; one that ends
/// with another format's (<c>[o].png</c> for JPEG) is refused.</summary>
public sealed class NamingSchema
{
    private abstract record Part;
    private sealed record Literal(string Text) : Part;
    private sealed record Token(string Name, int Pad, char? SplitMode, string? Separator) : Part;

    private readonly List<Part> _parts;
    public string Schema { get; }
    public bool HasExtension => _parts.OfType<Token>().Any(t => t.Name == "e");
    /// <summary>The extension the schema's own text ends with when it is one of an output format's (".jpg" in
    /// "[o].jpg", ".TIFF" in "[s]/x.TIFF"), else null.</summary>
    private readonly string? _endExtension;
    /// <summary>True when [s] is used within a folder part (so numbering per group cannot collide).</summary>
    public bool GroupIsFolder { get; }

    private NamingSchema(string schema, List<Part> parts)
    {
        Schema = schema; _parts = parts;
        int lastSlash = -1, i = 0;
        foreach (var p in parts) { if (p is Literal l && l.Text.Contains('/')) lastSlash = i; i++; }
        GroupIsFolder = parts.Take(Math.Max(0, lastSlash)).OfType<Token>().Any(t => t.Name == "s");
        _endExtension = ImageExtensionAtEnd(parts.LastOrDefault());
        // "[o].jpg[e]": an image extension written just before [e] doubles it the same way "[o][e].jpg" does.
        if (parts is [.., var beforeE, Token { Name: "e" }]) _extensionBeforeE = ImageExtensionAtEnd(beforeE);
    }

    private readonly string? _extensionBeforeE;

    /// <summary>".jpg" for a literal ending in "x.jpg" (its last path part), for any output format's extension; else null.</summary>
    private static string? ImageExtensionAtEnd(Part? part) =>
        part is Literal end && end.Text[(end.Text.LastIndexOf('/') + 1)..] is var name
            && name.LastIndexOf('.') is var dot and >= 0 && ExportOptions.FormatOf(name[(dot + 1)..]) is not null
            ? name[dot..] : null;

    /// <summary>Checks the schema against the output's extension (<see cref="ExportOptions.Extension"/>): an ending that
    /// is another format's extension is refused, naming the schema and the format. Returns whether the schema already
    /// ends with the format's own extension (so <see cref="Render"/> does not add it again).</summary>
    public bool CheckExtension(string extension)
    {
        if (_extensionBeforeE is not null)
            throw new ArgumentException($"naming schema '{Schema}' has '{_extensionBeforeE}' and [e] after it, which would name " +
                $"files '…{_extensionBeforeE}{extension}': keep one of them");
        if (_endExtension is null) return false;
        string format = ExportOptions.FormatOf(extension.TrimStart('.')) ?? throw new ArgumentException($"unknown output extension '{extension}'");
        string ends = ExportOptions.FormatOf(_endExtension[1..])!;
        // Both ways out are named: the format may have been the default or a recipe's, not something the user chose.
        if (ends != format)
            throw new ArgumentException($"naming schema '{Schema}' ends in '{_endExtension}' but the output format is {format}: " +
                $"make the format {ends}, or end the naming with [e] (or {extension})");
        if (HasExtension)
            throw new ArgumentException($"naming schema '{Schema}' has [e] and ends in '{_endExtension}' as well, which would name " +
                $"files '…{extension}{_endExtension}': keep one of them");
        return true;
    }

    private static readonly Regex TokenRx = new(@"^\[(r|s|o|oc|c|e|n)(\d?)\](?:([+-])""([^""]{1,10})"")?", RegexOptions.CultureInvariant);
    private static readonly char[] InvalidChars = ['<', '>', ':', '"', '|', '?', '*', '\\'];
    private static readonly HashSet<string> ReservedNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
        "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
    };

    public static NamingSchema Parse(string schema)
    {
        if (string.IsNullOrWhiteSpace(schema)) throw new ArgumentException("naming schema is empty");
        if (schema.StartsWith('/') || schema.StartsWith('\\') || Regex.IsMatch(schema, "^[A-Za-z]:"))
            throw new ArgumentException($"naming schema '{schema}' is an absolute path; it must be relative to the output folder");
        var parts = new List<Part>();
        var literal = new StringBuilder();
        for (int i = 0; i < schema.Length;)
        {
            if (schema[i] == '[')
            {
                var m = TokenRx.Match(schema[i..]);
                if (!m.Success)
                    throw new ArgumentException($"naming schema '{schema}': unknown or malformed placeholder at '{schema[i..Math.Min(schema.Length, i + 8)]}' (known: [r] [s] [o] [oc] [c] [n] [nK] [e], [x]-\"sep\", [x]+\"sep\")");
                string name = m.Groups[1].Value;
                int pad = m.Groups[2].Value.Length > 0 ? int.Parse(m.Groups[2].Value) : 0;
                if (pad > 0 && name != "n") throw new ArgumentException($"naming schema '{schema}': only [n] takes a width ([n4])");
                char? mode = m.Groups[3].Success ? m.Groups[3].Value[0] : null;
                if (mode is not null && name is not ("r" or "s" or "o" or "oc"))
                    throw new ArgumentException($"naming schema '{schema}': separator forms work on [r], [s], [o], [oc]");
                if (literal.Length > 0) { parts.Add(new Literal(literal.ToString())); literal.Clear(); }
                parts.Add(new Token(name, pad, mode, mode is null ? null : m.Groups[4].Value));
                i += m.Length;
            }
            else if (schema[i] == ']') throw new ArgumentException($"naming schema '{schema}': ']' without '['");
            else { literal.Append(schema[i]); i++; }
        }
        if (literal.Length > 0) parts.Add(new Literal(literal.ToString()));
        foreach (var l in parts.OfType<Literal>())
        {
            int bad = l.Text.IndexOfAny(InvalidChars);
            if (bad >= 0 || l.Text.Any(char.IsControl))
                throw new ArgumentException($"naming schema '{schema}': character '{(bad >= 0 ? l.Text[bad] : '?')}' is not allowed in file names on Windows");
        }
        if (schema.Split('/').Any(seg => seg is ".." or "."))
            throw new ArgumentException($"naming schema '{schema}': '..' and '.' segments are not allowed");
        return new NamingSchema(schema, parts);
    }

    /// <summary>The relative output path for one file (validated); appends the extension when the schema has no [e] and
    /// does not end with the extension already (see <see cref="CheckExtension"/>).</summary>
    public string Render(NamingContext c)
    {
        var sb = new StringBuilder();
        foreach (var p in _parts)
        {
            if (p is Literal l) { sb.Append(l.Text); continue; }
            var t = (Token)p;
            string v = t.Name switch
            {
                "r" => c.Root,
                "s" => c.Group,
                "o" => c.Stem,
                "oc" => WithoutCounter(c.Stem),
                "c" => c.Custom,
                "e" => c.Extension,
                "n" => c.Counter.ToString().PadLeft(t.Pad, '0'),
                _ => "",
            };
            if (t.SplitMode is { } mode)
            {
                int at = v.IndexOf(t.Separator!, StringComparison.Ordinal);
                v = mode == '-' ? (at < 0 ? v : v[..at]) : (at < 0 ? "" : v[(at + t.Separator!.Length)..]);
            }
            sb.Append(v);
        }
        if (!CheckExtension(c.Extension) && !HasExtension) sb.Append(c.Extension);
        string path = string.Join('/', sb.ToString().Split('/', StringSplitOptions.RemoveEmptyEntries));
        Check(path);
        return path;
    }

    /// <summary>The stem without a trailing counter: "IMG_0012" → "IMG", "scan-7" → "scan", "roll12" → "roll".</summary>
    public static string WithoutCounter(string stem)
    {
        string s = Regex.Replace(stem, @"[_\-. ]?\d+$", "");
        return s.Length > 0 ? s : stem;
    }

    private static void Check(string path)
    {
        if (path.Length == 0) throw new ArgumentException("the naming schema produced an empty name");
        foreach (var seg in path.Split('/'))
        {
            if (seg is "." or "..") throw new ArgumentException($"name '{path}' contains a '{seg}' folder");
            // A name starting with '.' is hidden (and "[c][e]" without --name gives just ".jpg"): refused, not written.
            if (seg.StartsWith('.')) throw new ArgumentException($"name '{path}' is hidden or empty ('{seg}' starts with '.'); check [c] (--name) and the schema");
            int bad = seg.IndexOfAny(InvalidChars);
            if (bad >= 0 || seg.Any(char.IsControl)) throw new ArgumentException($"name '{path}' contains '{(bad >= 0 ? seg[bad] : '?')}', which is invalid on Windows");
            if (seg.EndsWith('.') || seg.EndsWith(' ')) throw new ArgumentException($"name '{path}': a name ending in '.' or space is invalid on Windows");
            if (ReservedNames.Contains(seg.Split('.')[0])) throw new ArgumentException($"name '{path}': '{seg}' is a reserved name on Windows");
        }
    }

    /// <summary>Full output path under <paramref name="outDir"/>, refusing anything that resolves outside it.</summary>
    public static string Resolve(string outDir, string relative)
    {
        string root = Path.GetFullPath(outDir);
        string full = Path.GetFullPath(Path.Combine(root, relative));
        string rootWithSep = root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar;
        if (!full.StartsWith(rootWithSep, StringComparison.Ordinal))
            throw new ArgumentException($"name '{relative}' resolves outside the output folder");
        // The same with links resolved: a linked folder on the way (e.g. "[s]" naming a link, then "/sub/") must not
        // carry the file outside the output folder. The file's own name is not resolved: the final rename replaces a
        // link there instead of writing through it.
        string realRoot = RealPath.OfFuture(root), realDir = RealPath.OfFuture(Path.GetDirectoryName(full)!);
        if (!RealPath.IsInside(realDir, realRoot))
            throw new ArgumentException($"name '{relative}' leads outside the output folder through a link (to {realDir})");
        return full;
    }
}
