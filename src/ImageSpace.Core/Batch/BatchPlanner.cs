using ImageSpace.Core.Export;
using ImageSpace.Core.Pipeline;

namespace ImageSpace.Core.Batch;

public sealed record BatchItem(string Input, string Output, string Group);
public sealed record BatchFailure(string Input, string Reason);
public sealed record BatchPlan(IReadOnlyList<BatchItem> Items, IReadOnlyList<BatchFailure> Refused);

/// <summary>Maps every input to its output path with the naming schema, before anything is written. Collisions
/// (two inputs, also from different groups, naming the same output; compared case-insensitively, as Windows and macOS
/// would), outputs that are inputs and names outside the output folder are refused here.</summary>
public static class BatchPlanner
{
    public static BatchPlan Plan(Dataset dataset, string outDir, Recipe recipe)
    {
        var schema = NamingSchema.Parse(recipe.Naming.Schema);
        bool perGroup = recipe.Naming.Counter == "group" || (recipe.Naming.Counter == "auto" && schema.GroupIsFolder);
        var items = new List<BatchItem>();
        var refused = new List<BatchFailure>();
        var byOutput = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var inputs = RealPath.OfAll(dataset.Files.Select(f => f.Path));
        int counter = 0;
        foreach (var group in dataset.Groups)
        {
            if (perGroup) counter = 0;
            foreach (var f in group.Files)
            {
                counter++;
                string output;
                try
                {
                    var ctx = new NamingContext(Path.GetFileName(f.Root.TrimEnd('/', '\\')), f.Group,
                        Path.GetFileNameWithoutExtension(f.Path), recipe.Naming.Custom, counter, recipe.Export.Extension);
                    output = NamingSchema.Resolve(outDir, schema.Render(ctx));
                }
                catch (ArgumentException e) { refused.Add(new(f.Path, e.Message)); continue; }
                if (inputs.Contains(RealPath.OfFuture(output)) || AtomicFile.SameFile(output, f.Path))
                    refused.Add(new(f.Path, $"output {output} would overwrite an input"));
                else if (byOutput.TryGetValue(output, out var other))
                    refused.Add(new(f.Path, $"output {output} is also the output of {other} (make names unique, e.g. with [s] or [n])"));
                else
                {
                    byOutput[output] = f.Path;
                    items.Add(new(f.Path, output, f.Group));
                }
            }
        }
        return new BatchPlan(items, refused);
    }
}
