namespace ImageSpace.Core.Imaging;

/// <summary>One piece of work started before its turn (for a batch's first file, while the inputs are still being
/// scanned), taken over by the first request with an equal key, once, instead of being done again (issue 17: the
/// first image waited for its unpack and its metadata). Only the latest start is kept; one that another start replaces
/// hands its result to <c>release</c> when it finishes (a pooled payload goes back to its pool). Failures are observed
/// here, so a start that is never taken does not end as an unobserved task exception.</summary>
public sealed class EarlyStart<TKey, T>(Action<T>? release = null) where TKey : notnull
{
    private readonly object _gate = new();
    private (TKey Key, Task<T> Task)? _started;

    public Task<T> Put(TKey key, Task<T> task)
    {
        task.ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        (TKey Key, Task<T> Task)? replaced;
        lock (_gate)
        {
            replaced = _started;
            _started = (key, task);
        }
        if (replaced is { } r && release is not null)
            r.Task.ContinueWith(t => release(t.Result), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
        return task;
    }

    /// <summary>The started work for <paramref name="key"/>, which is then no longer kept, or null (none, or another key:
    /// that one stays).</summary>
    public Task<T>? Take(TKey key)
    {
        lock (_gate)
        {
            if (_started is not { } s || !EqualityComparer<TKey>.Default.Equals(s.Key, key)) return null;
            _started = null;
            return s.Task;
        }
    }
}
