using System.Text.Json;
using ImageSpace.Core.Film;
using ImageSpace.Core.Imaging;
using ImageSpace.Core.Raw;

namespace ImageSpace.Web;

/// <summary>A negative frame's analysed inversion parameters (base, slopes, grey, transmittance floor), kept per
/// decoded frame and per the film settings they depend on. Film exposure and trims enter only the inversion's last
/// step (the gain 0.18·2^EV and the per-layer log offsets of <see cref="InversionParameters.Invert"/>), so moving them re-runs
/// the inversion with the kept analysis instead of analysing the frame again. Results equal
/// <see cref="FilmProcessor.Resolve"/> followed by the floor <see cref="Core.Operators.NegativeInverter"/> derives.</summary>
public sealed class InversionCache
{
    private const int Kept = 16;
    private readonly LinkedList<(string key, InversionParameters p)> _items = new();
    private int _analyses;

    /// <summary>How many times a frame was analysed (the rest reused a kept analysis).</summary>
    public int Analyses => Volatile.Read(ref _analyses);

    /// <summary>A resolver for <see cref="Core.Pipeline.Pipeline.ResolveInversion"/> on the frame decoded as
    /// <paramref name="frameKey"/> says (file, decode settings, size).</summary>
    public Func<RgbImage, RawMetadata, FilmOptions, RollProfile?, double, InversionParameters> For(string frameKey) => (img, meta, o, roll, scale) =>
    {
        // Everything but exposure and trims decides the analysis (the roll's content comes as roll, not o.Roll's path).
        string key = JsonSerializer.Serialize(new { frameKey, film = o with { ExposureEv = 0, Trims = [0, 0, 0], Roll = null }, roll = roll?.ToJson(), scale });
        lock (_items)
        {
            var node = _items.First;
            while (node is not null && node.Value.key != key) node = node.Next;
            if (node is not null)
            {
                _items.Remove(node);
                _items.AddFirst(node);
                return node.Value.p with { ExposureEv = o.ExposureEv, Trims = o.Trims };
            }
        }
        var p = FilmProcessor.Resolve(img, meta, o, roll, scale);
        Interlocked.Increment(ref _analyses);
        // The floor the inverter would derive from this same image (it reads neither exposure nor trims).
        p = p with { Floor = p.Floor ?? InversionSafety.FloorFor(img, p) };
        lock (_items)
        {
            _items.AddFirst((key, p));
            while (_items.Count > Kept) _items.RemoveLast();
        }
        return p;
    };

    public void Clear() { lock (_items) _items.Clear(); }
}
