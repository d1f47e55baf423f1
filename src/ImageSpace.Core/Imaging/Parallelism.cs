namespace ImageSpace.Core.Imaging;

/// <summary>How many threads pixel operators may use (the batch's --threads). Every Parallel loop in the pipeline
/// takes <see cref="Options"/>, so "1 thread" really is one core.</summary>
public static class Parallelism
{
    private static int _max = Environment.ProcessorCount;
    public static int MaxDegree
    {
        get => _max;
        set => _max = value <= 0 ? Environment.ProcessorCount : value;
    }
    public static ParallelOptions Options => new() { MaxDegreeOfParallelism = _max };
}
