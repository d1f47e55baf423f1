using System.Globalization;

namespace ImageSpace.Core.Film;

/// <summary>Negative film settings (part of the recipe). Per frame only <see cref="ExposureEv"/> and
/// <see cref="Trims"/> change unless a frame is unlocked from its roll profile.</summary>
public sealed record FilmOptions
{
    public bool Enabled { get; init; }
    /// <summary>"auto" (from the rebate), "x,y,w,h" (a rectangle in full-resolution pixels) or "r,g,b" values.</summary>
    public string Base { get; init; } = "auto";
    public string Stock { get; init; } = "portra400";
    /// <summary>Slopes overriding the stock (three values), or null.</summary>
    public double[]? Gamma { get; init; }
    /// <summary>"auto" (slopes from the frame's robust density range, scaled to the stock's green) or "stock".</summary>
    public string GammaSource { get; init; } = "stock";
    /// <summary>Grey reference as log offsets (three values), or null for automatic (a robust neutral estimate).</summary>
    public double[]? Grey { get; init; }
    /// <summary>Camera crosstalk unmix (3×3 row-major), or null for none.</summary>
    public double[]? Unmix { get; init; }
    public double ExposureEv { get; init; }
    /// <summary>Cyan, magenta, yellow trims in log exposure units (0.025 = one printer point); positive adds the colour.</summary>
    public double[] Trims { get; init; } = [0, 0, 0];
    /// <summary>With a roll profile: this frame keeps the roll's base and slopes but gets its own grey estimate
    /// (a frame shot under other light). Without it a roll is fully locked.</summary>
    public bool Unlocked { get; init; }
    /// <summary>A blank light-table frame (no film, same lens and light): uneven light is divided out before inversion.</summary>
    public string? FlatField { get; init; }
    /// <summary>A roll profile (JSON from `imagespace film analyze` or a chart frame): base, slopes, grey, calibration.</summary>
    public string? Roll { get; init; }
    /// <summary>Lock the roll: without a roll file or a chart frame, base, slopes and grey are measured once on all the
    /// roll's frames together (as `film analyze` does) instead of per frame.</summary>
    public bool LockRoll { get; init; }
    /// <summary>With <see cref="LockRoll"/>: the group (subfolder) whose frames the roll is measured on; null: all the
    /// frames. A folder of several rolls is several groups, and pooling them would mix their bases.</summary>
    public string? RollGroup { get; init; }
    /// <summary>Crop the film's rebate, sprocket holes and the holder around the frame from the positive
    /// (<see cref="FrameBorder"/>); the base is still measured on the rebate before the crop.</summary>
    public bool CropRebate { get; init; }

    /// <summary>Checked when the recipe is, so a bad value is one usage error, not one error per frame (only with film
    /// on: a stale base in a positive's recipe is never read).</summary>
    public void Validate()
    {
        if (Enabled) BaseNumbers();
    }

    /// <summary><see cref="Base"/> as numbers: null for "auto", else r,g,b (3 positive values) or x,y,w,h (4: a
    /// rectangle in full-resolution pixels).</summary>
    public double[]? BaseNumbers()
    {
        if (Base == "auto") return null;
        var parts = Base.Split(',');
        var v = new double[parts.Length];
        bool numbers = parts.Select((p, i) => double.TryParse(p.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out v[i]) && double.IsFinite(v[i])).All(ok => ok);
        if (numbers && v.Length == 3 && v.All(x => x > 0)) return v;
        // x and y may fall outside the frame (the UI's picked box starts where the drag did): the mean clamps them.
        if (numbers && v.Length == 4 && v[2] >= 1 && v[3] >= 1) return v;
        throw new ArgumentException($"film base '{Base}' is not auto, r,g,b (three positive values) or x,y,w,h (a rectangle in pixels)");
    }
}
