using System.Diagnostics;
using ImageSpace.Core.Color;
using ImageSpace.Core.Imaging;
using ImageSpace.Core.Raw;

namespace ImageSpace.Web;

/// <summary>The preview of one Bayer RAW file at any white balance without decoding it again. White balance is a gain
/// per camera channel before the demosaic, the half-size demosaic and the area reduction to the preview are linear,
/// and the colour matrix is linear too: so, away from clipping, the preview at multipliers m is
/// M(m) · diag(m) · U, where U is the preview decoded once at unit white balance, unclipped, in camera RGB. The decoder
/// clips each raw sample at 1 after the multipliers (<see cref="CfaNormalization"/>), which is not linear: for that we
/// keep, per preview pixel, the largest sample of each colour among the raw samples it averages, and a preview pixel
/// where one of them times its multiplier passes 1 is made again from those samples exactly as the decoder makes
/// it (clip per sample, mean of the greens, area weights of OpenCV's INTER_AREA reduction). A move of the Kelvin or
/// tint slider then costs a pass over the 1200 px preview plus the clipped highlights, instead of a half-size decode of
/// 24 MP and its reduction. Checked against a fresh decode in UiPreviewCacheTests.</summary>
public sealed class WhiteBalancePreview
{
    private readonly UnpackedRaw _raw;
    private readonly BayerMosaic _mosaic;
    private readonly RgbImage _unit;
    /// <summary>Per preview pixel: the largest contributing raw sample of each colour (normalised, no multiplier).</summary>
    private readonly float[] _maxR, _maxG, _maxB;
    private readonly (int src, float w)[][] _tabX, _tabY;
    private readonly float _white;
    public double Scale { get; }

    private WhiteBalancePreview(UnpackedRaw raw, BayerMosaic mosaic, RgbImage unit, float white, double scale,
        (int, float)[][] tabX, (int, float)[][] tabY, float[] maxR, float[] maxG, float[] maxB)
    {
        (_raw, _mosaic, _unit, _white, Scale, _tabX, _tabY, _maxR, _maxG, _maxB) = (raw, mosaic, unit, white, scale, tabX, tabY, maxR, maxG, maxB);
    }

    /// <summary>Null where the fast path does not apply (not Bayer, or turned by orientation: the pixel mapping is
    /// only written for the upright case); the caller then decodes as before.</summary>
    public static WhiteBalancePreview? TryCreate(UnpackedRaw raw, DecodeOptions options, int side)
    {
        var meta = raw.Metadata;
        if (meta.Payload != "bayer" || options.Demosaic != DemosaicMode.Half || !raw.Half) return null;
        if (options.ApplyOrientation && meta.Flip != 0) return null;
        using var unit = RawDecoder.Decode(raw, options with
        {
            WhiteBalance = WhiteBalanceMode.None,
            Multipliers = null,
            LightXy = null,
            Highlights = HighlightMode.Unclipped,
            Output = ColorOutput.Camera,
        });
        var mosaic = new BayerMosaic(meta.OutWidth, meta.OutHeight, raw.Payload, meta.Cfa, meta.Black, meta.White);
        int sw = unit.Image.Width, sh = unit.Image.Height;
        if (sw != mosaic.Width / 2 || sh != mosaic.Height / 2) return null;
        double factor = Math.Max(sw, sh) > side ? side / (double)Math.Max(sw, sh) : 1.0;
        int w = Math.Max(1, (int)Math.Round(sw * factor)), h = Math.Max(1, (int)Math.Round(sh * factor));
        var reduced = new RgbImage(w, h);
        for (int c = 0; c < 3; c++)
        {
            if (factor == 1.0) { Array.Copy(unit.Image.Plane(c), reduced.Plane(c), reduced.PixelCount); continue; }
            // As Pipeline.Reduce (the path this replaces), so unclipped pixels are the same numbers.
            using var s = OpenCvSharp.Mat.FromPixelData(sh, sw, OpenCvSharp.MatType.CV_32FC1, unit.Image.Plane(c));
            using var o = OpenCvSharp.Mat.FromPixelData(h, w, OpenCvSharp.MatType.CV_32FC1, reduced.Plane(c));
            OpenCvSharp.Cv2.Resize(s, o, new OpenCvSharp.Size(w, h), 0, 0, OpenCvSharp.InterpolationFlags.Area);
        }
        var tabX = AreaTable(sw, w);
        var tabY = AreaTable(sh, h);
        var norm = CfaNormalization.For(mosaic, unit.WhiteLevel, [1f, 1f, 1f], clip: false);
        var cells = new Cells(mosaic, norm);
        float[] maxR = new float[w * h], maxG = new float[w * h], maxB = new float[w * h];
        Parallel.For(0, h, y =>
        {
            for (int x = 0; x < w; x++)
            {
                float r = float.NegativeInfinity, g = float.NegativeInfinity, b = float.NegativeInfinity;
                foreach (var (sy, _) in tabY[y])
                    foreach (var (sx, _) in tabX[x])
                    {
                        var (cr, cg1, cg2, cb) = cells.At(sx, sy);
                        r = MathF.Max(r, cr); g = MathF.Max(g, MathF.Max(cg1, cg2)); b = MathF.Max(b, cb);
                    }
                int i = y * w + x;
                (maxR[i], maxG[i], maxB[i]) = (r, g, b);
            }
        });
        return new WhiteBalancePreview(raw, mosaic, reduced, unit.WhiteLevel, 0.5 * factor, tabX, tabY, maxR, maxG, maxB);
    }

    /// <summary>The preview as <see cref="RawDecoder.Decode(UnpackedRaw, DecodeOptions)"/> followed by the pipeline's
    /// area reduction would give it for <paramref name="options"/> (its white balance, highlights and output).</summary>
    public DecodedImage Render(DecodeOptions options)
    {
        var sw = Stopwatch.StartNew();
        var meta = _raw.Metadata;
        var color = new CameraColor(meta);
        var (neutral, mul) = RawDecoder.WhiteBalanceFor(color, options);
        var toWorking = options.Output == ColorOutput.Working ? color.ToWorking(neutral, mul) : Matrix3.Identity;
        bool clip = options.Highlights == HighlightMode.Clip;
        int w = _unit.Width, h = _unit.Height;
        var img = new RgbImage(w, h);
        // The decoder's own normalisation for these multipliers: the same float scale per sample.
        var cells = new Cells(_mosaic, CfaNormalization.For(_mosaic, _white, mul, clip: false));
        float m0 = mul[0], m1 = mul[1], m2 = mul[2];
        Parallel.For(0, h, y =>
        {
            float[] R = img.R, G = img.G, B = img.B, uR = _unit.R, uG = _unit.G, uB = _unit.B;
            for (int x = 0, i = y * w; x < w; x++, i++)
            {
                if (clip && (_maxR[i] * m0 > 1f || _maxG[i] * m1 > 1f || _maxB[i] * m2 > 1f))
                {
                    // A clipped sample contributes: the mean of the clipped samples, with the reduction's weights.
                    double r = 0, g = 0, b = 0;
                    foreach (var (sy, wy) in _tabY[y])
                        foreach (var (sx, wx) in _tabX[x])
                        {
                            var (cr, cg1, cg2, cb) = cells.At(sx, sy);
                            double wt = (double)wx * wy;
                            r += wt * MathF.Min(cr, 1f);
                            g += wt * 0.5f * (MathF.Min(cg1, 1f) + MathF.Min(cg2, 1f));
                            b += wt * MathF.Min(cb, 1f);
                        }
                    (R[i], G[i], B[i]) = ((float)r, (float)g, (float)b);
                }
                else (R[i], G[i], B[i]) = (uR[i] * m0, uG[i] * m1, uB[i] * m2);
            }
        });
        var demosaic = sw.Elapsed;
        sw.Restart();
        MatrixOperator.Apply(img, toWorking);
        return new DecodedImage
        {
            SourcePath = _raw.Path, Image = img, Metadata = meta, Multipliers = mul, CameraToWorking = toWorking,
            ColorSource = color.Source, WhiteLevel = _white,
            Timings = new DecodeTimings(TimeSpan.Zero, demosaic, sw.Elapsed, TimeSpan.Zero),
        };
    }

    /// <summary>The normalised samples of a half-size pixel's 2×2 cell (as BayerDemosaic.HalfSize reads them).</summary>
    private readonly struct Cells
    {
        private readonly ushort[] _data;
        private readonly int _w, _or, _og1, _og2, _ob;
        private readonly float _br, _bg1, _bg2, _bb, _sr, _sg1, _sg2, _sb;

        public Cells(BayerMosaic m, CfaNormalization n)
        {
            (_data, _w) = (m.Data, m.Width);
            int pr = Array.IndexOf(m.Cfa, 0), pb = Array.IndexOf(m.Cfa, 2);
            int pg1 = Array.IndexOf(m.Cfa, 1), pg2 = Array.LastIndexOf(m.Cfa, 1);
            int w = m.Width;
            int Off(int p) => (p >> 1) * w + (p & 1);
            (_or, _ob, _og1, _og2) = (Off(pr), Off(pb), Off(pg1), Off(pg2));
            (_br, _bb, _bg1, _bg2) = (n.Black[pr], n.Black[pb], n.Black[pg1], n.Black[pg2]);
            (_sr, _sb, _sg1, _sg2) = (n.Scale[pr], n.Scale[pb], n.Scale[pg1], n.Scale[pg2]);
        }

        public (float r, float g1, float g2, float b) At(int x, int y)
        {
            int cell = 2 * y * _w + 2 * x;
            return ((_data[cell + _or] - _br) * _sr, (_data[cell + _og1] - _bg1) * _sg1, (_data[cell + _og2] - _bg2) * _sg2, (_data[cell + _ob] - _bb) * _sb);
        }
    }

    /// <summary>The source pixels and weights of each destination pixel of OpenCV's INTER_AREA reduction along one
    /// axis, as its computeResizeAreaTab (imgproc/src/resize.cpp) makes them: the destination cell [d·s, (d+1)·s]
    /// with s = source/destination, each source pixel weighted by its overlap with the cell over the cell's width.</summary>
    private static (int, float)[][] AreaTable(int ssize, int dsize)
    {
        var tab = new (int, float)[dsize][];
        if (ssize == dsize)
        {
            for (int d = 0; d < dsize; d++) tab[d] = [(d, 1f)];
            return tab;
        }
        double scale = 1.0 / ((double)dsize / ssize);
        var row = new List<(int, float)>();
        for (int d = 0; d < dsize; d++)
        {
            row.Clear();
            double f1 = d * scale, f2 = f1 + scale, cell = Math.Min(scale, ssize - f1);
            int s1 = (int)Math.Ceiling(f1), s2 = (int)Math.Floor(f2);
            s2 = Math.Min(s2, ssize - 1);
            s1 = Math.Min(s1, s2);
            if (s1 - f1 > 1e-3) row.Add((s1 - 1, (float)((s1 - f1) / cell)));
            for (int s = s1; s < s2; s++) row.Add((s, (float)(1.0 / cell)));
            if (f2 - s2 > 1e-3) row.Add((s2, (float)(Math.Min(Math.Min(f2 - s2, 1.0), cell) / cell)));
            tab[d] = row.ToArray();
        }
        return tab;
    }
}
