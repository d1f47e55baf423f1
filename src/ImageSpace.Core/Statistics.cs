namespace ImageSpace.Core;

public static class Statistics
{
    public static double Median(IEnumerable<double> values)
    {
        var a = values.OrderBy(x => x).ToArray();
        if (a.Length == 0) return 0;
        return a.Length % 2 == 1 ? a[a.Length / 2] : (a[a.Length / 2 - 1] + a[a.Length / 2]) / 2;
    }

    /// <summary>The median of <paramref name="values"/> in linear time (Hoare's selection); reorders them. Same value as
    /// <see cref="Median"/> (the mean of the two middle values for an even count).</summary>
    public static double MedianInPlace(Span<float> values)
    {
        int n = values.Length;
        if (n == 0) return 0;
        float upper = SelectInPlace(values, n / 2);
        if (n % 2 == 1) return upper;
        // After selecting n/2, everything before it is ≤ it: the lower middle value is their maximum.
        float lower = float.NegativeInfinity;
        foreach (var v in values[..(n / 2)]) lower = MathF.Max(lower, v);
        return ((double)lower + upper) / 2;
    }

    /// <summary>The k-th smallest value; afterwards values[..k] ≤ values[k] ≤ values[(k+1)..].</summary>
    public static float SelectInPlace(Span<float> a, int k)
    {
        int lo = 0, hi = a.Length - 1;
        while (lo < hi)
        {
            float pivot = a[lo + (hi - lo) / 2];
            int i = lo, j = hi;
            while (i <= j)
            {
                while (a[i] < pivot) i++;
                while (a[j] > pivot) j--;
                if (i <= j) { (a[i], a[j]) = (a[j], a[i]); i++; j--; }
            }
            if (k <= j) hi = j;
            else if (k >= i) lo = i;
            else break;
        }
        return a[k];
    }
}
