namespace Gateway.Diffusion.Engine;

/// <summary>A waiting generation's 1-based place in the queue and the estimated wait until it starts (null while a
/// model ahead of it has no cost estimate yet).</summary>
public sealed record QueueStanding(int Position, TimeSpan? Eta);
