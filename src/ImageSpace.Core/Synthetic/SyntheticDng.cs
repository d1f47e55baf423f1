namespace ImageSpace.Core.Synthetic;

/// <summary>Renders a scene and records it as a camera would: noisy Bayer mosaic in a DNG whose colour tags are the
/// camera's profile (ColorMatrix1 = the XYZ → camera fit, AsShotNeutral = the camera's response to the light).</summary>
public static class SyntheticDng
{
    public static RenderedScene Write(string path, SceneParameters p, DngInfo? info = null)
    {
        var scene = ChartScene.Render(p);
        var mosaic = Mosaicker.Mosaic(scene.CameraRgb, p.Noise, p.Seed);
        var baseInfo = info ?? new DngInfo();
        DngWriter.Write(path, mosaic, p.Width, p.Height, baseInfo with
        {
            Model = info?.Model ?? scene.Camera.Name,
            ColorMatrix = scene.XyzToCamera,
            AsShotNeutral = scene.WhiteCamera,
            CalibrationIlluminant = IlluminantCode(p.Illuminant),
        });
        return scene;
    }

    public static int IlluminantCode(string name) => name.ToUpperInvariant() switch
    {
        "D50" => 23,
        "D65" => 21,
        "A" => 17,
        "FL2" => 14,
        "FL11" => 14,
        _ => 0,
    };
}
