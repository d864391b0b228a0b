using Gateway.Diffusion.Imaging;
using Gateway.Diffusion.Pipelines;

namespace Gateway.Diffusion.Tests.Pipelines;

public sealed class GenerationParametersTests
{
    private static readonly GenerationParameters Plain = new()
    {
        Prompt = "a lighthouse at dusk", NegativePrompt = "fog", Model = "tiny-sd", Width = 512, Height = 768, Steps = 20,
        Guidance = 7.5, Sampler = "Euler a", Seed = 42,
    };

    [Fact]
    public void The_infotext_is_in_A1111s_layout()
    {
        Assert.Equal("a lighthouse at dusk\nNegative prompt: fog\nSteps: 20, Sampler: Euler a, CFG scale: 7.5, Seed: 42, Size: 512x768, Model: tiny-sd",
            Plain.ToInfotext());
    }

    [Fact]
    public void Without_a_negative_prompt_its_line_is_left_out_and_loras_and_strength_are_written_as_A1111_does()
    {
        var parameters = Plain with
        {
            NegativePrompt = "", Guidance = 7, Strength = 0.75,
            Loras = new Dictionary<string, double> { ["Pixel_Art"] = 0.8 },
        };

        Assert.Equal("a lighthouse at dusk <lora:Pixel_Art:0.8>\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 42, Size: 512x768, " +
                     "Model: tiny-sd, Denoising strength: 0.75", parameters.ToInfotext());
    }

    [Fact]
    public void Values_with_commas_or_colons_are_quoted_as_json_strings()
    {
        // A1111's infotext_utils.quote: json.dumps when the value holds ',', '\n' or ':'.
        Assert.EndsWith(", Model: \"org/model:v1, final\"", (Plain with { Model = "org/model:v1, final" }).ToInfotext());
    }

    [Fact]
    public void Json_round_trips()
    {
        var parameters = Plain with { Strength = 0.5, Loras = new Dictionary<string, double> { ["a"] = 1 } };
        var back = GenerationParameters.FromJson(parameters.ToJson())!;
        Assert.Equal(parameters.ToInfotext(), back.ToInfotext());
        Assert.Equal(parameters with { Loras = null }, back with { Loras = null });
    }

    [Fact]
    public void Parameters_of_a_result_name_only_the_loras_that_changed_the_model()
    {
        var request = new GenerationRequest
        {
            Model = "tiny-sd", Prompt = "p", Width = 64, Height = 64, Seed = 9,
            Loras = new Dictionary<string, double> { ["kept"] = 0.5, ["off"] = 0 },
        };
        var result = new GenerationResult
        {
            Images = [new GeneratedImage(new PixelImage(1, 1), 9)], Steps = 2, Guidance = 7, Sampler = "Euler",
            Timings = new GenerationTimings(default, default, default, default, default),
        };

        Assert.Equal(new Dictionary<string, double> { ["kept"] = 0.5 }, GenerationParameters.Of(request, result, 0, 64, 64).Loras);
        Assert.Null(GenerationParameters.Of(request with { Loras = new Dictionary<string, double> { ["off"] = 0 } }, result, 0, 64, 64).Loras);
    }
}
