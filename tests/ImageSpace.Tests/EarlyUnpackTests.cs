using ImageSpace.Core.Synthetic;

namespace ImageSpace.Tests;

/// <summary>A batch's first RAW is unpacked while the plan is resolved (<see cref="EarlyUnpack"/>): the batch's own
/// unpack of that file takes the very same sensor data over, once; anything else (another size, a file changed since,
/// a file LibRaw refuses) is unpacked as if nothing had been started.</summary>
public class EarlyUnpackTests
{
    [Fact]
    public void The_first_unpack_of_the_same_file_takes_the_started_one_over_once()
    {
        using var dir = new TempDir();
        string dng = dir["a.dng"];
        SyntheticDng.Write(dng, new SceneParameters { Width = 96, Height = 64, HasChart = false, Seed = 3 });
        var direct = RawDecoder.UnpackNow(dng, half: false);

        EarlyUnpack.Start(dng, half: false);
        Assert.Null(EarlyUnpack.Take(dng, half: true)); // another size: not this one, and it stays
        var taken = EarlyUnpack.Take(Path.GetRelativePath(Environment.CurrentDirectory, dng), half: false);

        Assert.NotNull(taken);
        Assert.Equal(direct.Payload.AsSpan(0, 96 * 64).ToArray(), taken.Payload.AsSpan(0, 96 * 64).ToArray());
        Assert.Equal(direct.Metadata.Model, taken.Metadata.Model);
        Assert.Null(EarlyUnpack.Take(dng, half: false)); // taken once
    }

    [Fact]
    public void A_file_changed_after_the_start_is_unpacked_again()
    {
        using var dir = new TempDir();
        string dng = dir["a.dng"];
        SyntheticDng.Write(dng, new SceneParameters { Width = 96, Height = 64, HasChart = false, Seed = 4 });
        EarlyUnpack.Start(dng, half: false);
        Thread.Sleep(500); // the unpack of a tiny file is done (ext4 time stamps are finer than this anyway)
        SyntheticDng.Write(dng, new SceneParameters { Width = 96, Height = 64, HasChart = false, Seed = 5 });

        Assert.Null(EarlyUnpack.Take(dng, half: false));
    }

    [Fact]
    public void A_refused_file_gives_the_usual_error_naming_the_file()
    {
        using var dir = new TempDir();
        string bad = dir["broken.dng"];
        File.WriteAllBytes(bad, [.. "not a raw file at all, just text"u8]);
        var expected = Assert.Throws<RawDecodeException>(() => RawDecoder.UnpackNow(bad, half: false));

        EarlyUnpack.Start(bad, half: false);
        var e = Assert.Throws<RawDecodeException>(() => RawDecoder.Unpack(bad, half: false));

        Assert.Equal(expected.Message, e.Message);
        Assert.Contains("broken.dng", e.Message);
    }
}
