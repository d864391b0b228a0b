using Gateway.Diffusion.Imaging;
using Gateway.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Tests.Storage;

public sealed class SqliteImageStoreTests : IDisposable
{
    private const int ImageBytes = 1000;
    private readonly string _data = Directory.CreateTempSubdirectory("gateway-images-").FullName;
    private readonly ManualClock _clock = new(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly List<GatewayDatabase> _databases = [];

    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;
        public override DateTimeOffset GetUtcNow() => Now;
    }

    private SqliteImageStore Store(double maxAgeHours = 0, double maxTotalBytes = 0)
    {
        var database = new GatewayDatabase(_data);
        _databases.Add(database);
        var retention = new ImageRetentionOptions { MaxAgeHours = maxAgeHours, MaxTotalMegabytes = maxTotalBytes / (1024 * 1024) };
        return new SqliteImageStore(database, retention, _clock, NullLogger<SqliteImageStore>.Instance);
    }

    private async Task<StoredImage> SaveAsync(SqliteImageStore store, int bytes = ImageBytes)
    {
        var image = await store.SaveAsync(new byte[bytes], ImageFormat.Png, "key-1", null, CancellationToken.None);
        _clock.Now += TimeSpan.FromMinutes(1);
        return image;
    }

    private static bool Exists(SqliteImageStore store, StoredImage image)
    {
        using var stream = store.OpenRead(image.FileName, out _);
        return stream is not null;
    }

    [Fact]
    public async Task Writing_past_the_size_limit_removes_the_oldest_images()
    {
        var store = Store(maxTotalBytes: 2.5 * ImageBytes);
        var first = await SaveAsync(store);
        var second = await SaveAsync(store);
        Assert.True(Exists(store, first));

        var third = await SaveAsync(store);

        Assert.False(Exists(store, first));
        Assert.True(Exists(store, second));
        Assert.True(Exists(store, third));
        Assert.False(File.Exists(Path.Combine(_data, "images", first.FileName)));
    }

    [Fact]
    public async Task An_image_larger_than_the_whole_limit_is_still_kept_until_the_next_write()
    {
        var store = Store(maxTotalBytes: ImageBytes / 2.0);
        var large = await SaveAsync(store);
        Assert.True(Exists(store, large));
        var next = await SaveAsync(store);
        Assert.False(Exists(store, large));
        Assert.True(Exists(store, next));
    }

    [Fact]
    public async Task The_sweep_removes_images_past_the_age_limit()
    {
        var store = Store(maxAgeHours: 1);
        var old = await SaveAsync(store);
        _clock.Now += TimeSpan.FromHours(2);
        var recent = await SaveAsync(store);

        Assert.Equal(1, await store.SweepAsync());

        Assert.False(Exists(store, old));
        Assert.True(Exists(store, recent));
        Assert.Equal(0, await store.SweepAsync());
    }

    [Fact]
    public async Task Files_the_index_lacks_and_half_written_ones_are_deleted_at_start_up()
    {
        // A file without an index row was written by a process that died before committing it: its URL was never given out.
        var images = Path.Combine(_data, "images");
        Directory.CreateDirectory(images);
        var stray = Path.Combine(images, new string('a', 32) + ".png");
        await File.WriteAllBytesAsync(stray, new byte[ImageBytes]);
        var partial = Path.Combine(images, new string('b', 32) + ".png.tmp");
        await File.WriteAllBytesAsync(partial, new byte[10]);

        var store = Store();
        var kept = await SaveAsync(store);
        Store();

        Assert.False(File.Exists(partial));
        Assert.False(File.Exists(stray));
        Assert.True(Exists(store, kept));
    }

    [Fact]
    public async Task Index_rows_whose_files_are_gone_are_dropped_at_start_up()
    {
        var store = Store();
        var lost = await SaveAsync(store);
        var kept = await SaveAsync(store);
        File.Delete(Path.Combine(_data, "images", lost.FileName));
        Store();
        using var read = _databases[^1].Read();
        Assert.Equal([kept.FileName], read.Query("SELECT file_name FROM images", r => r.GetString(0)));
    }

    [Fact]
    public async Task A_write_that_fails_in_the_database_leaves_no_file()
    {
        var store = Store();
        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            store.SaveAsync(new byte[ImageBytes], ImageFormat.Png, "key-1", null, CancellationToken.None,
                (_, _) => throw new InvalidOperationException("the job's record failed")));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_data, "images")));
    }

    [Theory]
    [InlineData("../gateway.db")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.png")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.exe")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.png")]
    public void Only_names_the_store_makes_and_has_are_opened(string fileName)
    {
        var store = Store();
        Assert.Null(store.OpenRead(fileName, out _));
    }

    public void Dispose()
    {
        foreach (var database in _databases) database.Dispose();
        Directory.Delete(_data, recursive: true);
    }
}
