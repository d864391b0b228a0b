using Gateway.Diffusion.Models;

namespace Gateway.Diffusion.Engine;

public enum ModelState
{
    NotLoaded,
    Loading,
    Ready,
    Failed,
}

/// <summary>Where one catalog model stands; <see cref="Error"/> says why a failed model could not load.</summary>
public sealed record ModelStatus(ModelCatalogEntry Entry, ModelState State, string? Error = null);
