using System.Runtime.CompilerServices;

namespace ImageSpace.Core.Imaging;

/// <summary>The method options of scalar pixel loops that run millions of times per image. ReadyToRun precompiles a
/// method unless it uses <c>Vector&lt;T&gt;</c>, and its code for these loops was about 3× slower than the JIT's
/// (bench profile of an 8-image batch: RCD's tile loader took ~0.15 s of an image precompiled, ~0.05 s jitted).
/// Precompiled code is replaced only after a method's 1000th call (the threshold the CLI sets), which for a loop called
/// once per tile is the batch's second image. Marked methods are never precompiled: they are jitted optimised at their
/// first call: for the Bayer paths that is <see cref="Batch.KernelWarmup"/>'s, on another thread when a batch starts
/// (issue 17); the X-Trans passes are compiled by the first X-Trans image itself (the warm-up mosaic is Bayer).</summary>
internal static class HotLoop
{
    public const MethodImplOptions Options = MethodImplOptions.AggressiveOptimization;
}
