using ImageSpace.Core.Color;

namespace ImageSpace.Core.Synthetic;

/// <summary>A camera defined by its spectral sensitivities. Renders reflectances under an illuminant to camera RGB
/// and, through the CIE 1931 observer, to the XYZ that is the ground truth.</summary>
public sealed class SpectralCamera
{
    public string Name { get; }
    public double[][] Sensitivities { get; }

    public SpectralCamera(string name, double[][] sensitivities) { Name = name; Sensitivities = sensitivities; }

    /// <summary>A camera satisfying the Luther condition: its sensitivities are a linear mix of the CIE observer, so
    /// a 3×3 matrix reproduces XYZ exactly.</summary>
    public static SpectralCamera Luther()
    {
        var m = LutherMix;
        var s = new double[3][];
        for (int c = 0; c < 3; c++)
        {
            s[c] = new double[SpectralData.Count];
            for (int i = 0; i < SpectralData.Count; i++)
                s[c][i] = m[c, 0] * SpectralData.XBar[i] + m[c, 1] * SpectralData.YBar[i] + m[c, 2] * SpectralData.ZBar[i];
        }
        return new SpectralCamera("Luther", s);
    }

    /// <summary>XYZ → camera of <see cref="Luther"/>: a plausible sensor-like mix (broad, overlapping channels).</summary>
    public static Matrix3 LutherMix => new(0.62, 0.55, -0.17, -0.35, 1.25, 0.05, 0.03, -0.12, 0.95);

    public static SpectralCamera NikonD5100() => new("Nikon D5100", SpectralData.CameraSensitivities("camera_sensitivities_nikon_5100_npl.csv"));
    public static SpectralCamera CanonEos5DMarkII() => new("Canon EOS 5D Mark II", SpectralData.CameraSensitivities("camera_sensitivities_canon_eos_5d_mark_ii_rawtoaces.csv"));
    // Three cameras of the Jiang et al. (2013) database (400–720 nm, 10 nm; Data/SOURCES.md): bodies the fitters were
    // not tuned on, to check the model choice generalises.
    public static SpectralCamera NikonD3() => new("Nikon D3", SpectralData.CameraSensitivities("camera_sensitivities_nikon_d3_jiang2013.csv"));
    public static SpectralCamera SonyNex5N() => new("Sony NEX-5N", SpectralData.CameraSensitivities("camera_sensitivities_sony_nex5n_jiang2013.csv"));
    public static SpectralCamera PhaseOne() => new("Phase One", SpectralData.CameraSensitivities("camera_sensitivities_phase_one_jiang2013.csv"));

    public static SpectralCamera ByName(string name) => name.ToLowerInvariant().Replace(" ", "").Replace("-", "") switch
    {
        "luther" => Luther(),
        "nikond5100" or "nikon" => NikonD5100(),
        "canoneos5dmarkii" or "canon5d2" or "canon" => CanonEos5DMarkII(),
        "nikond3" => NikonD3(),
        "sonynex5n" or "nex5n" => SonyNex5N(),
        "phaseone" => PhaseOne(),
        _ => throw new ArgumentException($"unknown camera '{name}' (luther, nikon-d5100, canon-5d2, nikon-d3, sony-nex-5n, phase-one)"),
    };

    /// <summary>Camera RGB of a reflectance under an illuminant, unnormalised.</summary>
    public Vec3 Render(double[] reflectance, double[] illuminant)
    {
        double r = 0, g = 0, b = 0;
        for (int i = 0; i < SpectralData.Count; i++)
        {
            double e = illuminant[i] * reflectance[i];
            r += e * Sensitivities[0][i]; g += e * Sensitivities[1][i]; b += e * Sensitivities[2][i];
        }
        return new(r, g, b);
    }

    /// <summary>XYZ of a reflectance under an illuminant, scaled so the perfect white has Y = 1.</summary>
    public static Vec3 Xyz(double[] reflectance, double[] illuminant)
    {
        double x = 0, y = 0, z = 0, k = 0;
        for (int i = 0; i < SpectralData.Count; i++)
        {
            double e = illuminant[i] * reflectance[i];
            x += e * SpectralData.XBar[i]; y += e * SpectralData.YBar[i]; z += e * SpectralData.ZBar[i];
            k += illuminant[i] * SpectralData.YBar[i];
        }
        return new(x / k, y / k, z / k);
    }

    public static double[] Flat(double value) => Enumerable.Repeat(value, SpectralData.Count).ToArray();
}
