using Gateway.Diffusion.Engine;

namespace Gateway.Diffusion.Tests.Support;

/// <summary>One engine with the committed tiny models, shared by the tests that generate.</summary>
public sealed class EngineFixture : IDisposable
{
    public EngineFixture()
    {
        Engine = DiffusionEngine.Create(new EngineOptions { ModelsDirectory = TestModels.Directory });
        Engine.LoadAll();
    }

    public DiffusionEngine Engine { get; }

    public void Dispose() => Engine.Dispose();
}

[CollectionDefinition(Name)]
public sealed class EngineCollection : ICollectionFixture<EngineFixture>
{
    public const string Name = "engine";
}
