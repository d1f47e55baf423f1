using System.Collections.Concurrent;
using ImageSpace.Core.Imaging;
using ImageSpace.Core.Pipeline;

namespace ImageSpace.Web;

/// <summary>The image an export writes, at full resolution, for viewing at 1:1 and beyond: the same
/// <see cref="Pipeline.Prepare"/> (the recipe's demosaic, no reduction) and <see cref="Pipeline.ApplyAdjustments"/>
/// as <c>BatchRunner.ProcessOne</c>, on the whole image. Tiles are cut from it, not rendered tile by tile: white
/// balance (auto, picked), the denoiser's noise estimate and the shadows/highlights radius depend on the whole frame,
/// so a tile rendered alone would not be the export's pixels. One image is kept: its developed base (a slider
/// re-runs only the adjustments) and its adjusted result, with the tiles already encoded.</summary>
public sealed class FullResolution : IDisposable
{
    /// <summary>A tile covers TileSize × 2^level full-resolution pixels, TileSize pixels across.</summary>
    public const int TileSize = 512;

    private readonly SemaphoreSlim _gate = new(1);
    private (string key, Pipeline.Prepared prepared)? _base;
    private (string key, RgbImage image)? _adjusted;
    private readonly ConcurrentDictionary<(int level, int tx, int ty), byte[]> _tiles = new();

    /// <summary>A tile as PNG (lossless: what is shown is the rendered 8-bit sRGB), and the full image's size.</summary>
    /// <param name="baseKey">what the developed image depends on</param>
    /// <param name="adjustKey">what the adjustments depend on (on top of the base)</param>
    public async Task<(byte[] png, int width, int height)> TileAsync(string baseKey, string adjustKey, Func<Pipeline.Prepared> prepare,
        Action<RgbImage, Pipeline.Prepared>? adjust, int level, int tx, int ty, CancellationToken cancel)
    {
        if (level is < 0 or > 6) throw new ArgumentException($"tile level {level} is not 0..6");
        await _gate.WaitAsync(cancel);
        try
        {
            if (_base?.key != baseKey)
            {
                Forget();
                _base = (baseKey, await Task.Run(prepare, cancel));
            }
            string key = baseKey + "|" + adjustKey;
            if (_adjusted?.key != key)
            {
                _adjusted?.image.Dispose();
                _adjusted = null;
                _tiles.Clear();
                var prepared = _base.Value.prepared;
                var img = prepared.Decoded.Image.Clone();
                if (adjust is not null) await Task.Run(() => adjust(img, prepared), cancel);
                _adjusted = (key, img);
            }
            var full = _adjusted.Value.image;
            var png = _tiles.GetOrAdd((level, tx, ty), t => Cut(full, t.level, t.tx, t.ty));
            return (png, full.Width, full.Height);
        }
        finally { _gate.Release(); }
    }

    /// <summary>The region of tile (tx, ty) at <paramref name="level"/>, area-averaged by 2^level, as PNG.</summary>
    private static byte[] Cut(RgbImage full, int level, int tx, int ty)
    {
        int span = TileSize << level;
        int x0 = tx * span, y0 = ty * span;
        if (tx < 0 || ty < 0 || x0 >= full.Width || y0 >= full.Height)
            throw new ArgumentException($"tile {tx},{ty} at level {level} is outside the {full.Width}×{full.Height} image");
        int w = Math.Min(span, full.Width - x0), h = Math.Min(span, full.Height - y0);
        using var crop = new RgbImage(w, h);
        for (int c = 0; c < 3; c++)
        {
            float[] src = full.Plane(c), dst = crop.Plane(c);
            for (int y = 0; y < h; y++) Array.Copy(src, (y0 + y) * full.Width + x0, dst, y * w, w);
        }
        if (level == 0) return ImageEncoding.PngInPlace(crop);
        int ow = Math.Max(1, (w + (1 << level) - 1) >> level), oh = Math.Max(1, (h + (1 << level) - 1) >> level);
        using var reduced = new RgbImage(ow, oh);
        for (int c = 0; c < 3; c++)
        {
            using var s = OpenCvSharp.Mat.FromPixelData(h, w, OpenCvSharp.MatType.CV_32FC1, crop.Plane(c));
            using var o = OpenCvSharp.Mat.FromPixelData(oh, ow, OpenCvSharp.MatType.CV_32FC1, reduced.Plane(c));
            OpenCvSharp.Cv2.Resize(s, o, new OpenCvSharp.Size(ow, oh), 0, 0, OpenCvSharp.InterpolationFlags.Area);
        }
        return ImageEncoding.PngInPlace(reduced);
    }

    private void Forget()
    {
        _adjusted?.image.Dispose();
        _adjusted = null;
        _base?.prepared.Decoded.Dispose();
        _base = null;
        _tiles.Clear();
    }

    /// <summary>Drops the kept image (another folder was opened).</summary>
    public void Clear()
    {
        _gate.Wait();
        try { Forget(); } finally { _gate.Release(); }
    }

    public void Dispose() => Clear();
}
