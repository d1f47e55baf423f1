namespace ImageSpace.Core.Film;

/// <summary>A film stock's characteristic slopes (γ per layer, the straight part of the density curve).</summary>
public sealed record FilmStock(string Id, string Name, double[] Gamma, double[] BaseDensity, bool BlackAndWhite = false);

/// <summary>Stock presets. Slopes and base densities are Status-M values fitted to the straight-line part of the
/// manufacturers' published characteristic curves, as digitised in andreavolpato/agx-emulsion (data marked Status M)
/// and tabulated in the team's research notes (shared/docs/film-negative-anchors.md §6.3); the numbers are cited,
/// the curves are not copied. Camera-measured slopes differ from Status M (camera passbands, crosstalk), so a
/// chart frame (two-grey fit) or the automatic range estimate refines them.</summary>
public static class FilmStocks
{
    public static readonly IReadOnlyList<FilmStock> All =
    [
        new("portra160", "Kodak Portra 160", [0.53, 0.54, 0.61], [0.20, 0.62, 0.84]),
        new("portra400", "Kodak Portra 400", [0.55, 0.55, 0.64], [0.22, 0.65, 0.87]),
        new("portra800", "Kodak Portra 800", [0.52, 0.53, 0.61], [0.31, 0.71, 1.02]),
        new("ektar100", "Kodak Ektar 100", [0.57, 0.56, 0.65], [0.21, 0.64, 0.86]),
        new("gold200", "Kodak Gold 200", [0.55, 0.57, 0.62], [0.25, 0.66, 0.96]),
        new("ultramax400", "Kodak UltraMax 400", [0.52, 0.54, 0.60], [0.28, 0.69, 0.98]),
        new("fuji400h", "Fujifilm Pro 400H", [0.61, 0.57, 0.53], [0.17, 0.68, 0.95]),
        new("superia400", "Fujifilm Superia X-TRA 400", [0.65, 0.69, 0.73], [0.14, 0.41, 0.73]),
        new("fujic200", "Fujifilm C200", [0.59, 0.64, 0.66], [0.14, 0.42, 0.73]),
        // CineStill 800T is Kodak Vision3 500T without the rem-jet layer; no curve of it is in the source data, so the
        // nearest motion-picture stock there (Vision3 250D) stands in.
        new("cinestill800t", "CineStill 800T (Vision3 250D slopes)", [0.47, 0.55, 0.53], [0.18, 0.58, 0.84]),
        new("bw", "Black and white (one silver layer)", [0.6, 0.6, 0.6], [0.1, 0.1, 0.1], BlackAndWhite: true),
    ];

    public static FilmStock ByName(string name) =>
        All.FirstOrDefault(s => s.Id.Equals(name.Replace(" ", "").Replace("-", ""), StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"unknown film stock '{name}' (known: {string.Join(", ", All.Select(s => s.Id))})");
}
