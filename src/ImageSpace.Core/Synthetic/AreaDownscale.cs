using ImageSpace.Core.Imaging;

namespace ImageSpace.Core.Synthetic;

/// <summary>Mean of each k×k block: turns a sharp render (or a photo that went through its camera's demosaic and
/// JPEG) into a full-colour image with lens-like edges and no interpolation artefacts, the truth a demosaic is scored
/// against.</summary>
public static class AreaDownscale
{
    public static RgbImage By(RgbImage src, int k)
    {
        int w = src.Width / k, h = src.Height / k;
        var dst = new RgbImage(w, h);
        float inv = 1f / (k * k);
        Parallel.For(0, h, Parallelism.Options, y =>
        {
            for (int c = 0; c < 3; c++)
            {
                float[] s = src.Plane(c), d = dst.Plane(c);
                for (int x = 0; x < w; x++)
                {
                    float sum = 0;
                    for (int yy = 0; yy < k; yy++)
                    {
                        int row = (y * k + yy) * src.Width + x * k;
                        for (int xx = 0; xx < k; xx++) sum += s[row + xx];
                    }
                    d[y * w + x] = sum * inv;
                }
            }
        });
        return dst;
    }
}
