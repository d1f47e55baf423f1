using System.Diagnostics;
using ImageSpace.Core.Adjust;
using ImageSpace.Core.Imaging;
using ImageSpace.Core.Operators;
using ImageSpace.Core.Raw;
using ImageSpace.Core.Synthetic;
using OpenCvSharp;

namespace ImageSpace.Bench;

/// <summary>`adjust`: milliseconds per 24 MP image for each adjustment operator (median of 5, warm), the whole stack
/// with and without denoise, and our denoise against OpenCV's fastNlMeansDenoisingColored on the same noisy picture
/// (PSNR and time; NLM timed on a 6 MP crop and scaled, it is linear in pixels).
/// Goals (issue 7): stack without denoise ≤ 300 ms, denoise ≤ 2 s, denoise ≥ NLM's PSNR at ≥ 5× its speed.</summary>
public static class AdjustBench
{
    public static int Run()
    {
        const int W = 6000, H = 4000;
        Console.WriteLine($"adjust bench: {W}x{H} dead-leaves image with photon + read noise, {Environment.ProcessorCount} cores, {System.Numerics.Vector<float>.Count}-wide SIMD");
        using var clean = DeadLeaves.Render(W, H, 7);
        using var noisy = clean.Clone();
        DeadLeaves.AddNoise(noisy, 0.01, 0.01, 3);
        var ctx = new OperatorContext(new RawMetadata(), 1);
        var work = new RgbImage(W, H);
        double Time(IImageOperator op)
        {
            var times = new List<double>();
            for (int i = 0; i < 6; i++)
            {
                Copy(noisy, work);
                var sw = Stopwatch.StartNew();
                op.Apply(work, ctx);
                if (i > 0) times.Add(sw.Elapsed.TotalMilliseconds); // first run warms the pools
                Core.Imaging.LargeArrayPool<float>.Return(work.Alpha); // as disposing the image does in the pipeline
                work.Alpha = null;
            }
            times.Sort();
            return times[times.Count / 2];
        }
        var ops = new (string name, IImageOperator op)[]
        {
            ("exposure +0.5 EV", new ExposureOperator(Math.Pow(2, 0.5))),
            ("white balance auto", new WhiteBalanceOperator(WhiteBalanceSetting.Parse("auto"))),
            ("white balance 3200 K (photo)", new WhiteBalanceOperator(WhiteBalanceSetting.Parse("3200"))),
            ("shadows +40 / highlights -30", new ShadowsHighlightsOperator(40, -30)),
            ("sharpen 80, r 1.0", new SharpenOperator(80, 1.0, 1.0)),
            ("mask clipped", new ClippedMaskOperator(new ExposureLimits(), withAlpha: true)),
            ("denoise 50", new DenoiseOperator(50)),
        };
        double stack = 0, autoWb = 0;
        foreach (var (name, op) in ops)
        {
            double ms = Time(op);
            if (op is not DenoiseOperator && op is not WhiteBalanceOperator) stack += ms;
            if (name.StartsWith("white balance auto")) autoWb = ms;
            Console.WriteLine($"  {name,-30} {ms,8:0} ms");
            Core.Imaging.LargeArrayPool<float>.Return(work.Alpha);
            work.Alpha = null;
        }
        double denoise = Time(new DenoiseOperator(50));
        Console.WriteLine($"  stack without denoise (exposure, shadows/highlights, sharpen, mask; RAW Kelvin WB is part of decode): {stack:0} ms (goal ≤ 300); with auto WB {stack + autoWb:0} ms");
        Console.WriteLine($"  denoise: {denoise:0} ms (goal ≤ 2000)");

        // Quality and speed against non-local means, on a 6 MP crop (3000x2000).
        const int cw = 3000, ch = 2000;
        using var cClean = Crop(clean, cw, ch);
        using var cNoisy = Crop(noisy, cw, ch);
        var truth = Srgb8(cClean);
        Copy(cNoisy, work = new RgbImage(cw, ch));
        new DenoiseOperator(50).Apply(work, ctx); // warm the pools at this size
        Copy(cNoisy, work);
        var sw = Stopwatch.StartNew();
        new DenoiseOperator(50).Apply(work, ctx);
        double oursMs = sw.Elapsed.TotalMilliseconds;
        double oursPsnr = Psnr(Srgb8(work), truth);
        var bytes = Srgb8(cNoisy);
        using var src = Mat.FromPixelData(ch, cw, MatType.CV_8UC3, bytes);
        double bestPsnr = 0, nlmMs = 0; float bestH = 0;
        foreach (float h in new[] { 5f, 7f })
        {
            using var dst = new Mat();
            sw.Restart();
            Cv2.FastNlMeansDenoisingColored(src, dst, h, h, 7, 21);
            double ms = sw.Elapsed.TotalMilliseconds;
            dst.GetArray(out Vec3b[] px);
            var ob = new byte[px.Length * 3];
            for (int i = 0; i < px.Length; i++) { ob[3 * i] = px[i].Item0; ob[3 * i + 1] = px[i].Item1; ob[3 * i + 2] = px[i].Item2; }
            double p = Psnr(ob, truth);
            if (p > bestPsnr) (bestPsnr, bestH, nlmMs) = (p, h, ms);
        }
        Console.WriteLine($"  6 MP crop: noisy {Psnr(bytes, truth):0.00} dB; ours {oursPsnr:0.00} dB in {oursMs:0} ms; OpenCV fastNlMeans (h={bestH}) {bestPsnr:0.00} dB in {nlmMs:0} ms");
        Console.WriteLine($"  ratio: ours {oursPsnr - bestPsnr:+0.00;-0.00} dB, {nlmMs / oursMs:0.0}x faster (goal ≥ same PSNR at ≥ 5x)");
        return 0;
    }

    private static void Copy(RgbImage from, RgbImage to)
    {
        Array.Copy(from.R, to.R, from.PixelCount); Array.Copy(from.G, to.G, from.PixelCount); Array.Copy(from.B, to.B, from.PixelCount);
    }

    private static RgbImage Crop(RgbImage img, int w, int h)
    {
        var o = new RgbImage(w, h);
        for (int y = 0; y < h; y++)
            for (int c = 0; c < 3; c++) Array.Copy(img.Plane(c), y * img.Width, o.Plane(c), y * w, w);
        return o;
    }

    private static byte[] Srgb8(RgbImage im)
    {
        // BGR order for OpenCV; PSNR does not care.
        var b = new byte[im.PixelCount * 3];
        var q = new Core.Export.Quantizer(Core.Color.TransferFunction.Srgb);
        Parallel.For(0, im.Height, y => q.Row8(im, y, b.AsSpan(y * im.Width * 3, im.Width * 3)));
        return b;
    }

    private static double Psnr(byte[] a, byte[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) { double d = a[i] - b[i]; s += d * d; }
        return 10 * Math.Log10(255.0 * 255 / (s / a.Length));
    }
}
