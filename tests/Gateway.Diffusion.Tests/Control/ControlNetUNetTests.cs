using Gateway.Diffusion.Tests.Support;
using Microsoft.ML.OnnxRuntime;

namespace Gateway.Diffusion.Tests.Control;

/// <summary>The forged ControlNet UNets straight through ONNX Runtime: with zero residuals they compute bit for bit what
/// the model's plain UNet computes, and each residual input steers the output.</summary>
public sealed class ControlNetUNetTests
{
    private static readonly string[] Residuals =
    [
        "down_block_0_additional_residual", "down_block_1_additional_residual", "down_block_2_additional_residual",
        "down_block_3_additional_residual", "mid_block_additional_residual",
    ];

    private static float[] Random(Random rng, int length) => Enumerable.Range(0, length).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();

    private static float[] Run(InferenceSession session, Dictionary<string, (float[] Values, long[] Shape)> inputs)
    {
        var names = session.InputMetadata.Keys.ToList();
        var values = names.Select(n => OrtValue.CreateTensorValueFromMemory(inputs[n].Values, inputs[n].Shape)).ToList();
        try
        {
            using var options = new RunOptions();
            using var results = session.Run(options, names, values, ["out_sample"]);
            return results[0].GetTensorDataAsSpan<float>().ToArray();
        }
        finally
        {
            foreach (var value in values) value.Dispose();
        }
    }

    [Theory]
    [InlineData("tiny-sd")]
    [InlineData("tiny-sdxl")]
    public void Zero_residuals_give_the_plain_unets_output_and_each_residual_steers_it(string model)
    {
        using var plain = new InferenceSession(Path.Combine(TestModels.Folder(model), "unet", "model.onnx"));
        using var controlled = new InferenceSession(Path.Combine(TestModels.Folder(model), "controlnet", "model.onnx"));
        var xl = model == "tiny-sdxl";
        var rng = new Random(12);
        const int batch = 2, height = 9, width = 7;   // odd latent sizes: the half-size residuals are ceil(size / 2)
        var (halfHeight, halfWidth) = ((height + 1) / 2, (width + 1) / 2);
        var hidden = xl ? 40 : 16;
        var inputs = new Dictionary<string, (float[], long[])>
        {
            ["sample"] = (Random(rng, batch * 4 * height * width), [batch, 4, height, width]),
            ["timestep"] = xl ? ([501f], []) : ([501f, 501f], [batch]),
            ["encoder_hidden_states"] = (Random(rng, batch * 77 * hidden), [batch, 77, hidden]),
        };
        if (xl)
        {
            inputs["text_embeds"] = (Random(rng, batch * 20), [batch, 20]);
            inputs["time_ids"] = ([512, 512, 0, 0, 512, 512, 512, 512, 0, 0, 512, 512], [batch, 6]);
        }
        long[][] shapes =
        [
            [batch, 16, height, width], [batch, 16, height, width], [batch, 16, halfHeight, halfWidth],
            [batch, 32, halfHeight, halfWidth], [batch, 32, halfHeight, halfWidth],
        ];
        var zeros = new Dictionary<string, (float[], long[])>(inputs);
        for (var i = 0; i < Residuals.Length; i++) zeros[Residuals[i]] = (new float[shapes[i].Aggregate(1L, (a, b) => a * b)], shapes[i]);

        var expected = Run(plain, inputs);
        Assert.Equal(expected, Run(controlled, zeros));
        for (var i = 0; i < Residuals.Length; i++)
        {
            var one = new Dictionary<string, (float[], long[])>(zeros)
            {
                [Residuals[i]] = (Random(rng, (int)shapes[i].Aggregate(1L, (a, b) => a * b)), shapes[i]),
            };
            Assert.NotEqual(expected, Run(controlled, one));
        }
    }
}
