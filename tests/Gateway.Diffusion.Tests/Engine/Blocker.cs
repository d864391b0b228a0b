using Gateway.Diffusion.Engine;
using Gateway.Diffusion.Pipelines;

namespace Gateway.Diffusion.Tests.Engine;

/// <summary>Holds the worker inside a running generation until released, so the queue can be arranged.</summary>
internal sealed class Blocker : IDisposable
{
    private readonly ManualResetEventSlim _release = new();
    private readonly ManualResetEventSlim _running = new();

    public Task<GenerationResult> Start(DiffusionEngine engine)
    {
        var request = new GenerationRequest { Model = "tiny-sd", Prompt = "blocker", Width = 64, Height = 64, Steps = 1, Seed = 1 };
        var task = engine.GenerateAsync(request, new GenerationOptions
        {
            Started = () =>
            {
                _running.Set();
                _release.Wait();
            },
        });
        Assert.True(_running.Wait(TimeSpan.FromSeconds(30)));
        return task;
    }

    public void Release() => _release.Set();

    public void Dispose() => _release.Set();
}
