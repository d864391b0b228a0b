using Gateway.Apis.Jobs;
using Gateway.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Tests.Jobs;

public sealed class JobStoreTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("gateway-jobstore-").FullName;

    private static JobRecord Queued(string jobId) =>
        new("key-1", jobId, JobStatus.Queued, "tiny-sd", 64, 64, 2, 4_294_967_295, 1, 0.5, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddMinutes(1));

    [Fact]
    public async Task Jobs_left_queued_by_a_crashed_process_are_failed_with_the_reason_when_the_store_opens()
    {
        using (var database = new GatewayDatabase(_data))
            Assert.True(await new JobStore(database, NullLogger<JobStore>.Instance).TryCreateAsync(Queued("crashed")));

        using var reopened = new GatewayDatabase(_data);
        var job = new JobStore(reopened, NullLogger<JobStore>.Instance).Find("key-1", "crashed")!;
        Assert.Equal(JobStatus.Failed, job.Status);
        Assert.Equal(JobStore.InterruptedCode, job.ErrorCode);
        Assert.Contains("stopped", job.ErrorMessage);
        Assert.NotNull(job.FinishedAt);
        Assert.Equal(4_294_967_295UL, job.Seed);
    }

    [Fact]
    public async Task Ids_are_unique_per_key_and_a_forgotten_job_frees_its_id()
    {
        using var database = new GatewayDatabase(_data);
        var store = new JobStore(database, NullLogger<JobStore>.Instance);
        Assert.True(await store.TryCreateAsync(Queued("a")));
        Assert.False(await store.TryCreateAsync(Queued("a")));
        Assert.True(await store.TryCreateAsync(Queued("a") with { Owner = "key-2" }));
        await store.ForgetAsync("key-1", "a");
        Assert.Null(store.Find("key-1", "a"));
        Assert.True(await store.TryCreateAsync(Queued("a")));
    }

    public void Dispose() => Directory.Delete(_data, recursive: true);
}
