using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ImageSpace.Core.Calibration;
using ImageSpace.Core.Film;
using ImageSpace.Core.Pipeline;

namespace ImageSpace.Core.Batch;

/// <summary>One image of a plan: where it comes from, where it goes, its group and its exposure-normalisation
/// multiplier.</summary>
public sealed record PlannedImage(string Input, string Output, string Group, double ExposureMultiplier = 1);

/// <summary>A group of a plan and the calibration it gets.</summary>
public sealed record PlannedGroup
{
    public required string Name { get; init; }
    public int Files { get; init; }
    /// <summary>Key into <see cref="RenderPlan.Calibrations"/>; null = no chart correction (for negatives: the roll's).</summary>
    public string? Calibration { get; init; }
    /// <summary>How the calibration was decided, in words (own chart frame, own profile, global, fallback…).</summary>
    public string Source { get; init; } = "none";
    /// <summary>The group's chart frame, named or found automatically.</summary>
    public string? ChartFrame { get; init; }
    /// <summary>Detection confidence of an automatically found chart frame.</summary>
    public double? ChartConfidence { get; init; }
    /// <summary>Negatives: the roll measured on the group's own chart frame (<c>--chart auto</c>); null = the plan's
    /// <see cref="RenderPlan.Roll"/>. Per group because each group is its own roll: never another group's chart.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] // plans without one stay as they were, byte for byte
    public RollProfile? Roll { get; init; }
}

/// <summary>Everything a render needs, resolved once by <see cref="PlanResolver"/> from (inputs, recipe): the recipe,
/// the groups and their calibrations (content-hashed, inline), the film roll (inline), every image with its output
/// name and exposure multiplier. The CLI executes it, the UI saves it as its project and executes it, the farm
/// coordinator takes it as a submission and its workers execute its images: the same plan gives the same bytes
/// whoever runs it.</summary>
public sealed record RenderPlan
{
    public int Version { get; init; } = 1;
    /// <summary>The recipe the images are rendered with. Files it named for calibration and the roll are resolved into
    /// <see cref="Calibrations"/> and <see cref="Roll"/>; its film.roll is cleared.</summary>
    public Recipe Recipe { get; init; } = new();
    public string[] Inputs { get; init; } = [];
    /// <summary>The output folder (absolute); every output lies inside it.</summary>
    public string Output { get; init; } = "";
    public PlannedGroup[] Groups { get; init; } = [];
    public Dictionary<string, CalibrationProfile> Calibrations { get; init; } = [];
    public RollProfile? Roll { get; init; }
    public PlannedImage[] Images { get; init; } = [];
    /// <summary>Decisions a user should see (fallbacks, charts found, white balance not applied…).</summary>
    public string[] Notes { get; init; } = [];

    public CalibrationProfile? CalibrationOf(string group)
    {
        var key = Groups.FirstOrDefault(g => g.Name == group)?.Calibration;
        return key is null ? null : Calibrations[key];
    }

    /// <summary>The roll a group's frames are inverted with: its own (<see cref="PlannedGroup.Roll"/>), else the plan's.</summary>
    public RollProfile? RollOf(string group) => Groups.FirstOrDefault(g => g.Name == group)?.Roll ?? Roll;

    /// <summary>The pipeline that renders the images of <paramref name="group"/> (null: of a group without its own
    /// roll), the roll set from the plan, nothing read from files.</summary>
    public Pipeline.Pipeline NewPipeline(string? group = null) => new(Recipe) { Roll = group is null ? Roll : RollOf(group) };

    public string ToJson() => JsonSerializer.Serialize(this, Recipe.Json);

    public static RenderPlan FromJson(string json)
    {
        var plan = JsonSerializer.Deserialize<RenderPlan>(json, Recipe.Json) ?? throw new ArgumentException("empty plan");
        plan.Verify();
        return plan;
    }

    /// <summary>Content key of a calibration: the same fit gets the same key wherever it was made.</summary>
    public static string KeyOf(CalibrationProfile p) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(p.ToJson())))[..16].ToLowerInvariant();

    /// <summary>Checks that the plan is whole and safe to execute: a valid recipe, every output inside
    /// <see cref="Output"/> and unique (compared case-insensitively), no output that is an input, every image's group
    /// and every group's calibration present. A plan from elsewhere (a saved project, a farm submission) is checked
    /// before anything runs.</summary>
    /// <exception cref="ArgumentException">the first problem found</exception>
    public void Verify()
    {
        Recipe.Validate();
        if (Version != 1) throw new ArgumentException($"plan version {Version} is not supported (1)");
        if (Recipe.Film.Roll is not null) throw new ArgumentException("a plan carries its roll inline (film.roll must be empty)");
        if (!Path.IsPathRooted(Output)) throw new ArgumentException("the plan's output folder must be an absolute path");
        string root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(Output)) + Path.DirectorySeparatorChar;
        var groups = Groups.ToDictionary(g => g.Name);
        foreach (var g in Groups)
            if (g.Calibration is { } key && !Calibrations.ContainsKey(key)) throw new ArgumentException($"group '{g.Name}': calibration {key} is not in the plan");
        var outputs = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var inputs = Export.RealPath.OfAll(Images.Select(i => i.Input));
        foreach (var i in Images)
        {
            string output = Path.GetFullPath(i.Output);
            if (!output.StartsWith(root, StringComparison.Ordinal)) throw new ArgumentException($"{i.Input}: output {i.Output} is outside {Output}");
            if (!outputs.Add(output)) throw new ArgumentException($"{i.Input}: output {i.Output} is named twice");
            if (inputs.Contains(Export.RealPath.OfFuture(output))) throw new ArgumentException($"{i.Input}: output {i.Output} would overwrite an input");
            if (!groups.ContainsKey(i.Group)) throw new ArgumentException($"{i.Input}: group '{i.Group}' is not in the plan");
            if (!(i.ExposureMultiplier > 0) || double.IsInfinity(i.ExposureMultiplier)) throw new ArgumentException($"{i.Input}: exposure multiplier is not a positive number");
        }
    }
}

/// <summary>A plan and what stops it from running: files that cannot be named safely, and resolution errors (a group
/// without its calibration, a chart not found, an unreadable profile). A plan with errors is still complete enough
/// to show.</summary>
public sealed record PlanOutcome(RenderPlan Plan, IReadOnlyList<BatchFailure> Refused, IReadOnlyList<string> Errors, IReadOnlyList<string> DatasetErrors)
{
    public bool CanRun => Refused.Count == 0 && Errors.Count == 0;
}
