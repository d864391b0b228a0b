using Gateway.Diffusion.Tests.Support;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Gateway.Diffusion.Tests.Models;

/// <summary>
/// The forge's tiny SDXL family (onnx-models/tiny-sdxl, -legacy, -refiner) opened directly with ONNX Runtime:
/// the I/O contract the SDXL pipeline relies on, that the graphs run, that the added conditioning matters, and
/// that the legacy folder computes exactly what the optimum ≥ 1.24 folder computes.
/// </summary>
public sealed class TinySdxlExportTests
{
    private const string Ids = "[batch_size,sequence_length]";
    private const string Seq16 = "[batch_size,sequence_length,16]";
    private const string Seq24 = "[batch_size,sequence_length,24]";
    private const string Latent = "[batch_size,4,latent_height,latent_width]";
    private const string Sample = "[batch_size,4,height,width]";

    public static TheoryData<string, string, string[], string[]> Contracts => new()
    {
        { "tiny-sdxl", "text_encoder", ["input_ids int64" + Ids],
            ["last_hidden_state float" + Seq16, "pooler_output float[batch_size,16]", "hidden_states.0 float" + Seq16,
             "hidden_states.1 float" + Seq16, "hidden_states.2 float" + Seq16] },
        { "tiny-sdxl", "text_encoder_2", ["input_ids int64" + Ids],
            ["text_embeds float[batch_size,20]", "last_hidden_state float" + Seq24, "hidden_states.0 float" + Seq24,
             "hidden_states.1 float" + Seq24, "hidden_states.2 float" + Seq24, "hidden_states.3 float" + Seq24] },
        { "tiny-sdxl", "unet",
            ["sample float" + Sample, "timestep float[]", "encoder_hidden_states float[batch_size,sequence_length,40]",
             "text_embeds float[batch_size,20]", "time_ids float[batch_size,6]"],
            ["out_sample float" + Sample] },
        { "tiny-sdxl", "vae_decoder", ["latent_sample float" + Latent], ["sample float[batch_size,3,height,width]"] },
        { "tiny-sdxl", "vae_encoder", ["sample float[batch_size,3,height,width]"],
            ["latent_parameters float[batch_size,8,latent_height,latent_width]"] },
        { "tiny-sdxl-legacy", "text_encoder", ["input_ids int32" + Ids],
            ["last_hidden_state float" + Seq16, "pooler_output float[batch_size,16]", "hidden_states.0 float" + Seq16,
             "hidden_states.1 float" + Seq16, "hidden_states.2 float" + Seq16] },
        { "tiny-sdxl-legacy", "text_encoder_2", ["input_ids int32" + Ids],
            ["text_embeds float[batch_size,20]", "last_hidden_state float" + Seq24, "hidden_states.0 float" + Seq24,
             "hidden_states.1 float" + Seq24, "hidden_states.2 float" + Seq24, "hidden_states.3 float" + Seq24] },
        { "tiny-sdxl-legacy", "unet",
            ["sample float" + Sample, "timestep float[batch_size]",
             "encoder_hidden_states float[batch_size,sequence_length,40]", "text_embeds float[batch_size,20]",
             "time_ids float[batch_size,6]"],
            ["out_sample float" + Sample] },
        { "tiny-sdxl-legacy", "vae_decoder", ["latent_sample float" + Latent], ["sample float[batch_size,3,height,width]"] },
        { "tiny-sdxl-legacy", "vae_encoder", ["sample float[batch_size,3,height,width]"], ["latent_sample float" + Latent] },
        { "tiny-sdxl-refiner", "text_encoder_2", ["input_ids int64" + Ids],
            ["text_embeds float[batch_size,20]", "last_hidden_state float" + Seq24, "hidden_states.0 float" + Seq24,
             "hidden_states.1 float" + Seq24, "hidden_states.2 float" + Seq24, "hidden_states.3 float" + Seq24] },
        { "tiny-sdxl-refiner", "unet",
            ["sample float" + Sample, "timestep float[]", "encoder_hidden_states float[batch_size,sequence_length,24]",
             "text_embeds float[batch_size,20]", "time_ids float[batch_size,5]"],
            ["out_sample float" + Sample] },
        { "tiny-sdxl-refiner", "vae_decoder", ["latent_sample float" + Latent], ["sample float[batch_size,3,height,width]"] },
        { "tiny-sdxl-refiner", "vae_encoder", ["sample float[batch_size,3,height,width]"],
            ["latent_parameters float[batch_size,8,latent_height,latent_width]"] },
    };

    [Theory]
    [MemberData(nameof(Contracts))]
    public void Components_have_the_contracted_inputs_and_outputs(string model, string component, string[] inputs, string[] outputs)
    {
        using var session = Open(model, component);
        Assert.Equal(inputs, session.InputMetadata.Select(Describe));
        Assert.Equal(outputs, session.OutputMetadata.Select(Describe));
    }

    [Fact]
    public void Refiner_has_no_first_text_encoder()
    {
        Assert.False(Directory.Exists(Path.Combine(TestModels.Folder("tiny-sdxl-refiner"), "text_encoder")));
        Assert.False(Directory.Exists(Path.Combine(TestModels.Folder("tiny-sdxl-refiner"), "tokenizer")));
    }

    [Theory]
    [InlineData("tiny-sdxl", "text_encoder", "pooler_output", 16)]
    [InlineData("tiny-sdxl-refiner", "text_encoder_2", "text_embeds", 20)]
    public void Text_encoders_run_and_pool_at_the_end_token(string model, string component, string pooled, int pooledWidth)
    {
        // "a cat" with BOS/EOS, padded with 0 (tokenizer_2's "!") and with EOS (tokenizer's), as the two tokenizers do
        long[] ids = [.. Tokens(0), .. Tokens(49407)];
        var outputs = RunTextEncoder(model, component, ids, int64: true);
        var states = component == "text_encoder" ? 3 : 4;
        var width = component == "text_encoder" ? 16 : 24;
        for (var i = 0; i < states; i++) AssertFinite(outputs[$"hidden_states.{i}"], 2 * 77 * width);
        AssertFinite(outputs["last_hidden_state"], 2 * 77 * width);
        AssertFinite(outputs[pooled], 2 * pooledWidth);
        // both rows hold the same tokens up to EOS and the causal mask hides what follows, so the pooled rows agree
        Assert.Equal(outputs[pooled][..pooledWidth], outputs[pooled][pooledWidth..], (a, b) => Math.Abs(a - b) < 1e-5f);
        if (component == "text_encoder")
        {
            // pooler_output is last_hidden_state at the EOS position (index 3)
            Assert.Equal(outputs["last_hidden_state"].AsSpan(3 * width, width).ToArray(), outputs[pooled][..pooledWidth]);
        }
    }

    [Theory]
    [InlineData("text_encoder")]
    [InlineData("text_encoder_2")]
    public void Legacy_text_encoders_compute_exactly_what_the_int64_ones_do(string component)
    {
        long[] ids = [.. Tokens(0), .. Tokens(49407)];
        var current = RunTextEncoder("tiny-sdxl", component, ids, int64: true);
        var legacy = RunTextEncoder("tiny-sdxl-legacy", component, ids, int64: false);
        Assert.Equal(current.Keys, legacy.Keys);
        foreach (var name in current.Keys) Assert.Equal(current[name], legacy[name]);
    }

    [Theory]
    [InlineData("tiny-sdxl", 64, 64)]
    [InlineData("tiny-sdxl", 96, 64)]
    [InlineData("tiny-sdxl-refiner", 64, 64)]
    [InlineData("tiny-sdxl-refiner", 96, 64)]
    public void Unet_runs_and_depends_on_text_embeds_and_time_ids(string model, int height, int width)
    {
        var refiner = model == "tiny-sdxl-refiner";
        var input = UnetInput.Random(height, width, refiner ? 24 : 40, seed: 7);
        float[] timeIds = refiner ? [1024, 1024, 0, 0, 6] : [1024, 1024, 0, 0, 1024, 1024];
        float[] otherTimeIds = refiner ? [1024, 1024, 0, 0, 2.5f] : [768, 1344, 0, 0, 768, 1344];
        var reference = RunUnet(model, input, timeIds, scalarTimestep: true);
        AssertFinite(reference, 2 * 4 * height * width);

        var withOtherIds = RunUnet(model, input, otherTimeIds, scalarTimestep: true);
        var withOtherText = RunUnet(model, input with { TextEmbeds = UnetInput.Random(height, width, 40, seed: 8).TextEmbeds },
            timeIds, scalarTimestep: true);
        var scale = MeanAbs(reference);
        Assert.True(MeanAbsDiff(reference, withOtherIds) > 0.05 * scale, $"time_ids barely matter: {MeanAbsDiff(reference, withOtherIds)} vs {scale}");
        Assert.True(MeanAbsDiff(reference, withOtherText) > 0.05 * scale, $"text_embeds barely matter: {MeanAbsDiff(reference, withOtherText)} vs {scale}");
    }

    [Fact]
    public void Legacy_unet_computes_exactly_what_the_scalar_timestep_one_does()
    {
        var input = UnetInput.Random(64, 64, 40, seed: 9);
        float[] timeIds = [1024, 1024, 0, 0, 1024, 1024];
        Assert.Equal(RunUnet("tiny-sdxl", input, timeIds, scalarTimestep: true),
            RunUnet("tiny-sdxl-legacy", input, timeIds, scalarTimestep: false));
    }

    [Fact]
    public void Vae_round_trip_returns_the_image_and_the_legacy_encoder_outputs_the_mean()
    {
        const int size = 64;
        var image = new float[2 * 3 * size * size];
        for (var i = 0; i < image.Length; i++) image[i] = (i % (size * size) / size - size / 2) / (float)size; // a vertical ramp in [-0.5, 0.5)
        var parameters = RunOne("tiny-sdxl", "vae_encoder", ("sample", image, [2, 3, size, size]));
        var mean = RunOne("tiny-sdxl-legacy", "vae_encoder", ("sample", image, [2, 3, size, size]));
        const int latent = size / 8, plane = latent * latent;
        for (var b = 0; b < 2; b++)
            Assert.Equal(parameters.AsSpan(b * 8 * plane, 4 * plane).ToArray(), mean.AsSpan(b * 4 * plane, 4 * plane).ToArray());
        // colour channels × scaling_factor (0.13025, as in vae_encoder/config.json) = the image's 8×8 block means
        var error = 0.0;
        for (var c = 0; c < 3; c++)
            for (var y = 0; y < latent; y++)
                for (var x = 0; x < latent; x++)
                    error += Math.Abs(mean[(c * latent + y) * latent + x] * 0.13025 - (8 * y + 3.5 - size / 2) / size);
        Assert.InRange(error / (3 * plane), 0, 0.05);
        // the pipeline's × and ÷ scaling_factor cancel: image = decoder(mean)
        var decoded = RunOne("tiny-sdxl", "vae_decoder", ("latent_sample", mean, [2, 4, size / 8, size / 8]));
        Assert.InRange(MeanAbsDiff(image, decoded), 0, 0.06);
    }

    private static InferenceSession Open(string model, string component) =>
        new(Path.Combine(TestModels.Folder(model), component, "model.onnx"));

    private static string Describe(KeyValuePair<string, NodeMetadata> io)
    {
        var type = io.Value.ElementDataType switch
        {
            TensorElementType.Float => "float",
            TensorElementType.Int64 => "int64",
            TensorElementType.Int32 => "int32",
            var other => other.ToString(),
        };
        var dims = io.Value.Dimensions.Select((d, i) => d >= 0 ? d.ToString() : io.Value.SymbolicDimensions[i]);
        return $"{io.Key} {type}[{string.Join(',', dims)}]";
    }

    private static long[] Tokens(long pad)
    {
        var ids = Enumerable.Repeat(pad, 77).ToArray();
        ids[0] = 49406; ids[1] = 320; ids[2] = 2368; ids[3] = 49407; // BOS "a" "cat" EOS (CLIP's ids)
        return ids;
    }

    private static Dictionary<string, float[]> RunTextEncoder(string model, string component, long[] ids, bool int64)
    {
        using var session = Open(model, component);
        long[] shape = [ids.Length / 77, 77];
        using var value = int64
            ? OrtValue.CreateTensorValueFromMemory(ids, shape)
            : OrtValue.CreateTensorValueFromMemory(ids.Select(i => (int)i).ToArray(), shape);
        var names = session.OutputMetadata.Keys.ToArray();
        using var options = new RunOptions();
        using var results = session.Run(options, ["input_ids"], [value], names);
        return names.Zip(results).ToDictionary(p => p.First, p => p.Second.GetTensorDataAsSpan<float>().ToArray());
    }

    private sealed record UnetInput(float[] Sample, int Height, int Width, float[] Context, int ContextWidth, float[] TextEmbeds)
    {
        public static UnetInput Random(int height, int width, int contextWidth, int seed)
        {
            var random = new Random(seed);
            float[] Draw(int n) => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            return new UnetInput(Draw(2 * 4 * height * width), height, width, Draw(2 * 77 * contextWidth), contextWidth, Draw(2 * 20));
        }
    }

    private static float[] RunUnet(string model, UnetInput input, float[] timeIds, bool scalarTimestep)
    {
        var ids = timeIds.Concat(timeIds).ToArray();
        return RunOne(model, "unet",
            ("sample", input.Sample, [2, 4, input.Height, input.Width]),
            ("timestep", scalarTimestep ? [999f] : [999f, 999f], scalarTimestep ? [] : [2]),
            ("encoder_hidden_states", input.Context, [2, 77, input.ContextWidth]),
            ("text_embeds", input.TextEmbeds, [2, 20]),
            ("time_ids", ids, [2, timeIds.Length]));
    }

    private static float[] RunOne(string model, string component, params (string Name, float[] Data, long[] Shape)[] inputs)
    {
        using var session = Open(model, component);
        var values = inputs.Select(i => OrtValue.CreateTensorValueFromMemory(i.Data, i.Shape)).ToArray();
        try
        {
            using var options = new RunOptions();
            using var results = session.Run(options, inputs.Select(i => i.Name).ToArray(), values,
                [session.OutputMetadata.Keys.Single()]);
            return results[0].GetTensorDataAsSpan<float>().ToArray();
        }
        finally
        {
            foreach (var value in values) value.Dispose();
        }
    }

    private static void AssertFinite(float[] values, int expectedLength)
    {
        Assert.Equal(expectedLength, values.Length);
        Assert.All(values, v => Assert.True(float.IsFinite(v)));
    }

    private static double MeanAbs(float[] a) => a.Average(v => Math.Abs((double)v));

    private static double MeanAbsDiff(float[] a, float[] b) => a.Zip(b).Average(p => Math.Abs((double)p.First - p.Second));
}
