namespace ImageSpace.Core.Imaging;

/// <summary>How many threads pixel loops may use. Every Parallel loop in the pipeline takes <see cref="Options"/>, so
/// "1 thread" really is one core. The degree belongs to a flow of work, not to the process: a batch runner or a farm
/// job opens a scope (<see cref="Use"/>) that the threads and tasks it starts inherit, so a UI batch and a farm worker
/// in one process no longer overwrite each other's setting; outside any scope every core is used.</summary>
public static class Parallelism
{
    private static readonly AsyncLocal<int?> Scoped = new();

    public static int MaxDegree => Scoped.Value ?? Environment.ProcessorCount;

    public static ParallelOptions Options => new() { MaxDegreeOfParallelism = MaxDegree };

    /// <summary>Pixel loops run from here on (this thread, and the threads and tasks it starts) use at most
    /// <paramref name="degree"/> threads (0: every core) until the scope is disposed.</summary>
    public static IDisposable Use(int degree)
    {
        var previous = Scoped.Value;
        Scoped.Value = degree > 0 ? degree : null;
        return new Scope(previous);
    }

    private sealed class Scope(int? previous) : IDisposable
    {
        public void Dispose() => Scoped.Value = previous;
    }
}
