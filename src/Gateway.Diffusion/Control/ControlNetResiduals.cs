using Gateway.Diffusion.Models;
using Gateway.Diffusion.Onnx;

namespace Gateway.Diffusion.Control;

/// <summary>The residual tensors a ControlNet outputs and its ControlNet UNet takes, named as diffusers names them:
/// <c>down_block_{i}_additional_residual</c> (i = 0, 1, …: 12 for SD 1.5, 9 for SDXL) and <c>mid_block_additional_residual</c>.</summary>
internal static class ControlNetResiduals
{
    public const string Mid = "mid_block_additional_residual";

    public static string Down(int index) => $"down_block_{index}_additional_residual";

    private static TensorExpectation Expectation(string name) => new(name, TensorKind.Float, [4], "[batch, channels, height, width]");

    /// <summary>A ControlNet UNet's residual inputs, down blocks in order then mid.</summary>
    public static IReadOnlyList<TensorSignature> Bind(OnnxModelFile file) =>
        Collect(file, file.Session.InputMetadata.Keys, "input", e => file.RequireInput(e));

    /// <summary>A ControlNet's residual outputs, down blocks in order then mid.</summary>
    public static IReadOnlyList<TensorSignature> BindOutputs(OnnxModelFile file) =>
        Collect(file, file.Session.OutputMetadata.Keys, "output", e => file.RequireOutput(e));

    private static List<TensorSignature> Collect(OnnxModelFile file, IEnumerable<string> names, string role,
        Func<TensorExpectation, TensorSignature> require)
    {
        var present = names.ToHashSet(StringComparer.Ordinal);
        var residuals = new List<TensorSignature>();
        for (var i = 0; present.Contains(Down(i)); i++) residuals.Add(require(Expectation(Down(i))));
        if (residuals.Count == 0)
            throw new ModelLoadException(
                $"{file.DisplayName}: no {role} '{Down(0)}' (float32 or float16 [batch, channels, height, width]); a ControlNet " +
                $"{(role == "input" ? "UNet takes" : "outputs")} down_block_0_additional_residual … and {Mid}.");
        var stray = present.Where(n => n.StartsWith("down_block_", StringComparison.Ordinal) && n.EndsWith("_additional_residual", StringComparison.Ordinal))
            .Except(residuals.Select(r => r.Name)).ToList();
        if (stray.Count > 0)
            throw new ModelLoadException(
                $"{file.DisplayName}: {role} '{stray[0]}' does not follow {Down(0)} … {Down(residuals.Count - 1)} without a gap.");
        residuals.Add(require(Expectation(Mid)));
        return residuals;
    }
}
