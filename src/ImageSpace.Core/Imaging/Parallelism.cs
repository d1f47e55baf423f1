namespace ImageSpace.Core.Imaging;

/// <summary>How many threads pixel loops may use. Every Parallel loop in the pipeline takes <see cref="Options"/>, so
/// "1 thread" really is one core. The degree belongs to a flow of work, not to the process: a batch runner or a farm
/// job opens a scope (<see cref="Use(int)"/>) that the threads and tasks it starts inherit, so a UI batch and a farm
/// worker in one process no longer overwrite each other's setting; outside any scope every core is used.</summary>
public static class Parallelism
{
    private static readonly AsyncLocal<Func<int>?> Scoped = new();

    /// <summary>Read when a loop starts: a scope whose degree changes (<see cref="Use(Func{int})"/>) reaches the loops
    /// started after the change.</summary>
    public static int MaxDegree => Scoped.Value is { } degree ? Math.Max(1, degree()) : Environment.ProcessorCount;

    public static ParallelOptions Options => new() { MaxDegreeOfParallelism = MaxDegree };

    /// <summary>Pixel loops run from here on (this thread, and the threads and tasks it starts) use at most
    /// <paramref name="degree"/> threads (0: every core) until the scope is disposed.</summary>
    public static IDisposable Use(int degree) => Use(degree > 0 ? () => degree : null);

    /// <summary>A degree asked again at every loop's start: a batch's last images take over the cores of threads that
    /// have run out of images (issue 17: the batch's tail ran on one core while the other idled).</summary>
    public static IDisposable Use(Func<int>? degree)
    {
        var previous = Scoped.Value;
        Scoped.Value = degree;
        return new Scope(previous);
    }

    private sealed class Scope(Func<int>? previous) : IDisposable
    {
        public void Dispose() => Scoped.Value = previous;
    }
}
