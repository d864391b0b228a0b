namespace Gateway.Diffusion.Engine;

/// <summary>Totals since the engine started: what benchmarks and monitoring compare the wall clock against.</summary>
public sealed record EngineStatistics(long Runs, long Images, TimeSpan InsideOnnx, TimeSpan Busy);
