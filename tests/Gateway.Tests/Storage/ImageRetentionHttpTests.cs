using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gateway.Tests.Support;
using static Gateway.Tests.Jobs.JobsHttp;

namespace Gateway.Tests.Storage;

public sealed class ImageRetentionHttpTests
{
    [Fact]
    public async Task An_image_removed_by_the_size_limit_answers_404_and_its_job_no_longer_offers_a_url()
    {
        // A limit smaller than one image: each new image pushes out every older one.
        await using var server = await GatewayTestServer.StartAsync(new Dictionary<string, string> { ["Gateway:Images:MaxTotalMegabytes"] = "0.001" });
        using var client = server.Client();

        var first = await (await SubmitAsync(client, Job("first"))).Content.ReadFromJsonAsync<string>();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(first)).StatusCode);
        var second = await (await SubmitAsync(client, Job("second"))).Content.ReadFromJsonAsync<string>();

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(first)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(second)).StatusCode);
        var job = await GetJobAsync(client, "first");
        Assert.Equal("succeeded", Status(job));
        Assert.Equal(JsonValueKind.Null, job.GetProperty("image_url").ValueKind);
    }
}
