using Gateway.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Hosting;

public sealed class EngineSettingsTests
{
    [Theory]
    [InlineData("100")]
    [InlineData("32")]
    [InlineData("0")]
    public void An_invalid_vae_tile_size_stops_start_up_with_its_name(string value)
    {
        var error = Assert.Throws<StartupException>(() =>
            GatewayServer.Build(["--Gateway:ModelsDir", TestPaths.ModelsDirectory, "--Gateway:VaeTileSize", value]));
        Assert.Contains("Gateway:VaeTileSize", error.Message);
        Assert.Contains(value, error.Message);
    }

    [Fact]
    public async Task A_valid_vae_tile_size_and_the_memory_switches_are_accepted()
    {
        await using var app = GatewayServer.Build(["--Gateway:ModelsDir", TestPaths.ModelsDirectory, "--Gateway:VaeTileSize", "512",
            "--Gateway:CpuMemoryArena", "true", "--Gateway:MemoryPattern", "false"]);
        var options = app.Services.GetRequiredService<GatewayOptions>();
        Assert.Equal(512, options.VaeTileSize);
        Assert.True(options.CpuMemoryArena);
        Assert.False(options.MemoryPattern);
    }
}
