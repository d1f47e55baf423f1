using ImageSpace.Core.Batch;

namespace ImageSpace.Hosting;

/// <summary>What the UI needs of a farm coordinator: submit a batch, ask how it stands. Implemented by the farm
/// (ImageSpace.Farm.FarmClient) and handed in by the `imagespace` program, so this project does not depend on it.</summary>
public interface IFarmLink : IDisposable
{
    /// <exception cref="ArgumentException">the coordinator refused the batch (the message says why)</exception>
    (string id, int total) Submit(RenderPlan plan);

    FarmBatchStatus Status(string id);

    /// <summary>Cancels the images that have not started.</summary>
    void Cancel(string id);
}

/// <summary>Inputs and outputs of the items are relative to the batch's roots (as the coordinator sees them).</summary>
public sealed record FarmBatchStatus(string InputRoot, string OutputRoot, int Total, int Done, int Failed, int Cancelled, bool Finished, IReadOnlyList<FarmItemStatus> Items);

public sealed record FarmItemStatus(string Input, string Output, string Status, string? Error);
