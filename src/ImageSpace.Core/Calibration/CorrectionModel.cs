using System.Text.Json.Serialization;
using ImageSpace.Core.Color;

namespace ImageSpace.Core.Calibration;

/// <summary>The fitted models. All map linear RGB (as measured, times the exposure gain) to XYZ D50 and all are
/// exposure-invariant (homogeneous of degree 1): scaling the input by k scales the output by k.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ModelKind>))]
public enum ModelKind
{
    /// <summary>3×3 least squares.</summary>
    Matrix,
    /// <summary>3×3 least squares constrained so the measured neutral maps exactly to the reference white.</summary>
    NeutralMatrix,
    /// <summary>Root-polynomial degree 2 (Finlayson et al. 2015): R, G, B, √RG, √GB, √RB.</summary>
    RootPolynomial2,
    /// <summary>Root-polynomial degree 3: the degree-2 terms + ∛(RG²), ∛(GB²), ∛(RB²), ∛(GR²), ∛(BG²), ∛(BR²), ∛(RGB).</summary>
    RootPolynomial3,
}

/// <summary>What the coefficients were fitted to minimise.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<FitObjective>))]
public enum FitObjective
{
    /// <summary>Squared XYZ error (closed form).</summary>
    LeastSquares,
    /// <summary>ΔE2000 (the mean, large errors weighed up a little), refined from the least-squares solution (<see cref="DeltaEFit"/>).</summary>
    DeltaE2000,
}

/// <summary>A fitted colour correction: XYZ_D50 = C · φ(gain · rgb), C being 3 × terms.</summary>
public sealed record CorrectionModel(ModelKind Kind, double[][] Coefficients, double ExposureGain, FitObjective Fit = FitObjective.LeastSquares)
{
    public static int Terms(ModelKind k) => k switch { ModelKind.RootPolynomial2 => 6, ModelKind.RootPolynomial3 => 13, _ => 3 };

    /// <summary>The expansion φ. Roots use sign-preserving powers so negative noise near black gives no NaN.</summary>
    public static void Expand(ModelKind k, double r, double g, double b, Span<double> t)
    {
        t[0] = r; t[1] = g; t[2] = b;
        if (k is ModelKind.Matrix or ModelKind.NeutralMatrix) return;
        t[3] = SPow(r * g, 0.5); t[4] = SPow(g * b, 0.5); t[5] = SPow(r * b, 0.5);
        if (k == ModelKind.RootPolynomial2) return;
        t[6] = SPow(r * g * g, 1.0 / 3); t[7] = SPow(g * b * b, 1.0 / 3); t[8] = SPow(r * b * b, 1.0 / 3);
        t[9] = SPow(g * r * r, 1.0 / 3); t[10] = SPow(b * g * g, 1.0 / 3); t[11] = SPow(b * r * r, 1.0 / 3);
        t[12] = SPow(r * g * b, 1.0 / 3);
    }

    private static double SPow(double v, double p) => v >= 0 ? Math.Pow(v, p) : -Math.Pow(-v, p);

    public Vec3 ToXyzD50(Vec3 rgb)
    {
        Span<double> t = stackalloc double[13];
        Expand(Kind, rgb.X * ExposureGain, rgb.Y * ExposureGain, rgb.Z * ExposureGain, t);
        int n = Terms(Kind);
        double x = 0, y = 0, z = 0;
        for (int i = 0; i < n; i++) { x += Coefficients[0][i] * t[i]; y += Coefficients[1][i] * t[i]; z += Coefficients[2][i] * t[i]; }
        return new(x, y, z);
    }

    /// <summary>For the 3×3 models: the whole correction as one matrix from measured linear RGB to XYZ D50.</summary>
    public Matrix3? AsMatrix => Kind is ModelKind.Matrix or ModelKind.NeutralMatrix
        ? ExposureGain * new Matrix3(Coefficients[0][0], Coefficients[0][1], Coefficients[0][2], Coefficients[1][0], Coefficients[1][1],
            Coefficients[1][2], Coefficients[2][0], Coefficients[2][1], Coefficients[2][2])
        : null;
}
