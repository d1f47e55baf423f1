using System.Globalization;
using System.Net;
using System.Text;
using ImageSpace.Core.Color;
using OpenCvSharp;

namespace ImageSpace.Core.Calibration;

/// <summary>The calibration report: an HTML page with the summary, the model choice and per-patch numbers, and PNG
/// pictures — measured / corrected / reference swatches side by side, ΔE2000 per patch as bars (in-sample and
/// leave-one-out), and the neutral row's ΔL* and C*.</summary>
public static class CalibrationReport
{
    public static string Write(string dir, string stem, CalibrationProfile p)
    {
        Directory.CreateDirectory(dir);
        Save(Swatches(p), Path.Combine(dir, $"{stem}_swatches.png"));
        Save(Bars(p), Path.Combine(dir, $"{stem}_deltae.png"));
        var html = Html(stem, p);
        string path = Path.Combine(dir, $"{stem}_report.html");
        Export.AtomicFile.WriteAllText(path, html);
        return path;
    }

    private static void Save(Mat m, string path)
    {
        using (m) Export.AtomicFile.Write(path, tmp => Cv2.ImWrite(tmp, m));
    }

    private static Scalar Bgr(Vec3 labD50)
    {
        var rgb = RgbColorSpace.Srgb.FromXyzAt(WhitePoints.D50) * Lab.ToXyz(labD50, WhitePoints.D50);
        double E(double v) => DisplayEncoding.SrgbByte(v);
        return new Scalar(E(rgb.Z), E(rgb.Y), E(rgb.X));
    }

    /// <summary>Each patch: measured (exposure-matched, no colour correction) | corrected | reference.</summary>
    private static Mat Swatches(CalibrationProfile p)
    {
        const int s = 90;
        var m = new Mat(4 * s + 30, 6 * s, MatType.CV_8UC3, Scalar.All(40));
        for (int i = 0; i < p.Patches.Length; i++)
        {
            var e = p.Patches[i];
            int x = i % 6 * s, y = i / 6 * s;
            var measuredXyz = p.ExposureGain * (WorkingSpace.ToXyzD50 * new Vec3(e.Measured[0], e.Measured[1], e.Measured[2]));
            var measuredLab = Lab.FromXyz(measuredXyz, WhitePoints.D50);
            int w = (s - 8) / 3;
            m.Rectangle(new Rect(x + 4, y + 4, w, s - 24), Bgr(measuredLab), -1);
            m.Rectangle(new Rect(x + 4 + w, y + 4, w, s - 24), Bgr(new Vec3(e.Corrected[0], e.Corrected[1], e.Corrected[2])), -1);
            m.Rectangle(new Rect(x + 4 + 2 * w, y + 4, w, s - 24), Bgr(new Vec3(e.ReferenceLab[0], e.ReferenceLab[1], e.ReferenceLab[2])), -1);
            Cv2.PutText(m, $"{e.Index}: {Fmt(e.DeltaE)}", new Point(x + 6, y + s - 6), HersheyFonts.HersheySimplex, 0.4, Scalar.White, 1);
        }
        Cv2.PutText(m, "each patch: measured | corrected | reference    (number: dE2000)", new Point(6, 4 * s + 20), HersheyFonts.HersheySimplex, 0.45, Scalar.White, 1);
        return m;
    }

    /// <summary>ΔE2000 per patch: in-sample (filled) and leave-one-out (outline), grid lines every 1.</summary>
    private static Mat Bars(CalibrationProfile p)
    {
        int w = 24 * 34 + 60, h = 300, baseY = h - 40;
        double max = Math.Max(4, p.Patches.Max(e => double.IsNaN(e.LooDeltaE) ? 0 : e.LooDeltaE) + 0.5), k = (baseY - 20) / max;
        var m = new Mat(h, w, MatType.CV_8UC3, Scalar.All(255));
        for (int g = 0; g <= (int)max; g++)
        {
            int y = baseY - (int)(g * k);
            m.Line(new Point(40, y), new Point(w - 10, y), Scalar.All(g == 0 ? 0 : 220), 1);
            Cv2.PutText(m, g.ToString(), new Point(18, y + 4), HersheyFonts.HersheySimplex, 0.4, Scalar.All(80), 1);
        }
        for (int i = 0; i < p.Patches.Length; i++)
        {
            var e = p.Patches[i];
            int x = 50 + i * 34;
            var colour = Bgr(new Vec3(e.ReferenceLab[0], e.ReferenceLab[1], e.ReferenceLab[2]));
            if (!double.IsNaN(e.DeltaE)) m.Rectangle(new Rect(x, baseY - (int)(e.DeltaE * k), 14, (int)(e.DeltaE * k)), colour, -1);
            if (!double.IsNaN(e.LooDeltaE)) m.Rectangle(new Rect(x + 15, baseY - (int)(e.LooDeltaE * k), 14, (int)(e.LooDeltaE * k)), Scalar.All(60), 1);
            Cv2.PutText(m, e.Index.ToString(), new Point(x + 4, baseY + 16), HersheyFonts.HersheySimplex, 0.35, Scalar.All(0), 1);
        }
        Cv2.PutText(m, $"dE2000 per patch: filled = in-sample (mean {p.DeltaE.Mean:0.00}), outline = leave-one-out (mean {p.DeltaE.LooMean:0.00})",
            new Point(40, h - 8), HersheyFonts.HersheySimplex, 0.45, Scalar.All(0), 1);
        return m;
    }

    private static string Fmt(double v) => double.IsNaN(v) ? "-" : v.ToString("0.00", CultureInfo.InvariantCulture);

    private static string Html(string stem, CalibrationProfile p)
    {
        string E(string s) => WebUtility.HtmlEncode(s);
        var sb = new StringBuilder();
        sb.Append($"<!doctype html><html><head><meta charset=\"utf-8\"><title>Calibration {E(stem)}</title><style>body{{font-family:sans-serif;margin:2em;max-width:1000px}}td,th{{padding:2px 8px;text-align:right}}th{{background:#eee}}</style></head><body>");
        sb.Append($"<h1>Calibration: {E(p.Source)}</h1><p>Reference: {E(p.Reference)}. Model: <b>{E(p.Model.ToString())}</b>{(p.Fit == FitObjective.DeltaE2000 ? ", ΔE2000-optimised" : ", least squares")} — {E(p.Reason)}.</p>");
        sb.Append($"<p>ΔE2000 in-sample mean <b>{p.DeltaE.Mean:0.00}</b>, max {p.DeltaE.Max:0.00}; leave-one-out mean <b>{p.DeltaE.LooMean:0.00}</b>, max {p.DeltaE.LooMax:0.00}. Exposure gain {p.ExposureGain:0.000}.");
        if (p.IlluminantCct is { } cct) sb.Append($" Light: about {cct:0} K.");
        sb.Append("</p>");
        foreach (var w in p.Warnings) sb.Append($"<p style=\"color:#a00\">Warning: {E(w)}</p>");
        sb.Append($"<img src=\"{E(stem)}_swatches.png\" alt=\"swatches\"><br><img src=\"{E(stem)}_deltae.png\" alt=\"dE per patch\">");
        sb.Append("<h2>Neutral row</h2><table><tr><th>patch</th><th>ΔL*</th><th>C* corrected</th><th>ΔE2000</th></tr>");
        foreach (var e in p.Patches.Skip(18))
            sb.Append($"<tr><td>{e.Index}</td><td>{e.Corrected[0] - e.ReferenceLab[0]:0.00}</td><td>{Math.Sqrt(e.Corrected[1] * e.Corrected[1] + e.Corrected[2] * e.Corrected[2]):0.00}</td><td>{Fmt(e.DeltaE)}</td></tr>");
        sb.Append("</table><h2>All patches</h2><table><tr><th>patch</th><th>ΔE2000</th><th>leave-one-out</th><th>clipped</th><th>corrected L* a* b*</th><th>reference L* a* b*</th></tr>");
        foreach (var e in p.Patches)
            sb.Append($"<tr><td>{e.Index}</td><td>{Fmt(e.DeltaE)}</td><td>{Fmt(e.LooDeltaE)}</td><td>{(e.Clipped ? "yes" : "")}</td><td>{string.Join(" ", e.Corrected.Select(v => v.ToString("0.0", CultureInfo.InvariantCulture)))}</td><td>{string.Join(" ", e.ReferenceLab.Select(v => v.ToString("0.0", CultureInfo.InvariantCulture)))}</td></tr>");
        sb.Append("</table></body></html>");
        return sb.ToString();
    }
}
