using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gateway.Diffusion.Imaging;
using Gateway.Tests.Support;
using static Gateway.Tests.Jobs.JobsHttp;

namespace Gateway.Tests.Jobs;

public sealed class JobRestartTests
{
    [Fact]
    public async Task After_a_restart_finished_jobs_and_images_are_served_and_an_interrupted_job_is_failed_with_its_reason()
    {
        var data = Directory.CreateTempSubdirectory("gateway-restart-").FullName;
        try
        {
            string url;
            var first = await GatewayTestServer.StartAsync(dataDirectory: data);
            using (var client = first.Client())
            {
                // Big enough for a realistic speed estimate, which the long job's deadline is checked against.
                using var done = await SubmitAsync(client, Job("done", 256, 512, 20));
                url = (await done.Content.ReadFromJsonAsync<string>())!;
                var interrupted = SubmitAsync(client, Holder("interrupted"));
                await WaitUntilRunningAsync(client, "interrupted", interrupted);

                // Stopping cancels the running job; its waiting request is answered before the server goes.
                var stopping = first.DisposeAsync().AsTask();
                using var answer = await interrupted;
                Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.StatusCode);
                Assert.Equal("server_shutting_down", (await ErrorAsync(answer)).GetProperty("code").GetString());
                await stopping;
            }

            await using var second = await GatewayTestServer.StartAsync(dataDirectory: data);
            using var again = second.Client();
            var job = await GetJobAsync(again, "done");
            Assert.Equal("succeeded", Status(job));
            var path = new Uri(url).AbsolutePath;
            Assert.EndsWith(path, job.GetProperty("image_url").GetString());
            var image = ImageCodec.Decode(await again.GetByteArrayAsync(path), new ImageDecodeLimits());
            Assert.Equal((256, 512), (image.Width, image.Height));

            var failed = await GetJobAsync(again, "interrupted");
            Assert.Equal("failed", Status(failed));
            Assert.Equal("server_shutdown", failed.GetProperty("error").GetProperty("code").GetString());

            // Job ids stay taken and the ledger keeps its charges across the restart.
            Assert.Equal(HttpStatusCode.Conflict, (await SubmitAsync(again, Job("done"))).StatusCode);
            var credits = await again.GetFromJsonAsync<JsonElement>("/credits");
            Assert.Equal("done", credits.GetProperty("recent").EnumerateArray().Single().GetProperty("job_id").GetString());
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }
}
