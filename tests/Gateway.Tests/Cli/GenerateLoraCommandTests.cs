using Gateway.Cli;
using Gateway.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Tests.Cli;

/// <summary>The acceptance on the command line: <c>--lora NAME:0.8</c> changes the bytes, <c>:0</c> does not.</summary>
public sealed class GenerateLoraCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gateway-cli-lora-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<byte[]> Generate(string name, params string[] extra)
    {
        var stderr = new StringWriter();
        var gateway = new GatewayOptions { ModelsDir = TestPaths.ModelsDirectory };
        string[] args = ["--model", "tiny-sd", "--prompt", "a red fox", "--size", "64x64", "--steps", "3", "--seed", "3", "--out", Path.Combine(_dir, name), .. extra];
        var code = await GenerateCommand.RunAsync(args, gateway, NullLoggerFactory.Instance, new StringWriter(), stderr, CancellationToken.None);
        Assert.True(code == 0, stderr.ToString());
        return await File.ReadAllBytesAsync(Path.Combine(_dir, name));
    }

    [Fact]
    public async Task A_lora_changes_the_bytes_and_weight_zero_does_not()
    {
        var plain = await Generate("plain.png");
        Assert.NotEqual(plain, await Generate("lora.png", "--lora", "tiny-sd-kohya:0.8"));
        Assert.Equal(plain, await Generate("zero.png", "--lora", "tiny-sd-kohya:0"));
        Assert.NotEqual(plain, await Generate("two.png", "--lora", "tiny-sd-kohya", "--lora", "tiny-sd-peft:-1"));
    }

    [Fact]
    public void Lora_options_are_repeatable_with_optional_weights()
    {
        var options = GenerateOptions.Parse(["--model", "m", "--prompt", "p", "--lora", "a:0.5", "--lora", "b"]);
        Assert.Equal([("a", (double?)0.5), ("b", null)], options.Loras);
        Assert.Throws<CliUsageException>(() => GenerateOptions.Parse(["--model", "m", "--prompt", "p", "--lora", "a:strong"]));
        Assert.Throws<CliUsageException>(() => GenerateOptions.Parse(["--model", "m", "--prompt", "p", "--lora", ":1"]));
    }

    [Fact]
    public async Task A_lora_of_another_family_exits_with_a_usage_error()
    {
        var stderr = new StringWriter();
        var gateway = new GatewayOptions { ModelsDir = TestPaths.ModelsDirectory };
        var code = await GenerateCommand.RunAsync(["--model", "tiny-sd", "--prompt", "x", "--size", "64x64", "--steps", "1", "--lora", "tiny-sdxl-kohya"],
            gateway, NullLoggerFactory.Instance, new StringWriter(), stderr, CancellationToken.None);
        Assert.Equal(2, code);
        Assert.Contains("is for sdxl models", stderr.ToString());
    }
}
