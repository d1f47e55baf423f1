using System.Diagnostics;
using ImageSpace.Core.Color;
using ImageSpace.Core.Imaging;

namespace ImageSpace.Core.Raw;

/// <summary>A decoded image and how it was made.</summary>
public sealed class DecodedImage : IDisposable
{
    /// <summary>Hands the pixel buffers back to the pool for the next decode.</summary>
    public void Dispose() => Image.Dispose();

    public required string SourcePath { get; init; }
    public required RgbImage Image { get; init; }
    public required RawMetadata Metadata { get; init; }
    /// <summary>The white-balance multipliers applied to camera R, G, B (smallest = 1).</summary>
    public required float[] Multipliers { get; init; }
    /// <summary>Balanced camera RGB → working space (identity when the output is camera RGB).</summary>
    public required Matrix3 CameraToWorking { get; init; }
    public required string ColorSource { get; init; }
    public required float WhiteLevel { get; init; }
    public required DecodeTimings Timings { get; init; }
    /// <summary>Things the user should know about this image (e.g. how much of it exceeds the output range).</summary>
    public List<string> Warnings { get; } = [];
}

public sealed record DecodeTimings(TimeSpan Unpack, TimeSpan Demosaic, TimeSpan Color, TimeSpan Orientation)
{
    public TimeSpan Total => Unpack + Demosaic + Color + Orientation;
}

/// <summary>RAW file → linear float image in the working space: LibRaw unpacks (in its helper process), everything
/// after that is ours: black and white levels, white balance, highlight clipping, demosaic, colour matrix,
/// orientation.</summary>
public static class RawDecoder
{
    /// <summary>Metadata only; works on files whose image data is missing (LibRaw opens, does not unpack).</summary>
    public static RawMetadata ReadMetadata(string path) => LibRawHelper.Run(path, "info").Metadata;

    public static DecodedImage Decode(string path, DecodeOptions options)
    {
        options.Validate();
        var raw = Unpack(path, options.Demosaic == DemosaicMode.Half);
        try
        {
            return Decode(raw, options);
        }
        finally
        {
            LargeArrayPool<ushort>.Return(raw.Payload);
        }
    }

    /// <summary>The sensor data of <paramref name="path"/> (LibRaw, in its helper process). The payload is rented from
    /// <see cref="LargeArrayPool{T}"/>: return it when done, or leave it to the GC while others may read it.</summary>
    public static UnpackedRaw Unpack(string path, bool half) => EarlyUnpack.Take(path, half) ?? UnpackNow(path, half);

    internal static UnpackedRaw UnpackNow(string path, bool half)
    {
        var sw = Stopwatch.StartNew();
        var result = half ? LibRawHelper.Run(path, "raw", "--half") : LibRawHelper.Run(path, "raw");
        return new UnpackedRaw(path, result.Metadata, result.Payload, half, sw.Elapsed);
    }

    /// <summary>Decodes unpacked sensor data (not modified: it can be decoded again with other options).</summary>
    public static DecodedImage Decode(UnpackedRaw raw, DecodeOptions options)
    {
        options.Validate();
        if (raw.Half != (options.Demosaic == DemosaicMode.Half))
            throw new ArgumentException($"{raw.Path}: unpacked for {(raw.Half ? "half" : "full")} size, decoded with {options.Demosaic}");
        try
        {
            return Build(raw.Path, raw.Metadata, raw.Payload, options, raw.UnpackTime);
        }
        catch (InvalidDataException e)
        {
            throw new RawDecodeException(raw.Path, e.Message, e);
        }
    }

    private static DecodedImage Build(string path, RawMetadata meta, ushort[] payload, DecodeOptions options, TimeSpan unpack)
    {
        var color = new CameraColor(meta);
        var (neutral, multipliers) = WhiteBalanceFor(color, options);
        bool clip = options.Highlights == HighlightMode.Clip;
        Matrix3 toWorking = options.Output == ColorOutput.Working ? color.ToWorking(neutral, multipliers) : Matrix3.Identity;
        bool colorDone = false;
        var sw = Stopwatch.StartNew();
        RgbImage img;
        float white;
        if (meta.Payload == "bayer")
        {
            var mosaic = new BayerMosaic(meta.OutWidth, meta.OutHeight, payload, meta.Cfa, meta.Black, meta.White);
            white = SaturationLevel(mosaic.Data, mosaic.Width * mosaic.Height, mosaic.Black.Max(), mosaic.White, options.AdjustMaximumThreshold);
            var norm = CfaNormalization.For(mosaic, white, multipliers, clip);
            // RCD and LMMSE apply the colour matrix as they store each tile (one pass over the image less).
            (img, colorDone) = options.Demosaic switch
            {
                DemosaicMode.Half => (BayerDemosaic.HalfSize(mosaic, norm), false),
                DemosaicMode.Ppg => (BayerDemosaic.Full(mosaic, norm), false),
                DemosaicMode.Lmmse => (LmmseDemosaic.Full(mosaic, norm, toOutput: toWorking), true),
                _ => (RcdDemosaic.Full(mosaic, norm, toOutput: toWorking), true),
            };
        }
        else if (meta.Payload == "xtrans")
        {
            if (meta.XTrans is not { Length: 36 } || meta.Black6 is not { Length: 36 }) throw new InvalidDataException("X-Trans data without its 6x6 pattern");
            var mosaic = new XTransMosaic(meta.OutWidth, meta.OutHeight, payload, meta.XTrans, meta.Black6, meta.White);
            mosaic.Validate();
            white = SaturationLevel(mosaic.Data, mosaic.Width * mosaic.Height, mosaic.Black.Max(), mosaic.White, options.AdjustMaximumThreshold);
            img = XTransDemosaic.Full(mosaic, white, multipliers, clip ? 1f : float.PositiveInfinity);
        }
        else if (meta.Payload == "rgb")
        {
            white = 65535; // LibRaw already subtracted black and scaled saturation to 65535
            img = FromInterleaved(meta.OutWidth, meta.OutHeight, payload, multipliers, clip ? 1f : float.PositiveInfinity);
        }
        else throw new InvalidDataException($"unexpected decoder payload '{meta.Payload}'");
        var demosaic = sw.Elapsed;

        sw.Restart();
        if (!colorDone) MatrixOperator.Apply(img, toWorking);
        var colorTime = sw.Elapsed;

        sw.Restart();
        if (options.ApplyOrientation) img = Orientation.Apply(img, meta.Flip);
        return new DecodedImage
        {
            SourcePath = path, Image = img, Metadata = meta, Multipliers = multipliers, CameraToWorking = toWorking,
            ColorSource = color.Source, WhiteLevel = white,
            Timings = new DecodeTimings(unpack, demosaic, colorTime, sw.Elapsed),
        };
    }

    /// <summary>The camera neutral and the multipliers that balance it, for the chosen white balance.</summary>
    public static (Vec3 neutral, float[] multipliers) WhiteBalanceFor(CameraColor color, DecodeOptions options)
    {
        switch (options.WhiteBalance)
        {
            case WhiteBalanceMode.None:
                return (color.D65Neutral, [1f, 1f, 1f]);
            case WhiteBalanceMode.Light:
                var light = color.NeutralFor(options.LightXy![0], options.LightXy[1]);
                return (light, CameraColor.MultipliersFor(light));
            case WhiteBalanceMode.Custom:
                var m = options.Multipliers!;
                var neutral = new Vec3(1 / m[0], 1 / m[1], 1 / m[2]);
                return (neutral, CameraColor.MultipliersFor(neutral));
            default:
                var n = color.AsShotNeutral ?? color.D65Neutral;
                return (n, CameraColor.MultipliersFor(n));
        }
    }

    private static float SaturationLevel(ushort[] data, int n, float black, float white, double threshold)
    {
        if (threshold <= 0) return white;
        int max = BayerMosaic.MaxOf(data, n);
        return max < white && max - black > threshold * (white - black) ? max : white;
    }

    private static RgbImage FromInterleaved(int w, int h, ushort[] data, float[] mul, float clip)
    {
        var img = new RgbImage(w, h);
        float sr = mul[0] / 65535f, sg = mul[1] / 65535f, sb = mul[2] / 65535f;
        float[] R = img.R, G = img.G, B = img.B;
        Parallel.For(0, h, Parallelism.Options, y =>
        {
            for (int x = 0, i = y * w; x < w; x++, i++)
            {
                R[i] = MathF.Min(data[3 * i] * sr, clip);
                G[i] = MathF.Min(data[3 * i + 1] * sg, clip);
                B[i] = MathF.Min(data[3 * i + 2] * sb, clip);
            }
        });
        return img;
    }
}
