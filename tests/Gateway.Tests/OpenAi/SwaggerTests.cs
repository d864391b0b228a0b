using System.Net;
using System.Text.Json;
using Gateway.Apis.OpenAi;
using Gateway.Cli;

namespace Gateway.Tests.OpenAi;

/// <summary>Swagger UI, the served OpenAPI document, and the repository's openapi.yaml being that document.</summary>
[Collection(OpenAiCollection.Name)]
public sealed class SwaggerTests(OpenAiServerFixture fixture)
{
    private const string Regenerate = "dotnet run --project src/Gateway -c Release -- openapi > openapi.yaml";

    private static string Normalise(string text) => text.ReplaceLineEndings("\n").TrimEnd();

    [Fact]
    public async Task Swagger_ui_is_served_at_swagger()
    {
        using var client = fixture.Server.Client(null);
        using var page = await client.GetAsync("/swagger/index.html");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        using var bare = await client.GetAsync("/swagger");
        Assert.Equal(HttpStatusCode.OK, bare.StatusCode);
    }

    [Fact]
    public async Task The_json_document_describes_the_openai_operations_with_bearer_auth()
    {
        using var client = fixture.Server.Client(null);
        using var document = JsonDocument.Parse(await client.GetStringAsync("/swagger/v1/swagger.json"));
        var root = document.RootElement;
        var generate = root.GetProperty("paths").GetProperty("/v1/images/generations").GetProperty("post");
        Assert.Equal("OpenAI", generate.GetProperty("tags")[0].GetString());
        Assert.Equal("#/components/schemas/ImageGenerationBody",
            generate.GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema").GetProperty("$ref").GetString());
        foreach (var status in new[] { "200", "400", "401", "404", "413", "415", "429", "503" })
            Assert.True(generate.GetProperty("responses").TryGetProperty(status, out _), status);
        Assert.True(root.GetProperty("paths").TryGetProperty("/v1/models", out _));
        Assert.True(root.GetProperty("paths").TryGetProperty("/v1/models/{id}", out _));
        Assert.Equal("bearer", root.GetProperty("components").GetProperty("securitySchemes").GetProperty("Bearer").GetProperty("scheme").GetString());

        // The documented choices are the ones the handler enforces.
        var fields = root.GetProperty("components").GetProperty("schemas").GetProperty("ImageGenerationBody").GetProperty("properties");
        string[] Enum(string name) => [.. fields.GetProperty(name).GetProperty("enum").EnumerateArray().Select(e => e.GetString()!)];
        Assert.Equal(OpenAiSizes.AspectRatios, Enum("aspect_ratio"));
        Assert.Equal(ImageGenerationFields.OutputFormats, Enum("output_format"));
        Assert.Equal(ImageGenerationFields.ResponseFormats, Enum("response_format"));
        Assert.Contains(string.Join(", ", OpenAiSizes.Sizes), fields.GetProperty("size").GetProperty("description").GetString());
    }

    [Fact]
    public async Task The_repository_openapi_yaml_is_the_served_document()
    {
        using var client = fixture.Server.Client(null);
        var served = await client.GetStringAsync("/swagger/v1/swagger.yaml");
        var file = Path.Combine(Path.GetDirectoryName(TestPaths.ModelsDirectory)!, "openapi.yaml");
        Assert.True(File.Exists(file), $"{file} is missing; create it with: {Regenerate}");
        Assert.True(Normalise(served) == Normalise(await File.ReadAllTextAsync(file)),
            $"openapi.yaml differs from the served document; regenerate it with: {Regenerate}");
    }

    [Fact]
    public async Task The_openapi_command_writes_the_served_document()
    {
        using var client = fixture.Server.Client(null);
        var served = await client.GetStringAsync("/swagger/v1/swagger.yaml");
        var output = new StringWriter();
        var error = new StringWriter();
        Assert.Equal(0, await OpenApiCommand.RunAsync([], output, error));
        Assert.Equal(Normalise(served), Normalise(output.ToString()));
        Assert.Equal("", error.ToString());
        Assert.Equal(2, await OpenApiCommand.RunAsync(["openapi.yaml"], output, error));
    }
}
