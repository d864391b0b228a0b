using Gateway.Diffusion.Models;
using Gateway.Diffusion.Pipelines.Conditioning;
using Gateway.Diffusion.Pipelines.Denoising;
using Gateway.Diffusion.Pipelines.Vae;
using Gateway.Diffusion.Schedulers;

namespace Gateway.Diffusion.Pipelines;

/// <summary>
/// A loaded export of any family: scheduler configuration and one session per component, created once and reused by
/// every request. The family decides the text conditioning (<see cref="Text"/>) and whether the UNet gets SDXL's
/// <see cref="TimeIds"/>; the run itself is the same for all (<see cref="GenerationRun"/>).
/// </summary>
/// <param name="vaeShiftFactor">The VAE reads latents / scaling + shift (Flux's 0.1159; 0 for Stable Diffusion).</param>
internal sealed class LoadedModel(ModelCatalogEntry entry, SchedulerConfig schedulerConfig, TextConditioner text, Denoiser unet,
    VaeDecoder vaeDecoder, VaeEncoder? vaeEncoder, float vaeScalingFactor, TimeIds? timeIds, float vaeShiftFactor = 0f) : IDisposable
{
    public ModelCatalogEntry Entry { get; } = entry;
    public SchedulerConfig SchedulerConfig { get; } = schedulerConfig;
    public TextConditioner Text { get; } = text;
    public Denoiser UNet { get; } = unet;
    public VaeDecoder VaeDecoder { get; } = vaeDecoder;
    /// <summary>Null when the export has no <c>vae_encoder/</c>: such a model cannot do image-to-image.</summary>
    public VaeEncoder? VaeEncoder { get; } = vaeEncoder;
    public float VaeScalingFactor { get; } = vaeScalingFactor;
    public float VaeShiftFactor { get; } = vaeShiftFactor;
    /// <summary>SDXL's size (base) or aesthetic (refiner) conditioning; null for SD 1.x / 2.x and Flux.</summary>
    public TimeIds? TimeIds { get; } = timeIds;

    /// <summary>The ControlNet UNet (models.json <c>controlnet.unet</c>): the UNet with residual inputs, run instead of
    /// <see cref="UNet"/> by requests with a ControlNet; null when the model serves none.</summary>
    public Denoiser? ControlNetUNet { get; internal set; }

    /// <summary>The component files by folder name (<c>unet</c>, <c>text_encoder</c>, …), for LoRA variants to share.</summary>
    public IReadOnlyDictionary<string, Onnx.OnnxModelFile> Files { get; internal set; } = new Dictionary<string, Onnx.OnnxModelFile>();

    private bool _isView;

    /// <summary>This model's sessions serving another catalog entry (a composite model on its base); the view's
    /// Dispose leaves them open.</summary>
    public LoadedModel ViewAs(ModelCatalogEntry viewEntry) =>
        new(viewEntry, SchedulerConfig, Text, UNet, VaeDecoder, VaeEncoder, VaeScalingFactor, TimeIds)
        {
            Files = Files,
            ControlNetUNet = viewEntry.ControlNet is null ? null : ControlNetUNet,
            _isView = true,
        };

    public void Dispose()
    {
        if (_isView) return;
        Text.Dispose();
        UNet.Dispose();
        ControlNetUNet?.Dispose();
        VaeDecoder.Dispose();
        VaeEncoder?.Dispose();
    }
}
