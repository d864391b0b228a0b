using System.Text.Json;

namespace Gateway.Tests.OpenAi;

/// <summary>The document's examples work as they are, and the health endpoints are in it.</summary>
[Collection(OpenAiCollection.Name)]
public sealed class SwaggerExampleTests(OpenAiServerFixture fixture)
{
    [Theory]
    [InlineData("ImageGenerationBody", "model")]
    [InlineData("HyperbolicGenerationRequestSchema", "model_name")]
    [InlineData("SubmitJobSchema", "model_id")]
    public async Task Model_fields_show_a_model_that_exists(string schema, string field)
    {
        var schemas = (await DocumentAsync()).GetProperty("components").GetProperty("schemas");
        Assert.Equal("tiny-sd", schemas.GetProperty(schema).GetProperty("properties").GetProperty(field).GetProperty("example").GetString());
    }

    [Theory]
    [InlineData("/healthz")]
    [InlineData("/readyz")]
    public async Task Health_endpoints_are_documented(string path)
    {
        Assert.True((await DocumentAsync()).GetProperty("paths").GetProperty(path).TryGetProperty("get", out _));
    }

    private async Task<JsonElement> DocumentAsync()
    {
        using var client = fixture.Server.Client(null);
        return JsonDocument.Parse(await client.GetStringAsync("/swagger/v1/swagger.json")).RootElement.Clone();
    }
}
