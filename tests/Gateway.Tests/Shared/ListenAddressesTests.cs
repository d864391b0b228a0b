using Gateway.Hosting;
using Microsoft.Extensions.Configuration;

namespace Gateway.Tests.Shared;

public sealed class ListenAddressesTests
{
    [Fact]
    public void The_default_is_port_8080_on_loopback_as_the_readme_uses() =>
        Assert.Equal("http://127.0.0.1:8080", ListenAddresses.Default);

    [Theory]
    [InlineData(null, null, true)]
    [InlineData("urls", "http://0.0.0.0:9000", false)]
    [InlineData("http_ports", "8080", false)]
    [InlineData("Kestrel:Endpoints:Http:Url", "http://0.0.0.0:9000", false)]
    public void Only_an_unconfigured_server_takes_the_default(string? key, string? value, bool expected)
    {
        var settings = new Dictionary<string, string?>();
        if (key is not null) settings[key] = value;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        Assert.Equal(expected, ListenAddresses.NoneConfigured(configuration));
    }
}
