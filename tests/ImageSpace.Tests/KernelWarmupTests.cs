using ImageSpace.Core.Batch;
using ImageSpace.Core.Pipeline;

namespace ImageSpace.Tests;

/// <summary>The background warm-up of the pixel kernels (issue 17: the first image of a batch compiled them on its own
/// thread) must really run them: its failures are swallowed in production, so they are looked for here.</summary>
public class KernelWarmupTests
{
    [Theory]
    [InlineData("tiff", 16, DemosaicMode.Full)]
    [InlineData("tiff", 32, DemosaicMode.Ppg)]
    [InlineData("jpg", 8, DemosaicMode.Full)]
    [InlineData("png", 16, DemosaicMode.Half)]
    [InlineData("exr", 16, DemosaicMode.Full)]
    public void The_warm_up_decodes_and_encodes_its_mosaic_and_leaves_no_file(string format, int bits, DemosaicMode demosaic)
    {
        var recipe = new Recipe { Decode = new DecodeOptions { Demosaic = demosaic }, Export = new ExportOptions { Format = format, BitDepth = bits } };
        // Its own folder: a batch of another test may be warming up in this process at the same time.
        using var dir = new TempDir();
        KernelWarmup.Run(recipe, dir.Path); // throws if the synthetic mosaic is not a valid decode or encode
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }
}
