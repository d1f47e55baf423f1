using System.Text.RegularExpressions;

namespace ImageSpace.Tests;

/// <summary>Layers only point down (Cli/Web/Farm → Batch → Pipeline → Operators → Imaging/Color): no namespace of
/// Core depends on one that depends on it, and the servers share the Hosting project instead of each other.</summary>
public class ArchitectureTests
{
    private static string Src => Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../../src"));

    /// <summary>Namespace → the other Core namespaces its files use: by using directive, or by a qualified name
    /// (Film.FilmProcessor) of a type declared there.</summary>
    private static Dictionary<string, HashSet<string>> CoreDependencies()
    {
        var files = Directory.GetFiles(Path.Combine(Src, "ImageSpace.Core"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains("/obj/") && !f.Contains("/bin/"))
            .Select(f => (text: Regex.Replace(File.ReadAllText(f), @"//.*", ""), path: f))
            .Select(t => (t.text, ns: Regex.Match(t.text, @"namespace ImageSpace\.Core\.(\w+);").Groups[1].Value))
            .Where(t => t.ns.Length > 0).ToList();
        var types = files.GroupBy(f => f.ns).ToDictionary(g => g.Key, g => g
            .SelectMany(f => Regex.Matches(f.text, @"\b(?:class|record|struct|enum|interface)\s+(\w+)").Select(m => m.Groups[1].Value)).ToHashSet());
        var deps = types.Keys.ToDictionary(n => n, _ => new HashSet<string>());
        foreach (var (text, ns) in files)
            foreach (var other in types.Keys.Where(o => o != ns))
                if (Regex.IsMatch(text, $@"using ImageSpace\.Core\.{other};") ||
                    Regex.Matches(text, $@"(?<![\w.])(?:ImageSpace\.)?(?:Core\.)?{other}\.(\w+)").Any(m => types[other].Contains(m.Groups[1].Value)))
                    deps[ns].Add(other);
        return deps;
    }

    [Fact]
    public void Core_namespaces_have_no_cycles()
    {
        var deps = CoreDependencies();
        Assert.Contains("Adjust", deps["Operators"]); // the check sees real dependencies
        var cycles = new List<string>();
        foreach (var (a, bs) in deps)
            foreach (var b in bs)
                if (Reaches(deps, b, a)) cycles.Add($"{a} → {b} → … → {a}");
        Assert.True(cycles.Count == 0, string.Join("\n", cycles.Distinct()));
    }

    [Fact]
    public void Each_layer_depends_on_nothing_above_it()
    {
        // Batch → Pipeline → Operators → the algorithms (Adjust, Film, Calibration, Charts) → Imaging, Color.
        var deps = CoreDependencies();
        string[] above(string layer) => layer switch
        {
            "Pipeline" => ["Batch"],
            "Operators" => ["Batch", "Pipeline"],
            "Adjust" or "Film" or "Calibration" or "Charts" => ["Batch", "Pipeline", "Operators"],
            _ => ["Batch", "Pipeline", "Operators", "Adjust", "Film", "Calibration", "Charts", "Export"],
        };
        foreach (var layer in new[] { "Pipeline", "Operators", "Adjust", "Film", "Calibration", "Charts", "Imaging", "Color" })
            foreach (var up in above(layer))
                Assert.False(deps[layer].Contains(up), $"{layer} depends on {up}, a layer above it");
    }

    [Fact]
    public void Farm_and_web_do_not_reference_each_other_and_test_tools_are_not_shipped()
    {
        string farm = File.ReadAllText(Path.Combine(Src, "ImageSpace.Farm/ImageSpace.Farm.csproj"));
        string web = File.ReadAllText(Path.Combine(Src, "ImageSpace.Web/ImageSpace.Web.csproj"));
        Assert.DoesNotContain("ImageSpace.Web", farm);
        Assert.DoesNotContain("ImageSpace.Farm", web);
        Assert.Contains("ImageSpace.Hosting", farm);
        Assert.Contains("ImageSpace.Hosting", web);
        Assert.Empty(Directory.GetFiles(Src, "LocalPostgres.cs", SearchOption.AllDirectories));
    }

    private static bool Reaches(Dictionary<string, HashSet<string>> deps, string from, string to)
    {
        var seen = new HashSet<string>();
        var stack = new Stack<string>([from]);
        while (stack.TryPop(out var n))
        {
            if (n == to) return true;
            if (seen.Add(n)) foreach (var d in deps[n]) stack.Push(d);
        }
        return false;
    }
}
