using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Gateway.Storage;

public static class StorageServices
{
    /// <summary>The database under <paramref name="dataDirectory"/>, the image store every dialect saves to
    /// (<see cref="IImageStore"/>) and its retention sweep, configured from <c>Gateway:Images</c>.</summary>
    /// <param name="sharedByNodes">The data folder is a cluster's, shared with other nodes.</param>
    public static IServiceCollection AddGatewayStorage(this IServiceCollection services, IConfiguration configuration, string dataDirectory,
        bool sharedByNodes = false)
    {
        var retention = (configuration.GetSection(ImageRetentionOptions.Section).Get<ImageRetentionOptions>() ?? new ImageRetentionOptions()).Validated();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(retention);
        services.AddSingleton(_ => new GatewayDatabase(dataDirectory));
        services.AddSingleton(provider => new SqliteImageStore(provider.GetRequiredService<GatewayDatabase>(), retention,
            provider.GetRequiredService<TimeProvider>(), provider.GetRequiredService<ILogger<SqliteImageStore>>(), sharedByNodes));
        services.AddSingleton<IImageStore>(provider => provider.GetRequiredService<SqliteImageStore>());
        services.AddHostedService<ImageRetentionService>();
        return services;
    }
}
