namespace ImageSpace.Core.Imaging;

/// <summary>Applies the camera orientation in LibRaw's "flip" convention (bit 4: transpose, bit 2: flip rows,
/// bit 1: flip columns; 3 = 180°, 5 = 90° counter-clockwise, 6 = 90° clockwise), which LibRaw derives from the EXIF
/// Orientation tag. Pixels are rotated once, here, and outputs are written with Orientation = 1 so no viewer rotates
/// them a second time.</summary>
public static class Orientation
{
    /// <summary>Returns the oriented image; when that is a new image, <paramref name="src"/> is disposed.</summary>
    public static RgbImage Apply(RgbImage src, int flip)
    {
        flip &= 7;
        if (flip == 0) return src;
        int w = src.Width, h = src.Height;
        bool transpose = (flip & 4) != 0;
        int ow = transpose ? h : w, oh = transpose ? w : h;
        var dst = new RgbImage(ow, oh);
        for (int c = 0; c < 3; c++)
        {
            float[] s = src.Plane(c), d = dst.Plane(c);
            Parallel.For(0, oh, Parallelism.Options, r =>
            {
                int rowBase = r * ow;
                for (int col = 0; col < ow; col++)
                {
                    int sr = r, sc = col;
                    if (transpose) (sr, sc) = (sc, sr);
                    if ((flip & 2) != 0) sr = h - 1 - sr;
                    if ((flip & 1) != 0) sc = w - 1 - sc;
                    d[rowBase + col] = s[sr * w + sc];
                }
            });
        }
        src.Dispose();
        return dst;
    }

    /// <summary>The EXIF Orientation value that corresponds to a LibRaw flip (for reporting).</summary>
    public static int ToExif(int flip) => (flip & 7) switch { 0 => 1, 3 => 3, 5 => 8, 6 => 6, 1 => 2, 2 => 4, 4 => 5, 7 => 7, _ => 1 };
}
