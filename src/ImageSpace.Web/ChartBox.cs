using ImageSpace.Core.Charts;
using ImageSpace.Core.Imaging;
using ImageSpace.Core.Raw;

namespace ImageSpace.Web;

/// <summary>The crop-box step of the original tool's chart flow (seed inventory §2.3: rubber band → corners →
/// flatten → finalize): the chart is searched for only inside a box the user dragged around it. The detector then
/// sees the box at its full decoded resolution instead of the whole frame reduced to ~1200 px, so a chart that is a
/// small part of a large frame keeps patches wide enough to segment, and clutter outside the box cannot win.</summary>
public static class ChartBox
{
    /// <summary>The chart's grid corners (patch 1, 6, 24, 19) in the file's full-resolution pixels, found inside
    /// <paramref name="box"/> = [x, y, width, height] (full-resolution pixels), on the pixels measurement uses (the
    /// pipeline's half-size decode stage; the negative in film mode).</summary>
    public static (double x, double y)[] Detect(UiSession s, string file, double[] box)
    {
        if (box is not { Length: 4 }) throw new ArgumentException("the crop box needs 4 numbers: x, y, width, height");
        var f = s.File(file);
        var pipeline = s.NewPipeline();
        bool film = pipeline.Recipe.Film.Enabled;
        var stage = pipeline.Decode(f.Path, DemosaicMode.Half, calibrated: !film);
        using (stage.Decoded)
        {
            var img = stage.Decoded.Image;
            double k = stage.Context.Scale; // decoded pixels per full-resolution pixel
            int x0 = Math.Clamp((int)Math.Floor(box[0] * k), 0, img.Width - 1), y0 = Math.Clamp((int)Math.Floor(box[1] * k), 0, img.Height - 1);
            int x1 = Math.Clamp((int)Math.Ceiling((box[0] + box[2]) * k), x0 + 1, img.Width), y1 = Math.Clamp((int)Math.Ceiling((box[1] + box[3]) * k), y0 + 1, img.Height);
            if (x1 - x0 < 24 || y1 - y0 < 16) throw new ArgumentException("the crop box is too small for a chart: drag a box around the whole chart");
            // A box much smaller than the detector's working size is enlarged to it: the segmentation's block sizes
            // and minimum areas are made for charts of a few hundred pixels, so a chart 70 px wide is found once
            // its patches are resampled to a size the detector resolves (the pixels measured are the decoded ones).
            int up = Math.Clamp(WorkingSide / Math.Max(x1 - x0, y1 - y0), 1, 8);
            using var crop = Crop(img, x0, y0, x1 - x0, y1 - y0, up);
            var options = new DetectorOptions
            {
                Negative = film,
                Reference = pipeline.Recipe.Calibration.Reference.Contains("before", StringComparison.OrdinalIgnoreCase) ? ColorCheckerReference.Before2014 : ColorCheckerReference.After2014,
            };
            var d = ChartDetector.Detect(crop, options);
            if (!d.Found) throw new ArgumentException($"no chart inside the box ({UiWords.Of(d.Note)}): place the corners by hand");
            return d.Corners.Select(c => ((c.x / up + x0) / k, (c.y / up + y0) / k)).ToArray();
        }
    }

    /// <summary>The flattened chart (<see cref="ChartDebug.Rectified"/>, 100 px per pitch) from the measured pixels (the
    /// half-size decode stage) when the chart is small in the preview: there a 120 px chart of a 4800 px frame is 30 px
    /// wide and its flattened view would be a blur in which the sampled squares cannot be judged. Null when the
    /// preview is fine (its pitch is at least <paramref name="minPitch"/> pixels) or in film mode (the preview shows
    /// the inverted positive; the decode stage is the negative).</summary>
    public static OpenCvSharp.Mat? FlattenedSmall(UiSession s, string file, double[] corners, double previewScale, double minPitch = 40)
    {
        var pts = Enumerable.Range(0, 4).Select(i => (x: corners[2 * i], y: corners[2 * i + 1])).ToArray();
        double perimeter = Enumerable.Range(0, 4).Sum(i => Math.Sqrt(Math.Pow(pts[i].x - pts[(i + 1) % 4].x, 2) + Math.Pow(pts[i].y - pts[(i + 1) % 4].y, 2)));
        double pitch = perimeter / (2 * (ChartModel.Columns + ChartModel.Rows)); // full-resolution pixels per pitch
        var pipeline = s.NewPipeline();
        if (pitch * previewScale >= minPitch || pipeline.Recipe.Film.Enabled) return null;
        var stage = pipeline.Decode(s.File(file).Path, DemosaicMode.Half, calibrated: true);
        using (stage.Decoded)
        {
            double k = stage.Context.Scale;
            var d = ChartDetector.FromCorners(stage.Decoded.Image, pts.Select(p => (p.x * k, p.y * k)).ToArray());
            if (d.ChartToImage is null) throw new ArgumentException($"these corners do not make a chart ({d.Note})");
            return ChartDebug.Rectified(stage.Decoded.Image, d.ChartToImage, 1, 1);
        }
    }

    /// <summary>Longest side the box is enlarged towards (the detector's coarse size is 1200 px).</summary>
    private const int WorkingSide = 900;

    /// <summary>The box's pixels, enlarged <paramref name="up"/> times (bilinear, pixel centres kept: a point x of the
    /// crop is x · up in the enlargement, to within the half-pixel the corners are measured at anyway).</summary>
    private static RgbImage Crop(RgbImage img, int x0, int y0, int w, int h, int up)
    {
        var crop = new RgbImage(w, h);
        for (int c = 0; c < 3; c++)
        {
            float[] src = img.Plane(c), dst = crop.Plane(c);
            for (int y = 0; y < h; y++) Array.Copy(src, (y0 + y) * img.Width + x0, dst, y * w, w);
        }
        if (up == 1) return crop;
        using (crop)
        {
            var large = new RgbImage(w * up, h * up);
            for (int c = 0; c < 3; c++)
            {
                using var s = OpenCvSharp.Mat.FromPixelData(h, w, OpenCvSharp.MatType.CV_32FC1, crop.Plane(c));
                using var o = OpenCvSharp.Mat.FromPixelData(h * up, w * up, OpenCvSharp.MatType.CV_32FC1, large.Plane(c));
                OpenCvSharp.Cv2.Resize(s, o, new OpenCvSharp.Size(w * up, h * up), 0, 0, OpenCvSharp.InterpolationFlags.Linear);
            }
            return large;
        }
    }
}
