namespace ImageSpace.Farm;

/// <summary>A batch's images per minute as the monitor shows it. Measured from the batch's creation, not from its first
/// finished image: first-to-last finish left out the first image's own time and reported 547.8 images/min for two images
/// that finished 0.2 s apart (issue 15). While the batch runs, only the last <see cref="Window"/> counts (the rate now,
/// not the average since a slow start), over at least <see cref="MinSpan"/> so that a few images finishing together do
/// not read as a burst; once it is finished, the whole batch counts.</summary>
public static class Throughput
{
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(60), MinSpan = TimeSpan.FromSeconds(10);

    public static double ImagesPerMinute(IReadOnlyCollection<DateTime> finishes, DateTime createdUtc, DateTime nowUtc, bool finished)
    {
        if (finishes.Count == 0) return 0;
        if (finished)
        {
            var last = finishes.Max();
            return finishes.Count / Math.Max((last - createdUtc).TotalMinutes, 1e-6);
        }
        var start = nowUtc - Window < createdUtc ? createdUtc : nowUtc - Window;
        int n = finishes.Count(t => t >= start && t <= nowUtc);
        var span = nowUtc - start < MinSpan ? MinSpan : nowUtc - start;
        return n / span.TotalMinutes;
    }
}
